/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runc's command line as data: the global options, the commands and their options, and one
 * parser for all of them. Pure (no logging), so the unit tests reach every case. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"
#include "runtime.h"

/* Container ids become file names (crun's state directory, rvisor-runc's rewritten config
 * "ID@XXXXXX.json"): below NAME_MAX with room for that suffix. */
#define RUNC_ID_MAX 240

const struct runc_option runc_global_options[] = {
	{ "root", 0, true, OPT_ROOT },
	{ "log", 0, true, OPT_LOG },
	{ "log-format", 0, true, OPT_LOG_FORMAT },
	{ "debug", 0, false, OPT_DEBUG },
	{ "systemd-cgroup", 0, false, OPT_PASS },
	{ "rootless", 0, true, OPT_ROOTLESS },
	{ "cgroup-manager", 0, true, OPT_PASS }, /* crun's own */
	{ "criu", 0, true, OPT_PASS },
	{ "help", 'h', false, OPT_HELP },
	{ "version", 'v', false, OPT_VERSION },
	{ NULL, 'V', false, OPT_VERSION }, /* crun's spelling */
	{},
};

#define HELP_OPTION { "help", 'h', false, OPT_HELP }

/* create's options; run takes them too. */
#define CREATE_OPTIONS                                                                            \
	{ "bundle", 'b', true, OPT_BUNDLE },                                                      \
	{ "config", 'f', true, OPT_CONFIG },                                                      \
	{ "console-socket", 0, true, OPT_CONSOLE_SOCKET },                                        \
	{ "pid-file", 0, true, OPT_PID_FILE },                                                    \
	{ "pidfd-socket", 0, true, OPT_PASS },                                                    \
	{ "no-pivot", 0, false, OPT_PASS },                                                       \
	{ "no-new-keyring", 0, false, OPT_PASS },                                                 \
	{ "no-subreaper", 0, false, OPT_PASS },                                                   \
	{ "preserve-fds", 0, true, OPT_PRESERVE_FDS }

static const struct runc_option create_options[] = {
	CREATE_OPTIONS,
	HELP_OPTION,
	{},
};

static const struct runc_option run_options[] = {
	CREATE_OPTIONS,
	{ "detach", 'd', false, OPT_DETACH },
	{ "keep", 0, false, OPT_PASS },
	HELP_OPTION,
	{},
};

static const struct runc_option delete_options[] = {
	{ "force", 'f', false, OPT_FORCE },
	HELP_OPTION,
	{},
};

static const struct runc_option kill_options[] = {
	{ "all", 'a', false, OPT_ALL },
	HELP_OPTION,
	{},
};

static const struct runc_option exec_options[] = {
	{ "console-socket", 0, true, OPT_CONSOLE_SOCKET },
	{ "pidfd-socket", 0, true, OPT_PASS },
	{ "cwd", 0, true, OPT_PASS },
	{ "env", 'e', true, OPT_PASS },
	{ "tty", 't', false, OPT_PASS },
	{ "user", 'u', true, OPT_PASS },
	{ "additional-gids", 'g', true, OPT_PASS },
	{ "process", 'p', true, OPT_PROCESS },
	{ "detach", 'd', false, OPT_DETACH },
	{ "pid-file", 0, true, OPT_PID_FILE },
	{ "process-label", 0, true, OPT_PASS },
	{ "apparmor", 0, true, OPT_PASS },
	{ "no-new-privs", 0, false, OPT_PASS },
	{ "cap", 'c', true, OPT_PASS },
	{ "preserve-fds", 0, true, OPT_PRESERVE_FDS },
	{ "cgroup", 0, true, OPT_PASS },
	{ "ignore-paused", 0, false, OPT_PASS },
	HELP_OPTION,
	{},
};

static const struct runc_option ps_options[] = {
	{ "format", 'f', true, OPT_PASS },
	HELP_OPTION,
	{},
};

static const struct runc_option events_options[] = {
	{ "interval", 0, true, OPT_PASS },
	{ "stats", 0, false, OPT_PASS },
	HELP_OPTION,
	{},
};

static const struct runc_option update_options[] = {
	{ "resources", 'r', true, OPT_PASS },
	{ "blkio-weight", 0, true, OPT_PASS },
	{ "cpu-period", 0, true, OPT_PASS },
	{ "cpu-quota", 0, true, OPT_PASS },
	{ "cpu-share", 0, true, OPT_PASS },
	{ "cpu-rt-period", 0, true, OPT_PASS },
	{ "cpu-rt-runtime", 0, true, OPT_PASS },
	{ "cpuset-cpus", 0, true, OPT_PASS },
	{ "cpuset-mems", 0, true, OPT_PASS },
	{ "cpu-idle", 0, true, OPT_PASS },
	{ "kernel-memory", 0, true, OPT_PASS },
	{ "kernel-memory-tcp", 0, true, OPT_PASS },
	{ "memory", 0, true, OPT_PASS },
	{ "memory-reservation", 0, true, OPT_PASS },
	{ "memory-swap", 0, true, OPT_PASS },
	{ "pids-limit", 0, true, OPT_PASS },
	{ "l3-cache-schema", 0, true, OPT_PASS },
	{ "mem-bw-schema", 0, true, OPT_PASS },
	HELP_OPTION,
	{},
};

