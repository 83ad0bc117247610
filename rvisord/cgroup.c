/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup v2 for rvisord: the daemon's delegated subtree and one cgroup per sandbox. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmount.h>

#include "cgroup.h"
#include "cpus.h"
#include "macro.h"

static void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Writes s to an existing file: cgroupfs files are never created (O_CREAT would turn a typo
 * or a disabled controller into a plain file on a fake tree and EACCES on the real one). */
static int write_file(const char *path, const char *s)
{
	_cleanup_close_ int fd = -1;
	size_t n = strlen(s);
	ssize_t k;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* cgroupfs takes a value in one write(); a short write is an error there. */
	k = write(fd, s, n);
	if (k < 0)
		return -errno;
	return (size_t)k == n ? 0 : -EIO;
}

static int write_filef(const char *dir, const char *file, const char *s)
{
	_cleanup_free_ char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	return write_file(p, s);
}

/* Reads a small file whole, NUL-terminated. */
static int read_file(const char *path, char **ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, cap = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k;

		if (cap - size < 4096) {
			char *nb;

			if (cap >= 1024 * 1024) /* cgroup files are small: something is wrong */
				return -EFBIG;
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		k = read(fd, buf + size, cap - size - 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		size += (size_t)k;
	}
	buf[size] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

static int read_filef(const char *dir, const char *file, char **ret)
{
	_cleanup_free_ char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	return read_file(p, ret);
}

static void mnt_unref_tablep(struct libmnt_table **tb)
{
	mnt_unref_table(*tb);
}

static void mnt_free_iterp(struct libmnt_iter **itr)
{
	mnt_free_iter(*itr);
}

/* The first cgroup2 mount in mountinfo (a file in /proc/self/mountinfo's format, read by
 * libmount, which also undoes its octal escapes): its mount point and the cgroup its root
 * shows (field 4, "/" unless the mount is a bind of a sub-cgroup or made inside a cgroup
 * namespace). -ENOMEDIUM without one. */
static int find_cgroup2_mount(const char *mountinfo, char **ret_mnt, char **ret_root)
{
	_cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
	_cleanup_(mnt_free_iterp) struct libmnt_iter *itr = NULL;
	struct libmnt_fs *fs;
	int r;

	tb = mnt_new_table();
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	if (!tb || !itr)
		return -ENOMEM;
	r = mnt_table_parse_file(tb, mountinfo);
	if (r < 0)
		return r;
	while ((r = mnt_table_next_fs(tb, itr, &fs)) == 0) {
		const char *type = mnt_fs_get_fstype(fs), *target = mnt_fs_get_target(fs),
			   *root = mnt_fs_get_root(fs);
		_cleanup_free_ char *mnt_copy = NULL, *root_copy = NULL;

		if (!type || strcmp(type, "cgroup2") != 0 || !target || !root)
			continue;
		mnt_copy = strdup(target);
		root_copy = strdup(root);
		if (!mnt_copy || !root_copy)
			return -ENOMEM;
		*ret_mnt = TAKE_PTR(mnt_copy);
		*ret_root = TAKE_PTR(root_copy);
		return 0;
	}
	return r < 0 ? r : -ENOMEDIUM;
}

/* The v2 line of /proc/PID/cgroup, "0::/path". */
static int find_own_cgroup(const char *proc_cgroup, char **ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	f = fopen(proc_cgroup, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *p;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if (line[3] != '/')
			return -EBADMSG;
		p = strdup(line + 3);
		if (!p)
			return -ENOMEM;
		*ret = p;
		return 0;
	}
	return -ENOMEDIUM;
}

/* Whether a blank-separated list holds word. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ' || p[-1] == '\n') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

static bool path_is_root(const char *p)
{
	return p[strspn(p, "/")] == '\0';
}

/* Moves every process listed in from/cgroup.procs into to. A few passes: a process may fork
 * while we move its parent. */
static int move_all(const char *from, const char *to)
{
	for (int pass = 0; pass < 3; pass++) {
		_cleanup_free_ char *procs = NULL;
		char *save = NULL;
		bool moved = false;
		int r;

		r = read_filef(from, "cgroup.procs", &procs);
		if (r < 0)
			return r;
		for (char *tok = strtok_r(procs, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
			r = write_filef(to, "cgroup.procs", tok);
			if (r < 0 && r != -ESRCH) /* gone meanwhile */
				return r;
			moved = true;
		}
		if (!moved)
			break;
	}
	return 0;
}

/* The controllers the sandboxes get: memory and pids always (checked by the caller), cpu and
 * cpuset where this cgroup offers them. */
static const char *controllers_to_enable(const char *controllers)
{
	bool cpu = has_word(controllers, "cpu"), cpuset = has_word(controllers, "cpuset");

	return cpu && cpuset ? "+memory +pids +cpu +cpuset" :
	       cpu	     ? "+memory +pids +cpu" :
	       cpuset	     ? "+memory +pids +cpuset" :
			       "+memory +pids";
}

/* Enables them in dir's cgroup.subtree_control; where the kernel refuses the optional ones
 * (cpu cannot be enabled while a real-time task sits in a child cgroup), memory and pids
 * alone: sandboxes then run without CPU limits. */
static int enable_controllers(const char *dir, const char *enable)
{
	int r = write_filef(dir, "cgroup.subtree_control", enable);

	if (r < 0 && strcmp(enable, "+memory +pids") != 0)
		r = write_filef(dir, "cgroup.subtree_control", "+memory +pids");
	return r;
}

int cgroup_setup_at(const char *mountinfo, const char *proc_cgroup, pid_t pid, char **ret_parent)
{
	_cleanup_free_ char *mnt = NULL, *mroot = NULL, *own_path = NULL, *own = NULL;
	_cleanup_free_ char *controllers = NULL, *parent = NULL, *daemon = NULL;
	const char *enable;
	char *rel, buf[32];
	int r;

	r = find_cgroup2_mount(mountinfo, &mnt, &mroot);
	if (r < 0)
		return r;
	r = find_own_cgroup(proc_cgroup, &own_path);
	if (r < 0)
		return r;

	/* own_path is relative to our cgroup namespace's root, which is what the mount shows
	 * as mroot when it was made in this namespace; anything else is not reachable here. */
	rel = own_path;
	if (!path_is_root(mroot)) {
		size_t n = strlen(mroot);

		if (strncmp(own_path, mroot, n) != 0 || (own_path[n] != '/' && own_path[n] != '\0'))
			return -ENOMEDIUM;
		rel = own_path + n;
	}
	/* A daemon that already ran cgroup_setup() (or was restarted in place) sits in
	 * <own>/daemon: <own> is the parent again. */
	{
		size_t n = strlen(rel), d = strlen("/" CGROUP_DAEMON_NAME);

		if (n > d && strcmp(rel + n - d, "/" CGROUP_DAEMON_NAME) == 0)
			rel[n - d] = '\0';
	}
	if (asprintf(&own, "%s%s", mnt, path_is_root(rel) ? "" : rel) < 0)
		return -ENOMEM;

	/* Check before changing anything: a hybrid host has cgroup2 mounted, but memory and
	 * pids are bound to v1 and cannot be enabled here. */
	r = read_filef(own, "cgroup.controllers", &controllers);
	if (r < 0)
		return r == -ENOENT ? -ENOMEDIUM : r;
	if (!has_word(controllers, "memory") || !has_word(controllers, "pids"))
		return -EOPNOTSUPP;
	enable = controllers_to_enable(controllers);

	if (path_is_root(rel)) {
		/* The root cgroup may hold processes and have children at once: just make a
		 * subtree of our own beside the rest of the system. */
		r = enable_controllers(own, enable);
		if (r < 0)
			return r;
		if (asprintf(&parent, "%s/rvisor", own) < 0)
			return -ENOMEM;
		if (mkdir(parent, 0755) < 0 && errno != EEXIST)
			return -errno;
	} else {
		/* A delegated cgroup: the "no internal processes" rule forbids enabling
		 * controllers for children while processes sit in it, so move them (the daemon
		 * and whatever its unit started) one level down first. */
		if (asprintf(&daemon, "%s/" CGROUP_DAEMON_NAME, own) < 0)
			return -ENOMEM;
		if (mkdir(daemon, 0755) < 0 && errno != EEXIST)
			return -errno;
		snprintf(buf, sizeof(buf), "%d", (int)pid);
		r = write_filef(daemon, "cgroup.procs", buf);
		if (r < 0)
			return r;
		r = move_all(own, daemon);
		if (r < 0)
			return r;
		parent = strdup(own);
		if (!parent)
			return -ENOMEM;
	}
	r = enable_controllers(parent, enable);
	if (r < 0)
		return r;
	*ret_parent = TAKE_PTR(parent);
	return 0;
}

int cgroup_setup(char **ret_parent)
{
	return cgroup_setup_at("/proc/self/mountinfo", "/proc/self/cgroup", getpid(), ret_parent);
}

/* Writes one limit: "max" for UINT64_MAX. */
static int write_limit(const char *dir, const char *file, uint64_t v, bool missing_ok)
{
	char buf[32];
	int r;

	if (v == UINT64_MAX)
		strcpy(buf, "max");
	else
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
	r = write_filef(dir, file, buf);
	if (r == -ENOENT)
		/* No such file: the controller is not enabled in the parent. Harmless when
		 * nothing is to be limited, else the limit would silently not apply. */
		return v == UINT64_MAX || missing_ok ? 0 : -EOPNOTSUPP;
	return r;
}

/* cpu.max: "QUOTA PERIOD", quota cpus_milli thousandths of the period; "max" for none. */
static int write_cpu_max(const char *dir, uint64_t cpus_milli)
{
	char buf[48];
	int r;

	if (cpus_milli == 0)
		strcpy(buf, "max");
	else
		snprintf(buf, sizeof(buf), "%llu %llu", (unsigned long long)(cpus_milli * CPUS_PERIOD_USEC / 1000),
			 CPUS_PERIOD_USEC);
	r = write_filef(dir, "cpu.max", buf);
	if (r == -ENOENT)
		return cpus_milli == 0 ? 0 : -EOPNOTSUPP;
	return r;
}

/* cpuset.cpus: the CPUs, or nothing written (an empty cpuset.cpus takes the parent's). */
static int write_cpuset(const char *dir, const char *cpuset)
{
	int r;

	if (!cpuset)
		return 0;
	r = write_filef(dir, "cpuset.cpus", cpuset);
	return r == -ENOENT ? -EOPNOTSUPP : r;
}

int cgroup_set_limits(const char *dir, const struct cgroup_limits *l, const char **ret_controller)
{
	const char *controller;
	int r;

	controller = "cpuset";
	r = write_cpuset(dir, l->cpuset);
	if (r >= 0) {
		controller = "cpu";
		r = write_cpu_max(dir, l->cpus_milli);
	}
	if (r >= 0) {
		controller = "memory";
		r = write_limit(dir, "memory.max", l->memory_max, false);
	}
	/* Swap counts separately in v2: without this a workload could page out its memory and
	 * grow past memory.max. Absent with swap accounting off, which also means no swap use
	 * is charged. */
	if (r >= 0)
		r = write_limit(dir, "memory.swap.max", 0, true);
	if (r >= 0) {
		controller = "pids";
		r = write_limit(dir, "pids.max", l->pids_max, false);
	}
	if (r == -EOPNOTSUPP && ret_controller)
		*ret_controller = controller;
	return r < 0 ? r : 0;
}

int cgroup_create(const char *parent, const char *name, const struct cgroup_limits *limits,
		  char **ret_dir, const char **ret_controller)
{
	_cleanup_free_ char *dir = NULL;
	int r;

	if (asprintf(&dir, "%s/%s", parent, name) < 0)
		return -ENOMEM;
	if (mkdir(dir, 0755) < 0)
		return -errno;
	r = cgroup_set_limits(dir, limits, ret_controller);
	if (r < 0) {
		(void)rmdir(dir);
		return r;
	}
	*ret_dir = TAKE_PTR(dir);
	return 0;
}

int cgroup_limit_daemon(const char *parent, const struct cgroup_limits *limits)
{
	_cleanup_free_ char *dir = NULL;
	struct stat st;

	if (asprintf(&dir, "%s/" CGROUP_DAEMON_NAME, parent) < 0)
		return -ENOMEM;
	if (stat(dir, &st) < 0)
		return -errno;
	return cgroup_set_limits(dir, limits, NULL);
}

int cgroup_attach(const char *dir, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return write_filef(dir, "cgroup.procs", buf);
}

int cgroup_kill_all(const char *dir)
{
	int r;

	r = write_filef(dir, "cgroup.kill", "1");
	if (r != -ENOENT)
		return r;
	/* Before 5.14: kill what is listed until the list is empty. The processes cannot
	 * leave the cgroup themselves (no write access to the cgroup tree from a sandbox). */
	for (int pass = 0; pass < 100; pass++) {
		_cleanup_free_ char *procs = NULL;
		char *save = NULL;
		bool any = false;

		r = read_filef(dir, "cgroup.procs", &procs);
		if (r < 0)
			return r;
		for (char *tok = strtok_r(procs, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
			long pid = strtol(tok, NULL, 10);

			if (pid > 1 && kill((pid_t)pid, SIGKILL) == 0)
				any = true;
		}
		if (!any)
			return 0;
		(void)nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return -EBUSY;
}

int cgroup_remove(const char *dir)
{
	/* rmdir fails with EBUSY while the cgroup is populated; after the last process is
	 * reaped that clears quickly, but not always before we get here. */
	for (int i = 0; i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		(void)nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return -EBUSY;
}

int cgroup_freeze(const char *dir, bool frozen)
{
	return write_filef(dir, "cgroup.freeze", frozen ? "1" : "0");
}

int cgroup_release_controllers(const char *parent)
{
	_cleanup_free_ char *enabled = NULL, *disable = NULL;
	char *save = NULL;
	size_t n = 0;
	int r;

	r = read_filef(parent, "cgroup.subtree_control", &enabled);
	if (r < 0)
		return r;
	disable = malloc(strlen(enabled) * 2 + 2);
	if (!disable)
		return -ENOMEM;
	for (char *c = strtok_r(enabled, " \n", &save); c; c = strtok_r(NULL, " \n", &save))
		n += (size_t)sprintf(disable + n, "%s-%s", n ? " " : "", c);
	return n ? write_filef(parent, "cgroup.subtree_control", disable) : 0;
}

/* The value of the line "KEY VALUE" in a flat keyed file (memory.events, cpu.stat). -EBADMSG
 * when there is no such line or its value is not a number. */
static int read_key(const char *dir, const char *file, const char *key, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	size_t n = strlen(key);
	char *save = NULL;
	int r;

	r = read_filef(dir, file, &text);
	if (r < 0)
		return r;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v;
		char *end;

		if (strncmp(line, key, n) != 0 || line[n] != ' ')
			continue;
		errno = 0;
		v = strtoull(line + n + 1, &end, 10);
		if (errno || end == line + n + 1 || *end)
			return -EBADMSG;
		*ret = v;
		return 0;
	}
	return -EBADMSG;
}

int cgroup_oom_kills(const char *dir, uint64_t *ret)
{
	return read_key(dir, "memory.events", "oom_kill", ret);
}

int cgroup_cpuset_effective(const char *dir, cpu_set_t *ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = read_filef(dir, "cpuset.cpus.effective", &text);
	if (r < 0)
		return r;
	return cpulist_parse(text, ret) < 0 ? -EBADMSG : 0;
}

int cgroup_cpu_usage(const char *dir, uint64_t *ret_usec)
{
	return read_key(dir, "cpu.stat", "usage_usec", ret_usec);
}
