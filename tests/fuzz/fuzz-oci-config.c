/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes rvisor-runc's config.json rewrite (runtime/config.c, runtime/seccomp.c) with arbitrary
 * bytes as a bundle's config.json, taken as create.c takes it: runc_config_parse(), then
 * runc_config_policy(), runc_config_engine_seccomp(), runc_config_process_info(),
 * runc_seccomp_data() and runc_config_rewrite() against fixed PrepareContainer replies (layers
 * kernel+seccomp and seccomp with the real programs of tests/unit/policies/seccomp.conf, kernel
 * alone); the same bytes as a PrepareContainer reply for runc_prepared_from_json() too.
 * Checked beyond "no crash": a rewritten config is an object that serializes and parses back
 * the same; its annotations carry io.rvisor.policy and io.rvisor.layers (and the seccomp
 * program, ending in the policy's last one, with the seccomp layer); with the kernel layer
 * hooks.createRuntime is the input's hooks and then rvisor-runc's; the input's own limits stay,
 * the policy's fill only what is unset; nothing else changes; a refusal is -EINVAL (-EBADMSG
 * for the parser) with a message, exactly when a member the rewrite touches has the wrong type.
 * Leaks fail ASan's leak check. With -DRVISOR_LIBFUZZER (and -fsanitize=fuzzer) this is a
 * libFuzzer target (a broken invariant aborts); without, main() replays a corpus directory and
 * deterministic mutations of it under ASan/UBSan (tests/fuzz/replay.h) and prints TAP:
 *   fuzz-oci-config [CORPUS_DIR (tests/fuzz/corpus/oci-config)] [MUTATIONS (6000)]
 * The policy is found in $RVISOR_SOURCE_DIR, else in the tree the target was built from.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64.h"
#include "macro.h"
#include "oci-seccomp.h"
#include "policy.h"
#include "replay.h"
#include "runtime.h"

/* Inputs larger than this are cut. */
#define INPUT_MAX (1024 * 1024)

/* How deep the inputs got, printed by the replay. */
static unsigned long n_parsed, n_rewritten, n_refused, n_seccomp, n_replies;

/* ---- The fixed PrepareContainer replies ------------------------------------------------- */

struct reply {
	const char *name;
	struct runc_prepared p;
	struct sock_fprog last;  /* the policy's last program, which ends the seccomp annotation */
	bool loaded;
};
/* kernel+seccomp (the programs for under the gate, as rvisord sends them with the kernel
 * layer), kernel alone (no memory limit), seccomp alone (no pids limit). */
static struct reply replies[3] = {
	{ .name = "kernel+seccomp" },
	{ .name = "kernel" },
	{ .name = "seccomp" },
};
static bool replies_loaded;

/* The reply's "seccomp_bpf": the policy's programs in base64, as rvisord's
 * seccomp_programs_json() makes them. */
static int policy_programs(const struct rvisor_policy_config *pol, unsigned int flags, json_object **ret,
			   struct sock_fprog *ret_last)
{
	_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
	json_object *a;
	int r;

	r = policy_seccomp_compile(&pol->kernel, flags, &f);
	if (r < 0)
		return r;
	a = json_object_new_array();
	for (unsigned int i = 0; i < f->n; i++) {
		_cleanup_free_ char *text = NULL;

		if (base64_encode(f->progs[i].filter, f->progs[i].len * sizeof(struct sock_filter), &text) < 0)
			abort();
		json_object_array_add(a, json_object_new_string(text));
	}
	*ret_last = f->progs[f->n - 1];
	f->progs[f->n - 1] = (struct sock_fprog){};
	*ret = a;
	return 0;
}

static int reply_load(struct reply *rp, const char *text)
{
	json_object *o = json_tokener_parse(text);
	int r = runc_prepared_from_json(o, &rp->p);

	json_object_put(o);
	rp->loaded = r >= 0;
	return r;
}

