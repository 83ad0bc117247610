/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names sc and rvisor-run take for numbers on their command lines: socket families,
 * prctl options and ioctl requests (a table ends with an empty entry). */
#ifndef RVISOR_VM_HELPERS_NAMES_H
#define RVISOR_VM_HELPERS_NAMES_H

#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>

struct name_value {
	const char *name;
	unsigned long value;
};

static const struct name_value address_families[] = {
	{ "UNIX", AF_UNIX },   { "LOCAL", AF_UNIX },      { "INET", AF_INET },
	{ "INET6", AF_INET6 }, { "NETLINK", AF_NETLINK }, { "PACKET", AF_PACKET },
	{},
};

static const struct name_value prctl_options[] = {
	{ "SET_PDEATHSIG", PR_SET_PDEATHSIG }, { "GET_PDEATHSIG", PR_GET_PDEATHSIG },
	{ "GET_DUMPABLE", PR_GET_DUMPABLE },   { "SET_DUMPABLE", PR_SET_DUMPABLE },
	{ "GET_KEEPCAPS", PR_GET_KEEPCAPS },   { "SET_KEEPCAPS", PR_SET_KEEPCAPS },
	{ "SET_NAME", PR_SET_NAME },           { "GET_NAME", PR_GET_NAME },
	{ "GET_SECCOMP", PR_GET_SECCOMP },     { "CAPBSET_READ", PR_CAPBSET_READ },
	{ "SET_NO_NEW_PRIVS", PR_SET_NO_NEW_PRIVS }, { "GET_NO_NEW_PRIVS", PR_GET_NO_NEW_PRIVS },
	{ "GET_TIMERSLACK", PR_GET_TIMERSLACK }, { "SET_TIMERSLACK", PR_SET_TIMERSLACK },
	{},
};

static const struct name_value ioctl_requests[] = {
	{ "TCGETS", TCGETS },     { "TCSETS", TCSETS },       { "TIOCGWINSZ", TIOCGWINSZ },
	{ "FIONREAD", FIONREAD }, { "TIOCGPGRP", TIOCGPGRP }, { "FIOCLEX", FIOCLEX },
	{ "FIONCLEX", FIONCLEX }, { "FIONBIO", FIONBIO },     { "TIOCGPTN", TIOCGPTN },
	{},
};

#endif
