/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisord/kmod.c, as far as it goes without loading a module: a module directory without
 * rvisor (none at all, an empty one, or depmod's index of a tree without it) is -ENOENT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmod.h"
#include "tap.h"

int main(void)
{
	char base[] = "/tmp/rvisor-test-kmod.XXXXXX", dir[256], cmd[512];

	if (!mkdtemp(base)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/lib/modules/0.0.0-test", base);
	is_int(kmod_load_rvisor(dir), -ENOENT, "a module directory that does not exist: -ENOENT");
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	if (system(cmd) != 0)
		printf("# %s failed\n", cmd);
	is_int(kmod_load_rvisor(dir), -ENOENT, "an empty module directory (no index): -ENOENT");

	/* depmod's index of a tree with no module in it: libkmod reads it and finds no rvisor. */
	snprintf(cmd, sizeof(cmd), "PATH=/usr/sbin:/sbin:$PATH depmod -b %s 0.0.0-test 2>&1", base);
	if (system(cmd) == 0) {
		snprintf(cmd, sizeof(cmd), "%s/modules.dep.bin", dir);
		ok(access(cmd, F_OK) == 0, "depmod wrote an index");
		is_int(kmod_load_rvisor(dir), -ENOENT, "an index without rvisor: -ENOENT");
	} else
		printf("ok %d # skip depmod (kmod) is not installed\n", ++tap_count);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", base);
	return tap_done();
}
