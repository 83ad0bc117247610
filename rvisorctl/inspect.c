/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl inspect: rvisord's Inspect replies for sandboxes, as one JSON array. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "client.h"
#include "log.h"
#include "verbs.h"

#define INSPECT_METHOD MANAGER_METHOD("Inspect")

int verb_inspect(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	json_object *all;
	bool ok = true;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			printf("Usage: %s inspect SANDBOX...\n\n"
			       "Prints what rvisord knows of each sandbox (its Inspect reply: the sandbox, its\n"
			       "state and exit status, limits, usage and syscall counters) as one JSON array, as\n"
			       "docker inspect does. SANDBOX is an id or a name from 'rvisorctl ps -a'.\n\n"
			       "  -h --help  Show this help\n",
			       program_invocation_short_name);
			return EXIT_OK;
		default:
			return verb_getopt_error("inspect", c, argc, argv);
		}
	}
	if (optind >= argc)
		return verb_usage_error("inspect", "No sandbox given: use 'rvisorctl inspect SANDBOX...'");
	r = verb_sandbox_args_check("inspect", argc - optind, argv + optind);
	if (r != 0)
		return r;

	/* What was found is printed, what was not said: docker's way. */
	all = json_object_new_array();
	for (int i = optind; i < argc; i++) {
		json_object *params = json_object_new_object(), *reply = NULL, *sandbox = NULL;

		r = verb_sandbox_param("inspect", params, argv[i]);
		if (r == 0)
			r = daemon_call(INSPECT_METHOD, params, &reply, NULL);
		json_object_put(params);
		if (r == 0 && json_get_object(reply, "sandbox", &sandbox) < 0) {
			daemon_log_bad_reply(INSPECT_METHOD);
			json_object_put(reply);
			r = -EBADMSG;
		}
		if (r != 0) {
			ok = false;
			continue;
		}
		json_object_array_add(all, reply);
	}
	if (json_object_array_length(all) == 0) { /* docker's "[]" when none was found */
		puts("[]");
		r = flush_stdout();
	} else
		r = print_json(all, true);
	json_object_put(all);
	return ok && r == EXIT_OK ? EXIT_OK : EXIT_FAILED;
}
