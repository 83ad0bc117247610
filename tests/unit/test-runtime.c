/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runtime/ (rvisor-runc): runc's command line, PrepareContainer's reply, the config.json
 * rewrite, the --log JSON line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "tap.h"

#define ARGC(a) ((int)ARRAY_SIZE(a) - 1)
/* A modifiable string, as argv's are. */
#define S(s) ((char[]){ s })

/* ---- the command line ---- */

static void test_global(void)
{
	struct runc_global g;
	char *msg = NULL;

	{
		char *argv[] = { S("rvisor-runc"), S("--root"), S("/r"), S("--log=/l"), S("--log-format"), S("json"),
				 S("--systemd-cgroup"), S("--debug"), S("create"), S("--bundle"), S("b"), S("id"), NULL };

		is_int(runc_parse_global(ARGC(argv), argv, &g, &msg), 0, "global: parses");
		is_str(g.root, "/r", "global: --root DIR");
		is_str(g.log, "/l", "global: --log=FILE");
		is_str(g.log_format, "json", "global: --log-format json");
		ok(g.debug && !g.help && !g.version, "global: --debug");
		is_int(g.command, 8, "global: the command's index");
	}
	{
		char *argv[] = { S("rvisor-runc"), S("--rootless=true"), S("state"), S("x"), NULL };

		is_int(runc_parse_global(ARGC(argv), argv, &g, &msg), 0, "global: --rootless=VALUE");
		is_str(g.log_format, "text", "global: --log-format defaults to text");
		ok(!g.root && !g.log, "global: no --root, no --log");
		is_int(g.command, 2, "global: command after --rootless=VALUE");
	}
	{
		char *argv[] = { S("rvisor-runc"), S("--rootless"), S("auto"), S("list"), NULL };

		is_int(runc_parse_global(ARGC(argv), argv, &g, &msg), 0, "global: --rootless VALUE");
		is_int(g.command, 3, "global: the value of --rootless is not the command");
	}
	{
		char *argv[] = { S("rvisor-runc"), S("-v"), NULL };

		is_int(runc_parse_global(ARGC(argv), argv, &g, &msg), 0, "global: -v");
		ok(g.version, "global: -v is --version");
		is_int(g.command, ARGC(argv), "global: no command: argc");
	}
	{
		char *argv[] = { S("rvisor-runc"), S("--log-format"), S("xml"), S("list"), NULL };

		is_int(runc_parse_global(ARGC(argv), argv, &g, &msg), -EINVAL, "global: --log-format xml refused");
		is_str(msg, "unknown --log-format 'xml': use text or json", "global: its message");
		msg = mfree(msg);
	}
	{
		char *argv[] = { S("rvisor-runc"), S("--bogus"), S("list"), NULL };

		is_int(runc_parse_global(ARGC(argv), argv, &g, &msg), -ENOENT, "global: unknown option");
		is_str(msg, "unknown option '--bogus'", "global: names it");
		msg = mfree(msg);
	}
	{
		char *argv[] = { S("rvisor-runc"), S("--root"), NULL };

		is_int(runc_parse_global(ARGC(argv), argv, &g, &msg), -EINVAL, "global: --root without a value");
		is_str(msg, "option '--root' needs a value", "global: says so");
		msg = mfree(msg);
	}
	{
		char *argv[] = { S("rvisor-runc"), S("--debug=yes"), S("list"), NULL };

		is_int(runc_parse_global(ARGC(argv), argv, &g, &msg), -EINVAL, "global: a value for a flag");
		msg = mfree(msg);
	}
}

