/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/cli-util.c: rvisorctl's argument parsers, output formatting and error messages. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-util.h"
#include "macro.h"
#include "tap.h"

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
		int r = cli_parse_size(cases[i].s, &v);

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

static void test_name(void)
{
	ok(cli_name_valid("web"), "web");
	ok(cli_name_valid("a.b-c_d9"), "a.b-c_d9");
	ok(cli_name_valid("0"), "0");
	ok(!cli_name_valid(""), "empty");
	ok(!cli_name_valid("-x"), "-x");
	ok(!cli_name_valid(".x"), ".x");
	ok(!cli_name_valid("a/b"), "a/b");
	ok(!cli_name_valid("a b"), "a b");
	ok(cli_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "64 characters");
	ok(!cli_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "65 characters");
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
		{ "io.rvisor.Manager.KernelLayerUnavailable", "{\"reason\":\"rvisor.ko is not loaded\"}",
		  "rvisor.ko is not loaded: load rvisor.ko (modprobe rvisor) or set kernel_layer = preferred in the policy" },
		{ "io.rvisor.Manager.PermissionDenied", "{}",
		  "rvisord refused: permission denied: add yourself to group rvisor (usermod -aG rvisor $USER, then log in again) or run as root" },
		{ "io.rvisor.Manager.ResourceExhausted", "{\"reason\":\"too many sandboxes\"}",
		  "rvisord is out of resources: too many sandboxes: stop sandboxes you no longer need ('rvisorctl ps', 'rvisorctl kill')" },
		{ "io.rvisor.Manager.SandboxFailed", "{\"reason\":\"cannot mount /proc\"}",
		  "rvisord could not set the sandbox up: cannot mount /proc: see 'journalctl -u rvisord'" },
		{ "org.varlink.service.InvalidParameter", "{\"parameter\":\"memory\"}",
		  "rvisord refused the value of --memory: check it" },
		{ "org.varlink.service.MethodNotFound", "{\"method\":\"io.rvisor.Manager.Run\"}",
		  "rvisord does not support this request (org.varlink.service.MethodNotFound): install the same version of rvisorctl and rvisord" },
		{ "io.rvisor.varlink.InternalError", "{\"errno\":12}",
		  "rvisord failed: Cannot allocate memory: see 'journalctl -u rvisord'" },
		{ "io.rvisor.varlink.InternalError", "{\"errno\":\"x\"}",
		  "rvisord failed: internal error: see 'journalctl -u rvisord'" },
		{ "com.example.Odd", "{\"a\":1}", "rvisord answered com.example.Odd {\"a\":1}: see 'journalctl -u rvisord'" },
		{ "io.rvisor.Manager.ImageNotFound", "{\"image\":5}", "image (unknown) not found: no reason given" },
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

int main(void)
{
	test_size();
	test_id();
	test_user();
	test_signal();
	test_env();
	test_name();
	test_path();
	test_image_path();
	test_format();
	test_error_message();
	return tap_done();
}
