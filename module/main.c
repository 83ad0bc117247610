// SPDX-License-Identifier: GPL-2.0
/* rvisor.ko entry points: brings the parts up in order and down in reverse. */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/rcupdate_wait.h>
#include <linux/stringify.h>
#include <linux/tracepoint.h>
#include <linux/rvisor.h>

#include "internal.h"

/* The ABI, for anyone to read in /sys/module/rvisor/parameters/abi_version without opening
 * the device, which has one opener (rvisorctl status reads it there). */
static unsigned int abi_version = RVISOR_ABI_VERSION;
module_param(abi_version, uint, 0444);
MODULE_PARM_DESC(abi_version, "The user/kernel ABI this module speaks (read-only)");

static int __init rvisor_init(void)
{
	int r;

	r = rvisor_gate_init();
	if (r < 0)
		return r;
	r = rvisor_sandbox_init();
	if (r < 0)
		return r;
	r = rvisor_control_init();
	if (r < 0)
		goto fail_control;
	r = rvisorfs_init();
	if (r < 0)
		goto fail_fs;

	pr_info(RVISOR_LOG_PREFIX "version %s (ABI %d) loaded\n", RVISOR_VERSION, RVISOR_ABI_VERSION);
	return 0;

fail_fs:
	rvisor_control_exit();
fail_control:
	rvisor_sandbox_exit();
	return r;
}

static void __exit rvisor_exit(void)
{
	/* Sandboxes and rvisorfs mounts pin the module, so none exists here, no probe is
	 * attached and no load sampler is queued. */
	rvisorfs_exit();
	rvisor_control_exit();
	rvisor_sandbox_exit();
	tracepoint_synchronize_unregister();
	/* A queued emulation drops its module reference just before it returns (emulate.c):
	 * wait until no task can still be between that put and its return, even preempted. */
	synchronize_rcu_tasks();
	pr_info(RVISOR_LOG_PREFIX "unloaded\n");
}

module_init(rvisor_init);
module_exit(rvisor_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The rvisor authors");
MODULE_DESCRIPTION("rvisor: in-kernel syscall gate for sandboxed containers");
MODULE_VERSION(RVISOR_VERSION);
MODULE_INFO(abi, __stringify(RVISOR_ABI_VERSION));
