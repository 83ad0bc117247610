/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rule for sandbox names; see sandbox-name.h. */
#include <string.h>

#include "sandbox-name.h"

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool sandbox_name_valid(const char *name)
{
	size_t n;

	if (!name || !is_alnum(name[0]))
		return false;
	for (n = 1; name[n]; n++)
		if (!is_alnum(name[n]) && !strchr("_.-", name[n]))
			return false;
	return n <= SANDBOX_NAME_MAX;
}

bool sandbox_name_choosable(const char *name)
{
	const char *digits;

	if (!sandbox_name_valid(name))
		return false;
	digits = strncmp(name, "sandbox-", 8) == 0 ? name + 8 : name;
	return !*digits || strspn(digits, "0123456789") != strlen(digits);
}
