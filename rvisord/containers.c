/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OCI containers that rvisor-runc creates: PrepareContainer, BindContainer, ReleaseContainer,
 * and taking over an earlier rvisord's bound containers from their records. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base64.h"
#include "containers.h"
#include "device.h"
#include "journal.h"
#include "json-util.h"
#include "kernel.h"
#include "log.h"
#include "macro.h"
#include "manager-errors.h"
#include "manager-internal.h"
#include "oci-bind.h"
#include "policy.h"
#include "strv.h"

static const char *container_policy_name(const struct manager *m)
{
	return m->config->container_policy ?: m->config->default_policy;
}

/* The layers rvisor adds to a container of this policy here: the gate only with rvisor.ko;
 * two layers, the gate and a seccomp filter, the engine's where it brings one (the call's
 * engine_seccomp). */
static unsigned int container_layers(const struct manager *m, const struct rvisor_policy_config *pol,
				     bool engine_seccomp)
{
	unsigned int layers = pol->layers & (m->rvisor_fd >= 0 ? POLICY_LAYERS_BOTH : POLICY_LAYER_SECCOMP);

	if ((layers & POLICY_LAYER_KERNEL) && engine_seccomp)
		layers &= ~POLICY_LAYER_SECCOMP;
	return layers;
}

/* The policy's seccomp programs as base64 strings, for the runtime to chain after the
 * engine's own profile (with the gate, the filter is the layer under it). */
static int seccomp_programs_json(const struct rvisor_policy_config *pol, unsigned int layers,
				 json_object **ret)
{
	_cleanup_policy_seccomp_ struct policy_seccomp *f = NULL;
	json_object *a;
	int r;

	r = policy_seccomp_compile(&pol->kernel, layers & POLICY_LAYER_KERNEL ? POLICY_SECCOMP_WITH_GATE : 0, &f);
	if (r < 0)
		return r;
	a = json_object_new_array();
	for (unsigned i = 0; i < f->n; i++) {
		_cleanup_free_ char *text = NULL;

		r = base64_encode(f->progs[i].filter, f->progs[i].len * sizeof(struct sock_filter), &text);
		if (r < 0) {
			json_object_put(a);
			return r;
		}
		json_object_array_add(a, json_object_new_string(text));
	}
	*ret = a;
	return 0;
}

int method_prepare_container(VarlinkCall *call, void *params, void *userdata)
{
	const struct prepare_container_params *q = params;
	struct manager *m = userdata;
	_cleanup_policy_ struct rvisor_policy_config *pol = NULL;
	const char *name = q->policy ?: container_policy_name(m);
	json_object *p, *bpf = NULL;
	unsigned int layers;
	int r;

	r = policy_for_call(m, call, name, &pol);
	if (r <= 0)
		return r;
	layers = container_layers(m, pol, q->engine_seccomp);
	if (layers & POLICY_LAYER_SECCOMP) {
		r = seccomp_programs_json(pol, layers, &bpf);
		if (r < 0)
			return reply_error_reason(call, MANAGER_ERROR(PolicyInvalid), "reason",
						  "the policy cannot be compiled to a seccomp filter");
	}
	p = json_object_new_object();
	json_object_object_add(p, "policy", json_object_new_string(pol->name));
	json_object_object_add(p, "layers", layers_json(layers));
	add_uint_or_null(p, "memory_max", pol->memory_max);
	add_uint_or_null(p, "pids_max", pol->pids_max);
	if (bpf)
		json_object_object_add(p, "seccomp_bpf", bpf);
	return varlink_call_reply(call, p);
}

static struct sandbox *container_find(struct manager *m, uid_t owner, const char *container)
{
	for (struct sandbox *s = m->sandboxes; s; s = s->next)
		if (s->container && s->owner == owner && strcmp(s->container, container) == 0)
			return s;
	return NULL;
}

static int reply_container_error(VarlinkCall *call, const char *error, const char *container)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "container", json_object_new_string(container));
	return varlink_call_error(call, error, p);
}

