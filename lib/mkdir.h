/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkdir -p. Library code: returns -errno, never logs. */
#ifndef RVISOR_MKDIR_H
#define RVISOR_MKDIR_H

#include <sys/types.h>

/* Creates path and every missing directory above it, each new one with mode (less the umask);
 * directories that exist are left as they are. 0; -ENOTDIR when path or a component above
 * it exists as something else; -EINVAL for an empty path; else mkdir()'s -errno. */
int mkdir_p(const char *path, mode_t mode);

/* mkdir_p() of the directory above path (path itself is left alone): "/run/a/b.sock" creates
 * /run/a. 0 when path has no directory part. */
int mkdir_parents(const char *path, mode_t mode);

#endif
