/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What run and exec share about the program they start: its options (-e, --env-file, -w, -u,
 * -i, -t) and the call parameters they make, its stdio, and the exit code its end stands for. */
#ifndef RVISORCTL_PROCESS_H
#define RVISORCTL_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "varlink.h"

/* -u's ids, as Run and Exec take them: without a GID, rvisord gives the group the UID's
 * number. */
struct process_user {
	bool set, has_gid;
	uint32_t uid, gid;
};

/* The options run and exec share, as given. */
struct process_options {
	const char *workdir; /* -w: absolute; NULL: the default */
	char **env;          /* -e, --env-file: KEY=VALUE, n_env of them */
	size_t n_env;
	struct process_user user; /* -u */
	bool interactive, tty;
};

/* Their getopt_long() letters and entries, for a verb's own optstring and table; --env-file's
 * value lies above those of the verbs' own long-only options (0x100 on). */
enum { PROCESS_OPTION_ENV_FILE = 0x1000 };
#define PROCESS_SHORT_OPTIONS "e:w:u:it"
#define PROCESS_LONG_OPTIONS                                                                      \
	{ "env", required_argument, NULL, 'e' },                                                  \
	{ "env-file", required_argument, NULL, PROCESS_OPTION_ENV_FILE },                         \
	{ "workdir", required_argument, NULL, 'w' },                                              \
	{ "user", required_argument, NULL, 'u' },                                                 \
	{ "interactive", no_argument, NULL, 'i' },                                                \
	{ "tty", no_argument, NULL, 't' }

/* process_option()'s answer for an option that is none of them (no exit code is negative). */
#define PROCESS_OPTION_OTHER (-1)

/*
 * getopt_long()'s c and its optarg, for VERB: when c is one of the options above, its value
 * into *o and EXIT_OK, or the exit code of the error said (VERB's usage error, or
 * EXIT_RUN_FAILED); else PROCESS_OPTION_OTHER.
 *   -e KEY=VALUE, or KEY: rvisorctl's own value (left out when unset);
 *   --env-file FILE, as docker reads one: a KEY=VALUE or KEY per line, blank lines and lines
 *   starting with '#' skipped; read with the caller's own rights;
 *   -w DIR, absolute; -u UID[:GID], numbers, the last one given.
 */
int process_option(const char *verb, int c, const char *arg, struct process_options *o);

void process_options_done(struct process_options *o);

/* -t without -i, when the terminal would be the command's stdin: VERB's usage error; else
 * EXIT_OK. */
int process_tty_usage_check(const char *verb, const struct process_options *o);

/* -t while stdin is no terminal: EXIT_RUN_FAILED after saying so; else EXIT_OK. */
int process_tty_stdin_check(const struct process_options *o);

/* The options' parameters of a Run or Exec call (env, cwd, uid, gid, tty), where given. */
void process_options_params(const struct process_options *o, json_object *params);

/* n strings as a JSON array (argv, env). */
json_object *process_string_array(char *const *strv, size_t n);

/* The program's stdin, stdout and stderr for a Run or Exec call (rvisord needs all of 0-2):
 * ours, stdin only when interactive; /dev/null where ours is not used or not open. */
struct process_stdio {
	int fds[3];
	int devnull[3]; /* the /dev/nulls opened, closed by process_stdio_done() */
};
#define PROCESS_STDIO_INIT { .fds = { -1, -1, -1 }, .devnull = { -1, -1, -1 } }

/* Fills s->fds: EXIT_OK, or EXIT_RUN_FAILED after saying why (/dev/null cannot be opened). */
int process_stdio_open(struct process_stdio *s, bool interactive);
void process_stdio_done(struct process_stdio *s);

/*
 * The next reply of a Run or Exec call (method) on c: EXIT_OK with *ret_reply (the caller's to
 * put), *ret_state (borrowed from it) and *ret_continues (may be NULL); else EXIT_RUN_FAILED
 * after saying why (the connection broke, an error reply, a reply without a state). With
 * print, the reply is printed as a JSON line before its state is looked at (--json).
 */
int process_read_reply(VarlinkClient *c, const char *method, bool print, json_object **ret_reply,
		       const char **ret_state, bool *ret_continues);

/* The exit code an "exited" reply of method stands for, as docker's: the program's own,
 * 128+N for signal N, 127 when cmd was not found, 126 when it cannot be executed (said on
 * stderr), EXIT_RUN_FAILED (said) for a malformed reply. */
int process_exit_code(const char *method, const char *cmd, json_object *reply);

#endif
