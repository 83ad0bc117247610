/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The varlink server: listening sockets and connections on sd-event, calls and their replies,
 * parameter checks and the built-in org.varlink.service interface. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json_object_iterator.h>

#include "json-util.h"
#include "macro.h"
#include "strv.h"
#include "varlink-internal.h"
#include "varlink.h"

#define SERVICE_INTERFACE "org.varlink.service"
#define READ_CHUNK (64U * 1024)
/* What one recvmsg() may carry: the kernel's SCM_MAX_FD. Room for all of them, so that the
 * excess is closed here rather than left in the socket. */
#define RECV_FDS_MAX 253
/* Fds received and not yet handed to a call, per connection: four calls' worth (one carries at
 * most VARLINK_FDS_MAX). A client with more in flight is abusing the connection and loses it. */
#define FDS_QUEUE_MAX (4U * VARLINK_FDS_MAX)
/* Empty buffers above this size are given back rather than kept for the next message. */
#define BUFFER_KEEP (256U * 1024)
/* After accept() ran out of fds, wait this long (or for a connection to close) to retry. */
#define ACCEPT_RETRY_USEC (1000U * 1000U)

static const char service_description[] =
	"interface org.varlink.service\n"
	"\n"
	"# Get a list of all the interfaces a service provides and information\n"
	"# about the implementation.\n"
	"method GetInfo() -> (\n"
	"  vendor: string,\n"
	"  product: string,\n"
	"  version: string,\n"
	"  url: string,\n"
	"  interfaces: []string\n"
	")\n"
	"\n"
	"# Get the description of an interface that is implemented by this service.\n"
	"method GetInterfaceDescription(interface: string) -> (description: string)\n"
	"\n"
	"# The requested interface was not found.\n"
	"error InterfaceNotFound (interface: string)\n"
	"\n"
	"# The requested method was not found\n"
	"error MethodNotFound (method: string)\n"
	"\n"
	"# The interface defines the requested method, but the service does not\n"
	"# implement it.\n"
	"error MethodNotImplemented (method: string)\n"
	"\n"
	"# One of the passed parameters is invalid.\n"
	"error InvalidParameter (parameter: string)\n"
	"\n"
	"# Client is denied access\n"
	"error PermissionDenied ()\n"
	"\n"
	"# Method is expected to be called with 'more' set to true, but wasn't\n"
	"error ExpectedMore ()\n";

typedef struct Connection Connection;

struct queued_fd {
	uint64_t tag; /* stream offset of the last byte received with it */
	int fd;       /* -1: fds were lost (MSG_CTRUNC, or more than a call may carry) */
};
#define FDS_QUEUE_BYTES (FDS_QUEUE_MAX * sizeof(struct queued_fd))

/* Why the refused callback is called. */
#define REFUSED_CONNECTIONS "too many connections"
#define REFUSED_BYTES "too much buffered data"
#define REFUSED_FDS "too many file descriptors"

/* What one peer uid holds over all its connections, for varlink_server_set_limits(). Kept for
 * every uid (root too, unlimited) from its first connection until its last one closes. */
struct uid_usage {
	struct uid_usage *next;
	uid_t uid;
	unsigned connections;
	unsigned fds;  /* received, not yet handed to a call */
	size_t bytes;  /* in_alloc + out_alloc + the fd queue's array */
};

struct Connection {
	unsigned n_ref;
	VarlinkServer *server; /* NULL once closed */
	Connection *prev, *next;
	int fd;
	sd_event_source *io, *defer;
	struct ucred peer;
	bool peer_ok;
	struct uid_usage *usage; /* NULL once closed */
	const char *drop_reason; /* a limit it was dropped for, for the refused callback */

	/* Input: bytes [in_start, in_len) are unconsumed; the first in_scanned of them hold no
	 * NUL; in_offset is in[0]'s offset in the stream, which fd tags refer to. */
	char *in;
	size_t in_start, in_len, in_alloc, in_scanned;
	uint64_t in_offset;
	struct queued_fd *fds;
	size_t n_fds;

	/* Output: bytes [out_start, out_len) are still to be sent. */
	char *out;
	size_t out_start, out_len, out_alloc;

	VarlinkCall *current; /* unanswered call; later messages wait until it has its reply */
	bool read_eof;        /* the client sends no more; close once everything is answered */
	bool close_pending;   /* to be dropped from the event loop, never from inside an API call */
};

struct listener {
	int fd;
	sd_event_source *src;
};

struct VarlinkServer {
	sd_event *event;
	const struct varlink_interface *iface;
	void *userdata;

	struct listener *listeners;
	size_t n_listeners;
	sd_event_source *accept_retry; /* set while accepting is paused */

	Connection *connections;
	unsigned n_connections;

	varlink_peer_check_fn peer_check;
	void *peer_check_userdata;
	char *peer_error;
	varlink_idle_fn idle;
	void *idle_userdata;

	struct varlink_server_limits limits; /* message_max is never 0 here */
	struct uid_usage *usage;
	unsigned n_refused;
	varlink_refused_fn refused;
	void *refused_userdata;
	varlink_failed_fn failed;
	void *failed_userdata;
};

enum call_state {
	CALL_PENDING,
	CALL_DONE,         /* final reply or error sent */
	CALL_DISCONNECTED, /* the connection closed first */
};

struct VarlinkCall {
	unsigned n_ref;
	Connection *conn;
	char *method;
	json_object *parameters;
	bool more, oneway;
	enum call_state state;
	int fds[VARLINK_FDS_MAX];
	unsigned n_fds;
	varlink_disconnect_fn disconnect;
	void *disconnect_userdata;
};

static Connection *conn_ref(Connection *c)
{
	c->n_ref++;
	return c;
}

static void conn_unref(Connection *c)
{
	if (!c || --c->n_ref > 0)
		return;
	/* conn_close() released everything else. */
	free(c);
}

