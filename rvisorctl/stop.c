/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl stop: SIGTERM, then SIGKILL after a timeout; prints each sandbox once it has exited. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cli-util.h"
#include "client.h"
#include "log.h"
#include "verbs.h"

/* docker stop's default. */
#define STOP_TIMEOUT_DEFAULT 10

static bool stop_one(const char *arg, int64_t timeout)
{
	json_object *params = json_object_new_object(), *reply = NULL;
	int r;

	r = verb_sandbox_param("stop", params, arg);
	if (r == 0) {
		json_object_object_add(params, "timeout", json_object_new_int64(timeout));
		r = daemon_call(MANAGER_METHOD("Stop"), params, &reply, NULL);
	}
	json_object_put(params);
	json_object_put(reply);
	if (r != 0)
		return false;
	printf("%s\n", arg); /* as docker: what was given, which the user typed */
	return flush_stdout() == EXIT_OK;
}

int verb_stop(int argc, char *argv[])
{
	enum { ARG_TIME = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "timeout", required_argument, NULL, 't' },
		{ "time", required_argument, NULL, ARG_TIME },
		{},
	};
	int64_t timeout = STOP_TIMEOUT_DEFAULT;
	bool ok = true;
	int c, r;

	while ((c = getopt_long(argc, argv, ":ht:", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			printf("Usage: %s stop [OPTIONS] SANDBOX...\n\n"
			       "Stops each sandbox: SIGTERM, then SIGKILL when it has not exited after the timeout;\n"
			       "prints it once it has exited. A detached sandbox stays (state exited) until\n"
			       "'rvisorctl rm'. SANDBOX is an id or a name from 'rvisorctl ps'.\n\n"
			       "  -h --help           Show this help\n"
			       "  -t --timeout SECONDS  Seconds to wait before SIGKILL (default %d; 0: at once)\n"
			       "     --time SECONDS   The same (docker's older name)\n",
			       program_invocation_short_name, STOP_TIMEOUT_DEFAULT);
			return EXIT_OK;
		case 't':
		case ARG_TIME:
			r = cli_parse_id(optarg, &timeout);
			if (r == -EINVAL)
				return verb_usage_error("stop", "Invalid --timeout '%s': give a number of seconds "
							"(0 or more)", optarg);
			if (r < 0 || timeout > INT32_MAX)
				return verb_usage_error("stop", "--timeout '%s' is out of range: at most %d seconds",
							optarg, INT32_MAX);
			break;
		default:
			return verb_getopt_error("stop", c, argc, argv);
		}
	}
	if (optind >= argc)
		return verb_usage_error("stop", "No sandbox given: use 'rvisorctl stop SANDBOX...'");
	r = verb_sandbox_args_check("stop", argc - optind, argv + optind);
	if (r != 0)
		return r;
	for (int i = optind; i < argc; i++)
		ok = stop_one(argv[i], timeout) && ok;
	return ok ? EXIT_OK : EXIT_FAILED;
}
