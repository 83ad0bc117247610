// SPDX-License-Identifier: GPL-2.0
/*
 * The control device /dev/rvisor: a misc device through which the manager (rvisord) talks to
 * the module: ioctls to drive sandboxes, read()/poll() for events. Ioctls are dispatched from one table indexed by their number; the full command
 * (size and direction included) must match the table, so a caller built against another
 * layout gets -EINVAL instead of a misread argument.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/poll.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/rvisor.h>

#include "internal.h"

static long rvisor_ioctl_version(struct file *file, void __user *argp)
{
	struct rvisor_version v;

	BUILD_BUG_ON(sizeof(v) != 72);

	memset(&v, 0, sizeof(v));
	v.abi_version = RVISOR_ABI_VERSION;
	v.flags = (rvisor_selftest_verified() ? RVISOR_VERSION_F_SKIP_VERIFIED : 0) |
		  (rvisor_selftest_broken() ? RVISOR_VERSION_F_SKIP_BROKEN : 0);
	strscpy(v.module_version, RVISOR_VERSION, sizeof(v.module_version));

	if (copy_to_user(argp, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long rvisor_ioctl_create(struct file *file, void __user *argp)
{
	struct rvisor_sandbox_spec spec;
	long r;

	if (copy_from_user(&spec, argp, sizeof(spec)))
		return -EFAULT;
	r = rvisor_sandbox_create(&spec);
	if (r < 0)
		return r;
	if (put_user(spec.id, (u64 __user *)(argp + offsetof(struct rvisor_sandbox_spec, id)))) {
		rvisor_sandbox_destroy(spec.id); /* the caller could not learn its id */
		return -EFAULT;
	}
	return 0;
}

static long rvisor_ioctl_bind(struct file *file, void __user *argp)
{
	struct rvisor_sandbox_bind b;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	return rvisor_sandbox_bind(&b);
}

static long rvisor_ioctl_set_policy(struct file *file, void __user *argp)
{
	struct rvisor_sandbox_policy sp;
	struct rvisor_kpolicy *kp;

	if (copy_from_user(&sp, argp, sizeof(sp)))
		return -EFAULT;
	if (memchr_inv(sp.reserved, 0, sizeof(sp.reserved)))
		return -EINVAL;
	kp = rvisor_policy_from_user(sp.policy);
	if (IS_ERR(kp))
		return PTR_ERR(kp);
	return rvisor_sandbox_set_policy(sp.id, kp);
}

static long rvisor_ioctl_kill(struct file *file, void __user *argp)
{
	struct rvisor_sandbox_kill k;

	if (copy_from_user(&k, argp, sizeof(k)))
		return -EFAULT;
	if (k.flags || memchr_inv(k.reserved, 0, sizeof(k.reserved)))
		return -EINVAL;
	return rvisor_sandbox_kill(k.id, k.signal);
}

static long rvisor_ioctl_destroy(struct file *file, void __user *argp)
{
	struct rvisor_sandbox_id d;

	if (copy_from_user(&d, argp, sizeof(d)))
		return -EFAULT;
	if (memchr_inv(d.reserved, 0, sizeof(d.reserved)))
		return -EINVAL;
	return rvisor_sandbox_destroy(d.id);
}

static long rvisor_ioctl_list(struct file *file, void __user *argp)
{
	struct rvisor_sandbox_list l;
	long r;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (memchr_inv(l.reserved, 0, sizeof(l.reserved)))
		return -EINVAL;
	r = rvisor_sandbox_list(u64_to_user_ptr(l.ids), l.capacity, &l.count);
	if (r < 0)
		return r;
	return copy_to_user(argp, &l, sizeof(l)) ? -EFAULT : 0;
}

