/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisor-run: a static launcher and manager for the VM suite. It drives /dev/rvisor with raw
 * ioctls (not through lib/), so the tests exercise exactly the ABI of <linux/rvisor.h>.
 *
 *   rvisor-run [OPTIONS] -- COMMAND [ARGS...]  COMMAND as pid 1 of a new pid namespace bound to
 *                                              a new sandbox; waits, reports, destroys it
 *   rvisor-run --no-bind [OPTIONS]             create only, print the id
 *   rvisor-run ctl list                        ids, one a line
 *   rvisor-run ctl stats ID                    STATS as below
 *   rvisor-run ctl kill ID SIGNAL              SIGNAL: a number or a name (TERM, SIGKILL)
 *   rvisor-run ctl destroy ID | destroy-all
 *   rvisor-run ctl set-policy ID [POLICY OPTIONS]   a whole new policy built from the options
 *   rvisor-run ctl bind ID PID [FLAGS]         FLAGS: arm-at-exec or a number (raw)
 *   rvisor-run ctl events                      pending events, without waiting
 *   rvisor-run ctl mount ID DIR                rvisorfs of sandbox ID on DIR (ABI 6), read-only,
 *                                              with this manager's descriptor
 *   rvisor-run ctl selftest                    the skip self-test: prints honoured or
 *                                              not_honoured (the launcher and every other verb
 *                                              run it first when the module has no verdict)
 *
 * Policy options: --default pass|deny[:ERRNO]|kill|log (numbers beyond the table)
 *   --rule NAME=pass|deny[:ERRNO]|kill|log|emulate  (NAME: a syscall name, number or '*' for
 *   every table entry; applied in order; ERRNO a name or number, deny alone is EPERM)
 *   --allow-ioctl REQ, --allow-family AF, --allow-prctl OPT, --allow-netlink PROTO (ROUTE,
 *   AUDIT, KOBJECT_UEVENT or a number) (repeatable; each sets its filter)
 *   --quiet NAME (refusals of that syscall are counted, not reported; repeatable)
 *   --filter-ioctl, --filter-socket, --filter-prctl (the filter with an empty list)
 *   --allow-namespaces, --ungated, --allow-compat, --allow-x32 (refused by the module)
 *   io_uring_setup, io_uring_enter and io_uring_register are DENY EPERM unless a --rule says
 *   otherwise (which then needs --ungated)
 * Sandbox options: --name N, --hostname H, --domainname D, --memory BYTES[K|M|G],
 *   --die-with-manager, --cgroup DIR (ABI 6: RVISOR_SANDBOX_CGROUP with DIR, opened O_PATH;
 *   the inits are moved into DIR before they are bound)
 * Launcher options: --count N (N sandboxes, one COMMAND each, run at once), --stats FILE,
 *   --events FILE (ours only), --pid-file FILE (host pids of the inits),
 *   --output FILE (the command's stdout and stderr), --detach (bind, start, print the ids and
 *   exit: the sandboxes stay; stdio of the command goes to /dev/null unless --output),
 *   --no-drain (read events only after the commands exited, to let the queues fill)
 * Arming at exec (ABI 4): --arm-at-exec binds with RVISOR_BIND_ARM_AT_EXEC; the init is bound
 *   before it runs its steps (--pre-exec STEP, repeatable, in order) and then execs COMMAND
 *   (with execveat(AT_FDCWD, ...) under --exec-at). Each STEP prints one line on stdout,
 *   "pre-exec STEP: ok VALUE [DETAILS]" or "pre-exec STEP: ERRNO":
 *     NAME or NUMBER  that syscall, raw, every argument 0
 *     uname           uname(2) with a buffer; prints nodename=...
 *     int80-getpid    ia32 getpid (int $0x80, eax 20); x32-getpid: x32 getpid (39 | x32 bit)
 *     exec-enoent     execve() of a path that does not exist
 *     child-exec      a forked child execs /bin/true (as an OCI createContainer hook); the
 *                     init waits for it and prints its exit status
 *     wait:PATH       waits (polling, 20 ms) until PATH exists; prints nothing
 *     exit:CODE       the init exits with CODE without ever exec'ing
 *
 * STATS: key=value lines (id, state, armed, flags, nr_tasks, init_pid, init_exit_status,
 * start_time_ns, memory_limit, total.passed/emulated/denied, name, nodename, domainname,
 * events_suppressed, emulated_faulting, reserved_zero, nr_counts) and syscall.NAME=passed,emulated,denied for each non-zero entry
 * (syscall.other for entry RVISOR_NR_SYSCALLS). Events: one line each, "type=denied
 * sandbox_id=1 nr=83 sys=mkdir value=13 flags=0 sandbox_pid=1 host_pid=123 time_ns=...
 * arg0=... arg5=... reserved=0,0" (type: denied, logged, init_exited, suppressed).
 *
 * Exit status: the command's (128+signal when killed; with --count the first non-zero one);
 * 125 for rvisor-run's own failures. ctl: 0, 1 when the module refused, 125 on usage errors.
 * Every failure is one line on stderr naming the ioctl and the errno's name.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
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
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/rvisor.h>

#include "names.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define EXIT_OWN 125        /* rvisor-run's own failure */
#define EXIT_REFUSED 1      /* ctl: the module refused the request */
#define MAX_COUNT RVISOR_MAX_SANDBOXES
#define EVENT_BATCH 64      /* records per read() */
#define MAX_PRE_EXEC 16     /* --pre-exec steps */

/* x86-64 syscall names, from <sys/syscall.h>. */
struct syscall_name {
	const char *name;
	long nr;
};

