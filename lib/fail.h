/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A failure's message beside its -errno, for functions that tell their caller why (a
 * config.json's mistake, a refused option). Library code: never logs. */
#ifndef RVISOR_FAIL_H
#define RVISOR_FAIL_H

#include "macro.h"

/*
 * Returns r, with the message in *ret_error (allocated) when ret_error is not NULL and
 * *ret_error is still NULL: the first message, the one nearest the cause, is kept, and a
 * caller's more general one does not replace it. -ENOMEM (and *ret_error NULL) when the
 * message cannot be allocated.
 */
int fail(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);

#endif
