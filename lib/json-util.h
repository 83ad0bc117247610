/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading members of json-c objects (varlink parameters and replies, config.json), and a
 * cleanup attribute for references. Library code: returns -errno, never logs. */
#ifndef RVISOR_JSON_UTIL_H
#define RVISOR_JSON_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "macro.h"

static inline void json_object_putp(json_object **o)
{
	json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

/* o[key] (o may be NULL): 0 and *ret (borrowed) when present and of type; -ENOENT when absent
 * or null, -EBADMSG when of another type (*ret untouched then). */
int json_get(json_object *o, const char *key, json_type type, json_object **ret);

/* json_get() of one type, the value in *ret. */
int json_get_int(json_object *o, const char *key, int64_t *ret);
int json_get_bool(json_object *o, const char *key, bool *ret);
int json_get_string(json_object *o, const char *key, const char **ret);
int json_get_array(json_object *o, const char *key, json_object **ret);
int json_get_object(json_object *o, const char *key, json_object **ret);

/* o[key] when it is a string, else NULL: for parameters whose types the varlink interface
 * has checked already, and for optional ones. */
const char *json_string(json_object *o, const char *key);

/* Writes o as plain JSON into tmp (created 0600, never through a link), then renames it over
 * path, so that a reader sees the old file or the new one, whole. 0 or -errno; tmp is gone
 * either way. */
int json_write_file(json_object *o, const char *tmp, const char *path);

#endif
