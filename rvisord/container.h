/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandboxes as processes: container_start() turns an image directory (or an OCI bundle) and
 * a policy into a workload running in its own namespaces, on an overlay of the image, in its
 * own cgroup, gated by rvisor.ko (or the seccomp fallback); container_destroy() removes every
 * trace of it. Returns -errno and never logs, like lib/; errors meant for the user come back
 * as text. How it works, and what the daemon must do: docs/sandbox.md.
 *
 * Reaping: the sandbox's init (c->pid, c->pidfd) is a child of the calling process. Either
 * the daemon reaps it (sd_event child source on c->pidfd or c->pid, or its own waitid()) and
 * then calls container_reaped(), or it leaves that to container_destroy(), which reaps it
 * with waitid(P_PIDFD): it never waits on anything but its own pidfd, so a daemon-wide
 * waitpid(-1) loop only has to call container_reaped() for pids it recognises.
 * Call container_start() from a single-threaded process (the child is a raw clone that
 * inherits any lock another thread holds) and from the thread that lives as long as the
 * daemon (the parent-death signal is tied to it).
 */
#ifndef RVISORD_CONTAINER_H
#define RVISORD_CONTAINER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/rvisor.h>

#include "macro.h"

/* How long container_start() waits for the sandbox's init to finish its setup. */
#define CONTAINER_SETUP_TIMEOUT_MS 30000

struct container_spec {
	const char *name;       /* [A-Za-z0-9][A-Za-z0-9_.-]{0,62}, not "daemon": the state dir,
				 * the cgroup, the kernel sandbox's name; unique among running ones */
	const char *image;      /* a root filesystem directory, or an OCI bundle (config.json
				 * + root.path, default rootfs/); never modified */
	char **argv;            /* the command; NULL/empty: the bundle's process.args */
	char **env;             /* KEY=VALUE, override the defaults (PATH, HOME, TERM,
				 * HOSTNAME) and the bundle's process.env; may be NULL */
	const char *cwd;        /* NULL: the bundle's process.cwd, else "/" */
	bool user_set;          /* uid/gid given; else the bundle's process.user, else 0:0 */
	uid_t uid;
	gid_t gid;
	int stdio[3];           /* duplicated onto the workload's 0, 1, 2; -1: /dev/null. The
				 * caller keeps (and closes) its own descriptors. */
	bool tty;               /* stdio[0] is a terminal: make it the controlling terminal */
	const char *hostname;   /* NULL: the bundle's hostname, else name */
	bool network_host;      /* the host's network namespace; else an own one with lo up */
	uint64_t memory_max;    /* bytes; UINT64_MAX: unlimited */
	uint64_t pids_max;      /* UINT64_MAX: unlimited */
	const char *state_root; /* absolute; state_root/name/{upper,work,merged} live there */
	const char *cgroup_parent; /* from cgroup_setup(), or NULL: no cgroup (no limits) */
	int rvisor_fd;          /* the manager's /dev/rvisor (borrowed: must stay open as long
				 * as the container exists), or -1: the seccomp fallback */
	const struct rvisor_policy *policy; /* NULL: nothing filtered (kernel layer: all PASS) */
	uint32_t sandbox_flags; /* RVISOR_SANDBOX_* for SANDBOX_CREATE */
};

/* All fields are read-only for the caller. */
struct container {
	char *name;
	pid_t pid;           /* host pid of the sandbox's init; 0 once reaped */
	int pidfd;           /* pidfd of the init: signals never reach a recycled pid */
	uint64_t sandbox_id; /* the kernel sandbox; 0 without the kernel layer or once destroyed */
	int status_fd;       /* readable (or EOF) once the workload has exited or the init died:
			      * then call container_read_exit(). O_NONBLOCK, CLOEXEC. */
	char *state_dir;     /* state_root/name; NULL once removed */
	char *cgroup_dir;    /* cgroup_parent/name, or NULL; NULL once removed */
	int rvisor_fd;       /* borrowed from the spec */
	pid_t workload_pid;  /* the workload's pid inside the sandbox (usually 2) */