static void conn_unrefp(Connection **c)
{
	conn_unref(*c);
}

static struct uid_usage *usage_find(const VarlinkServer *s, uid_t uid)
{
	for (struct uid_usage *u = s->usage; u; u = u->next)
		if (u->uid == uid)
			return u;
	return NULL;
}

/* A connection of u's uid closed; u goes with its last one. */
static void usage_release(VarlinkServer *s, struct uid_usage *u)
{
	if (--u->connections > 0)
		return;
	for (struct uid_usage **p = &s->usage; *p; p = &(*p)->next)
		if (*p == u) {
			*p = u->next;
			break;
		}
	free(u);
}

/* Whether the per-uid limits apply to c's peer: root is trusted. */
static bool conn_limited(const Connection *c)
{
	return c->peer.uid != 0;
}

/* Whether one of c's buffers may grow from old_size to new_size bytes without taking its uid
 * over bytes_per_uid. Only for an open connection. */
static bool conn_may_grow(const Connection *c, size_t old_size, size_t new_size)
{
	size_t limit = c->server->limits.bytes_per_uid;

	return !limit || !conn_limited(c) || new_size <= old_size ||
	       c->usage->bytes - old_size + new_size <= limit;
}

/* One of c's buffers went from old_size to new_size bytes. */
static void conn_account(Connection *c, size_t old_size, size_t new_size)
{
	c->usage->bytes = c->usage->bytes - old_size + new_size;
}

static void conn_input_release(Connection *c)
{
	conn_account(c, c->in_alloc, 0);
	free(c->in);
	c->in = NULL;
	c->in_start = c->in_len = c->in_alloc = c->in_scanned = 0;
}

static void conn_output_release(Connection *c)
{
	conn_account(c, c->out_alloc, 0);
	free(c->out);
	c->out = NULL;
	c->out_start = c->out_len = c->out_alloc = 0;
}

static void fds_queue_drop(Connection *c)
{
	for (size_t i = 0; i < c->n_fds; i++)
		if (c->fds[i].fd >= 0) {
			close(c->fds[i].fd);
			c->usage->fds--;
		}
	c->n_fds = 0;
}

static void conn_schedule(Connection *c)
{
	if (c->defer)
		(void)sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT);
}

/* The poll mask follows the state: read only when nothing waits for an answer, write only
 * what is pending. With neither, epoll still reports a hangup. */
static void conn_update_events(Connection *c)
{
	uint32_t events = 0;

	if (!c->server)
		return;
	if (!c->current && !c->read_eof && !c->close_pending)
		events |= EPOLLIN;
	if (c->out_len > c->out_start)
		events |= EPOLLOUT;
	(void)sd_event_source_set_io_events(c->io, events);
}

static void accept_resume(VarlinkServer *s)
{
	if (!s->accept_retry)
		return;
	s->accept_retry = sd_event_source_disable_unref(s->accept_retry);
	for (size_t i = 0; i < s->n_listeners; i++)
		(void)sd_event_source_set_enabled(s->listeners[i].src, SD_EVENT_ON);
}

/* Ends a connection: fires the unanswered call's disconnect callback and, when it was the last
 * one, the idle callback. Only from event callbacks and varlink_server_free(). */
static void conn_close(Connection *c)
{
	VarlinkServer *s = c->server;
	VarlinkCall *call = c->current;

	if (!s)
		return;
	c->server = NULL;
	c->current = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->connections = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	s->n_connections--;

	c->io = sd_event_source_disable_unref(c->io);
	c->defer = sd_event_source_disable_unref(c->defer);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	fds_queue_drop(c);
	if (c->fds)
		conn_account(c, FDS_QUEUE_BYTES, 0);
	free(c->fds);
	c->fds = NULL;
	conn_input_release(c);
	conn_output_release(c);
	usage_release(s, c->usage);
	c->usage = NULL;
	accept_resume(s);

	/* Callbacks last: they may drop the call's last reference or end the loop. */
	if (c->drop_reason && s->refused)
		s->refused(s, c->peer.uid, c->drop_reason, s->refused_userdata);
	if (call && call->state == CALL_PENDING) {
		call->state = CALL_DISCONNECTED;
		if (call->disconnect) {
			varlink_call_ref(call);
			call->disconnect(call, call->disconnect_userdata);
			varlink_call_unref(call);
		}
	}
	if (s->n_connections == 0 && s->idle)
		s->idle(s, s->idle_userdata);
	conn_unref(c); /* the server's */
}

