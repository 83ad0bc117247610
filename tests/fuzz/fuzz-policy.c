/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes policy files (lib/policy.c) with arbitrary bytes, read as rvisord's CheckPolicy reads
 * a client's text: policy_load_text(), a memfd read back through /proc/self/fd/N as the files
 * of /etc/rvisor/policies are read. The text as CheckPolicy can get it (cut at its first NUL)
 * and, where that differs, as a file can hold it (NUL bytes and all).
 * Checked beyond "no crash": a refusal is -EINVAL with "NAME:LINE: message" (one line, LINE
 * from 1 to the text's line count, +1 for an end-of-file error), or -ENOMEM; an accepted
 * policy passes policy_kernel_validate() and keeps policy.h's bounds on its settings; its
 * policy_to_json() serialises, parses back to itself, and, written out again as a policy
 * file, compiles to the same policy; policy_seccomp_compile(), alone and with
 * POLICY_SECCOMP_WITH_GATE, succeeds with 1..3 programs of 1..BPF_MAXINSNS instructions that
 * (run by tests/unit/bpf-run.h's interpreter, stacked as the kernel runs them) answer every
 * syscall without an argument rule as the policy's table says and ia32/x32 with ENOSYS, or
 * fails with a -errno (counted in the log); reading the same text again gives the same result.
 * Leaks fail ASan's leak check, fds the replay's count. With -DRVISOR_LIBFUZZER (and
 * -fsanitize=fuzzer) this is a libFuzzer target (a broken invariant aborts); without, main()
 * replays a corpus directory and deterministic mutations of it under ASan/UBSan
 * (tests/fuzz/replay.h) and prints TAP:
 *   fuzz-policy [CORPUS_DIR (tests/fuzz/corpus/policy)] [MUTATIONS (8000)]
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <json-c/json.h>

#include "bpf-run.h"
#include "macro.h"
#include "policy-names.h"
#include "policy.h"
#include "replay.h"

/* The name CheckPolicy is given: what a refusal's message must start with. */
#define NAME "fuzz.conf"
/* Inputs larger than this are cut: the parser reads line by line, nothing grows with them. */
#define INPUT_MAX (1024 * 1024)
/* x32's syscall numbers are x86-64's with this bit. */
#define X32_SYSCALL_BIT 0x40000000U

/* How deep the inputs got, printed by the replay. */
static unsigned long n_accepted, n_refused, n_compiled, n_compile_failed;
static int first_compile_error;

/* ---- Refusals ------------------------------------------------------------------------------ */

/* Lines as getline() counts them: one per '\n', and one for a last line without it. */
static unsigned long count_lines(const char *text, size_t size)
{
	unsigned long n = 0;

	for (size_t i = 0; i < size; i++)
		n += text[i] == '\n';
	return n + (size > 0 && text[size - 1] != '\n');
}

/* err must be "NAME:LINE: message" on one line, LINE within the text. */
static void check_message(const char *err, const char *text, size_t size, const char *what)
{
	unsigned long lines = count_lines(text, size), line = 0;
	const char *s = err + strlen(NAME ":");
	size_t digits;

	if (strncmp(err, NAME ":", strlen(NAME ":")) != 0) {
		fuzz_violation("%s: message \"%.200s\" does not start with \"" NAME ":\"", what, err);
		return;
	}
	digits = strspn(s, "0123456789");
	if (digits == 0 || digits > 10 || s[0] == '0' || strncmp(s + digits, ": ", 2) != 0 || !s[digits + 2]) {
		fuzz_violation("%s: message \"%.200s\" is not NAME:LINE: message", what, err);
		return;
	}
	for (size_t i = 0; i < digits; i++)
		line = line * 10 + (unsigned long)(s[i] - '0');
	if (line < 1 || line > lines + 1)
		fuzz_violation("%s: message \"%.200s\" names line %lu of a text of %lu lines", what, err, line, lines);
	if (strchr(err, '\n'))
		fuzz_violation("%s: message \"%.200s\" is more than one line", what, err);
}

/* ---- An accepted policy's settings ---------------------------------------------------------- */

static bool hostname_valid(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	if (n < 1 || n > POLICY_HOSTNAME_MAX)
		return false;
	return strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.") == n;
}

/* What policy.h says of struct rvisor_policy_config's members. */
static void check_settings(const struct rvisor_policy_config *c, const char *what)
{
	const struct rvisor_policy *kp = &c->kernel;
	int r = policy_kernel_validate(kp);

	if (r < 0)
		fuzz_violation("%s: accepted, but policy_kernel_validate() refuses it: %d", what, r);
	if (c->memory_max == 0 || c->pids_max == 0)
		fuzz_violation("%s: memory %" PRIu64 ", pids %" PRIu64 ": 0 is no limit", what, c->memory_max,
			       c->pids_max);
	if (c->storage_max < 4096 || c->storage_max == UINT64_MAX)
		fuzz_violation("%s: storage %" PRIu64 " (at least 4K, and a size)", what, c->storage_max);
	if (!hostname_valid(c->hostname))
		fuzz_violation("%s: hostname \"%.100s\"", what, c->hostname ?: "(null)");
	if (c->network > POLICY_NETWORK_HOST || c->kernel_layer > POLICY_KERNEL_LAYER_REQUIRED ||
	    c->userns > POLICY_USERNS_ALWAYS)
		fuzz_violation("%s: network %u, kernel_layer %u, userns %u", what, c->network, c->kernel_layer, c->userns);
	if (!policy_layers_to_string(c->layers) ||
	    (c->layers == POLICY_LAYER_SECCOMP && c->kernel_layer == POLICY_KERNEL_LAYER_REQUIRED))
		fuzz_violation("%s: layers %u with kernel_layer %u", what, c->layers, c->kernel_layer);
	if (c->capabilities & ~POLICY_CAPS_DEFAULT)
		fuzz_violation("%s: capabilities 0x%" PRIx64 " beyond docker's default set", what, c->capabilities);
	if (c->has_user && (c->uid == (uid_t)-1 || c->gid == (gid_t)-1))
		fuzz_violation("%s: user %u:%u (-1 is \"unchanged\")", what, c->uid, c->gid);
	for (int nr = 0; nr < RVISOR_NR_SYSCALLS; nr++)
		if (!c->listed[nr] && (kp->syscalls[nr].action != kp->default_action ||
				       kp->syscalls[nr].error != kp->default_errno)) {
			fuzz_violation("%s: syscall %d is not listed but does not have the default", what, nr);
			break;
		}
}

/* Whether a and b are the same policy, but for their name and path; says how they differ
 * where they do not. */
static bool same_policy(const struct rvisor_policy_config *a, const struct rvisor_policy_config *b, const char *what)
{
	const char *diff = NULL;

	if (a->memory_max != b->memory_max)
		diff = "memory";
	else if (a->pids_max != b->pids_max)
		diff = "pids";
	else if (a->network != b->network)
		diff = "network";
	else if (strcmp(a->hostname, b->hostname) != 0)
		diff = "hostname";
	else if (a->kernel_layer != b->kernel_layer)
		diff = "kernel_layer";
	else if (a->layers != b->layers)
		diff = "layers";
	else if (a->storage_max != b->storage_max)
		diff = "storage";
	else if (a->userns != b->userns)
		diff = "userns";
	else if (a->capabilities != b->capabilities)
		diff = "capabilities";
	else if (a->has_user != b->has_user || (a->has_user && (a->uid != b->uid || a->gid != b->gid)))
		diff = "user";
	else if (memcmp(a->listed, b->listed, sizeof(a->listed)) != 0)
		diff = "the listed syscalls";
	else if (memcmp(&a->kernel, &b->kernel, sizeof(a->kernel)) != 0)
		diff = "the compiled struct rvisor_policy";
	if (diff)
		fuzz_violation("%s: %s differs", what, diff);
	return !diff;
}

/* ---- policy_to_json() ------------------------------------------------------------------------ */

/* o.key of type t, or NULL and *bad, said once. */
static json_object *member(json_object *o, const char *key, json_type t, bool *bad)
{
	json_object *v = NULL;

	if (*bad)
		return NULL;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t)) {
		fuzz_violation("policy_to_json: \"%s\" is missing or not a %s", key, json_type_to_name(t));
		*bad = true;
		return NULL;
	}
	return v;
}

