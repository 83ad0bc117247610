/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.rvisor.Manager service: sandboxes, their clients, the kernel layer. */
#ifndef RVISORD_MANAGER_H
#define RVISORD_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include <systemd/sd-event.h>
#include <linux/rvisor.h>

#include "config.h"
#include "varlink.h"

struct sandbox;

struct manager {
	sd_event *event;
	VarlinkServer *server;
	const struct rvisord_config *config;
	int rvisor_fd;                 /* /dev/rvisor, -1: the seccomp platform */
	struct rvisor_version module;  /* valid when rvisor_fd >= 0 */
	char *cgroup_parent;           /* NULL: no cgroup v2, limits not enforced */
	gid_t socket_gid;              /* (gid_t)-1: no such group, root only */
	struct sandbox *sandboxes;     /* a list */
	unsigned n_sandboxes;
	uint64_t next_id;
	sd_event_source *kernel_events;
	sd_event_source *idle_timer;
	uint64_t idle_since_usec;      /* 0: busy */
	bool exit_on_idle;
	char *oci_dir;                 /* records of bound OCI containers (state_dir/.containers) */
	bool stopping;                 /* manager_free(): bound containers stay for the next one */
	bool bound_socket;             /* bound config->socket_path itself: unlink it at exit */
	uid_t refused_uid;             /* the last user whose connection was dropped, and when */
	uint64_t refused_usec;
	struct rlimit sandbox_nofile;  /* RLIMIT_NOFILE for sandboxes: the daemon's before it
					* raised its own for its clients */
	char *detached_dir;            /* records and output of detached sandboxes (state_dir/.detached) */
	bool fdstore;                  /* the service manager keeps descriptors across a restart:
					* detached sandboxes outlive rvisord (detached.h) */
};

/* Sets up the kernel layer (loading rvisor.ko if needed), cgroups and the varlink service. */
int manager_new(struct manager **ret, sd_event *event, const struct rvisord_config *config);
/* Serves the socket systemd passed, or binds config->socket_path. */
int manager_listen(struct manager *m);
/* Kills and cleans up every sandbox, closes everything. Returns NULL. */
struct manager *manager_free(struct manager *m);

/* What rvisord serves: its methods and each one's parameter table, which the server checks
 * calls against before a handler runs (tests/unit/test-manager-idl.c holds them to the IDL). */
extern const struct varlink_interface manager_interface;

/* The IDL served by GetInterfaceDescription (generated from io.rvisor.Manager.varlink). */
extern const char manager_interface_description[];

#endif
