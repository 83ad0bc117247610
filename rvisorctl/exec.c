/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl exec: starts a command in a running sandbox and exits with its status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-util.h"
#include "client.h"
#include "log.h"
#include "process.h"
#include "verbs.h"

#define EXEC_METHOD MANAGER_METHOD("Exec")

struct exec_args {
	const char *sandbox; /* an id or a name */
	const char *workdir;
	char **env;          /* KEY=VALUE, n_env of them */
	size_t n_env;
	struct process_user user; /* -u */
	bool tty, interactive;
	char **command;      /* n_command of them, at least one */
	size_t n_command;
};

static void exec_args_done(struct exec_args *a)
{
	for (size_t i = 0; i < a->n_env; i++)
		free(a->env[i]);
	free(a->env);
}

static void help(void)
{
	printf("Usage: %s exec [OPTIONS] ID [--] COMMAND [ARG...]\n\n"
	       "Runs COMMAND in a running sandbox (ID is a number or a name from 'rvisorctl ps'): in\n"
	       "its namespaces and cgroup, under its policy, as its user; exits with its status. When\n"
	       "rvisorctl ends first (Ctrl-C, a signal), the command is killed; when the sandbox ends,\n"
	       "so does the command.\n\n"
	       "  -h --help              Show this help\n"
	       "  -e --env KEY=VALUE     Set an environment variable; -e KEY copies rvisorctl's (repeatable)\n"
	       "     --env-file FILE     Read such variables from FILE, one per line ('#' comments)\n"
	       "  -w --workdir DIR       Working directory inside the sandbox (absolute; default: the\n"
	       "                         sandbox's)\n"
	       "  -u --user UID[:GID]    Run as this user and group (numbers; default: the sandbox's)\n"
	       "  -i --interactive       Pass stdin to the command (else it reads /dev/null)\n"
	       "  -t --tty               stdin is a terminal the command may control (needs -i)\n\n"
	       "Exit status: the command's; 128+N when signal N killed it; 125 when rvisor failed,\n"
	       "126 when the command cannot be executed, 127 when it is not found.\n",
	       program_invocation_short_name);
}

/* Returns EXIT_OK to go on, or the exit code (a usage error, or 0 after --help) and *done. */
static int parse_argv(int argc, char *argv[], struct exec_args *a, bool *done)
{
	enum { ARG_ENV_FILE = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "env", required_argument, NULL, 'e' },
		{ "env-file", required_argument, NULL, ARG_ENV_FILE },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{},
	};
	int c, r;

	*done = true;
	/* '+': the sandbox ends the options; what follows its command is the command's. */
	while ((c = getopt_long(argc, argv, "+:he:w:u:it", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return EXIT_OK;
		case 'e':
			r = process_env_add("exec", optarg, &a->env, &a->n_env);
			if (r != EXIT_OK)
				return r;
			break;
		case ARG_ENV_FILE:
			r = process_env_file_add("exec", optarg, &a->env, &a->n_env);
			if (r != EXIT_OK)
				return r;
			break;
		case 'w':
			if (optarg[0] != '/')
				return verb_usage_error("exec", "Invalid --workdir '%s': give an absolute path "
							"inside the sandbox", optarg);
			a->workdir = optarg;
			break;
		case 'u':
			r = process_user_arg("exec", optarg, &a->user);
			if (r != EXIT_OK)
				return r;
			break;
		case 'i':
			a->interactive = true;
			break;
		case 't':
			a->tty = true;
			break;
		default:
			return verb_getopt_error("exec", c, argc, argv);
		}
	}
	if (optind >= argc)
		return verb_usage_error("exec", "No sandbox given: use 'rvisorctl exec ID COMMAND [ARG...]'");
	a->sandbox = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc)
		return verb_usage_error("exec", "No command given: use 'rvisorctl exec ID COMMAND [ARG...]'");
	if (!argv[optind][0])
		return verb_usage_error("exec", "The command is empty: name a program in the sandbox");
	if (a->tty && !a->interactive)
		return verb_usage_error("exec", "-t needs -i: the terminal is passed as the command's stdin (use -it)");
	a->command = argv + optind;
	a->n_command = (size_t)(argc - optind);
	*done = false;
	return EXIT_OK;
}

