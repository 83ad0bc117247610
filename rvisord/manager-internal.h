/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What manager.c shares with the methods in files of their own (detached*.c, exec.c): a
 * sandbox, and the helpers they use. */
#ifndef RVISORD_MANAGER_INTERNAL_H
#define RVISORD_MANAGER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "journal.h"
#include "manager-params.h"
#include "manager.h"
#include "varlink.h"

/* What one call may carry at most: the command line and environment together (the kernel's
 * ARG_MAX). */
#define RUN_ARGS_MAX (2U << 20)

struct container;
struct rvisor_policy_config;
struct detached;
struct exec;
struct waiter;

struct sandbox {
	struct manager *m;
	struct sandbox *next;
	uint64_t id;
	char *name, *policy, *image;
	char **argv;
	uid_t owner;                 /* the caller that started it (SO_PEERCRED) */
	bool userns;                 /* in a user namespace mapped to the owner's ids */
	unsigned int layers;         /* POLICY_LAYER_KERNEL (rvisor.ko's gate), _SECCOMP (the
				      * policy's seccomp filter), or both */
	uint64_t started_usec;
	uint64_t memory_max, pids_max;
	uint64_t cpus_milli;         /* 0: no CPU limit */
	struct container *c;         /* a sandbox Run started, else NULL: */
	char *container;             /* an OCI container BindContainer bound: its OCI id, */
	uint64_t kernel_id;          /* its kernel sandbox, */
	pid_t pid;                   /* its init and */
	char *cgroup_dir;            /* its cgroup (the runtime's), or NULL */
	char *cpuset;                /* the CPUs it was given ("0-1"), or NULL: any */
	sd_event_source *child;      /* the init's exit */
	sd_event_source *setup_io, *setup_timer; /* while the init builds the sandbox */
	VarlinkCall *call;           /* the Run call until its final reply */
	struct detached *detached;   /* Run's detach: its output, its end (detached.h); else NULL */
	struct waiter *waiters;      /* Wait, Stop and Remove calls until it has exited */
	struct exec *execs;          /* Exec calls joined to it (exec.c) */
};

/* The sandbox a call names by its id or its name (exactly one of them). Another user's
 * sandbox is as absent as one that does not exist. Replies the error itself. */
struct sandbox *sandbox_from_params(struct manager *m, VarlinkCall *call, struct varlink_int id,
				    const char *name);

/* Adds s to the manager's sandboxes; takes it off and frees it (destroying what it has). */
void sandbox_link(struct manager *m, struct sandbox *s);
void sandbox_unlink_and_free(struct sandbox *s);

struct journal_sandbox_fields journal_fields(const struct sandbox *s);

/* Its kernel sandbox's id (0: none). */
uint64_t sandbox_kernel_id(const struct sandbox *s);

/* Run's and Exec's uid and gid: each 0..UID_GID_MAX, gid only with uid; without gid the group
 * is the uid's number. 1 and *ret_given (the ids in *ret_uid and *ret_gid when a uid was
 * given), else the reply's result (InvalidParameter). Whether the sandbox's user namespace
 * maps them is the caller's to check. */
int call_user_ids(VarlinkCall *call, struct varlink_int uid, struct varlink_int gid, bool *ret_given,
		  uid_t *ret_uid, gid_t *ret_gid);
/* UserNotPermitted for uid (and gid, when not NULL), with the reason why. */
int reply_user_not_permitted(VarlinkCall *call, uid_t uid, const gid_t *gid, const char *reason);

/* The call's fds 0-2 as a program's stdin, stdout and stderr (what it did not send is
 * /dev/null), into fds[]: 1 when each passes container_stdio_check(), else the reply's
 * result (BadFileDescriptor), or -errno. The caller closes fds[] (-1 where none). */
int call_stdio_fds(VarlinkCall *call, int fds[3]);
/* Adds a program's end to an "exited" reply: exec_errno when it could not be executed, else
 * the signal that killed it, else its exit code. */
void exit_reply_add(json_object *p, int wait_status, int exec_errno);

/* Destroys what the sandbox has (its Exec calls, container, child watch, pending call) and
 * frees it; sandbox_unlink_and_free() for a linked one. */
void sandbox_free(struct sandbox *s);
uid_t caller_uid(VarlinkCall *call);
/* The policy by name, and whether it can run here: 1 and *ret, else the reply's result. */
int policy_for_call(struct manager *m, VarlinkCall *call, const char *name, struct rvisor_policy_config **ret);
/* Room for one more sandbox of the caller: 1, else the reply's result. */
int quota_check(struct manager *m, VarlinkCall *call);
/* ["kernel", "seccomp"] and the like, for List and the container methods. */
json_object *layers_json(unsigned int layers);
/* v, or null for UINT64_MAX (no limit). */
void add_uint_or_null(json_object *o, const char *key, uint64_t v);
int reply_bad_fd(VarlinkCall *call, unsigned index, const char *reason);

/* An error with one string field: {"reason": ...} and the like. */
int reply_error_reason(VarlinkCall *call, const char *error, const char *key, const char *reason);

#endif