static void test_command_options(void)
{
	const struct runc_command *create = runc_command_find("create"), *run = runc_command_find("run");
	struct runc_args a;
	char *msg = NULL;

	ok(create && create->action == ACTION_CREATE, "commands: create is rewritten");
	ok(run && run->action == ACTION_CREATE, "commands: run is rewritten");
	ok(runc_command_find("delete")->action == ACTION_DELETE, "commands: delete releases");
	ok(runc_command_find("exec")->action == ACTION_EXEC, "commands: exec");
	ok(runc_command_find("kill")->action == ACTION_CONTAINER, "commands: kill checks the container");
	ok(runc_command_find("list")->action == ACTION_PASS, "commands: list is crun's");
	ok(runc_command_find("features")->action == ACTION_FEATURES, "commands: features");
	ok(!runc_command_find("bogus"), "commands: an unknown one is crun's to refuse");

	{
		char *argv[] = { S("rvisor-runc"), S("--root"), S("/r"), S("create"), S("--bundle"), S("/b"), S("--pid-file=/p"),
				 S("--console-socket"), S("/s"), S("--no-pivot"), S("--no-new-keyring"), S("--preserve-fds"), S("2"),
				 S("c1"), NULL };

		is_int(runc_args_parse(create->options, ARGC(argv), argv, 4, false, &a, &msg), 0, "create: parses");
		is_str(runc_args_value(&a, OPT_BUNDLE), "/b", "create: --bundle DIR");
		is_str(runc_args_value(&a, OPT_PID_FILE), "/p", "create: --pid-file=FILE");
		is_str(runc_args_value(&a, OPT_CONSOLE_SOCKET), "/s", "create: --console-socket");
		is_str(runc_args_value(&a, OPT_PRESERVE_FDS), "2", "create: --preserve-fds");
		is_int(runc_args_n_positional(&a), 1, "create: one positional argument");
		is_str(runc_args_positional(&a, 0), "c1", "create: the id");
		runc_args_done(&a);
	}
	{
		/* Options after the id, as crun takes them; short ones, grouped; "--". */
		char *argv[] = { S("rvisor-runc"), S("run"), S("c2"), S("-b"), S("bun"), S("-db2"), S("--"), S("-x"), NULL };

		is_int(runc_args_parse(run->options, ARGC(argv), argv, 2, false, &a, &msg), 0, "run: parses");
		is_str(runc_args_value(&a, OPT_BUNDLE), "2", "run: the last -b wins (grouped -db2)");
		ok(runc_args_has(&a, OPT_DETACH), "run: -d in a group");
		is_int(runc_args_n_positional(&a), 2, "run: positional after --");
		is_str(runc_args_positional(&a, 1), "-x", "run: '-x' after -- is an argument");
		runc_args_done(&a);
	}
	{
		char *argv[] = { S("rvisor-runc"), S("create"), S("--bogus"), S("c"), NULL };

		is_int(runc_args_parse(create->options, ARGC(argv), argv, 2, false, &a, &msg), -ENOENT,
		       "create: unknown option");
		is_str(msg, "unknown option '--bogus'", "create: names it");
		msg = mfree(msg);
	}
	{
		char *argv[] = { S("rvisor-runc"), S("create"), S("-q"), S("c"), NULL };

		is_int(runc_args_parse(create->options, ARGC(argv), argv, 2, false, &a, &msg), -ENOENT,
		       "create: unknown short option");
		is_str(msg, "unknown option '-q'", "create: names it");
		msg = mfree(msg);
	}
	{
		char *argv[] = { S("rvisor-runc"), S("create"), S("c"), S("-b"), NULL };

		is_int(runc_args_parse(create->options, ARGC(argv), argv, 2, false, &a, &msg), -EINVAL,
		       "create: -b without a value");
		is_str(msg, "option '-b' needs a value", "create: says so");
		msg = mfree(msg);
	}
	{
		char *argv[] = { S("rvisor-runc"), S("delete"), S("-f"), S("c"), NULL };

		is_int(runc_args_parse(runc_command_find("delete")->options, ARGC(argv), argv, 2, false, &a, &msg), 0,
		       "delete: parses");
		ok(runc_args_has(&a, OPT_FORCE), "delete: -f is --force");
		runc_args_done(&a);
	}
	{
		char *argv[] = { S("rvisor-runc"), S("exec"), S("-t"), S("--env"), S("A=1"), S("-p"), S("/p.json"), S("c"), S("sh"), NULL };

		is_int(runc_args_parse(runc_command_find("exec")->options, ARGC(argv), argv, 2, false, &a, &msg), 0,
		       "exec: parses");
		is_str(runc_args_value(&a, OPT_PROCESS), "/p.json", "exec: -p FILE");
		is_str(runc_args_positional(&a, 0), "c", "exec: the id is the first argument");
		ok(!runc_args_grouped(argv, &a, OPT_PROCESS), "exec: -p on its own");
		runc_args_done(&a);
	}
}

static char *joined(char **v)
{
	size_t len = 1;
	char *s;

	for (char **p = v; *p; p++)
		len += strlen(*p) + 1;
	s = calloc(1, len);
	for (char **p = v; *p; p++) {
		if (p != v)
			strcat(s, " ");
		strcat(s, *p);
	}
	return s;
}

