/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sandbox's own mounts (Run's mounts; docs/sandbox.md): binds of what the caller opened and
 * tmpfs of the sandbox's own, made by the sandbox's init.
 *
 * A bind is made from the caller's descriptor, never from a path rvisord looks up: the init
 * enters the caller's mount namespace, where the kernel lets it copy the mount tree the
 * descriptor refers to (open_tree(OPEN_TREE_CLONE | AT_RECURSIVE); a mount of another
 * namespace cannot be bound), comes back and attaches the copy in the sandbox. The copy is
 * what the descriptor reaches, with the caller's own mount flags, and nothing more: which
 * namespace the init entered only decides whether the copy can be made at all.
 *
 * The init's part allocates nothing (it runs in a raw clone() of the daemon, like views.h).
 */
#ifndef RVISORD_MOUNTS_H
#define RVISORD_MOUNTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mount-spec.h"

/* The daemon, for each bind's descriptor before it is used: opened for reading (not O_PATH,
 * not write-only: it proves the caller may read what it names), a directory or a regular file
 * (never a device node, socket or FIFO). 0, or -EBADF with the reason (a static string). */
int mount_source_check(int fd, const char **ret_reason);

/*
 * The init, step 1, before its root changes (the host's tree is still there): each bind's
 * source (m[i].fd) copied as a detached mount tree into trees[i] (-1 for a tmpfs), made
 * private, nosuid and nodev, and read-only throughout when asked. ns_fd is the caller's mount
 * namespace (needed when there is a bind). Closes the sources and ns_fd. 0, or -errno with
 * what failed in what (size what_size); the trees made are the caller's to close then.
 */
int mounts_clone_sources(const struct mount_spec *m, size_t n, int ns_fd, int *trees, char *what,
			 size_t what_size);

/*
 * The init, step 2, once the root is the sandbox's and its /proc, /dev, /sys and rvisor's
 * views are in place: each mount on its destination, in order (mounts_sort()). A destination
 * is resolved inside the sandbox's root, its links followed there; where it lands must still
 * pass mount_destination_check(). What is missing is created (directories, or an empty file
 * for a file's bind, owned by uid:gid, the host ids of the sandbox's root) only on the root's
 * own file system or a tmpfs made here, never in a bind's source. A tmpfs gets tmpfs_size
 * bytes unless its size says otherwise, and is nosuid, nodev and noexec. With a bind, no proc
 * or nsfs mount may then be anywhere but /proc (-EPERM). Closes the trees. 0, or -errno with
 * what failed in what.
 */
int mounts_attach(const struct mount_spec *m, size_t n, int *trees, uint64_t tmpfs_size, uid_t uid,
		  gid_t gid, char *what, size_t what_size);

#endif
