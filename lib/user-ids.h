/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The range of a uid or gid, wherever rvisor takes one: rvisorctl's -u, a policy's user, a
 * bundle's process.user, Run's and Exec's uid and gid, rvisord's records of owners. */
#ifndef RVISOR_USER_IDS_H
#define RVISOR_USER_IDS_H

#include <stdbool.h>
#include <stdint.h>

/* The largest valid uid or gid: (uid_t)-1, 4294967295, means "unchanged" to setresuid() and
 * is never one. */
#define UID_GID_MAX 4294967294U

static inline bool uid_gid_valid(int64_t id)
{
	return id >= 0 && id <= UID_GID_MAX;
}

#endif