static void test_rebuild_argv(void)
{
	const struct runc_command *create = runc_command_find("create");
	struct runc_args a;
	char *msg = NULL, **out = NULL, *s;

	{
		char *argv[] = { S("rvisor-runc"), S("--root"), S("/r"), S("create"), S("-f"), S("mine.json"), S("--bundle"), S("/b"),
				 S("--config=other.json"), S("c"), NULL };

		runc_args_parse(create->options, ARGC(argv), argv, 4, false, &a, &msg);
		is_str(runc_args_value(&a, OPT_CONFIG), "other.json", "rebuild: the last --config wins");
		ok(!runc_args_grouped(argv, &a, OPT_CONFIG), "rebuild: -f on its own");
		is_int(runc_rebuild_argv(argv, ARGC(argv), 3, &a, OPT_CONFIG, "--config=/state/c@1.json", &out), 0,
		       "rebuild: builds");
		s = joined(out);
		is_str(s, "rvisor-runc --root /r create --config=/state/c@1.json --bundle /b c",
		       "rebuild: the engine's --config left out, ours after the command");
		free(s);
		free(out);
		runc_args_done(&a);
	}
	{
		char *argv[] = { S("rvisor-runc"), S("create"), S("-df"), S("x.json"), S("c"), NULL };

		runc_args_parse(runc_command_find("run")->options, ARGC(argv), argv, 2, false, &a, &msg);
		ok(runc_args_grouped(argv, &a, OPT_CONFIG), "rebuild: -f grouped with -d is seen");
		runc_args_done(&a);
	}
	{
		char *argv[] = { S("rvisor-runc"), S("exec"), S("-t"), S("c"), S("sh"), NULL };

		runc_args_parse(runc_command_find("exec")->options, ARGC(argv), argv, 2, false, &a, &msg);
		is_int(runc_rebuild_argv(argv, ARGC(argv), 1, &a, _OPT_KEY_MAX, "--no-new-privs", &out), 0,
		       "rebuild: insert only");
		s = joined(out);
		is_str(s, "rvisor-runc exec --no-new-privs -t c sh", "rebuild: positional arguments stay");
		free(s);
		free(out);
		runc_args_done(&a);
	}
}

static void test_container_id(void)
{
	char long_id[300];

	ok(runc_container_id_valid("abc_DEF-1.2+3"), "id: runc's characters");
	ok(!runc_container_id_valid(""), "id: empty");
	ok(!runc_container_id_valid("."), "id: .");
	ok(!runc_container_id_valid(".."), "id: ..");
	ok(!runc_container_id_valid("a/b"), "id: a slash");
	ok(!runc_container_id_valid("a@b"), "id: '@' (rvisor-runc's file name separator)");
	ok(!runc_container_id_valid("a b"), "id: a space");
	ok(!runc_container_id_valid(NULL), "id: NULL");
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	ok(!runc_container_id_valid(long_id), "id: too long for a file name with its suffix");
	long_id[240] = '\0';
	ok(runc_container_id_valid(long_id), "id: 240 characters");
}

/* ---- PrepareContainer's reply ---- */

static int prepared(const char *text, struct runc_prepared *p)
{
	json_object *o = json_tokener_parse(text);
	int r = runc_prepared_from_json(o, p);

	json_object_put(o);
	return r;
}

