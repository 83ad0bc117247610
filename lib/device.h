/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Talking to rvisor.ko through its control device. Library code: returns -errno, never logs. */
#ifndef RVISOR_DEVICE_H
#define RVISOR_DEVICE_H

#include <stdbool.h>
#include <linux/rvisor.h>

/* Opens the control device (RVISOR_DEVICE_PATH unless $RVISOR_DEVICE names another).
 * Returns the fd, or -ENOENT when no module is loaded, -EACCES/-EPERM without privilege. */
int rvisor_device_open(void);

/* The path rvisor_device_open() uses. */
const char *rvisor_device_path(void);

/* Asks the module which version and ABI it speaks; checks the answer is well formed.
 * Returns 0, or -ENOTTY when fd is not an rvisor device, -EBADMSG for a malformed answer. */
int rvisor_device_version(int fd, struct rvisor_version *ret);

/* Checks a VERSION answer is well formed: 0, or -EBADMSG. */
int rvisor_version_check(const struct rvisor_version *v);

/* Runs the module's skip self-test (RVISOR_IOC_SELFTEST) from the calling thread: arms it,
 * calls getppid() directly, asks for the verdict. *ret: RVISOR_SELFTEST_HONOURED or
 * _NOT_HONOURED. -EBUSY while sandboxes exist (the last verdict holds: see the VERSION
 * flags). Call it with no other thread of the process in a syscall that matters: only this
 * thread's getppid() is touched. */
int rvisor_device_selftest(int fd, int *ret);

/* Which module is loaded, from sysfs (RVISOR_SYSFS_MODULE unless $RVISOR_SYSFS_MODULE names
 * another directory), without opening the device, which has one opener at a time (rvisord):
 * anyone may ask. ret->module_version and ret->abi_version filled; *ret_abi_known false for a
 * module without the abi_version parameter (before ABI 6). -ENOENT: not loaded; -EBADMSG:
 * malformed files; other -errno of reading them. */
int rvisor_module_sysfs_version(struct rvisor_version *ret, bool *ret_abi_known);

/* The directory rvisor_module_sysfs_version() reads. */
const char *rvisor_module_sysfs_path(void);

/* Whether user space built against this header can talk to a module of that ABI. */
bool rvisor_abi_compatible(unsigned int module_abi);

#endif