static int conn_flush(Connection *c)
{
	while (c->out_len > c->out_start) {
		ssize_t n = send(c->fd, c->out + c->out_start, c->out_len - c->out_start,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		c->out_start += (size_t)n;
	}
	c->out_start = c->out_len = 0;
	if (c->out_alloc > BUFFER_KEEP)
		conn_output_release(c);
	return 0;
}

/* Drops c for a limit, from the loop (never from inside an API call); the refused callback
 * will say which. */
static void conn_drop(Connection *c, const char *reason)
{
	if (!c->drop_reason)
		c->drop_reason = reason;
	c->close_pending = true;
	conn_schedule(c);
}

/* Queues one message and tries to send it at once. A client that lets more than
 * VARLINK_BUFFER_MAX pile up, or whose uid's buffers would grow past bytes_per_uid, is dropped
 * (-ENOBUFS). */
static int conn_send(Connection *c, json_object *msg)
{
	const char *text;
	size_t len, need;
	int r;

	r = varlink_message_format(msg, &text, &len);
	if (r < 0)
		return r;
	if (len > c->server->limits.message_max)
		return -EMSGSIZE;
	if (c->out_len - c->out_start + len + 1 > VARLINK_BUFFER_MAX) {
		conn_drop(c, REFUSED_BYTES);
		return -ENOBUFS;
	}
	need = c->out_len + len + 1;
	/* Compact only instead of growing: moving megabytes per reply would be quadratic. */
	if (need > c->out_alloc && c->out_start > 0) {
		memmove(c->out, c->out + c->out_start, c->out_len - c->out_start);
		c->out_len -= c->out_start;
		c->out_start = 0;
		need = c->out_len + len + 1;
	}
	if (need > c->out_alloc) {
		size_t n = c->out_alloc * 2 > need ? c->out_alloc * 2 : need;
		char *p;

		/* Near the uid's limit, grow only as far as needed. */
		if (!conn_may_grow(c, c->out_alloc, n))
			n = need;
		if (!conn_may_grow(c, c->out_alloc, n)) {
			conn_drop(c, REFUSED_BYTES);
			return -ENOBUFS;
		}
		p = realloc(c->out, n);
		if (!p)
			return -ENOMEM;
		conn_account(c, c->out_alloc, n);
		c->out = p;
		c->out_alloc = n;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out[c->out_len + len] = '\0';
	c->out_len += len + 1;

	if (conn_flush(c) < 0) {
		/* The client is gone; the loop notices and closes (firing the callbacks). */
		c->close_pending = true;
		conn_schedule(c);
		return 0;
	}
	conn_update_events(c);
	return 0;
}

static int build_message(json_object **ret, const char *error, json_object *params, bool continues)
{
	_cleanup_json_ json_object *p = params, *m = NULL;

	m = json_object_new_object();
	if (!m)
		return -ENOMEM;
	if (!p) {
		p = json_object_new_object();
		if (!p)
			return -ENOMEM;
	}
	if (varlink_object_add(m, "parameters", TAKE_PTR(p)) < 0)
		return -ENOMEM;
	if (error && varlink_object_add(m, "error", json_object_new_string(error)) < 0)
		return -ENOMEM;
	if (continues && varlink_object_add(m, "continues", json_object_new_boolean(1)) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(m);
	return 0;
}

/* A message that is no call: say why where the socket lets us, then drop the connection. */
static void conn_protocol_error(Connection *c, const char *reason)
{
	_cleanup_json_ json_object *p = NULL, *m = NULL;

	c->close_pending = true;
	p = json_object_new_object();
	if (!p || varlink_object_add(p, "reason", json_object_new_string(reason)) < 0)
		return;
	if (build_message(&m, VARLINK_ERROR_PROTOCOL, TAKE_PTR(p), false) < 0)
		return;
	(void)conn_send(c, m);
}

static void call_finish(VarlinkCall *call)
{
	Connection *c = call->conn;

	call->state = CALL_DONE;
	if (c->current == call) {
		c->current = NULL;
		/* Later messages are served from the loop, not from inside the handler's reply. */
		conn_schedule(c);
	}
}

static int call_send(VarlinkCall *call, const char *error, json_object *params, bool continues)
{
	_cleanup_json_ json_object *p = params, *m = NULL;
	int r;

	if (call->state == CALL_DISCONNECTED)
		return -ENOTCONN;
	if (call->state == CALL_DONE)
		return -EALREADY;
	if (continues && !call->more)
		return -EINVAL;
	if (call->oneway) {
		if (!continues)
			call->state = CALL_DONE;
		return 0;
	}
	if (!call->conn->server || call->conn->close_pending)
		return -ENOTCONN;

	r = build_message(&m, error, TAKE_PTR(p), continues);
	if (r < 0)
		return r;
	r = conn_send(call->conn, m);
	if (r < 0)
		return r;
	if (!continues)
		call_finish(call);
	return 0;
}

int varlink_call_reply(VarlinkCall *call, json_object *params)
{
	return call_send(call, NULL, params, false);
}

int varlink_call_notify(VarlinkCall *call, json_object *params)
{
	return call_send(call, NULL, params, true);
}

int varlink_call_error(VarlinkCall *call, const char *error, json_object *params)
{
	if (!error || !*error) {
		json_object_put(params);
		return -EINVAL;
	}
	return call_send(call, error, params, false);
}

/* An answer whose parameters are one string field: {"parameter": "name"} and the like. error
 * NULL: a reply. */
static int call_answer_field(VarlinkCall *call, const char *error, const char *field, const char *value)
{
	json_object *p = json_object_new_object();

	if (!p || varlink_object_add(p, field, json_object_new_string(value)) < 0) {
		json_object_put(p);
		return -ENOMEM;
	}
	return call_send(call, error, p, false);
}

int varlink_call_error_invalid_parameter(VarlinkCall *call, const char *name)
{
	return call_answer_field(call, VARLINK_ERROR_INVALID_PARAMETER, "parameter", name);
}

static int call_error_internal(VarlinkCall *call, int error)
{
	VarlinkServer *s = call->conn->server;
	json_object *p;

	if (s && s->failed)
		s->failed(s, call->method ?: "(unknown method)", call->conn->peer.uid, error,
			  s->failed_userdata);
	p = json_object_new_object();

	if (!p)
		return -ENOMEM;
	/* Only a plausible errno is passed on; -error itself could overflow. */
	if (error < 0 && error > -4096 &&
	    varlink_object_add(p, "errno", json_object_new_int(-error)) < 0) {
		json_object_put(p);
		return -ENOMEM;
	}
	return varlink_call_error(call, VARLINK_ERROR_INTERNAL, p);
}

bool varlink_call_wants_more(const VarlinkCall *call)
{
	return call->more;
}

bool varlink_call_is_oneway(const VarlinkCall *call)
{
	return call->oneway;
}

const char *varlink_call_method(const VarlinkCall *call)
{
	return call->method;
}

const struct ucred *varlink_call_peer(const VarlinkCall *call)
{
	return &call->conn->peer;
}

unsigned varlink_call_n_fds(const VarlinkCall *call)
{
	return call->n_fds;
}

int varlink_call_take_fd(VarlinkCall *call, unsigned index)
{
	if (index >= call->n_fds || call->fds[index] < 0)
		return -EBADF;
	return TAKE_FD(call->fds[index]);
}

void varlink_call_set_disconnect_callback(VarlinkCall *call, varlink_disconnect_fn fn, void *userdata)
{
	call->disconnect = fn;
	call->disconnect_userdata = userdata;
}

VarlinkCall *varlink_call_ref(VarlinkCall *call)
{
	if (call)
		call->n_ref++;
	return call;
}

VarlinkCall *varlink_call_unref(VarlinkCall *call)
{
	if (!call || --call->n_ref > 0)
		return NULL;
	/* Nobody can answer it any more: the client must not wait forever. */
	if (call->state == CALL_PENDING && !call->oneway) {
		call->n_ref = 1; /* keep it alive through the error */
		(void)call_error_internal(call, 0);
		call->n_ref = 0;
	}
	if (call->conn->current == call)
		call->conn->current = NULL;
	for (unsigned i = 0; i < call->n_fds; i++)
		if (call->fds[i] >= 0)
			close(call->fds[i]);
	json_object_put(call->parameters);
	free(call->method);
	conn_unref(call->conn);
	free(call);
	return NULL;
}

static bool type_ok(json_object *v, enum varlink_type type)
{
	switch (type) {
	case VARLINK_STRING:
		return varlink_string_ok(v);
	case VARLINK_INT:
		return json_object_is_type(v, json_type_int);
	case VARLINK_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case VARLINK_OBJECT:
		return json_object_is_type(v, json_type_object);
	case VARLINK_ARRAY:
		return json_object_is_type(v, json_type_array);
	case VARLINK_STRING_ARRAY:
		if (!json_object_is_type(v, json_type_array))
			return false;
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!varlink_string_ok(json_object_array_get_idx(v, i)))
				return false;
		return true;
	}
	return false;
}

/* Checks parameters against a method's table: 0, or -EINVAL with the offending name. */
static int params_check(const struct varlink_param *table, json_object *params, const char **ret_bad)
{
	struct json_object_iterator it = json_object_iter_begin(params),
				    end = json_object_iter_end(params);

	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *key = json_object_iter_peek_name(&it);
		json_object *v = json_object_iter_peek_value(&it);
		const struct varlink_param *p = NULL;

		for (const struct varlink_param *q = table; q && q->name; q++)
			if (strcmp(q->name, key) == 0) {
				p = q;
				break;
			}
		/* A null (v == NULL in json-c) stands for an absent optional parameter. */
		if (!p || (v ? !type_ok(v, p->type) : p->mandatory)) {
			*ret_bad = key;
			return -EINVAL;
		}
	}
	for (const struct varlink_param *q = table; q && q->name; q++)
		if (q->mandatory && !json_object_object_get_ex(params, q->name, NULL)) {
			*ret_bad = q->name;
			return -EINVAL;
		}
	return 0;
}

/* Each present parameter (checked by params_check()) into its field of the zeroed struct. */
static int params_fill(const struct varlink_param *table, json_object *params, void *fields)
{
	for (const struct varlink_param *q = table; q && q->name; q++) {
		void *field = (char *)fields + q->offset;
		json_object *v = json_object_object_get(params, q->name);
		int r;

		if (!v && q->type != VARLINK_STRING_ARRAY)
			continue;
		switch (q->type) {
		case VARLINK_STRING:
			*(const char **)field = json_object_get_string(v);
			break;
		case VARLINK_INT:
			*(struct varlink_int *)field = (struct varlink_int){ json_object_get_int64(v), true };
			break;
		case VARLINK_BOOL:
			*(bool *)field = json_object_get_boolean(v);
			break;
		case VARLINK_OBJECT:
		case VARLINK_ARRAY:
			*(json_object **)field = v;
			break;
		case VARLINK_STRING_ARRAY:
			r = strv_from_json(v, (char ***)field);
			if (r < 0)
				return r;
			break;
		}
	}
	return 0;
}

/* Frees what params_fill() allocated and the handler left in place. */
static void params_release(const struct varlink_param *table, void *fields)
{
	for (const struct varlink_param *q = table; fields && q && q->name; q++)
		if (q->type == VARLINK_STRING_ARRAY)
			strv_free(*(char ***)((char *)fields + q->offset));
	free(fields);
}

/* Runs the method's handler on its filled parameter struct. */
static int method_call(VarlinkCall *call, const struct varlink_method *m, void *userdata)
{
	void *fields = NULL;
	int r = 0;

	if (m->params) {
		fields = calloc(1, m->params_size ?: 1);
		if (!fields)
			return -ENOMEM;
		r = params_fill(m->params, call->parameters, fields);
	}
	if (r >= 0)
		r = m->fn(call, fields, userdata);
	params_release(m->params, fields);
	return r;
}

static int service_get_info(VarlinkCall *call, VarlinkServer *s)
{
	const struct varlink_interface *i = s->iface;
	_cleanup_json_ json_object *p = json_object_new_object(), *names = json_object_new_array();

	if (!p || !names)
		return -ENOMEM;
	if (json_object_array_add(names, json_object_new_string(SERVICE_INTERFACE)) < 0 ||
	    json_object_array_add(names, json_object_new_string(i->name)) < 0)
		return -ENOMEM;
	if (varlink_object_add(p, "vendor", json_object_new_string(i->vendor ?: "")) < 0 ||
	    varlink_object_add(p, "product", json_object_new_string(i->product ?: "")) < 0 ||
	    varlink_object_add(p, "version", json_object_new_string(i->version ?: "")) < 0 ||
	    varlink_object_add(p, "url", json_object_new_string(i->url ?: "")) < 0 ||
	    varlink_object_add(p, "interfaces", TAKE_PTR(names)) < 0)
		return -ENOMEM;
	return varlink_call_reply(call, TAKE_PTR(p));
}

static int service_get_description(VarlinkCall *call, VarlinkServer *s)
{
	const char *name = json_string(call->parameters, "interface");
	const char *text;

	if (strcmp(name, SERVICE_INTERFACE) == 0)
		text = service_description;
	else if (strcmp(name, s->iface->name) == 0)
		text = s->iface->description ?: "";
	else
		return call_answer_field(call, VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface", name);
	return call_answer_field(call, NULL, "description", text);
}

static const struct varlink_param get_description_params[] = {
	{ "interface", VARLINK_STRING, true, 0 }, /* read by service_get_description() */
	{},
};

/* Finds the method, checks the parameters and runs the handler, or answers the error. */
static int call_dispatch(VarlinkCall *call, bool fds_lost)
{
	VarlinkServer *s = call->conn->server;
	const char *dot = strrchr(call->method, '.'), *member;
	const struct varlink_method *m = NULL;
	_cleanup_free_ char *iface = NULL;
	const char *bad;
	int r;

	if (!call->conn->peer_ok)
		return varlink_call_error(call, s->peer_error, NULL);
	if (fds_lost)
		return varlink_call_error_invalid_parameter(call, "fds");
	if (!dot || dot == call->method || !dot[1])
		return call_answer_field(call, VARLINK_ERROR_METHOD_NOT_FOUND, "method", call->method);
	iface = strndup(call->method, (size_t)(dot - call->method));
	if (!iface)
		return -ENOMEM;
	member = dot + 1;

	if (strcmp(iface, SERVICE_INTERFACE) == 0) {
		if (strcmp(member, "GetInfo") == 0) {
			if (params_check(NULL, call->parameters, &bad) < 0)
				return varlink_call_error_invalid_parameter(call, bad);
			return service_get_info(call, s);
		}
		if (strcmp(member, "GetInterfaceDescription") == 0) {
			if (params_check(get_description_params, call->parameters, &bad) < 0)
				return varlink_call_error_invalid_parameter(call, bad);
			return service_get_description(call, s);
		}
		return call_answer_field(call, VARLINK_ERROR_METHOD_NOT_FOUND, "method", call->method);
	}
	if (strcmp(iface, s->iface->name) != 0)
		return call_answer_field(call, VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface", iface);

	for (const struct varlink_method *q = s->iface->methods; q && q->name; q++)
		if (strcmp(q->name, member) == 0) {
			m = q;
			break;
		}
	if (!m)
		return call_answer_field(call, VARLINK_ERROR_METHOD_NOT_FOUND, "method", call->method);
	if (!m->fn)
		return call_answer_field(call, VARLINK_ERROR_METHOD_NOT_IMPLEMENTED, "method", call->method);
	if (params_check(m->params, call->parameters, &bad) < 0)
		return varlink_call_error_invalid_parameter(call, bad);

	r = method_call(call, m, s->userdata);
	if (r < 0 && call->state == CALL_PENDING)
		(void)call_error_internal(call, r);
	return 0;
}

/* Checks the envelope of a call. Returns the reason it is no call, or NULL. */
static const char *envelope_check(json_object *msg, json_object **ret_method, json_object **ret_params,
				  bool *ret_more, bool *ret_oneway)
{
	struct json_object_iterator it = json_object_iter_begin(msg), end = json_object_iter_end(msg);
	json_object *method = NULL, *params = NULL;
	bool more = false, oneway = false;

	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *key = json_object_iter_peek_name(&it);
		json_object *v = json_object_iter_peek_value(&it);

		/* An optional field sent as null is an absent one (independent clients send
		 * "parameters": null for a call without any). */
		if (!v && strcmp(key, "method") != 0)
			continue;
		if (strcmp(key, "method") == 0) {
			if (!varlink_string_ok(v))
				return "\"method\" is not a string";
			method = v;
		} else if (strcmp(key, "parameters") == 0) {
			if (!json_object_is_type(v, json_type_object))
				return "\"parameters\" is not an object";
			params = v;
		} else if (strcmp(key, "more") == 0 || strcmp(key, "oneway") == 0) {
			if (!json_object_is_type(v, json_type_boolean))
				return key[0] == 'm' ? "\"more\" is not a boolean" : "\"oneway\" is not a boolean";
			if (key[0] == 'm')
				more = json_object_get_boolean(v);
			else
				oneway = json_object_get_boolean(v);
		} else
			return "Unknown field in call";
	}
	if (!method)
		return "Call without \"method\"";
	if (more && oneway)
		return "Call with both \"more\" and \"oneway\"";
	*ret_method = method;
	*ret_params = params;
	*ret_more = more;
	*ret_oneway = oneway;
	return NULL;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Serves one message: text is its JSON, fds what arrived with it. Takes the fds. */
static int conn_dispatch_message(Connection *c, const char *text, size_t len, int *fds, size_t n_fds,
				 bool fds_lost)
{
	_cleanup_json_ json_object *msg = NULL;
	_cleanup_(varlink_call_unrefp) VarlinkCall *call = NULL;
	json_object *method = NULL, *params = NULL;
	const char *reason;
	bool more = false, oneway = false;
	int r;

	r = varlink_message_parse(text, len, &msg);
	if (r == -EBADMSG)
		reason = "Message is not a JSON object";
	else if (r < 0) {
		close_fds(fds, n_fds);
		return r;
	} else
		reason = envelope_check(msg, &method, &params, &more, &oneway);
	if (reason) {
		close_fds(fds, n_fds);
		conn_protocol_error(c, reason);
		return 0;
	}

	call = calloc(1, sizeof(*call));
	if (!call) {
		close_fds(fds, n_fds);
		return -ENOMEM;
	}
	call->n_ref = 1;
	call->conn = conn_ref(c);
	call->more = more;
	call->oneway = oneway;
	call->state = CALL_PENDING;
	if (n_fds > VARLINK_FDS_MAX) {
		close_fds(fds, n_fds);
		fds_lost = true;
	} else {
		memcpy(call->fds, fds, n_fds * sizeof(int));
		call->n_fds = (unsigned)n_fds;
	}
	call->method = strdup(json_object_get_string(method));
	call->parameters = params ? json_object_get(params) : json_object_new_object();
	if (!call->method || !call->parameters) {
		call->oneway = true; /* no InternalError from the unref: the connection goes */
		return -ENOMEM;
	}
	if (!oneway)
		c->current = call;

	r = call_dispatch(call, fds_lost);
	if (r < 0 && call->state == CALL_PENDING)
		(void)call_error_internal(call, r);
	return 0;
}

/* Finds the next complete message. 1 with its span, 0 if none yet, -EMSGSIZE if too long. */
static int conn_next_message(Connection *c, size_t *ret_start, size_t *ret_len, uint64_t *ret_end)
{
	size_t avail = c->in_len - c->in_start, len;
	char *nul = NULL;

	if (avail > c->in_scanned)
		nul = memchr(c->in + c->in_start + c->in_scanned, 0, avail - c->in_scanned);
	if (!nul) {
		c->in_scanned = avail;
		return avail > c->server->limits.message_max ? -EMSGSIZE : 0;
	}
	len = (size_t)(nul - (c->in + c->in_start));
	if (len > c->server->limits.message_max)
		return -EMSGSIZE;
	*ret_start = c->in_start;
	*ret_len = len;
	*ret_end = c->in_offset + (uint64_t)(nul - c->in);
	c->in_start += len + 1;
	c->in_scanned = 0;
	return 1;
}

/* Moves the queued fds that arrived up to stream offset end into fds[]. */
static size_t fds_take(Connection *c, uint64_t end, int fds[static FDS_QUEUE_MAX], bool *ret_lost)
{
	size_t i, n = 0;

	*ret_lost = false;
	for (i = 0; i < c->n_fds && c->fds[i].tag <= end; i++) {
		if (c->fds[i].fd < 0)
			*ret_lost = true;
		else
			fds[n++] = c->fds[i].fd;
	}
	c->usage->fds -= (unsigned)n; /* the call has them now */
	if (i > 0) {
		memmove(c->fds, c->fds + i, (c->n_fds - i) * sizeof(c->fds[0]));
		c->n_fds -= i;
	}
	return n;
}

/* A size for people: "16 MiB", "4 KiB", "1000 bytes". */
static void format_size(char *buf, size_t buf_size, size_t size)
{
	if (size >= 1024 * 1024 && size % (1024 * 1024) == 0)
		snprintf(buf, buf_size, "%zu MiB", size / (1024 * 1024));
	else if (size >= 1024 && size % 1024 == 0)
		snprintf(buf, buf_size, "%zu KiB", size / 1024);
	else
		snprintf(buf, buf_size, "%zu bytes", size);
}

/* Serves the buffered messages, in order, until one waits for its answer. */
static void conn_process(Connection *c)
{
	int fds[FDS_QUEUE_MAX];
	size_t start, len, n;
	uint64_t end;
	bool lost;
	int r;

	while (c->server && !c->current && !c->close_pending) {
		r = conn_next_message(c, &start, &len, &end);
		if (r == -EMSGSIZE) {
			char reason[64], size[32];

			format_size(size, sizeof(size), c->server->limits.message_max);
			snprintf(reason, sizeof(reason), "Message longer than %s", size);
			conn_protocol_error(c, reason);
			break;
		}
		if (r == 0)
			break;
		n = fds_take(c, end, fds, &lost);
		r = conn_dispatch_message(c, c->in + start, len, fds, n, lost);
		if (r < 0)
			c->close_pending = true;
	}
	if (!c->server)
		return;

	if (c->in_start == c->in_len) {
		c->in_start = c->in_len = c->in_scanned = 0;
		if (c->in_alloc > BUFFER_KEEP)
			conn_input_release(c);
	}
	if (!c->close_pending && c->read_eof && !c->current) {
		if (c->in_len > c->in_start)
			conn_protocol_error(c, "Message not terminated by NUL at end of stream");
		else if (c->out_len == c->out_start)
			c->close_pending = true;
		/* else: close once the replies are out */
	}
	if (c->close_pending) {
		conn_close(c);
		return;
	}
	conn_update_events(c);
}

/* Queues fd (-1: a mark that fds were lost), or closes it: -ETOOMANYREFS past FDS_QUEUE_MAX or
 * the uid's fds_per_uid, -EDQUOT past its bytes_per_uid. */
static int fds_queue_add(Connection *c, uint64_t tag, int fd)
{
	unsigned fds_max = c->server->limits.fds_per_uid;
	int r = 0;

	if (c->n_fds >= FDS_QUEUE_MAX || (fd >= 0 && fds_max && conn_limited(c) && c->usage->fds >= fds_max))
		r = -ETOOMANYREFS;
	else if (!c->fds) {
		if (!conn_may_grow(c, 0, FDS_QUEUE_BYTES))
			r = -EDQUOT;
		else if (!(c->fds = malloc(FDS_QUEUE_BYTES)))
			r = -ENOMEM;
		else
			conn_account(c, 0, FDS_QUEUE_BYTES);
	}
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	c->fds[c->n_fds++] = (struct queued_fd){ .tag = tag, .fd = fd };
	if (fd >= 0)
		c->usage->fds++;
	return 0;
}

/* The fds an SCM_RIGHTS message carries. */
static size_t cmsg_n_fds(const struct cmsghdr *cm)
{
	if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return 0;
	return (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
}

/* One recvmsg(): bytes into the input buffer, fds into the queue tagged with the offset of
 * the last byte that came with them. The client sends fds with its message's first bytes and
 * the kernel ends a read after bytes that carry fds, so that byte is in their message.
 * -ETOOMANYREFS, -EDQUOT: a limit (fds_queue_add()); -EDQUOT also when the input buffer would
 * take the uid past bytes_per_uid. */
static int conn_read(Connection *c)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * RECV_FDS_MAX)];
	} control;
	struct msghdr mh = { .msg_control = &control, .msg_controllen = sizeof(control) };
	size_t max = c->server->limits.message_max;
	struct iovec iov;
	size_t avail, want, n_fds = 0;
	bool discard;
	uint64_t tag;
	ssize_t n;
	int r = 0;

	if (c->in_start > 0 && c->in_start == c->in_len) {
		c->in_offset += c->in_start;
		c->in_start = c->in_len = c->in_scanned = 0;
	}
	avail = c->in_len - c->in_start;
	if (avail > max)
		return 0; /* conn_process() refuses it */
	want = max + 1 - avail;
	if (want > READ_CHUNK)
		want = READ_CHUNK;
	if (c->in_len + want > c->in_alloc && c->in_start > 0) {
		memmove(c->in, c->in + c->in_start, avail);
		c->in_offset += c->in_start;
		c->in_len = avail;
		c->in_start = 0;
	}
	if (c->in_len + want > c->in_alloc) {
		size_t need = c->in_len + want, sz = c->in_alloc * 2 > need ? c->in_alloc * 2 : need;
		char *p;

		if (sz > max + 1 + READ_CHUNK)
			sz = max + 1 + READ_CHUNK;
		/* Near the uid's limit, grow only as far as this read needs. */
		if (!conn_may_grow(c, c->in_alloc, sz))
			sz = need;
		if (!conn_may_grow(c, c->in_alloc, sz))
			return -EDQUOT;
		p = realloc(c->in, sz);
		if (!p)
			return -ENOMEM;
		conn_account(c, c->in_alloc, sz);
		c->in = p;
		c->in_alloc = sz;
	}

	iov = (struct iovec){ .iov_base = c->in + c->in_len, .iov_len = want };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;

	tag = c->in_offset + c->in_len + (uint64_t)n - 1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		n_fds += cmsg_n_fds(cm);
	/* With no bytes there is nothing to attach them to. All fds of one read go to one message,
	 * so more than a call may carry fail it anyway: close them now instead of queueing them, and
	 * queue the mark that makes the call fail. */
	discard = n == 0 || n_fds > VARLINK_FDS_MAX;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		for (size_t i = 0; i < cmsg_n_fds(cm); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (discard || r < 0)
				close(fd);
			else
				r = fds_queue_add(c, tag, fd);
		}
	if (((mh.msg_flags & MSG_CTRUNC) || n_fds > VARLINK_FDS_MAX) && n > 0 && r >= 0)
		r = fds_queue_add(c, tag, -1);
	if (n == 0)
		c->read_eof = true;
	c->in_len += (size_t)n;
	return r;
}

