/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/varlink*.c: calls and replies, streams, fds, org.varlink.service, parameter checks, peer
 * checks, and bad bytes on the wire, all over socketpairs and a socket in a temporary dir. */
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
#include <unistd.h>

#include "macro.h"
#include "tap.h"
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

static int method_echo(VarlinkCall *call, json_object *p, void *userdata)
{
	return varlink_call_reply(call, json_object_get(p));
}

static int method_stream(VarlinkCall *call, json_object *p, void *userdata)
{
	int64_t n = json_object_get_int64(json_object_object_get(p, "count"));
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
static int method_big(VarlinkCall *call, json_object *p, void *userdata)
{
	int64_t n = json_object_get_int64(json_object_object_get(p, "count"));
	size_t size = (size_t)json_object_get_int64(json_object_object_get(p, "size"));
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

static int method_read_fd(VarlinkCall *call, json_object *p, void *userdata)
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

static int method_count_fds(VarlinkCall *call, json_object *p, void *userdata)
{
	return varlink_call_reply(call, obj_int("n", varlink_call_n_fds(call)));
}

static void later_disconnected(VarlinkCall *call, void *userdata)
{
	n_disconnects++;
}

static int method_later(VarlinkCall *call, json_object *p, void *userdata)
{
	later_call = varlink_call_ref(call);
	varlink_call_set_disconnect_callback(call, later_disconnected, NULL);
	return 0;
}

static int method_fail(VarlinkCall *call, json_object *p, void *userdata)
{
	return -ENOENT;
}

static int method_drop(VarlinkCall *call, json_object *p, void *userdata)
{
	return 0;
}

static int method_ping(VarlinkCall *call, json_object *p, void *userdata)
{
	n_pings++;
	return varlink_call_reply(call, NULL);
}

static int method_sink(VarlinkCall *call, json_object *p, void *userdata)
{
	return varlink_call_reply(call, obj_int("length", json_object_get_string_len(json_object_object_get(p, "data"))));
}

/* The answering functions' edge cases, seen from inside a handler. */
static int method_check(VarlinkCall *call, json_object *p, void *userdata)
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

static const struct varlink_param echo_params[] = {
	{ "text", VARLINK_STRING, true },
	{ "n", VARLINK_INT, false },
	{ "flag", VARLINK_BOOL, false },
	{ "obj", VARLINK_OBJECT, false },
	{ "list", VARLINK_ARRAY, false },
	{ "names", VARLINK_STRING_ARRAY, false },
	{},
};
static const struct varlink_param stream_params[] = {
	{ "count", VARLINK_INT, true },
	{},
};
static const struct varlink_param big_params[] = {
	{ "count", VARLINK_INT, true },
	{ "size", VARLINK_INT, true },
	{},
};
static const struct varlink_param sink_params[] = {
	{ "data", VARLINK_STRING, true },
	{},
};

static const struct varlink_method test_methods[] = {
	{ "Echo", method_echo, echo_params },
	{ "Stream", method_stream, stream_params },
	{ "Big", method_big, big_params },
	{ "ReadFd", method_read_fd, NULL },
	{ "CountFds", method_count_fds, NULL },
	{ "Later", method_later, NULL },
	{ "Fail", method_fail, NULL },
	{ "Drop", method_drop, NULL },
	{ "Ping", method_ping, NULL },
	{ "Sink", method_sink, sink_params },
	{ "Check", method_check, NULL },
	{ "Unimplemented", NULL, NULL },
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
	json_object_put(p);
	p = NULL;

	r = call1(c, "io.rvisor.Test.Echo", "{\"text\":\"x\",\"n\":null}", 0, &p, &e);
	ok(r == 0 && !e, "null for an optional parameter is accepted");
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
		is_int(r, 0, "16 fds sent");
		r = read_reply(c, &p, &e, NULL);
		is_int(get_int(p, "n"), 16, "the call got all 16");
		json_object_put(p);
		p = NULL;
		r = call1(c, "io.rvisor.Test.CountFds", NULL, 0, &p, &e);
		is_int(get_int(p, "n"), 0, "the next call gets none of them");
		json_object_put(p);
		p = NULL;
		is_int(varlink_client_call(c, "io.rvisor.Test.CountFds", NULL, fds, VARLINK_FDS_MAX + 1, 0), -EINVAL,
		       "the client refuses to send 17 fds");
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

	expect_error(c, "io.rvisor.Test.Fail", NULL, VARLINK_ERROR_INTERNAL, NULL, NULL,
		     "a handler's -errno: InternalError");
	r = call1(c, "io.rvisor.Test.Fail", NULL, 0, &p, &e);
	is_int(get_int(p, "errno"), ENOENT, "InternalError carries the errno");
	json_object_put(p);
	p = NULL;
	free(e);
	e = NULL;
	expect_error(c, "io.rvisor.Test.Drop", NULL, VARLINK_ERROR_INTERNAL, NULL, NULL,
		     "a handler that drops its call: InternalError");

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

/* A fresh connection gets raw bytes (and fds); what comes back, and is it closed? */
struct raw_result {
	char *error;  /* the first reply's error, if any */
	bool closed;  /* the server closed the connection */
	size_t n_replies;
	int64_t first_n; /* the first reply's "n" (CountFds), -1 if none */
};

static void raw_exchange(VarlinkServer *s, const void *data, size_t len, const int *fds, size_t n_fds, bool shut,
			 struct raw_result *res)
{
	_cleanup_free_ char *buf = NULL;
	size_t sent = 0, got = 0, alloc = 0;
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
		n = sendmsg(sv[1], &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			pump();
			continue;
		}
		if (n < 0)
			break; /* the server hung up on us */
		sent += (size_t)n;
	}
	if (shut)
		shutdown(sv[1], SHUT_WR);
	for (;;) {
		ssize_t n;

		pump();
		if (got + 4096 > alloc) {
			alloc = alloc * 2 + 4096;
			buf = realloc(buf, alloc);
		}
		n = recv(sv[1], buf + got, alloc - got - 1, MSG_DONTWAIT);
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
		const char *e = get_str(m, "error");

		res->error = e ? strdup(e) : NULL;
		if (json_object_object_get_ex(json_object_object_get(m, "parameters"), "n", NULL))
			res->first_n = get_int(json_object_object_get(m, "parameters"), "n");
		json_object_put(m);
	}
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
	free(res.error);
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
	free(res.error);

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
	free(res.error);
	is_int(varlink_server_connections(s), 0, "nothing left of it");
	memcpy(big + len - 4, "\"}}", 4);
	raw_exchange(s, big, len, NULL, 0, false, &res);
	ok(!res.error && !res.closed && res.n_replies == 1, "a message of exactly 16 MiB is served");
	free(res.error);
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
	raw_exchange(s, S("{\"method\":\"io.rvisor.Test.CountFds\"}\0"), fds, 17, false, &res);
	ok(res.error && strcmp(res.error, VARLINK_ERROR_INVALID_PARAMETER) == 0 && !res.closed,
	   "17 fds: InvalidParameter, connection kept");
	free(res.error);
	raw_exchange(s, S("{\"method\":\"io.rvisor.Test.CountFds\"}\0"), fds, 253, false, &res);
	ok(res.error && strcmp(res.error, VARLINK_ERROR_INVALID_PARAMETER) == 0 && !res.closed,
	   "253 fds: InvalidParameter, connection kept");
	free(res.error);
	raw_exchange(s, S("{\"method\":\"io.rvisor.Test.CountFds\"}\0{\"method\":\"io.rvisor.Test.Ping\"}\0"), fds, 3,
		     false, &res);
	ok(res.n_replies == 2 && !res.error && res.first_n == 0,
	   "fds sent with several messages at once go to the last one");
	free(res.error);
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

int main(void)
{
	_cleanup_varlink_server_ VarlinkServer *s = NULL;
	int fds_before;

	signal(SIGPIPE, SIG_IGN);
	fds_before = count_fds();
	ok(sd_event_new(&event) >= 0, "event loop");
	is_int(varlink_server_new(&s, event, &test_iface, NULL), 0, "server created");
	varlink_server_set_idle_callback(s, on_idle, NULL);

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

	pump();
	is_int(varlink_server_connections(s), 0, "every connection closed");
	s = varlink_server_free(s);
	event = sd_event_unref(event);
	is_int(count_fds(), fds_before, "no fd leaked");
	return tap_done();
}
