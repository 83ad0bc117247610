/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/oci-seccomp.c: a docker-like linux.seccomp compiled and run on chosen syscalls, chains
 * of hand-written programs, a docker-like profile chained with real policies' programs against
 * "the engine allows and the policy allows" for every syscall number, malformed input, base64,
 * and the chain installed by the kernel in forked children. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "base64.h"
#include "oci-seccomp.h"
#include "policy.h"
#include "bpf-run.h"
#include "source-tree.h"
#include "tap.h"

#define CLONE_NS_MASK 2114060288 /* docker's: CLONE_NEWNS|UTS|IPC|USER|PID|NET|CGROUP */

/* A docker-like profile: default ERRNO(EPERM), an allow list for x86-64, ia32 and x32, clone
 * without namespace flags (MASKED_EQ), personality for a few values (one value per entry and
 * one entry with several values on one index: any matches), clone3 ENOSYS, kill only of
 * pid 1 with signal 0 (two indices: all must match), names libseccomp does not know and
 * names x86-64 lacks (socketcall, _llseek), and each comparison once. */
static const char docker_like[] =
	"{ \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
	"  \"architectures\": [ \"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\" ],"
	"  \"flags\": [ \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\", \"SECCOMP_FILTER_FLAG_LOG\" ],"
	"  \"listenerPath\": \"\","
	"  \"syscalls\": ["
	"    { \"names\": [ \"read\", \"write\", \"readv\", \"writev\", \"pread64\", \"pwrite64\","
	"        \"open\", \"openat\", \"openat2\", \"close\", \"close_range\", \"lseek\", \"_llseek\","
	"        \"stat\", \"fstat\", \"lstat\", \"newfstatat\", \"statx\", \"statfs\", \"fstatfs\","
	"        \"access\", \"faccessat\", \"faccessat2\", \"readlink\", \"readlinkat\", \"getdents64\","
	"        \"getcwd\", \"chdir\", \"fchdir\", \"mkdir\", \"mkdirat\", \"rmdir\", \"unlink\","
	"        \"unlinkat\", \"rename\", \"renameat\", \"renameat2\", \"link\", \"linkat\","
	"        \"symlink\", \"symlinkat\", \"chmod\", \"fchmod\", \"fchmodat\", \"chown\", \"fchown\","
	"        \"fchownat\", \"umask\", \"truncate\", \"ftruncate\", \"fallocate\", \"utimensat\","
	"        \"fsync\", \"fdatasync\", \"flock\", \"fcntl\", \"dup\", \"dup2\", \"dup3\", \"pipe\","
	"        \"pipe2\", \"sendfile\", \"ioctl\", \"select\", \"pselect6\", \"poll\", \"ppoll\","
	"        \"epoll_create1\", \"epoll_ctl\", \"epoll_wait\", \"epoll_pwait\", \"eventfd2\","
	"        \"brk\", \"mmap\", \"munmap\", \"mremap\", \"mprotect\", \"madvise\", \"execve\","
	"        \"exit\", \"exit_group\", \"wait4\", \"waitid\", \"fork\", \"vfork\", \"getpid\","
	"        \"getppid\", \"gettid\", \"getpgid\", \"setpgid\", \"getsid\", \"setsid\","
	"        \"set_tid_address\", \"set_robust_list\", \"futex\", \"rseq\", \"arch_prctl\","
	"        \"sched_yield\", \"sched_getaffinity\", \"getrlimit\", \"setrlimit\", \"prlimit64\","
	"        \"getuid\", \"geteuid\", \"getgid\", \"getegid\", \"getgroups\", \"setuid\","
	"        \"setgid\", \"rt_sigaction\", \"rt_sigprocmask\", \"rt_sigreturn\", \"sigaltstack\","
	"        \"tgkill\", \"nanosleep\", \"clock_gettime\", \"clock_nanosleep\", \"gettimeofday\","
	"        \"uname\", \"getrandom\", \"socket\", \"socketpair\", \"socketcall\", \"connect\","
	"        \"bind\", \"listen\", \"accept4\", \"sendto\", \"recvfrom\", \"sendmsg\", \"recvmsg\","
	"        \"shutdown\", \"getsockname\", \"getpeername\", \"setsockopt\", \"getsockopt\","
	"        \"prctl\", \"unshare\", \"memfd_create\", \"sysinfo\", \"getpriority\","
	"        \"io_uring_setup\", \"io_uring_enter\", \"shmget\", \"no_such_syscall_rvisor\" ],"
	"      \"action\": \"SCMP_ACT_ALLOW\" },"
	"    { \"names\": [ \"personality\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\" } ] },"
	"    { \"names\": [ \"personality\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 0, \"value\": 8, \"valueTwo\": 0, \"op\": \"SCMP_CMP_EQ\" } ] },"
	"    { \"names\": [ \"personality\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 0, \"value\": 131072, \"op\": \"SCMP_CMP_EQ\" },"
	"                  { \"index\": 0, \"value\": 131080, \"op\": \"SCMP_CMP_EQ\" },"
	"                  { \"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\" } ] },"
	"    { \"names\": [ \"clone\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 0, \"value\": 2114060288, \"valueTwo\": 0,"
	"                    \"op\": \"SCMP_CMP_MASKED_EQ\" } ] },"
	"    { \"names\": [ \"clone3\" ], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38 },"
	"    { \"names\": [ \"kill\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\" },"
	"                  { \"index\": 1, \"value\": 0, \"op\": \"SCMP_CMP_EQ\" } ] },"
	"    { \"names\": [ \"getpgrp\" ], \"action\": \"SCMP_ACT_ERRNO\" },"
	"    { \"names\": [ \"reboot\" ], \"action\": \"SCMP_ACT_KILL_PROCESS\" },"
	"    { \"names\": [ \"setns\" ], \"action\": \"SCMP_ACT_TRAP\" },"
	"    { \"names\": [ \"setreuid\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_NE\" } ] },"
	"    { \"names\": [ \"setregid\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_LT\" } ] },"
	"    { \"names\": [ \"setresuid\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_LE\" } ] },"
	"    { \"names\": [ \"setresgid\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_GE\" } ] },"
	"    { \"names\": [ \"setfsuid\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_GT\" } ] },"
	"    { \"names\": [ \"setfsgid\" ], \"action\": \"SCMP_ACT_ALLOW\","
	"      \"args\": [ { \"index\": 2, \"value\": 18446744073709551615, \"op\": \"SCMP_CMP_EQ\" } ] },"
	"    { \"names\": [ \"mount\" ], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1 }"
	"  ] }";

static char tree[PATH_MAX - 64]; /* the source tree, for its fixture and policies */

static int nr_of(const char *name)
{
	return seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
}

static int nr_i386(const char *name)
{
	return seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name);
}

static bool passes(uint32_t action)
{
	uint32_t a = action & SECCOMP_RET_ACTION_FULL;

	return a == SECCOMP_RET_ALLOW || a == SECCOMP_RET_LOG;
}

