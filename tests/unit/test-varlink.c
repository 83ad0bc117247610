/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/varlink*.c: calls and replies, streams, fds, org.varlink.service, parameter checks, peer
 * checks, bad bytes on the wire and per-uid limits, all over socketpairs and a socket in a
 * temporary dir. Peers of other uids come from children that switched uid (needs root). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "tap.h"
#include "varlink-echo.h"
#include "varlink.h"

static sd_event *event;
static int n_pings, n_disconnects, n_idle, n_peer_checks;
static bool peer_allow = true;
static pid_t peer_pid;
static VarlinkCall *later_call;
static int check_notify, check_reply_again, check_error_again, check_take_again, check_take_out;
static int big_enobufs;

static json_object *obj_int(const char *key, int64_t v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_int64(v));
	return o;
}

struct count_params {
	struct varlink_int count, size;
};

static int method_stream(VarlinkCall *call, void *params, void *userdata)
{
	int64_t n = ((const struct count_params *)params)->count.value;
	int r;

	if (!varlink_call_wants_more(call))
		return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
	for (int64_t i = 0; i < n - 1; i++) {
		r = varlink_call_notify(call, obj_int("i", i));
		if (r < 0)
			return r;
	}
	return varlink_call_reply(call, obj_int("i", n - 1));
}

/* Streams count strings of size bytes; a client that does not read makes it run out of room. */
static int method_big(VarlinkCall *call, void *params, void *userdata)
{
	const struct count_params *q = params;
	int64_t n = q->count.value;
	size_t size = (size_t)q->size.value;
	_cleanup_free_ char *s = malloc(size + 1);
	int r;

	if (!s)
		return -ENOMEM;
	memset(s, 'b', size);
	s[size] = '\0';
	for (int64_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "data", json_object_new_string(s));
		r = varlink_call_notify(call, o);
		if (r == -ENOBUFS) {
			big_enobufs++;
			return 0;
		}
		if (r < 0)
			return r;
	}
	return varlink_call_reply(call, NULL);
}

static int method_read_fd(VarlinkCall *call, void *params, void *userdata)
{
	_cleanup_close_ int fd = varlink_call_take_fd(call, 0);
	char buf[100];
	ssize_t n;

	if (fd < 0)
		return varlink_call_error_invalid_parameter(call, "fds");
	check_take_again = varlink_call_take_fd(call, 0);
	check_take_out = varlink_call_take_fd(call, 99);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	json_object *o = json_object_new_object();
	json_object_object_add(o, "data", json_object_new_string(buf));
	return varlink_call_reply(call, o);
}

static int method_count_fds(VarlinkCall *call, void *params, void *userdata)
{
	return varlink_call_reply(call, obj_int("n", varlink_call_n_fds(call)));
}

static void later_disconnected(VarlinkCall *call, void *userdata)
{
	n_disconnects++;
}

static int method_later(VarlinkCall *call, void *params, void *userdata)
{
	later_call = varlink_call_ref(call);
	varlink_call_set_disconnect_callback(call, later_disconnected, NULL);
	return 0;
}

static int method_fail(VarlinkCall *call, void *params, void *userdata)
{
	return -ENOENT;
}

static int method_drop(VarlinkCall *call, void *params, void *userdata)
{
	return 0;
}

static int method_ping(VarlinkCall *call, void *params, void *userdata)
{
	n_pings++;
	return varlink_call_reply(call, NULL);
}

static int method_sink(VarlinkCall *call, void *params, void *userdata)
{
	return varlink_call_reply(call, obj_int("length", (int64_t)strlen(*(const char **)params)));
}

/* The answering functions' edge cases, seen from inside a handler. */
static int method_check(VarlinkCall *call, void *params, void *userdata)
{
	const struct ucred *peer = varlink_call_peer(call);
	json_object *o = json_object_new_object();
	int r;

	check_notify = varlink_call_notify(call, json_object_new_object());
	json_object_object_add(o, "pid", json_object_new_int64(peer->pid));
	json_object_object_add(o, "uid", json_object_new_int64(peer->uid));
	json_object_object_add(o, "method", json_object_new_string(varlink_call_method(call)));
	r = varlink_call_reply(call, o);
	check_reply_again = varlink_call_reply(call, NULL);
	check_error_again = varlink_call_error(call, "x.y.Z", NULL);
	return r;
}

static const struct varlink_param stream_params[] = {
	VARLINK_PARAM(struct count_params, count, VARLINK_INT, true),
	{},
};
static const struct varlink_param big_params[] = {
	VARLINK_PARAM(struct count_params, count, VARLINK_INT, true),
	VARLINK_PARAM(struct count_params, size, VARLINK_INT, true),
	{},
};
struct sink_params {
	const char *data;
};
static const struct varlink_param sink_params[] = {
	VARLINK_PARAM(struct sink_params, data, VARLINK_STRING, true),
	{},
};

static const struct varlink_method test_methods[] = {
	VARLINK_METHOD("Echo", method_echo, echo_params, struct echo_params),
	VARLINK_METHOD("Stream", method_stream, stream_params, struct count_params),
	VARLINK_METHOD("Big", method_big, big_params, struct count_params),
	VARLINK_METHOD_NO_PARAMS("ReadFd", method_read_fd),
	VARLINK_METHOD_NO_PARAMS("CountFds", method_count_fds),
	VARLINK_METHOD_NO_PARAMS("Later", method_later),
	VARLINK_METHOD_NO_PARAMS("Fail", method_fail),
	VARLINK_METHOD_NO_PARAMS("Drop", method_drop),
	VARLINK_METHOD_NO_PARAMS("Ping", method_ping),
	VARLINK_METHOD("Sink", method_sink, sink_params, struct sink_params),
	VARLINK_METHOD_NO_PARAMS("Check", method_check),
	VARLINK_METHOD_NO_PARAMS("Unimplemented", NULL),
	{},
};

#define TEST_DESCRIPTION "interface io.rvisor.Test\n\nmethod Echo(text: string) -> (text: string)\n"

static const struct varlink_interface test_iface = {
	.vendor = "rvisor",
	.product = "test-varlink",
	.version = "1.0",
	.url = "https://example.org/rvisor",
	.name = "io.rvisor.Test",
	.description = TEST_DESCRIPTION,
	.methods = test_methods,
};

static bool peer_check(VarlinkServer *s, const struct ucred *peer, void *userdata)
{
	n_peer_checks++;
	peer_pid = peer->pid;
	return peer_allow;
}

