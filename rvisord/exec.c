/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.rvisor.Manager.Exec: a process joining a running sandbox, as docker exec
 * (container_exec_spawn() does the joining). One struct exec per call, on its sandbox's list,
 * which it never outlives: the sandbox's end ends it (execs_end()). The helper's report says
 * "started", the helper's reaping "exited"; a client that goes away first has the process
 * killed.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manager-errors.h"
#include "container.h"
#include "exec.h"
#include "journal.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "json-util.h"
#include "manager-internal.h"
#include "strv.h"

struct exec {
	struct manager *m;
	struct sandbox *s;
	struct exec *next;           /* on the sandbox's list */
	struct container_exec *e;
	VarlinkCall *call;           /* until its last reply */
	char *command;               /* argv[0], for the journal */
	uid_t caller;
	sd_event_source *helper, *report, *timer;
};

/* What method_exec() works out before it starts the process, released at its end. */
struct exec_request {
	char **argv, **env;
	int fds[3];
};

static void exec_request_done(struct exec_request *q)
{
	strv_free(q->argv);
	strv_free(q->env);
	for (size_t i = 0; i < ARRAY_SIZE(q->fds); i++)
		if (q->fds[i] >= 0)
			close(q->fds[i]);
}

static void exec_free(struct exec *x)
{
	sd_event_source_disable_unref(x->helper);
	sd_event_source_disable_unref(x->report);
	sd_event_source_disable_unref(x->timer);
	container_exec_free(x->e);
	varlink_call_unref(x->call);
	free(x->command);
	free(x);
}

static void exec_unlink_and_free(struct exec *x)
{
	for (struct exec **p = &(x->s)->execs; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			break;
		}
	exec_free(x);
}

static int reply_exec_failed(VarlinkCall *call, const char *reason)
{
	return reply_error_reason(call, MANAGER_ERROR(ExecFailed), "reason", reason);
}

/* Why the process could not be started, to the journal and to the caller. */
static void exec_failed(struct exec *x, int r, const char *reason)
{
	struct journal_sandbox_fields f = journal_fields(x->s);

	journal_sandbox(LOG_WARNING, f, "sandbox %" PRIu64 " (%s): exec of %s for uid %u failed: %s", f.id,
			f.name, x->command, (unsigned)x->caller, reason);
	if (!x->call)
		return;
	if (r == -EAGAIN)
		(void)reply_error_reason(x->call, MANAGER_ERROR(ResourceExhausted), "reason", reason);
	else
		(void)reply_exec_failed(x->call, reason);
	x->call = varlink_call_unref(x->call);
}

/* The last reply: the process's end, as the helper reported it (or, when the helper died
 * without a report, as it died). */