static int conn_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	_cleanup_(conn_unrefp) Connection *c = conn_ref(userdata);
	bool reading = !c->current && !c->read_eof && !c->close_pending;
	int r;

	if (c->out_len > c->out_start && conn_flush(c) < 0)
		c->close_pending = true;
	else if (reading && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		r = conn_read(c);
		if (r == -ETOOMANYREFS || r == -EDQUOT) {
			bool bytes = r == -EDQUOT;

			/* Gone anyway: its input makes room for the error in the uid's budget. */
			conn_drop(c, bytes ? REFUSED_BYTES : REFUSED_FDS);
			conn_input_release(c);
			conn_protocol_error(c, bytes ? "Too much data buffered" : "Too many file descriptors");
		} else if (r < 0)
			c->close_pending = true;
	} else if (revents & (EPOLLHUP | EPOLLERR))
		/* Gone for good while we waited on a handler: nobody to answer any more. */
		c->close_pending = true;
	conn_process(c);
	return 0;
}

static int conn_defer(sd_event_source *src, void *userdata)
{
	_cleanup_(conn_unrefp) Connection *c = conn_ref(userdata);

	conn_process(c);
	return 0;
}

int varlink_server_add_connection(VarlinkServer *s, int fd)
{
	struct ucred peer;
	socklen_t sl = sizeof(peer);
	struct uid_usage *u;
	Connection *c;
	int flags, r;

	if (!s || fd < 0)
		return -EINVAL;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &sl) < 0)
		return -errno;
	/* Refused before anything else happens with it, the peer check included. */
	u = usage_find(s, peer.uid);
	if (peer.uid != 0 && s->limits.connections_per_uid && u &&
	    u->connections >= s->limits.connections_per_uid) {
		s->n_refused++;
		if (s->refused)
			s->refused(s, peer.uid, REFUSED_CONNECTIONS, s->refused_userdata);
		return -EDQUOT;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->n_ref = 1;
	c->fd = fd;
	c->peer = peer;
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u) {
			free(c);
			return -ENOMEM;
		}
		u->uid = peer.uid;
	}
	r = sd_event_add_io(s->event, &c->io, fd, EPOLLIN, conn_io, c);
	if (r >= 0)
		r = sd_event_add_defer(s->event, &c->defer, conn_defer, c);
	if (r >= 0)
		r = sd_event_source_set_enabled(c->defer, SD_EVENT_OFF);
	if (r < 0) {
		sd_event_source_disable_unref(c->io);
		sd_event_source_disable_unref(c->defer);
		if (u->connections == 0)
			free(u); /* new, not in the table yet */
		free(c);
		return r;
	}
	if (u->connections++ == 0) {
		u->next = s->usage;
		s->usage = u;
	}
	c->usage = u;
	c->peer_ok = !s->peer_check || s->peer_check(s, &c->peer, s->peer_check_userdata);

	c->server = s;
	c->next = s->connections;
	if (c->next)
		c->next->prev = c;
	s->connections = c;
	s->n_connections++;
	return 0;
}

