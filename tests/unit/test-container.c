/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisord/container.c, cgroup.c, oci.c: real sandboxes from a busybox image (built with
 * tests/images/make-busybox-image.sh), without the kernel layer (rvisor_fd = -1): output,
 * exit codes, exec errors, signals, isolation, masking, credentials, the image left intact,
 * OCI bundles, failures that clean up, and nothing left behind (state dirs, mounts,
 * processes, fds). cgroup code against fake trees, and against the host's cgroup2 when it
 * has a writable one. Needs root; skipped otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cgroup.h"
#include "container.h"
#include "oci.h"
#include "policy.h"
#include "source-tree.h"
#include "strv.h"
#include "tap.h"

static char tmpdir[] = "/tmp/rvisor-test-container-XXXXXX";
static char image[PATH_MAX], state_root[PATH_MAX];
static int image_fd = -1; /* the image, opened as a client opens it */
static int name_counter;

static void skip(const char *why, int n)
{
	for (int i = 0; i < n; i++) {
		tap_count++;
		printf("ok %d # skip %s\n", tap_count, why);
	}
}

_printf_(1, 2) static char *strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* A NULL-terminated array of copies (string literals are const here); freed at exit. */
static char **pool[128];
static size_t pool_n;

static char **sv(const char *first, ...)
{
	char **v = calloc(16, sizeof(char *));
	const char *a = first;
	size_t n = 0;
	va_list ap;

	va_start(ap, first);
	while (a && n < 15) {
		v[n++] = strdup(a);
		a = va_arg(ap, const char *);
	}
	va_end(ap);
	if (pool_n < sizeof(pool) / sizeof(pool[0]))
		pool[pool_n++] = v;
	return v;
}

static void pool_free(void)
{
	for (size_t i = 0; i < pool_n; i++)
		strv_free(pool[i]);
}

/* dir/file, kept until exit (for one-line calls in the cgroup tests). */
static char *kept[64];
static size_t kept_n;

static char *strf_keep(const char *dir, const char *file)
{
	char *p = strf("%s/%s", dir, file);

	if (kept_n < ARRAY_SIZE(kept))
		kept[kept_n++] = p;
	return p;
}

static void kept_free(void)
{
	for (size_t i = 0; i < kept_n; i++)
		free(kept[i]);
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle);
}

static char *read_fd_all(int fd, int timeout_ms)
{
	size_t size = 0, cap = 4096;
	char *buf = malloc(cap);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		if (cap - size < 1024)
			buf = realloc(buf, cap *= 2);
		k = read(fd, buf + size, cap - size - 1);
		if (k <= 0)
			break;
		size += (size_t)k;
	}
	buf[size] = '\0';
	return buf;
}

static char *read_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *s;

	if (fd < 0)
		return strdup("");
	s = read_fd_all(fd, 1000);
	close(fd);
	return s;
}

static void write_path(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
	close(fd);
}

static char *command_output(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char *s;

	if (!f)
		return strdup("");
	s = read_fd_all(fileno(f), 10000);
	pclose(f);
	return s;
}

/* Open fds of this process, not counting the directory stream's own. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", "..", and d's fd */
}

static char *children(void)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/task/%d/children", (int)getpid());
	return read_path(p);
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static void spec_init(struct container_spec *s, char **argv)
{
	static char names[128][16];

	memset(s, 0, sizeof(*s));
	name_counter = (name_counter + 1) % 128;
	snprintf(names[name_counter], sizeof(names[0]), "t-%d", name_counter);
	s->name = names[name_counter];
	s->image_fd = image_fd;
	s->argv = argv;
	s->stdio[0] = s->stdio[1] = s->stdio[2] = -1;
	s->memory_max = s->pids_max = UINT64_MAX;
	s->storage_max = 64 << 20;
	s->state_root = state_root;
	s->rvisor_fd = -1;
}

/* Waits for the workload's end. */
static int wait_exit(struct container *c, int *ret_status, int *ret_errno)
{
	struct pollfd p = { .fd = c->status_fd, .events = POLLIN };

	if (poll(&p, 1, 10000) != 1)
		return -ETIMEDOUT;
	return container_read_exit(c, ret_status, ret_errno);
}

struct result {
	int r;            /* container_start() */
	char *error;      /* its text */
	char *out;        /* stdout and stderr */
	int status, exec_errno;
	char *state_dir;  /* where it lived */
	unsigned int layers; /* the container's layers */
};

static void result_done(struct result *res)
{
	free(res->error);
	free(res->out);
	free(res->state_dir);
	memset(res, 0, sizeof(*res));
}

/* Runs a sandbox to its end with stdout+stderr in a pipe, optional stdin text, and
 * destroys it. */
static void run(struct container_spec *s, const char *input, struct result *res)
{
	struct container *c = NULL;
	int out[2], in[2] = { -1, -1 };

	memset(res, 0, sizeof(*res));
	res->status = -1;
	if (pipe2(out, O_CLOEXEC) < 0)
		abort();
	if (input && pipe2(in, O_CLOEXEC) < 0)
		abort();
	s->stdio[0] = in[0];
	s->stdio[1] = s->stdio[2] = out[1];
	res->r = container_start(s, &c, &res->error);
	close(out[1]);
	if (in[0] >= 0) {
		close(in[0]);
		if (write(in[1], input, strlen(input)) < 0)
			abort();
		close(in[1]);
	}
	if (res->r < 0) {
		close(out[0]);
		return;
	}
	res->out = read_fd_all(out[0], 10000);
	close(out[0]);
	res->state_dir = strdup(c->state_dir);
	res->layers = c->layers;
	if (wait_exit(c, &res->status, &res->exec_errno) < 0)
		res->status = -1;
	if (container_destroy(c) < 0)
		res->r = -999;
	container_free(c);
}

static char *image_listing(void)
{
	char *cmd = strf("cd '%s' && find . -printf '%%p %%y %%m %%U:%%G %%s %%T@ %%l\\n' | LC_ALL=C sort"
			 " && find . -type f -exec sha256sum {} + | LC_ALL=C sort", image);
	char *s = command_output(cmd);

	free(cmd);
	return s;
}

/* tests/images/make-busybox-image.sh, wherever the sources are. */
static char *find_image_script(void)
{
	static const char script[] = "tests/images/make-busybox-image.sh";
	char root[PATH_MAX];

	if (!source_tree_find(script, X_OK, root, sizeof(root)))
		return NULL;
	return strf("%s/%s", root, script);
}

/* cgroup_set_limits() with memory and pids only. */
static int set_limits(const char *dir, uint64_t memory_max, uint64_t pids_max)
{
	return cgroup_set_limits(dir, &(struct cgroup_limits){ .memory_max = memory_max, .pids_max = pids_max },
				 NULL);
}

