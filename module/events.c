// SPDX-License-Identifier: GPL-2.0
/*
 * Events: fixed-size records from the syscall path (any context) to the manager's read().
 * Each sandbox queues its own, at most RVISOR_EVENTS_PER_SANDBOX and RVISOR_EVENTS_RATE a
 * second; what it cannot queue is counted and reported as one RVISOR_EVENT_SUPPRESSED record
 * later. The reader goes round the sandboxes with something to say, one record each, so a
 * sandbox looping on a denied syscall costs the others nothing. The init's exit is kept in
 * the sandbox itself, never in the bounded queue: it cannot be crowded out.
 */
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "internal.h"

#define RVISOR_EVENT_COST_NS (NSEC_PER_SEC / RVISOR_EVENTS_RATE)
#define RVISOR_EVENT_BURST_NS (RVISOR_EVENTS_PER_SANDBOX * RVISOR_EVENT_COST_NS)

static DEFINE_SPINLOCK(rvisor_event_lock);
static LIST_HEAD(rvisor_event_round); /* sandboxes with something to say, under the lock */
static DECLARE_WAIT_QUEUE_HEAD(rvisor_event_wait);
static DEFINE_MUTEX(rvisor_event_read_lock); /* one reader commits at a time */

static bool rvisor_events_has_something(const struct rvisor_sandbox_events *q)
{
	return q->len || q->unreported || q->exit_pending;
}

/* Puts the sandbox on the reader's round, if it is not there yet. Under the lock. */
static void rvisor_events_ready(struct rvisor_sandbox *sb)
{
	if (list_empty(&sb->events.ready))
		list_add_tail(&sb->events.ready, &rvisor_event_round);
}

static void rvisor_events_wake(void)
{
	if (wq_has_sleeper(&rvisor_event_wait))
		wake_up_interruptible(&rvisor_event_wait);
}

void rvisor_events_init(struct rvisor_sandbox *sb)
{
	u64 now = ktime_get_mono_fast_ns();

	INIT_LIST_HEAD(&sb->events.ready);
	/* a full budget to start with */
	sb->events.tokens_ns = now > RVISOR_EVENT_BURST_NS ? now - RVISOR_EVENT_BURST_NS : 0;
}

void rvisor_events_forget(struct rvisor_sandbox *sb)
{
	unsigned long flags;

	spin_lock_irqsave(&rvisor_event_lock, flags);
	list_del_init(&sb->events.ready);
	spin_unlock_irqrestore(&rvisor_event_lock, flags);
}

/* Takes one record's worth of the sandbox's rate budget. Under the lock. */
static bool rvisor_events_take_token(struct rvisor_sandbox_events *q)
{
	u64 now = ktime_get_mono_fast_ns();

	/* tokens_ns is the time the budget is used up to; it may lag a burst behind now. */
	if (now > q->tokens_ns + RVISOR_EVENT_BURST_NS)
		q->tokens_ns = now - RVISOR_EVENT_BURST_NS;
	if (q->tokens_ns + RVISOR_EVENT_COST_NS > now)
		return false;
	q->tokens_ns += RVISOR_EVENT_COST_NS;
	return true;
}

void rvisor_event_emit(struct rvisor_sandbox *sb, const struct rvisor_event *ev)
{
	struct rvisor_sandbox_events *q = &sb->events;
	unsigned long flags;

	spin_lock_irqsave(&rvisor_event_lock, flags);
	if (q->len == RVISOR_EVENTS_PER_SANDBOX || !rvisor_events_take_token(q)) {
		q->suppressed++;
		if (q->unreported < U32_MAX)
			q->unreported++;
	} else {
		q->ring[(q->head + q->len) % RVISOR_EVENTS_PER_SANDBOX] = *ev;
		q->len++;
	}
	rvisor_events_ready(sb);
	spin_unlock_irqrestore(&rvisor_event_lock, flags);
	rvisor_events_wake();
}

void rvisor_event_init_exited(struct rvisor_sandbox *sb, const struct rvisor_event *ev)
{
	unsigned long flags;

	spin_lock_irqsave(&rvisor_event_lock, flags);
	sb->events.exit = *ev;
	sb->events.exit_pending = true;
	rvisor_events_ready(sb);
	spin_unlock_irqrestore(&rvisor_event_lock, flags);
	rvisor_events_wake();
}

u64 rvisor_events_suppressed(struct rvisor_sandbox *sb)
{
	unsigned long flags;
	u64 n;

	spin_lock_irqsave(&rvisor_event_lock, flags);
	n = sb->events.suppressed;
	spin_unlock_irqrestore(&rvisor_event_lock, flags);
	return n;
}

