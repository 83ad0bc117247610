// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated syscalls: rvisor serves them itself and the host's implementation never runs.
 * The gate skips the syscall and answers it at once where it can: uname and sysinfo are
 * computed in the probe and copied out with copy_to_user_nofault(), which succeeds whenever
 * the caller's buffer is present (a stack buffer almost always is). Anything else (a buffer
 * not yet faulted in, sethostname's copy in, sched_getaffinity, which reads the sandbox's
 * cgroup files) is queued as a task_work that runs in the task's own sleepable context just
 * before it returns to user space, where a fault is fine, and writes the result into the
 * saved registers. The gate never faults under its rcu_read_lock(), and before 6.13 syscall
 * tracepoints run with preemption off; where the probe may fault (6.13+), the probe answers
 * those itself once it has left RCU, holding a reference (rvisor_emulate_faulting()), and no
 * task_work is queued. A skipped syscall is never restarted, so an emulation that would
 * restart returns -EINTR.
 */
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/cred.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/nsproxy.h>
#include <linux/personality.h>
#include <linux/module.h>
#include <linux/sched/loadavg.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysinfo.h>
#include <linux/task_work.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/version.h>
#include <linux/ptrace.h>
#include <asm/syscall.h>
#include <asm/unistd.h>

#include "internal.h"

struct rvisor_emulation {
	struct callback_head work;
	struct rvisor_sandbox *sb; /* reference held */
	long nr;
	unsigned long args[6];
};

/* Writes an answer: from the probe without faulting (-EAGAIN where that would fault: the
 * task_work tries again), from the task_work with faults (-EFAULT for a bad address). */
static long rvisor_copy_out(unsigned long dst, const void *src, size_t size, bool in_probe)
{
	void __user *to = (void __user *)dst;

	if (in_probe)
		return copy_to_user_nofault(to, src, size) ? -EAGAIN : 0;
	return copy_to_user(to, src, size) ? -EFAULT : 0;
}

/* What the kernel's uname() makes of the caller's personality: PER_LINUX32 shows a 32-bit
 * machine (linux32, setarch i686), UNAME26 a 2.6 release for old programs. */
static void rvisor_uname_personality(struct new_utsname *u)
{
	char rest[sizeof(u->release)];
	const char *p = u->release;
	int dots = 0;

	if (personality(current->personality) == PER_LINUX32)
		strscpy(u->machine, "i686", sizeof(u->machine));
	if (!(current->personality & UNAME26))
		return;
	/* "6.1.0-57-amd64" -> "2.6.61-57-amd64", as override_release() does: what follows the
	 * first three dot-separated numbers is kept */
	while (*p) {
		if (*p == '.' && ++dots >= 3)
			break;
		if (!isdigit(*p) && *p != '.')
			break;
		p++;
	}
	strscpy(rest, p, sizeof(rest));
	snprintf(u->release, sizeof(u->release), "2.6.%u%s", LINUX_VERSION_PATCHLEVEL + 60, rest);
}

static long rvisor_emulate_uname(struct rvisor_sandbox *sb, const unsigned long *args, bool in_probe)
{
	struct new_utsname u;
	const struct new_utsname *host = init_utsname();

	memset(&u, 0, sizeof(u));
	/* sysname, release, version and machine are the host's and never change after boot. */
	strscpy(u.sysname, host->sysname, sizeof(u.sysname));
	strscpy(u.release, host->release, sizeof(u.release));
	strscpy(u.version, host->version, sizeof(u.version));
	strscpy(u.machine, host->machine, sizeof(u.machine));
	rvisor_uname_personality(&u);
	raw_spin_lock(&sb->uts_lock);
	memcpy(u.nodename, sb->nodename, sizeof(u.nodename));
	memcpy(u.domainname, sb->domainname, sizeof(u.domainname));
	raw_spin_unlock(&sb->uts_lock);

	return rvisor_copy_out(args[0], &u, sizeof(u), in_probe);
}

