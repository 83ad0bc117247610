/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl policy list|show|check: the policies rvisord knows, and checking a policy file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-util.h"
#include "client.h"
#include "log.h"
#include "policy.h"
#include "verbs.h"

/* Far more than any policy; well under varlink's message limit. */
#define POLICY_FILE_MAX (1024 * 1024)
#define WRAP_COLUMNS 100

static void help(void)
{
	printf("Usage: %s policy list [--json]\n"
	       "       %s policy show NAME [--json]\n"
	       "       %s policy check FILE\n\n"
	       "Lists the policies in rvisord's policy directory (/etc/rvisor/policies/), shows one\n"
	       "as rvisord compiled it, or checks a policy file without installing it, here, with\n"
	       "rvisord's own parser (no daemon needed): 'FILE: ok' (exit 0), or the first mistake\n"
	       "as FILE:LINE: message (exit 1).\n\n"
	       "  -h --help  Show this help\n"
	       "     --json  Print rvisord's reply as JSON (list, show)\n",
	       program_invocation_short_name, program_invocation_short_name, program_invocation_short_name);
}

/* Parses a subcommand's options: only --help and, when json is not NULL, --json. Returns -1 to
 * go on (argv[optind] is its first argument), else the exit code. */
static int parse_sub(int argc, char *argv[], bool *json)
{
	enum { ARG_JSON = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, ARG_JSON },
		{},
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return EXIT_OK;
		case ARG_JSON:
			if (json) {
				*json = true;
				break;
			}
			return verb_usage_error("policy", "'policy %s' has no option --json", argv[0]);
		default:
			return verb_getopt_error("policy", c, argc, argv);
		}
	}
	return -1;
}

/* Prints s through cli_escape() (policies are root's, but what reaches a terminal carries no
 * control character); returns the columns printed. */
static int put_escaped(const char *s)
{
	_cleanup_free_ char *e = cli_escape(s);

	return printf("%s", e ?: "(out of memory)");
}

static int policy_list_cmd(int argc, char *argv[])
{
	json_object *reply = NULL, *names = NULL;
	bool json = false;
	size_t n;
	int r;

	r = parse_sub(argc, argv, &json);
	if (r >= 0)
		return r;
	if (optind < argc)
		return verb_usage_error("policy", "'policy list' takes no arguments, got '%s'", argv[optind]);

	if (daemon_call(MANAGER_METHOD("Policies"), NULL, &reply, NULL) < 0)
		return EXIT_FAILED;
	r = json_get_array(reply, "policies", &names);
	n = r < 0 ? 0 : json_object_array_length(names);
	for (size_t i = 0; r >= 0 && i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(names, i), json_type_string))
			r = -EBADMSG;
	if (r < 0) {
		json_object_put(reply);
		daemon_log_bad_reply(MANAGER_METHOD("Policies"));
		return EXIT_FAILED;
	}
	if (json)
		r = print_json(reply, true);
	else {
		for (size_t i = 0; i < n; i++) {
			put_escaped(json_object_get_string(json_object_array_get_idx(names, i)));
			putchar('\n');
		}
		r = flush_stdout();
	}
	json_object_put(reply);
	return r;
}

static bool is_scalar(json_object *v)
{
	return !json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array);
}

static const char *scalar_text(json_object *v)
{
	return v ? json_object_get_string(v) : "null";
}

/* An array of scalars on one line after "key:" (already printed, col columns), wrapped under
 * its first item when long. */
static void print_scalar_array(json_object *a, int col)
{
	size_t n = json_object_array_length(a);
	int start = col + 1;

	if (n == 0)
		col += printf(" (none)");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *s = cli_escape(scalar_text(json_object_array_get_idx(a, i)));
		int len = s ? (int)strlen(s) : 0;

		if (i > 0 && col + 1 + len > WRAP_COLUMNS)
			col = printf("\n%*s", start - 1, "") - 1;
		col += printf(" %s", s ?: "(out of memory)");
	}
	putchar('\n');
}

/* The policy as indented "key: value" lines, objects nested, lists on one line. */
static void print_value(json_object *v, int indent, const char *key)
{
	char size[32];
	int col;

	/* One statement each: the order of a sum's operands is unspecified. */
	col = printf("%*s", indent, "");
	col += put_escaped(key);
	col += printf(":");
	if (strcmp(key, "memory") == 0 && json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0) {
		/* Bytes, as the policy file gives them. */
		printf(" %s\n", cli_format_bytes((uint64_t)json_object_get_int64(v), size, sizeof(size)));
	} else if (is_scalar(v)) {
		putchar(' ');
		put_escaped(scalar_text(v));
		putchar('\n');
	} else if (json_object_is_type(v, json_type_object)) {
		putchar('\n');
		json_object_object_foreach(v, k, child)
			print_value(child, indent + 2, k);
	} else {
		size_t n = json_object_array_length(v);
		bool scalars = true;

		for (size_t i = 0; i < n; i++)
			scalars = scalars && is_scalar(json_object_array_get_idx(v, i));
		if (scalars) {
			print_scalar_array(v, col);
			return;
		}
		putchar('\n');
		for (size_t i = 0; i < n; i++)
			print_value(json_object_array_get_idx(v, i), indent + 2, "-");
	}
}

