/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by detached.c (life and end), detached-follow.c (Logs, Attach) and
 * detached-record.c (records, descriptor store, adoption). */
#ifndef RVISORD_DETACHED_INTERNAL_H
#define RVISORD_DETACHED_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "detached.h"
#include "logstore.h"

/* What rvisord reads of a sandbox's output per wake-up, so that one busy sandbox cannot keep
 * the others (and the clients) waiting; and at most at its end, when the rest is drained. */
#define OUTPUT_READ_MAX (256U * 1024)
#define OUTPUT_DRAIN_MAX (16U * 1024 * 1024)

struct follower;

struct detached {
	struct sandbox *s;          /* NULL until detached_setup() */
	bool tty, interactive;
	bool auto_remove;           /* Run's remove: gone at its end, as docker's run -d --rm */
	bool survives;              /* it outlives rvisord (the descriptor store keeps its fds) */
	bool adopted;               /* an earlier rvisord started it: not our child */
	int out_fd, err_fd;         /* rvisord's read ends: stdout (with tty the pty's master),
				     * stderr (-1 with tty); O_NONBLOCK */
	int in_fd;                  /* interactive: the write end of its stdin (with tty a dup
				     * of the master), O_NONBLOCK; else -1 */
	sd_event_source *out_src, *err_src, *in_src, *pidfd_src;
	struct log_store *log;
	bool log_failed;            /* said once: appending failed (a full disk) */
	struct follower *followers; /* Logs and Attach calls */
	bool remove_at_exit;        /* a Remove with force waits for its end */
	bool started;               /* Run's reply said so; before, a failed start leaves nothing */

	/* The end. */
	bool exited;
	int wait_status, exec_errno;
	bool oom;
	uint64_t finished_usec;

	/* For the record: the init's identity beyond its pid. */
	pid_t pid;
	uint64_t pid_start;
};

enum waiter_kind {
	WAITER_WAIT,
	WAITER_STOP,
	WAITER_REMOVE,
};

/* A Wait, Stop or Remove call waiting for a sandbox's end. */
struct waiter {
	struct waiter *next;
	struct sandbox *s;
	enum waiter_kind kind;
	VarlinkCall *call;
	sd_event_source *timer; /* Stop: SIGKILL when the timeout has passed */
};

/* detached.c */
json_object *exit_params(int wait_status, int exec_errno, bool oom);
uint64_t now_realtime_usec(void);
/* An error about s: {"id": ...} and, for an OCI container, its "container". */
int reply_sandbox_error(VarlinkCall *call, const char *error, const struct sandbox *s);
/* Kills and removes a detached sandbox for good: its output, its record, the struct. */
void detached_remove(struct sandbox *s);
/* The sandbox's output, read into the log: what is there now, at most max bytes. */
void output_read(struct sandbox *s, int fd, size_t max);
/* Watches a (new or adopted) sandbox's output and stdin. */
int detached_watch(struct sandbox *s);

/* detached-follow.c */
/* New output (or the end) for the sandbox's Logs and Attach calls. */
void followers_wake(struct sandbox *s);
/* Ends them all (the sandbox goes). */
void followers_end(struct sandbox *s);
/* The sandbox's stdin became writable: what Attach callers sent goes on. */
int on_stdin_writable(sd_event_source *src, int fd, uint32_t revents, void *userdata);

/* detached-record.c */
int record_save(struct sandbox *s);
void record_remove(struct sandbox *s);
void fdstore_push_all(struct sandbox *s);
void fdstore_remove_all(struct sandbox *s);
/* The start time of a process (/proc/PID/stat's field 22), to tell it from a later one with
 * the same pid. */
int process_start_time(pid_t pid, uint64_t *ret);

#endif
