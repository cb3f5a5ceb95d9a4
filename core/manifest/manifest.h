/*
 * manifest.h: a configuration, loaded from a directory of YAML manifests.
 *
 * Loading reads every *.yaml / *.yml file of a directory in sorted order
 * (several documents each), turns libyaml's events into jansson values
 * while recording each value's file:line:column (struct srcmap, keyed by
 * property path), merges the documents, validates them against the
 * compiled-in schemas, applies variables and for_each, and checks every
 * ${…} reference.  References to other resources stay templates (see
 * expr.h): they become known during apply.
 *
 * Problems are diagnostics (diag.h) with positions, never printed here.
 * Limits: 4 MiB per file, nesting depth 64, 100000 nodes per file;
 * aliases are refused.
 */
#ifndef DCFORM_MANIFEST_H
#define DCFORM_MANIFEST_H

#include <stddef.h>
#include <jansson.h>
#include "core/manifest/diag.h"
#include "core/manifest/expr.h"

#define MANIFEST_MAX_FILE (4u << 20)
#define MANIFEST_MAX_DEPTH 64
#define MANIFEST_MAX_NODES 100000

/* A source position; file is borrowed from the srcmap's owner. */
struct srcpos {
	const char *file;
	int line, col; /* 1-based */
	/*
	 * For a one-line scalar whose text appears verbatim in the file: the
	 * column offset of its first character from col (1 when quoted, 0
	 * when plain), so that a position inside it can be given; -1
	 * otherwise.
	 */
	int verbatim;
};

/* Property path -> position of the value there (first one set wins). */
struct srcmap {
	json_t *index; /* path -> integer index into v */
	struct srcpos *v;
	size_t n, alloc;
	char **files; /* owned file names, positions point into them */
	size_t nfiles, files_alloc;
};

void srcmap_init(struct srcmap *m);
void srcmap_release(struct srcmap *m);
/* Remember file name (copied); returns the stored pointer. */
const char *srcmap_file(struct srcmap *m, const char *file);
void srcmap_set(struct srcmap *m, const char *path, const char *file, int line,
		int col);
/* Set the verbatim offset of path's position (see struct srcpos). */
void srcmap_set_verbatim(struct srcmap *m, const char *path, int verbatim);
/* Position of path, or of its nearest ancestor that has one; NULL if
 * none. */
const struct srcpos *srcmap_get(const struct srcmap *m, const char *path);

/* One YAML document with the positions of its values and keys. */
struct yaml_doc {
	json_t *value;
	struct srcmap vals, keys; /* paths from the document's root */
};

/*
 * Parse one YAML file's text into its documents (*docs, *n; free them with
 * yaml_docs_free).  Empty documents are left out with a warning.  Problems
 * go to d with `file` as their file name; positions point at `file`, which
 * must outlive the documents.  Returns the number of errors added.
 */
size_t yaml_parse_docs(struct yaml_doc **docs, size_t *n, const char *file,
		       const char *text, size_t len, struct diags *d);
void yaml_docs_free(struct yaml_doc *docs, size_t n);

/* A plain scalar as YAML 1.2's core schema reads it (new reference), or
 * NULL (with *why set) for a number out of range or .inf/.nan. */
json_t *yaml_plain_scalar(const char *s, const char **why);

struct manifest_variable {
	char *name;
	char *type; /* "string", "number", "bool", "list", "map" or NULL */
	char *description; /* or NULL */
	int sensitive;
	json_t *value;	    /* resolved value, NULL when none was given */
	const char *source; /* "--var", "--var-file", "DCFORM_VAR", "default" */
};

struct manifest_lifecycle {
	int prevent_destroy;
	int create_before_destroy;
	char **ignore_changes; /* property paths */
	size_t n_ignore_changes;
};

/* One resource instance: a resource without for_each, or one key of it. */
struct manifest_resource {
	char *address; /* "name" or "name[key]" */
	char *name;    /* the key under resources: */
	char *key;     /* for_each key, or NULL */
	char *type;
	char *path; /* "resources.NAME", for srcmap_get */
	/* Templates (expr.h): var. and each. substituted; only resource
	 * references (and unset env. ones) remain.  Finish with
	 * expr_resolve(). */
	json_t *properties;
	json_t *provider;  /* provider overrides {region, endpoint}, or NULL */
	char *region;	   /* region: override, or NULL */
	char **depends_on; /* resource names */
	size_t n_depends_on;
	struct manifest_lifecycle lifecycle;
	struct expr_refs refs; /* resource references in properties */
};

struct manifest_output {
	char *name;
	char *path;    /* "outputs.NAME" (or its value's path) */
	json_t *value; /* template */
	char *description;
	int sensitive;
	struct expr_refs refs;
};

struct manifest {
	char *dir;
	json_t *doc;	    /* the merged document, as written */
	struct srcmap src;  /* positions of doc's values */
	struct srcmap keys; /* positions of mapping keys */
	/* Settings with ${var.…} and ${env.…} evaluated (final values;
	 * an unset environment variable leaves its template): */
	json_t *providers; /* object (owned), never NULL */
	json_t *backend;   /* object (owned) or NULL */
	struct manifest_variable *vars;
	size_t n_vars;
	struct manifest_resource *resources; /* sorted by address */
	size_t n_resources;
	struct manifest_output *outputs; /* sorted by name */
	size_t n_outputs;
};

struct manifest_opts {
	const char *const *vars; /* "NAME=VALUE" from --var, in order */
	size_t n_vars;
	const char *const *var_files; /* YAML files from --var-file, in order */
	size_t n_var_files;
	/* Environment lookup (getenv when NULL); for DCFORM_VAR_* and env. */
	const char *(*getenv)(const char *name);
};

/*
 * Load the configuration in dir (or the single file dir names).  File
 * names in diagnostics are dir joined with the file's name ("." gives the
 * bare name).  Every problem is added to d, sorted; returns 0 when none
 * of them is an error, DCF_EINVALID otherwise (m is filled as far as
 * possible: resources whose references are wrong are left out), or another
 * negative code with e set when the directory cannot be read.  m must be
 * released in every case.
 */
int manifest_load(struct manifest *m, const char *dir,
		  const struct manifest_opts *opts, struct diags *d,
		  struct err *e);
/* The same for one file's text already in memory (file names it in
 * diagnostics); --var-file names in opts are still read from disk. */
int manifest_load_text(struct manifest *m, const char *file, const char *text,
		       size_t len, const struct manifest_opts *opts,
		       struct diags *d);
void manifest_release(struct manifest *m);

/* The instance with this address (borrowed), or NULL. */
const struct manifest_resource *manifest_find(const struct manifest *m,
					      const char *address);

/* Add a diagnostic positioned at path (its nearest known ancestor). */
void manifest_diag(const struct manifest *m, struct diags *d, const char *path,
		   const char *fmt, ...) PRINTF_LIKE(4, 5);
/* The same, at byte offset `off` inside the string at path when the
 * string is verbatim in its file (else at the string). */
void manifest_diag_at(const struct manifest *m, struct diags *d,
		      const char *path, size_t off, const char *fmt, ...)
    PRINTF_LIKE(5, 6);

#endif
