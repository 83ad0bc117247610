/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What lets a detached sandbox outlive rvisord: its record (state_dir/.detached/ID.json), its
 * descriptors in the service manager's store (sd_pid_notify_with_fds(), FDNAME
 * "rvisor-ID-ROLE"), and the next rvisord taking both over; or, where either is missing,
 * ending it and cleaning up after it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cgroup.h"
#include "container.h"
#include "detached-internal.h"
#include "json-util.h"
#include "log.h"
#include "oci-bind.h"
#include "strv.h"
#include "user-ids.h"

/* The descriptors a running detached sandbox keeps in the store, by FDNAME role. */
enum fd_role {
	FD_STATUS, /* the init's report pipe: its end */
	FD_PIDFD,
	FD_OUT,
	FD_ERR,
	FD_IN,
	_FD_ROLE_MAX,
};

static const char *const fd_role_names[_FD_ROLE_MAX] = {
	[FD_STATUS] = "status", [FD_PIDFD] = "pidfd", [FD_OUT] = "out", [FD_ERR] = "err", [FD_IN] = "in",
};

int process_start_time(pid_t pid, uint64_t *ret)
{
	char path[64], buf[1024], *p;
	unsigned long long start;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* The name may hold anything, ')' too: the fields start after the last ')'. Field 22 is
	 * the 20th after it (state is field 3). */
	p = strrchr(buf, ')');
	if (!p)
		return -EBADMSG;
	p++;
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EBADMSG;
	}
	if (sscanf(p, " %llu", &start) != 1)
		return -EBADMSG;
	*ret = start;
	return 0;
}

/* ---- the descriptor store ---- */

static void fdstore_push(const struct sandbox *s, enum fd_role role, int fd)
{
	char msg[128];
	int r;

	if (fd < 0)
		return;
	/* FDPOLL=0: the service manager must not drop a pipe whose writer is gone before the
	 * next rvisord has read what is in it. */
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDPOLL=0\nFDNAME=rvisor-%" PRIu64 "-%s", s->id, fd_role_names[role]);
	r = sd_pid_notify_with_fds(0, false, msg, &fd, 1);
	if (r <= 0)
		log_warning_errno(r ?: -ENOTCONN, "sandbox %" PRIu64 ": the service manager does not keep its %s "
				  "descriptor (%m): it will not outlive rvisord", s->id, fd_role_names[role]);
}

static void fdstore_remove(uint64_t id, enum fd_role role)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=rvisor-%" PRIu64 "-%s", id, fd_role_names[role]);
	(void)sd_notify(false, msg);
}

void fdstore_push_all(struct sandbox *s)
{
	struct detached *d = s->detached;

	fdstore_push(s, FD_STATUS, s->c->status_fd);
	fdstore_push(s, FD_PIDFD, s->c->pidfd);
	fdstore_push(s, FD_OUT, d->out_fd);
	fdstore_push(s, FD_ERR, d->err_fd);
	/* With a tty it is the master again: the store keeps one copy of a file. */
	if (!d->tty)
		fdstore_push(s, FD_IN, d->in_fd);
}

void fdstore_remove_all(struct sandbox *s)
{
	for (int role = 0; role < _FD_ROLE_MAX; role++)
		fdstore_remove(s->id, role);
}

/* ---- records ---- */

static void add_string(json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static void add_uint(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v == UINT64_MAX ? -1 : (int64_t)v));
}

static json_object *record_json(const struct sandbox *s)
{
	const struct detached *d = s->detached;
	json_object *o = json_object_new_object();

	add_uint(o, "id", s->id);
	add_string(o, "name", s->name);
	add_uint(o, "owner", s->owner);
	add_string(o, "policy", s->policy);
	add_string(o, "image", s->image);
	json_object_object_add(o, "argv", json_strv(s->argv));
	add_uint(o, "layers", s->layers);
	json_object_object_add(o, "userns", json_object_new_boolean(s->userns));
	add_uint(o, "started_usec", s->started_usec);
	add_uint(o, "memory_max", s->memory_max);
	add_uint(o, "pids_max", s->pids_max);
	add_uint(o, "cpus_milli", s->cpus_milli);
	add_string(o, "cpuset", s->cpuset);
	json_object_object_add(o, "tty", json_object_new_boolean(d->tty));
	json_object_object_add(o, "interactive", json_object_new_boolean(d->interactive));
	json_object_object_add(o, "auto_remove", json_object_new_boolean(d->auto_remove));
	json_object_object_add(o, "survives", json_object_new_boolean(d->survives));
	add_uint(o, "pid", (uint64_t)d->pid);
	add_uint(o, "pid_start", d->pid_start);
	if (s->c) {
		add_uint(o, "kernel_id", s->c->sandbox_id);
		add_string(o, "state_dir", s->c->state_dir);
		add_string(o, "cgroup_dir", s->c->cgroup_dir);
	}
	json_object_object_add(o, "state", json_object_new_string(d->exited ? "exited" : "running"));
	if (d->exited) {
		add_uint(o, "wait_status", (uint64_t)d->wait_status);
		add_uint(o, "exec_errno", (uint64_t)d->exec_errno);
		json_object_object_add(o, "oom", json_object_new_boolean(d->oom));
		add_uint(o, "finished_usec", d->finished_usec);
	}
	return o;
}

