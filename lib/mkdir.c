/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkdir -p; see mkdir.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "mkdir.h"

/* mkdir() that accepts an existing directory, and only that. */
static int mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = NULL;
	size_t n;

	if (!path || !*path)
		return -EINVAL;
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	/* Each component in turn: cut the path after it, create it, put the slash back. */
	n = strlen(p);
	for (size_t i = 1; i <= n; i++) {
		int r;

		if (p[i] != '/' && p[i] != '\0')
			continue;
		if (p[i - 1] == '/')
			continue; /* "//" or a trailing slash: nothing new */
		p[i] = '\0';
		r = mkdir_one(p, mode);
		if (r < 0)
			return r;
		if (i < n)
			p[i] = '/';
	}
	return 0;
}

int mkdir_parents(const char *path, mode_t mode)
{
	_cleanup_free_ char *dir = NULL;
	const char *slash;

	if (!path || !*path)
		return -EINVAL;
	slash = strrchr(path, '/');
	while (slash && slash > path && slash[-1] == '/')
		slash--;
	if (!slash || slash == path)
		return 0; /* "name" or "/name": nothing above to create */
	dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	return mkdir_p(dir, mode);
}