static void test_cgroup_fake(void)
{
	char *root = strf("%s/cg", tmpdir), *mi = strf("%s/mountinfo", tmpdir);
	char *pc = strf("%s/proc-cgroup", tmpdir), *p, *parent = NULL, *s;
	uint64_t n = 0;

	/* No cgroup2 at all. */
	write_path(mi, "22 1 0:20 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
	write_path(pc, "4:memory:/x\n");
	is_int(cgroup_setup_at(mi, pc, 1, &parent), -ENOMEDIUM, "cgroup_setup: no cgroup2 mount: -ENOMEDIUM");
	ok(!parent, "no parent");

	/* cgroup2, the daemon in its root; the mount point needs unescaping. */
	p = strf("%s/with space", root);
	mkdir(root, 0755);
	mkdir(p, 0755);
	free(p);
	s = strf("22 1 0:20 / %s/with\\040space rw - cgroup cgroup rw,memory\n"
		 "23 1 0:21 / %s/with\\040space rw,nosuid - cgroup2 cgroup2 rw\n", root, root);
	write_path(mi, s);
	free(s);
	write_path(pc, "4:memory:/x\n0::/\n");
	p = strf("%s/with space/cgroup.controllers", root);
	write_path(p, "cpu io hugetlb\n");
	free(p);
	is_int(cgroup_setup_at(mi, pc, 1, &parent), -EOPNOTSUPP,
	       "cgroup_setup: memory/pids bound elsewhere (hybrid): -EOPNOTSUPP");
	p = strf("%s/with space/rvisor", root);
	ok(!exists(p), "nothing created before the controllers were checked");
	free(p);
	p = strf("%s/with space/cgroup.controllers", root);
	write_path(p, "cpu io memory hugetlb pids\n");
	free(p);
	p = strf("%s/with space/cgroup.subtree_control", root);
	write_path(p, "");
	free(p);
	/* The real cgroupfs creates the files of a new cgroup; a fake one needs them made. */
	p = strf("%s/with space/rvisor", root);
	unlink(p);
	mkdir(p, 0755);
	free(p);
	p = strf("%s/with space/rvisor/cgroup.subtree_control", root);
	write_path(p, "");
	free(p);
	is_int(cgroup_setup_at(mi, pc, 1, &parent), 0, "cgroup_setup: daemon in the root cgroup");
	s = strf("%s/with space/rvisor", root);
	is_str(parent, s, "parent is <root>/rvisor");
	free(s);
	free(parent);
	parent = NULL;
	p = strf("%s/with space/cgroup.subtree_control", root);
	s = read_path(p);
	is_str(s, "+memory +pids +cpu", "controllers enabled in the root (cpu where offered)");
	free(s);
	free(p);
	p = strf("%s/with space/rvisor/cgroup.subtree_control", root);
	s = read_path(p);
	is_str(s, "+memory +pids +cpu", "controllers enabled in <root>/rvisor");
	free(s);
	free(p);

	/* A delegated cgroup: the daemon moves into <own>/daemon, <own> is the parent. */
	p = strf("%s/with space/svc", root);
	mkdir(p, 0755);
	free(p);
	p = strf("%s/with space/svc/daemon", root);
	mkdir(p, 0755);
	free(p);
	p = strf("%s/with space/svc/cgroup.controllers", root);
	write_path(p, "memory pids\n");
	free(p);
	p = strf("%s/with space/svc/cgroup.procs", root);
	write_path(p, "");
	free(p);
	p = strf("%s/with space/svc/cgroup.subtree_control", root);
	write_path(p, "");
	free(p);
	p = strf("%s/with space/svc/daemon/cgroup.procs", root);
	write_path(p, "");
	free(p);
	write_path(pc, "0::/svc\n");
	is_int(cgroup_setup_at(mi, pc, 4242, &parent), 0, "cgroup_setup: delegated cgroup");
	s = strf("%s/with space/svc", root);
	is_str(parent, s, "parent is the daemon's own cgroup");
	free(s);
	free(parent);
	parent = NULL;
	p = strf("%s/with space/svc/daemon/cgroup.procs", root);
	s = read_path(p);
	is_str(s, "4242", "the daemon moved into <own>/daemon");
	free(s);
	free(p);
	p = strf("%s/with space/svc/cgroup.subtree_control", root);
	s = read_path(p);
	is_str(s, "+memory +pids", "controllers enabled in <own>");
	free(s);
	free(p);
	write_path(pc, "0::/svc/daemon\n");
	is_int(cgroup_setup_at(mi, pc, 4242, &parent), 0, "cgroup_setup again from <own>/daemon");
	s = strf("%s/with space/svc", root);
	is_str(parent, s, "same parent, no daemon/daemon");
	free(s);
	free(parent);
	parent = NULL;

	/* Limits. */
	p = strf("%s/with space/svc/box", root);
	mkdir(p, 0755);
	free(p);
	p = strf("%s/with space/svc/box", root);
	is_int(set_limits(p, 1048576, 64), -EOPNOTSUPP, "limits without the controller's files: -EOPNOTSUPP");
	is_int(set_limits(p, UINT64_MAX, UINT64_MAX), 0, "unlimited without the files: fine");
	s = strf("%s/memory.max", p);
	write_path(s, "");
	free(s);
	s = strf("%s/pids.max", p);
	write_path(s, "");
	free(s);
	is_int(set_limits(p, 1048576, 64), 0, "limits written (no memory.swap.max: fine)");
	s = strf("%s/memory.max", p);
	free(parent);
	parent = read_path(s);
	is_str(parent, "1048576", "memory.max");
	free(s);
	s = strf("%s/memory.swap.max", p);
	write_path(s, "");
	is_int(set_limits(p, 2048, UINT64_MAX), 0, "limits written again");
	free(parent);
	parent = read_path(s);
	is_str(parent, "0", "memory.swap.max = 0");
	free(s);
	s = strf("%s/pids.max", p);
	free(parent);
	parent = read_path(s);
	is_str(parent, "max", "pids.max = max");
	free(s);
	s = strf("%s/memory.events", p);
	write_path(s, "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\noom_group_kill 0\n");
	is_int(cgroup_oom_kills(p, &n), 0, "memory.events read");
	is_int((long long)n, 2, "oom_kill count");
	write_path(s, "low 0\n");
	is_int(cgroup_oom_kills(p, &n), -EBADMSG, "memory.events without oom_kill: -EBADMSG");
	free(s);
	free(parent);
	free(p);
	free(root);
	free(mi);
	free(pc);
}

/* A file's text is want (read_path() gives "" for a missing file). */
static void file_is(const char *dir, const char *file, const char *want, const char *what)
{
	char *p = strf("%s/%s", dir, file), *text = read_path(p);

	is_str(text, want, what);
	free(text);
	free(p);
}

/* CPU limits against a fake tree: +cpu +cpuset where offered, cpu.max and cpuset.cpus, fail
 * closed without their files, and what is read back. */
static void test_cgroup_cpu_fake(void)
{
	char *root = strf("%s/cgcpu", tmpdir), *mi = strf("%s/mountinfo-cpu", tmpdir);
	char *pc = strf("%s/proc-cgroup-cpu", tmpdir), *parent = NULL, *box, *p;
	const char *controller = NULL;
	struct cgroup_limits l = { .memory_max = UINT64_MAX, .pids_max = UINT64_MAX };
	uint64_t usage = 0;
	cpu_set_t set;

	/* A delegated cgroup offering cpu and cpuset: both enabled beside memory and pids. */
	mkdir(root, 0755);
	mkdir(strf_keep(root, "svc"), 0755);
	mkdir(strf_keep(root, "svc/daemon"), 0755);
	p = strf("23 1 0:21 / %s rw,nosuid - cgroup2 cgroup2 rw\n", root);
	write_path(mi, p);
	free(p);
	write_path(pc, "0::/svc\n");
	p = strf("%s/svc", root);
	write_path(strf_keep(p, "cgroup.controllers"), "cpuset cpu io memory pids\n");
	write_path(strf_keep(p, "cgroup.procs"), "");
	write_path(strf_keep(p, "cgroup.subtree_control"), "");
	write_path(strf_keep(p, "daemon/cgroup.procs"), "");
	is_int(cgroup_setup_at(mi, pc, 77, &parent), 0, "cgroup_setup: delegated cgroup with cpu and cpuset");
	file_is(p, "cgroup.subtree_control", "+memory +pids +cpu +cpuset", "cpu and cpuset enabled too");
	free(parent);
	parent = NULL;
	write_path(strf_keep(p, "cgroup.controllers"), "memory pids cpuset\n");
	is_int(cgroup_setup_at(mi, pc, 77, &parent), 0, "cgroup_setup: cpuset without cpu");
	file_is(p, "cgroup.subtree_control", "+memory +pids +cpuset", "what is offered, nothing else");
	free(parent);
	parent = NULL;

	/* Limits: each controller's file missing in turn is -EOPNOTSUPP naming it. */
	box = strf("%s/box", p);
	mkdir(box, 0755);
	l.cpus_milli = 1500;
	l.cpuset = "0-1";
	is_int(cgroup_set_limits(box, &l, &controller), -EOPNOTSUPP, "cpuset asked for without cpuset.cpus: -EOPNOTSUPP");
	is_str(controller, "cpuset", "it names the cpuset controller");
	write_path(strf_keep(box, "cpuset.cpus"), "");
	controller = NULL;
	is_int(cgroup_set_limits(box, &l, &controller), -EOPNOTSUPP, "cpus asked for without cpu.max: -EOPNOTSUPP");
	is_str(controller, "cpu", "it names the cpu controller");
	write_path(strf_keep(box, "cpu.max"), "");
	controller = NULL;
	l.memory_max = 64 << 20;
	is_int(cgroup_set_limits(box, &l, &controller), -EOPNOTSUPP, "then memory.max is missing: -EOPNOTSUPP");
	is_str(controller, "memory", "it names the memory controller");
	l.memory_max = UINT64_MAX;
	is_int(cgroup_set_limits(box, &l, NULL), 0, "CPU limits written");
	file_is(box, "cpu.max", "150000 100000", "cpu.max: 1.5 CPUs' quota per 100 ms");
	file_is(box, "cpuset.cpus", "0-1", "cpuset.cpus");
	l.cpus_milli = 10;
	l.cpuset = NULL;
	is_int(cgroup_set_limits(box, &l, NULL), 0, "the smallest quota");
	file_is(box, "cpu.max", "1000 100000", "cpu.max: 0.01 CPUs is 1 ms per 100 ms");
	file_is(box, "cpuset.cpus", "0-1", "no cpuset: cpuset.cpus left alone");
	l.cpus_milli = 0;
	is_int(cgroup_set_limits(box, &l, NULL), 0, "no CPU limit");
	file_is(box, "cpu.max", "max", "cpu.max: max");
	unlink(strf_keep(box, "cpu.max"));
	unlink(strf_keep(box, "cpuset.cpus"));
	is_int(cgroup_set_limits(box, &l, NULL), 0, "no CPU limit and no cpu controller: fine");

	/* cgroup_create() fails closed and leaves nothing behind. */
	l.cpus_milli = 2000;
	controller = NULL;
	is_int(cgroup_create(p, "new", &l, &parent, &controller), -EOPNOTSUPP, "cgroup_create: CPU limit without the controller");
	is_str(controller, "cpu", "names it");
	ok(!parent, "no directory returned");
	ok(!exists(strf_keep(p, "new")), "and none left");

	/* Read back: the CPUs offered, and the CPU time used. */
	is_int(cgroup_cpuset_effective(box, &set), -ENOENT, "no cpuset.cpus.effective: -ENOENT");
	write_path(strf_keep(box, "cpuset.cpus.effective"), "0-1,3\n");
	is_int(cgroup_cpuset_effective(box, &set), 0, "cpuset.cpus.effective read");
	ok(CPU_COUNT(&set) == 3 && CPU_ISSET(0, &set) && CPU_ISSET(1, &set) && CPU_ISSET(3, &set),
	   "CPUs 0, 1 and 3");
	write_path(strf_keep(box, "cpuset.cpus.effective"), "0-x\n");
	is_int(cgroup_cpuset_effective(box, &set), -EBADMSG, "a bad list: -EBADMSG");
	write_path(strf_keep(box, "cpu.stat"), "usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\n");
	is_int(cgroup_cpu_usage(box, &usage), 0, "cpu.stat read");
	is_int((long long)usage, 1234567, "usage_usec");
	write_path(strf_keep(box, "cpu.stat"), "user_usec 1\n");
	is_int(cgroup_cpu_usage(box, &usage), -EBADMSG, "cpu.stat without usage_usec: -EBADMSG");

	free(box);
	free(p);
	free(root);
	free(mi);
	free(pc);
}

static void test_cgroup_host(void)
{
	char *before = read_path("/proc/self/cgroup"), *after, *parent = NULL;
	int r = cgroup_setup(&parent);

	/* This build host has cgroup v1 (and perhaps a controller-less v2 beside it). */
	if (r == 0) {
		skip("this host has a usable cgroup v2; not changing it", 2);
		free(parent);
	} else {
		ok(r == -ENOMEDIUM || r == -EOPNOTSUPP, "cgroup_setup on this host: no usable cgroup v2");
		if (r != -ENOMEDIUM && r != -EOPNOTSUPP)
			printf("#   got %d\n", r);
		after = read_path("/proc/self/cgroup");
		is_str(after, before, "and the test process was not moved");
		free(after);
	}
	free(before);
}

static int parse_text(const char *text, struct oci_config **c, char **err)
{
	free(*err);
	*err = NULL;
	return oci_config_parse(text, strlen(text), c, err);
}

static void test_oci_parse(void)
{
	struct oci_config *c = NULL;
	char *err = NULL;

	is_int(parse_text("{\"root\":{\"path\":\"r\",\"readonly\":true},\"process\":{\"args\":[\"a\",\"b\"],"
			  "\"env\":[\"X=1\"],\"cwd\":\"/w\",\"user\":{\"uid\":7,\"gid\":8},"
			  "\"terminal\":true},\"hostname\":\"h\"}", &c, &err),
	       0, "config.json parsed");
	if (c) {
		is_str(c->root_path, "r", "root.path kept as written (the client resolved it)");
		ok(c->root_readonly, "root.readonly");
		is_str(c->args[1], "b", "process.args");
		ok(!c->args[2], "NULL-terminated");
		is_str(c->env[0], "X=1", "process.env");
		is_str(c->cwd, "/w", "process.cwd");
		ok(c->has_user && c->uid == 7 && c->gid == 8, "process.user");
		ok(c->terminal, "process.terminal");
		is_str(c->hostname, "h", "hostname");
		c = oci_config_free(c);
	}
	is_int(parse_text("{\"process\":{\"args\":\"sh\"}}", &c, &err), -EINVAL,
	       "args not an array: -EINVAL");
	ok(contains(err, "process.args"), "the message names the field");
	is_int(parse_text("{\"process\":{\"user\":{\"uid\":-1,\"gid\":0}}}", &c, &err), -EINVAL,
	       "uid -1: -EINVAL");
	is_int(parse_text("{\"process\":", &c, &err), -EINVAL, "truncated JSON: -EINVAL");
	ok(contains(err, "not valid JSON"), "says so");
	is_int(parse_text("{} {}", &c, &err), -EINVAL, "trailing data after the object: -EINVAL");
	is_int(parse_text("[1]", &c, &err), -EINVAL, "not an object: -EINVAL");
	err = mfree(err); /* fail() keeps a message it finds: each parse starts without one */
	is_int(oci_config_parse("{}\0{}", 5, &c, &err), -EINVAL, "an embedded NUL: -EINVAL");
	ok(contains(err, "NUL"), "says so");
	{
		size_t n = OCI_CONFIG_MAX + 1;
		char *big = malloc(n + 1);

		memset(big, ' ', n);
		big[0] = '{';
		big[n - 1] = '}';
		big[n] = '\0';
		is_int(oci_config_parse(big, n, &c, &err), -EINVAL, "larger than OCI_CONFIG_MAX: -EINVAL");
		free(big);
	}
	ok(!c, "*ret untouched on failure");
	free(err);
}

static void test_start_errors(void)
{
	char **argv = sv("true", NULL);
	char *file = strf("%s/a-file", tmpdir);
	struct container_spec s;
	struct container *c = NULL;
	char *err = NULL;
	int fd;

	spec_init(&s, argv);
	write_path(file, "x");
	fd = open(file, O_RDONLY | O_CLOEXEC);
	s.image_fd = fd;
	is_int(container_start(&s, &c, &err), -ENOTDIR, "image a file: -ENOTDIR");
	ok(contains(err, "not a directory"), "error text says it is not a directory");
	close(fd);
	free(err);
	err = NULL;
	fd = open(image, O_PATH | O_DIRECTORY | O_CLOEXEC);
	s.image_fd = fd;
	is_int(container_start(&s, &c, &err), -ENOTDIR,
	       "image an O_PATH descriptor (searchable, maybe not readable): -ENOTDIR");
	close(fd);
	free(err);
	err = NULL;
	s.image_fd = image_fd;
	/* stdio: a directory would let the sandbox walk from /proc/self/fd/0 to host files. */
	{
		static const struct {
			const char *path;
			int flags;
			const char *why;
		} bad[] = {
			{ "/", O_RDONLY | O_DIRECTORY, "a directory" },
			{ "/etc/hostname", O_PATH, "an O_PATH descriptor" },
			{ "/", O_PATH | O_DIRECTORY, "an O_PATH descriptor" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char *name = strf("stdin %s, %s: -EBADF, and the text says so", bad[i].path, bad[i].why);

			fd = open(bad[i].path, bad[i].flags | O_CLOEXEC);
			s.stdio[0] = fd;
			is_int(container_start(&s, &c, &err), -EBADF, name);
			ok(contains(err, bad[i].why), name);
			close(fd);
			free(name);
			free(err);
			err = NULL;
		}
		s.stdio[0] = -1;
	}
	{
		const char *why = NULL;
		int p[2];

		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		is_int(container_stdio_check(fd, &why), 0, "/dev/null is fine as stdio");
		close(fd);
		fd = open(file, O_RDONLY | O_CLOEXEC);
		is_int(container_stdio_check(fd, &why), 0, "a regular file is fine");
		close(fd);
		if (pipe2(p, O_CLOEXEC) == 0) {
			is_int(container_stdio_check(p[0], &why), 0, "a pipe is fine");
			close(p[0]);
			close(p[1]);
		}
		is_int(container_stdio_check(1000, &why), -EBADF, "a closed fd: -EBADF");
	}
	s.name = "../x";
	is_int(container_start(&s, &c, &err), -EINVAL, "name with a slash: -EINVAL");
	free(err);
	err = NULL;
	s.name = "daemon";
	is_int(container_start(&s, &c, &err), -EINVAL, "name \"daemon\": -EINVAL");
	free(err);
	err = NULL;
	{
		static struct rvisor_policy bad;

		bad.default_action = 99;
		spec_init(&s, argv);
		s.policy = &bad;
		is_int(container_start(&s, &c, &err), -EINVAL, "a policy rvisor.ko would refuse: -EINVAL");
		free(err);
		err = NULL;
	}
	{
		struct idmap m = { .ranges = { { 0, 1234, 1 } }, .n = 1 };

		spec_init(&s, argv);
		s.uid_map = &m;
		is_int(container_start(&s, &c, &err), -EINVAL, "a uid map without a gid map: -EINVAL");
		free(err);
		err = NULL;
		s.gid_map = &m;
		s.user_set = true;
		s.uid = 1;
		is_int(container_start(&s, &c, &err), -EPERM, "a user not mapped in the user namespace: -EPERM");
		ok(contains(err, "not mapped"), "says so");
		free(err);
		err = NULL;
	}
	spec_init(&s, NULL);
	is_int(container_start(&s, &c, &err), -EINVAL, "no command: -EINVAL");
	ok(contains(err, "No command"), "says so");
	free(err);
	err = NULL;
	ok(!c, "*ret untouched");
	free(file);
}

static const char *masked_on_host[] = { "/proc/kcore", "/proc/keys", "/proc/timer_list",
					"/proc/sched_debug", "/proc/latency_stats" };

static void test_sandboxes(void)
{
	char **echo = sv("echo", "hello", "world", NULL);
	char **exit3 = sv("sh", "-c", "exit 3", NULL);
	char **nosuch = sv("nosuchcommand", NULL);
	char **noexec = sv("/etc/passwd", NULL);
	char **selfkill = sv("sh", "-c", "kill -9 $$", NULL);
	char **cat = sv("cat", NULL);
	struct container_spec s;
	struct result res;
	char *before, *after, *cmd;

	spec_init(&s, echo);
	run(&s, NULL, &res);
	is_int(res.r, 0, "echo: started and destroyed");
	if (res.r < 0)
		printf("# %s\n", res.error);
	is_str(res.out, "hello world\n", "echo: output through the given fd");
	ok(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0, "echo: exit 0");
	is_int(res.exec_errno, 0, "echo: no exec error");
	ok(res.state_dir && !exists(res.state_dir), "state dir removed by destroy");
	result_done(&res);

	spec_init(&s, exit3);
	run(&s, NULL, &res);
	ok(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 3, "exit code 3 propagates");
	result_done(&res);

	spec_init(&s, nosuch);
	run(&s, NULL, &res);
	is_int(res.exec_errno, ENOENT, "missing command: exec errno ENOENT");
	ok(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 127, "missing command: exit 127");
	result_done(&res);

	spec_init(&s, noexec);
	run(&s, NULL, &res);
	is_int(res.exec_errno, EACCES, "non-executable file: exec errno EACCES");
	result_done(&res);

	spec_init(&s, selfkill);
	run(&s, NULL, &res);
	ok(WIFSIGNALED(res.status) && WTERMSIG(res.status) == SIGKILL, "killed by a signal: wait status says so");
	result_done(&res);

	spec_init(&s, cat);
	run(&s, "from stdin\n", &res);
	is_str(res.out, "from stdin\n", "stdin comes through the given fd");
	result_done(&res);

	/* The image stays byte-identical, whatever the workload writes, removes or chmods. */
	before = image_listing();
	{
		char **w = sv("sh", "-c",
			      "echo x > /newfile && echo y >> /etc/passwd && rm /bin/ls && "
			      "mkdir -p /tmp/d/e && touch /tmp/d/e/f && chmod 000 /etc/group && "
			      "mv /root /root2 && ln -s /etc/shadow /bin/mylink && ls /bin/ls 2>/dev/null; "
			      "cat /newfile",
			      NULL);

		spec_init(&s, w);
		run(&s, NULL, &res);
		is_str(res.out, "x\n", "writes work inside (overlay upper layer)");
		ok(WIFEXITED(res.status), "the writer exited");
		result_done(&res);
	}
	after = image_listing();
	ok(strlen(before) > 1000 && strcmp(before, after) == 0,
	   "image byte-identical after a run that wrote, removed and chmod'ed (listing + sha256)");
	free(before);
	free(after);

	/* Masking, no /sys, hostname, network namespace with only lo (up). */
	cmd = strf("for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug "
		   "/proc/latency_stats; do [ -e $f ] && { [ -c $f ] && echo masked:$f || echo open:$f; }; "
		   "done; [ -e /sys ] && echo has-sys; hostname; "
		   "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; ip link show lo | head -1; "
		   "grep -c ' /proc/sys ro,' /proc/self/mountinfo; ls /proc/acpi 2>/dev/null | wc -l; "
		   "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs)' /proc/self/status | tr -s ' \\t' ' '; "
		   "id -u; ls -l /dev/null /dev/ptmx | cut -c1; ls /dev/pts; grep '^0::' /proc/self/cgroup");
	{
		char **w = sv("sh", "-c", cmd, NULL);
		bool all_masked = true, any = false;

		spec_init(&s, w);
		s.hostname = "box-one";
		run(&s, NULL, &res);
		for (size_t i = 0; i < sizeof(masked_on_host) / sizeof(masked_on_host[0]); i++)
			if (exists(masked_on_host[i])) {
				char *m = strf("masked:%s\n", masked_on_host[i]);

				any = true;
				if (!contains(res.out, m))
					all_masked = false;
				free(m);
			}
		ok(any && all_masked && !contains(res.out, "open:"), "/proc/kcore and friends masked (/dev/null)");
		ok(!contains(res.out, "has-sys"), "no /sys");
		ok(contains(res.out, "\nbox-one\n"), "hostname set");
		ok(contains(res.out, "\nlo\n<") || contains(res.out, "\nlo\n1: lo"), "only lo in the network namespace");
		ok(contains(res.out, "lo: <LOOPBACK,UP"), "lo is up");
		ok(contains(res.out, "UP") && contains(res.out, "\n1\n0\n"), "/proc/sys read-only, /proc/acpi empty");
		ok(contains(res.out, "CapInh: 0000000000000000\nCapPrm: 0000000000000000\n"
				     "CapEff: 0000000000000000\nCapBnd: 0000000000000000\n"
				     "CapAmb: 0000000000000000\nNoNewPrivs: 1\n"),
		   "uid 0 without any capability, no_new_privs");
		ok(contains(res.out, "\n0\nc\nl\nptmx\n0::/\n"), "uid 0, /dev nodes, private devpts, own cgroup namespace");
		if (tap_failed)
			printf("# output:\n%s", res.out);
		result_done(&res);
	}
	free(cmd);

	/* Credentials, environment, cwd. */
	{
		char **w = sv("sh", "-c", "id -u; id -g; id -G; echo $FOO $PATH $HOME $HOSTNAME $TERM; pwd; "
					  "grep -E '^(CapEff|CapBnd)' /proc/self/status | tr -s ' \\t' ' '",
			      NULL);
		char **env = sv("FOO=bar", "PATH=/bin", NULL);

		spec_init(&s, w);
		s.user_set = true;
		s.uid = 1000;
		s.gid = 1000;
		s.env = env;
		s.cwd = "/tmp";
		s.hostname = "envhost";
		run(&s, NULL, &res);
		is_str(res.out, "1000\n1000\n1000\nbar /bin / envhost dumb\n/tmp\nCapEff: 0000000000000000\n"
				"CapBnd: 0000000000000000\n",
		       "uid/gid 1000, no supplementary groups, env merged over the defaults, cwd");
		result_done(&res);
	}

	/* The seccomp fallback with a policy: mkdir refused. */
	{
		static struct rvisor_policy pol;
		char **w = sv("sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?; grep -E '^Seccomp' /proc/self/status",
			      NULL);

		pol.syscalls[SYS_mkdir] = (struct rvisor_syscall_rule){ RVISOR_ACTION_DENY, EPERM };
		pol.syscalls[SYS_mkdirat] = (struct rvisor_syscall_rule){ RVISOR_ACTION_DENY, EPERM };
		/* everything else passes, io_uring too: a policy must say so */
		pol.flags = RVISOR_POLICY_UNGATED;
		spec_init(&s, w);
		s.policy = &pol;
		run(&s, NULL, &res);
		ok(contains(res.out, "Operation not permitted") && contains(res.out, "rc=1"),
		   "seccomp fallback: the policy's DENY applies to the workload");
		is_int(res.layers, POLICY_LAYER_SECCOMP, "without rvisor.ko the filter is the one layer");
		/* the argument filter (clone and unshare: no namespaces) and the main filter */
		ok(contains(res.out, "Seccomp:\t2\n") && contains(res.out, "Seccomp_filters:\t2\n"),
		   "the workload runs under the policy's two seccomp programs");
		result_done(&res);

		/* asked for explicitly: the same */
		spec_init(&s, w);
		s.policy = &pol;
		s.layers = POLICY_LAYER_SECCOMP;
		run(&s, NULL, &res);
		ok(res.r == 0 && res.layers == POLICY_LAYER_SECCOMP && contains(res.out, "rc=1"),
		   "layers = seccomp: the filter alone");
		result_done(&res);

		/* no policy, nothing to filter */
		spec_init(&s, w);
		run(&s, NULL, &res);
		ok(res.r == 0 && res.layers == 0 && contains(res.out, "rc=0") &&
			   contains(res.out, "Seccomp:\t0\n"),
		   "no policy: no filter, no layer");
		result_done(&res);

		/* the gate without a device, an unknown layer: refused before anything is made */
		spec_init(&s, w);
		s.policy = &pol;
		s.layers = POLICY_LAYER_KERNEL;
		run(&s, NULL, &res);
		ok(res.r == -EINVAL && res.error && strstr(res.error, "kernel layer"),
		   "layers = kernel without rvisor.ko: -EINVAL");
		result_done(&res);
		spec_init(&s, w);
		s.policy = &pol;
		s.layers = 0x10;
		run(&s, NULL, &res);
		is_int(res.r, -EINVAL, "an unknown layer: -EINVAL");
		result_done(&res);
	}
}

static pid_t workload_host_pid(const struct container *c);

static void test_isolation_and_signals(void)
{
	char **sleeper = sv("sh", "-c", "echo secret > /tmp/secretA; exec sleep 30", NULL);
	char **look = sv("sh", "-c", "ps; test -e /tmp/secretA && echo LE''AK; echo /proc/[0-9]*", NULL);
	char **sleep30 = sv("sleep", "30", NULL);
	struct container_spec s, sa;
	struct container *a = NULL, *b = NULL;
	struct result res;
	char *err = NULL, *p;
	int status = -1, ee = -1;

	spec_init(&sa, sleeper);
	is_int(container_start(&sa, &a, &err), 0, "sandbox A started");
	if (!a)
		return;
	ok(a->pid > 0 && a->pidfd >= 0 && a->workload_pid == 2, "init pid, pidfd, workload is pid 2 inside");
	p = strf("/proc/%d/root/tmp/secretA", (int)workload_host_pid(a));
	for (int i = 0; i < 200 && !exists(p); i++)
		usleep(10000);
	ok(exists(p), "A wrote its file (into its writable layer)");
	free(p);
	p = strf("%s/upper", a->state_dir);
	ok(!exists(p), "which is not on the host's file system");
	free(p);

	/* Same name while A runs. */
	spec_init(&s, sleep30);
	s.name = sa.name;
	is_int(container_start(&s, &b, &err), -EEXIST, "a second sandbox with A's name: -EEXIST");
	free(err);
	err = NULL;
	ok(exists(a->state_dir), "and A's state dir is untouched");

	spec_init(&s, look);
	run(&s, NULL, &res);
	ok(!contains(res.out, "sleep") && !contains(res.out, "LEAK"), "B sees neither A's processes nor its files");
	ok(contains(res.out, "/proc/1 /proc/2\n"), "B's /proc lists only its init and its workload");
	ok(contains(res.out, "rvisor-init"), "pid 1 shows as rvisor-init");
	if (tap_failed)
		printf("# output:\n%s", res.out);
	result_done(&res);

	is_int(container_read_exit(a, &status, &ee), -EAGAIN, "A still running: -EAGAIN");
	is_int(container_kill(a, SIGTERM), 0, "SIGTERM to A");
	is_int(wait_exit(a, &status, &ee), 0, "A's end read");
	if (!ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "forwarded SIGTERM killed A's workload"))
		printf("#   status 0x%x, exec errno %d, message %s\n", (unsigned int)status, ee,
		       a->exit_message ?: "-");
	is_int(container_kill(a, SIGSTOP), -EINVAL, "SIGSTOP is not a signal to send: -EINVAL");
	is_int(container_destroy(a), 0, "A destroyed");
	is_int(container_destroy(a), 0, "destroy again: idempotent");
	ok(a->reaped && a->pid == 0, "A's init reaped");
	is_int(container_kill(a, SIGTERM), -ESRCH, "kill after the end: -ESRCH");
	a = container_free(a);

	/* SIGKILL through container_kill(): the init dies without a report. */
	spec_init(&s, sleep30);
	is_int(container_start(&s, &a, &err), 0, "sandbox C started");
	if (!a)
		return;
	is_int(container_kill(a, SIGKILL), 0, "SIGKILL to C");
	is_int(wait_exit(a, &status, &ee), 0, "C's end read");
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "C: killed by SIGKILL");
	is_int(container_destroy(a), 0, "C destroyed");
	a = container_free(a);

	/* The daemon reaps the init itself and says so. */
	{
		char **t = sv("true", NULL);
		siginfo_t si = {};

		spec_init(&s, t);
		is_int(container_start(&s, &a, &err), 0, "sandbox D started");
		if (!a)
			return;
		is_int(wait_exit(a, &status, &ee), 0, "D's end read before the init is reaped");
		ok(waitid(P_PIDFD, (id_t)a->pidfd, &si, WEXITED) == 0, "the test reaps D's init itself");
		container_reaped(a, container_wait_status_from_siginfo(&si));
		ok(WIFEXITED(a->init_status) && WEXITSTATUS(a->init_status) == 0, "D's init exited 0");
		is_int(container_destroy(a), 0, "D destroyed after an outside reap");
		a = container_free(a);
	}

	/* Destroy while running, without reading the end. */
	spec_init(&s, sleep30);
	is_int(container_start(&s, &a, &err), 0, "sandbox E started");
	if (!a)
		return;
	p = strdup(a->state_dir);
	{
		pid_t pid = a->pid;

		is_int(container_destroy(a), 0, "E destroyed while running");
		ok(!exists(p), "E's state dir gone");
		ok(kill(pid, 0) < 0 && errno == ESRCH, "E's init gone");
	}
	free(p);
	a = container_free(a);
}

