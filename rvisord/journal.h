/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Structured log records about sandboxes: to the journal when rvisord runs under systemd,
 * else to stderr. */
#ifndef RVISORD_JOURNAL_H
#define RVISORD_JOURNAL_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/rvisor.h>

#include "macro.h"

/* Whether records go to the journal: systemd connected stderr to it ($JOURNAL_STREAM). */
void journal_init(void);

/* What every record about a sandbox carries: SANDBOX_ID=, SANDBOX_NAME=, POLICY= and
 * OWNER_UID= (the caller that started it). */
struct journal_sandbox_fields {
	uint64_t id;
	const char *name, *policy;
	uid_t owner_uid;
};

/* A message about sandbox f. */
void journal_sandbox(int priority, struct journal_sandbox_fields f, const char *fmt, ...)
	_printf_(3, 4);

/* A syscall record from rvisor.ko in sandbox f, with SYSCALL= (name, or NULL: the number):
 * a denial (RVISOR_EVENT_DENIED, notice, with ERRNO=) or a call the policy logs
 * (RVISOR_EVENT_LOGGED, info). */
void journal_syscall(const struct rvisor_event *e, const char *syscall_name,
		     struct journal_sandbox_fields f);

#endif
