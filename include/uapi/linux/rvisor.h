/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rvisor user/kernel ABI: the one definition shared by rvisor.ko, rvisord and rvisorctl.
 *
 * Rules: every struct is fixed-size with explicit padding; reserved fields and unused flags
 * must be zero on input (else -EINVAL) and are zeroed on output; the size of an ioctl's
 * argument is part of its number and is checked (-EINVAL on a mismatch, -ENOTTY for an
 * unknown request). User pointers travel as __u64. Bump RVISOR_ABI_VERSION on any change to
 * this file that user space can see.
 */
#ifndef _UAPI_LINUX_RVISOR_H
#define _UAPI_LINUX_RVISOR_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RVISOR_ABI_VERSION 7

/* The control device, created by the module as a misc device (mode 0600, root). Opening it
 * needs CAP_SYS_ADMIN; one opener (the manager, rvisord) at a time: a second open is -EBUSY.
 * A task inside a sandbox can neither open it nor use an inherited descriptor (-EPERM). The
 * manager "closes" when the last descriptor of its open file is closed. */
#define RVISOR_DEVICE_NAME "rvisor"
#define RVISOR_DEVICE_PATH "/dev/rvisor"

/* Which module is loaded, for anyone, without opening the device (ABI 6): its version in
 * RVISOR_SYSFS_MODULE/version and its RVISOR_ABI_VERSION in .../parameters/abi_version (a
 * read-only parameter); the directory exists while the module is loaded. */
#define RVISOR_SYSFS_MODULE "/sys/module/rvisor"

#define RVISOR_IOC_MAGIC 0xEB

#define RVISOR_MODULE_VERSION_LEN 32
#define RVISOR_NAME_LEN 64        /* sandbox names, NUL-terminated */
#define RVISOR_UTS_LEN 65         /* nodename, domainname: as struct new_utsname */
#define RVISOR_NR_SYSCALLS 512    /* x86-64 syscall numbers covered by a policy's table */
#define RVISOR_MAX_IOCTL_RULES 64
#define RVISOR_MAX_PRCTL_RULES 32
#define RVISOR_MAX_SANDBOXES 1024

/* RVISOR_IOC_VERSION: which module is loaded and which ABI it speaks. Output only. */
#define RVISOR_VERSION_F_SKIP_VERIFIED (1U << 0) /* the skip self-test passed: sandboxes allowed */
#define RVISOR_VERSION_F_SKIP_BROKEN   (1U << 1) /* it failed: this kernel runs skipped syscalls */

struct rvisor_version {
	__u32 abi_version;                              /* RVISOR_ABI_VERSION of the module */
	__u32 flags;                                    /* RVISOR_VERSION_F_* */
	char module_version[RVISOR_MODULE_VERSION_LEN]; /* NUL-terminated, e.g. "0.1.0" */
	__u64 reserved[4];                              /* zero */
};

