/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl stats: one sandbox's limits, usage, layers and per-syscall counters (rvisor.ko's
 * gate counts; the seccomp filter keeps no counts). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli-util.h"
#include "client.h"
#include "cpus.h"
#include "log.h"
#include "table.h"
#include "verbs.h"

#define INSPECT_METHOD MANAGER_METHOD("Inspect")

static int64_t syscall_total(json_object *s)
{
	int64_t passed = 0, emulated = 0, denied = 0;

	json_get_int(s, "passed", &passed);
	json_get_int(s, "emulated", &emulated);
	json_get_int(s, "denied", &denied);
	return passed + emulated + denied;
}

/* The busiest first; equal counts by name. */
static int compare_count(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	int64_t cx = syscall_total(x), cy = syscall_total(y);
	const char *nx = "", *ny = "";

	if (cx != cy)
		return cx > cy ? -1 : 1;
	json_get_string(x, "name", &nx);
	json_get_string(y, "name", &ny);
	return strcmp(nx, ny);
}

/* Every count is a non-negative integer, small enough that sums cannot overflow. */
static bool count_valid(json_object *o, const char *key, bool mandatory)
{
	int64_t v;
	int r = json_get_int(o, key, &v);

	if (r == -ENOENT)
		return !mandatory;
	return r == 0 && v >= 0 && v <= INT64_MAX / 4;
}

static bool reply_valid(json_object *reply)
{
	json_object *sandbox, *syscalls;
	const char *cpuset;
	int64_t uid;
	bool userns;

	if (json_get_object(reply, "sandbox", &sandbox) < 0 || json_get_array(reply, "syscalls", &syscalls) < 0)
		return false;
	/* Newer than some daemons: absent is fine, of another type is not. */
	if (json_get_int(sandbox, "owner_uid", &uid) == -EBADMSG || json_get_bool(sandbox, "userns", &userns) == -EBADMSG ||
	    !layers_valid(sandbox))
		return false;
	if (!count_valid(reply, "passed", true) || !count_valid(reply, "emulated", true) ||
	    !count_valid(reply, "denied", true) || !count_valid(reply, "memory_max", false) ||
	    !count_valid(reply, "memory_current", false) || !count_valid(reply, "pids_max", false) ||
	    !count_valid(reply, "pids_current", false) || !count_valid(reply, "cpus_milli", false) ||
	    !count_valid(reply, "cpu_usage_usec", false) || json_get_string(reply, "cpuset", &cpuset) == -EBADMSG)
		return false;
	for (size_t i = 0; i < json_object_array_length(syscalls); i++) {
		json_object *s = json_object_array_get_idx(syscalls, i);
		const char *name;

		if (!json_object_is_type(s, json_type_object) || json_get_string(s, "name", &name) < 0 ||
		    !count_valid(s, "passed", true) || !count_valid(s, "emulated", true) ||
		    !count_valid(s, "denied", true))
			return false;
	}
	return true;
}

/* "12.5M (limit 512M)": current and limit, either of which may be unknown. */
static void print_usage(const char *label, json_object *reply, const char *current_key,
			const char *max_key, bool bytes)
{
	char cur[32] = "-", max[32] = "none";
	int64_t v;

	if (json_get_int(reply, current_key, &v) == 0) {
		if (bytes)
			cli_format_bytes((uint64_t)v, cur, sizeof(cur));
		else
			snprintf(cur, sizeof(cur), "%" PRId64, v);
	}
	if (json_get_int(reply, max_key, &v) == 0) {
		if (bytes)
			cli_format_bytes((uint64_t)v, max, sizeof(max));
		else
			snprintf(max, sizeof(max), "%" PRId64, v);
	}
	printf("%-10s %s (limit %s)\n", label, cur, max);
}

