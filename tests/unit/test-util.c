/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/'s small helpers: string vectors, JSON members, mkdir -p, fail()'s messages, sandbox
 * names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.h"
#include "json-util.h"
#include "macro.h"
#include "mkdir.h"
#include "sandbox-name.h"
#include "strv.h"
#include "tap.h"

static char tmpdir[] = "/tmp/rvisor-test-util.XXXXXX";

static json_object *parse(const char *text)
{
	return json_tokener_parse(text);
}

static void test_strv(void)
{
	_cleanup_json_ json_object *o = parse("{\"a\": [\"x\", \"\", \"y z\"], \"n\": null, \"s\": \"x\","
					      "\"mixed\": [\"x\", 1], \"nul\": [\"a\\u0000b\"], \"e\": []}");
	char **l = (char **)1;
	json_object *a;

	is_int(strv_from_json(json_object_object_get(o, "a"), &l), 0, "strv_from_json: strings");
	ok(l != (char **)1 && strv_length(l) == 3 && strcmp(l[0], "x") == 0 && strcmp(l[1], "") == 0 &&
		   strcmp(l[2], "y z") == 0 && !l[3],
	   "  ... copied in order, NULL-terminated");
	is_int(strv_bytes(l), 2 + 1 + 4, "strv_bytes: the bytes the strings take, each with its NUL");
	is_int(strv_bytes(NULL), 0, "strv_bytes: 0 for NULL");
	a = json_strv(l);
	is_str(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN), "[\"x\",\"\",\"y z\"]",
	       "json_strv: back to the same array");
	json_object_put(a);
	ok(strv_free(l) == NULL, "strv_free returns NULL");

	l = (char **)1;
	is_int(strv_from_json(NULL, &l), 0, "strv_from_json: NULL is an empty vector");
	ok(l != (char **)1 && l[0] == NULL && strv_length(l) == 0, "  ... holding nothing");
	l = strv_free(l);
	is_int(strv_from_json(json_object_object_get(o, "n"), &l), 0, "strv_from_json: null too");
	l = strv_free(l);
	is_int(strv_from_json(json_object_object_get(o, "e"), &l), 0, "strv_from_json: []");
	is_int(strv_length(l), 0, "  ... empty");
	l = strv_free(l);

	l = (char **)1;
	is_int(strv_from_json(json_object_object_get(o, "s"), &l), -EINVAL, "strv_from_json: a string");
	is_int(strv_from_json(json_object_object_get(o, "mixed"), &l), -EINVAL,
	       "strv_from_json: a number among strings");
	is_int(strv_from_json(json_object_object_get(o, "nul"), &l), -EINVAL,
	       "strv_from_json: a string with a NUL byte (never cut short)");
	ok(l == (char **)1, "  ... output untouched on failure");

	is_int(strv_length(NULL), 0, "strv_length(NULL)");
	ok(strv_free(NULL) == NULL, "strv_free(NULL)");
	a = json_strv(NULL);
	is_str(json_object_to_json_string(a), "[ ]", "json_strv(NULL): []");
	json_object_put(a);
	{
		_cleanup_strv_ char **c = calloc(2, sizeof(char *));

		if (c)
			c[0] = strdup("freed by _cleanup_strv_ (LeakSanitizer checks)");
		ok(c && c[0], "_cleanup_strv_");
	}
}

static void test_json_get(void)
{
	_cleanup_json_ json_object *o = parse("{\"i\": -3, \"b\": true, \"s\": \"x\", \"a\": [1], \"o\": {},"
					      "\"n\": null, \"d\": 1.5}");
	json_object *v = NULL;
	const char *s = "untouched";
	int64_t i = 42;
	bool b = false;

	is_int(json_get_int(o, "i", &i), 0, "json_get_int");
	is_int(i, -3, "  ... the value");
	is_int(json_get_bool(o, "b", &b), 0, "json_get_bool");
	ok(b, "  ... the value");
	is_int(json_get_string(o, "s", &s), 0, "json_get_string");
	is_str(s, "x", "  ... the value");
	is_int(json_get_array(o, "a", &v), 0, "json_get_array");
	ok(json_object_is_type(v, json_type_array), "  ... the array");
	is_int(json_get_object(o, "o", &v), 0, "json_get_object");
	ok(json_object_is_type(v, json_type_object), "  ... the object");

	i = 42;
	s = "untouched";
	is_int(json_get_int(o, "missing", &i), -ENOENT, "absent: -ENOENT");
	is_int(json_get_int(o, "n", &i), -ENOENT, "null: -ENOENT");
	is_int(json_get_int(NULL, "i", &i), -ENOENT, "no object: -ENOENT");
	is_int(json_get_int(o, "s", &i), -EBADMSG, "a string for an int: -EBADMSG");
	is_int(json_get_int(o, "d", &i), -EBADMSG, "a double for an int: -EBADMSG");
	is_int(json_get_string(o, "i", &s), -EBADMSG, "an int for a string: -EBADMSG");
	is_int(json_get_bool(o, "i", &b), -EBADMSG, "an int for a boolean: -EBADMSG");
	is_int(json_get_array(o, "o", &v), -EBADMSG, "an object for an array: -EBADMSG");
	ok(i == 42 && strcmp(s, "untouched") == 0, "  ... outputs untouched on failure");

	is_str(json_string(o, "s"), "x", "json_string: a string");
	ok(!json_string(o, "i") && !json_string(o, "n") && !json_string(o, "missing") &&
		   !json_string(NULL, "s"),
	   "json_string: NULL for anything else");
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *path_in(const char *rel)
{
	static char buf[4][256];
	static unsigned n;
	char *p = buf[n++ % ARRAY_SIZE(buf)];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, rel);
	return p;
}