/* "key = item item ..." of a JSON array of strings; nothing for an empty one unless
 * empty_too (a filter's key turns it on). */
static void put_list(FILE *f, const char *key, json_object *a, bool empty_too, bool *bad)
{
	size_t n = a ? json_object_array_length(a) : 0;

	if (!a || (n == 0 && !empty_too))
		return;
	fprintf(f, "%s =", key);
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (!json_object_is_type(v, json_type_string)) {
			fuzz_violation("policy_to_json: an item of \"%s\" is not a string", key);
			*bad = true;
			return;
		}
		fprintf(f, " %s", json_object_get_string(v));
	}
	fputc('\n', f);
}

/* A limit: a number, or "max". */
static void put_limit(FILE *f, json_object *sandbox, const char *key, bool *bad)
{
	json_object *v = NULL;

	if (*bad)
		return;
	json_object_object_get_ex(sandbox, key, &v);
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0)
		fprintf(f, "%s = %" PRIu64 "\n", key, json_object_get_uint64(v));
	else if (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), "max") == 0)
		fprintf(f, "%s = max\n", key);
	else {
		fuzz_violation("policy_to_json: sandbox.%s is %s, not a positive number or \"max\"", key,
			       v ? json_object_to_json_string(v) : "missing");
		*bad = true;
	}
}

