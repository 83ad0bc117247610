/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seccomp fallback: a compiled struct rvisor_policy as libseccomp filters, for hosts
 * without rvisor.ko. Two filters, because libseccomp cannot say "allow ioctl for these
 * requests, EPERM for the others" in a filter whose default is something else (a syscall's
 * unconditional rule hides its conditional ones, and an unmatched condition falls through
 * to the filter's default):
 *
 *   argument filter  default ERRNO(EPERM); every table syscall ALLOW, except those with an
 *                    argument rule, which are ALLOWed only for the listed values (clone3:
 *                    ERRNO(ENOSYS)); other architectures ALLOW (left to the main filter)
 *   main filter      the policy's action per syscall, its default for the rest, ENOSYS for
 *                    architectures the policy does not allow
 *
 * The kernel runs every filter and keeps the most restrictive answer (KILL > ERRNO > LOG >
 * ALLOW), the newest filter's on a tie: so a PASS or LOG syscall is refused by a violated
 * argument rule, and a DENY, KILL or EMULATE one keeps its own action, as in rvisor.ko.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/syscall.h>

#include <seccomp.h>

#include "policy.h"

/* As module/policy.c: CLONE_NEWTIME shares its bit with clone()'s exit signal. */
#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |  \
	 CLONE_NEWCGROUP)

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

#define _cleanup_seccomp_ _cleanup_(seccomp_releasep)

static uint32_t scmp_action(unsigned int action, unsigned int error)
{
	switch (action) {
	case RVISOR_ACTION_DENY:
		return SCMP_ACT_ERRNO(error);
	case RVISOR_ACTION_KILL:
		return SCMP_ACT_KILL_PROCESS;
	case RVISOR_ACTION_LOG:
		return SCMP_ACT_LOG;
	default:
		/* PASS; EMULATE too: seccomp cannot emulate. The daemon gives the sandbox its own
		 * UTS namespace, so uname and sethostname stay inside it. */
		return SCMP_ACT_ALLOW;
	}
}

static bool passes(const struct rvisor_policy *p, int nr)
{
	unsigned int a = p->syscalls[nr].action;

	return a == RVISOR_ACTION_PASS || a == RVISOR_ACTION_LOG;
}

/* A filter for x86-64 only with the attributes both filters share. */
static int filter_new(uint32_t def, uint32_t badarch, scmp_filter_ctx *ret)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	int r;

	ctx = seccomp_init(def);
	if (!ctx)
		return -ENOMEM;
	/* the caller sets no_new_privs: libseccomp's own prctl() could be filtered already */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r >= 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch);
	if (r < 0)
		return r;
	/* optional: the kernel's own errno from seccomp_load(); a binary tree over syscalls */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	*ret = TAKE_PTR(ctx);
	return 0;
}

/* ALLOW when (A[arg] & 0xffffffff) is one of values: the kernel reads these arguments as
 * 32-bit, and musl sign-extends an int request into the 64-bit register. */
static int allow_u32(scmp_filter_ctx ctx, int nr, unsigned int arg, const uint32_t *values,
		     uint32_t n)
{
	int r;

	for (uint32_t i = 0; i < n; i++) {
		struct scmp_arg_cmp cmp = { arg, SCMP_CMP_MASKED_EQ, UINT32_MAX, values[i] };

		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
		if (r < 0)
			return r;
	}
	return 0;
}

static int allow_families(scmp_filter_ctx ctx, int nr, uint64_t families)
{
	uint32_t list[64], n = 0;

	for (uint32_t f = 0; f < 64; f++)
		if (families & (UINT64_C(1) << f))
			list[n++] = f;
	return allow_u32(ctx, nr, 0, list, n);
}

/* ALLOW unless A0 has one of the flags. */
static int allow_without(scmp_filter_ctx ctx, int nr, uint64_t flags)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flags, 0));
}

