/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.rvisor.Manager.Exec (exec.c): a process joining a running sandbox. */
#ifndef RVISORD_EXEC_H
#define RVISORD_EXEC_H

#include <json-c/json.h>

#include "varlink.h"

struct exec;

/* The method's handler (userdata: the struct manager). */
int method_exec(VarlinkCall *call, void *params, void *userdata);

/* The sandbox whose Exec calls these are ends: each call gets its last reply (the process's
 * end, which the sandbox's end brings about) and is freed; *list is then empty. Blocks a
 * second at most for a helper that does not end its process when asked. */
void execs_end(struct exec **list);

#endif
