/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl wait: waits for sandboxes to exit and prints their exit codes. */
#include <getopt.h>
#include <stdio.h>

#include "client.h"
#include "log.h"
#include "verbs.h"

#define WAIT_METHOD MANAGER_METHOD("Wait")

/* One sandbox: its exit code printed, or false after saying why not. */
static bool wait_one(const char *arg)
{
	json_object *params = json_object_new_object(), *reply = NULL;
	int code, r;

	r = verb_sandbox_param("wait", params, arg);
	if (r == 0)
		r = daemon_call(WAIT_METHOD, params, &reply, NULL);
	json_object_put(params);
	if (r != 0)
		return false;
	r = sandbox_exit_code(reply, &code);
	json_object_put(reply);
	if (r < 0) {
		daemon_log_bad_reply(WAIT_METHOD);
		return false;
	}
	printf("%d\n", code);
	return flush_stdout() == EXIT_OK;
}

int verb_wait(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	bool ok = true;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			printf("Usage: %s wait SANDBOX...\n\n"
			       "Waits until each sandbox has exited and prints its exit code, one per line: the\n"
			       "program's, 128+N when signal N killed it, 126 when it could not be executed, 127\n"
			       "when it was not found. SANDBOX is an id or a name from 'rvisorctl ps -a'.\n\n"
			       "  -h --help  Show this help\n",
			       program_invocation_short_name);
			return EXIT_OK;
		default:
			return verb_getopt_error("wait", c, argc, argv);
		}
	}
	if (optind >= argc)
		return verb_usage_error("wait", "No sandbox given: use 'rvisorctl wait SANDBOX...'");
	r = verb_sandbox_args_check("wait", argc - optind, argv + optind);
	if (r != 0)
		return r;
	for (int i = optind; i < argc; i++)
		ok = wait_one(argv[i]) && ok;
	return ok ? EXIT_OK : EXIT_FAILED;
}