static int accept_retry(sd_event_source *src, uint64_t usec, void *userdata)
{
	accept_resume(userdata);
	return 0;
}

/* Out of fds or memory: stop accepting (the socket would stay readable and spin the loop)
 * until a connection closes or a second passes. */
static void accept_pause(VarlinkServer *s)
{
	if (s->accept_retry)
		return;
	if (sd_event_add_time_relative(s->event, &s->accept_retry, CLOCK_MONOTONIC, ACCEPT_RETRY_USEC, 0,
				       accept_retry, s) < 0)
		return;
	for (size_t i = 0; i < s->n_listeners; i++)
		(void)sd_event_source_set_enabled(s->listeners[i].src, SD_EVENT_OFF);
}

static int listener_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	VarlinkServer *s = userdata;
	int cfd, r;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			accept_pause(s);
		return 0; /* EAGAIN, a client that gave up (ECONNABORTED): nothing to do */
	}
	r = varlink_server_add_connection(s, cfd);
	if (r < 0) {
		close(cfd);
		/* A uid over its limit must not pause accepting for everybody else. */
		if (r != -EDQUOT)
			accept_pause(s);
	}
	return 0;
}

int varlink_server_listen_fd(VarlinkServer *s, int fd)
{
	struct listener *l;
	int flags, r, v = 0;
	socklen_t sl = sizeof(v);

	if (!s || fd < 0)
		return -EINVAL;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &sl) < 0)
		return -errno;
	if (!v)
		return -EINVAL;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	l = reallocarray(s->listeners, s->n_listeners + 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	s->listeners = l;
	l += s->n_listeners;
	l->fd = fd;
	r = sd_event_add_io(s->event, &l->src, fd, EPOLLIN, listener_io, s);
	if (r < 0)
		return r;
	if (s->accept_retry)
		(void)sd_event_source_set_enabled(l->src, SD_EVENT_OFF);
	s->n_listeners++;
	return 0;
}

