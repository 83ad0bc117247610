/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by container.c (the daemon's side) and container-init.c (the sandbox's init). */
#ifndef RVISORD_CONTAINER_INTERNAL_H
#define RVISORD_CONTAINER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <sys/capability.h>

#include <linux/rvisor.h>

#include "mount-spec.h"
#include "idmap.h"
#include "policy.h"

/* Records on the report pipe, init -> daemon. Each is written with one write() smaller than
 * PIPE_BUF, so it arrives whole. */
enum init_msg_type {
	INIT_MSG_USERNS = 1,   /* in its own user namespace now: write the id maps */
	INIT_MSG_PREPARED,     /* mounts, hostname, network, credentials done: bind it now */
	INIT_MSG_STARTED,      /* the workload is forked (workload_pid) */
	INIT_MSG_FAILED,       /* setup failed: error, text; the init exits */
	INIT_MSG_EXITED,       /* the workload exited: wait_status, exec_errno, text */
};

struct init_msg {
	uint32_t type;
	int32_t error;       /* FAILED: a positive errno */
	int32_t wait_status; /* EXITED */
	int32_t exec_errno;  /* EXITED: why execve() failed, or 0 */
	int32_t workload_pid; /* STARTED */
	char text[236];      /* FAILED, EXITED: what failed, NUL-terminated, or empty */
};

/* Bytes on the sync pipe, daemon -> init. Anything else, or EOF, makes the init give up. */
#define INIT_GO 'G'

/* What the child needs, all prepared by the daemon before clone(): the child works in a
 * copy of the daemon's memory and must not allocate (another thread of the daemon may have
 * held the allocator's lock at clone() time). */
struct container_child {
	int sync_fd;           /* read end of the sync pipe */
	int report_fd;         /* write end of the report pipe */
	int image_fd;          /* the root filesystem, the overlay's lower layer */
	int stdio[3];          /* the caller's fds, or -1 */
	bool die_with_daemon;  /* PR_SET_PDEATHSIG(SIGKILL) */
	bool tty;
	bool new_net;
	bool userns;           /* enter a user namespace (the daemon writes its maps) */
	bool readonly_root;
	const struct mount_spec *mounts; /* the sandbox's own mounts, in order (mounts.h) */
	size_t n_mounts;
	int mount_ns_fd;       /* the caller's mount namespace, with a bind; else -1 */
	uint64_t tmpfs_size;   /* a tmpfs's size unless it says otherwise */
	uid_t root_uid;        /* the host ids of the sandbox's root: they own the mount points */
	gid_t root_gid;        /* made and each tmpfs's root */
	const char *state_dir; /* the writable layer's tmpfs is mounted here */
	const char *storage_options; /* that tmpfs's mount options ("mode=0700,size=...") */
	const char *upper, *work, *merged; /* in state_dir: the overlay's directories */
	const char *overlay_options; /* "lowerdir=/proc/self/fd/N,upperdir=...,workdir=..." */
	const char *hostname;
	const char *devpts_options; /* gid= the host's gid for the sandbox's tty group (5) */
	char **argv;           /* NULL-terminated */
	char **env;            /* NULL-terminated, the workload's whole environment */
	const char *cwd;
	uid_t uid;
	gid_t gid;
	uint64_t keep_bounding; /* capabilities left in the bounding set (userns only) */
	const struct rlimit *nofile; /* or NULL */
	const struct policy_seccomp *seccomp; /* installed by the workload; NULL: none */
	int rvisor_fd;         /* with the kernel layer: the manager's /dev/rvisor, kept only to
				* mount rvisorfs (closed right after); else -1 */
	const char *views_options; /* rvisorfs's mount options, "fd=N,sandbox=ID" */
	cap_t no_caps;         /* an empty capability set, for cap_set_proc() */
	cap_t root_caps;       /* what uid 0 keeps in a user namespace */
};

/* The child of container_spawn()'s clone(): pid 1 of the sandbox. Never returns. */
_Noreturn void container_child_main(const struct container_child *a);

/* What container_spawn() gave the workload that a process joining the sandbox later gets too
 * (container_exec_spawn()): kept with the container for its whole life. */
struct container_workload {
	char **env;            /* the bundle's process.env, then the spec's env (KEY=VALUE): what
				* overrides the defaults */
	char *hostname;        /* for HOSTNAME= */
	char *cwd;
	uid_t uid;             /* as seen inside */
	gid_t gid;
	bool userns;
	struct idmap uid_map, gid_map; /* with userns */
	uint64_t capabilities; /* with userns: what its uid 0 keeps */
	bool has_nofile;
	struct rlimit nofile;
	struct policy_seccomp *seccomp; /* the policy's filter, or NULL */
	int ns_flags;          /* the namespaces to join: setns() flags */
};

/* The exec helper, a child of container_exec_spawn()'s clone3() in the sandbox's cgroup: joins
 * the namespaces of the sandbox's init (init_pidfd), takes the workload's credentials, forks
 * the process (the workload's code: gated, filtered, exec'd as the workload is) and reports
 * its end on a->report_fd as the init does. Never returns. */
_Noreturn void container_exec_child_main(const struct container_child *a, int init_pidfd, int ns_flags);

#endif
