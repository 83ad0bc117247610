/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisor-runc: an OCI runtime with runc's command line, built on crun. What the files share. */
#ifndef RVISOR_RUNTIME_H
#define RVISOR_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>

#include <json-c/json.h>

#include "macro.h"

#define RUNC_NAME "rvisor-runc"
#define RUNC_CRUN_DEFAULT "/usr/bin/crun"
#define RUNC_SOCKET_DEFAULT "/run/rvisor/io.rvisor.Manager"
#define RUNC_STATE_DIR_ROOT "/run/rvisor-runc"
#define RUNC_METHOD(m) "io.rvisor.Manager." m

/* The annotations rvisor-runc reads and writes, and crun's raw seccomp one. */
#define ANNOTATION_POLICY "io.rvisor.policy"
#define ANNOTATION_LAYERS "io.rvisor.layers"
#define ANNOTATION_VERSION "io.rvisor.version"
#define ANNOTATION_CRUN_SECCOMP "run.oci.seccomp_bpf_data"

/* A bundle's config.json: far more than any real one, well under varlink's message limit. */
#define RUNC_CONFIG_MAX (8U * 1024 * 1024)
/* Seconds crun gives the createRuntime hook (BindContainer) before it fails the create. */
#define RUNC_HOOK_TIMEOUT 60

/* ---- The command line (args.c): pure, no logging, unit-tested. ---- */

/* What an option is to rvisor-runc; everything it does not act on is only passed to crun. */
enum runc_opt_key {
	OPT_PASS,        /* known, passed on as it is */
	OPT_HELP,
	OPT_VERSION,
	OPT_ROOT,
	OPT_LOG,
	OPT_LOG_FORMAT,
	OPT_DEBUG,
	OPT_ROOTLESS,
	OPT_BUNDLE,
	OPT_CONFIG,      /* crun's -f/--config: read instead of BUNDLE/config.json, never passed on */
	OPT_PROCESS,     /* exec's -p/--process: the process's JSON */
	OPT_PRESERVE_FDS,
	OPT_PID_FILE,
	OPT_CONSOLE_SOCKET,
	OPT_DETACH,
	OPT_FORCE,
	OPT_ALL,
	OPT_SOCKET,      /* hook: rvisord's socket */
	OPT_ERROR_FILE,  /* hook: where its error message goes too */
	OPT_ENGINE_SECCOMP, /* hook: the container has the engine's own seccomp profile */
	_OPT_KEY_MAX,
	_OPT_KEY_INVALID = -1,
};

struct runc_option {
	const char *name;  /* long name, without "--"; NULL ends a table */
	char short_name;   /* 0: none */
	bool has_arg;
	enum runc_opt_key key;
};

/* One parsed argument: an option (with its value) or a positional argument (key
 * _OPT_KEY_INVALID, value the argument). first..first+n_tokens-1 are its argv indexes. */
struct runc_arg {
	enum runc_opt_key key;
	const char *name;  /* the option's long name ("" for a short-only one); NULL for a
			    * positional argument */
	char short_name;
	const char *value; /* borrowed from argv; NULL for a flag */
	int first, n_tokens;
};

struct runc_args {
	struct runc_arg *args;
	size_t n;
};

void runc_args_done(struct runc_args *a);

/*
 * Parses argv[start..argc-1] against table as GNU getopt would (options and positional
 * arguments in any order; "--name=value", "--name value", "-x", "-xvalue", "-x value", grouped
 * short flags; "--" ends the options, "-" is positional). With stop_at_positional, the first
 * positional argument ends the parsing (global options: it is the command) and is the last
 * one recorded. -ENOENT: an option the table does not know; -EINVAL: a value missing or given
 * to a flag. Either way *ret_msg (allocated) says which, and nothing else is set.
 */
int runc_args_parse(const struct runc_option *table, int argc, char *argv[], int start,
		    bool stop_at_positional, struct runc_args *ret, char **ret_msg);