static void test_prepared(void)
{
	struct runc_prepared p = {};

	is_int(prepared("{\"policy\":\"default\",\"layers\":[\"seccomp\"],\"memory_max\":536870912,"
			"\"pids_max\":1024,\"seccomp_bpf\":[\"AAAA\",\"BBBB\"]}", &p), 0, "prepared: a full reply");
	is_str(p.policy, "default", "prepared: policy");
	is_int(p.layers, RUNC_LAYER_SECCOMP, "prepared: layers");
	ok(p.has_memory_max && p.memory_max == 536870912, "prepared: memory_max");
	ok(p.has_pids_max && p.pids_max == 1024, "prepared: pids_max");
	is_int(json_object_array_length(p.seccomp_bpf), 2, "prepared: the programs");
	runc_prepared_done(&p);

	is_int(prepared("{\"policy\":\"k\",\"layers\":[\"kernel\",\"seccomp\"],\"memory_max\":null,"
			"\"seccomp_bpf\":[\"AAAA\"]}", &p), 0, "prepared: no limits");
	ok(!p.has_memory_max && !p.has_pids_max, "prepared: null and absent limits are none");
	is_int(p.layers, RUNC_LAYER_KERNEL | RUNC_LAYER_SECCOMP, "prepared: both layers");
	is_str(runc_layers_annotation(p.layers), "kernel,seccomp", "prepared: kernel,seccomp");
	runc_prepared_done(&p);

	is_int(prepared("{\"policy\":\"k\",\"layers\":[\"kernel\"]}", &p), 0, "prepared: the kernel layer alone");
	ok(!p.seccomp_bpf, "prepared: no programs needed without seccomp");
	is_str(runc_layers_annotation(p.layers), "kernel", "prepared: kernel");
	runc_prepared_done(&p);

	is_int(prepared("{\"layers\":[\"seccomp\"],\"seccomp_bpf\":[\"AAAA\"]}", &p), -EBADMSG,
	       "prepared: no policy");
	is_int(prepared("{\"policy\":\"\",\"layers\":[\"seccomp\"],\"seccomp_bpf\":[\"AAAA\"]}", &p), -EBADMSG,
	       "prepared: empty policy");
	is_int(prepared("{\"policy\":\"d\",\"layers\":[]}", &p), -EBADMSG, "prepared: no layer: fail closed");
	is_int(prepared("{\"policy\":\"d\",\"layers\":[\"gvisor\"]}", &p), -EBADMSG,
	       "prepared: a layer it cannot apply: fail closed");
	is_int(prepared("{\"policy\":\"d\",\"layers\":[\"seccomp\"]}", &p), -EBADMSG,
	       "prepared: seccomp without programs");
	is_int(prepared("{\"policy\":\"d\",\"layers\":[\"seccomp\"],\"seccomp_bpf\":[1]}", &p), -EBADMSG,
	       "prepared: a program that is not a string");
	is_int(prepared("{\"policy\":\"d\",\"layers\":[\"kernel\"],\"memory_max\":-1}", &p), -EBADMSG,
	       "prepared: a negative limit");
	is_int(prepared("{\"policy\":\"d\",\"layers\":[\"kernel\"],\"pids_max\":\"1\"}", &p), -EBADMSG,
	       "prepared: a limit that is not a number");
	is_int(prepared("[]", &p), -EBADMSG, "prepared: not an object");
	ok(!p.policy, "prepared: untouched on failure");
}

/* ---- config.json ---- */

static void test_parse(void)
{
	static const struct {
		const char *text, *what;
	} bad[] = {
		{ "", "empty" },
		{ "{", "cut short" },
		{ "{\"a\":1,}", "trailing comma (strict)" },
		{ "{\"a\":'x'}", "single quotes (strict)" },
		{ "[1,2]", "an array" },
		{ "\"text\"", "a string" },
		{ "{} {}", "two objects" },
		{ "{} x", "trailing garbage" },
		{ "{\"a\":\"\xff\"}", "invalid UTF-8" },
		{ "{\"a\":NaN}", "NaN (json-c takes it even when strict)" },
		{ "{\"a\":[Infinity]}", "Infinity in an array" },
		{ "{\"a\":{\"b\":-Infinity}}", "-Infinity in an object" },
		{ "{\"a\":1.}", "1. (no digit after the point)" },
	};
	json_object *o = NULL;
	char *msg = NULL;

	is_int(runc_config_parse("{\"ociVersion\":\"1.0.0\"}\n", 23, &o, &msg), 0, "parse: an object");
	json_object_put(o);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		o = NULL;
		is_int(runc_config_parse(bad[i].text, strlen(bad[i].text), &o, &msg), -EBADMSG, bad[i].what);
		ok(msg && *msg && !o, "parse: with a message, nothing parsed");
		msg = mfree(msg);
	}
	is_int(runc_config_parse("{}\0{}", 5, &o, &msg), -EBADMSG, "parse: a NUL byte");
	msg = mfree(msg);
	{
		char unterminated[] = { '{', '}', ' ', ' ' }; /* no NUL after it: only len counts */

		is_int(runc_config_parse(unterminated, 2, &o, &msg), 0, "parse: a buffer without a NUL");
		json_object_put(o);
		o = NULL;
	}
	{
		const char *numbers = "{\"a\":1.5,\"b\":-2e3,\"c\":0.0}";

		is_int(runc_config_parse(numbers, strlen(numbers), &o, &msg), 0, "parse: JSON's numbers");
	}
	json_object_put(o);
	o = NULL;
	is_int(runc_config_parse("{", 1, &o, &msg), -EBADMSG, "parse: cut short");
	is_str(msg, "unexpected end of file", "parse: says the file ended");
	msg = mfree(msg);
}

