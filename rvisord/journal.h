/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Structured log records about sandboxes: to the journal when rvisord runs under systemd,
 * else to stderr. */
#ifndef RVISORD_JOURNAL_H
#define RVISORD_JOURNAL_H

#include <stdint.h>
#include <linux/rvisor.h>

#include "macro.h"

/* Whether records go to the journal: systemd connected stderr to it ($JOURNAL_STREAM). */
void journal_init(void);

/* A message with SANDBOX_ID=, SANDBOX_NAME= and POLICY= fields. */
void journal_sandbox(int priority, uint64_t id, const char *name, const char *policy,
		     const char *fmt, ...) _printf_(5, 6);

/* A denial from rvisor.ko in sandbox id, with SYSCALL= (name, or NULL: the number) and ERRNO=. */
void journal_denial(const struct rvisor_event *e, const char *syscall_name, uint64_t id,
		    const char *name, const char *policy);

#endif
