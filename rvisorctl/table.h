/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plain-text tables for rvisorctl's listings: a header row, columns padded to fit. */
#ifndef RVISORCTL_TABLE_H
#define RVISORCTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct Table Table;

/* A table with these column headers (copied). NULL when out of memory. */
Table *table_new(const char *const *headers, size_t n_columns);
Table *table_free(Table *t);

/* Right-aligns a column (numbers). */
void table_align_right(Table *t, size_t column);

/* Adds a row of n_columns cells (copied through cli_escape(): no control character reaches the
 * terminal; NULL prints "-"). 0 or -ENOMEM. */
int table_add_row(Table *t, const char *const *cells);

/* Prints the header and the rows, columns two spaces apart, the last one unpadded. 0 or
 * -ENOMEM; write errors are left for the caller's fflush() to find. */
int table_print(const Table *t, FILE *f);

static inline void table_freep(Table **t)
{
	table_free(*t);
}
#define _cleanup_table_ __attribute__((cleanup(table_freep)))

#endif
