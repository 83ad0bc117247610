/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisord/views.c: the sequence of mounts that puts rvisorfs's files over a sandbox's /proc
 * and /sys, watched through fake operations (every step, read-only remounts, skipped files,
 * a failure at each step stops there and says what failed); then run for real in a private
 * mount namespace (root only), with a tmpfs standing in for rvisorfs, which needs rvisor.ko.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "tap.h"
#include "views.h"

/* ---- fake operations: each call is a line in a log; one may be made to fail ---- */

static char log_text[8192];
static int calls, fail_at = -1, fail_errno;
static const char *missing;  /* lstat() of a path ending in this: -ENOENT */
static const char *not_dir;  /* lstat() of a path ending in this: a symbolic link */

_printf_(1, 2) static int record(const char *fmt, ...)
{
	size_t n = strlen(log_text);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_text + n, sizeof(log_text) - n, fmt, ap);
	va_end(ap);
	strncat(log_text, "\n", sizeof(log_text) - strlen(log_text) - 1);
	return calls++ == fail_at ? -fail_errno : 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = tail ? strlen(tail) : 0;

	return tail && a >= b && strcmp(s + a - b, tail) == 0;
}

static const char *flag_text(unsigned long f)
{
	static char buf[128];

	buf[0] = '\0';
	if (f & MS_REMOUNT)
		strcat(buf, "remount,");
	if (f & MS_BIND)
		strcat(buf, "bind,");
	if (f & MS_RDONLY)
		strcat(buf, "ro,");
	if (f & MS_NOSUID)
		strcat(buf, "nosuid,");
	if (f & MS_NODEV)
		strcat(buf, "nodev,");
	if (f & MS_NOEXEC)
		strcat(buf, "noexec,");
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
	else
		strcpy(buf, "-");
	return buf;
}

static int fake_mount(const char *source, const char *target, const char *type, unsigned long flags,
		      const char *data)
{
	return record("mount %s %s %s %s %s", source ?: "-", target, type ?: "-", flag_text(flags), data ?: "-");
}

static int fake_umount2(const char *target, int flags)
{
	return record("umount2 %s %s", target, flags == MNT_DETACH ? "detach" : "?");
}

static int fake_mkdir(const char *path, mode_t mode)
{
	return record("mkdir %s %04o", path, (unsigned)mode);
}

static int fake_rmdir(const char *path)
{
	return record("rmdir %s", path);
}

static int fake_lstat(const char *path, struct stat *st)
{
	int r = record("lstat %s", path);

	memset(st, 0, sizeof(*st));
	st->st_mode = ends_with(path, not_dir) ? S_IFLNK | 0777 : strstr(path, "/proc/") ? S_IFREG | 0444 : S_IFDIR | 0755;
	return r < 0 ? r : ends_with(path, missing) ? -ENOENT : 0;
}

static const struct views_ops fake_ops = {
	.mount = fake_mount, .umount2 = fake_umount2, .mkdir = fake_mkdir,
	.rmdir = fake_rmdir, .lstat = fake_lstat,
};

static void reset(int at, int error)
{
	log_text[0] = '\0';
	calls = 0;
	fail_at = at;
	fail_errno = error;
}

/* Both steps, as the init runs them. */
static int run_both(char *what, size_t size)
{
	int r = views_mount(&fake_ops, "/R", "fd=5,sandbox=7", what, size);

	return r < 0 ? r : views_bind(&fake_ops, "/R", what, size);
}

#define RO "remount,bind,ro,nosuid,nodev,noexec"
#define PROC_FILE(f)                                                                              \
	"lstat /R/proc/" f "\n"                                                                   \
	"mount /R/dev/.rvisorfs/" f " /R/proc/" f " - bind -\n"                                   \
	"mount - /R/proc/" f " - " RO " -\n"

static const char expected_mount[] =
	"mkdir /R/dev/.rvisorfs 0700\n"
	"mount rvisorfs /R/dev/.rvisorfs rvisorfs ro,nosuid,nodev,noexec fd=5,sandbox=7\n";

