/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli/cli-util.c: the command-line programs' argument parsers, output formatting and error
 * messages. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-util.h"
#include "number.h"
#include "macro.h"
#include "tap.h"
#include "user-ids.h"

static void test_size(void)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} cases[] = {
		{ "1", 0, 1 },
		{ "512", 0, 512 },
		{ "64K", 0, 64ULL << 10 },
		{ "64k", 0, 64ULL << 10 },
		{ "512M", 0, 512ULL << 20 },
		{ "512MB", 0, 512ULL << 20 },
		{ "512MiB", 0, 512ULL << 20 },
		{ "2G", 0, 2ULL << 30 },
		{ "1t", 0, 1ULL << 40 },
		{ "100B", 0, 100 },
		{ "8388607T", 0, 8388607ULL << 40 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 },
		{ "12Q", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "1GG", -EINVAL, 0 },
		{ "1iB", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
		{ "99999999999999999999999Q", -EINVAL, 0 },
		{ "0", -ERANGE, 0 },
		{ "0M", -ERANGE, 0 },
		{ "9223372036854775808", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "8388608T", -ERANGE, 0 },
		{ "18446744073709551616K", -ERANGE, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 42;
		int r = size_parse(cases[i].s, &v);

		is_int(r, cases[i].r, cases[i].s);
		if (cases[i].r == 0)
			ok(v == cases[i].v, "  ... the value");
		else
			ok(v == 42, "  ... *ret untouched");
	}
}

static void test_id(void)
{
	int64_t id = -5;

	is_int(cli_parse_id("0", &id), 0, "id 0");
	is_int(id, 0, "  ... is 0");
	is_int(cli_parse_id("9223372036854775807", &id), 0, "id INT64_MAX");
	ok(id == INT64_MAX, "  ... is INT64_MAX");
	is_int(cli_parse_id("9223372036854775808", &id), -ERANGE, "id past INT64_MAX");
	is_int(cli_parse_id("abc", &id), -EINVAL, "id abc");
	is_int(cli_parse_id("12a", &id), -EINVAL, "id 12a");
	is_int(cli_parse_id("-1", &id), -EINVAL, "id -1");
	is_int(cli_parse_id("", &id), -EINVAL, "id empty");
}

static void test_user(void)
{
	uint32_t uid = 7, gid = 7;
	bool has_gid = true;

	is_int(cli_parse_user("1000", &uid, &gid, &has_gid), 0, "user 1000");
	ok(uid == 1000 && !has_gid, "  ... uid 1000, no gid");
	is_int(cli_parse_user("0:0", &uid, &gid, &has_gid), 0, "user 0:0");
	ok(uid == 0 && gid == 0 && has_gid, "  ... uid 0, gid 0");
	is_int(cli_parse_user("4294967294:5", &uid, &gid, &has_gid), 0, "user 4294967294:5");
	ok(uid == 4294967294U && gid == 5, "  ... the largest uid");
	is_int(cli_parse_user("4294967295", &uid, &gid, &has_gid), -EINVAL, "user (uid_t)-1 refused");
	is_int(cli_parse_user("1:4294967295", &uid, &gid, &has_gid), -EINVAL, "gid (gid_t)-1 refused");
	is_int(cli_parse_user("x:y", &uid, &gid, &has_gid), -EINVAL, "user x:y");
	is_int(cli_parse_user("root", &uid, &gid, &has_gid), -EINVAL, "user names are not looked up");
	is_int(cli_parse_user("1:", &uid, &gid, &has_gid), -EINVAL, "user 1:");
	is_int(cli_parse_user(":1", &uid, &gid, &has_gid), -EINVAL, "user :1");
	is_int(cli_parse_user("1:2:3", &uid, &gid, &has_gid), -EINVAL, "user 1:2:3");
	is_int(cli_parse_user("", &uid, &gid, &has_gid), -EINVAL, "user empty");
	is_int(cli_parse_user("-1", &uid, &gid, &has_gid), -EINVAL, "user -1");
	is_int(cli_parse_user("4294967296", &uid, &gid, &has_gid), -EINVAL, "user 2^32");
	ok(uid_gid_valid(0) && uid_gid_valid(UID_GID_MAX) && UID_GID_MAX == 4294967294U,
	   "ids: 0 to 4294967294 are valid");
	ok(!uid_gid_valid(-1) && !uid_gid_valid(4294967295) && !uid_gid_valid(INT64_MAX),
	   "ids: (uid_t)-1 and what no uid_t holds are not");
}

static void test_signal(void)
{
	is_int(cli_parse_signal("TERM"), SIGTERM, "TERM");
	is_int(cli_parse_signal("SIGTERM"), SIGTERM, "SIGTERM");
	is_int(cli_parse_signal("sigkill"), SIGKILL, "sigkill");
	is_int(cli_parse_signal("int"), SIGINT, "int");
	is_int(cli_parse_signal("WINCH"), SIGWINCH, "WINCH");
	is_int(cli_parse_signal("9"), 9, "9");
	is_int(cli_parse_signal("64"), 64, "64 (SIGRTMAX)");
	is_int(cli_parse_signal("0"), -EINVAL, "0 is no signal");
	is_int(cli_parse_signal("65"), -EINVAL, "65");
	is_int(cli_parse_signal("-9"), -EINVAL, "-9");
	is_int(cli_parse_signal("9x"), -EINVAL, "9x");
	is_int(cli_parse_signal("SIG"), -EINVAL, "SIG");
	is_int(cli_parse_signal("SIG9"), -EINVAL, "SIG9");
	is_int(cli_parse_signal("BOGUS"), -EINVAL, "BOGUS");
	is_int(cli_parse_signal(""), -EINVAL, "empty");
	is_str(cli_signal_name(SIGINT), "SIGINT", "name of SIGINT");
	is_str(cli_signal_name(SIGWINCH), "SIGWINCH", "name of SIGWINCH");
	ok(cli_signal_name(40) == NULL, "a real-time signal has no name");
}

static void test_env(void)
{
	char *e = (char *)1;

	is_int(cli_env_entry("A=b=c", &e), 0, "A=b=c");
	is_str(e, "A=b=c", "  ... kept as is");
	free(e);
	is_int(cli_env_entry("EMPTY=", &e), 0, "EMPTY=");
	is_str(e, "EMPTY=", "  ... an empty value");
	free(e);
	setenv("RVISOR_TEST_VAR", "from env", 1);
	is_int(cli_env_entry("RVISOR_TEST_VAR", &e), 0, "KEY alone");
	is_str(e, "RVISOR_TEST_VAR=from env", "  ... takes the value from the environment");
	free(e);
	unsetenv("RVISOR_TEST_VAR");
	e = (char *)1;
	is_int(cli_env_entry("RVISOR_TEST_VAR", &e), 0, "KEY alone, unset");
	ok(e == NULL, "  ... is left out");
	is_int(cli_env_entry("=x", &e), -EINVAL, "=x");
	is_int(cli_env_entry("", &e), -EINVAL, "empty");
}

static void test_path(void)
{
	static const struct {
		const char *path, *cwd, *want;
	} cases[] = {
		{ "/a/b", NULL, "/a/b" },
		{ "/", NULL, "/" },
		{ "//a//b//", NULL, "/a/b" },
		{ "/a/./b/.", NULL, "/a/b" },
		{ "/a/../b", NULL, "/b" },
		{ "/../..", NULL, "/" },
		{ "/a/b/../../..", NULL, "/" },
		{ "img", "/home/u", "/home/u/img" },
		{ "./img/", "/home/u", "/home/u/img" },
		{ "../img", "/home/u", "/home/img" },
		{ "..", "/", "/" },
		{ ".", "/srv", "/srv" },
		{ "a/..b/c..", "/", "/a/..b/c.." },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *p = NULL;

		is_int(cli_path_absolute(cases[i].path, cases[i].cwd, &p), 0, cases[i].path);
		is_str(p, cases[i].want, "  ... normalised");
	}
	{
		char *p = NULL;

		is_int(cli_path_absolute("rel", NULL, &p), -EINVAL, "a relative path needs a cwd");
		is_int(cli_path_absolute("rel", "also-rel", &p), -EINVAL, "... an absolute one");
		is_int(cli_path_absolute("", "/", &p), -EINVAL, "an empty path");
	}
}

static void test_image_path(void)
{
	char dir[] = "/tmp/rvisor-test-cli-XXXXXX";
	_cleanup_free_ char *link = NULL, *sub = NULL, *p = NULL, *cwd = getcwd(NULL, 0);

	if (!mkdtemp(dir)) {
		ok(false, "mkdtemp");
		return;
	}
	ok(asprintf(&sub, "%s/real", dir) > 0 && asprintf(&link, "%s/link", dir) > 0 && mkdir(sub, 0755) == 0 &&
	   symlink("real", link) == 0 && cwd && chdir(dir) == 0, "a directory and a link to it");

	is_int(cli_image_path("link", &p), 0, "an existing relative path");
	ok(p && strcmp(p + strlen(p) - 5, "/real") == 0 && p[0] == '/', "  ... is resolved (symlinks too)");
	free(p);
	p = NULL;
	is_int(cli_image_path("missing/../x", &p), 0, "a missing relative path");
	ok(p && strncmp(p, "/", 1) == 0 && strcmp(p + strlen(p) - 2, "/x") == 0 && !strstr(p, ".."),
	   "  ... is made absolute without resolving it");
	free(p);
	p = NULL;
	is_int(cli_image_path("/nonexistent/img", &p), 0, "a missing absolute path");
	is_str(p, "/nonexistent/img", "  ... stays as given");

	ok(chdir(cwd) == 0, "back to the first directory");
	unlink(link);
	rmdir(sub);
	rmdir(dir);
}

static void test_format(void)
{
	char buf[32];
	json_object *a;
	char *s;

	is_str(cli_format_bytes(0, buf, sizeof(buf)), "0B", "0 bytes");
	is_str(cli_format_bytes(1023, buf, sizeof(buf)), "1023B", "1023 bytes");
	is_str(cli_format_bytes(1024, buf, sizeof(buf)), "1K", "1K");
	is_str(cli_format_bytes(1536, buf, sizeof(buf)), "1.5K", "1.5K");
	is_str(cli_format_bytes(512ULL << 20, buf, sizeof(buf)), "512M", "512M");
	is_str(cli_format_bytes(3ULL << 30, buf, sizeof(buf)), "3G", "3G");
	is_str(cli_format_bytes(UINT64_MAX, buf, sizeof(buf)), "16.0E", "UINT64_MAX");
	is_str(cli_format_time(0, buf, sizeof(buf)), "-", "time 0");
	setenv("TZ", "UTC", 1);
	is_str(cli_format_time(1700000000000000LL, buf, sizeof(buf)), "2023-11-14 22:13:20", "a time, UTC");

	a = json_tokener_parse("[\"sh\", \"-c\", \"echo 'hi there'\", \"\", \"a=b,c:d/e\", 7]");
	s = cli_format_argv(a);
	is_str(s, "sh -c 'echo '\\''hi there'\\''' '' a=b,c:d/e", "argv shell-quoted, non-strings skipped");
	free(s);
	json_object_put(a);
	s = cli_format_argv(NULL);
	is_str(s, "", "no argv");
	free(s);

	/* A control character is quoted so that a shell reads the same argument back, and the
	 * line carries none itself. */
	a = json_tokener_parse("[\"printf\", \"\\u001b[2J\", \"it's\\u007f\\\\\", \"caf\u00e9\", \"back\\\\slash\"]");
	s = cli_format_argv(a);
	is_str(s, "printf $'\\x1b[2J' $'it\\'s\\x7f\\\\' 'caf\u00e9' 'back\\slash'",
	       "argv with ESC, DEL: bash $'...' quoting; UTF-8 and backslashes in '...'");
	ok(s && !strchr(s, '\x1b') && !strchr(s, '\x7f'), "  ... no control character left");
	free(s);
	json_object_put(a);
}

static void test_escape(void)
{
	static const struct {
		const char *in, *want, *name;
	} cases[] = {
		{ "web-1", "web-1", "plain ASCII kept" },
		{ "", "", "empty" },
		{ "a b~!", "a b~!", "spaces and punctuation kept" },
		{ "\x1b[2J\x1b[1;31mred", "\\x1b[2J\\x1b[1;31mred", "ESC sequences" },
		{ "\x1b]0;title\x07", "\\x1b]0;title\\x07", "OSC with BEL" },
		{ "a\nb\rc\td", "a\\x0ab\\x0dc\\x09d", "newline, CR, tab" },
		{ "\x01\x1f", "\\x01\\x1f", "C0 ends" },
		{ "del\x7f", "del\\x7f", "DEL" },
		{ "\x9b" "31m", "\\x9b" "31m", "CSI as a raw byte (invalid UTF-8)" },
		{ "\xc2\x9b" "31m", "\\xc2\\x9b" "31m", "CSI as UTF-8 C1 (U+009B)" },
		{ "\xc2\x80\xc2\x9f", "\\xc2\\x80\\xc2\\x9f", "C1 ends U+0080, U+009F" },
		{ "\xc2\xa0", "\xc2\xa0", "U+00A0 (after C1) kept" },
		{ "caf\xc3\xa9", "caf\xc3\xa9", "\u00e9 kept" },
		{ "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac", "\u65e5\u672c kept" },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "emoji (4 bytes) kept" },
		{ "\xef\xbf\xbd", "\xef\xbf\xbd", "U+FFFD kept" },
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", "U+10FFFF kept" },
		{ "a\x80z", "a\\x80z", "lone continuation byte" },
		{ "\xbf\xbf", "\\xbf\\xbf", "two lone continuation bytes" },
		{ "\xc0\xaf", "\\xc0\\xaf", "overlong '/' (2 bytes)" },
		{ "\xc1\x9b", "\\xc1\\x9b", "overlong CSI (2 bytes)" },
		{ "\xe0\x80\x9b", "\\xe0\\x80\\x9b", "overlong (3 bytes)" },
		{ "\xf0\x80\x80\x9b", "\\xf0\\x80\\x80\\x9b", "overlong (4 bytes)" },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80", "surrogate U+D800" },
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", "past U+10FFFF" },
		{ "\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80", "5-byte form" },
		{ "\xff\xfe", "\\xff\\xfe", "0xff, 0xfe" },
		{ "\xe6\x97", "\\xe6\\x97", "truncated at the end" },
		{ "\xe6\x97z", "\\xe6\\x97z", "truncated before ASCII" },
		{ "\xf0\x9f\x98\xe6\x97\xa5", "\\xf0\\x9f\\x98\xe6\x97\xa5", "truncated before a valid one" },
		{ "\xc3", "\\xc3", "a lead byte alone" },
		{ "C:\\dir\\x1b", "C:\\dir\\x1b", "backslashes stay backslashes" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *e = cli_escape(cases[i].in), *again;

		is_str(e, cases[i].want, cases[i].name);
		again = e ? cli_escape(e) : NULL;
		is_str(again, e, "  ... and escaping again changes nothing");
		free(again);
		free(e);
	}
	errno = 0;
	ok(cli_escape(NULL) == NULL && errno == EINVAL, "NULL is EINVAL");
}

static void test_json_text(void)
{
	json_object *o = json_object_new_object();
	char *t;

	json_object_object_add(o, "name", json_object_new_string("\x1b[2J\x7f\xc2\x9b" "31m/\xc3\xa9\xc2\xa0"));
	t = cli_json_text(o, false);
	is_str(t, "{\"name\":\"\\u001b[2J\\u007f\\u009b31m/\xc3\xa9\xc2\xa0\"}",
	       "JSON: ESC (json-c), DEL and C1 (ours) as \\u escapes; / and other UTF-8 as they are");
	if (t) {
		json_object *back = json_tokener_parse(t);

		ok(back && json_object_equal(back, o), "  ... the same value when parsed back");
		json_object_put(back);
	}
	free(t);
	t = cli_json_text(o, true);
	ok(t && strchr(t, '\n') && strstr(t, "\\u001b[2J\\u007f\\u009b"), "  ... pretty too");
	free(t);
	json_object_put(o);
}

static void test_bundle_root_path(void)
{
	static const struct {
		const char *text;
		int r;
		const char *want;
	} cases[] = {
		{ "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\",\"readonly\":true}}", 0, "rootfs" },
		{ "{\"root\":{\"path\":\"sub/dir\"}}\n", 0, "sub/dir" },
		{ "{\"root\":{\"path\":\"/abs\"}}", 0, "/abs" },
		{ "{}", 0, "rootfs" },
		{ "{\"root\":{}}", 0, "rootfs" },
		{ "{\"root\":null}", 0, "rootfs" },
		{ "{\"root\":{\"path\":5}}", -EINVAL, NULL },
		{ "{\"root\":{\"path\":\"\"}}", -EINVAL, NULL },
		{ "{\"root\":{\"path\":\"a\\u0000b\"}}", -EINVAL, NULL },
		{ "{\"root\":\"rootfs\"}", -EINVAL, NULL },
		{ "{\"root\":[]}", -EINVAL, NULL },
		{ "", -EBADMSG, NULL },
		{ "{", -EBADMSG, NULL },
		{ "[]", -EBADMSG, NULL },
		{ "\"rootfs\"", -EBADMSG, NULL },
		{ "{} {}", -EBADMSG, NULL },
		{ "{}x", -EBADMSG, NULL },
		{ "{\"root\":}", -EBADMSG, NULL },
		{ "{\"a\":1,}", -EBADMSG, NULL },
		{ "{\"root\":{\"path\":\"\xff\"}}", -EBADMSG, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p = (char *)1;
		int r = cli_bundle_root_path(cases[i].text, strlen(cases[i].text), &p);

		is_int(r, cases[i].r, cases[i].text);
		if (cases[i].r == 0) {
			is_str(p, cases[i].want, "  ... root.path");
			free(p);
		} else
			ok(p == (char *)1, "  ... *ret untouched");
	}
}

/* A bundle to open root.path in: rootfs/, sub/dir/, a link inside, links out, a file. */
static bool make_bundle(const char *dir)
{
	int fd;

	if (chdir(dir) < 0 || mkdir("rootfs", 0755) < 0 || mkdir("sub", 0755) < 0 ||
	    mkdir("sub/dir", 0755) < 0 || symlink("sub/dir", "in") < 0 || symlink("/", "out") < 0 ||
	    symlink("../..", "sub/up") < 0)
		return false;
	fd = open("file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void test_open_beneath(void)
{
	static const struct {
		const char *path;
		int r, r_fallback; /* 1: opens the directory want */
		const char *want;
	} cases[] = {
		{ "rootfs", 1, 1, "rootfs" },
		{ "./rootfs/", 1, 1, "rootfs" },
		{ "sub/dir", 1, 1, "sub/dir" },
		{ "sub/../rootfs", 1, 1, "rootfs" },
		{ ".", 1, 1, "." },
		{ "in", 1, -ELOOP, "sub/dir" },
		{ "/", -EXDEV, -EXDEV, NULL },
		{ "/tmp", -EXDEV, -EXDEV, NULL },
		{ "..", -EXDEV, -EXDEV, NULL },
		{ "../x", -EXDEV, -EXDEV, NULL },
		{ "sub/../../x", -EXDEV, -EXDEV, NULL },
		{ "out", -EXDEV, -ELOOP, NULL },
		{ "out/tmp", -EXDEV, -ELOOP, NULL },
		{ "sub/up", -EXDEV, -ELOOP, NULL },
		{ "missing", -ENOENT, -ENOENT, NULL },
		{ "file", -ENOTDIR, -ENOTDIR, NULL },
		{ "", -EINVAL, -EINVAL, NULL },
	};
	char dir[] = "/tmp/rvisor-test-bundle-XXXXXX";
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	_cleanup_close_ int dfd = -1;

	if (!mkdtemp(dir)) {
		ok(false, "mkdtemp");
		return;
	}
	ok(cwd && make_bundle(dir), "a bundle with directories, links and a file");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (unsigned mode = 0; mode < 2; mode++) {
		unsigned flags = mode ? CLI_OPEN_BENEATH_NO_OPENAT2 : 0;

		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			int want = mode ? cases[i].r_fallback : cases[i].r, fd = -1, r;
			char name[128];

			snprintf(name, sizeof(name), "%s '%s'", mode ? "fallback" : "openat2", cases[i].path);
			r = cli_open_beneath(dfd, cases[i].path, flags, &fd);
			if (want == 1) {
				struct stat a, b;

				is_int(r, 0, name);
				ok(r == 0 && fstat(fd, &a) == 0 && stat(cases[i].want, &b) == 0 &&
				   a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
				   (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
				   "  ... the directory, read-only, close-on-exec");
			} else {
				is_int(r, want, name);
				ok(fd == -1, "  ... *ret_fd untouched");
			}
			if (fd >= 0)
				close(fd);
		}
	}

	ok(chdir(cwd) == 0, "back to the first directory");
	unlink(strcat(strcpy((char[PATH_MAX]){ 0 }, dir), "/file"));
	{
		static const char *const links[] = { "in", "out", "sub/up" }, *const dirs[] = { "sub/dir", "sub", "rootfs" };
		char p[PATH_MAX];

		for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, links[i]);
			unlink(p);
		}
		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, dirs[i]);
			rmdir(p);
		}
	}
	ok(rmdir(dir) == 0, "the bundle removed");
}