/* The last value given for key (options given twice: the last wins, as with runc); NULL. */
const char *runc_args_value(const struct runc_args *a, enum runc_opt_key key);
bool runc_args_has(const struct runc_args *a, enum runc_opt_key key);
/* The index-th positional argument, or NULL; how many there are. */
const char *runc_args_positional(const struct runc_args *a, size_t index);
size_t runc_args_n_positional(const struct runc_args *a);

/* The global options, before the command. */
struct runc_global {
	const char *root;       /* --root: crun's state root; NULL: crun's default */
	const char *log;        /* --log FILE */
	const char *log_format; /* --log-format: "text" (default) or "json" */
	bool debug, help, version;
	int command;            /* argv index of the command; argc when there is none */
};

extern const struct runc_option runc_global_options[];

/* Parses the global options; -EINVAL/-ENOENT with *ret_msg as runc_args_parse(), and for a
 * --log-format other than text or json. */
int runc_parse_global(int argc, char *argv[], struct runc_global *ret, char **ret_msg);

/* A command of runc's command line and what rvisor-runc does with it. */
enum runc_action {
	ACTION_PASS,      /* exec crun with the same arguments */
	ACTION_CONTAINER, /* the same, after checking that the container exists */
	ACTION_EXEC,      /* the same, with no_new_privs where the seccomp layer needs it */
	ACTION_CREATE,    /* create, run */
	ACTION_DELETE,
	ACTION_FEATURES,
	ACTION_HOOK,      /* rvisor-runc's own createRuntime hook */
	ACTION_REFUSE,    /* refused: it would make a container without rvisor's layers */
	_ACTION_MAX,
	_ACTION_INVALID = -1,
};

struct runc_command {
	const char *name;
	enum runc_action action;
	const struct runc_option *options; /* NULL: any (passed on unchecked) */
	const char *summary;
};

/* The command called name; NULL for one runc does not have (crun then says so). */
const struct runc_command *runc_command_find(const char *name);
extern const struct runc_command runc_commands[];

/*
 * crun's command line from argv (argc of them, the command at index command): without the
 * tokens of the options a recorded with key drop, and with insert (borrowed; NULL: none)
 * after the command. *ret: an allocated NULL-terminated array of borrowed strings.
 */
int runc_rebuild_argv(char *argv[], int argc, int command, const struct runc_args *a, enum runc_opt_key drop,
		      const char *insert, char ***ret);

/* Whether an option of key was given inside a group of short options ("-df X"): then its
 * tokens cannot be left out alone. */
bool runc_args_grouped(char *argv[], const struct runc_args *a, enum runc_opt_key key);

/* runc's rule for container ids (^[\w+\-.]+$), shorter than NAME_MAX, and not "." or "..". */
bool runc_container_id_valid(const char *id);

/* ---- Logging (log.c): stderr, and the --log file as runc writes it. ---- */

/* Where errors also go: --log FILE in --log-format text (logrus-like) or json (one object a
 * line), and for the hook a plain file of its messages. NULL: nowhere. debug enables
 * runc_debug(). Opening happens at the first message; a file that cannot be opened is
 * skipped (the message still reaches stderr). */
void runc_log_setup(const char *log_file, bool json, const char *plain_file, bool debug);

/* Like log_internal(): one line "rvisor-runc: MESSAGE" on stderr (%m is error's text), the
 * same message in the log files; returns -abs(error). */