static void on_idle(VarlinkServer *s, void *userdata)
{
	n_idle++;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

/* Runs the loop until it has nothing left to do. */
static void pump(void)
{
	for (int i = 0; i < 1000000 && sd_event_run(event, 0) > 0; i++)
		;
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* A connected client on a socketpair whose other end the server serves. */
static VarlinkClient *connect_pair(VarlinkServer *s)
{
	VarlinkClient *c = NULL;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	if (varlink_server_add_connection(s, sv[0]) < 0) {
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	if (varlink_client_new_from_fd(&c, sv[1]) < 0)
		close(sv[1]);
	return c;
}

/* A raw client socket whose other end the server serves. */
static int connect_pair_raw(VarlinkServer *s)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (varlink_server_add_connection(s, sv[0]) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	return sv[1];
}

/* Serves, then reads one reply; never blocks (-ETIMEDOUT when none came). */
static int read_reply(VarlinkClient *c, json_object **ret_params, char **ret_error, bool *ret_continues)
{
	pump();
	if (!readable(varlink_client_fd(c)))
		return -ETIMEDOUT;
	return varlink_client_read(c, ret_params, ret_error, ret_continues);
}

/* One call, one reply. params_json: the parameters as JSON text, or NULL. */
static int call1(VarlinkClient *c, const char *method, const char *params_json, unsigned flags,
		 json_object **ret_params, char **ret_error)
{
	json_object *p = params_json ? json_tokener_parse(params_json) : NULL;
	int r;

	if (params_json && !p)
		return -EBADMSG;
	r = varlink_client_call(c, method, p, NULL, 0, flags);
	json_object_put(p);
	if (r < 0)
		return r;
	return read_reply(c, ret_params, ret_error, NULL);
}

static const char *get_str(json_object *o, const char *key)
{
	return json_object_get_string(json_object_object_get(o, key));
}

static int64_t get_int(json_object *o, const char *key)
{
	return json_object_get_int64(json_object_object_get(o, key));
}

/* Expects method(params) to fail with error and, when field is set, {field: value}. */
static void expect_error(VarlinkClient *c, const char *method, const char *params, const char *error,
			 const char *field, const char *value, const char *name)
{
	json_object *p = NULL;
	char *e = NULL;
	int r = call1(c, method, params, 0, &p, &e);
	bool good = r == 0 && e && strcmp(e, error) == 0 &&
		    (!field || (get_str(p, field) && strcmp(get_str(p, field), value) == 0));

	if (!ok(good, name))
		printf("#   r=%d error=%s params=%s\n", r, e ? e : "(null)",
		       p ? json_object_to_json_string(p) : "(null)");
	json_object_put(p);
	free(e);
}

static unsigned n_failed;
static char failed_method[64];
static int failed_error;

static void on_failed(VarlinkServer *s, const char *method, uid_t uid, int error, void *userdata)
{
	n_failed++;
	snprintf(failed_method, sizeof(failed_method), "%s", method);
	failed_error = error;
}

static void test_roundtrip(VarlinkServer *s)
{
	_cleanup_varlink_client_ VarlinkClient *c = connect_pair(s);
	json_object *p = NULL;
	char *e = NULL;
	bool cont = true;
	int r, pfd[2];

	ok(c, "client connected over a socketpair");
	is_int(varlink_server_connections(s), 1, "one connection");

	r = call1(c, "io.rvisor.Test.Echo",
		  "{\"text\":\"héllo\",\"n\":-5,\"flag\":true,\"obj\":{\"a\":[1]},\"list\":[1,\"x\"],\"names\":[\"a\",\"b\"]}",
		  0, &p, &e);
	is_int(r, 0, "Echo answered");
	ok(!e, "Echo is no error");
	is_str(get_str(p, "text"), "héllo", "Echo returns the string");
	is_int(get_int(p, "n"), -5, "Echo returns the int");
	is_str(json_object_to_json_string_ext(json_object_object_get(p, "names"), JSON_C_TO_STRING_PLAIN),
	       "[\"a\",\"b\"]", "Echo returns the string array");
	ok(json_object_get_boolean(json_object_object_get(p, "flag")), "Echo returns the bool");
	is_str(json_object_to_json_string_ext(json_object_object_get(p, "obj"), JSON_C_TO_STRING_PLAIN),
	       "{\"a\":[1]}", "Echo returns the object");
	is_str(json_object_to_json_string_ext(json_object_object_get(p, "list"), JSON_C_TO_STRING_PLAIN),
	       "[1,\"x\"]", "Echo returns the array");
	json_object_put(p);
	p = NULL;

	r = call1(c, "io.rvisor.Test.Echo", "{\"text\":\"x\",\"n\":null}", 0, &p, &e);
	ok(r == 0 && !e, "null for an optional parameter is accepted");
	ok(p && !json_object_object_get_ex(p, "n", NULL) && !json_object_object_get_ex(p, "obj", NULL),
	   "a null or absent int and object reach the handler as not set");
	is_str(json_object_to_json_string_ext(json_object_object_get(p, "names"), JSON_C_TO_STRING_PLAIN),
	       "[]", "an absent string array reaches the handler as an empty vector");
	ok(!json_object_get_boolean(json_object_object_get(p, "flag")), "an absent bool is false");
	json_object_put(p);
	p = NULL;

	r = call1(c, "io.rvisor.Test.Echo", "{\"text\":\"x\",\"n\":0,\"flag\":true,\"names\":[\"k\"]}", 0, &p, &e);
	ok(r == 0 && !e && get_int(p, "n") == 0 && json_object_object_get_ex(p, "n", NULL),
	   "an int of 0 is set, told apart from an absent one");
	is_str(json_object_to_json_string_ext(json_object_object_get(p, "names"), JSON_C_TO_STRING_PLAIN),
	       "[\"k\"]", "a string array the handler took from its struct is not freed twice (ASan)");
	json_object_put(p);
	p = NULL;

	/* Streams. */
	expect_error(c, "io.rvisor.Test.Stream", "{}", VARLINK_ERROR_INVALID_PARAMETER, "parameter", "count",
		     "missing mandatory parameter: InvalidParameter");
	{
		json_object *params = obj_int("count", 5);
		int n = 0, last = -1;

		r = varlink_client_call(c, "io.rvisor.Test.Stream", params, NULL, 0, VARLINK_CALL_MORE);
		json_object_put(params);
		is_int(r, 0, "Stream called with more");
		pump();
		do {
			r = varlink_client_read(c, &p, &e, &cont);
			if (r < 0 || e)
				break;
			last = (int)get_int(p, "i");
			n++;
			json_object_put(p);
			p = NULL;
		} while (cont);
		is_int(n, 5, "Stream gave 5 replies");
		is_int(last, 4, "the last one is the final one");
		ok(!cont, "the final reply does not continue");
	}
	expect_error(c, "io.rvisor.Test.Stream", "{\"count\":2}", VARLINK_ERROR_EXPECTED_MORE, NULL, NULL,
		     "Stream without more: ExpectedMore");

	/* An fd travels with the call. */
	ok(pipe2(pfd, O_CLOEXEC) == 0 && write(pfd[1], "through a pipe", 14) == 14, "pipe ready");
	close(pfd[1]);
	r = varlink_client_call(c, "io.rvisor.Test.ReadFd", NULL, &pfd[0], 1, 0);
	close(pfd[0]);
	is_int(r, 0, "ReadFd sent with an fd");
	r = read_reply(c, &p, &e, &cont);
	ok(r == 0 && !e, "ReadFd answered");
	is_str(get_str(p, "data"), "through a pipe", "the handler read from the fd");
	is_int(check_take_again, -EBADF, "an fd is taken once");
	is_int(check_take_out, -EBADF, "an fd index out of range: -EBADF");
	json_object_put(p);
	p = NULL;
	expect_error(c, "io.rvisor.Test.ReadFd", NULL, VARLINK_ERROR_INVALID_PARAMETER, "parameter", "fds",
		     "ReadFd without an fd: the handler's InvalidParameter");
	{
		int fds[VARLINK_FDS_MAX];

		for (unsigned i = 0; i < VARLINK_FDS_MAX; i++)
			fds[i] = STDERR_FILENO;
		r = varlink_client_call(c, "io.rvisor.Test.CountFds", NULL, fds, VARLINK_FDS_MAX, 0);
		is_int(r, 0, "VARLINK_FDS_MAX fds sent");
		r = read_reply(c, &p, &e, NULL);
		is_int(get_int(p, "n"), VARLINK_FDS_MAX, "the call got all of them");
		json_object_put(p);
		p = NULL;
		r = call1(c, "io.rvisor.Test.CountFds", NULL, 0, &p, &e);
		is_int(get_int(p, "n"), 0, "the next call gets none of them");
		json_object_put(p);
		p = NULL;
		is_int(varlink_client_call(c, "io.rvisor.Test.CountFds", NULL, fds, VARLINK_FDS_MAX + 1, 0), -EINVAL,
		       "the client refuses to send one more");
	}

	/* Inside the handler. */
	r = call1(c, "io.rvisor.Test.Check", NULL, 0, &p, &e);
	ok(r == 0 && !e, "Check answered");
	is_int(get_int(p, "pid"), getpid(), "varlink_call_peer() has the client's pid");
	is_int(get_int(p, "uid"), getuid(), "varlink_call_peer() has the client's uid");
	is_str(get_str(p, "method"), "io.rvisor.Test.Check", "varlink_call_method()");
	is_int(check_notify, -EINVAL, "notify without more: -EINVAL");
	is_int(check_reply_again, -EALREADY, "a second reply: -EALREADY");
	is_int(check_error_again, -EALREADY, "an error after the reply: -EALREADY");
	json_object_put(p);
	p = NULL;

	n_failed = 0;
	expect_error(c, "io.rvisor.Test.Fail", NULL, VARLINK_ERROR_INTERNAL, NULL, NULL,
		     "a handler's -errno: InternalError");
	ok(n_failed == 1 && strcmp(failed_method, "io.rvisor.Test.Fail") == 0 && failed_error == -ENOENT,
	   "the failed callback ran once, with the method and its -errno, for the daemon to log");
	r = call1(c, "io.rvisor.Test.Fail", NULL, 0, &p, &e);
	is_int(get_int(p, "errno"), ENOENT, "InternalError carries the errno");
	json_object_put(p);
	p = NULL;
	free(e);
	e = NULL;
	n_failed = 0;
	expect_error(c, "io.rvisor.Test.Drop", NULL, VARLINK_ERROR_INTERNAL, NULL, NULL,
		     "a handler that drops its call: InternalError");
	ok(n_failed == 1 && strcmp(failed_method, "io.rvisor.Test.Drop") == 0 && failed_error == 0,
	   "the failed callback ran once for the dropped call, error 0");

	/* Oneway: no reply, and the next reply is the next call's. */
	n_pings = 0;
	r = varlink_client_call(c, "io.rvisor.Test.Ping", NULL, NULL, 0, VARLINK_CALL_ONEWAY);
	is_int(r, 0, "oneway call sent");
	pump();
	is_int(n_pings, 1, "the oneway call ran");
	ok(!readable(varlink_client_fd(c)), "and got no reply");
	r = call1(c, "io.rvisor.Test.Echo", "{\"text\":\"after\"}", 0, &p, &e);
	is_str(get_str(p, "text"), "after", "the next call gets its own reply");
	json_object_put(p);
	p = NULL;
	r = varlink_client_call(c, "io.rvisor.Test.Nope", NULL, NULL, 0, VARLINK_CALL_ONEWAY);
	pump();
	ok(!readable(varlink_client_fd(c)), "a oneway call to an unknown method gets no error either");
	is_int(varlink_client_call(c, "io.rvisor.Test.Ping", NULL, NULL, 0, VARLINK_CALL_ONEWAY | VARLINK_CALL_MORE),
	       -EINVAL, "the client refuses more with oneway");
	free(e);
}

static void test_service(VarlinkServer *s)
{
	_cleanup_varlink_client_ VarlinkClient *c = connect_pair(s);
	json_object *p = NULL, *ifs;
	char *e = NULL;
	int r;

	r = call1(c, "org.varlink.service.GetInfo", NULL, 0, &p, &e);
	ok(r == 0 && !e, "GetInfo answered");
	is_str(get_str(p, "vendor"), "rvisor", "GetInfo vendor");
	is_str(get_str(p, "product"), "test-varlink", "GetInfo product");
	is_str(get_str(p, "version"), "1.0", "GetInfo version");
	is_str(get_str(p, "url"), "https://example.org/rvisor", "GetInfo url");
	ifs = json_object_object_get(p, "interfaces");
	is_int(json_object_array_length(ifs), 2, "two interfaces");
	is_str(json_object_get_string(json_object_array_get_idx(ifs, 0)), "org.varlink.service", "the service one");
	is_str(json_object_get_string(json_object_array_get_idx(ifs, 1)), "io.rvisor.Test", "and ours");
	json_object_put(p);
	p = NULL;

	r = call1(c, "org.varlink.service.GetInterfaceDescription", "{\"interface\":\"io.rvisor.Test\"}", 0, &p, &e);
	ok(r == 0 && !e, "GetInterfaceDescription answered");
	is_str(get_str(p, "description"), TEST_DESCRIPTION, "our IDL text");
	json_object_put(p);
	p = NULL;
	r = call1(c, "org.varlink.service.GetInterfaceDescription", "{\"interface\":\"org.varlink.service\"}", 0, &p,
		  &e);
	ok(r == 0 && !e && strncmp(get_str(p, "description") ?: "", "interface org.varlink.service\n", 30) == 0,
	   "the service's own IDL text");
	json_object_put(p);
	p = NULL;
	expect_error(c, "org.varlink.service.GetInterfaceDescription", "{\"interface\":\"com.example.No\"}",
		     VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface", "com.example.No",
		     "GetInterfaceDescription of another interface: InterfaceNotFound");
	expect_error(c, "org.varlink.service.GetInterfaceDescription", NULL, VARLINK_ERROR_INVALID_PARAMETER,
		     "parameter", "interface", "GetInterfaceDescription without interface: InvalidParameter");
	expect_error(c, "org.varlink.service.GetInfo", "{\"x\":1}", VARLINK_ERROR_INVALID_PARAMETER, "parameter", "x",
		     "GetInfo with a parameter: InvalidParameter");

	expect_error(c, "io.rvisor.Test.Nope", NULL, VARLINK_ERROR_METHOD_NOT_FOUND, "method", "io.rvisor.Test.Nope",
		     "unknown method: MethodNotFound");
	expect_error(c, "org.varlink.service.Nope", NULL, VARLINK_ERROR_METHOD_NOT_FOUND, "method",
		     "org.varlink.service.Nope", "unknown service method: MethodNotFound");
	expect_error(c, "Nope", NULL, VARLINK_ERROR_METHOD_NOT_FOUND, "method", "Nope",
		     "unqualified method: MethodNotFound");
	expect_error(c, "io.rvisor.Test.", NULL, VARLINK_ERROR_METHOD_NOT_FOUND, "method", "io.rvisor.Test.",
		     "empty method name: MethodNotFound");
	expect_error(c, "com.example.Other.Run", NULL, VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface",
		     "com.example.Other", "unknown interface: InterfaceNotFound");
	expect_error(c, "io.rvisor.Test.Unimplemented", NULL, VARLINK_ERROR_METHOD_NOT_IMPLEMENTED, "method",
		     "io.rvisor.Test.Unimplemented", "method without handler: MethodNotImplemented");

	expect_error(c, "io.rvisor.Test.Echo", NULL, VARLINK_ERROR_INVALID_PARAMETER, "parameter", "text",
		     "missing mandatory parameter: InvalidParameter");
	expect_error(c, "io.rvisor.Test.Echo", "{\"text\":null}", VARLINK_ERROR_INVALID_PARAMETER, "parameter", "text",
		     "null mandatory parameter: InvalidParameter");
	expect_error(c, "io.rvisor.Test.Echo", "{\"text\":1}", VARLINK_ERROR_INVALID_PARAMETER, "parameter", "text",
		     "int for a string: InvalidParameter");
	expect_error(c, "io.rvisor.Test.Echo", "{\"text\":\"a\",\"n\":1.5}", VARLINK_ERROR_INVALID_PARAMETER,
		     "parameter", "n", "double for an int: InvalidParameter");
	expect_error(c, "io.rvisor.Test.Echo", "{\"text\":\"a\",\"flag\":1}", VARLINK_ERROR_INVALID_PARAMETER,
		     "parameter", "flag", "int for a bool: InvalidParameter");
	expect_error(c, "io.rvisor.Test.Echo", "{\"text\":\"a\",\"obj\":[]}", VARLINK_ERROR_INVALID_PARAMETER,
		     "parameter", "obj", "array for an object: InvalidParameter");
	expect_error(c, "io.rvisor.Test.Echo", "{\"text\":\"a\",\"list\":{}}", VARLINK_ERROR_INVALID_PARAMETER,
		     "parameter", "list", "object for an array: InvalidParameter");
	expect_error(c, "io.rvisor.Test.Echo", "{\"text\":\"a\",\"names\":[\"x\",2]}", VARLINK_ERROR_INVALID_PARAMETER,
		     "parameter", "names", "a number in a string array: InvalidParameter");
	expect_error(c, "io.rvisor.Test.Echo", "{\"text\":\"a\\u0000b\"}", VARLINK_ERROR_INVALID_PARAMETER,
		     "parameter", "text", "a string with an embedded NUL: InvalidParameter");
	expect_error(c, "io.rvisor.Test.Echo", "{\"text\":\"a\",\"bogus\":true}", VARLINK_ERROR_INVALID_PARAMETER,
		     "parameter", "bogus", "unknown parameter: InvalidParameter");
	expect_error(c, "io.rvisor.Test.Ping", "{\"x\":1}", VARLINK_ERROR_INVALID_PARAMETER, "parameter", "x",
		     "a parameter for a method that takes none: InvalidParameter");
	free(e);
}

static void test_later(VarlinkServer *s)
{
	VarlinkClient *c = connect_pair(s);
	json_object *p = NULL;
	char *e = NULL;
	bool cont = false;
	int r;

	/* A call answered later holds back the calls behind it. */
	n_disconnects = 0;
	r = varlink_client_call(c, "io.rvisor.Test.Later", NULL, NULL, 0, VARLINK_CALL_MORE);
	r |= varlink_client_call(c, "io.rvisor.Test.Echo", NULL, NULL, 0, 0);
	is_int(r, 0, "Later and Echo sent");
	pump();
	ok(later_call, "Later's handler kept its call");
	ok(!readable(varlink_client_fd(c)), "no answer yet, not even Echo's");
	is_int(varlink_call_notify(later_call, obj_int("state", 1)), 0, "notify later");
	r = read_reply(c, &p, &e, &cont);
	ok(r == 0 && !e && cont && get_int(p, "state") == 1, "the client gets the continues reply");
	json_object_put(p);
	p = NULL;
	is_int(varlink_call_reply(later_call, obj_int("state", 2)), 0, "reply later");
	r = varlink_client_read(c, &p, &e, &cont);
	ok(r == 0 && !e && !cont && get_int(p, "state") == 2, "the client gets the final reply");
	json_object_put(p);
	p = NULL;
	r = read_reply(c, &p, &e, &cont);
	ok(r == 0 && e && strcmp(e, VARLINK_ERROR_INVALID_PARAMETER) == 0,
	   "then the call behind it is served (Echo without text)");
	json_object_put(p);
	p = NULL;
	free(e);
	e = NULL;
	later_call = varlink_call_unref(later_call);
	is_int(n_disconnects, 0, "no disconnect callback for an answered call");

	/* The client goes away while the call waits. */
	r = varlink_client_call(c, "io.rvisor.Test.Later", NULL, NULL, 0, VARLINK_CALL_MORE);
	pump();
	ok(later_call, "Later pending again");
	n_idle = 0;
	c = varlink_client_free(c);
	pump();
	is_int(n_disconnects, 1, "the disconnect callback ran when the client went away");
	is_int(varlink_call_notify(later_call, NULL), -ENOTCONN, "notify after disconnect: -ENOTCONN");
	is_int(varlink_call_reply(later_call, NULL), -ENOTCONN, "reply after disconnect: -ENOTCONN");
	later_call = varlink_call_unref(later_call);
	is_int(varlink_server_connections(s), 0, "the connection is gone");
	is_int(n_idle, 1, "the idle callback ran");

	/* A oneway call followed at once by close() is still served. */
	c = connect_pair(s);
	n_pings = 0;
	varlink_client_call(c, "io.rvisor.Test.Ping", NULL, NULL, 0, VARLINK_CALL_ONEWAY);
	c = varlink_client_free(c);
	pump();
	is_int(n_pings, 1, "a oneway call before close() runs");
	is_int(varlink_server_connections(s), 0, "and the connection closes");

	/* The server goes away while the call waits. */
	{
		VarlinkServer *s2 = NULL;

		n_disconnects = 0;
		varlink_server_new(&s2, event, &test_iface, NULL);
		c = connect_pair(s2);
		varlink_client_call(c, "io.rvisor.Test.Later", NULL, NULL, 0, 0);
		pump();
		ok(later_call, "Later pending on a second server");
		varlink_server_free(s2);
		is_int(n_disconnects, 1, "freeing the server fires the disconnect callback");
		is_int(varlink_call_reply(later_call, NULL), -ENOTCONN, "reply after the server went: -ENOTCONN");
		later_call = varlink_call_unref(later_call);
		is_int(varlink_client_read(c, NULL, NULL, NULL), -ECONNRESET, "the client sees -ECONNRESET");
		c = varlink_client_free(c);
	}
}

static void test_peer_check(VarlinkServer *s)
{
	_cleanup_varlink_client_ VarlinkClient *c1 = NULL, *c2 = NULL;

	is_int(varlink_server_set_peer_check(s, peer_check, NULL, NULL), -EINVAL, "a peer check needs an error name");
	is_int(varlink_server_set_peer_check(s, peer_check, "io.rvisor.Test.PermissionDenied", NULL), 0,
	       "peer check set");
	peer_allow = false;
	n_peer_checks = 0;
	c1 = connect_pair(s);
	is_int(n_peer_checks, 1, "the peer check ran once for the connection");
	is_int(peer_pid, getpid(), "with the peer's credentials");
	expect_error(c1, "io.rvisor.Test.Ping", NULL, "io.rvisor.Test.PermissionDenied", NULL, NULL,
		     "a refused peer's call fails");
	expect_error(c1, "org.varlink.service.GetInfo", NULL, "io.rvisor.Test.PermissionDenied", NULL, NULL,
		     "every call, GetInfo too");
	expect_error(c1, "io.rvisor.Test.Nope", NULL, "io.rvisor.Test.PermissionDenied", NULL, NULL,
		     "and unknown ones: nothing is revealed");
	peer_allow = true;
	c2 = connect_pair(s);
	expect_error(c1, "io.rvisor.Test.Ping", NULL, "io.rvisor.Test.PermissionDenied", NULL, NULL,
		     "the verdict stays with its connection");
	{
		json_object *p = NULL;
		char *e = NULL;

		ok(call1(c2, "io.rvisor.Test.Ping", NULL, 0, &p, &e) == 0 && !e, "an allowed peer is served");
		json_object_put(p);
	}
	is_int(n_peer_checks, 2, "one check per connection");
	varlink_server_set_peer_check(s, NULL, NULL, NULL);
}

/* What came back on a raw connection, and is it closed? */
struct raw_result {
	char *error;  /* the first reply's error, if any */
	char *reason; /* its "reason" (ProtocolError), if any */
	bool closed;  /* the server closed the connection */
	size_t n_replies;
	int64_t first_n; /* the first reply's "n" (CountFds), -1 if none */
};

static void raw_result_done(struct raw_result *res)
{
	free(res->error);
	free(res->reason);
	res->error = res->reason = NULL;
}

/* Sends data on a raw client socket, fds (if any) with its first bytes, serving meanwhile.
 * Returns how much went out: less when the server hung up or stopped reading. */
static size_t send_raw(int fd, const void *data, size_t len, const int *fds, size_t n_fds)
{
	size_t sent = 0;
	bool stuck = false;

	while (sent < len) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int) * 256)];
		} control;
		struct iovec iov = { .iov_base = (char *)(uintptr_t)data + sent, .iov_len = len - sent };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

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
		n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			if (stuck)
				break; /* serving made no room: the server does not read */
			pump();
			stuck = true;
			continue;
		}
		if (n < 0)
			break; /* the server hung up on us */
		sent += (size_t)n;
		stuck = false;
	}
	pump();
	return sent;
}

