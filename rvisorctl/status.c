/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl status: is rvisord running, is rvisor.ko loaded, do they speak our ABI, and which
 * layers (rvisor.ko's gate, the policy's seccomp filter) do new sandboxes get? And rvisorctl
 * version: the three parts' versions, from the same questions. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli-util.h"
#include "client.h"
#include "device.h"
#include "log.h"
#include "verbs.h"

struct module_state {
	int error;                 /* 0: answered; -ENOENT: not loaded; else why it cannot be read */
	struct rvisor_version version;
	bool abi_known;            /* false: rvisord says it is loaded but gave no version */
};

struct daemon_state {
	int error;                 /* 0: answered; -ENOENT/-ECONNREFUSED: not running; else why not */
	char *message;             /* with other errors: what went wrong, one line */
	json_object *reply;        /* Status's parameters when it answered */
	const char *version, *platform;
	const char *views;         /* "rvisorfs" or "host"; from platform for an older daemon */
	json_object *layers;       /* borrowed from reply; NULL from a daemon older than layers */
	char *layers_text;         /* "kernel+seccomp", or "-" */
	int64_t abi, sandboxes;
};

static void daemon_state_done(struct daemon_state *d)
{
	free(d->message);
	free(d->layers_text);
	json_object_put(d->reply);
}

static bool daemon_not_running(const struct daemon_state *d)
{
	return d->error == -ENOENT || d->error == -ENOTDIR || d->error == -ECONNREFUSED;
}

/* From sysfs, never the device: its one opener is rvisord, which a status run while it
 * starts must not make fail with EBUSY. */
static void module_state_query(struct module_state *st)
{
	memset(st, 0, sizeof(*st));
	st->error = rvisor_module_sysfs_version(&st->version, &st->abi_known);
}

/* Fills st from rvisord's answer (it owns the device; we may not be allowed to open it). */
static int module_state_from_daemon(struct module_state *st, json_object *reply)
{
	const char *version = NULL;
	bool loaded;
	int64_t abi;
	int r;

	memset(st, 0, sizeof(*st));
	if (json_get_bool(reply, "module_loaded", &loaded) < 0)
		return -EBADMSG;
	if (!loaded) {
		st->error = -ENOENT;
		return 0;
	}
	r = json_get_string(reply, "module_version", &version);
	if (r == -EBADMSG)
		return r;
	if (version)
		snprintf(st->version.module_version, sizeof(st->version.module_version), "%s", version);
	r = json_get_int(reply, "module_abi", &abi);
	if (r == -EBADMSG || (r == 0 && (abi < 0 || abi > UINT32_MAX)))
		return -EBADMSG;
	st->abi_known = r == 0;
	st->version.abi_version = r == 0 ? (unsigned int)abi : 0;
	return 0;
}

static void daemon_state_query(struct daemon_state *d)
{
	_cleanup_varlink_client_ VarlinkClient *c = NULL;
	_cleanup_free_ char *error = NULL;
	json_object *reply = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	r = daemon_connect(&c);
	if (r >= 0)
		r = varlink_client_call(c, MANAGER_METHOD("Status"), NULL, NULL, 0, 0);
	if (r >= 0)
		r = varlink_client_read(c, &reply, &error, NULL);
	if (r < 0) {
		d->error = r;
		d->message = strdup(strerror(-r));
		return;
	}
	if (error) {
		d->error = -EREMOTEIO;
		d->message = cli_error_message(error, reply);
		json_object_put(reply);
		return;
	}
	d->reply = reply;
	if (json_get_string(reply, "version", &d->version) < 0 || json_get_int(reply, "abi", &d->abi) < 0 ||
	    json_get_string(reply, "platform", &d->platform) < 0 ||
	    json_get_int(reply, "sandboxes", &d->sandboxes) < 0 ||
	    layers_text(reply, &d->layers_text) < 0) {
		d->error = -EBADMSG;
		d->message = strdup("malformed reply to Status: install the same version of rvisorctl and rvisord");
		return;
	}
	if (json_get_array(reply, "layers", &d->layers) < 0)
		d->layers = NULL;
	if (json_get_string(reply, "views", &d->views) < 0)
		d->views = strcmp(d->platform, "kernel") == 0 ? "rvisorfs" : "host";
}

