/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the varlink server (and the client's reply reader) with arbitrary bytes over a
 * socketpair: in pieces of varying size, some with fds attached, the loop run between pieces
 * and until idle at the end. With -DRVISOR_LIBFUZZER (and -fsanitize=fuzzer) this is a
 * libFuzzer target; without, main() replays a corpus directory and deterministic mutations of
 * it under ASan/UBSan and prints TAP:
 *   fuzz-varlink [CORPUS_DIR (tests/fuzz/corpus/varlink)] [MUTATIONS (3000)]
 * A server that spins, leaks a connection or an fd fails; a crash or leak fails the sanitizers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "varlink.h"

/* Loop iterations one input may take: far above what any input needs, so hitting it means
 * the server spins. */
#define PUMP_MAX 200000
/* Calls a handler may hold to answer later. */
#define HELD_MAX 8

static VarlinkCall *held[HELD_MAX];
static size_t n_held;
static bool spun;

static int method_echo(VarlinkCall *call, json_object *p, void *userdata)
{
	return varlink_call_reply(call, json_object_get(p));
}

static int method_stream(VarlinkCall *call, json_object *p, void *userdata)
{
	int64_t n = json_object_get_int64(json_object_object_get(p, "count"));
	int r;

	if (!varlink_call_wants_more(call))
		return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
	for (int64_t i = 0; i < n && i < 64; i++) {
		r = varlink_call_notify(call, json_object_get(p));
		if (r < 0)
			return r;
	}
	return varlink_call_reply(call, NULL);
}

static int method_read_fd(VarlinkCall *call, json_object *p, void *userdata)
{
	_cleanup_close_ int fd = varlink_call_take_fd(call, 0);

	return varlink_call_reply(call, NULL) < 0 || fd < 0 ? -EBADF : 0;
}

static void held_disconnected(VarlinkCall *call, void *userdata)
{
	/* Answering a dead call must be refused, never crash. */
	(void)varlink_call_reply(call, NULL);
}

static int method_later(VarlinkCall *call, json_object *p, void *userdata)
{
	if (n_held >= HELD_MAX)
		return -EBUSY;
	held[n_held++] = varlink_call_ref(call);
	varlink_call_set_disconnect_callback(call, held_disconnected, NULL);
	if (varlink_call_wants_more(call))
		(void)varlink_call_notify(call, NULL);
	return 0;
}

static int method_fail(VarlinkCall *call, json_object *p, void *userdata)
{
	return -EIO;
}

static const struct varlink_param echo_params[] = {
	{ "text", VARLINK_STRING, true },
	{ "n", VARLINK_INT, false },
	{ "flag", VARLINK_BOOL, false },
	{ "obj", VARLINK_OBJECT, false },
	{ "list", VARLINK_ARRAY, false },
	{ "names", VARLINK_STRING_ARRAY, false },
	{},
};
static const struct varlink_param stream_params[] = {
	{ "count", VARLINK_INT, true },
	{},
};
static const struct varlink_method methods[] = {
	{ "Echo", method_echo, echo_params },
	{ "Stream", method_stream, stream_params },
	{ "ReadFd", method_read_fd, NULL },
	{ "Later", method_later, NULL },
	{ "Fail", method_fail, NULL },
	{ "Unimplemented", NULL, NULL },
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

static uint64_t rng_next(uint64_t *x)
{
	/* xorshift64*: deterministic, so every failure replays. */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

static uint64_t hash(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	return h ?: 1;
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
	uint64_t rng = hash(data, size);
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
		uint64_t x = rng_next(&rng);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
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
struct input {
	char *name;
	uint8_t *data;
	size_t size;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static int read_file(const char *path, uint8_t **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size > 64 * 1024 * 1024)
		return -EINVAL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t got = 0; got < (size_t)st.st_size;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	*ret = buf;
	*ret_size = (size_t)st.st_size;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct input *)a)->name, ((const struct input *)b)->name);
}

/* Bits of varlink that random bytes rarely hit. */
static const char *const tokens[] = {
	"\0", "{", "}", "\"", ":", ",", "[]", "null", "true", "\\u0000", "\"more\":true", "\"oneway\":true",
	"\"method\":", "\"parameters\":{}", "\"io.rvisor.Fuzz.Later\"", "\"org.varlink.service.GetInfo\"",
	"{\"method\":\"io.rvisor.Fuzz.Echo\",\"parameters\":{\"text\":\"x\"}}", "\xc3\x28", "99999999999999999999",
};

/* One deterministic mutation of in (or a splice with other) into a new buffer. */
static uint8_t *mutate(const struct input *in, const struct input *other, uint64_t *rng, size_t *ret_size)
{
	size_t size = in->size, alloc = in->size + 4096;
	uint8_t *d = malloc(alloc);
	unsigned ops = 1 + (unsigned)(rng_next(rng) % 8);

	if (!d)
		return NULL;
	memcpy(d, in->data, in->size);
	for (unsigned k = 0; k < ops; k++) {
		uint64_t x = rng_next(rng);
		size_t pos = size ? (size_t)(x >> 16) % (size + 1) : 0, n;

		switch (x % 8) {
		case 0: /* flip a bit */
			if (size)
				d[pos % size] ^= (uint8_t)(1U << ((x >> 8) % 8));
			break;
		case 1: /* a random byte */
			if (size)
				d[pos % size] = (uint8_t)(x >> 40);
			break;
		case 2: /* insert a token */ {
			const char *t = tokens[(x >> 8) % ARRAY_SIZE(tokens)];

			n = t[0] ? strlen(t) : 1;
			if (size + n > alloc)
				break;
			memmove(d + pos + n, d + pos, size - pos);
			memcpy(d + pos, t, n);
			size += n;
			break;
		}
		case 3: /* delete a range */
			n = (size_t)(x >> 40) % 64;
			if (pos + n > size)
				n = size - pos;
			memmove(d + pos, d + pos + n, size - pos - n);
			size -= n;
			break;
		case 4: /* duplicate a range */
			n = (size_t)(x >> 40) % 128;
			if (pos + n > size)
				n = size - pos;
			if (size + n > alloc)
				break;
			memmove(d + pos + n, d + pos, size - pos);
			memcpy(d + pos + n, d + pos, n);
			size += n;
			break;
		case 5: /* truncate */
			size = pos;
			break;
		case 6: /* splice in the other input's head */
			n = other->size < 512 ? other->size : 512;
			if (size + n > alloc)
				break;
			memmove(d + pos + n, d + pos, size - pos);
			memcpy(d + pos, other->data, n);
			size += n;
			break;
		default: /* a NUL: message boundaries where none were */
			if (size + 1 > alloc)
				break;
			memmove(d + pos + 1, d + pos, size - pos);
			d[pos] = 0;
			size++;
			break;
		}
	}
	*ret_size = size;
	return d;
}

int main(int argc, char *argv[])
{
	const char *dir = argc > 1 ? argv[1] : "tests/fuzz/corpus/varlink";
	unsigned long mutations = argc > 2 ? strtoul(argv[2], NULL, 10) : 3000;
	struct input *inputs = NULL;
	size_t n_inputs = 0;
	int test = 0, failed = 0, fds_before;
	struct dirent *de;
	uint64_t rng = 0x5eed;
	DIR *d;

	signal(SIGPIPE, SIG_IGN);
	fds_before = count_fds();
	d = opendir(dir);
	if (!d) {
		printf("Bail out! Cannot open corpus %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		char path[4096];
		struct input *in;

		if (de->d_name[0] == '.')
			continue;
		in = reallocarray(inputs, n_inputs + 1, sizeof(*inputs));
		if (!in)
			return 1;
		inputs = in;
		in = &inputs[n_inputs];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (read_file(path, &in->data, &in->size) < 0)
			continue;
		in->name = strdup(de->d_name);
		n_inputs++;
	}
	closedir(d);
	if (n_inputs == 0) {
		printf("Bail out! Corpus %s is empty\n", dir);
		return 1;
	}
	qsort(inputs, n_inputs, sizeof(*inputs), cmp_names);

	for (size_t i = 0; i < n_inputs; i++) {
		int before = count_fds();

		LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].size);
		if (spun || count_fds() != before) {
			printf("not ok %d - corpus %s%s\n", ++test, inputs[i].name, spun ? " (server spun or kept the connection)" : " (fd leaked)");
			failed++;
			spun = false;
		} else
			printf("ok %d - corpus %s\n", ++test, inputs[i].name);
	}
	fflush(stdout);

	{
		unsigned long bad = 0;

		for (unsigned long m = 0; m < mutations; m++) {
			const struct input *in = &inputs[rng_next(&rng) % n_inputs];
			const struct input *other = &inputs[rng_next(&rng) % n_inputs];
			size_t size;
			uint8_t *data = mutate(in, other, &rng, &size);

			if (!data)
				return 1;
			LLVMFuzzerTestOneInput(data, size);
			if (spun) {
				if (bad++ < 5) {
					printf("# mutation %lu of %s: server spun or kept the connection; input:\n# ", m, in->name);
					for (size_t k = 0; k < size && k < 256; k++)
						printf("%02x", data[k]);
					printf("\n");
				}
				spun = false;
			}
			free(data);
		}
		if (bad == 0 && count_fds() == fds_before)
			printf("ok %d - %lu mutations of the corpus\n", ++test, mutations);
		else {
			printf("not ok %d - %lu mutations of the corpus (%lu bad, fds %d -> %d)\n", ++test, mutations, bad,
			       fds_before, count_fds());
			failed++;
		}
	}
	for (size_t i = 0; i < n_inputs; i++) {
		free(inputs[i].name);
		free(inputs[i].data);
	}
	free(inputs);
	printf("1..%d\n", test);
	return failed ? 1 : 0;
}
#endif
