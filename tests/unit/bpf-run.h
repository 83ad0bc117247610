/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Classic BPF for the tests of seccomp programs (tests/unit/test-policy.c, test-oci-seccomp.c,
 * tests/fuzz/fuzz-oci-seccomp.c): each program run the way the kernel runs it, without
 * installing it, and what the kernel refuses to load refused. */
#ifndef RVISOR_TEST_BPF_RUN_H
#define RVISOR_TEST_BPF_RUN_H

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* prog on d as the kernel runs it: A, X and the scratch words zero at the start, a division
 * by X = 0 ends the program with 0 (net/core/filter.c's conversion), a shift by X takes X's
 * low five bits (kernel/bpf/core.c). *ret_bad, and KILL_PROCESS for an answer: prog holds,
 * on the path d takes, what the kernel refuses to load (kernel/seccomp.c's
 * seccomp_check_filter(), net/core/filter.c's bpf_check_classic(): an instruction seccomp
 * has not, a constant it refuses, a jump out of the program, a scratch word loaded before it
 * is stored), or does not end in a return. */
static uint32_t bpf_run(const struct sock_fprog *prog, const struct seccomp_data *d, bool *ret_bad)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
	unsigned int len = prog->len, stored = 0;

	if (!prog->filter || len == 0 || len > BPF_MAXINSNS ||
	    (prog->filter[len - 1].code != (BPF_RET | BPF_K) && prog->filter[len - 1].code != (BPF_RET | BPF_A)))
		goto bad;
	for (unsigned int pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog->filter[pc];
		/* mode and size of a load or store; the kernel matches all 16 bits of the code */
		unsigned int code = f->code, mode = code & ~7U;
		uint32_t k = f->k, src = BPF_SRC(code) == BPF_X ? x : k, v;
		bool cond;

		switch (BPF_CLASS(code)) {
		case BPF_LD:
		case BPF_LDX:
			if (code == (BPF_LD | BPF_W | BPF_ABS) && k < sizeof(*d) && k % 4 == 0)
				memcpy(&v, (const char *)d + k, sizeof(v));
			else if (mode == (BPF_W | BPF_LEN))
				v = sizeof(*d);
			else if (mode == BPF_IMM)
				v = k;
			else if (mode == BPF_MEM && k < BPF_MEMWORDS && (stored & (1U << k)))
				v = mem[k];
			else
				goto bad;
			if (BPF_CLASS(code) == BPF_LD)
				a = v;
			else
				x = v;
			break;
		case BPF_ST:
		case BPF_STX:
			if (mode != 0 || k >= BPF_MEMWORDS)
				goto bad;
			mem[k] = BPF_CLASS(code) == BPF_ST ? a : x;
			stored |= 1U << k;
			break;
		case BPF_ALU:
			if (code > 0xff || (code == (BPF_ALU | BPF_DIV | BPF_K) && k == 0) ||
			    ((code == (BPF_ALU | BPF_LSH | BPF_K) || code == (BPF_ALU | BPF_RSH | BPF_K)) && k >= 32))
				goto bad;
			switch (BPF_OP(code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_DIV:
				if (src == 0)
					return 0;
				a /= src;
				break;
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_XOR: a ^= src; break;
			case BPF_LSH: a <<= src & 31; break;
			case BPF_RSH: a >>= src & 31; break;
			case BPF_NEG:
				if (code != (BPF_ALU | BPF_NEG))
					goto bad;
				a = -a;
				break;
			default: /* BPF_MOD too: seccomp refuses it */
				goto bad;
			}
			break;
		case BPF_JMP:
			if (code == (BPF_JMP | BPF_JA)) {
				if (k >= len - pc - 1)
					goto bad;
				pc += k;
				break;
			}
			/* both branches checked, as the kernel checks them before it runs any */
			if (code > 0xff || pc + f->jt + 1 >= len || pc + f->jf + 1 >= len)
				goto bad;
			switch (BPF_OP(code)) {
			case BPF_JEQ: cond = a == src; break;
			case BPF_JGT: cond = a > src; break;
			case BPF_JGE: cond = a >= src; break;
			case BPF_JSET: cond = (a & src) != 0; break;
			default: goto bad;
			}
			pc += cond ? f->jt : f->jf;
			break;
		case BPF_RET:
			if (code == (BPF_RET | BPF_K))
				return k;
			if (code == (BPF_RET | BPF_A))
				return a;
			goto bad; /* RET X: seccomp refuses it */
		case BPF_MISC:
			if (code == (BPF_MISC | BPF_TAX))
				x = a;
			else if (code == (BPF_MISC | BPF_TXA))
				a = x;
			else
				goto bad;
			break;
		}
	}
bad:
	*ret_bad = true;
	return SECCOMP_RET_KILL_PROCESS;
}

/* What the kernel answers with progs[0..n-1] installed in that order (kernel/seccomp.c's
 * seccomp_run_filters()): each runs, the most restrictive action wins, the newest program's
 * on a tie. */
static inline uint32_t bpf_run_stacked(const struct sock_fprog *progs, size_t n, const struct seccomp_data *d,
				       bool *ret_bad)
{
	uint32_t ret = SECCOMP_RET_ALLOW;

	for (size_t i = n; i-- > 0;) {
		uint32_t cur = bpf_run(&progs[i], d, ret_bad);

		if ((int32_t)(cur & SECCOMP_RET_ACTION_FULL) < (int32_t)(ret & SECCOMP_RET_ACTION_FULL))
			ret = cur;
	}
	return ret;
}

/* What a chain of progs[0..n-1] answers by oci-seccomp.h's contract: the programs run one
 * after the other, ALLOW and LOG of one that is not the last go on to the next, any other
 * answer (or the last program's) is the chain's. */
static inline uint32_t bpf_run_sequence(const struct sock_fprog *progs, size_t n, const struct seccomp_data *d,
					bool *ret_bad)
{
	uint32_t cur = SECCOMP_RET_ALLOW;

	for (size_t i = 0; i < n; i++) {
		uint32_t action;

		cur = bpf_run(&progs[i], d, ret_bad);
		action = cur & SECCOMP_RET_ACTION_FULL;
		if (action != SECCOMP_RET_ALLOW && action != SECCOMP_RET_LOG)
			return cur;
	}
	return cur;
}

/* kernel/seccomp.c's seccomp_is_const_allow() (5.11+): whether prog allows syscall nr of
 * x86-64 without reading anything but the number and the architecture, which is when the
 * kernel caches the answer and skips the filter for it. */
static inline bool bpf_const_allow(const struct sock_fprog *prog, int nr)
{
	uint32_t reg = 0;

	for (unsigned int pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *insn = &prog->filter[pc];
		bool res;

		switch (insn->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (insn->k == offsetof(struct seccomp_data, nr))
				reg = (uint32_t)nr;
			else if (insn->k == offsetof(struct seccomp_data, arch))
				reg = AUDIT_ARCH_X86_64;
			else
				return false;
			break;
		case BPF_RET | BPF_K:
			return insn->k == SECCOMP_RET_ALLOW;
		case BPF_JMP | BPF_JA:
			pc += insn->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			switch (BPF_OP(insn->code)) {
			case BPF_JEQ: res = reg == insn->k; break;
			case BPF_JGE: res = reg >= insn->k; break;
			case BPF_JGT: res = reg > insn->k; break;
			default: res = (reg & insn->k) != 0; break;
			}
			pc += res ? insn->jt : insn->jf;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			reg &= insn->k;
			break;
		default:
			return false;
		}
	}
	return false;
}

#endif
