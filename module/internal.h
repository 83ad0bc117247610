/* SPDX-License-Identifier: GPL-2.0 */
/* Declarations shared between the files of rvisor.ko. */
#ifndef RVISOR_INTERNAL_H
#define RVISOR_INTERNAL_H

#include <linux/init.h>

#define RVISOR_LOG_PREFIX "rvisor: "

int rvisor_control_init(void);
void rvisor_control_exit(void);

#endif