static void test_mkdir(void)
{
	struct stat st;
	FILE *f;

	is_int(mkdir_p(path_in("a/b/c"), 0750), 0, "mkdir_p: a new tree");
	ok(is_dir(path_in("a")) && is_dir(path_in("a/b")) && is_dir(path_in("a/b/c")), "  ... every level");
	ok(stat(path_in("a/b"), &st) == 0 && (st.st_mode & 07777) == (0750 & ~(mode_t)022 & 0750),
	   "  ... with the mode (less the umask)");
	is_int(mkdir_p(path_in("a/b/c"), 0700), 0, "mkdir_p: all there already: fine");
	is_int(mkdir_p(path_in("a//d///e/"), 0700), 0, "mkdir_p: doubled and trailing slashes");
	ok(is_dir(path_in("a/d/e")), "  ... made a/d/e");

	f = fopen(path_in("file"), "w");
	if (f)
		fclose(f);
	is_int(mkdir_p(path_in("file"), 0700), -ENOTDIR, "mkdir_p: a file where the directory goes: -ENOTDIR");
	is_int(mkdir_p(path_in("file/x"), 0700), -ENOTDIR, "mkdir_p: a file above it: -ENOTDIR");
	is_int(mkdir_p("", 0700), -EINVAL, "mkdir_p: an empty path: -EINVAL");
	is_int(mkdir_p("/", 0700), 0, "mkdir_p: / exists");

	is_int(mkdir_parents(path_in("p/q/sock"), 0700), 0, "mkdir_parents: the directories above");
	ok(is_dir(path_in("p/q")) && access(path_in("p/q/sock"), F_OK) < 0, "  ... not the path itself");
	is_int(mkdir_parents(path_in("p//r//sock"), 0700), 0, "mkdir_parents: doubled slashes");
	ok(is_dir(path_in("p/r")), "  ... made p/r");
	is_int(mkdir_parents("name", 0700), 0, "mkdir_parents: no directory part: nothing to do");
	is_int(mkdir_parents("/name", 0700), 0, "mkdir_parents: only / above: nothing to do");
	is_int(mkdir_parents(path_in("file/x/y"), 0700), -ENOTDIR, "mkdir_parents: a file above: -ENOTDIR");
}

static int two_fails(char **ret_error)
{
	int r = fail(ret_error, -ENOENT, "inner: %s", "the cause");

	return fail(ret_error, r, "outer: %d", 1);
}

static void test_fail(void)
{
	char *e = NULL;

	is_int(fail(&e, -EINVAL, "value %d of %s", 7, "x"), -EINVAL, "fail: returns r");
	is_str(e, "value 7 of x", "  ... with the message");
	e = mfree(e);
	is_int(two_fails(&e), -ENOENT, "fail twice: r as given");
	is_str(e, "inner: the cause", "  ... the first message is kept");
	e = mfree(e);
	is_int(fail(NULL, -EPERM, "nobody reads %s", "this"), -EPERM, "fail: ret_error may be NULL");
}

static void test_sandbox_name(void)
{
	ok(sandbox_name_valid("web"), "web");
	ok(sandbox_name_valid("a.b-c_d9"), "a.b-c_d9");
	ok(sandbox_name_valid("0"), "0");
	ok(!sandbox_name_valid(NULL), "NULL");
	ok(!sandbox_name_valid(""), "empty");
	ok(!sandbox_name_valid("-x"), "-x");
	ok(!sandbox_name_valid(".x"), ".x");
	ok(!sandbox_name_valid("a/b"), "a/b");
	ok(!sandbox_name_valid("a b"), "a b");
	ok(!sandbox_name_valid("a\x1b"), "a control character");
	ok(sandbox_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "64 characters");
	ok(!sandbox_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "65 characters");
}

int main(void)
{
	umask(022);
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_strv();
	test_json_get();
	test_mkdir();
	test_fail();
	test_sandbox_name();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	return tap_done();
}
