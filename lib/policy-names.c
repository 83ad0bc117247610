/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Name tables for policy files: errnos, ioctl requests, prctl options, address families,
 * netlink protocols. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/fs.h>
#include <linux/netlink.h>
#include <linux/rvisor.h>

#include "macro.h"
#include "policy-names.h"

struct name_value {
	const char *name;
	uint32_t value;
};

#define NV(n) { #n, (uint32_t)(n) }

static const char *const action_names[RVISOR_ACTION_MAX] = {
	[RVISOR_ACTION_PASS] = "pass",
	[RVISOR_ACTION_DENY] = "deny",
	[RVISOR_ACTION_KILL] = "kill",
	[RVISOR_ACTION_EMULATE] = "emulate",
	[RVISOR_ACTION_LOG] = "log",
};

/* Requests whose argument layout does not depend on the caller's headers. A name that shares
 * its number with an earlier one (TIOCINQ = FIONREAD) is only an alias when printing. */
static const struct name_value ioctl_names[] = {
	/* terminals */
	NV(TCGETS), NV(TCSETS), NV(TCSETSW), NV(TCSETSF), NV(TCGETA), NV(TCSETA), NV(TCSETAW),
	NV(TCSETAF), NV(TCSBRK), NV(TCSBRKP), NV(TCXONC), NV(TCFLSH), NV(TIOCEXCL), NV(TIOCNXCL),
	NV(TIOCGEXCL), NV(TIOCSCTTY), NV(TIOCNOTTY), NV(TIOCGPGRP), NV(TIOCSPGRP), NV(TIOCGSID),
	NV(TIOCOUTQ), NV(TIOCSTI), NV(TIOCGWINSZ), NV(TIOCSWINSZ), NV(TIOCMGET), NV(TIOCMBIS),
	NV(TIOCMBIC), NV(TIOCMSET), NV(TIOCGSOFTCAR), NV(TIOCSSOFTCAR), NV(TIOCLINUX),
	NV(TIOCCONS), NV(TIOCPKT), NV(TIOCGPKT), NV(TIOCSETD), NV(TIOCGETD), NV(TIOCSBRK),
	NV(TIOCCBRK), NV(TIOCGPTN), NV(TIOCSPTLCK), NV(TIOCGPTLCK), NV(TIOCGPTPEER), NV(TIOCGDEV),
	NV(TIOCSIG), NV(TIOCVHANGUP), NV(TIOCGLCKTRMIOS), NV(TIOCSLCKTRMIOS),
	/* any file descriptor */
	NV(FIONREAD), NV(TIOCINQ), NV(FIONBIO), NV(FIOASYNC), NV(FIOCLEX), NV(FIONCLEX),
	NV(FIOQSIZE), NV(FIOSETOWN), NV(FIOGETOWN),
	/* files */
	NV(FICLONE), NV(FICLONERANGE), NV(FS_IOC_GETFLAGS), NV(FS_IOC_SETFLAGS),
	NV(FS_IOC_FSGETXATTR), NV(FS_IOC_FSSETXATTR),
	/* sockets */
	NV(SIOCATMARK), NV(SIOCGPGRP), NV(SIOCSPGRP), NV(SIOCGIFNAME), NV(SIOCGIFCONF),
	NV(SIOCGIFFLAGS), NV(SIOCGIFADDR), NV(SIOCGIFINDEX), NV(SIOCGIFMTU), NV(SIOCGIFHWADDR),
};

