// SPDX-License-Identifier: GPL-2.0
/* Configure probe: can a tracepoint say whether its probes may fault (faultable syscall
 * tracepoints, 6.13+)? */
#include <linux/module.h>
#include <linux/tracepoint.h>

static int __init test_init(void)
{
	struct tracepoint *tp = NULL;

	return tp && tracepoint_is_faultable(tp) ? -EINVAL : 0;
}
module_init(test_init);
MODULE_LICENSE("GPL");
