/* SPDX-License-Identifier: GPL-2.0 */
/* Declarations shared between the files of rvisor.ko. */
#ifndef RVISOR_INTERNAL_H
#define RVISOR_INTERNAL_H

#include <linux/cred.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/path.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/rvisor.h>

#define RVISOR_LOG_PREFIX "rvisor: "
#define RVISOR_MAX_JOINERS 32 /* per sandbox at a time; more are judged from the start */

/* task_active_pid_ns() without the call: this runs on every syscall of a gated task. */
static inline struct pid_namespace *rvisor_pid_ns(struct task_struct *t)
{
	return ns_of_pid(task_pid(t));
}

/* A policy as the gate reads it: the validated user copy, replaced whole under RCU. */
struct rvisor_kpolicy {
	struct rcu_head rcu;
	struct rvisor_policy p;
};

/* Per-CPU counters; the last entry counts compat, x32 and out-of-table syscalls. */
struct rvisor_counters {
	struct rvisor_syscall_counts c[RVISOR_NR_SYSCALLS + 1];
};

/*
 * A sandbox's events (events.c): its own small queue, a rate budget and what it could not
 * queue, and its init's exit kept apart so that it is never lost. Under rvisor_event_lock.
 */
struct rvisor_sandbox_events {
	struct rvisor_event ring[RVISOR_EVENTS_PER_SANDBOX];
	unsigned int head, len;
	u64 tokens_ns;              /* the rate budget, as time: one record costs 1 s / RATE */
	u32 unreported;             /* not queued since the last SUPPRESSED record */
	u64 suppressed;             /* not queued, in all */
	bool exit_pending;
	struct rvisor_event exit;
	struct list_head ready;     /* on the reader's round while it has something to say */
};

/* Bits of rvisor_sandbox.state. */
enum {
	RVISOR_SB_BOUND,       /* ns and init_pid set; in the namespace table */
	RVISOR_SB_INIT_EXITED, /* init_exit_status valid */
	RVISOR_SB_DESTROYING,  /* DESTROY began: no more binds, policy changes or kills */
	RVISOR_SB_ARMED,       /* the gate judges its syscalls: set at bind, or by the first
				* execve/execveat with RVISOR_BIND_ARM_AT_EXEC; never cleared */
};

/*
 * A sandbox. The registry holds one reference while it is listed; queued emulations and
 * rvisorfs superblocks hold one each. The syscall path finds it under RCU through the
 * namespace table and never takes a reference, so the last put waits for a grace period
 * before freeing.
 */
struct rvisor_sandbox {
	refcount_t ref;
	u64 id;
	u32 flags;                         /* RVISOR_SANDBOX_* from the spec */
	unsigned long state;               /* RVISOR_SB_* bits */
	struct list_head node;             /* registry list, under rvisor_registry_lock */
	struct hlist_node ns_node;         /* namespace table, RCU readers */
	struct pid_namespace *ns;          /* bound namespace (reference held) */
	struct pid *init_pid;              /* its init (reference held) */
	struct rvisor_kpolicy __rcu *policy;
	struct rvisor_counters __percpu *counters;
	u64 memory_limit;
	u64 start_time_ns;                 /* CLOCK_BOOTTIME */
	atomic_t nr_tasks;                 /* its threads: counted at bind, then by the fork
					    * and exit probes (O(1) for sysinfo and STATS) */
	atomic64_t emulated_faulting;      /* STATS' emulated_faulting */
	int init_exit_status;
	raw_spinlock_t uts_lock;           /* nodename, domainname; raw: the gate reads them */
	char nodename[RVISOR_UTS_LEN];
	char domainname[RVISOR_UTS_LEN];
	char name[RVISOR_NAME_LEN];
	u32 bind_flags;                    /* RVISOR_BIND_* it was bound with */
	/* With RVISOR_BIND_ARM_AT_EXEC: tasks that joined the namespace from outside it (an OCI
	 * runtime's exec, after setns) and what they fork, unjudged until their own execve
	 * (gate.c). Task pointers without a reference: a task leaves its slot in the exit probe,
	 * before it can be freed. Written under joiners_lock, read without it. */
	raw_spinlock_t joiners_lock;
	atomic_t nr_joiners;
	struct task_struct *joiners[RVISOR_MAX_JOINERS];
	struct rvisor_sandbox_events events;
	/* RVISOR_SANDBOX_CGROUP: its cgroup v2 directory (held; .mnt NULL without one), whose
	 * files view.c reads with the creator's credentials (held). */
	struct path cgroup;
	const struct cred *cgroup_cred;
	/* view.c: the load average, sampled every LOAD_FREQ from bind on (FIXED_1 units) */
	struct delayed_work load_work;
	unsigned long loads[3];
	struct rcu_work free_work;         /* the last put frees after a grace period */
};

