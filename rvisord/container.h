/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandboxes as processes: container_spawn() turns a root filesystem the caller opened (an
 * image directory, or an OCI bundle's root.path) and a policy into a workload running in its
 * own namespaces, on an overlay of the image whose writable layer is a tmpfs of its own, in its
 * own cgroup, its syscalls judged by rvisor.ko's gate and the policy's seccomp filter (or
 * either alone), optionally in a user namespace mapped to its caller's ids;
 * container_destroy() removes every trace of it. Returns -errno
 * and never logs, like lib/; errors meant for the user come back as text. How it works, and
 * what the daemon must do: docs/sandbox.md.
 *
 * Starting is asynchronous, so that a daemon serving many clients never waits on one
 * sandbox's setup: container_spawn() clones the sandbox's init and returns; the init builds
 * the sandbox and reports each step on c->status_fd; the daemon calls container_setup_step()
 * whenever that is readable, until it says the workload runs. container_start() does both,
 * waiting, for callers that can block.
 *
 * Reaping: the sandbox's init (c->pid, c->pidfd) is a child of the calling process. Either
 * the daemon reaps it (sd_event child source on c->pidfd or c->pid, or its own waitid()) and
 * then calls container_reaped(), or it leaves that to container_destroy(), which reaps it
 * with waitid(P_PIDFD): it never waits on anything but its own pidfd, so a daemon-wide
 * waitpid(-1) loop only has to call container_reaped() for pids it recognises.
 * Call container_spawn() from a single-threaded process (the child is a raw clone that
 * inherits any lock another thread holds) and from the thread that lives as long as the
 * daemon (the parent-death signal is tied to it).
 */
#ifndef RVISORD_CONTAINER_H
#define RVISORD_CONTAINER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/rvisor.h>

#include "idmap.h"
#include "macro.h"
#include "mount-spec.h"
#include "oci.h"
#include "policy.h"

/* How long a sandbox's init may take for its setup (container_start() waits that long; the
 * daemon kills a sandbox that takes longer). */
#define CONTAINER_SETUP_TIMEOUT_MS 30000

struct container_spec {
	const char *name;       /* [A-Za-z0-9][A-Za-z0-9_.-]{0,62}, not "daemon": the state dir,
				 * the cgroup, the kernel sandbox's name; unique among running ones */
	int image_fd;           /* the root filesystem: a directory the caller opened itself
				 * (never O_PATH); borrowed; never modified */
	const struct oci_config *oci; /* the bundle's config.json when the image is a bundle's
				 * root.path, else NULL; root.path in it is ignored */
	char **argv;            /* the command; NULL/empty: the bundle's process.args */
	char **env;             /* KEY=VALUE, override the defaults (PATH, HOME, TERM,
				 * HOSTNAME) and the bundle's process.env; may be NULL */
	const char *cwd;        /* NULL: the bundle's process.cwd, else "/" */
	bool user_set;          /* uid/gid given; else the bundle's process.user, else 0:0 */
	uid_t uid;              /* as seen inside (in the user namespace, with userns) */
	gid_t gid;
	int stdio[3];           /* duplicated onto the workload's 0, 1, 2; -1: /dev/null. The
				 * caller keeps (and closes) its own descriptors. Each must pass
				 * container_stdio_check(). */
	bool tty;               /* stdio[0] is a terminal: make it the controlling terminal */
	bool read_only;         /* the root file system read-only (as a bundle's root.readonly);
				 * the mounts below keep their own flags */
	const struct mount_spec *mounts; /* binds and tmpfs added to the sandbox (mounts.h), in
				 * the order they are made (mounts_sort()); a bind's fd is its
				 * source (borrowed; must pass mount_source_check()) */
	size_t n_mounts;        /* at most MOUNTS_MAX */
	int mount_ns_fd;        /* with a bind: the caller's mount namespace (/proc/PID/ns/mnt,
				 * borrowed), where the sources' mounts are copied from; else -1 */
	const char *hostname;   /* NULL: the bundle's hostname, else name */
	bool network_host;      /* the host's network namespace; else an own one with lo up */
	uint64_t memory_max;    /* bytes; UINT64_MAX: unlimited */
	uint64_t pids_max;      /* UINT64_MAX: unlimited */
	uint64_t cpus_milli;    /* cpu.max, thousandths of a CPU; 0: unlimited */
	const char *cpuset;     /* cpuset.cpus ("0-1"); NULL: the CPUs of cgroup_parent */
	uint64_t storage_max;   /* bytes: the size of the tmpfs holding the writable layer */
	const struct idmap *uid_map, *gid_map; /* both, or neither: a user namespace with these
				 * maps, whose uid 0 keeps `capabilities`; else host ids, none kept */
	uint64_t capabilities;  /* bit N: capability N for uid 0 in the user namespace */
	const struct rlimit *nofile; /* RLIMIT_NOFILE for the sandbox; NULL: inherited */
	const char *state_root; /* absolute; state_root/name is the writable layer's mount point */
	const char *cgroup_parent; /* from cgroup_setup(), or NULL: no cgroup (no limits) */
	int rvisor_fd;          /* the manager's /dev/rvisor (borrowed: must stay open as long
				 * as the container exists), or -1: no kernel layer. With the
				 * kernel layer the sandbox gets its cgroup (RVISOR_SANDBOX_CGROUP)
				 * and its own /proc and /sys figures (rvisorfs, views.h) */
	unsigned int layers;    /* what enforces the policy: POLICY_LAYER_KERNEL (rvisor.ko's gate;
				 * needs rvisor_fd, else -EINVAL) and/or POLICY_LAYER_SECCOMP (the
				 * policy's seccomp filter, installed by the workload just before
				 * execve()); 0: every layer there is (both with rvisor_fd, else the
				 * filter). Without the kernel layer rvisor_fd is not used. */
	const struct rvisor_policy *policy; /* NULL: nothing filtered (kernel layer: all PASS, no
				 * seccomp filter) */
	uint32_t sandbox_flags; /* RVISOR_SANDBOX_* for SANDBOX_CREATE */
	bool outlive_daemon;    /* no parent-death signal: the sandbox runs on when the daemon
				 * exits, for a daemon that adopts it again (container_adopt());
				 * else it dies with the daemon unless it has the kernel layer
				 * without RVISOR_SANDBOX_DIE_WITH_MANAGER */
};

struct container_workload;

/* All fields are read-only for the caller. */
struct container {
	char *name;
	pid_t pid;           /* host pid of the sandbox's init; 0 once reaped */
	int pidfd;           /* pidfd of the init: signals never reach a recycled pid */
	uint64_t sandbox_id; /* the kernel sandbox; 0 without the kernel layer or once destroyed */
	unsigned int layers; /* the layers it has: POLICY_LAYER_KERNEL, POLICY_LAYER_SECCOMP (only
			      * with a policy) */
	int status_fd;       /* the init's reports: during the setup, each step (see
			      * container_setup_step()); once started, readable (or EOF) when the
			      * workload has exited or the init died: then call
			      * container_read_exit(). O_NONBLOCK, CLOEXEC. */
	char *state_dir;     /* state_root/name; NULL once removed */
	char *cgroup_dir;    /* cgroup_parent/name, or NULL; NULL once removed */
	int rvisor_fd;       /* borrowed from the spec */
	pid_t workload_pid;  /* the workload's pid inside the sandbox (usually 2) */
	bool started;        /* container_setup_step() said 1: the workload runs */

	/* the setup, until started */
	int sync_fd;         /* our end of the go-ahead socket */
	unsigned next_msg;   /* the init's record expected next (enum init_msg_type) */
	char *uid_map, *gid_map; /* /proc/PID/{uid,gid}_map text, with a user namespace */

	/* what is known about the end */
	bool reaped;          /* the init was reaped (by container_destroy() or the daemon) */
	int init_status;      /* its wait status, valid when reaped (-1: reaped by someone else) */
	bool exit_known;      /* container_read_exit() has the workload's status */
	int exit_status;
	int exec_errno;
	char *exit_message;   /* why the workload could not be started (then exits 125), or NULL */

	struct container_workload *workload; /* what a process joining it gets too */
};

/*
 * Begins a sandbox (docs/sandbox.md): checks the spec, makes the state dir, the cgroup and the
 * kernel sandbox, and clones the sandbox's init, which then builds the sandbox on its own.
 * Returns 0 and *ret; then call container_setup_step() each time (*ret)->status_fd is
 * readable. On failure nothing is left behind (no process, mount, directory, cgroup or kernel
 * sandbox) and, when ret_error is not NULL, *ret_error is a message for the user (the caller
 * frees it):
 *   -ENOTDIR  the image is not a directory (or an O_PATH descriptor)
 *   -EBADF    a stdio fd that container_stdio_check() refuses, or a mount's source that
 *             mount_source_check() refuses
 *   -EINVAL   a bad spec or config.json (no command, bad name, a bad mount, ...)
 *   -EPERM    the user is not mapped in the user namespace
 *   -EEXIST   a sandbox of that name exists (state dir or cgroup)
 *   -EOPNOTSUPP a limit whose cgroup controller is not available (memory, pids, cpu, cpuset)
 *   other     what failed: the cgroup, SANDBOX_CREATE, clone(), ...
 */
int container_spawn(const struct container_spec *spec, struct container **ret, char **ret_error);

/*
 * Takes the init's next report, if there is one, and does the daemon's part of that step
 * (the user namespace's maps, binding the kernel sandbox). Returns 0 while the setup goes on,
 * 1 once the workload has been forked, gated from its first instruction (c->workload_pid),
 * or -errno with *ret_error (a failed mount, the working directory, SANDBOX_BIND, the init
 * died: -EIO); then call container_destroy(). Never blocks.
 */
int container_setup_step(struct container *c, char **ret_error);

/* container_spawn(), then container_setup_step() until the workload runs, waiting up to
 * CONTAINER_SETUP_TIMEOUT_MS (-ETIMEDOUT). On failure the container is destroyed. */
int container_start(const struct container_spec *spec, struct container **ret, char **ret_error);

/* Whether fd may be a sandbox's stdin, stdout or stderr: what a shell hands a program (a
 * pipe, socket, terminal or other character device, or a regular file). Directories (the
 * sandbox could walk from /proc/self/fd/N to the host's files), O_PATH descriptors, block
 * devices and the rest are refused: -EBADF with *ret_reason ("a directory"). Never blocks,
 * even on a file system whose server hangs. */
int container_stdio_check(int fd, const char **ret_reason);

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
 * daemon's own and those keep (NULL: none) says to keep (the sandboxes adopted), killing what
 * still runs there. Call before starting any sandbox. Returns the first error after trying
 * everything; *ret_removed counts what was removed. */
int container_cleanup_stale(const char *state_root, const char *cgroup_parent,
			    bool (*keep)(const char *name, void *userdata), void *userdata,
			    unsigned *ret_removed);

/*
 * A running sandbox that an earlier daemon started, from what it kept (a record, and the
 * init's pidfd and report pipe, both taken: status_fd must be O_NONBLOCK already): name,
 * pid, the kernel sandbox (0: none), the layers, the state dir and cgroup (NULL: none). The
 * init is not this process's child: read its end with container_read_exit() once the pidfd
 * is readable; container_destroy() never waits on it. Returns 0 and *ret, or -ENOMEM.
 */
int container_adopt(const char *name, pid_t pid, int pidfd, int status_fd, uint64_t sandbox_id,
		    int rvisor_fd, unsigned int layers, const char *state_dir, const char *cgroup_dir,
		    struct container **ret);

/*
 * A process joining a running sandbox, as docker exec: in the sandbox's namespaces and cgroup,
 * with the workload's credentials (or another user the sandbox maps), capabilities, rlimits,
 * no_new_privs, environment and the policy's seccomp filter, gated by rvisor.ko from its first
 * syscall. A helper (a clone3() of the caller, born in the sandbox's cgroup) joins the init's
 * namespaces, forks the process into the sandbox's pid namespace and waits for it outside it:
 * the caller holds the helper (helper_pid, helper_pidfd, and its reports on status_fd), never
 * the process itself. The process's pid namespace is the sandbox's, so the sandbox's end (its
 * init's) ends it too.
 */
struct container_exec_spec {
	char **argv;            /* the command; argv[0] not empty */
	char **env;             /* KEY=VALUE over the workload's environment (its defaults for
				 * this user and terminal, the bundle's process.env, the spec's env);
				 * may be NULL */
	const char *cwd;        /* absolute; NULL: the workload's working directory */
	bool user_set;          /* uid/gid given (as seen inside); else the workload's */
	uid_t uid;
	gid_t gid;
	int stdio[3];           /* as container_spec's, but each one must be open */
	bool tty;               /* stdio[0] is a terminal */
};

/* All fields are read-only for the caller. */
struct container_exec {
	pid_t helper_pid;    /* host pid of the helper; 0 once reaped */
	int helper_pidfd;
	int status_fd;       /* the helper's reports: during the set-up, readable when there is a
			      * step (container_exec_step()); once started, readable (or EOF) when
			      * the process has ended (container_exec_read_exit()). O_NONBLOCK. */
	pid_t pid;           /* host pid of the process, once started */
	bool started;
	bool reaped;         /* the helper was reaped, with this wait status (-1: by someone else) */
	int helper_status;
	bool exit_known;     /* container_exec_read_exit() has the process's end */
	int exit_status;
	int exec_errno;
};

/*
 * Starts a process in c (which must have started: container_setup_step() said so, its init not
 * reaped): checks the spec and clones the helper. On failure nothing is left and *ret_error
 * says why (when ret_error is not NULL):
 *   -EINVAL  a bad spec (no command, a relative cwd, an environment entry not KEY=VALUE)
 *   -EBADF   a stdio fd that container_stdio_check() refuses
 *   -EPERM   the user is not mapped in the sandbox's user namespace
 *   -ESRCH   the sandbox is not running (not started yet, or its init has exited)
 *   -EAGAIN  the sandbox's pids limit is reached
 *   other    what failed
 * Then call container_exec_step() each time (*ret)->status_fd is readable.
 */
int container_exec_spawn(struct container *c, const struct container_exec_spec *spec,
			 struct container_exec **ret, char **ret_error);

/* Takes the helper's report, if there is one: 0 while the set-up goes on, 1 once the process
 * runs (e->pid), or -errno with *ret_error (the working directory, the pids limit, the sandbox
 * ended meanwhile; the helper died: -EIO); the helper then exits. Never blocks. */
int container_exec_step(struct container_exec *e, char **ret_error);

/* Ends the process: SIGTERM to the helper, which SIGKILLs the process (also when it arrives
 * during the set-up, once the process is there); with force, SIGKILL to the helper itself
 * (for one stuck in its set-up: the process, if it was forked meanwhile, stays in the
 * sandbox until it ends). -ESRCH once the helper is gone. */
int container_exec_kill(struct container_exec *e, bool force);

/* For a caller that reaps the helper itself (sd-event), as container_reaped(). */
void container_exec_reaped(struct container_exec *e, int helper_wait_status);

/* The process's end, once the helper is reaped (or status_fd is readable after the start): as
 * container_read_exit(), and when the helper died without a report, the helper's own wait
 * status. -EAGAIN: it still runs. May be called again. */
int container_exec_read_exit(struct container_exec *e, int *ret_wait_status, int *ret_exec_errno);

/* Makes sure nothing of it is left: a helper still there is asked to end the process
 * (SIGTERM), given up to a second, then killed; then reaped, unless container_exec_reaped()
 * said so. Never hangs on a helper that is stopped or stuck. */
int container_exec_destroy(struct container_exec *e);

/* Closes and frees; does not destroy. NULL is fine; returns NULL. */
struct container_exec *container_exec_free(struct container_exec *e);

static inline void container_exec_freep(struct container_exec **e)
{
	container_exec_free(*e);
}

/* Frees the struct (closes status_fd and pidfd); does not destroy: call container_destroy()
 * first. NULL is fine; returns NULL. */
struct container *container_free(struct container *c);

static inline void container_freep(struct container **c)
{
	container_free(*c);
}
#define _cleanup_container_ _cleanup_(container_freep)

#endif
