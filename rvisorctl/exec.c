/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl exec: starts a command in a running sandbox and exits with its status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli-util.h"
#include "client.h"
#include "log.h"
#include "process.h"
#include "verbs.h"

#define EXEC_METHOD MANAGER_METHOD("Exec")

struct exec_args {
	const char *sandbox; /* an id or a name */
	struct process_options process; /* -e, --env-file, -w, -u, -i, -t */
	char **command;      /* n_command of them, at least one */
	size_t n_command;
};

static void exec_args_done(struct exec_args *a)
{
	process_options_done(&a->process);
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
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		PROCESS_LONG_OPTIONS,
		{},
	};
	int c, r;

	*done = true;
	/* '+': the sandbox ends the options; what follows its command is the command's. */
	while ((c = getopt_long(argc, argv, "+:h" PROCESS_SHORT_OPTIONS, options, NULL)) >= 0) {
		if (c == 'h') {
			help();
			return EXIT_OK;
		}
		r = process_option("exec", c, optarg, &a->process);
		if (r == PROCESS_OPTION_OTHER)
			return verb_getopt_error("exec", c, argc, argv);
		if (r != EXIT_OK)
			return r;
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
	r = process_tty_usage_check("exec", &a->process);
	if (r != EXIT_OK)
		return r;
	a->command = argv + optind;
	a->n_command = (size_t)(argc - optind);
	*done = false;
	return EXIT_OK;
}

/* Exec's parameters: 0 and *ret, else the exit code of the error said. */
static int exec_params(const struct exec_args *a, json_object **ret)
{
	json_object *p = json_object_new_object();

	if (verb_sandbox_param("exec", p, a->sandbox) != 0) {
		json_object_put(p);
		return EXIT_RUN_FAILED; /* like docker, exec's own usage errors are 125 */
	}
	json_object_object_add(p, "argv", process_string_array(a->command, a->n_command));
	process_options_params(&a->process, p);
	*ret = p;
	return 0;
}

/* Reads Exec's replies until "exited"; returns the exit code. */
static int wait_for_exit(const struct exec_args *a, VarlinkClient *c)
{
	for (;;) {
		const char *state = NULL;
		json_object *reply = NULL;
		bool continues = false;
		int r;

		r = process_read_reply(c, EXEC_METHOD, false, &reply, &state, &continues);
		if (r != EXIT_OK)
			return r;
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
	_cleanup_(process_stdio_done) struct process_stdio stdio = PROCESS_STDIO_INIT;
	json_object *params = NULL;
	bool done;
	int r;

	r = parse_argv(argc, argv, &a, &done);
	if (done) /* like docker, exec's own usage errors are 125: the program may exit 2 itself */
		return r == EXIT_USAGE ? EXIT_RUN_FAILED : r;
	r = process_tty_stdin_check(&a.process);
	if (r != EXIT_OK)
		return r;
	r = exec_params(&a, &params);
	if (r != 0)
		return r;
	r = process_stdio_open(&stdio, a.process.interactive);
	if (r != EXIT_OK) {
		json_object_put(params);
		return r;
	}

	r = daemon_connect(&c);
	if (r < 0) {
		json_object_put(params);
		daemon_log_connect_error(r);
		return EXIT_RUN_FAILED;
	}
	r = varlink_client_call(c, EXEC_METHOD, params, stdio.fds, ARRAY_SIZE(stdio.fds), VARLINK_CALL_MORE);
	json_object_put(params);
	if (r < 0) {
		daemon_log_io_error(r);
		return EXIT_RUN_FAILED;
	}
	return wait_for_exit(&a, c);
}
