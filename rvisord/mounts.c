/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sandbox's binds and tmpfs (mounts.h): the daemon's check of a source, the init's steps. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "mounts.h"

/* Always: nothing on a sandbox's mount is a device or gains privileges through it. */
#define MOUNT_ATTRS (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

/* Says what failed and returns r (a negative errno). */
_printf_(4, 5) static int failed(char *what, size_t size, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, size, fmt, ap);
	va_end(ap);
	return r;
}

int mount_source_check(int fd, const char **ret_reason)
{
	struct statx stx;
	const char *why = NULL;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		why = "not an open file descriptor";
	else if (fl & O_PATH)
		why = "an O_PATH descriptor, which proves no right to read (open the source O_RDONLY)";
	else if ((fl & O_ACCMODE) == O_WRONLY)
		why = "opened write-only, which proves no right to read (open the source O_RDONLY)";
	/* The cached type is enough: a FUSE server of the caller's may never answer. */
	else if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0)
		why = "of unknown type";
	else if (!S_ISDIR(stx.stx_mode) && !S_ISREG(stx.stx_mode))
		why = "neither a directory nor a regular file (device nodes, sockets and FIFOs cannot "
		      "be mounted)";
	if (!why)
		return 0;
	*ret_reason = why;
	return -EBADF;
}

/* Copies each bind's source while in the caller's mount namespace (ns_fd), then returns to
 * our own (own). Returns the first error, and the index it concerns in *ret_bad. */
