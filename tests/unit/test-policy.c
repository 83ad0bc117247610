/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/policy*.c: the shipped default.conf, every error class of a policy file with its line,
 * names and listing, the compiled kernel struct, JSON, and the seccomp filter enforced in
 * forked children. Fixtures live in tests/unit/policies/. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
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
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "policy-names.h"
#include "policy.h"
#include "bpf-run.h"
#include "source-tree.h"
#include "tap.h"

static char tree[PATH_MAX - 64]; /* the source tree, for its fixtures and policies */
static char tmpdir[] = "/tmp/rvisor-test-policy-XXXXXX";

static const char *fixture(const char *name)
{
	static char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/tests/unit/policies/%s", tree, name);
	return p;
}

static const char *policies_dir(void)
{
	static char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/etc/rvisor/policies", tree);
	return p;
}

static const char *write_tmp(const char *name, const char *content)
{
	static char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	f = fopen(p, "we");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
	return p;
}

static struct rvisor_policy_config sentinel_storage;
#define SENTINEL (&sentinel_storage)

/* Loads path expecting -EINVAL with "PATH:LINE: ...needle...", ret untouched. */
static void check_error(const char *path, unsigned int line, const char *needle, const char *what)
{
	struct rvisor_policy_config *c = SENTINEL;
	_cleanup_free_ char *err = NULL;
	char prefix[PATH_MAX + 32], name[256];
	bool good;
	int r;

	r = policy_load_file(path, &c, &err);
	snprintf(name, sizeof(name), "%s: -EINVAL", what);
	is_int(r, -EINVAL, name);
	snprintf(name, sizeof(name), "%s: output untouched", what);
	ok(c == SENTINEL, name);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	good = err && strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, needle);
	snprintf(name, sizeof(name), "%s: \"FILE:%u: ...%s\"", what, line, needle);
	if (!ok(good, name))
		printf("#   got \"%s\"\n", err ? err : "(null)");
	if (c != SENTINEL)
		policy_free(c);
}

static const struct rvisor_syscall_rule *rule(const struct rvisor_policy_config *c,
					      const char *name)
{
	static const struct rvisor_syscall_rule none = { 0xffff, 0xffff };
	int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);

	return nr >= 0 && nr < RVISOR_NR_SYSCALLS ? &c->kernel.syscalls[nr] : &none;
}

static bool rule_is(const struct rvisor_policy_config *c, const char *name, unsigned int action,
		    unsigned int error)
{
	const struct rvisor_syscall_rule *r = rule(c, name);

	return r->action == action && r->error == error;
}

static void test_default_conf(void)
{
	_cleanup_policy_ struct rvisor_policy_config *c = NULL;
	_cleanup_free_ char *err = NULL;
	static const char *const passes[] = { "read", "write", "openat", "close", "execve",
					      "exit_group", "mmap", "clone", "wait4", "pipe2",
					      "rt_sigaction", "socket", "ioctl", "getdents64" };
	static const char *const refused[] = { "mount", "umount2", "pivot_root", "ptrace", "bpf",
					       "perf_event_open", "kexec_load", "kexec_file_load",
					       "init_module", "finit_module", "delete_module",
					       "keyctl", "add_key", "request_key", "io_uring_setup",
					       "io_uring_enter", "io_uring_register", "userfaultfd",
					       "open_by_handle_at", "name_to_handle_at", "swapon",
					       "swapoff", "reboot", "setns" };
	bool all;
	int r;

	r = policy_load(policies_dir(), "default", &c, &err);
	if (!is_int(r, 0, "default.conf loads"))
		printf("#   %s\n", err ? err : strerror(-r));
	if (r < 0)
		return;
	is_str(c->name, "default", "its name");
	is_int(c->memory_max, 512ULL << 20, "memory 512M");
	is_int(c->pids_max, 1024, "pids 1024");
	ok(c->cpus_milli == 0 && !c->has_cpuset, "no CPU limit, any CPU");
	is_int(c->network, POLICY_NETWORK_NONE, "network none");
	is_str(c->hostname, "sandbox", "hostname sandbox");
	is_int(c->kernel_layer, POLICY_KERNEL_LAYER_PREFERRED, "kernel_layer preferred");
	is_int(c->layers, POLICY_LAYERS_BOTH, "layers both: the gate and the seccomp filter");
	ok(!c->has_user, "no default user");
	is_int(c->storage_max, 256ULL << 20, "storage 256M");
	is_int(c->userns, POLICY_USERNS_AUTO, "userns auto");
	is_int(c->capabilities, POLICY_CAPS_DEFAULT, "capabilities: docker's default set, on two lines");
	is_int(policy_kernel_validate(&c->kernel), 0, "the compiled policy passes the module's checks");
	ok(c->kernel.default_action == RVISOR_ACTION_DENY && c->kernel.default_errno == ENOSYS,
	   "default deny:ENOSYS");

	all = true;
	for (size_t i = 0; i < ARRAY_SIZE(passes); i++)
		if (!rule_is(c, passes[i], RVISOR_ACTION_PASS, 0)) {
			printf("#   %s does not pass\n", passes[i]);
			all = false;
		}
	ok(all, "read, write, execve, exit_group, ... pass");
	all = true;
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (!rule_is(c, refused[i], RVISOR_ACTION_DENY, EPERM)) {
			printf("#   %s is not deny:EPERM\n", refused[i]);
			all = false;
		}
	ok(all, "mount, ptrace, bpf, kexec, modules, keys, io_uring, ... deny:EPERM");
	ok(rule_is(c, "clone3", RVISOR_ACTION_DENY, ENOSYS), "clone3 deny:ENOSYS");
	ok(rule_is(c, "uname", RVISOR_ACTION_EMULATE, 0) &&
		   rule_is(c, "sethostname", RVISOR_ACTION_EMULATE, 0) &&
		   rule_is(c, "setdomainname", RVISOR_ACTION_EMULATE, 0) &&
		   rule_is(c, "sysinfo", RVISOR_ACTION_EMULATE, 0) &&
		   rule_is(c, "sched_getaffinity", RVISOR_ACTION_EMULATE, 0),
	   "uname, sethostname, setdomainname, sysinfo, sched_getaffinity emulated (ABI 6)");
	ok(rule(c, "ptrace")->action != RVISOR_ACTION_PASS, "ptrace not PASS");
	ok(rule_is(c, "migrate_pages", RVISOR_ACTION_DENY, ENOSYS), "an unlisted syscall gets the default");
	ok(rule_is(c, "shmget", RVISOR_ACTION_PASS, 0) && rule_is(c, "mq_open", RVISOR_ACTION_PASS, 0) &&
		   rule_is(c, "io_setup", RVISOR_ACTION_PASS, 0) &&
		   rule_is(c, "landlock_restrict_self", RVISOR_ACTION_PASS, 0) &&
		   rule_is(c, "personality", RVISOR_ACTION_PASS, 0),
	   "SysV IPC, mqueues, AIO, landlock, personality pass");
	is_int(c->kernel.flags, RVISOR_POLICY_FILTER_IOCTL | RVISOR_POLICY_FILTER_SOCKET |
					RVISOR_POLICY_FILTER_PRCTL | RVISOR_POLICY_FILTER_NETLINK,
	       "argument filters on; compat, x32, namespaces off");
	is_int(c->kernel.socket_families,
	       (1ULL << AF_UNIX) | (1ULL << AF_INET) | (1ULL << AF_INET6) | (1ULL << AF_NETLINK),
	       "socket families unix, inet, inet6, netlink");
	is_int(c->kernel.netlink_protocols, 1U << NETLINK_ROUTE, "netlink: route only");
	all = true;
	for (size_t i = 0; i < ARRAY_SIZE(c->kernel.quiet); i++)
		all &= c->kernel.quiet[i] == (i == __NR_clone3 / 64 ? UINT64_C(1) << (__NR_clone3 % 64) : 0);
	ok(all, "quiet: clone3 only");
	all = false;
	for (uint32_t i = 0; i < c->kernel.nr_ioctls; i++)
		all |= c->kernel.ioctls[i] == TIOCSTI;
	ok(!all && c->kernel.nr_ioctls > 0, "ioctls listed, TIOCSTI not among them");
}

