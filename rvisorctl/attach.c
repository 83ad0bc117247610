/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl attach: a detached sandbox's output from now on, our stdin to it, its exit status. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cli-util.h"
#include "client.h"
#include "log.h"
#include "stream.h"
#include "verbs.h"

#define ATTACH_METHOD MANAGER_METHOD("Attach")

struct attach_args {
	const char *sandbox;
	bool no_stdin, sig_proxy;
};

/* What Inspect says of the sandbox that matters here. */
struct target {
	bool tty, interactive;
};

struct forward {
	const char *sandbox;
	VarlinkClient *kc; /* a second connection, for Kill */
};

static void help(void)
{
	printf("Usage: %s attach [OPTIONS] SANDBOX\n\n"
	       "Attaches to a running detached sandbox ('rvisorctl run -d'): prints what it writes\n"
	       "from now on (stdout on stdout, stderr on stderr) and, when it was started with -i,\n"
	       "passes stdin to it; exits with its exit status once it exits. With -t, the terminal\n"
	       "is put in raw mode and Ctrl-P Ctrl-Q detaches, leaving the sandbox running (exit\n"
	       "status 0). SANDBOX is an id or a name from 'rvisorctl ps'.\n\n"
	       "  -h --help             Show this help\n"
	       "     --no-stdin         Do not pass stdin\n"
	       "     --sig-proxy=BOOL   Pass the signals rvisorctl gets (Ctrl-C, SIGTERM, ...) to the\n"
	       "                        sandbox (true, the default), or let them end rvisorctl alone,\n"
	       "                        detaching (false)\n\n"
	       "Exit status: the sandbox's, as for run; 125 when rvisor failed.\n",
	       program_invocation_short_name);
}

static int parse_argv(int argc, char *argv[], struct attach_args *a, bool *done)
{
	enum { ARG_NO_STDIN = 0x100, ARG_SIG_PROXY };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "no-stdin", no_argument, NULL, ARG_NO_STDIN },
		{ "sig-proxy", required_argument, NULL, ARG_SIG_PROXY },
		{},
	};
	int c;

	*done = true;
	a->sig_proxy = true;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return EXIT_OK;
		case ARG_NO_STDIN:
			a->no_stdin = true;
			break;
		case ARG_SIG_PROXY:
			if (strcmp(optarg, "true") == 0)
				a->sig_proxy = true;
			else if (strcmp(optarg, "false") == 0)
				a->sig_proxy = false;
			else
				return verb_usage_error("attach", "Invalid --sig-proxy '%s': use true or false", optarg);
			break;
		default:
			return verb_getopt_error("attach", c, argc, argv);
		}
	}
	if (optind >= argc)
		return verb_usage_error("attach", "No sandbox given: use 'rvisorctl attach SANDBOX'");
	if (argc - optind > 1)
		return verb_usage_error("attach", "attach takes one sandbox, got also '%s'", argv[optind + 1]);
	a->sandbox = argv[optind];
	*done = false;
	return EXIT_OK;
}

static json_object *sandbox_params(const char *sandbox)
{
	json_object *p = json_object_new_object();

	if (verb_sandbox_param("attach", p, sandbox) != 0) {
		json_object_put(p);
		return NULL;
	}
	return p;
}

/* Whether it has a terminal and an open stdin: Inspect's sandbox. */
static int inspect_target(json_object *params, struct target *ret)
{
	json_object *reply = NULL, *sandbox = NULL;
	int r;

	r = daemon_call(MANAGER_METHOD("Inspect"), params, &reply, NULL);
	if (r < 0)
		return r;
	if (json_get_object(reply, "sandbox", &sandbox) < 0) {
		json_object_put(reply);
		return daemon_log_bad_reply(MANAGER_METHOD("Inspect"));
	}
	(void)json_get_bool(sandbox, "tty", &ret->tty);
	(void)json_get_bool(sandbox, "interactive", &ret->interactive);
	json_object_put(reply);
	return 0;
}

/* Passes a signal on with Kill; a failure is only a warning, as for run. */
static void forward_signal(struct stream *s, int sig)
{
	struct forward *f = s->userdata;
	_cleanup_free_ char *error = NULL;
	json_object *params, *reply = NULL;
	const char *name = cli_signal_name(sig);
	char num[16];
	int r;

	if (!name) {
		snprintf(num, sizeof(num), "%d", sig);
		name = num;
	}
	if (!f->kc && daemon_connect(&f->kc) < 0) {
		log_warning("Cannot pass %s to sandbox %s: cannot connect to %s", name, f->sandbox, daemon_address());
		return;
	}
	params = sandbox_params(f->sandbox);
	if (!params)
		return;
	json_object_object_add(params, "signal", json_object_new_int(sig));
	r = varlink_client_call(f->kc, MANAGER_METHOD("Kill"), params, NULL, 0, 0);
	json_object_put(params);
	if (r >= 0)
		r = varlink_client_read(f->kc, &reply, &error, NULL);
	if (r < 0) {
		log_warning_errno(r, "Cannot pass %s to sandbox %s: %m", name, f->sandbox);
		f->kc = varlink_client_free(f->kc);
		return;
	}
	if (error) {
		_cleanup_free_ char *m = cli_error_message(error, reply);

		log_warning("Cannot pass %s to sandbox %s: %s", name, f->sandbox, m ?: error);
	}
	json_object_put(reply);
}

