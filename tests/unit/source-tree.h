/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The source tree a unit test was built from, for the files of it the test reads or runs
 * (tests/unit/policies/, etc/rvisor/policies/, tests/images/). */
#ifndef RVISOR_TEST_SOURCE_TREE_H
#define RVISOR_TEST_SOURCE_TREE_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether root/rel passes access(mode); root into ret (of size) when it does. */
static inline bool source_tree_holds(const char *root, const char *rel, int mode, char *ret, size_t size)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/%s", root, rel) >= (int)sizeof(p) || access(p, mode) != 0)
		return false;
	return snprintf(ret, size, "%s", root) < (int)size;
}

/*
 * The source tree's root that holds rel (a path in it, passing access(mode): R_OK, X_OK) into
 * ret: $RVISOR_SOURCE_DIR, else the tree this header was compiled in (__FILE__ is a path from
 * the root, where the runner starts the tests), else the one two directories above the test
 * binary (build/unit/). false when none holds rel.
 */
static inline bool source_tree_find(const char *rel, int mode, char *ret, size_t size)
{
	const char *env = getenv("RVISOR_SOURCE_DIR");
	char exe[PATH_MAX] = "", root[PATH_MAX + 8];
	ssize_t n;

	if (env && *env && source_tree_holds(env, rel, mode, ret, size))
		return true;
	/* tests/unit/source-tree.h: the root is two directories above this one */
	snprintf(root, sizeof(root), "%s", __FILE__);
	*(strrchr(root, '/') ?: root) = '\0';
	snprintf(root + strlen(root), sizeof(root) - strlen(root), "%s", *root ? "/../.." : "../..");
	if (source_tree_holds(root, rel, mode, ret, size))
		return true;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	*(strrchr(exe, '/') ?: exe) = '\0';
	snprintf(root, sizeof(root), "%s/../..", exe);
	return source_tree_holds(root, rel, mode, ret, size);
}

#endif
