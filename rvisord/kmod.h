/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading rvisor.ko with libkmod, as modprobe would, when rvisord finds no /dev/rvisor. */
#ifndef RVISORD_KMOD_H
#define RVISORD_KMOD_H

/*
 * Looks "rvisor" up in dirname's module index (NULL: /lib/modules/$(uname -r), the running
 * kernel's) and inserts it with its dependencies; one already loaded is fine. 0; -ENOENT
 * when there is no such module (no index, or the index does not name it); -EPERM when the
 * modprobe configuration blacklists it; else libkmod's or init_module()'s -errno. libkmod's
 * own messages go to the debug log.
 */
int kmod_load_rvisor(const char *dirname);

#endif
