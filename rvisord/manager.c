/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The io.rvisor.Manager service (IDL: io.rvisor.Manager.varlink): Run starts a sandbox and
 * streams its end, the other methods inspect and steer. One struct sandbox per running
 * sandbox, owned by the manager; it ends when its init exits (reaped through sd-event) or
 * when its client disconnects first (then it is killed).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <unistd.h>

#include <seccomp.h>
#include <systemd/sd-daemon.h>

#include "base64.h"
#include "cgroup.h"
#include "container.h"
#include "containers.h"
#include "cpus.h"
#include "detached.h"
#include "device.h"
#include "exec.h"
#include "idmap.h"
#include "journal.h"
#include "json-util.h"
#include "kernel.h"
#include "log.h"
#include "manager-errors.h"
#include "manager-internal.h"
#include "manager.h"
#include "mkdir.h"
#include "mounts.h"
#include "oci-bind.h"
#include "policy.h"
#include "sandbox-name.h"
#include "strv.h"
#include "user-ids.h"

/* What List shows of a command line. */
#define COMMAND_SHOWN_MAX 4096U

/* The command line for List: at most COMMAND_SHOWN_MAX bytes in all, the last argument
 * shown cut short with "...". A listing must stay small whatever a caller ran. */
static json_object *json_command(char **l)
{
	json_object *a = json_object_new_array();
	size_t left = COMMAND_SHOWN_MAX;

	for (char **p = l; p && *p && left > 0; p++) {
		size_t n = strlen(*p);

		if (n <= left) {
			json_object_array_add(a, json_object_new_string(*p));
			left -= n;
		} else {
			_cleanup_free_ char *cut = NULL;

			if (asprintf(&cut, "%.*s...", (int)left, *p) >= 0)
				json_object_array_add(a, json_object_new_string(cut));
			left = 0;
		}
	}
	return a;
}

/* A boolean parameter that is there and true. */
int reply_error_reason(VarlinkCall *call, const char *error, const char *key, const char *reason)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, key, json_object_new_string(reason));
	return varlink_call_error(call, error, p);
}

/* ImageNotFound names the image as the caller did, as its declaration says. */
static int reply_image_not_found(VarlinkCall *call, const char *image, const char *reason)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "image", json_object_new_string(image));
	json_object_object_add(p, "reason", json_object_new_string(reason));
	return varlink_call_error(call, MANAGER_ERROR(ImageNotFound), p);
}

/* LimitAbovePolicy for parameter "memory", "pids", "cpus_milli" or "cpuset", with the
 * policy's own limit of that, or "network" (the policy's network is none). */
static int reply_limit_above_policy(VarlinkCall *call, const char *parameter,
				    const struct rvisor_policy_config *policy)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "parameter", json_object_new_string(parameter));
	json_object_object_add(p, "policy", json_object_new_string(policy->name));
	if (strcmp(parameter, "cpuset") == 0) {
		_cleanup_free_ char *list = NULL;

		if (cpulist_format(&policy->cpuset, &list) < 0) {
			json_object_put(p);
			return -ENOMEM;
		}
		json_object_object_add(p, "cpuset", json_object_new_string(list));
	} else if (strcmp(parameter, "network") != 0)
		json_object_object_add(p, "limit", json_object_new_int64(
			(int64_t)(strcmp(parameter, "cpus_milli") == 0 ? policy->cpus_milli :
				  strcmp(parameter, "pids") == 0       ? policy->pids_max :
									 policy->memory_max)));
	return varlink_call_error(call, MANAGER_ERROR(LimitAbovePolicy), p);
}

/* CpusetUnavailable: CPUs asked for (by the call, or by the policy when policy is not NULL)
 * that the sandboxes here cannot use. */
static int reply_cpuset_unavailable(VarlinkCall *call, const cpu_set_t *asked, const cpu_set_t *offered,
				    const char *policy)
{
	_cleanup_free_ char *a = NULL, *o = NULL;
	json_object *p;

	if (cpulist_format(asked, &a) < 0 || cpulist_format(offered, &o) < 0)
		return -ENOMEM;
	p = json_object_new_object();
	json_object_object_add(p, "cpuset", json_object_new_string(a));
	json_object_object_add(p, "available", json_object_new_string(o));
	if (policy)
		json_object_object_add(p, "policy", json_object_new_string(policy));
	return varlink_call_error(call, MANAGER_ERROR(CpusetUnavailable), p);
}

uid_t caller_uid(VarlinkCall *call)
{
	return varlink_call_peer(call)->uid;
}

/* Root sees and acts on every sandbox, everyone else on their own only. */
static bool sandbox_visible(const struct sandbox *s, uid_t uid)
{
	return uid == 0 || s->owner == uid;
}

static struct sandbox *sandbox_find(struct manager *m, uint64_t id, uid_t uid)
{
	for (struct sandbox *s = m->sandboxes; s; s = s->next)
		if (s->id == id)
			return sandbox_visible(s, uid) ? s : NULL;
	return NULL;
}

static unsigned sandboxes_of(const struct manager *m, uid_t uid)
{
	unsigned n = 0;

	for (const struct sandbox *s = m->sandboxes; s; s = s->next)
		n += s->owner == uid;
	return n;
}

/* A caller's own sandbox of that name, else (root) the only other one: names are unique per
 * owner only. *ret_ambiguous: more than one could be meant. */
static struct sandbox *sandbox_find_name(struct manager *m, const char *name, uid_t uid, bool *ret_ambiguous)
{
	struct sandbox *own = NULL, *other = NULL;
	unsigned n_own = 0, n_other = 0;

	for (struct sandbox *s = m->sandboxes; s; s = s->next) {
		if (!s->name || strcmp(s->name, name) != 0 || !sandbox_visible(s, uid))
			continue;
		if (s->owner == uid)
			own = s, n_own++;
		else
			other = s, n_other++;
	}
	*ret_ambiguous = n_own > 1 || (n_own == 0 && n_other > 1);
	if (*ret_ambiguous)
		return NULL;
	return own ?: other;
}

static void reply_sandbox_not_found(VarlinkCall *call, const char *error, int64_t id, const char *name)
{
	json_object *p = json_object_new_object();

	if (name)
		json_object_object_add(p, "name", json_object_new_string(name));
	else
		json_object_object_add(p, "id", json_object_new_int64(id));
	varlink_call_error(call, error, p);
}

struct sandbox *sandbox_from_params(struct manager *m, VarlinkCall *call, struct varlink_int id,
				    const char *name)
{
	struct sandbox *s;
	bool ambiguous = false;

	if (id.set == !!name) {
		varlink_call_error_invalid_parameter(call, id.set ? "name" : "id");
		return NULL;
	}
	if (!name) {
		if (id.value <= 0) {
			varlink_call_error_invalid_parameter(call, "id");
			return NULL;
		}
		s = sandbox_find(m, (uint64_t)id.value, caller_uid(call));
	} else {
		if (!sandbox_name_valid(name)) {
			varlink_call_error_invalid_parameter(call, "name");
			return NULL;
		}
		s = sandbox_find_name(m, name, caller_uid(call), &ambiguous);
	}
	if (!s)
		reply_sandbox_not_found(call, ambiguous ? MANAGER_ERROR(NameAmbiguous) : MANAGER_ERROR(SandboxNotFound),
					id.value, name);
	return s;
}

static bool sandbox_name_taken(const struct manager *m, uid_t owner, const char *name)
{
	for (const struct sandbox *s = m->sandboxes; s; s = s->next)
		if (s->owner == owner && s->name && strcmp(s->name, name) == 0)
			return true;
	return false;
}

struct journal_sandbox_fields journal_fields(const struct sandbox *s)
{
	return (struct journal_sandbox_fields){
		.id = s->id, .name = s->name, .policy = s->policy, .owner_uid = s->owner,
	};
}

uint64_t sandbox_kernel_id(const struct sandbox *s)
{
	return s->c ? s->c->sandbox_id : s->kernel_id;
}

static pid_t sandbox_pid(const struct sandbox *s)
{
	return s->c ? s->c->pid : s->pid;
}

static const char *sandbox_cgroup_dir(const struct sandbox *s)
{
	return s->c ? s->c->cgroup_dir : s->cgroup_dir;
}

void sandbox_link(struct manager *m, struct sandbox *s)
{
	s->next = m->sandboxes;
	m->sandboxes = s;
	m->n_sandboxes++;
	m->idle_since_usec = 0;
}

/* A struct sandbox for a bound container; takes nothing from the caller. NULL: no memory. */
/* A bound OCI container's kernel sandbox goes (killing what is left in it) with its record;
 * while rvisord stops, both stay for the next rvisord to adopt. */
static void container_release(struct sandbox *s)
{
	struct rvisor_sandbox_id d = { .id = s->kernel_id };

	if (s->m->stopping || !s->kernel_id)
		return;
	if (ioctl(s->m->rvisor_fd, RVISOR_IOC_SANDBOX_DESTROY, &d) < 0 && errno != ENOENT) {
		log_warning_errno(errno, "container %s: cannot destroy kernel sandbox %" PRIu64 ": %m",
				  s->container, s->kernel_id);
		return; /* the record stays: the next rvisord tries again */
	}
	if (oci_record_remove(s->m->oci_dir, s->kernel_id) < 0)
		log_warning_errno(errno, "container %s: cannot remove its record: %m", s->container);
}