#define SC(n) { #n, SYS_##n }
static const struct syscall_name syscall_names[] = {
	SC(read), SC(write), SC(open), SC(close), SC(stat), SC(fstat), SC(lstat), SC(poll), SC(lseek),
	SC(mmap), SC(mprotect), SC(munmap), SC(brk), SC(rt_sigaction), SC(rt_sigprocmask),
	SC(rt_sigreturn), SC(ioctl), SC(pread64), SC(pwrite64), SC(readv), SC(writev), SC(access),
	SC(pipe), SC(select), SC(sched_yield), SC(mremap), SC(msync), SC(mincore), SC(madvise),
	SC(shmget), SC(shmat), SC(shmctl), SC(dup), SC(dup2), SC(pause), SC(nanosleep), SC(getitimer),
	SC(alarm), SC(setitimer), SC(getpid), SC(sendfile), SC(socket), SC(connect), SC(accept),
	SC(sendto), SC(recvfrom), SC(sendmsg), SC(recvmsg), SC(shutdown), SC(bind), SC(listen),
	SC(getsockname), SC(getpeername), SC(socketpair), SC(setsockopt), SC(getsockopt), SC(clone),
	SC(fork), SC(vfork), SC(execve), SC(exit), SC(wait4), SC(kill), SC(uname), SC(semget),
	SC(semop), SC(semctl), SC(shmdt), SC(msgget), SC(msgsnd), SC(msgrcv), SC(msgctl), SC(fcntl),
	SC(flock), SC(fsync), SC(fdatasync), SC(truncate), SC(ftruncate), SC(getdents), SC(getcwd),
	SC(chdir), SC(fchdir), SC(rename), SC(mkdir), SC(rmdir), SC(creat), SC(link), SC(unlink),
	SC(symlink), SC(readlink), SC(chmod), SC(fchmod), SC(chown), SC(fchown), SC(lchown), SC(umask),
	SC(gettimeofday), SC(getrlimit), SC(getrusage), SC(sysinfo), SC(times), SC(ptrace), SC(getuid),
	SC(syslog), SC(getgid), SC(setuid), SC(setgid), SC(geteuid), SC(getegid), SC(setpgid),
	SC(getppid), SC(getpgrp), SC(setsid), SC(setreuid), SC(setregid), SC(getgroups), SC(setgroups),
	SC(setresuid), SC(getresuid), SC(setresgid), SC(getresgid), SC(getpgid), SC(setfsuid),
	SC(setfsgid), SC(getsid), SC(capget), SC(capset), SC(rt_sigpending), SC(rt_sigtimedwait),
	SC(rt_sigqueueinfo), SC(rt_sigsuspend), SC(sigaltstack), SC(utime), SC(mknod), SC(uselib),
	SC(personality), SC(ustat), SC(statfs), SC(fstatfs), SC(sysfs), SC(getpriority),
	SC(setpriority), SC(sched_setparam), SC(sched_getparam), SC(sched_setscheduler),
	SC(sched_getscheduler), SC(sched_get_priority_max), SC(sched_get_priority_min),
	SC(sched_rr_get_interval), SC(mlock), SC(munlock), SC(mlockall), SC(munlockall), SC(vhangup),
	SC(modify_ldt), SC(pivot_root), SC(_sysctl), SC(prctl), SC(arch_prctl), SC(adjtimex),
	SC(setrlimit), SC(chroot), SC(sync), SC(acct), SC(settimeofday), SC(mount), SC(umount2),
	SC(swapon), SC(swapoff), SC(reboot), SC(sethostname), SC(setdomainname), SC(iopl), SC(ioperm),
	SC(create_module), SC(init_module), SC(delete_module), SC(get_kernel_syms), SC(query_module),
	SC(quotactl), SC(nfsservctl), SC(getpmsg), SC(putpmsg), SC(afs_syscall), SC(tuxcall),
	SC(security), SC(gettid), SC(readahead), SC(setxattr), SC(lsetxattr), SC(fsetxattr),
	SC(getxattr), SC(lgetxattr), SC(fgetxattr), SC(listxattr), SC(llistxattr), SC(flistxattr),
	SC(removexattr), SC(lremovexattr), SC(fremovexattr), SC(tkill), SC(time), SC(futex),
	SC(sched_setaffinity), SC(sched_getaffinity), SC(set_thread_area), SC(io_setup),
	SC(io_destroy), SC(io_getevents), SC(io_submit), SC(io_cancel), SC(get_thread_area),
	SC(lookup_dcookie), SC(epoll_create), SC(epoll_ctl_old), SC(epoll_wait_old),
	SC(remap_file_pages), SC(getdents64), SC(set_tid_address), SC(restart_syscall), SC(semtimedop),
	SC(fadvise64), SC(timer_create), SC(timer_settime), SC(timer_gettime), SC(timer_getoverrun),
	SC(timer_delete), SC(clock_settime), SC(clock_gettime), SC(clock_getres), SC(clock_nanosleep),
	SC(exit_group), SC(epoll_wait), SC(epoll_ctl), SC(tgkill), SC(utimes), SC(vserver), SC(mbind),
	SC(set_mempolicy), SC(get_mempolicy), SC(mq_open), SC(mq_unlink), SC(mq_timedsend),
	SC(mq_timedreceive), SC(mq_notify), SC(mq_getsetattr), SC(kexec_load), SC(waitid), SC(add_key),
	SC(request_key), SC(keyctl), SC(ioprio_set), SC(ioprio_get), SC(inotify_init),
	SC(inotify_add_watch), SC(inotify_rm_watch), SC(migrate_pages), SC(openat), SC(mkdirat),
	SC(mknodat), SC(fchownat), SC(futimesat), SC(newfstatat), SC(unlinkat), SC(renameat),
	SC(linkat), SC(symlinkat), SC(readlinkat), SC(fchmodat), SC(faccessat), SC(pselect6),
	SC(ppoll), SC(unshare), SC(set_robust_list), SC(get_robust_list), SC(splice), SC(tee),
	SC(sync_file_range), SC(vmsplice), SC(move_pages), SC(utimensat), SC(epoll_pwait),
	SC(signalfd), SC(timerfd_create), SC(eventfd), SC(fallocate), SC(timerfd_settime),
	SC(timerfd_gettime), SC(accept4), SC(signalfd4), SC(eventfd2), SC(epoll_create1), SC(dup3),
	SC(pipe2), SC(inotify_init1), SC(preadv), SC(pwritev), SC(rt_tgsigqueueinfo),
	SC(perf_event_open), SC(recvmmsg), SC(fanotify_init), SC(fanotify_mark), SC(prlimit64),
	SC(name_to_handle_at), SC(open_by_handle_at), SC(clock_adjtime), SC(syncfs), SC(sendmmsg),
	SC(setns), SC(getcpu), SC(process_vm_readv), SC(process_vm_writev), SC(kcmp), SC(finit_module),
	SC(sched_setattr), SC(sched_getattr), SC(renameat2), SC(seccomp), SC(getrandom),
	SC(memfd_create), SC(kexec_file_load), SC(bpf), SC(execveat), SC(userfaultfd), SC(membarrier),
	SC(mlock2), SC(copy_file_range), SC(preadv2), SC(pwritev2), SC(pkey_mprotect), SC(pkey_alloc),
	SC(pkey_free), SC(statx), SC(io_pgetevents), SC(rseq), SC(pidfd_send_signal),
	SC(io_uring_setup), SC(io_uring_enter), SC(io_uring_register), SC(open_tree), SC(move_mount),
	SC(fsopen), SC(fsconfig), SC(fsmount), SC(fspick), SC(pidfd_open), SC(clone3), SC(close_range),
	SC(openat2), SC(pidfd_getfd), SC(faccessat2), SC(process_madvise), SC(epoll_pwait2),
	SC(mount_setattr), SC(quotactl_fd), SC(landlock_create_ruleset), SC(landlock_add_rule),
	SC(landlock_restrict_self), SC(memfd_secret), SC(process_mrelease), SC(futex_waitv),
	SC(set_mempolicy_home_node),
	{ NULL, -1 },
};
#undef SC

static const char *syscall_name(long nr)
{
	for (const struct syscall_name *s = syscall_names; s->name; s++)
		if (s->nr == nr)
			return s->name;
	return NULL;
}

/* ---- errors ------------------------------------------------------------------------- */

static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static void usage_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("rvisor-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see the comment at the top of tests/vm/helpers/rvisor-run.c)\n", stderr);
	exit(EXIT_OWN);
}

static const char *ioctl_name(unsigned long req)
{
	switch (req) {
	case RVISOR_IOC_VERSION: return "RVISOR_IOC_VERSION";
	case RVISOR_IOC_SANDBOX_CREATE: return "RVISOR_IOC_SANDBOX_CREATE";
	case RVISOR_IOC_SELFTEST: return "RVISOR_IOC_SELFTEST";
	case RVISOR_IOC_SANDBOX_BIND: return "RVISOR_IOC_SANDBOX_BIND";
	case RVISOR_IOC_SANDBOX_SET_POLICY: return "RVISOR_IOC_SANDBOX_SET_POLICY";
	case RVISOR_IOC_SANDBOX_KILL: return "RVISOR_IOC_SANDBOX_KILL";
	case RVISOR_IOC_SANDBOX_DESTROY: return "RVISOR_IOC_SANDBOX_DESTROY";
	case RVISOR_IOC_SANDBOX_LIST: return "RVISOR_IOC_SANDBOX_LIST";
	case RVISOR_IOC_SANDBOX_STATS: return "RVISOR_IOC_SANDBOX_STATS";
	default: return "unknown ioctl";
	}
}