static int record_path(const struct manager *m, uint64_t id, const char *suffix, char **ret)
{
	return asprintf(ret, "%s/%" PRIu64 ".json%s", m->detached_dir, id, suffix) < 0 ? -ENOMEM : 0;
}

int record_save(struct sandbox *s)
{
	_cleanup_free_ char *tmp = NULL, *path = NULL;
	json_object *o;
	int r;

	r = record_path(s->m, s->id, ".tmp", &tmp);
	if (r >= 0)
		r = record_path(s->m, s->id, "", &path);
	if (r < 0)
		return r;
	o = record_json(s);
	r = json_write_file(o, tmp, path);
	json_object_put(o);
	return r;
}

void record_remove(struct sandbox *s)
{
	_cleanup_free_ char *path = NULL;

	if (record_path(s->m, s->id, "", &path) >= 0 && unlink(path) < 0 && errno != ENOENT)
		log_warning_errno(errno, "sandbox %" PRIu64 ": cannot remove its record %s: %m", s->id, path);
}

/* ---- taking over ---- */

/* The descriptors the store gave back, by sandbox and role. */
struct stored_fd {
	uint64_t id;
	enum fd_role role;
	int fd;
};

struct adoption {
	struct manager *m;
	struct stored_fd *fds;
	size_t n_fds;
	uint64_t max_id;
};

static int stored_take(struct adoption *a, uint64_t id, enum fd_role role)
{
	for (size_t i = 0; i < a->n_fds; i++)
		if (a->fds[i].id == id && a->fds[i].role == role && a->fds[i].fd >= 0)
			return TAKE_FD(a->fds[i].fd);
	return -1;
}

/* A record's integer within [min, max]; the JSON getters of lib/json-util.h do the rest. */
static bool get_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *ret)
{
	return json_get_int(o, key, ret) == 0 && *ret >= min && *ret <= max;
}

static uint64_t get_limit(json_object *o, const char *key)
{
	int64_t v;

	return get_int(o, key, -1, INT64_MAX, &v) && v >= 0 ? (uint64_t)v : UINT64_MAX;
}

static bool get_bool(json_object *o, const char *key)
{
	bool b = false;

	(void)json_get_bool(o, key, &b);
	return b;
}

static char **get_strv(json_object *o, const char *key)
{
	char **l = NULL;
	json_object *a;

	if (json_get_array(o, key, &a) < 0 || strv_from_json(a, &l) < 0)
		return NULL;
	return l;
}

/* The sandbox a record describes, without its container: NULL when it is malformed. */
static struct sandbox *sandbox_from_record(struct manager *m, json_object *o)
{
	int64_t id, owner, layers, started, cpus;
	const char *name = json_string(o, "name"), *policy = json_string(o, "policy"), *image = json_string(o, "image");
	struct sandbox *s;
	struct detached *d;

	if (!get_int(o, "id", 1, INT64_MAX, &id) || !get_int(o, "owner", 0, UID_GID_MAX, &owner) ||
	    !get_int(o, "layers", 1, 3, &layers) || !get_int(o, "started_usec", 0, INT64_MAX, &started) ||
	    !get_int(o, "cpus_milli", 0, INT64_MAX, &cpus) || !name || !policy || !image)
		return NULL;
	s = calloc(1, sizeof(*s));
	d = calloc(1, sizeof(*d));
	if (!s || !d) {
		free(s);
		free(d);
		return NULL;
	}
	d->s = s;
	d->out_fd = d->err_fd = d->in_fd = -1;
	d->tty = get_bool(o, "tty");
	d->interactive = get_bool(o, "interactive");
	d->auto_remove = get_bool(o, "auto_remove");
	d->survives = get_bool(o, "survives");
	s->m = m;
	s->detached = d;
	s->id = (uint64_t)id;
	s->owner = (uid_t)owner;
	s->layers = (unsigned)layers;
	s->started_usec = (uint64_t)started;
	s->cpus_milli = (uint64_t)cpus;
	s->memory_max = get_limit(o, "memory_max");
	s->pids_max = get_limit(o, "pids_max");
	s->userns = get_bool(o, "userns");
	s->name = strdup(name);
	s->policy = strdup(policy);
	s->image = strdup(image);
	s->cpuset = json_string(o, "cpuset") ? strdup(json_string(o, "cpuset")) : NULL;
	s->argv = get_strv(o, "argv");
	if (!s->name || !s->policy || !s->image || !s->argv) {
		sandbox_unlink_and_free(s); /* not linked: only freed */
		return NULL;
	}
	return s;
}

