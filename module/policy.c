// SPDX-License-Identifier: GPL-2.0
/*
 * Policies: copied from user space once, validated completely, then read lock-free by the
 * gate. Argument rules look only at register arguments: the gate never reads user memory
 * (it may run with preemption disabled), which is why clone3 is refused wholesale.
 */
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <asm/unistd.h>

#include "internal.h"

/* Namespace-creating clone/unshare flags. CLONE_NEWTIME (0x80) shares its bit with the exit
 * signal in clone()'s flags, so it only counts for unshare. */
#define RVISOR_CLONE_NS_FLAGS                                                                   \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)

static bool rvisor_rule_valid(u16 action, u16 error, bool in_table)
{
	if (action >= RVISOR_ACTION_MAX)
		return false;
	if (action == RVISOR_ACTION_DENY)
		return error >= 1 && error <= MAX_ERRNO;
	if (action == RVISOR_ACTION_EMULATE && !in_table)
		return false; /* the default cannot be EMULATE: rvisor emulates named syscalls */
	return error == 0;
}

/* The syscalls whose work the gate never sees (it runs in io_uring's own context). */
static const unsigned int rvisor_ungated_syscalls[] = {
	__NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
};

static bool rvisor_action_runs(u16 action)
{
	return action == RVISOR_ACTION_PASS || action == RVISOR_ACTION_LOG;
}

/* A policy that lets the gate be bypassed must say so (RVISOR_POLICY_UNGATED). */
static int rvisor_policy_check_ungated(const struct rvisor_policy *p)
{
	unsigned int i;

	if (p->flags & RVISOR_POLICY_UNGATED)
		return 0;
	for (i = 0; i < ARRAY_SIZE(rvisor_ungated_syscalls); i++) {
		unsigned int nr = rvisor_ungated_syscalls[i];
		u16 action = nr < RVISOR_NR_SYSCALLS ? p->syscalls[nr].action : p->default_action;

		if (rvisor_action_runs(action))
			return -EPERM;
	}
	return 0;
}

static int rvisor_policy_validate(const struct rvisor_policy *p)
{
	unsigned int i;

	if (p->flags & ~RVISOR_POLICY_FLAGS_ALL)
		return -EINVAL;
	/* ABI 2 passed these without judging them; nothing can judge them now. */
	if (p->flags & (RVISOR_POLICY_ALLOW_COMPAT | RVISOR_POLICY_ALLOW_X32))
		return -EOPNOTSUPP;
	if (!rvisor_rule_valid(p->default_action, p->default_errno, false))
		return -EINVAL;
	if (p->nr_ioctls > RVISOR_MAX_IOCTL_RULES || p->nr_prctls > RVISOR_MAX_PRCTL_RULES)
		return -EINVAL;
	for (i = p->nr_ioctls; i < RVISOR_MAX_IOCTL_RULES; i++)
		if (p->ioctls[i])
			return -EINVAL;
	for (i = p->nr_prctls; i < RVISOR_MAX_PRCTL_RULES; i++)
		if (p->prctls[i])
			return -EINVAL;
	if (p->reserved0 || (!(p->flags & RVISOR_POLICY_FILTER_NETLINK) && p->netlink_protocols))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(p->reserved); i++)
		if (p->reserved[i])
			return -EINVAL;
	for (i = 0; i < RVISOR_NR_SYSCALLS; i++) {
		const struct rvisor_syscall_rule *r = &p->syscalls[i];

		if (!rvisor_rule_valid(r->action, r->error, true))
			return -EINVAL;
		if (r->action == RVISOR_ACTION_EMULATE && !rvisor_emulates(i))
			return -EINVAL;
	}
	return rvisor_policy_check_ungated(p);
}

struct rvisor_kpolicy *rvisor_policy_from_user(u64 uptr)
{
	struct rvisor_kpolicy *kp;
	int r;

	kp = kzalloc(sizeof(*kp), GFP_KERNEL);
	if (!kp)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(&kp->p, u64_to_user_ptr(uptr), sizeof(kp->p))) {
		kfree(kp);
		return ERR_PTR(-EFAULT);
	}
	r = rvisor_policy_validate(&kp->p);
	if (r < 0) {
		kfree(kp);
		return ERR_PTR(r);
	}
	return kp;
}

void rvisor_policy_free(struct rvisor_kpolicy *kp)
{
	kfree(kp);
}

static bool rvisor_u32_listed(const u32 *list, u32 n, u32 v)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/* socket(2) and socketpair(2): the family, and for netlink the protocol. */
static int rvisor_check_socket(const struct rvisor_policy *p, const struct pt_regs *regs)
{
	int family = (int)regs->di; /* the kernel reads ints: judge what it will see */
	u32 protocol = (u32)regs->dx;

	if (!(p->flags & RVISOR_POLICY_FILTER_SOCKET))
		return 0;
	if (family < 0 || family >= 64 || !(p->socket_families & BIT_ULL(family)))
		return -EPERM;
	if (family == AF_NETLINK && (p->flags & RVISOR_POLICY_FILTER_NETLINK) &&
	    (protocol >= 32 || !(p->netlink_protocols & BIT(protocol))))
		return -EPERM;
	return 0;
}

/* For an x86-64 syscall about to PASS: 0, or -errno when a rule refuses (EPERM; ENOTTY for
 * ioctl, ENOSYS for clone3). Reads the argument registers of the syscalls with rules only. */
int rvisor_policy_check_args(const struct rvisor_policy *p, long nr, const struct pt_regs *regs)
{
	bool ns_ok = p->flags & RVISOR_POLICY_ALLOW_NAMESPACES;
	const unsigned long args[2] = { regs->di, regs->si };

	switch (nr) {
	case __NR_ioctl:
		/* (u32): the kernel's cmd is an unsigned int, higher bits are ignored */
		if ((p->flags & RVISOR_POLICY_FILTER_IOCTL) &&
		    !rvisor_u32_listed(p->ioctls, p->nr_ioctls, (u32)args[1]))
			return -ENOTTY;
		return 0;
	case __NR_socket:
	case __NR_socketpair:
		return rvisor_check_socket(p, regs);
	case __NR_personality:
		/* (u32): the kernel takes an unsigned int */
		return (u32)args[0] != RVISOR_PERSONALITY_QUERY &&
		       ((u32)args[0] & RVISOR_PERSONALITY_UNSAFE) ? -EPERM : 0;
	case __NR_prctl:
		if ((p->flags & RVISOR_POLICY_FILTER_PRCTL) &&
		    !rvisor_u32_listed(p->prctls, p->nr_prctls, (u32)args[0]))
			return -EPERM;
		return 0;
	case __NR_clone:
		return !ns_ok && (args[0] & RVISOR_CLONE_NS_FLAGS) ? -EPERM : 0;
	case __NR_unshare:
		return !ns_ok && (args[0] & (RVISOR_CLONE_NS_FLAGS | CLONE_NEWTIME)) ? -EPERM : 0;
	case __NR_clone3:
		return ns_ok ? 0 : -ENOSYS;
	default:
		return 0;
	}
}