static uint32_t run1(const struct sock_fprog *p, int nr, uint32_t arch, uint64_t a0, uint64_t a1,
		     uint64_t a2)
{
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1, a2 } };
	bool bad = false;
	uint32_t r = bpf_run(p, &d, &bad);

	return bad ? 0xbadbad : r;
}

#define X86_64 AUDIT_ARCH_X86_64
#define ERRNO(e) (SECCOMP_RET_ERRNO | (e))

static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	if (!o)
		printf("#   JSON does not parse: %s\n", text);
	return o;
}

static void json_putp(json_object **o)
{
	json_object_put(*o);
}

#define _cleanup_json_ _cleanup_(json_putp)

/* ---- linux.seccomp compiled --------------------------------------------------------- */

static void test_compile(void)
{
	_cleanup_json_ json_object *o = parse(docker_like);
	_cleanup_sock_fprog_ struct sock_fprog p = {};
	const char *reason = NULL;
	const uint32_t ns = CLONE_NEWNS | CLONE_NEWUSER;
	int r;

	r = oci_seccomp_compile(o, &p, &reason);
	if (!is_int(r, 0, "docker-like profile compiles")) {
		printf("#   reason: %s\n", reason ? reason : "(none)");
		return;
	}
	printf("# docker-like profile: %u instructions\n", p.len);
	is_int(run1(&p, nr_of("getpid"), X86_64, 0, 0, 0), SECCOMP_RET_ALLOW, "getpid allowed");
	is_int(run1(&p, nr_of("openat"), X86_64, 0, 0, 0), SECCOMP_RET_ALLOW, "openat allowed");
	is_int(run1(&p, nr_of("bpf"), X86_64, 0, 0, 0), ERRNO(EPERM), "bpf: the default, ERRNO(1)");
	is_int(run1(&p, nr_of("mount"), X86_64, 0, 0, 0), ERRNO(EPERM), "mount: ERRNO(1) by its rule");
	is_int(run1(&p, nr_of("getpgrp"), X86_64, 0, 0, 0), ERRNO(EPERM),
	       "SCMP_ACT_ERRNO without errnoRet is EPERM");
	is_int(run1(&p, nr_of("clone3"), X86_64, 0, 0, 0), ERRNO(ENOSYS), "clone3: errnoRet 38");
	is_int(run1(&p, nr_of("reboot"), X86_64, 0, 0, 0), SECCOMP_RET_KILL_PROCESS,
	       "SCMP_ACT_KILL_PROCESS");
	is_int(run1(&p, nr_of("setns"), X86_64, 0, 0, 0), SECCOMP_RET_TRAP, "SCMP_ACT_TRAP");
	is_int(run1(&p, nr_of("clone"), X86_64, SIGCHLD | CLONE_VM | CLONE_FILES, 0, 0),
	       SECCOMP_RET_ALLOW, "clone without namespace flags allowed (MASKED_EQ)");
	is_int(run1(&p, nr_of("clone"), X86_64, SIGCHLD | ns, 0, 0), ERRNO(EPERM),
	       "clone with CLONE_NEWNS|CLONE_NEWUSER refused");
	is_int(run1(&p, nr_of("clone"), X86_64, CLONE_NEWCGROUP, 0, 0), ERRNO(EPERM),
	       "clone with CLONE_NEWCGROUP refused");
	ok(run1(&p, nr_of("personality"), X86_64, 0, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_of("personality"), X86_64, 8, 0, 0) == SECCOMP_RET_ALLOW,
	   "personality(0) and personality(8) allowed (one entry each)");
	ok(run1(&p, nr_of("personality"), X86_64, 131072, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_of("personality"), X86_64, 131080, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_of("personality"), X86_64, 4294967295U, 0, 0) == SECCOMP_RET_ALLOW,
	   "personality: three values on index 0 in one entry, any of them allowed");
	ok(run1(&p, nr_of("personality"), X86_64, 1, 0, 0) == ERRNO(EPERM) &&
		   run1(&p, nr_of("personality"), X86_64, 131073, 0, 0) == ERRNO(EPERM),
	   "personality of other values refused");
	ok(run1(&p, nr_of("kill"), X86_64, 1, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_of("kill"), X86_64, 1, 9, 0) == ERRNO(EPERM) &&
		   run1(&p, nr_of("kill"), X86_64, 2, 0, 0) == ERRNO(EPERM),
	   "kill: two indices in one entry, both must match");
	ok(run1(&p, nr_of("setreuid"), X86_64, 4, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_of("setreuid"), X86_64, 5, 0, 0) == ERRNO(EPERM),
	   "SCMP_CMP_NE");
	ok(run1(&p, nr_of("setregid"), X86_64, 4, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_of("setregid"), X86_64, 5, 0, 0) == ERRNO(EPERM), "SCMP_CMP_LT");
	ok(run1(&p, nr_of("setresuid"), X86_64, 5, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_of("setresuid"), X86_64, 6, 0, 0) == ERRNO(EPERM), "SCMP_CMP_LE");
	ok(run1(&p, nr_of("setresgid"), X86_64, 5, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_of("setresgid"), X86_64, 4, 0, 0) == ERRNO(EPERM), "SCMP_CMP_GE");
	ok(run1(&p, nr_of("setfsuid"), X86_64, 6, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_of("setfsuid"), X86_64, 5, 0, 0) == ERRNO(EPERM), "SCMP_CMP_GT");
	ok(run1(&p, nr_of("setfsgid"), X86_64, 0, 0, UINT64_MAX) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_of("setfsgid"), X86_64, 0, 0, UINT32_MAX) == ERRNO(EPERM),
	   "a 64-bit value (2^64-1) compared whole on x86-64");
	ok(run1(&p, nr_i386("getpid"), AUDIT_ARCH_I386, 0, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_i386("_llseek"), AUDIT_ARCH_I386, 0, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_i386("socketcall"), AUDIT_ARCH_I386, 0, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, nr_i386("mount"), AUDIT_ARCH_I386, 0, 0, 0) == ERRNO(EPERM),
	   "SCMP_ARCH_X86: ia32 getpid, _llseek, socketcall allowed, mount refused");
	ok(run1(&p, __X32_SYSCALL_BIT | nr_of("getpid"), X86_64, 0, 0, 0) == SECCOMP_RET_ALLOW &&
		   run1(&p, __X32_SYSCALL_BIT | nr_of("bpf"), X86_64, 0, 0, 0) == ERRNO(EPERM),
	   "SCMP_ARCH_X32: x32 getpid allowed, bpf refused");
	is_int(run1(&p, 0, AUDIT_ARCH_AARCH64, 0, 0, 0) & SECCOMP_RET_ACTION_FULL,
	       SECCOMP_RET_KILL_THREAD, "an architecture not listed: libseccomp's KILL, as crun");

	{
		_cleanup_json_ json_object *min = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
							"\"syscalls\":[{\"names\":[\"getppid\"],"
							"\"action\":\"SCMP_ACT_LOG\"},{\"names\":[\"getpid\"],"
							"\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[],"
							"\"action\":\"SCMP_ACT_KILL\"},{\"names\":[\"gettid\"],"
							"\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":7},"
							"{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_KILL\","
							"\"args\":null}]}");
		_cleanup_sock_fprog_ struct sock_fprog q = {};

		ok(oci_seccomp_compile(min, &q, NULL) == 0 &&
			   run1(&q, nr_of("getppid"), X86_64, 0, 0, 0) == SECCOMP_RET_LOG &&
			   run1(&q, nr_of("getpid"), X86_64, 0, 0, 0) == SECCOMP_RET_ALLOW &&
			   run1(&q, nr_of("gettid"), X86_64, 0, 0, 0) == (SECCOMP_RET_TRACE | 7) &&
			   run1(&q, nr_of("mount"), X86_64, 0, 0, 0) == SECCOMP_RET_KILL_THREAD &&
			   run1(&q, nr_of("bpf"), X86_64, 0, 0, 0) == SECCOMP_RET_ALLOW,
		   "default ALLOW; LOG, TRACE(7), KILL (the thread); rule with the default action "
		   "skipped; empty names; args null");
		ok(run1(&q, nr_i386("getpid"), AUDIT_ARCH_I386, 0, 0, 0) == SECCOMP_RET_KILL_THREAD,
		   "no architectures: the native one only");
	}
	{
		_cleanup_json_ json_object *n = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
						      "\"syscalls\":[{\"names\":[\"getppid\"],"
						      "\"action\":\"SCMP_ACT_NOTIFY\"}]}");
		_cleanup_sock_fprog_ struct sock_fprog q = {};

		r = oci_seccomp_compile(n, &q, &reason);
		/* libseccomp refuses NOTIFY where the kernel lacks it (before 5.0) */
		ok(r == 0 ? run1(&q, nr_of("getppid"), X86_64, 0, 0, 0) == SECCOMP_RET_USER_NOTIF :
			    r == -EINVAL,
		   "SCMP_ACT_NOTIFY compiles to USER_NOTIF (or is refused where unsupported)");
	}
	{
		_cleanup_json_ json_object *a = parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\","
						      "\"defaultErrnoRet\":38,\"architectures\":"
						      "[\"x86\",\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_X86_64\"],"
						      "\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
						      "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
						      "\"syscalls\":[{\"names\":[\"getpid\"],"
						      "\"action\":\"SCMP_ACT_ALLOW\"}]}");
		_cleanup_sock_fprog_ struct sock_fprog q = {};

		ok(oci_seccomp_compile(a, &q, NULL) == 0 &&
			   run1(&q, nr_i386("getpid"), AUDIT_ARCH_I386, 0, 0, 0) == SECCOMP_RET_ALLOW &&
			   run1(&q, 172, AUDIT_ARCH_AARCH64, 0, 0, 0) == SECCOMP_RET_ALLOW &&
			   run1(&q, nr_of("mount"), X86_64, 0, 0, 0) == ERRNO(ENOSYS),
		   "defaultErrnoRet, lower-case and foreign architectures, known flags");
	}
}