/* An ioctl that reports its own failure: 0 or the errno, with one line on stderr. */
static int xioctl(int fd, unsigned long req, void *arg, __u64 id)
{
	int e;

	if (ioctl(fd, req, arg) == 0)
		return 0;
	e = errno;
	fprintf(stderr, "rvisor-run: %s (id %llu): %s (%s)\n", ioctl_name(req),
		(unsigned long long)id, errno_name(e), strerror(e));
	return e;
}

/* The module's skip self-test, as a manager runs it: 0 with *ret the verdict
 * (RVISOR_SELFTEST_*), or the errno (reported). */
static int selftest(int fd, __u32 *ret)
{
	struct rvisor_selftest t = { .op = RVISOR_SELFTEST_ARM };
	long seen;
	int e;

	e = xioctl(fd, RVISOR_IOC_SELFTEST, &t, 0);
	if (e)
		return e;
	seen = syscall(SYS_getppid); /* skipped: RVISOR_SELFTEST_MAGIC, where it is honoured */
	t = (struct rvisor_selftest){ .op = RVISOR_SELFTEST_CHECK };
	e = xioctl(fd, RVISOR_IOC_SELFTEST, &t, 0);
	if (e)
		return e;
	if ((t.result == RVISOR_SELFTEST_HONOURED) != (seen == RVISOR_SELFTEST_MAGIC)) {
		fprintf(stderr, "rvisor-run: self-test: the module says %u, getppid() returned %ld\n",
			t.result, seen);
		return EPROTO;
	}
	*ret = t.result;
	return 0;
}

/* Opens the device and, when the module has no verdict yet, runs the self-test that
 * SANDBOX_CREATE waits for. */
static int open_device(void)
{
	int fd = open(RVISOR_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	struct rvisor_version v = {};
	__u32 result;

	if (fd < 0) {
		fprintf(stderr, "rvisor-run: open %s: %s (%s)\n", RVISOR_DEVICE_PATH,
			errno_name(errno), strerror(errno));
		return fd;
	}
	if (ioctl(fd, RVISOR_IOC_VERSION, &v) == 0 && !(v.flags & RVISOR_VERSION_F_SKIP_VERIFIED))
		(void)selftest(fd, &result); /* -EBUSY with sandboxes left: their verdict holds */
	return fd;
}

/* ---- parsing ------------------------------------------------------------------------ */

static bool parse_u64(const char *s, unsigned long long *ret)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*ret = strtoull(s, &end, 0);
	return errno == 0 && end != s && *end == '\0';
}

static unsigned long long need_u64(const char *s, const char *what)
{
	unsigned long long v;

	if (!parse_u64(s, &v))
		usage_fail("%s: '%s' is not a number", what, s);
	return v;
}

/* BYTES with an optional K, M or G suffix (powers of 1024). */
static unsigned long long parse_size(const char *s)
{
	char buf[64];
	size_t len = strlen(s);
	unsigned int shift = 0;

	if (len == 0 || len >= sizeof(buf))
		usage_fail("--memory: bad size '%s'", s);
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: break;
	}
	if (shift)
		buf[len - 1] = '\0';
	return need_u64(buf, "--memory") << shift;
}

/* An errno name (EPERM) or number, 1..4095 unchecked beyond the u16 the ABI carries so that
 * tests can hand the module out-of-range values. */
static unsigned int parse_errno(const char *s)
{
	unsigned long long v;

	if (parse_u64(s, &v) && v <= 0xffff)
		return (unsigned int)v;
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);

		if (n && strcmp(n, s) == 0)
			return (unsigned int)e;
	}
	usage_fail("unknown errno '%s'", s);
}

/* pass | deny[:ERRNO] | kill | log | emulate (emulate only where allowed). */
static void parse_action(const char *s, bool allow_emulate, __u16 *action, __u16 *error)
{
	*error = 0;
	if (strcmp(s, "pass") == 0)
		*action = RVISOR_ACTION_PASS;
	else if (strcmp(s, "kill") == 0)
		*action = RVISOR_ACTION_KILL;
	else if (strcmp(s, "log") == 0)
		*action = RVISOR_ACTION_LOG;
	else if (strcmp(s, "emulate") == 0 && allow_emulate)
		*action = RVISOR_ACTION_EMULATE;
	else if (strcmp(s, "deny") == 0) {
		*action = RVISOR_ACTION_DENY;
		*error = EPERM;
	} else if (strncmp(s, "deny:", 5) == 0) {
		*action = RVISOR_ACTION_DENY;
		*error = (__u16)parse_errno(s + 5);
	} else
		usage_fail("bad action '%s'", s);
}

static long parse_syscall(const char *s)
{
	unsigned long long v;

	if (parse_u64(s, &v)) {
		if (v >= RVISOR_NR_SYSCALLS)
			usage_fail("syscall number %llu is beyond the table", v);
		return (long)v;
	}
	for (const struct syscall_name *n = syscall_names; n->name; n++)
		if (strcmp(n->name, s) == 0)
			return n->nr;
	usage_fail("unknown syscall '%s'", s);
}

static const struct name_value netlink_names[] = {
	{ "ROUTE", 0 }, { "AUDIT", 9 }, { "KOBJECT_UEVENT", 15 }, {},
};

static unsigned long long parse_named(const char *s, const struct name_value *table,
				      const char *prefix, const char *what)
{
	size_t plen = strlen(prefix);
	unsigned long long v;

	if (parse_u64(s, &v))
		return v;
	if (strncmp(s, prefix, plen) == 0)
		s += plen;
	for (const struct name_value *t = table; t->name; t++)
		if (strcmp(t->name, s) == 0)
			return t->value;
	usage_fail("%s: unknown name '%s'", what, s);
}

/* A bit number (a name from the table or a number) below limit. */
static unsigned int parse_bit(const char *s, const struct name_value *table, const char *prefix,
			      const char *what, unsigned int limit)
{
	unsigned long long v = parse_named(s, table, prefix, what);

	if (v >= limit)
		usage_fail("%s: %llu is not below %u", what, v, limit);
	return (unsigned int)v;
}

static int parse_signal(const char *s)
{
	unsigned long long v;

	if (parse_u64(s, &v))
		return (int)v; /* out-of-range values go to the module as they are */
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (int sig = 1; sig < 65; sig++) {
		const char *n = sigabbrev_np(sig);

		if (n && strcmp(n, s) == 0)
			return sig;
	}
	usage_fail("unknown signal '%s'", s);
}

/* ---- options ------------------------------------------------------------------------ */

struct options {
	struct rvisor_policy policy;
	struct rvisor_sandbox_spec spec;
	unsigned int count;
	const char *stats_file, *events_file, *pid_file, *output_file, *cgroup_dir;
	bool detach, no_bind, no_drain;
	bool arm_at_exec, exec_at;
	const char *pre_exec[MAX_PRE_EXEC];
	unsigned int nr_pre_exec;
};

