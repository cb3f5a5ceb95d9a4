#include "diag.h"

#include <stdlib.h>
#include <string.h>

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *path, const char *fmt, ...)
{
	struct diag *x;
	va_list ap;

	ALLOC_GROW(d->v, d->n + 1, d->alloc);
	x = &d->v[d->n++];
	x->file = file ? xstrdup(file) : NULL;
	x->line = line;
	x->col = col;
	x->path = path ? xstrdup(path) : NULL;
	va_start(ap, fmt);
	x->msg = xvasprintf(fmt, ap);
	va_end(ap);
}

void diags_sort(struct diags *d)
{
	/* Insertion sort: stable, and diagnostics lists are short. */
	size_t i, j;

	for (i = 1; i < d->n; i++) {
		struct diag tmp = d->v[i];

		for (j = i; j > 0; j--) {
			struct diag *p = &d->v[j - 1];
			int c = strcmp(p->file ? p->file : "",
				       tmp.file ? tmp.file : "");

			if (c < 0 || (c == 0 && (p->line < tmp.line ||
			    (p->line == tmp.line && p->col <= tmp.col))))
				break;
			d->v[j] = d->v[j - 1];
		}
		d->v[j] = tmp;
	}
}

void diags_release(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->alloc = 0;
}