/*
 * Policy: one action per x86-64 syscall number, a default for the rest, argument rules.
 *
 *   PASS     the host kernel serves the syscall (an "allowed host syscall")
 *   DENY     the syscall does not run and returns -errno (errno 1..4095)
 *   KILL     the syscall does not run and the calling process is killed (SIGKILL)
 *   EMULATE  rvisor serves the syscall itself; only for syscalls rvisor emulates (uname,
 *            sethostname, setdomainname, sysinfo, and since ABI 6 sched_getaffinity), else
 *            the policy is refused (-EINVAL). sysinfo and sched_getaffinity answer with the
 *            sandbox's figures, as its rvisorfs files do (below)
 *   LOG      PASS, and a RVISOR_EVENT_LOGGED record is queued
 *
 * Argument rules apply to syscalls whose action is PASS or LOG; a violation is a denial with
 * EPERM unless said otherwise (flag RVISOR_EVENT_F_ARGUMENT on its event):
 *   ioctl                      with RVISOR_POLICY_FILTER_IOCTL, the request must be listed;
 *                              else ENOTTY (ABI 5), what a descriptor without the request
 *                              answers, so that programs probing a device carry on
 *   socket, socketpair         with RVISOR_POLICY_FILTER_SOCKET, the family's bit must be set;
 *                              with RVISOR_POLICY_FILTER_NETLINK (ABI 5) too, for AF_NETLINK
 *                              the protocol's (third argument) bit in netlink_protocols
 *   prctl                      with RVISOR_POLICY_FILTER_PRCTL, the option must be listed
 *   personality                always (ABI 5): 0xffffffff (a query) or a persona without
 *                              RVISOR_PERSONALITY_UNSAFE's flags (which turn off address-space
 *                              randomisation or make data executable)
 *   clone, unshare             namespace-creating flags (CLONE_NEW*) refused unless
 *                              RVISOR_POLICY_ALLOW_NAMESPACES
 *   clone3                     its flags live in user memory the gate does not read: it
 *                              returns ENOSYS (libc falls back to clone) unless
 *                              RVISOR_POLICY_ALLOW_NAMESPACES
 * Compat (ia32: int 0x80, sysenter, 32-bit processes) and x32 syscalls use other numbers
 * than the table (which speaks x86-64 numbers only) and other argument layouts: they are
 * always refused with ENOSYS. A policy with RVISOR_POLICY_ALLOW_COMPAT or _ALLOW_X32 (which
 * ABI 2 passed without judging them) is refused with -EOPNOTSUPP.
 *
 * Some syscalls start work the gate never sees: io_uring_setup, io_uring_enter and
 * io_uring_register run operations (open, read, connect, ...) in the kernel's own context,
 * without passing sys_enter. A policy that lets one of them run (PASS or LOG, in its table
 * or by default) is refused with -EPERM unless it sets RVISOR_POLICY_UNGATED, which says so
 * deliberately.
 */
enum rvisor_action {
	RVISOR_ACTION_PASS = 0,
	RVISOR_ACTION_DENY = 1,
	RVISOR_ACTION_KILL = 2,
	RVISOR_ACTION_EMULATE = 3,
	RVISOR_ACTION_LOG = 4,
	RVISOR_ACTION_MAX,
};

struct rvisor_syscall_rule {
	__u16 action; /* enum rvisor_action */
	__u16 error;  /* DENY: the errno, 1..4095; otherwise 0 */
};

#define RVISOR_POLICY_ALLOW_COMPAT     (1U << 0) /* refused since ABI 3 (-EOPNOTSUPP) */
#define RVISOR_POLICY_ALLOW_X32        (1U << 1) /* refused since ABI 3 (-EOPNOTSUPP) */
#define RVISOR_POLICY_ALLOW_NAMESPACES (1U << 2)
#define RVISOR_POLICY_FILTER_IOCTL     (1U << 3)
#define RVISOR_POLICY_FILTER_SOCKET    (1U << 4)
#define RVISOR_POLICY_FILTER_PRCTL     (1U << 5)
#define RVISOR_POLICY_UNGATED          (1U << 6) /* may pass syscalls the gate cannot see */
#define RVISOR_POLICY_FILTER_NETLINK   (1U << 7) /* ABI 5 */
#define RVISOR_POLICY_FLAGS_ALL        0xffU

/* personality(2) flags refused by the personality rule: ADDR_NO_RANDOMIZE, MMAP_PAGE_ZERO,
 * ADDR_COMPAT_LAYOUT, READ_IMPLIES_EXEC, ADDR_LIMIT_32BIT, ADDR_LIMIT_3GB. */
#define RVISOR_PERSONALITY_UNSAFE      0x08f40000U
#define RVISOR_PERSONALITY_QUERY       0xffffffffU

