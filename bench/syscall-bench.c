/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * syscall-bench: times one syscall pattern natively, inside an rvisor sandbox, or from a host
 * task while a sandbox exists. It talks to /dev/rvisor itself (no rvisord, no rvisor-run).
 *
 *   syscall-bench [-r REPS] BENCH N                     this process, as it is
 *   syscall-bench [-r REPS] sandbox [--emulate-uname] BENCH N
 *                                                       a child bound to a new sandbox
 *   syscall-bench [-r REPS] host-tax BENCH N            this process, while a sandbox bound to
 *                                                       an idle child exists
 *   syscall-bench [-r REPS] compare pass|emulate|host-tax BENCH N
 *                                                       baseline and rvisor, interleaved
 *   syscall-bench [-r REPS] [--policy FILE] compare layers BENCH N
 *                                                       native, the gate, the seccomp filter
 *                                                       and both, interleaved
 *   syscall-bench [-r REPS] exec NAME CMD [ARG]... [:: NAME CMD [ARG]...]...
 *                                                       wall time of whole command lines
 *   syscall-bench [-r REPS] loop BENCH N DIR [BENCH N DIR]...
 *                                                       N calls in DIR, in whatever runtime
 *                                                       this runs in (the peer table)
 *   syscall-bench [-r REPS] read FILE N [FILE N]...     N whole reads of FILE, wherever this
 *                                                       runs (the views table)
 *
 * BENCH: getppid, uname, sysinfo (raw syscalls, so that libc cannot cache them), openclose
 * (open("/dev/null") + close), stat (stat("/rvisor")) or ioctl (FIONREAD on a pipe: a
 * syscall with an argument rule, which the seccomp filter judges at every call); and, meant
 * for loop, write4k (a 4 KiB write to a file that is truncated every 1 MiB), mkdirrmdir
 * (mkdir + rmdir of one directory) and spawn (fork, exec of /bin/true, wait). One repetition
 * times N calls with CLOCK_MONOTONIC after N/10 untimed warm-up calls; a figure is the median
 * of REPS (default 15) repetitions, in ns per call. Output: "BENCH NS", or for compare "BENCH
 * BASELINE_NS RVISOR_NS".
 *
 * loop is the same measurement without any sandbox of its own: the peer table runs this one
 * static binary inside rvisor, crun, bwrap and firejail alike, each with the loop's directory
 * DIR on a filesystem of the runtime's. It changes into DIR (absolute), so that every path it
 * uses is one name relative to DIR and every lookup stays on DIR's filesystem: openclose and
 * stat use a regular file it creates there, write4k and mkdirrmdir their own names; it
 * removes them afterwards. The triples run one after the other, so that one start of a
 * runtime serves them all. Output: a line "BENCH NS" per triple, as each ends.
 *
 * read times what a reader of /proc/meminfo and its kind pays: one read is open(FILE), read()
 * until end of file, close, and a figure is the median of REPS repetitions of N reads (after
 * N/10 untimed ones), in ns per read. The views table runs it natively, against a FUSE view
 * and inside a sandbox, where the file may be served by rvisorfs; so that a figure always
 * says what it measured, each line names the file system that served FILE (statfs: proc,
 * rvisorfs, fuse, sysfs, or the magic number in hex). A read that returns no bytes is an
 * error: an empty view is broken, not fast. Output: a line "FILE NS FSTYPE" per pair.
 *
 * compare alternates the two sides repetition by repetition (ABBA), each repetition in a
 * fresh setup, so that drift hits both alike:
 *   pass      a fresh child that is the init of a new pid namespace; no sandbox exists
 *             vs the same child bound to a sandbox whose policy passes everything
 *   emulate   as pass, but the policy emulates uname and sysinfo
 *   host-tax  this process while an idle child (init of a new pid namespace) exists and no
 *             sandbox does vs the same while that child is bound to a sandbox
 *   layers    the syscall policy's two layers (docs/security.md) with a real policy, FILE
 *             (default /etc/rvisor/policies/default.conf), five setups in turn, each
 *             repetition starting one further on: native (a fresh child as for pass), the
 *             gate (the child bound to a sandbox of FILE's table), the filter (the child
 *             under FILE's seccomp filter, no sandbox), both (bound, and under the filter
 *             built for behind the gate), as rvisord sets a sandbox up; and the filter with
 *             the kernel's seccomp cache defeated (each program led by a load of an
 *             argument), which shows what the cache saves. Output: "BENCH NATIVE_NS GATE_NS
 *             FILTER_NS BOTH_NS UNCACHED_NS".
 * --threads T gives each measuring child T - 1 idle threads (before it is bound), so that a
 * figure shows whether a syscall's cost grows with the sandbox's task count (sysinfo must not).
 * Every sandbox is checked after use: its counters must show the measured calls (gated, and
 * emulated where the policy says so), or for host-tax must not show this process's calls. A
 * child under the filter checks prctl(PR_GET_SECCOMP) says so before it measures.
 *
 * exec times whole command lines (the startup benchmark): each run forks, execs CMD (found
 * in PATH) with stdin and stdout on /dev/null and stderr inherited, and waits for it;
 * CLOCK_MONOTONIC brackets fork to reaped exit. The commands are interleaved round by round,
 * each round starting one command further on (A B C, B C A, C A B, ...), so that drift and
 * whatever one command leaves behind for the next (a daemon's asynchronous cleanup) hit
 * every command alike. Output: one line per command, "NAME MEDIAN_US" (microseconds), or
 * "NAME failed RUN WHY" for a command that exited non-zero, was killed or ran past
 * EXEC_TIMEOUT_S seconds on run RUN; a failed command runs no more and the others go on.
 * This process is not pinned: the commands are several processes (clients, daemons, the
 * sandboxed program) that may spread over the CPUs as they would on a host.
 *
 * Exit status: 0, 1 on an error (the message says what failed), 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/rvisor.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

#include "device.h"
#include "policy.h"

#define PROG "syscall-bench"
#define DEFAULT_POLICY "/etc/rvisor/policies/default.conf"
#define DEFAULT_REPS 15
#define MAX_REPS 1001
#define BENCH_NODENAME "bench"
#define STAT_PATH "/rvisor"
#define EXEC_MAX_CMDS 16
#define EXEC_TIMEOUT_S 60
#define SPAWN_PATH "/bin/true"
#define LOOP_FILE "syscall-bench.file"   /* loop: openclose and stat */
#define LOOP_WRITE "syscall-bench.write" /* loop: write4k */
#define LOOP_DIR "syscall-bench.dir"     /* loop: mkdirrmdir */
#define WRITE_SIZE 4096
#define WRITE_WRAP 256 /* write4k truncates its file every 256 writes (1 MiB) */
#define MAX_THREADS 1024
#define MODULE_REFCNT_PATH "/sys/module/rvisor/refcnt"
#define READ_BUF_SIZE (64 * 1024) /* read: more than any of /proc's views on a small machine */
#define FUSE_MAGIC 0x65735546     /* fs/fuse/inode.c's FUSE_SUPER_MAGIC; not in linux/magic.h */

enum bench {
	BENCH_GETPPID,
	BENCH_OPENCLOSE,
	BENCH_STAT,
	BENCH_UNAME,
	BENCH_IOCTL,
	BENCH_SYSINFO,
	BENCH_WRITE4K,
	BENCH_MKDIRRMDIR,
	BENCH_SPAWN,
};
static const char *const bench_names[] = {
	[BENCH_GETPPID] = "getppid",
	[BENCH_OPENCLOSE] = "openclose",
	[BENCH_STAT] = "stat",
	[BENCH_UNAME] = "uname",
	[BENCH_IOCTL] = "ioctl",
	[BENCH_SYSINFO] = "sysinfo",
	[BENCH_WRITE4K] = "write4k",
	[BENCH_MKDIRRMDIR] = "mkdirrmdir",
	[BENCH_SPAWN] = "spawn",
};

/* Where one repetition runs. */
enum setup {
	SETUP_SELF,          /* this process, nothing else */
	SETUP_CHILD,         /* a fresh child, init of a new pid namespace, no sandbox */
	SETUP_CHILD_PASS,    /* that child bound to a sandbox: everything PASS */
	SETUP_CHILD_EMULATE, /* that child bound to a sandbox: uname, sysinfo EMULATE, the rest PASS */
	SETUP_HOST_IDLE,     /* this process while an idle child exists, no sandbox */
	SETUP_HOST_TAX,      /* this process while that idle child is bound to a sandbox */
	SETUP_CHILD_GATE,    /* a fresh child bound to a sandbox of the policy file's table */
	SETUP_CHILD_FILTER,  /* a fresh child under the policy file's seccomp filter, no sandbox */
	SETUP_CHILD_BOTH,    /* both: bound, and under the filter built for behind the gate */
	SETUP_CHILD_NOCACHE, /* the filter with the kernel's cache defeated, no sandbox */
};

/* What openclose and stat use: loop points them at a file in its directory. */
static const char *open_path = "/dev/null";
static const char *stat_path = STAT_PATH;

static int device_fd = -1;
static long module_refs_idle; /* rvisor.ko's reference count with our device open, no sandbox */
static long child_threads = 1; /* --threads: a measuring child's threads, all but one idle */

/* compare layers: the policy and its two filters, compiled before any child exists */
static const char *policy_path = DEFAULT_POLICY;
static struct rvisor_policy_config *layers_policy;
static struct policy_seccomp *filter_alone, *filter_behind, filter_nocache;

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

__attribute__((noreturn)) static void usage(void)
{
	fputs("usage: " PROG " [-r REPS] BENCH N\n"
	      "       " PROG " [-r REPS] sandbox [--emulate-uname] BENCH N\n"
	      "       " PROG " [-r REPS] host-tax BENCH N\n"
	      "       " PROG " [-r REPS] compare pass|emulate|host-tax BENCH N\n"
	      "       " PROG " [-r REPS] [--policy FILE] compare layers BENCH N\n"
	      "       " PROG " [-r REPS] exec NAME CMD [ARG]... [:: NAME CMD [ARG]...]...\n"
	      "       " PROG " [-r REPS] loop BENCH N DIR [BENCH N DIR]...\n"
	      "       " PROG " [-r REPS] read FILE N [FILE N]...\n"
	      "Options before the command: -r REPS, --policy FILE, --threads T (a measuring child\n"
	      "has T threads, T - 1 of them idle)\n"
	      "BENCH: getppid, openclose, stat, uname, ioctl, sysinfo, write4k, mkdirrmdir,\n"
	      "       spawn\n",
	      stderr);
	exit(2);
}

static long parse_long(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, PROG ": %s must be an integer from %ld to %ld, not '%s'\n", what, min,
			max, s);
		usage();
	}
	return v;
}

