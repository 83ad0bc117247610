// SPDX-License-Identifier: GPL-2.0
/*
 * The event queue: fixed-size records from the syscall path (any context) to the manager's
 * read(). Bounded, so a sandbox that provokes denials cannot exhaust kernel memory: on
 * overflow records are counted as dropped and reported by one RVISOR_EVENT_DROPPED record.
 */
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "internal.h"

#define RVISOR_EVENT_QUEUE_LEN 1024

static struct rvisor_event rvisor_event_queue[RVISOR_EVENT_QUEUE_LEN];
static unsigned int rvisor_event_head, rvisor_event_len; /* under rvisor_event_lock */
static u32 rvisor_events_dropped;                           /* under rvisor_event_lock */
static DEFINE_SPINLOCK(rvisor_event_lock);
static DECLARE_WAIT_QUEUE_HEAD(rvisor_event_wait);
static DEFINE_MUTEX(rvisor_event_read_lock); /* one reader commits at a time */

void rvisor_event_emit(const struct rvisor_event *ev)
{
	unsigned long flags;

	spin_lock_irqsave(&rvisor_event_lock, flags);
	if (rvisor_event_len == RVISOR_EVENT_QUEUE_LEN) {
		if (rvisor_events_dropped < U32_MAX)
			rvisor_events_dropped++;
	} else {
		rvisor_event_queue[(rvisor_event_head + rvisor_event_len) % RVISOR_EVENT_QUEUE_LEN] = *ev;
		rvisor_event_len++;
	}
	spin_unlock_irqrestore(&rvisor_event_lock, flags);

	if (wq_has_sleeper(&rvisor_event_wait))
		wake_up_interruptible(&rvisor_event_wait);
}

static bool rvisor_events_pending(void)
{
	return READ_ONCE(rvisor_event_len) || READ_ONCE(rvisor_events_dropped);
}

/* Copies the oldest record (or the drop report) without removing it. */
static bool rvisor_event_peek(struct rvisor_event *ev, bool *is_drop)
{
	unsigned long flags;
	bool found = true;

	spin_lock_irqsave(&rvisor_event_lock, flags);
	if (rvisor_events_dropped) {
		memset(ev, 0, sizeof(*ev));
		ev->type = RVISOR_EVENT_DROPPED;
		ev->nr = -1;
		ev->value = (s32)min_t(u32, rvisor_events_dropped, S32_MAX);
		ev->time_ns = ktime_get_real_ns();
		*is_drop = true;
	} else if (rvisor_event_len) {
		*ev = rvisor_event_queue[rvisor_event_head];
		*is_drop = false;
	} else {
		found = false;
	}
	spin_unlock_irqrestore(&rvisor_event_lock, flags);
	return found;
}

static void rvisor_event_consume(bool is_drop, s32 reported)
{
	unsigned long flags;

	spin_lock_irqsave(&rvisor_event_lock, flags);
	if (is_drop) {
		rvisor_events_dropped -= min_t(u32, rvisor_events_dropped, (u32)reported);
	} else {
		rvisor_event_head = (rvisor_event_head + 1) % RVISOR_EVENT_QUEUE_LEN;
		rvisor_event_len--;
	}
	spin_unlock_irqrestore(&rvisor_event_lock, flags);
}

ssize_t rvisor_events_read(char __user *buf, size_t count, bool nonblock)
{
	struct rvisor_event ev;
	size_t done = 0;
	bool is_drop;
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
	while (count - done >= sizeof(ev) && rvisor_event_peek(&ev, &is_drop)) {
		/* The record leaves the queue only once it reached user space. */
		if (copy_to_user(buf + done, &ev, sizeof(ev))) {
			mutex_unlock(&rvisor_event_read_lock);
			return done ? (ssize_t)done : -EFAULT;
		}
		rvisor_event_consume(is_drop, ev.value);
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