/* "1.234 s (limit 1.5 CPUs)" and the CPUs it may run on ("0-1", "-" when not known). */
static void print_cpu(json_object *reply)
{
	char used[32] = "-", limit[32] = "none";
	const char *cpuset = NULL;
	_cleanup_free_ char *cpuset_e = NULL;
	int64_t v;

	if (json_get_int(reply, "cpu_usage_usec", &v) == 0)
		snprintf(used, sizeof(used), "%" PRId64 ".%03" PRId64 " s", v / 1000000, v % 1000000 / 1000);
	if (json_get_int(reply, "cpus_milli", &v) == 0) {
		cpus_format((uint64_t)v, limit, sizeof(limit) - 5);
		strcat(limit, v == 1000 ? " CPU" : " CPUs");
	}
	printf("%-10s %s (limit %s)\n", "cpu:", used, limit);
	json_get_string(reply, "cpuset", &cpuset);
	cpuset_e = cli_escape(cpuset ?: "-");
	printf("%-10s %s\n", "cpuset:", cpuset_e ?: "-");
}

static int print_text(json_object *reply)
{
	static const char *const headers[] = { "SYSCALL", "TOTAL", "PASSED", "EMULATED", "DENIED" };
	_cleanup_table_ Table *t = table_new(headers, ARRAY_SIZE(headers));
	const char *name = "", *policy = "-", *platform = "-", *image = "-", *userns_text = "-";
	json_object *sandbox = NULL, *syscalls = NULL, *argv = NULL;
	/* What rvisord sends, some of it other users' words, reaches the terminal escaped. */
	_cleanup_free_ char *command = NULL, *owner = NULL, *owner_e = NULL, *name_e = NULL,
			    *policy_e = NULL, *platform_e = NULL, *image_e = NULL, *layers = NULL,
			    *layers_e = NULL;
	int64_t id = -1, pid = 0, started = 0, passed = 0, emulated = 0, denied = 0;
	bool userns;
	char time[32];

	if (!t)
		return log_oom();
	json_get_object(reply, "sandbox", &sandbox);
	json_get_array(reply, "syscalls", &syscalls);
	json_get_int(sandbox, "id", &id);
	json_get_string(sandbox, "name", &name);
	json_get_string(sandbox, "policy", &policy);
	json_get_string(sandbox, "platform", &platform);
	json_get_string(sandbox, "image", &image);
	json_get_int(sandbox, "pid", &pid);
	json_get_int(sandbox, "started_usec", &started);
	json_get_array(sandbox, "command", &argv);
	json_get_int(reply, "passed", &passed);
	json_get_int(reply, "emulated", &emulated);
	json_get_int(reply, "denied", &denied);
	if (json_get_bool(sandbox, "userns", &userns) == 0)
		userns_text = userns ? "yes" : "no";
	command = cli_format_argv(argv);
	owner = sandbox_owner(sandbox, true);
	owner_e = owner ? cli_escape(owner) : NULL;
	name_e = cli_escape(name);
	policy_e = cli_escape(policy);
	platform_e = cli_escape(platform);
	image_e = cli_escape(image);
	if (layers_text(sandbox, &layers) < 0) /* reply_valid() checked the type */
		layers = NULL;
	layers_e = layers ? cli_escape(layers) : NULL;
	if (!command || !owner_e || !name_e || !policy_e || !platform_e || !image_e || !layers_e)
		return log_oom();

	printf("%-10s %" PRId64 "%s%s%s\n", "sandbox:", id, *name ? " (" : "", name_e, *name ? ")" : "");
	printf("%-10s %s\n", "owner:", owner_e);
	printf("%-10s %s\n", "policy:", policy_e);
	printf("%-10s %s\n", "platform:", platform_e);
	printf("%-10s %s\n", "userns:", userns_text);
	printf("%-10s %s\n", "image:", image_e);
	printf("%-10s %" PRId64 "\n", "pid:", pid);
	printf("%-10s %s\n", "started:", cli_format_time(started, time, sizeof(time)));
	printf("%-10s %s\n", "command:", *command ? command : "-");
	print_usage("memory:", reply, "memory_current", "memory_max", true);
	print_usage("pids:", reply, "pids_current", "pids_max", false);
	print_cpu(reply);
	printf("%-10s %s\n", "layers:", layers_e);
	/* The counters are rvisor.ko's gate's: none without it, and with the seccomp filter in
	 * front of it, what the filter refused never reached it. */
	if (!layers_have(sandbox, "kernel"))
		printf("%-10s not counted (the seccomp filter keeps no counts; rvisor.ko's gate does)\n",
		       "syscalls:");
	else
		printf("%-10s %" PRId64 " passed, %" PRId64 " emulated, %" PRId64 " denied%s\n", "syscalls:",
		       passed, emulated, denied,
		       layers_have(sandbox, "seccomp") ? " by the gate (the seccomp filter's refusals come "
						       "first and are not counted)" : "");

	json_object_array_sort(syscalls, compare_count);
	for (size_t i = 0; i < json_object_array_length(syscalls); i++) {
		json_object *s = json_object_array_get_idx(syscalls, i);
		char total[24], p[24], e[24], d[24];
		const char *sname = "";
		int64_t v = 0;

		json_get_string(s, "name", &sname);
		snprintf(total, sizeof(total), "%" PRId64, syscall_total(s));
		json_get_int(s, "passed", &v);
		snprintf(p, sizeof(p), "%" PRId64, v);
		json_get_int(s, "emulated", &v);
		snprintf(e, sizeof(e), "%" PRId64, v);
		json_get_int(s, "denied", &v);
		snprintf(d, sizeof(d), "%" PRId64, v);

		const char *row[] = { sname, total, p, e, d };
		if (table_add_row(t, row) < 0)
			return log_oom();
	}
	for (size_t col = 1; col < ARRAY_SIZE(headers); col++)
		table_align_right(t, col);
	if (layers_have(sandbox, "kernel")) {
		printf("\n");
		if (table_print(t, stdout) < 0)
			return log_oom();
	}
	return flush_stdout() == EXIT_OK ? 0 : -EIO;
}

