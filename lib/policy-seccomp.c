/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy's seccomp filter: a compiled struct rvisor_policy as libseccomp filters, built
 * by the daemon before it clones a sandbox (exported to BPF, so that the child only has to
 * install them) and installed by the workload just before its execve(). Without rvisor.ko it
 * is the sandbox's syscall policy; with rvisor.ko it is the second layer under the gate.
 * Seccomp runs first at syscall entry: what the filter refuses never reaches the gate, what
 * it lets through (PASS, LOG, EMULATE) the gate judges again. Behind the gate, the refusals
 * the policy keeps quiet are the gate's alone (left_to_gate()), so that they are counted.
 *
 * Up to three filters, because libseccomp cannot say "allow prctl for these options, EPERM
 * for the others" in a filter whose default is something else (a syscall's unconditional rule
 * hides its conditional ones, and an unmatched condition falls through to the filter's
 * default), and an ioctl outside the list answers ENOTTY where the other rules answer EPERM:
 *
 *   ioctl filter     only when the ioctl list applies and ioctl passes. Default
 *                    ERRNO(ENOTTY); ioctl ALLOWed for the listed requests, every other
 *                    table syscall ALLOW; other architectures ALLOW (left to the main filter)
 *   argument filter  only when another argument rule applies to a syscall that passes.
 *                    Default ERRNO(EPERM); every table syscall ALLOW, except those with an
 *                    argument rule, which are ALLOWed only for the values the rule lets
 *                    through (clone3: ERRNO(ENOSYS)); other architectures ALLOW
 *   main filter      the policy's action per syscall, its default for the rest, ENOSYS for
 *                    ia32 and x32 (libseccomp's bad-architecture action, and its check of
 *                    the x32 bit on x86-64), as rvisor.ko refuses them
 *
 * The kernel runs every filter and keeps the most restrictive answer (KILL > ERRNO > LOG >
 * ALLOW), the newest filter's on a tie: so a PASS or LOG syscall is refused by a violated
 * argument rule, and a DENY, KILL or EMULATE one keeps its own action, as in rvisor.ko.
 * tests/unit/test-policy.c runs the exported programs for every syscall number,
 * architecture and ruled argument against rvisor.ko's decision.
 *
 * Speed: since Linux 5.11 the kernel emulates each filter once per syscall number when it is
 * loaded and remembers the numbers every filter allows whatever the arguments; those skip
 * the filters from then on. Only the syscalls with an argument rule (ioctl, socket,
 * socketpair, prctl, personality, clone, unshare) and what the policy refuses or logs run BPF
 * each time.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

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

static uint32_t scmp_action(unsigned int action, unsigned int error, unsigned int flags)
{
	switch (action) {
	case RVISOR_ACTION_DENY:
		return SCMP_ACT_ERRNO(error);
	case RVISOR_ACTION_KILL:
		return SCMP_ACT_KILL_PROCESS;
	case RVISOR_ACTION_LOG:
		/* behind the gate, the gate logs it (as a record with the syscall's name) */
		return flags & POLICY_SECCOMP_WITH_GATE ? SCMP_ACT_ALLOW : SCMP_ACT_LOG;
	default:
		/* PASS; EMULATE too: seccomp cannot emulate. Behind the gate the call goes on to
		 * it; alone, the sandbox's own UTS namespace keeps uname and sethostname inside. */
		return SCMP_ACT_ALLOW;
	}
}

/* Behind the gate, a refusal the policy keeps quiet (clone3's ENOSYS at each pthread_create)
 * is left to the gate, which refuses the call all the same and counts it: seccomp counts
 * nothing. Only DENY and argument rules; KILL stays the filter's too. */
static bool left_to_gate(const struct rvisor_policy *p, int nr, unsigned int flags)
{
	return (flags & POLICY_SECCOMP_WITH_GATE) && policy_quiet(p, nr) &&
	       p->syscalls[nr].action != RVISOR_ACTION_KILL;
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
	/* the workload sets no_new_privs itself before it installs the filter */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r >= 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch);
	if (r < 0)
		return r;
	/* optional: the kernel's own errno; a binary tree over syscalls */
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

