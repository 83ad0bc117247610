/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string vectors (argv, environments, name lists). Library code: returns
 * -errno, never logs. */
#ifndef RVISOR_STRV_H
#define RVISOR_STRV_H

#include <stddef.h>

#include <json-c/json.h>

#include "macro.h"

/* Frees every string and the vector; NULL is fine; returns NULL. */
char **strv_free(char **l);

static inline void strv_freep(char ***l)
{
	strv_free(*l);
}
#define _cleanup_strv_ _cleanup_(strv_freep)

/* The number of strings before the NULL; 0 for NULL. */
size_t strv_length(char **l);

/* The bytes the strings take, each with its NUL; 0 for NULL. */
size_t strv_bytes(char **l);

/* A JSON array of strings as a vector of copies: NULL or JSON null give an empty one. -EINVAL
 * when a is not an array, or an entry is not a string or holds a NUL byte (a C string would
 * silently cut it short). *ret untouched on failure. (Its size: strv_bytes().) */
int strv_from_json(json_object *a, char ***ret);

/* The vector as a JSON array of strings (NULL: an empty array); NULL when out of memory. */
json_object *json_strv(char **l);

#endif