static void record_exited(struct sandbox *s, json_object *o)
{
	struct detached *d = s->detached;
	int64_t v;

	d->exited = true;
	d->wait_status = get_int(o, "wait_status", 0, INT32_MAX, &v) ? (int)v : 0;
	d->exec_errno = get_int(o, "exec_errno", 0, 4095, &v) ? (int)v : 0;
	d->oom = get_bool(o, "oom");
	d->finished_usec = get_limit(o, "finished_usec") == UINT64_MAX ? 0 : get_limit(o, "finished_usec");
}

/* An adopted sandbox (not our child) has exited: its init's report says how. */
static int on_adopted_exit(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct sandbox *s = userdata;
	int status = 0, exec_errno = 0, r;
	bool oom = false;

	r = container_read_exit(s->c, &status, &exec_errno);
	if (r < 0) {
		/* No report: the init was killed (only SIGKILL stops it without one). */
		status = SIGKILL;
		exec_errno = 0;
	}
	(void)container_oom_killed(s->c, &oom);
	journal_sandbox(LOG_INFO, journal_fields(s), "sandbox %" PRIu64 " (%s) exited: %s %d%s", s->id, s->name,
			exec_errno ? "exec errno" : WIFSIGNALED(status) ? "signal" : "code",
			exec_errno ? exec_errno : WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
			oom ? ", memory limit hit" : "");
	sandbox_exited(s, status, exec_errno, oom);
	return 0;
}

/* Whether the stored pidfd is the recorded init's: the same pid, started at the same time. */
static bool init_is(int pidfd, pid_t pid, uint64_t start)
{
	uint64_t now;
	pid_t p;

	/* -ESRCH: it has exited meanwhile; its report says how (on_adopted_exit()). */
	if (pidfd_to_pid(pidfd, &p) == -ESRCH)
		return true;
	return p == pid && process_start_time(pid, &now) >= 0 && now == start;
}

/* A running sandbox of the record, with the descriptors the store kept: 0, or -errno when
 * it cannot be taken over (then the caller ends it). */
static int adopt_running(struct adoption *a, struct sandbox *s, json_object *o)
{
	struct manager *m = a->m;
	struct detached *d = s->detached;
	_cleanup_close_ int status_fd = stored_take(a, s->id, FD_STATUS), pidfd = stored_take(a, s->id, FD_PIDFD);
	int64_t pid, start, kernel_id = 0;
	char name[64];
	int r;

	d->out_fd = stored_take(a, s->id, FD_OUT);
	d->err_fd = stored_take(a, s->id, FD_ERR);
	d->in_fd = d->tty ? -1 : stored_take(a, s->id, FD_IN);
	if (!get_int(o, "pid", 1, INT32_MAX, &pid) || !get_int(o, "pid_start", 0, INT64_MAX, &start))
		return -EBADMSG;
	d->pid = (pid_t)pid;
	d->pid_start = (uint64_t)start;
	(void)get_int(o, "kernel_id", 0, INT64_MAX, &kernel_id);
	if (!d->survives || status_fd < 0 || pidfd < 0 || d->out_fd < 0 || (!d->tty && d->err_fd < 0) ||
	    (!d->tty && d->interactive && d->in_fd < 0))
		return -EBADF;
	if (!init_is(pidfd, d->pid, d->pid_start))
		return -ESRCH;
	if (d->tty && d->interactive) {
		d->in_fd = fcntl(d->out_fd, F_DUPFD_CLOEXEC, 3);
		if (d->in_fd < 0)
			return -errno;
	}
	snprintf(name, sizeof(name), "sandbox-%" PRIu64, s->id);
	r = container_adopt(name, d->pid, pidfd, status_fd, (uint64_t)kernel_id, m->rvisor_fd, s->layers,
			    json_string(o, "state_dir"), json_string(o, "cgroup_dir"), &s->c);
	if (r < 0)
		return r;
	TAKE_FD(pidfd);
	TAKE_FD(status_fd);
	d->adopted = true;
	d->started = true;
	r = log_store_open(m->detached_dir, s->id, m->config->log_size, &d->log);
	if (r >= 0)
		r = detached_watch(s);
	if (r >= 0)
		r = sd_event_add_io(m->event, &d->pidfd_src, s->c->pidfd, EPOLLIN, on_adopted_exit, s);
	if (r < 0)
		return r;
	/* Its limits again (the controllers came back with this rvisord's cgroup_setup()), then
	 * it may run on. */
	if (s->c->cgroup_dir) {
		r = cgroup_set_limits(s->c->cgroup_dir, &(struct cgroup_limits){ .memory_max = s->memory_max,
			.pids_max = s->pids_max, .cpus_milli = s->cpus_milli, .cpuset = s->cpuset }, NULL);
		if (r < 0)
			return r;
		(void)cgroup_freeze(s->c->cgroup_dir, false);
	}
	return 0;
}

