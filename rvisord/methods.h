/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the io.rvisor.Manager methods in files of their own (exec.c) share with manager.c. */
#ifndef RVISORD_METHODS_H
#define RVISORD_METHODS_H

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "journal.h"
#include "manager.h"
#include "varlink.h"

#define ERROR_PREFIX "io.rvisor.Manager."
/* What one call may carry at most: the command line and environment together (the kernel's
 * ARG_MAX). */
#define RUN_ARGS_MAX (2U << 20)

struct container;
struct exec;

/* The sandbox a call names by its id or its name (exactly one of them). Another user's
 * sandbox is as absent as one that does not exist. Replies the error itself (NULL). */
struct sandbox *sandbox_from_params(struct manager *m, VarlinkCall *call, json_object *params);
/* A sandbox Run started: its container; NULL for an OCI container BindContainer bound. */
struct container *sandbox_container(struct sandbox *s);
/* Its Exec calls (exec.c keeps the list; the sandbox ends them with it: execs_end()). */
struct exec **sandbox_execs(struct sandbox *s);
struct journal_sandbox_fields sandbox_journal_fields(const struct sandbox *s);
uint64_t sandbox_id(const struct sandbox *s);

/* "UID" or "UID:GID", decimal, each at most 65534 * 65536 (Run's and Exec's user). */
int parse_user(const char *s, uid_t *ret_uid, gid_t *ret_gid);

int reply_error_reason(VarlinkCall *call, const char *error, const char *key, const char *reason);
/* The call's fds 0-2 as a program's stdin, stdout and stderr (what it did not send is
 * /dev/null), into fds[]: 1 when each passes container_stdio_check(), else the reply's
 * result (BadFileDescriptor), or -errno. The caller closes fds[] (-1 where none). */
int call_stdio_fds(VarlinkCall *call, int fds[3]);
/* Adds a program's end to an "exited" reply: exec_errno when it could not be executed, else
 * the signal that killed it, else its exit code. */
void exit_reply_add(json_object *p, int wait_status, int exec_errno);

#endif
