/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logs and Attach: a detached sandbox's output, from its log store into pipes the caller
 * passed (one for stdout, one for stderr), and for Attach the caller's stdin into the
 * sandbox's. rvisord never blocks on a caller: every pipe is non-blocking, and a caller that
 * reads slowly is served as fast as it reads (what it has not read waits in the log store,
 * whose bound also bounds how far it may fall behind: what rotated away is skipped and
 * said). Each caller holds one record in memory at most.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manager-errors.h"
#include "detached-internal.h"
#include "log.h"

/* What one Attach caller's stdin may hold in rvisord until the sandbox's stdin takes it. */
#define INPUT_CHUNK (64U * 1024)

struct follower {
	struct follower *next;
	struct sandbox *s;
	VarlinkCall *call;
	bool follow;                  /* on until the sandbox has exited and all is read */
	bool attach;                  /* Attach: its last reply is the sandbox's end */
	struct log_cursor cursor;
	int sink[3];                  /* indexed by enum log_stream: the caller's pipes */
	sd_event_source *sink_src[3]; /* enabled while a sink is full */
	char *out;                    /* the record being written: out[out_off..out_len) */
	size_t out_len, out_off;
	enum log_stream out_stream;
	int input_fd;                 /* Attach: the caller's stdin (a pipe), or -1 */
	sd_event_source *input_src;
	char *in;                     /* what it sent that the sandbox's stdin has not taken */
	size_t in_len, in_off;
};

static void follower_free(struct follower *f)
{
	struct detached *d = f->s->detached;

	for (struct follower **p = &d->followers; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	log_cursor_close(&f->cursor);
	for (int i = 1; i <= 2; i++) {
		sd_event_source_disable_unref(f->sink_src[i]);
		safe_close(f->sink[i]);
	}
	sd_event_source_disable_unref(f->input_src);
	safe_close(f->input_fd);
	varlink_call_unref(f->call);
	free(f->out);
	free(f->in);
	free(f);
}

/* The call's last reply, then the caller's pipes close: it reads to their end. */
static void follower_finish(struct follower *f)
{
	const struct detached *d = f->s->detached;

	if (!f->attach)
		(void)varlink_call_reply(f->call, NULL);
	else if (d->exited)
		(void)varlink_call_reply(f->call, exit_params(d->wait_status, d->exec_errno, d->oom));
	else {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "id", json_object_new_int64((int64_t)f->s->id));
		(void)varlink_call_error(f->call, MANAGER_ERROR(SandboxNotFound), p);
	}
	follower_free(f);
}

/* Records that rotated away before this caller read them: said, with "more". */
static void follower_tell_dropped(struct follower *f)
{
	json_object *p;

	if (!f->cursor.dropped)
		return;
	if (varlink_call_wants_more(f->call)) {
		p = json_object_new_object();
		json_object_object_add(p, "dropped", json_object_new_int64((int64_t)f->cursor.dropped));
		(void)varlink_call_notify(f->call, p);
	}
	f->cursor.dropped = 0;
}

/* Writes what the log has for the caller until it has read it all (then, unless it follows,
 * the call ends) or a pipe is full (then the pipe's source resumes it). */
static void follower_pump(struct follower *f)
{
	static char buf[LOG_RECORD_MAX];

	for (;;) {
		struct log_header h;
		int r;

		if (f->out_off < f->out_len) {
			int fd = f->sink[f->out_stream];
			ssize_t n = write(fd, f->out + f->out_off, f->out_len - f->out_off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN) {
				(void)sd_event_source_set_enabled(f->sink_src[f->out_stream], SD_EVENT_ONESHOT);
				return;
			}
			if (n < 0) { /* the caller closed its pipe: it is leaving */
				follower_finish(f);
				return;
			}
			f->out_off += (size_t)n;
			continue;
		}
		r = log_cursor_next(&f->cursor, &h, buf);
		follower_tell_dropped(f);
		if (r < 0) {
			log_warning_errno(r, "sandbox %" PRIu64 ": cannot read its output: %m", f->s->id);
			follower_finish(f);
			return;
		}
		if (r == 0) {
			if (!f->follow || f->s->detached->exited)
				follower_finish(f);
			return;
		}
		memcpy(f->out, buf, h.size);
		f->out_len = h.size;
		f->out_off = 0;
		f->out_stream = h.stream;
	}
}

