/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rvisord's side of rvisor.ko: opening /dev/rvisor (loading the module), its events (denial
 * records into the journal, the exits of bound containers), and kernel sandboxes no record
 * owns. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <seccomp.h>
#include <systemd/sd-event.h>

#include "device.h"
#include "journal.h"
#include "kernel.h"
#include "kmod.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"

struct sandbox *sandbox_of_kernel_id(struct manager *m, uint64_t id)
{
	for (struct sandbox *s = m->sandboxes; s; s = s->next)
		if (sandbox_kernel_id(s) == id)
			return s;
	return NULL;
}


void kernel_destroy_orphans(struct manager *m)
{
	uint64_t ids[RVISOR_MAX_SANDBOXES];
	struct rvisor_sandbox_list l = { .ids = (uintptr_t)ids, .capacity = RVISOR_MAX_SANDBOXES };

	if (ioctl(m->rvisor_fd, RVISOR_IOC_SANDBOX_LIST, &l) < 0)
		return;
	for (uint32_t i = 0; i < l.count && i < l.capacity; i++) {
		struct rvisor_sandbox_id d = { .id = ids[i] };

		if (sandbox_of_kernel_id(m, ids[i]))
			continue;
		if (ioctl(m->rvisor_fd, RVISOR_IOC_SANDBOX_DESTROY, &d) == 0)
			log_notice("Destroyed kernel sandbox %" PRIu64 ": no record says whose it is", ids[i]);
	}
}

static int on_kernel_events(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct manager *m = userdata;
	struct rvisor_event ev[32];
	ssize_t n;

	n = read(fd, ev, sizeof(ev));
	if (n < 0) {
		/* Nothing there, or a passing shortage: the source stays, the next wake-up reads
		 * again. Anything else would repeat at every wake-up: the source stops, said once. */
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == ENOMEM || errno == ENOBUFS) {
			log_warning_errno(errno, "Reading rvisor.ko's events: %m (trying again)");
			return 0;
		}
		return log_error_errno(errno, "Reading rvisor.ko's events: %m: denial records and exits "
				       "of bound containers are no longer read");
	}
	for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++) {
		const struct rvisor_event *e = &ev[i];
		_cleanup_free_ char *sys = NULL;
		struct sandbox *s = sandbox_of_kernel_id(m, e->sandbox_id);

		if (!s)
			continue;
		switch (e->type) {
		case RVISOR_EVENT_DENIED:
		case RVISOR_EVENT_LOGGED:
			if (!(e->flags & (RVISOR_EVENT_F_COMPAT | RVISOR_EVENT_F_X32)))
				sys = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, e->nr);
			journal_syscall(e, sys, journal_fields(s));
			break;
		case RVISOR_EVENT_INIT_EXITED:
			/* A bound container's init is gone, and with it its pid namespace. */
			if (s->container) {
				journal_sandbox(LOG_INFO, journal_fields(s), "container %s (sandbox %" PRIu64
						") exited: wait status 0x%x", s->container, s->id, (unsigned)e->value);
				sandbox_unlink_and_free(s);
			}
			break;
		case RVISOR_EVENT_SUPPRESSED:
			/* The sandbox produced records faster than its share: counted, not each. */
			journal_sandbox(LOG_NOTICE, journal_fields(s),
					"sandbox %" PRIu64 " (%s): %d more denial records not shown (rate limit)",
					s->id, s->name, e->value);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Whether this kernel honours a syscall that rvisor.ko skips, as the module's self-test
 * finds (once per module load: a daemon restarted later finds the verdict in VERSION's
 * flags). Without that, rvisor.ko refuses sandboxes: the kernel layer is unavailable. */
static bool module_skips_syscalls(struct manager *m, int fd)
{
	int result, r;

	if (m->module.flags & RVISOR_VERSION_F_SKIP_VERIFIED)
		return true;
	r = rvisor_device_selftest(fd, &result);
	if (r < 0) {
		log_warning_errno(r, "rvisor.ko's skip self-test did not run (%m): kernel layer unavailable");
		return false;
	}
	if (result != RVISOR_SELFTEST_HONOURED) {
		log_warning("This kernel runs syscalls that rvisor.ko skips (rvisor.ko's self-test; fixed "
			    "upstream in Linux 6.9, stable 6.1.84): kernel layer unavailable");
		return false;
	}
	log_debug("rvisor.ko's skip self-test passed");
	return true;
}

/* Opens /dev/rvisor, loading rvisor.ko (libkmod) when it is missing. Without it, no kernel
 * layer here: said once, with why the module could not be loaded. */
int kernel_layer_open(struct manager *m)
{
	char why[128] = "";
	int fd, r;

	fd = rvisor_device_open();
	if (fd == -ENOENT) {
		r = kmod_load_rvisor(NULL);
		if (r < 0)
			snprintf(why, sizeof(why), " (rvisor.ko cannot be loaded: %s)", strerror(-r));
		else
			fd = rvisor_device_open();
	}
	if (fd < 0) {
		if (fd == -EBUSY)
			return log_error_errno(fd, "%s is held by another manager (is another rvisord running?)",
					       rvisor_device_path());
		log_warning_errno(fd, "Kernel layer unavailable (%s: %m): sandboxes fall back to seccomp%s",
				  rvisor_device_path(), why);
		return 0;
	}
	r = rvisor_device_version(fd, &m->module);
	if (r < 0 || !rvisor_abi_compatible(m->module.abi_version)) {
		log_warning("rvisor.ko speaks ABI %u, rvisord ABI %d: kernel layer unavailable",
			    r < 0 ? 0 : m->module.abi_version, RVISOR_ABI_VERSION);
		close(fd);
		return 0;
	}
	if (!module_skips_syscalls(m, fd)) {
		close(fd);
		return 0;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		return log_error_errno(r, "Cannot make %s non-blocking: %m", rvisor_device_path());
	}
	m->rvisor_fd = fd;
	log_info("Kernel layer: rvisor.ko %s, ABI %u", m->module.module_version, m->module.abi_version);
	r = sd_event_add_io(m->event, &m->kernel_events, m->rvisor_fd, EPOLLIN, on_kernel_events, m);
	if (r < 0)
		return log_error_errno(r, "Cannot watch rvisor.ko's events: %m");
	return 0;
}