static const char expected_sys[] =
	"mkdir /R/sys 0555\n"
	"lstat /R/sys\n"
	"mount tmpfs /R/sys tmpfs nosuid,nodev,noexec mode=0755,size=4k\n"
	"mkdir /R/sys/devices 0755\n"
	"mkdir /R/sys/devices/system 0755\n"
	"mkdir /R/sys/devices/system/cpu 0755\n"
	"mount /R/dev/.rvisorfs/cpu /R/sys/devices/system/cpu - bind -\n"
	"mount - /R/sys/devices/system/cpu - " RO " -\n"
	"mount - /R/sys - " RO " -\n"
	"umount2 /R/dev/.rvisorfs detach\n"
	"rmdir /R/dev/.rvisorfs\n";

static void test_sequence(void)
{
	char what[128] = "", want[8192];

	reset(-1, 0);
	is_int(run_both(what, sizeof(what)), 0, "views: the whole sequence succeeds");
	snprintf(want, sizeof(want), "%s%s%s", expected_mount,
		 PROC_FILE("meminfo") PROC_FILE("cpuinfo") PROC_FILE("stat") PROC_FILE("uptime")
			 PROC_FILE("loadavg") PROC_FILE("swaps") PROC_FILE("vmstat") PROC_FILE("diskstats"),
		 expected_sys);
	if (!is_str(log_text, want, "views: rvisorfs mounted read-only, every file bound read-only, /sys, detached"))
		printf("# got:\n%s", log_text);

	/* A kernel without swap has no /proc/swaps: skipped, nothing else changes. */
	reset(-1, 0);
	missing = "/proc/swaps";
	is_int(run_both(what, sizeof(what)), 0, "views: a /proc file the kernel lacks is fine");
	snprintf(want, sizeof(want), "%s%s%s", expected_mount,
		 PROC_FILE("meminfo") PROC_FILE("cpuinfo") PROC_FILE("stat") PROC_FILE("uptime")
			 PROC_FILE("loadavg") "lstat /R/proc/swaps\n" PROC_FILE("vmstat") PROC_FILE("diskstats"),
		 expected_sys);
	is_str(log_text, want, "views: /proc/swaps skipped, nothing bound there");
	missing = NULL;

	/* Something other than a directory at /sys (the image's link): refused. */
	reset(-1, 0);
	not_dir = "/R/sys";
	is_int(run_both(what, sizeof(what)), -ENOTDIR, "views: /sys a link in the image: -ENOTDIR");
	is_str(what, "Cannot create /sys", "views: and says so");
	ok(!strstr(log_text, "mount tmpfs"), "views: nothing mounted on it");
	not_dir = NULL;
}

/* A failure at each step in turn: the setup stops right there, with the errno and a message. */
static void test_failures(void)
{
	char what[128];
	int total;
	bool all_stop = true, all_said = true;

	reset(-1, 0);
	run_both(what, sizeof(what));
	total = calls;
	for (int at = 0; at < total; at++) {
		what[0] = '\0';
		reset(at, EPERM);
		if (run_both(what, sizeof(what)) != -EPERM || calls != at + 1) {
			printf("#   step %d: went on to %d calls\n", at, calls);
			all_stop = false;
		}
		if (!what[0] || strncmp(what, "Cannot ", 7) != 0) {
			printf("#   step %d: no message\n", at);
			all_said = false;
		}
	}
	ok(total > 30, "views: more than 30 steps");
	ok(all_stop, "views: a failed step is the last one");
	ok(all_said, "views: each failure says what failed");

	reset(1, EPERM);
	run_both(what, sizeof(what));
	is_str(what, "Cannot mount rvisorfs on /dev/.rvisorfs", "views: a refused rvisorfs mount says so");
	reset(4, EINVAL);
	is_int(run_both(what, sizeof(what)), -EINVAL, "views: a failed bind's errno");
	is_str(what, "Cannot bind rvisorfs's meminfo on /proc/meminfo", "views: names the file");
	reset(2, EACCES);
	is_int(run_both(what, sizeof(what)), -EACCES, "views: /proc/meminfo cannot be looked at");
	ok(!strstr(log_text, "bind"), "views: nothing bound after that");
}

/* ---- for real, in a private mount namespace, a tmpfs in rvisorfs's place ---- */

static char root[] = "/tmp/rvisor-test-views-XXXXXX";

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		_exit(99);
	close(fd);
}