/* What cannot be taken over is ended: no process of it may run on unseen. Its cgroup and
 * state directory go with container_cleanup_stale(), its kernel sandbox with the orphans. */
static void end_leftover(json_object *o)
{
	int64_t pid, start;
	int pidfd;

	if (get_int(o, "pid", 1, INT32_MAX, &pid) && get_int(o, "pid_start", 0, INT64_MAX, &start)) {
		uint64_t now;

		pidfd = pidfd_open((pid_t)pid, 0);
		if (pidfd >= 0 && process_start_time((pid_t)pid, &now) >= 0 && now == (uint64_t)start)
			(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		safe_close(pidfd);
	}
	if (json_string(o, "cgroup_dir")) {
		(void)cgroup_freeze(json_string(o, "cgroup_dir"), false);
		(void)cgroup_kill_all(json_string(o, "cgroup_dir"));
	}
}

static void remove_output(struct manager *m, uint64_t id)
{
	_cleanup_free_ char *a = NULL, *b = NULL;

	if (asprintf(&a, "%s/%" PRIu64 ".log", m->detached_dir, id) >= 0)
		(void)unlink(a);
	if (asprintf(&b, "%s/%" PRIu64 ".log.1", m->detached_dir, id) >= 0)
		(void)unlink(b);
}

static const char *adopt_failure(int r)
{
	switch (r) {
	case -ESTALE:
		return "it was to end with that rvisord, which had no descriptor store";
	case -EBADF:
		return "the service manager did not keep its descriptors";
	case -ESRCH:
		return "its init is not the one recorded";
	case -EBADMSG:
		return "its record is malformed";
	default:
		return strerror(-r);
	}
}

/* One record: the sandbox adopted (or, exited, kept), else ended and its traces removed. */
static void adopt_record(struct adoption *a, uint64_t id, const char *path)
{
	json_object *o = json_object_from_file(path);
	struct sandbox *s = o ? sandbox_from_record(a->m, o) : NULL;
	const char *state = o ? json_string(o, "state") : NULL;
	int r = -EBADMSG;

	/* A record of an rvisord without the descriptor store is one of a sandbox that was to
	 * end with it: what a crash left. */
	if (s)
		s->detached->started = true; /* a record is written once it has */
	if (s && !s->detached->survives)
		r = -ESTALE;
	else if (s && s->id == id && state && strcmp(state, "exited") == 0) {
		record_exited(s, o);
		r = log_store_open(a->m->detached_dir, s->id, a->m->config->log_size, &s->detached->log);
	} else if (s && s->id == id && state && strcmp(state, "running") == 0)
		r = adopt_running(a, s, o);
	if (r >= 0) {
		sandbox_link(a->m, s);
		if (s->id > a->max_id)
			a->max_id = s->id;
		journal_sandbox(LOG_INFO, journal_fields(s), "took over %s detached sandbox %" PRIu64 " (%s) of uid %u",
				s->c ? "running" : "exited", s->id, s->name, (unsigned)s->owner);
	} else {
		if (o)
			end_leftover(o);
		if (s && s->c) {
			container_free(s->c); /* its descriptors only: the rest is cleaned up below */
			s->c = NULL;
		}
		log_notice("Detached sandbox %" PRIu64 " of an earlier rvisord cannot be taken over (%s): ended and "
			   "removed", id, adopt_failure(r));
		for (int role = 0; role < _FD_ROLE_MAX; role++)
			fdstore_remove(id, role);
		(void)unlink(path);
		remove_output(a->m, id);
		if (s)
			sandbox_unlink_and_free(s);
	}
	json_object_put(o);
}

/* "rvisor-ID-ROLE": 0 and its parts, -EINVAL for any other name. */
static int parse_fd_name(const char *name, uint64_t *ret_id, enum fd_role *ret_role)
{
	unsigned long long id;
	char role[16];
	int n = 0;

	if (sscanf(name, "rvisor-%llu-%15[a-z]%n", &id, role, &n) != 2 || name[n] || id == 0)
		return -EINVAL;
	for (int i = 0; i < _FD_ROLE_MAX; i++)
		if (strcmp(role, fd_role_names[i]) == 0) {
			*ret_id = id;
			*ret_role = i;
			return 0;
		}
	return -EINVAL;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Every record, then what no record claims: output files and stray descriptors. */
static void adopt_dir(struct adoption *a)
{
	_cleanup_(closedirp) DIR *dir = opendir(a->m->detached_dir);
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		_cleanup_free_ char *path = NULL;
		unsigned long long id;
		int n = 0;

		if (sscanf(de->d_name, "%llu.json%n", &id, &n) != 1 || de->d_name[n] || id == 0)
			continue;
		if (asprintf(&path, "%s/%s", a->m->detached_dir, de->d_name) < 0)
			return;
		adopt_record(a, id, path);
	}
	rewinddir(dir);
	while ((de = readdir(dir))) {
		unsigned long long id;
		bool known = false;

		if (de->d_name[0] == '.' || sscanf(de->d_name, "%llu.", &id) != 1)
			continue;
		for (struct sandbox *s = a->m->sandboxes; s; s = s->next)
			known = known || (s->detached && s->id == id);
		if (!known)
			(void)unlinkat(dirfd(dir), de->d_name, 0);
	}
}

void detached_adopt(struct manager *m, int *fds, char **names, size_t n)
{
	struct adoption a = { .m = m };
	unsigned taken = 0;

	a.fds = calloc(n ? n : 1, sizeof(*a.fds));
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		enum fd_role role;

		if (!a.fds || parse_fd_name(names[i], &id, &role) < 0) {
			safe_close(fds[i]);
			continue;
		}
		a.fds[a.n_fds++] = (struct stored_fd){ .id = id, .role = role, .fd = fds[i] };
	}
	adopt_dir(&a);
	for (size_t i = 0; i < a.n_fds; i++)
		if (a.fds[i].fd >= 0) {
			safe_close(a.fds[i].fd);
			fdstore_remove(a.fds[i].id, a.fds[i].role);
		}
	free(a.fds);
	if (a.max_id >= m->next_id)
		m->next_id = a.max_id + 1;
	for (struct sandbox *s = m->sandboxes; s; s = s->next)
		taken += s->detached != NULL;
	if (taken)
		log_info("Took over %u detached sandboxes of an earlier rvisord", taken);
	(void)rmdir(m->detached_dir); /* when there was nothing to take over */
}

