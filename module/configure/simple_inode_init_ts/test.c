// SPDX-License-Identifier: GPL-2.0
/* Configure probe: simple_inode_init_ts() (6.7+, when inode times became accessors)? */
#include <linux/module.h>
#include <linux/fs.h>

static int __init test_init(void)
{
	/* Type-checked, never run. */
	if (0)
		simple_inode_init_ts(NULL);
	return 0;
}
module_init(test_init);
MODULE_LICENSE("GPL");