/* Destroys what the sandbox has (its Exec calls, container, child watch, pending call) and
 * frees it. */
void sandbox_free(struct sandbox *s)
{
	/* First: a process an Exec call forked into the sandbox must not hold up its init's end,
	 * which container_destroy() waits for. */
	execs_end(&s->execs);
	sandbox_calls_end(s);
	sd_event_source_disable_unref(s->child);
	sd_event_source_disable_unref(s->setup_io);
	sd_event_source_disable_unref(s->setup_timer);
	if (s->c) {
		int r = container_destroy(s->c);

		if (r < 0)
			log_warning_errno(r, "sandbox %" PRIu64 ": cleanup incomplete: %m", s->id);
		container_free(s->c);
	}
	if (s->container)
		container_release(s);
	varlink_call_unref(s->call);
	free(s->container);
	free(s->cgroup_dir);
	free(s->cpuset);
	free(s->name);
	free(s->policy);
	free(s->image);
	strv_free(s->argv);
	free(s);
}

void sandbox_unlink_and_free(struct sandbox *s)
{
	struct manager *m = s->m;

	for (struct sandbox **p = &m->sandboxes; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			m->n_sandboxes--;
			break;
		}
	sandbox_free(s);
	if (!m->n_sandboxes && !varlink_server_connections(m->server))
		m->idle_since_usec = 1; /* becomes a real time at the next idle check */
}

/* "kernel" when rvisor.ko gates the sandbox (alone or with the filter), else "seccomp". */
static const char *layers_platform(unsigned int layers)
{
	return layers & POLICY_LAYER_KERNEL ? "kernel" : "seccomp";
}

/* ["kernel", "seccomp"], or one of them. */
json_object *layers_json(unsigned int layers)
{
	json_object *a = json_object_new_array();

	if (layers & POLICY_LAYER_KERNEL)
		json_object_array_add(a, json_object_new_string("kernel"));
	if (layers & POLICY_LAYER_SECCOMP)
		json_object_array_add(a, json_object_new_string("seccomp"));
	return a;
}

static json_object *sandbox_json(const struct sandbox *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64((int64_t)s->id));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "policy", json_object_new_string(s->policy));
	json_object_object_add(o, "image", json_object_new_string(s->image));
	json_object_object_add(o, "pid", json_object_new_int((int)sandbox_pid(s)));
	json_object_object_add(o, "platform", json_object_new_string(layers_platform(s->layers)));
	json_object_object_add(o, "layers", layers_json(s->layers));
	json_object_object_add(o, "started_usec", json_object_new_int64((int64_t)s->started_usec));
	json_object_object_add(o, "command", json_command(s->argv));
	json_object_object_add(o, "owner_uid", json_object_new_int64((int64_t)s->owner));
	json_object_object_add(o, "userns", json_object_new_boolean(s->userns));
	if (s->container)
		json_object_object_add(o, "container", json_object_new_string(s->container));
	detached_json(s, o);
	return o;
}

/* Run's error replies for a failed start, from container_spawn()'s or the setup's errno. */
static int reply_start_failed(struct sandbox *s, int r, const char *reason)
{
	VarlinkCall *call = s->call;

	journal_sandbox(LOG_WARNING, journal_fields(s),
			"sandbox %" PRIu64 " (%s, uid %u) failed to start: %s", s->id, s->name,
			(unsigned)s->owner, reason);
	if (!call)
		return 0;
	s->call = NULL;
	if (r == -ENOTDIR)
		r = reply_image_not_found(call, s->image, reason);
	else if (r == -EAGAIN || r == -ENOSPC || r == -ENOMEM)
		r = reply_error_reason(call, MANAGER_ERROR(ResourceExhausted), "reason", reason);
	else
		r = reply_error_reason(call, MANAGER_ERROR(SandboxFailed), "reason", reason);
	varlink_call_unref(call);
	return r;
}

void exit_reply_add(json_object *p, int wait_status, int exec_errno)
{
	if (exec_errno)
		json_object_object_add(p, "exec_errno", json_object_new_int(exec_errno));
	else if (WIFSIGNALED(wait_status))
		json_object_object_add(p, "signal", json_object_new_int(WTERMSIG(wait_status)));
	else
		json_object_object_add(p, "exit_code", json_object_new_int(WEXITSTATUS(wait_status)));
}

/* The sandbox's init was reaped: answer "exited" (or, during the setup, why it failed) and
 * clean up. */
static int on_sandbox_exit(sd_event_source *src, const siginfo_t *si, void *userdata)
{
	struct sandbox *s = userdata;
	int status = 0, exec_errno = 0, r;
	bool oom = false;
	json_object *p;

	container_reaped(s->c, container_wait_status_from_siginfo(si));
	if (!s->c->started) {
		/* Died during the setup without a report (on_setup_report(), which goes first,
		 * answered any): killed by the OOM killer, a signal, ... */
		char reason[80];

		status = s->c->init_status;
		if (status >= 0 && WIFSIGNALED(status))
			snprintf(reason, sizeof(reason), "The sandbox's init died during setup (signal %d).",
				 WTERMSIG(status));
		else
			snprintf(reason, sizeof(reason), "The sandbox's init died during setup.");
		(void)reply_start_failed(s, -EIO, reason);
		sandbox_unlink_and_free(s);
		return 0;
	}
	r = container_read_exit(s->c, &status, &exec_errno);
	if (r < 0) {
		/* No report at all: treat it as rvisor's own failure. */
		status = W_EXITCODE(125, 0);
		exec_errno = 0;
	}
	(void)container_oom_killed(s->c, &oom);

	p = json_object_new_object();
	json_object_object_add(p, "state", json_object_new_string("exited"));
	json_object_object_add(p, "id", json_object_new_int64((int64_t)s->id));
	exit_reply_add(p, status, exec_errno);
	if (oom)
		json_object_object_add(p, "oom_killed", json_object_new_boolean(true));

	journal_sandbox(LOG_INFO, journal_fields(s),
			"sandbox %" PRIu64 " (%s) exited: %s %d%s", s->id, s->name,
			exec_errno ? "exec errno" : WIFSIGNALED(status) ? "signal" : "code",
			exec_errno ? exec_errno : WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
			oom ? ", memory limit hit" : "");
	if (s->call)
		(void)varlink_call_reply(s->call, p);
	else
		json_object_put(p);
	if (!sandbox_exited(s, status, exec_errno, oom))
		sandbox_unlink_and_free(s);
	return 0;
}

/* The client went away before the end: the sandbox goes too (its init's exit cleans up). */
static void on_client_gone(VarlinkCall *call, void *userdata)
{
	struct sandbox *s = userdata;

	journal_sandbox(LOG_NOTICE, journal_fields(s),
			"sandbox %" PRIu64 " (%s): client disconnected, killing it", s->id, s->name);
	(void)container_kill(s->c, SIGKILL);
}

/* The setup failed or took too long: answer the caller now, kill the init; its reaping
 * (on_sandbox_exit) removes what is left. */
static void setup_failed(struct sandbox *s, int r, const char *reason)
{
	s->setup_io = sd_event_source_disable_unref(s->setup_io);
	s->setup_timer = sd_event_source_disable_unref(s->setup_timer);
	(void)reply_start_failed(s, r, reason);
	(void)container_kill(s->c, SIGKILL);
}

static int on_setup_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct sandbox *s = userdata;
	char reason[128];

	snprintf(reason, sizeof(reason),
		 "The sandbox's init did not finish its setup in %" PRIu64 " s (setup_timeout in rvisord.conf).",
		 s->m->config->setup_timeout_usec / 1000000);
	setup_failed(s, -ETIMEDOUT, reason);
	return 0;
}

/* The init reported a step of its setup (or died: EOF). */
static int on_setup_report(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	_cleanup_free_ char *err = NULL;
	struct sandbox *s = userdata;
	json_object *started;
	int r;

	r = container_setup_step(s->c, &err);
	if (r == 0)
		return 0;
	if (r < 0) {
		setup_failed(s, r, err ?: strerror(-r));
		return 0;
	}
	s->setup_io = sd_event_source_disable_unref(s->setup_io);
	s->setup_timer = sd_event_source_disable_unref(s->setup_timer);
	s->started_usec = (uint64_t)time(NULL) * 1000000ULL;
	journal_sandbox(LOG_INFO, journal_fields(s),
			"sandbox %" PRIu64 " (%s) started for uid %u: image %s, policy %s, platform %s, "
			"layers %s%s, pid %d",
			s->id, s->name, (unsigned)s->owner, s->image, s->policy, layers_platform(s->layers),
			policy_layers_to_display(s->layers), s->userns ? ", user namespace" : "",
			(int)s->c->pid);
	started = json_object_new_object();
	json_object_object_add(started, "state", json_object_new_string("started"));
	json_object_object_add(started, "id", json_object_new_int64((int64_t)s->id));
	json_object_object_add(started, "pid", json_object_new_int((int)s->c->pid));
	json_object_object_add(started, "platform", json_object_new_string(layers_platform(s->layers)));
	json_object_object_add(started, "layers", layers_json(s->layers));
	if (s->detached)
		detached_started(s, started);
	else if (s->call)
		(void)varlink_call_notify(s->call, started);
	else
		json_object_put(started);
	return 0;
}

