// SPDX-License-Identifier: GPL-2.0
/*
 * A sandbox's own view of the machine: its memory limit and use, its CPUs, its CPU time, its
 * tasks, its load average and its age, for rvisorfs and the emulated sysinfo and
 * sched_getaffinity. The figures come from the sandbox's cgroup v2 directory
 * (RVISOR_SANDBOX_CGROUP), read live through the files its controllers show (memory.max,
 * memory.stat, cpu.max, cpuset.cpus.effective, ...), and from a walk of its own pid namespace;
 * never from a walk of the host's tasks. Reading files sleeps: none of this runs in the gate's
 * probe, which keeps its own O(1) figures (emulate.c).
 */
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/loadavg.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swap.h>
#include <linux/timekeeping.h>
#include <linux/vmstat.h>

#include "internal.h"

#define RVISOR_VIEW_FILE_MAX 8192     /* bytes read of one cgroup file (memory.stat: ~2 KiB) */
#define RVISOR_VIEW_WALK_BATCH 128    /* pids looked at per RCU read section */
#define RVISOR_VIEW_WALK_MAX (1 << 22) /* pids looked at per walk: PID_MAX_LIMIT */

static const char *const rvisor_mem_keys[RVISOR_MEM_NR] = {
	[RVISOR_MEM_ANON] = "anon",
	[RVISOR_MEM_FILE] = "file",
	[RVISOR_MEM_SHMEM] = "shmem",
	[RVISOR_MEM_ACTIVE_ANON] = "active_anon",
	[RVISOR_MEM_INACTIVE_ANON] = "inactive_anon",
	[RVISOR_MEM_ACTIVE_FILE] = "active_file",
	[RVISOR_MEM_INACTIVE_FILE] = "inactive_file",
	[RVISOR_MEM_UNEVICTABLE] = "unevictable",
	[RVISOR_MEM_FILE_MAPPED] = "file_mapped",
	[RVISOR_MEM_FILE_DIRTY] = "file_dirty",
	[RVISOR_MEM_FILE_WRITEBACK] = "file_writeback",
	[RVISOR_MEM_SWAPCACHED] = "swapcached",
	[RVISOR_MEM_SLAB_RECLAIMABLE] = "slab_reclaimable",
	[RVISOR_MEM_SLAB_UNRECLAIMABLE] = "slab_unreclaimable",
	[RVISOR_MEM_KERNEL_STACK] = "kernel_stack",
	[RVISOR_MEM_PAGETABLES] = "pagetables",
	[RVISOR_MEM_PERCPU] = "percpu",
	[RVISOR_MEM_VMALLOC] = "vmalloc",
	[RVISOR_MEM_ANON_THP] = "anon_thp",
	[RVISOR_MEM_FILE_THP] = "file_thp",
	[RVISOR_MEM_SHMEM_THP] = "shmem_thp",
	[RVISOR_MEM_PGFAULT] = "pgfault",
	[RVISOR_MEM_PGMAJFAULT] = "pgmajfault",
};

/*
 * One file of the sandbox's cgroup, whole (up to RVISOR_VIEW_FILE_MAX - 1 bytes) and
 * NUL-terminated, into a new buffer: its length, or -errno (-ENOENT: no such file, the
 * controller is not enabled there; -ENODEV: the sandbox has no cgroup). Opened with the
 * credentials of the sandbox's creator, whoever reads: the reader's own rights (a sandboxed
 * task's, say) say nothing about the manager's cgroup tree.
 */
static ssize_t rvisor_cgroup_read(struct rvisor_sandbox *sb, const char *name, char **ret)
{
	const struct cred *old;
	struct file *f;
	ssize_t len = 0, n;
	loff_t pos = 0;
	char *buf;

	if (!sb->cgroup.mnt)
		return -ENODEV;
	old = override_creds(sb->cgroup_cred);
	f = file_open_root(&sb->cgroup, name, O_RDONLY, 0);
	revert_creds(old);
	if (IS_ERR(f))
		return PTR_ERR(f);
	buf = kmalloc(RVISOR_VIEW_FILE_MAX, GFP_KERNEL);
	if (!buf) {
		fput(f);
		return -ENOMEM;
	}
	/* kernfs hands a file out in pieces: read to the end */
	while (len < RVISOR_VIEW_FILE_MAX - 1) {
		n = kernel_read(f, buf + len, RVISOR_VIEW_FILE_MAX - 1 - len, &pos);
		if (n <= 0) {
			if (n < 0)
				len = n;
			break;
		}
		len += n;
	}
	fput(f);
	if (len < 0) {
		kfree(buf);
		return len;
	}
	buf[len] = '\0';
	*ret = buf;
	return len;
}

/* A cgroup file holding one number, or "max" (U64_MAX): 0 and *ret, or -errno. */
static int rvisor_cgroup_read_u64(struct rvisor_sandbox *sb, const char *name, u64 *ret)
{
	char *buf;
	ssize_t len = rvisor_cgroup_read(sb, name, &buf);
	int r;

	if (len < 0)
		return len;
	if (sysfs_streq(buf, "max")) {
		*ret = U64_MAX;
		r = 0;
	} else {
		r = kstrtou64(strim(buf), 10, ret);
	}
	kfree(buf);
	return r;
}

