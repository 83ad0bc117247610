/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sandbox's own mounts (Run's mounts, rvisorctl run's -v, --mount and --tmpfs): the
 * parsers of the command line's forms, the rule for destinations that rvisorctl and rvisord
 * both apply, and the JSON of Run's Mount type. Library code: returns -errno, never logs.
 */
#ifndef RVISOR_MOUNT_SPEC_H
#define RVISOR_MOUNT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* The most mounts one sandbox may have (binds and tmpfs together). */
#define MOUNTS_MAX 64U
/* A tmpfs's root directory unless mode= says otherwise (docker's). */
#define MOUNT_TMPFS_MODE_DEFAULT 01777U
/* Room for a parser's reason, with the word it did not like in it. */
#define MOUNT_WHY_MAX 160U

enum mount_type {
	MOUNT_BIND,   /* a directory or regular file the caller opened */
	MOUNT_TMPFS,  /* an empty tmpfs of the sandbox's own */
	_MOUNT_TYPE_MAX,
	_MOUNT_TYPE_INVALID = -1,
};

struct mount_spec {
	enum mount_type type;
	char *source;      /* bind, on the command line: the path as given; else NULL */
	char *destination; /* absolute and normalised (mount_destination_check()) */
	int fd;            /* bind: the source's descriptor (Run: its index among the call's);
			    * -1 otherwise */
	bool readonly;     /* a bind is read-only unless asked otherwise, a tmpfs writable */
	uint64_t size;     /* tmpfs: bytes; 0: rvisord's default */
	uint32_t mode;     /* tmpfs: its root directory's mode (at most 07777) */
};

/* Frees what the spec holds (not the spec); closes nothing. */
void mount_spec_done(struct mount_spec *m);

const char *mount_type_to_string(enum mount_type t);
enum mount_type mount_type_from_string(const char *s);

/*
 * Whether dst may be a sandbox's mount point: an absolute path in normal form (no empty, "."
 * or ".." component, no trailing '/'), no control character, shorter than PATH_MAX, not "/",
 * and neither on nor under /proc, /dev or /sys, which are the sandbox's own (its proc, its
 * device nodes, rvisor's views of the machine). 0, or -EINVAL with the reason in *ret_reason
 * (a static string).
 */
int mount_destination_check(const char *dst, const char **ret_reason);

/* A destination as typed: '//', '.' components and a trailing '/' are dropped, ".." and
 * relative paths are refused (-EINVAL, *ret_reason); the result passes
 * mount_destination_check() or is refused for its reason. *ret is allocated. */
int mount_destination_normalise(const char *dst, char **ret, const char **ret_reason);

/*
 * The command line's forms, each into *ret (zeroed first; free with mount_spec_done()).
 * -EINVAL with why (MOUNT_WHY_MAX bytes) saying what is wrong, -ENOMEM.
 *   -v SRC:DST[:OPTIONS]      a bind, read-only unless OPTIONS has rw (ro, rw)
 *   --mount KEY=VALUE,...     type=bind|tmpfs, source|src, destination|dst|target,
 *                             readonly|ro[=BOOL], rw, bind-propagation=private|rprivate,
 *                             tmpfs-size, tmpfs-mode
 *   --tmpfs DST[:OPTIONS]     size=, mode=, ro, rw, noexec, nosuid, nodev
 */
int mount_parse_volume(const char *arg, struct mount_spec *ret, char *why, size_t why_size);
int mount_parse_mount(const char *arg, struct mount_spec *ret, char *why, size_t why_size);
int mount_parse_tmpfs(const char *arg, struct mount_spec *ret, char *why, size_t why_size);

/* What a list of mounts must be as a whole: at most MOUNTS_MAX, no destination twice. 0, or
 * -E2BIG / -EEXIST with the destination concerned (*ret_destination, NULL for -E2BIG). */
int mounts_check_list(const struct mount_spec *m, size_t n, const char **ret_destination);

/* Sorts by the number of components of the destination, keeping the given order otherwise,
 * so that a mount comes after the one it lies in (/data before /data/cache). */
void mounts_sort(struct mount_spec *m, size_t n);

/* Run's Mount object for m; a bind's fd member is fd_index, the index of its source among the
 * call's descriptors. NULL when out of memory. */
json_object *mount_spec_to_json(const struct mount_spec *m, int fd_index);

/*
 * Run's Mount object o into *ret (zeroed first): the type and its members, the destination
 * checked, a bind's fd an index from first_fd to n_fds - 1, a tmpfs's size and mode in
 * range, no member of the other type. -EINVAL with the reason (a static string), -ENOMEM.
 */
int mount_spec_from_json(json_object *o, unsigned first_fd, unsigned n_fds, struct mount_spec *ret,
			 const char **ret_reason);

#endif