struct rvisor_policy {
	__u32 flags;          /* RVISOR_POLICY_* */
	__u16 default_action; /* for numbers beyond the table: PASS, DENY, KILL or LOG */
	__u16 default_errno;  /* DENY: 1..4095; otherwise 0 */
	__u32 nr_ioctls;      /* entries used in ioctls[], <= RVISOR_MAX_IOCTL_RULES */
	__u32 nr_prctls;      /* entries used in prctls[], <= RVISOR_MAX_PRCTL_RULES */
	__u64 socket_families; /* bit N set: address family N allowed (N < 64) */
	__u32 ioctls[RVISOR_MAX_IOCTL_RULES]; /* allowed ioctl request numbers */
	__u32 prctls[RVISOR_MAX_PRCTL_RULES]; /* allowed prctl options */
	__u32 netlink_protocols; /* RVISOR_POLICY_FILTER_NETLINK: bit N set, protocol N allowed */
	__u32 reserved0;
	/* bit N of quiet[N / 64] set: refusals of syscall N are counted but queue no event (a
	 * refusal libc expects and retries, such as clone3's ENOSYS at every pthread_create) */
	__u64 quiet[RVISOR_NR_SYSCALLS / 64];
	__u64 reserved[3];
	struct rvisor_syscall_rule syscalls[RVISOR_NR_SYSCALLS]; /* indexed by x86-64 number */
};

/* RVISOR_IOC_SANDBOX_CREATE: a new, unbound sandbox. In: everything but id; out: id.
 * -EOPNOTSUPP until the skip self-test (RVISOR_IOC_SELFTEST) has shown that this kernel
 * honours a syscall skipped by a sys_enter probe: where it does not, DENY, KILL and EMULATE
 * would run the syscall anyway, so no sandbox is ever created there. */
#define RVISOR_SANDBOX_DIE_WITH_MANAGER (1U << 0) /* destroyed when the manager closes the fd */
#define RVISOR_SANDBOX_CGROUP           (1U << 1) /* ABI 6: cgroup_fd is the sandbox's cgroup */
#define RVISOR_SANDBOX_FLAGS_ALL        0x3U

struct rvisor_sandbox_spec {
	__u32 flags;                     /* RVISOR_SANDBOX_* */
	/* With RVISOR_SANDBOX_CGROUP (ABI 6): an open descriptor (O_PATH is enough) of the
	 * sandbox's cgroup v2 directory, else -EINVAL (also for one that is not on cgroup2 or
	 * not a directory); the module keeps the directory, not the descriptor, and reads its
	 * memory.*, cpu.* and cpuset.* files for the sandbox's figures. Without it: zero. */
	__s32 cgroup_fd;
	__u64 id;                        /* out: never 0, never reused while the module is loaded */
	__u64 policy;                    /* user pointer to a struct rvisor_policy */
	__u64 memory_limit;              /* bytes, the memory limit without a cgroup (with one,
					  * its memory.max is read live); 0: host's */
	char name[RVISOR_NAME_LEN];      /* NUL-terminated (else -EINVAL), may be empty */
	char nodename[RVISOR_UTS_LEN];   /* uname's nodename inside the sandbox, likewise */
	char domainname[RVISOR_UTS_LEN]; /* uname's domainname inside the sandbox, likewise */
	__u8 reserved1[6];
	__u64 reserved[4];
};

/* RVISOR_IOC_SANDBOX_BIND: gate every task of the pid namespace whose init (pid 1) is the
 * task `pid` (as seen from the caller's pid namespace), and of namespaces nested in it.
 * -ESRCH: no such task; -EINVAL: not the init of its namespace, or the initial namespace,
 * or an unknown flag; -EBUSY: sandbox already bound, or the namespace (or an ancestor)
 * bound to a sandbox.
 *
 * RVISOR_BIND_ARM_AT_EXEC (ABI 4), for an OCI runtime whose own set-up code runs inside the
 * namespace before the container's program: the namespace is bound at once (membership,
 * task count, INIT_EXITED, KILL and DESTROY work as usual) but its syscalls are not judged
 * until the first execve() or execveat() by its init (the task `pid`, or a thread of it):
 * the container's program. Execs by other tasks before then (hooks the runtime runs in the
 * namespace) do not arm it. That call is the first one
 * the policy judges, and every syscall of every task of the namespace after it; nothing
 * disarms a sandbox. Until then the gate counts nothing and queues no event, except that
 * ia32 and x32 syscalls are refused (and counted, and reported) as always. Likewise, at any
 * time, for a task that joins the namespace from outside it (forked into it by a task that
 * is not in the sandbox, as an OCI runtime's exec does after setns) and what it forks before
 * its own first execve or execveat: unjudged until then (the runtime's set-up code), judged
 * from that call on; at most 32 such tasks at a time per sandbox, more are judged from the
 * start. */