/* memory.stat's "key value" lines, the keys rvisor_mem_keys names; others are skipped. */
static void rvisor_parse_memory_stat(char *buf, u64 *stat)
{
	char *line, *value;
	unsigned int i;

	while ((line = strsep(&buf, "\n"))) {
		value = strchr(line, ' ');
		if (!value)
			continue;
		*value++ = '\0';
		for (i = 0; i < RVISOR_MEM_NR; i++) {
			if (!strcmp(line, rvisor_mem_keys[i])) {
				if (kstrtou64(value, 10, &stat[i]))
					stat[i] = 0;
				break;
			}
		}
	}
}

/* Swap: what memory.swap.max allows, at most what it uses plus what the host has free. */
static void rvisor_view_swap(struct rvisor_sandbox *sb, struct rvisor_view_mem *m)
{
	u64 limit, used, host_free = (u64)max(get_nr_swap_pages(), 0L) * PAGE_SIZE;

	if (rvisor_cgroup_read_u64(sb, "memory.swap.max", &limit) < 0 ||
	    rvisor_cgroup_read_u64(sb, "memory.swap.current", &used) < 0)
		return; /* no swap accounting: no swap of its own */
	m->swap_total = min(limit, used + host_free);
	m->swap_used = min(used, m->swap_total);
}

/*
 * Memory: with a cgroup, its memory.max (at most the host's memory) and memory.current, read
 * live, and memory.stat; without one, the spec's memory_limit (0: the host's) and the host's
 * free memory, at most that (the same figures as the emulated sysinfo).
 */
void rvisor_view_memory_uncharged(const struct rvisor_sandbox *sb, u64 *ret_total, u64 *ret_free)
{
	/* the counters si_meminfo() reads, without its block-device walk under a spinlock */
	u64 host_total = (u64)totalram_pages() * PAGE_SIZE;
	u64 host_free = (u64)global_zone_page_state(NR_FREE_PAGES) * PAGE_SIZE;

	*ret_total = sb->memory_limit ? sb->memory_limit : host_total;
	*ret_free = min(*ret_total, host_free);
}

void rvisor_view_memory(struct rvisor_sandbox *sb, struct rvisor_view_mem *m)
{
	char *buf;
	u64 free;

	memset(m, 0, sizeof(*m));
	if (!sb->cgroup.mnt || rvisor_cgroup_read_u64(sb, "memory.max", &m->total) < 0 ||
	    rvisor_cgroup_read_u64(sb, "memory.current", &m->used) < 0) {
		rvisor_view_memory_uncharged(sb, &m->total, &free);
		m->used = m->total - free;
		return;
	}
	m->total = min(m->total, (u64)totalram_pages() * PAGE_SIZE);
	m->used = min(m->used, m->total);
	if (rvisor_cgroup_read(sb, "memory.stat", &buf) >= 0) {
		rvisor_parse_memory_stat(buf, m->stat);
		kfree(buf);
	}
	rvisor_view_swap(sb, m);
}

/* cpu.max's "QUOTA PERIOD" as a number of CPUs, ceil(QUOTA / PERIOD); 0: no quota. */
static unsigned int rvisor_view_cpu_quota(struct rvisor_sandbox *sb)
{
	unsigned long long quota, period;
	unsigned int k = 0;
	char *buf;

	if (rvisor_cgroup_read(sb, "cpu.max", &buf) < 0)
		return 0;
	/* "max PERIOD" does not scan: no quota */
	if (sscanf(buf, "%llu %llu", &quota, &period) == 2 && period)
		k = (unsigned int)min_t(u64, max_t(u64, DIV_ROUND_UP_ULL(quota, period), 1), nr_cpu_ids);
	kfree(buf);
	return k;
}

/*
 * The sandbox's CPUs: the first ceil(quota / period) of its cgroup's cpuset.cpus.effective
 * that are online (all online CPUs without that file, or when it names none of them), under
 * their own numbers. Returns how many.
 */
void rvisor_cpumask_first(struct cpumask *mask, unsigned int n)
{
	unsigned int cpu, kept = 0;

	for_each_cpu(cpu, mask)
		if (kept++ >= n)
			cpumask_clear_cpu(cpu, mask);
}

int rvisor_view_cpus(struct rvisor_sandbox *sb, struct cpumask *ret)
{
	unsigned int k;
	char *buf;

	cpumask_copy(ret, cpu_online_mask);
	if (rvisor_cgroup_read(sb, "cpuset.cpus.effective", &buf) >= 0) {
		if (cpulist_parse(strim(buf), ret) ||
		    !cpumask_and(ret, ret, cpu_online_mask))
			cpumask_copy(ret, cpu_online_mask);
		kfree(buf);
	}
	k = rvisor_view_cpu_quota(sb);
	if (k)
		rvisor_cpumask_first(ret, k);
	return (int)cpumask_weight(ret);
}

