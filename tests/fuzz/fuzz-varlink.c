/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the varlink server (and the client's reply reader) with arbitrary bytes over a
 * socketpair: in pieces of varying size, some with fds attached, the loop run between pieces
 * and until idle at the end. With -DRVISOR_LIBFUZZER (and -fsanitize=fuzzer) this is a
 * libFuzzer target; without, main() replays a corpus directory and deterministic mutations of
 * it under ASan/UBSan (tests/fuzz/replay.h) and prints TAP:
 *   fuzz-varlink [CORPUS_DIR (tests/fuzz/corpus/varlink)] [MUTATIONS (3000)]
 * A server that spins, leaks a connection or an fd fails; a crash or leak fails the sanitizers.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "replay.h"
#include "varlink-echo.h"
#include "varlink.h"

/* Loop iterations one input may take: far above what any input needs, so hitting it means
 * the server spins. */
#define PUMP_MAX 200000
/* Calls a handler may hold to answer later. */
#define HELD_MAX 8

static VarlinkCall *held[HELD_MAX];
static size_t n_held;
static bool spun;

struct stream_params {
	struct varlink_int count;
};

static int method_stream(VarlinkCall *call, void *params, void *userdata)
{
	int64_t n = ((const struct stream_params *)params)->count.value;
	int r;

	if (!varlink_call_wants_more(call))
		return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
	for (int64_t i = 0; i < n && i < 64; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "i", json_object_new_int64(i));
		r = varlink_call_notify(call, o);
		if (r < 0)
			return r;
	}
	return varlink_call_reply(call, NULL);
}

static int method_read_fd(VarlinkCall *call, void *params, void *userdata)
{
	_cleanup_close_ int fd = varlink_call_take_fd(call, 0);

	return varlink_call_reply(call, NULL) < 0 || fd < 0 ? -EBADF : 0;
}

static void held_disconnected(VarlinkCall *call, void *userdata)
{
	/* Answering a dead call must be refused, never crash. */
	(void)varlink_call_reply(call, NULL);
}

static int method_later(VarlinkCall *call, void *params, void *userdata)
{
	if (n_held >= HELD_MAX)
		return -EBUSY;
	held[n_held++] = varlink_call_ref(call);
	varlink_call_set_disconnect_callback(call, held_disconnected, NULL);
	if (varlink_call_wants_more(call))
		(void)varlink_call_notify(call, NULL);
	return 0;
}

static int method_fail(VarlinkCall *call, void *params, void *userdata)
{
	return -EIO;
}

static const struct varlink_param stream_params[] = {
	VARLINK_PARAM(struct stream_params, count, VARLINK_INT, true),
	{},
};
static const struct varlink_method methods[] = {
	VARLINK_METHOD("Echo", method_echo, echo_params, struct echo_params),
	VARLINK_METHOD("Stream", method_stream, stream_params, struct stream_params),
	VARLINK_METHOD_NO_PARAMS("ReadFd", method_read_fd),
	VARLINK_METHOD_NO_PARAMS("Later", method_later),
	VARLINK_METHOD_NO_PARAMS("Fail", method_fail),
	VARLINK_METHOD_NO_PARAMS("Unimplemented", NULL),
	{},
};
static const struct varlink_interface iface = {
	.vendor = "rvisor",
	.product = "fuzz-varlink",
	.version = "1",
	.url = "https://example.org",
	.name = "io.rvisor.Fuzz",
	.description = "interface io.rvisor.Fuzz\n",
	.methods = methods,
};

static bool peer_check(VarlinkServer *s, const struct ucred *peer, void *userdata)
{
	return *(const bool *)userdata;
}

