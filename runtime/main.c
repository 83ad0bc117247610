/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisor-runc: runc's command line for docker, podman, containerd and CRI-O; crun does the OCI
 * work, rvisor-runc adds rvisor's layers at create. The global options, then one command from
 * the table in args.c. */
#include <stdio.h>
#include <string.h>

#include "runtime.h"

static void help(void)
{
	printf("Usage: %s [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS...]\n\n"
	       "An OCI runtime with runc's command line: crun runs the containers, and each one gets\n"
	       "rvisor's policy (the annotation %s, else rvisord's default) enforced by\n"
	       "rvisor.ko and/or a seccomp filter, with the policy's limits where the spec sets none.\n\n"
	       "Commands:\n", RUNC_NAME, ANNOTATION_POLICY);
	for (const struct runc_command *c = runc_commands; c->name; c++)
		if (c->summary)
			printf("  %-11s %s\n", c->name, c->summary);
	printf("\nGlobal options (passed on to crun):\n"
	       "  --root DIR              crun's state root (default $XDG_RUNTIME_DIR/crun or /run/crun)\n"
	       "  --log FILE              also write errors to FILE\n"
	       "  --log-format text|json  the format of FILE\n"
	       "  --systemd-cgroup        let systemd manage the cgroups\n"
	       "  --rootless VALUE        crun's rootless mode (true, false, auto)\n"
	       "  --debug                 more messages\n"
	       "  -h --help               this help\n"
	       "  -v --version            rvisor-runc's and crun's versions\n\n"
	       "Environment: RVISOR_SOCKET (rvisord's socket, default %s), RVISOR_RUNC_CRUN\n"
	       "(crun, default %s). See rvisor-runc(1).\n", RUNC_SOCKET_DEFAULT, RUNC_CRUN_DEFAULT);
}

int main(int argc, char *argv[])
{
	_cleanup_free_ char *msg = NULL;
	const struct runc_command *cmd;
	struct runc_global g;
	int r;

	r = runc_parse_global(argc, argv, &g, &msg);
	if (r == -ENOMEM)
		return runc_oom(), 1;
	if (r < 0) {
		runc_error("%s: see '%s --help'", msg, RUNC_NAME);
		return 1;
	}
	runc_log_setup(g.log, strcmp(g.log_format, "json") == 0, NULL, g.debug);
	if (g.version)
		return runc_version();
	if (g.help || g.command >= argc) {
		help();
		return 0;
	}

	cmd = runc_command_find(argv[g.command]);
	if (!cmd) {
		/* Not runc's: crun may know it (and says so when it does not). */
		(void)runc_crun_exec(argv);
		return 1;
	}
	switch (cmd->action) {
	case ACTION_CREATE:
		r = runc_cmd_create(&g, cmd, argc, argv);
		break;
	case ACTION_DELETE:
		r = runc_cmd_delete(&g, cmd, argc, argv);
		break;
	case ACTION_FEATURES:
		r = runc_cmd_features(&g, cmd, argc, argv);
		break;
	case ACTION_HOOK:
		r = runc_cmd_hook(&g, cmd, argc, argv);
		break;
	case ACTION_EXEC:
		r = runc_cmd_exec(&g, cmd, argc, argv);
		break;
	case ACTION_CONTAINER:
		r = runc_cmd_container(&g, cmd, argc, argv);
		break;
	case ACTION_REFUSE:
		/* crun would restore the processes as they were dumped, with no sandbox bound to
		 * their namespace and no policy filter: fail closed. */
		runc_error("%s is not supported: the container would run without rvisor's layers",
			   cmd->name);
		r = 1;
		break;
	case ACTION_PASS:
	default:
		(void)runc_crun_exec(argv);
		r = 1;
		break;
	}
	return r < 0 ? 1 : r;
}
