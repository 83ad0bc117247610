/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes rvisord's reading of a bundle's config.json (rvisord/oci.c, oci_config_parse()) with
 * arbitrary bytes, taken as Run takes its bundle_config parameter: a C string (the bytes up
 * to the first NUL), and where that differs, the bytes as they are (NUL and all).
 * Checked beyond "no crash", against what oci.h promises and what the JSON says (read again
 * here with json-c): the result is 0, -EINVAL with a message "config.json: ...", or -ENOMEM,
 * and *ret is set only on success; a text is accepted exactly when it is one JSON object
 * whose members rvisord reads have their types (root and process objects or null, root.path,
 * process.cwd and hostname strings without a NUL byte or null, root.readonly and
 * process.terminal booleans, process.args and process.env arrays of such strings or null,
 * args[0] not empty, every env entry KEY=VALUE with a KEY, process.user an object or null with
 * uid and gid from 0 to 4294967294), no larger than OCI_CONFIG_MAX; an accepted config holds
 * those values as the JSON has them (args NULL when there are none, as many entries as the
 * arrays); reading the same text again gives the same result.
 * Leaks fail ASan's leak check. With -DRVISOR_LIBFUZZER (and -fsanitize=fuzzer) this is a
 * libFuzzer target (a broken invariant aborts); without, main() replays a corpus directory and
 * deterministic mutations of it under ASan/UBSan (tests/fuzz/replay.h) and prints TAP:
 *   fuzz-bundle-config [CORPUS_DIR (tests/fuzz/corpus/bundle-config)] [MUTATIONS (8000)]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "macro.h"
#include "oci.h"
#include "replay.h"

/* A bit more than rvisord takes, so that the size limit is reached too. */
#define INPUT_MAX (OCI_CONFIG_MAX + 16)

/* How deep the inputs got, printed by the replay. */
static unsigned long n_accepted, n_refused;

#define SENTINEL ((struct oci_config *)(uintptr_t)1)

/* ---- What the JSON says ----------------------------------------------------------------- */

/* o[key], NULL when absent. */
static json_object *member(json_object *o, const char *key, bool *ret_present)
{
	json_object *v = NULL;

	*ret_present = json_object_object_get_ex(o, key, &v);
	return v;
}

/* A JSON string a C string holds whole. */
static bool c_string(json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	       strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v);
}

/* Absent, null, or a string without a NUL byte. */
static bool optional_string(json_object *o, const char *key)
{
	bool present;
	json_object *v = member(o, key, &present);

	return !present || !v || c_string(v);
}

/* Absent, or a boolean (null is not one). */
static bool optional_bool(json_object *o, const char *key)
{
	bool present;
	json_object *v = member(o, key, &present);

	return !present || json_object_is_type(v, json_type_boolean);
}

static bool array_of_strings(json_object *a)
{
	if (!json_object_is_type(a, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!c_string(json_object_array_get_idx(a, i)))
			return false;
	return true;
}

static bool id_ok(json_object *user, const char *key)
{
	bool present;
	json_object *v = member(user, key, &present);

	return json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0 &&
	       json_object_get_int64(v) < UINT32_MAX;
}

static bool process_ok(json_object *process)
{
	json_object *args, *env, *user;
	bool present;

	if (!process)
		return true;
	if (!json_object_is_type(process, json_type_object))
		return false;
	args = member(process, "args", &present);
	if (args && (!array_of_strings(args) ||
		     (json_object_array_length(args) > 0 &&
		      json_object_get_string_len(json_object_array_get_idx(args, 0)) == 0)))
		return false;
	env = member(process, "env", &present);
	if (env && !array_of_strings(env))
		return false;
	for (size_t i = 0; env && i < json_object_array_length(env); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));

		if (!strchr(e, '=') || e[0] == '=')
			return false;
	}
	if (!optional_string(process, "cwd") || !optional_bool(process, "terminal"))
		return false;
	user = member(process, "user", &present);
	if (user && (!json_object_is_type(user, json_type_object) || !id_ok(user, "uid") || !id_ok(user, "gid")))
		return false;
	return true;
}

