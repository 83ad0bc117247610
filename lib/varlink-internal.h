/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What lib/varlink-server.c and lib/varlink-client.c share: message parsing and formatting. */
#ifndef RVISOR_VARLINK_INTERNAL_H
#define RVISOR_VARLINK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* Parses one message's JSON text (len bytes, no NUL inside) into an object: 0, -EBADMSG when
 * it is not exactly one JSON object, -ENOMEM. */
int varlink_message_parse(const char *text, size_t len, json_object **ret);

/* Formats o compactly; the text belongs to o. 0, -ENOMEM, -EMSGSIZE above VARLINK_MESSAGE_MAX. */
int varlink_message_format(json_object *o, const char **ret_text, size_t *ret_len);

/* Whether o is a string without an embedded NUL (which C code would silently cut short). */
bool varlink_string_ok(json_object *o);

/* Adds key: value to obj, taking value in any case; a NULL value is a failed allocation
 * (json_object_new_*() returned it). 0 or -ENOMEM. */
int varlink_object_add(json_object *obj, const char *key, json_object *value);

#endif
