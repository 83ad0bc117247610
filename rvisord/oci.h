/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The part of an OCI runtime bundle's config.json (runtime-spec 1.x) that rvisord uses:
 * root.path, process.args/env/cwd/user/terminal and hostname. Everything else (mounts,
 * linux.*, hooks) is ignored: rvisor builds the sandbox its own way (docs/sandbox.md).
 * rvisord never reads a bundle itself: the client reads config.json with its own rights and
 * sends the text (and the root filesystem as a descriptor it opened).
 * Returns -errno, never logs; a malformed file comes back as text in *ret_error.
 */
#ifndef RVISORD_OCI_H
#define RVISORD_OCI_H

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"

#define OCI_CONFIG_MAX (1024 * 1024) /* a larger config.json is refused (-EFBIG) */

struct oci_config {
	char *root_path;  /* root.path as written (NULL: absent); the client resolved it */
	bool root_readonly; /* root.readonly */
	char **args;      /* process.args, NULL-terminated; NULL when absent or empty */
	char **env;       /* process.env ("KEY=VALUE"), NULL-terminated; NULL when absent */
	char *cwd;        /* process.cwd; NULL when absent */
	bool has_user;    /* process.user given */
	uid_t uid;
	gid_t gid;
	bool terminal;    /* process.terminal */
	char *hostname;   /* NULL when absent */
};

/* Parses config.json's text (len bytes, at most OCI_CONFIG_MAX, no NUL). 0 and *ret; -EINVAL
 * with *ret_error ("config.json: process.args must be ...") for content that is wrong. */
int oci_config_parse(const char *text, size_t len, struct oci_config **ret, char **ret_error);

struct oci_config *oci_config_free(struct oci_config *c);

static inline void oci_config_freep(struct oci_config **c)
{
	oci_config_free(*c);
}
#define _cleanup_oci_config_ _cleanup_(oci_config_freep)

#endif