/* What a sandbox's /proc and /sys figures are, as one line's worth. */
static const char *views_text(const char *views)
{
	if (strcmp(views, "rvisorfs") == 0)
		return "rvisorfs (rvisor.ko: /proc and /sys show each sandbox's own memory, CPUs, uptime, load)";
	if (strcmp(views, "host") == 0)
		return "host's /proc figures (no rvisor.ko: sandboxes see the host's memory, CPUs, uptime, load)";
	return NULL;
}

static json_object *daemon_json(const struct daemon_state *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "socket", json_object_new_string(daemon_address()));
	json_object_object_add(o, "running", json_object_new_boolean(!daemon_not_running(d)));
	if (d->error == 0) {
		json_object_object_add(o, "version", json_object_new_string(d->version));
		json_object_object_add(o, "abi", json_object_new_int64(d->abi));
		json_object_object_add(o, "platform", json_object_new_string(d->platform));
		if (d->layers)
			json_object_object_add(o, "layers", json_object_get(d->layers));
		json_object_object_add(o, "sandboxes", json_object_new_int64(d->sandboxes));
	} else if (!daemon_not_running(d)) {
		json_object_object_add(o, "error", json_object_new_string(d->message ?: "out of memory"));
	}
	return o;
}

static int print_status_json(const struct daemon_state *d, const struct module_state *st)
{
	json_object *root = json_object_new_object();
	json_object *module = json_object_new_object();
	int r;

	json_object_object_add(root, "version", json_object_new_string(RVISOR_VERSION));
	json_object_object_add(root, "abi", json_object_new_int(RVISOR_ABI_VERSION));
	json_object_object_add(root, "device", json_object_new_string(rvisor_device_path()));
	/* What new sandboxes run on; rvisord decides, so only when it answered. */
	if (d->error == 0) {
		json_object_object_add(root, "platform", json_object_new_string(d->platform));
		if (d->layers)
			json_object_object_add(root, "layers", json_object_get(d->layers));
		json_object_object_add(root, "views", json_object_new_string(d->views));
	}
	json_object_object_add(root, "daemon", daemon_json(d));
	json_object_object_add(module, "loaded", json_object_new_boolean(st->error != -ENOENT));
	if (st->error == 0) {
		if (st->version.module_version[0])
			json_object_object_add(module, "version",
					       json_object_new_string(st->version.module_version));
		if (st->abi_known) {
			json_object_object_add(module, "abi", json_object_new_int((int)st->version.abi_version));
			json_object_object_add(module, "compatible",
					       json_object_new_boolean(rvisor_abi_compatible(st->version.abi_version)));
		}
	} else if (st->error != -ENOENT) {
		json_object_object_add(module, "error", json_object_new_string(strerror(-st->error)));
	}
	json_object_object_add(root, "module", module);

	r = print_json(root, true);
	json_object_put(root);
	return r;
}

