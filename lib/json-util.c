/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading members of json-c objects; see json-util.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json-util.h"
#include "macro.h"

int json_get(json_object *o, const char *key, json_type type, json_object **ret)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return -ENOENT;
	if (!json_object_is_type(v, type))
		return -EBADMSG;
	*ret = v;
	return 0;
}

int json_get_int(json_object *o, const char *key, int64_t *ret)
{
	json_object *v;
	int r = json_get(o, key, json_type_int, &v);

	if (r < 0)
		return r;
	*ret = json_object_get_int64(v);
	return 0;
}

int json_get_bool(json_object *o, const char *key, bool *ret)
{
	json_object *v;
	int r = json_get(o, key, json_type_boolean, &v);

	if (r < 0)
		return r;
	*ret = json_object_get_boolean(v);
	return 0;
}

int json_get_string(json_object *o, const char *key, const char **ret)
{
	json_object *v;
	int r = json_get(o, key, json_type_string, &v);

	if (r < 0)
		return r;
	*ret = json_object_get_string(v);
	return 0;
}

int json_get_array(json_object *o, const char *key, json_object **ret)
{
	return json_get(o, key, json_type_array, ret);
}

int json_get_object(json_object *o, const char *key, json_object **ret)
{
	return json_get(o, key, json_type_object, ret);
}

const char *json_string(json_object *o, const char *key)
{
	const char *s = NULL;

	return json_get_string(o, key, &s) == 0 ? s : NULL;
}

int json_write_file(json_object *o, const char *tmp, const char *path)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	ssize_t n;
	int r;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	r = n == (ssize_t)strlen(text) ? 0 : n < 0 ? -errno : -EIO;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}
