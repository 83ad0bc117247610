/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels rvisor.ko builds for lives here. Features are told
 * by configure probes (configure/<name>/test.c -> RVISOR_HAS_<NAME>) where an API changed,
 * and by version only for behaviour no compile test can see.
 */
#ifndef RVISOR_COMPAT_H
#define RVISOR_COMPAT_H

#include <linux/sched.h>
#include <linux/version.h>

/*
 * A sys_enter probe skips a syscall by setting orig_ax to -1. The entry code honours that
 * only since "entry: Respect changes to system call number by trace_sys_enter()" (v6.9,
 * backported to the stable series below); before it the original syscall still runs, so
 * rvisor must not gate there. Conservative: a stable release that may lack it is refused.
 */
static inline bool rvisor_kernel_honours_skip(void)
{
	unsigned int v = LINUX_VERSION_CODE;

	if (v >= KERNEL_VERSION(6, 9, 0))
		return true;
	if (v >= KERNEL_VERSION(6, 8, 4))
		return true; /* 6.8.4 and later 6.8.y */
	if (v >= KERNEL_VERSION(6, 7, 12) && v < KERNEL_VERSION(6, 8, 0))
		return true;
	if (v >= KERNEL_VERSION(6, 6, 25) && v < KERNEL_VERSION(6, 7, 0))
		return true;
	if (v >= KERNEL_VERSION(6, 1, 84) && v < KERNEL_VERSION(6, 2, 0))
		return true;
	return false;
}

/* sched_process_exit gained a group_dead argument in newer kernels. Without it: do_exit()
 * counted the thread out of signal->live before the tracepoint, so the last thread of a
 * group sees 0 there (threads exiting together may all see it; the caller fires once). */
#ifdef RVISOR_HAS_SCHED_EXIT_GROUP_DEAD
#define RVISOR_EXIT_PROBE_PROTO(data, p) void *data, struct task_struct *p, bool group_dead
#define RVISOR_EXIT_GROUP_DEAD(p) (group_dead)
#else
#define RVISOR_EXIT_PROBE_PROTO(data, p) void *data, struct task_struct *p
#define RVISOR_EXIT_GROUP_DEAD(p) (atomic_read(&(p)->signal->live) == 0)
#endif

#endif