static long rvisor_ioctl_stats(struct file *file, void __user *argp)
{
	struct rvisor_sandbox_stats st;
	long r;

	if (copy_from_user(&st, argp, sizeof(st)))
		return -EFAULT;
	if (memchr_inv(st.reserved, 0, sizeof(st.reserved)) ||
	    memchr_inv(st.reserved1, 0, sizeof(st.reserved1)))
		return -EINVAL;
	r = rvisor_sandbox_stats(&st, u64_to_user_ptr(st.counts));
	if (r < 0)
		return r;
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long rvisor_ioctl_selftest(struct file *file, void __user *argp)
{
	struct rvisor_selftest t;
	long r;

	if (copy_from_user(&t, argp, sizeof(t)))
		return -EFAULT;
	r = rvisor_selftest_ioctl(&t);
	if (r < 0)
		return r;
	return copy_to_user(argp, &t, sizeof(t)) ? -EFAULT : 0;
}

struct rvisor_ioctl_entry {
	unsigned int cmd;
	long (*handler)(struct file *file, void __user *argp);
};

static const struct rvisor_ioctl_entry rvisor_ioctls[] = {
	[_IOC_NR(RVISOR_IOC_VERSION)] = { RVISOR_IOC_VERSION, rvisor_ioctl_version },
	[_IOC_NR(RVISOR_IOC_SANDBOX_CREATE)] = { RVISOR_IOC_SANDBOX_CREATE, rvisor_ioctl_create },
	[_IOC_NR(RVISOR_IOC_SANDBOX_BIND)] = { RVISOR_IOC_SANDBOX_BIND, rvisor_ioctl_bind },
	[_IOC_NR(RVISOR_IOC_SANDBOX_SET_POLICY)] = { RVISOR_IOC_SANDBOX_SET_POLICY, rvisor_ioctl_set_policy },
	[_IOC_NR(RVISOR_IOC_SANDBOX_KILL)] = { RVISOR_IOC_SANDBOX_KILL, rvisor_ioctl_kill },
	[_IOC_NR(RVISOR_IOC_SANDBOX_DESTROY)] = { RVISOR_IOC_SANDBOX_DESTROY, rvisor_ioctl_destroy },
	[_IOC_NR(RVISOR_IOC_SANDBOX_LIST)] = { RVISOR_IOC_SANDBOX_LIST, rvisor_ioctl_list },
	[_IOC_NR(RVISOR_IOC_SANDBOX_STATS)] = { RVISOR_IOC_SANDBOX_STATS, rvisor_ioctl_stats },
	[_IOC_NR(RVISOR_IOC_SELFTEST)] = { RVISOR_IOC_SELFTEST, rvisor_ioctl_selftest },
};

/* A sandboxed task must not drive sandboxes, even through a descriptor it inherited. */
bool rvisor_current_sandboxed(void)
{
	bool r;

	rcu_read_lock();
	r = rvisor_sandbox_of_task(current) != NULL;
	rcu_read_unlock();
	return r;
}

static long rvisor_control_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	const struct rvisor_ioctl_entry *entry;
	unsigned int nr = _IOC_NR(cmd);

	if (rvisor_current_sandboxed())
		return -EPERM;

	if (_IOC_TYPE(cmd) != RVISOR_IOC_MAGIC || nr >= ARRAY_SIZE(rvisor_ioctls))
		return -ENOTTY;
	entry = &rvisor_ioctls[array_index_nospec(nr, ARRAY_SIZE(rvisor_ioctls))];
	if (!entry->handler)
		return -ENOTTY;
	if (cmd != entry->cmd)
		return -EINVAL; /* known request, but another size or direction */
	return entry->handler(file, (void __user *)arg);
}

/* One manager at a time, so that ownership of the sandboxes is never ambiguous. */
static atomic_t rvisor_manager_present = ATOMIC_INIT(0);
static struct file *rvisor_manager_file; /* its open file, for rvisorfs's mount check */

static int rvisor_control_open(struct inode *inode, struct file *file)
{
	/* The file mode (0600 root) is the first check; the capability is the one that counts. */
	if (!capable(CAP_SYS_ADMIN) || rvisor_current_sandboxed())
		return -EPERM;
	if (atomic_cmpxchg(&rvisor_manager_present, 0, 1) != 0)
		return -EBUSY;
	WRITE_ONCE(rvisor_manager_file, file);
	return 0;
}

static int rvisor_control_release(struct inode *inode, struct file *file)
{
	/* Sandboxes outlive their manager unless created to die with it. */
	rvisor_selftest_release();
	rvisor_sandbox_manager_closed();
	WRITE_ONCE(rvisor_manager_file, NULL);
	atomic_set(&rvisor_manager_present, 0);
	return 0;
}

static ssize_t rvisor_control_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
{
	if (rvisor_current_sandboxed())
		return -EPERM;
	return rvisor_events_read(buf, count, file->f_flags & O_NONBLOCK);
}

static const struct file_operations rvisor_control_fops = {
	.owner = THIS_MODULE,
	.open = rvisor_control_open,
	.release = rvisor_control_release,
	.read = rvisor_control_read,
	.poll = rvisor_events_poll,
	.unlocked_ioctl = rvisor_control_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* Whether file is the current manager's open /dev/rvisor (held by the caller, so it cannot
 * be released meanwhile). */
bool rvisor_control_is_manager(const struct file *file)
{
	return file && file->f_op == &rvisor_control_fops && READ_ONCE(rvisor_manager_file) == file;
}

static struct miscdevice rvisor_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = RVISOR_DEVICE_NAME,
	.fops = &rvisor_control_fops,
	.mode = 0600,
};

int rvisor_control_init(void)
{
	int r;

	r = misc_register(&rvisor_miscdev);
	if (r < 0)
		pr_err(RVISOR_LOG_PREFIX "cannot register /dev/%s: %d\n", RVISOR_DEVICE_NAME, r);
	return r;
}

void rvisor_control_exit(void)
{
	misc_deregister(&rvisor_miscdev);
}
