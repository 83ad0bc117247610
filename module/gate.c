// SPDX-License-Identifier: GPL-2.0
/*
 * The syscall gate: a probe on the sys_enter tracepoint decides each syscall of a sandboxed
 * task (PASS, DENY, KILL, EMULATE, LOG), plus fork and exit probes for bookkeeping. The
 * probes are registered only while a sandbox (or a skip self-test) exists.
 *
 * Host monitoring and the host tax: while any probe is attached to a syscall tracepoint,
 * every task whose SYSCALL_WORK_SYSCALL_TRACEPOINT bit is set takes the slow syscall path.
 * The kernel sets the bit on all threads when the first such probe appears, and that is how
 * rvisor leaves it by default: host tasks pay the slow path while sandboxes exist, and perf,
 * bpftrace, Falco and every other user of raw_syscalls keep seeing every host syscall. With
 * the module parameter spare_host_tasks=1 rvisor clears the bit on tasks outside sandboxes
 * (and sets it on a sandbox's tasks at bind, and on children forked into a sandbox from
 * outside, e.g. after setns), so that they pay nothing; then a syscall tracer attached
 * after the first sandbox sees no host task until the last sandbox is gone, when rvisor
 * sets every bit again. One attached before the first sandbox is noticed and the bits are
 * left alone.
 */
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <asm/syscall.h>
#include <asm/unistd.h>

#include "compat.h"
#include "internal.h"

static bool spare_host_tasks;
module_param(spare_host_tasks, bool, 0644);
MODULE_PARM_DESC(spare_host_tasks,
		 "Spare tasks outside sandboxes the slow syscall path while sandboxes exist. BLINDS "
		 "syscall tracers (perf, bpftrace, Falco, auditing tools) attached later to every "
		 "host task until the last sandbox is gone. Default: off");

static struct tracepoint *rvisor_tp_sys_enter, *rvisor_tp_fork, *rvisor_tp_exit;
/* sys_enter's probes may fault and sleep (6.13+): an emulation that must fault is answered in
 * the probe once out of RCU rather than queued (emulate.c). Decided at load from the
 * tracepoint itself; shown in /sys/module/rvisor/parameters/probe_may_fault. */
static bool rvisor_probe_may_fault __read_mostly;
module_param_named(probe_may_fault, rvisor_probe_may_fault, bool, 0444);
MODULE_PARM_DESC(probe_may_fault, "Emulations that must fault are answered in the sys_enter probe, "
		 "not as task_work (read-only: what this kernel's tracepoint allows)");
static DEFINE_MUTEX(rvisor_gate_lock);
static unsigned int rvisor_gate_users;   /* under rvisor_gate_lock */
static bool rvisor_gate_clears_bits;     /* under rvisor_gate_lock */

static void rvisor_event_syscall(struct rvisor_sandbox *sb, struct pt_regs *regs, u32 type,
				 u32 flags, long nr, int value)
{
	unsigned long args[6];
	struct rvisor_event ev;

	syscall_get_arguments(current, regs, args);

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.flags = flags;
	ev.sandbox_id = sb->id;
	ev.time_ns = ktime_get_real_ns();
	ev.host_pid = task_pid_nr(current);
	ev.sandbox_pid = task_pid_nr_ns(current, sb->ns);
	ev.nr = (s32)nr;
	ev.value = value;
	memcpy(ev.args, args, sizeof(ev.args));
	rvisor_event_emit(sb, &ev);
}

/* The syscall does not run; the task sees ret. */
static void rvisor_skip(struct pt_regs *regs, long ret)
{
	regs->orig_ax = -1;
	regs->ax = ret;
}

/* The policy asks for refusals of table syscall idx to be counted only. */
static bool rvisor_quiet(const struct rvisor_policy *p, unsigned int idx)
{
	return idx < RVISOR_NR_SYSCALLS && (p->quiet[idx / 64] & BIT_ULL(idx % 64));
}

