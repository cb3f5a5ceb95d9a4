/*
 * diag.h: diagnostics about manifests, each tied to a source position and a
 * property path.  Used by the loader, the expression evaluator, the schema
 * validator and the graph, and rendered by cmd/ as "FILE:LINE:COL: message"
 * or as JSON.
 *
 * Paths are dotted keys with [N] for array items, from the document root:
 * "resources.orders_db.properties.zones[0]".
 */
#ifndef DCFORM_DIAG_H
#define DCFORM_DIAG_H

#include <stddef.h>
#include "core/util/util.h"

enum diag_severity { DIAG_ERROR = 0, DIAG_WARNING = 1 };

struct diag {
	enum diag_severity severity;
	char *file; /* NULL when not tied to a file */
	int line;   /* 1-based; 0 when unknown */
	int col;    /* 1-based; 0 when unknown */
	char *path; /* property path, may be NULL */
	char *msg;  /* one line, lowercase start, no final period */
};

struct diags {
	struct diag *v;
	size_t n, alloc;
};

#define DIAGS_INIT         \
	{                  \
		NULL, 0, 0 \
	}

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *path, const char *fmt, ...) PRINTF_LIKE(6, 7);
/* A warning: shown, but does not make the configuration invalid. */
void diags_warn(struct diags *d, const char *file, int line, int col,
		const char *path, const char *fmt, ...) PRINTF_LIKE(6, 7);
/* Number of diagnostics of severity DIAG_ERROR. */
size_t diags_errors(const struct diags *d);
/* Drop exact duplicates (same position, path and message); call after sort. */
void diags_uniq(struct diags *d);
/* Sort by file, line, column (stable), for deterministic output. */
void diags_sort(struct diags *d);
void diags_release(struct diags *d);

#endif
