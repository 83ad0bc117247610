/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small macros used all over rvisor's user space: cleanup attributes and array helpers. */
#ifndef RVISOR_MACRO_H
#define RVISOR_MACRO_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno; /* close() in a cleanup path must not clobber the caller's errno */
		close(*fd);
		errno = saved;
	}
}

/* free() that returns NULL and close() that returns -1 (keeping errno), for
 * "p = mfree(p)" and "fd = safe_close(fd)". */
static inline void *mfree(void *p)
{
	free(p);
	return NULL;
}

static inline int safe_close(int fd)
{
	closep(&fd);
	return -1;
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hands ownership out of a _cleanup_ variable: returns the value, leaves the neutral one. */
#define TAKE_GENERIC(var, null)                                                                   \
	({                                                                                        \
		__typeof__(var) _taken = (var);                                                   \
		(var) = (null);                                                                   \
		_taken;                                                                           \
	})
#define TAKE_PTR(p) TAKE_GENERIC(p, NULL)
#define TAKE_FD(fd) TAKE_GENERIC(fd, -1)

#endif