int call_user_ids(VarlinkCall *call, struct varlink_int uid, struct varlink_int gid, bool *ret_given,
		  uid_t *ret_uid, gid_t *ret_gid)
{
	if (uid.set && !uid_gid_valid(uid.value))
		return varlink_call_error_invalid_parameter(call, "uid");
	if (gid.set && (!uid.set || !uid_gid_valid(gid.value)))
		return varlink_call_error_invalid_parameter(call, "gid");
	*ret_given = uid.set;
	if (uid.set) {
		*ret_uid = (uid_t)uid.value;
		*ret_gid = (gid_t)(gid.set ? gid.value : uid.value);
	}
	return 1;
}

int reply_user_not_permitted(VarlinkCall *call, uid_t uid, const gid_t *gid, const char *reason)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "uid", json_object_new_int64(uid));
	if (gid)
		json_object_object_add(p, "gid", json_object_new_int64(*gid));
	json_object_object_add(p, "reason", json_object_new_string(reason));
	return varlink_call_error(call, MANAGER_ERROR(UserNotPermitted), p);
}

/* Run's descriptors: stdin, stdout, stderr, the image, then the mounts' sources. */
#define RUN_FDS_FIXED 4U

/* Everything method_run() works out before it starts a sandbox, released at its end. */
struct run_request {
	struct rvisor_policy_config *policy;
	struct oci_config *oci;
	struct idmap uid_map, gid_map;
	bool userns;
	char **argv, **env;
	int fds[RUN_FDS_FIXED]; /* stdin, stdout, stderr, the image */
	struct mount_spec *mounts; /* each bind's fd is its source, taken from the call */
	size_t n_mounts;
	int mount_ns_fd;        /* the caller's mount namespace, with a bind; else -1 */
};

static void run_request_done(struct run_request *q)
{
	policy_free(q->policy);
	oci_config_free(q->oci);
	strv_free(q->argv);
	strv_free(q->env);
	for (size_t i = 0; i < ARRAY_SIZE(q->fds); i++)
		if (q->fds[i] >= 0)
			close(q->fds[i]);
	for (size_t i = 0; i < q->n_mounts; i++) {
		if (q->mounts[i].fd >= 0)
			close(q->mounts[i].fd);
		mount_spec_done(&q->mounts[i]);
	}
	free(q->mounts);
	if (q->mount_ns_fd >= 0)
		close(q->mount_ns_fd);
}

/* The caller's user namespace: its own ids as 0 and its ranges in /etc/subuid and
 * /etc/subgid (root: its ranges only). The reason why not comes back in *ret_reason. */
static int caller_idmaps(const struct ucred *peer, struct run_request *q, const char **ret_reason)
{
	struct passwd *pw = getpwuid(peer->uid);
	const char *name = pw ? pw->pw_name : NULL;
	int r;

	r = idmap_for_caller(IDMAP_SUBID_FILE_UID, name, peer->uid, &q->uid_map);
	if (r >= 0)
		r = idmap_for_caller(IDMAP_SUBID_FILE_GID, name, peer->uid == 0 ? 0 : peer->gid, &q->gid_map);
	if (r == -ENOENT)
		*ret_reason = "root has no subordinate ids in /etc/subuid and /etc/subgid to map "
			      "(add e.g. root:1000000:65536 to both)";
	else if (r == -E2BIG)
		*ret_reason = "too many subordinate id ranges in /etc/subuid or /etc/subgid (at most 31)";
	else if (r < 0)
		*ret_reason = "/etc/subuid or /etc/subgid cannot be read";
	return r;
}

/* Run without uid: the policy's user, else the bundle's, else root. */
static void run_default_user(const struct run_request *q, struct container_spec *spec)
{
	if (q->policy->has_user) {
		spec->uid = q->policy->uid;
		spec->gid = q->policy->gid;
	} else if (q->oci && q->oci->has_user) {
		spec->uid = q->oci->uid;
		spec->gid = q->oci->gid;
	} else {
		spec->uid = spec->gid = 0;
	}
}

/* The workload's user (--user, else the policy's, else the bundle's, else root) must be one
 * the caller owns: inside its user namespace, mapped there. */
static int run_user(VarlinkCall *call, const struct run_params *p, struct run_request *q,
		    struct container_spec *spec)
{
	_cleanup_free_ char *reason = NULL;
	bool given;
	int r;

	r = call_user_ids(call, p->uid, p->gid, &given, &spec->uid, &spec->gid);
	if (r <= 0)
		return r;
	spec->user_set = true;
	if (!given)
		run_default_user(q, spec);
	if (!q->userns || (idmap_contains(&q->uid_map, spec->uid) && idmap_contains(&q->gid_map, spec->gid)))
		return 1;
	if (asprintf(&reason, "%u:%u is not mapped in your sandboxes' user namespace: it holds ids "
		     "0-%" PRIu64 " (uids) and 0-%" PRIu64 " (gids), your own and your ranges in "
		     "/etc/subuid and /etc/subgid", (unsigned)spec->uid, (unsigned)spec->gid,
		     idmap_size(&q->uid_map) - 1, idmap_size(&q->gid_map) - 1) < 0)
		return -ENOMEM;
	return reply_user_not_permitted(call, spec->uid, &spec->gid, reason);
}

int reply_bad_fd(VarlinkCall *call, unsigned index, const char *reason)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "index", json_object_new_int((int)index));
	json_object_object_add(p, "reason", json_object_new_string(reason));
	return varlink_call_error(call, MANAGER_ERROR(BadFileDescriptor), p);
}

int call_stdio_fds(VarlinkCall *call, int fds[3])
{
	const char *why;

	for (unsigned i = 0; i < 3; i++) {
		fds[i] = varlink_call_take_fd(call, i);
		if (fds[i] < 0)
			fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fds[i] < 0)
			return -errno;
	}
	for (unsigned i = 0; i < 3; i++)
		if (container_stdio_check(fds[i], &why) < 0)
			return reply_bad_fd(call, i, why);
	return 1;
}

/* The call's descriptors: stdio (what it did not send reads and writes nothing) and the
 * image, which must be there; detached, the image alone (its stdio is d's). Returns 1 when
 * they are usable, else the reply's result. */
static int run_fds(VarlinkCall *call, struct run_request *q, struct detached *d, const int detached_stdio[3])
{
	unsigned image = d ? 0 : 3;
	int r;

	if (d)
		memcpy(q->fds, detached_stdio, 3 * sizeof(int));
	else {
		r = call_stdio_fds(call, q->fds);
		if (r <= 0)
			return r;
	}
	q->fds[3] = varlink_call_take_fd(call, image);
	if (q->fds[3] < 0)
		return reply_bad_fd(call, image, d ? "no image directory was sent (detached, the image is "
						   "the call's first descriptor)"
						 : "no image directory was sent (the client opens the image "
						   "and sends it as the call's fourth descriptor)");
	return 1;
}

static int reply_mount_invalid(VarlinkCall *call, const char *destination, const char *reason)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "destination", json_object_new_string(destination ?: ""));
	json_object_object_add(p, "reason", json_object_new_string(reason));
	return varlink_call_error(call, MANAGER_ERROR(MountInvalid), p);
}

/* Run's mounts, checked as rvisorctl checks them (a client is not trusted to have done so)
 * into q->mounts; their sources' indexes in index[]. 1, else the reply's result. */
static int run_mounts_parse(VarlinkCall *call, json_object *array, unsigned first, struct run_request *q,
			    int *index)
{
	unsigned n_fds = varlink_call_n_fds(call);
	size_t n = json_object_array_length(array);
	const char *why = NULL, *dst;
	int r;

	if (n > MOUNTS_MAX)
		return reply_mount_invalid(call, NULL, "more than 64 mounts");
	q->mounts = calloc(n ?: 1, sizeof(*q->mounts));
	if (!q->mounts)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(array, i), *v;

		r = mount_spec_from_json(o, first, n_fds, &q->mounts[i], &why);
		if (r == -EINVAL)
			return reply_mount_invalid(call,
				json_object_object_get_ex(o, "destination", &v) &&
				json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL, why);
		if (r < 0)
			return r;
		/* An index until the descriptor is taken: only real fds are ever closed. */
		index[i] = q->mounts[i].fd;
		q->mounts[i].fd = -1;
		q->n_mounts++;
	}
	r = mounts_check_list(q->mounts, q->n_mounts, &dst);
	if (r == -EEXIST)
		return reply_mount_invalid(call, dst, "it is the destination of more than one mount");
	return 1;
}

/* The binds' sources: each descriptor used by one mount, each one that may be bound, none
 * sent for nothing. 1, else the reply's result. */
static int run_mount_sources(VarlinkCall *call, unsigned first, struct run_request *q, const int *index)
{
	unsigned n_fds = varlink_call_n_fds(call);
	const char *why;

	for (size_t i = 0; i < q->n_mounts; i++) {
		if (q->mounts[i].type != MOUNT_BIND)
			continue;
		q->mounts[i].fd = varlink_call_take_fd(call, (unsigned)index[i]);
		if (q->mounts[i].fd < 0)
			return reply_bad_fd(call, (unsigned)index[i], "it is the source of more than one mount");
		if (mount_source_check(q->mounts[i].fd, &why) < 0)
			return reply_bad_fd(call, (unsigned)index[i], why);
	}
	for (unsigned i = first; i < n_fds; i++) {
		int fd = varlink_call_take_fd(call, i);

		if (fd >= 0) {
			close(fd);
			return reply_bad_fd(call, i, "no mount names it as its source");
		}
	}
	return 1;
}

