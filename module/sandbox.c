// SPDX-License-Identifier: GPL-2.0
/*
 * Sandboxes: the registry the manager drives through ioctls, and the namespace table the
 * syscall path reads. A sandbox is bound to a pid namespace; membership of a task is "its
 * pid namespace, or an ancestor of it, is bound": an O(depth) walk with one hash lookup per
 * level, no per-fork bookkeeping, and nested namespaces cannot escape the gate.
 *
 * Locking: rvisor_registry_lock (a mutex) serialises every change; the gate and the probes
 * only read, under RCU, and never take a reference except for queued emulations
 * (rvisor_sandbox_tryget). The last reference frees the sandbox after a grace period.
 */
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>

#include "compat.h"
#include "internal.h"

#define RVISOR_DESTROY_WAIT_MS 5000
#define RVISOR_DESTROY_POLL_MS 10

static DEFINE_MUTEX(rvisor_registry_lock);
static LIST_HEAD(rvisor_sandboxes);    /* under rvisor_registry_lock */
static unsigned int rvisor_nr_sandboxes; /* under rvisor_registry_lock */
static u64 rvisor_next_id = 1;         /* under rvisor_registry_lock */
static DEFINE_HASHTABLE(rvisor_ns_table, 6); /* bound sandboxes by namespace; RCU readers */
static struct workqueue_struct *rvisor_free_wq; /* drained at unload: no free runs past it */

/* What a sandbox holds before it is listed: freed as is when CREATE fails. */
static void rvisor_sandbox_free_unlisted(struct rvisor_sandbox *sb)
{
	if (sb->cgroup.mnt)
		path_put(&sb->cgroup);
	if (sb->cgroup_cred)
		put_cred(sb->cgroup_cred);
	free_percpu(sb->counters);
	kfree(sb);
}

static void rvisor_sandbox_free_now(struct rvisor_sandbox *sb)
{
	rvisor_view_stop(sb); /* the sampler walks sb->ns */
	rvisor_events_forget(sb);
	if (sb->ns)
		put_pid_ns(sb->ns);
	put_pid(sb->init_pid);
	rvisor_policy_free(rcu_dereference_protected(sb->policy, 1));
	rvisor_sandbox_free_unlisted(sb);
	rvisor_gate_put();
	module_put(THIS_MODULE);
}

static void rvisor_sandbox_free_work(struct work_struct *work)
{
	rvisor_sandbox_free_now(container_of(to_rcu_work(work), struct rvisor_sandbox, free_work));
}

bool rvisor_sandbox_tryget(struct rvisor_sandbox *sb)
{
	return refcount_inc_not_zero(&sb->ref);
}

void rvisor_sandbox_put(struct rvisor_sandbox *sb)
{
	if (refcount_dec_and_test(&sb->ref))
		queue_rcu_work(rvisor_free_wq, &sb->free_work);
}

int rvisor_sandbox_init(void)
{
	rvisor_free_wq = alloc_workqueue("rvisor_free", WQ_UNBOUND, 0);
	return rvisor_free_wq ? 0 : -ENOMEM;
}

void rvisor_sandbox_exit(void)
{
	destroy_workqueue(rvisor_free_wq);
}

/* From process context: free before returning, so that DESTROY is synchronous. */
void rvisor_sandbox_put_sync(struct rvisor_sandbox *sb)
{
	if (refcount_dec_and_test(&sb->ref)) {
		synchronize_rcu();
		rvisor_sandbox_free_now(sb);
	}
}

static struct rvisor_sandbox *rvisor_sandbox_find(u64 id)
{
	struct rvisor_sandbox *sb;

	lockdep_assert_held(&rvisor_registry_lock);
	list_for_each_entry(sb, &rvisor_sandboxes, node)
		if (sb->id == id)
			return sb;
	return NULL;
}

struct rvisor_sandbox *rvisor_sandbox_get(u64 id)
{
	struct rvisor_sandbox *sb;