static bool rvisor_events_pending(void)
{
	return !list_empty_careful(&rvisor_event_round);
}

enum rvisor_event_kind { RVISOR_KIND_QUEUED, RVISOR_KIND_SUPPRESSED, RVISOR_KIND_EXIT };

/*
 * The next record of the round without removing it: the first sandbox's oldest queued
 * record, else its suppression report, else its exit (after everything else it said). The
 * sandbox is pinned for the caller (*ret_sb), who consumes and puts it.
 */
static bool rvisor_event_peek(struct rvisor_event *ev, enum rvisor_event_kind *ret_kind,
			      struct rvisor_sandbox **ret_sb)
{
	struct rvisor_sandbox *sb, *tmp;
	struct rvisor_sandbox_events *q;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&rvisor_event_lock, flags);
	list_for_each_entry_safe(sb, tmp, &rvisor_event_round, events.ready) {
		q = &sb->events;
		if (!rvisor_events_has_something(q) || !rvisor_sandbox_tryget(sb)) {
			list_del_init(&q->ready); /* said all, or being freed */
			continue;
		}
		if (q->len) {
			*ev = q->ring[q->head];
			*ret_kind = RVISOR_KIND_QUEUED;
		} else if (q->unreported) {
			memset(ev, 0, sizeof(*ev));
			ev->type = RVISOR_EVENT_SUPPRESSED;
			ev->sandbox_id = sb->id;
			ev->time_ns = ktime_get_real_ns();
			ev->nr = -1;
			ev->value = (s32)min_t(u32, q->unreported, S32_MAX);
			*ret_kind = RVISOR_KIND_SUPPRESSED;
		} else {
			*ev = q->exit;
			*ret_kind = RVISOR_KIND_EXIT;
		}
		*ret_sb = sb;
		found = true;
		break;
	}
	spin_unlock_irqrestore(&rvisor_event_lock, flags);
	return found;
}

/* Removes what peek returned, and sends the sandbox to the end of the round. */
static void rvisor_event_consume(struct rvisor_sandbox *sb, enum rvisor_event_kind kind, s32 value)
{
	struct rvisor_sandbox_events *q = &sb->events;
	unsigned long flags;

	spin_lock_irqsave(&rvisor_event_lock, flags);
	switch (kind) {
	case RVISOR_KIND_QUEUED:
		q->head = (q->head + 1) % RVISOR_EVENTS_PER_SANDBOX;
		q->len--;
		break;
	case RVISOR_KIND_SUPPRESSED:
		q->unreported -= min_t(u32, q->unreported, (u32)value);
		break;
	case RVISOR_KIND_EXIT:
		q->exit_pending = false;
		break;
	}
	if (!list_empty(&q->ready)) {
		list_del_init(&q->ready);
		if (rvisor_events_has_something(q))
			list_add_tail(&q->ready, &rvisor_event_round);
	}
	spin_unlock_irqrestore(&rvisor_event_lock, flags);
}

ssize_t rvisor_events_read(char __user *buf, size_t count, bool nonblock)
{
	enum rvisor_event_kind kind;
	struct rvisor_sandbox *sb;
	struct rvisor_event ev;
	size_t done = 0;
	int r;

	if (count < sizeof(ev))
		return -EINVAL;

	if (!rvisor_events_pending()) {
		if (nonblock)
			return -EAGAIN;
		r = wait_event_interruptible(rvisor_event_wait, rvisor_events_pending());
		if (r)
			return r;
	}

	mutex_lock(&rvisor_event_read_lock);
	while (count - done >= sizeof(ev) && rvisor_event_peek(&ev, &kind, &sb)) {
		/* The record leaves the queue only once it reached user space. */
		if (copy_to_user(buf + done, &ev, sizeof(ev))) {
			rvisor_sandbox_put(sb);
			mutex_unlock(&rvisor_event_read_lock);
			return done ? (ssize_t)done : -EFAULT;
		}
		rvisor_event_consume(sb, kind, ev.value);
		rvisor_sandbox_put(sb);
		done += sizeof(ev);
	}
	mutex_unlock(&rvisor_event_read_lock);
	return done ? (ssize_t)done : -EAGAIN;
}

__poll_t rvisor_events_poll(struct file *file, struct poll_table_struct *wait)
{
	poll_wait(file, &rvisor_event_wait, wait);
	return rvisor_events_pending() ? EPOLLIN | EPOLLRDNORM : 0;
}