/* Serves, then reads all that came back on a raw client socket. */
static void raw_collect(int fd, struct raw_result *res)
{
	_cleanup_free_ char *buf = NULL;
	size_t got = 0, alloc = 0;

	memset(res, 0, sizeof(*res));
	res->first_n = -1;
	for (;;) {
		ssize_t n;

		pump();
		if (got + 4096 > alloc) {
			alloc = alloc * 2 + 4096;
			buf = realloc(buf, alloc);
		}
		n = recv(fd, buf + got, alloc - got - 1, MSG_DONTWAIT);
		/* A server that closes with our bytes unread makes the kernel say ECONNRESET. */
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			res->closed = true;
			break;
		}
		if (n < 0)
			break;
		got += (size_t)n;
	}
	for (size_t i = 0; i < got; i++)
		if (buf[i] == '\0')
			res->n_replies++;
	if (got > 0 && memchr(buf, 0, got)) {
		json_object *m = json_tokener_parse(buf);
		json_object *p = json_object_object_get(m, "parameters");
		const char *e = get_str(m, "error"), *reason = get_str(p, "reason");

		res->error = e ? strdup(e) : NULL;
		res->reason = reason ? strdup(reason) : NULL;
		if (json_object_object_get_ex(p, "n", NULL))
			res->first_n = get_int(p, "n");
		json_object_put(m);
	}
}