/* The mount namespace the caller's binds are copied from: its own, by the pid it connected
 * with. Which namespace this is only decides whether a copy can be made, never what it holds
 * (mounts.h): a pid reused meanwhile makes the bind fail, nothing worse. */
static int caller_mount_namespace(VarlinkCall *call, int *ret)
{
	char path[64];
	int fd;

	if (varlink_call_peer(call)->pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)varlink_call_peer(call)->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret = fd;
	return 0;
}

/* Run's mounts (absent: none) into q, sorted so that a mount comes after the one it lies in.
 * 1, else the reply's result. */
static int run_mounts(VarlinkCall *call, const struct run_params *p, struct run_request *q)
{
	/* The sources follow the image: detached, it is the only other descriptor. */
	unsigned first = p->detach ? 1 : RUN_FDS_FIXED;
	int source_index[MOUNTS_MAX] = { 0 };
	int r;

	if (!p->mounts)
		return run_mount_sources(call, first, q, source_index);
	r = run_mounts_parse(call, p->mounts, first, q, source_index);
	if (r <= 0)
		return r;
	r = run_mount_sources(call, first, q, source_index);
	if (r <= 0)
		return r;
	mounts_sort(q->mounts, q->n_mounts);
	for (size_t i = 0; i < q->n_mounts; i++)
		if (q->mounts[i].type == MOUNT_BIND) {
			r = caller_mount_namespace(call, &q->mount_ns_fd);
			if (r < 0)
				return reply_error_reason(call, MANAGER_ERROR(SandboxFailed), "reason",
							  "rvisord cannot find your mount namespace, where "
							  "the sources of your binds are");
			break;
		}
	return 1;
}

/* Run's network: "none" or "host", the latter only where the policy's network is host; the
 * policy's when absent. 1 and *ret_host, else the reply's result. */
static int run_network(VarlinkCall *call, const char *net, const struct rvisor_policy_config *pol,
		       bool *ret_host)
{
	*ret_host = pol->network == POLICY_NETWORK_HOST;
	if (!net)
		return 1;
	if (strcmp(net, "none") == 0)
		*ret_host = false;
	else if (strcmp(net, "host") != 0)
		return varlink_call_error_invalid_parameter(call, "network");
	else if (pol->network != POLICY_NETWORK_HOST)
		return reply_limit_above_policy(call, "network", pol);
	else
		*ret_host = true;
	return 1;
}

/* The policy by name, and whether it can run here: 1 and *ret, else the reply's result. */
int policy_for_call(struct manager *m, VarlinkCall *call, const char *name,
		    struct rvisor_policy_config **ret)
{
	_cleanup_policy_ struct rvisor_policy_config *pol = NULL;
	_cleanup_free_ char *perr = NULL;
	int r;

	r = policy_load(m->config->policy_dir, name, &pol, &perr);
	if (r == -ENOENT || (r == -EINVAL && !perr)) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "policy", json_object_new_string(name));
		return varlink_call_error(call, MANAGER_ERROR(PolicyNotFound), p);
	}
	if (r < 0)
		return reply_error_reason(call, MANAGER_ERROR(PolicyInvalid), "reason", perr ?: strerror(-r));
	if (m->rvisor_fd < 0 && pol->kernel_layer == POLICY_KERNEL_LAYER_REQUIRED)
		return reply_error_reason(call, MANAGER_ERROR(KernelLayerUnavailable), "reason",
					  "policy requires rvisor.ko (kernel_layer = required), which is not loaded");
	/* Nothing to fall back to: the policy turned the filter off. */
	if (m->rvisor_fd < 0 && pol->layers == POLICY_LAYER_KERNEL)
		return reply_error_reason(call, MANAGER_ERROR(KernelLayerUnavailable), "reason",
					  "policy asks for rvisor.ko's gate alone (layers = kernel; layers = both "
					  "or seccomp run without it), and rvisor.ko is not loaded");
	*ret = TAKE_PTR(pol);
	return 1;
}

/* Room for one more sandbox of the caller: 1, else the reply's result. */
int quota_check(struct manager *m, VarlinkCall *call)
{
	uid_t uid = caller_uid(call);

	if (m->n_sandboxes >= m->config->max_sandboxes)
		return reply_error_reason(call, MANAGER_ERROR(ResourceExhausted), "reason",
					  "too many sandboxes (max_sandboxes in rvisord.conf)");
	if (uid != 0 && sandboxes_of(m, uid) >= m->config->max_sandboxes_per_user)
		return reply_error_reason(call, MANAGER_ERROR(ResourceExhausted), "reason",
					  "you have as many sandboxes as you may (max_sandboxes_per_user in rvisord.conf)");
	return 1;
}

/* What Run's parameters and the caller are allowed: policy, quota, name, user namespace,
 * bundle, command line. Returns 1 to go on, else the reply's result. */
static int run_check(struct manager *m, VarlinkCall *call, struct run_params *p, struct run_request *q)
{
	const struct ucred *peer = varlink_call_peer(call);
	const char *name = p->name, *config = p->bundle_config;
	const char *why;
	int r;

	r = policy_for_call(m, call, p->policy ?: m->config->default_policy, &q->policy);
	if (r <= 0)
		return r;
	r = quota_check(m, call);
	if (r <= 0)
		return r;
	/* Validated here, not only by rvisorctl: names reach other people's terminals. */
	if (name && !sandbox_name_choosable(name))
		return varlink_call_error_invalid_parameter(call, "name");
	if (name && sandbox_name_taken(m, peer->uid, name))
		return reply_error_reason(call, MANAGER_ERROR(NameInUse), "name", name);
	if (strlen(p->image) >= PATH_MAX)
		return varlink_call_error_invalid_parameter(call, "image");

	/* Callers other than root always get a user namespace; root when it asks or the policy
	 * says always. */
	q->userns = peer->uid != 0 || q->policy->userns == POLICY_USERNS_ALWAYS || p->userns;
	/* No user namespace to be had at all: refused for its root, uid 0, no group. */
	if (q->userns && caller_idmaps(peer, q, &why) < 0)
		return reply_user_not_permitted(call, 0, NULL, why);
	if (config) {
		_cleanup_free_ char *err = NULL;

		r = oci_config_parse(config, strlen(config), &q->oci, &err);
		if (r == -EINVAL)
			return reply_error_reason(call, MANAGER_ERROR(SandboxFailed), "reason", err);
		if (r < 0)
			return r;
	}
	q->argv = TAKE_PTR(p->argv);
	q->env = TAKE_PTR(p->env);
	if (strv_bytes(q->argv) + strv_bytes(q->env) > RUN_ARGS_MAX)
		return reply_error_reason(call, MANAGER_ERROR(ResourceExhausted), "reason",
					  "the command line and environment are larger than 2 MiB");
	for (char **e = q->env; *e; e++)
		if (!strchr(*e, '='))
			return varlink_call_error_invalid_parameter(call, "env");
	return 1;
}

/* The CPUs sandboxes may use here: the cpuset.cpus.effective of their parent cgroup; without
 * the cpuset controller there (or without a cgroup), the CPUs rvisord itself may run on. */
static int cpus_offered(const struct manager *m, cpu_set_t *ret)
{
	if (m->cgroup_parent && cgroup_cpuset_effective(m->cgroup_parent, ret) >= 0)
		return 0;
	return sched_getaffinity(0, sizeof(*ret), ret) < 0 ? -errno : 0;
}

static bool cpuset_within(const cpu_set_t *a, const cpu_set_t *b)
{
	cpu_set_t both;

	CPU_AND(&both, a, b);
	return CPU_EQUAL(&both, a);
}

/* Run's cpus_milli: at least 0.01 CPUs, at most the CPUs online and the policy's cpus. 1 and
 * *ret (0: no limit), else the reply's result. */
static int run_cpus(VarlinkCall *call, struct varlink_int cpus_milli, const struct rvisor_policy_config *pol,
		    uint64_t *ret)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t milli = cpus_milli.value;

	*ret = pol->cpus_milli;
	if (!cpus_milli.set)
		return 1;
	if (milli < (int64_t)CPUS_MILLI_MIN || milli > (int64_t)CPUS_MILLI_MAX ||
	    (online > 0 && milli > (int64_t)online * 1000))
		return varlink_call_error_invalid_parameter(call, "cpus_milli");
	if (pol->cpus_milli && (uint64_t)milli > pol->cpus_milli)
		return reply_limit_above_policy(call, "cpus_milli", pol);
	*ret = (uint64_t)milli;
	return 1;
}

/* Run's cpuset: within the policy's cpuset and what this host offers its sandboxes; without
 * one, the policy's cpuset (of what is offered). 1 and *ret (NULL: any CPU), else the reply's
 * result. */
static int run_cpuset(struct manager *m, VarlinkCall *call, const char *asked,
		      const struct rvisor_policy_config *pol, char **ret)
{
	cpu_set_t offered, want;
	int r;

	*ret = NULL;
	if (!asked && !pol->has_cpuset)
		return 1;
	if (asked && (strchr(asked, '\n') || cpulist_parse(asked, &want) < 0 || CPU_COUNT(&want) == 0))
		return varlink_call_error_invalid_parameter(call, "cpuset");
	r = cpus_offered(m, &offered);
	if (r < 0)
		return r;
	if (asked && pol->has_cpuset && !cpuset_within(&want, &pol->cpuset))
		return reply_limit_above_policy(call, "cpuset", pol);
	if (asked && !cpuset_within(&want, &offered))
		return reply_cpuset_unavailable(call, &want, &offered, NULL);
	if (!asked) {
		CPU_AND(&want, &pol->cpuset, &offered);
		if (CPU_COUNT(&want) == 0)
			return reply_cpuset_unavailable(call, &pol->cpuset, &offered, pol->name);
	}
	return cpulist_format(&want, ret) < 0 ? -ENOMEM : 1;
}

