/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes lib/oci-seccomp.c with arbitrary bytes read three ways: as JSON, an OCI linux.seccomp
 * profile for oci_seccomp_compile() and oci_seccomp_annotation() (alone and before a real
 * policy's programs, tests/unit/policies/seccomp.conf compiled as rvisord hands them over); as
 * base64 text for oci_seccomp_from_base64(); and as a raw struct sock_filter[] for
 * oci_seccomp_chain(), alone, before and after the policy's programs and twice over.
 * Checked beyond "no crash": a compiled profile is 1..BPF_MAXINSNS instructions of libseccomp's
 * shape; a chain is as long as its parts plus the documented "A = 0"/"X = 0" prologues, passes
 * the library's own check again, and (run by tests/unit/bpf-run.h's interpreter on probes
 * built from the programs' constants) answers what its programs answer run one after the
 * other; a program valid alone is refused in a chain only for the documented reasons; the
 * annotation is exactly the chain of its parts; a refusal is -EINVAL with a reason, or
 * -ENOMEM. Leaks fail ASan's leak check. With -DRVISOR_LIBFUZZER (and -fsanitize=fuzzer) this
 * is a libFuzzer target (a broken invariant aborts); without, main() replays a corpus
 * directory and deterministic mutations of it under ASan/UBSan (tests/fuzz/replay.h) and
 * prints TAP:
 *   fuzz-oci-seccomp [CORPUS_DIR (tests/fuzz/corpus/oci-seccomp)] [MUTATIONS (8000)]
 * The policy is found in $RVISOR_SOURCE_DIR, else in the tree the target was built from.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64.h"
#include "bpf-run.h"
#include "macro.h"
#include "oci-seccomp.h"
#include "policy.h"
#include "replay.h"

/* Probes run through each chain that compiles. */
#define PROBES 24
/* Inputs larger than this are cut: nothing in the library grows with them but json-c. */
#define INPUT_MAX (1024 * 1024)

/* How deep the inputs got, printed by the replay: profiles compiled, programs decoded from
 * base64, chains built and probed, refusals checked. */
static unsigned long n_compiled, n_decoded, n_chained, n_refused;

/* A refusal must be -EINVAL with a reason; -ENOMEM is the one other error allowed. */
static void check_refusal(int r, const char *reason, const char *what)
{
	n_refused++;
	if (r == -ENOMEM)
		return;
	if (r != -EINVAL)
		fuzz_violation("%s: error %d (%s), not -EINVAL or -ENOMEM", what, r, strerror(r < 0 ? -r : r));
	else if (!reason || !reason[0])
		fuzz_violation("%s: -EINVAL without a reason", what);
}

/* ---- The policy's programs, as rvisord's PrepareContainer hands them over -------------- */

/* [0] compiled alone, [1] as the layer under rvisor.ko's gate (what rvisord sends with the
 * kernel layer). Empty when the policy cannot be found or compiled (not x86-64). */
struct policy_set {
	unsigned int n;
	struct sock_fprog progs[ARRAY_SIZE(((struct policy_seccomp *)0)->progs)];
	char *text[ARRAY_SIZE(((struct policy_seccomp *)0)->progs)];
};

/* first, then the policy's programs: 1 + pol->n of them. */
static void with_policy(const struct sock_fprog *first, const struct policy_set *pol,
			struct sock_fprog out[1 + ARRAY_SIZE(pol->progs)])
{
	out[0] = *first;
	for (unsigned int i = 0; i < pol->n; i++)
		out[1 + i] = pol->progs[i];
}
static struct policy_set policies[2];
static bool policies_loaded;

/* 0, or what failed: the fuzzing then goes on without the policy's programs. */
static const char *policies_load(void)
{
	_cleanup_policy_ struct rvisor_policy_config *pol = NULL;
	char path[4096];

	policies_loaded = true;
	if (!fuzz_policy_path(path, sizeof(path)))
		return "tests/unit/policies/seccomp.conf not found (set RVISOR_SOURCE_DIR)";
	if (policy_load_file(path, &pol, NULL) < 0)
		return "tests/unit/policies/seccomp.conf does not load";
	for (unsigned int s = 0; s < ARRAY_SIZE(policies); s++) {
		struct policy_seccomp *f = NULL;
		int r = policy_seccomp_compile(&pol->kernel, s ? POLICY_SECCOMP_WITH_GATE : 0, &f);

		if (r == -EOPNOTSUPP)
			return "the policy's programs are x86-64 only";
		if (r < 0)
			return "the policy does not compile";
		for (unsigned int i = 0; i < f->n; i++) {
			if (base64_encode(f->progs[i].filter, f->progs[i].len * sizeof(struct sock_filter),
					  &policies[s].text[i]) < 0)
				abort();
			policies[s].progs[i] = f->progs[i];
			f->progs[i] = (struct sock_fprog){};
		}
		policies[s].n = f->n;
		policy_seccomp_free(f);
	}
	return NULL;
}

static void policies_free(void)
{
	for (unsigned int s = 0; s < ARRAY_SIZE(policies); s++)
		for (unsigned int i = 0; i < policies[s].n; i++) {
			oci_seccomp_prog_clear(&policies[s].progs[i]);
			policies[s].text[i] = mfree(policies[s].text[i]);
		}
}

/* ---- Invariants ----------------------------------------------------------------------------- */

static bool uses_x(const struct sock_fprog *p)
{
	for (unsigned int pc = 0; pc < p->len; pc++) {
		uint16_t code = p->filter[pc].code;

		if (BPF_CLASS(code) == BPF_STX || code == (BPF_MISC | BPF_TXA) ||
		    ((BPF_CLASS(code) == BPF_ALU || BPF_CLASS(code) == BPF_JMP) && code != (BPF_JMP | BPF_JA) &&
		     BPF_SRC(code) == BPF_X))
			return true;
	}
	return false;
}

/* Whether p returns TRACE or USER_NOTIF: then it must be the last of a chain. */
static bool returns_trace_or_notif(const struct sock_fprog *p)
{
	for (unsigned int pc = 0; pc < p->len; pc++) {
		uint32_t action = p->filter[pc].k & SECCOMP_RET_ACTION_FULL;

		if (p->filter[pc].code == (BPF_RET | BPF_K) &&
		    (action == SECCOMP_RET_TRACE || action == SECCOMP_RET_USER_NOTIF))
			return true;
	}
	return false;
}

static bool prog_equal(const struct sock_fprog *a, const struct sock_fprog *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->filter, b->filter, a->len * sizeof(*a->filter)) == 0);
}

