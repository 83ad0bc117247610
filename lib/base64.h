/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Base64 (RFC 4648, with padding), for binary data inside JSON: seccomp programs handed
 * from rvisord to rvisor-runc and on to crun. Library code: returns -errno, never logs. */
#ifndef RVISOR_BASE64_H
#define RVISOR_BASE64_H

#include <stddef.h>

/* *ret: a malloc()ed NUL-terminated string. -ENOMEM. */
int base64_encode(const void *data, size_t size, char **ret);

/* *ret: malloc()ed bytes, *ret_size of them. -EINVAL for a character outside the alphabet,
 * a length that is not a multiple of 4, or misplaced padding; -ENOMEM. */
int base64_decode(const char *text, void **ret, size_t *ret_size);

#endif