	mutex_lock(&rvisor_registry_lock);
	sb = rvisor_sandbox_find(id);
	if (sb && (test_bit(RVISOR_SB_DESTROYING, &sb->state) || !rvisor_sandbox_tryget(sb)))
		sb = NULL;
	mutex_unlock(&rvisor_registry_lock);
	return sb;
}

/* The sandbox bound to exactly this namespace. Under RCU or the registry lock. */
static struct rvisor_sandbox *rvisor_sandbox_of_ns(struct pid_namespace *ns)
{
	struct rvisor_sandbox *sb;

	hash_for_each_possible_rcu(rvisor_ns_table, sb, ns_node, (unsigned long)ns)
		if (sb->ns == ns)
			return sb;
	return NULL;
}

struct rvisor_sandbox *rvisor_sandbox_of_task(struct task_struct *t)
{
	struct pid_namespace *ns = rvisor_pid_ns(t);
	struct rvisor_sandbox *sb;

	for (; ns && ns->level > 0; ns = ns->parent) {
		sb = rvisor_sandbox_of_ns(ns);
		if (sb)
			return sb;
	}
	return NULL;
}

/* Is t in sb's namespace or one nested in it? Under RCU. */
static bool rvisor_task_in(struct task_struct *t, const struct rvisor_sandbox *sb)
{
	struct pid_namespace *ns = rvisor_pid_ns(t);

	for (; ns && ns->level >= sb->ns->level; ns = ns->parent)
		if (ns == sb->ns)
			return true;
	return false;
}

static bool rvisor_ns_is_ancestor(const struct pid_namespace *anc, const struct pid_namespace *ns)
{
	for (; ns; ns = ns->parent)
		if (ns == anc)
			return true;
	return false;
}

/* Its threads, as the fork and exit probes counted them: O(1). */
unsigned int rvisor_sandbox_count_tasks(struct rvisor_sandbox *sb)
{
	return test_bit(RVISOR_SB_BOUND, &sb->state) ? max(atomic_read(&sb->nr_tasks), 0) : 0;
}

/* Live (not exiting) threads in the sandbox, by walking every thread of the host: exact, for
 * DESTROY, which must know that none is left. */
static unsigned int rvisor_sandbox_walk_tasks(struct rvisor_sandbox *sb)
{
	struct task_struct *p, *t;
	unsigned int n = 0;

	if (!test_bit(RVISOR_SB_BOUND, &sb->state))
		return 0;
	rcu_read_lock();
	for_each_process_thread(p, t)
		if (!(t->flags & PF_EXITING) && rvisor_task_in(t, sb))
			n++;
	rcu_read_unlock();
	return n;
}

static void rvisor_sandbox_signal_all(struct rvisor_sandbox *sb, int sig)
{
	struct task_struct *p;

	rcu_read_lock();
	for_each_process(p)
		if (rvisor_task_in(p, sb))
			send_sig(sig, p, 1); /* privileged: reaches a namespace's init too */
	rcu_read_unlock();
}

/* At bind: every task of the namespace enters the gate, and is counted. */
static void rvisor_sandbox_mark_tasks(struct rvisor_sandbox *sb)
{
	struct task_struct *p, *t;
	int n = 0;

	rcu_read_lock();
	for_each_process_thread(p, t)
		if (rvisor_task_in(t, sb)) {
			set_task_syscall_work(t, SYSCALL_TRACEPOINT);
			n += !(t->flags & PF_EXITING);
		}
	rcu_read_unlock();
	/* A task forked during the walk may be counted twice: by the walk and the fork probe.
	 * Namespaces are bound while their init is alone (rvisord), so this is theory. */
	atomic_add(n, &sb->nr_tasks);
}

bool rvisor_sandboxes_exist(void)
{
	return READ_ONCE(rvisor_nr_sandboxes) > 0;
}