/* A fresh connection gets raw bytes (and fds); what comes back, and is it closed? */
static void raw_exchange(VarlinkServer *s, const void *data, size_t len, const int *fds, size_t n_fds, bool shut,
			 struct raw_result *res)
{
	int sv[2];

	memset(res, 0, sizeof(*res));
	res->first_n = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	if (varlink_server_add_connection(s, sv[0]) < 0) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	send_raw(sv[1], data, len, fds, n_fds);
	if (shut)
		shutdown(sv[1], SHUT_WR);
	raw_collect(sv[1], res);
	close(sv[1]);
	pump();
}

static void raw_case(VarlinkServer *s, const char *data, size_t len, bool shut, const char *want_error,
		     bool want_closed, const char *name)
{
	struct raw_result res;
	unsigned before = varlink_server_connections(s);
	bool good;

	raw_exchange(s, data, len, NULL, 0, shut, &res);
	good = (want_error ? res.error && strcmp(res.error, want_error) == 0 : !res.error) &&
	       res.closed == want_closed && varlink_server_connections(s) == before;
	if (!ok(good, name))
		printf("#   error=%s closed=%d replies=%zu\n", res.error ?: "(none)", res.closed, res.n_replies);
	raw_result_done(&res);
}

/* A string literal and its length, NULs inside included. */
#define S(lit) (lit), (sizeof(lit) - 1)
#define RAW(s, lit, shut, err, closed, name) raw_case(s, S(lit), shut, err, closed, name)