static void test_error_message(void)
{
	static const struct {
		const char *error, *params, *want;
	} cases[] = {
		{ "io.rvisor.Manager.ImageNotFound", "{\"image\":\"/x\",\"reason\":\"No such file or directory\"}",
		  "image /x not found: No such file or directory" },
		{ "io.rvisor.Manager.PolicyNotFound", "{\"policy\":\"strict\"}",
		  "policy 'strict' not found: see 'rvisorctl policy list'" },
		{ "io.rvisor.Manager.PolicyInvalid", "{\"reason\":\"/etc/rvisor/policies/x.conf:3: bad\"}",
		  "/etc/rvisor/policies/x.conf:3: bad" },
		{ "io.rvisor.Manager.SandboxNotFound", "{\"id\":12}", "no sandbox with id 12: see 'rvisorctl ps'" },
		{ "io.rvisor.Manager.SandboxRunning", "{\"id\":12}",
		  "sandbox 12 is running: stop it first ('rvisorctl stop'), or remove it by force ('rvisorctl rm -f')" },
		{ "io.rvisor.Manager.SandboxNotRunning", "{\"id\":12}",
		  "sandbox 12 is not running: it has exited ('rvisorctl ps -a', 'rvisorctl logs')" },
		{ "io.rvisor.Manager.SandboxNotDetached", "{\"id\":12}",
		  "sandbox 12 is not detached: its output goes to the 'rvisorctl run' that started it (start it with 'rvisorctl run -d')" },
		{ "io.rvisor.Manager.SandboxIsContainer", "{\"id\":12,\"container\":\"web\\u001b[2J\"}",
		  "sandbox 12 is the OCI container web\\x1b[2J: use its engine (docker, podman, ...)" },
		{ "org.varlink.service.InvalidParameter", "{\"parameter\":\"timeout\"}",
		  "rvisord refused the value of --timeout: check it" },
		{ "io.rvisor.Manager.KernelLayerUnavailable", "{\"reason\":\"rvisor.ko is not loaded\"}",
		  "rvisor.ko is not loaded: load rvisor.ko (modprobe rvisor) or set kernel_layer = preferred in the policy" },
		{ "io.rvisor.Manager.PermissionDenied", "{}",
		  "rvisord refused: permission denied: add yourself to group rvisor (usermod -aG rvisor $USER, then log in again) or run as root" },
		{ "io.rvisor.Manager.ResourceExhausted", "{\"reason\":\"too many sandboxes\"}",
		  "rvisord is out of resources: too many sandboxes: stop sandboxes you no longer need and remove exited ones ('rvisorctl ps -a', 'rvisorctl rm')" },
		{ "io.rvisor.Manager.SandboxFailed", "{\"reason\":\"cannot mount /proc\"}",
		  "rvisord could not set the sandbox up: cannot mount /proc: see 'journalctl -u rvisord'" },
		{ "io.rvisor.Manager.ExecFailed", "{\"reason\":\"sandbox 3 is still starting\"}",
		  "rvisord could not start the command in the sandbox: sandbox 3 is still starting" },
		{ "org.varlink.service.InvalidParameter", "{\"parameter\":\"memory\"}",
		  "rvisord refused the value of --memory: check it" },
		{ "org.varlink.service.InvalidParameter", "{\"parameter\":\"uid\"}",
		  "rvisord refused the value of --user: check it" },
		{ "org.varlink.service.InvalidParameter", "{\"parameter\":\"gid\"}",
		  "rvisord refused the value of --user: check it" },
		{ "org.varlink.service.InvalidParameter", "{\"parameter\":\"signal\"}",
		  "rvisord refused the value of the signal: check it" },
		{ "io.rvisor.Manager.LimitAbovePolicy",
		  "{\"parameter\":\"memory\",\"policy\":\"default\",\"limit\":536870912}",
		  "--memory is more than policy 'default' allows (memory 512M): ask for at most that, or use a policy that allows more (--policy)" },
		{ "io.rvisor.Manager.LimitAbovePolicy",
		  "{\"parameter\":\"cpus_milli\",\"policy\":\"default\",\"limit\":1500}",
		  "--cpus is more than policy 'default' allows (cpus 1.5): ask for at most that, or use a policy that allows more (--policy)" },
		{ "io.rvisor.Manager.LimitAbovePolicy",
		  "{\"parameter\":\"cpuset\",\"policy\":\"web\",\"cpuset\":\"0-1\"}",
		  "--cpuset-cpus is more than policy 'web' allows (cpuset 0-1): ask for at most that, or use a policy that allows more (--policy)" },
		{ "io.rvisor.Manager.LimitAbovePolicy", "{\"parameter\":\"network\",\"policy\":\"default\"}",
		  "--network host is more than policy 'default' allows (network none): use --network none, or a "
		  "policy with network = host (--policy)" },
		{ "org.varlink.service.InvalidParameter", "{\"parameter\":\"mounts\"}",
		  "rvisord refused the value of --volume, --mount or --tmpfs: check it" },
		{ "io.rvisor.Manager.CpusetUnavailable", "{\"cpuset\":\"4\",\"available\":\"0-1\"}",
		  "--cpuset-cpus 4 names CPUs that rvisord's sandboxes cannot use here, which may use CPUs 0-1 only: ask for some of those" },
		{ "io.rvisor.Manager.CpusetUnavailable", "{\"cpuset\":\"4-7\",\"available\":\"0-1\",\"policy\":\"big\"}",
		  "policy 'big' names CPUs (cpuset 4-7) that rvisord's sandboxes cannot use here, which may use CPUs 0-1 only: fix the policy's cpuset, or use another policy (--policy)" },
		{ "org.varlink.service.InvalidParameter", "{\"parameter\":\"cpus_milli\"}",
		  "rvisord refused the value of --cpus: check it" },
		{ "io.rvisor.Manager.LimitAbovePolicy", "{\"limit\":\"x\"}",
		  "a limit is more than policy '(unknown)' allows (a limit less): ask for at most that, or use a policy that allows more (--policy)" },
		{ "org.varlink.service.MethodNotFound", "{\"method\":\"io.rvisor.Manager.Run\"}",
		  "rvisord does not support this request (org.varlink.service.MethodNotFound): install the same version of rvisorctl and rvisord" },
		{ "io.rvisor.varlink.InternalError", "{\"errno\":12}",
		  "rvisord failed: Cannot allocate memory: see 'journalctl -u rvisord'" },
		{ "io.rvisor.varlink.InternalError", "{\"errno\":\"x\"}",
		  "rvisord failed: internal error: see 'journalctl -u rvisord'" },
		{ "com.example.Odd", "{\"a\":1}", "rvisord answered com.example.Odd {\"a\":1}: see 'journalctl -u rvisord'" },
		{ "io.rvisor.Manager.ImageNotFound", "{\"image\":5}", "image (unknown) not found: no reason given" },
		{ "io.rvisor.Manager.BadFileDescriptor", "{\"index\":0,\"reason\":\"it is a directory\"}",
		  "stdin cannot be passed to a sandbox: it is a directory (use a file, pipe or terminal)" },
		{ "io.rvisor.Manager.BadFileDescriptor", "{\"index\":1,\"reason\":\"it is a block device\"}",
		  "stdout cannot be passed to a sandbox: it is a block device (use a file, pipe or terminal)" },
		{ "io.rvisor.Manager.BadFileDescriptor", "{\"index\":2,\"reason\":\"it is an epoll instance\"}",
		  "stderr cannot be passed to a sandbox: it is an epoll instance (use a file, pipe or terminal)" },
		{ "io.rvisor.Manager.BadFileDescriptor", "{\"index\":3,\"reason\":\"it is not a directory\"}",
		  "the image cannot be passed to a sandbox: it is not a directory (--image must be a directory you can read)" },
		{ "io.rvisor.Manager.BadFileDescriptor", "{\"index\":7,\"reason\":\"an O_PATH descriptor\"}",
		  "the source of a volume cannot be passed to a sandbox: an O_PATH descriptor (a source must be a "
		  "directory or regular file you can read)" },
		{ "io.rvisor.Manager.BadFileDescriptor", "{\"index\":-1,\"reason\":\"unexpected\"}",
		  "rvisord refused a file descriptor: unexpected: install the same version of rvisorctl and rvisord" },
		{ "io.rvisor.Manager.MountInvalid", "{\"destination\":\"/proc\",\"reason\":\"it is the sandbox's own\"}",
		  "rvisord refused the mount on /proc: it is the sandbox's own" },
		{ "io.rvisor.Manager.MountInvalid", "{\"destination\":\"\",\"reason\":\"more than 64 mounts\"}",
		  "rvisord refused the mounts: more than 64 mounts" },
		{ "io.rvisor.Manager.MountInvalid", "{\"destination\":\"/a\\u001b[2J\"}",
		  "rvisord refused the mount on /a\\x1b[2J: no reason given" },
		{ "io.rvisor.Manager.BadFileDescriptor", "{}",
		  "rvisord refused a file descriptor: no reason given: install the same version of rvisorctl and rvisord" },
		{ "io.rvisor.Manager.UserNotPermitted", "{\"uid\":0,\"gid\":0,\"reason\":\"only root may run as uid 0\"}",
		  "rvisord refused to run as user 0:0: only root may run as uid 0: give --user an id you may use "
		  "(else the bundle's or the policy's user applies)" },
		{ "io.rvisor.Manager.UserNotPermitted", "{\"uid\":4294967294,\"reason\":\"no group\"}",
		  "rvisord refused to run as user 4294967294: no group: give --user an id you may use "
		  "(else the bundle's or the policy's user applies)" },
		/* Ids out of range are not printed as ids. */
		{ "io.rvisor.Manager.UserNotPermitted", "{\"uid\":70000,\"gid\":-1,\"reason\":\"x\"}",
		  "rvisord refused to run as user 70000: x: give --user an id you may use "
		  "(else the bundle's or the policy's user applies)" },
		{ "io.rvisor.Manager.UserNotPermitted", "{\"uid\":4294967295,\"gid\":1,\"reason\":\"x\"}",
		  "rvisord refused to run as user (unknown): x: give --user an id you may use "
		  "(else the bundle's or the policy's user applies)" },
		{ "io.rvisor.Manager.UserNotPermitted", "{\"uid\":\"0:0\",\"reason\":\"x\"}",
		  "rvisord refused to run as user (unknown): x: give --user an id you may use "
		  "(else the bundle's or the policy's user applies)" },
		{ "io.rvisor.Manager.UserNotPermitted", "{}",
		  "rvisord refused to run as user (unknown): no reason given: give --user an id you may use "
		  "(else the bundle's or the policy's user applies)" },
		{ "io.rvisor.Manager.ResourceExhausted", "{\"reason\":\"max_sandboxes_per_user (4) reached\"}",
		  "rvisord is out of resources: max_sandboxes_per_user (4) reached: stop sandboxes you no longer need and remove exited ones ('rvisorctl ps -a', 'rvisorctl rm')" },
		{ "org.varlink.service.InvalidParameter", "{\"parameter\":\"userns\"}",
		  "rvisord refused --userns: only root may ask for it (the sandboxes of other users always run in a user namespace)" },
		{ "org.varlink.service.InvalidParameter", "{\"parameter\":\"bundle_config\"}",
		  "rvisord refused the value of the bundle's config.json: check it" },
		/* What rvisord quotes reaches the terminal escaped. */
		{ "io.rvisor.Manager.ImageNotFound", "{\"image\":\"/x\\u001b[2J\",\"reason\":\"gone\\u009b\\n\"}",
		  "image /x\\x1b[2J not found: gone\\xc2\\x9b\\x0a" },
		{ "io.rvisor.Manager.UserNotPermitted", "{\"uid\":7,\"reason\":\"\\u001b]0;pwned\\u0007\"}",
		  "rvisord refused to run as user 7: \\x1b]0;pwned\\x07: give --user an id you may use "
		  "(else the bundle's or the policy's user applies)" },
		{ "com.example.Odd\x1b[2J", "{\"a\":\"\\u007f\"}",
		  "rvisord answered com.example.Odd\\x1b[2J {\"a\":\"\\x7f\"}: see 'journalctl -u rvisord'" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_object *p = json_tokener_parse(cases[i].params);
		char *m = cli_error_message(cases[i].error, p);

		is_str(m, cases[i].want, cases[i].error);
		free(m);
		json_object_put(p);
	}
	{
		char *m = cli_error_message("io.rvisor.Manager.SandboxNotFound", NULL);

		is_str(m, "no such sandbox: see 'rvisorctl ps'", "no parameters at all");
		free(m);
	}
}

static void test_read_text(void)
{
	char *text = NULL;
	int p[2];

	if (pipe(p) < 0)
		abort();
	if (write(p[1], "hello\n", 6) != 6)
		abort();
	close(p[1]);
	is_int(cli_read_text(p[0], 6, &text), 0, "read_text: 6 bytes of 6 allowed");
	is_str(text, "hello\n", "read_text: the text, NUL-terminated");
	free(text);
	text = NULL;
	close(p[0]);
	if (pipe(p) < 0)
		abort();
	if (write(p[1], "hello\n", 6) != 6)
		abort();
	close(p[1]);
	is_int(cli_read_text(p[0], 5, &text), -EFBIG, "read_text: one byte over: -EFBIG");
	close(p[0]);
	if (pipe(p) < 0)
		abort();
	if (write(p[1], "a\0b", 3) != 3)
		abort();
	close(p[1]);
	is_int(cli_read_text(p[0], 10, &text), -EBADMSG, "read_text: a NUL byte: -EBADMSG");
	close(p[0]);
	ok(!text, "read_text: *ret untouched on failure");
	is_int(cli_read_text(-1, 10, &text), -EBADF, "read_text: a bad fd: -EBADF");
}

int main(void)
{
	test_size();
	test_id();
	test_user();
	test_signal();
	test_env();
	test_path();
	test_image_path();
	test_format();
	test_escape();
	test_json_text();
	test_bundle_root_path();
	test_open_beneath();
	test_error_message();
	test_read_text();
	return tap_done();
}
