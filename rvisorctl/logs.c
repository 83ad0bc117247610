/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl logs: a detached sandbox's output, its stdout to stdout and its stderr to stderr. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "stream.h"
#include "verbs.h"

#define LOGS_METHOD MANAGER_METHOD("Logs")

static void help(void)
{
	printf("Usage: %s logs [OPTIONS] SANDBOX\n\n"
	       "Prints the output of a detached sandbox ('rvisorctl run -d'): what it wrote to stdout\n"
	       "on stdout, what it wrote to stderr on stderr (with -t, all of it on stdout). rvisord\n"
	       "keeps the last log_size bytes (rvisord.conf) or up to twice that. SANDBOX is an id or a\n"
	       "name from 'rvisorctl ps -a'.\n\n"
	       "  -h --help    Show this help\n"
	       "  -f --follow  Go on printing what it writes until it has exited\n",
	       program_invocation_short_name);
}

/* Calls Logs with the write ends of the pipes and copies what comes. */
static int logs(json_object *params, bool follow)
{
	_cleanup_varlink_client_ VarlinkClient *c = NULL;
	_cleanup_free_ char *error = NULL;
	_cleanup_close_ int out_w = -1, err_w = -1;
	struct stream s = { .method = LOGS_METHOD, .in = -1, .sfd = -1 };
	json_object *last = NULL;
	int ours[2], send[2], r;

	r = stream_pipes(ours, send);
	if (r < 0)
		return log_error_errno(r, "Cannot create a pipe: %m");
	s.out = ours[0];
	s.err = ours[1];
	out_w = send[0];
	err_w = send[1];
	r = daemon_connect(&c);
	if (r < 0) {
		r = daemon_log_connect_error(r);
		goto out;
	}
	s.c = c;
	r = varlink_client_call(c, LOGS_METHOD, params, send, 2, follow ? VARLINK_CALL_MORE : 0);
	if (r < 0) {
		r = daemon_log_io_error(r);
		goto out;
	}
	/* Only rvisord's copies now: its closing them is the end of the output. */
	out_w = safe_close(out_w);
	err_w = safe_close(err_w);
	r = stream_run(&s, &last, &error);
	if (r >= 0 && error)
		r = daemon_log_error_reply(error, last);
	json_object_put(last);
out:
	safe_close(s.out);
	safe_close(s.err);
	return r;
}

int verb_logs(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "follow", no_argument, NULL, 'f' },
		{},
	};
	json_object *params;
	bool follow = false;
	int c, r;

	while ((c = getopt_long(argc, argv, ":hf", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return EXIT_OK;
		case 'f':
			follow = true;
			break;
		default:
			return verb_getopt_error("logs", c, argc, argv);
		}
	}
	if (optind >= argc)
		return verb_usage_error("logs", "No sandbox given: use 'rvisorctl logs SANDBOX'");
	if (argc - optind > 1)
		return verb_usage_error("logs", "logs takes one sandbox, got also '%s'", argv[optind + 1]);

	params = json_object_new_object();
	r = verb_sandbox_param("logs", params, argv[optind]);
	if (r != 0) {
		json_object_put(params);
		return r;
	}
	if (follow)
		json_object_object_add(params, "follow", json_object_new_boolean(true));
	r = logs(params, follow);
	json_object_put(params);
	if (r < 0)
		return EXIT_FAILED;
	return flush_stdout();
}
