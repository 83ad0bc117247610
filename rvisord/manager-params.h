/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parameters of io.rvisor.Manager's methods, one struct per method, each field named as
 * the parameter is. The server fills them through the tables in manager.c before a handler
 * runs (varlink.h says what each type becomes); test-manager-idl holds the tables to the IDL. */
#ifndef RVISORD_MANAGER_PARAMS_H
#define RVISORD_MANAGER_PARAMS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "varlink.h"

struct run_params {
	const char *image;
	char **argv, **env;
	const char *policy, *name, *cwd, *hostname, *bundle_config, *cpuset, *network;
	struct varlink_int uid, gid, memory, pids, cpus_milli;
	bool tty, userns, read_only, detach, interactive, remove;
	json_object *mounts;
};

/* Inspect, Attach and Wait: a sandbox by its id or its name (sandbox_from_params()). */
struct sandbox_params {
	struct varlink_int id;
	const char *name;
};

struct kill_params {
	struct varlink_int id, signal;
	const char *name;
};

struct exec_params {
	struct varlink_int id, uid, gid;
	const char *name, *cwd;
	char **argv, **env;
	bool tty;
};

struct logs_params {
	struct varlink_int id;
	const char *name;
	bool follow;
};

struct stop_params {
	struct varlink_int id, timeout;
	const char *name;
};

struct remove_params {
	struct varlink_int id;
	const char *name;
	bool force;
};

struct get_policy_params {
	const char *name;
};

struct check_policy_params {
	const char *name, *text;
};

struct prepare_container_params {
	const char *policy;
	bool engine_seccomp;
};

struct bind_container_params {
	const char *container, *policy, *bundle, *hostname, *domainname;
	char **command;
	bool engine_seccomp;
};

struct release_container_params {
	const char *container;
};

#endif
