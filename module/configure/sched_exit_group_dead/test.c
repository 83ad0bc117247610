// SPDX-License-Identifier: GPL-2.0
/* Configure probe: does the sched_process_exit tracepoint pass group_dead (newer kernels)? */
#include <linux/module.h>
#include <trace/events/sched.h>

static void probe(void *data, struct task_struct *p, bool group_dead)
{
}

static int __init test_init(void)
{
	/* Type-checked but never linked: the tracepoint symbol is not exported to modules. */
	if (0)
		return register_trace_sched_process_exit(probe, NULL);
	return 0;
}
module_init(test_init);
MODULE_LICENSE("GPL");
