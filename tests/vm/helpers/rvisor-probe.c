/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisor-probe: a static test helper for the VM suite. It talks to /dev/rvisor with raw
 * syscalls (not through lib/) so tests see exactly what the module answers, and prints one
 * word: "ok" or the errno's name (EPERM, ENOTTY, …). Exit status 0 for ok, 1 otherwise.
 *
 *   rvisor-probe [--as UID] [--drop-cap] open
 *   rvisor-probe version
 *   rvisor-probe ioctl CASE   (CASE: see cmd_ioctl for VERSION, sandbox_case for the rest)
 *   --no-selftest             before CASE: do not run the skip self-test a manager runs first
 *   rvisor-probe churn N      N sandboxes created and destroyed, ids checked
 *   rvisor-probe mount CASE   rvisorfs (ABI 6): mount(2) and reads, see case_mount
 *
 * A sandbox case prints "ok", the errno's name, or "mismatch:WHAT" when the call succeeded
 * but what it returned or wrote is wrong. Each case builds a valid request, breaks one thing,
 * and leaves no sandbox and no task behind (it kills and reaps its children, then destroys
 * its sandboxes).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/rvisor.h>

static int report(int r)
{
	puts(r == 0 ? "ok" : strerrorname_np(r));
	return r == 0 ? 0 : 1;
}

static void die(const char *what)
{
	fprintf(stderr, "rvisor-probe: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Removes CAP_SYS_ADMIN from every set while staying uid 0. */
static void drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) < 0)
		die("PR_CAPBSET_DROP");
	if (syscall(SYS_capget, &hdr, data) < 0)
		die("capget");
	data[0].effective &= ~(1u << CAP_SYS_ADMIN);
	data[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	data[0].inheritable &= ~(1u << CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset");
}

static void become(uid_t uid)
{
	if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
		die("dropping to the test user");
}

static int open_device(void)
{
	int fd = open(RVISOR_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -1 : fd;
}

/* The skip self-test SANDBOX_CREATE waits for, as a manager runs it (when the module has no
 * verdict yet). */
static bool no_selftest; /* --no-selftest: a manager that never runs it */

static void ensure_selftest(int fd)
{
	struct rvisor_version v = {};
	struct rvisor_selftest t = { .op = RVISOR_SELFTEST_ARM };

	if (no_selftest || ioctl(fd, RVISOR_IOC_VERSION, &v) < 0 ||
	    (v.flags & RVISOR_VERSION_F_SKIP_VERIFIED))
		return;
	if (ioctl(fd, RVISOR_IOC_SELFTEST, &t) < 0)
		return;
	(void)syscall(SYS_getppid);
	t = (struct rvisor_selftest){ .op = RVISOR_SELFTEST_CHECK };
	(void)ioctl(fd, RVISOR_IOC_SELFTEST, &t);
}

static int cmd_version(void)
{
	struct rvisor_version v;
	const char *nul;
	bool tail_zero = true;
	int fd = open_device();

	if (fd < 0)
		return report(errno);
	memset(&v, 0xff, sizeof(v)); /* anything the module leaves uninitialised shows up */
	if (ioctl(fd, RVISOR_IOC_VERSION, &v) < 0)
		return report(errno);
	nul = memchr(v.module_version, '\0', sizeof(v.module_version));
	if (!nul)
		tail_zero = false;
	else
		for (const char *p = nul; p < v.module_version + sizeof(v.module_version); p++)
			tail_zero = tail_zero && *p == '\0';
	printf("abi=%u version=%.*s flags=%u reserved=%llu,%llu,%llu,%llu tail_zero=%d\n",
	       v.abi_version, (int)sizeof(v.module_version), v.module_version, v.flags,
	       (unsigned long long)v.reserved[0], (unsigned long long)v.reserved[1],
	       (unsigned long long)v.reserved[2], (unsigned long long)v.reserved[3], tail_zero);
	return 0;
}

/* ---- ABI 2: the sandbox ioctls, events and poll, fed good and bad input --------------- */

static int dev = -1;         /* this run's manager fd */
static __u64 created[32];    /* sandboxes to destroy at exit */
static unsigned int nr_created;
static pid_t spawned[8];     /* children to kill and reap at exit */
static unsigned int nr_spawned;
/* Every syscall PASS; io_uring's too, which a policy must call ungated. */
static struct rvisor_policy pass_policy = { .flags = RVISOR_POLICY_UNGATED };

/* No sandbox and no task outlives a case: tasks first (we are their parent and reap them, so
 * DESTROY never waits on our zombies), then the sandboxes. */
static void cleanup(void)
{
	for (unsigned int i = 0; i < nr_spawned; i++)
		kill(spawned[i], SIGKILL);
	for (unsigned int i = 0; i < nr_spawned; i++)
		waitpid(spawned[i], NULL, 0);
	for (unsigned int i = 0; i < nr_created; i++) {
		struct rvisor_sandbox_id d = { .id = created[i] };

		ioctl(dev, RVISOR_IOC_SANDBOX_DESTROY, &d);
	}
}

/* A case whose call succeeded but whose result is wrong prints what, exits 1. */
static void mismatch(const char *what) __attribute__((noreturn));
static void mismatch(const char *what)
{
	printf("mismatch:%s\n", what);
	exit(1);
}

static void setup_failed(const char *what, int e) __attribute__((noreturn));
static void setup_failed(const char *what, int e)
{
	fprintf(stderr, "rvisor-probe: setup: %s: %s\n", what, strerrorname_np(e) ?: "?");
	exit(2);
}

static int call(unsigned long req, void *arg)
{
	return ioctl(dev, req, arg) < 0 ? errno : 0;
}

static void track(__u64 id)
{
	if (nr_created < sizeof(created) / sizeof(created[0]))
		created[nr_created++] = id;
}

static void spec_init(struct rvisor_sandbox_spec *s, const struct rvisor_policy *p)
{
	memset(s, 0, sizeof(*s));
	s->policy = (__u64)(uintptr_t)p;
}

/* CREATE under test: 0 or the errno; what it made is destroyed at exit. */
static int try_create(struct rvisor_sandbox_spec *s)
{
	int e = call(RVISOR_IOC_SANDBOX_CREATE, s);

	if (!e)
		track(s->id);
	return e;
}

/* CREATE as setup: must work. */
static __u64 create_sandbox(const struct rvisor_policy *p)
{
	struct rvisor_sandbox_spec s;
	int e;

	spec_init(&s, p);
	e = try_create(&s);
	if (e)
		setup_failed("CREATE", e);
	return s.id;
}

static int destroy(__u64 id)
{
	struct rvisor_sandbox_id d = { .id = id };

	return call(RVISOR_IOC_SANDBOX_DESTROY, &d);
}

static int bind_pid(__u64 id, pid_t pid)
{
	struct rvisor_sandbox_bind b = { .id = id, .pid = pid };

	return call(RVISOR_IOC_SANDBOX_BIND, &b);
}

static __u32 list_count(void)
{
	struct rvisor_sandbox_list l = { 0 };
	int e = call(RVISOR_IOC_SANDBOX_LIST, &l);

	if (e)
		setup_failed("LIST", e);
	return l.count;
}

static void *map_page(int prot)
{
	void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 0, (size_t)sysconf(_SC_PAGESIZE));
	if (prot != (PROT_READ | PROT_WRITE) && mprotect(p, (size_t)sysconf(_SC_PAGESIZE), prot) < 0)
		die("mprotect");
	return p;
}

static void *unmapped_page(void)
{
	void *p = map_page(PROT_READ);

	if (munmap(p, (size_t)sysconf(_SC_PAGESIZE)) < 0)
		die("munmap");
	return p;
}

/* Memory whose first `head` bytes end a mapped page and whose rest is unmapped. */
static void *straddling(size_t head)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p + page, (size_t)page) < 0)
		die("mmap");
	return p + page - head;
}

