/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl kill: sends a signal to a sandbox's program. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "cli-util.h"
#include "client.h"
#include "log.h"
#include "verbs.h"

int verb_kill(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	json_object *params, *reply = NULL;
	int c, r, sig = SIGTERM;

	/* '+': "kill 3 -9" is not an option. */
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			printf("Usage: %s kill ID [SIGNAL]\n\n"
			       "Sends SIGNAL (default SIGTERM) to the program a sandbox runs. SIGNAL is a name\n"
			       "(TERM, SIGKILL, int) or a number (9). ID is a number or a name from\n"
			       "'rvisorctl ps'.\n\n"
			       "  -h --help  Show this help\n",
			       program_invocation_short_name);
			return EXIT_OK;
		default:
			return verb_getopt_error("kill", c, argc, argv);
		}
	}
	if (optind >= argc)
		return verb_usage_error("kill", "No sandbox given: use 'rvisorctl kill ID [SIGNAL]'");
	if (argc - optind > 2)
		return verb_usage_error("kill", "kill takes an ID and a signal, got also '%s'", argv[optind + 2]);
	if (argc - optind == 2) {
		sig = cli_parse_signal(argv[optind + 1]);
		if (sig < 0)
			return verb_usage_error("kill", "Invalid signal '%s': use a name (TERM, SIGKILL) or a "
						"number from 1 to 64", argv[optind + 1]);
	}

	params = json_object_new_object();
	r = verb_sandbox_param("kill", params, argv[optind]);
	if (r != 0) {
		json_object_put(params);
		return r;
	}
	json_object_object_add(params, "signal", json_object_new_int(sig));
	r = daemon_call(MANAGER_METHOD("Kill"), params, &reply, NULL);
	json_object_put(params);
	json_object_put(reply);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}