static json_object *config(const char *text)
{
	json_object *o = NULL;
	char *msg = NULL;

	if (runc_config_parse(text, strlen(text), &o, &msg) < 0) {
		printf("# bad test config: %s\n", msg);
		free(msg);
	}
	return o;
}

static const char *get_string(json_object *o, const char *path)
{
	json_object *v = json_object_object_get_ex(o, path, &v) ? v : NULL;

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* config[a][b][c] as an int64, or -42 when absent. */
static int64_t get_int3(json_object *o, const char *a, const char *b, const char *c, const char *d)
{
	json_object *v = o;
	const char *path[] = { a, b, c, d };

	for (size_t i = 0; i < ARRAY_SIZE(path) && path[i]; i++)
		if (!json_object_object_get_ex(v, path[i], &v))
			return -42;
	return json_object_get_int64(v);
}

static void test_policy_annotation(void)
{
	json_object *c;
	const char *p = "x";

	c = config("{}");
	is_int(runc_config_policy(c, &p), 0, "policy: no annotations");
	ok(!p, "policy: none: rvisord's default");
	json_object_put(c);
	c = config("{\"annotations\":{\"io.rvisor.policy\":\"strict\"}}");
	is_int(runc_config_policy(c, &p), 0, "policy: the annotation");
	is_str(p, "strict", "policy: its value");
	json_object_put(c);
	c = config("{\"annotations\":{\"io.rvisor.policy\":7}}");
	is_int(runc_config_policy(c, &p), -EINVAL, "policy: not a string");
	json_object_put(c);
	c = config("{\"annotations\":[\"io.rvisor.policy\"]}");
	is_int(runc_config_policy(c, &p), -EINVAL, "policy: annotations not an object");
	json_object_put(c);
	c = config("{\"annotations\":null}");
	is_int(runc_config_policy(c, &p), 0, "policy: annotations null");
	json_object_put(c);
}

static struct runc_prepared seccomp_prepared(void)
{
	return (struct runc_prepared){
		.policy = (char *)(uintptr_t)"default", .layers = RUNC_LAYER_SECCOMP,
		.has_memory_max = true, .memory_max = 512 << 20, .has_pids_max = true, .pids_max = 1024,
	};
}

static void test_rewrite_limits(void)
{
	struct runc_prepared p = seccomp_prepared();
	struct runc_hook_spec hook = { .path = "/usr/bin/rvisor-runc" };
	json_object *c;
	char *msg = NULL;

	c = config("{\"process\":{\"args\":[\"sh\"]}}");
	is_int(runc_config_rewrite(c, &p, "BPF", &hook, &msg), 0, "limits: rewrite with no linux at all");
	is_int(get_int3(c, "linux", "resources", "memory", "limit"), 512 << 20, "limits: memory from the policy");
	is_int(get_int3(c, "linux", "resources", "pids", "limit"), 1024, "limits: pids from the policy");
	json_object_put(c);

	c = config("{\"linux\":{\"resources\":{\"memory\":{\"limit\":1048576,\"swap\":2097152},"
		   "\"pids\":{\"limit\":-1},\"cpu\":{\"shares\":512}}}}");
	is_int(runc_config_rewrite(c, &p, "BPF", &hook, &msg), 0, "limits: rewrite with the spec's own");
	is_int(get_int3(c, "linux", "resources", "memory", "limit"), 1048576, "limits: the spec's memory stays");
	is_int(get_int3(c, "linux", "resources", "memory", "swap"), 2097152, "limits: and its swap");
	is_int(get_int3(c, "linux", "resources", "pids", "limit"), -1, "limits: the spec's pids (unlimited) stays");
	is_int(get_int3(c, "linux", "resources", "cpu", "shares"), 512, "limits: other resources stay");
	json_object_put(c);

	c = config("{\"linux\":{\"resources\":{\"memory\":{\"limit\":null,\"reservation\":1}}}}");
	is_int(runc_config_rewrite(c, &p, "BPF", &hook, &msg), 0, "limits: a null limit");
	is_int(get_int3(c, "linux", "resources", "memory", "limit"), 512 << 20, "limits: null is none");
	is_int(get_int3(c, "linux", "resources", "memory", "reservation"), 1, "limits: the rest of memory stays");
	json_object_put(c);

	p.has_memory_max = p.has_pids_max = false;
	c = config("{}");
	is_int(runc_config_rewrite(c, &p, "BPF", &hook, &msg), 0, "limits: a policy without limits");
	is_int(get_int3(c, "linux", "resources", "memory", "limit"), -42, "limits: none added");
	json_object_put(c);
	p = seccomp_prepared();

	c = config("{\"linux\":[]}");
	is_int(runc_config_rewrite(c, &p, "BPF", &hook, &msg), -EINVAL, "limits: linux not an object");
	is_str(msg, "linux is not an object", "limits: says which");
	msg = mfree(msg);
	json_object_put(c);
	c = config("{\"linux\":{\"resources\":{\"memory\":7}}}");
	is_int(runc_config_rewrite(c, &p, "BPF", &hook, &msg), -EINVAL, "limits: memory not an object");
	is_str(msg, "linux.resources.memory is not an object", "limits: says which");
	msg = mfree(msg);
	json_object_put(c);
}

static void test_rewrite_annotations(void)
{
	struct runc_prepared p = seccomp_prepared();
	struct runc_hook_spec hook = { .path = "/usr/bin/rvisor-runc" };
	json_object *c, *a, *proc, *v;
	char *msg = NULL;

	c = config("{\"process\":{\"args\":[\"sh\"],\"noNewPrivileges\":false},"
		   "\"annotations\":{\"io.rvisor.policy\":\"alias\",\"org.example\":\"kept\"}}");
	is_int(runc_config_rewrite(c, &p, "BPFDATA", &hook, &msg), 0, "annotations: rewrite");
	json_object_object_get_ex(c, "annotations", &a);
	is_str(get_string(a, ANNOTATION_POLICY), "default", "annotations: the resolved policy name");
	is_str(get_string(a, ANNOTATION_LAYERS), "seccomp", "annotations: the layers");
	is_str(get_string(a, ANNOTATION_CRUN_SECCOMP), "BPFDATA", "annotations: crun's seccomp program");
	is_str(get_string(a, "org.example"), "kept", "annotations: the engine's own stay");
	json_object_object_get_ex(c, "process", &proc);
	ok(json_object_object_get_ex(proc, "noNewPrivileges", &v) && json_object_get_boolean(v),
	   "annotations: the seccomp layer sets noNewPrivileges");
	ok(!json_object_object_get_ex(c, "hooks", &v), "annotations: no hook without the kernel layer");
	json_object_put(c);

	p.has_memory_max = p.has_pids_max = false;
	c = config("{}");
	is_int(runc_config_rewrite(c, &p, "BPFDATA", &hook, &msg), 0, "annotations: no linux, no limits");
	ok(json_object_object_get_ex(c, "linux", &v) && json_object_is_type(v, json_type_object),
	   "annotations: a linux object made (crun ignores the program without one)");
	json_object_put(c);
	p = seccomp_prepared();

	c = config("{\"annotations\":\"x\"}");
	is_int(runc_config_rewrite(c, &p, "BPF", &hook, &msg), -EINVAL, "annotations: not an object");
	is_str(msg, "annotations is not an object", "annotations: says so");
	msg = mfree(msg);
	json_object_put(c);

	c = config("{}");
	is_int(runc_config_rewrite(c, &p, NULL, &hook, &msg), -EINVAL, "annotations: seccomp without a program");
	msg = mfree(msg);
	json_object_put(c);

	c = config("{\"process\":7}");
	is_int(runc_config_rewrite(c, &p, "BPF", &hook, &msg), -EINVAL, "annotations: process not an object");
	msg = mfree(msg);
	json_object_put(c);
}

static void test_rewrite_hook(void)
{
	struct runc_prepared p = { .policy = (char *)(uintptr_t)"k", .layers = RUNC_LAYER_KERNEL };
	struct runc_hook_spec hook = { .path = "/usr/bin/rvisor-runc", .socket = "/tmp/rvisor.sock",
				       .error_file = "/run/rvisor-runc/x/c@abc.err" };
	json_object *c, *list, *h, *args, *v;
	char *msg = NULL, *s;

	c = config("{\"hooks\":{\"createRuntime\":[{\"path\":\"/engine/netns\"},{\"path\":\"/engine/two\"}],"
		   "\"prestart\":[{\"path\":\"/engine/pre\"}]},\"process\":{\"noNewPrivileges\":false}}");
	is_int(runc_config_rewrite(c, &p, NULL, &hook, &msg), 0, "hook: rewrite");
	json_object_object_get_ex(c, "hooks", &v);
	json_object_object_get_ex(v, "createRuntime", &list);
	is_int(json_object_array_length(list), 3, "hook: appended to the engine's createRuntime hooks");
	is_str(get_string(json_object_array_get_idx(list, 0), "path"), "/engine/netns", "hook: the engine's first");
	is_str(get_string(json_object_array_get_idx(list, 1), "path"), "/engine/two", "hook: the engine's second");
	h = json_object_array_get_idx(list, 2);
	is_str(get_string(h, "path"), "/usr/bin/rvisor-runc", "hook: rvisor-runc's last, by its absolute path");
	json_object_object_get_ex(h, "args", &args);
	s = joined((char *[]){ (char *)(uintptr_t)json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN |
										      JSON_C_TO_STRING_NOSLASHESCAPE),
			       NULL });
	is_str(s, "[\"rvisor-runc\",\"hook\",\"--socket\",\"/tmp/rvisor.sock\",\"--error-file\","
		  "\"/run/rvisor-runc/x/c@abc.err\"]", "hook: its arguments");
	free(s);
	is_int(get_int3(h, "timeout", NULL, NULL, NULL), RUNC_HOOK_TIMEOUT, "hook: with a timeout");
	json_object_object_get_ex(v, "prestart", &list);
	is_int(json_object_array_length(list), 1, "hook: other hooks untouched");
	json_object_object_get_ex(c, "annotations", &v);
	is_str(get_string(v, ANNOTATION_LAYERS), "kernel", "hook: layers kernel");
	ok(!get_string(v, ANNOTATION_CRUN_SECCOMP), "hook: no seccomp program without the seccomp layer");
	json_object_object_get_ex(c, "process", &v);
	json_object_object_get_ex(v, "noNewPrivileges", &v);
	ok(!json_object_get_boolean(v), "hook: noNewPrivileges left to the engine without seccomp");
	json_object_put(c);

	hook = (struct runc_hook_spec){ .path = "/usr/bin/rvisor-runc" };
	c = config("{}");
	is_int(runc_config_rewrite(c, &p, NULL, &hook, &msg), 0, "hook: no hooks yet");
	json_object_object_get_ex(c, "hooks", &v);
	json_object_object_get_ex(v, "createRuntime", &list);
	is_int(json_object_array_length(list), 1, "hook: a createRuntime list made");
	json_object_object_get_ex(json_object_array_get_idx(list, 0), "args", &args);
	is_int(json_object_array_length(args), 2, "hook: default socket: no --socket");
	json_object_put(c);

	hook.engine_seccomp = true;
	c = config("{}");
	is_int(runc_config_rewrite(c, &p, NULL, &hook, &msg), 0, "hook: with the engine's profile");
	json_object_object_get_ex(c, "hooks", &v);
	json_object_object_get_ex(v, "createRuntime", &list);
	json_object_object_get_ex(json_object_array_get_idx(list, 0), "args", &args);
	is_str(json_object_get_string(json_object_array_get_idx(args, 2)), "--engine-seccomp",
	       "hook: --engine-seccomp passed on");
	json_object_put(c);

	c = config("{\"hooks\":{\"createRuntime\":{}}}");
	is_int(runc_config_rewrite(c, &p, NULL, &hook, &msg), -EINVAL, "hook: createRuntime not an array");
	is_str(msg, "hooks.createRuntime is not an array", "hook: says so");
	msg = mfree(msg);
	json_object_put(c);
	c = config("{\"hooks\":true}");
	is_int(runc_config_rewrite(c, &p, NULL, &hook, &msg), -EINVAL, "hook: hooks not an object");
	msg = mfree(msg);
	json_object_put(c);
}