static void exec_exited(struct exec *x)
{
	struct journal_sandbox_fields f = journal_fields(x->s);
	int status, exec_errno;
	json_object *p;

	if (container_exec_read_exit(x->e, &status, &exec_errno) < 0) {
		status = W_EXITCODE(125, 0); /* no report at all: rvisor's own failure */
		exec_errno = 0;
	}
	journal_sandbox(LOG_INFO, f, "sandbox %" PRIu64 " (%s): exec pid %d exited: %s %d", f.id, f.name,
			(int)x->e->pid,
			exec_errno ? "exec errno" : WIFSIGNALED(status) ? "signal" : "code",
			exec_errno ? exec_errno : WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	if (!x->call)
		return;
	p = json_object_new_object();
	json_object_object_add(p, "state", json_object_new_string("exited"));
	json_object_object_add(p, "id", json_object_new_int64((int64_t)f.id));
	exit_reply_add(p, status, exec_errno);
	(void)varlink_call_reply(x->call, p);
	x->call = varlink_call_unref(x->call);
}

/* The helper reported a step of its set-up (or died: EOF). */
static int on_exec_report(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct exec *x = userdata;
	struct journal_sandbox_fields f = journal_fields(x->s);
	_cleanup_free_ char *err = NULL;
	json_object *p;
	int r;

	r = container_exec_step(x->e, &err);
	if (r == 0)
		return 0;
	/* The process's end is read when the helper is reaped. */
	x->report = sd_event_source_disable_unref(x->report);
	x->timer = sd_event_source_disable_unref(x->timer);
	if (r < 0) {
		exec_failed(x, r, err ?: strerror(-r));
		(void)container_exec_kill(x->e, true); /* it exits anyway: its reaping frees x */
		return 0;
	}
	journal_sandbox(LOG_INFO, f, "sandbox %" PRIu64 " (%s): exec of %s for uid %u: pid %d", f.id, f.name,
			x->command, (unsigned)x->caller, (int)x->e->pid);
	if (!x->call)
		return 0;
	p = json_object_new_object();
	json_object_object_add(p, "state", json_object_new_string("started"));
	json_object_object_add(p, "id", json_object_new_int64((int64_t)f.id));
	json_object_object_add(p, "pid", json_object_new_int((int)x->e->pid));
	(void)varlink_call_notify(x->call, p);
	return 0;
}

/* A helper stuck in its set-up (a working directory on a file system that does not answer):
 * killed before it forked the process. */
static int on_exec_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct exec *x = userdata;
	char reason[128];

	x->report = sd_event_source_disable_unref(x->report);
	x->timer = sd_event_source_disable_unref(x->timer);
	snprintf(reason, sizeof(reason), "the process did not start in %" PRIu64 " s (setup_timeout in rvisord.conf)",
		 x->m->config->setup_timeout_usec / 1000000);
	exec_failed(x, -ETIMEDOUT, reason);
	(void)container_exec_kill(x->e, true);
	return 0;
}

static int on_helper_exit(sd_event_source *src, const siginfo_t *si, void *userdata)
{
	struct exec *x = userdata;

	container_exec_reaped(x->e, container_wait_status_from_siginfo(si));
	/* Its reports were read first (their source goes first): started, or failed. */
	if (x->e->started)
		exec_exited(x);
	else if (x->call)
		exec_failed(x, -EIO, "the exec helper died during its set-up");
	exec_unlink_and_free(x);
	return 0;
}

/* The client went away before the end: the process goes too (the helper kills it). */
static void on_exec_client_gone(VarlinkCall *call, void *userdata)
{
	struct exec *x = userdata;
	struct journal_sandbox_fields f = journal_fields(x->s);

	journal_sandbox(LOG_NOTICE, f, "sandbox %" PRIu64 " (%s): exec of %s: client disconnected, killing it",
			f.id, f.name, x->command);
	(void)container_exec_kill(x->e, false);
}