enum spawn_mode {
	SPAWN_PAUSE,        /* pid 1 of a new pid namespace, waits to be killed */
	SPAWN_WITH_CHILD,   /* ... after forking a pid-2 task (its host pid in *extra) */
	SPAWN_NESTED,       /* ... after starting the init of a nested namespace (*extra) */
	SPAWN_GETPPID_ON_GO /* ... and, once released (*go_fd), sleeps 100 ms, calls getppid */
};

static pid_t first_child_of(pid_t pid)
{
	char path[64];
	int child = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	f = fopen(path, "re");
	if (!f || fscanf(f, "%d", &child) != 1)
		die("reading the children of a spawned init");
	fclose(f);
	return child;
}

static void pause_forever(void) __attribute__((noreturn));
static void pause_forever(void)
{
	for (;;)
		pause();
}

/* A child as the init of a new pid namespace, stdio flushed first (nothing buffered is written
 * twice): 0 in it; its pid in the parent, which kills and reaps it at exit. */
static pid_t fork_init(void)
{
	long pid;

	fflush(NULL);
	pid = syscall(SYS_clone, (long)(CLONE_NEWPID | SIGCHLD), 0L, 0L, 0L, 0L);
	if (pid < 0)
		die("clone(CLONE_NEWPID)");
	if (pid > 0)
		spawned[nr_spawned++] = (pid_t)pid;
	return (pid_t)pid;
}

static pid_t spawn_init(enum spawn_mode mode, pid_t *extra, int *go_fd)
{
	int ready[2], go[2];
	long pid;
	char b;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		die("pipe");
	pid = fork_init();
	if (pid == 0) {
		close(dev); /* the device is the manager's, never a sandbox task's */
		if (mode == SPAWN_WITH_CHILD && fork() == 0)
			pause_forever();
		if (mode == SPAWN_NESTED &&
		    syscall(SYS_clone, (long)(CLONE_NEWPID | SIGCHLD), 0L, 0L, 0L, 0L) == 0)
			pause_forever();
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		if (mode == SPAWN_GETPPID_ON_GO) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			if (read(go[0], &b, 1) != 1)
				_exit(1);
			nanosleep(&ts, NULL);
			syscall(SYS_getppid);
		}
		pause_forever();
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &b, 1) != 1)
		die("spawned init died");
	close(ready[0]);
	if (go_fd)
		*go_fd = go[1];
	else
		close(go[1]);
	if (extra)
		*extra = first_child_of((pid_t)pid);
	return (pid_t)pid;
}

/* Waits (up to 5 s) for our child to die; true when SIGKILL killed it. */
static bool killed_by_sigkill(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			for (unsigned int j = 0; j < nr_spawned; j++)
				if (spawned[j] == pid)
					spawned[j] = spawned[--nr_spawned]; /* reaped: not ours to kill */
			return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		}
		usleep(10000);
	}
	return false;
}

/* Policy mutations, each one thing wrong (or right) in an otherwise valid policy. */
static bool mutate_policy(const char *m, struct rvisor_policy *p)
{
	struct rvisor_syscall_rule *mk = &p->syscalls[SYS_mkdir];
	static const struct {
		const char *name;
		__u16 action, error;
	} rules[] = {
		{ "action-max", RVISOR_ACTION_MAX, 0 },   { "action-ffff", 0xffff, 0 },
		{ "deny-errno0", RVISOR_ACTION_DENY, 0 },  { "deny-errno4095", RVISOR_ACTION_DENY, 4095 },
		{ "deny-errno4096", RVISOR_ACTION_DENY, 4096 },
		{ "deny-errno5000", RVISOR_ACTION_DENY, 5000 },
		{ "pass-errno", RVISOR_ACTION_PASS, 1 },   { "kill-errno", RVISOR_ACTION_KILL, 1 },
		{ "log-errno", RVISOR_ACTION_LOG, 1 },     { "kill", RVISOR_ACTION_KILL, 0 },
		{ "log", RVISOR_ACTION_LOG, 0 },           { "deny", RVISOR_ACTION_DENY, EACCES },
		{ "emulate-mkdir", RVISOR_ACTION_EMULATE, 0 },
	}, defaults[] = {
		{ "default-deny", RVISOR_ACTION_DENY, EPERM }, { "default-kill", RVISOR_ACTION_KILL, 0 },
		{ "default-log", RVISOR_ACTION_LOG, 0 },
		{ "default-emulate", RVISOR_ACTION_EMULATE, 0 },
		{ "default-action-max", RVISOR_ACTION_MAX, 0 },
		{ "default-deny-errno0", RVISOR_ACTION_DENY, 0 },
		{ "default-deny-errno5000", RVISOR_ACTION_DENY, 5000 },
		{ "default-pass-errno", RVISOR_ACTION_PASS, 1 },
	};

	memset(p, 0, sizeof(*p));
	p->flags = RVISOR_POLICY_UNGATED; /* everything passes, io_uring included */
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(m, rules[i].name) == 0) {
			*mk = (struct rvisor_syscall_rule){ rules[i].action, rules[i].error };
			return true;
		}
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (strcmp(m, defaults[i].name) == 0) {
			p->default_action = defaults[i].action;
			p->default_errno = defaults[i].error;
			return true;
		}
	if (strcmp(m, "ok") == 0)
		return true;
	if (strcmp(m, "flags") == 0)
		p->flags = RVISOR_POLICY_FLAGS_ALL + 1;
	else if (strcmp(m, "flags-high") == 0)
		p->flags = 1U << 31;
	else if (strcmp(m, "all-flags") == 0)
		p->flags = RVISOR_POLICY_FLAGS_ALL & ~(RVISOR_POLICY_ALLOW_COMPAT | RVISOR_POLICY_ALLOW_X32);
	else if (strcmp(m, "compat") == 0)
		p->flags |= RVISOR_POLICY_ALLOW_COMPAT;
	else if (strcmp(m, "x32") == 0)
		p->flags |= RVISOR_POLICY_ALLOW_X32;
	else if (strcmp(m, "io-uring-gated") == 0)
		p->flags = 0; /* io_uring_* pass without RVISOR_POLICY_UNGATED */
	else if (strcmp(m, "reserved") == 0)
		p->reserved[2] = 1;
	else if (strcmp(m, "reserved0") == 0)
		p->reserved0 = 1;
	else if (strcmp(m, "netlink-unfiltered") == 0)
		p->netlink_protocols = 1; /* without RVISOR_POLICY_FILTER_NETLINK */
	else if (strcmp(m, "emulate-getppid") == 0)
		p->syscalls[SYS_getppid].action = RVISOR_ACTION_EMULATE;
	else if (strcmp(m, "emulate-last") == 0)
		p->syscalls[RVISOR_NR_SYSCALLS - 1].action = RVISOR_ACTION_EMULATE;
	else if (strcmp(m, "emulate-errno") == 0)
		p->syscalls[SYS_uname] = (struct rvisor_syscall_rule){ RVISOR_ACTION_EMULATE, 1 };
	else if (strcmp(m, "emulate-all") == 0) {
		p->syscalls[SYS_uname].action = RVISOR_ACTION_EMULATE;
		p->syscalls[SYS_sethostname].action = RVISOR_ACTION_EMULATE;
		p->syscalls[SYS_setdomainname].action = RVISOR_ACTION_EMULATE;
		p->syscalls[SYS_sysinfo].action = RVISOR_ACTION_EMULATE;
		p->syscalls[SYS_sched_getaffinity].action = RVISOR_ACTION_EMULATE; /* ABI 6 */
	} else if (strcmp(m, "nr-ioctls-64") == 0) {
		p->flags |= RVISOR_POLICY_FILTER_IOCTL;
		p->nr_ioctls = RVISOR_MAX_IOCTL_RULES;
	} else if (strcmp(m, "nr-ioctls-65") == 0) {
		p->flags |= RVISOR_POLICY_FILTER_IOCTL;
		p->nr_ioctls = RVISOR_MAX_IOCTL_RULES + 1;
	} else if (strcmp(m, "nr-ioctls-huge") == 0) {
		p->flags |= RVISOR_POLICY_FILTER_IOCTL;
		p->nr_ioctls = 0xffffffffU;
	} else if (strcmp(m, "nr-prctls-32") == 0) {
		p->flags |= RVISOR_POLICY_FILTER_PRCTL;
		p->nr_prctls = RVISOR_MAX_PRCTL_RULES;
	} else if (strcmp(m, "nr-prctls-33") == 0) {
		p->flags |= RVISOR_POLICY_FILTER_PRCTL;
		p->nr_prctls = RVISOR_MAX_PRCTL_RULES + 1;
	} else
		return false;
	return true;
}