enum {
	OPT_DEFAULT = 0x100, OPT_RULE, OPT_ALLOW_IOCTL, OPT_ALLOW_FAMILY, OPT_ALLOW_PRCTL,
	OPT_FILTER_IOCTL, OPT_FILTER_SOCKET, OPT_FILTER_PRCTL, OPT_ALLOW_NAMESPACES, OPT_UNGATED,
	OPT_ALLOW_COMPAT, OPT_ALLOW_X32, OPT_ALLOW_NETLINK, OPT_QUIET,
	/* Sandbox and launcher options: not for ctl set-policy. */
	OPT_SPEC_FIRST, OPT_HOSTNAME = OPT_SPEC_FIRST, OPT_DOMAINNAME, OPT_MEMORY, OPT_NAME,
	OPT_DIE_WITH_MANAGER, OPT_COUNT, OPT_STATS, OPT_EVENTS, OPT_DETACH, OPT_NO_BIND,
	OPT_PID_FILE, OPT_OUTPUT, OPT_NO_DRAIN, OPT_ARM_AT_EXEC, OPT_PRE_EXEC, OPT_EXEC_AT,
	OPT_CGROUP,
};

static const struct option long_options[] = {
	{ "default", required_argument, NULL, OPT_DEFAULT },
	{ "rule", required_argument, NULL, OPT_RULE },
	{ "allow-ioctl", required_argument, NULL, OPT_ALLOW_IOCTL },
	{ "allow-family", required_argument, NULL, OPT_ALLOW_FAMILY },
	{ "allow-prctl", required_argument, NULL, OPT_ALLOW_PRCTL },
	{ "filter-ioctl", no_argument, NULL, OPT_FILTER_IOCTL },
	{ "filter-socket", no_argument, NULL, OPT_FILTER_SOCKET },
	{ "filter-prctl", no_argument, NULL, OPT_FILTER_PRCTL },
	{ "allow-namespaces", no_argument, NULL, OPT_ALLOW_NAMESPACES },
	{ "ungated", no_argument, NULL, OPT_UNGATED },
	{ "allow-compat", no_argument, NULL, OPT_ALLOW_COMPAT },
	{ "allow-x32", no_argument, NULL, OPT_ALLOW_X32 },
	{ "allow-netlink", required_argument, NULL, OPT_ALLOW_NETLINK },
	{ "quiet", required_argument, NULL, OPT_QUIET },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "domainname", required_argument, NULL, OPT_DOMAINNAME },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "die-with-manager", no_argument, NULL, OPT_DIE_WITH_MANAGER },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ "no-bind", no_argument, NULL, OPT_NO_BIND },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "no-drain", no_argument, NULL, OPT_NO_DRAIN },
	{ "arm-at-exec", no_argument, NULL, OPT_ARM_AT_EXEC },
	{ "pre-exec", required_argument, NULL, OPT_PRE_EXEC },
	{ "exec-at", no_argument, NULL, OPT_EXEC_AT },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{},
};

static void copy_string(char *dst, size_t size, const char *src, const char *what)
{
	size_t len = strlen(src);

	if (len >= size)
		usage_fail("%s: longer than %zu bytes", what, size - 1);
	memcpy(dst, src, len + 1);
}

/* Parses options up to the first non-option (or "--"); returns the index of what follows. */
static int parse_options(int argc, char **argv, struct options *o, bool policy_only)
{
	struct rvisor_policy *p = &o->policy;
	int c;

	/* Everything passes but io_uring, whose work the gate cannot see: a policy must say
	 * ungated to let it run (--ungated, then --rule io_uring_setup=pass ...). */
	p->syscalls[SYS_io_uring_setup] = (struct rvisor_syscall_rule){ RVISOR_ACTION_DENY, EPERM };
	p->syscalls[SYS_io_uring_enter] = (struct rvisor_syscall_rule){ RVISOR_ACTION_DENY, EPERM };
	p->syscalls[SYS_io_uring_register] = (struct rvisor_syscall_rule){ RVISOR_ACTION_DENY, EPERM };
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", long_options, NULL)) != -1) {
		if (c == '?' || c == ':')
			usage_fail("bad option");
		if (policy_only && c >= OPT_SPEC_FIRST)
			usage_fail("only policy options here");
		switch (c) {
		case OPT_DEFAULT:
			parse_action(optarg, false, &p->default_action, &p->default_errno);
			break;
		case OPT_RULE: {
			char *eq = strchr(optarg, '=');
			__u16 action, error;

			if (!eq)
				usage_fail("--rule wants NAME=ACTION");
			*eq = '\0';
			parse_action(eq + 1, true, &action, &error);
			if (strcmp(optarg, "*") == 0) {
				for (int i = 0; i < RVISOR_NR_SYSCALLS; i++)
					p->syscalls[i] = (struct rvisor_syscall_rule){ action, error };
			} else {
				long nr = parse_syscall(optarg);

				p->syscalls[nr] = (struct rvisor_syscall_rule){ action, error };
			}
			break;
		}
		case OPT_ALLOW_IOCTL:
			if (p->nr_ioctls >= RVISOR_MAX_IOCTL_RULES)
				usage_fail("more than %d --allow-ioctl", RVISOR_MAX_IOCTL_RULES);
			p->ioctls[p->nr_ioctls++] =
				(__u32)parse_named(optarg, ioctl_requests, "", "--allow-ioctl");
			p->flags |= RVISOR_POLICY_FILTER_IOCTL;
			break;
		case OPT_ALLOW_FAMILY:
			p->socket_families |= 1ULL << parse_bit(optarg, address_families, "AF_", "--allow-family", 64);
			p->flags |= RVISOR_POLICY_FILTER_SOCKET;
			break;
		case OPT_ALLOW_NETLINK:
			p->netlink_protocols |= 1U << parse_bit(optarg, netlink_names, "", "--allow-netlink", 32);
			p->flags |= RVISOR_POLICY_FILTER_NETLINK;
			break;
		case OPT_QUIET: {
			long nr = parse_syscall(optarg);

			p->quiet[nr / 64] |= 1ULL << (nr % 64);
			break;
		}
		case OPT_ALLOW_PRCTL:
			if (p->nr_prctls >= RVISOR_MAX_PRCTL_RULES)
				usage_fail("more than %d --allow-prctl", RVISOR_MAX_PRCTL_RULES);
			p->prctls[p->nr_prctls++] =
				(__u32)parse_named(optarg, prctl_options, "PR_", "--allow-prctl");
			p->flags |= RVISOR_POLICY_FILTER_PRCTL;
			break;
		case OPT_FILTER_IOCTL: p->flags |= RVISOR_POLICY_FILTER_IOCTL; break;
		case OPT_FILTER_SOCKET: p->flags |= RVISOR_POLICY_FILTER_SOCKET; break;
		case OPT_FILTER_PRCTL: p->flags |= RVISOR_POLICY_FILTER_PRCTL; break;
		case OPT_ALLOW_NAMESPACES: p->flags |= RVISOR_POLICY_ALLOW_NAMESPACES; break;
		case OPT_UNGATED: p->flags |= RVISOR_POLICY_UNGATED; break;
		case OPT_ALLOW_COMPAT: p->flags |= RVISOR_POLICY_ALLOW_COMPAT; break;
		case OPT_ALLOW_X32: p->flags |= RVISOR_POLICY_ALLOW_X32; break;
		case OPT_HOSTNAME:
			copy_string(o->spec.nodename, sizeof(o->spec.nodename), optarg, "--hostname");
			break;
		case OPT_DOMAINNAME:
			copy_string(o->spec.domainname, sizeof(o->spec.domainname), optarg,
				    "--domainname");
			break;
		case OPT_MEMORY: o->spec.memory_limit = parse_size(optarg); break;
		case OPT_NAME: copy_string(o->spec.name, sizeof(o->spec.name), optarg, "--name"); break;
		case OPT_DIE_WITH_MANAGER: o->spec.flags |= RVISOR_SANDBOX_DIE_WITH_MANAGER; break;
		case OPT_COUNT:
			o->count = (unsigned int)need_u64(optarg, "--count");
			if (o->count < 1 || o->count > MAX_COUNT)
				usage_fail("--count: 1..%d", MAX_COUNT);
			break;
		case OPT_STATS: o->stats_file = optarg; break;
		case OPT_EVENTS: o->events_file = optarg; break;
		case OPT_DETACH: o->detach = true; break;
		case OPT_NO_BIND: o->no_bind = true; break;
		case OPT_PID_FILE: o->pid_file = optarg; break;
		case OPT_OUTPUT: o->output_file = optarg; break;
		case OPT_NO_DRAIN: o->no_drain = true; break;
		case OPT_ARM_AT_EXEC: o->arm_at_exec = true; break;
		case OPT_PRE_EXEC:
			if (o->nr_pre_exec >= MAX_PRE_EXEC)
				usage_fail("more than %d --pre-exec", MAX_PRE_EXEC);
			o->pre_exec[o->nr_pre_exec++] = optarg;
			break;
		case OPT_EXEC_AT: o->exec_at = true; break;
		case OPT_CGROUP: o->cgroup_dir = optarg; break;
		default: usage_fail("bad option");
		}
	}
	return optind;
}