/* The container's init, from the call's fd 0: 1 and its pid once it is known to be the
 * caller's, else the reply's result. */
static int bind_target(VarlinkCall *call, int pidfd, pid_t *ret_pid)
{
	int r;

	if (pidfd < 0)
		return reply_bad_fd(call, 0, "no pidfd of the container's init was sent");
	r = pidfd_to_pid(pidfd, ret_pid);
	if (r == -EBADF)
		return reply_bad_fd(call, 0, "not a pidfd");
	if (r == 0)
		r = oci_namespace_owned_by(pidfd, *ret_pid, caller_uid(call));
	if (r == -ESRCH)
		return reply_error_reason(call, MANAGER_ERROR(SandboxFailed), "reason",
					  "the container's init has exited (or is in a pid namespace rvisord cannot see)");
	if (r == -EPERM)
		return varlink_call_error(call, MANAGER_ERROR(PermissionDenied), NULL);
	return r < 0 ? r : 1;
}

/* A kernel sandbox for the container, bound to the namespace of pid and armed at its first
 * execve: 0 and *ret_id, else -errno with *ret_reason. */
static int bind_kernel_sandbox(struct manager *m, const struct rvisor_policy_config *pol, const char *name,
			       const struct bind_container_params *q, pid_t pid, int pidfd,
			       const char *cgroup_dir, uint64_t *ret_id, const char **ret_reason)
{
	const char *hostname = q->hostname, *domainname = q->domainname;
	struct rvisor_sandbox_spec spec = { .policy = (uintptr_t)&pol->kernel };
	struct rvisor_sandbox_bind b = { .pid = pid, .flags = RVISOR_BIND_ARM_AT_EXEC };
	struct rvisor_sandbox_id d = { 0 }; /* reserved fields must be zero */
	_cleanup_close_ int cgroup_fd = -1;
	struct utsname u;

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	/* The engine's cgroup for the container (its -m and --cpus): the emulated sysinfo and
	 * sched_getaffinity follow it. Not the cgroup tree's root, which is the whole host. */
	if (cgroup_dir && !cgroup_dir_is_root(cgroup_dir)) {
		cgroup_fd = open(cgroup_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cgroup_fd >= 0) {
			spec.flags |= RVISOR_SANDBOX_CGROUP;
			spec.cgroup_fd = cgroup_fd;
		}
	}
	if (pol->memory_max != UINT64_MAX)
		spec.memory_limit = pol->memory_max;
	snprintf(spec.name, sizeof(spec.name), "%s", name);
	snprintf(spec.nodename, sizeof(spec.nodename), "%s", hostname ?: u.nodename);
	snprintf(spec.domainname, sizeof(spec.domainname), "%s", domainname ?: u.domainname);
	if (ioctl(m->rvisor_fd, RVISOR_IOC_SANDBOX_CREATE, &spec) < 0) {
		*ret_reason = "rvisor.ko refused the sandbox (SANDBOX_CREATE)";
		return -errno;
	}
	b.id = d.id = spec.id;
	if (ioctl(m->rvisor_fd, RVISOR_IOC_SANDBOX_BIND, &b) < 0) {
		int r = -errno;

		*ret_reason = r == -EINVAL ? "the container's init is not the pid 1 of a pid namespace of its own "
					     "(an OCI container under rvisor needs its own pid namespace)" :
			      r == -EBUSY  ? "the container's pid namespace is bound to a sandbox already" :
					     "rvisor.ko could not bind the container's pid namespace";
		(void)ioctl(m->rvisor_fd, RVISOR_IOC_SANDBOX_DESTROY, &d);
		return r;
	}
	/* Bound while the pidfd's process lived: then pid named it, not a recycled one. */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
		*ret_reason = "the container's init exited while it was being bound";
		(void)ioctl(m->rvisor_fd, RVISOR_IOC_SANDBOX_DESTROY, &d);
		return -ESRCH;
	}
	*ret_id = spec.id;
	return 0;
}

