/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandbox policies: the files /etc/rvisor/policies/<name>.conf (format: docs/policy.md), read
 * into the sandbox's settings plus the kernel's struct rvisor_policy, and the seccomp-bpf
 * filter that stands in for rvisor.ko when the module is not loaded. Library code: returns
 * -errno, never logs; a file's mistakes come back as "FILE:LINE: message" text.
 */
#ifndef RVISOR_POLICY_H
#define RVISOR_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sched.h>

#include <json-c/json.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/rvisor.h>

#include "macro.h"

#define POLICY_DIR_DEFAULT "/etc/rvisor/policies"
#define POLICY_NAME_MAX 64 /* a name is [A-Za-z0-9_-]{1,64} */
#define POLICY_HOSTNAME_MAX (RVISOR_UTS_LEN - 1)

enum policy_network {
	POLICY_NETWORK_NONE, /* an own network namespace with nothing but loopback */
	POLICY_NETWORK_HOST, /* the host's network namespace */
};

enum policy_kernel_layer {
	POLICY_KERNEL_LAYER_PREFERRED, /* rvisor.ko when loaded, else the seccomp filter */
	POLICY_KERNEL_LAYER_REQUIRED,  /* rvisor.ko, or the sandbox is refused */
};

enum policy_userns {
	POLICY_USERNS_AUTO,   /* a user namespace for every caller but root (who may ask for one) */
	POLICY_USERNS_ALWAYS, /* for root's sandboxes too */
};

/* The layers that enforce a sandbox's syscall policy (bits; docs/security.md). */
#define POLICY_LAYER_KERNEL  (1U << 0) /* rvisor.ko's gate (when the module is loaded) */
#define POLICY_LAYER_SECCOMP (1U << 1) /* the policy's seccomp filter */
#define POLICY_LAYERS_BOTH   (POLICY_LAYER_KERNEL | POLICY_LAYER_SECCOMP)

/* Docker's default capability set: what the root of a sandbox in a user namespace holds over
 * that namespace (and the namespaces it owns), unless the policy narrows it. */
#define POLICY_CAPS_DEFAULT                                                                    \
	((1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_FSETID) |             \
	 (1ULL << CAP_FOWNER) | (1ULL << CAP_MKNOD) | (1ULL << CAP_NET_RAW) |                  \
	 (1ULL << CAP_SETGID) | (1ULL << CAP_SETUID) | (1ULL << CAP_SETFCAP) |                 \
	 (1ULL << CAP_SETPCAP) | (1ULL << CAP_NET_BIND_SERVICE) | (1ULL << CAP_SYS_CHROOT) |   \
	 (1ULL << CAP_KILL) | (1ULL << CAP_AUDIT_WRITE))

/* What a policy may list: the default set, and NET_ADMIN, which a sandbox's root holds over
 * the network namespace its user namespace owns (its own interfaces, addresses and routes),
 * never over the host's (--network host: that namespace is the initial user namespace's). */
#define POLICY_CAPS_ALLOWED (POLICY_CAPS_DEFAULT | (1ULL << CAP_NET_ADMIN))

/* The writable layer's size when the policy does not say. */
#define POLICY_STORAGE_DEFAULT (256ULL << 20)

struct rvisor_policy_config {
	char *name;           /* the file's name without ".conf" */
	char *path;           /* the file it was read from */
	uint64_t memory_max;  /* bytes: cgroup memory.max and sysinfo's totalram; UINT64_MAX:
			       * unlimited (then SANDBOX_CREATE's memory_limit is 0, the host's) */
	uint64_t pids_max;    /* cgroup pids.max; UINT64_MAX: unlimited */
	uint64_t cpus_milli;  /* [sandbox] cpus, in thousandths of a CPU: cpu.max's quota is
			       * cpus_milli * 100 us per 100 ms; 0: no limit (docker's meaning) */
	bool has_cpuset;      /* [sandbox] cpuset was given: the CPUs its sandboxes may use */
	cpu_set_t cpuset;     /* (without it: any CPU the daemon's cgroup offers) */
	enum policy_network network;
	char *hostname;       /* uname's nodename inside, 1..POLICY_HOSTNAME_MAX bytes */
	enum policy_kernel_layer kernel_layer;
	unsigned int layers;  /* [sandbox] layers: POLICY_LAYERS_BOTH (default), _KERNEL or _SECCOMP;
			       * without rvisor.ko a sandbox gets layers & POLICY_LAYER_SECCOMP */
	uint64_t storage_max; /* bytes: the size of the sandbox's writable layer (a tmpfs) */
	enum policy_userns userns;
	uint64_t capabilities; /* bit N: capability N, kept by root in a user namespace; a subset
				* of POLICY_CAPS_ALLOWED */
	bool has_user;        /* [sandbox] user was given: uid and gid are the workload's default */
	uid_t uid;
	gid_t gid;
	bool listed[RVISOR_NR_SYSCALLS]; /* named in [syscalls]; the others got the default */
	struct rvisor_policy kernel;     /* compiled: what SANDBOX_CREATE and SET_POLICY take */
};

