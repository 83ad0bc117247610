// SPDX-License-Identifier: GPL-2.0
/*
 * Does this kernel honour a syscall that a sys_enter probe skipped? The entry code re-reads
 * the syscall number after the tracepoint only since upstream commit fb13b11d5387 (v6.9),
 * backported to some stable series and to vendor kernels whose version number says nothing
 * about it; where it does not, DENY, KILL and EMULATE would run the host's syscall anyway.
 * So rvisor decides by experiment: the manager arms a test, calls getppid() itself, the
 * probe skips that call and answers RVISOR_SELFTEST_MAGIC, and a sys_exit probe looks at
 * what the call really returned. Until a test passed, no sandbox is created.
 */
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>
#include <linux/utsname.h>
#include <asm/syscall.h>
#include <asm/unistd.h>

#include "internal.h"

/* For tests of the refusal: the probe leaves the syscall alone, as an old kernel would. */
static bool selftest_force_fail;
module_param(selftest_force_fail, bool, 0644);
MODULE_PARM_DESC(selftest_force_fail,
		 "Testing only: make the skip self-test see an unhonoured skip, so that sandboxes are refused");

enum { RVISOR_ST_IDLE, RVISOR_ST_ARMED, RVISOR_ST_SKIPPED, RVISOR_ST_MEASURED };

static DEFINE_MUTEX(rvisor_selftest_lock);
struct pid *rvisor_selftest_pid;                /* the armed thread: set under the lock,
						 * read by the probes */
static atomic_t rvisor_selftest_state = ATOMIC_INIT(RVISOR_ST_IDLE);
static int rvisor_selftest_measured;            /* RVISOR_SELFTEST_*, at MEASURED */
static int rvisor_selftest_verdict;             /* the last CHECK's: 0 before any */
static struct tracepoint *rvisor_tp_sys_exit;

/* Not while a test is armed: its verdict is about to replace the last one. */
bool rvisor_selftest_verified(void)
{
	return READ_ONCE(rvisor_selftest_verdict) == RVISOR_SELFTEST_HONOURED &&
	       !READ_ONCE(rvisor_selftest_pid);
}

bool rvisor_selftest_broken(void)
{
	return READ_ONCE(rvisor_selftest_verdict) == RVISOR_SELFTEST_NOT_HONOURED;
}

static bool rvisor_selftest_is_current(void)
{
	return READ_ONCE(rvisor_selftest_pid) == task_pid(current);
}

/* From the sys_enter probe while a test is armed: true when this is the test's call. */
bool rvisor_selftest_probe(struct pt_regs *regs, long nr)
{
	if (!rvisor_selftest_is_current() ||
	    nr != __NR_getppid || in_ia32_syscall() ||
	    atomic_cmpxchg(&rvisor_selftest_state, RVISOR_ST_ARMED, RVISOR_ST_SKIPPED) != RVISOR_ST_ARMED)
		return false;
	if (!READ_ONCE(selftest_force_fail)) {
		regs->orig_ax = -1;
		regs->ax = RVISOR_SELFTEST_MAGIC;
	}
	return true;
}

static void rvisor_selftest_exit_probe(void *data, struct pt_regs *regs, long ret)
{
	if (!rvisor_selftest_is_current() || atomic_read(&rvisor_selftest_state) != RVISOR_ST_SKIPPED)
		return;
	/* What the task gets back: ours only if the skipped getppid() did not run. */
	WRITE_ONCE(rvisor_selftest_measured, regs->ax == RVISOR_SELFTEST_MAGIC ?
			RVISOR_SELFTEST_HONOURED : RVISOR_SELFTEST_NOT_HONOURED);
	atomic_set(&rvisor_selftest_state, RVISOR_ST_MEASURED);
}

static void rvisor_find_sys_exit(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sys_exit"))
		rvisor_tp_sys_exit = tp;
}

/* Undoes an armed test. Under the lock. */
static void rvisor_selftest_disarm(void)
{
	struct pid *pid = rvisor_selftest_pid;

	if (!pid)
		return;
	WRITE_ONCE(rvisor_selftest_pid, NULL);
	tracepoint_probe_unregister(rvisor_tp_sys_exit, rvisor_selftest_exit_probe, NULL);
	rvisor_gate_put();
	/* No probe still compares against the pid when it goes. */
	tracepoint_synchronize_unregister();
	put_pid(pid);
	atomic_set(&rvisor_selftest_state, RVISOR_ST_IDLE);
}

static long rvisor_selftest_arm(void)
{
	int r;

	if (rvisor_selftest_pid)
		return -EBUSY; /* one at a time */
	if (rvisor_sandboxes_exist())
		return -EBUSY; /* they were created under the verdict that holds now */
	if (!rvisor_tp_sys_exit)
		for_each_kernel_tracepoint(rvisor_find_sys_exit, NULL);
	if (!rvisor_tp_sys_exit)
		return -ENOENT;
	r = rvisor_gate_get();
	if (r < 0)
		return r;
	r = tracepoint_probe_register(rvisor_tp_sys_exit, rvisor_selftest_exit_probe, NULL);
	if (r < 0) {
		rvisor_gate_put();
		return r;
	}
	atomic_set(&rvisor_selftest_state, RVISOR_ST_ARMED);
	/* The gate may have spared host tasks the tracepoints: this one must enter them. */
	set_task_syscall_work(current, SYSCALL_TRACEPOINT);
	WRITE_ONCE(rvisor_selftest_pid, get_pid(task_pid(current)));
	return 0;
}

static long rvisor_selftest_check(struct rvisor_selftest *t)
{
	int v;

	if (!rvisor_selftest_pid || rvisor_selftest_pid != task_pid(current))
		return -ESRCH;
	if (atomic_read(&rvisor_selftest_state) != RVISOR_ST_MEASURED) {
		rvisor_selftest_disarm();
		return -ESRCH;
	}
	v = READ_ONCE(rvisor_selftest_measured);
	rvisor_selftest_disarm();
	if (v == RVISOR_SELFTEST_HONOURED)
		pr_info(RVISOR_LOG_PREFIX "this kernel honours skipped syscalls (self-test passed)\n");
	else
		pr_warn(RVISOR_LOG_PREFIX "this kernel (%s) runs syscalls a sys_enter probe skipped "
			"(fixed upstream in 6.9 by fb13b11d5387, in stable 6.1.84, 6.6.25, 6.7.12, "
			"6.8.4): refusing to create sandboxes\n", init_utsname()->release);
	WRITE_ONCE(rvisor_selftest_verdict, v);
	t->result = v;
	return 0;
}

long rvisor_selftest_ioctl(struct rvisor_selftest *t)
{
	long r;

	if (memchr_inv(t->reserved, 0, sizeof(t->reserved)) || t->result)
		return -EINVAL;
	mutex_lock(&rvisor_selftest_lock);
	switch (t->op) {
	case RVISOR_SELFTEST_ARM:
		r = rvisor_selftest_arm();
		break;
	case RVISOR_SELFTEST_CHECK:
		r = rvisor_selftest_check(t);
		break;
	default:
		r = -EINVAL;
		break;
	}
	mutex_unlock(&rvisor_selftest_lock);
	return r;
}

void rvisor_selftest_release(void)
{
	mutex_lock(&rvisor_selftest_lock);
	rvisor_selftest_disarm();
	mutex_unlock(&rvisor_selftest_lock);
}