/* Whether pid lives in a user namespace other than rvisord's. */
static bool in_own_userns(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	return stat(path, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino != b.st_ino;
}

static struct oci_record sandbox_record(const struct sandbox *s)
{
	return (struct oci_record){
		.kernel_id = s->kernel_id, .owner = s->owner, .pid = s->pid,
		.started_usec = s->started_usec, .layers = s->layers, .container = s->container,
		.policy = s->policy, .bundle = s->image, .command = s->argv,
	};
}

static struct sandbox *container_sandbox_new(struct manager *m, const char *container, uid_t owner,
					     const char *policy, const char *bundle)
{
	struct sandbox *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->m = m;
	s->id = m->next_id++;
	s->owner = owner;
	s->container = strdup(container);
	s->name = strndup(container, 12); /* as docker shortens ids */
	s->policy = strdup(policy);
	s->image = strdup(bundle);
	if (!s->container || !s->name || !s->policy || !s->image) {
		sandbox_free(s);
		return NULL;
	}
	return s;
}

int method_bind_container(VarlinkCall *call, void *params, void *userdata)
{
	struct bind_container_params *q = params;
	struct manager *m = userdata;
	_cleanup_policy_ struct rvisor_policy_config *pol = NULL;
	const char *container = q->container, *bundle = q->bundle;
	const char *name = q->policy ?: container_policy_name(m), *reason = NULL;
	_cleanup_close_ int pidfd = varlink_call_take_fd(call, 0);
	struct oci_record rec;
	struct sandbox *s;
	json_object *v;
	pid_t pid = 0;
	int r;

	if (!oci_container_id_valid(container))
		return varlink_call_error_invalid_parameter(call, "container");
	if (bundle[0] != '/' || strlen(bundle) >= PATH_MAX)
		return varlink_call_error_invalid_parameter(call, "bundle");
	if (strlen(q->hostname ?: "") >= RVISOR_UTS_LEN)
		return varlink_call_error_invalid_parameter(call, "hostname");
	if (strlen(q->domainname ?: "") >= RVISOR_UTS_LEN)
		return varlink_call_error_invalid_parameter(call, "domainname");
	if (m->rvisor_fd < 0)
		return reply_error_reason(call, MANAGER_ERROR(KernelLayerUnavailable), "reason",
					  "rvisor.ko is not loaded: nothing to bind a container to");
	r = policy_for_call(m, call, name, &pol);
	if (r <= 0)
		return r;
	if (!(container_layers(m, pol, q->engine_seccomp) & POLICY_LAYER_KERNEL))
		return reply_error_reason(call, MANAGER_ERROR(SandboxFailed), "reason",
					  "the policy has no kernel layer (layers = seccomp): there is nothing to bind");
	r = quota_check(m, call);
	if (r <= 0)
		return r;
	if (strv_bytes(q->command) > RUN_ARGS_MAX)
		return varlink_call_error_invalid_parameter(call, "command");
	if (container_find(m, caller_uid(call), container))
		return reply_container_error(call, MANAGER_ERROR(ContainerExists), container);
	r = bind_target(call, pidfd, &pid);
	if (r <= 0)
		return r;

	s = container_sandbox_new(m, container, caller_uid(call), pol->name, bundle);
	if (!s)
		return -ENOMEM;
	s->argv = TAKE_PTR(q->command);
	s->pid = pid;
	s->layers = container_layers(m, pol, q->engine_seccomp);
	s->userns = in_own_userns(pid);
	s->started_usec = (uint64_t)time(NULL) * 1000000ULL;
	(void)process_cgroup_dir(pid, &s->cgroup_dir);
	r = bind_kernel_sandbox(m, pol, s->name, q, pid, pidfd, s->cgroup_dir, &s->kernel_id, &reason);
	if (r < 0) {
		journal_sandbox(LOG_WARNING, journal_fields(s), "container %s (uid %u): %s: %s", container,
				(unsigned)s->owner, reason, strerror(-r));
		sandbox_free(s);
		return reply_error_reason(call, MANAGER_ERROR(SandboxFailed), "reason", reason);
	}
	rec = sandbox_record(s);
	r = oci_record_save(m->oci_dir, &rec);
	if (r < 0) {
		log_error_errno(r, "container %s: cannot save its record in %s: %m", container, m->oci_dir);
		sandbox_free(s); /* destroys the kernel sandbox */
		return reply_error_reason(call, MANAGER_ERROR(SandboxFailed), "reason",
					  "rvisord cannot keep a record of the container");
	}
	sandbox_link(m, s);
	journal_sandbox(LOG_INFO, journal_fields(s),
			"container %s bound for uid %u: sandbox %" PRIu64 ", kernel sandbox %" PRIu64
			", policy %s, layers %s, pid %d, bundle %s",
			container, (unsigned)s->owner, s->id, s->kernel_id, s->policy,
			policy_layers_to_display(s->layers), (int)pid, bundle);
	v = json_object_new_object();
	json_object_object_add(v, "id", json_object_new_int64((int64_t)s->id));
	json_object_object_add(v, "layers", layers_json(s->layers));
	return varlink_call_reply(call, v);
}

int method_release_container(VarlinkCall *call, void *params, void *userdata)
{
	struct manager *m = userdata;
	const char *container = ((const struct release_container_params *)params)->container;
	struct sandbox *s;

	if (!oci_container_id_valid(container))
		return varlink_call_error_invalid_parameter(call, "container");
	s = container_find(m, caller_uid(call), container);
	if (!s)
		return reply_container_error(call, MANAGER_ERROR(ContainerNotFound), container);
	journal_sandbox(LOG_INFO, journal_fields(s), "container %s (sandbox %" PRIu64 ") released",
			container, s->id);
	sandbox_unlink_and_free(s);
	return varlink_call_reply(call, NULL);
}

/* Kernel sandboxes that outlived an earlier rvisord but are no one's (no record, not made
 * to die with their manager): destroyed, so that nothing stays gated or counted forever. */
/* A restarted rvisord takes over the containers an earlier one bound, from their records;
 * records of containers that are gone, and kernel sandboxes nobody can own, are removed. */
void containers_adopt(struct manager *m)
{
	struct oci_record *recs = NULL;
	size_t n = 0;
	int r;

	r = oci_records_load(m->oci_dir, &recs, &n);
	if (r < 0) {
		log_warning_errno(r, "Cannot read the records of bound containers in %s: %m", m->oci_dir);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct oci_record *rec = &recs[i];
		struct rvisor_sandbox_stats st = { .id = rec->kernel_id };
		struct rvisor_sandbox_id d = { .id = rec->kernel_id };
		struct sandbox *s;
		bool alive = m->rvisor_fd >= 0 && ioctl(m->rvisor_fd, RVISOR_IOC_SANDBOX_STATS, &st) == 0 &&
			     !(st.state & RVISOR_SANDBOX_INIT_EXITED) && st.init_pid == rec->pid;

		if (!alive) {
			if (m->rvisor_fd >= 0)
				(void)ioctl(m->rvisor_fd, RVISOR_IOC_SANDBOX_DESTROY, &d);
			(void)oci_record_remove(m->oci_dir, rec->kernel_id);
			log_info("Container %s of uid %u has ended while rvisord was away", rec->container,
				 (unsigned)rec->owner);
			continue;
		}
		s = container_sandbox_new(m, rec->container, rec->owner, rec->policy, rec->bundle);
		if (!s)
			break;
		s->argv = TAKE_PTR(rec->command);
		s->kernel_id = rec->kernel_id;
		s->pid = rec->pid;
		s->layers = rec->layers;
		s->started_usec = rec->started_usec;
		s->userns = in_own_userns(rec->pid);
		(void)process_cgroup_dir(rec->pid, &s->cgroup_dir);
		sandbox_link(m, s);
		log_info("Adopted container %s of uid %u (kernel sandbox %" PRIu64 ")", rec->container,
			 (unsigned)rec->owner, rec->kernel_id);
	}
	for (size_t i = 0; i < n; i++)
		oci_record_done(&recs[i]);
	free(recs);
	if (m->rvisor_fd >= 0)
		kernel_destroy_orphans(m);
}