static int policy_show_cmd(int argc, char *argv[])
{
	json_object *params, *reply = NULL, *policy = NULL;
	bool json = false;
	int r;

	r = parse_sub(argc, argv, &json);
	if (r >= 0)
		return r;
	if (optind >= argc)
		return verb_usage_error("policy", "No policy given: use 'rvisorctl policy show NAME'");
	if (argc - optind > 1)
		return verb_usage_error("policy", "'policy show' takes one NAME, got also '%s'", argv[optind + 1]);

	params = json_object_new_object();
	json_object_object_add(params, "name", json_object_new_string(argv[optind]));
	r = daemon_call(MANAGER_METHOD("GetPolicy"), params, &reply, NULL);
	json_object_put(params);
	if (r < 0)
		return EXIT_FAILED;
	if (json_get_object(reply, "policy", &policy) < 0) {
		json_object_put(reply);
		daemon_log_bad_reply(MANAGER_METHOD("GetPolicy"));
		return EXIT_FAILED;
	}
	if (json)
		r = print_json(reply, true);
	else {
		json_object_object_foreach(policy, k, v)
			print_value(v, 0, k);
		r = flush_stdout();
	}
	json_object_put(reply);
	return r;
}

/* Reads a policy file whole. Logs failures. */
static int read_policy_file(const char *path, char **ret)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return log_error_errno(-errno, "Cannot read %s: %m", path);
	if (fstat(fd, &st) < 0)
		return log_error_errno(-errno, "Cannot read %s: %m", path);
	if (S_ISDIR(st.st_mode))
		return log_error_errno(-EISDIR, "Cannot read %s: %m: give a policy file", path);
	r = cli_read_text(fd, POLICY_FILE_MAX, ret);
	if (r == -EFBIG)
		return log_error_errno(r, "%s is larger than %d bytes: a policy is a small text file",
				       path, POLICY_FILE_MAX);
	if (r == -EBADMSG)
		return log_error_errno(-EINVAL, "%s contains a NUL byte: a policy is a text file", path);
	if (r < 0)
		return log_error_errno(r, "Cannot read %s: %m", path);
	return 0;
}

static int policy_check_cmd(int argc, char *argv[])
{
	_cleanup_free_ char *text = NULL, *error = NULL;
	_cleanup_policy_ struct rvisor_policy_config *pol = NULL;
	const char *path;
	int r;

	r = parse_sub(argc, argv, NULL);
	if (r >= 0)
		return r;
	if (optind >= argc)
		return verb_usage_error("policy", "No file given: use 'rvisorctl policy check FILE'");
	if (argc - optind > 1)
		return verb_usage_error("policy", "'policy check' takes one FILE, got also '%s'", argv[optind + 1]);
	path = argv[optind];

	if (read_policy_file(path, &text) < 0)
		return EXIT_FAILED;
	/* The text as rvisord's CheckPolicy parses it, with the same code. */
	r = policy_load_text(path, text, strlen(text), &pol, &error);
	if (r == -EINVAL && error) {
		/* As compilers do, so editors can jump to it: FILE:LINE: message. */
		_cleanup_free_ char *e = cli_escape(error);

		fprintf(stderr, "%s\n", e ?: "(out of memory)");
		return EXIT_FAILED;
	}
	if (r < 0) {
		log_error_errno(r, "Cannot check %s: %m", path);
		return EXIT_FAILED;
	}
	printf("%s: ok\n", path);
	return flush_stdout();
}

int verb_policy(int argc, char *argv[])
{
	static const struct {
		const char *name;
		int (*run)(int argc, char *argv[]);
	} subs[] = {
		{ "list", policy_list_cmd },
		{ "show", policy_show_cmd },
		{ "check", policy_check_cmd },
	};
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return EXIT_OK;
		default:
			return verb_getopt_error("policy", c, argc, argv);
		}
	}
	if (optind >= argc)
		return verb_usage_error("policy", "No subcommand given: use list, show or check");
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(argv[optind], subs[i].name) == 0)
			return subs[i].run(argc - optind, argv + optind);
	return verb_usage_error("policy", "Unknown subcommand '%s': use list, show or check", argv[optind]);
}