/* cpus: "max", a whole number, or a fraction as the policy wrote it (the JSON's own text). */
static void put_cpus(FILE *f, json_object *sandbox, bool *bad)
{
	json_object *v = NULL;

	if (*bad)
		return;
	json_object_object_get_ex(sandbox, "cpus", &v);
	if ((json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0) ||
	    json_object_is_type(v, json_type_double) ||
	    (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), "max") == 0))
		fprintf(f, "cpus = %s\n", json_object_is_type(v, json_type_string) ?
			json_object_get_string(v) : json_object_to_json_string(v));
	else {
		fuzz_violation("policy_to_json: sandbox.cpus is %s, not a number or \"max\"",
			       v ? json_object_to_json_string(v) : "missing");
		*bad = true;
	}
}

static void put_string(FILE *f, json_object *o, const char *key, bool *bad)
{
	json_object *v = member(o, key, json_type_string, bad);

	if (v)
		fprintf(f, "%s = %s\n", key, json_object_get_string(v));
}

/* GetPolicy's JSON written out as a policy file (docs/policy.md's keys, today's). */
static char *json_as_text(json_object *j, bool *bad)
{
	static const char *const lists[] = { "allow", "emulate", "deny", "kill", "log", "quiet" };
	static const char *const compat[] = { "ia32", "x32", "namespaces", "ungated" };
	json_object *sandbox = member(j, "sandbox", json_type_object, bad);
	json_object *syscalls = member(j, "syscalls", json_type_object, bad);
	json_object *comp = member(j, "compat", json_type_object, bad), *v, *caps, *user = NULL;
	char *text = NULL;
	size_t size = 0;
	FILE *f;

	if (*bad)
		return NULL;
	f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	fprintf(f, "[sandbox]\n");
	put_limit(f, sandbox, "memory", bad);
	put_limit(f, sandbox, "pids", bad);
	put_limit(f, sandbox, "storage", bad);
	put_cpus(f, sandbox, bad);
	if (json_object_object_get_ex(sandbox, "cpuset", NULL))
		put_string(f, sandbox, "cpuset", bad);
	put_string(f, sandbox, "network", bad);
	put_string(f, sandbox, "hostname", bad);
	put_string(f, sandbox, "kernel_layer", bad);
	put_string(f, sandbox, "layers", bad);
	put_string(f, sandbox, "userns", bad);
	caps = member(sandbox, "capabilities", json_type_array, bad);
	if (caps && json_object_array_length(caps) == 0)
		fprintf(f, "capabilities = none\n");
	put_list(f, "capabilities", caps, false, bad);
	if (!*bad && json_object_object_get_ex(sandbox, "user", &user)) {
		json_object *uid = member(user, "uid", json_type_int, bad), *gid = member(user, "gid", json_type_int, bad);

		if (uid && gid)
			fprintf(f, "user = %" PRIu64 ":%" PRIu64 "\n", json_object_get_uint64(uid),
				json_object_get_uint64(gid));
	}

	fprintf(f, "[syscalls]\n");
	put_string(f, syscalls, "default", bad);
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		put_list(f, lists[i], member(syscalls, lists[i], json_type_array, bad), false, bad);

	if (!*bad && json_object_object_get_ex(j, "ioctl", &v)) {
		fprintf(f, "[ioctl]\n");
		put_list(f, "allow", member(v, "allow", json_type_array, bad), true, bad);
	}
	if (!*bad && json_object_object_get_ex(j, "socket", &v)) {
		json_object *netlink;

		fprintf(f, "[socket]\n");
		put_list(f, "families", member(v, "families", json_type_array, bad), true, bad);
		if (!*bad && json_object_object_get_ex(v, "netlink", &netlink))
			put_list(f, "netlink", member(v, "netlink", json_type_array, bad), true, bad);
	}
	if (!*bad && json_object_object_get_ex(j, "prctl", &v)) {
		fprintf(f, "[prctl]\n");
		put_list(f, "allow", member(v, "allow", json_type_array, bad), true, bad);
	}

	fprintf(f, "[compat]\n");
	for (size_t i = 0; i < ARRAY_SIZE(compat); i++) {
		v = member(comp, compat[i], json_type_boolean, bad);
		if (v)
			fprintf(f, "%s = %s\n", compat[i], json_object_get_boolean(v) ? "yes" : "no");
	}
	if (fclose(f) != 0 || *bad)
		return mfree(text);
	return text;
}

