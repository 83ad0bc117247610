/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/cpus.c: numbers of CPUs (docker's --cpus) and CPU lists (cpuset.cpus), good and bad. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpus.h"
#include "macro.h"
#include "tap.h"

static void test_cpus_parse(void)
{
	static const struct {
		const char *text;
		int r;
		uint64_t milli;
	} cases[] = {
		{ "1", 0, 1000 },       { "1.5", 0, 1500 },     { "0.25", 0, 250 },
		{ ".5", 0, 500 },       { "2.125", 0, 2125 },   { "0.01", 0, 10 },
		{ "007", 0, 7000 },     { "1.0", 0, 1000 },     { "1024", 0, 1024000 },
		{ "0", -ERANGE, 0 },    { "0.009", -ERANGE, 0 }, { "0.000", -ERANGE, 0 },
		{ "1025", -ERANGE, 0 }, { "99999999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 },     { ".", -EINVAL, 0 },    { "1.", -EINVAL, 0 },
		{ "1.2345", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },   { "1 ", -EINVAL, 0 },   { "1e3", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 }, { "1,5", -EINVAL, 0 },  { "max", -EINVAL, 0 },
		{ "1.5.1", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 42;
		char name[96];
		int r = cpus_parse(cases[i].text, &v);

		snprintf(name, sizeof(name), "cpus_parse(\"%s\")", cases[i].text);
		if (cases[i].r == 0)
			ok(r == 0 && v == cases[i].milli, name);
		else
			ok(r == cases[i].r && v == 42, name); /* untouched on failure */
	}
	ok(cpus_parse(NULL, NULL) == -EINVAL, "cpus_parse(NULL)");
}

static void test_cpus_format(void)
{
	char buf[24];

	is_str(cpus_format(1500, buf, sizeof(buf)), "1.5", "cpus_format 1.5");
	is_str(cpus_format(2000, buf, sizeof(buf)), "2", "cpus_format 2");
	is_str(cpus_format(125, buf, sizeof(buf)), "0.125", "cpus_format 0.125");
	is_str(cpus_format(10, buf, sizeof(buf)), "0.01", "cpus_format 0.01");
	is_str(cpus_format(1024000, buf, sizeof(buf)), "1024", "cpus_format 1024");
}

/* The list's canonical text, or the error as "E<n>". */
static char *roundtrip(const char *text)
{
	static char out[256];
	cpu_set_t set;
	char *s = NULL;
	int r = cpulist_parse(text, &set);

	if (r < 0)
		snprintf(out, sizeof(out), "E%d", -r);
	else if (cpulist_format(&set, &s) < 0)
		snprintf(out, sizeof(out), "ENOMEM");
	else
		snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

static void test_cpulist(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "0", "0" },
		{ "0-3", "0-3" },
		{ "3,0-1", "0-1,3" },
		{ "0,1,2,5", "0-2,5" },
		{ "1-1", "1" },
		{ "0-3,2-5", "0-5" },
		{ "0-1023", "0-1023" },
		{ "0-1\n", "0-1" },       /* as cpuset.cpus.effective ends */
		{ "", "" },               /* an empty cpuset file */
		{ "\n", "" },
		{ "3-1", "E22" },
		{ "0,", "E22" },
		{ ",0", "E22" },
		{ "0,,1", "E22" },
		{ "0-", "E22" },
		{ "-1", "E22" },
		{ "a", "E22" },
		{ " 0", "E22" },
		{ "0 ", "E22" },
		{ "0\n1", "E22" },
		{ "0-3:2", "E22" },       /* the kernel's stride syntax: not in cpuset files */
		{ "1024", "E34" },
		{ "0-99999999999", "E34" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char name[96];

		snprintf(name, sizeof(name), "cpulist \"%s\" -> \"%s\"", cases[i].text, cases[i].want);
		for (char *c = name; *c; c++)
			if (*c == '\n')
				*c = '/'; /* one TAP line */
		is_str(roundtrip(cases[i].text), cases[i].want, name);
	}
	ok(cpulist_parse(NULL, NULL) == -EINVAL, "cpulist_parse(NULL)");
}

int main(void)
{
	test_cpus_parse();
	test_cpus_format();
	test_cpulist();
	return tap_done();
}