static const struct name_value prctl_names[] = {
	NV(PR_SET_PDEATHSIG), NV(PR_GET_PDEATHSIG), NV(PR_GET_DUMPABLE), NV(PR_SET_DUMPABLE),
	NV(PR_GET_UNALIGN), NV(PR_SET_UNALIGN), NV(PR_GET_KEEPCAPS), NV(PR_SET_KEEPCAPS),
	NV(PR_GET_FPEMU), NV(PR_SET_FPEMU), NV(PR_GET_FPEXC), NV(PR_SET_FPEXC), NV(PR_GET_TIMING),
	NV(PR_SET_TIMING), NV(PR_SET_NAME), NV(PR_GET_NAME), NV(PR_GET_ENDIAN), NV(PR_SET_ENDIAN),
	NV(PR_GET_SECCOMP), NV(PR_SET_SECCOMP), NV(PR_CAPBSET_READ), NV(PR_CAPBSET_DROP),
	NV(PR_GET_TSC), NV(PR_SET_TSC), NV(PR_GET_SECUREBITS), NV(PR_SET_SECUREBITS),
	NV(PR_SET_TIMERSLACK), NV(PR_GET_TIMERSLACK), NV(PR_TASK_PERF_EVENTS_DISABLE),
	NV(PR_TASK_PERF_EVENTS_ENABLE), NV(PR_MCE_KILL), NV(PR_MCE_KILL_GET), NV(PR_SET_MM),
	NV(PR_SET_PTRACER), NV(PR_SET_CHILD_SUBREAPER), NV(PR_GET_CHILD_SUBREAPER),
	NV(PR_SET_NO_NEW_PRIVS), NV(PR_GET_NO_NEW_PRIVS), NV(PR_GET_TID_ADDRESS),
	NV(PR_SET_THP_DISABLE), NV(PR_GET_THP_DISABLE), NV(PR_SET_FP_MODE), NV(PR_GET_FP_MODE),
	NV(PR_CAP_AMBIENT), NV(PR_GET_SPECULATION_CTRL), NV(PR_SET_SPECULATION_CTRL),
	NV(PR_SET_TAGGED_ADDR_CTRL), NV(PR_GET_TAGGED_ADDR_CTRL), NV(PR_SET_IO_FLUSHER),
	NV(PR_GET_IO_FLUSHER), NV(PR_SET_SYSCALL_USER_DISPATCH), NV(PR_SCHED_CORE),
	NV(PR_SET_VMA),
};

/* Lower-case AF_ names; "local" and "route" are accepted aliases, printed as unix/netlink. */
static const struct name_value family_names[] = {
	{ "unspec", AF_UNSPEC }, { "unix", AF_UNIX }, { "local", AF_LOCAL }, { "inet", AF_INET },
	{ "ax25", AF_AX25 }, { "ipx", AF_IPX }, { "appletalk", AF_APPLETALK },
	{ "netrom", AF_NETROM }, { "bridge", AF_BRIDGE }, { "atmpvc", AF_ATMPVC },
	{ "x25", AF_X25 }, { "inet6", AF_INET6 }, { "rose", AF_ROSE }, { "decnet", AF_DECnet },
	{ "netbeui", AF_NETBEUI }, { "security", AF_SECURITY }, { "key", AF_KEY },
	{ "netlink", AF_NETLINK }, { "route", AF_ROUTE }, { "packet", AF_PACKET },
	{ "ash", AF_ASH }, { "econet", AF_ECONET }, { "atmsvc", AF_ATMSVC }, { "rds", AF_RDS },
	{ "sna", AF_SNA }, { "irda", AF_IRDA }, { "pppox", AF_PPPOX }, { "wanpipe", AF_WANPIPE },
	{ "llc", AF_LLC }, { "ib", AF_IB }, { "mpls", AF_MPLS }, { "can", AF_CAN },
	{ "tipc", AF_TIPC }, { "bluetooth", AF_BLUETOOTH }, { "iucv", AF_IUCV },
	{ "rxrpc", AF_RXRPC }, { "isdn", AF_ISDN }, { "phonet", AF_PHONET },
	{ "ieee802154", AF_IEEE802154 }, { "caif", AF_CAIF }, { "alg", AF_ALG }, { "nfc", AF_NFC },
	{ "vsock", AF_VSOCK }, { "kcm", AF_KCM }, { "qipcrtr", AF_QIPCRTR }, { "smc", AF_SMC },
	{ "xdp", AF_XDP }, { "mctp", AF_MCTP },
};

/* Netlink protocols by <linux/netlink.h>'s NETLINK_ names in lower case. */
static const struct name_value netlink_names[] = {
	{ "route", NETLINK_ROUTE }, { "usersock", NETLINK_USERSOCK },
	{ "firewall", NETLINK_FIREWALL }, { "sock_diag", NETLINK_SOCK_DIAG },
	{ "nflog", NETLINK_NFLOG }, { "xfrm", NETLINK_XFRM }, { "selinux", NETLINK_SELINUX },
	{ "iscsi", NETLINK_ISCSI }, { "audit", NETLINK_AUDIT }, { "fib_lookup", NETLINK_FIB_LOOKUP },
	{ "connector", NETLINK_CONNECTOR }, { "netfilter", NETLINK_NETFILTER },
	{ "ip6_fw", NETLINK_IP6_FW }, { "dnrtmsg", NETLINK_DNRTMSG },
	{ "kobject_uevent", NETLINK_KOBJECT_UEVENT }, { "generic", NETLINK_GENERIC },
	{ "scsitransport", NETLINK_SCSITRANSPORT }, { "ecryptfs", NETLINK_ECRYPTFS },
	{ "rdma", NETLINK_RDMA }, { "crypto", NETLINK_CRYPTO }, { "smc", NETLINK_SMC },
};