/* c's JSON serialises and parses back to itself, and says what the file said: written out
 * as a policy, it compiles to c again. */
static void check_json(const struct rvisor_policy_config *c)
{
	_cleanup_policy_ struct rvisor_policy_config *again = NULL;
	_cleanup_free_ char *text = NULL, *err = NULL;
	json_object *j = policy_to_json(c), *back;
	const char *s;
	bool bad = false;
	int r;

	if (!j) {
		fuzz_violation("policy_to_json: NULL for an accepted policy");
		return;
	}
	s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	back = s ? json_tokener_parse(s) : NULL;
	if (!back || !json_object_equal(j, back))
		fuzz_violation("policy_to_json: its JSON does not serialise and parse back to itself");
	json_object_put(back);

	text = json_as_text(j, &bad);
	json_object_put(j);
	if (!text)
		return;
	r = policy_load_text(NAME, text, strlen(text), &again, &err);
	if (r < 0)
		fuzz_violation("policy_to_json: written out as a policy, it is refused (%d): %.300s", r, err ?: "");
	else
		same_policy(c, again, "policy_to_json: written out as a policy and read again");
}

/* ---- The seccomp filter ----------------------------------------------------------------------- */

/* Syscalls with an argument rule: the filter reads their arguments when they pass. */
static bool ruled(int nr)
{
	return nr == __NR_ioctl || nr == __NR_socket || nr == __NR_socketpair || nr == __NR_prctl ||
	       nr == __NR_personality || nr == __NR_clone || nr == __NR_unshare || nr == __NR_clone3;
}

