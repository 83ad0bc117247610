/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A classic BPF interpreter for the unit tests of seccomp programs (test-policy.c,
 * test-oci-seccomp.c): each program run the way the kernel runs it, without installing it. */
#ifndef RVISOR_TEST_BPF_RUN_H
#define RVISOR_TEST_BPF_RUN_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Classic BPF as the kernel runs a seccomp program (the instructions libseccomp and
 * lib/policy-seccomp.c emit and a few more); an instruction it does not know fails the test
 * through *ret_bad. */
static uint32_t bpf_run(const struct sock_fprog *prog, const struct seccomp_data *d, bool *ret_bad)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};

	for (unsigned int pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *f = &prog->filter[pc];
		uint32_t k = f->k, src = BPF_SRC(f->code) == BPF_X ? x : k;
		bool cond;

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (f->code == (BPF_LD | BPF_W | BPF_ABS) && k % 4 == 0 && k < sizeof(*d))
				memcpy(&a, (const char *)d + k, 4);
			else if (f->code == (BPF_LD | BPF_IMM))
				a = k;
			else if (f->code == (BPF_LD | BPF_MEM) && k < BPF_MEMWORDS)
				a = mem[k];
			else
				goto bad;
			break;
		case BPF_LDX:
			if (f->code == (BPF_LDX | BPF_IMM))
				x = k;
			else if (f->code == (BPF_LDX | BPF_MEM) && k < BPF_MEMWORDS)
				x = mem[k];
			else
				goto bad;
			break;
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				goto bad;
			mem[k] = BPF_CLASS(f->code) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_XOR: a ^= src; break;
			case BPF_LSH: a = src < 32 ? a << src : 0; break;
			case BPF_RSH: a = src < 32 ? a >> src : 0; break;
			case BPF_NEG: a = -a; break;
			default: goto bad;
			}
			break;
		case BPF_JMP:
			if (BPF_OP(f->code) == BPF_JA) {
				pc += k;
				break;
			}
			switch (BPF_OP(f->code)) {
			case BPF_JEQ: cond = a == src; break;
			case BPF_JGT: cond = a > src; break;
			case BPF_JGE: cond = a >= src; break;
			case BPF_JSET: cond = (a & src) != 0; break;
			default: goto bad;
			}
			pc += cond ? f->jt : f->jf;
			break;
		case BPF_RET:
			if (BPF_RVAL(f->code) == BPF_K)
				return k;
			if (BPF_RVAL(f->code) == BPF_A)
				return a;
			goto bad;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			goto bad;
		}
	}
bad:
	*ret_bad = true;
	return SECCOMP_RET_KILL_PROCESS;
}

#endif
