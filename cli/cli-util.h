/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the command-line programs share (rvisorctl, rvisor-runc), rvisord does not: parsing
 * arguments, reading input, formatting output for a terminal, the messages for rvisord's error
 * replies. Library code: returns -errno, never logs. */
#ifndef RVISOR_CLI_UTIL_H
#define RVISOR_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* A sandbox id: decimal digits only, at most INT64_MAX. -EINVAL or -ERANGE. */
int cli_parse_id(const char *s, int64_t *ret);

/* "UID" or "UID:GID", decimal, each at most UID_GID_MAX (user-ids.h). -EINVAL otherwise.
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

/* Reads the rest of fd as text: at most max bytes (-EFBIG beyond), no NUL byte (-EBADMSG),
 * NUL-terminated in *ret (allocated); other -errno from read(). */
int cli_read_text(int fd, size_t max, char **ret);

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

/*
 * s made safe to print on a terminal: printable ASCII (a backslash included, as is) and valid
 * UTF-8 are kept; the C0 controls (0x00-0x1f), DEL (0x7f) and the C1 controls (U+0080-U+009F,
 * each of whose two UTF-8 bytes is written) become \xHH, and so does every byte of an invalid
 * UTF-8 sequence (lone continuation bytes, overlong forms, surrogates, truncated sequences).
 * For display only: the result cannot be told apart from a string that held "\x1b" itself.
 * Applying it again changes nothing. Allocated; NULL (errno set) when out of memory.
 */
char *cli_escape(const char *s);

/* A JSON array of strings as one shell-quoted line ("sh -c 'echo hi'"); entries that are not
 * strings are skipped. An argument that cli_escape() would change is written in bash's $'...'
 * quoting ($'\x1b[2J'), so the line stays one a shell reads back as the same arguments and
 * carries no control character. Allocated; NULL when out of memory. */
char *cli_format_argv(json_object *array);

/* o's JSON text as json-c writes it (pretty or on one line, '/' not escaped), except that DEL
 * and the C1 controls, which json-c passes through, are written as \u escapes too: the same
 * JSON value, with no terminal control in it (json-c escapes the C0 ones itself). Allocated;
 * NULL when out of memory. */
char *cli_json_text(json_object *o, bool pretty);

/* Finds an OCI bundle's root.path in the text of its config.json: "rootfs" when there is no
 * root object or it has no path. -EBADMSG when the text is not one JSON object (or not UTF-8),
 * -EINVAL when root is not an object or root.path not a non-empty string. *ret is allocated. */
int cli_bundle_root_path(const char *text, size_t len, char **ret);

/* Flags for cli_open_beneath(). */
enum {
	/* Do not use openat2() (the fallback, forced for tests). */
	CLI_OPEN_BENEATH_NO_OPENAT2 = 1 << 0,
};

/*
 * Opens path as a directory (O_RDONLY|O_DIRECTORY|O_CLOEXEC) below dirfd, never leaving it:
 * openat2() with RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS. -EXDEV when path is absolute or leads
 * outside (through ".." or a symbolic link). Where openat2() is missing (ENOSYS, or EPERM from
 * a seccomp filter that does not know it), each component is opened in turn with O_NOFOLLOW
 * after lexical normalisation: ".." above dirfd is -EXDEV, and any symbolic link is -ELOOP.
 */
int cli_open_beneath(int dirfd, const char *path, unsigned flags, int *ret_fd);

/*
 * The one-line message for a varlink error reply from rvisord: what failed and what to do
 * next ("image /x not found: No such file or directory"). error is the error's full name,
 * params its parameters (may be NULL). Allocated; NULL when out of memory.
 */
char *cli_error_message(const char *error, json_object *params);

#endif
