/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Moving a detached sandbox's output and input between rvisord's pipes and our stdio. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "stream.h"

#define CHUNK 65536
#define CTRL_P 0x10
#define CTRL_Q 0x11

int stream_pipes(int ret_ours[2], int send[2])
{
	int a[2], b[2];

	if (pipe2(a, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(b, O_CLOEXEC) < 0) {
		close(a[0]);
		close(a[1]);
		return -errno;
	}
	ret_ours[0] = a[0];
	ret_ours[1] = b[0];
	send[0] = a[1];
	send[1] = b[1];
	return 0;
}

int stream_stdin_pipe(int *ret_ours, int *ret_send)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	*ret_ours = p[1];
	*ret_send = p[0];
	return 0;
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, buf, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One read from an output pipe to our fd: 1 more may come, 0 at its end, -errno. */
static int copy_output(int *fd, int to)
{
	char buf[CHUNK];
	ssize_t n = read(*fd, buf, sizeof(buf));
	int r;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		*fd = safe_close(*fd);
		return n < 0 ? -errno : 0;
	}
	r = write_all(to, buf, (size_t)n);
	if (r < 0)
		return log_error_errno(r, "Cannot write the sandbox's output: %m");
	return 1;
}

/* What stdin gave, on its way into the sandbox: in[in_off..in_len). */
struct input {
	char buf[CHUNK];
	size_t len, off;
	bool ctrl_p; /* the last byte read was Ctrl-P, held back */
	bool eof;
};

/* Takes the bytes read into the buffer, the detach keys out: 1 when they were read. */
static int input_take(struct input *in, const char *data, size_t n, bool detach_keys)
{
	for (size_t i = 0; i < n; i++) {
		char b = data[i];

		if (detach_keys && in->ctrl_p) {
			in->ctrl_p = false;
			if (b == CTRL_Q)
				return 1;
			in->buf[in->len++] = CTRL_P;
		}
		if (detach_keys && b == CTRL_P)
			in->ctrl_p = true;
		else
			in->buf[in->len++] = b;
	}
	return 0;
}

static int read_input(struct stream *s, struct input *in)
{
	char data[CHUNK / 2];
	ssize_t n = read(STDIN_FILENO, data, sizeof(data));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		/* Our stdin ended: so does what goes to the sandbox (which keeps its own open). */
		in->eof = true;
		return 0;
	}
	in->len = in->off = 0;
	return input_take(in, data, (size_t)n, s->detach_keys);
}

static void write_input(struct stream *s, struct input *in)
{
	while (in->off < in->len) {
		ssize_t n = write(s->in, in->buf + in->off, in->len - in->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN) { /* rvisord no longer takes it */
				s->in = safe_close(s->in);
				in->len = in->off = 0;
			}
			return;
		}
		in->off += (size_t)n;
	}
	in->len = in->off = 0;
	if (in->eof)
		s->in = safe_close(s->in);
}

/* One of the call's replies: 1 when it was the last. */
static int read_reply(struct stream *s, json_object **ret_last, char **ret_error)
{
	json_object *reply = NULL;
	char *error = NULL;
	bool continues = false;
	int64_t dropped;
	int r;

	r = varlink_client_read(s->c, &reply, &error, &continues);
	if (r < 0)
		return daemon_log_io_error(r);
	if (continues && !error) {
		if (json_get_int(reply, "dropped", &dropped) == 0 && dropped > 0)
			log_warning("%" PRId64 " bytes of the sandbox's output were dropped before they were read: "
				    "rvisord keeps log_size bytes (rvisord.conf)", dropped);
		json_object_put(reply);
		return 0;
	}
	*ret_last = reply;
	*ret_error = error;
	return 1;
}

int stream_run(struct stream *s, json_object **ret_last, char **ret_error)
{
	struct input in = {};
	bool last = false;
	int r;

	*ret_last = NULL;
	*ret_error = NULL;
	while (!last || s->out >= 0 || s->err >= 0) {
		struct pollfd p[6];
		nfds_t n = 0;
		int i_c = -1, i_out = -1, i_err = -1, i_stdin = -1, i_in = -1, i_sig = -1;

		if (!last)
			i_c = (int)n, p[n++] = (struct pollfd){ .fd = varlink_client_fd(s->c), .events = POLLIN };
		if (s->out >= 0)
			i_out = (int)n, p[n++] = (struct pollfd){ .fd = s->out, .events = POLLIN };
		if (s->err >= 0)
			i_err = (int)n, p[n++] = (struct pollfd){ .fd = s->err, .events = POLLIN };
		if (s->in >= 0 && in.off >= in.len && !in.eof)
			i_stdin = (int)n, p[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		if (s->in >= 0 && in.off < in.len)
			i_in = (int)n, p[n++] = (struct pollfd){ .fd = s->in, .events = POLLOUT };
		if (s->sfd >= 0)
			i_sig = (int)n, p[n++] = (struct pollfd){ .fd = s->sfd, .events = POLLIN };
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(-errno, "Cannot wait for rvisord: %m");
		}
		/* The output before the reply: the last reply comes after it all was written. */
		if (i_out >= 0 && p[i_out].revents && (r = copy_output(&s->out, STDOUT_FILENO)) < 0)
			return r;
		if (i_err >= 0 && p[i_err].revents && (r = copy_output(&s->err, STDERR_FILENO)) < 0)
			return r;
		if (i_c >= 0 && p[i_c].revents) {
			r = read_reply(s, ret_last, ret_error);
			if (r < 0)
				return r;
			last = r > 0;
			/* An error: no output follows. */
			if (last && *ret_error)
				return STREAM_DONE;
		}
		if (i_stdin >= 0 && p[i_stdin].revents && read_input(s, &in) > 0)
			return STREAM_DETACHED;
		if ((i_stdin >= 0 && p[i_stdin].revents) || (i_in >= 0 && p[i_in].revents))
			write_input(s, &in);
		if (i_sig >= 0 && p[i_sig].revents) {
			struct signalfd_siginfo si;

			while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				if (s->on_signal)
					s->on_signal(s, (int)si.ssi_signo);
		}
	}
	return STREAM_DONE;
}