const char *policy_action_to_string(unsigned int action)
{
	return action < ARRAY_SIZE(action_names) ? action_names[action] : NULL;
}

/* "deny:EPERM", "pass", ...: how a rule is written in a file. */
void policy_rule_format(char *buf, size_t size, unsigned int action, unsigned int error)
{
	const char *a = policy_action_to_string(action) ?: "?";
	const char *e = policy_errno_to_string((int)error);

	if (action != RVISOR_ACTION_DENY)
		snprintf(buf, size, "%s", a);
	else if (e)
		snprintf(buf, size, "%s:%s", a, e);
	else
		snprintf(buf, size, "%s:%u", a, error);
}

int policy_parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull() would take a sign or leading blanks: only digits here */
	if (base == 10 ? !isdigit((unsigned char)s[0]) : !isxdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int policy_errno_from_string(const char *s)
{
	uint64_t v;
	int r;

	if (!s || !*s)
		return -EINVAL;
	if (isdigit((unsigned char)s[0])) {
		r = policy_parse_uint(s, POLICY_ERRNO_MAX, &v);
		if (r < 0 || v == 0)
			return -EINVAL;
		return (int)v;
	}
	for (int e = 1; e <= POLICY_ERRNO_MAX; e++) {
		const char *n = strerrorname_np(e);

		if (n && strcmp(n, s) == 0)
			return e;
	}
	return -EINVAL;
}

const char *policy_errno_to_string(int error)
{
	return error > 0 ? strerrorname_np(error) : NULL;
}

static int table_lookup(const struct name_value *t, size_t n, const char *s, bool icase,
			uint32_t *ret)
{
	for (size_t i = 0; i < n; i++)
		if ((icase ? strcasecmp : strcmp)(t[i].name, s) == 0) {
			*ret = t[i].value;
			return 0;
		}
	return -EINVAL;
}

static const char *table_name(const struct name_value *t, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

/* A name from the table, else a number up to max. */
static int name_or_number(const struct name_value *t, size_t n, bool icase, const char *s,
			  uint64_t max, uint32_t *ret)
{
	uint64_t v;
	int r;

	if (!s || !*s)
		return -EINVAL;
	if (!isdigit((unsigned char)s[0]))
		return table_lookup(t, n, s, icase, ret);
	r = policy_parse_uint(s, max, &v);
	if (r < 0)
		return r;
	*ret = (uint32_t)v;
	return 0;
}

int policy_ioctl_from_string(const char *s, uint32_t *ret)
{
	return name_or_number(ioctl_names, ARRAY_SIZE(ioctl_names), false, s, UINT32_MAX, ret);
}

const char *policy_ioctl_to_string(uint32_t request)
{
	return table_name(ioctl_names, ARRAY_SIZE(ioctl_names), request);
}

int policy_prctl_from_string(const char *s, uint32_t *ret)
{
	return name_or_number(prctl_names, ARRAY_SIZE(prctl_names), false, s, UINT32_MAX, ret);
}

const char *policy_prctl_to_string(uint32_t option)
{
	return table_name(prctl_names, ARRAY_SIZE(prctl_names), option);
}

int policy_family_from_string(const char *s)
{
	uint32_t v;
	int r;

	if (s && strncmp(s, "AF_", 3) == 0)
		s += 3;
	r = name_or_number(family_names, ARRAY_SIZE(family_names), true, s, 63, &v);
	return r < 0 ? r : (int)v;
}

const char *policy_family_to_string(int family)
{
	return family < 0 ? NULL : table_name(family_names, ARRAY_SIZE(family_names), (uint32_t)family);
}

int policy_netlink_from_string(const char *s)
{
	uint32_t v;
	int r;

	if (s && strncasecmp(s, "NETLINK_", 8) == 0)
		s += 8;
	r = name_or_number(netlink_names, ARRAY_SIZE(netlink_names), true, s, 31, &v);
	return r < 0 ? r : (int)v;
}

const char *policy_netlink_to_string(int protocol)
{
	return protocol < 0 ? NULL : table_name(netlink_names, ARRAY_SIZE(netlink_names), (uint32_t)protocol);
}