#define RVISOR_BIND_ARM_AT_EXEC (1U << 0)
#define RVISOR_BIND_FLAGS_ALL   0x1U

struct rvisor_sandbox_bind {
	__u64 id;
	__s32 pid;
	__u32 flags; /* RVISOR_BIND_* */
	__u64 reserved[2];
};

/* RVISOR_IOC_SANDBOX_SET_POLICY: replace the policy; the next syscall sees the new one. */
struct rvisor_sandbox_policy {
	__u64 id;
	__u64 policy; /* user pointer to a struct rvisor_policy */
	__u64 reserved[2];
};

/* RVISOR_IOC_SANDBOX_KILL: send signal (1..64) to every task of the sandbox. */
struct rvisor_sandbox_kill {
	__u64 id;
	__s32 signal;
	__u32 flags; /* none defined: zero */
	__u64 reserved[2];
};

/* RVISOR_IOC_SANDBOX_DESTROY: SIGKILL every task, wait (up to a few seconds) until none is
 * left running (zombies waiting to be reaped do not count), free the sandbox. -EINTR when
 * interrupted, -EBUSY when tasks would not die (the sandbox stays, DESTROY may be repeated).
 * Until DESTROY a sandbox keeps its counters and state, also after its init exited. */
struct rvisor_sandbox_id {
	__u64 id;
	__u64 reserved[2];
};

/* RVISOR_IOC_SANDBOX_LIST: the ids of all sandboxes. In: ids (user pointer to __u64[]) and
 * capacity; out: count, the number of sandboxes (more than capacity: only capacity written). */
struct rvisor_sandbox_list {
	__u64 ids;
	__u32 capacity;
	__u32 count;
	__u64 reserved[2];
};

/* Per-syscall counters; entry RVISOR_NR_SYSCALLS counts compat, x32 and out-of-table calls. */
struct rvisor_syscall_counts {
	__u64 passed;   /* PASS and LOG */
	__u64 emulated; /* EMULATE (only here, not in passed) */
	__u64 denied;   /* DENY, KILL, argument rules, refused compat/x32 */
};

#define RVISOR_SANDBOX_BOUND       (1U << 0)
#define RVISOR_SANDBOX_INIT_EXITED (1U << 1) /* the init's whole thread group has exited */
#define RVISOR_SANDBOX_ARMED       (1U << 2) /* its syscalls are judged: bound without
					       * RVISOR_BIND_ARM_AT_EXEC, or since that execve */

/* RVISOR_IOC_SANDBOX_STATS: state and counters of one sandbox. In: id, counts and
 * nr_counts (capacity of counts, may be 0); out: everything else, nr_counts = entries
 * written (at most RVISOR_NR_SYSCALLS + 1). */
struct rvisor_sandbox_stats {
	__u64 id;
	__u64 counts;          /* user pointer to struct rvisor_syscall_counts[], or 0 */
	__u32 nr_counts;
	__u32 state;           /* RVISOR_SANDBOX_BOUND, _INIT_EXITED, _ARMED */
	__u32 flags;           /* the flags it was created with */
	__u32 nr_tasks;        /* live tasks (threads) in the sandbox */
	__s32 init_pid;        /* host pid of the init it is bound to, 0 if unbound */
	__s32 init_exit_status; /* wait status of init, valid with RVISOR_SANDBOX_INIT_EXITED */
	__u64 start_time_ns;   /* CLOCK_BOOTTIME at creation */
	__u64 memory_limit;
	struct rvisor_syscall_counts total;
	char name[RVISOR_NAME_LEN];
	char nodename[RVISOR_UTS_LEN];
	char domainname[RVISOR_UTS_LEN];
	__u8 reserved1[6];
	__u64 events_suppressed; /* denial and log records not queued (rate or queue limit) */
	/* emulated calls that needed a context where faults are fine: an answer that could not be
	 * written without a page fault (a buffer not yet faulted in), and every sethostname,
	 * setdomainname and sched_getaffinity. Answered as the task returns to user space
	 * (task_work) or, where the probe may fault (6.13+: module parameter probe_may_fault),
	 * in the probe once out of RCU; the other emulated calls are answered in the probe */
	__u64 emulated_faulting;
	__u64 reserved[2];
};