/* Watches the new sandbox's setup and its init's exit; the Run call is answered from there. */
static int sandbox_watch(struct manager *m, struct sandbox *s)
{
	int r;

	r = sd_event_add_child_pidfd(m->event, &s->child, s->c->pidfd, WEXITED, on_sandbox_exit, s);
	if (r >= 0)
		r = sd_event_add_io(m->event, &s->setup_io, s->c->status_fd, EPOLLIN, on_setup_report, s);
	/* A report is read before the exit it may precede: it says why the setup failed. */
	if (r >= 0)
		r = sd_event_source_set_priority(s->setup_io, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = sd_event_add_time_relative(m->event, &s->setup_timer, CLOCK_MONOTONIC,
					       m->config->setup_timeout_usec, 0, on_setup_timeout, s);
	return r;
}

/* Run's memory and pids: the policy's when absent, never above them. 1, else the reply's
 * result. */
static int run_memory_pids(VarlinkCall *call, const struct run_params *p,
			   const struct rvisor_policy_config *pol, struct container_spec *spec)
{
	int64_t memory = p->memory.value, pids = p->pids.value;

	spec->memory_max = pol->memory_max;
	if (p->memory.set) {
		if (memory <= 0)
			return varlink_call_error_invalid_parameter(call, "memory");
		if ((uint64_t)memory > pol->memory_max)
			return reply_limit_above_policy(call, "memory", pol);
		spec->memory_max = (uint64_t)memory;
	}
	spec->pids_max = pol->pids_max;
	if (p->pids.set) {
		if (pids == 0 || pids < -1)
			return varlink_call_error_invalid_parameter(call, "pids");
		if ((pids == -1 ? UINT64_MAX : (uint64_t)pids) > pol->pids_max)
			return reply_limit_above_policy(call, "pids", pol);
		spec->pids_max = pids == -1 ? UINT64_MAX : (uint64_t)pids;
	}
	return 1;
}

/* What Run asks of the sandbox (limits, hostname, user, network), checked against the policy
 * and the caller's rights, into spec and *ret_cpuset. 1, else the reply's result. */
static int run_settings(struct manager *m, VarlinkCall *call, const struct run_params *p,
			struct run_request *q, struct container_spec *spec, char **ret_cpuset)
{
	int r;

	r = run_memory_pids(call, p, q->policy, spec);
	if (r <= 0)
		return r;
	if (p->hostname && !policy_hostname_valid(p->hostname))
		return varlink_call_error_invalid_parameter(call, "hostname");
	r = run_cpus(call, p->cpus_milli, q->policy, &spec->cpus_milli);
	if (r <= 0)
		return r;
	r = run_cpuset(m, call, p->cpuset, q->policy, ret_cpuset);
	if (r <= 0)
		return r;
	r = run_user(call, p, q, spec);
	if (r <= 0)
		return r;
	return run_network(call, p->network, q->policy, &spec->network_host);
}

/* The call's descriptors and mounts into q; with detach, the program's stdio that rvisord
 * makes (*ret_d). 1, else the reply's result. */
static int run_descriptors(VarlinkCall *call, const struct run_params *p, struct run_request *q,
			   struct detached **ret_d)
{
	int detached_stdio[3] = { -1, -1, -1 };
	int r;

	if (p->detach) {
		r = detached_new(p->tty, p->interactive, p->remove, ret_d, detached_stdio);
		if (r < 0)
			return r;
	}
	r = run_fds(call, q, *ret_d, detached_stdio); /* q owns detached_stdio from here */
	if (r <= 0)
		return r;
	return run_mounts(call, p, q);
}

/* The sandbox as List shows it, with its limits; the request's argv and *cpuset move to it.
 * Its default name, "sandbox-ID", goes into namebuf. */
static int run_sandbox_new(struct manager *m, VarlinkCall *call, const struct run_params *p,
			   struct run_request *q, const struct container_spec *spec, char **cpuset,
			   char *namebuf, size_t namebuf_size, struct sandbox **ret)
{
	struct sandbox *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->m = m;
	s->id = m->next_id++;
	s->owner = caller_uid(call);
	s->userns = q->userns;
	snprintf(namebuf, namebuf_size, "sandbox-%" PRIu64, s->id);
	s->name = strdup(p->name ?: namebuf);
	s->policy = strdup(q->policy->name);
	s->image = strdup(p->image);
	/* The policy's layers, less the gate when rvisor.ko is not there (run_check() refused
	 * what cannot do without it). */
	s->layers = q->policy->layers & (m->rvisor_fd >= 0 ? POLICY_LAYERS_BOTH : POLICY_LAYER_SECCOMP);
	s->memory_max = spec->memory_max;
	s->pids_max = spec->pids_max;
	s->cpus_milli = spec->cpus_milli;
	s->cpuset = TAKE_PTR(*cpuset);
	s->argv = TAKE_PTR(q->argv);
	if (!s->name || !s->policy || !s->image) {
		sandbox_free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

/* The rest of the container's spec: what the request and the sandbox hold, and rvisord's own
 * settings. */
static void run_container_spec(struct manager *m, const struct run_params *p, struct run_request *q,
			       const struct sandbox *s, bool detached, const char *namebuf,
			       struct container_spec *spec)
{
	spec->name = namebuf;
	spec->image_fd = q->fds[3];
	spec->oci = q->oci;
	spec->argv = s->argv[0] ? s->argv : NULL;
	spec->env = q->env;
	spec->cwd = p->cwd;
	memcpy(spec->stdio, q->fds, sizeof(spec->stdio));
	spec->tty = p->tty;
	spec->read_only = p->read_only;
	spec->hostname = p->hostname ?: q->policy->hostname;
	spec->mounts = q->mounts;
	spec->n_mounts = q->n_mounts;
	spec->mount_ns_fd = q->mount_ns_fd;
	spec->cpuset = s->cpuset;
	spec->storage_max = q->policy->storage_max;
	if (q->userns) {
		spec->uid_map = &q->uid_map;
		spec->gid_map = &q->gid_map;
		spec->capabilities = q->policy->capabilities;
	}
	/* rlim_max 0: getrlimit() failed at start; the sandbox inherits then */
	spec->nofile = m->sandbox_nofile.rlim_max > 0 ? &m->sandbox_nofile : NULL;
	spec->state_root = m->config->state_dir;
	spec->cgroup_parent = m->cgroup_parent;
	spec->rvisor_fd = m->rvisor_fd;
	spec->layers = s->layers;
	spec->policy = &q->policy->kernel;
	/* A detached sandbox outlives rvisord where the service manager keeps its descriptors
	 * for the next one (detached.h); everything else ends with rvisord. */
	spec->outlive_daemon = detached && m->fdstore;
	spec->sandbox_flags = spec->outlive_daemon ? 0 : RVISOR_SANDBOX_DIE_WITH_MANAGER;
}

/* Starts the sandbox's container, sets its detached output up (*d moves to it), watches it
 * and links it to the manager and the call. s is freed on failure; a failed start is
 * answered (the reply's result). */
static int run_spawn(struct manager *m, VarlinkCall *call, struct sandbox *s,
		     const struct container_spec *spec, struct detached **d)
{
	_cleanup_free_ char *cerr = NULL;
	int r;

	r = container_spawn(spec, &s->c, &cerr);
	if (r < 0) {
		s->call = call; /* borrowed: reply_start_failed() answers and drops it */
		varlink_call_ref(call);
		r = reply_start_failed(s, r, cerr ?: strerror(-r));
		s->c = NULL; /* nothing to destroy: container_spawn() left nothing behind */
		sandbox_free(s);
		return r;
	}
	s->detached = TAKE_PTR(*d);
	r = s->detached ? detached_setup(s) : 0;
	if (r >= 0)
		r = sandbox_watch(m, s);
	if (r < 0) {
		sandbox_free(s);
		return r;
	}
	s->call = varlink_call_ref(call);
	varlink_call_set_disconnect_callback(call, on_client_gone, s);
	s->next = m->sandboxes;
	m->sandboxes = s;
	m->n_sandboxes++;
	m->idle_since_usec = 0;
	return 0;
}

static int method_run(VarlinkCall *call, void *params, void *userdata)
{
	struct run_params *p = params;
	struct manager *m = userdata;
	_cleanup_(run_request_done) struct run_request q = { .fds = { -1, -1, -1, -1 }, .mount_ns_fd = -1 };
	_cleanup_(detached_freep) struct detached *d = NULL;
	_cleanup_free_ char *cpuset = NULL;
	struct container_spec spec = { .rvisor_fd = -1 };
	const char *image = p->image;
	struct sandbox *s;
	char namebuf[64];
	int r;

	/* Detached, the one reply is the last. */
	if (!p->detach && !varlink_call_wants_more(call))
		return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
	if (image[0] != '/')
		return reply_image_not_found(call, image, "the image must be an absolute path");
	r = run_check(m, call, p, &q);
	if (r > 0)
		r = run_settings(m, call, p, &q, &spec, &cpuset);
	if (r > 0)
		r = run_descriptors(call, p, &q, &d);
	if (r <= 0)
		return r;
	r = run_sandbox_new(m, call, p, &q, &spec, &cpuset, namebuf, sizeof(namebuf), &s);
	if (r < 0)
		return r;
	run_container_spec(m, p, &q, s, d != NULL, namebuf, &spec);
	return run_spawn(m, call, s, &spec, &d);
}

static int method_list(VarlinkCall *call, void *params, void *userdata)
{
	struct manager *m = userdata;
	json_object *a = json_object_new_array(), *p = json_object_new_object();

	for (struct sandbox *s = m->sandboxes; s; s = s->next)
		if (sandbox_visible(s, caller_uid(call)))
			json_object_array_add(a, sandbox_json(s));
	json_object_object_add(p, "sandboxes", a);
	return varlink_call_reply(call, p);
}

static int read_cgroup_uint(const char *dir, const char *file, uint64_t *ret)
{
	_cleanup_free_ char *path = NULL;
	unsigned long long v;
	FILE *f;
	int n;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%llu", &v);
	fclose(f);
	if (n != 1)
		return -EBADMSG;
	*ret = v;
	return 0;
}

void add_uint_or_null(json_object *o, const char *key, uint64_t v)
{
	if (v != UINT64_MAX)
		json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

/* The CPUs the sandbox may run on: its cgroup's cpuset.cpus.effective, else what it was
 * given; nothing when neither is known. */
static void inspect_cpuset(const struct sandbox *s, json_object *p)
{
	_cleanup_free_ char *list = NULL;
	cpu_set_t set;

	if (sandbox_cgroup_dir(s) && cgroup_cpuset_effective(sandbox_cgroup_dir(s), &set) >= 0 &&
	    CPU_COUNT(&set) > 0 && cpulist_format(&set, &list) >= 0)
		json_object_object_add(p, "cpuset", json_object_new_string(list));
	else if (s->cpuset)
		json_object_object_add(p, "cpuset", json_object_new_string(s->cpuset));
}

static int method_inspect(VarlinkCall *call, void *params, void *userdata)
{
	const struct sandbox_params *q = params;
	struct manager *m = userdata;
	struct sandbox *s = sandbox_from_params(m, call, q->id, q->name);
	struct rvisor_syscall_counts *counts = NULL;
	struct rvisor_sandbox_stats st;
	json_object *p, *a;
	uint64_t mem = UINT64_MAX, pids = UINT64_MAX, usage = UINT64_MAX;

	if (!s)
		return 0;
	p = json_object_new_object();
	a = json_object_new_array();
	json_object_object_add(p, "sandbox", sandbox_json(s));
	add_uint_or_null(p, "memory_max", s->memory_max);
	add_uint_or_null(p, "pids_max", s->pids_max);
	if (s->cpus_milli)
		json_object_object_add(p, "cpus_milli", json_object_new_int64((int64_t)s->cpus_milli));
	if (sandbox_cgroup_dir(s)) {
		if (read_cgroup_uint(sandbox_cgroup_dir(s), "memory.current", &mem) >= 0)
			add_uint_or_null(p, "memory_current", mem);
		if (read_cgroup_uint(sandbox_cgroup_dir(s), "pids.current", &pids) >= 0)
			add_uint_or_null(p, "pids_current", pids);
		if (cgroup_cpu_usage(sandbox_cgroup_dir(s), &usage) >= 0)
			add_uint_or_null(p, "cpu_usage_usec", usage);
	}
	inspect_cpuset(s, p);

	memset(&st, 0, sizeof(st));
	/* The gate's counters: with the seccomp filter in front, calls it refused never reached
	 * the gate and are not among them. */
	if ((s->layers & POLICY_LAYER_KERNEL) && sandbox_kernel_id(s)) {
		counts = calloc(RVISOR_NR_SYSCALLS + 1, sizeof(*counts));
		st.id = sandbox_kernel_id(s);
		st.counts = (uintptr_t)counts;
		st.nr_counts = counts ? RVISOR_NR_SYSCALLS + 1 : 0;
		if (ioctl(m->rvisor_fd, RVISOR_IOC_SANDBOX_STATS, &st) < 0)
			memset(&st, 0, sizeof(st));
	}
	json_object_object_add(p, "passed", json_object_new_int64((int64_t)st.total.passed));
	json_object_object_add(p, "emulated", json_object_new_int64((int64_t)st.total.emulated));
	json_object_object_add(p, "denied", json_object_new_int64((int64_t)st.total.denied));
	for (unsigned i = 0; counts && i < st.nr_counts; i++) {
		const struct rvisor_syscall_counts *c = &counts[i];
		_cleanup_free_ char *nm = NULL;
		json_object *e;

		if (!c->passed && !c->emulated && !c->denied)
			continue;
		nm = i < RVISOR_NR_SYSCALLS ? seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, (int)i) : NULL;
		if (!nm && asprintf(&nm, i == RVISOR_NR_SYSCALLS ? "(other)" : "syscall_%u", i) < 0)
			nm = NULL;
		e = json_object_new_object();
		json_object_object_add(e, "name", json_object_new_string(nm ?: "?"));
		json_object_object_add(e, "passed", json_object_new_int64((int64_t)c->passed));
		json_object_object_add(e, "emulated", json_object_new_int64((int64_t)c->emulated));
		json_object_object_add(e, "denied", json_object_new_int64((int64_t)c->denied));
		json_object_array_add(a, e);
	}
	free(counts);
	json_object_object_add(p, "syscalls", a);
	return varlink_call_reply(call, p);
}

static int method_kill(VarlinkCall *call, void *params, void *userdata)
{
	const struct kill_params *p = params;
	struct manager *m = userdata;
	struct sandbox *s = sandbox_from_params(m, call, p->id, p->name);
	int64_t sig = p->signal.set ? p->signal.value : SIGTERM;
	int r;

	if (!s)
		return 0;
	if (!sandbox_running(s)) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "id", json_object_new_int64((int64_t)s->id));
		return varlink_call_error(call, MANAGER_ERROR(SandboxNotRunning), e);
	}
	/* An OCI container gets any signal (its runtime's kill); else the init forwards only
	 * some, and SIGKILL ends the sandbox. */
	if (p->signal.set &&
	    (sig < 1 || sig >= NSIG ||
	     (sig != SIGKILL && !s->container && !container_signal_forwarded((int)sig))))
		return varlink_call_error_invalid_parameter(call, "signal");
	if (s->container) {
		struct rvisor_sandbox_kill k = { .id = s->kernel_id, .signal = (int)sig };

		/* Every task of the container, as the runtime's kill --all. */
		if (ioctl(m->rvisor_fd, RVISOR_IOC_SANDBOX_KILL, &k) < 0 && errno != ENOENT)
			return -errno;
		return varlink_call_reply(call, NULL);
	}
	r = container_kill(s->c, (int)sig);
	if (r < 0 && r != -ESRCH)
		return r;
	return varlink_call_reply(call, NULL);
}

static int method_status(VarlinkCall *call, void *params, void *userdata)
{
	struct manager *m = userdata;
	json_object *p = json_object_new_object();

	json_object_object_add(p, "version", json_object_new_string(RVISOR_VERSION));
	json_object_object_add(p, "abi", json_object_new_int(RVISOR_ABI_VERSION));
	json_object_object_add(p, "module_loaded", json_object_new_boolean(m->rvisor_fd >= 0));
	if (m->rvisor_fd >= 0) {
		json_object_object_add(p, "module_version", json_object_new_string(m->module.module_version));
		json_object_object_add(p, "module_abi", json_object_new_int((int)m->module.abi_version));
	}
	json_object_object_add(p, "platform", json_object_new_string(m->rvisor_fd >= 0 ? "kernel" : "seccomp"));
	/* What a sandbox gets unless its policy's layers = narrows it. */
	json_object_object_add(p, "layers",
			       layers_json(m->rvisor_fd >= 0 ? POLICY_LAYERS_BOTH : POLICY_LAYER_SECCOMP));
	/* What a sandbox's machine-wide /proc and /sys files show: its own figures from
	 * rvisorfs with the kernel layer, else the host's. */
	json_object_object_add(p, "views", json_object_new_string(m->rvisor_fd >= 0 ? "rvisorfs" : "host"));
	json_object_object_add(p, "sandboxes", json_object_new_int((int)m->n_sandboxes));
	return varlink_call_reply(call, p);
}

static int method_policies(VarlinkCall *call, void *params, void *userdata)
{
	struct manager *m = userdata;
	_cleanup_policy_names_ char **names = NULL;
	json_object *p;
	int r;

	r = policy_list(m->config->policy_dir, &names);
	if (r == -ENOENT)
		names = NULL;
	else if (r < 0)
		return r;
	p = json_object_new_object();
	json_object_object_add(p, "policies", json_strv(names));
	return varlink_call_reply(call, p);
}

static int method_get_policy(VarlinkCall *call, void *params, void *userdata)
{
	const char *name = ((const struct get_policy_params *)params)->name;
	struct manager *m = userdata;
	_cleanup_policy_ struct rvisor_policy_config *pol = NULL;
	_cleanup_free_ char *err = NULL;
	json_object *p;
	int r;

	r = policy_load(m->config->policy_dir, name, &pol, &err);
	if (r == -ENOENT || (r == -EINVAL && !err)) {
		p = json_object_new_object();
		json_object_object_add(p, "policy", json_object_new_string(name));
		return varlink_call_error(call, MANAGER_ERROR(PolicyNotFound), p);
	}
	if (r < 0)
		return reply_error_reason(call, MANAGER_ERROR(PolicyInvalid), "reason", err ?: strerror(-r));
	p = json_object_new_object();
	json_object_object_add(p, "policy", policy_to_json(pol));
	return varlink_call_reply(call, p);
}

/* The text goes through a sealed memfd, so the parser reads it like any file; its name in
 * errors is replaced by the one the caller gave. */
static int method_check_policy(VarlinkCall *call, void *params, void *userdata)
{
	const struct check_policy_params *p = params;
	const char *name = p->name, *text = p->text;
	_cleanup_policy_ struct rvisor_policy_config *pol = NULL;
	_cleanup_free_ char *err = NULL;
	int r;

	r = policy_load_text(name, text, strlen(text), &pol, &err);
	if (r == -EINVAL && err)
		return reply_error_reason(call, MANAGER_ERROR(PolicyInvalid), "reason", err);
	if (r < 0)
		return r;
	return varlink_call_reply(call, NULL);
}


#define RUN(f, type, mandatory) VARLINK_PARAM(struct run_params, f, type, mandatory)
static const struct varlink_param params_run[] = {
	RUN(image, VARLINK_STRING, true),      RUN(argv, VARLINK_STRING_ARRAY, false),
	RUN(policy, VARLINK_STRING, false),    RUN(name, VARLINK_STRING, false),
	RUN(env, VARLINK_STRING_ARRAY, false), RUN(cwd, VARLINK_STRING, false),
	RUN(uid, VARLINK_INT, false),          RUN(gid, VARLINK_INT, false),
	RUN(memory, VARLINK_INT, false),       RUN(pids, VARLINK_INT, false),
	RUN(tty, VARLINK_BOOL, false),         RUN(userns, VARLINK_BOOL, false),
	RUN(read_only, VARLINK_BOOL, false),   RUN(hostname, VARLINK_STRING, false),
	RUN(bundle_config, VARLINK_STRING, false), RUN(cpus_milli, VARLINK_INT, false),
	RUN(cpuset, VARLINK_STRING, false),    RUN(mounts, VARLINK_ARRAY, false),
	RUN(network, VARLINK_STRING, false),   RUN(detach, VARLINK_BOOL, false),
	RUN(interactive, VARLINK_BOOL, false), RUN(remove, VARLINK_BOOL, false),
	{},
};
#undef RUN
/* A sandbox by id or name: exactly one (sandbox_from_params()). */
#define SANDBOX_ID_OR_NAME(st) VARLINK_PARAM(st, id, VARLINK_INT, false), VARLINK_PARAM(st, name, VARLINK_STRING, false)
static const struct varlink_param params_sandbox[] = { SANDBOX_ID_OR_NAME(struct sandbox_params), {} };
static const struct varlink_param params_kill[] = {
	SANDBOX_ID_OR_NAME(struct kill_params), VARLINK_PARAM(struct kill_params, signal, VARLINK_INT, false), {},
};
#define EXEC(f, type, mandatory) VARLINK_PARAM(struct exec_params, f, type, mandatory)
static const struct varlink_param params_exec[] = {
	SANDBOX_ID_OR_NAME(struct exec_params),
	EXEC(argv, VARLINK_STRING_ARRAY, true), EXEC(env, VARLINK_STRING_ARRAY, false),
	EXEC(cwd, VARLINK_STRING, false),       EXEC(uid, VARLINK_INT, false),
	EXEC(gid, VARLINK_INT, false),          EXEC(tty, VARLINK_BOOL, false),
	{},
};
#undef EXEC
static const struct varlink_param params_logs[] = {
	SANDBOX_ID_OR_NAME(struct logs_params), VARLINK_PARAM(struct logs_params, follow, VARLINK_BOOL, false), {},
};
static const struct varlink_param params_stop[] = {
	SANDBOX_ID_OR_NAME(struct stop_params), VARLINK_PARAM(struct stop_params, timeout, VARLINK_INT, false), {},
};
static const struct varlink_param params_remove[] = {
	SANDBOX_ID_OR_NAME(struct remove_params), VARLINK_PARAM(struct remove_params, force, VARLINK_BOOL, false), {},
};
#undef SANDBOX_ID_OR_NAME
static const struct varlink_param params_get_policy[] = {
	VARLINK_PARAM(struct get_policy_params, name, VARLINK_STRING, true), {},
};
static const struct varlink_param params_check_policy[] = {
	VARLINK_PARAM(struct check_policy_params, name, VARLINK_STRING, true),
	VARLINK_PARAM(struct check_policy_params, text, VARLINK_STRING, true), {},
};
#define PREPARE(f, type, mandatory) VARLINK_PARAM(struct prepare_container_params, f, type, mandatory)
static const struct varlink_param params_prepare[] = {
	PREPARE(policy, VARLINK_STRING, false), PREPARE(engine_seccomp, VARLINK_BOOL, false), {},
};
#undef PREPARE
#define BIND(f, type, mandatory) VARLINK_PARAM(struct bind_container_params, f, type, mandatory)
static const struct varlink_param params_bind[] = {
	BIND(container, VARLINK_STRING, true), BIND(policy, VARLINK_STRING, false),
	BIND(bundle, VARLINK_STRING, true),    BIND(command, VARLINK_STRING_ARRAY, true),
	BIND(hostname, VARLINK_STRING, false), BIND(domainname, VARLINK_STRING, false),
	BIND(engine_seccomp, VARLINK_BOOL, false), {},
};
#undef BIND
static const struct varlink_param params_release[] = {
	VARLINK_PARAM(struct release_container_params, container, VARLINK_STRING, true), {},
};

static const struct varlink_method manager_methods[] = {
	VARLINK_METHOD("Run", method_run, params_run, struct run_params),
	VARLINK_METHOD_NO_PARAMS("List", method_list),
	VARLINK_METHOD("Inspect", method_inspect, params_sandbox, struct sandbox_params),
	VARLINK_METHOD("Kill", method_kill, params_kill, struct kill_params),
	VARLINK_METHOD("Exec", method_exec, params_exec, struct exec_params),
	VARLINK_METHOD("Logs", method_logs, params_logs, struct logs_params),
	VARLINK_METHOD("Attach", method_attach, params_sandbox, struct sandbox_params),
	VARLINK_METHOD("Wait", method_wait, params_sandbox, struct sandbox_params),
	VARLINK_METHOD("Stop", method_stop, params_stop, struct stop_params),
	VARLINK_METHOD("Remove", method_remove, params_remove, struct remove_params),
	VARLINK_METHOD_NO_PARAMS("Status", method_status),
	VARLINK_METHOD_NO_PARAMS("Policies", method_policies),
	VARLINK_METHOD("GetPolicy", method_get_policy, params_get_policy, struct get_policy_params),
	VARLINK_METHOD("CheckPolicy", method_check_policy, params_check_policy, struct check_policy_params),
	VARLINK_METHOD("PrepareContainer", method_prepare_container, params_prepare,
		       struct prepare_container_params),
	VARLINK_METHOD("BindContainer", method_bind_container, params_bind, struct bind_container_params),
	VARLINK_METHOD("ReleaseContainer", method_release_container, params_release,
		       struct release_container_params),
	{},
};

const struct varlink_interface manager_interface = {
	.vendor = "rvisor",
	.product = "rvisord",
	.version = RVISOR_VERSION,
	.url = "https://rvisor.invalid/",
	.name = "io.rvisor.Manager",
	.description = manager_interface_description,
	.methods = manager_methods,
};

/* Root, and members of the socket's group (the socket's mode already says so; this is the
 * second lock on the same door). */
static bool peer_allowed(VarlinkServer *server, const struct ucred *peer, void *userdata)
{
	struct manager *m = userdata;
	struct passwd *pw;
	gid_t groups[256];
	int n = (int)ARRAY_SIZE(groups);

	if (peer->uid == 0)
		return true;
	if (m->socket_gid == (gid_t)-1)
		return false;
	if (peer->gid == m->socket_gid)
		return true;
	pw = getpwuid(peer->uid);
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == m->socket_gid)
			return true;
	return false;
}