static const struct runc_option only_help[] = {
	HELP_OPTION,
	{},
};

static const struct runc_option hook_options[] = {
	{ "socket", 0, true, OPT_SOCKET },
	{ "error-file", 0, true, OPT_ERROR_FILE },
	{ "engine-seccomp", 0, false, OPT_ENGINE_SECCOMP },
	HELP_OPTION,
	{},
};

/* runc's commands, in runc's order of its help, then rvisor-runc's hook. */
const struct runc_command runc_commands[] = {
	{ "checkpoint", ACTION_PASS, NULL, "checkpoint a running container (crun, with CRIU)" },
	{ "create", ACTION_CREATE, create_options, "create a container under rvisor's policy" },
	{ "delete", ACTION_DELETE, delete_options, "delete a container and release its rvisor sandbox" },
	{ "events", ACTION_CONTAINER, events_options, "container events and statistics" },
	{ "exec", ACTION_EXEC, exec_options, "run a process in a running container" },
	{ "features", ACTION_FEATURES, only_help, "what the runtime supports, as JSON" },
	{ "kill", ACTION_CONTAINER, kill_options, "send a signal to the container's init" },
	{ "list", ACTION_PASS, NULL, "list the containers" },
	{ "pause", ACTION_CONTAINER, only_help, "pause every process in the container" },
	{ "ps", ACTION_CONTAINER, ps_options, "the container's processes" },
	{ "restore", ACTION_REFUSE, NULL, "refused: a restored container would run without rvisor's layers" },
	{ "resume", ACTION_CONTAINER, only_help, "resume a paused container" },
	{ "run", ACTION_CREATE, run_options, "create and start a container under rvisor's policy" },
	{ "spec", ACTION_PASS, NULL, "write a template config.json" },
	{ "start", ACTION_CONTAINER, only_help, "start a created container" },
	{ "state", ACTION_CONTAINER, only_help, "the container's state, as JSON" },
	{ "update", ACTION_CONTAINER, update_options, "change the container's resource limits" },
	{ "hook", ACTION_HOOK, hook_options, NULL /* internal: crun's createRuntime hook */ },
	{},
};

const struct runc_command *runc_command_find(const char *name)
{
	for (const struct runc_command *c = runc_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

bool runc_container_id_valid(const char *id)
{
	size_t n;

	if (!id)
		return false;
	n = strlen(id);
	if (n == 0 || n > RUNC_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-") == n;
}

void runc_args_done(struct runc_args *a)
{
	free(a->args);
	a->args = NULL;
	a->n = 0;
}

static const struct runc_option *find_long(const struct runc_option *t, const char *name, size_t len)
{
	for (; t->name || t->short_name; t++)
		if (t->name && strlen(t->name) == len && strncmp(t->name, name, len) == 0)
			return t;
	return NULL;
}

static const struct runc_option *find_short(const struct runc_option *t, char c)
{
	for (; t->name || t->short_name; t++)
		if (t->short_name == c)
			return t;
	return NULL;
}

static int add(struct runc_args *a, enum runc_opt_key key, const char *name, char short_name, const char *value,
	       int first, int n_tokens)
{
	struct runc_arg *n = reallocarray(a->args, a->n + 1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	a->args = n;
	a->args[a->n++] = (struct runc_arg){ key, name, short_name, value, first, n_tokens };
	return 0;
}

/* Option o found in argv[first] (its value there, or in the next token: n_tokens 2). */
static int add_option(struct runc_args *a, const struct runc_option *o, const char *value, int first,
		      int n_tokens)
{
	return add(a, o->key, o->name ?: "", o->short_name, value, first, n_tokens);
}

int runc_args_parse(const struct runc_option *table, int argc, char *argv[], int start,
		    bool stop_at_positional, struct runc_args *ret, char **ret_msg)
{
	struct runc_args a = {};
	bool options_ended = false;
	int r = 0;

	for (int i = start; i < argc; i++) {
		const char *tok = argv[i];

		if (options_ended || tok[0] != '-' || tok[1] == '\0') {
			r = add(&a, _OPT_KEY_INVALID, NULL, 0, tok, i, 1);
			if (r < 0 || stop_at_positional)
				break;
			continue;
		}
		if (strcmp(tok, "--") == 0) {
			options_ended = true;
			continue;
		}
		if (tok[1] == '-') {
			const char *name = tok + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct runc_option *o = find_long(table, name, len);

			if (!o) {
				r = fail(ret_msg, -ENOENT, "unknown option '--%.*s'", (int)len, name);
				break;
			}
			if (!o->has_arg && eq) {
				r = fail(ret_msg, -EINVAL, "option '--%.*s' takes no value", (int)len, name);
				break;
			}
			if (o->has_arg && !eq && i + 1 >= argc) {
				r = fail(ret_msg, -EINVAL, "option '--%.*s' needs a value", (int)len, name);
				break;
			}
			if (!o->has_arg)
				r = add_option(&a, o, NULL, i, 1);
			else if (eq)
				r = add_option(&a, o, eq + 1, i, 1);
			else {
				r = add_option(&a, o, argv[i + 1], i, 2);
				i++;
			}
			if (r < 0)
				break;
			continue;
		}
		/* A group of short options: flags, then at most one taking a value (the rest of the
		 * token, or the next one). */
		for (int j = 1; tok[j]; j++) {
			const struct runc_option *o = find_short(table, tok[j]);

			if (!o) {
				r = fail(ret_msg, -ENOENT, "unknown option '-%c'", tok[j]);
				break;
			}
			if (!o->has_arg) {
				r = add_option(&a, o, NULL, i, 1);
				if (r < 0)
					break;
				continue;
			}
			if (tok[j + 1])
				r = add_option(&a, o, tok + j + 1, i, 1);
			else if (i + 1 < argc) {
				r = add_option(&a, o, argv[i + 1], i, 2);
				i++;
			} else
				r = fail(ret_msg, -EINVAL, "option '-%c' needs a value", tok[j]);
			break;
		}
		if (r < 0)
			break;
	}
	if (r < 0) {
		free(a.args);
		return r;
	}
	*ret = a;
	return 0;
}

const char *runc_args_value(const struct runc_args *a, enum runc_opt_key key)
{
	const char *v = NULL;

	for (size_t i = 0; i < a->n; i++)
		if (a->args[i].key == key)
			v = a->args[i].value;
	return v;
}

bool runc_args_has(const struct runc_args *a, enum runc_opt_key key)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->args[i].key == key)
			return true;
	return false;
}

const char *runc_args_positional(const struct runc_args *a, size_t index)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->args[i].key == _OPT_KEY_INVALID && index-- == 0)
			return a->args[i].value;
	return NULL;
}

