/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where things are: crun's state root, rvisor-runc's own state directory, rvisord's socket. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-util.h"
#include "runtime.h"

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

const char *runc_socket_address(void)
{
	return env_nonempty("RVISOR_SOCKET") ?: RUNC_SOCKET_DEFAULT;
}

bool runc_socket_overridden(void)
{
	return env_nonempty("RVISOR_SOCKET") != NULL;
}

/* path made absolute against the working directory, lexically normalised. */
static int absolute(const char *path, char **ret)
{
	_cleanup_free_ char *cwd = NULL;

	if (path[0] != '/') {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			return -errno;
	}
	return cli_path_absolute(path, cwd ?: "/", ret);
}

int runc_crun_root(const char *root_flag, char **ret)
{
	_cleanup_free_ char *joined = NULL;
	const char *xdg = env_nonempty("XDG_RUNTIME_DIR");

	if (root_flag)
		return absolute(root_flag, ret);
	if (xdg) {
		if (asprintf(&joined, "%s/crun", xdg) < 0)
			return -ENOMEM;
		return absolute(joined, ret);
	}
	return absolute("/run/crun", ret);
}

const char *runc_root_key(const char *s, char *buf, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	snprintf(buf, size, "%016" PRIx64, h);
	return buf;
}

/* Whether this process is in the initial user namespace (its uid_map maps every id to
 * itself): uid 0 in another one is a rootless engine's (podman's), not root. */
static bool initial_userns(void)
{
	unsigned long inside, outside, count;
	FILE *f = fopen("/proc/self/uid_map", "re");
	int n;

	if (!f)
		return false;
	n = fscanf(f, "%lu %lu %lu", &inside, &outside, &count);
	fclose(f);
	return n == 3 && inside == 0 && outside == 0 && count == 4294967295UL;
}

int runc_state_dir(const char *crun_root, char **ret)
{
	_cleanup_free_ char *base = NULL, *abs = NULL;
	const char *dir = env_nonempty("RVISOR_RUNC_STATE_DIR"), *xdg = env_nonempty("XDG_RUNTIME_DIR");
	char key[32];

	if (!dir && geteuid() == 0 && initial_userns())
		dir = RUNC_STATE_DIR_ROOT;
	if (!dir && !xdg)
		return -ENXIO;
	if (!dir) {
		if (asprintf(&base, "%s/" RUNC_NAME, xdg) < 0)
			return -ENOMEM;
		dir = base;
	}
	/* crun reads the rewritten config after changing into the bundle: absolute. */
	if (dir[0] != '/') {
		int r = absolute(dir, &abs);

		if (r < 0)
			return r;
		dir = abs;
	}
	if (asprintf(ret, "%s/%s", dir, runc_root_key(crun_root, key, sizeof(key))) < 0)
		return -ENOMEM;
	return 0;
}