static int print_status_text(const struct daemon_state *d, const struct module_state *st)
{
	const char *dev = rvisor_device_path();
	/* What rvisord says reaches the terminal escaped. */
	_cleanup_free_ char *version = NULL, *platform = NULL, *layers = NULL, *views = NULL,
			    *module_version = cli_escape(st->version.module_version);

	if (d->error == 0) {
		version = cli_escape(d->version);
		platform = cli_escape(d->platform);
		layers = cli_escape(d->layers_text ?: "-");
		views = cli_escape(views_text(d->views) ?: d->views);
	}
	if (!module_version || (d->error == 0 && (!version || !platform || !layers || !views))) {
		log_oom();
		return EXIT_FAILED;
	}

	printf("rvisorctl: %s (ABI %d)\n", RVISOR_VERSION, RVISOR_ABI_VERSION);
	if (d->error == 0)
		printf("daemon:    running, version %s, ABI %" PRId64 ", platform %s (layers %s), %" PRId64
		       " sandbox%s\n",
		       version, d->abi, platform, layers, d->sandboxes, d->sandboxes == 1 ? "" : "es");
	else if (daemon_not_running(d))
		printf("daemon:    not running\n");
	else
		printf("daemon:    not reachable: %s\n", d->message ?: "out of memory");
	printf("device:    %s\n", dev);
	if (st->error == -ENOENT)
		printf("module:    not loaded\n");
	else if (st->error < 0)
		printf("module:    loaded, but %s cannot be read: %s\n", rvisor_module_sysfs_path(),
		       strerror(-st->error));
	else if (!st->abi_known)
		printf("module:    loaded, version unknown\n");
	else
		printf("module:    loaded, version %s, ABI %u (%s)\n", module_version,
		       st->version.abi_version,
		       rvisor_abi_compatible(st->version.abi_version) ? "compatible" : "INCOMPATIBLE");
	if (d->error == 0)
		printf("views:     %s\n", views);
	return flush_stdout();
}

static int status_exit_code(const struct daemon_state *d, const struct module_state *st)
{
	if (d->error == 0 && !rvisor_abi_compatible((unsigned int)d->abi)) {
		log_error("rvisord speaks ABI %" PRId64 ", this rvisorctl ABI %d. Install matching versions.",
			  d->abi, RVISOR_ABI_VERSION);
		return EXIT_FAILED;
	}
	if (st->error == -ENOENT) {
		log_error("The rvisor kernel module is not loaded. Load it with 'modprobe rvisor'.");
		return EXIT_NOT_LOADED;
	}
	if (st->error == -EBADMSG) {
		log_error("%s does not describe an rvisor module (its version or parameters/abi_version "
			  "is malformed)", rvisor_module_sysfs_path());
		return EXIT_FAILED;
	}
	if (st->error < 0) {
		log_error_errno(st->error, "Cannot read %s: %m", rvisor_module_sysfs_path());
		return EXIT_FAILED;
	}
	if (!st->abi_known) {
		log_error("rvisor.ko's ABI is unknown (a module or rvisord older than this rvisorctl): "
			  "install matching versions of rvisor.ko, rvisord and rvisorctl.");
		return EXIT_FAILED;
	}
	if (!rvisor_abi_compatible(st->version.abi_version)) {
		log_error("rvisor.ko speaks ABI %u, this rvisorctl ABI %d. Install matching versions.",
			  st->version.abi_version, RVISOR_ABI_VERSION);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/* Both verbs' command line: [--json], no arguments. -1 to go on (and *ret_json), else the
 * exit code (help printed by help(), or a usage error). */
static int parse_json_only(const char *verb, int argc, char *argv[], void (*help)(void), bool *ret_json)
{
	enum { ARG_JSON = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, ARG_JSON },
		{},
	};
	int c;

	*ret_json = false;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return EXIT_OK;
		case ARG_JSON:
			*ret_json = true;
			break;
		default:
			return verb_getopt_error(verb, c, argc, argv);
		}
	}
	if (optind < argc)
		return verb_usage_error(verb, "%s takes no arguments, got '%s'", verb, argv[optind]);
	return -1;
}

/* rvisord's answer, and the module's state from it, or from sysfs when rvisord does not answer
 * (or answers nonsense). */
static void query_all(struct daemon_state *d, struct module_state *st)
{
	daemon_state_query(d);
	if (d->error == 0 && module_state_from_daemon(st, d->reply) < 0) {
		d->error = -EBADMSG;
		free(d->message);
		d->message = strdup("malformed reply to Status: install the same version of rvisorctl and rvisord");
	}
	if (d->error != 0)
		module_state_query(st);
}