static bool prog_sane(const struct sock_fprog *p, const char *what)
{
	if (!p->filter || p->len < 1 || p->len > BPF_MAXINSNS) {
		fuzz_violation("%s: succeeded with %u instructions (filter %s)", what, p->len, p->filter ? "set" : "NULL");
		return false;
	}
	return true;
}

/* The most instructions a chain of progs may have: their own plus "A = 0" and "X = 0" before
 * each after the first. *ret_exact: whether it must have exactly their own (every program
 * after the first starts by loading A and never reads X: libseccomp's shape). */
static size_t chain_bounds(const struct sock_fprog *progs, size_t n, size_t *ret_max, bool *ret_exact)
{
	size_t sum = 0;

	*ret_max = 0;
	*ret_exact = true;
	for (size_t i = 0; i < n; i++) {
		sum += progs[i].len;
		if (i == 0)
			continue;
		*ret_max += 2;
		if (progs[i].filter[0].code != (BPF_LD | BPF_W | BPF_ABS) || uses_x(&progs[i]))
			*ret_exact = false;
	}
	*ret_max += sum;
	return sum;
}

/* Constants worth probing with: what the programs compare with. */
static size_t collect_constants(const struct sock_fprog *progs, size_t n, uint32_t *c, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		for (unsigned int pc = 0; pc < progs[i].len && k < max; pc++) {
			const struct sock_filter *f = &progs[i].filter[pc];
			bool seen = false;

			if (BPF_CLASS(f->code) != BPF_JMP || BPF_OP(f->code) == BPF_JA || BPF_SRC(f->code) != BPF_K)
				continue;
			for (size_t j = 0; j < k && !seen; j++)
				seen = c[j] == f->k;
			if (!seen)
				c[k++] = f->k;
		}
	return k;
}

/* out, oci_seccomp_chain()'s success for progs[0..n-1], checked: its length, that the library
 * takes it again as it is, and its answers against the programs run in turn. */
