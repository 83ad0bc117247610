/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl's verbs: one file each, dispatched from the table in main.c. */
#ifndef RVISORCTL_VERBS_H
#define RVISORCTL_VERBS_H

#include <json-c/json.h>

#include "macro.h"

/* Exit codes shared by all verbs. `run` and `exec` add docker's 125/126/127 and pass the
 * program's. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_LOADED = 3,    /* status: the kernel module is not loaded */
	EXIT_RUN_FAILED = 125,  /* run, exec: rvisor itself failed */
	EXIT_CANNOT_EXEC = 126, /* run, exec: the command is not executable */
	EXIT_NOT_FOUND = 127,   /* run, exec: the command was not found */
};

/* A verb gets argv from its own name on and returns the process's exit code. */
int verb_run(int argc, char *argv[]);
int verb_exec(int argc, char *argv[]);
int verb_ps(int argc, char *argv[]);
int verb_stats(int argc, char *argv[]);
int verb_kill(int argc, char *argv[]);
int verb_logs(int argc, char *argv[]);
int verb_attach(int argc, char *argv[]);
int verb_wait(int argc, char *argv[]);
int verb_stop(int argc, char *argv[]);
int verb_rm(int argc, char *argv[]);
int verb_inspect(int argc, char *argv[]);
int verb_policy(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_version(int argc, char *argv[]);

/*
 * The message for a getopt_long() failure (c is '?' or ':', the optstring starting with "+:"
 * or ":") in one line, ending in "Try 'rvisorctl VERB --help'."; returns EXIT_USAGE.
 */
int verb_getopt_error(const char *verb, int c, int argc, char *argv[]);

/*
 * A sandbox as the command line names it, into a method's parameters: "id" when ARG is a
 * number, else "name" (names are never all digits). On a bad ARG, the usage error for VERB
 * (EXIT_USAGE); else 0.
 */
int verb_sandbox_param(const char *verb, json_object *params, const char *arg);

/* verb_sandbox_param()'s check for each of n command-line arguments: 0, or the usage error
 * for the first bad one. */
int verb_sandbox_args_check(const char *verb, int n, char *args[]);

/* Any other usage error: the message, then "Try 'rvisorctl VERB --help'."; EXIT_USAGE. */
int verb_usage_error(const char *verb, const char *fmt, ...) _printf_(2, 3);

#endif