bool detached_keep(const char *name, void *userdata)
{
	struct manager *m = userdata;
	unsigned long long id;
	int n = 0;

	if (sscanf(name, "sandbox-%llu%n", &id, &n) != 1 || name[n])
		return false;
	for (struct sandbox *s = m->sandboxes; s; s = s->next)
		if (s->id == id && s->detached && s->c)
			return true;
	return false;
}

/* ---- leaving ---- */

void detached_handover(struct manager *m)
{
	struct sandbox *s, *next;
	unsigned left = 0;

	for (s = m->sandboxes; s; s = next) {
		struct detached *d = s->detached;

		next = s->next;
		if (!d)
			continue;
		if (!m->fdstore || !d->survives) {
			/* rvisord ends it (manager_free()): nothing of it may stay. */
			if (d->log)
				(void)log_store_remove(d->log);
			record_remove(s);
			continue;
		}
		/* Frozen until the next rvisord has set its limits again (below, they go). */
		if (s->c && s->c->cgroup_dir)
			(void)cgroup_freeze(s->c->cgroup_dir, true);
		container_free(s->c); /* not destroyed: only our descriptors close */
		s->c = NULL;
		sandbox_unlink_and_free(s);
		left++;
	}
	(void)rmdir(m->detached_dir);
	if (!left)
		return;
	if (m->cgroup_parent) {
		int r = cgroup_release_controllers(m->cgroup_parent);

		if (r < 0)
			log_warning_errno(r, "Cannot release the cgroup controllers of %s: %m (the next rvisord may "
					  "not start while the detached sandboxes run)", m->cgroup_parent);
	}
	log_info("Leaving %u detached sandboxes to the next rvisord", left);
}
