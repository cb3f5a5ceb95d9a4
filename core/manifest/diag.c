#include "diag.h"

#include <stdlib.h>
#include <string.h>

static void vadd(struct diags *d, enum diag_severity sev, const char *file,
		 int line, int col, const char *path, const char *fmt,
		 va_list ap)
{
	struct diag *x;

	ALLOC_GROW(d->v, d->n + 1, d->alloc);
	x = &d->v[d->n++];
	x->severity = sev;
	x->file = file ? xstrdup(file) : NULL;
	x->line = line;
	x->col = col;
	x->path = path ? xstrdup(path) : NULL;
	x->msg = xvasprintf(fmt, ap);
}

void diags_warn(struct diags *d, const char *file, int line, int col,
		const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(d, DIAG_WARNING, file, line, col, path, fmt, ap);
	va_end(ap);
}

size_t diags_errors(const struct diags *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->v[i].severity == DIAG_ERROR;
	return n;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

void diags_uniq(struct diags *d)
{
	size_t i, j = 0;

	for (i = 0; i < d->n; i++) {
		struct diag *x = &d->v[i];

		if (j > 0) {
			struct diag *p = &d->v[j - 1];

			if (p->line == x->line && p->col == x->col &&
			    p->severity == x->severity &&
			    same_str(p->file, x->file) &&
			    same_str(p->path, x->path) &&
			    same_str(p->msg, x->msg)) {
				free(x->file);
				free(x->path);
				free(x->msg);
				continue;
			}
		}
		d->v[j++] = *x;
	}
	d->n = j;
}

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(d, DIAG_ERROR, file, line, col, path, fmt, ap);
	va_end(ap);
}

struct keyed {
	struct diag d;
	size_t i; /* original index: ties keep their order */
};

static int cmp_keyed(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	int c = strcmp(a->d.file ? a->d.file : "", b->d.file ? b->d.file : "");

	if (c)
		return c;
	if (a->d.line != b->d.line)
		return a->d.line < b->d.line ? -1 : 1;
	if (a->d.col != b->d.col)
		return a->d.col < b->d.col ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

void diags_sort(struct diags *d)
{
	/* Stable: qsort with the original index as the last key. */
	struct keyed *k;
	size_t i;

	if (d->n < 2)
		return;
	k = xmalloc(d->n * sizeof(*k));
	for (i = 0; i < d->n; i++) {
		k[i].d = d->v[i];
		k[i].i = i;
	}
	qsort(k, d->n, sizeof(*k), cmp_keyed);
	for (i = 0; i < d->n; i++)
		d->v[i] = k[i].d;
	free(k);
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