static void check_bad(const char *json, const char *what)
{
	_cleanup_json_ json_object *o = json ? parse(json) : NULL;
	struct sock_filter sentinel[1];
	struct sock_fprog p = { .len = 77, .filter = sentinel };
	const char *reason = NULL;
	int r;

	r = oci_seccomp_compile(o, &p, &reason);
	if (!ok(r == -EINVAL && reason && p.len == 77 && p.filter == sentinel, what)) {
		printf("#   r = %d, reason %s, %u instructions\n", r, reason ? reason : "(none)", p.len);
		if (r == 0)
			oci_seccomp_prog_clear(&p);
	}
	else
		printf("#   %s\n", reason);
}

static void test_compile_errors(void)
{
	check_bad(NULL, "compile: no object (NULL) refused");
	check_bad("[]", "compile: an array refused");
	check_bad("{}", "compile: no defaultAction");
	check_bad("{\"defaultAction\":7}", "compile: defaultAction not a string");
	check_bad("{\"defaultAction\":\"SCMP_ACT_FOO\"}", "compile: unknown default action");
	check_bad("{\"defaultAction\":\"ALLOW\"}", "compile: action without SCMP_ACT_");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
		  "compile: defaultErrnoRet with ALLOW");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}",
		  "compile: negative defaultErrnoRet");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":70000}",
		  "compile: defaultErrnoRet beyond 16 bits");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":\"1\"}",
		  "compile: defaultErrnoRet a string");
	check_bad("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "compile: NOTIFY as default");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NEW\"]}",
		  "compile: unknown flag");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":\"SECCOMP_FILTER_FLAG_LOG\"}",
		  "compile: flags not an array");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
		  "compile: unknown architecture");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64_"
		  "AND_A_VERY_LONG_NAME_THAT_IS_NO_ARCHITECTURE\"]}",
		  "compile: long architecture name");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":\"x86\"}",
		  "compile: architectures not an array");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
		  "compile: syscalls not an array");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[7]}",
		  "compile: a syscalls entry not an object");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"getpid\","
		  "\"action\":\"SCMP_ACT_ERRNO\"}]}",
		  "compile: names not an array");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}",
		  "compile: names missing");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[1],"
		  "\"action\":\"SCMP_ACT_ERRNO\"}]}",
		  "compile: a name not a string");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"]}]}",
		  "compile: action missing");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_DENY\"}]}",
		  "compile: unknown action");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":1}]}",
		  "compile: errnoRet with KILL");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"no_such\"],"
		  "\"action\":\"SCMP_ACT_NOPE\"}]}",
		  "compile: an unknown action is refused even for unknown names");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":{}}]}",
		  "compile: args not an array");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[7]}]}",
		  "compile: an arg not an object");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":0,"
		  "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "compile: index 6 (> 5)");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":-1,\"value\":0,"
		  "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "compile: index -1");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "compile: index missing");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "compile: value missing");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":-5,"
		  "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "compile: negative value");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1.5,"
		  "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "compile: fractional value");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
		  "\"valueTwo\":\"x\",\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "compile: valueTwo a string");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
		  "\"op\":\"SCMP_CMP_ABOUT\"}]}]}",
		  "compile: bad op");
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1}]}]}",
		  "compile: op missing");
	/* the error after rules were added: nothing leaks (ASan) */
	check_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],"
		  "\"syscalls\":[{\"names\":[\"getpid\",\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},"
		  "{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":9,"
		  "\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "compile: a bad entry after good ones, with two architectures");
	{
		char big[8192];
		size_t n = 0;

		n += (size_t)snprintf(big + n, sizeof(big) - n, "{\"defaultAction\":\"SCMP_ACT_ALLOW\","
				      "\"syscalls\":[{\"names\":[\"ioctl\"],\"action\":\"SCMP_ACT_ERRNO\","
				      "\"args\":[");
		for (int i = 0; i < 65; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "%s{\"index\":1,\"value\":%d,"
					      "\"op\":\"SCMP_CMP_EQ\"}", i ? "," : "", i);
		snprintf(big + n, sizeof(big) - n, "]}]}");
		check_bad(big, "compile: 65 args in one entry");
	}
	{
		/* a profile that compiles to more than BPF_MAXINSNS: 2500 ioctl requests of 64
		 * bits (two comparisons each), each a separate entry */
		size_t cap = 2500 * 120 + 256, n = 0;
		_cleanup_free_ char *huge = malloc(cap);

		if (!huge) {
			ok(false, "compile: memory for a huge profile");
			return;
		}
		n += (size_t)snprintf(huge + n, cap - n, "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
				      "\"syscalls\":[");
		for (int i = 0; i < 2500; i++)
			n += (size_t)snprintf(huge + n, cap - n, "%s{\"names\":[\"ioctl\"],\"action\":"
					      "\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":1,\"value\":%llu,"
					      "\"op\":\"SCMP_CMP_EQ\"}]}", i ? "," : "",
					      (unsigned long long)i << 32 | (unsigned int)i);
		snprintf(huge + n, cap - n, "]}");
		check_bad(huge, "compile: a profile over BPF_MAXINSNS instructions");
	}
}