static void test_setup_failures(void)
{
	char **t = sv("true", NULL);
	struct container_spec s;
	struct container *c = NULL;
	char *err = NULL, *p;
	int r;

	spec_init(&s, t);
	s.cwd = "/nonexistent";
	p = strf("%s/%s", state_root, s.name);
	is_int(container_start(&s, &c, &err), -ENOENT, "missing cwd: the init's error comes back");
	ok(contains(err, "working directory /nonexistent"), "with the init's text");
	ok(!exists(p), "and the state dir is gone");
	free(err);
	err = NULL;
	free(p);

	/* An overlay the kernel refuses: procfs cannot be stacked on (since Linux 4.7). */
	spec_init(&s, t);
	s.image_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	p = strf("%s/%s", state_root, s.name);
	r = container_start(&s, &c, &err);
	close(s.image_fd);
	ok(r < 0 && contains(err, "mount overlay"), "overlay mount failure reported with text");
	if (r < 0)
		printf("# %s\n", err);
	ok(!exists(p) && !c, "and cleaned up");
	if (c) {
		container_destroy(c);
		c = container_free(c);
	}
	free(err);
	free(p);
}

/* A bundle as rvisord gets it: the config's text, parsed, and the root filesystem the client
 * opened (the image here). */
static struct oci_config *oci_from(const char *json)
{
	struct oci_config *c = NULL;
	char *err = NULL;