/* control.c: the /dev/rvisor misc device */
int rvisor_control_init(void);
void rvisor_control_exit(void);
bool rvisor_control_is_manager(const struct file *file); /* the manager's open /dev/rvisor */
bool rvisor_current_sandboxed(void);

/* sandbox.c: the registry and sandbox lifecycle (ioctl side, sleepable) */
int rvisor_sandbox_init(void);
void rvisor_sandbox_exit(void);
long rvisor_sandbox_create(struct rvisor_sandbox_spec *spec);
long rvisor_sandbox_bind(const struct rvisor_sandbox_bind *b);
long rvisor_sandbox_set_policy(u64 id, struct rvisor_kpolicy *kp);
long rvisor_sandbox_kill(u64 id, int sig);
long rvisor_sandbox_destroy(u64 id);
long rvisor_sandbox_list(u64 __user *ids, u32 capacity, u32 *ret_count);
long rvisor_sandbox_stats(struct rvisor_sandbox_stats *st, struct rvisor_syscall_counts __user *counts);
void rvisor_sandbox_manager_closed(void);
bool rvisor_sandbox_tryget(struct rvisor_sandbox *sb);  /* any context */
void rvisor_sandbox_put(struct rvisor_sandbox *sb);     /* any context; frees after RCU */
void rvisor_sandbox_put_sync(struct rvisor_sandbox *sb); /* sleeps; frees before returning */
struct rvisor_sandbox *rvisor_sandbox_get(u64 id); /* a reference, or NULL (none, destroying) */
struct rvisor_sandbox *rvisor_sandbox_of_task(struct task_struct *t); /* under rcu_read_lock */
unsigned int rvisor_sandbox_count_tasks(struct rvisor_sandbox *sb); /* O(1) */
bool rvisor_sandboxes_exist(void);

/* policy.c: copying, validating and applying policies */
struct rvisor_kpolicy *rvisor_policy_from_user(u64 uptr);
void rvisor_policy_free(struct rvisor_kpolicy *kp);
int rvisor_policy_check_args(const struct rvisor_policy *p, long nr, const struct pt_regs *regs);

/* gate.c: the tracepoint probes */
int rvisor_gate_init(void);
int rvisor_gate_get(void);  /* first user registers the probes */
void rvisor_gate_put(void); /* last user unregisters them */

/* emulate.c: syscalls rvisor serves itself */
bool rvisor_emulates(long nr);
/* From the gate (atomic): true and *ret when answered at once, false: queue it instead. */
bool rvisor_emulate_in_probe(struct rvisor_sandbox *sb, long nr, const unsigned long *args, long *ret);
int rvisor_emulate_queue(struct rvisor_sandbox *sb, long nr, const unsigned long *args);
/* From the probe out of RCU, where it may fault (rvisor_tracepoint_may_fault()): answers the
 * skipped syscall in regs. */
void rvisor_emulate_faulting(struct rvisor_sandbox *sb, long nr, struct pt_regs *regs);

/*
 * view.c: a sandbox's own figures (its cgroup's memory, CPUs and CPU time, its tasks, its
 * load and age), computed when asked, for rvisorfs and the emulated syscalls. Everything
 * but rvisor_view_age_ns() and the loads may sleep: it reads cgroup files.
 */
