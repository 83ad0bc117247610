/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Structured log records about sandboxes, to the journal or stderr. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "journal.h"
#include "log.h"

static bool use_journal;

void journal_init(void)
{
	/* systemd sets JOURNAL_STREAM when stderr is the journal; then the fields go with it. */
	use_journal = getenv("JOURNAL_STREAM") != NULL;
}

void journal_sandbox(int priority, struct journal_sandbox_fields f, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (priority > log_get_max_level())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (use_journal)
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority, "SANDBOX_ID=%" PRIu64, f.id,
				"SANDBOX_NAME=%s", f.name, "POLICY=%s", f.policy,
				"OWNER_UID=%u", (unsigned)f.owner_uid, "SYSLOG_IDENTIFIER=rvisord", NULL);
	else
		log_internal(priority, 0, "%s", msg);
}

/* A call the policy's LOG action let through. */
static void journal_logged(const struct rvisor_event *e, const char *sys, struct journal_sandbox_fields f)
{
	if (LOG_INFO > log_get_max_level())
		return;
	if (use_journal)
		sd_journal_send("MESSAGE=sandbox %" PRIu64 " (%s, uid %u): logged %s, pid %d",
				f.id, f.name, (unsigned)f.owner_uid, sys, e->sandbox_pid,
				"PRIORITY=%d", LOG_INFO, "SANDBOX_ID=%" PRIu64, f.id,
				"SANDBOX_NAME=%s", f.name, "POLICY=%s", f.policy,
				"OWNER_UID=%u", (unsigned)f.owner_uid, "SYSCALL=%s", sys,
				"SANDBOX_PID=%d", e->sandbox_pid, "SYSLOG_IDENTIFIER=rvisord", NULL);
	else
		log_internal(LOG_INFO, 0, "sandbox %" PRIu64 " (%s, uid %u): logged %s, pid %d",
			     f.id, f.name, (unsigned)f.owner_uid, sys, e->sandbox_pid);
}

void journal_syscall(const struct rvisor_event *e, const char *syscall_name,
		     struct journal_sandbox_fields f)
{
	char nr[32];
	const char *sys = syscall_name;
	const char *how = e->flags & RVISOR_EVENT_F_KILLED   ? " (killed)" :
			  e->flags & RVISOR_EVENT_F_ARGUMENT ? " (argument rule)" :
			  e->flags & RVISOR_EVENT_F_COMPAT   ? " (ia32)" :
			  e->flags & RVISOR_EVENT_F_X32	     ? " (x32)" : "";

	if (!sys) {
		snprintf(nr, sizeof(nr), "%d", e->nr);
		sys = nr;
	}
	if (e->type == RVISOR_EVENT_LOGGED) {
		journal_logged(e, sys, f);
		return;
	}
	if (LOG_NOTICE > log_get_max_level())
		return;
	if (use_journal)
		sd_journal_send("MESSAGE=sandbox %" PRIu64 " (%s, uid %u): denied %s%s, errno %d, pid %d",
				f.id, f.name, (unsigned)f.owner_uid, sys, how, e->value, e->sandbox_pid,
				"PRIORITY=%d", LOG_NOTICE, "SANDBOX_ID=%" PRIu64, f.id,
				"SANDBOX_NAME=%s", f.name, "POLICY=%s", f.policy,
				"OWNER_UID=%u", (unsigned)f.owner_uid, "SYSCALL=%s", sys,
				"ERRNO=%d", e->value, "SANDBOX_PID=%d", e->sandbox_pid,
				"SYSLOG_IDENTIFIER=rvisord", NULL);
	else
		log_internal(LOG_NOTICE, 0, "sandbox %" PRIu64 " (%s, uid %u): denied %s%s, errno %d, pid %d",
			     f.id, f.name, (unsigned)f.owner_uid, sys, how, e->value, e->sandbox_pid);
}
