/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Detached sandboxes (Run's detach) and the calls that follow a sandbox's life: Logs, Attach,
 * Wait, Stop and Remove.
 *
 * A detached sandbox is not tied to its Run call: its stdout and stderr are pipes (with tty,
 * a pty) whose other ends rvisord reads into a log store (logstore.h), without ever blocking
 * its event loop; its stdin is /dev/null or (interactive) a pipe into which rvisord writes
 * what Attach callers send. Once it has exited it stays, state "exited" with its exit status,
 * until Remove. A record in state_dir/.detached says what the next rvisord needs: with the
 * service manager's file descriptor store (rvisord under systemd) the sandbox, its pipes, its
 * init's pidfd and report pipe outlive rvisord and the next one adopts it; without it
 * rvisord ends its detached sandboxes when it exits and the next one cleans up what a crash
 * left. docs/detached.md tells the whole story.
 */
#ifndef RVISORD_DETACHED_H
#define RVISORD_DETACHED_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "manager-internal.h"
#include "varlink.h"

/* Run's detach: makes the sandbox's stdio. The sandbox's ends go to ret_stdio[0..2] (the
 * caller closes them once the sandbox is spawned), rvisord's stay in *ret. */
int detached_new(bool tty, bool interactive, bool auto_remove, struct detached **ret, int ret_stdio[3]);
/* For one that never got a sandbox. NULL is fine; returns NULL. */
struct detached *detached_free(struct detached *d);

static inline void detached_freep(struct detached **d)
{
	detached_free(*d);
}

/* Once the sandbox is spawned (s->detached set, s->id known): opens its log and watches its
 * output. */
int detached_setup(struct sandbox *s);

/* The workload runs: the Run call gets its one and final reply (started, which this takes),
 * the record is written and, with the descriptor store, the descriptors go there. */
void detached_started(struct sandbox *s, json_object *started);

/* Any sandbox of Run's has exited (its init's wait status, or exec_errno): Wait, Stop,
 * Remove and Attach calls get their answers. A detached one is kept as "exited" (or removed,
 * when asked to be): then true, and s is no longer the caller's; else false and the caller
 * frees it. */
bool sandbox_exited(struct sandbox *s, int wait_status, int exec_errno, bool oom);

/* From sandbox_free(): every call still waiting on s ends; what s->detached holds is closed
 * (its files stay). */
void sandbox_calls_end(struct sandbox *s);

/* Whether the sandbox still runs (an exited detached one does not). */
bool sandbox_running(const struct sandbox *s);

/* Sandbox's state, detached and, once exited, its exit status, for List and Inspect. */
void detached_json(const struct sandbox *s, json_object *o);

/* At start, before any sandbox: takes over the detached sandboxes the records name, with the
 * descriptors the service manager kept (fds and names from sd_listen_fds_with_names(), those
 * named "rvisor-..."; all are taken, used or closed); ends and removes the rest. */
void detached_adopt(struct manager *m, int *fds, char **names, size_t n);

/* container_cleanup_stale()'s keep: a state directory or cgroup of an adopted sandbox. */
bool detached_keep(const char *name, void *userdata);

/* From manager_free(), first: with the descriptor store, detached sandboxes are left to the
 * next rvisord (frozen, their cgroups' controllers released); without it their records and
 * output go, and the sandboxes with everything else. */
void detached_handover(struct manager *m);

/* The methods (io.rvisor.Manager.varlink). */
int method_logs(VarlinkCall *call, void *params, void *userdata);
int method_attach(VarlinkCall *call, void *params, void *userdata);
int method_wait(VarlinkCall *call, void *params, void *userdata);
int method_stop(VarlinkCall *call, void *params, void *userdata);
int method_remove(VarlinkCall *call, void *params, void *userdata);

#endif