/* <ioctl>-short, -oversized, -wrong-dir: the request number itself is wrong. */
static bool request_case(const char *name, unsigned long *req)
{
	static const struct {
		const char *name;
		unsigned long req;
	} ioctls[] = {
		{ "create", RVISOR_IOC_SANDBOX_CREATE },   { "bind", RVISOR_IOC_SANDBOX_BIND },
		{ "set-policy", RVISOR_IOC_SANDBOX_SET_POLICY }, { "kill", RVISOR_IOC_SANDBOX_KILL },
		{ "destroy", RVISOR_IOC_SANDBOX_DESTROY }, { "list", RVISOR_IOC_SANDBOX_LIST },
		{ "stats", RVISOR_IOC_SANDBOX_STATS },     { "selftest", RVISOR_IOC_SELFTEST },
	};

	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		size_t len = strlen(ioctls[i].name);
		unsigned long r = ioctls[i].req;
		const char *variant = name + len;

		if (strncmp(name, ioctls[i].name, len) != 0 || variant[0] != '-')
			continue;
		if (strcmp(variant, "-short") == 0)
			*req = _IOC(_IOC_DIR(r), RVISOR_IOC_MAGIC, _IOC_NR(r), _IOC_SIZE(r) - 8);
		else if (strcmp(variant, "-oversized") == 0)
			*req = _IOC(_IOC_DIR(r), RVISOR_IOC_MAGIC, _IOC_NR(r), _IOC_SIZE(r) + 8);
		else if (strcmp(variant, "-max-size") == 0)
			*req = _IOC(_IOC_DIR(r), RVISOR_IOC_MAGIC, _IOC_NR(r), _IOC_SIZEMASK);
		else if (strcmp(variant, "-wrong-dir") == 0)
			/* _IOW becomes _IOR, _IOWR becomes _IOW */
			*req = _IOC(_IOC_DIR(r) == _IOC_WRITE ? _IOC_READ : _IOC_WRITE,
				    RVISOR_IOC_MAGIC, _IOC_NR(r), _IOC_SIZE(r));
		else
			continue;
		return true;
	}
	return false;
}

/* CREATE with RVISOR_SANDBOX_CGROUP and a descriptor of WHAT (ABI 6). */
static int create_cgroup(struct rvisor_sandbox_spec *s, const char *what)
{
	int fd;

	s->flags = RVISOR_SANDBOX_CGROUP;
	if (strcmp(what, "root") == 0) /* the cgroup2 root the VM mounts, O_PATH */
		fd = open("/sys/fs/cgroup", O_PATH | O_DIRECTORY | O_CLOEXEC);
	else if (strcmp(what, "rdonly") == 0)
		fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (strcmp(what, "not-cgroup2") == 0)
		fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	else if (strcmp(what, "file") == 0) /* on cgroup2, but not a directory */
		fd = open("/sys/fs/cgroup/cgroup.procs", O_PATH | O_CLOEXEC);
	else if (strcmp(what, "negative") == 0)
		fd = -1;
	else if (strcmp(what, "closed") == 0)
		fd = 1000;
	else
		return -1;
	if (fd < 0 && strcmp(what, "negative") != 0)
		die("opening the cgroup case's file");
	s->cgroup_fd = fd;
	return try_create(s);
}

static int case_create(const char *c)
{
	struct rvisor_sandbox_spec s;
	struct rvisor_policy *p;

	spec_init(&s, &pass_policy);
	if (strcmp(c, "ok") == 0)
		return try_create(&s);
	if (strcmp(c, "die-with-manager") == 0)
		s.flags = RVISOR_SANDBOX_DIE_WITH_MANAGER;
	else if (strcmp(c, "flags") == 0)
		s.flags = RVISOR_SANDBOX_FLAGS_ALL + 1;
	else if (strcmp(c, "cgroup-fd-without-flag") == 0)
		s.cgroup_fd = 3; /* zero unless RVISOR_SANDBOX_CGROUP (ABI 6; reserved0 before) */
	else if (strncmp(c, "cgroup-", 7) == 0)
		return create_cgroup(&s, c + 7);
	else if (strcmp(c, "reserved1") == 0)
		s.reserved1[5] = 1;
	else if (strcmp(c, "reserved") == 0)
		s.reserved[3] = 1;
	else if (strcmp(c, "name-unterminated") == 0)
		memset(s.name, 'a', sizeof(s.name));
	else if (strcmp(c, "nodename-unterminated") == 0)
		memset(s.nodename, 'a', sizeof(s.nodename));
	else if (strcmp(c, "domainname-unterminated") == 0)
		memset(s.domainname, 'a', sizeof(s.domainname));
	else if (strcmp(c, "names-max") == 0) {
		memset(s.name, 'a', sizeof(s.name) - 1);
		memset(s.nodename, 'b', sizeof(s.nodename) - 1);
		memset(s.domainname, 'c', sizeof(s.domainname) - 1);
	} else if (strcmp(c, "policy-null") == 0)
		s.policy = 0;
	else if (strcmp(c, "policy-unmapped") == 0)
		s.policy = (__u64)(uintptr_t)unmapped_page();
	else if (strcmp(c, "policy-straddle") == 0) {
		p = straddling(1024);
		memset(p, 0, 1024);
		s.policy = (__u64)(uintptr_t)p;
	} else if (strcmp(c, "null") == 0)
		return call(RVISOR_IOC_SANDBOX_CREATE, NULL);
	else if (strcmp(c, "readonly") == 0) {
		/* The id cannot be written back: EFAULT, and no sandbox may be left behind. */
		struct rvisor_sandbox_spec *ro = map_page(PROT_READ | PROT_WRITE);
		__u32 before = list_count();
		int e;

		*ro = s;
		if (mprotect(ro, (size_t)sysconf(_SC_PAGESIZE), PROT_READ) < 0)
			die("mprotect");
		e = call(RVISOR_IOC_SANDBOX_CREATE, ro);
		if (!e)
			track(ro->id);
		if (e == EFAULT && list_count() != before)
			mismatch("sandbox-left-behind");
		return e;
	} else
		return -1;
	return try_create(&s);
}