/* Runs the loop until idle, reading (and discarding) what the server sends to fd. */
static void pump(sd_event *e, int fd)
{
	static char sink[65536];
	int i = 0;

	for (;;) {
		bool busy = false;

		while (sd_event_run(e, 0) > 0) {
			busy = true;
			if (++i > PUMP_MAX) {
				spun = true;
				return;
			}
		}
		while (fd >= 0 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			busy = true;
		if (!busy)
			return;
	}
}

static void answer_held(void)
{
	for (size_t i = 0; i < n_held; i++) {
		(void)varlink_call_reply(held[i], NULL);
		held[i] = varlink_call_unref(held[i]);
	}
	n_held = 0;
}

/* Feeds bytes a client would send. A leading 'X' is no byte of them but makes the peer check
 * refuse the connection. */
static void fuzz_server(const uint8_t *data, size_t size)
{
	_cleanup_close_ int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	bool peer_ok = size == 0 || data[0] != 'X';
	VarlinkServer *s = NULL;
	sd_event *e = NULL;
	uint64_t rng = fuzz_hash(data, size);
	size_t sent = 0;
	int sv[2] = { -1, -1 };

	if (sd_event_new(&e) < 0 || varlink_server_new(&s, e, &iface, NULL) < 0)
		goto finish;
	if (!peer_ok) {
		(void)varlink_server_set_peer_check(s, peer_check, "io.rvisor.Fuzz.PermissionDenied", &peer_ok);
		data++;
		size--;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		goto finish;
	if (varlink_server_add_connection(s, sv[0]) < 0) {
		close(sv[0]);
		goto finish;
	}

	while (sent < size && !spun) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int) * 20)];
		} control;
		uint64_t x = fuzz_rng_next(&rng);
		size_t chunk = x % 4 == 0 ? size - sent : 1 + (size_t)(x >> 8) % 2048;
		size_t n_fds = (x >> 24) % 16 == 0 && nullfd >= 0 ? (size_t)(x >> 32) % 20 : 0;
		struct iovec iov = { .iov_base = (void *)(uintptr_t)(data + sent) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		iov.iov_len = chunk < size - sent ? chunk : size - sent;
		if (n_fds > 0) {
			struct cmsghdr *cm;
			int fds[20];

			for (size_t i = 0; i < n_fds; i++)
				fds[i] = nullfd;
			memset(&control, 0, sizeof(control));
			mh.msg_control = &control;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
		}
		n = sendmsg(sv[1], &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN)
			break; /* the server hung up */
		if (n > 0)
			sent += (size_t)n;
		pump(e, sv[1]);
		if ((x >> 40) % 8 == 0)
			answer_held();
	}
	(void)shutdown(sv[1], SHUT_WR);
	pump(e, sv[1]);
	answer_held();
	pump(e, sv[1]);
	close(sv[1]);
	sv[1] = -1;
	pump(e, -1);
	if (varlink_server_connections(s) != 0)
		spun = true; /* a connection outlived its client */
finish:
	answer_held();
	varlink_server_free(s);
	sd_event_unref(e);
}

/* Feeds the same bytes to the client as if they were the server's replies. */
static void fuzz_client(const uint8_t *data, size_t size)
{
	VarlinkClient *c = NULL;
	int sv[2];

	/* What fits in the socket buffer, so that writing never blocks. */
	if (size > 65536)
		size = 65536;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	if (varlink_client_new_from_fd(&c, sv[0]) < 0) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (size > 0)
		(void)!write(sv[1], data, size);
	close(sv[1]);
	for (size_t i = 0; i <= size; i++) {
		json_object *p = NULL;
		char *error = NULL;
		bool cont;
		int r = varlink_client_read(c, &p, &error, &cont);

		if (r == -ECONNRESET || r == -EMSGSIZE)
			break;
		if (r >= 0) {
			json_object_put(p);
			free(error);
		}
	}
	varlink_client_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized;

	if (!initialized) {
		signal(SIGPIPE, SIG_IGN);
		initialized = true;
	}
	fuzz_server(data, size);
	fuzz_client(data, size);
	if (spun)
		abort(); /* a spinning server or a leaked connection: make libFuzzer keep the input */
	return 0;
}

#ifndef RVISOR_LIBFUZZER
/* Bits of varlink that random bytes rarely hit. */
static const char *const tokens[] = {
	"\0", "{", "}", "\"", ":", ",", "[]", "null", "true", "\\u0000", "\"more\":true", "\"oneway\":true",
	"\"method\":", "\"parameters\":{}", "\"io.rvisor.Fuzz.Later\"", "\"org.varlink.service.GetInfo\"",
	"{\"method\":\"io.rvisor.Fuzz.Echo\",\"parameters\":{\"text\":\"x\"}}", "\xc3\x28", "99999999999999999999",
};

/* A NUL: message boundaries where none were. */
static void insert_nul(struct fuzz_bytes *b, unsigned int kind, size_t pos, uint64_t x)
{
	fuzz_bytes_insert(b, pos, "", 1);
}

/* One deterministic mutation of in (or a splice with other): one to eight byte mutations. */
static uint8_t *mutate(const struct fuzz_input *in, const struct fuzz_input *other, uint64_t *rng, size_t *ret_size)
{
	static const struct fuzz_byte_ops ops = {
		.kinds = FUZZ_BYTE_OPS + 1,
		.tokens = tokens,
		.n_tokens = ARRAY_SIZE(tokens),
		.extra = insert_nul,
	};

	return fuzz_mutate_bytes(in, other, 1 + (unsigned int)(fuzz_rng_next(rng) % 8), rng, &ops, ret_size);
}

/* A spinning server or a connection that outlived its client, forgotten for the next input. */
static bool spun_reset(void)
{
	bool r = spun;

	spun = false;
	return r;
}

int main(int argc, char *argv[])
{
	static const struct fuzz_replay replay = {
		.corpus = "tests/fuzz/corpus/varlink",
		.mutations = 3000,
		.mutate = mutate,
		.broken = spun_reset,
		.broken_what = "server spun or kept the connection",
		.check_fds = true,
	};

	return fuzz_replay_main(argc, argv, &replay);
}
#endif
