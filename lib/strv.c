/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string vectors; see strv.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l)
{
	for (char **p = l; p && *p; p++)
		free(*p);
	free(l);
	return NULL;
}

size_t strv_length(char **l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

/* A JSON string as a C string: NULL for anything else, and for a string with a NUL inside. */
static const char *json_c_string(json_object *o)
{
	const char *s;

	if (!json_object_is_type(o, json_type_string))
		return NULL;
	s = json_object_get_string(o);
	return strlen(s) == (size_t)json_object_get_string_len(o) ? s : NULL;
}

size_t strv_bytes(char **l)
{
	size_t bytes = 0;

	for (; l && *l; l++)
		bytes += strlen(*l) + 1;
	return bytes;
}

int strv_from_json(json_object *a, char ***ret)
{
	_cleanup_strv_ char **l = NULL;
	size_t n = 0;

	if (a && !json_object_is_type(a, json_type_null)) {
		if (!json_object_is_type(a, json_type_array))
			return -EINVAL;
		n = json_object_array_length(a);
	}
	l = calloc(n + 1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_c_string(json_object_array_get_idx(a, i));

		if (!s)
			return -EINVAL;
		l[i] = strdup(s);
		if (!l[i])
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

json_object *json_strv(char **l)
{
	json_object *a = json_object_new_array();

	for (char **p = l; a && p && *p; p++) {
		json_object *s = json_object_new_string(*p);

		if (!s || json_object_array_add(a, s) < 0) {
			json_object_put(s);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}