/* NULL, or what failed: then the fuzzing goes on with the kernel-only reply alone. */
static const char *replies_load(void)
{
	_cleanup_policy_ struct rvisor_policy_config *pol = NULL;
	json_object *gate = NULL, *plain = NULL;
	char path[4096], *text = NULL;
	int r;

	replies_loaded = true;
	if (reply_load(&replies[1], "{\"policy\":\"fuzz-kernel\",\"layers\":[\"kernel\"],\"memory_max\":null,"
				    "\"pids_max\":1024}") < 0)
		return "the kernel-only reply does not load";
	if (!fuzz_policy_path(path, sizeof(path)))
		return "tests/unit/policies/seccomp.conf not found (set RVISOR_SOURCE_DIR)";
	if (policy_load_file(path, &pol, NULL) < 0)
		return "tests/unit/policies/seccomp.conf does not load";
	r = policy_programs(pol, POLICY_SECCOMP_WITH_GATE, &gate, &replies[0].last);
	if (r >= 0)
		r = policy_programs(pol, 0, &plain, &replies[2].last);
	if (r < 0) {
		json_object_put(gate);
		return r == -EOPNOTSUPP ? "the policy's programs are x86-64 only" : "the policy does not compile";
	}
	if (asprintf(&text, "{\"policy\":\"fuzz\",\"layers\":[\"kernel\",\"seccomp\"],\"memory_max\":268435456,"
			    "\"pids_max\":512,\"seccomp_bpf\":%s}", json_object_to_json_string(gate)) < 0)
		abort();
	r = reply_load(&replies[0], text);
	free(text);
	if (r >= 0 && asprintf(&text, "{\"policy\":\"fuzz-seccomp\",\"layers\":[\"seccomp\"],\"memory_max\":"
				      "1073741824,\"pids_max\":null,\"seccomp_bpf\":%s}",
			       json_object_to_json_string(plain)) < 0)
		abort();
	if (r >= 0) {
		r = reply_load(&replies[2], text);
		free(text);
	}
	json_object_put(gate);
	json_object_put(plain);
	return r < 0 ? "a seccomp reply does not load" : NULL;
}

static void replies_free(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(replies); i++) {
		runc_prepared_done(&replies[i].p);
		oci_seccomp_prog_clear(&replies[i].last);
		replies[i].loaded = false;
	}
}

/* ---- Invariants ----------------------------------------------------------------------------- */

/* o[key], NULL when absent or JSON null (as the rewrite reads it). */
static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/* Whether o[key] is something the rewrite cannot go into: present, not null, not of type. */
static bool wrong_type(json_object *o, const char *key, json_type type)
{
	json_object *v = member(o, key);

	return v && !json_object_is_type(v, type);
}

