/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels rvisor.ko builds for lives here. Features are told
 * by configure probes (configure/<name>/test.c -> RVISOR_HAS_<NAME>) where an API changed.
 * Behaviour no compile test can see (whether the entry code honours a skipped syscall) is
 * decided by experiment, in selftest.c, never by version: vendors backport.
 */
#ifndef RVISOR_COMPAT_H
#define RVISOR_COMPAT_H

#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>

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

/* A new inode's times: one helper since the fields became accessors (6.7), the fields before. */
#ifdef RVISOR_HAS_SIMPLE_INODE_INIT_TS
#define rvisor_inode_init_ts(inode) simple_inode_init_ts(inode)
#else
static inline void rvisor_inode_init_ts(struct inode *inode)
{
	inode->i_atime = inode->i_mtime = inode->i_ctime = current_time(inode);
}
#endif

/* Whether tp's probes run where they may fault and sleep (the syscall tracepoints since 6.13:
 * preemption on, under RCU Tasks Trace); before, every probe runs with preemption off. */
static inline bool rvisor_tracepoint_may_fault(struct tracepoint *tp)
{
#ifdef RVISOR_HAS_TRACEPOINT_FAULTABLE
	return tracepoint_is_faultable(tp);
#else
	return false;
#endif
}

#endif
