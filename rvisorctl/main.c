/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl: the command-line client. Global options, then one verb from the table below. */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/rvisor.h>

#include "cli-util.h"
#include "client.h"
#include "sandbox-name.h"
#include "log.h"
#include "verbs.h"

struct verb {
	const char *name;
	int (*run)(int argc, char *argv[]);
	const char *summary;
};

static const struct verb verbs[] = {
	{ "run", verb_run, "Run a command in a new sandbox" },
	{ "exec", verb_exec, "Run a command in a running sandbox" },
	{ "ps", verb_ps, "List the running sandboxes (-a: exited detached ones too)" },
	{ "stats", verb_stats, "Show a sandbox's limits, usage and syscall counters" },
	{ "kill", verb_kill, "Send a signal to a sandbox" },
	{ "logs", verb_logs, "Show a detached sandbox's output" },
	{ "attach", verb_attach, "Attach to a detached sandbox's output and input" },
	{ "wait", verb_wait, "Wait for sandboxes to exit and print their exit codes" },
	{ "stop", verb_stop, "Stop sandboxes: SIGTERM, then SIGKILL" },
	{ "rm", verb_rm, "Remove exited detached sandboxes" },
	{ "inspect", verb_inspect, "Show what rvisord knows of sandboxes, as JSON" },
	{ "policy", verb_policy, "List, show and check policies" },
	{ "status", verb_status, "Show whether rvisord and rvisor.ko are running, and their versions" },
	{ "version", verb_version, "Show the versions and ABI of rvisorctl, rvisord and rvisor.ko" },
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
		   "\nEnvironment:\n"
		   "  RVISOR_SOCKET  rvisord's socket (default %s)\n"
		   "\nRun '%s VERB --help' for a verb's own options.\n",
		RVISOR_SOCKET_DEFAULT, program_invocation_short_name);
}

int verb_usage_error(const char *verb, const char *fmt, ...)
{
	_cleanup_free_ char *m = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&m, fmt, ap);
	va_end(ap);
	if (r < 0)
		m = NULL;
	log_error("%s. Try '%s%s%s --help'.", m ?: "Usage error", program_invocation_short_name,
		  verb ? " " : "", verb ?: "");
	return EXIT_USAGE;
}

int verb_sandbox_param(const char *verb, json_object *params, const char *arg)
{
	int64_t id;

	if (cli_parse_id(arg, &id) == 0 && id > 0)
		json_object_object_add(params, "id", json_object_new_int64(id));
	else if (strspn(arg, "0123456789") != strlen(arg) && sandbox_name_valid(arg))
		json_object_object_add(params, "name", json_object_new_string(arg));
	else
		return verb_usage_error(verb, "Invalid sandbox '%s': use an ID or a name from 'rvisorctl ps'", arg);
	return 0;
}

int verb_sandbox_args_check(const char *verb, int n, char *args[])
{
	for (int i = 0; i < n; i++) {
		json_object *p = json_object_new_object();
		int r = verb_sandbox_param(verb, p, args[i]);

		json_object_put(p);
		if (r != 0)
			return r;
	}
	return 0;
}

int verb_getopt_error(const char *verb, int c, int argc, char *argv[])
{
	/* getopt has moved past the offending argument, unless it stopped inside a group of
	 * short options; optopt then names the option. */
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	bool is_long = strncmp(arg, "--", 2) == 0;
	int n = (int)strcspn(arg, "=");

	if (c == ':') {
		if (is_long)
			return verb_usage_error(verb, "Option '%.*s' needs an argument", n, arg);
		return verb_usage_error(verb, "Option '-%c' needs an argument", optopt);
	}
	if (is_long && optopt != 0 && arg[n] == '=')
		return verb_usage_error(verb, "Option '%.*s' takes no argument", n, arg);
	if (is_long)
		return verb_usage_error(verb, "Unknown option '%.*s'", n, arg);
	return verb_usage_error(verb, "Unknown option '-%c'", optopt);
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

	/* '+': stop at the verb, whose options are its own; ':': errors are ours to report. */
	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help(stdout);
			return EXIT_OK;
		case ARG_VERSION:
			printf("rvisorctl %s (ABI %d)\n", RVISOR_VERSION, RVISOR_ABI_VERSION);
			return EXIT_OK;
		default:
			return verb_getopt_error(NULL, c, argc, argv);
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