static json_object *string_array(char **strv, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(strv[i]));
	return a;
}

/* Exec's parameters: 0 and *ret, else the exit code of the error said. */
static int exec_params(const struct exec_args *a, json_object **ret)
{
	json_object *p = json_object_new_object();

	if (verb_sandbox_param("exec", p, a->sandbox) != 0) {
		json_object_put(p);
		return EXIT_RUN_FAILED; /* like docker, exec's own usage errors are 125 */
	}
	json_object_object_add(p, "argv", string_array(a->command, a->n_command));
	if (a->n_env > 0)
		json_object_object_add(p, "env", string_array(a->env, a->n_env));
	if (a->workdir)
		json_object_object_add(p, "cwd", json_object_new_string(a->workdir));
	process_user_params(&a->user, p);
	if (a->tty)
		json_object_object_add(p, "tty", json_object_new_boolean(true));
	*ret = p;
	return 0;
}

/* Reads Exec's replies until "exited"; returns the exit code. */
static int wait_for_exit(const struct exec_args *a, VarlinkClient *c)
{
	for (;;) {
		_cleanup_free_ char *error = NULL;
		const char *state = NULL;
		json_object *reply = NULL;
		bool continues = false;
		int r;

		r = varlink_client_read(c, &reply, &error, &continues);
		if (r < 0) {
			daemon_log_io_error(r);
			return EXIT_RUN_FAILED;
		}
		if (error) {
			daemon_log_error_reply(error, reply);
			json_object_put(reply);
			return EXIT_RUN_FAILED;
		}
		if (json_get_string(reply, "state", &state) < 0) {
			json_object_put(reply);
			daemon_log_bad_reply(EXEC_METHOD);
			return EXIT_RUN_FAILED;
		}
		if (strcmp(state, "exited") == 0) {
			r = process_exit_code(EXEC_METHOD, a->command[0], reply);
			json_object_put(reply);
			return r;
		}
		/* "started", or a state newer than us: the last reply must be "exited". */
		json_object_put(reply);
		if (!continues) {
			log_error("rvisord ended the call before the command exited: see 'journalctl -u rvisord'");
			return EXIT_RUN_FAILED;
		}
	}
}

int verb_exec(int argc, char *argv[])
{
	_cleanup_(exec_args_done) struct exec_args a = {};
	_cleanup_varlink_client_ VarlinkClient *c = NULL;
	_cleanup_close_ int null0 = -1, null1 = -1, null2 = -1;
	json_object *params = NULL;
	int fds[3];
	bool done;
	int r;

	r = parse_argv(argc, argv, &a, &done);
	if (done) /* like docker, exec's own usage errors are 125: the program may exit 2 itself */
		return r == EXIT_USAGE ? EXIT_RUN_FAILED : r;
	if (a.tty && !isatty(STDIN_FILENO)) {
		log_error("-t: stdin is not a terminal: drop -t, or run from a terminal");
		return EXIT_RUN_FAILED;
	}
	r = exec_params(&a, &params);
	if (r != 0)
		return r;

	fds[0] = process_stdio_fd(STDIN_FILENO, a.interactive, &null0);
	fds[1] = process_stdio_fd(STDOUT_FILENO, true, &null1);
	fds[2] = process_stdio_fd(STDERR_FILENO, true, &null2);
	for (size_t i = 0; i < 3; i++)
		if (fds[i] < 0) {
			json_object_put(params);
			log_error_errno(fds[i], "Cannot open /dev/null: %m");
			return EXIT_RUN_FAILED;
		}

	r = daemon_connect(&c);
	if (r < 0) {
		json_object_put(params);
		daemon_log_connect_error(r);
		return EXIT_RUN_FAILED;
	}
	r = varlink_client_call(c, EXEC_METHOD, params, fds, ARRAY_SIZE(fds), VARLINK_CALL_MORE);
	json_object_put(params);
	if (r < 0) {
		daemon_log_io_error(r);
		return EXIT_RUN_FAILED;
	}
	return wait_for_exit(&a, c);
}