/* ---- printing stats and events ------------------------------------------------------ */

/* A fixed-size string field: up to its NUL; one without a NUL prints as <unterminated>. */
static void print_field(FILE *f, const char *key, const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		fprintf(f, "%s=<unterminated>\n", key);
	else
		fprintf(f, "%s=%s\n", key, s);
}

static void print_stats(FILE *f, const struct rvisor_sandbox_stats *st,
			const struct rvisor_syscall_counts *counts)
{
	bool reserved_zero = true;

	for (size_t i = 0; i < sizeof(st->reserved1); i++)
		reserved_zero = reserved_zero && st->reserved1[i] == 0;
	for (size_t i = 0; i < sizeof(st->reserved) / sizeof(st->reserved[0]); i++)
		reserved_zero = reserved_zero && st->reserved[i] == 0;

	fprintf(f, "id=%llu\n", (unsigned long long)st->id);
	fprintf(f, "state=%u\n", st->state);
	fprintf(f, "armed=%d\n", !!(st->state & RVISOR_SANDBOX_ARMED));
	fprintf(f, "flags=%u\n", st->flags);
	fprintf(f, "nr_tasks=%u\n", st->nr_tasks);
	fprintf(f, "init_pid=%d\n", st->init_pid);
	fprintf(f, "init_exit_status=%d\n", st->init_exit_status);
	fprintf(f, "start_time_ns=%llu\n", (unsigned long long)st->start_time_ns);
	fprintf(f, "memory_limit=%llu\n", (unsigned long long)st->memory_limit);
	fprintf(f, "total.passed=%llu\n", (unsigned long long)st->total.passed);
	fprintf(f, "total.emulated=%llu\n", (unsigned long long)st->total.emulated);
	fprintf(f, "total.denied=%llu\n", (unsigned long long)st->total.denied);
	print_field(f, "name", st->name, sizeof(st->name));
	print_field(f, "nodename", st->nodename, sizeof(st->nodename));
	print_field(f, "domainname", st->domainname, sizeof(st->domainname));
	fprintf(f, "events_suppressed=%llu\n", (unsigned long long)st->events_suppressed);
	fprintf(f, "emulated_faulting=%llu\n", (unsigned long long)st->emulated_faulting);
	fprintf(f, "reserved_zero=%d\n", reserved_zero);
	fprintf(f, "nr_counts=%u\n", st->nr_counts);
	for (unsigned int i = 0; i < st->nr_counts && i <= RVISOR_NR_SYSCALLS; i++) {
		const struct rvisor_syscall_counts *c = &counts[i];
		const char *name = syscall_name(i);

		if (!c->passed && !c->emulated && !c->denied)
			continue;
		if (i == RVISOR_NR_SYSCALLS)
			fprintf(f, "syscall.other=");
		else if (name)
			fprintf(f, "syscall.%s=", name);
		else
			fprintf(f, "syscall.%u=", i);
		fprintf(f, "%llu,%llu,%llu\n", (unsigned long long)c->passed,
			(unsigned long long)c->emulated, (unsigned long long)c->denied);
	}
}

/* STATS with room for every counter; 0 or the errno (already reported). */
static int get_stats(int fd, __u64 id, struct rvisor_sandbox_stats *st,
		     struct rvisor_syscall_counts *counts)
{
	memset(st, 0, sizeof(*st));
	memset(counts, 0, sizeof(*counts) * (RVISOR_NR_SYSCALLS + 1));
	st->id = id;
	st->counts = (__u64)(uintptr_t)counts;
	st->nr_counts = RVISOR_NR_SYSCALLS + 1;
	return xioctl(fd, RVISOR_IOC_SANDBOX_STATS, st, id);
}

static const char *event_type_name(__u32 type)
{
	switch (type) {
	case RVISOR_EVENT_DENIED: return "denied";
	case RVISOR_EVENT_LOGGED: return "logged";
	case RVISOR_EVENT_INIT_EXITED: return "init_exited";
	case RVISOR_EVENT_SUPPRESSED: return "suppressed";
	default: return NULL;
	}
}

static void print_event(FILE *f, const struct rvisor_event *ev)
{
	const char *type = event_type_name(ev->type);
	const char *sys = NULL;

	if (type)
		fprintf(f, "type=%s", type);
	else
		fprintf(f, "type=%u", ev->type);
	fprintf(f, " sandbox_id=%llu nr=%d", (unsigned long long)ev->sandbox_id, ev->nr);
	/* Only x86-64 numbers have names here; ia32 and x32 numbers differ. */
	if (!(ev->flags & (RVISOR_EVENT_F_COMPAT | RVISOR_EVENT_F_X32)) && ev->nr >= 0)
		sys = syscall_name(ev->nr);
	fprintf(f, " sys=%s value=%d flags=%u sandbox_pid=%d host_pid=%d time_ns=%llu",
		sys ? sys : "-", ev->value, ev->flags, ev->sandbox_pid, ev->host_pid,
		(unsigned long long)ev->time_ns);
	for (int i = 0; i < 6; i++)
		fprintf(f, " arg%d=%llu", i, (unsigned long long)ev->args[i]);
	fprintf(f, " reserved=%llu,%llu\n", (unsigned long long)ev->reserved[0],
		(unsigned long long)ev->reserved[1]);
}

/* Reads every pending record (the fd is O_NONBLOCK) and hands each to fn. Returns the
 * number read, or -1 after reporting a read that broke the ABI's rules. */
static long drain_events(int fd, void (*fn)(const struct rvisor_event *ev, void *data),
			 void *data)
{
	static struct rvisor_event buf[EVENT_BATCH];
	long total = 0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return total;
		if (n < 0) {
			fprintf(stderr, "rvisor-run: read events: %s (%s)\n", errno_name(errno),
				strerror(errno));
			return -1;
		}
		if (n == 0 || (size_t)n % sizeof(buf[0]) != 0) {
			fprintf(stderr, "rvisor-run: read events: %zd bytes, not whole records\n", n);
			return -1;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(buf[0]); i++)
			fn(&buf[i], data);
		total += n / (ssize_t)sizeof(buf[0]);
	}
}

/* ---- the launcher ------------------------------------------------------------------- */