	if (oci_config_parse(json, strlen(json), &c, &err) < 0) {
		printf("# %s\n", err);
		abort();
	}
	return c;
}

static void test_oci(void)
{
	struct oci_config *oci;
	struct container_spec s;
	struct result res;

	oci = oci_from("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\",\"readonly\":false},"
		       "\"process\":{\"args\":[\"sh\",\"-c\",\"echo $OCIVAR; pwd; id -u; hostname; echo $EXTRA\"],"
		       "\"env\":[\"OCIVAR=fromoci\",\"PATH=/bin\"],\"cwd\":\"/home/user\","
		       "\"user\":{\"uid\":1000,\"gid\":1000}},\"hostname\":\"oci-host\","
		       "\"linux\":{\"namespaces\":[]}}");
	{
		char **env = sv("EXTRA=spec", NULL);

		spec_init(&s, NULL);
		s.oci = oci;
		s.env = env;
		run(&s, NULL, &res);
		is_int(res.r, 0, "OCI bundle started");
		is_str(res.out, "fromoci\n/home/user\n1000\noci-host\nspec\n",
		       "OCI process.args, env, cwd, user and hostname used; spec env added");
		result_done(&res);
	}
	{
		char **argv = sv("sh", "-c", "id -u", NULL);

		spec_init(&s, argv);
		s.oci = oci;
		s.user_set = true;
		s.uid = 0;
		s.gid = 0;
		run(&s, NULL, &res);
		is_str(res.out, "0\n", "spec argv and user override the bundle's");
		result_done(&res);
	}
	oci = oci_config_free(oci);
	oci = oci_from("{\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"process\":{\"args\":[\"true\"]}}");
	{
		char **argv = sv("sh", "-c", "touch /x 2>&1; touch /tmp/y && echo tmp-ok", NULL);

		spec_init(&s, argv);
		s.oci = oci;
		run(&s, NULL, &res);
		ok(contains(res.out, "Read-only file system") && contains(res.out, "tmp-ok") == false,
		   "root.readonly: / is read-only (and /tmp with it)");
		result_done(&res);
	}
	oci_config_free(oci);
}