/* Whether name may be a sandbox's hostname: 1..POLICY_HOSTNAME_MAX letters, digits, '-' and
 * '.' (a policy's hostname, rvisorctl run --hostname). */
bool policy_hostname_valid(const char *name);

/* Whether refusals of syscall nr are quiet (counted, no event): RVISOR_POLICY's quiet bits. */
static inline bool policy_quiet(const struct rvisor_policy *p, int nr)
{
	return p->quiet[nr / 64] & (UINT64_C(1) << (nr % 64));
}

/* Whether name may name a policy: [A-Za-z0-9_-]{1,64}, so it never leaves the directory. */
bool policy_name_valid(const char *name);

/* Reads and compiles one policy file. 0 and *ret set (free with policy_free()); -EINVAL when
 * the content is wrong, and then, when ret_error is not NULL, *ret_error is the message as
 * "FILE:LINE: message" (FILE as path was given; the caller frees it); other -errno (-ENOENT,
 * -EACCES, -ENOMEM, ...) when it cannot be read, *ret_error untouched. */
int policy_load_file(const char *path, struct rvisor_policy_config **ret, char **ret_error);

/* policy_load_file() of DIR/NAME.conf. -EINVAL (no *ret_error) for a name that is not valid,
 * -ENOENT when there is no such policy. */
int policy_load(const char *dir, const char *name, struct rvisor_policy_config **ret,
		char **ret_error);

/* policy_load_file() of text[0..size-1] (NUL bytes and all), written to a memfd and read back
 * as /proc/self/fd/N: what rvisord's CheckPolicy does with a client's text, and what
 * tests/fuzz/fuzz-policy.c fuzzes. *ret_error is "NAME:LINE: message"; *ret's name and path
 * are the memfd's. -EIO when the text cannot be written, else as policy_load_file(). */
int policy_load_text(const char *name, const char *text, size_t size, struct rvisor_policy_config **ret,
		     char **ret_error);

/* The names of the policies in dir: every "NAME.conf" that is a regular file (or a link to
 * one) with a valid NAME, sorted by strcmp(), NULL-terminated; free with policy_names_free().
 * -errno of opendir() (-ENOENT for a missing directory) or -ENOMEM. */
int policy_list(const char *dir, char ***ret_names);
char **policy_names_free(char **names);

struct rvisor_policy_config *policy_free(struct rvisor_policy_config *c);

static inline void policy_freep(struct rvisor_policy_config **c)
{
	policy_free(*c);
}
static inline void policy_names_freep(char ***names)
{
	policy_names_free(*names);
}
#define _cleanup_policy_ _cleanup_(policy_freep)
#define _cleanup_policy_names_ _cleanup_(policy_names_freep)

/* Layers as a policy's layers key spells them: "both", "kernel", "seccomp"; NULL for 0. */
const char *policy_layers_to_string(unsigned int layers);

/* Layers as rvisord shows a sandbox's: "kernel+seccomp", "kernel", "seccomp" or "none". */
const char *policy_layers_to_display(unsigned int layers);

/* The name of capability cap without "CAP_" ("CHOWN"), or NULL for one rvisor does not know. */
const char *policy_capability_name(unsigned cap);

/* The syscalls whose work rvisor.ko's gate cannot see (io_uring's), i = 0, 1, ...; NULL
 * after the last. A policy may let them run only with ungated = yes (RVISOR_POLICY_UNGATED). */
