/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policy files (docs/policy.md): the keys of each section and the checks on every value (the
 * INI dialect itself is lib/ini-file.c's), the compiled struct rvisor_policy, listing a
 * directory, JSON for GetPolicy.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#include "cpus.h"
#include "ini-file.h"
#include "policy-names.h"
#include "policy.h"
#include "strv.h"
#include "user-ids.h"

enum section {
	SECTION_SANDBOX,
	SECTION_SYSCALLS,
	SECTION_IOCTL,
	SECTION_SOCKET,
	SECTION_PRCTL,
	SECTION_COMPAT,
	_SECTION_MAX,
};

static const char *const section_names[_SECTION_MAX] = {
	[SECTION_SANDBOX] = "sandbox", [SECTION_SYSCALLS] = "syscalls", [SECTION_IOCTL] = "ioctl",
	[SECTION_SOCKET] = "socket",   [SECTION_PRCTL] = "prctl",       [SECTION_COMPAT] = "compat",
};

struct parser;

struct key {
	enum section section;
	const char *name;
	bool list; /* may be repeated, each occurrence adds to the list */
	int (*parse)(struct parser *p, const struct key *k, char *value);
	unsigned int arg; /* syscall lists: the action; compat: the flag */
};

#define N_KEYS 27

struct parser {
	const char *path;
	unsigned int line;
	char *error; /* "PATH:LINE: message" */
	int section; /* enum section, -1 before the first header */
	unsigned int section_line[_SECTION_MAX];
	unsigned int key_line[N_KEYS];
	unsigned int syscall_line[RVISOR_NR_SYSCALLS];
	bool capabilities_listed; /* a capabilities line was read: later ones add to it */
	struct rvisor_policy_config *c;
};

static void parser_done(struct parser *p)
{
	free(p->error);
}

static void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

_printf_(2, 3) static int parse_error(struct parser *p, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	free(p->error);
	if (asprintf(&p->error, "%s:%u: %s", p->path, p->line, msg) < 0) {
		p->error = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

/* The x86-64 number of a syscall libseccomp knows by name; __NR_SCMP_ERROR for an unknown
 * name, another negative number for a syscall other architectures have and x86-64 lacks. */
static int syscall_nr(const char *name)
{
	return seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
}

static bool emulatable(int nr)
{
	static const char *const names[] = { "uname", "sethostname", "setdomainname", "sysinfo",
					     "sched_getaffinity" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (nr == syscall_nr(names[i]))
			return true;
	return false;
}

const char *policy_capability_name(unsigned cap)
{
	static const char *const names[] = {
		[CAP_CHOWN] = "CHOWN",		[CAP_DAC_OVERRIDE] = "DAC_OVERRIDE",
		[CAP_FSETID] = "FSETID",	[CAP_FOWNER] = "FOWNER",
		[CAP_MKNOD] = "MKNOD",		[CAP_NET_RAW] = "NET_RAW",
		[CAP_SETGID] = "SETGID",	[CAP_SETUID] = "SETUID",
		[CAP_SETFCAP] = "SETFCAP",	[CAP_SETPCAP] = "SETPCAP",
		[CAP_NET_BIND_SERVICE] = "NET_BIND_SERVICE", [CAP_SYS_CHROOT] = "SYS_CHROOT",
		[CAP_KILL] = "KILL",		[CAP_AUDIT_WRITE] = "AUDIT_WRITE",
		[CAP_NET_ADMIN] = "NET_ADMIN",
	};

	return cap < ARRAY_SIZE(names) && (POLICY_CAPS_ALLOWED & (1ULL << cap)) ? names[cap] : NULL;
}

/* "pass", "deny", "deny:ERRNO", "kill" or "log": the default action. */
static int parse_default(struct parser *p, const struct key *k, char *value)
{
	struct rvisor_policy *kp = &p->c->kernel;
	char *colon = strchr(value, ':');
	int e = EPERM;

	if (colon) {
		*colon = '\0';
		if (strcmp(value, "deny") != 0)
			return parse_error(p, "default '%s:%s': only deny takes an errno", value,
					   colon + 1);
		e = policy_errno_from_string(colon + 1);
		if (e < 0)
			return parse_error(p, "unknown errno '%s' (a name like EPERM, or 1..4094)",
					   colon + 1);
	}
	if (strcmp(value, "pass") == 0)
		kp->default_action = RVISOR_ACTION_PASS;
	else if (strcmp(value, "deny") == 0)
		kp->default_action = RVISOR_ACTION_DENY;
	else if (strcmp(value, "kill") == 0)
		kp->default_action = RVISOR_ACTION_KILL;
	else if (strcmp(value, "log") == 0)
		kp->default_action = RVISOR_ACTION_LOG;
	else if (strcmp(value, "emulate") == 0)
		return parse_error(p, "the default cannot be emulate: rvisor emulates only named "
				      "syscalls");
	else
		return parse_error(p, "unknown default action '%s' (pass, deny[:ERRNO], kill, log)",
				   value);
	kp->default_errno = kp->default_action == RVISOR_ACTION_DENY ? (uint16_t)e : 0;
	return 0;
}

/* One item of allow/emulate/deny/kill/log: NAME, or NAME:ERRNO for deny. */
static int parse_syscall_item(struct parser *p, unsigned int action, char *item)
{
	struct rvisor_policy_config *c = p->c;
	char *colon = strchr(item, ':');
	int nr, e = action == RVISOR_ACTION_DENY ? EPERM : 0;

	if (colon) {
		*colon = '\0';
		if (action != RVISOR_ACTION_DENY)
			return parse_error(p, "'%s:%s': only deny takes an errno", item, colon + 1);
		e = policy_errno_from_string(colon + 1);
		if (e < 0)
			return parse_error(p, "unknown errno '%s' for '%s' (a name like EPERM, or "
					      "1..4094)", colon + 1, item);
	}
	nr = syscall_nr(item);
	if (nr == __NR_SCMP_ERROR)
		return parse_error(p, "unknown syscall '%s'", item);
	if (nr < 0)
		return parse_error(p, "'%s' is not an x86-64 syscall", item);
	if (nr >= RVISOR_NR_SYSCALLS)
		return parse_error(p, "'%s' (%d) is beyond the %d syscalls a policy covers", item, nr,
				   RVISOR_NR_SYSCALLS);
	if (action == RVISOR_ACTION_EMULATE && !emulatable(nr))
		return parse_error(p, "rvisor cannot emulate '%s' (only uname, sethostname, "
				      "setdomainname, sysinfo, sched_getaffinity)", item);

	if (c->listed[nr]) {
		struct rvisor_syscall_rule *old = &c->kernel.syscalls[nr];
		char was[64], now[64];

		if (old->action == action && old->error == e)
			return 0; /* the same twice does no harm */
		policy_rule_format(was, sizeof(was), old->action, old->error);
		policy_rule_format(now, sizeof(now), action, (unsigned int)e);
		return parse_error(p, "'%s' is listed as %s here but as %s at line %u", item, now,
				   was, p->syscall_line[nr]);
	}
	c->listed[nr] = true;
	c->kernel.syscalls[nr].action = (uint16_t)action;
	c->kernel.syscalls[nr].error = (uint16_t)e;
	p->syscall_line[nr] = p->line;
	return 0;
}

/* Calls f on every item of a list separated by blanks or commas. */
static int for_each_item(struct parser *p, const struct key *k, char *value,
			 int (*f)(struct parser *p, const struct key *k, char *item))
{
	char *state = NULL;
	int r;

	for (char *item = strtok_r(value, " \t,", &state); item;
	     item = strtok_r(NULL, " \t,", &state)) {
		r = f(p, k, item);
		if (r < 0)
			return r;
	}
	return 0;
}

static int syscall_item(struct parser *p, const struct key *k, char *item)
{
	return parse_syscall_item(p, k->arg, item);
}

static int parse_syscall_list(struct parser *p, const struct key *k, char *value)
{
	return for_each_item(p, k, value, syscall_item);
}

static bool u32_listed(const uint32_t *list, uint32_t n, uint32_t v)
{
	for (uint32_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

static int ioctl_item(struct parser *p, const struct key *k, char *item)
{
	struct rvisor_policy *kp = &p->c->kernel;
	uint32_t v;
	int r;

	r = policy_ioctl_from_string(item, &v);
	if (r == -ERANGE)
		return parse_error(p, "ioctl request '%s' does not fit in 32 bits", item);
	if (r < 0)
		return parse_error(p, "unknown ioctl request '%s' (a name docs/policy.md lists, or "
				      "a number)", item);
	if (u32_listed(kp->ioctls, kp->nr_ioctls, v))
		return 0;
	if (kp->nr_ioctls >= RVISOR_MAX_IOCTL_RULES)
		return parse_error(p, "more than %d ioctl requests", RVISOR_MAX_IOCTL_RULES);
	kp->ioctls[kp->nr_ioctls++] = v;
	return 0;
}

static int prctl_item(struct parser *p, const struct key *k, char *item)
{
	struct rvisor_policy *kp = &p->c->kernel;
	uint32_t v;
	int r;

	r = policy_prctl_from_string(item, &v);
	if (r == -ERANGE)
		return parse_error(p, "prctl option '%s' does not fit in 32 bits", item);
	if (r < 0)
		return parse_error(p, "unknown prctl option '%s' (PR_... or a number)", item);
	if (u32_listed(kp->prctls, kp->nr_prctls, v))
		return 0;
	if (kp->nr_prctls >= RVISOR_MAX_PRCTL_RULES)
		return parse_error(p, "more than %d prctl options", RVISOR_MAX_PRCTL_RULES);
	kp->prctls[kp->nr_prctls++] = v;
	return 0;
}

static int family_item(struct parser *p, const struct key *k, char *item)
{
	int f = policy_family_from_string(item);

	if (f == -ERANGE)
		return parse_error(p, "address family '%s' is not below 64", item);
	if (f < 0)
		return parse_error(p, "unknown address family '%s' (unix, inet, inet6, netlink, ... "
				      "or a number)", item);
	p->c->kernel.socket_families |= UINT64_C(1) << f;
	return 0;
}

/* [ioctl] allow, [prctl] allow, [socket] families: the key alone turns the filter on. */
static int parse_ioctls(struct parser *p, const struct key *k, char *value)
{
	p->c->kernel.flags |= RVISOR_POLICY_FILTER_IOCTL;
	return for_each_item(p, k, value, ioctl_item);
}

static int parse_prctls(struct parser *p, const struct key *k, char *value)
{
	p->c->kernel.flags |= RVISOR_POLICY_FILTER_PRCTL;
	return for_each_item(p, k, value, prctl_item);
}

static int parse_families(struct parser *p, const struct key *k, char *value)
{
	p->c->kernel.flags |= RVISOR_POLICY_FILTER_SOCKET;
	return for_each_item(p, k, value, family_item);
}

static int netlink_item(struct parser *p, const struct key *k, char *item)
{
	int proto = policy_netlink_from_string(item);

	if (proto == -ERANGE)
		return parse_error(p, "netlink protocol '%s' is not below 32", item);
	if (proto < 0)
		return parse_error(p, "unknown netlink protocol '%s' (route, audit, ... or a number)",
				   item);
	p->c->kernel.netlink_protocols |= UINT32_C(1) << proto;
	return 0;
}

/* [socket] netlink: like families, the key alone turns the protocol filter on. */
static int parse_netlink(struct parser *p, const struct key *k, char *value)
{
	p->c->kernel.flags |= RVISOR_POLICY_FILTER_NETLINK;
	return for_each_item(p, k, value, netlink_item);
}

static int quiet_item(struct parser *p, const struct key *k, char *item)
{
	int nr = syscall_nr(item);

	if (nr == __NR_SCMP_ERROR)
		return parse_error(p, "unknown syscall '%s'", item);
	if (nr < 0 || nr >= RVISOR_NR_SYSCALLS)
		return parse_error(p, "'%s' is not an x86-64 syscall of the table", item);
	p->c->kernel.quiet[nr / 64] |= UINT64_C(1) << (nr % 64);
	return 0;
}

static int parse_quiet(struct parser *p, const struct key *k, char *value)
{
	return for_each_item(p, k, value, quiet_item);
}

static int parse_compat(struct parser *p, const struct key *k, char *value)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcmp(value, yes[i]) == 0) {
			p->c->kernel.flags |= k->arg;
			return 0;
		}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (strcmp(value, no[i]) == 0) {
			p->c->kernel.flags &= ~k->arg;
			return 0;
		}
	return parse_error(p, "%s = '%s': expected yes or no", k->name, value);
}

/* ia32 and x32: only "no". rvisor.ko's table and argument rules speak x86-64; it refuses
 * other syscall ABIs whatever a policy says, rather than pass them unjudged. */
static int parse_compat_abi(struct parser *p, const struct key *k, char *value)
{
	int r = parse_compat(p, k, value);

	if (r == 0 && (p->c->kernel.flags & k->arg))
		return parse_error(p, "%s = %s is not supported: rvisor cannot judge %s syscalls by the "
				   "policy's table, so it always refuses them (ENOSYS)",
				   k->name, value, k->name);
	return r;
}

/* A number of bytes with an optional K, M, G or T (powers of 1024), more than 0; "max" gives
 * UINT64_MAX where max_ok. */
static int parse_size(struct parser *p, const struct key *k, char *value, bool max_ok, uint64_t *ret)
{
	static const char suffixes[] = "KMGT";
	unsigned int shift = 0;
	size_t n = strlen(value);
	const char *s;
	uint64_t v;

	if (max_ok && strcmp(value, "max") == 0) {
		*ret = UINT64_MAX;
		return 0;
	}
	s = n > 0 ? strchr(suffixes, toupper((unsigned char)value[n - 1])) : NULL;
	if (s && *s) {
		shift = 10 * (unsigned int)(s - suffixes + 1);
		value[n - 1] = '\0';
	}
	if (strncmp(value, "0x", 2) == 0 || policy_parse_uint(value, UINT64_MAX, &v) < 0)
		return parse_error(p, "%s = '%s%.1s': expected a size like 512M (K, M, G, T)%s", k->name,
				   value, shift ? s : "", max_ok ? " or max" : "");
	if (v == 0)
		return parse_error(p, "%s must be more than 0", k->name);
	if (v > (UINT64_MAX >> shift) || (v << shift) == UINT64_MAX)
		return parse_error(p, "%s = '%s%.1s' is too large%s", k->name, value, shift ? s : "",
				   max_ok ? " (use max)" : "");
	*ret = v << shift;
	return 0;
}

static int parse_memory(struct parser *p, const struct key *k, char *value)
{
	return parse_size(p, k, value, true, &p->c->memory_max);
}

/* The writable layer is a tmpfs: at least a page, and a size it can be given. */
static int parse_storage(struct parser *p, const struct key *k, char *value)
{
	int r = parse_size(p, k, value, false, &p->c->storage_max);

	if (r == 0 && p->c->storage_max < 4096)
		return parse_error(p, "storage must be at least 4K");
	return r;
}

static int parse_pids(struct parser *p, const struct key *k, char *value)
{
	uint64_t v;

	if (strcmp(value, "max") == 0) {
		p->c->pids_max = UINT64_MAX;
		return 0;
	}
	if (strncmp(value, "0x", 2) == 0 || policy_parse_uint(value, UINT64_MAX - 1, &v) < 0 ||
	    v == 0)
		return parse_error(p, "pids = '%s': expected a positive number or max", value);
	p->c->pids_max = v;
	return 0;
}

/* A number of CPUs, docker's --cpus: at most three decimals, at least 0.01; "max": none. */
static int parse_cpus(struct parser *p, const struct key *k, char *value)
{
	int r;

	if (strcmp(value, "max") == 0) {
		p->c->cpus_milli = 0;
		return 0;
	}
	r = cpus_parse(value, &p->c->cpus_milli);
	if (r == -ERANGE)
		return parse_error(p, "cpus = '%s' is out of range: from 0.01 to %llu CPUs", value,
				   (unsigned long long)(CPUS_MILLI_MAX / 1000));
	if (r < 0)
		return parse_error(p, "cpus = '%s': expected a number of CPUs with at most three "
				      "decimals (1.5) or max", value);
	return 0;
}

/* The CPUs the sandboxes may use, in the kernel's list syntax. */
static int parse_cpuset(struct parser *p, const struct key *k, char *value)
{
	int r = cpulist_parse(value, &p->c->cpuset);

	if (r == -ERANGE)
		return parse_error(p, "cpuset = '%s': CPU numbers go up to %d", value, CPU_SETSIZE - 1);
	if (r < 0 || CPU_COUNT(&p->c->cpuset) == 0)
		return parse_error(p, "cpuset = '%s': expected a list of CPUs such as 0-3,8", value);
	p->c->has_cpuset = true;
	return 0;
}

static int parse_network(struct parser *p, const struct key *k, char *value)
{
	if (strcmp(value, "none") == 0)
		p->c->network = POLICY_NETWORK_NONE;
	else if (strcmp(value, "host") == 0)
		p->c->network = POLICY_NETWORK_HOST;
	else
		return parse_error(p, "network = '%s': expected none or host", value);
	return 0;
}

static int parse_kernel_layer(struct parser *p, const struct key *k, char *value)
{
	if (strcmp(value, "preferred") == 0)
		p->c->kernel_layer = POLICY_KERNEL_LAYER_PREFERRED;
	else if (strcmp(value, "required") == 0)
		p->c->kernel_layer = POLICY_KERNEL_LAYER_REQUIRED;
	else
		return parse_error(p, "kernel_layer = '%s': expected required or preferred", value);
	return 0;
}

/* Which layers enforce the syscall policy: both (the default), or one of them alone, for
 * tests and for debugging a policy with the gate's events (kernel) or without the module
 * (seccomp). */
static int parse_layers(struct parser *p, const struct key *k, char *value)
{
	if (strcmp(value, "both") == 0)
		p->c->layers = POLICY_LAYERS_BOTH;
	else if (strcmp(value, "kernel") == 0)
		p->c->layers = POLICY_LAYER_KERNEL;
	else if (strcmp(value, "seccomp") == 0)
		p->c->layers = POLICY_LAYER_SECCOMP;
	else
		return parse_error(p, "layers = '%s': expected both, kernel or seccomp", value);
	return 0;
}

bool policy_hostname_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > POLICY_HOSTNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '.')
			return false;
	return true;
}

static int parse_hostname(struct parser *p, const struct key *k, char *value)
{
	char *copy;

	if (strlen(value) > POLICY_HOSTNAME_MAX)
		return parse_error(p, "hostname is longer than %d characters", POLICY_HOSTNAME_MAX);
	if (!value[0])
		return parse_error(p, "hostname is empty");
	if (!policy_hostname_valid(value))
		return parse_error(p, "hostname '%s': only letters, digits, '-' and '.'", value);
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(p->c->hostname);
	p->c->hostname = copy;
	return 0;
}

static int parse_userns(struct parser *p, const struct key *k, char *value)
{
	if (strcmp(value, "auto") == 0)
		p->c->userns = POLICY_USERNS_AUTO;
	else if (strcmp(value, "always") == 0)
		p->c->userns = POLICY_USERNS_ALWAYS;
	else
		return parse_error(p, "userns = '%s': expected auto (every caller but root) or always",
				   value);
	return 0;
}

/* Names as in capabilities(7), with or without CAP_, any case; "none" for the empty set.
 * Repeated lines add up. Only docker's default set: a policy may narrow what root in a user
 * namespace holds, not widen it. */
static int parse_capabilities(struct parser *p, const struct key *k, char *value)
{
	uint64_t caps = p->capabilities_listed ? p->c->capabilities : 0;
	char *save = NULL;

	p->capabilities_listed = true;
	if (strcmp(value, "none") == 0) {
		p->c->capabilities = caps;
		return 0;
	}
	for (char *w = strtok_r(value, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		const char *name = strncasecmp(w, "CAP_", 4) == 0 ? w + 4 : w;
		bool found = false;

		for (unsigned cap = 0; cap < 64 && !found; cap++) {
			const char *n = policy_capability_name(cap);

			if (n && strcasecmp(n, name) == 0) {
				caps |= 1ULL << cap;
				found = true;
			}
		}
		if (!found)
			return parse_error(p, "capabilities: '%s' is not one of docker's default set "
					   "(CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID "
					   "SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE), "
					   "NET_ADMIN or none", w);
	}
	p->c->capabilities = caps;
	return 0;
}

/* "UID:GID", numbers: names would be looked up in the host's passwd, not the image's. */
static int parse_user(struct parser *p, const struct key *k, char *value)
{
	char *colon = strchr(value, ':');
	uint64_t uid, gid;

	if (!colon)
		return parse_error(p, "user = '%s': expected UID:GID", value);
	*colon = '\0';
	if (strncmp(value, "0x", 2) == 0 || strncmp(colon + 1, "0x", 2) == 0 ||
	    policy_parse_uint(value, UID_GID_MAX, &uid) < 0 ||
	    policy_parse_uint(colon + 1, UID_GID_MAX, &gid) < 0)
		return parse_error(p, "user = '%s:%s': expected UID:GID, numbers below 4294967295",
				   value, colon + 1);
	p->c->has_user = true;
	p->c->uid = (uid_t)uid;
	p->c->gid = (gid_t)gid;
	return 0;
}

static const struct key keys[] = {
	{ SECTION_SANDBOX, "memory", false, parse_memory, 0 },
	{ SECTION_SANDBOX, "pids", false, parse_pids, 0 },
	{ SECTION_SANDBOX, "cpus", false, parse_cpus, 0 },
	{ SECTION_SANDBOX, "cpuset", false, parse_cpuset, 0 },
	{ SECTION_SANDBOX, "network", false, parse_network, 0 },
	{ SECTION_SANDBOX, "hostname", false, parse_hostname, 0 },
	{ SECTION_SANDBOX, "kernel_layer", false, parse_kernel_layer, 0 },
	{ SECTION_SANDBOX, "layers", false, parse_layers, 0 },
	{ SECTION_SANDBOX, "user", false, parse_user, 0 },
	{ SECTION_SANDBOX, "storage", false, parse_storage, 0 },
	{ SECTION_SANDBOX, "userns", false, parse_userns, 0 },
	{ SECTION_SANDBOX, "capabilities", true, parse_capabilities, 0 },
	{ SECTION_SYSCALLS, "default", false, parse_default, 0 },
	{ SECTION_SYSCALLS, "allow", true, parse_syscall_list, RVISOR_ACTION_PASS },
	{ SECTION_SYSCALLS, "emulate", true, parse_syscall_list, RVISOR_ACTION_EMULATE },
	{ SECTION_SYSCALLS, "deny", true, parse_syscall_list, RVISOR_ACTION_DENY },
	{ SECTION_SYSCALLS, "kill", true, parse_syscall_list, RVISOR_ACTION_KILL },
	{ SECTION_SYSCALLS, "log", true, parse_syscall_list, RVISOR_ACTION_LOG },
	{ SECTION_SYSCALLS, "quiet", true, parse_quiet, 0 },
	{ SECTION_IOCTL, "allow", true, parse_ioctls, 0 },
	{ SECTION_SOCKET, "families", true, parse_families, 0 },
	{ SECTION_SOCKET, "netlink", true, parse_netlink, 0 },
	{ SECTION_PRCTL, "allow", true, parse_prctls, 0 },
	{ SECTION_COMPAT, "ia32", false, parse_compat_abi, RVISOR_POLICY_ALLOW_COMPAT },
	{ SECTION_COMPAT, "x32", false, parse_compat_abi, RVISOR_POLICY_ALLOW_X32 },
	{ SECTION_COMPAT, "namespaces", false, parse_compat, RVISOR_POLICY_ALLOW_NAMESPACES },
	{ SECTION_COMPAT, "ungated", false, parse_compat, RVISOR_POLICY_UNGATED },
};
_Static_assert(ARRAY_SIZE(keys) == N_KEYS, "N_KEYS sizes parser.key_line");

static int on_section(void *userdata, const char *name, unsigned int line)
{
	struct parser *p = userdata;
	int i;

	p->line = line;
	for (i = 0; i < _SECTION_MAX; i++)
		if (strcmp(name, section_names[i]) == 0)
			break;
	if (i == _SECTION_MAX)
		return parse_error(p, "unknown section [%s] (sandbox, syscalls, ioctl, socket, prctl, "
				      "compat)", name);
	if (p->section_line[i])
		return parse_error(p, "section [%s] appears twice (first at line %u)", name,
				   p->section_line[i]);
	p->section = i;
	p->section_line[i] = line;
	return 0;
}

static int on_key(void *userdata, const char *key, char *value, unsigned int line)
{
	struct parser *p = userdata;
	const struct key *k = NULL;
	size_t ki;

	p->line = line;
	if (p->section < 0)
		return parse_error(p, "key '%s' before any [section]", key);
	for (ki = 0; ki < ARRAY_SIZE(keys); ki++)
		if ((int)keys[ki].section == p->section && strcmp(keys[ki].name, key) == 0) {
			k = &keys[ki];
			break;
		}
	if (!k)
		return parse_error(p, "unknown key '%s' in [%s]", key, section_names[p->section]);
	if (!k->list) {
		if (p->key_line[ki])
			return parse_error(p, "'%s' is set twice in [%s] (first at line %u)", key,
					   section_names[p->section], p->key_line[ki]);
		if (!*value)
			return parse_error(p, "'%s' needs a value", key);
	}
	p->key_line[ki] = line;
	return k->parse(p, k, value);
}

static const struct ini_file_ops policy_ini_ops = { .section = on_section, .key = on_key };

/* The line a key was set on, 0 if it was not. */
static unsigned int key_line(const struct parser *p, enum section section, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].section == section && strcmp(keys[i].name, name) == 0)
			return p->key_line[i];
	return 0;
}

/* A syscall the gate cannot see past may run only when the policy says ungated = yes: points
 * at the line that lets it run (its allow/log line, or the default). */
static int check_ungated(struct parser *p)
{
	const struct rvisor_policy *kp = &p->c->kernel;
	const char *name;
	int nr;

	if (kp->flags & RVISOR_POLICY_UNGATED)
		return 0;
	for (size_t i = 0; (name = policy_ungated_syscall(i)); i++) {
		uint16_t action;

		nr = syscall_nr(name);
		action = kp->syscalls[nr].action;
		if (action != RVISOR_ACTION_PASS && action != RVISOR_ACTION_LOG)
			continue;
		p->line = p->syscall_line[nr] ?: key_line(p, SECTION_SYSCALLS, "default");
		return parse_error(p, "%s may run, but its work (io_uring's operations) never passes "
				   "rvisor's gate: deny it, or set ungated = yes in [compat] to accept that",
				   name);
	}
	return 0;
}

/* layers = seccomp leaves rvisor.ko out, which kernel_layer = required insists on: said at
 * the later of the two lines. */
static int check_layers(struct parser *p)
{
	unsigned int layers_line = key_line(p, SECTION_SANDBOX, "layers"),
		     required_line = key_line(p, SECTION_SANDBOX, "kernel_layer");

	if (p->c->layers != POLICY_LAYER_SECCOMP || p->c->kernel_layer != POLICY_KERNEL_LAYER_REQUIRED)
		return 0;
	p->line = layers_line > required_line ? layers_line : required_line;
	return parse_error(p, "layers = seccomp turns rvisor.ko's gate off, but kernel_layer = required "
			      "(line %u) asks for it: drop one of them",
			   required_line);
}

/* Unlisted syscalls get the default; the result must pass the module's own checks. */
static int parse_finish(struct parser *p)
{
	struct rvisor_policy *kp = &p->c->kernel;
	int r;

	for (unsigned int nr = 0; nr < RVISOR_NR_SYSCALLS; nr++)
		if (!p->c->listed[nr]) {
			kp->syscalls[nr].action = kp->default_action;
			kp->syscalls[nr].error = kp->default_errno;
		}
	if ((kp->flags & RVISOR_POLICY_FILTER_NETLINK) &&
	    (!(kp->flags & RVISOR_POLICY_FILTER_SOCKET) ||
	     !(kp->socket_families & (UINT64_C(1) << AF_NETLINK)))) {
		p->line = key_line(p, SECTION_SOCKET, "netlink");
		return parse_error(p, "netlink protocols are listed but [socket] families does not "
				      "allow netlink");
	}
	r = check_ungated(p);
	if (r < 0)
		return r;
	r = check_layers(p);
	if (r < 0)
		return r;
	if (policy_kernel_validate(kp) < 0)
		return parse_error(p, "the compiled policy is not valid (a bug in rvisor)");
	return 0;
}

static int config_new(const char *path, struct rvisor_policy_config **ret)
{
	_cleanup_policy_ struct rvisor_policy_config *c = NULL;
	const char *base = strrchr(path, '/');
	size_t n;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
		n -= 5;
	c->name = strndup(base, n);
	c->path = strdup(path);
	c->hostname = strdup("sandbox");
	if (!c->name || !c->path || !c->hostname)
		return -ENOMEM;
	c->memory_max = UINT64_MAX;
	c->pids_max = UINT64_MAX;
	c->storage_max = POLICY_STORAGE_DEFAULT;
	c->userns = POLICY_USERNS_AUTO;
	c->capabilities = POLICY_CAPS_DEFAULT;
	c->network = POLICY_NETWORK_NONE;
	c->kernel_layer = POLICY_KERNEL_LAYER_PREFERRED;
	c->layers = POLICY_LAYERS_BOTH;
	/* unknown syscalls get ENOSYS: what libc expects of a kernel too old for them */
	c->kernel.default_action = RVISOR_ACTION_DENY;
	c->kernel.default_errno = ENOSYS;
	*ret = TAKE_PTR(c);
	return 0;
}

int policy_load_file(const char *path, struct rvisor_policy_config **ret, char **ret_error)
{
	_cleanup_(parser_done) struct parser p = { .path = path, .section = -1 };
	_cleanup_policy_ struct rvisor_policy_config *c = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_free_ char *syntax_error = NULL;
	int r;

	if (!path || !ret)
		return -EINVAL;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	r = config_new(path, &c);
	if (r < 0)
		return r;
	p.c = c;

	r = ini_file_parse(f, path, &policy_ini_ops, &p, &syntax_error);
	if (r >= 0)
		r = parse_finish(&p);
	if (r < 0) {
		if (r == -EINVAL && ret_error)
			*ret_error = p.error ? TAKE_PTR(p.error) : TAKE_PTR(syntax_error);
		return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

bool policy_name_valid(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
	return n > 0 && n <= POLICY_NAME_MAX && name[n] == '\0';
}

int policy_load(const char *dir, const char *name, struct rvisor_policy_config **ret,
		char **ret_error)
{
	_cleanup_free_ char *path = NULL;

	if (!dir || !policy_name_valid(name))
		return -EINVAL;
	if (asprintf(&path, "%s/%s.conf", dir, name) < 0)
		return -ENOMEM;
	return policy_load_file(path, ret, ret_error);
}

int policy_load_text(const char *name, const char *text, size_t size, struct rvisor_policy_config **ret,
		     char **ret_error)
{
	_cleanup_free_ char *path = NULL, *error = NULL;
	_cleanup_close_ int fd = -1;
	const char *rest;
	int r;

	if (!name || (!text && size > 0) || !ret)
		return -EINVAL;
	/* a file, so that the text is read exactly as /etc/rvisor/policies' files are */
	fd = memfd_create("policy", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (size > 0 && write(fd, text, size) != (ssize_t)size)
		return -EIO;
	if (asprintf(&path, "/proc/self/fd/%d", fd) < 0)
		return -ENOMEM;
	r = policy_load_file(path, ret, &error);
	if (r != -EINVAL || !error)
		return r;
	if (ret_error) {
		char *msg;

		rest = strncmp(error, path, strlen(path)) == 0 ? error + strlen(path) : error;
		if (asprintf(&msg, "%s%s", rest == error ? "" : name, rest) < 0)
			return -ENOMEM;
		*ret_error = msg;
	}
	return r;
}

char **policy_names_free(char **names)
{
	return strv_free(names);
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int policy_list(const char *dir, char ***ret_names)
{
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_policy_names_ char **names = NULL;
	size_t n = 0, allocated = 0;
	struct dirent *de;

	if (!dir || !ret_names)
		return -EINVAL;
	d = opendir(dir);
	if (!d)
		return -errno;
	names = calloc(1, sizeof(char *));
	if (!names)
		return -ENOMEM;
	allocated = 1;

	for (errno = 0; (de = readdir(d)); errno = 0) {
		size_t len = strlen(de->d_name);
		struct stat st;
		char *name;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		name = strndup(de->d_name, len - 5);
		if (!name)
			return -ENOMEM;
		/* stat, not d_type: a link to a policy file counts, a directory does not */
		if (!policy_name_valid(name) || fstatat(dirfd(d), de->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode)) {
			free(name);
			continue;
		}
		if (n + 2 > allocated) {
			size_t want = allocated * 2;
			char **grown = reallocarray(names, want, sizeof(char *));

			if (!grown) {
				free(name);
				return -ENOMEM;
			}
			names = grown;
			allocated = want;
		}
		names[n++] = name;
		names[n] = NULL;
	}
	if (errno > 0)
		return -errno;
	qsort(names, n, sizeof(char *), strcmp_ptr);
	*ret_names = TAKE_PTR(names);
	return 0;
}

struct rvisor_policy_config *policy_free(struct rvisor_policy_config *c)
{
	if (c) {
		free(c->name);
		free(c->path);
		free(c->hostname);
		free(c);
	}
	return NULL;
}

/* As rvisor.ko's rvisor_rule_valid(). */
static bool rule_valid(unsigned int action, unsigned int error, bool in_table)
{
	if (action >= RVISOR_ACTION_MAX)
		return false;
	if (action == RVISOR_ACTION_DENY)
		return error >= 1 && error <= 4095;
	if (action == RVISOR_ACTION_EMULATE && !in_table)
		return false;
	return error == 0;
}

const char *policy_layers_to_string(unsigned int layers)
{
	switch (layers) {
	case POLICY_LAYERS_BOTH:
		return "both";
	case POLICY_LAYER_KERNEL:
		return "kernel";
	case POLICY_LAYER_SECCOMP:
		return "seccomp";
	default:
		return NULL;
	}
}

const char *policy_layers_to_display(unsigned int layers)
{
	switch (layers) {
	case POLICY_LAYERS_BOTH:
		return "kernel+seccomp";
	case POLICY_LAYER_KERNEL:
		return "kernel";
	case POLICY_LAYER_SECCOMP:
		return "seccomp";
	default:
		return "none";
	}
}

const char *policy_ungated_syscall(size_t i)
{
	static const char *const names[] = { "io_uring_setup", "io_uring_enter", "io_uring_register" };

	return i < ARRAY_SIZE(names) ? names[i] : NULL;
}

int policy_kernel_validate(const struct rvisor_policy *p)
{
	const char *name;

	if (!p || (p->flags & ~RVISOR_POLICY_FLAGS_ALL))
		return -EINVAL;
	if (p->flags & (RVISOR_POLICY_ALLOW_COMPAT | RVISOR_POLICY_ALLOW_X32))
		return -EOPNOTSUPP;
	for (size_t i = 0; !(p->flags & RVISOR_POLICY_UNGATED) && (name = policy_ungated_syscall(i)); i++) {
		uint16_t action = p->syscalls[syscall_nr(name)].action;

		if (action == RVISOR_ACTION_PASS || action == RVISOR_ACTION_LOG)
			return -EPERM;
	}
	if (!rule_valid(p->default_action, p->default_errno, false))
		return -EINVAL;
	if (p->nr_ioctls > RVISOR_MAX_IOCTL_RULES || p->nr_prctls > RVISOR_MAX_PRCTL_RULES)
		return -EINVAL;
	for (unsigned int i = p->nr_ioctls; i < RVISOR_MAX_IOCTL_RULES; i++)
		if (p->ioctls[i])
			return -EINVAL;
	for (unsigned int i = p->nr_prctls; i < RVISOR_MAX_PRCTL_RULES; i++)
		if (p->prctls[i])
			return -EINVAL;
	if (p->reserved0 || (!(p->flags & RVISOR_POLICY_FILTER_NETLINK) && p->netlink_protocols))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(p->reserved); i++)
		if (p->reserved[i])
			return -EINVAL;
	for (int nr = 0; nr < RVISOR_NR_SYSCALLS; nr++) {
		const struct rvisor_syscall_rule *r = &p->syscalls[nr];

		if (!rule_valid(r->action, r->error, true))
			return -EINVAL;
		if (r->action == RVISOR_ACTION_EMULATE && !emulatable(nr))
			return -EINVAL;
	}
	return 0;
}