static void test_permissive_conf(void)
{
	_cleanup_policy_ struct rvisor_policy_config *c = NULL;
	_cleanup_free_ char *err = NULL;
	int r;

	r = policy_load(policies_dir(), "permissive", &c, &err);
	if (!is_int(r, 0, "permissive.conf loads"))
		printf("#   %s\n", err ? err : strerror(-r));
	if (r < 0)
		return;
	ok(c->kernel.default_action == RVISOR_ACTION_PASS, "permissive: default pass");
	ok(rule_is(c, "mount", RVISOR_ACTION_DENY, EPERM) &&
		   rule_is(c, "ptrace", RVISOR_ACTION_DENY, EPERM),
	   "permissive: mount and ptrace still denied");
	ok(rule_is(c, "sysinfo", RVISOR_ACTION_EMULATE, 0) &&
		   rule_is(c, "sched_getaffinity", RVISOR_ACTION_EMULATE, 0),
	   "permissive: sysinfo and sched_getaffinity emulated (the sandbox's memory and CPUs)");
}

static void test_good_conf(void)
{
	_cleanup_policy_ struct rvisor_policy_config *c = NULL;
	_cleanup_free_ char *err = NULL;
	const struct rvisor_policy *k;
	int r;

	r = policy_load_file(fixture("good.conf"), &c, &err);
	if (!is_int(r, 0, "good.conf loads"))
		printf("#   %s\n", err ? err : strerror(-r));
	if (r < 0)
		return;
	k = &c->kernel;
	is_str(c->name, "good", "name from the file name");
	is_str(c->path, fixture("good.conf"), "path as given");
	is_int(c->memory_max, 256ULL << 20, "memory 256M, inline comment dropped");
	is_int(c->pids_max, 512, "pids");
	is_int(c->cpus_milli, 1250, "cpus 1.25: 1250 thousandths");
	ok(c->has_cpuset && CPU_COUNT(&c->cpuset) == 3 && CPU_ISSET(0, &c->cpuset) &&
		   CPU_ISSET(1, &c->cpuset) && CPU_ISSET(3, &c->cpuset),
	   "cpuset 3,0-1: CPUs 0, 1, 3");
	is_int(c->network, POLICY_NETWORK_HOST, "network host");
	is_str(c->hostname, "box.example", "hostname");
	is_int(c->kernel_layer, POLICY_KERNEL_LAYER_REQUIRED, "kernel_layer required");
	is_int(c->layers, POLICY_LAYER_KERNEL, "layers kernel");
	ok(c->has_user && c->uid == 1000 && c->gid == 100, "user 1000:100");
	is_int(c->storage_max, 64ULL << 20, "storage 64M");
	is_int(c->userns, POLICY_USERNS_ALWAYS, "userns always");
	is_int(c->capabilities, (1ULL << CAP_CHOWN) | (1ULL << CAP_SETUID) | (1ULL << CAP_SETGID),
	       "capabilities: names with or without CAP_, any case");

	ok(k->default_action == RVISOR_ACTION_DENY && k->default_errno == EACCES,
	   "default deny:EACCES");
	ok(rule_is(c, "read", RVISOR_ACTION_PASS, 0) && rule_is(c, "write", RVISOR_ACTION_PASS, 0) &&
		   rule_is(c, "exit_group", RVISOR_ACTION_PASS, 0),
	   "allow, commas and repeated keys; the same syscall twice with one action is fine");
	ok(rule_is(c, "mount", RVISOR_ACTION_DENY, EPERM), "deny mount:EPERM");
	ok(rule_is(c, "umount2", RVISOR_ACTION_DENY, 13), "deny umount2:13 (a number)");
	ok(rule_is(c, "mkdir", RVISOR_ACTION_DENY, EPERM), "deny without errno: EPERM");
	ok(rule_is(c, "ptrace", RVISOR_ACTION_KILL, 0), "kill ptrace");
	ok(rule_is(c, "getpid", RVISOR_ACTION_LOG, 0), "log getpid");
	ok(rule_is(c, "uname", RVISOR_ACTION_EMULATE, 0) && rule_is(c, "sysinfo", RVISOR_ACTION_EMULATE, 0),
	   "emulate uname sysinfo");
	ok(rule_is(c, "fork", RVISOR_ACTION_DENY, EACCES), "unlisted: the default");
	ok(k->syscalls[RVISOR_NR_SYSCALLS - 1].action == RVISOR_ACTION_DENY &&
		   k->syscalls[RVISOR_NR_SYSCALLS - 1].error == EACCES,
	   "the whole table filled");
	ok(c->listed[seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "read")] &&
		   !c->listed[seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "fork")],
	   "listed[] tells named from defaulted");

	is_int(k->flags, RVISOR_POLICY_UNGATED | RVISOR_POLICY_ALLOW_NAMESPACES |
				 RVISOR_POLICY_FILTER_IOCTL | RVISOR_POLICY_FILTER_SOCKET |
				 RVISOR_POLICY_FILTER_PRCTL,
	       "flags");
	ok(k->nr_ioctls == 2 && k->ioctls[0] == TCGETS && k->ioctls[1] == 0x1234 && k->ioctls[2] == 0,
	   "ioctls: names and numbers, duplicates once");
	ok(k->nr_prctls == 2 && k->prctls[0] == PR_SET_NAME && k->prctls[1] == PR_GET_NAME,
	   "prctls: names and numbers");
	is_int(k->socket_families, (1ULL << AF_UNIX) | (1ULL << AF_INET) | (1ULL << AF_INET6),
	       "families: unix, AF_INET, 10");
	is_int(policy_kernel_validate(k), 0, "valid for the module");
}