enum rvisor_mem_stat {
	RVISOR_MEM_ANON, RVISOR_MEM_FILE, RVISOR_MEM_SHMEM, RVISOR_MEM_ACTIVE_ANON,
	RVISOR_MEM_INACTIVE_ANON, RVISOR_MEM_ACTIVE_FILE, RVISOR_MEM_INACTIVE_FILE,
	RVISOR_MEM_UNEVICTABLE, RVISOR_MEM_FILE_MAPPED, RVISOR_MEM_FILE_DIRTY,
	RVISOR_MEM_FILE_WRITEBACK, RVISOR_MEM_SWAPCACHED, RVISOR_MEM_SLAB_RECLAIMABLE,
	RVISOR_MEM_SLAB_UNRECLAIMABLE, RVISOR_MEM_KERNEL_STACK, RVISOR_MEM_PAGETABLES,
	RVISOR_MEM_PERCPU, RVISOR_MEM_VMALLOC, RVISOR_MEM_ANON_THP, RVISOR_MEM_FILE_THP,
	RVISOR_MEM_SHMEM_THP, RVISOR_MEM_PGFAULT, RVISOR_MEM_PGMAJFAULT,
	RVISOR_MEM_NR,
};

struct rvisor_view_mem {
	u64 total, used;            /* bytes: the limit and what is charged against it */
	u64 swap_total, swap_used;  /* bytes */
	u64 stat[RVISOR_MEM_NR];    /* memory.stat: bytes, the page fault counts as counts */
};

struct rvisor_view_tasks {
	unsigned int threads, running, blocked; /* blocked: uninterruptible, counted in load */
	int last_pid;                            /* the last pid handed out in its namespace */
};

struct rvisor_view_cputime {
	u64 usage_ns, user_ns, system_ns;
};

void rvisor_view_init(struct rvisor_sandbox *sb);
void rvisor_view_start(struct rvisor_sandbox *sb); /* at bind: the load sampler starts */
void rvisor_view_stop(struct rvisor_sandbox *sb);  /* sleeps: the sampler is not running after */
u64 rvisor_view_age_ns(const struct rvisor_sandbox *sb);
void rvisor_view_loads(const struct rvisor_sandbox *sb, unsigned long loads[3]); /* any context */
void rvisor_view_memory(struct rvisor_sandbox *sb, struct rvisor_view_mem *m);
/* Without a cgroup to read: the spec's memory_limit (0: the host's memory) and what the host
 * has free, at most that. O(1), any context. */
void rvisor_view_memory_uncharged(const struct rvisor_sandbox *sb, u64 *ret_total, u64 *ret_free);
int rvisor_view_cpus(struct rvisor_sandbox *sb, struct cpumask *ret); /* never empty */
void rvisor_cpumask_first(struct cpumask *mask, unsigned int n); /* keeps the first n CPUs */
void rvisor_view_cputime(struct rvisor_sandbox *sb, struct rvisor_view_cputime *t);
void rvisor_view_tasks(struct rvisor_sandbox *sb, struct rvisor_view_tasks *t);

/* rvisorfs.c: the file system of a sandbox's own /proc files */
int rvisorfs_init(void);
void rvisorfs_exit(void);

/* events.c: the sandboxes' event queues, read by the manager (any context but read) */
void rvisor_events_init(struct rvisor_sandbox *sb);
void rvisor_events_forget(struct rvisor_sandbox *sb); /* before it is freed */
void rvisor_event_emit(struct rvisor_sandbox *sb, const struct rvisor_event *ev);
void rvisor_event_init_exited(struct rvisor_sandbox *sb, const struct rvisor_event *ev);
u64 rvisor_events_suppressed(struct rvisor_sandbox *sb);
ssize_t rvisor_events_read(char __user *buf, size_t count, bool nonblock);
__poll_t rvisor_events_poll(struct file *file, struct poll_table_struct *wait);

/* selftest.c: whether this kernel honours a skipped syscall, by experiment */
bool rvisor_selftest_verified(void);
bool rvisor_selftest_broken(void);
long rvisor_selftest_ioctl(struct rvisor_selftest *t);
void rvisor_selftest_release(void);    /* the manager's file is closing */
bool rvisor_selftest_probe(struct pt_regs *regs, long nr); /* from sys_enter: true if taken */
extern struct pid *rvisor_selftest_pid; /* the armed thread, NULL while no test is armed */

/* The probe's first question for every syscall, inline: is a self-test armed at all? */
static inline bool rvisor_selftest_armed(void)
{
	return unlikely(READ_ONCE(rvisor_selftest_pid) != NULL);
}

#endif