/* Whether a socket answers at path: a live server (its backlog may be full: EAGAIN). */
static bool socket_alive(const struct sockaddr_un *sa, socklen_t len)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return true; /* cannot tell: leave it alone */
	return connect(fd, (const struct sockaddr *)sa, len) == 0 || errno != ECONNREFUSED;
}

int varlink_server_listen_address(VarlinkServer *s, const char *path, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	socklen_t len;
	struct stat st;
	int r;

	if (!s || !path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, len) < 0) {
		if (errno != EADDRINUSE)
			return -errno;
		/* Left behind by a server that died: replace it. A live one or a non-socket stays. */
		if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode) || socket_alive(&sa, len))
			return -EADDRINUSE;
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
		if (bind(fd, (struct sockaddr *)&sa, len) < 0)
			return -errno;
	}
	/* Before listen(): until then nobody can connect with the umask's mode. */
	if (chmod(path, mode) < 0 || listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		(void)unlink(path);
		return r;
	}
	r = varlink_server_listen_fd(s, fd);
	if (r < 0) {
		(void)unlink(path);
		return r;
	}
	TAKE_FD(fd);
	return 0;
}

int varlink_server_set_peer_check(VarlinkServer *s, varlink_peer_check_fn fn, const char *error,
				  void *userdata)
{
	char *e = NULL;

	if (!s || (fn && (!error || !*error)))
		return -EINVAL;
	if (fn) {
		e = strdup(error);
		if (!e)
			return -ENOMEM;
	}
	free(s->peer_error);
	s->peer_error = e;
	s->peer_check = fn;
	s->peer_check_userdata = userdata;
	return 0;
}

