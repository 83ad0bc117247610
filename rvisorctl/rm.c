/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl rm: removes exited detached sandboxes (running ones with -f) and their output. */
#include <getopt.h>
#include <stdio.h>

#include "client.h"
#include "log.h"
#include "verbs.h"

static bool rm_one(const char *arg, bool force)
{
	json_object *params = json_object_new_object(), *reply = NULL;
	int r;

	r = verb_sandbox_param("rm", params, arg);
	if (r == 0) {
		if (force)
			json_object_object_add(params, "force", json_object_new_boolean(true));
		r = daemon_call(MANAGER_METHOD("Remove"), params, &reply, NULL);
	}
	json_object_put(params);
	json_object_put(reply);
	if (r != 0)
		return false;
	printf("%s\n", arg);
	return flush_stdout() == EXIT_OK;
}

int verb_rm(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "force", no_argument, NULL, 'f' },
		{},
	};
	bool ok = true, force = false;
	int c, r;

	while ((c = getopt_long(argc, argv, ":hf", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			printf("Usage: %s rm [OPTIONS] SANDBOX...\n\n"
			       "Removes each exited detached sandbox with its output, and prints it. A running one\n"
			       "is refused, unless -f: then it is killed and removed. SANDBOX is an id or a name\n"
			       "from 'rvisorctl ps -a'.\n\n"
			       "  -h --help   Show this help\n"
			       "  -f --force  Kill and remove running sandboxes too\n",
			       program_invocation_short_name);
			return EXIT_OK;
		case 'f':
			force = true;
			break;
		default:
			return verb_getopt_error("rm", c, argc, argv);
		}
	}
	if (optind >= argc)
		return verb_usage_error("rm", "No sandbox given: use 'rvisorctl rm SANDBOX...'");
	r = verb_sandbox_args_check("rm", argc - optind, argv + optind);
	if (r != 0)
		return r;
	for (int i = optind; i < argc; i++)
		ok = rm_one(argv[i], force) && ok;
	return ok ? EXIT_OK : EXIT_FAILED;
}