static void check_chain(const struct sock_fprog *out, const struct sock_fprog *progs, size_t n, uint64_t *rng,
			const char *what)
{
	_cleanup_sock_fprog_ struct sock_fprog again = {};
	const char *reason = NULL;
	uint32_t consts[32];
	size_t sum, max, n_consts;
	bool exact;
	int r;

	if (!prog_sane(out, what))
		return;
	n_chained++;
	sum = chain_bounds(progs, n, &max, &exact);
	if (out->len < sum || out->len > max || (exact && out->len != sum)) {
		fuzz_violation("%s: %u instructions from parts of %zu (at most %zu%s)", what, out->len, sum, max,
			  exact ? ", exactly their sum documented" : "");
		return;
	}
	r = oci_seccomp_chain(out, 1, &again, &reason);
	if (r < 0) {
		fuzz_violation("%s: the library refuses its own chain: %s", what, reason ?: "no reason");
		return;
	}
	if (!prog_equal(&again, out)) {
		fuzz_violation("%s: one program chained alone is not itself", what);
		return;
	}

	n_consts = collect_constants(progs, n, consts, ARRAY_SIZE(consts));
	for (unsigned int t = 0; t < PROBES; t++) {
		static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64 };
		uint64_t x = fuzz_rng_next(rng);
		struct seccomp_data d = {};
		uint32_t got, want;
		bool bad = false;

#define PICK(y) (n_consts > 0 && (y) % 4 != 0 ? consts[((y) >> 8) % n_consts] : (uint32_t)((y) >> 16))
		d.nr = (int)(x % 3 == 0 ? (uint32_t)(x >> 8) % 512 : PICK(x >> 2));
		d.arch = (x >> 40) % 4 == 3 ? PICK(x >> 20) : arches[(x >> 40) % 4 % 3];
		d.instruction_pointer = fuzz_rng_next(rng);
		for (unsigned int i = 0; i < 6; i++) {
			uint64_t y = fuzz_rng_next(rng);

			switch (y % 5) {
			case 0: d.args[i] = 0; break;
			case 1: d.args[i] = PICK(y >> 3); break;
			case 2: d.args[i] = (uint64_t)PICK(y >> 3) << 32 | PICK(y >> 7); break;
			case 3: d.args[i] = (uint64_t)PICK(y >> 3) << 32; break;
			default: d.args[i] = fuzz_rng_next(rng); break;
			}
		}
#undef PICK
		got = bpf_run(out, &d, &bad);
		want = bpf_run_sequence(progs, n, &d, &bad);
		if (bad) {
			fuzz_violation("%s: the chain or a part runs off its end or holds what seccomp refuses", what);
			return;
		}
		if (got != want) {
			fuzz_violation("%s: nr %d arch 0x%x: the chain answers 0x%08x, its %zu programs in turn 0x%08x",
				  what, d.nr, d.arch, got, n, want);
			return;
		}
	}
}

/* oci_seccomp_chain() of progs[0..n-1], valid whether each part is one the chain takes
 * where it is (valid alone, and no TRACE/USER_NOTIF before the last). Checks either outcome. */
static void try_chain(const struct sock_fprog *progs, size_t n, bool valid, uint64_t *rng, const char *what)
{
	_cleanup_sock_fprog_ struct sock_fprog out = {};
	const char *reason = NULL;
	size_t max;
	bool exact;
	int r = oci_seccomp_chain(progs, n, &out, &reason);

	if (r >= 0) {
		if (!valid)
			fuzz_violation("%s: chained a program refused where it is", what);
		else
			check_chain(&out, progs, n, rng, what);
		return;
	}
	check_refusal(r, reason, what);
	chain_bounds(progs, n, &max, &exact);
	if (r == -EINVAL && valid && max <= BPF_MAXINSNS)
		fuzz_violation("%s: refuses valid programs within BPF_MAXINSNS: %s", what, reason ?: "");
}

