/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing the few fields of an OCI bundle's config.json that rvisord uses. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fail.h"
#include "json-util.h"
#include "oci.h"
#include "strv.h"
#include "user-ids.h"

struct oci_config *oci_config_free(struct oci_config *c)
{
	if (!c)
		return NULL;
	free(c->root_path);
	strv_free(c->args);
	strv_free(c->env);
	free(c->cwd);
	free(c->hostname);
	free(c);
	return NULL;
}

/* An optional string member: 0 and *ret (NULL when absent or null), -EINVAL when not a string
 * or when it holds a NUL byte. */
static int get_string(json_object *o, const char *key, char **ret)
{
	json_object *v;
	int r = json_get(o, key, json_type_string, &v);

	*ret = NULL;
	if (r == -ENOENT)
		return 0;
	if (r < 0 || strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return -EINVAL;
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

/* A uid or gid: 0..UID_GID_MAX. */
static int get_id(json_object *o, const char *key, uint32_t *ret)
{
	int64_t x;

	if (json_get_int(o, key, &x) < 0 || !uid_gid_valid(x))
		return -EINVAL;
	*ret = (uint32_t)x;
	return 0;
}

/* An optional object member: 0 and *ret (NULL when absent or null), -EINVAL for another type. */
static int get_object(json_object *o, const char *key, json_object **ret)
{
	*ret = NULL;
	return json_get_object(o, key, ret) == -EBADMSG ? -EINVAL : 0;
}

int oci_config_parse(const char *text, size_t len, struct oci_config **ret, char **ret_error)
{
	static const char path[] = "config.json";
	_cleanup_oci_config_ struct oci_config *c = NULL;
	_cleanup_json_ json_object *top = NULL;
	json_object *root, *process, *user, *v;
	enum json_tokener_error jerr;
	json_tokener *tok;
	int r;

	if (len > OCI_CONFIG_MAX)
		return fail(ret_error, -EINVAL, "%s: larger than %d bytes", path, OCI_CONFIG_MAX);
	if (strnlen(text, len) != len)
		return fail(ret_error, -EINVAL, "%s: not JSON (contains a NUL byte)", path);
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	top = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (top && json_tokener_get_parse_end(tok) != len) {
		json_object_put(top);
		top = NULL;
		jerr = json_tokener_error_parse_unexpected;
	} else if (!top && jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	json_tokener_free(tok);
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
	if (get_string(root, "path", &c->root_path) < 0)
		return fail(ret_error, -EINVAL, "%s: root.path must be a string", path);
	if (root && json_object_object_get_ex(root, "readonly", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return fail(ret_error, -EINVAL, "%s: root.readonly must be a boolean", path);
		c->root_readonly = json_object_get_boolean(v);
	}
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
			c->args = strv_free(c->args);
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
