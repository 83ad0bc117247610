/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading rvisor.ko with libkmod; see kmod.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libkmod.h>

#include "kmod.h"
#include "log.h"

#define MODULE_NAME "rvisor"

/* libkmod's messages ("could not open moddep file ...") as rvisord's debug lines: whether the
 * module could be loaded is said once, by the caller. */
static void log_libkmod(void *data, int priority, const char *file, int line, const char *fn,
			const char *format, va_list args)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), format, args);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("libkmod: %s", msg);
}

static void kmod_unrefp(struct kmod_ctx **ctx)
{
	kmod_unref(*ctx);
}

static void kmod_module_unref_listp(struct kmod_list **list)
{
	kmod_module_unref_list(*list);
}

/* Inserts mod and what it depends on. A positive result is libkmod's "stopped by a flag":
 * the blacklist. */
static int insert(struct kmod_module *mod)
{
	int r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY, NULL, NULL,
						NULL, NULL);

	return r > 0 ? -EPERM : r;
}

int kmod_load_rvisor(const char *dirname)
{
	_cleanup_(kmod_unrefp) struct kmod_ctx *ctx = NULL;
	_cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
	struct kmod_list *l;
	int r;

	ctx = kmod_new(dirname, NULL);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, log_libkmod, NULL);
	r = kmod_module_new_from_lookup(ctx, MODULE_NAME, &list);
	if (r < 0)
		return r;
	r = -ENOENT;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		r = insert(mod);
		kmod_module_unref(mod);
		if (r == 0)
			break;
	}
	return r;
}