/* Denials, logged calls and the inits' exits from rvisor.ko, into the journal with syscall
 * names. */
#define IDLE_CHECK_USEC (1000000ULL)

static int on_idle_check(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;
	int r;

	if (m->n_sandboxes || varlink_server_connections(m->server)) {
		m->idle_since_usec = 0;
	} else if (m->idle_since_usec <= 1) {
		m->idle_since_usec = usec;
	} else if (usec - m->idle_since_usec >= m->config->idle_timeout_usec) {
		log_info("Idle for %" PRIu64 " s: exiting (the socket starts rvisord again)",
			 m->config->idle_timeout_usec / 1000000);
		(void)sd_notify(0, "STOPPING=1\nSTATUS=Idle, exiting");
		return sd_event_exit(sd_event_source_get_event(src), 0);
	}
	r = sd_event_source_set_time(src, usec + IDLE_CHECK_USEC);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(src, SD_EVENT_ONESHOT); /* a time source fires once */
}

/* What one user other than root may hold in rvisord's varlink server over all its
 * connections: buffered bytes, queued fds, and one message's size (Run's command line and
 * environment are at most RUN_ARGS_MAX; JSON escaping may double them). */
#define USER_BUFFER_MAX (64U << 20)
#define USER_FDS_MAX 256U
#define MESSAGE_MAX (8U << 20)
/* The daemon's own memory, beside its sandboxes' (cgroup_limit_daemon()). */
#define DAEMON_MEMORY_MAX (512ULL << 20)