static void test_tty(void)
{
	char **argv = sv("sh", "-c", "[ -t 0 ] && echo isatty > /dev/tty", NULL);
	struct container_spec s;
	struct container *c = NULL;
	char *err = NULL, *out;
	int master, slave, status = -1, ee;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		skip("no ptys", 2);
		return;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	spec_init(&s, argv);
	s.stdio[0] = s.stdio[1] = s.stdio[2] = slave;
	s.tty = true;
	is_int(container_start(&s, &c, &err), 0, "sandbox on a pty started");
	close(slave);
	if (c) {
		wait_exit(c, &status, &ee);
		out = read_fd_all(master, 2000);
		ok(contains(out, "isatty"), "the pty is the workload's controlling terminal (/dev/tty works)");
		free(out);
		container_destroy(c);
		container_free(c);
	}
	free(err);
	close(master);
}

/* The host's cgroup2 (here only at /sys/fs/cgroup/unified, without controllers): place,
 * kill, remove. Skipped when there is none we may write. */
/* The host pid of the init's first child (the workload), or 0. */
static pid_t workload_host_pid(const struct container *c)
{
	char path[64], *kids;
	long pid;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)c->pid, (int)c->pid);
	kids = read_path(path);
	pid = strtol(kids, NULL, 10);
	free(kids);
	return (pid_t)pid;
}