struct child {
	__u64 id;
	pid_t pid;      /* host pid of the sandbox's init */
	int pidfd;
	int go_fd;      /* write end: releases the child */
	bool exited;
	int status;
	bool init_exited_event;
};

static struct options opts;
static struct child *children;
static unsigned int nr_children;   /* sandboxes created */
static int dev_fd = -1;
static FILE *events_out, *stats_out;
static bool own_failure;

/* On our own failure: no sandbox and no child may outlive us. */
static void launcher_fail(void) __attribute__((noreturn));
static void launcher_fail(void)
{
	for (unsigned int i = 0; i < nr_children; i++)
		if (children[i].pid > 0 && !children[i].exited)
			kill(children[i].pid, SIGKILL);
	for (unsigned int i = 0; i < nr_children; i++) {
		struct rvisor_sandbox_id d = { .id = children[i].id };

		if (children[i].pid > 0 && !children[i].exited)
			waitpid(children[i].pid, NULL, 0);
		if (dev_fd >= 0)
			xioctl(dev_fd, RVISOR_IOC_SANDBOX_DESTROY, &d, d.id);
	}
	exit(EXIT_OWN);
}

static struct child *child_by_id(__u64 id)
{
	for (unsigned int i = 0; i < nr_children; i++)
		if (children[i].id == id)
			return &children[i];
	return NULL;
}

/* Records ours in the events file. */
static void launcher_event(const struct rvisor_event *ev, void *data)
{
	struct child *c = child_by_id(ev->sandbox_id);

	if (!c)
		return; /* another manager's sandbox, left from an earlier session */
	if (c && ev->type == RVISOR_EVENT_INIT_EXITED)
		c->init_exited_event = true;
	if (events_out)
		print_event(events_out, ev);
}

static void launcher_drain(void)
{
	if (drain_events(dev_fd, launcher_event, NULL) < 0)
		own_failure = true;
}

/* Redirects fd to path (or /dev/null), in the child before exec. */
static void redirect(int fd, const char *path, int flags)
{
	int nfd = open(path, flags | O_CLOEXEC, 0644);

	if (nfd < 0 || dup2(nfd, fd) < 0) {
		fprintf(stderr, "rvisor-run: %s: %s\n", path, strerror(errno));
		_exit(EXIT_OWN);
	}
	close(nfd);
}

/* COMMAND looked up in PATH by the manager, so that the sandbox's first syscalls are one
 * execve (its counters stay exact). NULL when not found: the child's execvp reports it. */
static char *resolve_command(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL;

	if (strchr(name, '/') || !path)
		return NULL;
	copy = strdup(path);
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *full;

		if (asprintf(&full, "%s/%s", *dir ? dir : ".", name) < 0)
			break;
		if (access(full, X_OK) == 0) {
			free(copy);
			return full;
		}
		free(full);
	}
	free(copy);
	return NULL;
}

static char *command_path; /* resolve_command(COMMAND), or NULL */

/* Each --pre-exec step is known before anything is created: a bad one is a usage error of
 * the launcher, not a failure inside a sandbox. */
static void check_pre_exec(void)
{
	for (unsigned int i = 0; i < opts.nr_pre_exec; i++) {
		const char *step = opts.pre_exec[i];

		if (strncmp(step, "wait:", 5) == 0 || strcmp(step, "exec-enoent") == 0 ||
		    strcmp(step, "child-exec") == 0 ||
		    strcmp(step, "uname") == 0 || strcmp(step, "int80-getpid") == 0 ||
		    strcmp(step, "x32-getpid") == 0)
			continue;
		if (strncmp(step, "exit:", 5) == 0)
			need_u64(step + 5, "--pre-exec exit:CODE");
		else
			parse_syscall(step);
	}
}

/* The other entry points, which no syscall() reaches: -1 with errno set, or the value. */
static long raw_result(long ret)
{
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static long int80_getpid(void)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) /* ia32 getpid */
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	return raw_result((long)(int)ret); /* an ia32 result: 32 bits */
}

static long x32_getpid(void)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(SYS_getpid | 0x40000000L)
			 : "rcx", "r11", "memory", "cc");
	return raw_result(ret);
}

/* One --pre-exec step of the init, reported on stdout unbuffered (it may exit or exec
 * next). */
static void pre_exec_step(const char *step)
{
	static char enoent_name[] = "rvisor-run-enoent";
	char *const enoent_argv[] = { enoent_name, NULL };
	const struct timespec tick = { 0, 20 * 1000 * 1000 };
	char detail[128] = "";
	struct utsname u;
	long ret;
	int e;

	if (strncmp(step, "wait:", 5) == 0) {
		while (access(step + 5, F_OK) != 0)
			nanosleep(&tick, NULL);
		return;
	}
	if (strncmp(step, "exit:", 5) == 0)
		_exit((int)strtol(step + 5, NULL, 0));
	if (strcmp(step, "child-exec") == 0) {
		static char true_name[] = "true";
		char *const true_argv[] = { true_name, NULL };
		pid_t child = fork();
		int status = 0;

		if (child == 0) {
			execve("/bin/true", true_argv, environ);
			_exit(127);
		}
		ret = child < 0 || waitpid(child, &status, 0) < 0 ? -1 : WEXITSTATUS(status);
	} else if (strcmp(step, "exec-enoent") == 0) {
		ret = execve("/nonexistent/rvisor-run-enoent", enoent_argv, environ);
	} else if (strcmp(step, "int80-getpid") == 0) {
		ret = int80_getpid();
	} else if (strcmp(step, "x32-getpid") == 0) {
		ret = x32_getpid();
	} else if (strcmp(step, "uname") == 0) {
		ret = uname(&u);
		if (ret == 0)
			snprintf(detail, sizeof(detail), " nodename=%s", u.nodename);
	} else {
		ret = syscall(parse_syscall(step), 0L, 0L, 0L, 0L, 0L, 0L);
	}
	e = errno;
	if (ret < 0)
		dprintf(STDOUT_FILENO, "pre-exec %s: %s\n", step, errno_name(e));
	else
		dprintf(STDOUT_FILENO, "pre-exec %s: ok %ld%s\n", step, ret, detail);
}

static void exec_command(char **cmd)
{
	if (opts.exec_at)
		syscall(SYS_execveat, (long)AT_FDCWD, command_path ? command_path : cmd[0], cmd,
			environ, 0L);
	else if (command_path)
		execv(command_path, cmd);
	else
		execvp(cmd[0], cmd);
}

/* The sandbox's init: pid 1 of a new pid namespace. It drops the manager's fd (so that the
 * device is never held by a sandbox task), says it is ready, waits to be bound and released,
 * runs its --pre-exec steps, then execs the command. */
