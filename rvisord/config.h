/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisord.conf: the daemon's own settings (INI, section [rvisord]). */
#ifndef RVISORD_CONFIG_H
#define RVISORD_CONFIG_H

#include <stdint.h>

#define RVISORD_CONFIG_DEFAULT "/etc/rvisor/rvisord.conf"

struct rvisord_config {
	char *socket_path;    /* where the varlink socket is bound when not socket-activated */
	char *socket_group;   /* peers in this group (and root) may call; the socket's group */
	char *state_dir;      /* per-sandbox state (mount points of the writable layers) */
	char *policy_dir;
	char *default_policy;
	char *container_policy; /* for OCI containers without io.rvisor.policy; NULL: default_policy */
	uint64_t idle_timeout_usec; /* exit after this long with no sandbox and no client; 0: never */
	uint64_t setup_timeout_usec; /* a sandbox's init that takes longer for its setup is killed */
	unsigned max_sandboxes;
	unsigned max_sandboxes_per_user;   /* running or starting, per caller other than root */
	unsigned max_connections_per_user; /* open varlink connections, per caller other than root */
	int log_level;
	uint64_t log_size;    /* a detached sandbox's output kept: ID.log and ID.log.1 each at most
			       * this many bytes (docker's max-size) */
};

/* Defaults, then FILE's [rvisord] keys. A missing default file is fine; a named one must
 * exist. Logs what is wrong (file, key, value, what is allowed) and returns -errno. */
int config_load(const char *path, struct rvisord_config *ret);
void config_done(struct rvisord_config *c);

#endif
