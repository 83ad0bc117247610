/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The blocking varlink client rvisorctl talks to rvisord with. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "varlink-internal.h"
#include "varlink.h"

#define PEEK_CHUNK (64U * 1024)

struct VarlinkClient {
	int fd;
	char *buf; /* the reply being read; never more than one */
	size_t alloc;
};

int varlink_client_new_from_fd(VarlinkClient **ret, int fd)
{
	VarlinkClient *c;

	if (!ret || fd < 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = fd;
	*ret = c;
	return 0;
}

int varlink_client_connect(VarlinkClient **ret, const char *address)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	int r;

	if (!ret || !address)
		return -EINVAL;
	if (strncmp(address, "unix:", 5) == 0)
		address += 5;
	if (!*address)
		return -EINVAL;
	if (strlen(address) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, address);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	r = varlink_client_new_from_fd(ret, fd);
	if (r < 0)
		return r;
	TAKE_FD(fd);
	return 0;
}

VarlinkClient *varlink_client_free(VarlinkClient *c)
{
	if (!c)
		return NULL;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
	return NULL;
}

int varlink_client_fd(const VarlinkClient *c)
{
	return c ? c->fd : -EINVAL;
}

/* The fd may be non-blocking (a caller's socketpair end): wait rather than fail. */
static int wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, -1) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

int varlink_client_call(VarlinkClient *c, const char *method, json_object *params, const int *fds,
			size_t n_fds, unsigned flags)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * VARLINK_FDS_MAX)];
	} control;
	json_object *m = NULL;
	const char *text;
	size_t len, sent = 0;
	int r;

	if (!c || !method || !*method || n_fds > VARLINK_FDS_MAX || (n_fds > 0 && !fds) ||
	    (flags & ~(unsigned)(VARLINK_CALL_MORE | VARLINK_CALL_ONEWAY)) ||
	    ((flags & VARLINK_CALL_MORE) && (flags & VARLINK_CALL_ONEWAY)))
		return -EINVAL;

	m = json_object_new_object();
	if (!m)
		return -ENOMEM;
	r = varlink_object_add(m, "method", json_object_new_string(method));
	if (r >= 0)
		r = varlink_object_add(m, "parameters", params ? json_object_get(params) : json_object_new_object());
	if (r >= 0 && (flags & VARLINK_CALL_MORE))
		r = varlink_object_add(m, "more", json_object_new_boolean(1));
	if (r >= 0 && (flags & VARLINK_CALL_ONEWAY))
		r = varlink_object_add(m, "oneway", json_object_new_boolean(1));
	if (r >= 0)
		r = varlink_message_format(m, &text, &len);
	if (r < 0)
		goto finish;

	/* json-c's text ends in a NUL: exactly varlink's terminator. */
	len++;
	while (sent < len) {
		struct iovec iov = { .iov_base = (char *)(uintptr_t)(text + sent), .iov_len = len - sent };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		/* The fds travel with the first bytes, so the server ties them to this call. */
		if (sent == 0 && n_fds > 0) {
			struct cmsghdr *cm;

			memset(&control, 0, sizeof(control));
			mh.msg_control = &control;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
		}
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				r = wait_fd(c->fd, POLLOUT);
				if (r < 0)
					goto finish;
				continue;
			}
			r = -errno;
			goto finish;
		}
		sent += (size_t)n;
	}
	r = 0;
finish:
	json_object_put(m);
	return r;
}

/* recv() that waits on a non-blocking fd and retries on EINTR. */
static ssize_t recv_wait(int fd, void *buf, size_t len, int flags)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, flags);
		int r;

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, POLLIN);
		if (r < 0)
			return r;
	}
}

/* Reads exactly one message off the socket (peeking for its NUL, so nothing after it is
 * consumed). Returns its length without the NUL. */
static int read_message(VarlinkClient *c, size_t *ret_len)
{
	size_t len = 0;

	for (;;) {
		size_t take;
		ssize_t n;
		char *nul;

		if (len + PEEK_CHUNK > c->alloc) {
			size_t sz = c->alloc * 2 > len + PEEK_CHUNK ? c->alloc * 2 : len + PEEK_CHUNK;
			char *p = realloc(c->buf, sz);

			if (!p)
				return -ENOMEM;
			c->buf = p;
			c->alloc = sz;
		}
		n = recv_wait(c->fd, c->buf + len, PEEK_CHUNK, MSG_PEEK);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ECONNRESET; /* a partial message counts the same: the server is gone */
		nul = memchr(c->buf + len, 0, (size_t)n);
		take = nul ? (size_t)(nul - (c->buf + len)) + 1 : (size_t)n;
		for (size_t got = 0; got < take;) {
			n = recv_wait(c->fd, c->buf + len + got, take - got, 0);
			if (n < 0)
				return (int)n;
			if (n == 0)
				return -ECONNRESET;
			got += (size_t)n;
		}
		len += take;
		if (nul) {
			*ret_len = len - 1;
			return len - 1 > VARLINK_MESSAGE_MAX ? -EMSGSIZE : 0;
		}
		if (len > VARLINK_MESSAGE_MAX)
			return -EMSGSIZE;
	}
}

int varlink_client_read(VarlinkClient *c, json_object **ret_params, char **ret_error, bool *ret_continues)
{
	json_object *m = NULL, *params = NULL, *error = NULL, *continues = NULL;
	_cleanup_free_ char *e = NULL;
	size_t len = 0;
	int r;

	if (!c)
		return -EINVAL;
	r = read_message(c, &len);
	if (r < 0)
		return r;
	/* Large replies are rare: do not keep their buffer. */
	r = varlink_message_parse(c->buf, len, &m);
	if (c->alloc > 4 * PEEK_CHUNK) {
		free(c->buf);
		c->buf = NULL;
		c->alloc = 0;
	}
	if (r < 0)
		return r;

	/* Unknown fields are ignored: newer servers may add some. */
	if ((json_object_object_get_ex(m, "parameters", &params) &&
	     !json_object_is_type(params, json_type_object)) ||
	    (json_object_object_get_ex(m, "error", &error) && !varlink_string_ok(error)) ||
	    (json_object_object_get_ex(m, "continues", &continues) &&
	     !json_object_is_type(continues, json_type_boolean)) ||
	    (error && continues && json_object_get_boolean(continues))) {
		r = -EBADMSG;
		goto finish;
	}
	if (error && !ret_error) {
		r = -EREMOTEIO;
		goto finish;
	}
	if (error && ret_error) {
		e = strdup(json_object_get_string(error));
		if (!e) {
			r = -ENOMEM;
			goto finish;
		}
	}
	if (ret_params) {
		params = params ? json_object_get(params) : json_object_new_object();
		if (!params) {
			r = -ENOMEM;
			goto finish;
		}
		*ret_params = params;
	}
	if (ret_error)
		*ret_error = TAKE_PTR(e);
	if (ret_continues)
		*ret_continues = continues && json_object_get_boolean(continues);
	r = 0;
finish:
	json_object_put(m);
	return r;
}