static bool rvisor_string_ok(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

/*
 * RVISOR_SANDBOX_CGROUP: the directory behind the manager's descriptor (O_PATH is enough:
 * fget_raw), which must be a cgroup v2 directory. The sandbox keeps the directory (and its
 * creator's credentials, to read it with), not the descriptor.
 */
static int rvisor_sandbox_cgroup(struct rvisor_sandbox *sb, int fd)
{
	struct file *f = fd >= 0 ? fget_raw(fd) : NULL;
	struct inode *inode;
	int r = -EINVAL;

	if (!f)
		return -EINVAL;
	inode = file_inode(f);
	if (S_ISDIR(inode->i_mode) && inode->i_sb->s_magic == CGROUP2_SUPER_MAGIC) {
		sb->cgroup = f->f_path;
		path_get(&sb->cgroup);
		sb->cgroup_cred = get_current_cred();
		r = 0;
	}
	fput(f);
	return r;
}

long rvisor_sandbox_create(struct rvisor_sandbox_spec *spec)
{
	struct rvisor_kpolicy *kp;
	struct rvisor_sandbox *sb;
	int r;

	if (spec->flags & ~RVISOR_SANDBOX_FLAGS_ALL ||
	    (!(spec->flags & RVISOR_SANDBOX_CGROUP) && spec->cgroup_fd) ||
	    memchr_inv(spec->reserved1, 0, sizeof(spec->reserved1)) ||
	    memchr_inv(spec->reserved, 0, sizeof(spec->reserved)))
		return -EINVAL;
	if (!rvisor_string_ok(spec->name, sizeof(spec->name)) ||
	    !rvisor_string_ok(spec->nodename, sizeof(spec->nodename)) ||
	    !rvisor_string_ok(spec->domainname, sizeof(spec->domainname)))
		return -EINVAL;
	/* Decided by experiment (selftest.c), never by the kernel's version. */
	if (!rvisor_selftest_verified()) {
		if (!rvisor_selftest_broken())
			pr_warn_once(RVISOR_LOG_PREFIX "no sandbox before the skip self-test "
				     "(RVISOR_IOC_SELFTEST) has passed\n");
		return -EOPNOTSUPP;
	}

	kp = rvisor_policy_from_user(spec->policy);
	if (IS_ERR(kp))
		return PTR_ERR(kp);

	sb = kzalloc(sizeof(*sb), GFP_KERNEL);
	if (!sb) {
		rvisor_policy_free(kp);
		return -ENOMEM;
	}
	sb->counters = alloc_percpu(struct rvisor_counters);
	r = sb->counters ? 0 : -ENOMEM;
	if (!r && (spec->flags & RVISOR_SANDBOX_CGROUP))
		r = rvisor_sandbox_cgroup(sb, spec->cgroup_fd);
	if (r < 0) {
		rvisor_sandbox_free_unlisted(sb);
		rvisor_policy_free(kp);
		return r;
	}
	refcount_set(&sb->ref, 1); /* the registry's */
	INIT_RCU_WORK(&sb->free_work, rvisor_sandbox_free_work);
	rvisor_view_init(sb);
	rvisor_events_init(sb);
	INIT_HLIST_NODE(&sb->ns_node);
	raw_spin_lock_init(&sb->uts_lock);
	raw_spin_lock_init(&sb->joiners_lock);
	RCU_INIT_POINTER(sb->policy, kp);
	sb->flags = spec->flags;
	sb->memory_limit = spec->memory_limit;
	sb->start_time_ns = ktime_get_boottime_ns();
	memcpy(sb->name, spec->name, sizeof(sb->name));
	memcpy(sb->nodename, spec->nodename, sizeof(sb->nodename));
	memcpy(sb->domainname, spec->domainname, sizeof(sb->domainname));

	mutex_lock(&rvisor_registry_lock);
	if (rvisor_nr_sandboxes >= RVISOR_MAX_SANDBOXES) {
		r = -ENOSPC;
		goto fail;
	}
	r = rvisor_gate_get(); /* dropped when the sandbox is freed */
	if (r < 0)
		goto fail;
	__module_get(THIS_MODULE); /* no unload while a sandbox exists; dropped when freed */
	sb->id = rvisor_next_id++;
	list_add_tail(&sb->node, &rvisor_sandboxes);
	rvisor_nr_sandboxes++;
	spec->id = sb->id;
	mutex_unlock(&rvisor_registry_lock);
	return 0;

fail:
	mutex_unlock(&rvisor_registry_lock);
	rvisor_sandbox_free_unlisted(sb);
	rvisor_policy_free(kp);
	return r;
}

long rvisor_sandbox_bind(const struct rvisor_sandbox_bind *b)
{
	struct rvisor_sandbox *sb, *other;
	struct pid_namespace *ns;
	struct task_struct *task;
	struct pid *pid;
	long r;

	if (b->flags & ~RVISOR_BIND_FLAGS_ALL || memchr_inv(b->reserved, 0, sizeof(b->reserved)) ||
	    b->pid <= 0)
		return -EINVAL;
	pid = find_get_pid(b->pid); /* in the caller's pid namespace */
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	if (!task) {
		put_pid(pid);
		return -ESRCH;
	}
	ns = rvisor_pid_ns(task);

	mutex_lock(&rvisor_registry_lock);
	sb = rvisor_sandbox_find(b->id);
	if (!sb || test_bit(RVISOR_SB_DESTROYING, &sb->state)) {
		r = -ENOENT;
		goto out;
	}
	if (!ns || ns == &init_pid_ns || READ_ONCE(ns->child_reaper) != task) {
		r = -EINVAL; /* the host's namespace, or not the init of its own */
		goto out;
	}
	r = -EBUSY;
	if (test_bit(RVISOR_SB_BOUND, &sb->state))
		goto out;
	rcu_read_lock();
	for (other = NULL; !other && ns; ns = ns->parent)
		other = rvisor_sandbox_of_ns(ns);
	rcu_read_unlock();
	ns = rvisor_pid_ns(task);
	if (other)
		goto out; /* this namespace or an ancestor is gated already */
	list_for_each_entry(other, &rvisor_sandboxes, node)
		if (test_bit(RVISOR_SB_BOUND, &other->state) && rvisor_ns_is_ancestor(ns, other->ns))
			goto out; /* a namespace nested in this one is gated already */

	WRITE_ONCE(sb->ns, get_pid_ns(ns)); /* view.c reads it without the lock */
	sb->init_pid = pid;
	pid = NULL;
	/* Armed before the gate can find it (hash_add_rcu publishes with release semantics):
	 * a sandbox bound without the flag never lets a syscall pass unjudged. */
	sb->bind_flags = b->flags;
	if (!(b->flags & RVISOR_BIND_ARM_AT_EXEC))
		set_bit(RVISOR_SB_ARMED, &sb->state);
	set_bit(RVISOR_SB_BOUND, &sb->state);
	hash_add_rcu(rvisor_ns_table, &sb->ns_node, (unsigned long)sb->ns);
	/* Published before the walk: a task forked meanwhile is seen by the walk or the fork
	 * probe, so every task of the namespace enters the syscall tracepoint. */
	smp_mb();
	rvisor_sandbox_mark_tasks(sb);
	rvisor_view_start(sb);
	r = 0;
out:
	mutex_unlock(&rvisor_registry_lock);
	put_task_struct(task);
	put_pid(pid);
	return r;
}

long rvisor_sandbox_set_policy(u64 id, struct rvisor_kpolicy *kp)
{
	struct rvisor_kpolicy *old;
	struct rvisor_sandbox *sb;

	mutex_lock(&rvisor_registry_lock);
	sb = rvisor_sandbox_find(id);
	if (!sb || test_bit(RVISOR_SB_DESTROYING, &sb->state)) {
		mutex_unlock(&rvisor_registry_lock);
		rvisor_policy_free(kp);
		return -ENOENT;
	}
	old = rcu_replace_pointer(sb->policy, kp, lockdep_is_held(&rvisor_registry_lock));
	mutex_unlock(&rvisor_registry_lock);
	kfree_rcu(old, rcu);
	return 0;
}

long rvisor_sandbox_kill(u64 id, int sig)
{
	struct rvisor_sandbox *sb;
	long r = 0;

	if (sig < 1 || sig > _NSIG)
		return -EINVAL;
	mutex_lock(&rvisor_registry_lock);
	sb = rvisor_sandbox_find(id);
	if (!sb)
		r = -ENOENT;
	else if (test_bit(RVISOR_SB_BOUND, &sb->state))
		rvisor_sandbox_signal_all(sb, sig);
	mutex_unlock(&rvisor_registry_lock);
	return r;
}

static void rvisor_sandbox_unlink(struct rvisor_sandbox *sb)
{
	lockdep_assert_held(&rvisor_registry_lock);
	if (list_empty(&sb->node))
		return; /* a concurrent DESTROY won */
	list_del_init(&sb->node);
	hash_del_rcu(&sb->ns_node);
	rvisor_nr_sandboxes--;
	rvisor_sandbox_put(sb); /* the registry's reference; ours keeps it alive */
}

long rvisor_sandbox_destroy(u64 id)
{
	struct rvisor_sandbox *sb;
	unsigned int waited;
	long r = 0;

	mutex_lock(&rvisor_registry_lock);
	sb = rvisor_sandbox_find(id);
	if (!sb || !rvisor_sandbox_tryget(sb)) {
		mutex_unlock(&rvisor_registry_lock);
		return -ENOENT;
	}
	set_bit(RVISOR_SB_DESTROYING, &sb->state);
	mutex_unlock(&rvisor_registry_lock);

	/* Killing again on each round catches tasks forked while the first signal travelled. */
	for (waited = 0; rvisor_sandbox_walk_tasks(sb); waited += RVISOR_DESTROY_POLL_MS) {
		if (waited >= RVISOR_DESTROY_WAIT_MS) {
			r = -EBUSY;
			goto out;
		}
		rvisor_sandbox_signal_all(sb, SIGKILL);
		if (msleep_interruptible(RVISOR_DESTROY_POLL_MS)) {
			r = -EINTR;
			goto out;
		}
	}

	mutex_lock(&rvisor_registry_lock);
	rvisor_sandbox_unlink(sb);
	mutex_unlock(&rvisor_registry_lock);
	/* An rvisorfs mount may keep it for a while; its files answer ESRCH from now on. */
	rvisor_view_stop(sb);
out:
	rvisor_sandbox_put_sync(sb);
	return r;
}

/* Destroys the sandboxes created to die with their manager. From rvisor_manager_wq: a
 * manager killed with SIGKILL closes its file with a fatal signal pending, which would cut
 * DESTROY's waits short in its own context. */
static void rvisor_sandbox_manager_closed_work(struct work_struct *work)
{
	struct rvisor_sandbox *sb;
	u64 id;

	for (;;) {
		id = 0;
		mutex_lock(&rvisor_registry_lock);
		list_for_each_entry(sb, &rvisor_sandboxes, node) {
			if ((sb->flags & RVISOR_SANDBOX_DIE_WITH_MANAGER) &&
			    !test_bit(RVISOR_SB_DESTROYING, &sb->state)) {
				id = sb->id;
				break;
			}
		}
		mutex_unlock(&rvisor_registry_lock);
		if (!id)
			return;
		if (rvisor_sandbox_destroy(id) < 0)
			pr_warn(RVISOR_LOG_PREFIX "sandbox %llu outlives its manager: tasks would not die\n", id);
	}
}

static DECLARE_WORK(rvisor_manager_closed_work, rvisor_sandbox_manager_closed_work);

void rvisor_sandbox_manager_closed(void)
{
	queue_work(rvisor_free_wq, &rvisor_manager_closed_work);
	flush_work(&rvisor_manager_closed_work); /* uninterruptible: done before the next open */
}

long rvisor_sandbox_list(u64 __user *ids, u32 capacity, u32 *ret_count)
{
	struct rvisor_sandbox *sb;
	u32 n = 0, count;
	u64 *buf;
	long r = 0;

	buf = kvcalloc(min_t(u32, capacity, RVISOR_MAX_SANDBOXES), sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mutex_lock(&rvisor_registry_lock);
	count = rvisor_nr_sandboxes;
	list_for_each_entry(sb, &rvisor_sandboxes, node)
		if (n < capacity && n < RVISOR_MAX_SANDBOXES)
			buf[n++] = sb->id;
	mutex_unlock(&rvisor_registry_lock);

	if (n && copy_to_user(ids, buf, n * sizeof(*buf)))
		r = -EFAULT;
	kvfree(buf);
	*ret_count = count;
	return r;
}

long rvisor_sandbox_stats(struct rvisor_sandbox_stats *st, struct rvisor_syscall_counts __user *counts)
{
	struct rvisor_syscall_counts *sum;
	struct rvisor_sandbox *sb;
	unsigned int i, n;
	long r = 0;
	int cpu;

	sum = kvcalloc(RVISOR_NR_SYSCALLS + 1, sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;

	mutex_lock(&rvisor_registry_lock);
	sb = rvisor_sandbox_find(st->id);
	if (!sb) {
		mutex_unlock(&rvisor_registry_lock);
		kvfree(sum);
		return -ENOENT;
	}
	for_each_possible_cpu(cpu) {
		const struct rvisor_counters *c = per_cpu_ptr(sb->counters, cpu);

		for (i = 0; i <= RVISOR_NR_SYSCALLS; i++) {
			sum[i].passed += READ_ONCE(c->c[i].passed);
			sum[i].emulated += READ_ONCE(c->c[i].emulated);
			sum[i].denied += READ_ONCE(c->c[i].denied);
		}
	}
	memset(&st->total, 0, sizeof(st->total));
	for (i = 0; i <= RVISOR_NR_SYSCALLS; i++) {
		st->total.passed += sum[i].passed;
		st->total.emulated += sum[i].emulated;
		st->total.denied += sum[i].denied;
	}
	st->state = (test_bit(RVISOR_SB_BOUND, &sb->state) ? RVISOR_SANDBOX_BOUND : 0) |
		    (test_bit(RVISOR_SB_INIT_EXITED, &sb->state) ? RVISOR_SANDBOX_INIT_EXITED : 0) |
		    (test_bit(RVISOR_SB_ARMED, &sb->state) ? RVISOR_SANDBOX_ARMED : 0);
	st->flags = sb->flags;
	st->nr_tasks = rvisor_sandbox_count_tasks(sb);
	st->events_suppressed = rvisor_events_suppressed(sb);
	st->emulated_faulting = atomic64_read(&sb->emulated_faulting);
	st->init_pid = sb->init_pid ? pid_nr(sb->init_pid) : 0;
	st->init_exit_status = READ_ONCE(sb->init_exit_status);
	st->start_time_ns = sb->start_time_ns;
	st->memory_limit = sb->memory_limit;
	memcpy(st->name, sb->name, sizeof(st->name));
	raw_spin_lock(&sb->uts_lock);
	memcpy(st->nodename, sb->nodename, sizeof(st->nodename));
	memcpy(st->domainname, sb->domainname, sizeof(st->domainname));
	raw_spin_unlock(&sb->uts_lock);
	mutex_unlock(&rvisor_registry_lock);

	n = min_t(u32, st->nr_counts, RVISOR_NR_SYSCALLS + 1);
	if (n && copy_to_user(counts, sum, n * sizeof(*sum)))
		r = -EFAULT;
	st->nr_counts = n;
	kvfree(sum);
	return r;
}
