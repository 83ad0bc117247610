/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisord: the daemon that owns /dev/rvisor and serves io.rvisor.Manager over varlink
 * (socket-activated by systemd, or binding its socket itself when started by hand).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json_c_version.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "device.h"
#include "journal.h"
#include "log.h"
#include "manager.h"

static const char *arg_config = RVISORD_CONFIG_DEFAULT;

static void print_version(void)
{
	const struct scmp_version *sv = seccomp_version();

	printf("rvisord %s (ABI %d)\n", RVISOR_VERSION, RVISOR_ABI_VERSION);
	printf("libseccomp %u.%u.%u, json-c %s\n", sv->major, sv->minor, sv->micro, json_c_version());
}

static int parse_argv(int argc, char *argv[])
{
	enum { ARG_VERSION = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "config", required_argument, NULL, 'c' },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "hc:", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			printf("Usage: %s [--config FILE]\n\n"
			       "The rvisor daemon. Normally started by systemd through rvisord.socket.\n\n"
			       "  -h --help         Show this help\n"
			       "     --version      Show the version and the libraries in use\n"
			       "  -c --config FILE  Read FILE instead of %s\n",
			       program_invocation_short_name, RVISORD_CONFIG_DEFAULT);
			return 0;
		case ARG_VERSION:
			print_version();
			return 0;
		case 'c':
			arg_config = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument '%s'. Try '%s --help'.", argv[optind],
			  program_invocation_short_name);
		return -EINVAL;
	}
	return 1;
}

static int check_privileges(void)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (!caps)
		return log_error_errno(errno, "Cannot read own capabilities: %m");
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v);
	cap_free(caps);
	if (v != CAP_SET)
		return log_error_errno(EPERM, "rvisord needs CAP_SYS_ADMIN to own %s and set up "
				       "sandboxes: run it as root", rvisor_device_path());
	return 0;
}

static int run(const struct rvisord_config *config)
{
	sd_event *event = NULL;
	struct manager *m = NULL;
	sigset_t mask;
	int r;

	/* Signals arrive through sd-event; SIGCHLD too, for the sandboxes' inits. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(errno, "Cannot block signals: %m");
	/* A client that vanishes mid-write must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);

	r = sd_event_default(&event);
	if (r < 0)
		return log_error_errno(r, "Cannot create event loop: %m");
	/* A NULL handler makes sd-event exit the loop on these signals. */
	r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r < 0) {
		log_error_errno(r, "Cannot watch signals: %m");
		goto out;
	}

	r = manager_new(&m, event, config);
	if (r < 0)
		goto out;
	r = manager_listen(m);
	if (r < 0)
		goto out;

	log_info("rvisord %s ready", RVISOR_VERSION);
	(void)sd_notify(0, "READY=1\nSTATUS=Waiting for requests");
	r = sd_event_loop(event);
	(void)sd_notify(0, "STOPPING=1");
	if (r < 0)
		log_error_errno(r, "Event loop failed: %m");
	else
		log_info("rvisord stopping");
out:
	manager_free(m);
	sd_event_unref(event);
	return r;
}

int main(int argc, char *argv[])
{
	struct rvisord_config config;
	int r;

	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? 2 : 0;

	r = config_load(arg_config, &config);
	if (r < 0)
		return 1;
	log_set_max_level(config.log_level);
	journal_init();
	r = check_privileges();
	if (r >= 0)
		r = run(&config);
	config_done(&config);
	return r < 0 ? 1 : 0;
}