/* sethostname and setdomainname: change only the sandbox's view. */
static long rvisor_emulate_set_uts(struct rvisor_sandbox *sb, const unsigned long *args, bool host)
{
	char buf[RVISOR_UTS_LEN];
	long len = (long)(int)args[1]; /* the syscall takes an int */

	/* What sethostname() itself asks: CAP_SYS_ADMIN over the owner of the UTS namespace
	 * (rvisord's sandboxes: the initial user namespace, so never from inside). */
	if (!ns_capable(current->nsproxy->uts_ns->user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	if (len < 0 || len > RVISOR_UTS_LEN - 1)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	if (copy_from_user(buf, (const void __user *)args[0], len))
		return -EFAULT;

	raw_spin_lock(&sb->uts_lock);
	memcpy(host ? sb->nodename : sb->domainname, buf, sizeof(buf));
	raw_spin_unlock(&sb->uts_lock);
	return 0;
}

/*
 * The sandbox's memory in O(1), from the memory cgroup of its init (what memory.max limits:
 * anonymous memory, page cache, its tmpfs): with RVISOR_SANDBOX_CGROUP the limit is that
 * cgroup's memory.max, read live (at most the host's memory), as rvisorfs's meminfo reads it
 * from the sandbox's cgroup directory, where the manager puts its init; without it, the
 * spec's memory_limit (0: the host's). The usage is the cgroup's charge; without a cgroup of
 * its own (a manager that gives none, the root cgroup) it is not known: then what the host
 * has free counts, at most the limit.
 */
static void rvisor_sandbox_memory(struct rvisor_sandbox *sb, u64 *ret_total, u64 *ret_free)
{
	u64 total, free;
#ifdef CONFIG_MEMCG
	struct task_struct *init;
#endif

	rvisor_view_memory_uncharged(sb, &total, &free);
#ifdef CONFIG_MEMCG
	rcu_read_lock();
	init = test_bit(RVISOR_SB_BOUND, &sb->state) ? pid_task(sb->init_pid, PIDTYPE_PID) : NULL;
	if (init) {
		struct cgroup_subsys_state *css = task_css(init, memory_cgrp_id);

		/* the root cgroup (no parent) counts the whole host, not the sandbox */
		if (css && css->parent) {
			struct mem_cgroup *memcg = mem_cgroup_from_css(css);
			u64 used = (u64)page_counter_read(&memcg->memory) * PAGE_SIZE;

			if (sb->cgroup.mnt)
				total = min((u64)totalram_pages() * PAGE_SIZE,
					    (u64)READ_ONCE(memcg->memory.max) * PAGE_SIZE);
			free = total > used ? total - used : 0;
		}
	}
	rcu_read_unlock();
#endif
	*ret_total = total;
	*ret_free = free;
}

/* sysinfo from the sandbox's own budget: its memory limit and use, its tasks, its age and its
 * load. All O(1): a sandbox's many threads calling it never walk the host's tasks. */
static long rvisor_emulate_sysinfo(struct rvisor_sandbox *sb, const unsigned long *args, bool in_probe)
{
	unsigned long loads[3];
	struct sysinfo si;
	u64 total, free;
	int i;

	rvisor_sandbox_memory(sb, &total, &free);
	rvisor_view_loads(sb, loads);

	memset(&si, 0, sizeof(si));
	si.uptime = div_u64(rvisor_view_age_ns(sb) + NSEC_PER_SEC - 1, NSEC_PER_SEC);
	for (i = 0; i < 3; i++)
		si.loads[i] = loads[i] << (SI_LOAD_SHIFT - FSHIFT);
	si.totalram = total;
	si.freeram = free;
	si.procs = min_t(unsigned int, rvisor_sandbox_count_tasks(sb), U16_MAX);
	si.mem_unit = 1;

	return rvisor_copy_out(args[0], &si, sizeof(si), in_probe);
}

/* What the kernel's sched_getaffinity reads: the allowed CPUs of the caller (pid 0) or of a
 * task of its pid namespace (for a sandboxed caller: of its sandbox) that are active. */
static int rvisor_task_affinity(pid_t pid, struct cpumask *ret)
{
	struct task_struct *p;
	unsigned long flags;

	rcu_read_lock();
	p = pid ? pid_task(find_vpid(pid), PIDTYPE_PID) : current;
	if (p) {
		raw_spin_lock_irqsave(&p->pi_lock, flags);
		cpumask_and(ret, &p->cpus_mask, cpu_active_mask);
		raw_spin_unlock_irqrestore(&p->pi_lock, flags);
	}
	rcu_read_unlock();
	return p ? 0 : -ESRCH;
}

/*
 * sched_getaffinity as the kernel answers it (the same checks of len, -ESRCH for an unknown
 * pid, min(len, cpumask_size()) bytes), less the CPUs beyond the sandbox's count (its cgroup's
 * cpu.max): a program that sizes its thread pool by its affinity sizes it for its quota. The
 * LSM's getscheduler check is not made (not exported). From the task_work only: it reads
 * cgroup files.
 */
static long rvisor_emulate_getaffinity(struct rvisor_sandbox *sb, const unsigned long *args)
{
	unsigned int len = (unsigned int)args[1], retlen = min_t(unsigned int, len, cpumask_size());
	cpumask_var_t mask, own;
	long r;

	if ((len * BITS_PER_BYTE) < nr_cpu_ids || (len & (sizeof(unsigned long) - 1)))
		return -EINVAL;
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	if (!alloc_cpumask_var(&own, GFP_KERNEL)) {
		free_cpumask_var(mask);
		return -ENOMEM;
	}
	r = rvisor_task_affinity((pid_t)args[0], mask);
	if (!r) {
		rvisor_cpumask_first(mask, rvisor_view_cpus(sb, own));
		r = retlen; /* a long: -EFAULT must not become an unsigned length */
		if (copy_to_user((void __user *)args[2], cpumask_bits(mask), retlen))
			r = -EFAULT;
	}
	free_cpumask_var(own);
	free_cpumask_var(mask);
	return r;
}

bool rvisor_emulates(long nr)
{
	switch (nr) {
	case __NR_uname:
	case __NR_sethostname:
	case __NR_setdomainname:
	case __NR_sysinfo:
	case __NR_sched_getaffinity:
		return true;
	default:
		return false;
	}
}

/* The answer, or -EAGAIN from the probe for what only the task_work can do. */
static long rvisor_emulate(struct rvisor_sandbox *sb, long nr, const unsigned long *args, bool in_probe)
{
	switch (nr) {
	case __NR_uname:
		return rvisor_emulate_uname(sb, args, in_probe);
	case __NR_sethostname:
		return in_probe ? -EAGAIN : rvisor_emulate_set_uts(sb, args, true);
	case __NR_setdomainname:
		return in_probe ? -EAGAIN : rvisor_emulate_set_uts(sb, args, false);
	case __NR_sysinfo:
		return rvisor_emulate_sysinfo(sb, args, in_probe);
	case __NR_sched_getaffinity:
		return in_probe ? -EAGAIN : rvisor_emulate_getaffinity(sb, args);
	default:
		return -ENOSYS;
	}
}

bool rvisor_emulate_in_probe(struct rvisor_sandbox *sb, long nr, const unsigned long *args, long *ret)
{
	long r = rvisor_emulate(sb, nr, args, true);

	if (r == -EAGAIN)
		return false;
	*ret = r;
	return true;
}

/* The answer where faults are fine (the task_work, or a probe that may fault). */
static long rvisor_emulate_sleepable(struct rvisor_sandbox *sb, long nr, const unsigned long *args)
{
	long r = rvisor_emulate(sb, nr, args, false);

	if (r == -ERESTARTSYS || r == -ERESTARTNOINTR || r == -ERESTARTNOHAND || r == -ERESTART_RESTARTBLOCK)
		r = -EINTR;
	return r;
}

void rvisor_emulate_faulting(struct rvisor_sandbox *sb, long nr, struct pt_regs *regs)
{
	unsigned long args[6];

	might_fault();
	syscall_get_arguments(current, regs, args);
	regs->ax = rvisor_emulate_sleepable(sb, nr, args);
}

static void rvisor_emulation_run(struct callback_head *work)
{
	struct rvisor_emulation *e = container_of(work, struct rvisor_emulation, work);

	/* Also called from do_exit() when the task dies first: nothing to answer then. */
	if (!(current->flags & PF_EXITING))
		current_pt_regs()->ax = rvisor_emulate_sleepable(e->sb, e->nr, e->args);

	rvisor_sandbox_put(e->sb);
	kfree(e);
	/* Taken when queued: the module stays while work is pending. The few instructions left
	 * after this put run in the module's text: rvisor_exit() waits for an RCU-tasks grace
	 * period, which no task passes while it is (even preempted) still in here. */
	module_put(THIS_MODULE);
}

/* From the gate, possibly atomic: the syscall is already skipped. 0 or -errno. */
int rvisor_emulate_queue(struct rvisor_sandbox *sb, long nr, const unsigned long *args)
{
	struct rvisor_emulation *e;

	e = kmalloc(sizeof(*e), GFP_NOWAIT | __GFP_NOWARN);
	if (!e)
		return -ENOMEM;
	e->nr = nr;
	memcpy(e->args, args, sizeof(e->args));
	e->sb = sb;
	init_task_work(&e->work, rvisor_emulation_run);

	if (!rvisor_sandbox_tryget(sb)) { /* being freed: its tasks are dying */
		kfree(e);
		return -ESRCH;
	}
	__module_get(THIS_MODULE);
	if (task_work_add(current, &e->work, TWA_RESUME)) {
		/* The task is exiting; nobody will read an answer. */
		rvisor_sandbox_put(sb);
		kfree(e);
		module_put(THIS_MODULE);
		return -ESRCH;
	}
	return 0;
}