/* p (any instructions, any length) alone, before and after the policy's programs and twice. */
static void fuzz_chains(const struct sock_fprog *p, const struct policy_set *pol, uint64_t *rng, const char *what)
{
	_cleanup_sock_fprog_ struct sock_fprog alone = {};
	struct sock_fprog progs[1 + ARRAY_SIZE(pol->progs)];
	const char *reason = NULL;
	char name[64];
	bool ok, not_last_ok;
	int r;

	r = oci_seccomp_chain(p, 1, &alone, &reason);
	ok = r >= 0;
	if (!ok) {
		check_refusal(r, reason, what);
		if (p->len == 0 || p->len > BPF_MAXINSNS)
			return; /* nothing else would take it either */
	} else if (p->len > BPF_MAXINSNS)
		fuzz_violation("%s: chained %u instructions alone", what, p->len);
	else if (!prog_equal(&alone, p))
		fuzz_violation("%s: one program chained alone is not itself", what);
	not_last_ok = ok && !returns_trace_or_notif(p);

	if (pol->n > 0) {
		with_policy(p, pol, progs);
		snprintf(name, sizeof(name), "%s before the policy", what);
		try_chain(progs, 1 + pol->n, not_last_ok, rng, name);

		for (unsigned int i = 0; i < pol->n; i++)
			progs[i] = pol->progs[i];
		progs[pol->n] = *p;
		snprintf(name, sizeof(name), "%s after the policy", what);
		try_chain(progs, 1 + pol->n, ok, rng, name);
	}
	progs[0] = progs[1] = *p;
	snprintf(name, sizeof(name), "%s twice", what);
	try_chain(progs, 2, not_last_ok, rng, name);
}

/* text decoded by oci_seccomp_from_base64() must be prog exactly. */
static void check_base64_is(const char *text, const struct sock_fprog *prog, const char *what)
{
	_cleanup_sock_fprog_ struct sock_fprog p = {};
	const char *reason = NULL;

	if (oci_seccomp_from_base64(text, &p, &reason) < 0)
		fuzz_violation("%s: its base64 does not decode: %s", what, reason ?: "");
	else if (!prog_equal(&p, prog))
		fuzz_violation("%s: its base64 is not the chain of its parts", what);
}

/* oci_seccomp_annotation() must be the chain of the parts it was given, or refuse as that
 * chain is refused. */
static void check_annotation(int r, const char *text, const struct sock_fprog *progs, size_t n, const char *what)
{
	_cleanup_sock_fprog_ struct sock_fprog want = {};
	const char *reason = NULL;
	int w = oci_seccomp_chain(progs, n, &want, &reason);

	if (r == -ENOMEM || w == -ENOMEM)
		return;
	if ((r >= 0) != (w >= 0))
		fuzz_violation("%s: %s, the chain of its parts %s", what, r >= 0 ? "succeeds" : "refused",
			  w >= 0 ? "succeeds" : "refused");
	else if (r >= 0)
		check_base64_is(text, &want, what);
}

/* ---- The three readings of the bytes ----------------------------------------------------- */

/* As JSON: an OCI linux.seccomp profile (or whatever else JSON it is). */
static void fuzz_profile(const char *text, size_t size, uint64_t *rng)
{
	const struct policy_set *pol = &policies[fuzz_rng_next(rng) % ARRAY_SIZE(policies)];
	_cleanup_sock_fprog_ struct sock_fprog c = {};
	_cleanup_free_ char *a0 = NULL, *a1 = NULL, *e0 = NULL, *e1 = NULL;
	json_tokener *tok = json_tokener_new();
	const char *reason = NULL;
	json_object *o;
	int r, r0, r1;

	if (!tok)
		return;
	o = json_tokener_parse_ex(tok, text, (int)size);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_tokener_free(tok);
		return;
	}
	json_tokener_free(tok);

	r = oci_seccomp_compile(o, &c, &reason);
	if (r < 0)
		check_refusal(r, reason, "oci_seccomp_compile");
	else {
		n_compiled++;
		/* oci-seccomp.h counts on it: no prologue for libseccomp's programs */
		if (prog_sane(&c, "oci_seccomp_compile") &&
		    (c.filter[0].code != (BPF_LD | BPF_W | BPF_ABS) || uses_x(&c)))
			fuzz_violation("oci_seccomp_compile: the program does not start by loading A or reads X");
	}

	/* The profile alone: the annotation is the compiled program itself. */
	reason = NULL;
	r0 = oci_seccomp_annotation(o, NULL, NULL, 0, &a0, &reason);
	if (r0 < 0)
		check_refusal(r0, reason, "oci_seccomp_annotation (profile alone)");
	if (r < 0 || !c.filter) {
		if (r0 >= 0)
			fuzz_violation("oci_seccomp_annotation: a profile oci_seccomp_compile refuses makes an annotation");
	} else {
		if (r0 == -EINVAL)
			fuzz_violation("oci_seccomp_annotation: refuses a profile that compiles: %s", reason ?: "");
		check_annotation(r0, a0, &c, 1, "oci_seccomp_annotation (profile alone)");
		fuzz_chains(&c, pol, rng, "the compiled profile");
	}

	/* Before the policy's programs, as rvisor-runc asks for it. */
	if (pol->n > 0) {
		reason = NULL;
		r1 = oci_seccomp_annotation(o, NULL, (const char *const *)pol->text, pol->n, &a1, &reason);
		if (r1 < 0)
			check_refusal(r1, reason, "oci_seccomp_annotation (profile and policy)");
		if (o && (r < 0 || !c.filter)) {
			if (r1 >= 0)
				fuzz_violation("oci_seccomp_annotation: a refused profile chained with the policy");
		} else if (o) {
			struct sock_fprog progs[1 + ARRAY_SIZE(pol->progs)];

			with_policy(&c, pol, progs);
			check_annotation(r1, a1, progs, 1 + pol->n, "oci_seccomp_annotation (profile and policy)");
		} else
			check_annotation(r1, a1, pol->progs, pol->n, "oci_seccomp_annotation (policy alone)");

		/* An engine's raw program wins over linux.seccomp, whatever that is. */
		reason = NULL;
		r0 = oci_seccomp_annotation(o, pol->text[0], NULL, 0, &e0, &reason);
		r1 = oci_seccomp_annotation(NULL, pol->text[0], NULL, 0, &e1, &reason);
		if (r0 != r1 || (r0 >= 0 && strcmp(e0, e1) != 0))
			fuzz_violation("oci_seccomp_annotation: the engine's program does not win over linux.seccomp");
	}
	json_object_put(o);
}