/* The families; with the netlink filter, AF_NETLINK only with a listed protocol (A2). */
static int allow_families(scmp_filter_ctx ctx, int nr, const struct rvisor_policy *p)
{
	bool netlink = p->flags & RVISOR_POLICY_FILTER_NETLINK;
	uint32_t list[64], n = 0;
	int r;

	for (uint32_t f = 0; f < 64; f++)
		if ((p->socket_families & (UINT64_C(1) << f)) && !(netlink && f == AF_NETLINK))
			list[n++] = f;
	r = allow_u32(ctx, nr, 0, list, n);
	if (r < 0 || !netlink || !(p->socket_families & (UINT64_C(1) << AF_NETLINK)))
		return r;
	for (uint32_t proto = 0; proto < 32; proto++) {
		struct scmp_arg_cmp cmp[] = {
			{ 0, SCMP_CMP_MASKED_EQ, UINT32_MAX, AF_NETLINK },
			{ 2, SCMP_CMP_MASKED_EQ, UINT32_MAX, proto },
		};

		if (!(p->netlink_protocols & (UINT32_C(1) << proto)))
			continue;
		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, ARRAY_SIZE(cmp), cmp);
		if (r < 0)
			return r;
	}
	return 0;
}

/* personality(2): a query, or a persona without the unsafe flags (A0 is an unsigned int). */
static int allow_personality(scmp_filter_ctx ctx, int nr)
{
	int r;

	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, UINT32_MAX, RVISOR_PERSONALITY_QUERY));
	if (r >= 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, RVISOR_PERSONALITY_UNSAFE, 0));
	return r;
}

/* ALLOW unless A0 has one of the flags. */
static int allow_without(scmp_filter_ctx ctx, int nr, uint64_t flags)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flags, 0));
}

/* The ioctl filter, or NULL when ioctl passes without a list. */
static int ioctl_filter_new(const struct rvisor_policy *p, unsigned int flags, scmp_filter_ctx *ret)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	int r;

	*ret = NULL;
	if (!(p->flags & RVISOR_POLICY_FILTER_IOCTL) || !passes(p, __NR_ioctl) ||
	    left_to_gate(p, __NR_ioctl, flags))
		return 0;
	r = filter_new(SCMP_ACT_ERRNO(ENOTTY), SCMP_ACT_ALLOW, &ctx);
	if (r < 0)
		return r;
	for (int nr = 0; nr < RVISOR_NR_SYSCALLS; nr++) {
		if (nr == __NR_ioctl)
			r = allow_u32(ctx, nr, 1, p->ioctls, p->nr_ioctls);
		else
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(ctx);
	return 0;
}

/* The argument filter, or NULL when no argument rule (but ioctl's) applies to a PASS or LOG
 * syscall. */