/* ---- Chains of hand-written programs ------------------------------------------------ */

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define RET(k) BPF_STMT(BPF_RET | BPF_K, (k))
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))

#define PROG(a) ((struct sock_fprog){ .len = ARRAY_SIZE(a), .filter = (a) })

static bool chain_of(const struct sock_fprog *progs, size_t n, struct sock_fprog *ret)
{
	const char *reason = NULL;
	int r = oci_seccomp_chain(progs, n, ret, &reason);

	if (r < 0)
		printf("#   chain: %d %s\n", r, reason ? reason : "(none)");
	return r == 0;
}

static void chain_bad(struct sock_fprog *progs, size_t n, const char *what)
{
	struct sock_filter sentinel[1];
	struct sock_fprog out = { .len = 77, .filter = sentinel };
	const char *reason = NULL;
	int r = oci_seccomp_chain(progs, n, &out, &reason);

	if (!ok(r == -EINVAL && reason && out.len == 77 && out.filter == sentinel, what)) {
		printf("#   r = %d, reason %s\n", r, reason ? reason : "(none)");
		if (r == 0)
			oci_seccomp_prog_clear(&out);
	}
	else
		printf("#   %s\n", reason);
}

static void test_chain(void)
{
	/* refuses 10 with ERRNO(1), logs 12, allows the rest */
	struct sock_filter a[] = { LD_NR, JEQ(10, 2, 0), JEQ(12, 2, 0), RET(SECCOMP_RET_ALLOW),
				   RET(ERRNO(1)), RET(SECCOMP_RET_LOG) };
	/* refuses 11 with ERRNO(2) and 10 with KILL_PROCESS, allows the rest */
	struct sock_filter b[] = { LD_NR, JEQ(11, 2, 0), JEQ(10, 2, 0), RET(SECCOMP_RET_ALLOW),
				   RET(ERRNO(2)), RET(SECCOMP_RET_KILL_PROCESS) };
	/* logs 13, refuses 14 with TRAP */
	struct sock_filter c[] = { LD_NR, JEQ(13, 1, 0), JEQ(14, 1, 2), RET(SECCOMP_RET_LOG),
				   RET(SECCOMP_RET_TRAP), RET(SECCOMP_RET_ALLOW) };
	struct sock_fprog abc[] = { PROG(a), PROG(b), PROG(c) };
	_cleanup_sock_fprog_ struct sock_fprog ch = {}, one = {};
	unsigned int wrong = 0;

	if (!ok(chain_of(abc, 3, &ch), "chain of three programs"))
		return;
	is_int(ch.len, ARRAY_SIZE(a) + ARRAY_SIZE(b) + ARRAY_SIZE(c),
	       "programs that start by loading and never use X: the sum of their lengths");
	is_int(run1(&ch, 1, X86_64, 0, 0, 0), SECCOMP_RET_ALLOW, "allowed by all: ALLOW");
	is_int(run1(&ch, 10, X86_64, 0, 0, 0), ERRNO(1),
	       "refused by the first (ERRNO) and second (KILL): the first one's answer");
	is_int(run1(&ch, 11, X86_64, 0, 0, 0), ERRNO(2), "refused by the second only: its answer");
	is_int(run1(&ch, 12, X86_64, 0, 0, 0), SECCOMP_RET_ALLOW,
	       "LOG of an earlier program goes on; the others allow: ALLOW");
	is_int(run1(&ch, 13, X86_64, 0, 0, 0), SECCOMP_RET_LOG, "LOG of the last program stays");
	is_int(run1(&ch, 14, X86_64, 0, 0, 0), SECCOMP_RET_TRAP, "TRAP of the last stays");
	for (int nr = 0; nr < 64; nr++) {
		struct seccomp_data d = { .nr = nr, .arch = X86_64 };
		bool bad = false;

		if (bpf_run(&ch, &d, &bad) != bpf_run_sequence(abc, 3, &d, &bad) || bad)
			wrong++;
	}
	is_int(wrong, 0, "numbers 0..63: the chain answers the first refusal, else the last answer");
	ok(chain_of(abc, 1, &one) && one.len == ARRAY_SIZE(a) && memcmp(one.filter, a, sizeof(a)) == 0,
	   "a chain of one program is that program");

	{
		/* relies on the kernel's A = 0 and X = 0: allows when A == 0 and then X == 0 */
		struct sock_filter z[] = { JEQ(0, 0, 3), BPF_STMT(BPF_MISC | BPF_TXA, 0),
					   JEQ(0, 0, 1), RET(SECCOMP_RET_ALLOW), RET(ERRNO(5)) };
		/* sets X = 7 before loading nr, so that A and X are dirty after it */
		struct sock_filter dirty[] = { BPF_STMT(BPF_LDX | BPF_IMM, 7), LD_NR,
					       RET(SECCOMP_RET_ALLOW) };
		/* compares nr with X: refuses nr == X (0 for the kernel) */
		struct sock_filter usex[] = { LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
					      RET(ERRNO(6)), RET(SECCOMP_RET_ALLOW) };
		struct sock_fprog p1[] = { PROG(dirty), PROG(z) }, p2[] = { PROG(dirty), PROG(usex) };
		_cleanup_sock_fprog_ struct sock_fprog c1 = {}, c2 = {};

		ok(chain_of(p1, 2, &c1) && c1.len == ARRAY_SIZE(dirty) + ARRAY_SIZE(z) + 2 &&
			   run1(&c1, 3, X86_64, 0, 0, 0) == SECCOMP_RET_ALLOW,
		   "a program that reads A and X first gets A = 0, X = 0 in front");
		ok(chain_of(p2, 2, &c2) && c2.len == ARRAY_SIZE(dirty) + ARRAY_SIZE(usex) + 1 &&
			   run1(&c2, 0, X86_64, 0, 0, 0) == ERRNO(6) &&
			   run1(&c2, 7, X86_64, 0, 0, 0) == SECCOMP_RET_ALLOW,
		   "a program that loads first but reads X gets X = 0 only");
	}

	{
		struct sock_filter ret_a[] = { LD_NR, BPF_STMT(BPF_RET | BPF_A, 0) };
		struct sock_filter ret_x[] = { LD_NR, BPF_STMT(BPF_RET | BPF_X, 0) };
		struct sock_filter ja_out[] = { LD_NR, BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
						RET(SECCOMP_RET_ALLOW) };
		struct sock_filter jt_out[] = { LD_NR, JEQ(1, 1, 0), RET(SECCOMP_RET_ALLOW) };
		struct sock_filter jf_out[] = { LD_NR, JEQ(1, 0, 5), RET(SECCOMP_RET_ALLOW) };
		struct sock_filter falls[] = { LD_NR, JEQ(1, 0, 1), RET(SECCOMP_RET_ALLOW),
					       BPF_STMT(BPF_LD | BPF_IMM, 0) };
		struct sock_filter trace[] = { LD_NR, JEQ(1, 0, 1), RET(SECCOMP_RET_TRACE | 3),
					       RET(SECCOMP_RET_ALLOW) };
		struct sock_filter notif[] = { LD_NR, JEQ(1, 0, 1), RET(SECCOMP_RET_USER_NOTIF),
					       RET(SECCOMP_RET_ALLOW) };
		struct sock_filter ld_b[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), RET(SECCOMP_RET_ALLOW) };
		struct sock_filter ld_far[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), RET(SECCOMP_RET_ALLOW) };
		struct sock_filter ld_odd[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), RET(SECCOMP_RET_ALLOW) };
		struct sock_filter mem[] = { LD_NR, BPF_STMT(BPF_ST, 16), RET(SECCOMP_RET_ALLOW) };
		struct sock_filter div0[] = { LD_NR, BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
					      RET(SECCOMP_RET_ALLOW) };
		struct sock_filter shift[] = { LD_NR, BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32),
					       RET(SECCOMP_RET_ALLOW) };
		/* loads M[2], stored on one path only */
		struct sock_filter unstored[] = { LD_NR, JEQ(1, 0, 1), BPF_STMT(BPF_ST, 2),
						  BPF_STMT(BPF_LD | BPF_MEM, 2), RET(SECCOMP_RET_ALLOW) };
		struct sock_fprog pairs[][2] = {
			{ PROG(ret_a), PROG(b) }, { PROG(b), PROG(ret_x) }, { PROG(ja_out), PROG(b) },
			{ PROG(jt_out), PROG(b) }, { PROG(jf_out), PROG(b) }, { PROG(falls), PROG(b) },
			{ PROG(trace), PROG(b) }, { PROG(notif), PROG(b) }, { PROG(ld_b), PROG(b) },
			{ PROG(ld_far), PROG(b) }, { PROG(ld_odd), PROG(b) }, { PROG(mem), PROG(b) },
			{ PROG(div0), PROG(b) }, { PROG(b), PROG(shift) }, { PROG(b), PROG(unstored) },
			{ { .len = 0, .filter = a }, PROG(b) },
			{ { .len = 3, .filter = NULL }, PROG(b) },
		};
		static const char *const names[] = {
			"chain: RET A refused", "chain: RET X refused",
			"chain: JA beyond the program's end refused",
			"chain: a true branch beyond the end refused",
			"chain: a false branch beyond the end refused",
			"chain: a program that can fall off its end refused",
			"chain: TRACE in a program that is not the last refused",
			"chain: USER_NOTIF in a program that is not the last refused",
			"chain: an instruction seccomp refuses (LD B ABS)",
			"chain: a load beyond struct seccomp_data",
			"chain: an unaligned load",
			"chain: scratch memory beyond BPF_MEMWORDS",
			"chain: division by constant zero",
			"chain: a shift by 32",
			"chain: a scratch word loaded where it may not have been stored",
			"chain: an empty program",
			"chain: a program without instructions",
		};
		/* stores M[2] on both paths, then loads it */
		struct sock_filter stored[] = { LD_NR, JEQ(1, 0, 2), BPF_STMT(BPF_ST, 2),
						BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0), BPF_STMT(BPF_ST, 2),
						BPF_STMT(BPF_LD | BPF_MEM, 2), JEQ(1, 0, 1),
						RET(ERRNO(8)), RET(SECCOMP_RET_ALLOW) };
		struct sock_fprog with_mem[] = { PROG(b), PROG(stored) };
		_cleanup_sock_fprog_ struct sock_fprog cm = {};
		struct sock_fprog last_trace[] = { PROG(b), PROG(trace) };
		_cleanup_sock_fprog_ struct sock_fprog ct = {};

		for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
			chain_bad(pairs[i], 2, names[i]);
		chain_bad(abc, 0, "chain: no program");
		ok(chain_of(last_trace, 2, &ct) && run1(&ct, 1, X86_64, 0, 0, 0) == (SECCOMP_RET_TRACE | 3),
		   "chain: TRACE in the last program is kept");
		ok(chain_of(with_mem, 2, &cm) && run1(&cm, 1, X86_64, 0, 0, 0) == ERRNO(8) &&
			   run1(&cm, 2, X86_64, 0, 0, 0) == SECCOMP_RET_ALLOW,
		   "chain: scratch memory stored on every path before it is loaded is fine");
	}
	{
		_cleanup_free_ struct sock_filter *big = calloc(BPF_MAXINSNS + 1, sizeof(*big));
		struct sock_fprog two[2];

		if (!big) {
			ok(false, "chain: memory");
			return;
		}
		for (unsigned int i = 0; i <= BPF_MAXINSNS; i++)
			big[i] = (struct sock_filter)LD_NR;
		big[2047] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
		big[BPF_MAXINSNS] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
		two[0] = (struct sock_fprog){ .len = 2048, .filter = big };
		two[1] = (struct sock_fprog){ .len = 2049, .filter = big + BPF_MAXINSNS + 1 - 2049 };
		chain_bad(two, 2, "chain: 2048 + 2049 instructions, over BPF_MAXINSNS");
		two[1].len = 2048;
		two[1].filter = big + BPF_MAXINSNS + 1 - 2048;
		{
			_cleanup_sock_fprog_ struct sock_fprog full = {};

			ok(chain_of(two, 2, &full) && full.len == BPF_MAXINSNS,
			   "chain: 2048 + 2048 instructions, exactly BPF_MAXINSNS");
		}
		two[0] = (struct sock_fprog){ .len = BPF_MAXINSNS + 1, .filter = big };
		chain_bad(two, 1, "chain: one program of BPF_MAXINSNS + 1");
	}
}