/* As base64 text of a program. */
static void fuzz_base64(const char *text, uint64_t *rng)
{
	const struct policy_set *pol = &policies[fuzz_rng_next(rng) % ARRAY_SIZE(policies)];
	_cleanup_sock_fprog_ struct sock_fprog p = {}, back = {};
	_cleanup_free_ void *raw = NULL;
	_cleanup_free_ char *again = NULL, *a0 = NULL, *a1 = NULL;
	const char *reason = NULL;
	size_t raw_size = 0;
	bool valid;
	int r, r0, r1;

	r = base64_decode(text, &raw, &raw_size);
	valid = r >= 0 && raw_size > 0 && raw_size % sizeof(struct sock_filter) == 0 &&
		raw_size / sizeof(struct sock_filter) <= BPF_MAXINSNS;
	r = oci_seccomp_from_base64(text, &p, &reason);
	if (r < 0) {
		check_refusal(r, reason, "oci_seccomp_from_base64");
		if (valid && r == -EINVAL)
			fuzz_violation("oci_seccomp_from_base64: refuses %zu bytes of valid base64: %s", raw_size, reason ?: "");
	} else if (!valid)
		fuzz_violation("oci_seccomp_from_base64: takes what is not 1..BPF_MAXINSNS whole instructions of base64");
	else if (p.len * sizeof(struct sock_filter) != raw_size || memcmp(p.filter, raw, raw_size) != 0)
		fuzz_violation("oci_seccomp_from_base64: the program is not the decoded bytes");
	else
		n_decoded++;

	reason = NULL;
	r0 = oci_seccomp_annotation(NULL, text, NULL, 0, &a0, &reason);
	if (r0 < 0)
		check_refusal(r0, reason, "oci_seccomp_annotation (engine program)");
	if (r < 0) {
		if (r0 >= 0)
			fuzz_violation("oci_seccomp_annotation: an engine program from_base64 refuses makes an annotation");
		return;
	}
	check_annotation(r0, a0, &p, 1, "oci_seccomp_annotation (engine program)");
	if (pol->n > 0) {
		struct sock_fprog progs[1 + ARRAY_SIZE(pol->progs)];

		with_policy(&p, pol, progs);
		reason = NULL;
		r1 = oci_seccomp_annotation(NULL, text, (const char *const *)pol->text, pol->n, &a1, &reason);
		if (r1 < 0)
			check_refusal(r1, reason, "oci_seccomp_annotation (engine program and policy)");
		check_annotation(r1, a1, progs, 1 + pol->n, "oci_seccomp_annotation (engine program and policy)");
	}

	if (oci_seccomp_to_base64(&p, &again) < 0 || oci_seccomp_from_base64(again, &back, &reason) < 0 ||
	    !prog_equal(&p, &back))
		fuzz_violation("oci_seccomp_to_base64: does not give back the program");
	fuzz_chains(&p, pol, rng, "the base64 program");
}