static void status_help(void)
{
	printf("Usage: %s status [--json]\n\n"
	       "Shows whether rvisord is running and rvisor.ko is loaded, which versions\n"
	       "and ABI they speak, and the layers new sandboxes get (kernel: rvisor.ko's\n"
	       "gate, seccomp: the policy's seccomp filter). Asks rvisord; when it is not\n"
	       "running, reads the module's version and ABI in %s (never\n"
	       "opening its device, which rvisord owns).\n\n"
	       "  -h --help  Show this help\n"
	       "     --json  Print JSON\n\n"
	       "Exit status: 0 loaded and compatible, 3 not loaded, 1 otherwise.\n",
	       program_invocation_short_name, rvisor_module_sysfs_path());
}

int verb_status(int argc, char *argv[])
{
	_cleanup_(daemon_state_done) struct daemon_state d = {};
	struct module_state st;
	bool json;
	int r;

	r = parse_json_only("status", argc, argv, status_help, &json);
	if (r >= 0)
		return r;
	query_all(&d, &st);
	r = json ? print_status_json(&d, &st) : print_status_text(&d, &st);
	if (r != EXIT_OK)
		return r;
	return status_exit_code(&d, &st);
}

/* One part's version as version's JSON has it: {"version", "abi"}, abi left out when unknown. */
static json_object *version_json(const char *version, bool abi_known, int64_t abi)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_string(version));
	if (abi_known)
		json_object_object_add(o, "abi", json_object_new_int64(abi));
	return o;
}

static int print_version_json(const struct daemon_state *d, const struct module_state *st)
{
	json_object *root = json_object_new_object();
	int r;

	json_object_object_add(root, "client", version_json(RVISOR_VERSION, true, RVISOR_ABI_VERSION));
	json_object_object_add(root, "daemon", d->error == 0 ? version_json(d->version, true, d->abi) : NULL);
	json_object_object_add(root, "module", st->error == 0 ?
				version_json(st->version.module_version, st->abi_known, st->version.abi_version) :
				NULL);
	r = print_json(root, true);
	json_object_put(root);
	return r;
}

static int print_version_text(const struct daemon_state *d, const struct module_state *st)
{
	_cleanup_free_ char *daemon_version = d->error == 0 ? cli_escape(d->version) : NULL,
			    *module_version = cli_escape(st->version.module_version);

	if (!module_version || (d->error == 0 && !daemon_version)) {
		log_oom();
		return EXIT_FAILED;
	}
	printf("client:  rvisorctl %s, ABI %d\n", RVISOR_VERSION, RVISOR_ABI_VERSION);
	if (d->error == 0)
		printf("daemon:  rvisord %s, ABI %" PRId64 "\n", daemon_version, d->abi);
	else
		printf("daemon:  %s\n", daemon_not_running(d) ? "not running" : "not reachable");
	if (st->error == -ENOENT)
		printf("module:  not loaded\n");
	else if (st->error < 0)
		printf("module:  unknown (%s)\n", strerror(-st->error));
	else if (st->abi_known)
		printf("module:  rvisor.ko %s, ABI %u\n", module_version, st->version.abi_version);
	else
		printf("module:  rvisor.ko %s, ABI unknown\n", module_version);
	return flush_stdout();
}

static void version_help(void)
{
	printf("Usage: %s version [--json]\n\n"
	       "Shows the versions and ABI of rvisorctl, rvisord (when it runs) and\n"
	       "rvisor.ko (when it is loaded: as rvisord reports it, else from %s).\n"
	       "Whether they can work together is status's question.\n\n"
	       "  -h --help  Show this help\n"
	       "     --json  Print JSON: {\"client\", \"daemon\", \"module\"}, each\n"
	       "             {\"version\", \"abi\"} or null\n",
	       program_invocation_short_name, rvisor_module_sysfs_path());
}

int verb_version(int argc, char *argv[])
{
	_cleanup_(daemon_state_done) struct daemon_state d = {};
	struct module_state st;
	bool json;
	int r;

	r = parse_json_only("version", argc, argv, version_help, &json);
	if (r >= 0)
		return r;
	query_all(&d, &st);
	return json ? print_version_json(&d, &st) : print_version_text(&d, &st);
}