void varlink_server_set_idle_callback(VarlinkServer *s, varlink_idle_fn fn, void *userdata)
{
	s->idle = fn;
	s->idle_userdata = userdata;
}

unsigned varlink_server_connections(const VarlinkServer *s)
{
	return s ? s->n_connections : 0;
}

int varlink_server_set_limits(VarlinkServer *s, const struct varlink_server_limits *l)
{
	if (!s || !l || l->message_max > VARLINK_MESSAGE_MAX)
		return -EINVAL;
	s->limits = *l;
	if (!s->limits.message_max)
		s->limits.message_max = VARLINK_MESSAGE_MAX;
	return 0;
}

void varlink_server_set_failed_callback(VarlinkServer *s, varlink_failed_fn fn, void *userdata)
{
	s->failed = fn;
	s->failed_userdata = userdata;
}

void varlink_server_set_refused_callback(VarlinkServer *s, varlink_refused_fn fn, void *userdata)
{
	s->refused = fn;
	s->refused_userdata = userdata;
}

unsigned varlink_server_refused(const VarlinkServer *s)
{
	return s ? s->n_refused : 0;
}

int varlink_server_usage(const VarlinkServer *s, uid_t uid, struct varlink_server_usage *ret)
{
	const struct uid_usage *u;

	if (!s || !ret)
		return -EINVAL;
	u = usage_find(s, uid);
	if (!u)
		return -ENOENT;
	*ret = (struct varlink_server_usage){
		.connections = u->connections,
		.bytes = u->bytes,
		.fds = u->fds,
	};
	return 0;
}

int varlink_server_new(VarlinkServer **ret, sd_event *event, const struct varlink_interface *iface,
		       void *userdata)
{
	VarlinkServer *s;

	if (!ret || !event || !iface || !iface->name || !*iface->name)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->event = sd_event_ref(event);
	s->iface = iface;
	s->userdata = userdata;
	s->limits.message_max = VARLINK_MESSAGE_MAX;
	*ret = s;
	return 0;
}

VarlinkServer *varlink_server_free(VarlinkServer *s)
{
	if (!s)
		return NULL;
	s->idle = NULL; /* going away is not idleness */
	s->refused = NULL;
	while (s->connections)
		conn_close(s->connections);
	for (size_t i = 0; i < s->n_listeners; i++) {
		sd_event_source_disable_unref(s->listeners[i].src);
		close(s->listeners[i].fd);
	}
	free(s->listeners);
	sd_event_source_disable_unref(s->accept_retry);
	sd_event_unref(s->event);
	free(s->peer_error);
	free(s);
	return NULL;
}
