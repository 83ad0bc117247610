/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rvisor user/kernel ABI: the one definition shared by rvisor.ko, rvisord and rvisorctl.
 *
 * Rules: every struct is fixed-size with explicit padding; reserved fields must be zero on
 * input and are zeroed on output; the size of an ioctl's argument is part of its number and
 * is checked. Bump RVISOR_ABI_VERSION on any change to this file that user space can see.
 */
#ifndef _UAPI_LINUX_RVISOR_H
#define _UAPI_LINUX_RVISOR_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RVISOR_ABI_VERSION 1

/* The control device, created by the module as a misc device (mode 0600, root). */
#define RVISOR_DEVICE_NAME "rvisor"
#define RVISOR_DEVICE_PATH "/dev/rvisor"

#define RVISOR_IOC_MAGIC 0xEB

#define RVISOR_MODULE_VERSION_LEN 32

/* RVISOR_IOC_VERSION: which module is loaded and which ABI it speaks. Output only. */
struct rvisor_version {
	__u32 abi_version;                            /* RVISOR_ABI_VERSION of the module */
	__u32 flags;                                  /* none defined yet: zero */
	char module_version[RVISOR_MODULE_VERSION_LEN]; /* NUL-terminated, e.g. "0.1.0" */
	__u64 reserved[4];                            /* zero */
};

#define RVISOR_IOC_VERSION _IOR(RVISOR_IOC_MAGIC, 0x00, struct rvisor_version)

#endif /* _UAPI_LINUX_RVISOR_H */