static void test_errors(void)
{
	_cleanup_free_ char *err = NULL;
	struct rvisor_policy_config *c = SENTINEL;
	char content[512];

	check_error(fixture("err-syntax.conf"), 3, "expected 'key = value'", "syntax error");
	check_error(fixture("err-section.conf"), 5, "unknown section [network]", "unknown section");
	check_error(fixture("err-key.conf"), 3, "unknown key 'memroy' in [sandbox]", "unknown key");
	check_error(fixture("err-syscall.conf"), 4, "unknown syscall 'wirte'", "unknown syscall");
	check_error(fixture("err-errno.conf"), 3, "unknown errno 'EWHAT'", "unknown errno");
	check_error(fixture("err-twice.conf"), 5, "'read' is listed as deny:EPERM here but as pass at line 3",
		    "syscall listed twice with different actions");
	check_error(fixture("err-number.conf"), 3, "pids = '12x'", "bad number");
	check_error(fixture("err-size.conf"), 2, "memory = '12Q'", "bad size");
	check_error(fixture("err-emulate.conf"), 3, "cannot emulate 'read'", "emulate of a syscall rvisor cannot emulate");
	check_error(fixture("err-ioctl-limit.conf"), 5, "more than 64 ioctl requests", "too many ioctl requests");

	/* the rest from files written here */
	check_error(write_tmp("e.conf", "memory = 1G\n"), 1, "before any [section]", "key outside a section");
	check_error(write_tmp("e.conf", "[sandbox]\nmemory = 1G\nmemory = 2G\n"), 3,
		    "'memory' is set twice in [sandbox] (first at line 2)", "scalar key twice");
	check_error(write_tmp("e.conf", "[sandbox]\n[compat]\n[sandbox]\n"), 3,
		    "section [sandbox] appears twice (first at line 1)", "section twice");
	check_error(write_tmp("e.conf", "[sandbox\n"), 1, "ends with ']'", "unterminated section");
	check_error(write_tmp("e.conf", "[sandbox]\n= 5\n"), 2, "no key", "missing key");
	check_error(write_tmp("e.conf", "[sandbox]\nhostname =\n"), 2, "'hostname' needs a value", "empty value");
	check_error(write_tmp("e.conf", "[sandbox]\nmemory = 0\n"), 2, "more than 0", "memory 0");
	check_error(write_tmp("e.conf", "[sandbox]\nmemory = 99999999999T\n"), 2, "too large", "memory overflow");
	check_error(write_tmp("e.conf", "[sandbox]\nmemory = -5M\n"), 2, "memory = '-5M'", "negative memory");
	check_error(write_tmp("e.conf", "[sandbox]\npids = 0\n"), 2, "pids = '0'", "pids 0");
	check_error(write_tmp("e.conf", "[sandbox]\nnetwork = bridge\n"), 2, "expected none or host", "bad network");
	check_error(write_tmp("e.conf", "[sandbox]\ncpus = 0\n"), 2, "cpus = '0' is out of range: from 0.01", "cpus 0");
	check_error(write_tmp("e.conf", "[sandbox]\ncpus = 0.001\n"), 2, "out of range", "cpus below 0.01");
	check_error(write_tmp("e.conf", "[sandbox]\ncpus = 1.2345\n"), 2, "at most three decimals", "cpus too precise");
	check_error(write_tmp("e.conf", "[sandbox]\ncpus = -1\n"), 2, "cpus = '-1': expected a number", "negative cpus");
	check_error(write_tmp("e.conf", "[sandbox]\ncpus = 1e3\n"), 2, "expected a number", "cpus with an exponent");
	check_error(write_tmp("e.conf", "[sandbox]\ncpus = 2000\n"), 2, "out of range", "cpus beyond a cpu_set_t");
	check_error(write_tmp("e.conf", "[sandbox]\ncpus = 1\ncpus = 2\n"), 3, "'cpus' is set twice", "cpus twice");
	check_error(write_tmp("e.conf", "[sandbox]\ncpuset = 3-1\n"), 2, "cpuset = '3-1': expected a list",
		    "cpuset range backwards");
	check_error(write_tmp("e.conf", "[sandbox]\ncpuset = 0,,1\n"), 2, "expected a list", "cpuset empty item");
	check_error(write_tmp("e.conf", "[sandbox]\ncpuset = all\n"), 2, "expected a list", "cpuset by word");
	check_error(write_tmp("e.conf", "[sandbox]\ncpuset = 0-4096\n"), 2, "CPU numbers go up to 1023",
		    "cpuset beyond a cpu_set_t");
	check_error(write_tmp("e.conf", "[sandbox]\nkernel_layer = maybe\n"), 2, "expected required or preferred", "bad kernel_layer");
	check_error(write_tmp("e.conf", "[sandbox]\nlayers = Both\n"), 2, "layers = 'Both': expected both, kernel or seccomp",
		    "bad layers (values are case-sensitive)");
	check_error(write_tmp("e.conf", "[sandbox]\nlayers = kernel\nlayers = seccomp\n"), 3, "'layers' is set twice",
		    "layers twice");
	check_error(write_tmp("e.conf", "[sandbox]\nlayers = seccomp\n# x\nkernel_layer = required\n"), 4,
		    "layers = seccomp turns rvisor.ko's gate off, but kernel_layer = required (line 4)",
		    "layers = seccomp with kernel_layer = required: refused at the later line");
	check_error(write_tmp("e.conf", "[sandbox]\nkernel_layer = required\nlayers = seccomp\n"), 3,
		    "kernel_layer = required (line 2) asks for it", "... whichever comes first");
	is_int(policy_load_file(write_tmp("ok.conf", "[sandbox]\nkernel_layer = preferred\nlayers = seccomp\n"
						     "[syscalls]\ndeny = io_uring_setup\n"),
				&c, &err),
	       0, "layers = seccomp with kernel_layer = preferred: fine");
	is_int(c->layers, POLICY_LAYER_SECCOMP, "... the filter only");
	c = policy_free(c);
	c = SENTINEL;
	check_error(write_tmp("e.conf", "[sandbox]\nhostname = a_b\n"), 2, "hostname 'a_b'", "bad hostname");
	snprintf(content, sizeof(content), "[sandbox]\nhostname = %065d\n", 0);
	check_error(write_tmp("e.conf", content), 2, "longer than 64", "hostname too long");
	check_error(write_tmp("e.conf", "[sandbox]\nuser = root\n"), 2, "expected UID:GID", "user by name");
	check_error(write_tmp("e.conf", "[sandbox]\nstorage = max\n"), 2, "storage = 'max'", "storage max");
	check_error(write_tmp("e.conf", "[sandbox]\nstorage = 1K\n"), 2, "at least 4K", "storage too small");
	check_error(write_tmp("e.conf", "[sandbox]\nuserns = never\n"), 2, "expected auto", "bad userns");
	check_error(write_tmp("e.conf", "[sandbox]\ncapabilities = SYS_ADMIN\n"), 2,
		    "'SYS_ADMIN' is not one of docker's default set", "a capability beyond docker's set");
	check_error(write_tmp("e.conf", "[sandbox]\ncapabilities = NET_ADMIN SYS_MODULE\n"), 2,
		    "'SYS_MODULE' is not one of docker's default set", "NET_ADMIN is the one addition");
	{
		_cleanup_policy_ struct rvisor_policy_config *na = NULL;

		ok(policy_load_file(write_tmp("ok.conf", "[sandbox]\ncapabilities = CAP_NET_ADMIN chown\n"), &na,
				    NULL) == 0 &&
			   na->capabilities == ((1ULL << CAP_NET_ADMIN) | (1ULL << CAP_CHOWN)),
		   "capabilities: NET_ADMIN may be added to the default set's names");
	}
	check_error(write_tmp("e.conf", "[sandbox]\ncapabilities = CHOWN bogus\n"), 2, "'bogus'",
		    "an unknown capability");
	check_error(write_tmp("e.conf", "[sandbox]\nuser = 1:4294967295\n"), 2, "expected UID:GID", "gid -1");
	check_error(write_tmp("e.conf", "[syscalls]\ndefault = allow\n"), 2, "unknown default action 'allow'", "bad default");
	check_error(write_tmp("e.conf", "[syscalls]\ndefault = emulate\n"), 2, "cannot be emulate", "default emulate");
	check_error(write_tmp("e.conf", "[syscalls]\ndefault = kill:EPERM\n"), 2, "only deny takes an errno", "default kill:ERRNO");
	check_error(write_tmp("e.conf", "[syscalls]\ndefault = deny:0\n"), 2, "unknown errno '0'", "errno 0");
	check_error(write_tmp("e.conf", "[syscalls]\ndeny = mount:4096\n"), 2, "unknown errno '4096'", "errno 4096");
	check_error(write_tmp("e.conf", "[syscalls]\nallow = read:EPERM\n"), 2, "only deny takes an errno", "allow with errno");
	check_error(write_tmp("e.conf", "[syscalls]\nquiet = wirte\n"), 2, "unknown syscall 'wirte'", "quiet: unknown syscall");
	check_error(write_tmp("e.conf", "[syscalls]\nquiet = socketcall\n"), 2, "not an x86-64 syscall",
		    "quiet: not x86-64");
	check_error(write_tmp("e.conf", "[socket]\nfamilies = netlink\nnetlink = route, bogus\n"), 3,
		    "unknown netlink protocol 'bogus'", "netlink: unknown protocol");
	check_error(write_tmp("e.conf", "[socket]\nfamilies = netlink\nnetlink = 32\n"), 3,
		    "netlink protocol '32' is not below 32", "netlink: protocol 32");
	check_error(write_tmp("e.conf", "[socket]\nfamilies = unix\nnetlink = route\n"), 3,
		    "[socket] families does not allow netlink", "netlink without the family");
	check_error(write_tmp("e.conf", "[socket]\nnetlink = route\n"), 2,
		    "[socket] families does not allow netlink", "netlink without a families key");
	check_error(write_tmp("e.conf", "[syscalls]\nallow = socketcall\n"), 2, "not an x86-64 syscall", "ia32-only syscall");
	check_error(write_tmp("e.conf", "[syscalls]\nkill = read\nlog = read\n"), 3, "at line 2", "kill then log");
	check_error(write_tmp("e.conf", "[syscalls]\ndeny = read:EPERM\ndeny = read:EACCES\n"), 3,
		    "'read' is listed as deny:EACCES here but as deny:EPERM at line 2", "two errnos");
	check_error(write_tmp("e.conf", "[ioctl]\nallow = TCGETS TIOCFOO\n"), 2, "unknown ioctl request 'TIOCFOO'", "bad ioctl name");
	check_error(write_tmp("e.conf", "[ioctl]\nallow = 0x100000000\n"), 2, "does not fit in 32 bits", "ioctl over 32 bits");
	check_error(write_tmp("e.conf", "[socket]\nfamilies = unix 64\n"), 2, "not below 64", "family 64");
	check_error(write_tmp("e.conf", "[socket]\nfamilies = appletalkk\n"), 2, "unknown address family", "bad family");
	check_error(write_tmp("e.conf", "[prctl]\nallow = PR_GET_FOO\n"), 2, "unknown prctl option 'PR_GET_FOO'", "bad prctl");
	{
		char big[2048] = "[prctl]\nallow =";

		for (int i = 1; i <= RVISOR_MAX_PRCTL_RULES + 1; i++)
			snprintf(big + strlen(big), sizeof(big) - strlen(big), " %d", i);
		strcat(big, "\n");
		check_error(write_tmp("e.conf", big), 2, "more than 32 prctl options", "too many prctl options");
	}
	check_error(write_tmp("e.conf", "[compat]\nia32 = maybe\n"), 2, "expected yes or no", "bad boolean");
	check_error(write_tmp("e.conf", "[compat]\nx32 = no\nnamespace = yes\n"), 3, "unknown key 'namespace' in [compat]",
		    "unknown key in [compat]");
	check_error(write_tmp("e.conf", "[compat]\nia32 = yes\n"), 2, "ia32 = yes is not supported",
		    "ia32 = yes: refused (the gate cannot judge ia32 syscalls)");
	check_error(write_tmp("e.conf", "[compat]\nx32 = on\n"), 2, "x32 = on is not supported", "x32 = on: refused");
	check_error(write_tmp("e.conf", "[syscalls]\ndefault = deny\nallow = read io_uring_enter\n"), 3,
		    "io_uring_enter may run, but its work", "io_uring allowed without ungated: refused at its line");
	check_error(write_tmp("e.conf", "[syscalls]\n# comment\ndefault = pass\n"), 3,
		    "io_uring_setup may run", "io_uring passed by the default: refused at the default's line");
	check_error(write_tmp("e.conf", "[syscalls]\nlog = io_uring_register\n[compat]\nungated = no\n"), 2,
		    "io_uring_register may run", "LOG counts as running too");
	is_int(policy_load_file(write_tmp("ok.conf", "[syscalls]\ndefault = pass\n[compat]\nungated = yes\n"), &c, &err),
	       0, "default = pass with ungated = yes: accepted");
	c = policy_free(c);
	c = SENTINEL;
	check_error(write_tmp("e.conf", "[Sandbox]\n"), 1, "unknown section [Sandbox]", "section names are case-sensitive");

	is_int(policy_load_file("/nonexistent/x.conf", &c, &err), -ENOENT, "missing file: -ENOENT");
	ok(c == SENTINEL && !err, "missing file: outputs untouched");
	is_int(policy_load_file(tmpdir, &c, &err), -EISDIR, "a directory: -EISDIR");
	ok(c == SENTINEL && !err, "a directory: outputs untouched");
	is_int(policy_load_file(write_tmp("ok.conf", ""), &c, NULL), 0, "an empty file is a policy");
	ok(c != SENTINEL && c->kernel.default_action == RVISOR_ACTION_DENY &&
		   c->kernel.default_errno == ENOSYS && c->memory_max == UINT64_MAX &&
		   c->pids_max == UINT64_MAX && c->network == POLICY_NETWORK_NONE &&
		   c->kernel.flags == 0,
	   "empty: deny:ENOSYS, no limits, no network, no filters");
	if (c != SENTINEL)
		policy_free(c);
	c = SENTINEL;
	is_int(policy_load_file(write_tmp("e.conf", "[sandbox]\nfoo = 1\n"), &c, NULL), -EINVAL,
	       "ret_error may be NULL");
}

