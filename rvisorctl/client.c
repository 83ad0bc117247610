/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl as rvisord's client: connecting, one-reply calls and the messages for what can go
 * wrong; reading the replies' sandboxes. */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-util.h"
#include "client.h"
#include "log.h"
#include "user-ids.h"
#include "verbs.h"

#define SAME_VERSIONS "install the same version of rvisorctl and rvisord"

const char *daemon_address(void)
{
	const char *a = getenv("RVISOR_SOCKET");

	return a && *a ? a : RVISOR_SOCKET_DEFAULT;
}

int daemon_connect(VarlinkClient **ret)
{
	return varlink_client_connect(ret, daemon_address());
}

int daemon_log_connect_error(int r)
{
	const char *a = daemon_address();

	switch (-r) {
	case ENOENT:
	case ENOTDIR:
		return log_error_errno(r, "rvisord is not running: systemctl start rvisord.socket (no socket at %s)", a);
	case ECONNREFUSED:
		return log_error_errno(r, "rvisord is not running: systemctl start rvisord.socket (nothing listens on %s)", a);
	case EACCES:
	case EPERM:
		return log_error_errno(r, "Cannot connect to rvisord at %s: %m: add yourself to group rvisor "
				       "(usermod -aG rvisor $USER, then log in again) or run as root", a);
	default:
		return log_error_errno(r, "Cannot connect to rvisord at %s: %m", a);
	}
}

int daemon_log_io_error(int r)
{
	switch (-r) {
	case ECONNRESET:
	case EPIPE:
		return log_error_errno(r, "rvisord closed the connection: see 'journalctl -u rvisord'");
	case EBADMSG:
		return log_error_errno(r, "rvisord sent a malformed reply: " SAME_VERSIONS);
	case EMSGSIZE:
		return log_error_errno(r, "rvisord sent a reply larger than %u bytes: " SAME_VERSIONS,
				       VARLINK_MESSAGE_MAX);
	default:
		return log_error_errno(r, "Cannot talk to rvisord at %s: %m", daemon_address());
	}
}

int daemon_log_error_reply(const char *error, json_object *params)
{
	_cleanup_free_ char *m = cli_error_message(error, params);

	if (!m)
		return log_oom();
	log_error("%s", m);
	return -EREMOTEIO;
}

int daemon_log_bad_reply(const char *method)
{
	return log_error_errno(-EBADMSG, "rvisord sent a malformed reply to %s: " SAME_VERSIONS, method);
}

int daemon_call(const char *method, json_object *params, json_object **ret_reply, char **ret_error)
{
	_cleanup_varlink_client_ VarlinkClient *c = NULL;
	_cleanup_free_ char *error = NULL;
	json_object *reply = NULL;
	int r;

	r = daemon_connect(&c);
	if (r < 0)
		return daemon_log_connect_error(r);
	r = varlink_client_call(c, method, params, NULL, 0, 0);
	if (r < 0)
		return daemon_log_io_error(r);
	r = varlink_client_read(c, &reply, &error, NULL);
	if (r < 0)
		return daemon_log_io_error(r);
	if (error && !ret_error) {
		r = daemon_log_error_reply(error, reply);
		json_object_put(reply);
		return r;
	}
	if (ret_error)
		*ret_error = TAKE_PTR(error);
	*ret_reply = reply;
	return 0;
}

int sandbox_exit_code(json_object *reply, int *ret)
{
	int64_t v;
	int r;

	r = json_get_int(reply, "exec_errno", &v);
	if (r == 0 && v > 0 && v < 4096) {
		*ret = v == ENOENT ? 127 : 126;
		return 0;
	}
	if (r != -ENOENT)
		return -EBADMSG;
	r = json_get_int(reply, "signal", &v);
	if (r == 0 && v > 0 && v <= 64) {
		*ret = 128 + (int)v;
		return 0;
	}
	if (r != -ENOENT)
		return -EBADMSG;
	r = json_get_int(reply, "exit_code", &v);
	if (r < 0 || v < 0 || v > 255)
		return -EBADMSG;
	*ret = (int)v;
	return 0;
}

char *sandbox_owner(json_object *sandbox, bool with_uid)
{
	const struct passwd *pw = NULL;
	int64_t uid;
	char *s;
	int r;

	if (json_get_int(sandbox, "owner_uid", &uid) < 0)
		return strdup("-");
	if (uid_gid_valid(uid))
		pw = getpwuid((uid_t)uid);
	if (pw && with_uid)
		r = asprintf(&s, "%s (%" PRId64 ")", pw->pw_name, uid);
	else if (pw)
		r = asprintf(&s, "%s", pw->pw_name);
	else
		r = asprintf(&s, "%" PRId64, uid);
	return r < 0 ? NULL : s;
}

bool layers_valid(json_object *o)
{
	json_object *a;
	int r = json_get_array(o, "layers", &a);

	if (r == -ENOENT)
		return true;
	if (r < 0)
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i), json_type_string))
			return false;
	return true;
}

int layers_text(json_object *o, char **ret)
{
	json_object *a;
	size_t len = 1;
	char *s;
	int r;

	if (!layers_valid(o))
		return -EBADMSG;
	r = json_get_array(o, "layers", &a);
	if (r == -ENOENT || json_object_array_length(a) == 0) {
		*ret = strdup(r == -ENOENT ? "-" : "none");
		return *ret ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < json_object_array_length(a); i++)
		len += strlen(json_object_get_string(json_object_array_get_idx(a, i))) + 1;
	s = calloc(1, len);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		if (i > 0)
			strcat(s, "+");
		strcat(s, json_object_get_string(json_object_array_get_idx(a, i)));
	}
	*ret = s;
	return 0;
}

bool layers_have(json_object *sandbox, const char *layer)
{
	const char *platform = NULL;
	json_object *a;

	if (json_get_array(sandbox, "layers", &a) < 0) {
		json_get_string(sandbox, "platform", &platform);
		return platform && strcmp(platform, layer) == 0;
	}
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), layer) == 0)
			return true;
	}
	return false;
}

int log_oom(void)
{
	return log_error_errno(-ENOMEM, "Out of memory");
}

int flush_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error_errno(errno ? -errno : -EIO, "Cannot write to stdout: %m");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

int print_json(json_object *o, bool pretty)
{
	/* No terminal control gets through, not even DEL or C1 ones, which json-c leaves as is. */
	_cleanup_free_ char *text = cli_json_text(o, pretty);

	if (!text) {
		log_oom();
		return EXIT_FAILED;
	}
	puts(text);
	return flush_stdout();
}
