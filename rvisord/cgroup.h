/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup v2 for rvisord: finding the daemon's own cgroup and a parent for per-sandbox cgroups,
 * creating a sandbox's cgroup with its limits, killing and removing it. Returns -errno and
 * never logs, like lib/. cgroup v1 (or a hybrid host whose memory and pids controllers are
 * bound to v1) is not supported: then limits are not enforced (docs/sandbox.md).
 */
#ifndef RVISORD_CGROUP_H
#define RVISORD_CGROUP_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The sub-cgroup the daemon moves itself into when it does not run in the root cgroup: a
 * cgroup with children must hold no processes ("no internal processes" rule). A sandbox may
 * not be named like this. */
#define CGROUP_DAEMON_NAME "daemon"

/*
 * Finds cgroup v2 in /proc/self/mountinfo and the daemon's cgroup in /proc/self/cgroup and
 * prepares a parent for per-sandbox cgroups:
 *   - daemon in the root cgroup: <mount>/rvisor (created), with +memory +pids enabled in the
 *     root's and in its cgroup.subtree_control;
 *   - else (the normal case under systemd, with Delegate=yes): every process of the daemon's
 *     cgroup <own> moves to <own>/daemon and <own> gets +memory +pids; the parent is <own>.
 * +cpu and +cpuset are enabled too where cgroup.controllers offers them (and the kernel lets
 * them be enabled): without them sandboxes run, but a CPU limit asked for fails (-EOPNOTSUPP
 * from cgroup_set_limits()). Nothing is changed before the controllers are known to be
 * available. Returns 0 and the
 * parent's absolute path in *ret_parent; -ENOMEDIUM when there is no cgroup v2 (mounted) or
 * the daemon has no cgroup v2 membership; -EOPNOTSUPP when the memory or pids controller is
 * not available in its cgroup (hybrid hosts bind them to v1; a systemd unit without
 * Delegate=yes); other -errno from the cgroup files (-EACCES, -EBUSY, ...).
 */
int cgroup_setup(char **ret_parent);

/* cgroup_setup() with other sources, for tests: mountinfo and proc_cgroup name files in the
 * formats of /proc/self/mountinfo and /proc/self/cgroup, pid is the process to move. */
int cgroup_setup_at(const char *mountinfo, const char *proc_cgroup, pid_t pid, char **ret_parent);

/* A cgroup's limits. */
struct cgroup_limits {
	uint64_t memory_max; /* memory.max, bytes; UINT64_MAX: none */
	uint64_t pids_max;   /* pids.max; UINT64_MAX: none */
	uint64_t cpus_milli; /* cpu.max: this many thousandths of a CPU per period; 0: none */
	const char *cpuset;  /* cpuset.cpus ("0-1"); NULL: the parent's CPUs */
};

/* Creates parent/name (refused with -EEXIST when it exists) and sets its limits with
 * cgroup_set_limits() (-EOPNOTSUPP with *ret_controller as there); on failure the directory is
 * removed again. *ret_dir: its path. */
int cgroup_create(const char *parent, const char *name, const struct cgroup_limits *limits,
		  char **ret_dir, const char **ret_controller);

/* Writes cpuset.cpus, cpu.max ("QUOTA 100000", or "max"), memory.max, memory.swap.max (0: the
 * limit may not be dodged by swapping) and pids.max ("max" for none). A missing file is fine
 * where nothing is limited and for memory.swap.max (no swap accounting); a limit whose
 * controller is not enabled is -EOPNOTSUPP, and then *ret_controller (when not NULL) names
 * it: "memory", "pids", "cpu" or "cpuset". */
int cgroup_set_limits(const char *dir, const struct cgroup_limits *limits, const char **ret_controller);

/* Limits the daemon's own cgroup, parent/daemon, where cgroup_setup() moved it in a
 * delegated cgroup: the sandboxes have their own limits beside it, the daemon gets these.
 * -ENOENT when the daemon sits elsewhere (in the root cgroup nothing can be limited). */
int cgroup_limit_daemon(const char *parent, const struct cgroup_limits *limits);

/* The CPUs dir's processes may run on: its cpuset.cpus.effective. -ENOENT without the cpuset
 * controller there, -EBADMSG when the file is not a CPU list. */
int cgroup_cpuset_effective(const char *dir, cpu_set_t *ret);

/* How much CPU time dir's processes used: usage_usec of its cpu.stat (there without the cpu
 * controller too). -EBADMSG when the file has no such line. */
int cgroup_cpu_usage(const char *dir, uint64_t *ret_usec);

/* Moves process pid into dir (cgroup.procs). */
int cgroup_attach(const char *dir, pid_t pid);

/* SIGKILLs every process in dir: cgroup.kill (Linux 5.14), else each pid in cgroup.procs
 * until none is left or attempts run out (-EBUSY). */
int cgroup_kill_all(const char *dir);

/* Removes the (empty) cgroup dir, retrying while it is still populated for up to about a
 * second (-EBUSY after that). A missing dir is success: removing is idempotent. */
int cgroup_remove(const char *dir);

/* Freezes (cgroup.freeze 1) or thaws (0) every process in dir. */
int cgroup_freeze(const char *dir, bool frozen);

/* Disables every controller in parent's cgroup.subtree_control, for a daemon that leaves
 * sandboxes running for the next one: the service manager can start that one in the
 * daemon's cgroup only while no controller is enabled for its children ("no internal
 * processes"). Their limits are gone until the next daemon's cgroup_setup() enables the
 * controllers again and it sets them anew: freeze the sandboxes first. */
int cgroup_release_controllers(const char *parent);

/* The oom_kill count in dir/memory.events: *ret = how many processes the OOM killer killed
 * in this cgroup. -ENOENT without the memory controller, -EBADMSG when the file has no such
 * line. */
int cgroup_oom_kills(const char *dir, uint64_t *ret);

#endif
