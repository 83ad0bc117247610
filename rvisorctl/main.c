/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl: the command-line client. Global options, then one verb from the table below. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <linux/rvisor.h>

#include "log.h"
#include "verbs.h"

struct verb {
	const char *name;
	int (*run)(int argc, char *argv[]);
	const char *summary;
};

static const struct verb verbs[] = {
	{ "status", verb_status, "Show whether rvisor.ko is loaded and which ABI it speaks" },
};

static void help(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] VERB [ARGS…]\n\n"
		"Runs programs in rvisor sandboxes and inspects them.\n\n"
		"Verbs:\n",
		program_invocation_short_name);
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -h --help     Show this help\n"
		   "     --version  Show the version and the kernel ABI it was built for\n"
		   "\nRun '%s VERB --help' for a verb's own options.\n",
		program_invocation_short_name);
}

static const struct verb *verb_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

int main(int argc, char *argv[])
{
	enum { ARG_VERSION = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{},
	};
	const struct verb *verb;
	int c;

	/* '+': stop at the verb, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help(stdout);
			return EXIT_OK;
		case ARG_VERSION:
			printf("rvisorctl %s (ABI %d)\n", RVISOR_VERSION, RVISOR_ABI_VERSION);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help'.\n", program_invocation_short_name);
			return EXIT_USAGE;
		}
	}

	if (optind >= argc) {
		log_error("No verb given. Try '%s --help'.", program_invocation_short_name);
		return EXIT_USAGE;
	}
	verb = verb_find(argv[optind]);
	if (!verb) {
		log_error("Unknown verb '%s'. Try '%s --help'.", argv[optind], program_invocation_short_name);
		return EXIT_USAGE;
	}

	argc -= optind;
	argv += optind;
	optind = 0; /* reset getopt for the verb's own parsing */
	return verb->run(argc, argv);
}