static void child_main(char **cmd, int ready_fd, int go_fd)
{
	char b;

	close(dev_fd);
	if (opts.output_file) {
		redirect(STDOUT_FILENO, opts.output_file, O_WRONLY | O_CREAT | O_APPEND);
		dup2(STDOUT_FILENO, STDERR_FILENO);
	}
	if (opts.detach) {
		/* Nothing of the caller's (bats' pipes above all) may be kept open by it. */
		redirect(STDIN_FILENO, "/dev/null", O_RDONLY);
		if (!opts.output_file) {
			redirect(STDOUT_FILENO, "/dev/null", O_WRONLY);
			redirect(STDERR_FILENO, "/dev/null", O_WRONLY);
		}
	}
	syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	if (write(ready_fd, "r", 1) != 1)
		_exit(EXIT_OWN);
	close(ready_fd);
	if (read(go_fd, &b, 1) != 1)
		_exit(EXIT_OWN); /* the manager gave up */
	close(go_fd);
	/* Bound now: with --arm-at-exec, not yet armed until the exec below (or a step's). */
	for (unsigned int i = 0; i < opts.nr_pre_exec; i++)
		pre_exec_step(opts.pre_exec[i]);
	exec_command(cmd);
	fprintf(stderr, "rvisor-run: exec %s: %s\n", cmd[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Clones the init into a new pid namespace and waits until it is ready to be bound. */
static void spawn(struct child *c, char **cmd)
{
	int ready[2], go[2];
	char b;
	long pid;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		fprintf(stderr, "rvisor-run: pipe: %s\n", strerror(errno));
		launcher_fail();
	}
	fflush(NULL);
	/* fork-like raw clone: no new stack, the child returns here. */
	pid = syscall(SYS_clone, (long)(CLONE_NEWPID | SIGCHLD), 0L, 0L, 0L, 0L);
	if (pid < 0) {
		fprintf(stderr, "rvisor-run: clone(CLONE_NEWPID): %s (%s)\n", errno_name(errno),
			strerror(errno));
		launcher_fail();
	}
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		child_main(cmd, ready[1], go[0]);
	}
	c->pid = (pid_t)pid;
	c->go_fd = go[1];
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &b, 1) != 1) {
		fprintf(stderr, "rvisor-run: the sandbox's init died before it was bound\n");
		launcher_fail();
	}
	close(ready[0]);
	c->pidfd = (int)syscall(SYS_pidfd_open, (long)pid, 0L);
	if (c->pidfd < 0)
		c->pidfd = -1; /* polled by timeout instead */
}

/* --cgroup: the directory, opened once; the module keeps what it names, not the fd. */
static int cgroup_fd(void)
{
	static int fd = -1;

	if (fd < 0) {
		fd = open(opts.cgroup_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "rvisor-run: --cgroup %s: %s\n", opts.cgroup_dir, strerror(errno));
			launcher_fail();
		}
	}
	return fd;
}

/* --cgroup: the init joins the sandbox's cgroup before it is bound and runs anything. */
static void join_cgroup(pid_t pid)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", opts.cgroup_dir);
	f = fopen(path, "we");
	if (!f || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f) != 0) {
		fprintf(stderr, "rvisor-run: %s: %s\n", path, strerror(errno));
		launcher_fail();
	}
}

static void create_sandbox(struct child *c)
{
	struct rvisor_sandbox_spec spec = opts.spec;

	if (opts.cgroup_dir) {
		spec.flags |= RVISOR_SANDBOX_CGROUP;
		spec.cgroup_fd = cgroup_fd();
	}

	spec.id = 0;
	spec.policy = (__u64)(uintptr_t)&opts.policy;
	if (xioctl(dev_fd, RVISOR_IOC_SANDBOX_CREATE, &spec, 0))
		launcher_fail();
	c->id = spec.id;
	nr_children++;
	if (spec.id == 0) {
		fprintf(stderr, "rvisor-run: RVISOR_IOC_SANDBOX_CREATE returned id 0\n");
		launcher_fail();
	}
}

static void reap_children(unsigned int *running)
{
	for (unsigned int i = 0; i < nr_children; i++) {
		struct child *c = &children[i];

		if (c->exited || c->pid <= 0)
			continue;
		if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
			c->exited = true;
			(*running)--;
		}
	}
}

/* Waits for every init, reading events meanwhile (unless --no-drain). */
static void wait_children(void)
{
	unsigned int running = nr_children;
	bool poll_dev = !opts.no_drain;
	struct pollfd *pfds = calloc(nr_children + 1, sizeof(*pfds));

	if (!pfds)
		launcher_fail();
	while (running > 0) {
		unsigned int n = 0;
		bool all_pidfds = true;
		int r;

		if (poll_dev)
			pfds[n++] = (struct pollfd){ .fd = dev_fd, .events = POLLIN };
		for (unsigned int i = 0; i < nr_children; i++) {
			if (children[i].exited)
				continue;
			if (children[i].pidfd < 0)
				all_pidfds = false;
			else
				pfds[n++] = (struct pollfd){ .fd = children[i].pidfd, .events = POLLIN };
		}
		r = poll(pfds, n, all_pidfds ? -1 : 20);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "rvisor-run: poll: %s\n", strerror(errno));
			launcher_fail();
		}
		if (poll_dev && r > 0 && (pfds[0].revents & POLLIN)) {
			long got = drain_events(dev_fd, launcher_event, NULL);

			if (got < 0)
				own_failure = true;
			if (got <= 0)
				poll_dev = false; /* readable with nothing to read: stop polling it */
		}
		reap_children(&running);
	}
	free(pfds);

	/* INIT_EXITED is queued as each init exits (never lost); give it a moment to arrive so
	 * the events file is complete. */
	for (int tries = 0; tries < 100; tries++) {
		bool all = true;
		struct pollfd p = { .fd = dev_fd, .events = POLLIN };

		launcher_drain();
		for (unsigned int i = 0; i < nr_children; i++)
			all = all && children[i].init_exited_event;
		if (all)
			break;
		poll(&p, 1, 10);
	}
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_OWN;
}

static void write_pid_file(void)
{
	FILE *f = fopen(opts.pid_file, "w");

	if (!f) {
		fprintf(stderr, "rvisor-run: %s: %s\n", opts.pid_file, strerror(errno));
		launcher_fail();
	}
	for (unsigned int i = 0; i < nr_children; i++)
		fprintf(f, "%d\n", (int)children[i].pid);
	if (fclose(f) != 0)
		launcher_fail();
}

static int launcher(int argc, char **argv)
{
	int first = parse_options(argc, argv, &opts, false);
	char **cmd = argv + first;
	int rc = 0;

	if (!opts.no_bind && first >= argc)
		usage_fail("no command (rvisor-run [OPTIONS] -- COMMAND [ARGS...])");
	check_pre_exec();
	if (opts.count == 0)
		opts.count = 1;
	children = calloc(opts.count, sizeof(*children));
	if (!children)
		return EXIT_OWN;
	/* Output files first: nothing can fail between creating sandboxes and destroying them
	 * without destroying them. */
	if (opts.events_file) {
		events_out = fopen(opts.events_file, "we");
		if (!events_out)
			usage_fail("%s: %s", opts.events_file, strerror(errno));
	}
	if (opts.stats_file) {
		stats_out = fopen(opts.stats_file, "we");
		if (!stats_out)
			usage_fail("%s: %s", opts.stats_file, strerror(errno));
	}
	dev_fd = open_device();
	if (dev_fd < 0)
		return EXIT_OWN;

	for (unsigned int i = 0; i < opts.count; i++)
		create_sandbox(&children[i]);
	if (opts.no_bind) {
		for (unsigned int i = 0; i < nr_children; i++)
			printf("%llu\n", (unsigned long long)children[i].id);
		return fflush(stdout) == 0 ? 0 : EXIT_OWN;
	}

	command_path = resolve_command(cmd[0]);
	for (unsigned int i = 0; i < nr_children; i++) {
		struct child *c = &children[i];
		struct rvisor_sandbox_bind bind;

		spawn(c, cmd);
		if (opts.cgroup_dir)
			join_cgroup(c->pid);
		memset(&bind, 0, sizeof(bind));
		bind.id = c->id;
		bind.pid = c->pid;
		bind.flags = opts.arm_at_exec ? RVISOR_BIND_ARM_AT_EXEC : 0;
		if (xioctl(dev_fd, RVISOR_IOC_SANDBOX_BIND, &bind, c->id))
			launcher_fail();
	}
	if (opts.pid_file)
		write_pid_file();
	fcntl(dev_fd, F_SETFL, O_NONBLOCK); /* events are drained, never waited for */
	for (unsigned int i = 0; i < nr_children; i++) {
		if (write(children[i].go_fd, "g", 1) != 1)
			launcher_fail();
		close(children[i].go_fd);
	}

	if (opts.detach) {
		for (unsigned int i = 0; i < nr_children; i++)
			printf("%llu\n", (unsigned long long)children[i].id);
		return fflush(stdout) == 0 ? 0 : EXIT_OWN;
	}

	wait_children();
	launcher_drain();

	if (stats_out) {
		static struct rvisor_syscall_counts counts[RVISOR_NR_SYSCALLS + 1];

		for (unsigned int i = 0; i < nr_children; i++) {
			struct rvisor_sandbox_stats st;

			if (get_stats(dev_fd, children[i].id, &st, counts))
				own_failure = true;
			else
				print_stats(stats_out, &st, counts);
		}
		if (fclose(stats_out) != 0)
			own_failure = true;
	}
	if (events_out && fclose(events_out) != 0)
		own_failure = true;

	for (unsigned int i = 0; i < nr_children; i++) {
		struct rvisor_sandbox_id d;

		memset(&d, 0, sizeof(d));
		d.id = children[i].id;
		if (xioctl(dev_fd, RVISOR_IOC_SANDBOX_DESTROY, &d, d.id))
			own_failure = true;
	}
	if (own_failure)
		return EXIT_OWN;
	for (unsigned int i = 0; i < nr_children && rc == 0; i++)
		rc = exit_code(children[i].status);
	return rc;
}