static void test_names(void)
{
	struct rvisor_policy_config *c = SENTINEL;
	_cleanup_free_ char *err = NULL;
	char long_name[66];

	ok(policy_name_valid("default"), "name 'default'");
	ok(policy_name_valid("A-b_9"), "name 'A-b_9'");
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	ok(policy_name_valid(long_name), "64 characters");
	long_name[64] = 'a';
	long_name[65] = '\0';
	ok(!policy_name_valid(long_name), "65 characters refused");
	ok(!policy_name_valid(""), "empty name refused");
	ok(!policy_name_valid(NULL), "NULL name refused");
	ok(!policy_name_valid("../x"), "'../x' refused");
	ok(!policy_name_valid("a.b"), "'a.b' refused");
	ok(!policy_name_valid("a/b"), "'a/b' refused");
	ok(!policy_name_valid("a b"), "'a b' refused");
	ok(policy_hostname_valid("web-1.example"), "hostname 'web-1.example'");
	ok(policy_hostname_valid(long_name + 2), "hostname of 64 characters");
	ok(!policy_hostname_valid(long_name), "hostname of 65 characters refused");
	ok(!policy_hostname_valid(""), "empty hostname refused");
	ok(!policy_hostname_valid("a b") && !policy_hostname_valid("a_b") && !policy_hostname_valid("a/b"),
	   "hostnames with ' ', '_', '/' refused");
	is_int(policy_load(policies_dir(), "../x", &c, &err), -EINVAL, "policy_load('../x'): -EINVAL");
	is_int(policy_load(policies_dir(), "../../etc/rvisor/policies/default", &c, &err), -EINVAL,
	       "policy_load of a path: -EINVAL");
	is_int(policy_load(policies_dir(), "absent", &c, &err), -ENOENT, "policy_load('absent'): -ENOENT");
	ok(c == SENTINEL && !err, "outputs untouched");

	is_str(policy_errno_to_string(EPERM), "EPERM", "errno name");
	is_int(policy_errno_from_string("EACCES"), EACCES, "errno by name");
	is_int(policy_errno_from_string("4094"), 4094, "errno 4094");
	is_int(policy_errno_from_string("4095"), -EINVAL, "errno 4095: more than the seccomp layer can return");
	is_int(policy_errno_from_string("eperm"), -EINVAL, "errno names are case-sensitive");
	is_int(policy_family_from_string("AF_NETLINK"), AF_NETLINK, "family AF_NETLINK");
	is_int(policy_family_from_string("inet6"), AF_INET6, "family inet6");
	is_str(policy_ioctl_to_string(FIONREAD), "FIONREAD", "FIONREAD before its alias TIOCINQ");
}

static void test_list(void)
{
	_cleanup_policy_names_ char **names = NULL;
	char **untouched = (char **)SENTINEL;
	char p[PATH_MAX + 32];
	int r;

	write_tmp("b.conf", "");
	write_tmp("a.conf", "");
	write_tmp("A-1.conf", "");
	write_tmp("bad name.conf", "");
	write_tmp("x.txt", "");
	write_tmp(".conf", "");
	snprintf(p, sizeof(p), "%s/dir.conf", tmpdir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/link.conf", tmpdir);
	(void)!symlink("a.conf", p);
	snprintf(p, sizeof(p), "%s/dangling.conf", tmpdir);
	(void)!symlink("nowhere.conf", p);
	/* the other tests' e.conf and ok.conf are there too */
	r = policy_list(tmpdir, &names);
	is_int(r, 0, "policy_list");
	if (r == 0) {
		const char *want[] = { "A-1", "a", "b", "e", "link", "ok", NULL };
		bool same = true;
		size_t i;

		for (i = 0; want[i] && names[i]; i++)
			same &= strcmp(want[i], names[i]) == 0;
		same &= !want[i] && !names[i];
		if (!ok(same, "sorted names of regular .conf files with valid names"))
			for (i = 0; names[i]; i++)
				printf("#   %s\n", names[i]);
	}
	is_int(policy_list("/nonexistent", &untouched), -ENOENT, "missing directory: -ENOENT");
	ok(untouched == (char **)SENTINEL, "output untouched");

	names = policy_names_free(names);
	r = policy_list(policies_dir(), &names);
	ok(r == 0 && names[0] && strcmp(names[0], "default") == 0, "the shipped policies listed");
}

static json_object *get(json_object *o, const char *path)
{
	char buf[128], *state = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &state); o && k; k = strtok_r(NULL, ".", &state))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return o;
}

