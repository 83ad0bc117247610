/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Detached sandboxes: their stdio, their output into the log store, their end (kept as
 * "exited" until Remove), and the calls that wait for a sandbox's end: Wait, Stop, Remove.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "manager-errors.h"
#include "container.h"
#include "detached-internal.h"
#include "log.h"

/* docker stop's default. */
#define STOP_TIMEOUT_DEFAULT 10
/* A pty's size until someone says otherwise. */
#define TTY_ROWS 24
#define TTY_COLUMNS 80

uint64_t now_realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* As Run's "exited": the exec errno, else the signal, else the exit code; and the OOM kill. */
json_object *exit_params(int wait_status, int exec_errno, bool oom)
{
	json_object *p = json_object_new_object();

	if (exec_errno)
		json_object_object_add(p, "exec_errno", json_object_new_int(exec_errno));
	else if (WIFSIGNALED(wait_status))
		json_object_object_add(p, "signal", json_object_new_int(WTERMSIG(wait_status)));
	else
		json_object_object_add(p, "exit_code", json_object_new_int(WEXITSTATUS(wait_status)));
	if (oom)
		json_object_object_add(p, "oom_killed", json_object_new_boolean(true));
	return p;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* A pty: its master in *ret_master (O_NONBLOCK), its terminal (the sandbox's) in
 * *ret_slave, neither anyone's controlling terminal here. */
static int open_pty(int *ret_master, int *ret_slave)
{
	_cleanup_close_ int master = -1, slave = -1;
	struct winsize ws = { .ws_row = TTY_ROWS, .ws_col = TTY_COLUMNS };
	char name[64];

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -errno;
	if (grantpt(master) < 0 || unlockpt(master) < 0)
		return -errno;
	errno = ptsname_r(master, name, sizeof(name));
	if (errno)
		return -errno;
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return -errno;
	(void)ioctl(master, TIOCSWINSZ, &ws);
	if (set_nonblock(master) < 0)
		return -errno;
	*ret_master = TAKE_FD(master);
	*ret_slave = TAKE_FD(slave);
	return 0;
}

/* A pipe whose read end (*ret_ours when ours_reads, else the write end) is rvisord's and
 * O_NONBLOCK; the other goes to the sandbox. */
static int open_pipe(bool ours_reads, int *ret_ours, int *ret_theirs)
{
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	r = set_nonblock(p[ours_reads ? 0 : 1]);
	if (r < 0) {
		close(p[0]);
		close(p[1]);
		return r;
	}
	*ret_ours = p[ours_reads ? 0 : 1];
	*ret_theirs = p[ours_reads ? 1 : 0];
	return 0;
}

static int tty_stdio(struct detached *d, int stdio[3])
{
	int r = open_pty(&d->out_fd, &stdio[0]);

	if (r < 0)
		return r;
	stdio[1] = fcntl(stdio[0], F_DUPFD_CLOEXEC, 3);
	stdio[2] = fcntl(stdio[0], F_DUPFD_CLOEXEC, 3);
	if (stdio[1] < 0 || stdio[2] < 0)
		return -errno;
	/* The master again, for writing: sd-event watches each descriptor once. */
	if (d->interactive) {
		d->in_fd = fcntl(d->out_fd, F_DUPFD_CLOEXEC, 3);
		if (d->in_fd < 0)
			return -errno;
	}
	return 0;
}

static int pipe_stdio(struct detached *d, int stdio[3])
{
	int r = open_pipe(true, &d->out_fd, &stdio[1]);

	if (r >= 0)
		r = open_pipe(true, &d->err_fd, &stdio[2]);
	if (r < 0)
		return r;
	if (d->interactive)
		return open_pipe(false, &d->in_fd, &stdio[0]);
	stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return stdio[0] < 0 ? -errno : 0;
}

int detached_new(bool tty, bool interactive, bool auto_remove, struct detached **ret, int ret_stdio[3])
{
	struct detached *d = calloc(1, sizeof(*d));
	int stdio[3] = { -1, -1, -1 }, r;

	if (!d)
		return -ENOMEM;
	d->out_fd = d->err_fd = d->in_fd = -1;
	d->tty = tty;
	d->interactive = interactive;
	d->auto_remove = auto_remove;
	r = tty ? tty_stdio(d, stdio) : pipe_stdio(d, stdio);
	if (r < 0) {
		for (int i = 0; i < 3; i++)
			safe_close(stdio[i]);
		detached_free(d);
		return r;
	}
	memcpy(ret_stdio, stdio, sizeof(stdio));
	*ret = d;
	return 0;
}

struct detached *detached_free(struct detached *d)
{
	if (!d)
		return NULL;
	sd_event_source_disable_unref(d->out_src);
	sd_event_source_disable_unref(d->err_src);
	sd_event_source_disable_unref(d->in_src);
	sd_event_source_disable_unref(d->pidfd_src);
	safe_close(d->out_fd);
	safe_close(d->err_fd);
	safe_close(d->in_fd);
	log_store_free(d->log);
	free(d);
	return NULL;
}

void output_read(struct sandbox *s, int fd, size_t max)
{
	static char buf[LOG_RECORD_MAX];
	struct detached *d = s->detached;
	enum log_stream stream = fd == d->err_fd ? LOG_STREAM_STDERR : LOG_STREAM_STDOUT;
	sd_event_source *src = fd == d->err_fd ? d->err_src : d->out_src;
	size_t total = 0;
	bool any = false;

	while (total < max) {
		ssize_t n = read(fd, buf, sizeof(buf));
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* The end (a pty's master says EIO once its terminal is closed). */
			(void)sd_event_source_set_enabled(src, SD_EVENT_OFF);
			break;
		}
		total += (size_t)n;
		any = true;
		r = log_store_append(d->log, stream, buf, (size_t)n, now_realtime_usec());
		if (r < 0 && !d->log_failed) {
			d->log_failed = true;
			journal_sandbox(LOG_WARNING, journal_fields(s),
					"sandbox %" PRIu64 " (%s): cannot keep its output (%s): dropping it",
					s->id, s->name, strerror(-r));
		}
	}
	if (any)
		followers_wake(s);
}

static int on_output(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	output_read(userdata, fd, OUTPUT_READ_MAX);
	return 0;
}

int detached_watch(struct sandbox *s)
{
	struct detached *d = s->detached;
	sd_event *e = s->m->event;
	int r = 0;

	if (d->out_fd >= 0)
		r = sd_event_add_io(e, &d->out_src, d->out_fd, EPOLLIN, on_output, s);
	if (r >= 0 && d->err_fd >= 0)
		r = sd_event_add_io(e, &d->err_src, d->err_fd, EPOLLIN, on_output, s);
	/* Enabled when what Attach callers sent does not fit into the pipe at once. */
	if (r >= 0 && d->in_fd >= 0)
		r = sd_event_add_io(e, &d->in_src, d->in_fd, EPOLLOUT, on_stdin_writable, s);
	if (r >= 0 && d->in_src)
		r = sd_event_source_set_enabled(d->in_src, SD_EVENT_OFF);
	return r;
}

int detached_setup(struct sandbox *s)
{
	struct detached *d = s->detached;
	struct manager *m = s->m;
	int r;

	d->s = s;
	d->survives = m->fdstore;
	if (mkdir(m->detached_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	r = log_store_open(m->detached_dir, s->id, m->config->log_size, &d->log);
	if (r < 0)
		return r;
	return detached_watch(s);
}

void detached_started(struct sandbox *s, json_object *started)
{
	struct detached *d = s->detached;
	VarlinkCall *call = TAKE_PTR(s->call);
	int r;

	d->started = true;
	d->pid = s->c->pid;
	if (process_start_time(d->pid, &d->pid_start) < 0)
		d->pid_start = 0;
	r = record_save(s);
	if (r < 0)
		journal_sandbox(LOG_WARNING, journal_fields(s),
				"sandbox %" PRIu64 " (%s): cannot save its record (%s): the next rvisord "
				"will not know it", s->id, s->name, strerror(-r));
	if (d->survives)
		fdstore_push_all(s);
	/* The one and final reply: the sandbox is no longer the call's, and a client that goes
	 * now leaves it running. */
	varlink_call_set_disconnect_callback(call, NULL, NULL);
	(void)varlink_call_reply(call, started);
	varlink_call_unref(call);
}

bool sandbox_running(const struct sandbox *s)
{
	return s->container || s->c;
}

void detached_json(const struct sandbox *s, json_object *o)
{
	const struct detached *d = s->detached;

	json_object_object_add(o, "state", json_object_new_string(sandbox_running(s) ? "running" : "exited"));
	json_object_object_add(o, "detached", json_object_new_boolean(d != NULL));
	if (!d)
		return;
	json_object_object_add(o, "tty", json_object_new_boolean(d->tty));
	json_object_object_add(o, "interactive", json_object_new_boolean(d->interactive));
	if (!d->exited)
		return;
	{
		json_object *e = exit_params(d->wait_status, d->exec_errno, d->oom);

		json_object_object_foreach(e, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(e);
	}
	json_object_object_add(o, "finished_usec", json_object_new_int64((int64_t)d->finished_usec));
}

/* ---- Wait, Stop, Remove: calls waiting for the end ---- */

static void waiter_free(struct waiter *w)
{
	struct sandbox *s = w->s;

	for (struct waiter **p = &s->waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	sd_event_source_disable_unref(w->timer);
	varlink_call_unref(w->call);
	free(w);
}

/* The client went away: nothing to answer; a Stop goes on (its SIGKILL when the time is up). */
static void on_waiter_gone(VarlinkCall *call, void *userdata)
{
	struct waiter *w = userdata;

	if (w->timer) {
		w->call = varlink_call_unref(w->call);
		return;
	}
	waiter_free(w);
}

static struct waiter *waiter_add(struct sandbox *s, VarlinkCall *call, enum waiter_kind kind)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->s = s;
	w->kind = kind;
	w->call = varlink_call_ref(call);
	w->next = s->waiters;
	s->waiters = w;
	varlink_call_set_disconnect_callback(call, on_waiter_gone, w);
	return w;
}

/* Answers them all: the end as exit_params() says (Wait), or an empty reply (Stop, Remove). */
static void waiters_answer(struct sandbox *s, int wait_status, int exec_errno, bool oom)
{
	while (s->waiters) {
		struct waiter *w = s->waiters;

		if (w->call && w->kind == WAITER_WAIT)
			(void)varlink_call_reply(w->call, exit_params(wait_status, exec_errno, oom));
		else if (w->call)
			(void)varlink_call_reply(w->call, NULL);
		waiter_free(w);
	}
}

/* A detached sandbox's end: the last of its output, the sandbox's resources go, it stays as
 * "exited". */
static void detached_end(struct sandbox *s, int wait_status, int exec_errno, bool oom)
{
	struct detached *d = s->detached;
	int r;

	/* Its processes are gone: what is in the pipes is all there will be. */
	if (d->out_src)
		output_read(s, d->out_fd, OUTPUT_DRAIN_MAX);
	if (d->err_src)
		output_read(s, d->err_fd, OUTPUT_DRAIN_MAX);
	if (d->survives)
		fdstore_remove_all(s);
	d->out_src = sd_event_source_disable_unref(d->out_src);
	d->err_src = sd_event_source_disable_unref(d->err_src);
	d->in_src = sd_event_source_disable_unref(d->in_src);
	d->pidfd_src = sd_event_source_disable_unref(d->pidfd_src);
	d->out_fd = safe_close(d->out_fd);
	d->err_fd = safe_close(d->err_fd);
	d->in_fd = safe_close(d->in_fd);

	d->exited = true;
	d->wait_status = wait_status;
	d->exec_errno = exec_errno;
	d->oom = oom;
	d->finished_usec = now_realtime_usec();
	container_free(s->c); /* destroyed by sandbox_exited() */
	s->c = NULL;
	r = record_save(s);
	if (r < 0)
		journal_sandbox(LOG_WARNING, journal_fields(s), "sandbox %" PRIu64 " (%s): cannot save its "
				"record (%s)", s->id, s->name, strerror(-r));
}

bool sandbox_exited(struct sandbox *s, int wait_status, int exec_errno, bool oom)
{
	struct detached *d = s->detached;
	bool remove;

	/* Everything of it goes before anyone is told it has ended (Remove's "nothing left"). */
	if (s->c) {
		int r = container_destroy(s->c);

		if (r < 0)
			log_warning_errno(r, "sandbox %" PRIu64 ": cleanup incomplete: %m", s->id);
	}
	if (!d) {
		waiters_answer(s, wait_status, exec_errno, oom);
		return false;
	}
	detached_end(s, wait_status, exec_errno, oom);
	remove = d->auto_remove || d->remove_at_exit;
	if (remove) {
		followers_end(s);
		detached_remove(s); /* answers the waiters once it is gone */
		return true;
	}
	waiters_answer(s, wait_status, exec_errno, oom);
	followers_wake(s); /* Logs -f and Attach end once they have read it all */
	return true;
}

void sandbox_calls_end(struct sandbox *s)
{
	while (s->waiters) {
		struct waiter *w = s->waiters;
		json_object *p = json_object_new_object();

		json_object_object_add(p, "id", json_object_new_int64((int64_t)s->id));
		if (w->call)
			(void)varlink_call_error(w->call, MANAGER_ERROR(SandboxNotFound), p);
		else
			json_object_put(p);
		waiter_free(w);
	}
	if (s->detached) {
		followers_end(s);
		/* It never started (its setup failed): its empty log goes. */
		if (!s->detached->started && s->detached->log) {
			(void)log_store_remove(s->detached->log);
			(void)rmdir(s->m->detached_dir);
		}
		s->detached = detached_free(s->detached);
	}
}

void detached_remove(struct sandbox *s)
{
	struct detached *d = s->detached;
	struct manager *m = s->m;
	struct waiter *answer = TAKE_PTR(s->waiters);
	int r;

	if (d->log) {
		r = log_store_remove(d->log);
		if (r < 0)
			log_warning_errno(r, "sandbox %" PRIu64 ": cannot remove its output: %m", s->id);
	}
	record_remove(s);
	(void)rmdir(m->detached_dir); /* the last one takes the directory with it */
	journal_sandbox(LOG_INFO, journal_fields(s), "sandbox %" PRIu64 " (%s) removed", s->id, s->name);
	sandbox_unlink_and_free(s);
	/* Now that nothing of it is left. */
	while (answer) {
		struct waiter *w = answer;

		answer = w->next;
		if (w->call)
			(void)varlink_call_reply(w->call, NULL);
		sd_event_source_disable_unref(w->timer);
		varlink_call_unref(w->call);
		free(w);
	}
}

int reply_sandbox_error(VarlinkCall *call, const char *error, const struct sandbox *s)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "id", json_object_new_int64((int64_t)s->id));
	if (s->container)
		json_object_object_add(p, "container", json_object_new_string(s->container));
	return varlink_call_error(call, error, p);
}

/* The sandbox a call names, one that Run started (an OCI container's life is its engine's):
 * NULL when the error was replied. */
static struct sandbox *run_sandbox_from_params(struct manager *m, VarlinkCall *call, struct varlink_int id,
					       const char *name)
{
	struct sandbox *s = sandbox_from_params(m, call, id, name);

	if (s && s->container) {
		reply_sandbox_error(call, MANAGER_ERROR(SandboxIsContainer), s);
		return NULL;
	}
	return s;
}

int method_wait(VarlinkCall *call, void *params, void *userdata)
{
	const struct sandbox_params *p = params;
	struct sandbox *s = run_sandbox_from_params(userdata, call, p->id, p->name);

	if (!s)
		return 0;
	if (!sandbox_running(s))
		return varlink_call_reply(call, exit_params(s->detached->wait_status, s->detached->exec_errno,
							    s->detached->oom));
	return waiter_add(s, call, WAITER_WAIT) ? 0 : -ENOMEM;
}

static int on_stop_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct waiter *w = userdata;
	struct sandbox *s = w->s;

	journal_sandbox(LOG_NOTICE, journal_fields(s), "sandbox %" PRIu64 " (%s) did not stop on SIGTERM: "
			"killing it", s->id, s->name);
	if (s->c)
		(void)container_kill(s->c, SIGKILL);
	return 0;
}

int method_stop(VarlinkCall *call, void *params, void *userdata)
{
	const struct stop_params *p = params;
	struct manager *m = userdata;
	struct sandbox *s = run_sandbox_from_params(m, call, p->id, p->name);
	int64_t timeout = p->timeout.set ? p->timeout.value : STOP_TIMEOUT_DEFAULT;
	struct waiter *w;
	int r;

	if (!s)
		return 0;
	if (timeout < 0 || timeout > INT32_MAX)
		return varlink_call_error_invalid_parameter(call, "timeout");
	/* docker's stop of a stopped container: nothing to do. */
	if (!sandbox_running(s))
		return varlink_call_reply(call, NULL);
	w = waiter_add(s, call, WAITER_STOP);
	if (!w)
		return -ENOMEM;
	journal_sandbox(LOG_INFO, journal_fields(s), "sandbox %" PRIu64 " (%s): stopping (SIGTERM, SIGKILL "
			"after %" PRId64 " s) for uid %u", s->id, s->name, timeout,
			(unsigned)varlink_call_peer(call)->uid);
	/* -t 0: SIGKILL right away, as docker's. The waiter is answered when the sandbox goes. */
	r = container_kill(s->c, timeout == 0 ? SIGKILL : SIGTERM);
	if (r < 0 && r != -ESRCH)
		log_warning_errno(r, "sandbox %" PRIu64 ": cannot send SIGTERM: %m", s->id);
	if (timeout == 0)
		return 0;
	r = sd_event_add_time_relative(m->event, &w->timer, CLOCK_MONOTONIC, (uint64_t)timeout * 1000000ULL,
				       0, on_stop_timeout, w);
	if (r < 0) {
		log_warning_errno(r, "sandbox %" PRIu64 ": no timer for its stop (%m): killing it now", s->id);
		(void)container_kill(s->c, SIGKILL);
	}
	return 0;
}

int method_remove(VarlinkCall *call, void *params, void *userdata)
{
	const struct remove_params *p = params;
	struct sandbox *s = run_sandbox_from_params(userdata, call, p->id, p->name);

	if (!s)
		return 0;
	if (sandbox_running(s)) {
		int r;

		if (!p->force)
			return reply_sandbox_error(call, MANAGER_ERROR(SandboxRunning), s);
		if (!waiter_add(s, call, WAITER_REMOVE))
			return -ENOMEM;
		if (s->detached)
			s->detached->remove_at_exit = true;
		journal_sandbox(LOG_INFO, journal_fields(s), "sandbox %" PRIu64 " (%s): removing it by force "
				"for uid %u", s->id, s->name, (unsigned)varlink_call_peer(call)->uid);
		r = container_kill(s->c, SIGKILL);
		return r < 0 && r != -ESRCH ? r : 0;
	}
	if (!waiter_add(s, call, WAITER_REMOVE))
		return -ENOMEM;
	detached_remove(s); /* only a detached one stays after its end */
	return 0;
}