static void test_engine_seccomp(void)
{
	static const struct {
		const char *config;
		bool want;
	} cases[] = {
		{ "{}", false },
		{ "{\"linux\":{}}", false },
		{ "{\"linux\":{\"seccomp\":null}}", false },
		{ "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}", true },
		{ "{\"annotations\":{\"run.oci.seccomp_bpf_data\":\"AAAA\"}}", true },
		{ "{\"annotations\":{\"other\":\"AAAA\"}}", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_object *c = config(cases[i].config);

		is_int(runc_config_engine_seccomp(c), cases[i].want, cases[i].config);
		json_object_put(c);
	}
}

static void test_process_info(void)
{
	json_object *c, *args = NULL;
	const char *host = NULL, *domain = NULL;

	c = config("{\"process\":{\"args\":[\"sh\",\"-c\",\"x\"]},\"hostname\":\"web\"}");
	is_int(runc_config_process_info(c, &args, &host, &domain), 0, "process: args");
	is_int(json_object_array_length(args), 3, "process: all of them");
	is_str(host, "web", "process: hostname");
	ok(!domain, "process: no domainname");
	json_object_put(args);
	json_object_put(c);
	c = config("{}");
	is_int(runc_config_process_info(c, &args, &host, &domain), 0, "process: none");
	is_int(json_object_array_length(args), 0, "process: an empty command");
	json_object_put(args);
	json_object_put(c);
	c = config("{\"process\":{\"args\":[\"sh\",1]}}");
	is_int(runc_config_process_info(c, &args, &host, &domain), -EINVAL, "process: an argument not a string");
	json_object_put(c);
	c = config("{\"hostname\":[]}");
	is_int(runc_config_process_info(c, &args, &host, &domain), -EINVAL, "process: hostname not a string");
	json_object_put(c);
}

/* A one-instruction program, "return ALLOW", in base64 (struct sock_filter { 0x06, 0, 0,
 * 0x7fff0000 }). */
#define BPF_ALLOW "BgAAAAAA/38="

static void test_seccomp(void)
{
	json_object *c, *progs = json_object_new_array();
	char *data = NULL, *msg = NULL;

	json_object_array_add(progs, json_object_new_string(BPF_ALLOW));
	c = config("{\"linux\":{}}");
	is_int(runc_seccomp_data(c, progs, &data, &msg), 0, "seccomp: the policy's program alone");
	ok(data && *data, "seccomp: as base64");
	data = mfree(data);
	json_object_put(c);

	c = config("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
		   "[\"chroot\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}");
	is_int(runc_seccomp_data(c, progs, &data, &msg), 0, "seccomp: the engine's profile chained");
	ok(data && strlen(data) > strlen(BPF_ALLOW), "seccomp: longer than the policy's alone");
	data = mfree(data);
	json_object_put(c);

	c = config("{\"linux\":{\"seccomp\":{\"syscalls\":[]}}}");
	is_int(runc_seccomp_data(c, progs, &data, &msg), -EINVAL, "seccomp: a profile without defaultAction");
	ok(msg && *msg, "seccomp: with the reason");
	msg = mfree(msg);
	json_object_put(c);

	c = config("{\"linux\":{\"seccomp\":7}}");
	is_int(runc_seccomp_data(c, progs, &data, &msg), -EINVAL, "seccomp: linux.seccomp not an object");
	msg = mfree(msg);
	json_object_put(c);

	c = config("{\"annotations\":{\"run.oci.seccomp_bpf_data\":\"" BPF_ALLOW "\"}}");
	is_int(runc_seccomp_data(c, progs, &data, &msg), 0, "seccomp: the engine's own raw program chained");
	data = mfree(data);
	json_object_put(c);
	json_object_put(progs);
}

/* ---- messages ---- */

static void test_log_line(void)
{
	struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 123456789 };
	char *line = runc_log_json_line(LOG_ERR, "cannot \"x\"\n/y", &ts);
	json_object *o = line ? json_tokener_parse(line) : NULL;
	char a[32], b[32];

	ok(line && line[strlen(line) - 1] == '\n' && !strchr(line, '\n')[1], "log: one line");
	is_str(get_string(o, "level"), "error", "log: level");
	is_str(get_string(o, "msg"), "cannot \"x\"\n/y", "log: msg, escaped and back");
	is_str(get_string(o, "time"), "2023-11-14T22:13:20.123456Z", "log: time, RFC 3339 in UTC");
	json_object_put(o);
	free(line);

	is_str(runc_root_key("/run/crun", a, sizeof(a)), runc_root_key("/run/crun", b, sizeof(b)),
	       "root key: the same root, the same key");
	ok(strcmp(runc_root_key("/run/crun", a, sizeof(a)), runc_root_key("/run/containerd/runc/k8s.io", b,
									   sizeof(b))) != 0,
	   "root key: two roots, two keys");
	is_int(strlen(a), 16, "root key: 16 hex digits");
}

int main(void)
{
	test_global();
	test_command_options();
	test_rebuild_argv();
	test_container_id();
	test_prepared();
	test_parse();
	test_policy_annotation();
	test_rewrite_limits();
	test_rewrite_annotations();
	test_rewrite_hook();
	test_engine_seccomp();
	test_process_info();
	test_seccomp();
	test_log_line();
	return tap_done();
}