static void rvisor_deny(struct rvisor_sandbox *sb, const struct rvisor_policy *p,
			struct pt_regs *regs, unsigned int idx, long nr, int error, u32 flags)
{
	/* The event first: it reads the arguments from the registers rvisor_skip() changes. */
	if (!p || !rvisor_quiet(p, idx))
		rvisor_event_syscall(sb, regs, RVISOR_EVENT_DENIED, flags, nr, error);
	rvisor_skip(regs, -error);
	this_cpu_inc(sb->counters->c[idx].denied);
}

/*
 * A sandbox bound with RVISOR_BIND_ARM_AT_EXEC lets its tasks' syscalls pass unjudged (the
 * runtime's own set-up code, and hooks it runs) until its init makes an x86-64 execve or
 * execveat: that call arms it, whether it then succeeds or not (fail closed), and is the
 * first one judged. Compat and x32 calls never reach here unjudged, so the init cannot exec
 * around the arming.
 */
static bool rvisor_gate_armed(struct rvisor_sandbox *sb, long nr)
{
	if (likely(test_bit(RVISOR_SB_ARMED, &sb->state)))
		return true;
	if (nr != __NR_execve && nr != __NR_execveat)
		return false;
	/* Only the init's exec (the container's program) arms: a hook the runtime's init forks
	 * and execs before its own set-up is done (OCI createContainer) must not. */
	if (task_tgid(current) != sb->init_pid)
		return false;
	/* Fully ordered: whoever sees anything this exec does afterwards sees the sandbox
	 * armed. The bit is all there is to publish. */
	test_and_set_bit(RVISOR_SB_ARMED, &sb->state);
	return true;
}

/*
 * Joiners (RVISOR_BIND_ARM_AT_EXEC only): a task forked into the namespace by a task outside
 * it, as an OCI runtime's exec does after setns, runs the runtime's set-up code (capabilities,
 * no_new_privs, seccomp, ...) before it execs the program it was asked to run; it and what it
 * forks meanwhile stay unjudged until their own first execve or execveat, which is judged.
 * Only a task outside the sandbox can make a joiner; a full table judges the newcomer at
 * once (fail closed).
 */
static int rvisor_joiner_slot(struct rvisor_sandbox *sb, struct task_struct *t)
{
	unsigned int i;

	for (i = 0; i < RVISOR_MAX_JOINERS; i++)
		if (READ_ONCE(sb->joiners[i]) == t)
			return i;
	return -1;
}

static bool rvisor_is_joiner(struct rvisor_sandbox *sb, struct task_struct *t)
{
	return unlikely(atomic_read(&sb->nr_joiners)) && rvisor_joiner_slot(sb, t) >= 0;
}

static void rvisor_joiner_add(struct rvisor_sandbox *sb, struct task_struct *t)
{
	unsigned long flags;
	int i;

	raw_spin_lock_irqsave(&sb->joiners_lock, flags);
	i = rvisor_joiner_slot(sb, NULL);
	if (i >= 0) {
		WRITE_ONCE(sb->joiners[i], t);
		atomic_inc(&sb->nr_joiners);
	}
	raw_spin_unlock_irqrestore(&sb->joiners_lock, flags);
}

static void rvisor_joiner_remove(struct rvisor_sandbox *sb, struct task_struct *t)
{
	unsigned long flags;
	int i;

	if (likely(!atomic_read(&sb->nr_joiners)))
		return;
	raw_spin_lock_irqsave(&sb->joiners_lock, flags);
	i = rvisor_joiner_slot(sb, t);
	if (i >= 0) {
		WRITE_ONCE(sb->joiners[i], NULL);
		atomic_dec(&sb->nr_joiners);
	}
	raw_spin_unlock_irqrestore(&sb->joiners_lock, flags);
}