/* What the filter answers for syscall nr (docs/policy.md's table): behind the gate a quiet
 * refusal is the gate's, so the filter lets it through. */
static uint32_t expected(const struct rvisor_policy *p, int nr, unsigned int flags)
{
	const struct rvisor_syscall_rule *r = &p->syscalls[nr];

	if ((flags & POLICY_SECCOMP_WITH_GATE) && (p->quiet[nr / 64] & (UINT64_C(1) << (nr % 64))) &&
	    r->action != RVISOR_ACTION_KILL)
		return SECCOMP_RET_ALLOW;
	switch (r->action) {
	case RVISOR_ACTION_DENY:
		return SECCOMP_RET_ERRNO | (r->error & SECCOMP_RET_DATA);
	case RVISOR_ACTION_KILL:
		return SECCOMP_RET_KILL_PROCESS;
	case RVISOR_ACTION_LOG:
		return flags & POLICY_SECCOMP_WITH_GATE ? SECCOMP_RET_ALLOW : SECCOMP_RET_LOG;
	default:
		return SECCOMP_RET_ALLOW;
	}
}

/* f's programs, run as the kernel runs them, against the table of p. */
static void check_programs(const struct policy_seccomp *f, const struct rvisor_policy *p, unsigned int flags,
			   const char *what)
{
	static const uint32_t foreign[][2] = {
		{ AUDIT_ARCH_I386, 0 }, { AUDIT_ARCH_I386, 11 }, { AUDIT_ARCH_I386, 102 },
		{ AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | 0 }, { AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | 59 },
	};
	bool bad = false;

	if (f->n < 1 || f->n > ARRAY_SIZE(f->progs)) {
		fuzz_violation("%s: %u programs", what, f->n);
		return;
	}
	for (unsigned int i = 0; i < f->n; i++)
		if (!f->progs[i].filter || f->progs[i].len < 1 || f->progs[i].len > BPF_MAXINSNS) {
			fuzz_violation("%s: program %u has %u instructions", what, i, f->progs[i].len);
			return;
		}
	for (int nr = 0; nr < RVISOR_NR_SYSCALLS; nr++) {
		const struct rvisor_syscall_rule *r = &p->syscalls[nr];
		struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
		uint32_t got, want = expected(p, nr, flags);

		if (ruled(nr) && (r->action == RVISOR_ACTION_PASS || r->action == RVISOR_ACTION_LOG))
			continue;
		got = bpf_run_stacked(f->progs, f->n, &d, &bad);
		if (bad || got != want) {
			fuzz_violation("%s: syscall %d (%s) answers 0x%08x, not 0x%08x%s", what, nr,
				       policy_action_to_string(r->action) ?: "?", got, want,
				       bad ? " (a program the kernel refuses)" : "");
			return;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++) {
		struct seccomp_data d = { .nr = (int)foreign[i][1], .arch = foreign[i][0] };
		uint32_t got = bpf_run_stacked(f->progs, f->n, &d, &bad);

		if (bad || got != (SECCOMP_RET_ERRNO | ENOSYS)) {
			fuzz_violation("%s: %s syscall 0x%x answers 0x%08x, not ERRNO(ENOSYS)", what,
				       d.arch == AUDIT_ARCH_I386 ? "ia32" : "x32", (unsigned int)d.nr, got);
			return;
		}
	}
}

static void check_seccomp(const struct rvisor_policy *p)
{
	for (unsigned int flags = 0; flags <= POLICY_SECCOMP_WITH_GATE; flags += POLICY_SECCOMP_WITH_GATE) {
		const char *what = flags ? "policy_seccomp_compile (with the gate)" : "policy_seccomp_compile";
		_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
		int r = policy_seccomp_compile(p, flags, &f);

		if (r == -EOPNOTSUPP)
			return; /* not x86-64 */
		if (r < 0) {
			/* every policy the parser accepts can be filtered: a sandbox of it starts */
			if (n_compile_failed++ == 0)
				first_compile_error = r;
			fuzz_violation("%s: fails with %d%s", what, r, f ? ", *ret set" : "");
			continue;
		}
		n_compiled++;
		if (!f) {
			fuzz_violation("%s: succeeds without programs", what);
			continue;
		}
		check_programs(f, p, flags, what);
	}
}

/* ---- One text ------------------------------------------------------------------------------- */

/* The policy with name and path dropped, as JSON text, for comparing two reads. */
static char *json_without_name(const struct rvisor_policy_config *c)
{
	json_object *j = policy_to_json(c);
	char *s;

	if (!j)
		return NULL;
	json_object_object_del(j, "name");
	json_object_object_del(j, "path");
	s = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return s;
}

/* A second read must give what the first did. */
static void check_again(int r, const struct rvisor_policy_config *c, const char *err, const char *text,
			size_t size, const char *what)
{
	_cleanup_policy_ struct rvisor_policy_config *c2 = NULL;
	_cleanup_free_ char *err2 = NULL, *j1 = NULL, *j2 = NULL;
	int r2 = policy_load_text(NAME, text, size, &c2, &err2);

	if (r == -ENOMEM || r2 == -ENOMEM)
		return;
	if (r2 != r)
		fuzz_violation("%s: read again, %d where it was %d", what, r2, r);
	else if (r < 0 && strcmp(err ?: "", err2 ?: "") != 0)
		fuzz_violation("%s: read again, \"%.200s\" where it was \"%.200s\"", what, err2 ?: "", err ?: "");
	else if (r >= 0 && c && c2 && same_policy(c, c2, "read again")) {
		j1 = json_without_name(c);
		j2 = json_without_name(c2);
		if (!j1 || !j2 || strcmp(j1, j2) != 0)
			fuzz_violation("%s: read again, its JSON differs", what);
	}
}

static void fuzz_text_as_policy(const char *text, size_t size, const char *what)
{
	_cleanup_policy_ struct rvisor_policy_config *c = NULL;
	_cleanup_free_ char *err = NULL;
	int r = policy_load_text(NAME, text, size, &c, &err);

	if (r >= 0) {
		n_accepted++;
		if (!c || err)
			fuzz_violation("%s: accepted %s", what, c ? "with a message" : "without a policy");
		else {
			check_settings(c, what);
			check_json(c);
			check_seccomp(&c->kernel);
		}
	} else if (r == -EINVAL) {
		n_refused++;
		if (c)
			fuzz_violation("%s: refused, but *ret set", what);
		if (!err)
			fuzz_violation("%s: -EINVAL without a message", what);
		else
			check_message(err, text, size, what);
	} else if (r != -ENOMEM)
		fuzz_violation("%s: error %d (%s), not -EINVAL or -ENOMEM", what, r, strerror(-r));
	check_again(r, c, err, text, size, what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, &size, INPUT_MAX);
	size_t len;

	if (!text)
		return 0;
	/* CheckPolicy's text is a JSON string, a C string to the handler: up to its first NUL */
	len = strlen(text);
	fuzz_text_as_policy(text, len, "CheckPolicy's text");
	/* a file may hold NULs (and the daemon reads /etc/rvisor/policies' files the same way) */
	if (len != size)
		fuzz_text_as_policy(text, size, "the file");
	return 0;
}

#ifndef RVISOR_LIBFUZZER
/* Bits of policy files that random bytes rarely hit; "" is a NUL byte. */
static const char *const tokens[] = {
	"", "\n", "\r", "\r\n", " ", "\t", "=", " = ", "#", " #", ";", " ;", ",", ":", "[", "]", "\n[",
	"[sandbox]\n", "[syscalls]\n", "[ioctl]\n", "[socket]\n", "[prctl]\n", "[compat]\n", "[network]\n",
	"[ sandbox ]", "[Sandbox]", "memory", "pids", "network", "hostname", "kernel_layer", "layers",
	"user", "storage", "userns", "capabilities", "cpus", "cpuset", "default", "allow", "emulate", "deny",
	"kill", "log", "quiet", "families", "netlink", "ia32", "x32", "namespaces", "ungated",
	"max", "none", "host", "both", "kernel", "seccomp", "required", "preferred", "auto", "always",
	"yes", "no", "true", "off", "pass", "deny:", ":EPERM", ":ENOSYS", ":4095", ":4096", ":0",
	"read", "write", "uname", "sysinfo", "io_uring_setup", "io_uring_enter", "clone3", "ioctl", "socketcall",
	"0", "1", "-1", "0x", "0x1", "K", "M", "G", "T", "k", "4K", "3K", "4096", "4095", "512M", "1.5", "0-1",
	"16777215T", "16777216T", "17179869183G", "9223372036854775807", "9223372036854775808",
	"18446744073709551614", "18446744073709551615", "18446744073709551616", "4294967294", "4294967295",
	"TCGETS", "TIOCSTI", "0xffffffff", "0x100000000", "PR_SET_NAME", "unix", "AF_INET", "63", "64",
	"route", "NETLINK_AUDIT", "31", "32", "CAP_CHOWN", "sys_admin", "1000:100",
};

/* Lines a parser takes or nearly takes, by section: a key and a value for it. */
static const char *const sandbox_lines[] = {
	"memory = 512M", "memory = max", "memory = 16777215T", "memory = 18446744073709551614",
	"memory = 0", "pids = 18446744073709551614", "pids = 18446744073709551615", "pids = max",
	"storage = 4K", "storage = 4095", "storage = 16777215T", "storage = 9223372036854775808",
	"storage = 18446744073709551614", "network = host", "hostname = a.b-c",
	"hostname = 0123456789012345678901234567890123456789012345678901234567890123",
	"hostname = 01234567890123456789012345678901234567890123456789012345678901234",
	"kernel_layer = required", "layers = seccomp", "layers = kernel", "user = 4294967294:0",
	"user = 4294967295:1", "userns = always", "capabilities = none", "capabilities = CHOWN cap_kill",
	"capabilities = SYS_ADMIN", "cpus = 1.5", "cpuset = 0-1",
};
static const char *const syscalls_lines[] = {
	"default = pass", "default = log", "default = deny:4094", "default = deny:4096", "default = kill",
	"default = emulate", "allow = read write", "allow = io_uring_setup", "emulate = uname sysinfo",
	"emulate = read", "deny = mount:EPERM read:13", "deny = umount2:EWHAT", "kill = ptrace",
	"log = getpid io_uring_enter", "quiet = clone3", "quiet = socketcall",
	"deny = io_uring_setup io_uring_enter io_uring_register", "allow = ioctl socket prctl clone",
};
static const char *const ioctl_lines[] = {
	"allow = TCGETS 0x5401 FIONREAD TIOCINQ 4294967295", "allow = 4294967296", "allow =",
};
static const char *const socket_lines[] = {
	"families = unix inet6 AF_NETLINK 63", "families = 64", "families =", "netlink = route audit 31",
	"netlink = 32",
};
static const char *const prctl_lines[] = { "allow = PR_SET_NAME 16 4294967295", "allow =", "allow = PR_NOPE" };
static const char *const compat_lines[] = {
	"ia32 = yes", "ia32 = no", "x32 = on", "namespaces = 1", "ungated = yes", "ungated = maybe",
};
static const struct {
	const char *header;
	const char *const *lines;
	size_t n;
} sections[] = {
	{ "[sandbox]", sandbox_lines, ARRAY_SIZE(sandbox_lines) },
	{ "[syscalls]", syscalls_lines, ARRAY_SIZE(syscalls_lines) },
	{ "[ioctl]", ioctl_lines, ARRAY_SIZE(ioctl_lines) },
	{ "[socket]", socket_lines, ARRAY_SIZE(socket_lines) },
	{ "[prctl]", prctl_lines, ARRAY_SIZE(prctl_lines) },
	{ "[compat]", compat_lines, ARRAY_SIZE(compat_lines) },
};

/* One of the lines of the section s (any, where s is past the end), picked by x. */
static const char *section_line(size_t s, uint64_t x)
{
	if (s >= ARRAY_SIZE(sections))
		s = (x >> 32) % ARRAY_SIZE(sections);
	return sections[s].lines[(x >> 8) % sections[s].n];
}

/* What "insert a token" inserts: a token, at times a whole line. */
static const void *token(uint64_t x, size_t *ret_n)
{
	if ((x >> 40) % 3 == 0) {
		const char *l = section_line(SIZE_MAX, x);

		*ret_n = strlen(l);
		return l;
	}
	return fuzz_token(tokens, ARRAY_SIZE(tokens), x, ret_n);
}

/* The section the line at start is in, by the last header before it; past the end when none
 * is known. */
static size_t section_at(const struct fuzz_bytes *b, size_t start)
{
	while (start > 0) {
		size_t end = start - 1, begin = end;

		while (begin > 0 && b->data[begin - 1] != '\n')
			begin--;
		if (b->data[begin] == '[')
			for (size_t s = 0; s < ARRAY_SIZE(sections); s++)
				if (end - begin >= strlen(sections[s].header) &&
				    memcmp(b->data + begin, sections[s].header, strlen(sections[s].header)) == 0)
					return s;
		start = begin;
	}
	return SIZE_MAX;
}

/* Line-aware mutations: a line replaced by one for its section, a line repeated, a long
 * line. */
static void mutate_lines(struct fuzz_bytes *b, unsigned int kind, size_t pos, uint64_t x)
{
	size_t start = pos, end = pos;

	while (start > 0 && b->data[start - 1] != '\n')
		start--;
	while (end < b->size && b->data[end] != '\n')
		end++;
	switch (kind) {
	case FUZZ_BYTE_OPS: { /* the line replaced */
		const char *l = section_line(section_at(b, start), x);

		fuzz_bytes_delete(b, start, end - start);
		fuzz_bytes_insert(b, start, l, strlen(l));
		break;
	}
	case FUZZ_BYTE_OPS + 1: /* the line, with its '\n', repeated */
		if (end < b->size)
			end++;
		fuzz_bytes_open(b, start, end - start);
		break;
	default: { /* a long line: a token over and over */
		size_t n, reps = 16 + (size_t)(x >> 40) % 1024;
		const void *t = fuzz_token(tokens, ARRAY_SIZE(tokens), x, &n);

		for (size_t i = 0; i < reps && fuzz_bytes_open(b, pos, n); i++)
			memcpy(b->data + pos, t, n);
		break;
	}
	}
}

/* One deterministic mutation of in (or a splice with other): mostly one byte or line
 * mutation, at times up to four. */
static uint8_t *mutate(const struct fuzz_input *in, const struct fuzz_input *other, uint64_t *rng, size_t *ret_size)
{
	static const struct fuzz_byte_ops ops = {
		.kinds = FUZZ_BYTE_OPS + 4,
		.token = token,
		.extra = mutate_lines,
	};

	return fuzz_mutate_bytes(in, other, fuzz_ops_mostly_one(rng), rng, &ops, ret_size);
}

static void finish(void)
{
	printf("# %lu texts accepted, %lu refused; %lu seccomp filters compiled, %lu failed", n_accepted,
	       n_refused, n_compiled, n_compile_failed);
	if (n_compile_failed)
		printf(" (the first with %d, %s)", first_compile_error, strerror(-first_compile_error));
	printf("\n");
}

int main(int argc, char *argv[])
{
	static const struct fuzz_replay replay = {
		.corpus = "tests/fuzz/corpus/policy",
		.mutations = 8000,
		.mutate = mutate,
		.check_fds = true,
		.check_leaks = true,
		.finish = finish,
	};

	return fuzz_replay_main(argc, argv, &replay);
}
#endif
