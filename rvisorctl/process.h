/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What run and exec share about the program they start: its environment and user flags, its
 * stdio, and the exit code its end stands for. */
#ifndef RVISORCTL_PROCESS_H
#define RVISORCTL_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* -e KEY=VALUE (or KEY: rvisorctl's own value, left out when unset) into (*env, *n): EXIT_OK,
 * or the exit code of the error said (VERB's usage error, or EXIT_RUN_FAILED). */
int process_env_add(const char *verb, const char *arg, char ***env, size_t *n);

/* --env-file FILE, as docker reads one: a KEY=VALUE or KEY per line; blank lines and lines
 * starting with '#' are skipped. Read with the caller's own rights. As process_env_add(). */
int process_env_file_add(const char *verb, const char *path, char ***env, size_t *n);

/* -u's ids, as Run and Exec take them: without a GID, rvisord gives the group the UID's
 * number. */
struct process_user {
	bool set, has_gid;
	uint32_t uid, gid;
};

/* -u UID[:GID], numbers, into *user (replacing what was there): EXIT_OK, or the exit code of
 * the error said. */
int process_user_arg(const char *verb, const char *arg, struct process_user *user);

/* Adds -u's uid (and gid) to a Run or Exec call's parameters, when it was given. */
void process_user_params(const struct process_user *user, json_object *params);

/* fd itself when use_it and it is open, else a new /dev/null in *devnull (rvisord needs all
 * of 0-2). -errno when /dev/null cannot be opened. */
int process_stdio_fd(int fd, bool use_it, int *devnull);

/* The exit code an "exited" reply of method stands for, as docker's: the program's own,
 * 128+N for signal N, 127 when cmd was not found, 126 when it cannot be executed (said on
 * stderr), EXIT_RUN_FAILED (said) for a malformed reply. */
int process_exit_code(const char *method, const char *cmd, json_object *reply);

#endif