static int args_filter_new(const struct rvisor_policy *p, unsigned int flags, scmp_filter_ctx *ret)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	bool ns = p->flags & RVISOR_POLICY_ALLOW_NAMESPACES;
	bool socket = (p->flags & RVISOR_POLICY_FILTER_SOCKET) &&
		      (passes(p, __NR_socket) || passes(p, __NR_socketpair));
	bool prctl = (p->flags & RVISOR_POLICY_FILTER_PRCTL) && passes(p, __NR_prctl);
	bool personality = passes(p, __NR_personality);
	bool clone = !ns && (passes(p, __NR_clone) || passes(p, __NR_unshare) ||
			     passes(p, __NR_clone3));
	int r;

	*ret = NULL;
	if (!socket && !prctl && !personality && !clone)
		return 0;
	r = filter_new(SCMP_ACT_ERRNO(EPERM), SCMP_ACT_ALLOW, &ctx);
	if (r < 0)
		return r;

	for (int nr = 0; nr < RVISOR_NR_SYSCALLS; nr++) {
		if (!passes(p, nr) || left_to_gate(p, nr, flags))
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		else if ((nr == __NR_socket || nr == __NR_socketpair) && socket)
			r = allow_families(ctx, nr, p);
		else if (nr == __NR_personality)
			r = allow_personality(ctx, nr);
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

/* The main filter: only x86-64, as rvisor.ko (libseccomp refuses the x32 bit on x86-64 with
 * the bad-architecture action too). */
static int main_filter_new(const struct rvisor_policy *p, unsigned int flags, scmp_filter_ctx *ret)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	uint32_t def = scmp_action(p->default_action, p->default_errno, flags);
	int r;

	r = filter_new(def, SCMP_ACT_ERRNO(ENOSYS), &ctx);
	if (r < 0)
		return r;
	for (int nr = 0; nr < RVISOR_NR_SYSCALLS; nr++) {
		const struct rvisor_syscall_rule *rule = &p->syscalls[nr];
		uint32_t a = left_to_gate(p, nr, flags) ? SCMP_ACT_ALLOW : scmp_action(rule->action, rule->error, flags);

		if (a == def)
			continue;
		r = seccomp_rule_add(ctx, a, nr, 0);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(ctx);
	return 0;
}

/* ctx as a program of f's: libseccomp exports BPF to a descriptor only (2.5). */
static int program_take(struct policy_seccomp *f, scmp_filter_ctx ctx)
{
	_cleanup_close_ int fd = memfd_create("rvisor-seccomp", MFD_CLOEXEC);
	struct sock_filter *insns;
	off_t size;
	int r;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -E2BIG;
	insns = malloc((size_t)size);
	if (!insns)
		return -ENOMEM;
	if (pread(fd, insns, (size_t)size, 0) != size) {
		free(insns);
		return -EIO;
	}
	f->progs[f->n].filter = insns;
	f->progs[f->n].len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	f->n++;
	return 0;
}

int policy_seccomp_compile(const struct rvisor_policy *p, unsigned int flags,
			   struct policy_seccomp **ret)
{
	_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
	_cleanup_seccomp_ scmp_filter_ctx ioctl = NULL, args = NULL, main = NULL;
	int r;

	if (!ret || (flags & ~POLICY_SECCOMP_WITH_GATE) || policy_kernel_validate(p) < 0)
		return -EINVAL;
	/* the policy speaks x86-64 numbers */
	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		return -EOPNOTSUPP;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	r = ioctl_filter_new(p, flags, &ioctl);
	if (r >= 0 && ioctl)
		r = program_take(f, ioctl);
	if (r >= 0)
		r = args_filter_new(p, flags, &args);
	if (r >= 0 && args)
		r = program_take(f, args);
	if (r >= 0)
		r = main_filter_new(p, flags, &main);
	if (r >= 0)
		r = program_take(f, main);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(f);
	return 0;
}

int policy_seccomp_install(const struct policy_seccomp *f)
{
	for (unsigned int i = 0; i < f->n; i++)
		/* no flags: one thread (no TSYNC), and no SPEC_ALLOW: the kernel's speculation
		 * mitigation for filtered tasks stays as the host configured it */
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f->progs[i]) < 0)
			return -errno;
	return 0;
}

struct policy_seccomp *policy_seccomp_free(struct policy_seccomp *f)
{
	if (f) {
		for (unsigned int i = 0; i < ARRAY_SIZE(f->progs); i++)
			free(f->progs[i].filter);
		free(f);
	}
	return NULL;
}

int policy_seccomp_load(const struct rvisor_policy *p, unsigned int flags)
{
	_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
	int r;

	r = policy_seccomp_compile(p, flags, &f);
	if (r < 0)
		return r;
	return policy_seccomp_install(f);
}

int policy_seccomp_write(const struct policy_seccomp *f, int fd)
{
	for (unsigned int i = 0; i < f->n; i++) {
		const char *b = (const char *)f->progs[i].filter;
		size_t left = f->progs[i].len * sizeof(struct sock_filter);

		while (left > 0) {
			ssize_t k = write(fd, b, left);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return -errno;
			b += k;
			left -= (size_t)k;
		}
	}
	return (int)f->n;
}

int policy_seccomp_export_bpf(const struct rvisor_policy *p, unsigned int flags, int fd)
{
	_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
	int r;

	r = policy_seccomp_compile(p, flags, &f);
	if (r < 0)
		return r;
	return policy_seccomp_write(f, fd);
}
