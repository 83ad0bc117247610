/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisorctl's verbs: one file each, dispatched from the table in main.c. */
#ifndef RVISORCTL_VERBS_H
#define RVISORCTL_VERBS_H

/* Exit codes shared by all verbs. `run` adds docker's 125/126/127. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_LOADED = 3, /* status: the kernel module is not loaded */
};

/* A verb gets argv from its own name on and returns the process's exit code. */
int verb_status(int argc, char *argv[]);

#endif