static bool array_has(json_object *a, const char *s)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return true;
	return false;
}

static void test_json(void)
{
	_cleanup_policy_ struct rvisor_policy_config *c = NULL, *e = NULL;
	json_object *j;

	if (policy_load_file(fixture("good.conf"), &c, NULL) < 0 ||
	    policy_load_file(write_tmp("ok.conf", "[syscalls]\ndefault = pass\n[compat]\nungated = yes\n"), &e, NULL) < 0) {
		ok(false, "JSON: fixtures load");
		return;
	}
	j = policy_to_json(c);
	ok(j, "policy_to_json");
	is_str(json_object_get_string(get(j, "name")), "good", "JSON name");
	is_int(json_object_get_uint64(get(j, "sandbox.memory")), 256ULL << 20, "JSON memory");
	is_int(json_object_get_int(get(j, "sandbox.pids")), 512, "JSON pids");
	is_str(json_object_to_json_string_ext(get(j, "sandbox.cpus"), JSON_C_TO_STRING_PLAIN), "1.25",
	       "JSON cpus: a number, as the policy writes it");
	is_str(json_object_get_string(get(j, "sandbox.cpuset")), "0-1,3", "JSON cpuset: the canonical list");
	is_str(json_object_get_string(get(j, "sandbox.network")), "host", "JSON network");
	is_str(json_object_get_string(get(j, "sandbox.kernel_layer")), "required", "JSON kernel_layer");
	is_str(json_object_get_string(get(j, "sandbox.layers")), "kernel", "JSON layers");
	is_int(json_object_get_int(get(j, "sandbox.user.gid")), 100, "JSON user");
	is_int(json_object_get_int64(get(j, "sandbox.storage")), 64LL << 20, "JSON storage");
	is_str(json_object_get_string(get(j, "sandbox.userns")), "always", "JSON userns");
	ok(array_has(get(j, "sandbox.capabilities"), "CHOWN") && array_has(get(j, "sandbox.capabilities"), "SETUID") &&
		   json_object_array_length(get(j, "sandbox.capabilities")) == 3,
	   "JSON capabilities");
	is_str(json_object_get_string(get(j, "syscalls.default")), "deny:EACCES", "JSON default");
	ok(array_has(get(j, "syscalls.allow"), "read") && array_has(get(j, "syscalls.allow"), "exit_group") &&
		   json_object_array_length(get(j, "syscalls.allow")) == 6,
	   "JSON allow list");
	ok(array_has(get(j, "syscalls.deny"), "mount:EPERM") &&
		   array_has(get(j, "syscalls.deny"), "umount2:EACCES"),
	   "JSON deny list with errnos");
	is_str(json_object_to_json_string_ext(get(j, "syscalls.emulate"), JSON_C_TO_STRING_PLAIN),
	       "[\"uname\",\"sysinfo\"]", "JSON emulate list");
	is_str(json_object_to_json_string_ext(get(j, "syscalls.kill"), JSON_C_TO_STRING_PLAIN),
	       "[\"ptrace\"]", "JSON kill list");
	is_str(json_object_to_json_string_ext(get(j, "syscalls.log"), JSON_C_TO_STRING_PLAIN),
	       "[\"getpid\"]", "JSON log list");
	is_str(json_object_to_json_string_ext(get(j, "ioctl.allow"), JSON_C_TO_STRING_PLAIN),
	       "[\"TCGETS\",\"0x1234\"]", "JSON ioctls");
	is_str(json_object_to_json_string_ext(get(j, "socket.families"), JSON_C_TO_STRING_PLAIN),
	       "[\"unix\",\"inet\",\"inet6\"]", "JSON families");
	is_str(json_object_to_json_string_ext(get(j, "prctl.allow"), JSON_C_TO_STRING_PLAIN),
	       "[\"PR_SET_NAME\",\"PR_GET_NAME\"]", "JSON prctls");
	is_str(json_object_to_json_string_ext(get(j, "compat"), JSON_C_TO_STRING_PLAIN),
	       "{\"ia32\":false,\"x32\":false,\"namespaces\":true,\"ungated\":true}", "JSON compat");
	json_object_put(j);

	j = policy_to_json(e);
	is_str(json_object_get_string(get(j, "sandbox.memory")), "max", "JSON memory max");
	is_str(json_object_get_string(get(j, "sandbox.cpus")), "max", "JSON cpus max");
	ok(!get(j, "ioctl") && !get(j, "socket") && !get(j, "prctl") && !get(j, "sandbox.user") &&
		   !get(j, "sandbox.cpuset"),
	   "JSON: no filters, no user, no cpuset: absent");
	is_int(json_object_array_length(get(j, "syscalls.allow")), 0, "JSON: empty lists");
	json_object_put(j);
}

static void test_validate(void)
{
	_cleanup_policy_ struct rvisor_policy_config *c = NULL;
	struct rvisor_policy p;

	if (policy_load_file(fixture("good.conf"), &c, NULL) < 0) {
		ok(false, "validate: good.conf loads");
		return;
	}
	p = c->kernel;
	p.reserved[1] = 1;
	is_int(policy_kernel_validate(&p), -EINVAL, "reserved field refused");
	p = c->kernel;
	p.syscalls[0].action = RVISOR_ACTION_EMULATE;
	is_int(policy_kernel_validate(&p), -EINVAL, "EMULATE of read refused");
	p = c->kernel;
	p.syscalls[204] = (struct rvisor_syscall_rule){ RVISOR_ACTION_EMULATE, 0 }; /* sched_getaffinity (ABI 6) */
	is_int(policy_kernel_validate(&p), 0, "EMULATE of sched_getaffinity accepted");
	p = c->kernel;
	p.syscalls[0] = (struct rvisor_syscall_rule){ RVISOR_ACTION_DENY, 0 };
	is_int(policy_kernel_validate(&p), -EINVAL, "DENY without errno refused");
	p = c->kernel;
	p.default_action = RVISOR_ACTION_EMULATE;
	p.default_errno = 0;
	is_int(policy_kernel_validate(&p), -EINVAL, "default EMULATE refused");
	p = c->kernel;
	p.ioctls[p.nr_ioctls] = 5;
	is_int(policy_kernel_validate(&p), -EINVAL, "entry beyond nr_ioctls refused");
	p = c->kernel;
	p.flags |= 0x100;
	is_int(policy_kernel_validate(&p), -EINVAL, "unknown flag refused");
	is_int(policy_seccomp_load(&p, 0), -EINVAL, "seccomp: invalid policy refused before loading");
}

/* Runs body in a child that set no_new_privs and loaded p; returns its wait status. */
static int in_child(const struct rvisor_policy *p, int (*body)(void))
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		int r;

		(void)setrlimit(RLIMIT_CORE, &no_core); /* SIGSYS would dump core */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(90);
		r = policy_seccomp_load(p, 0);
		if (r < 0) {
			fprintf(stderr, "policy_seccomp_load: %s\n", strerror(-r));
			_exit(91);
		}
		_exit(body());
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int expect_fail(long r, int error)
{
	return r == -1 && errno == error;
}