static bool file_is(const char *path, const char *want)
{
	char buf[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

/* rvisorfs's stand-in: a tmpfs with the files, then read-only as rvisorfs is. */
static int standin_mount(const char *source, const char *target, const char *type, unsigned long flags,
			 const char *data)
{
	char path[512];

	if (!type || strcmp(type, "rvisorfs") != 0)
		return views_ops_system.mount(source, target, type, flags, data);
	if (mount("tmpfs", target, "tmpfs", 0, "mode=0755") < 0)
		return -errno;
	for (size_t i = 0; views_proc_files[i]; i++) {
		char text[64];

		snprintf(text, sizeof(text), "sandbox %s\n", views_proc_files[i]);
		put(target, views_proc_files[i], text);
	}
	snprintf(path, sizeof(path), "%s/cpu", target);
	mkdir(path, 0755);
	put(path, "online", "0\n");
	return mount(NULL, target, NULL, MS_REMOUNT | flags, NULL) < 0 ? -errno : 0;
}

/* The checks, in the child: one character each, '1' when it held. */
static void child_checks(int out)
{
	struct views_ops ops = views_ops_system;
	char what[128], path[512], res[16];
	size_t n = 0;
	int r;

	ops.mount = standin_mount;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(98);
	r = views_mount(&ops, root, "fd=5,sandbox=7", what, sizeof(what));
	if (r >= 0)
		r = views_bind(&ops, root, what, sizeof(what));
	res[n++] = r == 0 ? '1' : '0';
	snprintf(path, sizeof(path), "%s/proc/meminfo", root);
	res[n++] = file_is(path, "sandbox meminfo\n") ? '1' : '0';
	res[n++] = open(path, O_WRONLY | O_CLOEXEC) < 0 && errno == EROFS ? '1' : '0';
	snprintf(path, sizeof(path), "%s/proc/swaps", root);
	res[n++] = access(path, F_OK) < 0 && errno == ENOENT ? '1' : '0';
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/online", root);
	res[n++] = file_is(path, "0\n") ? '1' : '0';
	snprintf(path, sizeof(path), "%s/sys/other", root);
	res[n++] = mkdir(path, 0755) < 0 && errno == EROFS ? '1' : '0';
	snprintf(path, sizeof(path), "%s" VIEWS_MOUNT_POINT, root);
	res[n++] = access(path, F_OK) < 0 && errno == ENOENT ? '1' : '0';
	if (write(out, res, n) != (ssize_t)n)
		_exit(97);
	_exit(0);
}

static void test_real(void)
{
	static const char *const names[] = {
		"real: rvisorfs (stand-in) mounted and bound",
		"real: /proc/meminfo reads the sandbox's",
		"real: /proc/meminfo cannot be opened for writing (EROFS)",
		"real: /proc/swaps, absent here, stays absent",
		"real: /sys/devices/system/cpu/online reads the sandbox's",
		"real: /sys is read-only",
		"real: the temporary mount point is gone",
	};
	char res[16] = "", path[512];
	int p[2], st = -1;
	pid_t pid;

	if (geteuid() != 0 || !mkdtemp(root) || pipe2(p, O_CLOEXEC) < 0) {
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			tap_count++;
			printf("ok %d # skip needs root\n", tap_count);
		}
		return;
	}
	/* The sandbox's /proc (without swaps) and its fresh /dev. */
	snprintf(path, sizeof(path), "%s/proc", root);
	mkdir(path, 0555);
	for (size_t i = 0; views_proc_files[i]; i++)
		if (strcmp(views_proc_files[i], "swaps") != 0)
			put(path, views_proc_files[i], "host\n");
	snprintf(path, sizeof(path), "%s/dev", root);
	mkdir(path, 0755);

	pid = fork();
	if (pid == 0) {
		close(p[0]);
		child_checks(p[1]);
	}
	close(p[1]);
	if (read(p[0], res, sizeof(res) - 1) < 0)
		res[0] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 98) {
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			tap_count++;
			printf("ok %d # skip no private mount namespace here\n", tap_count);
		}
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			ok(res[i] == '1', names[i]);
	}
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	ok(system(path) == 0, "real: the test's tree removed (its mounts went with the child)");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_sequence();
	test_failures();
	test_real();
	return tap_done();
}