void followers_wake(struct sandbox *s)
{
	struct follower *f = s->detached->followers, *next;

	/* Those waiting on a full pipe go on when it drains. The list may lose f meanwhile. */
	for (; f; f = next) {
		next = f->next;
		if (f->out_off >= f->out_len)
			follower_pump(f);
	}
}

void followers_end(struct sandbox *s)
{
	while (s->detached->followers)
		follower_finish(s->detached->followers);
}

static int on_sink_writable(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	follower_pump(userdata);
	return 0;
}

static void on_follower_gone(VarlinkCall *call, void *userdata)
{
	follower_free(userdata);
}

/* ---- Attach's stdin ---- */

static void input_close(struct follower *f)
{
	f->input_src = sd_event_source_disable_unref(f->input_src);
	f->input_fd = safe_close(f->input_fd);
	f->in_len = f->in_off = 0;
}

/* Into the sandbox's stdin, as much as it takes now; the rest when it takes more. */
static void input_push(struct follower *f)
{
	struct detached *d = f->s->detached;

	while (f->in_off < f->in_len) {
		ssize_t n = d->in_fd >= 0 ? write(d->in_fd, f->in + f->in_off, f->in_len - f->in_off) : -1;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			(void)sd_event_source_set_enabled(f->input_src, SD_EVENT_OFF);
			(void)sd_event_source_set_enabled(d->in_src, SD_EVENT_ONESHOT);
			return;
		}
		if (n < 0) { /* the sandbox closed its stdin, or has ended */
			input_close(f);
			return;
		}
		f->in_off += (size_t)n;
	}
	f->in_len = f->in_off = 0;
	(void)sd_event_source_set_enabled(f->input_src, SD_EVENT_ON);
}

static int on_input(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct follower *f = userdata;
	ssize_t n;

	if (f->in_off < f->in_len)
		return 0;
	n = read(fd, f->in, INPUT_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* The caller's stdin ended: the sandbox's stays open for the next one, as
		 * docker's for a container started with -d -i. */
		input_close(f);
		return 0;
	}
	f->in_len = (size_t)n;
	f->in_off = 0;
	input_push(f);
	return 0;
}

int on_stdin_writable(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct sandbox *s = userdata;
	struct follower *f, *next;

	for (f = s->detached->followers; f; f = next) {
		next = f->next;
		if (f->in_off < f->in_len)
			input_push(f);
	}
	return 0;
}

/* ---- Logs and Attach ---- */

/* Only pipes: writing never blocks on them (a regular file on a hung file system would),
 * and they carry no credentials (a socket could make rvisord's words pass for root's). */
static const char *pipe_refusal(int fd, bool writable)
{
	struct statx stx;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_PATH))
		return "not an open file descriptor";
	/* The cached type: never ask a file system's server, which may not answer. */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0 || !S_ISFIFO(stx.stx_mode))
		return "not a pipe";
	if (writable ? (fl & O_ACCMODE) == O_RDONLY : (fl & O_ACCMODE) == O_WRONLY)
		return writable ? "not open for writing" : "not open for reading";
	return NULL;
}

/* The call's fd index, a pipe: 1 and *ret (O_NONBLOCK now; -1 when optional and not sent),
 * else the reply's result. */