/* BIND of a fresh init with these flags and reserved[1]: its errno. A bound sandbox must
 * report its init alone and ARMED unless RVISOR_BIND_ARM_AT_EXEC; a refused BIND must leave
 * the sandbox unbound and the namespace free (a plain BIND of it then works). */
static int bind_checked(__u64 id, __u32 flags, __u64 reserved)
{
	struct rvisor_sandbox_bind b = { .id = id, .flags = flags };
	struct rvisor_sandbox_stats st = { .id = id };
	__u32 want = RVISOR_SANDBOX_BOUND;
	int e, se;

	b.pid = spawn_init(SPAWN_PAUSE, NULL, NULL);
	b.reserved[1] = reserved;
	e = call(RVISOR_IOC_SANDBOX_BIND, &b);
	se = call(RVISOR_IOC_SANDBOX_STATS, &st);
	if (se)
		setup_failed("STATS", se);
	if (e) {
		if (st.state || st.init_pid || st.nr_tasks)
			mismatch("refused-bind-left-state");
		if (bind_pid(id, b.pid))
			mismatch("refused-bind-left-namespace-taken");
		return e;
	}
	if (!(flags & RVISOR_BIND_ARM_AT_EXEC))
		want |= RVISOR_SANDBOX_ARMED;
	if (st.state != want)
		mismatch("state");
	if (st.init_pid != b.pid || st.nr_tasks != 1)
		mismatch("init-or-tasks");
	return 0;
}

static int case_bind(const char *c)
{
	__u64 id = create_sandbox(&pass_policy);
	pid_t extra = 0;

	if (strcmp(c, "ok") == 0)
		return bind_checked(id, 0, 0);
	if (strcmp(c, "arm-at-exec") == 0)
		return bind_checked(id, RVISOR_BIND_ARM_AT_EXEC, 0);
	if (strcmp(c, "flags") == 0) /* the lowest unknown bit */
		return bind_checked(id, RVISOR_BIND_FLAGS_ALL + 1, 0);
	if (strcmp(c, "flags-high") == 0)
		return bind_checked(id, 1U << 31, 0);
	if (strcmp(c, "flags-arm-at-exec-and-unknown") == 0)
		return bind_checked(id, RVISOR_BIND_ARM_AT_EXEC | (RVISOR_BIND_FLAGS_ALL + 1), 0);
	if (strcmp(c, "reserved") == 0)
		return bind_checked(id, 0, 1);
	if (strcmp(c, "id0") == 0)
		return bind_pid(0, spawn_init(SPAWN_PAUSE, NULL, NULL));
	if (strcmp(c, "unknown-id") == 0)
		return bind_pid(id + 1000000, spawn_init(SPAWN_PAUSE, NULL, NULL));
	if (strcmp(c, "destroyed") == 0) {
		int e = destroy(id);

		if (e)
			setup_failed("DESTROY", e);
		return bind_pid(id, spawn_init(SPAWN_PAUSE, NULL, NULL));
	}
	if (strcmp(c, "pid1") == 0)
		return bind_pid(id, 1);
	if (strcmp(c, "self") == 0)
		return bind_pid(id, getpid());
	if (strcmp(c, "nonexistent") == 0)
		return bind_pid(id, 4194304); /* PID_MAX_LIMIT: never a pid */
	if (strcmp(c, "non-init") == 0) {
		spawn_init(SPAWN_WITH_CHILD, &extra, NULL);
		return bind_pid(id, extra);
	}
	if (strcmp(c, "twice") == 0) {
		int e = bind_pid(id, spawn_init(SPAWN_PAUSE, NULL, NULL));

		if (e)
			setup_failed("first BIND", e);
		return bind_pid(id, spawn_init(SPAWN_PAUSE, NULL, NULL));
	}
	if (strcmp(c, "ns-taken") == 0 || strcmp(c, "nested") == 0) {
		pid_t outer = spawn_init(SPAWN_NESTED, &extra, NULL);
		__u64 other = create_sandbox(&pass_policy);
		int e = bind_pid(id, outer);

		if (e)
			setup_failed("first BIND", e);
		/* ns-taken: the same namespace again; nested: one inside the bound one */
		return bind_pid(other, strcmp(c, "ns-taken") == 0 ? outer : extra);
	}
	return -1;
}

static int case_kill(const char *c)
{
	__u64 id = create_sandbox(&pass_policy);
	struct rvisor_sandbox_kill k = { .id = id, .signal = SIGKILL };

	if (strcmp(c, "unbound") == 0)
		return call(RVISOR_IOC_SANDBOX_KILL, &k);
	if (strcmp(c, "signal64") == 0)
		k.signal = 64;
	else if (strcmp(c, "signal0") == 0)
		k.signal = 0;
	else if (strcmp(c, "signal65") == 0)
		k.signal = 65;
	else if (strcmp(c, "signal-negative") == 0)
		k.signal = -9;
	else if (strcmp(c, "flags") == 0)
		k.flags = 1;
	else if (strcmp(c, "reserved") == 0)
		k.reserved[0] = 1;
	else if (strcmp(c, "id0") == 0)
		k.id = 0;
	else if (strcmp(c, "unknown-id") == 0)
		k.id = id + 1000000;
	else if (strcmp(c, "bound") == 0) {
		pid_t pid = spawn_init(SPAWN_PAUSE, NULL, NULL);
		int e = bind_pid(id, pid);

		if (e)
			setup_failed("BIND", e);
		e = call(RVISOR_IOC_SANDBOX_KILL, &k);
		if (!e && !killed_by_sigkill(pid))
			mismatch("init-not-killed");
		return e;
	} else
		return -1;
	return call(RVISOR_IOC_SANDBOX_KILL, &k);
}

static int case_destroy(const char *c)
{
	__u64 id = create_sandbox(&pass_policy);
	struct rvisor_sandbox_id d = { .id = id };

	if (strcmp(c, "ok") == 0)
		return call(RVISOR_IOC_SANDBOX_DESTROY, &d);
	if (strcmp(c, "id0") == 0)
		d.id = 0;
	else if (strcmp(c, "unknown-id") == 0)
		d.id = id + 1000000;
	else if (strcmp(c, "reserved") == 0)
		d.reserved[1] = 1;
	else if (strcmp(c, "twice") == 0) {
		int e = call(RVISOR_IOC_SANDBOX_DESTROY, &d);

		if (e)
			setup_failed("first DESTROY", e);
	} else if (strcmp(c, "running") == 0) {
		/* The bound init is our child, alive and not reaped: DESTROY kills it and returns
		 * without waiting for us to reap it. */
		pid_t pid = spawn_init(SPAWN_WITH_CHILD, NULL, NULL);
		struct rvisor_sandbox_stats st = { .id = id };
		int e = bind_pid(id, pid);

		if (e)
			setup_failed("BIND", e);
		e = call(RVISOR_IOC_SANDBOX_DESTROY, &d);
		if (e)
			return e;
		if (!killed_by_sigkill(pid))
			mismatch("init-not-killed");
		if (call(RVISOR_IOC_SANDBOX_STATS, &st) != ENOENT)
			mismatch("still-listed");
		return 0;
	} else
		return -1;
	return call(RVISOR_IOC_SANDBOX_DESTROY, &d);
}