/* Starts argv in a sandbox with spec s, its output in *ret_out_fd; waits until the workload
 * printed `ready` (then it sleeps) and returns the container. */
static struct container *start_until_ready(struct container_spec *s, int *ret_out_fd)
{
	struct container *c = NULL;
	char *err = NULL, buf[4096];
	size_t n = 0;
	int out[2];

	if (pipe2(out, O_CLOEXEC) < 0)
		abort();
	s->stdio[1] = s->stdio[2] = out[1];
	if (container_start(s, &c, &err) < 0) {
		printf("# %s\n", err);
		free(err);
		close(out[0]);
		close(out[1]);
		return NULL;
	}
	close(out[1]);
	while (n < sizeof(buf) - 1) {
		struct pollfd p = { .fd = out[0], .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, 10000) != 1 || (k = read(out[0], buf + n, sizeof(buf) - 1 - n)) <= 0)
			break;
		n += (size_t)k;
		buf[n] = '\0';
		if (strstr(buf, "ready"))
			break;
	}
	buf[n] = '\0';
	printf("# %s", buf);
	*ret_out_fd = out[0];
	return c;
}

static void stop(struct container *c, int out_fd)
{
	if (c) {
		container_destroy(c);
		container_free(c);
	}
	if (out_fd >= 0)
		close(out_fd);
}

