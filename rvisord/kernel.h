/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisord's side of rvisor.ko (kernel.c). */
#ifndef RVISORD_KERNEL_H
#define RVISORD_KERNEL_H

#include <stdint.h>

struct manager;
struct sandbox;

/* Opens /dev/rvisor into m->rvisor_fd (loading rvisor.ko when it is missing) and watches its
 * events. Without a usable module, m->rvisor_fd stays -1 (the seccomp platform, said once)
 * and 0 is returned; -errno only when rvisord cannot go on (another manager holds it). */
int kernel_layer_open(struct manager *m);
/* Destroys the kernel sandboxes no sandbox of m's is bound to (after taking over records). */
void kernel_destroy_orphans(struct manager *m);
/* m's sandbox bound to kernel sandbox id, or NULL. */
struct sandbox *sandbox_of_kernel_id(struct manager *m, uint64_t id);

#endif
