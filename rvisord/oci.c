/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the few fields of an OCI bundle's config.json that rvisord uses. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "oci.h"

static void json_putp(json_object **o)
{
	json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

char **oci_strv_free(char **v)
{
	if (v)
		for (char **p = v; *p; p++)
			free(*p);
	free(v);
	return NULL;
}

struct oci_config *oci_config_free(struct oci_config *c)
{
	if (!c)
		return NULL;
	free(c->root_path);
	oci_strv_free(c->args);
	oci_strv_free(c->env);
	free(c->cwd);
	free(c->hostname);
	free(c);
	return NULL;
}

bool oci_is_bundle(const char *bundle)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (asprintf(&p, "%s/config.json", bundle) < 0)
		return false;
	return lstat(p, &st) == 0;
}

_printf_(3, 4) static int fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	if (ret_error) {
		char *s = NULL;

		va_start(ap, fmt);
		if (vasprintf(&s, fmt, ap) < 0)
			s = NULL;
		va_end(ap);
		free(*ret_error);
		*ret_error = s;
	}
	return r;
}

/* The file, read safely: the bundle belongs to whoever asked for the sandbox, and the daemon
 * is root. O_NOFOLLOW keeps a link from pointing it at a host file, O_NONBLOCK keeps a FIFO
 * from blocking it, the type check refuses devices and FIFOs, the size cap a huge file. */
static int read_config(const char *path, char **ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t size = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	if (st.st_size > OCI_CONFIG_MAX)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (size < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + size, (size_t)st.st_size - size);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		size += (size_t)k;
	}
	buf[size] = '\0';
	if (strlen(buf) != size)
		return -EBADMSG; /* an embedded NUL: not JSON */
	*ret = TAKE_PTR(buf);
	return 0;
}

/* A JSON array of strings as a NULL-terminated copy. -EINVAL for anything else. */
static int strv_from_json(json_object *a, char ***ret)
{
	char **v;
	size_t n;

	if (!json_object_is_type(a, json_type_array))
		return -EINVAL;
	n = json_object_array_length(a);
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_string) ||
		    strlen(json_object_get_string(e)) != (size_t)json_object_get_string_len(e)) {
			oci_strv_free(v);
			return -EINVAL;
		}
		v[i] = strdup(json_object_get_string(e));
		if (!v[i]) {
			oci_strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

/* An optional string member: 0 and *ret (NULL when absent), -EINVAL when not a string. */
static int get_string(json_object *o, const char *key, char **ret)
{
	json_object *v;

	*ret = NULL;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return -EINVAL;
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

static int get_id(json_object *o, const char *key, uint32_t *ret)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -EINVAL;
	x = json_object_get_int64(v);
	/* (uid_t)-1 means "unchanged" to setresuid(): not an id. */
	if (x < 0 || x >= UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)x;
	return 0;
}

/* An optional object member: NULL when absent; -EINVAL when present but not an object. */
static int get_object(json_object *o, const char *key, json_object **ret)
{
	json_object *v;

	*ret = NULL;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return -EINVAL;
	*ret = v;
	return 0;
}

int oci_config_load(const char *bundle, struct oci_config **ret, char **ret_error)
{
	_cleanup_oci_config_ struct oci_config *c = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL, *root_path = NULL;
	_cleanup_json_ json_object *top = NULL;
	json_object *root, *process, *user, *v;
	enum json_tokener_error jerr;
	int r;

	if (asprintf(&path, "%s/config.json", bundle) < 0)
		return -ENOMEM;
	r = read_config(path, &text);
	if (r == -ELOOP || r == -EBADFD)
		return fail(ret_error, -EINVAL, "%s: not a regular file", path);
	if (r == -EFBIG)
		return fail(ret_error, -EINVAL, "%s: larger than %d bytes", path, OCI_CONFIG_MAX);
	if (r == -EBADMSG)
		return fail(ret_error, -EINVAL, "%s: not JSON (contains a NUL byte)", path);
	if (r < 0)
		return fail(ret_error, r, "%s: cannot read: %s", path, strerror(-r));
	top = json_tokener_parse_verbose(text, &jerr);
	if (!top)
		return fail(ret_error, -EINVAL, "%s: not valid JSON: %s", path,
			    json_tokener_error_desc(jerr));
	if (!json_object_is_type(top, json_type_object))
		return fail(ret_error, -EINVAL, "%s: not a JSON object", path);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;

	if (get_object(top, "root", &root) < 0)
		return fail(ret_error, -EINVAL, "%s: root must be an object", path);
	if (get_string(root, "path", &root_path) < 0)
		return fail(ret_error, -EINVAL, "%s: root.path must be a string", path);
	if (root && json_object_object_get_ex(root, "readonly", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return fail(ret_error, -EINVAL, "%s: root.readonly must be a boolean", path);
		c->root_readonly = json_object_get_boolean(v);
	}
	if (root_path && root_path[0] == '/')
		c->root_path = TAKE_PTR(root_path);
	else if (asprintf(&c->root_path, "%s/%s", bundle, root_path ?: "rootfs") < 0)
		return -ENOMEM;

	if (get_object(top, "process", &process) < 0)
		return fail(ret_error, -EINVAL, "%s: process must be an object", path);
	if (process && json_object_object_get_ex(process, "args", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		r = strv_from_json(v, &c->args);
		if (r == -EINVAL)
			return fail(ret_error, r, "%s: process.args must be an array of strings", path);
		if (r < 0)
			return r;
		if (!c->args[0])
			c->args = oci_strv_free(c->args);
		else if (!c->args[0][0])
			return fail(ret_error, -EINVAL, "%s: process.args[0] is empty", path);
	}
	if (process && json_object_object_get_ex(process, "env", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		r = strv_from_json(v, &c->env);
		if (r == -EINVAL)
			return fail(ret_error, r, "%s: process.env must be an array of strings", path);
		if (r < 0)
			return r;
		for (char **e = c->env; *e; e++)
			if (!strchr(*e, '=') || **e == '=')
				return fail(ret_error, -EINVAL, "%s: process.env entry '%s' is not KEY=VALUE",
					    path, *e);
	}
	if (get_string(process, "cwd", &c->cwd) < 0)
		return fail(ret_error, -EINVAL, "%s: process.cwd must be a string", path);
	if (process && json_object_object_get_ex(process, "terminal", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return fail(ret_error, -EINVAL, "%s: process.terminal must be a boolean", path);
		c->terminal = json_object_get_boolean(v);
	}
	if (get_object(process, "user", &user) < 0)
		return fail(ret_error, -EINVAL, "%s: process.user must be an object", path);
	if (user) {
		uint32_t uid, gid;

		if (get_id(user, "uid", &uid) < 0 || get_id(user, "gid", &gid) < 0)
			return fail(ret_error, -EINVAL,
				    "%s: process.user needs numeric uid and gid (0..4294967294)", path);
		c->has_user = true;
		c->uid = uid;
		c->gid = gid;
	}
	if (get_string(top, "hostname", &c->hostname) < 0)
		return fail(ret_error, -EINVAL, "%s: hostname must be a string", path);

	*ret = TAKE_PTR(c);
	return 0;
}