static void test_bad_input(VarlinkServer *s)
{
	struct raw_result res;
	char *big;
	size_t len;
	int fds[253], nullfd;

	RAW(s, "{\"method\":\0", false, VARLINK_ERROR_PROTOCOL, true, "malformed JSON: ProtocolError, closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\"}x\0", false, VARLINK_ERROR_PROTOCOL, true,
	    "trailing garbage: ProtocolError, closed");
	RAW(s, "[1,2]\0", false, VARLINK_ERROR_PROTOCOL, true, "an array: ProtocolError, closed");
	RAW(s, "\"io.rvisor.Test.Ping\"\0", false, VARLINK_ERROR_PROTOCOL, true, "a string: ProtocolError, closed");
	RAW(s, "\0", false, VARLINK_ERROR_PROTOCOL, true, "an empty message: ProtocolError, closed");
	RAW(s, "{}\0", false, VARLINK_ERROR_PROTOCOL, true, "no method: ProtocolError, closed");
	RAW(s, "{\"method\":42}\0", false, VARLINK_ERROR_PROTOCOL, true, "method not a string: ProtocolError, closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\",\"parameters\":[]}\0", false, VARLINK_ERROR_PROTOCOL, true,
	    "parameters not an object: ProtocolError, closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\",\"more\":1}\0", false, VARLINK_ERROR_PROTOCOL, true,
	    "more not a boolean: ProtocolError, closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\",\"parameters\":null}\0", false, NULL, false,
	    "parameters null: a call without parameters, answered");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\",\"parameters\":null,\"more\":null,\"oneway\":null}\0",
	    false, NULL, false, "more and oneway null: absent, answered");
	RAW(s, "{\"method\":null}\0", false, VARLINK_ERROR_PROTOCOL, true, "method null: ProtocolError, closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\",\"bogus\":1}\0", false, VARLINK_ERROR_PROTOCOL, true,
	    "unknown top-level field: ProtocolError, closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\",\"more\":true,\"oneway\":true}\0", false, VARLINK_ERROR_PROTOCOL,
	    true, "more and oneway: ProtocolError, closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\"}\0{\"method\":\"io.rvi\0sor.Test.Ping\"}\0", false,
	    NULL, true, "embedded NUL: the first call is served, then the broken rest closes it");
	RAW(s, "{\"method\":\"io.rvi\0sor.Test.Ping\"}\0", false, VARLINK_ERROR_PROTOCOL, true,
	    "embedded NUL: ProtocolError, closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\"}", true, VARLINK_ERROR_PROTOCOL, true,
	    "no NUL before EOF: ProtocolError, closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\"}\0", true, NULL, true,
	    "a call then EOF: answered, then closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Ping\"}\0", false, NULL, false, "a call: answered, left open");
	RAW(s, "\xff\xfe{\0", false, VARLINK_ERROR_PROTOCOL, true, "binary junk: ProtocolError, closed");
	RAW(s, "{\"method\":\"io.rvisor.Test.Echo\",\"parameters\":{\"text\":\"\xc3\x28\"}}\0", false,
	    VARLINK_ERROR_PROTOCOL, true, "invalid UTF-8: ProtocolError, closed");

	/* The same first message answered twice: both replies came before the close. */
	raw_exchange(s, S("{\"method\":\"io.rvisor.Test.Ping\"}\0{\"method\":\"io.rvisor.Test.Ping\"}\0x"), NULL, 0,
		     true, &res);
	ok(res.n_replies == 3 && res.closed, "pipelined calls answered in order, then the unterminated tail refused");
	raw_result_done(&res);

	/* Just over the limit, and exactly at it. */
	len = VARLINK_MESSAGE_MAX + 1;
	big = malloc(len + 1);
	memset(big, 'a', len);
	memcpy(big, S("{\"method\":\"io.rvisor.Test.Sink\",\"parameters\":{\"data\":\""));
	memcpy(big + len - 3, "\"}}", 3);
	big[len] = '\0';
	raw_exchange(s, big, len + 1, NULL, 0, false, &res);
	ok(res.error && strcmp(res.error, VARLINK_ERROR_PROTOCOL) == 0 && res.closed,
	   "a message of 16 MiB + 1 byte: ProtocolError, closed");
	is_str(res.reason, "Message longer than 16 MiB", "the reason names the limit");
	raw_result_done(&res);
	is_int(varlink_server_connections(s), 0, "nothing left of it");
	memcpy(big + len - 4, "\"}}", 4);
	raw_exchange(s, big, len, NULL, 0, false, &res);
	ok(!res.error && !res.closed && res.n_replies == 1, "a message of exactly 16 MiB is served");
	raw_result_done(&res);
	free(big);
	{
		_cleanup_varlink_client_ VarlinkClient *c = connect_pair(s);
		json_object *p = NULL;
		char *e = NULL;

		ok(call1(c, "org.varlink.service.GetInfo", NULL, 0, &p, &e) == 0 && !e,
		   "the server survives and serves a new connection");
		json_object_put(p);
	}

	/* Too many fds: the call fails, the fds are closed, the connection stays. */
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		fds[i] = nullfd;
	raw_exchange(s, S("{\"method\":\"io.rvisor.Test.CountFds\"}\0"), fds, VARLINK_FDS_MAX + 1, false, &res);
	ok(res.error && strcmp(res.error, VARLINK_ERROR_INVALID_PARAMETER) == 0 && !res.closed,
	   "VARLINK_FDS_MAX + 1 fds: InvalidParameter, connection kept");
	raw_result_done(&res);
	raw_exchange(s, S("{\"method\":\"io.rvisor.Test.CountFds\"}\0"), fds, 253, false, &res);
	ok(res.error && strcmp(res.error, VARLINK_ERROR_INVALID_PARAMETER) == 0 && !res.closed,
	   "253 fds: InvalidParameter, connection kept");
	raw_result_done(&res);
	raw_exchange(s, S("{\"method\":\"io.rvisor.Test.CountFds\"}\0{\"method\":\"io.rvisor.Test.Ping\"}\0"), fds, 3,
		     false, &res);
	ok(res.n_replies == 2 && !res.error && res.first_n == 0,
	   "fds sent with several messages at once go to the last one");
	raw_result_done(&res);
	close(nullfd);

	/* A client that does not read: buffered up to the cap, then dropped; others go on. */
	{
		VarlinkClient *slow = connect_pair(s), *other = connect_pair(s);
		json_object *p = NULL, *params = json_tokener_parse("{\"count\":24,\"size\":1048576}");
		char *e = NULL;

		big_enobufs = 0;
		varlink_client_call(slow, "io.rvisor.Test.Big", params, NULL, 0, VARLINK_CALL_MORE);
		pump();
		is_int(varlink_server_connections(s), 2, "24 MiB unread: still connected");
		ok(call1(other, "io.rvisor.Test.Echo", "{\"text\":\"x\"}", 0, &p, &e) == 0 && !e,
		   "another client is served meanwhile");
		json_object_put(p);
		json_object_put(params);
		params = json_tokener_parse("{\"count\":48,\"size\":1048576}");
		varlink_client_call(slow, "io.rvisor.Test.Big", params, NULL, 0, VARLINK_CALL_MORE);
		json_object_put(params);
		pump();
		is_int(big_enobufs, 1, "past 64 MiB unread, notify fails with -ENOBUFS");
		is_int(varlink_server_connections(s), 1, "and the slow client is dropped");
		p = NULL;
		ok(call1(other, "io.rvisor.Test.Echo", "{\"text\":\"y\"}", 0, &p, &e) == 0 && !e,
		   "the other client is still served");
		json_object_put(p);
		varlink_client_free(slow);
		varlink_client_free(other);
		pump();
	}
}

static void test_listen(void)
{
	_cleanup_varlink_server_ VarlinkServer *s = NULL, *s2 = NULL;
	char dir[] = "/tmp/test-varlink-XXXXXX", path[64], file[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	VarlinkClient *c = NULL;
	json_object *p = NULL;
	struct stat st;
	char *e = NULL;
	int fd;

	if (!ok(mkdtemp(dir), "temporary directory"))
		return;
	snprintf(path, sizeof(path), "%s/sock", dir);
	snprintf(file, sizeof(file), "%s/file", dir);

	/* A stale socket: bound, never served, its server gone. */
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "stale socket left behind");
	close(fd);

	varlink_server_new(&s, event, &test_iface, NULL);
	is_int(varlink_server_listen_address(s, path, 0600), 0, "listen replaces the stale socket");
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0600, "the socket has mode 0600");
	varlink_server_new(&s2, event, &test_iface, NULL);
	is_int(varlink_server_listen_address(s2, path, 0600), -EADDRINUSE, "a live socket is not replaced");
	close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	is_int(varlink_server_listen_address(s2, file, 0600), -EADDRINUSE, "a regular file is not replaced");
	{
		int pfd[2];

		ok(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
		is_int(varlink_server_listen_fd(s2, pfd[0]), -ENOTSOCK, "listen_fd wants a socket");
		close(pfd[0]);
		close(pfd[1]);
	}

	is_int(varlink_client_connect(&c, "/nonexistent/socket"), -ENOENT, "connect to nothing: -ENOENT");
	{
		char addr[80];

		snprintf(addr, sizeof(addr), "unix:%s", path);
		is_int(varlink_client_connect(&c, addr), 0, "connect to unix:PATH");
	}
	ok(call1(c, "org.varlink.service.GetInfo", NULL, 0, &p, &e) == 0 && !e, "served through the listening socket");
	is_int(varlink_server_connections(s), 1, "accepted one connection");
	json_object_put(p);
	c = varlink_client_free(c);
	pump();
	is_int(varlink_server_connections(s), 0, "and it closed");
	unlink(path);
	unlink(file);
	rmdir(dir);
}