/* The argument filter, or NULL when no argument rule applies to a PASS or LOG syscall. */
static int args_filter_new(const struct rvisor_policy *p, scmp_filter_ctx *ret)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	bool ns = p->flags & RVISOR_POLICY_ALLOW_NAMESPACES;
	bool ioctl = (p->flags & RVISOR_POLICY_FILTER_IOCTL) && passes(p, __NR_ioctl);
	bool socket = (p->flags & RVISOR_POLICY_FILTER_SOCKET) &&
		      (passes(p, __NR_socket) || passes(p, __NR_socketpair));
	bool prctl = (p->flags & RVISOR_POLICY_FILTER_PRCTL) && passes(p, __NR_prctl);
	bool clone = !ns && (passes(p, __NR_clone) || passes(p, __NR_unshare) ||
			     passes(p, __NR_clone3));
	int r;

	if (!ioctl && !socket && !prctl && !clone) {
		*ret = NULL;
		return 0;
	}
	r = filter_new(SCMP_ACT_ERRNO(EPERM), SCMP_ACT_ALLOW, &ctx);
	if (r < 0)
		return r;

	for (int nr = 0; nr < RVISOR_NR_SYSCALLS; nr++) {
		if (!passes(p, nr))
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		else if (nr == __NR_ioctl && ioctl)
			r = allow_u32(ctx, nr, 1, p->ioctls, p->nr_ioctls);
		else if ((nr == __NR_socket || nr == __NR_socketpair) && socket)
			r = allow_families(ctx, nr, p->socket_families);
		else if (nr == __NR_prctl && prctl)
			r = allow_u32(ctx, nr, 0, p->prctls, p->nr_prctls);
		else if (nr == __NR_clone && !ns)
			r = allow_without(ctx, nr, CLONE_NS_FLAGS);
		else if (nr == __NR_unshare && !ns)
			r = allow_without(ctx, nr, CLONE_NS_FLAGS | CLONE_NEWTIME);
		else if (nr == __NR_clone3 && !ns)
			/* its flags are in memory BPF cannot read: libc falls back to clone */
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		else
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(ctx);
	return 0;
}

static int main_filter_new(const struct rvisor_policy *p, scmp_filter_ctx *ret)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	uint32_t def = scmp_action(p->default_action, p->default_errno);
	int r;

	r = filter_new(def, SCMP_ACT_ERRNO(ENOSYS), &ctx);
	if (r < 0)
		return r;
	/* rvisor.ko passes allowed ia32/x32 calls unexamined; here libseccomp applies the same
	 * rules to them by syscall name, which is stricter */
	if (p->flags & RVISOR_POLICY_ALLOW_COMPAT) {
		r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
		if (r < 0)
			return r;
	}
	if (p->flags & RVISOR_POLICY_ALLOW_X32) {
		r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
		if (r < 0)
			return r;
	}
	for (int nr = 0; nr < RVISOR_NR_SYSCALLS; nr++) {
		const struct rvisor_syscall_rule *rule = &p->syscalls[nr];
		uint32_t a = scmp_action(rule->action, rule->error);

		if (a == def)
			continue;
		r = seccomp_rule_add(ctx, a, nr, 0);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(ctx);
	return 0;
}

/* Both filters, in load order; filters[0] may be NULL. */
static int filters_new(const struct rvisor_policy *p, scmp_filter_ctx filters[2])
{
	int r;

	if (policy_kernel_validate(p) < 0)
		return -EINVAL;
	/* the policy speaks x86-64 numbers */
	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		return -EOPNOTSUPP;
	r = args_filter_new(p, &filters[0]);
	if (r < 0)
		return r;
	r = main_filter_new(p, &filters[1]);
	if (r < 0) {
		seccomp_releasep(&filters[0]);
		return r;
	}
	return 0;
}

static void filters_release(scmp_filter_ctx filters[2])
{
	seccomp_releasep(&filters[0]);
	seccomp_releasep(&filters[1]);
}

int policy_seccomp_load(const struct rvisor_policy *p)
{
	scmp_filter_ctx filters[2] = {};
	int r;

	r = filters_new(p, filters);
	if (r < 0)
		return r;
	for (int i = 0; i < 2 && r >= 0; i++)
		if (filters[i])
			r = seccomp_load(filters[i]);
	filters_release(filters);
	return r < 0 ? r : 0;
}

int policy_seccomp_export_bpf(const struct rvisor_policy *p, int fd)
{
	scmp_filter_ctx filters[2] = {};
	int r, n = 0;

	r = filters_new(p, filters);
	if (r < 0)
		return r;
	for (int i = 0; i < 2 && r >= 0; i++)
		if (filters[i]) {
			r = seccomp_export_bpf(filters[i], fd);
			n++;
		}
	filters_release(filters);
	return r < 0 ? r : n;
}
