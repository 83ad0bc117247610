/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A detached sandbox's output and input as Logs and Attach move them: through pipes whose
 * other ends go to rvisord with the call (io.rvisor.Manager.varlink). */
#ifndef RVISORCTL_STREAM_H
#define RVISORCTL_STREAM_H

#include <stdbool.h>

#include <json-c/json.h>

#include "varlink.h"

struct stream {
	VarlinkClient *c;     /* the call in flight (borrowed) */
	const char *method;   /* for messages */
	int out, err;         /* read ends of the output pipes; -1 once at their end */
	int in;               /* Attach: write end of the stdin pipe (O_NONBLOCK), or -1 */
	bool detach_keys;     /* Ctrl-P Ctrl-Q on stdin detaches (a terminal in raw mode) */
	int sfd;              /* a signalfd, or -1 */
	void (*on_signal)(struct stream *s, int sig);
	void *userdata;
};

/* Both pipes: *ret_ours their read ends, send[0] and send[1] the write ends to pass (fds 0
 * and 1 of Logs and Attach). -errno. */
int stream_pipes(int ret_ours[2], int send[2]);

/* A pipe for Attach's stdin: *ret_ours its write end (O_NONBLOCK), *ret_send its read end. */
int stream_stdin_pipe(int *ret_ours, int *ret_send);

enum {
	STREAM_DONE = 0,     /* the last reply came and the output was all copied */
	STREAM_DETACHED = 1, /* the detach keys were read */
};

/*
 * Copies the output to stdout and stderr and (with s->in) stdin to the sandbox, and reads the
 * call's replies, saying each "dropped" notice on stderr, until the last reply has come and
 * both pipes are at their end. Returns STREAM_DONE with *ret_last the last reply's parameters
 * (and *ret_error its error name or NULL), STREAM_DETACHED, or -errno after saying why.
 */
int stream_run(struct stream *s, json_object **ret_last, char **ret_error);

#endif