/* Whether rvisord must accept config, a parsed JSON value. */
static bool config_ok(json_object *config)
{
	json_object *root;
	bool present;

	if (!json_object_is_type(config, json_type_object))
		return false;
	root = member(config, "root", &present);
	if (root && (!json_object_is_type(root, json_type_object) || !optional_string(root, "path") ||
		     !optional_bool(root, "readonly")))
		return false;
	return process_ok(member(config, "process", &present)) && optional_string(config, "hostname");
}

/* text[0..len-1] as one JSON value and nothing after it, as json-c reads it; NULL otherwise. */
static json_object *json_whole(const char *text, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o && json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* ---- What rvisord made of it -------------------------------------------------------------- */

/* s is v's string (NULL for absent or null). */
static bool same_string(const char *s, json_object *v)
{
	if (!v)
		return !s;
	return s && c_string(v) && strcmp(s, json_object_get_string(v)) == 0;
}

static bool same_strv(char **l, json_object *a)
{
	size_t n = a ? json_object_array_length(a) : 0, i;

	for (i = 0; l && l[i]; i++)
		if (i >= n || !same_string(l[i], json_object_array_get_idx(a, i)))
			return false;
	return i == n;
}

static void check_accepted(const struct oci_config *c, json_object *config, const char *what)
{
	bool present;
	json_object *root = member(config, "root", &present), *process = member(config, "process", &present);
	json_object *args = member(process, "args", &present), *env = member(process, "env", &present);
	json_object *user = member(process, "user", &present), *v;

	if (!same_string(c->root_path, member(root, "path", &present)))
		fuzz_violation("%s: root.path \"%.100s\" is not the JSON's", what, c->root_path ?: "(null)");
	v = member(root, "readonly", &present);
	if (c->root_readonly != (v && json_object_get_boolean(v)))
		fuzz_violation("%s: root.readonly %d is not the JSON's", what, c->root_readonly);
	if (args && json_object_array_length(args) == 0 ? c->args != NULL : !same_strv(c->args, args))
		fuzz_violation("%s: process.args is not the JSON's (NULL for none)", what);
	if (c->args && !c->args[0])
		fuzz_violation("%s: process.args empty but not NULL", what);
	if (c->args && !c->args[0][0])
		fuzz_violation("%s: process.args[0] is empty", what);
	if (!same_strv(c->env, env))
		fuzz_violation("%s: process.env is not the JSON's", what);
	for (char **e = c->env; e && *e; e++)
		if (!strchr(*e, '=') || **e == '=')
			fuzz_violation("%s: process.env entry \"%.100s\" is not KEY=VALUE", what, *e);
	if (!same_string(c->cwd, member(process, "cwd", &present)))
		fuzz_violation("%s: process.cwd is not the JSON's", what);
	v = member(process, "terminal", &present);
	if (c->terminal != (v && json_object_get_boolean(v)))
		fuzz_violation("%s: process.terminal %d is not the JSON's", what, c->terminal);
	if (c->has_user != (user != NULL) ||
	    (user && (c->uid != (uid_t)json_object_get_int64(member(user, "uid", &present)) ||
		      c->gid != (gid_t)json_object_get_int64(member(user, "gid", &present)))))
		fuzz_violation("%s: process.user is not the JSON's", what);
	if (c->has_user && (c->uid == (uid_t)-1 || c->gid == (gid_t)-1))
		fuzz_violation("%s: user %u:%u (-1 is \"unchanged\")", what, c->uid, c->gid);
	if (!same_string(c->hostname, member(config, "hostname", &present)))
		fuzz_violation("%s: hostname is not the JSON's", what);
}

/* One parse of text[0..len-1] and its invariants; the result. */
static int parse_once(const char *text, size_t len, const char *what)
{
	struct oci_config *c = SENTINEL;
	_cleanup_free_ char *err = NULL;
	json_object *config = NULL;
	bool want;
	int r;

	r = oci_config_parse(text, len, &c, &err);
	if (r == -ENOMEM)
		return r;
	if (len <= OCI_CONFIG_MAX && !memchr(text, '\0', len))
		config = json_whole(text, len);
	want = config && config_ok(config);
	if (r == 0) {
		n_accepted++;
		if (!want)
			fuzz_violation("%s: accepted a config rvisord must refuse", what);
		if (c == SENTINEL || !c)
			fuzz_violation("%s: accepted, *ret not set", what);
		else if (config)
			check_accepted(c, config, what);
		if (err)
			fuzz_violation("%s: accepted with a message \"%.100s\"", what, err);
	} else if (r == -EINVAL) {
		n_refused++;
		if (want)
			fuzz_violation("%s: refused a config rvisord must take: %.200s", what, err ?: "(no message)");
		if (!err || strncmp(err, "config.json: ", 13) != 0 || !err[13])
			fuzz_violation("%s: refused with message \"%.200s\", not \"config.json: ...\"", what,
				       err ?: "(none)");
		if (c != SENTINEL)
			fuzz_violation("%s: refused, *ret changed", what);
	} else
		fuzz_violation("%s: error %d, not -EINVAL or -ENOMEM", what, r);
	if (c != SENTINEL)
		oci_config_free(c);
	json_object_put(config);
	return r;
}

/* Run's way (a C string: the bytes up to the first NUL) and the bytes as they are; each read
 * twice. */
static void fuzz_config(const char *text, size_t size)
{
	size_t cut = strnlen(text, size);

	if (parse_once(text, cut, "as Run's string") != parse_once(text, cut, "again"))
		fuzz_violation("the same text read twice gives two results");
	if (cut != size && parse_once(text, size, "with its NUL bytes") != -EINVAL)
		fuzz_violation("a text with a NUL byte is not refused");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, &size, INPUT_MAX);

	if (text)
		fuzz_config(text, size);
	return 0;
}