static int signals_block(sigset_t *mask)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };

	sigemptyset(mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(mask, sigs[i]);
	return sigprocmask(SIG_BLOCK, mask, NULL) < 0 ? -errno : 0;
}

/* The call and the copying; returns the exit code. */
static int attach(const struct attach_args *a, json_object *params, const struct target *t)
{
	_cleanup_varlink_client_ VarlinkClient *c = NULL;
	_cleanup_free_ char *error = NULL;
	_cleanup_close_ int out_w = -1, err_w = -1, in_r = -1, sfd = -1;
	struct forward fw = { .sandbox = a->sandbox };
	struct stream s = { .method = ATTACH_METHOD, .in = -1, .sfd = -1, .on_signal = forward_signal,
			    .userdata = &fw };
	json_object *last = NULL;
	struct termios saved;
	bool raw = false;
	int ours[2], send[3], code = EXIT_RUN_FAILED, r;

	r = stream_pipes(ours, send);
	if (r < 0) {
		log_error_errno(r, "Cannot create a pipe: %m");
		return EXIT_RUN_FAILED;
	}
	s.out = ours[0];
	s.err = ours[1];
	out_w = send[0];
	err_w = send[1];
	if (t->interactive && !a->no_stdin) {
		r = stream_stdin_pipe(&s.in, &in_r);
		if (r < 0) {
			log_error_errno(r, "Cannot create a pipe: %m");
			goto out;
		}
		send[2] = in_r;
	}
	if (a->sig_proxy) {
		sigset_t mask;

		r = signals_block(&mask);
		if (r >= 0) {
			sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
			r = sfd < 0 ? -errno : 0;
		}
		if (r < 0) {
			log_error_errno(r, "Cannot watch signals: %m");
			goto out;
		}
		s.sfd = sfd;
	}
	r = daemon_connect(&c);
	if (r < 0) {
		daemon_log_connect_error(r);
		goto out;
	}
	s.c = c;
	r = varlink_client_call(c, ATTACH_METHOD, params, send, s.in >= 0 ? 3 : 2, VARLINK_CALL_MORE);
	if (r < 0) {
		daemon_log_io_error(r);
		goto out;
	}
	out_w = safe_close(out_w);
	err_w = safe_close(err_w);
	in_r = safe_close(in_r);
	/* The sandbox's terminal is the one that interprets keys now. */
	if (t->tty && s.in >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios rawt = saved;

		cfmakeraw(&rawt);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &rawt) == 0;
		s.detach_keys = raw;
	}
	r = stream_run(&s, &last, &error);
	if (raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (r == STREAM_DETACHED) {
		log_notice("Detached from sandbox %s: it goes on ('rvisorctl attach' again, 'rvisorctl logs')",
			   a->sandbox);
		code = EXIT_OK;
	} else if (r >= 0 && error)
		daemon_log_error_reply(error, last);
	else if (r >= 0 && sandbox_exit_code(last, &code) < 0) {
		daemon_log_bad_reply(ATTACH_METHOD);
		code = EXIT_RUN_FAILED;
	}
	json_object_put(last);
out:
	safe_close(s.out);
	safe_close(s.err);
	safe_close(s.in);
	varlink_client_free(fw.kc);
	return code;
}

int verb_attach(int argc, char *argv[])
{
	struct attach_args a = {};
	struct target t = {};
	json_object *params;
	bool done;
	int r;

	r = parse_argv(argc, argv, &a, &done);
	if (done) /* as run: the sandbox's status may be 2 itself */
		return r == EXIT_USAGE ? EXIT_RUN_FAILED : r;
	params = sandbox_params(a.sandbox);
	if (!params)
		return EXIT_RUN_FAILED;
	if (inspect_target(params, &t) < 0) {
		json_object_put(params);
		return EXIT_RUN_FAILED;
	}
	r = attach(&a, params, &t);
	json_object_put(params);
	if (r != EXIT_RUN_FAILED && flush_stdout() != EXIT_OK)
		return EXIT_RUN_FAILED;
	return r;
}
