/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorfs's files over the sandbox's /proc and /sys (views.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/rvisor.h>

#include "macro.h"
#include "views.h"

/* Every view is read-only, and nothing on it is a device, runs or gains privileges. */
#define VIEW_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define SYS_CPU "/sys/devices/system/cpu"

static int sys_mount(const char *source, const char *target, const char *type, unsigned long flags,
		     const char *data)
{
	return mount(source, target, type, flags, data) < 0 ? -errno : 0;
}

static int sys_umount2(const char *target, int flags)
{
	return umount2(target, flags) < 0 ? -errno : 0;
}

static int sys_mkdir(const char *path, mode_t mode)
{
	return mkdir(path, mode) < 0 ? -errno : 0;
}

static int sys_rmdir(const char *path)
{
	return rmdir(path) < 0 ? -errno : 0;
}

static int sys_lstat(const char *path, struct stat *st)
{
	return lstat(path, st) < 0 ? -errno : 0;
}

const struct views_ops views_ops_system = {
	.mount = sys_mount, .umount2 = sys_umount2, .mkdir = sys_mkdir,
	.rmdir = sys_rmdir, .lstat = sys_lstat,
};

const char *const views_proc_files[] = {
	"meminfo", "cpuinfo", "stat", "uptime", "loadavg", "swaps", "vmstat", "diskstats", NULL,
};

/* Says what failed (a path as the sandbox sees it) and returns r. */
_printf_(4, 5) static int failed(char *what, size_t size, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, size, fmt, ap);
	va_end(ap);
	return r;
}

/* root + path (+ "/" name, unless name is NULL) into buf (PATH_MAX). */
static int path_in(char *buf, const char *root, const char *path, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s%s%s%s", root, path, name ? "/" : "", name ?: "");

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* A read-only bind of source on target: MS_BIND ignores the flags, so a remount sets them. */
static int bind_ro(const struct views_ops *ops, const char *source, const char *target)
{
	int r = ops->mount(source, target, NULL, MS_BIND, NULL);

	if (r < 0)
		return r;
	return ops->mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | VIEW_FLAGS, NULL);
}

/* A directory to mount on, made in the overlay's upper layer when the image lacks it; any
 * other file there is refused (a link could send the mount elsewhere). */
static int make_dir(const struct views_ops *ops, const char *path, mode_t mode)
{
	struct stat st;
	int r = ops->mkdir(path, mode);

	if (r < 0 && r != -EEXIST)
		return r;
	r = ops->lstat(path, &st);
	if (r < 0)
		return r;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int views_mount(const struct views_ops *ops, const char *root, const char *options, char *what,
		size_t what_size)
{
	char dir[PATH_MAX];
	int r;

	r = path_in(dir, root, VIEWS_MOUNT_POINT, NULL);
	if (r >= 0)
		r = ops->mkdir(dir, 0700); /* on the sandbox's fresh /dev: nothing is there */
	if (r < 0)
		return failed(what, what_size, r, "Cannot create %s", VIEWS_MOUNT_POINT);
	r = ops->mount(RVISORFS_NAME, dir, RVISORFS_NAME, VIEW_FLAGS, options);
	if (r < 0)
		return failed(what, what_size, r, "Cannot mount rvisorfs on %s", VIEWS_MOUNT_POINT);
	return 0;
}

static int bind_proc(const struct views_ops *ops, const char *root, char *what, size_t what_size)
{
	for (size_t i = 0; views_proc_files[i]; i++) {
		char shown[64], source[PATH_MAX], target[PATH_MAX];
		struct stat st;
		int r;

		snprintf(shown, sizeof(shown), "/proc/%s", views_proc_files[i]);
		r = path_in(target, root, shown, NULL);
		if (r >= 0)
			r = path_in(source, root, VIEWS_MOUNT_POINT, views_proc_files[i]);
		if (r >= 0) {
			r = ops->lstat(target, &st);
			if (r == -ENOENT)
				continue; /* this kernel has no such file (swaps without CONFIG_SWAP) */
		}
		if (r >= 0)
			r = bind_ro(ops, source, target);
		if (r < 0)
			return failed(what, what_size, r, "Cannot bind rvisorfs's %s on %s",
				      views_proc_files[i], shown);
	}
	return 0;
}

/* /sys: a tmpfs of three directories, rvisorfs's cpu/ bound on the last, then read-only. The
 * sandbox had no /sys before (the host's devices and knobs are none of its business), and
 * has nothing else there now. */
static int setup_sys(const struct views_ops *ops, const char *root, char *what, size_t what_size)
{
	static const char *const dirs[] = { "/sys/devices", "/sys/devices/system", SYS_CPU };
	char sys[PATH_MAX], path[PATH_MAX], cpu[PATH_MAX];
	int r;

	r = path_in(sys, root, "/sys", NULL);
	if (r >= 0)
		r = make_dir(ops, sys, 0555);
	if (r < 0)
		return failed(what, what_size, r, "Cannot create /sys");
	r = ops->mount("tmpfs", sys, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4k");
	if (r < 0)
		return failed(what, what_size, r, "Cannot mount tmpfs on /sys");
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		r = path_in(path, root, dirs[i], NULL);
		if (r >= 0)
			r = ops->mkdir(path, 0755);
		if (r < 0)
			return failed(what, what_size, r, "Cannot create %s", dirs[i]);
	}
	r = path_in(cpu, root, VIEWS_MOUNT_POINT, "cpu");
	if (r >= 0)
		r = bind_ro(ops, cpu, path);
	if (r < 0)
		return failed(what, what_size, r, "Cannot bind rvisorfs's cpu on " SYS_CPU);
	r = ops->mount(NULL, sys, NULL, MS_BIND | MS_REMOUNT | VIEW_FLAGS, NULL);
	if (r < 0)
		return failed(what, what_size, r, "Cannot make /sys read-only");
	return 0;
}

int views_bind(const struct views_ops *ops, const char *root, char *what, size_t what_size)
{
	char dir[PATH_MAX];
	int r;

	r = bind_proc(ops, root, what, what_size);
	if (r < 0)
		return r;
	r = setup_sys(ops, root, what, what_size);
	if (r < 0)
		return r;
	/* The binds keep what they show; the mount itself is of no further use. */
	r = path_in(dir, root, VIEWS_MOUNT_POINT, NULL);
	if (r >= 0)
		r = ops->umount2(dir, MNT_DETACH);
	if (r < 0)
		return failed(what, what_size, r, "Cannot detach rvisorfs from %s", VIEWS_MOUNT_POINT);
	r = ops->rmdir(dir);
	if (r < 0)
		return failed(what, what_size, r, "Cannot remove %s", VIEWS_MOUNT_POINT);
	return 0;
}
