/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names a policy file may use, both ways: actions, errnos, ioctl requests, prctl options,
 * address families, and the numbers that may stand in for them. Library code: never logs. */
#ifndef RVISOR_POLICY_NAMES_H
#define RVISOR_POLICY_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* "pass", "deny", "kill", "emulate", "log"; NULL for anything else. */
const char *policy_action_to_string(unsigned int action);

/* How a rule is written in a file: "pass", "deny:EPERM" (or "deny:4000" when the errno has
 * no name), "kill", ... */
void policy_rule_format(char *buf, size_t size, unsigned int action, unsigned int error);

/* A number without sign: decimal, or hexadecimal with a 0x prefix; at most max.
 * 0 and *ret set, or -EINVAL (not a number), -ERANGE (above max). */
int policy_parse_uint(const char *s, uint64_t max, uint64_t *ret);

/* The largest errno a policy may give: what the seccomp layer can return (libseccomp refuses
 * 4095, which the gate would take). */
#define POLICY_ERRNO_MAX 4094

/* An errno by name ("EPERM", as strerrorname_np() spells it) or number: 1..POLICY_ERRNO_MAX,
 * or -EINVAL. */
int policy_errno_from_string(const char *s);
/* "EPERM" for EPERM; NULL when glibc has no name for it. */
const char *policy_errno_to_string(int error);

/* An ioctl request by name (the terminal, file and socket requests in the table) or number
 * (32 bits: the kernel's cmd is an unsigned int). 0 and *ret set, or -EINVAL/-ERANGE. */
int policy_ioctl_from_string(const char *s, uint32_t *ret);
/* The table's first name for it (FIONREAD, not TIOCINQ), or NULL. */
const char *policy_ioctl_to_string(uint32_t request);

/* A prctl option by name ("PR_SET_NAME") or number. 0 and *ret set, or -EINVAL/-ERANGE. */
int policy_prctl_from_string(const char *s, uint32_t *ret);
const char *policy_prctl_to_string(uint32_t option);

/* An address family by name ("unix", "inet6"; also "AF_UNIX", any case) or number:
 * 0..63 (what struct rvisor_policy's bit mask can hold), or -EINVAL/-ERANGE. */
int policy_family_from_string(const char *s);
/* "unix" for AF_UNIX; NULL when the table has no name for it. */
const char *policy_family_to_string(int family);

/* A netlink protocol by name ("route", "audit"; also "NETLINK_ROUTE", any case) or number:
 * 0..31 (netlink_protocols' bits), or -EINVAL/-ERANGE. */
int policy_netlink_from_string(const char *s);
/* "route" for NETLINK_ROUTE; NULL when the table has no name for it. */
const char *policy_netlink_to_string(int protocol);

#endif