/* cpu.stat's usage, user and system time (microseconds there). */
void rvisor_view_cputime(struct rvisor_sandbox *sb, struct rvisor_view_cputime *t)
{
	char *buf, *line, *p;
	u64 v;

	memset(t, 0, sizeof(*t));
	if (rvisor_cgroup_read(sb, "cpu.stat", &buf) < 0)
		return;
	p = buf;
	while ((line = strsep(&p, "\n"))) {
		if (sscanf(line, "usage_usec %llu", &v) == 1)
			t->usage_ns = v * NSEC_PER_USEC;
		else if (sscanf(line, "user_usec %llu", &v) == 1)
			t->user_ns = v * NSEC_PER_USEC;
		else if (sscanf(line, "system_usec %llu", &v) == 1)
			t->system_ns = v * NSEC_PER_USEC;
	}
	kfree(buf);
}

/* A thread counts in the load while running or in uninterruptible sleep (not TASK_NOLOAD,
 * not frozen), as the scheduler counts it. */
static void rvisor_view_count(struct task_struct *t, struct rvisor_view_tasks *ret)
{
	unsigned int state = READ_ONCE(t->__state);

	ret->threads++;
	if (state == TASK_RUNNING)
		ret->running++;
	else if ((state & TASK_UNINTERRUPTIBLE) && !(state & (TASK_NOLOAD | TASK_FROZEN)))
		ret->blocked++;
}

/*
 * The threads of the sandbox's pid namespace (and of those nested in it, whose tasks have
 * pids in it too): its own pids only, in batches under rcu_read_lock() with a chance to
 * reschedule between them, bounded (PID_MAX_LIMIT; the sandbox's pids.max bounds it sooner).
 */
void rvisor_view_tasks(struct rvisor_sandbox *sb, struct rvisor_view_tasks *ret)
{
	struct pid_namespace *ns = READ_ONCE(sb->ns); /* set once at bind, put when freed */
	struct task_struct *t;
	unsigned int seen = 0, batch;
	struct pid *pid = NULL;
	int nr = 1;

	memset(ret, 0, sizeof(*ret));
	if (!ns)
		return;
	ret->last_pid = (int)idr_get_cursor(&ns->idr) - 1; /* as /proc/loadavg says */
	do {
		rcu_read_lock();
		for (batch = 0; batch < RVISOR_VIEW_WALK_BATCH; batch++, seen++) {
			pid = find_ge_pid(nr, ns);
			if (!pid)
				break;
			nr = pid_nr_ns(pid, ns) + 1;
			t = pid_task(pid, PIDTYPE_PID);
			if (t)
				rvisor_view_count(t, ret);
		}
		rcu_read_unlock();
		cond_resched();
	} while (pid && seen < RVISOR_VIEW_WALK_MAX);
}

u64 rvisor_view_age_ns(const struct rvisor_sandbox *sb)
{
	return ktime_get_boottime_ns() - sb->start_time_ns;
}

/* The load average as avenrun[] holds it (FIXED_1 fixed point); any context. */
void rvisor_view_loads(const struct rvisor_sandbox *sb, unsigned long loads[3])
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		loads[i] = READ_ONCE(sb->loads[i]);
}

/* Every LOAD_FREQ, as the scheduler samples the host's: exponential averages of the number
 * of the sandbox's threads running or in uninterruptible sleep. Stops once the sandbox is
 * being destroyed or its init has exited (its files then answer ESRCH). */
static void rvisor_view_load_work(struct work_struct *work)
{
	static const unsigned long exp[3] = { EXP_1, EXP_5, EXP_15 };
	struct rvisor_sandbox *sb = container_of(to_delayed_work(work), struct rvisor_sandbox,
						 load_work);
	struct rvisor_view_tasks t;
	unsigned long active;
	unsigned int i;

	rvisor_view_tasks(sb, &t);
	active = (unsigned long)(t.running + t.blocked) * FIXED_1;
	for (i = 0; i < 3; i++)
		WRITE_ONCE(sb->loads[i], calc_load(sb->loads[i], exp[i], active));
	if (!test_bit(RVISOR_SB_DESTROYING, &sb->state) &&
	    !test_bit(RVISOR_SB_INIT_EXITED, &sb->state))
		queue_delayed_work(system_unbound_wq, &sb->load_work, LOAD_FREQ);
}

void rvisor_view_init(struct rvisor_sandbox *sb)
{
	INIT_DELAYED_WORK(&sb->load_work, rvisor_view_load_work);
}

void rvisor_view_start(struct rvisor_sandbox *sb)
{
	queue_delayed_work(system_unbound_wq, &sb->load_work, LOAD_FREQ);
}

/* Before the sandbox's namespace is put (and on DESTROY): a sampler that requeues itself is
 * cancelled too. Every sandbox holds a module reference, so none runs after unload. */
void rvisor_view_stop(struct rvisor_sandbox *sb)
{
	cancel_delayed_work_sync(&sb->load_work);
}
