/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Talking to rvisord: PrepareContainer before a create, BindContainer from the hook,
 * ReleaseContainer after a delete. Every failure is logged here, in one line that says what
 * to do. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "manager-errors.h"
#include "cli-util.h"
#include "json-util.h"
#include "runtime.h"
#include "varlink.h"

/* How long rvisord may take to answer: a daemon that hangs must not hang the engine. */
#define REPLY_TIMEOUT_MS (30 * 1000)
#define SAME_VERSIONS "install the same version of rvisor-runc and rvisord"

static bool connect_error_is_absent(int r)
{
	return r == -ENOENT || r == -ENOTDIR || r == -ECONNREFUSED;
}

static int log_connect_error(int r, const char *socket, const char *what)
{
	if (connect_error_is_absent(r))
		return runc_error_errno(r, "%s: rvisord is not running (nothing listens on %s): start it with "
				       "'systemctl start rvisord.socket'", what, socket);
	if (r == -EACCES || r == -EPERM)
		return runc_error_errno(r, "%s: cannot connect to rvisord at %s: %m: add yourself to group "
				       "rvisor (usermod -aG rvisor $USER, then log in again) or run as root",
				       what, socket);
	return runc_error_errno(r, "%s: cannot connect to rvisord at %s: %m", what, socket);
}

static int log_io_error(int r, const char *socket, const char *what)
{
	if (r == -ECONNRESET || r == -EPIPE)
		return runc_error_errno(r, "%s: rvisord closed the connection: see 'journalctl -u rvisord'", what);
	if (r == -EBADMSG)
		return runc_error_errno(r, "%s: rvisord sent a malformed reply: " SAME_VERSIONS, what);
	if (r == -ETIMEDOUT)
		return runc_error_errno(r, "%s: rvisord did not answer within %d s: see 'journalctl -u rvisord'",
				       what, REPLY_TIMEOUT_MS / 1000);
	return runc_error_errno(r, "%s: cannot talk to rvisord at %s: %m", what, socket);
}

static int log_error_reply(const char *error, json_object *params, const char *what)
{
	_cleanup_free_ char *m = NULL, *shown = NULL;

	if (strcmp(error, MANAGER_ERROR(PolicyNotFound)) == 0) {
		shown = cli_escape(json_string(params, "policy") ?: "(unknown)");
		if (!shown)
			return runc_oom();
		return runc_error_errno(-ENOENT, "%s: unknown policy '%s' (annotation " ANNOTATION_POLICY
				       "): see 'rvisorctl policy list'", what, shown);
	}
	if (strcmp(error, MANAGER_ERROR(ContainerExists)) == 0)
		return runc_error_errno(-EEXIST, "%s: rvisord has bound a container of that id already: "
				       "delete it first", what);
	m = cli_error_message(error, params);
	if (!m)
		return runc_oom();
	return runc_error_errno(-EREMOTEIO, "%s: %s", what, m);
}

/*
 * Connects to socket, calls method with params (borrowed) and fds, and reads its one reply,
 * at most REPLY_TIMEOUT_MS away. 0 with *ret_reply, and *ret_error set to the error's name
 * for an error reply (not logged); -errno (not logged) with *ret_connect_failed saying
 * whether it was connecting.
 */