static int case_set_policy(const char *c)
{
	static struct rvisor_policy p;
	__u64 id = create_sandbox(&pass_policy);
	struct rvisor_sandbox_policy sp = { .id = id, .policy = (__u64)(uintptr_t)&p };

	if (mutate_policy(c, &p))
		return call(RVISOR_IOC_SANDBOX_SET_POLICY, &sp);
	if (strcmp(c, "id0") == 0)
		sp.id = 0;
	else if (strcmp(c, "unknown-id") == 0)
		sp.id = id + 1000000;
	else if (strcmp(c, "arg-reserved") == 0)
		sp.reserved[0] = 1;
	else if (strcmp(c, "null") == 0)
		sp.policy = 0;
	else if (strcmp(c, "unmapped") == 0)
		sp.policy = (__u64)(uintptr_t)unmapped_page();
	else
		return -1;
	return call(RVISOR_IOC_SANDBOX_SET_POLICY, &sp);
}

static int case_policy(const char *c)
{
	static struct rvisor_policy p;
	struct rvisor_sandbox_spec s;

	if (!mutate_policy(c, &p))
		return -1;
	spec_init(&s, &p);
	return try_create(&s);
}

static bool has_id(const __u64 *ids, __u32 n, __u64 id)
{
	for (__u32 i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static int case_list(const char *c)
{
	struct rvisor_sandbox_list l = { 0 };
	__u32 before = list_count();
	__u64 ids[3], out[64];
	int e;

	for (int i = 0; i < 3; i++)
		ids[i] = create_sandbox(&pass_policy);
	if (strcmp(c, "null-cap0") == 0) {
		l.count = 0xdeadbeef; /* an output: ignored on input */
		e = call(RVISOR_IOC_SANDBOX_LIST, &l);
		if (!e && l.count != before + 3)
			mismatch("count");
		return e;
	}
	if (strcmp(c, "all") == 0 || strcmp(c, "truncated") == 0) {
		memset(out, 0xa5, sizeof(out));
		l.ids = (__u64)(uintptr_t)out;
		l.capacity = c[0] == 'a' ? 64 : 1;
		e = call(RVISOR_IOC_SANDBOX_LIST, &l);
		if (e)
			return e;
		if (l.count != before + 3)
			mismatch("count");
		if (c[0] == 'a') {
			for (int i = 0; i < 3; i++)
				if (!has_id(out, l.count < 64 ? l.count : 64, ids[i]))
					mismatch("id-missing");
		} else if (out[0] == 0 || out[0] == 0xa5a5a5a5a5a5a5a5ULL ||
			   out[1] != 0xa5a5a5a5a5a5a5a5ULL) {
			mismatch("capacity-not-respected");
		}
		return 0;
	}
	if (strcmp(c, "null-huge") == 0)
		l.capacity = 1000000;
	else if (strcmp(c, "unmapped") == 0) {
		l.ids = (__u64)(uintptr_t)unmapped_page();
		l.capacity = 16;
	} else if (strcmp(c, "readonly") == 0) {
		l.ids = (__u64)(uintptr_t)map_page(PROT_READ);
		l.capacity = 16;
	} else if (strcmp(c, "reserved") == 0)
		l.reserved[0] = 1;
	else if (strcmp(c, "null") == 0)
		return call(RVISOR_IOC_SANDBOX_LIST, NULL);
	else
		return -1;
	return call(RVISOR_IOC_SANDBOX_LIST, &l);
}

static __u64 boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* A NUL-terminated string whose bytes after the NUL are zero too. */
static bool clean_string(const char *s, size_t size, const char *expect)
{
	const char *nul = memchr(s, '\0', size);

	if (!nul || strcmp(s, expect) != 0)
		return false;
	for (const char *p = nul; p < s + size; p++)
		if (*p)
			return false;
	return true;
}

static bool all_zero(const void *p, size_t size)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < size; i++)
		if (b[i])
			return false;
	return true;
}

#define CANARY 0xa5

static int case_stats(const char *c)
{
	static struct rvisor_syscall_counts counts[1000];
	struct rvisor_sandbox_stats st;
	__u64 id;
	int e;

	memset(counts, CANARY, sizeof(counts));
	if (strcmp(c, "fresh") == 0) {
		/* A created, unbound sandbox reports what it was created with and zeroes the rest;
		 * output-only fields are filled with garbage first to show what is left unset. */
		struct rvisor_sandbox_spec s;
		__u64 t0 = boottime_ns(), t1;

		spec_init(&s, &pass_policy);
		s.flags = RVISOR_SANDBOX_DIE_WITH_MANAGER;
		s.memory_limit = 123ULL << 20;
		strcpy(s.name, "probe");
		strcpy(s.nodename, "node");
		strcpy(s.domainname, "dom");
		e = try_create(&s);
		if (e)
			setup_failed("CREATE", e);
		t1 = boottime_ns();
		memset(&st, 0xff, sizeof(st));
		memset(st.reserved1, 0, sizeof(st.reserved1));
		memset(st.reserved, 0, sizeof(st.reserved));
		st.id = s.id;
		st.counts = (__u64)(uintptr_t)counts;
		st.nr_counts = RVISOR_NR_SYSCALLS + 1;
		e = call(RVISOR_IOC_SANDBOX_STATS, &st);
		if (e)
			return e;
		if (st.id != s.id)
			mismatch("id");
		if (st.nr_counts != RVISOR_NR_SYSCALLS + 1)
			mismatch("nr_counts");
		if (st.state != 0)
			mismatch("state");
		if (st.flags != RVISOR_SANDBOX_DIE_WITH_MANAGER)
			mismatch("flags");
		if (st.nr_tasks != 0)
			mismatch("nr_tasks");
		if (st.init_pid != 0)
			mismatch("init_pid");
		if (st.memory_limit != 123ULL << 20)
			mismatch("memory_limit");
		if (st.start_time_ns < t0 || st.start_time_ns > t1)
			mismatch("start_time_ns");
		if (st.total.passed || st.total.emulated || st.total.denied)
			mismatch("total");
		if (!clean_string(st.name, sizeof(st.name), "probe"))
			mismatch("name");
		if (!clean_string(st.nodename, sizeof(st.nodename), "node"))
			mismatch("nodename");
		if (!clean_string(st.domainname, sizeof(st.domainname), "dom"))
			mismatch("domainname");
		if (!all_zero(st.reserved1, sizeof(st.reserved1)) || !all_zero(st.reserved, sizeof(st.reserved)))
			mismatch("reserved");
		if (!all_zero(counts, sizeof(counts[0]) * (RVISOR_NR_SYSCALLS + 1)))
			mismatch("counts");
		return 0;
	}
	if (strcmp(c, "null") == 0)
		return call(RVISOR_IOC_SANDBOX_STATS, NULL);
	id = create_sandbox(&pass_policy);
	memset(&st, 0, sizeof(st));
	st.id = id;
	if (strcmp(c, "null-0") == 0) {
		e = call(RVISOR_IOC_SANDBOX_STATS, &st);
		if (!e && st.nr_counts != 0)
			mismatch("nr_counts");
		return e;
	}
	if (strcmp(c, "small") == 0 || strcmp(c, "big") == 0) {
		__u32 want = c[0] == 's' ? 5 : RVISOR_NR_SYSCALLS + 1;
		unsigned char after[sizeof(counts[0])];

		memset(after, CANARY, sizeof(after));
		st.counts = (__u64)(uintptr_t)counts;
		st.nr_counts = c[0] == 's' ? 5 : 1000;
		e = call(RVISOR_IOC_SANDBOX_STATS, &st);
		if (e)
			return e;
		if (st.nr_counts != want)
			mismatch("nr_counts");
		if (!all_zero(counts, sizeof(counts[0]) * want))
			mismatch("counts");
		if (memcmp(&counts[want], after, sizeof(after)) != 0)
			mismatch("wrote-beyond-nr_counts");
		return 0;
	}
	if (strcmp(c, "null-10") == 0)
		st.nr_counts = 10;
	else if (strcmp(c, "unmapped") == 0) {
		st.counts = (__u64)(uintptr_t)unmapped_page();
		st.nr_counts = 10;
	} else if (strcmp(c, "id0") == 0)
		st.id = 0;
	else if (strcmp(c, "unknown-id") == 0)
		st.id = id + 1000000;
	else if (strcmp(c, "reserved") == 0)
		st.reserved[1] = 1;
	else if (strcmp(c, "reserved1") == 0)
		st.reserved1[0] = 1;
	else
		return -1;
	return call(RVISOR_IOC_SANDBOX_STATS, &st);
}