/* Under seccomp.conf: each check has its own exit code, so a failure says which. */
static int body_small(void)
{
	char path[PATH_MAX], name[17] = "";
	struct termios t;
	int fd, n, pipefd[2], sv[2];

	snprintf(path, sizeof(path), "%s/made", tmpdir);
	if (!expect_fail(mkdir(path, 0700), EACCES))
		return 10;
	if (!expect_fail(mkdirat(AT_FDCWD, path, 0700), EACCES))
		return 11;
	if (!expect_fail(socket(AF_INET, SOCK_STREAM, 0), EPERM))
		return 12;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 13;
	close(fd);
	/* the family is the low 32 bits, as the kernel reads it */
	fd = (int)syscall(SYS_socket, 0x100000000UL | AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 14;
	close(fd);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 15;
	if (!expect_fail(socketpair(AF_INET6, SOCK_STREAM, 0, sv), EPERM))
		return 16;
	if (!expect_fail(syscall(SYS_clone3, NULL, 0), ENOSYS))
		return 17;
	if (pipe(pipefd) < 0)
		return 18;
	if (!expect_fail(ioctl(pipefd[0], FIONREAD, &n), ENOTTY))
		return 19;
	if (!expect_fail(ioctl(pipefd[0], TCGETS, &t), ENOTTY))
		return 20;
	/* musl passes an int request sign-extended: the filter must look at 32 bits only */
	if (!expect_fail(syscall(SYS_ioctl, pipefd[0], 0xffffffff00000000UL | TCGETS, &t), ENOTTY))
		return 21;
	if (prctl(PR_GET_NAME, name, 0, 0, 0) < 0)
		return 22;
	if (!expect_fail(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), EPERM))
		return 23;
	if (!expect_fail(unshare(CLONE_NEWUTS), EPERM))
		return 24;
	if (unshare(CLONE_FILES) < 0)
		return 25;
	if (getpid() <= 0)
		return 26;
	return 0;
}

static int body_kill(void)
{
	(void)getppid();
	return 30; /* not reached */
}

/* Under default.conf: refusals, then a shell pipeline of ordinary programs. */
static int body_default(void)
{
	if (!expect_fail(syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0), EPERM))
		return 40;
	if (!expect_fail(mount("none", tmpdir, "tmpfs", 0, NULL), EPERM))
		return 41;
	if (!expect_fail(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT), EPERM))
		return 42;
	if (!expect_fail(syscall(SYS_clone3, NULL, 0), ENOSYS))
		return 43;
	if (!expect_fail(unshare(CLONE_NEWNS), EPERM))
		return 44;
	if (!expect_fail(syscall(SYS_io_uring_setup, 1, NULL), EPERM))
		return 45;
	if (!expect_fail(syscall(SYS_migrate_pages, 0, 0, NULL, NULL), ENOSYS))
		return 46;
	if (!expect_fail(ioctl(STDIN_FILENO, TIOCSTI, "x"), ENOTTY))
		return 47;
	if (!expect_fail(personality(ADDR_NO_RANDOMIZE), EPERM))
		return 49;
	if (personality(0xffffffff) < 0 || personality(PER_LINUX) < 0)
		return 50;
	{
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

		if (fd < 0)
			return 51;
		close(fd);
	}
	execl("/bin/sh", "sh", "-ec",
	      "x=$(echo hello | cat | tr a-z A-Z); test \"$x\" = HELLO\n"
	      "ls -la / >/dev/null; uname -a >/dev/null; id >/dev/null; date >/dev/null\n"
	      "sort </etc/passwd | head -n 1 | wc -l >/dev/null\n"
	      "sh -c 'exit 3' || test $? = 3\n"
	      "if command -v busybox >/dev/null; then\n"
	      "  busybox sh -c 'echo hi | busybox cat | busybox wc -c' >/dev/null\n"
	      "  busybox ls -l / >/dev/null\n"
	      "fi\n",
	      (char *)NULL);
	return 48;
}

static void test_seccomp(void)
{
	_cleanup_policy_ struct rvisor_policy_config *small = NULL, *def = NULL, *plain = NULL;
	_cleanup_close_ int fd = -1;
	int status, r;

	if (policy_load_file(fixture("seccomp.conf"), &small, NULL) < 0 ||
	    policy_load(policies_dir(), "default", &def, NULL) < 0 ||
	    policy_load_file(write_tmp("ok.conf", "[syscalls]\ndefault = pass\nkill = getppid\n"
						  "deny = personality\n"
						  "[compat]\nnamespaces = yes\nungated = yes\n"),
			     &plain, NULL) < 0) {
		ok(false, "seccomp: policies load");
		return;
	}

	fd = memfd_create("bpf", MFD_CLOEXEC);
	r = policy_seccomp_export_bpf(&small->kernel, 0, fd);
	is_int(r, 3, "export: ioctl, argument and main filters");
	ok(lseek(fd, 0, SEEK_END) > 0 && lseek(fd, 0, SEEK_END) % 8 == 0, "export: whole BPF instructions");
	is_int(policy_seccomp_export_bpf(&plain->kernel, 0, fd), 1, "export: no argument rule, one filter");
	plain->kernel.syscalls[__NR_personality] = (struct rvisor_syscall_rule){ RVISOR_ACTION_PASS, 0 };
	is_int(policy_seccomp_export_bpf(&plain->kernel, 0, fd), 2,
	       "export: personality passes: its argument rule, and the main filter");
	plain->kernel.syscalls[__NR_personality] = (struct rvisor_syscall_rule){ RVISOR_ACTION_DENY, EPERM };
	plain->kernel.flags |= RVISOR_POLICY_ALLOW_COMPAT | RVISOR_POLICY_ALLOW_X32;
	is_int(policy_seccomp_export_bpf(&plain->kernel, 0, fd), -EINVAL,
	       "export: the ia32 and x32 flags are refused, as rvisor.ko refuses them");
	plain->kernel.flags &= ~(RVISOR_POLICY_ALLOW_COMPAT | RVISOR_POLICY_ALLOW_X32);

	status = in_child(&small->kernel, body_small);
	if (!ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"seccomp: mkdir EACCES, AF_INET EPERM, AF_UNIX works, clone3 ENOSYS, ioctl and prctl lists"))
		printf("#   wait status 0x%x (exit code = failed check)\n", (unsigned int)status);

	status = in_child(&small->kernel, body_kill);
	if (!ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "seccomp: kill getppid dies by SIGSYS"))
		printf("#   wait status 0x%x\n", (unsigned int)status);

	status = in_child(&plain->kernel, body_kill);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "seccomp: one filter only, kill works");

	status = in_child(&def->kernel, body_default);
	if (!ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"seccomp: default.conf refuses escapes and runs a shell pipeline, ls, id, sort, busybox"))
		printf("#   wait status 0x%x (exit code = failed check)\n", (unsigned int)status);
}

/* ---- The filter against rvisor.ko's table, instruction by instruction ------------------- */