#ifndef RVISOR_LIBFUZZER
/* Bits of config.json that random bytes rarely hit. */
static const char *const tokens[] = {
	"\0", "{", "}", "[", "]", "\"", ":", ",", "null", "true", "false", "-1", "0", "4294967295",
	"4294967294", "1e999", "\\u0000", "\\ud800", "\xc3\x28", "\xef\xbb\xbf", "18446744073709551616",
	"\"root\":", "\"path\":", "\"readonly\":", "\"process\":", "\"args\":", "\"env\":", "\"cwd\":",
	"\"terminal\":", "\"user\":", "\"uid\":", "\"gid\":", "\"hostname\":", "\"=x\"", "\"A=\"", "\"\"",
};

/* Byte mutations, these tokens among them. */
static const struct fuzz_byte_ops byte_ops = {
	.kinds = FUZZ_BYTE_OPS,
	.tokens = tokens,
	.n_tokens = ARRAY_SIZE(tokens),
};

/* Values and keys of the members rvisord reads, for mutations that keep the text JSON. */
static const char *const json_values[] = {
	"null", "true", "false", "0", "1", "-1", "4294967294", "4294967295", "9223372036854775807", "1.5",
	"\"\"", "\"sh\"", "\"rootfs\"", "\"/\"", "\"a\\u0000b\"", "\"PATH=/bin\"", "\"=x\"", "\"NOEQUALS\"",
	"{}", "[]", "[\"sh\",\"-c\",\"true\"]", "[\"\"]", "[1]", "[\"A=1\",\"B=\"]", "[\"A=1\",null]",
	"{\"uid\":1000,\"gid\":1000}", "{\"uid\":0}", "{\"uid\":\"0\",\"gid\":0}", "{\"path\":\"rootfs\",\"readonly\":true}",
	"{\"args\":[\"true\"],\"cwd\":\"/\",\"terminal\":false}",
};
static const char *const json_keys[] = {
	"root", "path", "readonly", "process", "args", "env", "cwd", "terminal", "user", "uid", "gid",
	"hostname", "ociVersion", "mounts", "linux", "annotations", "additionalGids",
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
	printf("# %lu configs accepted, %lu refused\n", n_accepted, n_refused);
}

int main(int argc, char *argv[])
{
	static const struct fuzz_replay replay = {
		.corpus = "tests/fuzz/corpus/bundle-config",
		.mutations = 8000,
		.mutate = mutate,
		.check_leaks = true,
		.finish = finish,
	};

	return fuzz_replay_main(argc, argv, &replay);
}
#endif