int runc_log(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define runc_error_errno(e, ...) runc_log(LOG_ERR, (e), __VA_ARGS__)
#define runc_warning_errno(e, ...) runc_log(LOG_WARNING, (e), __VA_ARGS__)
#define runc_error(...) (void)runc_log(LOG_ERR, 0, __VA_ARGS__)
#define runc_warning(...) (void)runc_log(LOG_WARNING, 0, __VA_ARGS__)
#define runc_debug(...) (void)runc_log(LOG_DEBUG, 0, __VA_ARGS__)

/* The JSON line for a --log-format json file, {"level":…,"msg":…,"time":RFC 3339}, with
 * its newline. Allocated; NULL when out of memory. */
char *runc_log_json_line(int level, const char *msg, const struct timespec *ts);

/* "Out of memory"; returns -ENOMEM. */
int runc_oom(void);

/* ---- The config rewrite (config.c): pure, no logging, unit-tested. ---- */

enum {
	RUNC_LAYER_KERNEL = 1U << 0,
	RUNC_LAYER_SECCOMP = 1U << 1,
};

/* What PrepareContainer answered. */
struct runc_prepared {
	char *policy;            /* resolved name */
	unsigned layers;         /* RUNC_LAYER_* */
	bool has_memory_max, has_pids_max;
	int64_t memory_max, pids_max;
	json_object *seccomp_bpf; /* array of base64 strings; NULL without "seccomp" */
};

void runc_prepared_done(struct runc_prepared *p);

/* Reads PrepareContainer's reply. -EBADMSG when a field is missing or of the wrong type, when
 * layers is empty or names a layer rvisor-runc cannot apply, or when "seccomp" comes without
 * programs: a container is never created with less than rvisord asked for. */
int runc_prepared_from_json(json_object *reply, struct runc_prepared *ret);

/* "kernel", "seccomp", "kernel,seccomp" (the io.rvisor.layers annotation). */
const char *runc_layers_annotation(unsigned layers);

/* Parses config.json's text: -EBADMSG (not JSON, not UTF-8, not one object, trailing bytes)
 * with *ret_msg (allocated) saying where; *ret the object. */
int runc_config_parse(const char *text, size_t len, json_object **ret, char **ret_msg);

/* config.json's io.rvisor.policy: 0 and *ret (borrowed, NULL when absent); -EINVAL when
 * annotations is not an object or the annotation not a string. */
int runc_config_policy(json_object *config, const char **ret);

/* Whether config brings a seccomp profile of the engine's own: linux.seccomp, or crun's
 * run.oci.seccomp_bpf_data. With the kernel layer it is the layer under the gate, and rvisord
 * adds no filter of its own (PrepareContainer's engine_seccomp). */
bool runc_config_engine_seccomp(json_object *config);

/* The createRuntime hook rvisor-runc adds for the kernel layer. */
struct runc_hook_spec {
	const char *path;       /* this binary, absolute */
	const char *socket;     /* rvisord's socket when not the default; NULL */
	const char *error_file; /* where the hook leaves its message for the caller; NULL */
	bool engine_seccomp;    /* passed on to BindContainer */
};

/*
 * Rewrites config for rvisor's layers, in place: the policy's memory and pids limits where
 * linux.resources sets none; the annotations io.rvisor.policy and io.rvisor.layers; with the
 * seccomp layer, seccomp_data (base64, the engine's profile and the policy's programs chained)
 * as crun's run.oci.seccomp_bpf_data and process.noNewPrivileges (runc_process_force_nnp());
 * with the kernel layer, hook appended to
 * hooks.createRuntime. -EINVAL with *ret_msg (allocated) when a member it has to change is of
 * the wrong type (config is then partly changed: drop it); -ENOMEM.
 */
int runc_config_rewrite(json_object *config, const struct runc_prepared *p, const char *seccomp_data,
			const struct runc_hook_spec *hook, char **ret_msg);

/*
 * Sets process.noNewPrivileges. With the seccomp layer every process of the container needs
 * it: without, crun installs the filter before its own set-up of the process (capabilities,
 * user), which then runs under rvisor's policy and fails (PR_SET_KEEPCAPS, ...); with it, the
 * filter comes last, before execve. rvisor's own sandboxes always have no_new_privs.
 * -EINVAL when process is not an object.
 */
int runc_process_force_nnp(json_object *process);

/* process.args as a JSON array of strings (a new reference; [] when absent), and hostname
 * and domainname (borrowed, NULL when absent). -EINVAL when of the wrong type. */
int runc_config_process_info(json_object *config, json_object **ret_args, const char **ret_hostname,
			     const char **ret_domainname);

/* ---- Seccomp (seccomp.c): the engine's profile and the policy's programs as one. ---- */

/* The base64 program for crun's run.oci.seccomp_bpf_data: config's linux.seccomp (or its
 * own run.oci.seccomp_bpf_data) followed by the policy's programs. -errno with *ret_msg. */
int runc_seccomp_data(json_object *config, json_object *policy_programs, char **ret, char **ret_msg);

/* ---- Paths (paths.c). ---- */

/* crun's state root as crun picks it: --root, else $XDG_RUNTIME_DIR/crun, else /run/crun;
 * absolute (made so against the working directory). Allocated in *ret. */
int runc_crun_root(const char *root_flag, char **ret);

/* rvisor-runc's own directory for a crun root: $RVISOR_RUNC_STATE_DIR, else /run/rvisor-runc
 * (root) or $XDG_RUNTIME_DIR/rvisor-runc, then a directory named by a hash of crun_root, so
 * that two engines' roots never share it; absolute. -ENXIO: not root and no XDG_RUNTIME_DIR. */
int runc_state_dir(const char *crun_root, char **ret);

/* 16 hex digits: FNV-1a, 64 bits, of s. buf: at least 17 bytes. */
const char *runc_root_key(const char *s, char *buf, size_t size);


/* rvisord's socket: $RVISOR_SOCKET when set and not empty, else the default. */
const char *runc_socket_address(void);
bool runc_socket_overridden(void);

/* ---- crun (crun.c). ---- */

/* $RVISOR_RUNC_CRUN when set and not empty, else /usr/bin/crun. */
const char *runc_crun_path(void);

/* Replaces this process with crun, argv[0] replaced by crun's path. Returns only on failure
 * (logged). */
int runc_crun_exec(char *argv[]);

/* Runs crun with argv (argv[0] replaced) and waits for it, forwarding the signals that reach
 * rvisor-runc (those sent with kill(); a terminal's reach crun itself). *ret_status: crun's
 * exit status, or 128+N when signal N ended it. Logs failures to start it. */
int runc_crun_run(char *argv[], int *ret_status);

/* Runs crun with argv (argv[0] replaced; stderr to /dev/null) and reads at most max bytes of
 * its stdout into *ret_out (allocated, NUL-terminated); *ret_status as runc_crun_run().
 * -errno without logging. */
int runc_crun_output(const char *const argv[], size_t max, char **ret_out, int *ret_status);

/* ---- rvisord (rvisord.c): every failure is logged. ---- */

/* PrepareContainer for container (named in the messages) with policy (NULL: rvisord's). */
int rvisord_prepare(const char *container, const char *policy, bool engine_seccomp, struct runc_prepared *ret);
/* BindContainer with pidfd as the call's fd 0. */
int rvisord_bind(const char *socket, const char *container, const char *policy, const char *bundle,
		 json_object *command, const char *hostname, const char *domainname, bool engine_seccomp,
		 int pidfd);
/* ReleaseContainer; ContainerNotFound is success (*ret_had says whether a sandbox was
 * released), and so is a daemon that is not there unless the container had the kernel layer
 * (then a warning). */
int rvisord_release(const char *container, bool kernel_layer, bool *ret_had);

/* ---- The commands (create.c, hook.c, commands.c). ---- */

/* Each gets the whole command line (the command at argv[g->command]) and returns the exit
 * status, having logged what failed. */
int runc_cmd_create(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[]);
int runc_cmd_hook(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[]);
int runc_cmd_delete(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[]);
int runc_cmd_features(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[]);
int runc_cmd_exec(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[]);
int runc_cmd_container(const struct runc_global *g, const struct runc_command *cmd, int argc, char *argv[]);
int runc_version(void);

/* Whether crun has a container id under crun_root: 1, 0 (its directory does not exist) or
 * -errno (it cannot be told: crun decides). */
int runc_container_exists(const char *crun_root, const char *id);

#endif