	/* what is known about the end */
	bool reaped;          /* the init was reaped (by container_destroy() or the daemon) */
	int init_status;      /* its wait status, valid when reaped (-1: reaped by someone else) */
	bool exit_known;      /* container_read_exit() has the workload's status */
	int exit_status;
	int exec_errno;
	char *exit_message;   /* why the workload could not be started (then exits 125), or NULL */
};

/*
 * Starts a sandbox (docs/sandbox.md). Returns 0 and *ret once the workload has been forked
 * inside it, gated from its first instruction. On failure nothing is left behind (no process,
 * mount, directory, cgroup or kernel sandbox) and, when ret_error is not NULL, *ret_error is
 * a message for the user (the caller frees it):
 *   -ENOENT   the image (or the bundle's root.path) does not exist
 *   -ENOTDIR  it is not a directory
 *   -EINVAL   a bad spec or config.json (no command, bad name, ...)
 *   -EEXIST   a sandbox of that name exists (state dir or cgroup)
 *   -EOPNOTSUPP a limit whose cgroup controller is not available
 *   -ETIMEDOUT the init did not finish its setup in CONTAINER_SETUP_TIMEOUT_MS
 *   other     what failed: a mount, the working directory, SANDBOX_CREATE/BIND, ...
 */
int container_start(const struct container_spec *spec, struct container **ret, char **ret_error);

/* Sends sig to the workload: SIGKILL kills the whole sandbox (through its init); the
 * forwarded signals (SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGCONT,
 * SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH) go to the init, which passes them on to the workload's
 * process group. Others: -EINVAL. -ESRCH once the init is gone. */
int container_kill(struct container *c, int sig);

/* Whether container_kill() accepts sig. */
bool container_signal_forwarded(int sig);

/*
 * The workload's end, once c->status_fd is readable: its raw wait status, and the errno of
 * its execve() when that failed (ENOENT: the daemon answers 127, EACCES/ENOEXEC: 126; the
 * wait status is then exit 127). When the workload could not be started for another reason
 * (c->exit_message says why) the status is exit 125. When the init died without a report
 * (killed from outside, SIGKILL by container_kill(), OOM), *ret_wait_status is the init's
 * (peeked with WNOWAIT: this never reaps). -EAGAIN: the workload still runs. May be called
 * again: the answer is kept.
 */
int container_read_exit(struct container *c, int *ret_wait_status, int *ret_exec_errno);

/* For the daemon that reaps the init itself: tells the container its wait status. After
 * this, nothing here waits on the init again. */
void container_reaped(struct container *c, int init_wait_status);

/* A wait status from what waitid() or sd-event's child source report. */
int container_wait_status_from_siginfo(const siginfo_t *si);

/* Whether the OOM killer killed a process of the sandbox (memory.events oom_kill > 0). Call
 * before container_destroy(). -ENODATA without a cgroup. */
int container_oom_killed(struct container *c, bool *ret);

/*
 * Kills everything (SIGKILL to the init, which takes its pid namespace with it; cgroup.kill),
 * reaps the init unless container_reaped() said so, destroys the kernel sandbox, removes the
 * state dir and the cgroup. Idempotent: each step is done once, a failed one (-EBUSY from
 * SANDBOX_DESTROY, ...) is tried again on the next call; returns the first error, after
 * trying every step. The sandbox's mounts exist only in its own mount namespace and are gone
 * once its last process is.
 */
int container_destroy(struct container *c);

/* Removes what sandboxes of an earlier rvisord left (it crashed or was killed): every state
 * directory under state_root and every cgroup under cgroup_parent (NULL: none) but the
 * daemon's own, killing what still runs there. Call before starting any sandbox. Returns
 * the first error after trying everything; *ret_removed counts what was removed. */
int container_cleanup_stale(const char *state_root, const char *cgroup_parent, unsigned *ret_removed);

/* Frees the struct (closes status_fd and pidfd); does not destroy: call container_destroy()
 * first. NULL is fine; returns NULL. */
struct container *container_free(struct container *c);

static inline void container_freep(struct container **c)
{
	container_free(*c);
}
#define _cleanup_container_ _cleanup_(container_freep)

#endif