static int take_pipe(VarlinkCall *call, unsigned index, bool writable, bool optional, int *ret)
{
	_cleanup_close_ int fd = varlink_call_take_fd(call, index);
	const char *why;
	int fl;

	if (fd < 0) {
		*ret = -1;
		return optional ? 1 : reply_bad_fd(call, index, writable ? "no pipe for the output was sent" :
									     "no pipe for stdin was sent");
	}
	why = pipe_refusal(fd, writable);
	if (why)
		return reply_bad_fd(call, index, why);
	fl = fcntl(fd, F_GETFL);
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	*ret = TAKE_FD(fd);
	return 1;
}

/* A new caller for s, its pipes taken from the call (fd 0: stdout, 1: stderr, and for Attach
 * 2: stdin, optional): 1, or the reply's result. */
static int follower_new(struct sandbox *s, VarlinkCall *call, bool follow, bool attach)
{
	struct detached *d = s->detached;
	sd_event *e = s->m->event;
	struct follower *f;
	int r;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->s = s;
	f->follow = follow;
	f->attach = attach;
	f->sink[0] = f->sink[1] = f->sink[2] = f->input_fd = -1;
	f->next = d->followers;
	d->followers = f;
	log_cursor_open(d->log, &f->cursor, attach); /* Attach: from now on */
	f->out = malloc(LOG_RECORD_MAX);
	if (!f->out) {
		r = -ENOMEM;
		goto fail;
	}
	for (int i = 1; i <= 2; i++) {
		r = take_pipe(call, (unsigned)i - 1, true, false, &f->sink[i]);
		if (r <= 0)
			goto fail;
		r = sd_event_add_io(e, &f->sink_src[i], f->sink[i], EPOLLOUT, on_sink_writable, f);
		if (r >= 0)
			r = sd_event_source_set_enabled(f->sink_src[i], SD_EVENT_OFF);
		if (r < 0)
			goto fail;
	}
	if (attach) {
		r = take_pipe(call, 2, false, true, &f->input_fd);
		if (r <= 0)
			goto fail;
		/* Not interactive: there is no stdin to pass anything to, as with docker. */
		if (!d->interactive)
			f->input_fd = safe_close(f->input_fd);
	}
	if (f->input_fd >= 0) {
		f->in = malloc(INPUT_CHUNK);
		if (!f->in) {
			r = -ENOMEM;
			goto fail;
		}
		r = sd_event_add_io(e, &f->input_src, f->input_fd, EPOLLIN, on_input, f);
		if (r < 0)
			goto fail;
	}
	f->call = varlink_call_ref(call);
	varlink_call_set_disconnect_callback(call, on_follower_gone, f);
	follower_pump(f);
	return 1;
fail:
	follower_free(f);
	return r;
}

/* The detached sandbox a call names: NULL when the error was replied. */
static struct sandbox *detached_from_params(struct manager *m, VarlinkCall *call, struct varlink_int id,
					    const char *name)
{
	struct sandbox *s = sandbox_from_params(m, call, id, name);

	if (!s)
		return NULL;
	if (s->container) {
		reply_sandbox_error(call, MANAGER_ERROR(SandboxIsContainer), s);
		return NULL;
	}
	if (!s->detached) {
		reply_sandbox_error(call, MANAGER_ERROR(SandboxNotDetached), s);
		return NULL;
	}
	return s;
}

int method_logs(VarlinkCall *call, void *params, void *userdata)
{
	const struct logs_params *p = params;
	struct sandbox *s = detached_from_params(userdata, call, p->id, p->name);
	int r;

	if (!s)
		return 0;
	if (p->follow && !varlink_call_wants_more(call))
		return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
	r = follower_new(s, call, p->follow, false);
	return r < 0 ? r : 0;
}

int method_attach(VarlinkCall *call, void *params, void *userdata)
{
	const struct sandbox_params *p = params;
	struct sandbox *s = detached_from_params(userdata, call, p->id, p->name);
	int r;

	if (!s)
		return 0;
	if (!varlink_call_wants_more(call))
		return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
	if (!sandbox_running(s))
		return reply_sandbox_error(call, MANAGER_ERROR(SandboxNotRunning), s);
	r = follower_new(s, call, true, true);
	return r < 0 ? r : 0;
}
