/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure helpers for rvisorctl's arguments and output, here so unit tests can reach them.
 * Library code: returns -errno, never logs. */
#ifndef RVISOR_CLI_UTIL_H
#define RVISOR_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* "512", "64K", "512M", "2G", "1T" (binary multiples, suffix in either case, optionally
 * followed by "B" or "iB") to bytes. -EINVAL for anything else (signs, spaces, fractions),
 * -ERANGE for 0 or more than INT64_MAX. */
int cli_parse_size(const char *s, uint64_t *ret);

/* A sandbox id: decimal digits only, at most INT64_MAX. -EINVAL or -ERANGE. */
int cli_parse_id(const char *s, int64_t *ret);

/* "UID" or "UID:GID", decimal, each below 4294967295 (which is (uid_t)-1). -EINVAL otherwise.
 * *ret_has_gid says whether a GID was given (*ret_gid is then set). */
int cli_parse_user(const char *s, uint32_t *ret_uid, uint32_t *ret_gid, bool *ret_has_gid);

/* "TERM", "SIGTERM", "term", "15": the signal's number (1..64), or -EINVAL. */
int cli_parse_signal(const char *s);

/* "SIGTERM" for SIGTERM; NULL for a signal without a classic name (real-time ones). */
const char *cli_signal_name(int sig);

/* One -e argument: "KEY=VALUE" as is; "KEY" takes KEY's value from the environment (like
 * docker) and gives *ret NULL when KEY is unset (the entry is then left out). -EINVAL for an
 * empty KEY. *ret is allocated. */
int cli_env_entry(const char *arg, char **ret);

/* A sandbox name: [A-Za-z0-9][A-Za-z0-9_.-]{0,63}, docker's rule. */
bool cli_name_valid(const char *name);

/* Makes path absolute against cwd (used when path is relative) and normalises it lexically:
 * no "//", ".", or ".." components, no trailing slash. Nothing is resolved on disk. */
int cli_path_absolute(const char *path, const char *cwd, char **ret);

/* The path as the daemon should see it: realpath() when it resolves, else (it does not exist,
 * or cannot be searched by us) cli_path_absolute() against the working directory, so the
 * daemon can report the path the user meant. */
int cli_image_path(const char *path, char **ret);

/* "512M", "1.5G", "100K", "12B": binary units, one decimal when not exact. buf: at least 16. */
const char *cli_format_bytes(uint64_t bytes, char *buf, size_t size);

/* Microseconds since the epoch as local "YYYY-MM-DD HH:MM:SS"; "-" for 0 or negative. */
const char *cli_format_time(int64_t usec, char *buf, size_t size);

/* A JSON array of strings as one shell-quoted line ("sh -c 'echo hi'"); entries that are not
 * strings are skipped. Allocated; NULL when out of memory. */
char *cli_format_argv(json_object *array);

/*
 * The one-line message for a varlink error reply from rvisord: what failed and what to do
 * next ("image /x not found: No such file or directory"). error is the error's full name,
 * params its parameters (may be NULL). Allocated; NULL when out of memory.
 */
char *cli_error_message(const char *error, json_object *params);

#endif