static bool listed(const char *key, const char *const *list)
{
	for (; list && *list; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

/* out (an object) is in (an object, or NULL for none) but for the keys in except: nothing
 * else was changed, dropped or added. */
static void same_except(json_object *in, json_object *out, const char *const *except, const char *where)
{
	if (!json_object_is_type(out, json_type_object)) {
		fuzz_violation("%s: not an object after the rewrite", where);
		return;
	}
	if (in) {
		json_object_object_foreach(in, key, v) {
			json_object *w;

			if (listed(key, except))
				continue;
			if (!json_object_object_get_ex(out, key, &w)) {
				fuzz_violation("%s.%s: dropped by the rewrite", where, key);
				return;
			}
			if (!json_object_equal(v, w)) {
				fuzz_violation("%s.%s: changed by the rewrite", where, key);
				return;
			}
		}
	}
	json_object_object_foreach(out, key, v) {
		if (!listed(key, except) && !(in && json_object_object_get_ex(in, key, NULL))) {
			fuzz_violation("%s.%s: added by the rewrite", where, key);
			return;
		}
		(void)v;
	}
}

/* RFC 8259's grammar, to hold json-c to it: whether text[*pos..] starts with one JSON value
 * (the bytes of strings are not checked: the parser checks UTF-8 itself). */
static bool json_value_ok(const char *t, size_t len, size_t *pos, unsigned depth);

static void json_ws(const char *t, size_t len, size_t *pos)
{
	while (*pos < len && strchr(" \t\n\r", t[*pos]) && t[*pos])
		(*pos)++;
}

static bool json_digits(const char *t, size_t len, size_t *pos)
{
	size_t start = *pos;

	while (*pos < len && t[*pos] >= '0' && t[*pos] <= '9')
		(*pos)++;
	return *pos > start;
}

static bool json_string_ok(const char *t, size_t len, size_t *pos)
{
	if (*pos >= len || t[*pos] != '"')
		return false;
	for ((*pos)++; *pos < len; (*pos)++) {
		unsigned char c = (unsigned char)t[*pos];

		if (c == '"') {
			(*pos)++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (++*pos >= len)
			return false;
		if (t[*pos] == 'u') {
			for (int k = 0; k < 4; k++)
				if (++*pos >= len || !strchr("0123456789abcdefABCDEF", t[*pos]) || !t[*pos])
					return false;
		} else if (!strchr("\"\\/bfnrt", t[*pos]) || !t[*pos])
			return false;
	}
	return false;
}

static bool json_value_ok(const char *t, size_t len, size_t *pos, unsigned depth)
{
	static const char *const literals[] = { "true", "false", "null" };

	if (depth > 1000 || *pos >= len)
		return false;
	switch (t[*pos]) {
	case '{':
	case '[': {
		char close = t[*pos] == '{' ? '}' : ']';

		(*pos)++;
		json_ws(t, len, pos);
		if (*pos < len && t[*pos] == close) {
			(*pos)++;
			return true;
		}
		for (;;) {
			if (close == '}') {
				if (!json_string_ok(t, len, pos))
					return false;
				json_ws(t, len, pos);
				if (*pos >= len || t[(*pos)++] != ':')
					return false;
				json_ws(t, len, pos);
			}
			if (!json_value_ok(t, len, pos, depth + 1))
				return false;
			json_ws(t, len, pos);
			if (*pos >= len)
				return false;
			if (t[*pos] == close) {
				(*pos)++;
				return true;
			}
			if (t[(*pos)++] != ',')
				return false;
			json_ws(t, len, pos);
		}
	}
	case '"':
		return json_string_ok(t, len, pos);
	case '-':
	case '0' ... '9':
		if (t[*pos] == '-')
			(*pos)++;
		if (*pos < len && t[*pos] == '0')
			(*pos)++;
		else if (!json_digits(t, len, pos))
			return false;
		if (*pos < len && t[*pos] == '.' && (++*pos, !json_digits(t, len, pos)))
			return false;
		if (*pos < len && (t[*pos] == 'e' || t[*pos] == 'E')) {
			(*pos)++;
			if (*pos < len && (t[*pos] == '+' || t[*pos] == '-'))
				(*pos)++;
			if (!json_digits(t, len, pos))
				return false;
		}
		return true;
	default:
		for (size_t i = 0; i < ARRAY_SIZE(literals); i++)
			if (len - *pos >= strlen(literals[i]) && memcmp(t + *pos, literals[i], strlen(literals[i])) == 0) {
				*pos += strlen(literals[i]);
				return true;
			}
		return false;
	}
}

/* Whether text is one JSON value, with white space around it, by RFC 8259. */
static bool json_strict(const char *text, size_t len)
{
	size_t pos = 0;

	json_ws(text, len, &pos);
	if (!json_value_ok(text, len, &pos, 0))
		return false;
	json_ws(text, len, &pos);
	return pos == len;
}

static bool is_string(json_object *o, const char *want)
{
	return json_object_is_type(o, json_type_string) && strcmp(json_object_get_string(o), want) == 0;
}

/* linux.resources.NAME.limit after the rewrite: the input's when set, else the policy's. */
static void check_limit(json_object *in, json_object *out, const char *name, bool has, int64_t value)
{
	const char *const except_resources[] = { "memory", "pids", NULL };
	const char *const except_limit[] = { "limit", NULL };
	json_object *in_res = member(member(in, "linux"), "resources"), *out_res = member(member(out, "linux"), "resources");
	json_object *in_o = member(in_res, name), *out_o = member(out_res, name);
	json_object *in_limit = member(in_o, "limit"), *out_limit;
	char where[64];

	if (!has && !in_o)
		return; /* nothing to set, nothing set: compared as a whole elsewhere */
	snprintf(where, sizeof(where), "linux.resources.%s", name);
	same_except(in_res, out_res, except_resources, "linux.resources");
	if (!has) {
		if (!json_object_equal(in_o, out_o))
			fuzz_violation("%s: changed without a policy limit", where);
		return;
	}
	same_except(in_o, out_o, except_limit, where);
	out_limit = member(out_o, "limit");
	if (in_limit) {
		if (!json_object_equal(in_limit, out_limit))
			fuzz_violation("%s.limit: the spec's own value was not kept", where);
	} else if (!json_object_is_type(out_limit, json_type_int) || json_object_get_int64(out_limit) != value)
		fuzz_violation("%s.limit: not the policy's %" PRId64 " where the spec sets none", where, value);
}

/* The hook rvisor-runc appends: {"path", "args": [rvisor-runc, hook, options...], "timeout"}. */
static void check_hook(json_object *h, const struct runc_hook_spec *hook)
{
	const char *want[8];
	json_object *args = member(h, "args"), *timeout = member(h, "timeout");
	size_t n = 0;

	want[n++] = RUNC_NAME;
	want[n++] = "hook";
	if (hook->socket) {
		want[n++] = "--socket";
		want[n++] = hook->socket;
	}
	if (hook->error_file) {
		want[n++] = "--error-file";
		want[n++] = hook->error_file;
	}
	if (hook->engine_seccomp)
		want[n++] = "--engine-seccomp";
	if (!is_string(member(h, "path"), hook->path)) {
		fuzz_violation("hooks.createRuntime: the last is not rvisor-runc's hook");
		return;
	}
	if (!json_object_is_type(args, json_type_array) || json_object_array_length(args) != n) {
		fuzz_violation("hooks.createRuntime: rvisor-runc's hook has not the arguments it should");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_string(json_object_array_get_idx(args, i), want[i])) {
			fuzz_violation("hooks.createRuntime: rvisor-runc's hook's argument %zu is not %s", i, want[i]);
			return;
		}
	if (!json_object_is_type(timeout, json_type_int) || json_object_get_int(timeout) != RUNC_HOOK_TIMEOUT)
		fuzz_violation("hooks.createRuntime: rvisor-runc's hook has not its timeout");
}

/* Whether the rewrite for p must refuse in: a member it writes into has the wrong type. */
static bool rewrite_refuses(json_object *in, const struct runc_prepared *p)
{
	json_object *linux_o = member(in, "linux"), *res = member(linux_o, "resources");

	if ((p->has_memory_max || p->has_pids_max || (p->layers & RUNC_LAYER_SECCOMP)) &&
	    wrong_type(in, "linux", json_type_object))
		return true;
	if ((p->has_memory_max || p->has_pids_max) && wrong_type(linux_o, "resources", json_type_object))
		return true;
	if (p->has_memory_max && wrong_type(res, "memory", json_type_object))
		return true;
	if (p->has_pids_max && wrong_type(res, "pids", json_type_object))
		return true;
	if (wrong_type(in, "annotations", json_type_object))
		return true;
	if ((p->layers & RUNC_LAYER_SECCOMP) && wrong_type(in, "process", json_type_object))
		return true;
	if ((p->layers & RUNC_LAYER_KERNEL) &&
	    (wrong_type(in, "hooks", json_type_object) ||
	     wrong_type(member(in, "hooks"), "createRuntime", json_type_array)))
		return true;
	return false;
}

/* out, in rewritten for p with seccomp_data and hook, against in. */
static void check_rewritten(json_object *in, json_object *out, const struct runc_prepared *p,
			    const char *seccomp_data, const struct runc_hook_spec *hook)
{
	const char *top[5] = { "annotations" }, *const ann_except[] = { ANNOTATION_POLICY, ANNOTATION_LAYERS,
									 ANNOTATION_CRUN_SECCOMP, NULL };
	const char *const linux_except[] = { "resources", NULL }, *const nnp[] = { "noNewPrivileges", NULL };
	const char *const hooks_except[] = { "createRuntime", NULL };
	bool seccomp = p->layers & RUNC_LAYER_SECCOMP, kernel = p->layers & RUNC_LAYER_KERNEL;
	json_object *ann = member(out, "annotations");
	size_t n = 1;

	if (!json_object_is_type(out, json_type_object)) {
		fuzz_violation("the rewritten config is not an object");
		return;
	}
	/* What create.c writes for crun is JSON (json-c's strict mode still reads NaN, Infinity
	 * and "1.", and writes them back as they were) and parses back as it is. */
	{
		const char *text = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN |
									JSON_C_TO_STRING_NOSLASHESCAPE);
		_cleanup_free_ char *msg = NULL;
		json_object *back = NULL;
		bool fine = false;

		if (!text || !json_strict(text, strlen(text)))
			fuzz_violation("the rewritten config is not JSON (RFC 8259): crun refuses it");
		else if (runc_config_parse(text, strlen(text), &back, &msg) < 0)
			fuzz_violation("the rewritten config does not parse back: %s", msg ?: "?");
		else if (!json_object_equal(out, back))
			fuzz_violation("the rewritten config parses back different");
		else
			fine = true;
		json_object_put(back);
		if (!fine)
			return;
	}

	/* What the rewrite may touch at the top; the rest is compared whole. */
	if (p->has_memory_max || p->has_pids_max || seccomp)
		top[n++] = "linux";
	if (seccomp)
		top[n++] = "process";
	if (kernel)
		top[n++] = "hooks";
	same_except(in, out, top, "config");

	if (!is_string(member(ann, ANNOTATION_POLICY), p->policy))
		fuzz_violation("annotations: " ANNOTATION_POLICY " is not the policy's name");
	if (!is_string(member(ann, ANNOTATION_LAYERS), runc_layers_annotation(p->layers)))
		fuzz_violation("annotations: " ANNOTATION_LAYERS " is not %s", runc_layers_annotation(p->layers));
	same_except(member(in, "annotations"), ann, seccomp ? ann_except : (const char *const[]){ ANNOTATION_POLICY, ANNOTATION_LAYERS, NULL },
		    "annotations");
	if (seccomp && !is_string(member(ann, ANNOTATION_CRUN_SECCOMP), seccomp_data))
		fuzz_violation("annotations: " ANNOTATION_CRUN_SECCOMP " is not the seccomp program");

	if (p->has_memory_max || p->has_pids_max || seccomp) {
		json_object *in_linux = member(in, "linux"), *out_linux = member(out, "linux");

		if (!json_object_is_type(out_linux, json_type_object))
			fuzz_violation("linux: not an object after the rewrite");
		else if (p->has_memory_max || p->has_pids_max)
			same_except(in_linux, out_linux, linux_except, "linux");
		else if (in_linux && !json_object_equal(in_linux, out_linux))
			fuzz_violation("linux: changed without limits to set");
		if (!p->has_memory_max && !p->has_pids_max && !in_linux && json_object_object_length(out_linux) != 0)
			fuzz_violation("linux: more than the empty object the seccomp layer needs");
		check_limit(in, out, "memory", p->has_memory_max, p->memory_max);
		check_limit(in, out, "pids", p->has_pids_max, p->pids_max);
	}
	if (seccomp) {
		json_object *process = member(out, "process");

		if (!json_object_is_type(member(process, "noNewPrivileges"), json_type_boolean) ||
		    !json_object_get_boolean(member(process, "noNewPrivileges")))
			fuzz_violation("process.noNewPrivileges: not true with the seccomp layer");
		same_except(member(in, "process"), process, nnp, "process");
	}
	if (kernel) {
		json_object *in_hooks = member(in, "hooks"), *out_hooks = member(out, "hooks");
		json_object *in_list = member(in_hooks, "createRuntime"), *out_list = member(out_hooks, "createRuntime");
		size_t n_in = in_list ? json_object_array_length(in_list) : 0;

		same_except(in_hooks, out_hooks, hooks_except, "hooks");
		if (!json_object_is_type(out_list, json_type_array) || json_object_array_length(out_list) != n_in + 1) {
			fuzz_violation("hooks.createRuntime: not the input's %zu hooks and rvisor-runc's", n_in);
			return;
		}
		for (size_t i = 0; i < n_in; i++)
			if (!json_object_equal(json_object_array_get_idx(in_list, i), json_object_array_get_idx(out_list, i))) {
				fuzz_violation("hooks.createRuntime[%zu]: the input's hook changed", i);
				return;
			}
		check_hook(json_object_array_get_idx(out_list, n_in), hook);
	}
}

/* runc_seccomp_data() of in for rp: 0 and *ret, or a refusal checked. */
static int seccomp_data(json_object *in, const struct reply *rp, char **ret)
{
	_cleanup_sock_fprog_ struct sock_fprog prog = {};
	_cleanup_free_ char *msg = NULL;
	json_object *linux_o = member(in, "linux"), *ann = member(in, "annotations");
	const char *reason = NULL;
	bool bad = wrong_type(linux_o, "seccomp", json_type_object) ||
		   (json_object_object_get_ex(ann, ANNOTATION_CRUN_SECCOMP, NULL) &&
		    !json_object_is_type(member(ann, ANNOTATION_CRUN_SECCOMP), json_type_string));
	int r = runc_seccomp_data(in, rp->p.seccomp_bpf, ret, &msg);

	if (r < 0) {
		n_refused++;
		if (r != -EINVAL && r != -ENOMEM)
			fuzz_violation("runc_seccomp_data: error %d, not -EINVAL or -ENOMEM", r);
		else if (r == -EINVAL && (!msg || !msg[0]))
			fuzz_violation("runc_seccomp_data: -EINVAL without a message");
		return r;
	}
	n_seccomp++;
	if (bad)
		fuzz_violation("runc_seccomp_data: took a linux.seccomp or " ANNOTATION_CRUN_SECCOMP " of the wrong type");
	/* The program crun installs: valid base64 of a program that ends in the policy's last. */
	if (oci_seccomp_from_base64(*ret, &prog, &reason) < 0)
		fuzz_violation("runc_seccomp_data: the program does not decode: %s", reason ?: "");
	else if (prog.len < rp->last.len ||
		 memcmp(prog.filter + prog.len - rp->last.len, rp->last.filter, rp->last.len * sizeof(*prog.filter)) != 0)
		fuzz_violation("runc_seccomp_data: the program does not end in the policy's last program");
	return 0;
}

static void check_process_info(json_object *in)
{
	json_object *process = member(in, "process"), *in_args = member(process, "args"), *args = NULL;
	const char *host = NULL, *domain = NULL;
	bool bad = wrong_type(in, "process", json_type_object) || wrong_type(process, "args", json_type_array) ||
		   wrong_type(in, "hostname", json_type_string) || wrong_type(in, "domainname", json_type_string);
	size_t n = in_args && json_object_is_type(in_args, json_type_array) ? json_object_array_length(in_args) : 0;
	int r;

	for (size_t i = 0; i < n; i++)
		bad = bad || !json_object_is_type(json_object_array_get_idx(in_args, i), json_type_string);
	r = runc_config_process_info(in, &args, &host, &domain);
	if (r < 0) {
		if (r != -ENOMEM && (r != -EINVAL || !bad))
			fuzz_violation("runc_config_process_info: error %d for a config it should take", r);
		return;
	}
	if (bad)
		fuzz_violation("runc_config_process_info: took a process, args, hostname or domainname of the wrong type");
	else if (!json_object_is_type(args, json_type_array) || json_object_array_length(args) != n)
		fuzz_violation("runc_config_process_info: not the %zu arguments of process.args", n);
	else {
		for (size_t i = 0; i < n; i++)
			if (!json_object_equal(json_object_array_get_idx(args, i), json_object_array_get_idx(in_args, i)))
				fuzz_violation("runc_config_process_info: argument %zu differs", i);
		if ((host || member(in, "hostname")) && !is_string(member(in, "hostname"), host ?: ""))
			fuzz_violation("runc_config_process_info: not the hostname");
		if ((domain || member(in, "domainname")) && !is_string(member(in, "domainname"), domain ?: ""))
			fuzz_violation("runc_config_process_info: not the domainname");
	}
	json_object_put(args);
}

/* in rewritten for p on a copy, with seccomp_data (NULL: none) and a hook built from x. */
static void rewrite(json_object *in, const struct runc_prepared *p, const char *seccomp_data, bool engine_seccomp,
		    uint64_t x)
{
	_cleanup_free_ char *msg = NULL;
	struct runc_hook_spec hook = {
		.path = x % 2 ? "/usr/libexec/rvisor/rvisor-runc" : "/usr/bin/rvisor-runc",
		.socket = (x >> 1) % 2 ? "/run/user/1000/rvisor/io.rvisor.Manager" : NULL,
		.error_file = (x >> 2) % 4 ? "/run/rvisor-runc/0123456789abcdef/c1@Xa81Zq.err" : NULL,
		.engine_seccomp = engine_seccomp,
	};
	json_object *out = NULL;
	bool refuses = rewrite_refuses(in, p);
	int r;

	if (json_object_deep_copy(in, &out, NULL) < 0)
		return;
	r = runc_config_rewrite(out, p, seccomp_data, &hook, &msg);
	if (r < 0) {
		n_refused++;
		if (r == -ENOMEM)
			;
		else if (r != -EINVAL)
			fuzz_violation("runc_config_rewrite: error %d, not -EINVAL or -ENOMEM", r);
		else if (!msg || !msg[0])
			fuzz_violation("runc_config_rewrite: -EINVAL without a message");
		else if (!refuses && !(!seccomp_data && (p->layers & RUNC_LAYER_SECCOMP)))
			fuzz_violation("runc_config_rewrite: refused a config it should take: %s", msg);
	} else if (refuses)
		fuzz_violation("runc_config_rewrite: took a config with a member of the wrong type");
	else if (!seccomp_data && (p->layers & RUNC_LAYER_SECCOMP))
		fuzz_violation("runc_config_rewrite: the seccomp layer without a program");
	else {
		n_rewritten++;
		check_rewritten(in, out, p, seccomp_data, &hook);
	}
	json_object_put(out);
}

/* The bytes as PrepareContainer's reply, applied to a fixed config. */
static void fuzz_reply(json_object *o, uint64_t x)
{
	struct runc_prepared p = {};
	json_object *layers = member(o, "layers"), *bpf = member(o, "seccomp_bpf"), *config;
	int r = runc_prepared_from_json(o, &p);

	if (r < 0) {
		if (r != -EBADMSG && r != -ENOMEM)
			fuzz_violation("runc_prepared_from_json: error %d, not -EBADMSG", r);
		return;
	}
	n_replies++;
	if (!p.policy || !p.policy[0] || !is_string(member(o, "policy"), p.policy))
		fuzz_violation("runc_prepared_from_json: not the reply's policy");
	if (p.layers == 0 || (p.layers & ~(unsigned)(RUNC_LAYER_KERNEL | RUNC_LAYER_SECCOMP)) ||
	    !json_object_is_type(layers, json_type_array) || json_object_array_length(layers) == 0)
		fuzz_violation("runc_prepared_from_json: took layers it cannot apply");
	if ((p.layers & RUNC_LAYER_SECCOMP) &&
	    (!p.seccomp_bpf || !json_object_equal(p.seccomp_bpf, bpf) || json_object_array_length(bpf) == 0))
		fuzz_violation("runc_prepared_from_json: the seccomp layer without the reply's programs");
	if ((p.has_memory_max && p.memory_max < 0) || (p.has_pids_max && p.pids_max < 0))
		fuzz_violation("runc_prepared_from_json: a negative limit");
	config = json_tokener_parse("{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]},\"linux\":{}}");
	rewrite(config, &p, "IAAAAAAAAAAGAAAAAAD/fw==", false, x);
	json_object_put(config);
	runc_prepared_done(&p);
}

static void fuzz_config(const char *text, size_t size, uint64_t *rng)
{
	_cleanup_free_ char *msg = NULL;
	json_object *config = NULL;
	bool engine;
	const char *policy = NULL;
	int r;

	r = runc_config_parse(text, size, &config, &msg);
	if (r < 0) {
		if (r != -EBADMSG && r != -ENOMEM)
			fuzz_violation("runc_config_parse: error %d, not -EBADMSG or -ENOMEM", r);
		else if (r == -EBADMSG && (!msg || !msg[0]))
			fuzz_violation("runc_config_parse: -EBADMSG without a message");
		return;
	}
	n_parsed++;
	if (!json_object_is_type(config, json_type_object))
		fuzz_violation("runc_config_parse: not an object");
	if (memchr(text, '\0', size))
		fuzz_violation("runc_config_parse: took a NUL byte");

	{
		json_object *ann = member(config, "annotations");
		bool bad = wrong_type(config, "annotations", json_type_object) ||
			   (json_object_object_get_ex(ann, ANNOTATION_POLICY, NULL) &&
			    !json_object_is_type(member(ann, ANNOTATION_POLICY), json_type_string));

		r = runc_config_policy(config, &policy);
		if (r < 0 ? r != -EINVAL || !bad : bad)
			fuzz_violation("runc_config_policy: %d for %s annotation", r, bad ? "a wrong" : "a fine");
		else if (r >= 0 && (policy ? !is_string(member(ann, ANNOTATION_POLICY), policy) : member(ann, ANNOTATION_POLICY) != NULL))
			fuzz_violation("runc_config_policy: not the annotation's policy");
	}
	/* A profile: linux.seccomp as an object (anything else is refused later), or the raw
	 * program's annotation, whatever it holds. */
	engine = runc_config_engine_seccomp(config);
	if (engine != (json_object_is_type(member(member(config, "linux"), "seccomp"), json_type_object) ||
		       json_object_object_get_ex(member(config, "annotations"), ANNOTATION_CRUN_SECCOMP, NULL)))
		fuzz_violation("runc_config_engine_seccomp: %s where the config has %s", engine ? "true" : "false",
			  engine ? "no profile" : "one");
	check_process_info(config);

	for (size_t i = 0; i < ARRAY_SIZE(replies); i++) {
		const struct reply *rp = &replies[i];
		_cleanup_free_ char *data = NULL;
		uint64_t x = fuzz_rng_next(rng);

		if (!rp->loaded)
			continue;
		if (rp->p.layers & RUNC_LAYER_SECCOMP) {
			/* create.c stops where the program cannot be made; the rewrite then has none */
			if (seccomp_data(config, rp, &data) < 0 && x % 4 != 0)
				continue;
		}
		rewrite(config, &rp->p, data, engine, x >> 2);
	}
	fuzz_reply(config, fuzz_rng_next(rng));
	json_object_put(config);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t rng = fuzz_hash(data, size);
	_cleanup_free_ char *text = NULL;

	fuzz_setup_once(replies_loaded, replies_load, "fuzz-oci-config: without the seccomp replies");
	/* NUL-terminated as create.c reads it (cli_read_text()). */
	text = fuzz_text(data, &size, INPUT_MAX);
	if (!text)
		return 0;
	fuzz_config(text, size, &rng);
	return 0;
}

#ifndef RVISOR_LIBFUZZER
/* Bits of config.json that random bytes rarely hit. */
static const char *const tokens[] = {
	"\0", "{", "}", "[", "]", "\"", ":", ",", "null", "true", "-1", "0", "1e999", "\\u0000", "\\ud800",
	"\xc3\x28", "\xef\xbb\xbf", "18446744073709551616", "\"annotations\":", "\"hooks\":", "\"createRuntime\":",
	"\"linux\":", "\"resources\":", "\"memory\":", "\"pids\":", "\"limit\":", "\"process\":", "\"args\":",
	"\"seccomp\":", "\"" ANNOTATION_POLICY "\":", "\"" ANNOTATION_CRUN_SECCOMP "\":",
};

/* Byte mutations, these tokens among them. */
static const struct fuzz_byte_ops byte_ops = {
	.kinds = FUZZ_BYTE_OPS,
	.tokens = tokens,
	.n_tokens = ARRAY_SIZE(tokens),
};

/* Values and keys of config.json's members, for mutations that keep it JSON. */
static const char *const json_values[] = {
	"null", "true", "false", "0", "1", "-1", "512", "268435456", "9223372036854775807",
	"18446744073709551615", "-9223372036854775808", "1.5", "\"\"", "\"sh\"", "{}", "[]", "[\"sh\",\"-c\"]", "[1]",
	"{\"path\":\"/usr/libexec/podman/conmon\",\"args\":[\"conmon\"]}",
	"[{\"path\":\"/usr/bin/nvidia-container-runtime-hook\",\"args\":[\"hook\",\"prestart\"],\"timeout\":5}]",
	"{\"limit\":1048576}", "{\"limit\":null}", "{\"limit\":\"max\"}", "{\"limit\":-1,\"reservation\":4096}",
	"{\"memory\":{\"limit\":536870912},\"pids\":{\"limit\":100}}", "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
	"{\"defaultAction\":\"SCMP_ACT_TRACE\"}", "{\"defaultAction\":\"SCMP_ACT_NO\"}",
	"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_KILL\"}]}",
	"\"IAAAAAAAAAAGAAAAAAD/fw==\"", "\"IAAAAAAAAAAGAAAAAADwfw==\"", "\"not base64\"", "\"kernel\"",
	"{\"" ANNOTATION_POLICY "\":\"default\",\"org.opencontainers.image.title\":\"x\"}",
};
static const char *const json_keys[] = {
	"annotations", "hooks", "createRuntime", "createContainer", "prestart", "poststop", "linux", "resources",
	"memory", "pids", "limit", "process", "args", "noNewPrivileges", "hostname", "domainname", "seccomp",
	ANNOTATION_POLICY, ANNOTATION_LAYERS, ANNOTATION_CRUN_SECCOMP, "path", "timeout", "env",
	/* PrepareContainer's reply, which the same bytes are read as too */
	"policy", "layers", "memory_max", "pids_max", "seccomp_bpf",
};

static const struct fuzz_json_words words = {
	json_keys, ARRAY_SIZE(json_keys), json_values, ARRAY_SIZE(json_values),
};

/* One deterministic mutation of in (or a splice with other): kept JSON most of the time. */
static uint8_t *mutate(const struct fuzz_input *in, const struct fuzz_input *other, uint64_t *rng, size_t *ret_size)
{
	return fuzz_mutate_json_mostly(in, other, rng, &words, &byte_ops, ret_size);
}

static void finish(void)
{
	replies_free();
	printf("# %lu configs parsed, %lu rewritten, %lu seccomp programs made, %lu refusals, %lu replies read\n",
	       n_parsed, n_rewritten, n_seccomp, n_refused, n_replies);
}

int main(int argc, char *argv[])
{
	static const struct fuzz_replay replay = {
		.corpus = "tests/fuzz/corpus/oci-config",
		.mutations = 6000,
		.mutate = mutate,
		.setup = replies_load,
		.check_leaks = true,
		.finish = finish,
	};

	return fuzz_replay_main(argc, argv, &replay);
}
#endif
