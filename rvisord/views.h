/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sandbox's view of the machine (docs/sandbox.md): rvisor.ko's rvisorfs, mounted by the
 * sandbox's init while it still holds the manager's /dev/rvisor, and its files bound over
 * /proc's and a read-only /sys/devices/system/cpu, so that free, nproc, top and the runtimes
 * that size themselves from /proc see the sandbox's limits, not the host's.
 *
 * Runs in the init (a raw clone() of the daemon): allocates nothing, and every step goes
 * through struct views_ops, so that the unit tests can watch the sequence or run it on a
 * directory of their own.
 */
#ifndef RVISORD_VIEWS_H
#define RVISORD_VIEWS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Where rvisorfs is mounted until its files are bound: in the sandbox's own /dev tmpfs. */
#define VIEWS_MOUNT_POINT "/dev/.rvisorfs"

/* The system calls the setup makes; each returns 0 or -errno. */
struct views_ops {
	int (*mount)(const char *source, const char *target, const char *type, unsigned long flags,
		     const char *data);
	int (*umount2)(const char *target, int flags);
	int (*mkdir)(const char *path, mode_t mode);
	int (*rmdir)(const char *path);
	int (*lstat)(const char *path, struct stat *st);
};

/* The real ones. */
extern const struct views_ops views_ops_system;

/* The /proc files rvisorfs serves, NULL-terminated; bound where the kernel has them. */
extern const char *const views_proc_files[];

/* Step 1, while the manager's /dev/rvisor is open: makes root/VIEWS_MOUNT_POINT and mounts
 * rvisorfs there, read-only, with options ("fd=N,sandbox=ID"). The caller closes the device
 * right after. 0, or -errno with what failed in what (size what_size). */
int views_mount(const struct views_ops *ops, const char *root, const char *options, char *what,
		size_t what_size);

/* Step 2: binds each of rvisorfs's /proc files over root/proc's (skipping those the kernel
 * lacks), mounts a small tmpfs on root/sys holding devices/system/cpu with rvisorfs's cpu
 * directory bound on it, everything read-only, nosuid, nodev, noexec; then detaches rvisorfs
 * from its mount point and removes it. 0, or -errno with what failed in what. */
int views_bind(const struct views_ops *ops, const char *root, char *what, size_t what_size);

#endif
