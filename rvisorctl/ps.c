/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl ps: the running sandboxes (with -a, exited detached ones too), as a table or JSON. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-util.h"
#include "client.h"
#include "log.h"
#include "table.h"
#include "verbs.h"

static int64_t sandbox_id(json_object *s)
{
	int64_t id = -1;

	json_get_int(s, "id", &id);
	return id;
}

static int compare_id(const void *a, const void *b)
{
	int64_t x = sandbox_id(*(json_object *const *)a), y = sandbox_id(*(json_object *const *)b);

	return x < y ? -1 : x > y;
}

/* Whether s is a Sandbox as io.rvisor.Manager defines it. owner_uid and userns are newer than
 * some daemons: absent is fine. */
static bool sandbox_valid(json_object *s)
{
	const char *str;
	json_object *a;
	int64_t i;
	bool b;

	return json_object_is_type(s, json_type_object) && json_get_int(s, "id", &i) == 0 &&
	       json_get_string(s, "name", &str) != -EBADMSG && json_get_string(s, "policy", &str) != -EBADMSG &&
	       json_get_string(s, "platform", &str) != -EBADMSG && json_get_int(s, "pid", &i) != -EBADMSG &&
	       json_get_int(s, "started_usec", &i) != -EBADMSG && json_get_array(s, "command", &a) != -EBADMSG &&
	       json_get_int(s, "owner_uid", &i) != -EBADMSG && json_get_bool(s, "userns", &b) != -EBADMSG &&
	       json_get_string(s, "state", &str) != -EBADMSG;
}

/* Running: what an older daemon, which lists nothing else and says no state, lists too. */
static bool sandbox_running(json_object *s)
{
	const char *state = NULL;

	return json_get_string(s, "state", &state) < 0 || strcmp(state, "running") == 0;
}

/* "running", or how it ended: "exited (3)", "killed (SIGKILL)", "not found (127)". */
static void sandbox_status(json_object *s, char *buf, size_t size)
{
	const char *sig;
	int code;

	if (sandbox_running(s))
		snprintf(buf, size, "running");
	else if (sandbox_exit_code(s, &code) < 0)
		snprintf(buf, size, "exited");
	else if (code > 128 && (sig = cli_signal_name(code - 128)))
		snprintf(buf, size, "killed (%s%s)", strncmp(sig, "SIG", 3) == 0 ? "" : "SIG", sig);
	else
		snprintf(buf, size, "exited (%d)", code);
}

/* Without all, only the running ones stay in the list. */
static void filter_running(json_object *sandboxes)
{
	for (size_t i = json_object_array_length(sandboxes); i > 0; i--)
		if (!sandbox_running(json_object_array_get_idx(sandboxes, i - 1)))
			json_object_array_del_idx(sandboxes, i - 1, 1);
}

static int print_table(json_object *sandboxes)
{
	static const char *const headers[] = { "ID", "NAME", "OWNER", "POLICY", "PLATFORM", "PID", "STARTED",
					       "STATUS", "COMMAND" };
	_cleanup_table_ Table *t = table_new(headers, ARRAY_SIZE(headers));
	size_t n = json_object_array_length(sandboxes);

	if (!t)
		return log_oom();
	table_align_right(t, 0);
	table_align_right(t, 5);
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(sandboxes, i), *argv = NULL;
		const char *name = NULL, *policy = NULL, *platform = NULL;
		char id[24], pid[24] = "-", started[32], status[48];
		_cleanup_free_ char *command = NULL, *owner = NULL;
		int64_t v = 0;

		snprintf(id, sizeof(id), "%" PRId64, sandbox_id(s));
		json_get_string(s, "name", &name);
		json_get_string(s, "policy", &policy);
		json_get_string(s, "platform", &platform);
		owner = sandbox_owner(s, false);
		if (json_get_int(s, "pid", &v) == 0 && sandbox_running(s))
			snprintf(pid, sizeof(pid), "%" PRId64, v);
		sandbox_status(s, status, sizeof(status));
		v = 0;
		json_get_int(s, "started_usec", &v);
		json_get_array(s, "command", &argv);
		command = cli_format_argv(argv);
		if (!command || !owner)
			return log_oom();

		const char *row[] = { id, name && *name ? name : NULL, owner, policy, platform, pid,
				      cli_format_time(v, started, sizeof(started)), status, *command ? command : NULL };
		if (table_add_row(t, row) < 0)
			return log_oom();
	}
	if (table_print(t, stdout) < 0)
		return log_oom();
	return flush_stdout() == EXIT_OK ? 0 : -EIO;
}

int verb_ps(int argc, char *argv[])
{
	enum { ARG_JSON = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "all", no_argument, NULL, 'a' },
		{},
	};
	json_object *reply = NULL, *sandboxes = NULL;
	bool json = false, all = false;
	int c, r;

	while ((c = getopt_long(argc, argv, ":ha", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			printf("Usage: %s ps [-a] [--json]\n\n"
			       "Lists the running sandboxes: ID NAME OWNER POLICY PLATFORM PID STARTED STATUS\n"
			       "COMMAND. Other users see only their own; root sees all of them.\n\n"
			       "  -h --help  Show this help\n"
			       "  -a --all   Also the detached sandboxes that have exited (until 'rvisorctl rm')\n"
			       "     --json  Print rvisord's List reply as JSON: {\"sandboxes\": [...]}\n",
			       program_invocation_short_name);
			return EXIT_OK;
		case 'a':
			all = true;
			break;
		case ARG_JSON:
			json = true;
			break;
		default:
			return verb_getopt_error("ps", c, argc, argv);
		}
	}
	if (optind < argc)
		return verb_usage_error("ps", "ps takes no arguments, got '%s'", argv[optind]);

	if (daemon_call(MANAGER_METHOD("List"), NULL, &reply, NULL) < 0)
		return EXIT_FAILED;
	if (json_get_array(reply, "sandboxes", &sandboxes) < 0) {
		json_object_put(reply);
		daemon_log_bad_reply(MANAGER_METHOD("List"));
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < json_object_array_length(sandboxes); i++)
		if (!sandbox_valid(json_object_array_get_idx(sandboxes, i))) {
			json_object_put(reply);
			daemon_log_bad_reply(MANAGER_METHOD("List"));
			return EXIT_FAILED;
		}
	if (!all)
		filter_running(sandboxes);
	json_object_array_sort(sandboxes, compare_id);

	r = json ? print_json(reply, true) : print_table(sandboxes) < 0 ? EXIT_FAILED : EXIT_OK;
	json_object_put(reply);
	return r;
}
