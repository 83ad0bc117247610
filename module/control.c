// SPDX-License-Identifier: GPL-2.0
/*
 * The control device /dev/rvisor: a misc device through which the manager (rvisord) talks to
 * the module. Ioctls are dispatched from one table indexed by their number; the full command
 * (size and direction included) must match the table, so a caller built against another
 * layout gets -EINVAL instead of a misread argument.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
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
	strscpy(v.module_version, RVISOR_VERSION, sizeof(v.module_version));

	if (copy_to_user(argp, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

struct rvisor_ioctl_entry {
	unsigned int cmd;
	long (*handler)(struct file *file, void __user *argp);
};

static const struct rvisor_ioctl_entry rvisor_ioctls[] = {
	[_IOC_NR(RVISOR_IOC_VERSION)] = { RVISOR_IOC_VERSION, rvisor_ioctl_version },
};

static long rvisor_control_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	const struct rvisor_ioctl_entry *entry;
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != RVISOR_IOC_MAGIC || nr >= ARRAY_SIZE(rvisor_ioctls))
		return -ENOTTY;
	entry = &rvisor_ioctls[nr];
	if (!entry->handler)
		return -ENOTTY;
	if (cmd != entry->cmd)
		return -EINVAL; /* known request, but another size or direction */
	return entry->handler(file, (void __user *)arg);
}

static int rvisor_control_open(struct inode *inode, struct file *file)
{
	/* The file mode (0600 root) is the first check; the capability is the one that counts. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return 0;
}

static const struct file_operations rvisor_control_fops = {
	.owner = THIS_MODULE,
	.open = rvisor_control_open,
	.unlocked_ioctl = rvisor_control_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

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