/* spec_init() for a sandbox in a user namespace with these maps and docker's capabilities. */
static void spec_userns(struct container_spec *s, char **argv, const struct idmap *um,
			const struct idmap *gm)
{
	spec_init(s, argv);
	s->uid_map = um;
	s->gid_map = gm;
	s->capabilities = POLICY_CAPS_DEFAULT;
}

/* In a user namespace: root inside is the caller's uid outside (and so are its files), holds
 * docker's capabilities over what its namespace owns and nothing over the host's own files;
 * other users inside hold none and are subordinate ids outside. */
static void test_userns(void)
{
	struct idmap um = { .ranges = { { 0, 1234, 1 }, { 1, 200000, 65536 } }, .n = 2 };
	struct idmap gm = { .ranges = { { 0, 1235, 1 }, { 1, 300000, 65536 } }, .n = 2 };
	char *secret = strf("%s/etc/rvisor-secret", image), *p;
	char **look = sv("sh", "-c",
			 "id -u; id -g; grep -E '^Cap(Eff|Bnd)' /proc/self/status; cat /proc/self/uid_map;"
			 "touch /tmp/mine; touch /tmp/www && chown 33:33 /tmp/www && echo chown-ok;"
			 "cat /etc/rvisor-secret 2>&1; echo x >> /etc/motd 2>&1; echo ready; sleep 30",
			 NULL);
	struct container_spec s;
	struct container *c;
	struct result res;
	struct stat st;
	int out = -1;

	write_path(secret, "s3cret\n");
	chmod(secret, 0600);
	spec_userns(&s, look, &um, &gm);
	c = start_until_ready(&s, &out);
	ok(c != NULL, "a sandbox in a user namespace starts");
	if (c) {
		pid_t w = workload_host_pid(c);
		char *status = strf("/proc/%d/status", (int)w), *text = read_path(status);

		ok(contains(text, "Uid:\t1234\t1234\t1234"), "its root is uid 1234 on the host");
		ok(contains(text, "Gid:\t1235\t1235\t1235"), "and gid 1235");
		ok(contains(text, "CapEff:\t00000000a80425fb"), "with docker's capabilities (CapEff a80425fb)");
		ok(contains(text, "CapBnd:\t00000000a80425fb"), "and nothing more in the bounding set");
		free(text);
		free(status);
		p = strf("/proc/%d/root/tmp/mine", (int)w);
		ok(stat(p, &st) == 0 && st.st_uid == 1234 && st.st_gid == 1235,
		   "a file the sandbox's root writes is owned by 1234:1235 on the host");
		free(p);
		p = strf("/proc/%d/root/tmp/www", (int)w);
		ok(stat(p, &st) == 0 && st.st_uid == 200032 && st.st_gid == 300032,
		   "chown to 33:33 inside is a subordinate id outside (200032:300032)");
		free(p);
	}
	if (c) {
		char buf[4096];
		ssize_t k;

		container_kill(c, SIGKILL);
		k = read(out, buf, sizeof(buf) - 1); /* what came after "ready": nothing */
		(void)k;
	}
	stop(c, out);

	/* The same output, read to its end. */
	look = sv("sh", "-c",
		  "id -u; touch /tmp/www && chown 33:33 /tmp/www && echo chown-ok;"
		  "cat /etc/rvisor-secret 2>&1; echo x >> /etc/motd 2>&1; cat /proc/self/uid_map", NULL);
	spec_userns(&s, look, &um, &gm);
	run(&s, NULL, &res);
	is_int(res.r, 0, "started again");
	ok(contains(res.out, "0\nchown-ok\n"), "root inside, chown to a mapped id works");
	ok(contains(res.out, "rvisor-secret': Permission denied"),
	   "a host root's 0600 file in the image is unreadable (no DAC override over unmapped ids)");
	ok(contains(res.out, "motd: Permission denied"), "a host root's file cannot be written");
	ok(contains(res.out, "0       1234          1") && contains(res.out, "1     200000      65536"),
	   "uid_map as the daemon wrote it");
	result_done(&res);

	/* A pty opened inside belongs to its tty group (5) as the sandbox sees it. */
	look = sv("sh", "-c", "exec 3<>/dev/ptmx; stat -c %u:%g /dev/pts/0", NULL);
	spec_userns(&s, look, &um, &gm);
	run(&s, NULL, &res);
	ok(contains(res.out, "0:5"), "a pty's slave is owned by root:tty inside (devpts gid mapped)");
	if (!contains(res.out, "0:5"))
		printf("# %s\n", res.out);
	result_done(&res);

	/* Another user inside: no capabilities, its id a subordinate one. */
	look = sv("sh", "-c", "id -u; grep -E '^CapEff' /proc/self/status; chown 0 /tmp 2>&1", NULL);
	spec_userns(&s, look, &um, &gm);
	s.user_set = true;
	s.uid = 1000;
	s.gid = 1000;
	run(&s, NULL, &res);
	ok(contains(res.out, "1000\nCapEff:\t0000000000000000\n"), "uid 1000 inside holds no capability");
	ok(contains(res.out, "Operation not permitted"), "and cannot chown");
	result_done(&res);

	/* A narrower set from the policy. */
	look = sv("sh", "-c", "grep -E '^CapEff' /proc/self/status; chown 33 /tmp/ 2>&1", NULL);
	spec_userns(&s, look, &um, &gm);
	s.capabilities = 1ULL << CAP_KILL;
	run(&s, NULL, &res);
	ok(contains(res.out, "CapEff:\t0000000000000020\n"), "the policy's narrower set (KILL only)");
	ok(contains(res.out, "Operation not permitted"), "without CHOWN, chown fails");
	result_done(&res);

	/* Without a user namespace, root keeps nothing. */
	look = sv("sh", "-c", "grep -E '^CapEff' /proc/self/status", NULL);
	spec_init(&s, look);
	s.capabilities = POLICY_CAPS_DEFAULT; /* ignored without maps */
	run(&s, NULL, &res);
	is_str(res.out, "CapEff:\t0000000000000000\n", "host root in a sandbox holds no capability");
	result_done(&res);

	unlink(secret);
	free(secret);
}