static enum bench parse_bench(const char *s)
{
	for (size_t i = 0; i < sizeof(bench_names) / sizeof(bench_names[0]); i++)
		if (strcmp(s, bench_names[i]) == 0)
			return (enum bench)i;
	fprintf(stderr, PROG ": unknown benchmark '%s'\n", s);
	usage();
}

/* --- Timing ------------------------------------------------------------------------------ */

static double now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("clock_gettime: %s", strerror(errno));
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* spawn: fork, exec of SPAWN_PATH, wait for it; 0 or -errno. */
static int spawn_once(void)
{
	char arg0[] = SPAWN_PATH;
	char *const argv[] = { arg0, NULL };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(SPAWN_PATH, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* write4k: n writes of 4 KiB to LOOP_WRITE in the working directory, each one into a fresh
 * page (as an appending writer's), the file kept to 1 MiB so that it fits any tmpfs. */
static int write_calls(long n)
{
	static char buf[WRITE_SIZE];
	int fd = open(LOOP_WRITE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	for (long i = 0; i < n && r == 0; i++) {
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			r = errno ? -errno : -EIO;
		else if ((i + 1) % WRITE_WRAP == 0 &&
			 (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0))
			r = -errno;
	}
	close(fd);
	return r;
}

/* n calls of the benchmark: 0, or -errno of the first call that failed. */
static int run_calls(enum bench b, long n)
{
	static int pipe_fds[2] = { -1, -1 };
	struct sysinfo si;
	struct utsname u;
	struct stat st;
	int avail, r;

	switch (b) {
	case BENCH_IOCTL:
		if (pipe_fds[0] < 0 && pipe2(pipe_fds, O_CLOEXEC) < 0)
			return -errno;
		for (long i = 0; i < n; i++)
			if (ioctl(pipe_fds[0], FIONREAD, &avail) < 0)
				return -errno;
		return 0;
	case BENCH_GETPPID:
		for (long i = 0; i < n; i++)
			if (syscall(SYS_getppid) < 0)
				return -errno;
		return 0;
	case BENCH_OPENCLOSE:
		for (long i = 0; i < n; i++) {
			int fd = open(open_path, O_RDONLY);

			if (fd < 0 || close(fd) < 0)
				return -errno;
		}
		return 0;
	case BENCH_STAT:
		for (long i = 0; i < n; i++)
			if (stat(stat_path, &st) < 0)
				return -errno;
		return 0;
	case BENCH_UNAME:
		for (long i = 0; i < n; i++)
			if (syscall(SYS_uname, &u) < 0)
				return -errno;
		return 0;
	case BENCH_SYSINFO:
		for (long i = 0; i < n; i++)
			if (syscall(SYS_sysinfo, &si) < 0)
				return -errno;
		return 0;
	case BENCH_WRITE4K:
		return write_calls(n);
	case BENCH_MKDIRRMDIR:
		for (long i = 0; i < n; i++)
			if (mkdir(LOOP_DIR, 0700) < 0 || rmdir(LOOP_DIR) < 0)
				return -errno;
		return 0;
	case BENCH_SPAWN:
		for (long i = 0; i < n; i++)
			if ((r = spawn_once()) < 0)
				return r;
		return 0;
	}
	return -EINVAL;
}

static const char *call_desc(enum bench b)
{
	static char desc[64];

	switch (b) {
	case BENCH_OPENCLOSE:
		snprintf(desc, sizeof(desc), "open+close %s", open_path);
		return desc;
	case BENCH_STAT:
		snprintf(desc, sizeof(desc), "stat %s", stat_path);
		return desc;
	case BENCH_IOCTL:
		return "ioctl FIONREAD";
	case BENCH_WRITE4K:
		return "4 KiB writes to " LOOP_WRITE;
	case BENCH_MKDIRRMDIR:
		return "mkdir+rmdir " LOOP_DIR;
	case BENCH_SPAWN:
		return "fork+exec+wait of " SPAWN_PATH;
	default:
		return bench_names[b];
	}
}

/* Warms up, then times reps repetitions of n calls into ns[] (ns per call). 0 or -errno. */
static int measure(enum bench b, long n, int reps, double *ns)
{
	int r = run_calls(b, n / 10 > 0 ? n / 10 : 1);

	for (int i = 0; r == 0 && i < reps; i++) {
		double t0 = now_ns();

		r = run_calls(b, n);
		ns[i] = (now_ns() - t0) / (double)n;
	}
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Pins this process (and the children it will have) to the last CPU it may run on, so that
 * the baseline and rvisor sides never differ by a migration. */
static void pin_cpu(void)
{
	cpu_set_t set;
	int last = -1;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		die("sched_getaffinity: %s", strerror(errno));
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			last = cpu;
	if (last < 0)
		die("sched_getaffinity: no CPU allowed");
	CPU_ZERO(&set);
	CPU_SET(last, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		die("sched_setaffinity(CPU %d): %s", last, strerror(errno));
}

/* --- The rvisor device ------------------------------------------------------------------- */

/* rvisor.ko's reference count: each sandbox holds one until it is freed. */
static long module_refs(void)
{
	char buf[32];
	ssize_t n;
	int fd = open(MODULE_REFCNT_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", MODULE_REFCNT_PATH, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die("reading %s failed", MODULE_REFCNT_PATH);
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * A destroyed sandbox is freed, and the gate detached with the last one, after an RCU grace
 * period: a baseline measured before that would pay the gate's cost too.
 */
static void wait_sandboxes_freed(void)
{
	for (int ms = 0; module_refs() != module_refs_idle; ms++) {
		if (ms >= 10000)
			die("a destroyed sandbox was not freed within 10 s (%s: %ld, %ld before any "
			    "sandbox)", MODULE_REFCNT_PATH, module_refs(), module_refs_idle);
		usleep(1000);
	}
}

static void device_open(void)
{
	struct rvisor_version v;

	if (device_fd >= 0)
		return;
	device_fd = open(RVISOR_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (device_fd < 0) {
		int e = errno;

		if (e == ENOENT)
			die("%s does not exist: the rvisor module is not loaded (insmod rvisor.ko)",
			    RVISOR_DEVICE_PATH);
		if (e == EBUSY)
			die("%s is held by another manager (is rvisord running?); stop it first",
			    RVISOR_DEVICE_PATH);
		if (e == EPERM || e == EACCES)
			die("cannot open %s: %s (run as root, with CAP_SYS_ADMIN)", RVISOR_DEVICE_PATH,
			    strerror(e));
		die("cannot open %s: %s", RVISOR_DEVICE_PATH, strerror(e));
	}
	memset(&v, 0, sizeof(v));
	if (ioctl(device_fd, RVISOR_IOC_VERSION, &v) < 0)
		die("RVISOR_IOC_VERSION: %s", strerror(errno));
	if (v.abi_version != RVISOR_ABI_VERSION)
		die("the loaded rvisor module speaks ABI %u, this program ABI %d: rebuild one of them",
		    v.abi_version, RVISOR_ABI_VERSION);
	/* The module makes no sandbox until it has seen this kernel honour a skipped syscall. */
	if (!(v.flags & RVISOR_VERSION_F_SKIP_VERIFIED)) {
		int verdict, r = rvisor_device_selftest(device_fd, &verdict);

		if (r < 0)
			die("the module's skip self-test: %s", strerror(-r));
		if (verdict != RVISOR_SELFTEST_HONOURED)
			die("this kernel runs the syscalls rvisor.ko skips: no sandbox can be made here");
	}
	module_refs_idle = module_refs();
}

/* A sandbox of table (NULL: everything PASS, uname and sysinfo EMULATE with emulate). */
static uint64_t sandbox_create(const struct rvisor_policy *table, bool emulate)
{
	static struct rvisor_policy policy; /* 2.6 KiB: not on the stack */
	struct rvisor_sandbox_spec spec;

	memset(&policy, 0, sizeof(policy));
	policy.default_action = RVISOR_ACTION_PASS;
	for (int i = 0; i < RVISOR_NR_SYSCALLS; i++)
		policy.syscalls[i].action = RVISOR_ACTION_PASS;
	/* io_uring passes too: that must be said */
	policy.flags = RVISOR_POLICY_UNGATED;
	if (emulate) {
		policy.syscalls[SYS_uname].action = RVISOR_ACTION_EMULATE;
		policy.syscalls[SYS_sysinfo].action = RVISOR_ACTION_EMULATE;
	}
	if (table)
		policy = *table;

	memset(&spec, 0, sizeof(spec));
	/* Should this program die, closing the device destroys the sandbox. */
	spec.flags = RVISOR_SANDBOX_DIE_WITH_MANAGER;
	spec.policy = (uint64_t)(uintptr_t)&policy;
	snprintf(spec.name, sizeof(spec.name), "%s", PROG);
	snprintf(spec.nodename, sizeof(spec.nodename), "%s", BENCH_NODENAME);
	snprintf(spec.domainname, sizeof(spec.domainname), "%s", "(none)");
	if (ioctl(device_fd, RVISOR_IOC_SANDBOX_CREATE, &spec) < 0)
		die("RVISOR_IOC_SANDBOX_CREATE: %s", strerror(errno));
	if (spec.id == 0)
		die("RVISOR_IOC_SANDBOX_CREATE returned sandbox id 0");
	return spec.id;
}

static void sandbox_bind(uint64_t id, pid_t pid)
{
	struct rvisor_sandbox_bind b;

	memset(&b, 0, sizeof(b));
	b.id = id;
	b.pid = pid;
	if (ioctl(device_fd, RVISOR_IOC_SANDBOX_BIND, &b) < 0)
		die("RVISOR_IOC_SANDBOX_BIND(sandbox %llu, pid %d): %s", (unsigned long long)id,
		    (int)pid, strerror(errno));
}

static void sandbox_stats(uint64_t id, struct rvisor_sandbox_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	if (ioctl(device_fd, RVISOR_IOC_SANDBOX_STATS, st) < 0)
		die("RVISOR_IOC_SANDBOX_STATS(sandbox %llu): %s", (unsigned long long)id,
		    strerror(errno));
}

static void sandbox_destroy(uint64_t id)
{
	struct rvisor_sandbox_id sid;

	memset(&sid, 0, sizeof(sid));
	sid.id = id;
	for (int tries = 0;; tries++) {
		if (ioctl(device_fd, RVISOR_IOC_SANDBOX_DESTROY, &sid) == 0) {
			wait_sandboxes_freed();
			return;
		}
		if ((errno != EINTR && errno != EBUSY) || tries >= 3)
			die("RVISOR_IOC_SANDBOX_DESTROY(sandbox %llu): %s", (unsigned long long)id,
			    strerror(errno));
	}
}

/* --- Children ------------------------------------------------------------------------------ */

/*
 * A child that is the init of a new pid namespace. It waits on its go pipe, so that it can be
 * bound to a sandbox before it does anything that counts. A measuring child then measures and
 * writes its figures to the result pipe; an idle child waits until the go pipe is closed.
 */
struct child {
	pid_t pid;
	int go;     /* write end: a byte starts a measuring child; closing it ends an idle one */
	int result; /* read end: the measuring child's doubles */
};

struct job {
	enum bench bench;
	long n;
	int reps;
	bool expect_emulated_uname; /* check that uname answers with BENCH_NODENAME */
	const struct policy_seccomp *filter; /* installed by the child before it waits */
};

__attribute__((noreturn)) static void child_fail(const char *what, int err)
{
	fprintf(stderr, PROG ": in the child: %s: %s\n", what, strerror(err));
	_exit(1);
}

static int idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_pause); /* until the process exits */
	return 0;
}

/* --threads: the idle threads of a measuring child, so that it measures among many. */
static void spawn_idle_threads(long n)
{
	const size_t stack_size = 64 * 1024;

	for (long i = 0; i < n; i++) {
		char *stack = malloc(stack_size);

		if (!stack)
			child_fail("allocating a thread stack", ENOMEM);
		if (clone(idle_thread, stack + stack_size,
			  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				  CLONE_SYSVSEM,
			  NULL) < 0)
			child_fail("clone(CLONE_THREAD)", errno);
	}
}

__attribute__((noreturn)) static void child_main(int go, int result, const struct job *job)
{
	static double ns[MAX_REPS];
	char c;
	ssize_t r;
	int err;

	/* As rvisord's workload does it: no_new_privs, then the prepared programs. */
	if (job && job->filter) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			child_fail("PR_SET_NO_NEW_PRIVS", errno);
		err = policy_seccomp_install(job->filter);
		if (err < 0)
			child_fail("installing the seccomp filter", -err);
		if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2) {
			fprintf(stderr, PROG ": in the child: PR_GET_SECCOMP does not say filter mode\n");
			_exit(1);
		}
	}

	if (job)
		spawn_idle_threads(child_threads - 1);
	do
		r = read(go, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(job ? 1 : 0); /* closed: an idle child's end, a measuring child's abort */

	if (job->expect_emulated_uname) {
		struct utsname u;

		if (syscall(SYS_uname, &u) < 0)
			child_fail("uname", errno);
		if (strcmp(u.nodename, BENCH_NODENAME) != 0) {
			fprintf(stderr,
				PROG ": in the sandbox, uname's nodename is '%s', not '%s': uname "
				     "is not emulated\n",
				u.nodename, BENCH_NODENAME);
			_exit(1);
		}
	}
	err = measure(job->bench, job->n, job->reps, ns);
	if (err < 0)
		child_fail(call_desc(job->bench), -err);
	for (size_t off = 0, len = sizeof(ns[0]) * (size_t)job->reps; off < len;) {
		ssize_t w = write(result, (const char *)ns + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			child_fail("writing the results", w < 0 ? errno : EPIPE);
		off += (size_t)w;
	}
	_exit(0);
}

/* Starts a child (job: measuring, NULL: idle), stopped until child_go() or child_end(). */
static struct child child_spawn(const struct job *job)
{
	struct child ch;
	int go[2], result[2];
	long pid;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(result, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	/* Raw clone: fork() takes no flags. Without a new stack it returns twice, like fork(). */
	pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWPID | SIGCHLD), NULL, NULL, NULL, 0UL);
	if (pid < 0)
		die("clone(CLONE_NEWPID): %s", strerror(errno));
	if (pid == 0) {
		/* A sandboxed task must not hold the manager's file. */
		if (device_fd >= 0)
			close(device_fd);
		close(go[1]);
		close(result[0]);
		child_main(go[0], result[1], job);
	}
	close(go[0]);
	close(result[1]);
	ch.pid = (pid_t)pid;
	ch.go = go[1];
	ch.result = result[0];
	return ch;
}

static void child_go(const struct child *ch)
{
	if (write(ch->go, "g", 1) != 1)
		die("starting the child: %s", strerror(errno));
}

/* Reads a measuring child's figures; false if it ended without them. */
static bool child_results(const struct child *ch, double *ns, int reps)
{
	size_t len = sizeof(ns[0]) * (size_t)reps, off = 0;

	while (off < len) {
		ssize_t r = read(ch->result, (char *)ns + off, len - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("reading the child's results: %s", strerror(errno));
		if (r == 0)
			return false;
		off += (size_t)r;
	}
	return true;
}

/* Closes the pipes (an idle child then exits) and reaps the child; its exit status. */
static int child_end(struct child *ch)
{
	int status;

	close(ch->go);
	close(ch->result);
	while (waitpid(ch->pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid(%d): %s", (int)ch->pid, strerror(errno));
	return status;
}

static void check_exit(int status, const char *who)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFSIGNALED(status))
		die("%s was killed by signal %d (%s)", who, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	die("%s failed (exit status %d)", who, WEXITSTATUS(status));
}

/* --- Setups --------------------------------------------------------------------------------- */

static bool setup_sandboxed(enum setup s)
{
	return s == SETUP_CHILD_PASS || s == SETUP_CHILD_EMULATE || s == SETUP_HOST_TAX ||
	       s == SETUP_CHILD_GATE || s == SETUP_CHILD_BOTH;
}

/*
 * reps repetitions of job's bench in setup s, into ns[]. A child setup measures in one fresh
 * child (and sandbox); a host setup measures in this process while the idle child (and
 * sandbox) exist. The sandbox is checked and destroyed afterwards.
 */
static void run_setup(enum setup s, const struct job *job, double *ns)
{
	bool measuring_child = s != SETUP_SELF && s != SETUP_HOST_IDLE && s != SETUP_HOST_TAX;
	bool emulating = s == SETUP_CHILD_EMULATE &&
			 (job->bench == BENCH_UNAME || job->bench == BENCH_SYSINFO);
	struct rvisor_sandbox_stats st;
	uint64_t id = 0;
	struct child ch;
	int err;

	if (s == SETUP_SELF) {
		err = measure(job->bench, job->n, job->reps, ns);
		if (err < 0)
			die("%s: %s", call_desc(job->bench), strerror(-err));
		return;
	}

	if (setup_sandboxed(s))
		id = sandbox_create(s == SETUP_CHILD_GATE || s == SETUP_CHILD_BOTH ? &layers_policy->kernel : NULL,
				    s == SETUP_CHILD_EMULATE);
	if (measuring_child) {
		struct job cj = *job;

		cj.expect_emulated_uname = s == SETUP_CHILD_EMULATE;
		cj.filter = s == SETUP_CHILD_FILTER ? filter_alone : s == SETUP_CHILD_BOTH ? filter_behind :
			    s == SETUP_CHILD_NOCACHE ? &filter_nocache : NULL;
		ch = child_spawn(&cj);
	} else {
		ch = child_spawn(NULL);
	}
	if (id)
		sandbox_bind(id, ch.pid);

	if (measuring_child) {
		child_go(&ch);
		if (!child_results(&ch, ns, job->reps)) {
			check_exit(child_end(&ch), "the measuring child");
			die("the measuring child exited without its results");
		}
		check_exit(child_end(&ch), "the measuring child");
	} else {
		err = measure(job->bench, job->n, job->reps, ns);
		check_exit(child_end(&ch), "the idle child");
		if (err < 0)
			die("%s: %s", call_desc(job->bench), strerror(-err));
	}

	if (!id)
		return;
	sandbox_stats(id, &st);
	if (!(st.state & RVISOR_SANDBOX_BOUND))
		die("sandbox %llu is not bound after RVISOR_IOC_SANDBOX_BIND succeeded",
		    (unsigned long long)id);
	if (measuring_child) {
		/* Each repetition made at least n calls of the bench's syscall(s) in the sandbox. */
		unsigned long long want = (unsigned long long)job->n * (unsigned long long)job->reps;
		unsigned long long got = emulating ? st.total.emulated : st.total.passed;

		if (got < want)
			die("sandbox %llu counted %llu %s syscalls, expected at least %llu: the "
			    "benchmark did not run behind the gate",
			    (unsigned long long)id, got, emulating ? "emulated" : "passed", want);
	} else {
		/* Only the idle child's few syscalls may count, never this process's. */
		unsigned long long got = st.total.passed + st.total.emulated + st.total.denied;

		if (got >= (unsigned long long)job->n)
			die("sandbox %llu counted %llu syscalls while only a host task was busy: "
			    "host syscalls are gated",
			    (unsigned long long)id, got);
	}
	sandbox_destroy(id);
}

/* --- Commands ------------------------------------------------------------------------------- */

static void cmd_single(enum setup s, enum bench b, long n, int reps)
{
	static double ns[MAX_REPS];
	struct job job = { .bench = b, .n = n, .reps = reps };

	if (s != SETUP_SELF)
		device_open();
	run_setup(s, &job, ns);
	printf("%s %.1f\n", bench_names[b], median(ns, reps));
}

/* ABBA: repetition i runs the baseline first when i % 4 is 0 or 3. */
static void cmd_compare(enum setup base, enum setup rv, enum bench b, long n, int reps)
{
	static double base_ns[MAX_REPS], rv_ns[MAX_REPS];
	struct job job = { .bench = b, .n = n, .reps = 1 };

	device_open();
	for (int i = 0; i < reps; i++) {
		bool base_first = i % 4 == 0 || i % 4 == 3;

		run_setup(base_first ? base : rv, &job, base_first ? &base_ns[i] : &rv_ns[i]);
		run_setup(base_first ? rv : base, &job, base_first ? &rv_ns[i] : &base_ns[i]);
	}
	printf("%s %.1f %.1f\n", bench_names[b], median(base_ns, reps), median(rv_ns, reps));
}

/* The policy file and its filters, compiled as rvisord compiles them. */
static void layers_prepare(void)
{
	_cleanup_free_ char *err = NULL;
	int r;

	r = policy_load_file(policy_path, &layers_policy, &err);
	if (r < 0)
		die("%s", err ?: strerror(-r));
	r = policy_seccomp_compile(&layers_policy->kernel, 0, &filter_alone);
	if (r >= 0)
		r = policy_seccomp_compile(&layers_policy->kernel, POLICY_SECCOMP_WITH_GATE, &filter_behind);
	if (r < 0)
		die("cannot build %s's seccomp filter: %s", policy_path, strerror(-r));

	/* The same programs, each led by a load of an argument that changes nothing: the
	 * kernel's cache emulation gives up on it, so every syscall runs the BPF. What the
	 * cache saves is the difference to the filter's figure. */
	filter_nocache.n = filter_alone->n;
	for (unsigned int i = 0; i < filter_alone->n; i++) {
		const struct sock_fprog *from = &filter_alone->progs[i];
		struct sock_filter *insns = calloc(from->len + 1U, sizeof(*insns));

		if (!insns)
			die("out of memory");
		insns[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							 offsetof(struct seccomp_data, args));
		memcpy(insns + 1, from->filter, from->len * sizeof(*insns));
		filter_nocache.progs[i] = (struct sock_fprog){ .len = (unsigned short)(from->len + 1),
								.filter = insns };
	}
}

/* Native, the gate, the filter, both, the filter uncached: repetition i starts with setup
 * i % 5 and goes round. */
static void cmd_compare_layers(enum bench b, long n, int reps)
{
	static const enum setup setups[5] = { SETUP_CHILD, SETUP_CHILD_GATE, SETUP_CHILD_FILTER,
					      SETUP_CHILD_BOTH, SETUP_CHILD_NOCACHE };
	static double ns[5][MAX_REPS];
	struct job job = { .bench = b, .n = n, .reps = 1 };

	device_open();
	layers_prepare();
	for (int i = 0; i < reps; i++)
		for (int k = 0; k < 5; k++) {
			int which = (i + k) % 5;

			run_setup(setups[which], &job, &ns[which][i]);
		}
	printf("%s %.1f %.1f %.1f %.1f %.1f\n", bench_names[b], median(ns[0], reps),
	       median(ns[1], reps), median(ns[2], reps), median(ns[3], reps), median(ns[4], reps));
}

/* --- Whole command lines (exec) --------------------------------------------------------- */

struct exec_cmd {
	const char *name;
	char **argv; /* NULL-terminated, in main's argv */
	double us[MAX_REPS];
	int done;          /* runs measured */
	char failure[128]; /* set when a run failed: the command runs no more */
};

static volatile sig_atomic_t exec_timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	exec_timed_out = 1;
}

/* One run of c: its wall time in c->us[c->done], or c->failure says why not. */
static void exec_once(struct exec_cmd *c)
{
	struct sigaction sa;
	double t0, t1;
	int status, fd;
	pid_t pid;

	fflush(NULL);
	exec_timed_out = 0;
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Its own process group, so that a timeout can kill all of it. */
		setpgid(0, 0);
		fd = open("/dev/null", O_RDWR);
		if (fd < 0 || dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0)
			child_fail("/dev/null", errno);
		if (fd > STDERR_FILENO)
			close(fd);
		execvp(c->argv[0], c->argv);
		fprintf(stderr, PROG ": %s: cannot run %s: %s\n", c->name, c->argv[0],
			strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* as the child does: whichever runs first */

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm(EXEC_TIMEOUT_S);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			die("waitpid(%d): %s", (int)pid, strerror(errno));
		if (exec_timed_out)
			kill(-pid, SIGKILL);
	}
	t1 = now_ns();
	alarm(0);
	/* Nothing of a timed-out command may run on into the next one's time. */
	if (exec_timed_out)
		kill(-pid, SIGKILL);

	if (exec_timed_out)
		snprintf(c->failure, sizeof(c->failure), "%d timed out after %d s", c->done + 1,
			 EXEC_TIMEOUT_S);
	else if (WIFSIGNALED(status))
		snprintf(c->failure, sizeof(c->failure), "%d killed by signal %d (%s)", c->done + 1,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0)
		snprintf(c->failure, sizeof(c->failure), "%d exit status %d", c->done + 1,
			 WEXITSTATUS(status));
	else
		c->us[c->done++] = (t1 - t0) / 1e3;
}

static void cmd_exec(char **args, int nargs, int reps)
{
	static struct exec_cmd cmds[EXEC_MAX_CMDS];
	int ncmds = 0;

	/* NAME CMD [ARG]... groups separated by "::"; main's argv is NULL-terminated, so each
	 * "::" becomes the end of the command before it. */
	for (int i = 0; i < nargs;) {
		int start = i;

		while (i < nargs && strcmp(args[i], "::") != 0)
			i++;
		if (i - start < 2) {
			fputs(PROG ": exec: each command needs a NAME and a CMD\n", stderr);
			usage();
		}
		if (ncmds == EXEC_MAX_CMDS) {
			fprintf(stderr, PROG ": exec: at most %d commands\n", EXEC_MAX_CMDS);
			usage();
		}
		cmds[ncmds].name = args[start];
		cmds[ncmds].argv = &args[start + 1];
		ncmds++;
		if (i < nargs) {
			args[i] = NULL;
			if (++i == nargs)
				usage(); /* a trailing "::" */
		}
	}
	if (ncmds == 0)
		usage();

	for (int r = 0; r < reps; r++)
		for (int k = 0; k < ncmds; k++) {
			struct exec_cmd *c = &cmds[(r + k) % ncmds];

			if (!c->failure[0])
				exec_once(c);
		}
	for (int k = 0; k < ncmds; k++) {
		if (cmds[k].failure[0])
			printf("%s failed %s\n", cmds[k].name, cmds[k].failure);
		else
			printf("%s %.0f\n", cmds[k].name, median(cmds[k].us, reps));
	}
}

/* --- One loop in whatever runtime this runs in (loop) ----------------------------------- */

static void cmd_loop(enum bench b, long n, int reps, const char *dir)
{
	static double ns[MAX_REPS];
	int fd, err;

	if (chdir(dir) < 0)
		die("cannot change into %s: %s", dir, strerror(errno));
	open_path = stat_path = LOOP_FILE;
	if (b == BENCH_OPENCLOSE || b == BENCH_STAT) {
		fd = open(LOOP_FILE, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			die("cannot create %s/%s: %s", dir, LOOP_FILE, strerror(errno));
		close(fd);
	}
	err = measure(b, n, reps, ns);
	/* what a failed run left behind must not be in the next one's way */
	(void)unlink(LOOP_FILE);
	(void)unlink(LOOP_WRITE);
	(void)rmdir(LOOP_DIR);
	if (err < 0)
		die("%s in %s: %s", call_desc(b), dir, strerror(-err));
	printf("%s %.1f\n", bench_names[b], median(ns, reps));
}

/* --- Whole reads of a file (read) -------------------------------------------------------- */

/* The file system that serves path, by name where the views table knows it. */
static const char *fs_name(const char *path)
{
	static char hex[32];
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		die("statfs %s: %s", path, strerror(errno));
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC:
		return "proc";
	case RVISORFS_MAGIC:
		return RVISORFS_NAME;
	case FUSE_MAGIC:
		return "fuse";
	case SYSFS_MAGIC:
		return "sysfs";
	default:
		snprintf(hex, sizeof(hex), "0x%lx", (unsigned long)sf.f_type);
		return hex;
	}
}

/* n reads of path, each open, read() to end of file, close: 0 or -errno (-ENODATA: empty). */
static int read_whole(const char *path, long n)
{
	static char buf[READ_BUF_SIZE];

	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
		size_t total = 0;
		ssize_t k;

		if (fd < 0)
			return -errno;
		while ((k = read(fd, buf, sizeof(buf))) > 0)
			total += (size_t)k;
		if (k < 0)
			err = errno;
		if (close(fd) < 0 && !err)
			err = errno;
		if (err)
			return -err;
		if (total == 0)
			return -ENODATA;
	}
	return 0;
}

static void cmd_read(const char *path, long n, int reps)
{
	static double ns[MAX_REPS];
	const char *fs = fs_name(path);
	int err = read_whole(path, n / 10 > 0 ? n / 10 : 1);

	for (int i = 0; err == 0 && i < reps; i++) {
		double t0 = now_ns();

		err = read_whole(path, n);
		ns[i] = (now_ns() - t0) / (double)n;
	}
	if (err < 0)
		die("reading %s: %s", path, err == -ENODATA ? "it is empty" : strerror(-err));
	printf("%s %.1f %s\n", path, median(ns, reps), fs);
}

int main(int argc, char *argv[])
{
	int reps = DEFAULT_REPS;
	int i = 1;
	long n;

	if (i + 1 < argc && strcmp(argv[i], "-r") == 0) {
		reps = (int)parse_long(argv[i + 1], 1, MAX_REPS, "REPS");
		i += 2;
	}
	if (i + 1 < argc && strcmp(argv[i], "--policy") == 0) {
		policy_path = argv[i + 1];
		i += 2;
	}
	if (i + 1 < argc && strcmp(argv[i], "--threads") == 0) {
		child_threads = parse_long(argv[i + 1], 1, MAX_THREADS, "T");
		i += 2;
	}
	if (i >= argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(argv[i], "sandbox") == 0) {
		bool emulate = i + 1 < argc && strcmp(argv[i + 1], "--emulate-uname") == 0;

		i += emulate ? 2 : 1;
		if (argc - i != 2)
			usage();
		n = parse_long(argv[i + 1], 1, 1000000000L, "N");
		pin_cpu();
		cmd_single(emulate ? SETUP_CHILD_EMULATE : SETUP_CHILD_PASS, parse_bench(argv[i]), n,
			   reps);
	} else if (strcmp(argv[i], "host-tax") == 0) {
		if (argc - i != 3)
			usage();
		n = parse_long(argv[i + 2], 1, 1000000000L, "N");
		pin_cpu();
		cmd_single(SETUP_HOST_TAX, parse_bench(argv[i + 1]), n, reps);
	} else if (strcmp(argv[i], "exec") == 0) {
		cmd_exec(&argv[i + 1], argc - i - 1, reps);
	} else if (strcmp(argv[i], "loop") == 0) {
		if (argc - i < 4 || (argc - i - 1) % 3 != 0)
			usage();
		/* every triple checked before the first runs */
		for (int k = i + 1; k < argc; k += 3) {
			(void)parse_bench(argv[k]);
			(void)parse_long(argv[k + 1], 1, 1000000000L, "N");
			if (argv[k + 2][0] != '/') {
				fprintf(stderr, PROG ": loop: DIR must be absolute, not '%s'\n",
					argv[k + 2]);
				usage();
			}
		}
		pin_cpu();
		for (i++; i < argc; i += 3) {
			n = parse_long(argv[i + 1], 1, 1000000000L, "N");
			cmd_loop(parse_bench(argv[i]), n, reps, argv[i + 2]);
		}
	} else if (strcmp(argv[i], "read") == 0) {
		if (argc - i < 3 || (argc - i - 1) % 2 != 0)
			usage();
		for (int k = i + 1; k < argc; k += 2)
			(void)parse_long(argv[k + 1], 1, 1000000000L, "N");
		pin_cpu();
		for (i++; i < argc; i += 2)
			cmd_read(argv[i], parse_long(argv[i + 1], 1, 1000000000L, "N"), reps);
	} else if (strcmp(argv[i], "compare") == 0) {
		enum setup base, rv;

		if (argc - i != 4)
			usage();
		if (strcmp(argv[i + 1], "layers") == 0) {
			n = parse_long(argv[i + 3], 1, 1000000000L, "N");
			pin_cpu();
			cmd_compare_layers(parse_bench(argv[i + 2]), n, reps);
			return 0;
		}
		if (strcmp(argv[i + 1], "pass") == 0) {
			base = SETUP_CHILD;
			rv = SETUP_CHILD_PASS;
		} else if (strcmp(argv[i + 1], "emulate") == 0) {
			base = SETUP_CHILD;
			rv = SETUP_CHILD_EMULATE;
		} else if (strcmp(argv[i + 1], "host-tax") == 0) {
			base = SETUP_HOST_IDLE;
			rv = SETUP_HOST_TAX;
		} else {
			fprintf(stderr, PROG ": unknown comparison '%s'\n", argv[i + 1]);
			usage();
		}
		n = parse_long(argv[i + 3], 1, 1000000000L, "N");
		pin_cpu();
		cmd_compare(base, rv, parse_bench(argv[i + 2]), n, reps);
	} else {
		if (argc - i != 2)
			usage();
		n = parse_long(argv[i + 1], 1, 1000000000L, "N");
		pin_cpu();
		cmd_single(SETUP_SELF, parse_bench(argv[i]), n, reps);
	}
	return 0;
}