size_t runc_args_n_positional(const struct runc_args *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += a->args[i].key == _OPT_KEY_INVALID;
	return n;
}

int runc_parse_global(int argc, char *argv[], struct runc_global *ret, char **ret_msg)
{
	struct runc_args a = {};
	struct runc_global g = { .command = argc };
	int r;

	r = runc_args_parse(runc_global_options, argc, argv, 1, true, &a, ret_msg);
	if (r < 0)
		return r;
	g.root = runc_args_value(&a, OPT_ROOT);
	g.log = runc_args_value(&a, OPT_LOG);
	g.log_format = runc_args_value(&a, OPT_LOG_FORMAT) ?: "text";
	g.debug = runc_args_has(&a, OPT_DEBUG);
	g.help = runc_args_has(&a, OPT_HELP);
	g.version = runc_args_has(&a, OPT_VERSION);
	if (a.n > 0 && a.args[a.n - 1].key == _OPT_KEY_INVALID)
		g.command = a.args[a.n - 1].first;
	runc_args_done(&a);

	if (strcmp(g.log_format, "text") != 0 && strcmp(g.log_format, "json") != 0)
		return fail(ret_msg, -EINVAL, "unknown --log-format '%s': use text or json", g.log_format);
	if (g.root && !*g.root)
		return fail(ret_msg, -EINVAL, "--root needs a directory, got ''");
	*ret = g;
	return 0;
}

int runc_rebuild_argv(char *argv[], int argc, int command, const struct runc_args *a, enum runc_opt_key drop,
		      const char *insert, char ***ret)
{
	_cleanup_free_ bool *dropped = calloc((size_t)argc + 1, sizeof(bool));
	char **out;
	size_t n = 0;

	if (!dropped)
		return -ENOMEM;
	for (size_t i = 0; i < a->n; i++)
		if (a->args[i].name && a->args[i].key == drop)
			for (int k = 0; k < a->args[i].n_tokens; k++)
				dropped[a->args[i].first + k] = true;
	out = calloc((size_t)argc + 2, sizeof(char *));
	if (!out)
		return -ENOMEM;
	for (int i = 0; i < argc; i++) {
		if (dropped[i])
			continue;
		out[n++] = argv[i];
		if (i == command && insert)
			out[n++] = (char *)(uintptr_t)insert;
	}
	out[n] = NULL;
	*ret = out;
	return 0;
}

bool runc_args_grouped(char *argv[], const struct runc_args *a, enum runc_opt_key key)
{
	for (size_t i = 0; i < a->n; i++) {
		const char *tok = argv[a->args[i].first];

		if (a->args[i].name && a->args[i].key == key && tok[1] != '-' && tok[1] != a->args[i].short_name)
			return true;
	}
	return false;
}
