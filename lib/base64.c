/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(const void *data, size_t size, char **ret)
{
	const uint8_t *in = data;
	char *out, *o;

	if (size > (SIZE_MAX - 1) / 4 * 3 - 2)
		return -ENOMEM;
	out = o = malloc((size + 2) / 3 * 4 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < size; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < size ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < size ? in[i + 2] : 0);

		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = i + 1 < size ? alphabet[v >> 6 & 63] : '=';
		*o++ = i + 2 < size ? alphabet[v & 63] : '=';
	}
	*o = '\0';
	*ret = out;
	return 0;
}

/* The value of c, or -1. */
static int sextet(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

int base64_decode(const char *text, void **ret, size_t *ret_size)
{
	size_t len = strlen(text), pad = 0, n = 0;
	uint8_t *out;

	if (len % 4)
		return -EINVAL;
	if (len && text[len - 1] == '=')
		pad = len > 1 && text[len - 2] == '=' ? 2 : 1;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		bool last = i + 4 == len;

		for (size_t j = 0; j < 4; j++) {
			int s = last && j >= 4 - pad ? 0 : sextet(text[i + j]);

			if (s < 0) {
				free(out);
				return -EINVAL;
			}
			v = v << 6 | (uint32_t)s;
		}
		out[n++] = (uint8_t)(v >> 16);
		if (!last || pad < 2)
			out[n++] = (uint8_t)(v >> 8);
		if (!last || pad < 1)
			out[n++] = (uint8_t)v;
	}
	*ret = out;
	*ret_size = n;
	return 0;
}