static int call(const char *socket, const char *method, json_object *params, const int *fds, size_t n_fds,
		json_object **ret_reply, char **ret_error, bool *ret_connect_failed)
{
	_cleanup_varlink_client_ VarlinkClient *c = NULL;
	struct pollfd p;
	int r;

	*ret_connect_failed = true;
	r = varlink_client_connect(&c, socket);
	if (r < 0)
		return r;
	*ret_connect_failed = false;
	r = varlink_client_call(c, method, params, fds, n_fds, 0);
	if (r < 0)
		return r;
	p = (struct pollfd){ .fd = varlink_client_fd(c), .events = POLLIN };
	do
		r = poll(&p, 1, REPLY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return varlink_client_read(c, ret_reply, ret_error, NULL);
}

int rvisord_prepare(const char *container, const char *policy, bool engine_seccomp, struct runc_prepared *ret)
{
	_cleanup_free_ char *what = NULL, *error = NULL;
	const char *socket = runc_socket_address();
	json_object *params = json_object_new_object(), *reply = NULL;
	bool connecting;
	int r;

	if (!params || asprintf(&what, "cannot create container %s", container) < 0) {
		json_object_put(params);
		return runc_oom();
	}
	if (policy)
		json_object_object_add(params, "policy", json_object_new_string(policy));
	if (engine_seccomp)
		json_object_object_add(params, "engine_seccomp", json_object_new_boolean(true));
	r = call(socket, RUNC_METHOD("PrepareContainer"), params, NULL, 0, &reply, &error, &connecting);
	json_object_put(params);
	if (r < 0)
		return connecting ? log_connect_error(r, socket, what) : log_io_error(r, socket, what);
	if (error)
		r = log_error_reply(error, reply, what);
	else {
		r = runc_prepared_from_json(reply, ret);
		if (r == -ENOMEM)
			r = runc_oom();
		else if (r < 0)
			r = runc_error_errno(r, "%s: rvisord's PrepareContainer reply is malformed or asks for a "
					     "layer this runtime cannot apply: " SAME_VERSIONS, what);
	}
	json_object_put(reply);
	return r;
}

int rvisord_bind(const char *socket, const char *container, const char *policy, const char *bundle,
		 json_object *command, const char *hostname, const char *domainname, bool engine_seccomp,
		 int pidfd)
{
	_cleanup_free_ char *what = NULL, *error = NULL;
	json_object *params = json_object_new_object(), *reply = NULL;
	bool connecting;
	int64_t id;
	int r;

	if (!params || asprintf(&what, "cannot bind container %s to an rvisor sandbox", container) < 0) {
		json_object_put(params);
		return runc_oom();
	}
	json_object_object_add(params, "container", json_object_new_string(container));
	if (policy)
		json_object_object_add(params, "policy", json_object_new_string(policy));
	json_object_object_add(params, "bundle", json_object_new_string(bundle));
	json_object_object_add(params, "command", json_object_get(command));
	if (hostname)
		json_object_object_add(params, "hostname", json_object_new_string(hostname));
	if (domainname)
		json_object_object_add(params, "domainname", json_object_new_string(domainname));
	if (engine_seccomp)
		json_object_object_add(params, "engine_seccomp", json_object_new_boolean(true));
	r = call(socket, RUNC_METHOD("BindContainer"), params, &pidfd, 1, &reply, &error, &connecting);
	json_object_put(params);
	if (r < 0)
		return connecting ? log_connect_error(r, socket, what) : log_io_error(r, socket, what);
	if (error)
		r = log_error_reply(error, reply, what);
	else if (json_get_int(reply, "id", &id) < 0)
		r = runc_error_errno(-EBADMSG, "%s: rvisord's BindContainer reply is malformed: " SAME_VERSIONS, what);
	else
		runc_debug("container %s bound to rvisor sandbox %" PRId64, container, id);
	json_object_put(reply);
	return r;
}

int rvisord_release(const char *container, bool kernel_layer, bool *ret_had)
{
	_cleanup_free_ char *what = NULL, *error = NULL;
	const char *socket = runc_socket_address();
	json_object *params = json_object_new_object(), *reply = NULL;
	bool connecting;
	int r;

	*ret_had = false;
	if (!params || asprintf(&what, "cannot release the rvisor sandbox of container %s", container) < 0) {
		json_object_put(params);
		return runc_oom();
	}
	json_object_object_add(params, "container", json_object_new_string(container));
	r = call(socket, RUNC_METHOD("ReleaseContainer"), params, NULL, 0, &reply, &error, &connecting);
	json_object_put(params);
	/* No daemon, for a container that had no kernel layer (or that crun no longer knew): no
	 * sandbox to release. With one, a restarted rvisord drops it once the init has gone. */
	if (r < 0 && connecting && connect_error_is_absent(r) && !kernel_layer)
		return 0;
	if (r < 0 && connecting && connect_error_is_absent(r))
		return runc_warning_errno(r, "%s: rvisord is not running (nothing listens on %s); it releases "
					  "the sandbox when it starts again", what, socket);
	if (r < 0)
		return connecting ? log_connect_error(r, socket, what) : log_io_error(r, socket, what);
	if (error && strcmp(error, MANAGER_ERROR(ContainerNotFound)) == 0)
		r = 0;
	else if (error)
		r = log_error_reply(error, reply, what);
	else
		*ret_had = true;
	json_object_put(reply);
	return r;
}