/* A client dropped for a limit: said once per user and minute, so that a client hammering
 * the socket cannot flood the journal. */
/* A call the server answered with InternalError: the one place such a failure is logged
 * (the client is told to look in the journal). */
static void on_failed(VarlinkServer *server, const char *method, uid_t uid, int error, void *userdata)
{
	if (error < 0)
		log_error_errno(error, "%s for uid %u failed: %m", method, (unsigned)uid);
	else
		log_error("%s for uid %u ended without an answer", method, (unsigned)uid);
}

static void on_refused(VarlinkServer *server, uid_t uid, const char *reason, void *userdata)
{
	struct manager *m = userdata;
	uint64_t now = 0;

	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &now);
	if (uid == m->refused_uid && now - m->refused_usec < 60 * 1000000ULL)
		return;
	m->refused_uid = uid;
	m->refused_usec = now;
	log_notice("Dropped a connection of uid %u: %s (per-user limits: docs/security.md; "
		   "further ones this minute are not logged)", (unsigned)uid, reason);
}

/* The daemon's file descriptors: enough for every sandbox (pidfd, report pipe, go-ahead
 * socket, the descriptors a Run brings) and every client's connections. The sandboxes get
 * the limit the daemon started with. */
static void raise_nofile(struct manager *m)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	m->sandbox_nofile = rl;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warning_errno(errno, "Cannot raise RLIMIT_NOFILE to %llu: %m", (unsigned long long)rl.rlim_max);
	else if (rl.rlim_cur < 16384)
		log_warning("RLIMIT_NOFILE is only %llu: many sandboxes or clients may run out of "
			    "descriptors (LimitNOFILE= in rvisord.service)", (unsigned long long)rl.rlim_cur);
}