int verb_stats(int argc, char *argv[])
{
	enum { ARG_JSON = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, ARG_JSON },
		{},
	};
	json_object *params, *reply = NULL;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			printf("Usage: %s stats ID [--json]\n\n"
			       "Shows a sandbox's limits and usage (memory, tasks, CPU), its layers, its syscall\n"
			       "totals and the per-syscall counters of rvisor.ko's gate, busiest first. ID\n"
			       "is a number or a name from 'rvisorctl ps'.\n\n"
			       "  -h --help  Show this help\n"
			       "     --json  Print rvisord's Inspect reply as JSON\n",
			       program_invocation_short_name);
			return EXIT_OK;
		case ARG_JSON:
			json = true;
			break;
		default:
			return verb_getopt_error("stats", c, argc, argv);
		}
	}
	if (optind >= argc)
		return verb_usage_error("stats", "No sandbox given: use 'rvisorctl stats ID' with an ID from 'rvisorctl ps'");
	if (argc - optind > 1)
		return verb_usage_error("stats", "stats takes one sandbox ID, got also '%s'", argv[optind + 1]);

	params = json_object_new_object();
	r = verb_sandbox_param("stats", params, argv[optind]);
	if (r != 0) {
		json_object_put(params);
		return r;
	}
	r = daemon_call(INSPECT_METHOD, params, &reply, NULL);
	json_object_put(params);
	if (r < 0)
		return EXIT_FAILED;
	if (!reply_valid(reply)) {
		json_object_put(reply);
		daemon_log_bad_reply(INSPECT_METHOD);
		return EXIT_FAILED;
	}

	if (json) {
		json_object *syscalls = NULL;

		json_get_array(reply, "syscalls", &syscalls);
		json_object_array_sort(syscalls, compare_count);
		r = print_json(reply, true);
	} else
		r = print_text(reply) < 0 ? EXIT_FAILED : EXIT_OK;
	json_object_put(reply);
	return r;
}
