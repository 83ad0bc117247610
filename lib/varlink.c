/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Varlink message parsing and formatting shared by the server and the client. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "varlink-internal.h"
#include "varlink.h"

/* Deep enough for any real call, shallow enough that json-c's recursion stays harmless. */
#define VARLINK_JSON_DEPTH 64

int varlink_message_parse(const char *text, size_t len, json_object **ret)
{
	struct json_tokener *tok;
	json_object *o;
	bool good;

	if (len > VARLINK_MESSAGE_MAX || len > INT32_MAX)
		return -EBADMSG;
	tok = json_tokener_new_ex(VARLINK_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	/* The whole text must be one value: "{}x" and a truncated "{" both fail here. */
	good = o && json_tokener_get_error(tok) == json_tokener_success &&
	       json_tokener_get_parse_end(tok) == len && json_object_is_type(o, json_type_object);
	json_tokener_free(tok);
	if (!good) {
		json_object_put(o);
		return -EBADMSG;
	}
	*ret = o;
	return 0;
}

int varlink_message_format(json_object *o, const char **ret_text, size_t *ret_len)
{
	const char *text;
	size_t len;

	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
						  &len);
	if (!text)
		return -ENOMEM;
	if (len > VARLINK_MESSAGE_MAX)
		return -EMSGSIZE;
	*ret_text = text;
	*ret_len = len;
	return 0;
}

bool varlink_string_ok(json_object *o)
{
	return json_object_is_type(o, json_type_string) &&
	       strlen(json_object_get_string(o)) == (size_t)json_object_get_string_len(o);
}

int varlink_object_add(json_object *obj, const char *key, json_object *value)
{
	if (!value)
		return -ENOMEM;
	if (json_object_object_add(obj, key, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}