static void test_client_bad_replies(void)
{
	static const struct {
		const char *data;
		size_t len;
		int want;
		const char *name;
	} cases[] = {
		{ S("garbage\0"), -EBADMSG, "a malformed reply: -EBADMSG" },
		{ S("[]\0"), -EBADMSG, "a reply that is no object: -EBADMSG" },
		{ S("{\"parameters\":1}\0"), -EBADMSG, "parameters not an object: -EBADMSG" },
		{ S("{\"error\":1}\0"), -EBADMSG, "error not a string: -EBADMSG" },
		{ S("{\"continues\":\"yes\"}\0"), -EBADMSG, "continues not a boolean: -EBADMSG" },
		{ S("{\"error\":\"a.b.C\"}\0"), -EREMOTEIO, "an error nobody asked for: -EREMOTEIO" },
		{ S("{\"parameters\":{}"), -ECONNRESET, "half a reply, then EOF: -ECONNRESET" },
		{ S(""), -ECONNRESET, "EOF: -ECONNRESET" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		VarlinkClient *c = NULL;
		json_object *p = NULL;
		int sv[2];

		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
		varlink_client_new_from_fd(&c, sv[0]);
		if (cases[i].len)
			(void)!write(sv[1], cases[i].data, cases[i].len);
		close(sv[1]);
		p = (json_object *)(uintptr_t)1;
		is_int(varlink_client_read(c, &p, NULL, NULL), cases[i].want, cases[i].name);
		ok(p == (json_object *)(uintptr_t)1, "output untouched on failure");
		varlink_client_free(c);
	}
	{
		VarlinkClient *c = NULL;
		json_object *p = NULL;
		char *e = NULL;
		bool cont = true;
		int sv[2];

		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
		varlink_client_new_from_fd(&c, sv[0]);
		(void)!write(sv[1], S("{\"error\":\"a.b.C\",\"parameters\":{\"x\":1},\"future\":0}\0{}\0"));
		is_int(varlink_client_read(c, &p, &e, &cont), 0, "an error reply");
		is_str(e, "a.b.C", "its name");
		ok(get_int(p, "x") == 1 && !cont, "its parameters; unknown fields ignored");
		ok(readable(varlink_client_fd(c)), "the next reply is still in the socket for poll()");
		json_object_put(p);
		free(e);
		is_int(varlink_client_read(c, &p, &e, NULL), 0, "a reply without parameters");
		ok(p && json_object_object_length(p) == 0 && !e, "reads as {}");
		json_object_put(p);
		close(sv[1]);
		varlink_client_free(c);
	}
}

/* Peers of other uids: what SO_PEERCRED reports is fixed when a socket is connected (or a
 * socketpair made), so a child that switched uid makes the sockets and hands them back. */
#define UID_X 65534U
#define UID_Y 65533U

static unsigned n_refused_calls;
static uid_t refused_uid;
static char refused_reason[64];

static void on_refused(VarlinkServer *s, uid_t uid, const char *reason, void *userdata)
{
	n_refused_calls++;
	refused_uid = uid;
	snprintf(refused_reason, sizeof(refused_reason), "%s", reason);
}

/* A child becomes uid and makes a socketpair (path NULL: ret[0], ret[1]) or a socket connected
 * to path (ret[0] only), which it passes back. 0 or -errno. */
static int sockets_as(uid_t uid, const char *path, int *ret)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 2)];
	} control;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
			     .msg_controllen = sizeof(control) };
	struct cmsghdr *cm;
	int xfer[2], status, n = path ? 1 : 2;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, xfer) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(xfer[0]);
		close(xfer[1]);
		return -errno;
	}
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fds[2];

		if (setresuid(uid, uid, uid) < 0)
			_exit(1);
		if (path) {
			snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
			fds[0] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&sa, sizeof(sa)) < 0)
				_exit(1);
		} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
			_exit(1);
		memset(&control, 0, sizeof(control));
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
		byte = 'x';
		_exit(sendmsg(xfer[1], &mh, MSG_NOSIGNAL) == 1 ? 0 : 1);
	}
	close(xfer[1]);
	n = (int)recvmsg(xfer[0], &mh, MSG_CMSG_CLOEXEC);
	close(xfer[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || n != 1)
		return -ECHILD;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int) * (path ? 1U : 2U)))
		return -EBADMSG;
	memcpy(ret, CMSG_DATA(cm), sizeof(int) * (path ? 1U : 2U));
	return 0;
}

/* A connection of uid's: the server serves one end of a socketpair uid made, the other end is
 * returned. -errno, -EDQUOT: refused. */