static int clone_in_namespace(const struct mount_spec *m, size_t n, int ns_fd, int own, int *trees,
			      size_t *ret_bad, char *what, size_t what_size)
{
	int r = 0;

	if (setns(ns_fd, CLONE_NEWNS) < 0)
		return failed(what, what_size, -errno, "Cannot enter your mount namespace");
	for (size_t i = 0; i < n && r == 0; i++) {
		if (m[i].type != MOUNT_BIND)
			continue;
		/* The descriptor itself names the tree: no path is looked up in there. */
		trees[i] = open_tree(m[i].fd, "",
				     AT_EMPTY_PATH | AT_RECURSIVE | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (trees[i] < 0) {
			r = -errno;
			*ret_bad = i;
		}
	}
	/* Without this the init would go on in the caller's tree: it must die instead, and its
	 * caller's fail() does that. */
	if (setns(own, CLONE_NEWNS) < 0)
		return failed(what, what_size, -errno, "Cannot return to the sandbox's mount namespace");
	return r;
}

int mounts_clone_sources(const struct mount_spec *m, size_t n, int ns_fd, int *trees, char *what,
			 size_t what_size)
{
	bool binds = false;
	size_t bad = 0;
	int own, r;

	for (size_t i = 0; i < n; i++) {
		trees[i] = -1;
		binds = binds || m[i].type == MOUNT_BIND;
	}
	if (!binds)
		return 0;
	own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (own < 0)
		return failed(what, what_size, -errno, "Cannot open the sandbox's mount namespace");
	what[0] = '\0';
	r = clone_in_namespace(m, n, ns_fd, own, trees, &bad, what, what_size);
	close(own);
	close(ns_fd);
	for (size_t i = 0; i < n; i++)
		if (m[i].type == MOUNT_BIND)
			close(m[i].fd);
	if (r < 0 && what[0])
		return r;
	/* EINVAL: the kernel copies only a mount of the namespace we were in (or it is
	 * unbindable): the descriptor came from another mount namespace than the caller's. */
	if (r == -EINVAL)
		return failed(what, what_size, -EPERM, "The source of %.100s is not in your mount "
			      "namespace (or is an unbindable mount)", m[bad].destination);
	if (r < 0)
		return failed(what, what_size, r, "Cannot copy the source of %.100s", m[bad].destination);

	for (size_t i = 0; i < n; i++) {
		struct mount_attr attr = {
			.attr_set = MOUNT_ATTRS | (m[i].readonly ? MOUNT_ATTR_RDONLY : 0),
			/* Nothing the sandbox mounts reaches the host, nor the host's mounts the
			 * sandbox: the copy would otherwise join the source's peer group. */
			.propagation = MS_PRIVATE,
		};

		if (trees[i] < 0)
			continue;
		/* AT_RECURSIVE: read-only means every mount under the source too. Only ever
		 * adds flags: a source the caller sees read-only stays read-only. */
		if (mount_setattr(trees[i], "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			return failed(what, what_size, -errno, "Cannot set the flags of %.100s's mount",
				      m[i].destination);
	}
	return 0;
}

/* fd's path inside the sandbox (the init's root is the sandbox's by now). */
static int resolved_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t k;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	k = readlink(link, buf, size - 1);
	if (k < 0)
		return -errno;
	buf[k] = '\0';
	if (buf[0] != '/' || (k > 10 && strcmp(buf + k - 10, " (deleted)") == 0))
		return -ENOENT;
	return 0;
}

/* Where fd really is must be a destination that is allowed (a link in the image or in a
 * bind's source may lead anywhere in the sandbox); "/" too when it is a parent to create
 * in. */
static int check_landing(int fd, bool parent, const char *dst, char *what, size_t what_size)
{
	char path[PATH_MAX];
	int r = resolved_path(fd, path, sizeof(path));

	if (r < 0)
		return failed(what, what_size, r, "Cannot tell where %.100s leads", dst);
	if (parent && strcmp(path, "/") == 0)
		return 0;
	if (mount_destination_check(path, NULL) < 0)
		return failed(what, what_size, -EINVAL, "Cannot mount on %.70s: it leads to %.70s, "
			      "where nothing may be mounted (/, /proc, /dev, /sys)", dst, path);
	return 0;
}

static int open_in_root(const char *path)
{
	/* Links are followed inside the sandbox's root (it is ours now), magic ones never. */
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* The deepest part of dst that exists: its fd, and in *ret_end the length of that part. */
static int deepest_existing(const char *dst, size_t *ret_end, char *what, size_t what_size)
{
	char path[PATH_MAX];
	size_t end = strlen(dst);

	memcpy(path, dst, end + 1);
	for (;;) {
		int fd = open_in_root(end ? path : "/");

		if (fd >= 0) {
			*ret_end = end;
			return fd;
		}
		if (fd == -ENOTDIR)
			return failed(what, what_size, -EINVAL, "Cannot mount on %.100s: a part of it is "
				      "not a directory in the sandbox", dst);
		if (fd != -ENOENT)
			return failed(what, what_size, fd, "Cannot look up %.100s in the sandbox", dst);
		while (end > 0 && path[end] != '/')
			end--;
		path[end] = '\0';
	}
}

static bool dev_in(dev_t dev, const dev_t *own, size_t n_own)
{
	for (size_t i = 0; i < n_own; i++)
		if (own[i] == dev)
			return true;
	return false;
}

/* One missing component of a mount point, made in dir: a directory, or (last of a file's
 * bind) an empty file. Returns its O_PATH fd. */
static int make_component(int dir, const char *name, bool file, uid_t uid, gid_t gid)
{
	int fd;

	if (file) {
		fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
	} else if (mkdirat(dir, name, 0755) < 0)
		return -errno;
	/* Made by us, just now: O_NOFOLLOW is only there against a change of plan. */
	if (fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC | (file ? 0 : O_DIRECTORY));
	return fd < 0 ? -errno : fd;
}

/* Creates what follows dst[end] below fd (the deepest part that exists), where that is on
 * one of own[]. Returns the mount point's fd; takes fd. */
static int create_rest(int fd, const char *dst, size_t end, bool file, const dev_t *own,
		       size_t n_own, uid_t uid, gid_t gid, char *what, size_t what_size)
{
	char name[NAME_MAX + 1];
	const char *p = dst + end;
	struct stat st;
	int r;

	r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r >= 0 && !S_ISDIR(st.st_mode))
		r = failed(what, what_size, -EINVAL, "Cannot create %.100s: %.*s is not a directory",
			   dst, (int)(end > 100 ? 100 : end), dst);
	else if (r >= 0)
		r = check_landing(fd, true, dst, what, what_size);
	if (r >= 0 && !dev_in(st.st_dev, own, n_own))
		r = failed(what, what_size, -EINVAL, "Cannot create %.100s: where it would be made is "
			   "a bind's source (create it there first)", dst);
	while (r >= 0 && *p == '/') {
		size_t n = strcspn(p + 1, "/");
		int next;

		if (n > NAME_MAX) {
			r = failed(what, what_size, -ENAMETOOLONG, "Cannot create %.100s", dst);
			break;
		}
		memcpy(name, p + 1, n);
		name[n] = '\0';
		p += 1 + n;
		next = make_component(fd, name, file && !*p, uid, gid);
		if (next < 0)
			r = failed(what, what_size, next, "Cannot create %.100s in the sandbox", dst);
		else {
			close(fd);
			fd = next;
		}
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* The mount point of dst, made where missing: a directory, or a regular file when file. */
static int mount_point(const char *dst, bool file, const dev_t *own, size_t n_own, uid_t uid,
		       gid_t gid, char *what, size_t what_size)
{
	struct stat st;
	size_t end = 0;
	int fd, r;

	fd = deepest_existing(dst, &end, what, what_size);
	if (fd < 0)
		return fd;
	if (dst[end])
		fd = create_rest(fd, dst, end, file, own, n_own, uid, gid, what, what_size);
	if (fd < 0)
		return fd;
	r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r >= 0 && file && !S_ISREG(st.st_mode))
		r = failed(what, what_size, -EINVAL, "Cannot bind a file on %.100s: it is not a "
			   "regular file in the sandbox", dst);
	else if (r >= 0 && !file && !S_ISDIR(st.st_mode))
		r = failed(what, what_size, -EINVAL, "Cannot mount a directory on %.100s: it is not "
			   "a directory in the sandbox", dst);
	else if (r >= 0)
		r = check_landing(fd, false, dst, what, what_size);
	else
		r = failed(what, what_size, r, "Cannot stat %.100s in the sandbox", dst);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* A tmpfs of the sandbox's own, detached, from the kernel's mount API (no path, no magic
 * link: it is attached by descriptor like a bind). */
static int make_tmpfs(const struct mount_spec *m, uint64_t size, uid_t uid, gid_t gid)
{
	char value[32];
	int fs, mnt, r = 0;

	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	r = fsconfig(fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0);
	snprintf(value, sizeof(value), "%llu", (unsigned long long)(m->size ?: size));
	if (r >= 0)
		r = fsconfig(fs, FSCONFIG_SET_STRING, "size", value, 0);
	snprintf(value, sizeof(value), "%o", m->mode);
	if (r >= 0)
		r = fsconfig(fs, FSCONFIG_SET_STRING, "mode", value, 0);
	snprintf(value, sizeof(value), "%u", (unsigned)uid);
	if (r >= 0)
		r = fsconfig(fs, FSCONFIG_SET_STRING, "uid", value, 0);
	snprintf(value, sizeof(value), "%u", (unsigned)gid);
	if (r >= 0)
		r = fsconfig(fs, FSCONFIG_SET_STRING, "gid", value, 0);
	if (r >= 0)
		r = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	mnt = r < 0 ? -1 : fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTRS | MOUNT_ATTR_NOEXEC |
				   (m->readonly ? MOUNT_ATTR_RDONLY : 0));
	r = mnt < 0 ? -errno : mnt;
	close(fs);
	return r;
}

/* Attaches one mount; a tmpfs's device joins own[] (mount points may be made in it). */
static int attach_one(const struct mount_spec *m, int *tree, uint64_t tmpfs_size, dev_t *own,
		      size_t *n_own, uid_t uid, gid_t gid, char *what, size_t what_size)
{
	struct stat st;
	bool file = false;
	int point, r;

	if (m->type == MOUNT_BIND) {
		if (fstat(*tree, &st) < 0)
			return failed(what, what_size, -errno, "Cannot stat the source of %.100s",
				      m->destination);
		file = !S_ISDIR(st.st_mode);
	} else {
		*tree = make_tmpfs(m, tmpfs_size, uid, gid);
		if (*tree < 0)
			return failed(what, what_size, *tree, "Cannot make the tmpfs for %.100s",
				      m->destination);
	}
	point = mount_point(m->destination, file, own, *n_own, uid, gid, what, what_size);
	if (point < 0)
		return point;
	r = move_mount(*tree, "", point, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	r = r < 0 ? -errno : 0;
	close(point);
	if (r < 0)
		return failed(what, what_size, r, "Cannot mount on %.100s", m->destination);
	if (m->type == MOUNT_TMPFS && fstat(*tree, &st) == 0)
		own[(*n_own)++] = st.st_dev;
	return 0;
}

/* One line of mountinfo: whether it is a proc or a namespace file mounted outside /proc. */
static bool foreign_proc(char *line)
{
	char *sep = strstr(line, " - "), *point = line, *end;

	if (!sep)
		return true; /* not understood: refused */
	for (int field = 0; field < 4 && point; field++) {
		point = strchr(point, ' ');
		point = point ? point + 1 : NULL;
	}
	if (!point)
		return true;
	end = strchr(point, ' ');
	if (end)
		*end = '\0';
	sep += 3;
	if (strncmp(sep, "proc ", 5) != 0 && strncmp(sep, "nsfs ", 5) != 0)
		return false;
	return strcmp(point, "/proc") != 0 && strncmp(point, "/proc/", 6) != 0;
}

/* A bind's source with a proc in it (-v /:/host brings the caller's /proc along) would lead
 * the workload out of the sandbox: /proc/PID/root and /proc/PID/fd of the caller's processes
 * are magic links to their roots and files, and a namespace file is a handle on the caller's
 * namespaces. So no proc or nsfs mount may be anywhere but the sandbox's own /proc (the
 * copies were made recursively, as the caller sees its tree). */
static int check_no_foreign_proc(char *what, size_t what_size)
{
	char line[2 * PATH_MAX + 512], buf[4096];
	size_t len = 0;
	ssize_t k;
	int fd, r = 0;

	fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return failed(what, what_size, -errno, "Cannot read the sandbox's mounts");
	while (r == 0 && (k = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < k && r == 0; i++) {
			if (buf[i] != '\n') {
				if (len + 1 >= sizeof(line))
					r = -E2BIG;
				else
					line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			len = 0;
			if (foreign_proc(line))
				r = -EPERM;
		}
	if (r == 0 && k < 0)
		r = -errno;
	close(fd);
	if (r == -EPERM)
		return failed(what, what_size, r, "A bind's source holds a /proc or namespace file of "
			      "yours, whose links lead out of any sandbox: bind what is below it instead");
	if (r < 0)
		return failed(what, what_size, r, "Cannot read the sandbox's mounts");
	return 0;
}

int mounts_attach(const struct mount_spec *m, size_t n, int *trees, uint64_t tmpfs_size, uid_t uid,
		  gid_t gid, char *what, size_t what_size)
{
	bool binds = false;
	dev_t own[MOUNTS_MAX + 1];
	size_t n_own = 0;
	struct stat st;
	int r = 0;

	if (n == 0)
		return 0;
	if (n > MOUNTS_MAX)
		return failed(what, what_size, -E2BIG, "Too many mounts");
	if (stat("/", &st) < 0)
		return failed(what, what_size, -errno, "Cannot stat the sandbox's root");
	own[n_own++] = st.st_dev;
	for (size_t i = 0; i < n && r >= 0; i++) {
		binds = binds || m[i].type == MOUNT_BIND;
		r = attach_one(&m[i], &trees[i], tmpfs_size, own, &n_own, uid, gid, what, what_size);
	}
	for (size_t i = 0; i < n; i++)
		if (trees[i] >= 0)
			trees[i] = safe_close(trees[i]);
	if (r >= 0 && binds)
		r = check_no_foreign_proc(what, what_size);
	return r;
}
