/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/ini-file.c: the INI dialect of rvisord.conf and the policies, over inih: what reaches
 * the callbacks, on which line, and every syntax error with its "PATH:LINE: " prefix. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini-file.h"
#include "macro.h"
#include "tap.h"

/* What the callbacks saw, as "[name]@LINE key=value@LINE ...". */
struct record {
	char text[4096];
	const char *fail_key; /* this key's callback fails with -EBADE */
	size_t longest;       /* the longest value */
};

static void append(struct record *rec, const char *s)
{
	size_t n = strlen(rec->text);

	snprintf(rec->text + n, sizeof(rec->text) - n, "%s%s", n ? " " : "", s);
}

static int on_section(void *userdata, const char *name, unsigned int line)
{
	char s[256];

	snprintf(s, sizeof(s), "[%s]@%u", name, line);
	append(userdata, s);
	return 0;
}

static int on_key(void *userdata, const char *key, char *value, unsigned int line)
{
	struct record *rec = userdata;
	char s[256];

	snprintf(s, sizeof(s), "%s=%s@%u", key, value, line);
	append(rec, s);
	if (strlen(value) > rec->longest)
		rec->longest = strlen(value);
	value[0] = '\0'; /* the callback's own copy */
	return rec->fail_key && strcmp(key, rec->fail_key) == 0 ? -EBADE : 0;
}

static const struct ini_file_ops ops = { .section = on_section, .key = on_key };

/* Parses size bytes of text; *rec and *ret_error as the parse leaves them. */
static int parse(const char *text, size_t size, struct record *rec, char **ret_error)
{
	FILE *f = fmemopen((void *)(uintptr_t)text, size, "r");
	int r;

	if (!f)
		return -errno;
	r = ini_file_parse(f, "t.conf", &ops, rec, ret_error);
	fclose(f);
	return r;
}

static void accepts(const char *text, const char *want, const char *what)
{
	struct record rec = {};
	_cleanup_free_ char *err = NULL;
	int r = parse(text, strlen(text), &rec, &err);

	if (!is_int(r, 0, what))
		printf("#   %s\n", err ?: "(no message)");
	is_str(rec.text, want, what);
}

/* size 0: strlen(text). */
static void refuses(const char *text, size_t size, const char *want_error, const char *seen, const char *what)
{
	struct record rec = {};
	_cleanup_free_ char *err = NULL;

	is_int(parse(text, size ?: strlen(text), &rec, &err), -EINVAL, what);
	is_str(err, want_error, what);
	is_str(rec.text, seen, what);
}

static void test_accepted(void)
{
	accepts("", "", "an empty file");
	accepts("[a]\nk = v\n", "[a]@1 k=v@2", "a section and a key");
	accepts("[a]\nk = v", "[a]@1 k=v@2", "no newline at the end");
	accepts("k = v\n[a]\n", "k=v@1 [a]@2", "a key before any section reaches the callback");
	accepts("# one\n; two\n\n   \n[ a ]   # three\n", "[a]@5", "comments, blank lines; blanks in a header");
	accepts("[a]\nk = v ; c\nk = v # c\n", "[a]@1 k=v@2 k=v@3", "a comment after a blank ends the value");
	accepts("[a]\nk = v#x;y\nk=a=b\n", "[a]@1 k=v#x;y@2 k=a=b@3", "'#' and ';' inside a value, '=' in it");
	accepts("[a]\nk =\nk = # nothing\n", "[a]@1 k=@2 k=@3", "an empty value");
	accepts("[a]\n\tk\t=\tv w\t\n", "[a]@1 k=v w@2", "tabs around key and value, inner blanks kept");
	accepts("[a]\nuser = 1:2\ndeny = mount:EPERM\n", "[a]@1 user=1:2@2 deny=mount:EPERM@3", "':' after '='");
	accepts("[a]\nk = 1\n  k = 2\n", "[a]@1 k=1@2 k=2@3", "an indented line is no continuation");
	accepts("[a]\r\nk = v\r\n", "[a]@1 k=v@2", "CRLF line ends");
	accepts("[a]\nK = v\nk = w\n[A]\n", "[a]@1 K=v@2 k=w@3 [A]@4", "names as written (case kept)");
	accepts("[a]\n[a]\nk = v\nk = v\n", "[a]@1 [a]@2 k=v@3 k=v@4", "repeats reach the callbacks");
	accepts("[a]]\n[]\n", "[a]]@1 []@2", "odd header names reach the callback to judge");
}

static void test_refused(void)
{
	char *big;
	size_t n = INI_FILE_LINE_MAX;

	refuses("[a]\nk: v\n", 0, "t.conf:2: 'k: v': expected 'key = value' or '[section]'", "[a]@1",
		"':' is no separator");
	refuses("[a]\nk v : w = x\n", 0, "t.conf:2: 'k v : w = x': expected 'key = value' or '[section]'",
		"[a]@1", "':' before '=' is no separator either");
	refuses("[a]\nthis has no equals sign # c\n", 0,
		"t.conf:2: 'this has no equals sign': expected 'key = value' or '[section]'", "[a]@1",
		"a key without '='");
	refuses("[a]\n= 5\n", 0, "t.conf:2: '= 5': no key before '='", "[a]@1", "no key");
	refuses("[a\n", 0, "t.conf:1: '[a': a section header ends with ']'", "", "an unterminated header");
	refuses("[a] x\n", 0, "t.conf:1: '[a] x': a section header ends with ']'", "", "text after a header");
	refuses("[a ; b]\n", 0, "t.conf:1: '[a': a section header ends with ']'", "",
		"a comment inside a header");
	refuses("\xef\xbb\xbf[a]\n", 0, "t.conf:1: '\xef\xbb\xbf[a]': expected 'key = value' or '[section]'", "",
		"a byte order mark is no part of the dialect");
	refuses("[a]\nk = v\0w\n", 12, "t.conf:2: the line contains a NUL byte", "[a]@1", "a NUL byte");

	big = malloc(n + 16);
	if (!big)
		return;
	memcpy(big, "k = ", 4);
	memset(big + 4, 'x', n - 4);
	big[n] = '\n';
	big[n + 1] = '\0';
	{
		struct record rec = {};
		_cleanup_free_ char *err = NULL;

		is_int(parse(big, n + 1, &rec, &err), 0, "a line of INI_FILE_LINE_MAX bytes");
		is_int(rec.longest, n - 4, "  ... read whole");
	}
	memset(big + 4, 'x', n - 3);
	big[n + 1] = '\n';
	refuses(big, n + 2, "t.conf:1: the line is longer than 65536 bytes", "",
		"one byte more: refused, never split");
	free(big);
}

static void test_stops(void)
{
	static const char text[] = "[a]\nk1 = 1\nk2 = 2\nk3 = 3\n[b]\n";
	struct record rec = { .fail_key = "k2" };
	_cleanup_free_ char *err = NULL;
	FILE *f;

	is_int(parse(text, strlen(text), &rec, &err), -EBADE, "a callback's error is returned");
	is_str(rec.text, "[a]@1 k1=1@2 k2=2@3", "  ... and nothing after it is read");
	ok(!err, "  ... with no message of the dialect's");

	f = fopen("/", "r");
	if (f) {
		struct record none = {};

		is_int(ini_file_parse(f, "/", &ops, &none, &err), -EISDIR, "a read error is its -errno");
		fclose(f);
	}
	is_int(ini_file_parse(NULL, "x", &ops, &rec, &err), -EINVAL, "no file: -EINVAL");
}

int main(void)
{
	test_accepted();
	test_refused();
	test_stops();
	return tap_done();
}