/* Whether the calling joiner's syscall passes unjudged; its exec ends that and is judged. */
static bool rvisor_gate_joining(struct rvisor_sandbox *sb, long nr)
{
	if (!rvisor_is_joiner(sb, current))
		return false;
	if (nr != __NR_execve && nr != __NR_execveat)
		return true;
	rvisor_joiner_remove(sb, current);
	return false;
}

/* Judges the call under the caller's rcu_read_lock(). An emulation that must fault where the
 * probe may: *faulting is sb (a reference taken), for the caller to answer out of RCU. */
static void rvisor_gate_syscall(struct rvisor_sandbox *sb, struct pt_regs *regs, long nr,
				struct rvisor_sandbox **faulting)
{
	const struct rvisor_policy *p;
	unsigned int idx = RVISOR_NR_SYSCALLS; /* the "other" counters */
	unsigned long args[6];
	u32 flags;
	u16 action, error;
	long ret;
	int r;

	/* Other numbering schemes and argument layouts: the table and the argument rules speak
	 * x86-64 only, so these are refused whatever the policy says (it cannot say more), also
	 * before the sandbox is armed: an ia32 or x32 execve must not run unjudged. */
	if (in_ia32_syscall() || (nr & __X32_SYSCALL_BIT)) {
		flags = in_ia32_syscall() ? RVISOR_EVENT_F_COMPAT : RVISOR_EVENT_F_X32;
		rvisor_deny(sb, NULL, regs, idx, nr, ENOSYS, flags);
		return;
	}
	if (!rvisor_gate_armed(sb, nr) || rvisor_gate_joining(sb, nr))
		return; /* not yet armed, or a joiner before its exec: untouched, uncounted */

	p = &rcu_dereference(sb->policy)->p;
	if (nr >= 0 && nr < RVISOR_NR_SYSCALLS) {
		/* The bounds check must hold under speculation too: nr is the caller's. */
		idx = array_index_nospec((unsigned long)nr, RVISOR_NR_SYSCALLS);
		action = p->syscalls[idx].action;
		error = p->syscalls[idx].error;
	} else {
		action = p->default_action;
		error = p->default_errno;
	}

	switch (action) {
	case RVISOR_ACTION_PASS:
	case RVISOR_ACTION_LOG:
		r = rvisor_policy_check_args(p, nr, regs);
		if (r < 0) {
			rvisor_deny(sb, p, regs, idx, nr, -r, RVISOR_EVENT_F_ARGUMENT);
			return;
		}
		this_cpu_inc(sb->counters->c[idx].passed);
		if (action == RVISOR_ACTION_LOG)
			rvisor_event_syscall(sb, regs, RVISOR_EVENT_LOGGED, 0, nr, 0);
		return;
	case RVISOR_ACTION_DENY:
		rvisor_deny(sb, p, regs, idx, nr, error, 0);
		return;
	case RVISOR_ACTION_KILL:
		rvisor_event_syscall(sb, regs, RVISOR_EVENT_DENIED, RVISOR_EVENT_F_KILLED, nr, 0);
		rvisor_skip(regs, -ENOSYS);
		this_cpu_inc(sb->counters->c[idx].denied);
		force_sig(SIGKILL);
		return;
	case RVISOR_ACTION_EMULATE:
		syscall_get_arguments(current, regs, args);
		if (rvisor_emulate_in_probe(sb, nr, args, &ret)) {
			rvisor_skip(regs, ret);
			this_cpu_inc(sb->counters->c[idx].emulated);
			return;
		}
		rvisor_skip(regs, -ENOSYS);
		if (rvisor_probe_may_fault && rvisor_sandbox_tryget(sb)) {
			*faulting = sb;
			r = 0;
		} else {
			r = rvisor_emulate_queue(sb, nr, args);
		}
		if (r < 0) {
			regs->ax = r;
			this_cpu_inc(sb->counters->c[idx].denied);
		} else {
			this_cpu_inc(sb->counters->c[idx].emulated);
			atomic64_inc(&sb->emulated_faulting);
		}
		return;
	}
}