static bool u32_listed(const uint32_t *list, uint32_t n, uint32_t v)
{
	for (uint32_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/* rvisor.ko's decision (module/gate.c, module/policy.c) as the seccomp answer that has the
 * same effect: ALLOW where the call reaches the host or the gate's emulation (LOG: SECCOMP_
 * RET_LOG when the filter works alone, ALLOW when the gate does the logging), ERRNO with the
 * gate's errno, KILL_PROCESS for KILL. */
/* Behind the gate, a quiet refusal is the gate's: the filter lets the call through, so that
 * the gate counts it (docs/policy.md). */
static bool quiet_behind_gate(const struct rvisor_policy *p, int nr, unsigned int flags)
{
	return (flags & POLICY_SECCOMP_WITH_GATE) && (p->quiet[nr / 64] & (UINT64_C(1) << (nr % 64))) &&
	       p->syscalls[nr].action != RVISOR_ACTION_KILL;
}

static uint32_t gate_model(const struct rvisor_policy *p, const struct seccomp_data *d, unsigned int flags)
{
	const uint32_t ns_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
				  CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
	bool ns_ok = p->flags & RVISOR_POLICY_ALLOW_NAMESPACES;
	int nr = d->nr;
	unsigned int action, error;
	bool refused = false;
	int e = EPERM;

	if (d->arch != AUDIT_ARCH_X86_64 || (nr & __X32_SYSCALL_BIT))
		return SECCOMP_RET_ERRNO | ENOSYS; /* compat, x32: always refused */
	if (nr >= 0 && nr < RVISOR_NR_SYSCALLS) {
		action = p->syscalls[nr].action;
		error = p->syscalls[nr].error;
		if (quiet_behind_gate(p, nr, flags))
			return SECCOMP_RET_ALLOW;
	} else {
		action = p->default_action;
		error = p->default_errno;
	}
	switch (action) {
	case RVISOR_ACTION_DENY:
		return SECCOMP_RET_ERRNO | error;
	case RVISOR_ACTION_KILL:
		return SECCOMP_RET_KILL_PROCESS;
	case RVISOR_ACTION_EMULATE:
		return SECCOMP_RET_ALLOW;
	default:
		break;
	}
	switch (nr) {
	case __NR_ioctl:
		refused = (p->flags & RVISOR_POLICY_FILTER_IOCTL) &&
			  !u32_listed(p->ioctls, p->nr_ioctls, (uint32_t)d->args[1]);
		e = ENOTTY;
		break;
	case __NR_socket:
	case __NR_socketpair: {
		int family = (int)d->args[0];
		uint32_t proto = (uint32_t)d->args[2];

		refused = (p->flags & RVISOR_POLICY_FILTER_SOCKET) &&
			  (family < 0 || family >= 64 || !(p->socket_families & (UINT64_C(1) << family)) ||
			   (family == AF_NETLINK && (p->flags & RVISOR_POLICY_FILTER_NETLINK) &&
			    (proto >= 32 || !(p->netlink_protocols & (UINT32_C(1) << proto)))));
		break;
	}
	case __NR_personality:
		refused = (uint32_t)d->args[0] != RVISOR_PERSONALITY_QUERY &&
			  ((uint32_t)d->args[0] & RVISOR_PERSONALITY_UNSAFE);
		break;
	case __NR_prctl:
		refused = (p->flags & RVISOR_POLICY_FILTER_PRCTL) &&
			  !u32_listed(p->prctls, p->nr_prctls, (uint32_t)d->args[0]);
		break;
	case __NR_clone:
		refused = !ns_ok && (d->args[0] & ns_flags);
		break;
	case __NR_unshare:
		refused = !ns_ok && (d->args[0] & (ns_flags | CLONE_NEWTIME));
		break;
	case __NR_clone3:
		refused = !ns_ok;
		e = ENOSYS;
		break;
	}
	if (refused)
		return SECCOMP_RET_ERRNO | (uint32_t)e;
	if (action == RVISOR_ACTION_LOG && !(flags & POLICY_SECCOMP_WITH_GATE))
		return SECCOMP_RET_LOG;
	return SECCOMP_RET_ALLOW;
}

/* Argument values worth trying for syscall nr: the listed ones, their sign-extended forms,
 * neighbours, every namespace flag. Returns how many went into v[] (at most 256). */
static size_t probe_values(const struct rvisor_policy *p, int nr, uint64_t v[256])
{
	size_t n = 0;

	v[n++] = 0;
	v[n++] = 1;
	v[n++] = UINT64_MAX;
	v[n++] = 0x100000001ULL;
	v[n++] = 0xdeadbeef;
	if (nr == __NR_ioctl || nr == __NR_prctl) {
		const uint32_t *list = nr == __NR_ioctl ? p->ioctls : p->prctls;
		uint32_t count = nr == __NR_ioctl ? p->nr_ioctls : p->nr_prctls;

		for (uint32_t i = 0; i < count && n < 250; i++) {
			v[n++] = list[i];
			v[n++] = 0xffffffff00000000ULL | list[i]; /* musl's sign extension */
			v[n++] = list[i] + 1;
		}
		v[n++] = TCGETS;
		v[n++] = TIOCSTI;
		v[n++] = PR_SET_NAME;
	} else if (nr == __NR_socket || nr == __NR_socketpair) {
		for (uint64_t f = 0; f <= 65; f++)
			v[n++] = f;
		v[n++] = 0x100000000ULL | AF_UNIX;
		v[n++] = (uint64_t)-(int64_t)AF_INET;
	} else if (nr == __NR_personality) {
		for (int bit = 0; bit < 64; bit++)
			v[n++] = 1ULL << bit;
		v[n++] = RVISOR_PERSONALITY_QUERY;
		v[n++] = 0xffffffff00000000ULL | RVISOR_PERSONALITY_QUERY;
		v[n++] = 0xffffffff00000000ULL; /* PER_LINUX to the kernel */
		v[n++] = 0x0008; /* PER_LINUX32 */
		v[n++] = 0x0040000; /* ADDR_NO_RANDOMIZE */
	} else if (nr == __NR_clone || nr == __NR_unshare || nr == __NR_clone3) {
		for (int bit = 0; bit < 64; bit++)
			v[n++] = 1ULL << bit;
		v[n++] = SIGCHLD | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
		v[n++] = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD;
	}
	return n;
}

/* Numbers that are no x86-64 syscall (beyond the table without the x32 bit, and -1, a
 * tracer's skipped call): libseccomp refuses them in its own way (the argument filter's
 * EPERM, the filter's default) where rvisor.ko gives the default or ENOSYS. The kernel has
 * nothing to run for them either way; what matters is that the filter never lets through
 * what the gate refuses. */
static bool beyond_table(const struct seccomp_data *d)
{
	return d->arch == AUDIT_ARCH_X86_64 && (d->nr >= RVISOR_NR_SYSCALLS || d->nr == -1) &&
	       (d->nr == -1 || !(d->nr & __X32_SYSCALL_BIT));
}

static bool refuses(uint32_t action)
{
	uint32_t a = action & SECCOMP_RET_ACTION_FULL;

	return a == SECCOMP_RET_ERRNO || a == SECCOMP_RET_KILL_PROCESS || a == SECCOMP_RET_KILL_THREAD;
}

/* Every syscall number of the table and around it, each architecture, the ruled syscalls
 * with their interesting arguments: the filter must answer what the gate decides. */
static bool filter_agrees(const struct rvisor_policy *p, unsigned int flags, const char *what)
{
	static const int extra[] = { RVISOR_NR_SYSCALLS, RVISOR_NR_SYSCALLS + 1, 547, 548, 1000,
				     0x3fffffff, -1, -2, __X32_SYSCALL_BIT | 0, __X32_SYSCALL_BIT | 16,
				     __X32_SYSCALL_BIT | 514, INT32_MAX };
	static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0x12345678 };
	_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
	unsigned int checked = 0, mismatches = 0;
	bool bad = false;

	if (policy_seccomp_compile(p, flags, &f) < 0) {
		printf("#   %s: policy_seccomp_compile failed\n", what);
		return false;
	}
	for (size_t ai = 0; ai < ARRAY_SIZE(arches); ai++)
		for (int i = 0; i < RVISOR_NR_SYSCALLS + (int)ARRAY_SIZE(extra); i++) {
			int nr = i < RVISOR_NR_SYSCALLS ? i : extra[i - RVISOR_NR_SYSCALLS];
			uint64_t values[256];
			size_t nv = probe_values(p, nr, values);

			for (size_t vi = 0; vi < nv; vi++)
				for (unsigned int argi = 0; argi < 3; argi++) {
					struct seccomp_data d = { .nr = nr, .arch = arches[ai] };
					uint32_t got, want;

					if (argi < 2) {
						d.args[argi] = values[vi];
						d.args[1 - argi] = 0x5a5a5a5a5a5a5a5aULL;
					} else if (nr == __NR_socket || nr == __NR_socketpair) {
						/* netlink's protocol: the third argument */
						d.args[0] = vi % 2 ? 0x100000000ULL | AF_NETLINK : AF_NETLINK;
						d.args[2] = values[vi];
					} else {
						continue;
					}
					got = bpf_run_stacked(f->progs, f->n, &d, &bad);
					want = gate_model(p, &d, flags);
					checked++;
					if (got != want && beyond_table(&d) && refuses(got) &&
					    (refuses(want) || want == SECCOMP_RET_ALLOW ||
					     want == SECCOMP_RET_LOG))
						continue; /* libseccomp's answer to a number that is no syscall */
					if (got != want && mismatches++ < 5)
						printf("#   %s: nr %d arch 0x%x arg%u=0x%llx: filter 0x%08x, gate 0x%08x\n",
						       what, nr, d.arch, argi, (unsigned long long)values[vi], got, want);
				}
		}
	if (bad)
		printf("#   %s: a program holds what the kernel refuses\n", what);
	if (mismatches)
		printf("#   %s: %u of %u cases differ\n", what, mismatches, checked);
	return !bad && mismatches == 0;
}

/* Whether the kernel caches syscall nr as allowed with every program of f installed. */
static bool cached(const struct policy_seccomp *f, int nr)
{
	for (unsigned int i = 0; i < f->n; i++)
		if (!bpf_const_allow(&f->progs[i], nr))
			return false;
	return true;
}

static bool has_arg_rule(const struct rvisor_policy *p, int nr)
{
	bool ns = p->flags & RVISOR_POLICY_ALLOW_NAMESPACES;

	switch (nr) {
	case __NR_ioctl:
		return p->flags & RVISOR_POLICY_FILTER_IOCTL;
	case __NR_socket:
	case __NR_socketpair:
		return p->flags & RVISOR_POLICY_FILTER_SOCKET;
	case __NR_prctl:
		return p->flags & RVISOR_POLICY_FILTER_PRCTL;
	case __NR_personality:
		return true;
	case __NR_clone:
	case __NR_unshare:
	case __NR_clone3:
		return !ns;
	default:
		return false;
	}
}

/* Every syscall that passes without an argument rule is cached, nothing else is (a refused,
 * logged or argument-checked one runs the filter at each call). Lists the passing syscalls
 * that are not cached into uncached (names, space-separated). */
static bool cache_as_expected(const struct rvisor_policy *p, unsigned int flags, const char *what,
			      char *uncached, size_t size)
{
	_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
	unsigned int wrong = 0;

	if (uncached)
		uncached[0] = '\0';
	if (policy_seccomp_compile(p, flags, &f) < 0)
		return false;
	for (int nr = 0; nr < RVISOR_NR_SYSCALLS; nr++) {
		unsigned int a = p->syscalls[nr].action;
		bool quiet = quiet_behind_gate(p, nr, flags);
		bool allowed = a == RVISOR_ACTION_PASS || a == RVISOR_ACTION_EMULATE || quiet ||
			       (a == RVISOR_ACTION_LOG && (flags & POLICY_SECCOMP_WITH_GATE));
		bool want = allowed && (quiet || !has_arg_rule(p, nr)), got = cached(f, nr);

		if (allowed && !got && uncached) {
			_cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
			size_t len = strlen(uncached);

			snprintf(uncached + len, size - len, "%s%s", len ? " " : "", name ?: "?");
		}
		if (got != want && wrong++ < 5)
			printf("#   %s: syscall %d: cached %d, expected %d\n", what, nr, got, want);
	}
	return wrong == 0;
}

static void test_seccomp_agreement(void)
{
	_cleanup_policy_ struct rvisor_policy_config *def = NULL, *perm = NULL, *small = NULL,
						     *good = NULL, *logkill = NULL, *passall = NULL;
	struct {
		const char *name;
		struct rvisor_policy_config **c;
	} all[] = {
		{ "default.conf", &def }, { "permissive.conf", &perm }, { "seccomp.conf", &small },
		{ "good.conf", &good }, { "log, kill, default log", &logkill },
		{ "default pass, ungated", &passall },
	};
	char uncached[512], name[128];

	if (policy_load(policies_dir(), "default", &def, NULL) < 0 ||
	    policy_load(policies_dir(), "permissive", &perm, NULL) < 0 ||
	    policy_load_file(fixture("seccomp.conf"), &small, NULL) < 0 ||
	    policy_load_file(fixture("good.conf"), &good, NULL) < 0 ||
	    policy_load_file(write_tmp("lk.conf", "[syscalls]\ndefault = log\nkill = getppid mkdir\n"
						 "deny = mount:EACCES io_uring_setup io_uring_enter io_uring_register\n"
						 "allow = read write\nemulate = uname\n"
						 "[ioctl]\nallow = TCGETS\n[prctl]\nallow =\n"),
			     &logkill, NULL) < 0 ||
	    policy_load_file(write_tmp("pa.conf", "[syscalls]\ndefault = pass\n[socket]\nfamilies =\n"
						 "[compat]\nungated = yes\n"),
			     &passall, NULL) < 0) {
		ok(false, "agreement: policies load");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		for (unsigned int flags = 0; flags <= POLICY_SECCOMP_WITH_GATE; flags += POLICY_SECCOMP_WITH_GATE) {
			snprintf(name, sizeof(name), "%s%s: the filter answers every syscall, architecture "
				 "and ruled argument as rvisor.ko's table does", all[i].name,
				 flags ? " (behind the gate)" : "");
			ok(filter_agrees(&(*all[i].c)->kernel, flags, all[i].name), name);
			snprintf(name, sizeof(name), "%s%s: the kernel caches exactly the syscalls that pass "
				 "without an argument rule", all[i].name, flags ? " (behind the gate)" : "");
			ok(cache_as_expected(&(*all[i].c)->kernel, flags, all[i].name, NULL, 0), name);
		}

	/* What docs/policy.md says of default.conf: these pass but run the filter each time. */
	ok(cache_as_expected(&def->kernel, POLICY_SECCOMP_WITH_GATE, "default.conf", uncached,
			     sizeof(uncached)),
	   "default.conf: cache computed");
	is_str(uncached, "ioctl socket socketpair clone personality prctl unshare",
	       "default.conf: only ioctl, socket, socketpair, clone, personality, prctl, unshare miss "
	       "the cache");
	{
		_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
		static const char *const hot[] = { "getppid", "read", "write", "openat", "close",
						   "newfstatat", "fstat", "futex", "mmap", "uname" };
		bool all_cached = true;

		is_int(policy_seccomp_compile(&def->kernel, POLICY_SECCOMP_WITH_GATE, &f), 0,
		       "default.conf compiles behind the gate");
		is_int(f ? f->n : 0, 3, "default.conf: the ioctl, argument and main filters");
		for (size_t i = 0; f && i < ARRAY_SIZE(hot); i++)
			if (!cached(f, seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, hot[i]))) {
				printf("#   %s is not cached\n", hot[i]);
				all_cached = false;
			}
		ok(f && all_cached, "default.conf: getppid, read, write, openat, close, newfstatat, fstat, "
				    "futex, mmap and the emulated uname hit the cache");
	}
	{
		_cleanup_policy_seccomp_ struct policy_seccomp *alone = NULL, *behind = NULL;
		int getpid_nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "getpid");

		/* good.conf logs getpid: alone the kernel's audit log says so, behind the gate the
		 * gate's event does, and the filter lets it pass (cached) */
		ok(policy_seccomp_compile(&good->kernel, 0, &alone) == 0 &&
			   policy_seccomp_compile(&good->kernel, POLICY_SECCOMP_WITH_GATE, &behind) == 0 &&
			   !cached(alone, getpid_nr) && cached(behind, getpid_nr),
		   "LOG: SECCOMP_RET_LOG alone, ALLOW (and cached) behind the gate");
	}
	{
		_cleanup_policy_seccomp_ struct policy_seccomp *alone = NULL, *behind = NULL;
		struct seccomp_data d = { .nr = __NR_clone3, .arch = AUDIT_ARCH_X86_64 };
		bool bad = false;

		ok(policy_seccomp_compile(&def->kernel, 0, &alone) == 0 &&
			   policy_seccomp_compile(&def->kernel, POLICY_SECCOMP_WITH_GATE, &behind) == 0 &&
			   bpf_run_stacked(alone->progs, alone->n, &d, &bad) == (SECCOMP_RET_ERRNO | ENOSYS) &&
			   bpf_run_stacked(behind->progs, behind->n, &d, &bad) == SECCOMP_RET_ALLOW && !bad,
		   "quiet clone3: the filter's ENOSYS alone; behind the gate the gate's, which counts it");
	}
	{
		_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;

		is_int(policy_seccomp_compile(&def->kernel, 0x80, &f), -EINVAL, "compile: unknown flag refused");
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

int main(void)
{
	if (!ok(source_tree_find("tests/unit/policies/good.conf", R_OK, tree, sizeof(tree)),
		"fixtures found (else set RVISOR_SOURCE_DIR to the source tree)") ||
	    !ok(mkdtemp(tmpdir), "temporary directory"))
		return tap_done();

	test_default_conf();
	test_permissive_conf();
	test_good_conf();
	test_errors();
	test_names();
	test_list();
	test_json();
	test_validate();
	test_seccomp();
	test_seccomp_agreement();

	nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
