/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl as rvisord's client: connecting, one-reply calls, one-line error messages. */
#ifndef RVISORCTL_CLIENT_H
#define RVISORCTL_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "json-util.h" /* the replies' fields: json_get_int() ... */
#include "varlink.h"

#define RVISOR_SOCKET_DEFAULT "/run/rvisor/io.rvisor.Manager"
#define MANAGER_METHOD(m) "io.rvisor.Manager." m

/* $RVISOR_SOCKET when set and not empty, else RVISOR_SOCKET_DEFAULT. */
const char *daemon_address(void);

/* Connects to rvisord. Returns -errno without logging (status falls back on failure). */
int daemon_connect(VarlinkClient **ret);

/* Logs why daemon_connect() failed, saying what to do ("rvisord is not running: systemctl
 * start rvisord.socket ..."); returns r. */
int daemon_log_connect_error(int r);

/* Logs a failed varlink_client_call()/_read() (the daemon went away, a malformed reply);
 * returns r. */
int daemon_log_io_error(int r);

/* Logs the one-line message for an error reply (cli_error_message()); returns -EREMOTEIO. */
int daemon_log_error_reply(const char *error, json_object *params);

/* Logs that a reply lacked a field or had one of the wrong type; returns -EBADMSG. */
int daemon_log_bad_reply(const char *method);

/*
 * Connects, calls method (params borrowed, NULL: none) and reads its one reply into
 * *ret_reply. Every failure is logged; an error reply too, unless ret_error is not NULL:
 * then it comes back as 0 with *ret_error its name (freed by the caller) and *ret_reply its
 * parameters, for a caller that handles some errors itself. Returns 0 or -errno.
 */
int daemon_call(const char *method, json_object *params, json_object **ret_reply, char **ret_error);

/* A Sandbox's owner_uid as its user name ("alice"), or the number when it has none; with
 * with_uid, the number follows the name ("alice (1000)"). "-" from a daemon that does not say
 * (older than owner_uid). Allocated; NULL when out of memory. */
char *sandbox_owner(json_object *sandbox, bool with_uid);

/* A reply's layers (["kernel", "seccomp"]) as text: "kernel+seccomp", "kernel", "seccomp";
 * "-" when the reply has none (an older daemon). Not escaped (the caller escapes what it
 * prints). Allocated; NULL when out of memory. -EBADMSG (*ret untouched) when the field is
 * not an array of strings: layers_valid() says so beforehand. */
int layers_text(json_object *o, char **ret);

/* Whether o's "layers", when present, is an array of strings. */
bool layers_valid(json_object *o);

/* Whether o (a Sandbox, or Run's "started" reply) has layer ("kernel", "seccomp"): from its
 * "layers", or from "platform" for a daemon older than layers (one layer then: the
 * platform's). */
bool layers_have(json_object *o, const char *layer);

/* The exit code a sandbox's end stands for (Run's "exited", Wait's and Attach's last reply),
 * as a shell would give it: the exit code, 128+N for signal N, 127 when the command was not
 * found, 126 when it could not be executed. -EBADMSG for a reply without a valid one. */
int sandbox_exit_code(json_object *reply, int *ret);

/* Logs "Out of memory"; returns -ENOMEM. */
int log_oom(void);

/* Flushes stdout; EXIT_OK, or EXIT_FAILED after logging why (a full disk, a closed pipe). */
int flush_stdout(void);

/* Prints o on stdout, pretty or as one line (cli_json_text(): no terminal control in it), and
 * flushes; EXIT_OK or EXIT_FAILED. */
int print_json(json_object *o, bool pretty);

#endif
