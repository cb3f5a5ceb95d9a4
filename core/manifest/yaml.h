/*
 * yaml.h: YAML files to jansson values, keeping where each value came from.
 *
 * libyaml's event parser drives a recursive reader.  Plain scalars are
 * typed as YAML 1.2's core schema says (null, true/false, integers,
 * floats); quoted scalars are always strings.  Every value's position is
 * recorded in a `struct posmap` under its path from the document root
 * ("resources.db.properties.zones[0]"): for a block mapping that is the
 * position of its first key, for a scalar the scalar itself.  Keys are
 * recorded too, under "path#key", so messages about a key can point at it.
 *
 * Refused with a clear FILE:LINE:COL error: syntax errors (libyaml's own,
 * which include tabs used for indentation and invalid UTF-8), duplicate
 * keys (both positions), aliases (YAML anchors are allowed but unused:
 * aliases make "billion laughs" trivial and manifests never need them),
 * non-scalar keys, files over YAML_MAX_FILE bytes, nesting deeper than
 * YAML_MAX_DEPTH, more than YAML_MAX_NODES values.
 */
#ifndef DCFORM_YAML_H
#define DCFORM_YAML_H

#include <jansson.h>

#include "core/manifest/diag.h"

#define YAML_MAX_FILE (4u << 20)
#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 100000

struct pos {
	const char *file; /* borrowed from the posmap's file list */
	int line, col;    /* 1-based */
};

/* path → position, for every value of every document loaded. */
struct posmap {
	json_t *map;   /* path → [file index, line, col] */
	char **files;
	size_t nfiles;
};

void posmap_init(struct posmap *pm);
void posmap_release(struct posmap *pm);
/* Record a position (file is copied once per distinct name). */
void posmap_set(struct posmap *pm, const char *path, const char *file,
		int line, int col);
/* Position of path, or of its nearest recorded ancestor; 0 when none. */
int posmap_get(const struct posmap *pm, const char *path, struct pos *out);
/* Move every position under `from` to `to` (for_each expansion, merges). */
void posmap_copy_prefix(struct posmap *pm, const char *from, const char *to);

/*
 * Parse `text` (len bytes) from `file`.  *out gets an array (new ref) of
 * the documents' values; positions are recorded with `prefix` prepended
 * to each document's paths (may be ""; documents of one file share it).
 * Problems are added to d; returns the number added (0: success).
 */
size_t yaml_parse(json_t **out, const char *file, const char *text,
		  size_t len, struct posmap *pm, struct diags *d);

/* Read and parse a file (size limit included). */
size_t yaml_load_file(json_t **out, const char *file, struct posmap *pm,
		      struct diags *d);

/* "a.b" + key → "a.b.key" (or "key"); + index → "a.b[3]". New string. */
char *path_key(const char *path, const char *key);
char *path_index(const char *path, size_t i);

#endif