/* As a raw struct sock_filter[] (the bytes cut to whole instructions). */
static void fuzz_raw(const uint8_t *data, size_t size, uint64_t *rng)
{
	const struct policy_set *pol = &policies[fuzz_rng_next(rng) % ARRAY_SIZE(policies)];
	size_t n = size / sizeof(struct sock_filter);
	_cleanup_free_ struct sock_filter *insns = NULL;
	struct sock_fprog p;

	if (n == 0)
		return;
	if (n > UINT16_MAX)
		n = UINT16_MAX;
	insns = malloc(n * sizeof(*insns));
	if (!insns)
		return;
	memcpy(insns, data, n * sizeof(*insns));
	p = (struct sock_fprog){ .len = (unsigned short)n, .filter = insns };
	fuzz_chains(&p, pol, rng, "the raw program");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t rng = fuzz_hash(data, size);
	_cleanup_free_ char *text = NULL;

	fuzz_setup_once(policies_loaded, policies_load, "fuzz-oci-seccomp: without the policy's programs");
	text = fuzz_text(data, &size, INPUT_MAX);
	if (!text)
		return 0;
	fuzz_profile(text, size, &rng);
	fuzz_base64(text, &rng);
	fuzz_raw(data, size, &rng);
	return 0;
}

#ifndef RVISOR_LIBFUZZER
/* Bits of profiles and programs that random bytes rarely hit. */
static const char *const tokens[] = {
	"\0", "{", "}", "[", "]", "\"", ":", ",", "null", "true", "-1", "0", "4094", "4095",
	"18446744073709551615", "18446744073709551616", "1e3",
	"\"SCMP_ACT_ALLOW\"", "\"SCMP_ACT_ERRNO\"", "\"SCMP_ACT_TRACE\"", "\"SCMP_ACT_NOTIFY\"",
	"\"SCMP_ACT_LOG\"", "\"SCMP_ACT_KILL_PROCESS\"", "\"SCMP_ACT_KILL\"", "\"SCMP_ACT_TRAP\"",
	"\"errnoRet\":", "\"defaultErrnoRet\":", "\"SCMP_CMP_MASKED_EQ\"", "\"SCMP_CMP_NE\"",
	"\"index\":", "\"valueTwo\":", "\"args\":[{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]",
	"\"architectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\",\"aarch64\"]", "\"SCMP_ARCH_",
	"\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"]", "\"names\":[\"ptrace\",\"no_such_call\"]",
	"AAAA", "====", "=",
};

/* Instructions: ld [nr], ld [arch], ret ALLOW, LOG, TRACE, USER_NOTIF, KILL_PROCESS, ERRNO(1),
 * ret A, tax, txa, st M[0], ld M[0], ldx M[1], ja 1, jeq #39, jeq x, div x, ld len. */
static const struct sock_filter insn_tokens[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
	BPF_STMT(BPF_RET | BPF_A, 0),
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_MISC | BPF_TXA, 0),
	BPF_STMT(BPF_ST, 0),
	BPF_STMT(BPF_LD | BPF_MEM, 0),
	BPF_STMT(BPF_LDX | BPF_MEM, 1),
	BPF_STMT(BPF_JMP | BPF_JA, 1),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0),
	BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
};

/* What "insert a token" inserts: one of tokens, at times one of insn_tokens. */
static const void *token(uint64_t x, size_t *ret_n)
{
	if ((x >> 40) % 3 == 0) {
		*ret_n = sizeof(struct sock_filter);
		return &insn_tokens[(x >> 8) % ARRAY_SIZE(insn_tokens)];
	}
	return fuzz_token(tokens, ARRAY_SIZE(tokens), x, ret_n);
}

/* Byte mutations of whole instructions: some deleted, a jump's offsets changed, one repeated. */
static void mutate_insn_bytes(struct fuzz_bytes *b, unsigned int kind, size_t pos, uint64_t x)
{
	const size_t insn = sizeof(struct sock_filter);

	pos -= pos % insn;
	switch (kind) {
	case FUZZ_BYTE_OPS: /* whole instructions deleted */
		fuzz_bytes_delete(b, pos, insn * (1 + (size_t)(x >> 40) % 4));
		break;
	case FUZZ_BYTE_OPS + 1: /* a jump offset or jt/jf */
		if (pos + insn <= b->size) {
			if ((x >> 8) % 2)
				b->data[pos + 2 + (x >> 9) % 2] = (uint8_t)(x >> 40);
			else
				b->data[pos + 4] = (uint8_t)(x >> 40) % 16;
		}
		break;
	default: /* an instruction repeated */
		if (pos + insn <= b->size)
			fuzz_bytes_open(b, pos, insn);
		break;
	}
}