static void set_nonblock(bool on)
{
	int fl = fcntl(dev, F_GETFL);

	if (fl < 0 || fcntl(dev, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
		die("fcntl");
}

/* Reads whatever earlier sessions left queued, so a case sees only its own records. */
static void drain_stale(void)
{
	static struct rvisor_event evs[64];

	set_nonblock(true);
	for (int i = 0; i < 10000 && read(dev, evs, sizeof(evs)) > 0; i++)
		;
	set_nonblock(false);
}

/* A bound sandbox whose init denies itself getppid (EPERM) 100 ms after *go_fd is written. */
static __u64 getppid_sandbox(pid_t *pid, int *go_fd)
{
	static struct rvisor_policy p = { .flags = RVISOR_POLICY_UNGATED };
	__u64 id;
	int e;

	p.syscalls[SYS_getppid] = (struct rvisor_syscall_rule){ RVISOR_ACTION_DENY, EPERM };
	id = create_sandbox(&p);
	*pid = spawn_init(SPAWN_GETPPID_ON_GO, NULL, go_fd);
	e = bind_pid(id, *pid);
	if (e)
		setup_failed("BIND", e);
	return id;
}

/* The record that getppid_sandbox's init causes, checked field by field. */
static void check_getppid_event(const struct rvisor_event *ev, __u64 id, pid_t pid)
{
	if (ev->sandbox_id != id)
		mismatch("sandbox_id");
	if (ev->type != RVISOR_EVENT_DENIED || ev->flags != 0)
		mismatch("type");
	if (ev->nr != SYS_getppid || ev->value != EPERM)
		mismatch("nr-value");
	if (ev->sandbox_pid != 1 || ev->host_pid != pid)
		mismatch("pids");
	if (ev->reserved[0] || ev->reserved[1])
		mismatch("reserved");
}

static int case_events(const char *c)
{
	static struct rvisor_event evs[4];
	struct pollfd pfd = { .fd = dev, .events = POLLIN };
	int go_fd, r;
	pid_t pid;
	__u64 id;
	ssize_t n;

	drain_stale();
	if (strcmp(c, "read-empty") == 0) {
		set_nonblock(true);
		return read(dev, evs, sizeof(evs)) < 0 ? errno : 0;
	}
	if (strcmp(c, "poll-idle") == 0) {
		r = poll(&pfd, 1, 0);
		if (r != 0)
			mismatch("pollin-without-events");
		return 0;
	}
	alarm(10); /* a read that never returns fails the case instead of hanging the suite */
	id = getppid_sandbox(&pid, &go_fd);
	if (strcmp(c, "read-blocks") == 0) {
		/* Blocking read: returns once the init's denial (100 ms after go) is queued. */
		if (write(go_fd, "g", 1) != 1)
			die("write");
		n = read(dev, evs, sizeof(evs));
		if (n < 0)
			return errno;
		if (n != (ssize_t)sizeof(evs[0]))
			mismatch("record-count");
		check_getppid_event(&evs[0], id, pid);
		return 0;
	}
	if (poll(&pfd, 1, 0) != 0)
		mismatch("pollin-before-event");
	if (write(go_fd, "g", 1) != 1)
		die("write");
	r = poll(&pfd, 1, 5000);
	if (r != 1 || !(pfd.revents & POLLIN))
		mismatch("no-pollin");
	set_nonblock(true);
	if (strcmp(c, "read-short") == 0) {
		/* Too small for one record: EINVAL, and the record is still there after. */
		int e;

		n = read(dev, evs, sizeof(evs[0]) - 1);
		e = n < 0 ? errno : 0;
		if (e != EINVAL)
			return e;
		n = read(dev, evs, sizeof(evs));
		if (n != (ssize_t)sizeof(evs[0]))
			mismatch("record-lost");
		check_getppid_event(&evs[0], id, pid);
		return EINVAL;
	}
	if (strcmp(c, "poll-wakes") == 0) {
		n = read(dev, evs, sizeof(evs));
		if (n != (ssize_t)sizeof(evs[0]))
			mismatch("record-count");
		check_getppid_event(&evs[0], id, pid);
		if (poll(&pfd, 1, 0) != 0)
			mismatch("pollin-after-drain");
		return 0;
	}
	return -1;
}

/* A bound task that inherited the manager's descriptor tries LIST on it: returns its errno. */
static int case_inherited_fd(void)
{
	__u64 id = create_sandbox(&pass_policy);
	int go[2], res[2], e;
	long pid;
	char b;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
		die("pipe");
	pid = fork_init();
	if (pid == 0) {
		struct rvisor_sandbox_list l = { 0 };

		if (read(go[0], &b, 1) != 1)
			_exit(1);
		e = ioctl(dev, RVISOR_IOC_SANDBOX_LIST, &l) < 0 ? errno : 0;
		if (write(res[1], &e, sizeof(e)) != sizeof(e))
			_exit(1);
		pause_forever();
	}
	close(go[0]);
	close(res[1]);
	e = bind_pid(id, (pid_t)pid);
	if (e)
		setup_failed("BIND", e);
	if (write(go[1], "g", 1) != 1 || read(res[0], &e, sizeof(e)) != sizeof(e))
		die("talking to the sandboxed child");
	return e;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* churn N: N create/destroy cycles; every id non-zero and never reused, the count back where
 * it started. */
static int cmd_churn(const char *arg)
{
	unsigned long n = strtoul(arg, NULL, 10);
	__u64 *ids = calloc(n ? n : 1, sizeof(*ids));
	__u32 before;

	if (!ids)
		die("calloc");
	dev = open_device();
	if (dev >= 0)
		ensure_selftest(dev);
	if (dev < 0)
		return report(errno);
	atexit(cleanup);
	before = list_count();
	for (unsigned long i = 0; i < n; i++) {
		struct rvisor_sandbox_spec s;
		int e;

		spec_init(&s, &pass_policy);
		e = call(RVISOR_IOC_SANDBOX_CREATE, &s);
		if (e)
			return report(e);
		if (s.id == 0)
			mismatch("id-zero");
		ids[i] = s.id;
		e = destroy(s.id);
		if (e) {
			track(s.id);
			return report(e);
		}
	}
	qsort(ids, n, sizeof(*ids), cmp_u64);
	for (unsigned long i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			mismatch("id-reused");
	if (list_count() != before)
		mismatch("count");
	return report(0);
}

/* SELFTEST with one thing wrong (or right): op, reserved, result on input, order. */
static int case_selftest(const char *c)
{
	struct rvisor_selftest t = { .op = RVISOR_SELFTEST_ARM };
	int e;

	if (strcmp(c, "op0") == 0)
		t.op = 0;
	else if (strcmp(c, "op3") == 0)
		t.op = 3;
	else if (strcmp(c, "reserved") == 0)
		t.reserved[1] = 1;
	else if (strcmp(c, "result-in") == 0)
		t.result = RVISOR_SELFTEST_HONOURED;
	else if (strcmp(c, "check-unarmed") == 0)
		t.op = RVISOR_SELFTEST_CHECK;
	else if (strcmp(c, "check-without-call") == 0) {
		e = call(RVISOR_IOC_SELFTEST, &t);
		if (e)
			setup_failed("SELFTEST ARM", e);
		t = (struct rvisor_selftest){ .op = RVISOR_SELFTEST_CHECK };
	} else if (strcmp(c, "arm-twice") == 0) {
		e = call(RVISOR_IOC_SELFTEST, &t);
		if (e)
			setup_failed("SELFTEST ARM", e);
	} else if (strcmp(c, "arm-with-sandbox") == 0)
		create_sandbox(&pass_policy);
	else if (strcmp(c, "ok") == 0) {
		long seen;

		e = call(RVISOR_IOC_SELFTEST, &t);
		if (e)
			return e;
		seen = syscall(SYS_getppid);
		t = (struct rvisor_selftest){ .op = RVISOR_SELFTEST_CHECK };
		e = call(RVISOR_IOC_SELFTEST, &t);
		if (!e && (t.result != RVISOR_SELFTEST_HONOURED || seen != RVISOR_SELFTEST_MAGIC))
			mismatch("selftest result");
		return e;
	} else
		return -1;
	return call(RVISOR_IOC_SELFTEST, &t);
}

/* ---- ABI 6: rvisorfs, mounted with good and bad options, read until its sandbox ends ---- */

static char mnt_dir[] = "/tmp/rvisorfs-probe-XXXXXX"; /* made on first use */
static bool mnt_made, mnt_mounted;

/* Before the sandboxes are destroyed: a mount holds its sandbox until it is unmounted. */
static void cleanup_mount(void)
{
	if (mnt_mounted)
		umount2(mnt_dir, MNT_DETACH);
	if (mnt_made)
		rmdir(mnt_dir);
}

static void make_mnt_dir(void)
{
	if (!mnt_made && !mkdtemp(mnt_dir))
		die("mkdtemp");
	mnt_made = true;
}

static int try_mount(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int try_mount(const char *fmt, ...)
{
	char data[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(data, sizeof(data), fmt, ap);
	va_end(ap);
	make_mnt_dir();
	if (mount(RVISORFS_NAME, mnt_dir, RVISORFS_NAME, MS_RDONLY, data) < 0)
		return errno;
	mnt_mounted = true;
	return 0;
}

static int mount_sandbox(__u64 id)
{
	return try_mount("fd=%d,sandbox=%llu", dev, (unsigned long long)id);
}

/* Opens a file of the mount with flags and reads from it: 0 or the first errno. */
static int open_read(const char *name, int flags)
{
	char path[128], buf[4096];
	int fd, e = 0;

	snprintf(path, sizeof(path), "%s/%s", mnt_dir, name);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (read(fd, buf, sizeof(buf)) < 0)
		e = errno;
	close(fd);
	return e;
}

static pid_t bound_init(__u64 id)
{
	pid_t pid = spawn_init(SPAWN_PAUSE, NULL, NULL);
	int e = bind_pid(id, pid);

	if (e)
		setup_failed("BIND", e);
	return pid;
}

/* A task of the sandbox, holding the manager's descriptor, tries the mount: its errno. */
static int mount_from_sandbox(__u64 id)
{
	int ready[2], go[2], res[2], e = 0;
	long pid;
	char b;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
		die("pipe");
	make_mnt_dir(); /* ours, not the child's */
	pid = fork_init();
	if (pid == 0) {
		/* dev stays open: the refusal must be for being in a sandbox */
		if (write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) != 1)
			_exit(1);
		e = try_mount("fd=%d,sandbox=%llu", dev, (unsigned long long)id);
		_exit(write(res[1], &e, sizeof(e)) == sizeof(e) ? 0 : 1);
	}
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	if (read(ready[0], &b, 1) != 1)
		die("the sandbox's task died");
	e = bind_pid(id, (pid_t)pid);
	if (e)
		setup_failed("BIND", e);
	if (write(go[1], "g", 1) != 1 || read(res[0], &e, sizeof(e)) != sizeof(e))
		die("the sandbox's task did not answer");
	return e;
}

/* Until STATS says that the init's thread group has exited (5 s at most). */
static void wait_init_exited(__u64 id)
{
	for (int i = 0; i < 500; i++) {
		struct rvisor_sandbox_stats st = { .id = id };

		if (call(RVISOR_IOC_SANDBOX_STATS, &st) == 0 && (st.state & RVISOR_SANDBOX_INIT_EXITED))
			return;
		usleep(10000);
	}
	mismatch("init-never-exited");
}

/* Reads after the sandbox's end: a file opened before DESTROY (its_fd >= 0) or after. */
static int read_after_end(__u64 id, const char *how)
{
	char path[128], buf[256];
	int fd, e;

	snprintf(path, sizeof(path), "%s/meminfo", mnt_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		setup_failed("open meminfo", errno);
	if (strcmp(how, "exit") == 0) {
		pid_t pid = bound_init(id);

		if (kill(pid, SIGKILL) < 0 || !killed_by_sigkill(pid))
			mismatch("init-not-killed");
		wait_init_exited(id);
	} else if ((e = destroy(id))) {
		setup_failed("DESTROY", e);
	}
	if (strcmp(how, "open-destroy") == 0) {
		e = read(fd, buf, sizeof(buf)) < 0 ? errno : 0;
		close(fd);
		return e;
	}
	close(fd);
	return open_read("meminfo", O_RDONLY);
}

static int case_mount(const char *c)
{
	__u64 id = create_sandbox(&pass_policy);
	int e, fd;

	if (strcmp(c, "ok") == 0 || strcmp(c, "unbound") == 0) {
		if (c[0] == 'o')
			bound_init(id);
		e = mount_sandbox(id);
		if (!e && (open_read("meminfo", O_RDONLY) || open_read("cpu/online", O_RDONLY)))
			mismatch("unreadable");
		return e;
	}
	if (strcmp(c, "no-options") == 0)
		return try_mount("%s", "");
	if (strcmp(c, "fd-only") == 0)
		return try_mount("fd=%d", dev);
	if (strcmp(c, "sandbox-only") == 0)
		return try_mount("sandbox=%llu", (unsigned long long)id);
	if (strcmp(c, "unknown-option") == 0)
		return try_mount("fd=%d,sandbox=%llu,colour=blue", dev, (unsigned long long)id);
	if (strcmp(c, "fd-negative") == 0)
		return try_mount("fd=-1,sandbox=%llu", (unsigned long long)id);
	if (strcmp(c, "fd-closed") == 0)
		return try_mount("fd=1000,sandbox=%llu", (unsigned long long)id);
	if (strcmp(c, "fd-not-device") == 0) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		return try_mount("fd=%d,sandbox=%llu", fd, (unsigned long long)id);
	}
	if (strcmp(c, "id0") == 0)
		return try_mount("fd=%d,sandbox=0", dev);
	if (strcmp(c, "unknown-id") == 0)
		return mount_sandbox(id + 1000000);
	if (strcmp(c, "destroyed") == 0) {
		e = destroy(id);
		if (e)
			setup_failed("DESTROY", e);
		return mount_sandbox(id);
	}
	if (strcmp(c, "in-sandbox") == 0)
		return mount_from_sandbox(id);

	/* the rest on a mounted sandbox */
	e = mount_sandbox(id);
	if (e)
		setup_failed("mount", e);
	if (strcmp(c, "open-write") == 0)
		return open_read("meminfo", O_WRONLY);
	if (strcmp(c, "open-rdwr") == 0)
		return open_read("cpu/online", O_RDWR);
	if (strcmp(c, "remount-rw") == 0)
		return mount(NULL, mnt_dir, NULL, MS_REMOUNT, "") < 0 ? errno : 0;
	if (strcmp(c, "remount-ro") == 0)
		return mount(NULL, mnt_dir, NULL, MS_REMOUNT | MS_RDONLY, "") < 0 ? errno : 0;
	if (strcmp(c, "read-after-exit") == 0)
		return read_after_end(id, "exit");
	if (strcmp(c, "read-after-destroy") == 0)
		return read_after_end(id, "destroy");
	if (strcmp(c, "read-open-after-destroy") == 0)
		return read_after_end(id, "open-destroy");
	return -1;
}

static int cmd_mount(const char *name)
{
	int r;

	dev = open_device();
	if (dev < 0)
		return report(errno);
	ensure_selftest(dev);
	atexit(cleanup);
	atexit(cleanup_mount); /* runs first */
	r = case_mount(name);
	if (r < 0) {
		fprintf(stderr, "rvisor-probe: unknown mount case '%s'\n", name);
		exit(2);
	}
	return report(r);
}

/* `rvisor-probe ioctl CASE` for the sandbox ioctls: see the case_* functions. */
static int sandbox_case(const char *name)
{
	static const struct {
		const char *prefix;
		int (*fn)(const char *c);
	} groups[] = {
		{ "create-", case_create },   { "bind-", case_bind },
		{ "kill-", case_kill },       { "destroy-", case_destroy },
		{ "set-policy-", case_set_policy }, { "policy-", case_policy },
		{ "list-", case_list },       { "stats-", case_stats },
		{ "events-", case_events },   { "selftest-", case_selftest },
	};
	static char zero[_IOC_SIZEMASK + 1];
	unsigned long req;

	dev = open_device();
	if (dev >= 0)
		ensure_selftest(dev);
	if (dev < 0)
		return report(errno);
	atexit(cleanup);
	if (request_case(name, &req))
		return report(call(req, zero));
	if (strcmp(name, "unknown-next-nr") == 0)
		return report(call(_IOW(RVISOR_IOC_MAGIC, 0x09, struct rvisor_sandbox_id), zero));
	if (strcmp(name, "inherited-fd") == 0)
		return report(case_inherited_fd());
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		size_t len = strlen(groups[i].prefix);
		int r;

		if (strncmp(name, groups[i].prefix, len) != 0)
			continue;
		r = groups[i].fn(name + len);
		if (r >= 0)
			return report(r);
	}
	fprintf(stderr, "rvisor-probe: unknown ioctl case '%s'\n", name);
	exit(2);
}

/* Each case is one way of getting an ioctl wrong (or right), with its argument. */
static int cmd_ioctl(const char *name)
{
	static struct rvisor_version v;
	unsigned long req;
	void *arg = &v;
	int fd;

	if (strcmp(name, "version") == 0)
		req = RVISOR_IOC_VERSION;
	else if (strcmp(name, "unknown-nr") == 0)
		req = _IOR(RVISOR_IOC_MAGIC, 0x7f, struct rvisor_version);
	else if (strcmp(name, "beyond-table") == 0)
		req = _IOR(RVISOR_IOC_MAGIC, 0xff, struct rvisor_version);
	else if (strcmp(name, "other-magic") == 0)
		req = _IOR('T', 0x00, struct rvisor_version);
	else if (strcmp(name, "short") == 0)
		req = _IOC(_IOC_READ, RVISOR_IOC_MAGIC, 0x00, sizeof(v) - 8);
	else if (strcmp(name, "oversized") == 0)
		req = _IOC(_IOC_READ, RVISOR_IOC_MAGIC, 0x00, _IOC_SIZEMASK);
	else if (strcmp(name, "write-direction") == 0)
		req = _IOW(RVISOR_IOC_MAGIC, 0x00, struct rvisor_version);
	else if (strcmp(name, "no-direction") == 0)
		req = _IO(RVISOR_IOC_MAGIC, 0x00);
	else if (strcmp(name, "null") == 0) {
		req = RVISOR_IOC_VERSION;
		arg = NULL;
	} else if (strcmp(name, "unmapped") == 0 || strcmp(name, "read-only") == 0) {
		long page = sysconf(_SC_PAGESIZE);
		void *p = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		if (name[0] == 'u' && munmap(p, page) < 0)
			die("munmap");
		req = RVISOR_IOC_VERSION;
		arg = p;
	} else if (strcmp(name, "straddle") == 0) {
		/* The struct starts on a mapped page and ends on an unmapped one. */
		long page = sysconf(_SC_PAGESIZE);
		char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || munmap(p + page, page) < 0)
			die("mmap");
		req = RVISOR_IOC_VERSION;
		arg = p + page - 8;
	} else {
		return sandbox_case(name);
	}

	fd = open_device();
	if (fd < 0)
		return report(errno);
	return report(ioctl(fd, req, arg) < 0 ? errno : 0);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "as", required_argument, NULL, 'u' },
		{ "drop-cap", no_argument, NULL, 'd' },
		{ "no-selftest", no_argument, NULL, 'n' },
		{},
	};
	bool drop_cap = false;
	long uid = -1;
	int c;

	while ((c = getopt_long(argc, argv, "+", options, NULL)) >= 0) {
		switch (c) {
		case 'u':
			uid = strtol(optarg, NULL, 10);
			break;
		case 'd':
			drop_cap = true;
			break;
		case 'n':
			no_selftest = true;
			break;
		default:
			return 2;
		}
	}
	if (drop_cap)
		drop_cap_sys_admin();
	if (uid >= 0)
		become((uid_t)uid);

	if (optind >= argc)
		return 2;
	if (strcmp(argv[optind], "open") == 0) {
		int fd = open_device();

		return report(fd < 0 ? errno : 0);
	}
	if (strcmp(argv[optind], "version") == 0)
		return cmd_version();
	if (strcmp(argv[optind], "ioctl") == 0 && optind + 1 < argc)
		return cmd_ioctl(argv[optind + 1]);
	if (strcmp(argv[optind], "churn") == 0 && optind + 1 < argc)
		return cmd_churn(argv[optind + 1]);
	if (strcmp(argv[optind], "mount") == 0 && optind + 1 < argc)
		return cmd_mount(argv[optind + 1]);
	fprintf(stderr, "rvisor-probe: unknown command\n");
	return 2;
}