static void rvisor_sys_enter_probe(void *data, struct pt_regs *regs, long nr)
{
	struct rvisor_sandbox *sb, *faulting = NULL;

	/* The manager's skip self-test, the one host syscall rvisor ever touches. */
	if (rvisor_selftest_armed() && rvisor_selftest_probe(regs, nr))
		return;
	/* Host tasks leave at once. */
	if (likely(rvisor_pid_ns(current) == &init_pid_ns))
		return;
	rcu_read_lock();
	sb = rvisor_sandbox_of_task(current);
	if (sb)
		rvisor_gate_syscall(sb, regs, nr, &faulting);
	rcu_read_unlock();
	if (faulting) {
		rvisor_emulate_faulting(faulting, nr, regs);
		rvisor_sandbox_put(faulting);
	}
}

static void rvisor_fork_probe(void *data, struct task_struct *parent, struct task_struct *child)
{
	struct rvisor_sandbox *sb;

	if (rvisor_pid_ns(child) == &init_pid_ns)
		return;
	rcu_read_lock();
	sb = rvisor_sandbox_of_task(child);
	if (sb) {
		atomic_inc(&sb->nr_tasks);
		/* A child forked into a sandbox by a task outside it (after setns) inherited a
		 * clear bit: it must enter the gate before it first runs. */
		set_task_syscall_work(child, SYSCALL_TRACEPOINT);
		if ((sb->bind_flags & RVISOR_BIND_ARM_AT_EXEC) &&
		    (rvisor_sandbox_of_task(parent) != sb || rvisor_is_joiner(sb, parent)))
			rvisor_joiner_add(sb, child);
	}
	rcu_read_unlock();
}

/* The wait status of a thread group whose last thread is exiting, as wait() reports it. */
static int rvisor_group_exit_status(struct task_struct *p)
{
	if (p->signal->flags & SIGNAL_GROUP_EXIT)
		return p->signal->group_exit_code;
	return READ_ONCE(p->group_leader->exit_code);
}

/* The init's thread group is gone (not merely its first thread: a main() that ended with
 * pthread_exit() leaves the others running): its exit is the sandbox's. */
static void rvisor_init_group_exited(struct rvisor_sandbox *sb, struct task_struct *p)
{
	struct rvisor_event ev;
	int status = rvisor_group_exit_status(p);

	if (test_bit(RVISOR_SB_INIT_EXITED, &sb->state))
		return;
	/* The status before the bit that makes it valid; threads exiting together compute the
	 * same status, and only the one that sets the bit reports it. */
	WRITE_ONCE(sb->init_exit_status, status);
	smp_mb__before_atomic();
	if (test_and_set_bit(RVISOR_SB_INIT_EXITED, &sb->state))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = RVISOR_EVENT_INIT_EXITED;
	ev.sandbox_id = sb->id;
	ev.time_ns = ktime_get_real_ns();
	ev.host_pid = pid_nr(sb->init_pid);
	ev.sandbox_pid = 1;
	ev.nr = -1;
	ev.value = status;
	rvisor_event_init_exited(sb, &ev);
}

static void rvisor_exit_probe(RVISOR_EXIT_PROBE_PROTO(data, p))
{
	struct rvisor_sandbox *sb;

	if (rvisor_pid_ns(p) == &init_pid_ns)
		return;
	rcu_read_lock();
	sb = rvisor_sandbox_of_task(p);
	if (sb) {
		if (atomic_dec_return(&sb->nr_tasks) < 0)
			atomic_set(&sb->nr_tasks, 0); /* counted at bind while it forked: never below */
		rvisor_joiner_remove(sb, p);
		if (task_tgid(p) == sb->init_pid && RVISOR_EXIT_GROUP_DEAD(p))
			rvisor_init_group_exited(sb, p);
	}
	rcu_read_unlock();
}