static int exec_watch(struct manager *m, struct exec *x)
{
	int r;

	r = sd_event_add_child_pidfd(m->event, &x->helper, x->e->helper_pidfd, WEXITED, on_helper_exit, x);
	if (r >= 0)
		r = sd_event_add_io(m->event, &x->report, x->e->status_fd, EPOLLIN, on_exec_report, x);
	/* A report is read before the exit it may precede: it says why the set-up failed. */
	if (r >= 0)
		r = sd_event_source_set_priority(x->report, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = sd_event_add_time_relative(m->event, &x->timer, CLOCK_MONOTONIC, m->config->setup_timeout_usec,
					       0, on_exec_timeout, x);
	return r;
}

/* Whether the sandbox can be joined: 1, else the reply's result. */
static int exec_target(VarlinkCall *call, struct sandbox *s)
{
	struct container *c = (s)->c;
	char reason[160];

	if (!c)
		snprintf(reason, sizeof(reason), "sandbox %" PRIu64 " is an OCI container: its runtime "
			 "has its own exec (podman exec, docker exec)", s->id);
	else if (!c->started)
		snprintf(reason, sizeof(reason), "sandbox %" PRIu64 " is still starting", s->id);
	else
		return 1;
	return reply_exec_failed(call, reason);
}

/* argv, env, cwd, uid, gid and tty into spec: 1, else the reply's result. */
static int exec_request_fill(VarlinkCall *call, struct exec_params *p, struct exec_request *q,
			     struct container_exec_spec *spec)
{
	const char *cwd = p->cwd;
	int r;

	q->argv = TAKE_PTR(p->argv);
	q->env = TAKE_PTR(p->env);
	if (!q->argv[0] || !q->argv[0][0])
		return varlink_call_error_invalid_parameter(call, "argv");
	if (strv_bytes(q->argv) + strv_bytes(q->env) > RUN_ARGS_MAX)
		return reply_error_reason(call, MANAGER_ERROR(ResourceExhausted), "reason",
					  "the command line and environment are larger than 2 MiB");
	for (char **e = q->env; *e; e++)
		if (!strchr(*e, '=') || **e == '=')
			return varlink_call_error_invalid_parameter(call, "env");
	if (cwd && (cwd[0] != '/' || strlen(cwd) >= PATH_MAX))
		return varlink_call_error_invalid_parameter(call, "cwd");
	r = call_user_ids(call, p->uid, p->gid, &spec->user_set, &spec->uid, &spec->gid);
	if (r <= 0)
		return r;
	spec->argv = q->argv;
	spec->env = q->env;
	spec->cwd = cwd;
	spec->tty = p->tty;
	return 1;
}

/* container_exec_spawn()'s errors as replies. */
static int reply_spawn_failed(struct exec *x, const struct container_exec_spec *spec, int r,
			      const char *reason)
{
	if (r != -EPERM) {
		exec_failed(x, r, reason);
		return 0;
	}
	/* The user asked for is not mapped in the sandbox's user namespace. */
	r = reply_user_not_permitted(x->call, spec->uid, &spec->gid, reason);
	x->call = varlink_call_unref(x->call);
	return r;
}

int method_exec(VarlinkCall *call, void *params, void *userdata)
{
	struct exec_params *p = params;
	struct manager *m = userdata;
	_cleanup_(exec_request_done) struct exec_request q = { .fds = { -1, -1, -1 } };
	_cleanup_free_ char *err = NULL;
	struct container_exec_spec spec = {};
	struct sandbox *s;
	struct exec *x;
	int r;

	if (!varlink_call_wants_more(call))
		return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
	s = sandbox_from_params(m, call, p->id, p->name);
	if (!s)
		return 0;
	r = exec_target(call, s);
	if (r <= 0)
		return r;
	r = exec_request_fill(call, p, &q, &spec);
	if (r <= 0)
		return r;
	r = call_stdio_fds(call, q.fds);
	if (r <= 0)
		return r;
	memcpy(spec.stdio, q.fds, sizeof(spec.stdio));

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->m = m;
	x->s = s;
	x->caller = varlink_call_peer(call)->uid;
	x->command = strdup(q.argv[0]);
	if (!x->command) {
		exec_free(x);
		return -ENOMEM;
	}
	x->call = varlink_call_ref(call);
	r = container_exec_spawn((s)->c, &spec, &x->e, &err);
	if (r < 0) {
		r = reply_spawn_failed(x, &spec, r, err ?: strerror(-r));
		exec_free(x); /* nothing was left behind */
		return r;
	}
	r = exec_watch(m, x);
	if (r < 0) {
		(void)container_exec_kill(x->e, true);
		(void)container_exec_destroy(x->e);
		x->call = varlink_call_unref(x->call); /* the server answers InternalError */
		exec_free(x);
		return r;
	}
	varlink_call_set_disconnect_callback(call, on_exec_client_gone, x);
	x->next = *&(s)->execs;
	*&(s)->execs = x;
	return 0;
}

void execs_end(struct exec **list)
{
	while (*list) {
		struct exec *x = *list;
		struct journal_sandbox_fields f = journal_fields(x->s);
		int r;

		*list = x->next;
		x->helper = sd_event_source_disable_unref(x->helper);
		x->report = sd_event_source_disable_unref(x->report);
		x->timer = sd_event_source_disable_unref(x->timer);
		r = container_exec_destroy(x->e);
		if (r < 0)
			log_warning_errno(r, "sandbox %" PRIu64 " (%s): cannot reap the exec helper of %s: %m",
					  f.id, f.name, x->command);
		/* A report not read yet may say "started" too. */
		if (container_exec_step(x->e, NULL) > 0)
			exec_exited(x);
		else if (x->call)
			exec_failed(x, -ESRCH, "the sandbox ended before the process started");
		exec_free(x);
	}
}