/* Whether the service manager keeps descriptors for the next rvisord: under systemd (which
 * says how many from v254 on, in $FDSTORE; before, the unit's FileDescriptorStoreMax= is
 * trusted). */
static bool fdstore_available(void)
{
	const char *n = getenv("FDSTORE");

	return getenv("NOTIFY_SOCKET") && (!n || atoi(n) > 0);
}

int manager_new(struct manager **ret, sd_event *event, const struct rvisord_config *config)
{
	struct manager *m;
	struct group *gr;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return log_error_errno(ENOMEM, "Out of memory");
	m->event = sd_event_ref(event);
	m->config = config;
	m->rvisor_fd = -1;
	m->next_id = 1;
	m->refused_uid = (uid_t)-1;
	m->fdstore = fdstore_available();
	raise_nofile(m);
	gr = getgrnam(config->socket_group);
	m->socket_gid = gr ? gr->gr_gid : (gid_t)-1;

	r = kernel_layer_open(m);
	if (r < 0)
		goto fail;

	r = cgroup_setup(&m->cgroup_parent);
	if (r < 0)
		log_warning_errno(r, "No cgroup v2 hierarchy to delegate (%m): memory, pids and CPU limits are not enforced");
	else {
		log_debug("Sandbox cgroups under %s", m->cgroup_parent);
		/* New inits start in the daemon's cgroup, then move to their own. */
		r = cgroup_limit_daemon(m->cgroup_parent, &(struct cgroup_limits){
			.memory_max = DAEMON_MEMORY_MAX, .pids_max = config->max_sandboxes + 64ULL });
		if (r < 0 && r != -ENOENT)
			log_warning_errno(r, "Cannot limit rvisord's own cgroup: %m");
	}

	if (mkdir_parents(config->state_dir, 0755) < 0 || (mkdir(config->state_dir, 0700) < 0 && errno != EEXIST)) {
		r = log_error_errno(errno, "Cannot create %s: %m", config->state_dir);
		goto fail;
	}

	if (asprintf(&m->oci_dir, "%s/.containers", config->state_dir) < 0 ||
	    asprintf(&m->detached_dir, "%s/.detached", config->state_dir) < 0) {
		r = log_error_errno(ENOMEM, "Out of memory");
		goto fail;
	}

	r = varlink_server_new(&m->server, event, &manager_interface, m);
	if (r < 0) {
		log_error_errno(r, "Cannot set up the varlink server: %m");
		goto fail;
	}
	r = varlink_server_set_peer_check(m->server, peer_allowed, MANAGER_ERROR(PermissionDenied), m);
	if (r < 0) {
		log_error_errno(r, "Cannot set up the varlink server's peer check: %m");
		goto fail;
	}
	r = varlink_server_set_limits(m->server, &(struct varlink_server_limits){
		.connections_per_uid = config->max_connections_per_user,
		.bytes_per_uid = USER_BUFFER_MAX,
		.fds_per_uid = USER_FDS_MAX,
		.message_max = MESSAGE_MAX,
	});
	if (r < 0) {
		log_error_errno(r, "Cannot set the varlink server's limits: %m");
		goto fail;
	}
	varlink_server_set_refused_callback(m->server, on_refused, m);
	varlink_server_set_failed_callback(m->server, on_failed, m);
	*ret = m;
	return 0;
fail:
	manager_free(m);
	return r;
}

int manager_listen(struct manager *m)
{
	_cleanup_free_ int *stored = NULL;
	_cleanup_free_ char **stored_names = NULL;
	_cleanup_(strv_freep) char **names = NULL;
	size_t n_stored = 0;
	int n, r, fd = -1;

	n = sd_listen_fds_with_names(true, &names);
	if (n < 0)
		return log_error_errno(n, "Cannot read the sockets systemd passed: %m");
	stored = calloc(n > 0 ? (size_t)n : 1, sizeof(int));
	stored_names = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		if (fd < 0 && (!names || strcmp(names[i], "varlink") == 0 || strcmp(names[i], "unknown") == 0))
			fd = SD_LISTEN_FDS_START + i;
		else if (stored && stored_names && names && strncmp(names[i], "rvisor-", 7) == 0) {
			/* What the descriptor store kept of detached sandboxes. */
			stored[n_stored] = SD_LISTEN_FDS_START + i;
			stored_names[n_stored++] = names[i];
		} else
			close(SD_LISTEN_FDS_START + i);
	}

	if (fd >= 0) {
		r = varlink_server_listen_fd(m->server, fd);
		if (r < 0)
			return log_error_errno(r, "Cannot serve the socket systemd passed: %m");
		m->exit_on_idle = m->config->idle_timeout_usec > 0;
		log_debug("Serving the socket systemd passed");
	} else {
		r = mkdir_parents(m->config->socket_path, 0755);
		if (r < 0)
			return log_error_errno(r, "Cannot create the directory of %s: %m", m->config->socket_path);
		r = varlink_server_listen_address(m->server, m->config->socket_path, 0660);
		if (r < 0)
			return log_error_errno(r, "Cannot listen on %s: %m", m->config->socket_path);
		m->bound_socket = true;
		if (m->socket_gid != (gid_t)-1 && chown(m->config->socket_path, 0, m->socket_gid) < 0)
			log_warning_errno(errno, "Cannot give %s to group %s: %m", m->config->socket_path,
					  m->config->socket_group);
		log_info("Listening on %s", m->config->socket_path);
	}

	/* Only now, with the socket ours: no other rvisord uses this state. The detached
	 * sandboxes an earlier one left come first: what they use stays. */
	detached_adopt(m, stored, stored_names, n_stored);
	{
		unsigned removed = 0;

		r = container_cleanup_stale(m->config->state_dir, m->cgroup_parent, detached_keep, m, &removed);
		if (r < 0)
			log_warning_errno(r, "Cannot remove everything an earlier rvisord left: %m");
		if (removed)
			log_notice("Removed %u sandbox leftovers of an earlier rvisord", removed);
	}
	containers_adopt(m);

	if (m->exit_on_idle) {
		uint64_t now;

		sd_event_now(m->event, CLOCK_MONOTONIC, &now);
		m->idle_since_usec = now;
		r = sd_event_add_time(m->event, &m->idle_timer, CLOCK_MONOTONIC, now + IDLE_CHECK_USEC, 0,
				      on_idle_check, m);
		if (r < 0)
			return log_error_errno(r, "Cannot set up the idle timer: %m");
	}
	return 0;
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	m->stopping = true; /* bound containers outlive rvisord */
	detached_handover(m);
	while (m->sandboxes) {
		struct sandbox *s = m->sandboxes;

		if (s->call) {
			(void)reply_error_reason(s->call, MANAGER_ERROR(SandboxFailed), "reason",
						 "rvisord is stopping");
		}
		sandbox_unlink_and_free(s);
	}
	varlink_server_free(m->server);
	if (m->bound_socket)
		(void)unlink(m->config->socket_path); /* systemd owns an activated one */
	sd_event_source_disable_unref(m->kernel_events);
	sd_event_source_disable_unref(m->idle_timer);
	if (m->rvisor_fd >= 0)
		close(m->rvisor_fd);
	free(m->cgroup_parent);
	free(m->oci_dir);
	free(m->detached_dir);
	sd_event_unref(m->event);
	free(m);
	return NULL;
}