const char *policy_ungated_syscall(size_t i);

/* Checks a compiled policy the way rvisor.ko does before accepting it (flags, actions,
 * errnos, rule counts, unused entries and reserved fields zero, EMULATE only for uname,
 * sethostname, setdomainname, sysinfo, sched_getaffinity): 0 or -EINVAL; -EOPNOTSUPP for the
 * ia32/x32 flags (always refused); -EPERM when an ungated syscall may run without
 * RVISOR_POLICY_UNGATED. */
int policy_kernel_validate(const struct rvisor_policy *p);

/* The policy for the daemon's GetPolicy: {"name", "path", "sandbox": {"memory", "pids"
 * (numbers, or "max"), "cpus" (a number of CPUs such as 1.5, or "max"), "cpuset" ("0-3", or
 * absent: any), "storage" (bytes), "network", "hostname", "kernel_layer", "layers" ("both",
 * "kernel" or "seccomp"), "userns" ("auto"
 * or "always"), "capabilities" (["CHOWN", ...]), "user": {"uid", "gid"} or absent}, "syscalls": {"default": "deny:ENOSYS", "allow": [names], "emulate", "deny"
 * (["mount:EPERM", ...]), "kill", "log"}, "ioctl": {"allow": [names or "0x..."]} or absent
 * when not filtered, "socket": {"families": [...]} or absent, "prctl": {"allow": [...]} or
 * absent, "compat": {"ia32", "x32", "namespaces": booleans}}. NULL when out of memory. */
json_object *policy_to_json(const struct rvisor_policy_config *c);

/*
 * The policy's seccomp filter (lib/policy-seccomp.c): the compiled policy as classic BPF,
 * equivalent to rvisor.ko's table as far as seccomp can express it (docs/policy.md). Alone it
 * is the sandbox's syscall policy; with POLICY_SECCOMP_WITH_GATE it is the layer under
 * rvisor.ko's gate, which then logs what the policy logs (LOG becomes ALLOW here).
 * Every syscall without an argument rule is decided by its number alone, so the kernel's
 * per-syscall cache of allowed calls (Linux 5.11+) skips the filter for it.
 */
#define POLICY_SECCOMP_WITH_GATE (1U << 0)

struct policy_seccomp {
	unsigned int n;              /* programs, in load order: 1 to 3 */
	struct sock_fprog progs[3];  /* the ioctl and the argument filters when there are
				      * those, then the main filter; each a malloc()ed
				      * BPF_MAXINSNS or fewer */
};

/* Builds the programs for p. -EINVAL for a policy policy_kernel_validate() refuses or an
 * unknown flag, -EOPNOTSUPP on a host that is not x86-64, -ENOMEM. */
int policy_seccomp_compile(const struct rvisor_policy *p, unsigned int flags,
			   struct policy_seccomp **ret);

/* Installs f into the calling thread (no TSYNC: call it single-threaded, between fork and
 * execve). Allocates nothing and calls only seccomp(2), so a child of a raw clone() may use
 * it. Seccomp needs no_new_privs or CAP_SYS_ADMIN; this never sets it: call
 * prctl(PR_SET_NO_NEW_PRIVS, 1) first, or get -EACCES. On failure the thread may be left
 * with the first program only: it must not go on to run the workload. */
int policy_seccomp_install(const struct policy_seccomp *f);

/* Frees f; NULL is fine; returns NULL. */
struct policy_seccomp *policy_seccomp_free(struct policy_seccomp *f);

static inline void policy_seccomp_freep(struct policy_seccomp **f)
{
	policy_seccomp_free(*f);
}
#define _cleanup_policy_seccomp_ _cleanup_(policy_seccomp_freep)

/* policy_seccomp_compile(), then policy_seccomp_install(). */
int policy_seccomp_load(const struct rvisor_policy *p, unsigned int flags);

/* Writes f's programs as raw BPF (struct sock_filter[]) to fd, one after the other in load
 * order. Returns how many programs it wrote (1 or 2), or -errno. */
int policy_seccomp_write(const struct policy_seccomp *f, int fd);

/* policy_seccomp_compile(), then policy_seccomp_write(). */
int policy_seccomp_export_bpf(const struct rvisor_policy *p, unsigned int flags, int fd);

#endif