/*
 * RVISOR_IOC_SELFTEST: whether this kernel honours a syscall that a sys_enter probe skipped
 * (set orig_ax to -1 and the result in ax; upstream since v6.9, backported to some stable
 * series, and to vendor kernels whose version says nothing about it). Decided by experiment
 * on the caller's own syscall, never by the kernel's version:
 *   1. op = RVISOR_SELFTEST_ARM: the module watches the calling thread;
 *   2. the thread calls getppid() directly (syscall(SYS_getppid)): the module skips it and
 *      answers RVISOR_SELFTEST_MAGIC; a kernel that runs it anyway returns the parent's pid;
 *   3. op = RVISOR_SELFTEST_CHECK: out result, what the module saw at that syscall's exit.
 * The verdict holds until the next test (allowed only while no sandbox exists) and is in
 * RVISOR_IOC_VERSION's flags. -EBUSY: a test is armed by another thread, or sandboxes exist;
 * -ESRCH on CHECK: no armed test of this thread, or its getppid() never came.
 */
#define RVISOR_SELFTEST_ARM   1
#define RVISOR_SELFTEST_CHECK 2
#define RVISOR_SELFTEST_MAGIC 0x52564953L /* "RVIS": no pid is this large */

enum rvisor_selftest_result {
	RVISOR_SELFTEST_HONOURED = 1,     /* the skipped syscall did not run: gating works */
	RVISOR_SELFTEST_NOT_HONOURED = 2, /* it ran: SANDBOX_CREATE is refused */
};

struct rvisor_selftest {
	__u32 op;     /* RVISOR_SELFTEST_ARM or _CHECK */
	__u32 result; /* out, CHECK: enum rvisor_selftest_result */
	__u64 reserved[2];
};

/*
 * rvisorfs (ABI 6): a file system registered by the module whose files are one sandbox's view
 * of the machine, computed at read time from its cgroup (RVISOR_SANDBOX_CGROUP), its age and
 * its own tasks, never from a walk of the host's tasks. The manager mounts it for a sandbox
 * and binds its files over /proc and /sys inside:
 *
 *   mount("rvisorfs", dir, "rvisorfs", MS_RDONLY | ..., "fd=N,sandbox=ID")
 *
 * N: a descriptor of the manager's open /dev/rvisor in the caller's table; ID: one of its
 * sandboxes. Errors: -EINVAL without both options (no sandbox named) or with an unknown
 * option; -EPERM when fd is not the manager's /dev/rvisor (any other root process) or the
 * caller is a task of a sandbox; -ENOENT: no such sandbox (or it is being destroyed); mounting
 * needs CAP_SYS_ADMIN (the file system cannot be mounted in a user namespace). The mounter's
 * /proc must be a procfs (cpuinfo is the host's, filtered): else -EINVAL. The file system is
 * read-only (opening a file for writing: -EROFS). A read after the sandbox's init exited or
 * after DESTROY: -ESRCH.
 *
 *   meminfo cpuinfo stat uptime loadavg swaps vmstat diskstats   as /proc's files
 *   cpu/online cpu/possible cpu/present                           as /sys/devices/system/cpu's
 *
 * The sandbox's CPUs: the first ceil(quota / period) (its cgroup's cpu.max; all without a
 * quota) of its cgroup's cpuset.cpus.effective (all online CPUs without one), under their
 * own numbers in every file, so that they name what sched_getaffinity and sched_setaffinity
 * speak of. The emulated sched_getaffinity answers the caller's affinity (the kernel's
 * answer) less the CPUs beyond that count.
 */
#define RVISORFS_NAME  "rvisorfs"
#define RVISORFS_MAGIC 0x52564653 /* "RVFS" */

