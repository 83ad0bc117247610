/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rvisord: the daemon that owns /dev/rvisor. This is its skeleton: it reads its configuration,
 * checks its privileges and the module's ABI, tells systemd it is ready and waits for a
 * signal. The varlink API and sandbox lifecycle build on this loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <iniparser/iniparser.h>
#include <json-c/json_c_version.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "device.h"
#include "log.h"

#define RVISORD_CONFIG_DEFAULT "/etc/rvisor/rvisord.conf"

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

/* Reads [rvisord] log_level. A missing default file is fine; a named one must exist. */
static int config_load(const char *path)
{
	dictionary *ini;
	const char *level_name;
	int level;

	if (access(path, F_OK) < 0) {
		if (errno == ENOENT && strcmp(path, RVISORD_CONFIG_DEFAULT) == 0)
			return 0;
		return log_error_errno(errno, "Cannot read configuration %s: %m", path);
	}

	ini = iniparser_load(path);
	if (!ini)
		return log_error_errno(EINVAL, "%s: not a valid INI file", path);

	level_name = iniparser_getstring(ini, "rvisord:log_level", "info");
	level = log_level_from_string(level_name);
	if (level < 0)
		log_error_errno(level, "%s: [rvisord] log_level=%s is not one of "
				       "err, warning, notice, info, debug", path, level_name);
	else
		log_set_max_level(level);
	iniparser_freedict(ini); /* level_name points into it: only now */
	return level < 0 ? level : 0;
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
		return log_error_errno(EPERM, "rvisord needs CAP_SYS_ADMIN to own %s: run it as root",
				       rvisor_device_path());
	return 0;
}

/* Logs what module is there. The module missing is not fatal: sandboxes may fall back. */
static void check_module(void)
{
	_cleanup_close_ int fd = rvisor_device_open();
	struct rvisor_version v;
	int r;

	if (fd < 0) {
		log_warning_errno(fd, "Kernel layer unavailable (%s: %m)", rvisor_device_path());
		return;
	}
	r = rvisor_device_version(fd, &v);
	if (r < 0) {
		log_warning_errno(r, "Cannot query %s: %m", rvisor_device_path());
		return;
	}
	if (!rvisor_abi_compatible(v.abi_version))
		log_warning("rvisor.ko %s speaks ABI %u, rvisord ABI %d: kernel layer unavailable",
			    v.module_version, v.abi_version, RVISOR_ABI_VERSION);
	else
		log_info("Kernel layer: rvisor.ko %s, ABI %u", v.module_version, v.abi_version);
}

static int run(void)
{
	sd_event *event = NULL;
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(errno, "Cannot block signals: %m");

	r = sd_event_default(&event);
	if (r < 0)
		return log_error_errno(r, "Cannot create event loop: %m");
	/* A NULL handler makes sd-event exit the loop on these signals. */
	r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r < 0) {
		sd_event_unref(event);
		return log_error_errno(r, "Cannot watch signals: %m");
	}

	log_info("rvisord %s ready", RVISOR_VERSION);
	(void)sd_notify(0, "READY=1\nSTATUS=Waiting for requests");
	r = sd_event_loop(event);
	(void)sd_notify(0, "STOPPING=1");
	sd_event_unref(event);
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m");
	log_info("rvisord stopping");
	return 0;
}

int main(int argc, char *argv[])
{
	int r;

	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? 2 : 0;

	r = config_load(arg_config);
	if (r < 0)
		return 1;
	r = check_privileges();
	if (r < 0)
		return 1;
	check_module();

	return run() < 0 ? 1 : 0;
}
