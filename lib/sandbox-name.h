/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rule for the names users give sandboxes (rvisorctl run --name, Run's name). */
#ifndef RVISOR_SANDBOX_NAME_H
#define RVISOR_SANDBOX_NAME_H

#include <stdbool.h>

#define SANDBOX_NAME_MAX 64

/* [A-Za-z0-9][A-Za-z0-9_.-]{0,63}, docker's rule: checked by rvisorctl and again by rvisord,
 * since names reach other people's terminals. */
bool sandbox_name_valid(const char *name);
/* A name one may give a sandbox: valid, and neither all digits nor "sandbox-N" (ids and the
 * default names), so that an id and a name never mean two sandboxes. */
bool sandbox_name_choosable(const char *name);

#endif