/*
 * Events: read() on the manager's fd returns whole records (a buffer smaller than one is
 * -EINVAL), blocking unless O_NONBLOCK (-EAGAIN); poll() signals EPOLLIN. Each sandbox has a
 * queue of its own (RVISOR_EVENTS_PER_SANDBOX records) and a rate (RVISOR_EVENTS_RATE records
 * a second, in bursts up to the queue's size); read() takes one record from each sandbox with
 * something to say in turn, so no sandbox can crowd out another's. A denial or log record
 * past its sandbox's queue or rate is not queued but counted; the count comes as one
 * RVISOR_EVENT_SUPPRESSED record once the queue has room again (and in
 * rvisor_sandbox_stats.events_suppressed). RVISOR_EVENT_INIT_EXITED is kept apart from the
 * queue and never lost while the sandbox exists; it comes after the sandbox's other records.
 */
#define RVISOR_EVENTS_PER_SANDBOX 32
#define RVISOR_EVENTS_RATE 100

enum rvisor_event_type {
	RVISOR_EVENT_DENIED = 1,      /* DENY, argument rule, compat/x32: value = errno; KILL: 0 */
	RVISOR_EVENT_LOGGED = 2,      /* LOG action: value = 0 */
	RVISOR_EVENT_INIT_EXITED = 3, /* init's thread group exited, the sandbox is emptying:
				       * value = its wait status */
	RVISOR_EVENT_SUPPRESSED = 4,  /* value = records of this sandbox not queued since the last
				       * such report */
};

#define RVISOR_EVENT_F_KILLED   (1U << 0) /* the KILL action killed the caller */
#define RVISOR_EVENT_F_ARGUMENT (1U << 1) /* refused by an argument rule */
#define RVISOR_EVENT_F_COMPAT   (1U << 2) /* ia32 syscall (nr is an ia32 number) */
#define RVISOR_EVENT_F_X32      (1U << 3) /* x32 syscall */

struct rvisor_event {
	__u32 type;        /* enum rvisor_event_type */
	__u32 flags;       /* RVISOR_EVENT_F_* */
	__u64 sandbox_id;
	__u64 time_ns;     /* CLOCK_REALTIME */
	__s32 host_pid;    /* thread id in the initial pid namespace */
	__s32 sandbox_pid; /* thread id in the sandbox's pid namespace */
	__s32 nr;          /* syscall number, -1 when not about a syscall */
	__s32 value;       /* see enum rvisor_event_type */
	__u64 args[6];
	__u64 reserved[2];
};

#define RVISOR_IOC_VERSION             _IOR(RVISOR_IOC_MAGIC, 0x00, struct rvisor_version)
#define RVISOR_IOC_SANDBOX_CREATE      _IOWR(RVISOR_IOC_MAGIC, 0x01, struct rvisor_sandbox_spec)
#define RVISOR_IOC_SANDBOX_BIND        _IOW(RVISOR_IOC_MAGIC, 0x02, struct rvisor_sandbox_bind)
#define RVISOR_IOC_SANDBOX_SET_POLICY  _IOW(RVISOR_IOC_MAGIC, 0x03, struct rvisor_sandbox_policy)
#define RVISOR_IOC_SANDBOX_KILL        _IOW(RVISOR_IOC_MAGIC, 0x04, struct rvisor_sandbox_kill)
#define RVISOR_IOC_SANDBOX_DESTROY     _IOW(RVISOR_IOC_MAGIC, 0x05, struct rvisor_sandbox_id)
#define RVISOR_IOC_SANDBOX_LIST        _IOWR(RVISOR_IOC_MAGIC, 0x06, struct rvisor_sandbox_list)
#define RVISOR_IOC_SANDBOX_STATS       _IOWR(RVISOR_IOC_MAGIC, 0x07, struct rvisor_sandbox_stats)
#define RVISOR_IOC_SELFTEST            _IOWR(RVISOR_IOC_MAGIC, 0x08, struct rvisor_selftest)

#endif /* _UAPI_LINUX_RVISOR_H */