/* Sets (or clears, on tasks outside sandboxes) every thread's tracepoint bit. */
static void rvisor_gate_set_bits(bool only_sandboxed)
{
	struct task_struct *p, *t;

	rcu_read_lock();
	for_each_process_thread(p, t) {
		if (!only_sandboxed || rvisor_sandbox_of_task(t))
			set_task_syscall_work(t, SYSCALL_TRACEPOINT);
		else
			clear_task_syscall_work(t, SYSCALL_TRACEPOINT);
	}
	rcu_read_unlock();
}

int rvisor_gate_get(void)
{
	bool others;
	int r = 0;

	mutex_lock(&rvisor_gate_lock);
	if (rvisor_gate_users++)
		goto out;

	/* The bit is set on every thread exactly while some syscall tracepoint has a probe. */
	others = test_task_syscall_work(current, SYSCALL_TRACEPOINT);
	r = tracepoint_probe_register(rvisor_tp_fork, rvisor_fork_probe, NULL);
	if (r < 0)
		goto fail;
	r = tracepoint_probe_register(rvisor_tp_exit, rvisor_exit_probe, NULL);
	if (r < 0)
		goto fail_exit;
	r = tracepoint_probe_register(rvisor_tp_sys_enter, rvisor_sys_enter_probe, NULL);
	if (r < 0)
		goto fail_enter;
	rvisor_gate_clears_bits = READ_ONCE(spare_host_tasks) && !others;
	if (rvisor_gate_clears_bits)
		rvisor_gate_set_bits(true);
	goto out;

fail_enter:
	tracepoint_probe_unregister(rvisor_tp_exit, rvisor_exit_probe, NULL);
fail_exit:
	tracepoint_probe_unregister(rvisor_tp_fork, rvisor_fork_probe, NULL);
fail:
	tracepoint_synchronize_unregister();
	rvisor_gate_users--;
	pr_err(RVISOR_LOG_PREFIX "cannot attach to the syscall tracepoints: %d\n", r);
out:
	mutex_unlock(&rvisor_gate_lock);
	return r;
}

void rvisor_gate_put(void)
{
	mutex_lock(&rvisor_gate_lock);
	if (--rvisor_gate_users == 0) {
		if (rvisor_gate_clears_bits)
			rvisor_gate_set_bits(false); /* give other tracers back every task */
		rvisor_gate_clears_bits = false;
		tracepoint_probe_unregister(rvisor_tp_sys_enter, rvisor_sys_enter_probe, NULL);
		tracepoint_probe_unregister(rvisor_tp_exit, rvisor_exit_probe, NULL);
		tracepoint_probe_unregister(rvisor_tp_fork, rvisor_fork_probe, NULL);
		/* Nothing a probe may touch is freed before every running probe has returned. */
		tracepoint_synchronize_unregister();
	}
	mutex_unlock(&rvisor_gate_lock);
}

static void rvisor_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sys_enter"))
		rvisor_tp_sys_enter = tp;
	else if (!strcmp(tp->name, "sched_process_fork"))
		rvisor_tp_fork = tp;
	else if (!strcmp(tp->name, "sched_process_exit"))
		rvisor_tp_exit = tp;
}

/* The tracepoints are not exported as symbols: look them up by name once, at load. */
int rvisor_gate_init(void)
{
	for_each_kernel_tracepoint(rvisor_find_tracepoint, NULL);
	if (!rvisor_tp_sys_enter || !rvisor_tp_fork || !rvisor_tp_exit) {
		pr_err(RVISOR_LOG_PREFIX "kernel lacks the sys_enter/sched_process_* tracepoints "
		       "(CONFIG_FTRACE_SYSCALLS)\n");
		return -ENOENT;
	}
	rvisor_probe_may_fault = rvisor_tracepoint_may_fault(rvisor_tp_sys_enter);
	return 0;
}
