/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Varlink (https://varlink.org) over AF_UNIX for rvisord (server, on sd-event) and rvisorctl
 * (blocking client). Library code: returns -errno, never logs. Wire format: docs/varlink.md. */
#ifndef RVISOR_VARLINK_H
#define RVISOR_VARLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

/* The longest message, its JSON text without the terminating NUL, either way. */
#define VARLINK_MESSAGE_MAX (16U * 1024 * 1024)
/* The most fds one call may carry; more fail the call with InvalidParameter{"parameter":"fds"}.
 * Room for Run's: stdin, stdout, stderr, the image and a source for each of 64 mounts. */
#define VARLINK_FDS_MAX 68U
/* Replies a client has not read yet, per connection; beyond that the server drops it. */
#define VARLINK_BUFFER_MAX (64U * 1024 * 1024)

/*
 * What one peer uid may hold in a server, over all its connections (varlink_server_set_limits()).
 * Root (uid 0) is trusted and never limited by the per-uid fields. 0 means unlimited (for
 * message_max: VARLINK_MESSAGE_MAX).
 */
struct varlink_server_limits {
	unsigned connections_per_uid; /* more are closed as soon as they are accepted */
	size_t bytes_per_uid;         /* input + output buffers, as allocated; growing past it drops
				       * the connection that grows */
	unsigned fds_per_uid;         /* fds received and not yet handed to a call; past it the
				       * connection that receives them is dropped */
	size_t message_max;           /* longest message, either way; at most VARLINK_MESSAGE_MAX */
};

/* What one uid holds now (varlink_server_usage()). */
struct varlink_server_usage {
	unsigned connections;
	size_t bytes; /* input and output buffers and fd queues, as allocated */
	unsigned fds; /* received and not yet handed to a call */
};

/* Errors of the built-in org.varlink.service interface. */
#define VARLINK_ERROR_INTERFACE_NOT_FOUND "org.varlink.service.InterfaceNotFound"
#define VARLINK_ERROR_METHOD_NOT_FOUND "org.varlink.service.MethodNotFound"
#define VARLINK_ERROR_METHOD_NOT_IMPLEMENTED "org.varlink.service.MethodNotImplemented"
#define VARLINK_ERROR_INVALID_PARAMETER "org.varlink.service.InvalidParameter"
#define VARLINK_ERROR_PERMISSION_DENIED "org.varlink.service.PermissionDenied"
#define VARLINK_ERROR_EXPECTED_MORE "org.varlink.service.ExpectedMore"
/* rvisor's own: a message that is not a valid call ({"reason": text}); the server closes the
 * connection after sending it. */
#define VARLINK_ERROR_PROTOCOL "io.rvisor.varlink.ProtocolError"
/* A handler failed (returned -errno: {"errno": N}) or dropped its call without answering. */
#define VARLINK_ERROR_INTERNAL "io.rvisor.varlink.InternalError"

typedef struct VarlinkServer VarlinkServer;
typedef struct VarlinkCall VarlinkCall;
typedef struct VarlinkClient VarlinkClient;

enum varlink_type {
	VARLINK_STRING,       /* a string without embedded NUL */
	VARLINK_INT,          /* a JSON integer */
	VARLINK_BOOL,
	VARLINK_OBJECT,
	VARLINK_ARRAY,        /* any array */
	VARLINK_STRING_ARRAY, /* an array of strings without embedded NUL */
};

/* An integer parameter: set is false when it was absent or null. */
struct varlink_int {
	int64_t value;
	bool set;
};

/*
 * One parameter a method accepts, and the field of the method's parameter struct it fills
 * before the handler runs (offset). By type, the field is:
 *   VARLINK_STRING        const char *        borrowed from the call; NULL when absent
 *   VARLINK_INT           struct varlink_int
 *   VARLINK_BOOL          bool                false when absent
 *   VARLINK_OBJECT/ARRAY  json_object *       borrowed from the call; NULL when absent
 *   VARLINK_STRING_ARRAY  char **             empty when absent; the server frees it after
 *                                             the handler, which may take it (TAKE_PTR())
 * A non-mandatory parameter may be absent or null. Write entries with VARLINK_PARAM(), which
 * refuses to compile a field of another C type.
 */
struct varlink_param {
	const char *name;
	enum varlink_type type;
	bool mandatory;
	size_t offset;
};

#define VARLINK_FIELD_TYPE_OK(field, type)                                                  \
	_Generic((field),                                                                   \
		const char *: (type) == VARLINK_STRING,                                     \
		struct varlink_int: (type) == VARLINK_INT,                                  \
		bool: (type) == VARLINK_BOOL,                                               \
		json_object *: (type) == VARLINK_OBJECT || (type) == VARLINK_ARRAY,         \
		char **: (type) == VARLINK_STRING_ARRAY,                                    \
		default: 0)

/* The parameter `field` of struct_type, named as the field is. */
#define VARLINK_PARAM(struct_type, field, type, mandatory)                                  \
	{ #field, type, mandatory,                                                          \
	  offsetof(struct_type, field) +                                                    \
		  0 * sizeof(char[VARLINK_FIELD_TYPE_OK(((struct_type *)0)->field, type) ? 1 : -1]) }

/*
 * A method's handler. params is the method's parameter struct, filled from the call's
 * parameters once they have been checked against the method's table (NULL for a method
 * without parameters); it lives until the handler returns, what its fields borrow as long as
 * the call. The handler answers with varlink_call_reply()/_error(), now or later (then it
 * keeps a reference: varlink_call_ref()). Returning -errno without having answered makes the
 * server answer VARLINK_ERROR_INTERNAL; so does dropping the last reference of an unanswered
 * call.
 */
typedef int (*varlink_method_fn)(VarlinkCall *call, void *params, void *userdata);

struct varlink_method {
	const char *name;                   /* "Run"; NULL ends the table */
	varlink_method_fn fn;               /* NULL: MethodNotImplemented */
	const struct varlink_param *params; /* NULL-name-terminated; NULL: no parameters */
	size_t params_size;                 /* sizeof the struct params fills */
};

/* A method with the parameters of table, filling a struct_type; one without parameters. */
#define VARLINK_METHOD(name, fn, table, struct_type) { name, fn, table, sizeof(struct_type) }
#define VARLINK_METHOD_NO_PARAMS(name, fn) { name, fn, NULL, 0 }

struct varlink_interface {
	const char *vendor, *product, *version, *url; /* served by GetInfo */
	const char *name;                            /* "io.rvisor.Manager" */
	const char *description;                     /* IDL text for GetInterfaceDescription */
	const struct varlink_method *methods;        /* NULL-name-terminated */
};

/* Called once per new connection with its peer's credentials (SO_PEERCRED). */
typedef bool (*varlink_peer_check_fn)(VarlinkServer *s, const struct ucred *peer, void *userdata);
/* Called when the last connection went away (varlink_server_connections() is 0). It may exit
 * the event loop but must not free the server. */
typedef void (*varlink_idle_fn)(VarlinkServer *s, void *userdata);
/* Called for each connection refused or dropped for a limit: reason is "too many connections"
 * (refused, from varlink_server_add_connection()), "too much buffered data" or "too many file
 * descriptors" (dropped, from the event loop as it closes). For the daemon to log; it must not
 * free the server. */
typedef void (*varlink_refused_fn)(VarlinkServer *s, uid_t uid, const char *reason, void *userdata);
/* Called once for each call the server answers with InternalError itself: its handler returned
 * -errno (error), or dropped it unanswered (error 0), or the server ran out of memory. The
 * client learns only "InternalError": for the daemon to log, with the method's name; it must
 * not free the server. */
typedef void (*varlink_failed_fn)(VarlinkServer *s, const char *method, uid_t uid, int error,
				  void *userdata);
/* Called once when the client went away before the call's final reply. The call is dead from
 * then on (answering it returns -ENOTCONN); the handler still owns its reference. */
typedef void (*varlink_disconnect_fn)(VarlinkCall *call, void *userdata);

/* Server. iface (borrowed, must outlive the server) is served with org.varlink.service. */
int varlink_server_new(VarlinkServer **ret, sd_event *event, const struct varlink_interface *iface,
		       void *userdata);
/* Closes every connection (firing the disconnect callbacks of unanswered calls) and the
 * listening sockets; not from one of the server's own callbacks. Calls still referenced stay
 * valid but dead. Returns NULL. */
VarlinkServer *varlink_server_free(VarlinkServer *s);
/* Serves an already listening socket (from sd_listen_fds()); takes ownership on success. */
int varlink_server_listen_fd(VarlinkServer *s, int fd);
/* Creates, binds (replacing a stale socket, not a live one: -EADDRINUSE) and listens. */
int varlink_server_listen_address(VarlinkServer *s, const char *path, mode_t mode);
/* Serves one connected socket (accepted elsewhere, or one end of a socketpair); takes
 * ownership on success. The peer check runs here. -EDQUOT: its peer's uid has
 * connections_per_uid already (counted by varlink_server_refused(), the refused callback ran,
 * the fd is still the caller's). */
int varlink_server_add_connection(VarlinkServer *s, int fd);
/* Refused peers get every call answered with error (copied), e.g. "io.rvisor.Manager.PermissionDenied". */
int varlink_server_set_peer_check(VarlinkServer *s, varlink_peer_check_fn fn, const char *error,
				  void *userdata);
void varlink_server_set_idle_callback(VarlinkServer *s, varlink_idle_fn fn, void *userdata);
unsigned varlink_server_connections(const VarlinkServer *s);
/* Limits for every peer uid but root (uid 0, trusted; message_max holds for root too), from the
 * next accept, read or reply on; l is copied. Never called: no per-uid limits,
 * VARLINK_MESSAGE_MAX. Returns 0 or -EINVAL (message_max above VARLINK_MESSAGE_MAX). */
int varlink_server_set_limits(VarlinkServer *s, const struct varlink_server_limits *l);
void varlink_server_set_refused_callback(VarlinkServer *s, varlink_refused_fn fn, void *userdata);
void varlink_server_set_failed_callback(VarlinkServer *s, varlink_failed_fn fn, void *userdata);
/* Connections refused for connections_per_uid since the server started. */
unsigned varlink_server_refused(const VarlinkServer *s);
/* What uid holds now: 0, -ENOENT when it has no connection. */
int varlink_server_usage(const VarlinkServer *s, uid_t uid, struct varlink_server_usage *ret);

/*
 * Inside a handler. The answering functions always take ownership of params (NULL means {}),
 * return 0, -EALREADY once the call has had its final answer, -ENOTCONN once its client is
 * gone, -EINVAL for a notify the call did not ask for (no more=true), -ENOBUFS when the client
 * reads too slowly or its uid's buffers are full (the connection is then dropped), -EMSGSIZE
 * for an answer longer than message_max. A oneway call's answers are discarded.
 */
int varlink_call_reply(VarlinkCall *call, json_object *params);
int varlink_call_notify(VarlinkCall *call, json_object *params);
int varlink_call_error(VarlinkCall *call, const char *error, json_object *params);
/* InvalidParameter{"parameter": name}. */
int varlink_call_error_invalid_parameter(VarlinkCall *call, const char *name);

bool varlink_call_wants_more(const VarlinkCall *call);
bool varlink_call_is_oneway(const VarlinkCall *call);
/* The full method name, "io.rvisor.Manager.Run". */
const char *varlink_call_method(const VarlinkCall *call);
const struct ucred *varlink_call_peer(const VarlinkCall *call);
unsigned varlink_call_n_fds(const VarlinkCall *call);
/* The index-th fd sent with the call, which the caller then owns; -EBADF if there is none
 * (any more). Fds not taken are closed with the call. */
int varlink_call_take_fd(VarlinkCall *call, unsigned index);
void varlink_call_set_disconnect_callback(VarlinkCall *call, varlink_disconnect_fn fn, void *userdata);
VarlinkCall *varlink_call_ref(VarlinkCall *call);
VarlinkCall *varlink_call_unref(VarlinkCall *call);

/* Client (blocking), for rvisorctl. */
enum {
	VARLINK_CALL_MORE = 1U << 0,   /* the server may answer several times ("continues") */
	VARLINK_CALL_ONEWAY = 1U << 1, /* no answer at all */
};

/* address: a socket path, optionally prefixed "unix:". */
int varlink_client_connect(VarlinkClient **ret, const char *address);
/* Wraps a connected socket; takes ownership on success. */
int varlink_client_new_from_fd(VarlinkClient **ret, int fd);
VarlinkClient *varlink_client_free(VarlinkClient *c);
/* Sends one call. params is borrowed (NULL means {}); fds are borrowed too (the server gets
 * copies), at most VARLINK_FDS_MAX. flags: VARLINK_CALL_*. Blocks until it is all sent. */
int varlink_client_call(VarlinkClient *c, const char *method, json_object *params, const int *fds,
			size_t n_fds, unsigned flags);
/*
 * Blocks until one reply arrives. On success *ret_params gets its parameters (never NULL),
 * *ret_error the error name or NULL, *ret_continues whether more replies follow; each may be
 * NULL when not wanted; with ret_error NULL an error reply is -EREMOTEIO. -ECONNRESET: the
 * server closed the connection; -EBADMSG: a malformed reply; -EMSGSIZE: one too long.
 */
int varlink_client_read(VarlinkClient *c, json_object **ret_params, char **ret_error,
			bool *ret_continues);
/* For poll(): the client never reads ahead of the reply it returns, so POLLIN on this fd
 * means a reply (or EOF) is waiting. */
int varlink_client_fd(const VarlinkClient *c);

static inline void varlink_server_freep(VarlinkServer **s)
{
	varlink_server_free(*s);
}
static inline void varlink_call_unrefp(VarlinkCall **c)
{
	varlink_call_unref(*c);
}
static inline void varlink_client_freep(VarlinkClient **c)
{
	varlink_client_free(*c);
}
#define _cleanup_varlink_server_ __attribute__((cleanup(varlink_server_freep)))
#define _cleanup_varlink_call_ __attribute__((cleanup(varlink_call_unrefp)))
#define _cleanup_varlink_client_ __attribute__((cleanup(varlink_client_freep)))

#endif
