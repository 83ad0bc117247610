/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plain-text tables for rvisorctl's listings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli-util.h"
#include "macro.h"
#include "table.h"

struct Table {
	size_t n_columns, n_cells;
	char **cells; /* row-major, the header first */
	bool *right;
};

Table *table_new(const char *const *headers, size_t n_columns)
{
	Table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->n_columns = n_columns;
	t->right = calloc(n_columns, sizeof(bool));
	if (!t->right || table_add_row(t, headers) < 0)
		return table_free(t);
	return t;
}

Table *table_free(Table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_cells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(t);
	return NULL;
}

void table_align_right(Table *t, size_t column)
{
	if (column < t->n_columns)
		t->right[column] = true;
}

int table_add_row(Table *t, const char *const *cells)
{
	char **c = reallocarray(t->cells, t->n_cells + t->n_columns, sizeof(char *));

	if (!c)
		return -ENOMEM;
	t->cells = c;
	for (size_t i = 0; i < t->n_columns; i++) {
		/* Cells come from rvisord, some from other users: no terminal control gets out. */
		c[t->n_cells + i] = cli_escape(cells[i] ?: "-");
		if (!c[t->n_cells + i]) {
			while (i-- > 0)
				free(c[t->n_cells + i]);
			return -ENOMEM;
		}
	}
	t->n_cells += t->n_columns;
	return 0;
}

/* The columns a cell takes: its characters, not its bytes (cells are escaped, so every byte
 * from 0x80 up is part of valid UTF-8; wide characters still count as one). */
static size_t cell_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

int table_print(const Table *t, FILE *f)
{
	_cleanup_free_ size_t *width = calloc(t->n_columns, sizeof(size_t));

	if (!width)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_cells; i++) {
		size_t n = cell_width(t->cells[i]);

		if (n > width[i % t->n_columns])
			width[i % t->n_columns] = n;
	}
	for (size_t i = 0; i < t->n_cells; i++) {
		size_t col = i % t->n_columns;
		bool last = col + 1 == t->n_columns;
		size_t fill = width[col] - cell_width(t->cells[i]);

		if (t->right[col])
			pad(f, fill);
		fputs(t->cells[i], f);
		if (!t->right[col] && !last)
			pad(f, fill);
		fputs(last ? "\n" : "  ", f);
	}
	return 0;
}