/* The writable layer is a tmpfs of the sandbox's own: full means ENOSPC inside, and nothing
 * of it reaches the host's state directory. */
static void test_storage(void)
{
	char **fill = sv("sh", "-c",
			 "dd if=/dev/zero of=/tmp/fill bs=64k count=64 2>&1 | grep -o 'No space left on device';"
			 "echo ready; sleep 30", NULL);
	struct container_spec s;
	struct container *c;
	int out = -1;

	spec_init(&s, fill);
	s.storage_max = 1 << 20;
	c = start_until_ready(&s, &out);
	ok(c != NULL, "a sandbox with 1 MiB of storage starts");
	if (c) {
		char *cmd = strf("ls -A '%s' | wc -l", c->state_dir), *n = command_output(cmd);
		char *p = strf("/proc/%d/root/tmp/fill", (int)workload_host_pid(c));
		struct stat st;

		is_str(n, "0\n", "the host's state directory stays empty (the layer is in the sandbox's mount namespace)");
		ok(stat(p, &st) == 0 && st.st_size > 0 && st.st_size <= (1 << 20),
		   "the file stopped at the storage size");
		free(cmd);
		free(n);
		free(p);
	}
	stop(c, out);
}

/* container_spawn() returns at once; container_setup_step() never blocks and says 1 once. */
static void test_async_start(void)
{
	char **t = sv("true", NULL);
	struct container_spec s;
	struct container *c = NULL;
	char *err = NULL;
	int r = 0, steps = 0, st, e;

	spec_init(&s, t);
	is_int(container_spawn(&s, &c, &err), 0, "container_spawn() returns");
	while (c && (r = container_setup_step(c, &err)) == 0 && steps < 1000) {
		struct pollfd p = { .fd = c->status_fd, .events = POLLIN };

		steps++;
		(void)poll(&p, 1, 10000);
	}
	is_int(r, 1, "container_setup_step() says 1 once the workload runs");
	ok(c && c->started && c->workload_pid > 0, "started, with the workload's pid");
	if (c) {
		is_int(container_setup_step(c, &err), 1, "and keeps saying so");
		ok(wait_exit(c, &st, &e) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "true exits 0");
		container_destroy(c);
		container_free(c);
	}
	free(err);
}

static void test_cgroup_real(void)
{
	const char *mounts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	char **argv = sv("sleep", "30", NULL);
	struct container_spec s;
	struct container *c = NULL;
	char *parent = NULL, *err = NULL, *p, *cg;
	struct statfs sf;

	for (size_t i = 0; i < 2 && !parent; i++) {
		if (statfs(mounts[i], &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		parent = strf("%s/rvisor-test-%d", mounts[i], (int)getpid());
		if (mkdir(parent, 0755) < 0) {
			free(parent);
			parent = NULL;
		}
	}
	if (!parent) {
		skip("no writable cgroup2 here", 5);
		return;
	}
	spec_init(&s, argv);
	s.cgroup_parent = parent;
	is_int(container_start(&s, &c, &err), 0, "sandbox in a real cgroup2 started");
	if (!c) {
		printf("# %s\n", err);
		free(err);
		rmdir(parent);
		free(parent);
		return;
	}
	p = strf("/proc/%d/cgroup", (int)c->pid);
	cg = read_path(p);
	free(p);
	p = strf("0::%s/%s\n", strrchr(parent, '/'), s.name);
	ok(contains(cg, p), "the init sits in parent/name");
	free(p);
	free(cg);
	p = strdup(c->cgroup_dir);
	is_int(container_destroy(c), 0, "destroyed");
	ok(!exists(p), "its cgroup removed");
	free(p);
	container_free(c);
	is_int(rmdir(parent), 0, "the parent is empty again");
	free(parent);
}

int main(void)
{
	char *script, *cmd, *mounts_before, *mounts_after, *kids;
	int fds_before, fds_after, r;
	struct timespec t0, t1;

	/* Line-buffered: a crash, or a leak report that ends the process, loses no TAP line. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!mkdtemp(tmpdir))
		abort();
	test_cgroup_fake();
	test_cgroup_cpu_fake();
	test_oci_parse();

	if (geteuid() != 0) {
		skip("sandboxes need root", 1);
		goto done;
	}
	test_cgroup_host();
	{
		/* A root without CAP_SYS_ADMIN (inside another container) cannot make namespaces. */
		pid_t pid = fork();
		int st = -1;

		if (pid == 0)
			_exit(unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
				      CLONE_NEWNET | CLONE_NEWCGROUP) < 0);
		waitpid(pid, &st, 0);
		if (st != 0) {
			skip("this host refuses new namespaces", 1);
			goto done;
		}
	}
	script = find_image_script();
	if (!script) {
		skip("tests/images/make-busybox-image.sh not found", 1);
		goto done;
	}
	snprintf(image, sizeof(image), "%s/image", tmpdir);
	snprintf(state_root, sizeof(state_root), "%s/state", tmpdir);
	cmd = strf("'%s' '%s' >&2", script, image);
	r = system(cmd);
	free(cmd);
	free(script);
	if (r != 0) {
		skip("no static busybox to build the image (busybox-static)", 1);
		goto done;
	}
	/* The image's root is owned by whoever ran mkdtemp (root): fine for the tests. */
	image_fd = open(image, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (image_fd < 0)
		abort();

	fds_before = count_fds();
	mounts_before = read_path("/proc/self/mountinfo");

	test_start_errors();
	test_sandboxes();
	test_isolation_and_signals();
	test_setup_failures();
	test_oci();
	test_tty();
	test_userns();
	test_storage();
	test_async_start();
	test_cgroup_real();

	mounts_after = read_path("/proc/self/mountinfo");
	is_str(mounts_after, mounts_before, "no mount left in the host's mountinfo");
	fds_after = count_fds();
	if (!is_int(fds_after, fds_before, "no fd leaked")) {
		char *l = command_output("ls -l /proc/$PPID/fd"); /* (plus popen's pipe) */

		printf("# %s", l);
		free(l);
	}
	kids = children();
	is_str(kids, "", "no process left (no children)");
	{
		char *left = command_output("ls -A /tmp/rvisor-test-container-*/state 2>/dev/null | wc -l");

		cmd = strf("ls -A '%s' | wc -l", state_root);
		free(left);
		left = command_output(cmd);
		free(cmd);
		is_str(left, "0\n", "no state dir left");
		free(left);
	}
	free(kids);
	free(mounts_before);
	free(mounts_after);

done:
	pool_free();
	kept_free();
	cmd = strf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return tap_done();
}
