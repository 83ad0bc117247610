/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl status: is rvisor.ko loaded, and does it speak our ABI? */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "device.h"
#include "log.h"
#include "verbs.h"

struct module_state {
	int error;                 /* 0: answered; -ENOENT: not loaded; else why it cannot be asked */
	struct rvisor_version version;
};

static void module_state_query(struct module_state *st)
{
	_cleanup_close_ int fd = -1;

	memset(st, 0, sizeof(*st));
	fd = rvisor_device_open();
	if (fd < 0) {
		st->error = fd;
		return;
	}
	st->error = rvisor_device_version(fd, &st->version);
}

static int print_json(const struct module_state *st)
{
	json_object *root = json_object_new_object();
	json_object *module = json_object_new_object();
	int r = EXIT_OK;

	json_object_object_add(root, "version", json_object_new_string(RVISOR_VERSION));
	json_object_object_add(root, "abi", json_object_new_int(RVISOR_ABI_VERSION));
	json_object_object_add(root, "device", json_object_new_string(rvisor_device_path()));
	json_object_object_add(module, "loaded", json_object_new_boolean(st->error != -ENOENT));
	if (st->error == 0) {
		json_object_object_add(module, "version",
				       json_object_new_string(st->version.module_version));
		json_object_object_add(module, "abi", json_object_new_int((int)st->version.abi_version));
		json_object_object_add(module, "compatible",
				       json_object_new_boolean(rvisor_abi_compatible(st->version.abi_version)));
	} else if (st->error != -ENOENT) {
		json_object_object_add(module, "error", json_object_new_string(strerror(-st->error)));
	}
	json_object_object_add(root, "module", module);

	if (puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		r = EXIT_FAILED;
	json_object_put(root);
	return r;
}

static int print_text(const struct module_state *st)
{
	const char *dev = rvisor_device_path();

	printf("rvisorctl: %s (ABI %d)\n", RVISOR_VERSION, RVISOR_ABI_VERSION);
	printf("device:    %s\n", dev);
	if (st->error == -ENOENT) {
		printf("module:    not loaded\n");
		return EXIT_OK;
	}
	if (st->error < 0) {
		printf("module:    loaded, but %s cannot be queried: %s\n", dev, strerror(-st->error));
		return EXIT_OK;
	}
	printf("module:    loaded, version %s, ABI %u (%s)\n", st->version.module_version,
	       st->version.abi_version,
	       rvisor_abi_compatible(st->version.abi_version) ? "compatible" : "INCOMPATIBLE");
	return EXIT_OK;
}

static int status_exit_code(const struct module_state *st)
{
	if (st->error == -ENOENT) {
		log_error("The rvisor kernel module is not loaded. Load it with 'modprobe rvisor'.");
		return EXIT_NOT_LOADED;
	}
	if (st->error == -EACCES || st->error == -EPERM) {
		log_error_errno(st->error, "Cannot open %s: %m. Run as root.", rvisor_device_path());
		return EXIT_FAILED;
	}
	if (st->error < 0) {
		log_error_errno(st->error, "Cannot query %s: %m", rvisor_device_path());
		return EXIT_FAILED;
	}
	if (!rvisor_abi_compatible(st->version.abi_version)) {
		log_error("rvisor.ko speaks ABI %u, this rvisorctl ABI %d. Install matching versions.",
			  st->version.abi_version, RVISOR_ABI_VERSION);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

int verb_status(int argc, char *argv[])
{
	enum { ARG_JSON = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, ARG_JSON },
		{},
	};
	struct module_state st;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			printf("Usage: %s status [--json]\n\n"
			       "Shows whether rvisor.ko is loaded and which ABI it speaks.\n"
			       "Exit status: 0 loaded and compatible, 3 not loaded, 1 otherwise.\n",
			       program_invocation_short_name);
			return EXIT_OK;
		case ARG_JSON:
			json = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("status takes no arguments, got '%s'.", argv[optind]);
		return EXIT_USAGE;
	}

	module_state_query(&st);
	r = json ? print_json(&st) : print_text(&st);
	if (r != EXIT_OK)
		return r;
	return status_exit_code(&st);
}