/* ---- ctl: an already running sandbox set ------------------------------------------- */

static __u64 need_id(const char *s)
{
	return (__u64)need_u64(s, "sandbox id");
}

/* LIST into a buffer that grows until every id fits. Returns the count, -1 on failure. */
static long list_ids(int fd, __u64 **ids)
{
	__u32 capacity = 0;

	*ids = NULL;
	for (;;) {
		struct rvisor_sandbox_list l;

		memset(&l, 0, sizeof(l));
		l.ids = (__u64)(uintptr_t)*ids;
		l.capacity = capacity;
		if (xioctl(fd, RVISOR_IOC_SANDBOX_LIST, &l, 0))
			return -1;
		if (l.count <= capacity)
			return l.count;
		free(*ids);
		capacity = l.count + 16;
		*ids = calloc(capacity, sizeof(**ids));
		if (!*ids)
			return -1;
	}
}

static void ctl_event(const struct rvisor_event *ev, void *data)
{
	print_event(stdout, ev);
}

static int ctl(int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "";
	int fd, e = 0;

	if (argc < 1)
		usage_fail("ctl needs a verb");
	fd = open_device();
	if (fd < 0)
		return EXIT_REFUSED;

	if (strcmp(verb, "list") == 0 && argc == 1) {
		__u64 *ids;
		long n = list_ids(fd, &ids);

		if (n < 0)
			return EXIT_REFUSED;
		for (long i = 0; i < n; i++)
			printf("%llu\n", (unsigned long long)ids[i]);
	} else if (strcmp(verb, "stats") == 0 && argc == 2) {
		static struct rvisor_syscall_counts counts[RVISOR_NR_SYSCALLS + 1];
		struct rvisor_sandbox_stats st;

		e = get_stats(fd, need_id(argv[1]), &st, counts);
		if (!e)
			print_stats(stdout, &st, counts);
	} else if (strcmp(verb, "kill") == 0 && argc == 3) {
		struct rvisor_sandbox_kill k;

		memset(&k, 0, sizeof(k));
		k.id = need_id(argv[1]);
		k.signal = parse_signal(argv[2]);
		e = xioctl(fd, RVISOR_IOC_SANDBOX_KILL, &k, k.id);
	} else if (strcmp(verb, "destroy") == 0 && argc == 2) {
		struct rvisor_sandbox_id d;

		memset(&d, 0, sizeof(d));
		d.id = need_id(argv[1]);
		e = xioctl(fd, RVISOR_IOC_SANDBOX_DESTROY, &d, d.id);
	} else if (strcmp(verb, "destroy-all") == 0 && argc == 1) {
		__u64 *ids;
		long n = list_ids(fd, &ids);

		if (n < 0)
			return EXIT_REFUSED;
		for (long i = 0; i < n; i++) {
			struct rvisor_sandbox_id d;

			memset(&d, 0, sizeof(d));
			d.id = ids[i];
			e = xioctl(fd, RVISOR_IOC_SANDBOX_DESTROY, &d, d.id) ?: e;
		}
	} else if (strcmp(verb, "set-policy") == 0 && argc >= 2) {
		struct rvisor_sandbox_policy sp;
		int rest = parse_options(argc - 1, argv + 1, &opts, true);

		if (rest != argc - 1)
			usage_fail("set-policy: unexpected '%s'", argv[1 + rest]);
		memset(&sp, 0, sizeof(sp));
		sp.id = need_id(argv[1]);
		sp.policy = (__u64)(uintptr_t)&opts.policy;
		e = xioctl(fd, RVISOR_IOC_SANDBOX_SET_POLICY, &sp, sp.id);
	} else if (strcmp(verb, "bind") == 0 && (argc == 3 || argc == 4)) {
		struct rvisor_sandbox_bind b;
		unsigned long long pid = need_u64(argv[2], "pid");

		memset(&b, 0, sizeof(b));
		b.id = need_id(argv[1]);
		b.pid = (__s32)pid;
		if (argc == 4)
			b.flags = strcmp(argv[3], "arm-at-exec") == 0 ?
				  RVISOR_BIND_ARM_AT_EXEC : (__u32)need_u64(argv[3], "bind flags");
		e = xioctl(fd, RVISOR_IOC_SANDBOX_BIND, &b, b.id);
	} else if (strcmp(verb, "selftest") == 0 && argc == 1) {
		__u32 result = 0;

		e = selftest(fd, &result);
		if (!e)
			puts(result == RVISOR_SELFTEST_HONOURED ? "honoured" : "not_honoured");
	} else if (strcmp(verb, "mount") == 0 && argc == 3) {
		char data[64];

		snprintf(data, sizeof(data), "fd=%d,sandbox=%llu", fd, (unsigned long long)need_id(argv[1]));
		if (mount(RVISORFS_NAME, argv[2], RVISORFS_NAME, MS_RDONLY, data) < 0) {
			e = errno;
			fprintf(stderr, "rvisor-run: mount %s on %s: %s (%s)\n", RVISORFS_NAME, argv[2],
				errno_name(e), strerror(e));
		}
	} else if (strcmp(verb, "events") == 0 && argc == 1) {
		fcntl(fd, F_SETFL, O_NONBLOCK);
		if (drain_events(fd, ctl_event, NULL) < 0)
			e = EIO;
	} else {
		usage_fail("ctl: unknown verb or wrong arguments: '%s'", verb);
	}
	if (fflush(stdout) != 0)
		return EXIT_OWN;
	return e ? EXIT_REFUSED : 0;
}

int main(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "ctl") == 0) {
		/* set-policy's options are parsed with getopt from the verb's own argv. */
		return ctl(argc - 2, argv + 2);
	}
	return launcher(argc, argv);
}