static int pair_as(VarlinkServer *s, uid_t uid)
{
	int sv[2], r;

	r = sockets_as(uid, NULL, sv);
	if (r < 0)
		return r;
	r = varlink_server_add_connection(s, sv[0]);
	if (r < 0) {
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	return sv[1];
}

/* Sends one call without waiting for its answer. */
static int send_call(VarlinkClient *c, const char *method, const char *params_json, unsigned flags)
{
	json_object *p = json_tokener_parse(params_json);
	int r = varlink_client_call(c, method, p, NULL, 0, flags);

	json_object_put(p);
	return r;
}

static VarlinkClient *client_from_fd(int fd)
{
	VarlinkClient *c = NULL;

	if (fd >= 0 && varlink_client_new_from_fd(&c, fd) < 0)
		close(fd);
	return c;
}

/* What uid holds now; connections -1 when it holds nothing. */
static struct varlink_server_usage usage_of(VarlinkServer *s, uid_t uid)
{
	struct varlink_server_usage u = {};

	if (varlink_server_usage(s, uid, &u) < 0)
		u.connections = (unsigned)-1;
	return u;
}

/* The server closed a raw client socket (after what it had to say). */
static bool hung_up(int fd)
{
	char buf[4096];
	ssize_t n;

	pump();
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

static bool get_info_ok(VarlinkClient *c)
{
	json_object *p = NULL;
	char *e = NULL;
	bool good = c && call1(c, "org.varlink.service.GetInfo", NULL, 0, &p, &e) == 0 && !e &&
		    strcmp(get_str(p, "product") ?: "", "test-varlink") == 0;

	json_object_put(p);
	free(e);
	return good;
}

static void test_limits_api(void)
{
	_cleanup_varlink_server_ VarlinkServer *s = NULL;
	struct varlink_server_usage u;

	varlink_server_new(&s, event, &test_iface, NULL);
	is_int(varlink_server_set_limits(s, NULL), -EINVAL, "set_limits(NULL): -EINVAL");
	is_int(varlink_server_set_limits(s, &(struct varlink_server_limits){ .message_max = VARLINK_MESSAGE_MAX + 1 }),
	       -EINVAL, "message_max may not raise the maximum: -EINVAL");
	is_int(varlink_server_set_limits(s, &(struct varlink_server_limits){ .message_max = VARLINK_MESSAGE_MAX }), 0,
	       "message_max at the maximum is fine");
	is_int(varlink_server_set_limits(s, &(struct varlink_server_limits){}), 0, "all zero: no limits");
	is_int(varlink_server_refused(s), 0, "nothing refused yet");
	is_int(varlink_server_usage(s, UID_X, &u), -ENOENT, "usage of a uid without connections: -ENOENT");
	is_int(varlink_server_usage(s, UID_X, NULL), -EINVAL, "usage without ret: -EINVAL");
}

/* connections_per_uid, through a listening socket in a directory everybody may enter. */
static void test_limits_connections(void)
{
	_cleanup_varlink_server_ VarlinkServer *s = NULL;
	char dir[] = "/tmp/test-varlink-XXXXXX", path[64];
	int x[4] = { -1, -1, -1, -1 }, y = -1, sv[2];
	VarlinkClient *root[3] = {}, *cy = NULL;
	unsigned checks;

	if (!ok(mkdtemp(dir) && chmod(dir, 0755) == 0, "directory for the socket"))
		return;
	snprintf(path, sizeof(path), "%s/sock", dir);
	varlink_server_new(&s, event, &test_iface, NULL);
	varlink_server_set_limits(s, &(struct varlink_server_limits){ .connections_per_uid = 2 });
	varlink_server_set_refused_callback(s, on_refused, NULL);
	varlink_server_set_peer_check(s, peer_check, "io.rvisor.Test.PermissionDenied", NULL);
	peer_allow = true;
	n_peer_checks = 0;
	n_refused_calls = 0;
	is_int(varlink_server_listen_address(s, path, 0666), 0, "listening");

	for (int i = 0; i < 2; i++)
		sockets_as(UID_X, path, &x[i]);
	pump();
	is_int(varlink_server_connections(s), 2, "uid X: two connections accepted");
	is_int(usage_of(s, UID_X).connections, 2, "usage: X has 2 connections");
	checks = (unsigned)n_peer_checks;
	sockets_as(UID_X, path, &x[2]);
	pump();
	is_int(varlink_server_connections(s), 2, "X's third connection is not kept");
	ok(x[2] >= 0 && hung_up(x[2]), "it is closed at once");
	is_int(varlink_server_refused(s), 1, "varlink_server_refused() counts it");
	is_int(n_refused_calls, 1, "the refused callback ran once");
	is_int(refused_uid, UID_X, "with X's uid");
	is_str(refused_reason, "too many connections", "and the reason");
	is_int(n_peer_checks, checks, "no other callback ran for it (not even the peer check)");

	/* Accepting goes on for everybody else: pump() does not wait a second for a retry. */
	sockets_as(UID_Y, path, &y);
	cy = client_from_fd(y);
	ok(get_info_ok(cy), "another uid still connects and is served");
	for (int i = 0; i < 3; i++)
		varlink_client_connect(&root[i], path);
	ok(get_info_ok(root[2]), "root's third connection is served: root is exempt");
	is_int(varlink_server_connections(s), 6, "2 of X, 1 of Y, 3 of root");
	is_int(varlink_server_refused(s), 1, "nothing else refused");

	/* varlink_server_add_connection() refuses the same way, leaving the fd to its caller. */
	if (sockets_as(UID_X, NULL, sv) == 0) {
		is_int(varlink_server_add_connection(s, sv[0]), -EDQUOT, "add_connection over the limit: -EDQUOT");
		ok(fcntl(sv[0], F_GETFD) >= 0, "the fd is still ours");
		close(sv[0]);
		close(sv[1]);
	}
	is_int(varlink_server_refused(s), 2, "counted too");

	/* One of X's closes: X may connect again. */
	close(x[0]);
	pump();
	sockets_as(UID_X, path, &x[3]);
	pump();
	is_int(usage_of(s, UID_X).connections, 2, "after one of X's closed, a new one is accepted");
	ok(!hung_up(x[3]), "and stays open");
	close(x[1]);
	close(x[2]);
	close(x[3]);
	varlink_client_free(cy);
	for (int i = 0; i < 3; i++)
		varlink_client_free(root[i]);
	pump();
	is_int(varlink_server_connections(s), 0, "all closed");
	is_int(varlink_server_usage(s, UID_X, &(struct varlink_server_usage){}), -ENOENT, "X's entry is gone");
	is_int(varlink_server_usage(s, 0, &(struct varlink_server_usage){}), -ENOENT, "root's too");
	unlink(path);
	rmdir(dir);
}

/* A message of size bytes for Sink, unterminated when size is odd (its NUL missing). */
static char *sink_message(size_t size)
{
	char *m = malloc(size);

	memset(m, 'a', size);
	memcpy(m, S("{\"method\":\"io.rvisor.Test.Sink\",\"parameters\":{\"data\":\""));
	memcpy(m + size - 4, "\"}}", 4);
	return m;
}

/* bytes_per_uid: in and out. */
static void test_limits_bytes(void)
{
	_cleanup_varlink_server_ VarlinkServer *s = NULL;
	_cleanup_free_ char *big = NULL;
	struct varlink_server_usage u;
	struct raw_result res;
	VarlinkClient *xa, *cy;
	json_object *p = NULL;
	char *e = NULL;
	int xb;
	size_t sent;

	varlink_server_new(&s, event, &test_iface, NULL);
	varlink_server_set_limits(s, &(struct varlink_server_limits){ .bytes_per_uid = 1024 * 1024 });
	varlink_server_set_refused_callback(s, on_refused, NULL);
	n_refused_calls = 0;
	xa = client_from_fd(pair_as(s, UID_X));
	xb = pair_as(s, UID_X);
	cy = client_from_fd(pair_as(s, UID_Y));
	ok(xa && xb >= 0 && cy, "X has two connections, Y one");
	u = usage_of(s, UID_X);
	ok(u.connections == 2 && u.bytes == 0 && u.fds == 0, "X holds no buffers yet");

	/* 2 MiB without its NUL, in two steps: under 1 MiB is buffered, more drops it. */
	big = malloc(2 * 1024 * 1024);
	memset(big, 'a', 2 * 1024 * 1024);
	memcpy(big, S("{\"method\":\"io.rvisor.Test.Sink\",\"parameters\":{\"data\":\""));
	sent = send_raw(xb, big, 600 * 1024, NULL, 0);
	u = usage_of(s, UID_X);
	ok(sent == 600 * 1024 && u.bytes >= 600 * 1024 && u.bytes <= 1024 * 1024,
	   "600 KiB half-sent: X's buffers are accounted, within the limit");
	if (!ok(!hung_up(xb), "and that connection is kept"))
		printf("#   bytes=%zu\n", u.bytes);
	/* Y's call goes out first and waits while X's bytes keep coming. */
	send_call(cy, "io.rvisor.Test.Echo", "{\"text\":\"y\"}", 0);
	send_raw(xb, big + sent, 2 * 1024 * 1024 - sent, NULL, 0);
	raw_collect(xb, &res);
	ok(res.closed && res.error && strcmp(res.error, VARLINK_ERROR_PROTOCOL) == 0,
	   "past bytes_per_uid: ProtocolError, connection closed");
	is_str(res.reason, "Too much data buffered", "its reason");
	raw_result_done(&res);
	close(xb);
	ok(n_refused_calls == 1 && refused_uid == UID_X && strcmp(refused_reason, "too much buffered data") == 0,
	   "the refused callback: X, too much buffered data");
	is_int(varlink_server_refused(s), 0, "a dropped connection is no refused one");
	ok(readable(varlink_client_fd(cy)) && varlink_client_read(cy, &p, &e, NULL) == 0 && !e &&
		   strcmp(get_str(p, "text") ?: "", "y") == 0,
	   "Y's call was answered normally meanwhile");
	json_object_put(p);
	p = NULL;
	u = usage_of(s, UID_X);
	ok(u.connections == 1 && u.bytes == 0 && u.fds == 0, "X's accounting is back to zero after the close");
	ok(get_info_ok(xa), "X's other connection still works");

	/* Output: a reply X does not have the room for drops the connection. */
	big_enobufs = 0;
	n_refused_calls = 0;
	send_call(xa, "io.rvisor.Test.Big", "{\"count\":1,\"size\":2097152}", VARLINK_CALL_MORE);
	pump();
	is_int(big_enobufs, 1, "a 2 MiB reply past bytes_per_uid: notify fails with -ENOBUFS");
	is_int(usage_of(s, UID_X).connections, (unsigned)-1, "and X's connection is dropped");
	ok(n_refused_calls == 1 && refused_uid == UID_X && strcmp(refused_reason, "too much buffered data") == 0,
	   "the refused callback says so");
	ok(get_info_ok(cy), "Y is still served");
	xa = varlink_client_free(xa);

	/* Root is exempt: 2 MiB in, 2 MiB out. */
	free(big);
	big = sink_message(2 * 1024 * 1024);
	raw_exchange(s, big, 2 * 1024 * 1024, NULL, 0, false, &res);
	ok(!res.error && !res.closed && res.n_replies == 1, "root's 2 MiB message is served");
	raw_result_done(&res);
	big_enobufs = 0;
	raw_exchange(s,
		     S("{\"method\":\"io.rvisor.Test.Big\",\"parameters\":{\"count\":1,\"size\":2097152},"
		       "\"more\":true}\0"),
		     NULL, 0, false, &res);
	ok(!res.error && !res.closed && res.n_replies == 2 && big_enobufs == 0, "root gets a 2 MiB reply");
	raw_result_done(&res);
	varlink_client_free(cy);
	pump();
	is_int(varlink_server_connections(s), 0, "all closed");
	is_int(varlink_server_usage(s, UID_Y, &u), -ENOENT, "no usage left");
}

/* fds_per_uid and the per-connection queue. */
static void test_limits_fds(void)
{
	_cleanup_varlink_server_ VarlinkServer *s = NULL;
	struct varlink_server_usage u;
	struct raw_result res;
	int fds[16], nullfd, a, b, y, r1, r2;

	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		fds[i] = nullfd;
	varlink_server_new(&s, event, &test_iface, NULL);
	varlink_server_set_limits(s, &(struct varlink_server_limits){ .fds_per_uid = 20 });
	varlink_server_set_refused_callback(s, on_refused, NULL);
	n_refused_calls = 0;

	/* The fds wait for the rest of their message. */
	a = pair_as(s, UID_X);
	b = pair_as(s, UID_X);
	y = pair_as(s, UID_Y);
	send_raw(a, "{", 1, fds, 16);
	send_raw(y, "{", 1, fds, 16);
	is_int(usage_of(s, UID_X).fds, 16, "X holds 16 fds on one connection");
	is_int(usage_of(s, UID_Y).fds, 16, "Y 16 on its own");
	send_raw(b, "{", 1, fds, 8);
	raw_collect(b, &res);
	ok(res.closed && res.error && strcmp(res.error, VARLINK_ERROR_PROTOCOL) == 0,
	   "X's next 8 on another connection: 24 > 20, ProtocolError, closed");
	is_str(res.reason, "Too many file descriptors", "its reason");
	raw_result_done(&res);
	close(b);
	ok(n_refused_calls == 1 && refused_uid == UID_X && strcmp(refused_reason, "too many file descriptors") == 0,
	   "the refused callback: X, too many file descriptors");
	u = usage_of(s, UID_X);
	ok(u.connections == 1 && u.fds == 16, "X still holds its first 16");
	send_raw(a, S("\"method\":\"io.rvisor.Test.CountFds\"}\0"), NULL, 0);
	raw_collect(a, &res);
	ok(!res.closed && !res.error && res.first_n == 16, "X's first connection is served, with its 16 fds");
	raw_result_done(&res);
	is_int(usage_of(s, UID_X).fds, 0, "fds handed to a call no longer count");
	send_raw(y, S("\"method\":\"io.rvisor.Test.CountFds\"}\0"), NULL, 0);
	raw_collect(y, &res);
	ok(!res.closed && res.first_n == 16, "Y was never affected");
	raw_result_done(&res);
	close(a);
	close(y);

	/* Root is exempt from fds_per_uid... */
	r1 = connect_pair_raw(s);
	for (int i = 0; i < 3; i++)
		send_raw(r1, " ", 1, fds, 16);
	is_int(usage_of(s, 0).fds, 48, "root holds 48 fds, past fds_per_uid");
	ok(!hung_up(r1), "and keeps its connection");
	/* ...but not from the per-connection queue of four calls' worth (4 * VARLINK_FDS_MAX). */
	r2 = connect_pair_raw(s);
	n_refused_calls = 0;
	for (unsigned i = 0; i * 16 <= 4 * VARLINK_FDS_MAX; i++)
		send_raw(r2, " ", 1, fds, 16);
	raw_collect(r2, &res);
	ok(res.closed && res.reason && strcmp(res.reason, "Too many file descriptors") == 0,
	   "more fds held on one connection than its queue takes: dropped, for anybody");
	ok(n_refused_calls == 1 && refused_uid == 0, "the refused callback runs for root's connection too");
	raw_result_done(&res);
	close(r2);
	pump();
	is_int(usage_of(s, 0).fds, 48, "root's other connection keeps its fds");
	close(r1);
	close(nullfd);
	pump();
	is_int(varlink_server_connections(s), 0, "all closed");
}

/* message_max. */
static void test_limits_message_max(void)
{
	_cleanup_varlink_server_ VarlinkServer *s = NULL;
	_cleanup_free_ char *m = NULL;
	struct raw_result res;

	varlink_server_new(&s, event, &test_iface, NULL);
	is_int(varlink_server_set_limits(s, &(struct varlink_server_limits){ .message_max = 1024 }), 0,
	       "message_max 1 KiB");
	m = sink_message(1026);
	raw_exchange(s, m, 1026, NULL, 0, false, &res);
	ok(res.closed && res.error && strcmp(res.error, VARLINK_ERROR_PROTOCOL) == 0,
	   "a message of 1025 bytes: ProtocolError, closed");
	is_str(res.reason, "Message longer than 1 KiB", "the reason names the limit");
	raw_result_done(&res);
	memcpy(m + 1025 - 4, "\"}}", 4);
	raw_exchange(s, m, 1025, NULL, 0, false, &res);
	ok(!res.error && !res.closed && res.n_replies == 1, "one of exactly 1 KiB is served");
	raw_result_done(&res);
	memset(m, 'a', 1026);
	raw_exchange(s, m, 1026, NULL, 0, false, &res);
	ok(res.closed && res.reason && strcmp(res.reason, "Message longer than 1 KiB") == 0,
	   "unterminated past it: the same");
	raw_result_done(&res);
	varlink_server_set_limits(s, &(struct varlink_server_limits){ .message_max = 1000 });
	raw_exchange(s, m, 1026, NULL, 0, false, &res);
	is_str(res.reason, "Message longer than 1000 bytes", "a limit that is no multiple of 1 KiB, in bytes");
	raw_result_done(&res);
	{
		VarlinkClient *c = connect_pair(s);
		json_object *p = NULL;
		char *e = NULL;

		ok(call1(c, "io.rvisor.Test.Big", "{\"count\":1,\"size\":2000}", VARLINK_CALL_MORE, &p, &e) == 0 && e &&
			   strcmp(e, VARLINK_ERROR_INTERNAL) == 0 && get_int(p, "errno") == EMSGSIZE,
		   "a reply longer than message_max is not sent: -EMSGSIZE");
		json_object_put(p);
		free(e);
		varlink_client_free(c);
	}
	pump();
}

/* The daemon's case: a client holding 250 fds and a half-sent 16 MiB message does not delay
 * another user's call. */
static void test_limits_fair(void)
{
	_cleanup_varlink_server_ VarlinkServer *s = NULL;
	_cleanup_free_ char *big = sink_message(VARLINK_MESSAGE_MAX + 1);
	int fds[16], nullfd, a[6], b;
	struct varlink_server_usage u;
	VarlinkClient *cb;
	size_t sent, more = 0;
	int i, iterations;
	bool answered = false;

	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (size_t k = 0; k < ARRAY_SIZE(fds); k++)
		fds[k] = nullfd;
	varlink_server_new(&s, event, &test_iface, NULL);
	varlink_server_set_limits(s, &(struct varlink_server_limits){
		.connections_per_uid = 16, .bytes_per_uid = 64U * 1024 * 1024, .fds_per_uid = 256 });
	for (i = 0; i < 6; i++)
		a[i] = pair_as(s, UID_X);
	/* 5 connections with 50 fds each, 16 per sendmsg() (more would fail their call at once). */
	for (i = 0; i < 5; i++)
		for (int k = 0; k < 50; k += 16)
			send_raw(a[i], k == 0 ? "{" : " ", 1, fds, 50 - k < 16 ? (size_t)(50 - k) : 16);
	sent = send_raw(a[5], big, VARLINK_MESSAGE_MAX / 2, NULL, 0);
	u = usage_of(s, UID_X);
	ok(u.connections == 6 && u.fds == 250 && sent == VARLINK_MESSAGE_MAX / 2,
	   "A holds 250 fds on 5 connections and half of a 16 MiB message on a sixth");
	if (!ok(u.bytes > VARLINK_MESSAGE_MAX / 2 && u.bytes <= 64U * 1024 * 1024, "within its 64 MiB"))
		printf("#   bytes=%zu\n", u.bytes);
	/* A keeps its socket full, so that it is always ready to be read. */
	for (;;) {
		ssize_t n = send(a[5], big + sent + more, VARLINK_MESSAGE_MAX / 2 - more, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			break;
		more += (size_t)n;
	}
	b = pair_as(s, UID_Y);
	cb = client_from_fd(b);
	varlink_client_call(cb, "org.varlink.service.GetInfo", NULL, NULL, 0, 0);
	for (iterations = 0; iterations < 8 && !answered; iterations++) {
		sd_event_run(event, 0);
		answered = readable(varlink_client_fd(cb));
	}
	if (!ok(answered && more > 0, "B's GetInfo is answered within a few loop iterations, A's data waiting"))
		printf("#   %d iterations, %zu bytes waiting\n", iterations, more);
	ok(get_info_ok(cb), "and B is served again");
	u = usage_of(s, UID_X);
	ok(u.connections == 6 && u.fds == 250, "A was not dropped: it is within its limits");
	for (i = 0; i < 6; i++)
		close(a[i]);
	varlink_client_free(cb);
	close(nullfd);
	pump();
	is_int(varlink_server_connections(s), 0, "all closed");
	is_int(varlink_server_usage(s, UID_X, &u), -ENOENT, "A's usage is gone with its connections");
}

static void test_limits(void)
{
	test_limits_api();
	if (geteuid() != 0) {
		ok(true, "# SKIP the per-uid tests need root (setresuid())");
		return;
	}
	test_limits_connections();
	test_limits_bytes();
	test_limits_fds();
	test_limits_message_max();
	test_limits_fair();
}

int main(void)
{
	_cleanup_varlink_server_ VarlinkServer *s = NULL;
	int fds_before;

	signal(SIGPIPE, SIG_IGN);
	fds_before = count_fds();
	ok(sd_event_new(&event) >= 0, "event loop");
	is_int(varlink_server_new(&s, event, &test_iface, NULL), 0, "server created");
	varlink_server_set_idle_callback(s, on_idle, NULL);
	varlink_server_set_failed_callback(s, on_failed, NULL);

	test_roundtrip(s);
	pump();
	test_service(s);
	pump();
	test_later(s);
	test_peer_check(s);
	pump();
	test_bad_input(s);
	test_listen();
	test_client_bad_replies();
	test_limits();

	pump();
	is_int(varlink_server_connections(s), 0, "every connection closed");
	s = varlink_server_free(s);
	event = sd_event_unref(event);
	is_int(count_fds(), fds_before, "no fd leaked");
	return tap_done();
}