/* Byte mutations of in (or a splice with other) into a new buffer: mostly one, at times up
 * to four. */
static uint8_t *mutate_bytes(const struct fuzz_input *in, const struct fuzz_input *other, uint64_t *rng,
			     size_t *ret_size)
{
	static const struct fuzz_byte_ops ops = {
		.kinds = FUZZ_BYTE_OPS + 3,
		.token = token,
		.extra = mutate_insn_bytes,
	};

	return fuzz_mutate_bytes(in, other, fuzz_ops_mostly_one(rng), rng, &ops, ret_size);
}

/* Values and keys a profile's members may take, for mutations that keep it JSON. */
static const char *const json_values[] = {
	"null", "true", "0", "1", "-1", "5", "6", "38", "4094", "4095", "65535", "4294967295",
	"9223372036854775807", "18446744073709551615", "1.5", "\"\"", "{}", "[]",
	"\"SCMP_ACT_ALLOW\"", "\"SCMP_ACT_ERRNO\"", "\"SCMP_ACT_TRACE\"", "\"SCMP_ACT_NOTIFY\"",
	"\"SCMP_ACT_LOG\"", "\"SCMP_ACT_KILL\"", "\"SCMP_ACT_KILL_THREAD\"", "\"SCMP_ACT_KILL_PROCESS\"",
	"\"SCMP_ACT_TRAP\"", "\"SCMP_ACT_UNKNOWN\"", "\"SCMP_CMP_EQ\"", "\"SCMP_CMP_NE\"", "\"SCMP_CMP_LT\"",
	"\"SCMP_CMP_LE\"", "\"SCMP_CMP_GE\"", "\"SCMP_CMP_GT\"", "\"SCMP_CMP_MASKED_EQ\"",
	"\"SCMP_ARCH_X86\"", "\"SCMP_ARCH_X32\"", "\"SCMP_ARCH_AARCH64\"", "\"SCMP_ARCH_NATIVE\"", "\"mips64n32\"",
	"\"SECCOMP_FILTER_FLAG_TSYNC\"", "\"SECCOMP_FILTER_FLAG_LOG\"", "\"read\"", "\"clone\"",
	"\"socket\"", "\"ioctl\"", "\"no_such_call\"", "[\"read\",\"write\"]",
	"{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}",
	"{\"index\":1,\"value\":255,\"valueTwo\":3,\"op\":\"SCMP_CMP_MASKED_EQ\"}",
	"{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}",
	"{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]}",
};
static const char *const json_keys[] = {
	"defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls", "names", "action",
	"errnoRet", "args", "index", "value", "valueTwo", "op", "listenerPath", "comment",
};

static const struct fuzz_json_words words = {
	json_keys, ARRAY_SIZE(json_keys), json_values, ARRAY_SIZE(json_values),
};

/* Mutations that keep in JSON: members replaced, deleted, added or repeated. NULL when in is
 * not a JSON object or array. */
static uint8_t *mutate_json(const struct fuzz_input *in, uint64_t *rng, size_t *ret_size)
{
	unsigned ops = 1 + (unsigned)(fuzz_rng_next(rng) % 3);
	json_object *root = fuzz_json_parse(in);
	struct fuzz_json_slot slots[512];

	if (!json_object_is_type(root, json_type_object) && !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return NULL;
	}
	for (unsigned k = 0; k < ops; k++) {
		uint64_t x = fuzz_rng_next(rng);
		size_t n = 0;

		fuzz_json_slots(root, slots, &n, ARRAY_SIZE(slots), 0);
		if (n > 0)
			fuzz_json_mutate_slot(slots, n, x, &words);
		else if (json_object_is_type(root, json_type_object))
			json_object_object_add(root, json_keys[x % ARRAY_SIZE(json_keys)],
					       fuzz_json_value_near(NULL, slots, 0, x >> 8, &words));
	}
	return fuzz_json_print(root, JSON_C_TO_STRING_PLAIN, ret_size);
}