/* ---- base64 ------------------------------------------------------------------------- */

static void test_base64(void)
{
	static const struct {
		const char *plain, *b64;
	} vectors[] = { /* RFC 4648, section 10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *const bad[] = { "Zg=", "Zg", "Z===", "Zm9v!A==", "Zm9v YQ==", "Zm=v",
					   "=Zm9", "Zg==Zg==", "Zm9\n", "Zm9vYmFy=" };
	struct sock_filter prog[] = { LD_NR, JEQ(1, 0, 1), RET(ERRNO(3)), RET(SECCOMP_RET_ALLOW) };
	struct sock_fprog p = PROG(prog);
	bool all = true;

	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
		_cleanup_free_ char *enc = NULL;
		_cleanup_free_ void *dec = NULL;
		size_t size = 0;

		if (base64_encode(vectors[i].plain, strlen(vectors[i].plain), &enc) < 0 ||
		    strcmp(enc, vectors[i].b64) != 0 || base64_decode(vectors[i].b64, &dec, &size) < 0 ||
		    size != strlen(vectors[i].plain) || memcmp(dec, vectors[i].plain, size) != 0) {
			printf("#   vector \"%s\" fails\n", vectors[i].plain);
			all = false;
		}
	}
	ok(all, "base64: RFC 4648's vectors both ways");
	all = true;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		void *dec = NULL;
		size_t size = 0;

		if (base64_decode(bad[i], &dec, &size) != -EINVAL) {
			printf("#   \"%s\" decodes\n", bad[i]);
			free(dec);
			all = false;
		}
	}
	ok(all, "base64: bad characters, whitespace, short or misplaced padding refused");
	all = true;
	for (unsigned int len = 0; len < 300; len++) {
		unsigned char buf[300];
		_cleanup_free_ char *enc = NULL;
		_cleanup_free_ void *dec = NULL;
		size_t size = 0;

		for (unsigned int i = 0; i < len; i++)
			buf[i] = (unsigned char)(i * 37 + len);
		if (base64_encode(buf, len, &enc) < 0 || strlen(enc) != (len + 2) / 3 * 4 ||
		    base64_decode(enc, &dec, &size) < 0 || size != len || memcmp(dec, buf, len) != 0)
			all = false;
	}
	ok(all, "base64: every length 0..299 of all byte values round trips");

	{
		_cleanup_free_ char *text = NULL;
		_cleanup_sock_fprog_ struct sock_fprog back = {};
		struct sock_fprog untouched = { .len = 9, .filter = NULL };
		const char *reason = NULL;

		ok(oci_seccomp_to_base64(&p, &text) == 0 &&
			   oci_seccomp_from_base64(text, &back, NULL) == 0 && back.len == p.len &&
			   memcmp(back.filter, prog, sizeof(prog)) == 0,
		   "a program round trips through base64");
		ok(oci_seccomp_from_base64("Zm9vYmFy", &untouched, &reason) == -EINVAL && reason &&
			   untouched.len == 9,
		   "base64 of 6 bytes: no whole instruction, refused");
		ok(oci_seccomp_from_base64("", &untouched, &reason) == -EINVAL && untouched.len == 9,
		   "empty base64: no program, refused");
		ok(oci_seccomp_from_base64("AAAAAAAAAA!=", &untouched, &reason) == -EINVAL &&
			   untouched.len == 9,
		   "a bad character in a program's base64 refused");
	}
	{
		size_t size = (BPF_MAXINSNS + 1) * sizeof(struct sock_filter);
		_cleanup_free_ void *zeros = calloc(1, size);
		_cleanup_free_ char *text = NULL;
		struct sock_fprog untouched = { .len = 9, .filter = NULL };
		const char *reason = NULL;

		ok(zeros && base64_encode(zeros, size, &text) == 0 &&
			   oci_seccomp_from_base64(text, &untouched, &reason) == -EINVAL &&
			   untouched.len == 9,
		   "base64 of BPF_MAXINSNS + 1 instructions refused");
	}
}

/* ---- A docker-like profile chained with real policies ------------------------------- */

/* Argument values worth trying: zero, the ruled ones of the policy and of the profile. */
static size_t probe_values(const struct rvisor_policy *p, int nr, uint64_t v[300])
{
	size_t n = 0;

	v[n++] = 0;
	v[n++] = 0xffffffff00000000ULL;
	if (nr == __NR_ioctl || nr == __NR_prctl) {
		const uint32_t *list = nr == __NR_ioctl ? p->ioctls : p->prctls;
		uint32_t count = nr == __NR_ioctl ? p->nr_ioctls : p->nr_prctls;

		for (uint32_t i = 0; i < count && n < 280; i++) {
			v[n++] = list[i];
			v[n++] = list[i] + 1;
		}
		v[n++] = TCGETS;
		v[n++] = TIOCSTI;
		v[n++] = PR_SET_NAME;
	} else if (nr == __NR_socket || nr == __NR_socketpair) {
		for (uint64_t f = 0; f <= 45; f++)
			v[n++] = f;
	} else if (nr == __NR_clone || nr == __NR_unshare || nr == __NR_clone3) {
		for (int bit = 0; bit < 64; bit++)
			v[n++] = 1ULL << bit;
		v[n++] = SIGCHLD | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
	} else if (nr == __NR_personality) {
		static const uint64_t pers[] = { 8, 131072, 131080, 4294967295U, 1 };

		for (size_t i = 0; i < ARRAY_SIZE(pers); i++)
			v[n++] = pers[i];
	} else if (nr == __NR_kill) {
		v[n++] = 1;
	}
	return n;
}

/* Every syscall number 0..511 and a few beyond, on x86-64, ia32 and x32 numbers, with zeroed
 * arguments and the ruled ones in args[0] and args[1]: the chain [engine, policy...] answers
 * the engine's refusal where the engine refuses, else the policy's answer run program by
 * program; and it lets a call through exactly when the engine allows it and the policy's
 * programs, stacked as the kernel would stack them, allow it. */
static bool chain_agrees(const struct sock_fprog *engine, const struct rvisor_policy *p,
			 const char *what)
{
	static const int extra[] = { 512, 547, 1000, -1, __X32_SYSCALL_BIT | 39, __X32_SYSCALL_BIT | 0 };
	static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386 };
	_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
	_cleanup_sock_fprog_ struct sock_fprog ch = {};
	struct sock_fprog all[1 + ARRAY_SIZE(((struct policy_seccomp *)0)->progs)];
	unsigned int checked = 0, wrong = 0, allowed = 0, engine_refused = 0, policy_refused = 0;
	bool bad = false;

	if (policy_seccomp_compile(p, 0, &f) < 0) {
		printf("#   %s: policy_seccomp_compile failed\n", what);
		return false;
	}
	all[0] = *engine;
	for (unsigned int i = 0; i < f->n; i++)
		all[1 + i] = f->progs[i];
	if (!chain_of(all, 1 + f->n, &ch))
		return false;
	printf("# %s: engine %u + policy %u%s%u = %u instructions\n", what, engine->len,
	       f->progs[0].len, f->n > 1 ? " + " : "", f->n > 1 ? (unsigned int)f->progs[1].len : 0U, ch.len);

	for (size_t ai = 0; ai < ARRAY_SIZE(arches); ai++)
		for (int i = 0; i < 512 + (int)ARRAY_SIZE(extra); i++) {
			int nr = i < 512 ? i : extra[i - 512];
			uint64_t values[300];
			size_t nv = probe_values(p, nr, values);

			for (size_t vi = 0; vi < nv; vi++)
				for (unsigned int argi = 0; argi < 2; argi++) {
					struct seccomp_data d = { .nr = nr, .arch = arches[ai] };
					uint32_t got, eng, pol_seq, pol_stacked, want;

					d.args[argi] = values[vi];
					got = bpf_run(&ch, &d, &bad);
					eng = bpf_run(engine, &d, &bad);
					pol_seq = bpf_run_sequence(f->progs, f->n, &d, &bad);
					pol_stacked = bpf_run_stacked(f->progs, f->n, &d, &bad);
					want = passes(eng) ? pol_seq : eng;
					checked++;
					allowed += passes(got);
					engine_refused += !passes(eng);
					policy_refused += passes(eng) && !passes(pol_stacked);
					if (got == want && passes(got) == (passes(eng) && passes(pol_stacked)))
						continue;
					if (wrong++ < 5)
						printf("#   %s: nr %d arch 0x%x arg%u=0x%llx: chain 0x%08x, "
						       "engine 0x%08x, policy 0x%08x (stacked 0x%08x)\n",
						       what, nr, d.arch, argi, (unsigned long long)values[vi],
						       got, eng, pol_seq, pol_stacked);
				}
		}
	printf("# %s: %u cases: %u allowed, %u refused by the engine, %u by the policy\n", what,
	       checked, allowed, engine_refused, policy_refused);
	if (bad)
		printf("#   %s: a program holds what the kernel refuses\n", what);
	if (wrong)
		printf("#   %s: %u cases differ\n", what, wrong);
	return !bad && wrong == 0 && allowed > 0 && engine_refused > 0 && policy_refused > 0;
}

/* The kernel caches a syscall for the chain exactly when it would for the programs stacked;
 * the hot ones among them. */
static bool cache_agrees(const struct sock_fprog *engine, const struct rvisor_policy *p,
			 const char *what)
{
	static const char *const hot[] = { "read", "write", "openat", "close", "getpid", "futex",
					   "mmap", "newfstatat" };
	_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
	_cleanup_sock_fprog_ struct sock_fprog ch = {};
	struct sock_fprog all[1 + ARRAY_SIZE(((struct policy_seccomp *)0)->progs)];
	unsigned int wrong = 0, n_cached = 0;

	if (policy_seccomp_compile(p, 0, &f) < 0)
		return false;
	all[0] = *engine;
	for (unsigned int i = 0; i < f->n; i++)
		all[1 + i] = f->progs[i];
	if (!chain_of(all, 1 + f->n, &ch))
		return false;
	for (int nr = 0; nr < 512; nr++) {
		bool want = true;

		for (unsigned int i = 0; i < 1 + f->n; i++)
			want = want && bpf_const_allow(&all[i], nr);
		n_cached += want;
		if (bpf_const_allow(&ch, nr) != want && wrong++ < 5)
			printf("#   %s: syscall %d: chain cached %d, stacked %d\n", what, nr, !want, want);
	}
	for (size_t i = 0; i < ARRAY_SIZE(hot); i++)
		if (!bpf_const_allow(&ch, nr_of(hot[i]))) {
			printf("#   %s: %s not cached\n", what, hot[i]);
			wrong++;
		}
	printf("# %s: %u syscalls cached\n", what, n_cached);
	return wrong == 0 && n_cached > 0;
}

static void test_chain_policies(void)
{
	_cleanup_json_ json_object *o = parse(docker_like);
	_cleanup_sock_fprog_ struct sock_fprog engine = {};
	_cleanup_policy_ struct rvisor_policy_config *def = NULL, *small = NULL;
	char dir[PATH_MAX + 32], path[PATH_MAX + 32];

	snprintf(dir, sizeof(dir), "%s/etc/rvisor/policies", tree);
	snprintf(path, sizeof(path), "%s/tests/unit/policies/seccomp.conf", tree);
	if (!ok(oci_seccomp_compile(o, &engine, NULL) == 0 &&
			policy_load(dir, "default", &def, NULL) == 0 &&
			policy_load_file(path, &small, NULL) == 0,
		"docker-like profile compiles, default.conf and seccomp.conf load"))
		return;
	ok(chain_agrees(&engine, &def->kernel, "default.conf"),
	   "docker-like + default.conf: the chain refuses as the engine, else answers as the policy; "
	   "allows exactly what both allow");
	ok(chain_agrees(&engine, &small->kernel, "seccomp.conf"),
	   "docker-like + seccomp.conf (argument and main filter): the same");
	ok(cache_agrees(&engine, &def->kernel, "default.conf"),
	   "docker-like + default.conf: the kernel caches what it would cache for the programs "
	   "stacked (read, write, openat, getpid, ... among them)");
}

/* ---- oci_seccomp_annotation() and the kernel ---------------------------------------- */

static char sentinel_text[] = "untouched";

static int expect_fail(long r, int error)
{
	return r == -1 && errno == error;
}

/* Under docker-like + seccomp.conf: each check its own exit code. */
static int body_chained(void)
{
	char name[17] = "";
	int fd;

	if (getpid() <= 0)
		return 10;
	if (!expect_fail(mount("none", "/", "tmpfs", 0, NULL), EPERM))
		return 11; /* the engine's rule */
	if (!expect_fail(syscall(SYS_bpf, 0, NULL, 0), EPERM))
		return 12; /* the engine's default; the policy passes it */
	if (!expect_fail(mkdir("/nonexistent-rvisor-dir", 0700), EACCES))
		return 13; /* the engine allows, the policy denies with EACCES */
	if (!expect_fail(socket(AF_INET, SOCK_STREAM, 0), EPERM))
		return 14; /* the policy's argument filter */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 15;
	close(fd);
	if (prctl(PR_GET_NAME, name, 0, 0, 0) < 0)
		return 16;
	if (!expect_fail(syscall(SYS_clone3, NULL, 0), ENOSYS))
		return 17; /* both: the engine's ENOSYS first */
	if (!expect_fail(syscall(SYS_personality, 1UL), EPERM))
		return 18;
	if (syscall(SYS_personality, 0xffffffffUL) < 0)
		return 19;
	return 0;
}

static int body_kill(void)
{
	(void)getppid(); /* seccomp.conf kills it; the engine allows it */
	return 30;
}

static int in_child(const char *b64, int (*body)(void))
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		_cleanup_sock_fprog_ struct sock_fprog prog = {};
		struct rlimit no_core = { 0, 0 };

		(void)setrlimit(RLIMIT_CORE, &no_core);
		if (oci_seccomp_from_base64(b64, &prog, NULL) < 0)
			_exit(89);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(90);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
			fprintf(stderr, "seccomp: %s\n", strerror(errno));
			_exit(91);
		}
		_exit(body());
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void test_annotation(void)
{
	_cleanup_json_ json_object *o = parse(docker_like);
	_cleanup_policy_ struct rvisor_policy_config *small = NULL;
	_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
	_cleanup_sock_fprog_ struct sock_fprog engine = {}, decoded = {};
	_cleanup_free_ char *policy0 = NULL, *policy1 = NULL, *policy2 = NULL, *engine_b64 = NULL, *out = NULL,
			    *out2 = NULL, *out3 = NULL;
	char path[PATH_MAX + 32];
	const char *reason = NULL;
	int status;

	snprintf(path, sizeof(path), "%s/tests/unit/policies/seccomp.conf", tree);
	if (!ok(policy_load_file(path, &small, NULL) == 0 &&
			policy_seccomp_compile(&small->kernel, 0, &f) == 0 && f->n == 3 &&
			oci_seccomp_to_base64(&f->progs[0], &policy0) == 0 &&
			oci_seccomp_to_base64(&f->progs[1], &policy1) == 0 &&
			oci_seccomp_to_base64(&f->progs[2], &policy2) == 0 &&
			oci_seccomp_compile(o, &engine, NULL) == 0 &&
			oci_seccomp_to_base64(&engine, &engine_b64) == 0,
		"annotation: seccomp.conf's programs and the profile as base64"))
		return;
	{
		const char *const policy[] = { policy0, policy1, policy2 };
		_cleanup_sock_fprog_ struct sock_fprog direct = {};
		struct sock_fprog all[] = { engine, f->progs[0], f->progs[1], f->progs[2] };
		int r;

		r = oci_seccomp_annotation(o, NULL, policy, 3, &out, &reason);
		if (!is_int(r, 0, "annotation from linux.seccomp and three policy programs"))
			printf("#   %s\n", reason ? reason : "(none)");
		ok(out && oci_seccomp_from_base64(out, &decoded, NULL) == 0 &&
			   chain_of(all, 4, &direct) && decoded.len == direct.len &&
			   memcmp(decoded.filter, direct.filter, direct.len * sizeof(*direct.filter)) == 0,
		   "annotation: the engine's program, then the policy's, chained");
		ok(oci_seccomp_annotation(NULL, engine_b64, policy, 3, &out2, NULL) == 0 && out &&
			   strcmp(out, out2) == 0,
		   "annotation: an existing run.oci.seccomp_bpf_data stands for the engine's program");
		{
			_cleanup_free_ char *x = NULL;
			_cleanup_json_ json_object *broken = parse("{\"defaultAction\":\"SCMP_ACT_NONE\"}");

			ok(oci_seccomp_annotation(broken, engine_b64, policy, 3, &x, NULL) == 0 && x &&
				   strcmp(x, out) == 0,
			   "annotation: with the annotation, linux.seccomp is not read (as crun)");
		}
		{
			_cleanup_sock_fprog_ struct sock_fprog only = {}, d3 = {};

			ok(oci_seccomp_annotation(NULL, NULL, policy, 3, &out3, NULL) == 0 &&
				   oci_seccomp_from_base64(out3, &d3, NULL) == 0 &&
				   chain_of(f->progs, 3, &only) && d3.len == only.len &&
				   memcmp(d3.filter, only.filter, only.len * sizeof(*only.filter)) == 0,
			   "annotation: no engine profile, the policy's programs alone");
		}
		{
			char *x = sentinel_text;
			_cleanup_json_ json_object *bad = parse("{\"defaultAction\":\"SCMP_ACT_NONE\"}");
			const char *bad_policy[] = { policy0, "!!!!" };

			reason = NULL;
			ok(oci_seccomp_annotation(bad, NULL, policy, 3, &x, &reason) == -EINVAL && reason &&
				   x == sentinel_text,
			   "annotation: a bad linux.seccomp refused");
			reason = NULL;
			ok(oci_seccomp_annotation(NULL, "AAAA", policy, 3, &x, &reason) == -EINVAL &&
				   reason && x == sentinel_text,
			   "annotation: an engine program that is no whole instruction refused");
			reason = NULL;
			ok(oci_seccomp_annotation(o, NULL, bad_policy, 2, &x, &reason) == -EINVAL &&
				   reason && x == sentinel_text,
			   "annotation: a policy program that is no base64 refused");
			reason = NULL;
			ok(oci_seccomp_annotation(NULL, NULL, NULL, 0, &x, &reason) == -EINVAL && reason &&
				   x == sentinel_text,
			   "annotation: nothing to chain refused");
		}
		{
			/* an engine program returning its computed A: fail closed */
			struct sock_filter ret_a[] = { LD_NR, BPF_STMT(BPF_RET | BPF_A, 0) };
			struct sock_fprog ra = PROG(ret_a);
			_cleanup_free_ char *ra_b64 = NULL;
			char *x = sentinel_text;

			reason = NULL;
			ok(oci_seccomp_to_base64(&ra, &ra_b64) == 0 &&
				   oci_seccomp_annotation(NULL, ra_b64, policy, 3, &x, &reason) == -EINVAL &&
				   reason && x == sentinel_text,
			   "annotation: an engine program with RET A refused");
		}
	}

	/* the kernel accepts the chain and enforces both */
	status = in_child(out, body_chained);
	if (!ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"kernel: getpid works, mount and bpf EPERM (engine), mkdir EACCES and AF_INET EPERM "
		"(policy), AF_UNIX and PR_GET_NAME work, clone3 ENOSYS, personality by value"))
		printf("#   wait status 0x%x (exit code = failed check)\n", (unsigned int)status);
	status = in_child(out, body_kill);
	if (!ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		"kernel: getppid, allowed by the engine, killed by the policy (SIGSYS)"))
		printf("#   wait status 0x%x\n", (unsigned int)status);
}

int main(void)
{
	if (!ok(source_tree_find("tests/unit/policies/seccomp.conf", R_OK, tree, sizeof(tree)),
		"fixtures found (else set RVISOR_SOURCE_DIR to the source tree)"))
		return tap_done();

	test_compile();
	test_compile_errors();
	test_chain();
	test_base64();
	test_chain_policies();
	test_annotation();
	return tap_done();
}