/* Mutations of a program, instruction by instruction: a return's action changed, a jump
 * moved, an instruction replaced, removed, repeated or swapped with the next. */
static uint8_t *mutate_insns(const struct fuzz_input *in, uint64_t *rng, size_t *ret_size)
{
	size_t n = in->size / sizeof(struct sock_filter), alloc = n + 8;
	struct sock_filter *f = calloc(alloc, sizeof(*f));
	unsigned ops = 1 + (unsigned)(fuzz_rng_next(rng) % 3);
	static const uint32_t actions[] = { SECCOMP_RET_ALLOW, SECCOMP_RET_LOG, SECCOMP_RET_TRACE,
					    SECCOMP_RET_USER_NOTIF, SECCOMP_RET_ERRNO | 1, SECCOMP_RET_TRAP,
					    SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, 0x7ff80000 };

	if (!f)
		return NULL;
	memcpy(f, in->data, n * sizeof(*f));
	for (unsigned k = 0; k < ops && n > 0; k++) {
		uint64_t x = fuzz_rng_next(rng);
		size_t i = (size_t)(x >> 8) % n;

		switch (x % 6) {
		case 0:
			if (f[i].code == (BPF_RET | BPF_K))
				f[i].k = actions[(x >> 32) % ARRAY_SIZE(actions)] | (uint32_t)((x >> 40) % 3);
			else if (BPF_CLASS(f[i].code) == BPF_JMP)
				f[i].k ^= 1U << ((x >> 32) % 32);
			break;
		case 1:
			if (BPF_CLASS(f[i].code) == BPF_JMP && f[i].code != (BPF_JMP | BPF_JA)) {
				if ((x >> 32) % 2)
					f[i].jt = (uint8_t)(f[i].jt + ((x >> 33) % 2 ? 1 : -1));
				else
					f[i].jf = (uint8_t)(f[i].jf + ((x >> 33) % 2 ? 1 : -1));
			}
			break;
		case 2:
			f[i] = insn_tokens[(x >> 32) % ARRAY_SIZE(insn_tokens)];
			break;
		case 3:
			memmove(&f[i], &f[i + 1], (n - i - 1) * sizeof(*f));
			n--;
			break;
		case 4:
			if (n + 1 > alloc)
				break;
			memmove(&f[i + 1], &f[i], (n - i) * sizeof(*f));
			n++;
			break;
		default:
			if (i + 1 < n) {
				struct sock_filter t = f[i];

				f[i] = f[i + 1];
				f[i + 1] = t;
			}
			break;
		}
	}
	*ret_size = n * sizeof(*f);
	return (uint8_t *)f;
}

/* One deterministic mutation of in (or a splice with other): kept JSON or a program of whole
 * instructions most of the time, bytes else. */
static uint8_t *mutate(const struct fuzz_input *in, const struct fuzz_input *other, uint64_t *rng, size_t *ret_size)
{
	uint64_t x = fuzz_rng_next(rng);
	uint8_t *d = NULL;

	if (x % 4 != 0 && in->size > 0 && (in->data[0] == '{' || in->data[0] == '['))
		d = mutate_json(in, rng, ret_size);
	else if (x % 4 != 0 && in->size > 0 && in->size % sizeof(struct sock_filter) == 0)
		d = mutate_insns(in, rng, ret_size);
	return d ?: mutate_bytes(in, other, rng, ret_size);
}

/* The policy's programs are printed, so that a change in them shows in the log. */
static void print_policies(void)
{
	printf("# policy programs: %u + %u instructions, %u + %u with the gate\n", policies[0].progs[0].len,
	       policies[0].n > 1 ? policies[0].progs[1].len : 0U, policies[1].progs[0].len,
	       policies[1].n > 1 ? policies[1].progs[1].len : 0U);
}

static void finish(void)
{
	policies_free();
	printf("# %lu profiles compiled, %lu programs decoded from base64, %lu chains probed, %lu refusals\n",
	       n_compiled, n_decoded, n_chained, n_refused);
}

int main(int argc, char *argv[])
{
	static const struct fuzz_replay replay = {
		.corpus = "tests/fuzz/corpus/oci-seccomp",
		.mutations = 8000,
		.mutate = mutate,
		.setup = policies_load,
		.started = print_policies,
		.check_leaks = true,
		.finish = finish,
	};

	return fuzz_replay_main(argc, argv, &replay);
}
#endif
