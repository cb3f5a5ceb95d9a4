/*
 * expr.h: the `${…}` expressions of manifests.
 *
 *   ${var.NAME}            a variable
 *   ${env.NAME}            an environment variable
 *   ${each.key}            the key of the current for_each item
 *   ${each.value[.PATH]}   its value (or a member of it)
 *   ${NAME.ATTR[.PATH]}    an attribute of another resource
 *   ${NAME[KEY].ATTR}      … of one instance of a for_each resource
 *   $${                    a literal "${"
 *
 * A string that is exactly one expression takes the referenced value with
 * its type; otherwise the values are interpolated into a string (lists and
 * maps cannot be).
 */
#ifndef DCFORM_EXPR_H
#define DCFORM_EXPR_H

#include <stddef.h>
#include <jansson.h>

enum ref_kind { REF_VAR, REF_ENV, REF_EACH_KEY, REF_EACH_VALUE, REF_RESOURCE };

struct ref {
	enum ref_kind kind;
	char *name;   /* variable, env var or resource name */
	char *key;    /* NAME[KEY]: the instance key, else NULL */
	char *attr;   /* resource attribute or each.value path, may be NULL */
	size_t start; /* offset of "${" in the string */
	size_t end;   /* offset just past "}" */
};

struct refs {
	struct ref *v;
	size_t n;
};

/*
 * Parse the expressions of s.  On a syntax error returns -1 with a
 * message in errbuf (and the offset of the problem in *erroff).
 */
int expr_parse(struct refs *out, const char *s, char *errbuf, size_t errlen,
	       size_t *erroff);
void refs_release(struct refs *r);

/* Whether s holds "${" (an expression or an escape). */
int expr_has(const char *s);

/*
 * Callback giving a reference's value: a new reference, or NULL to keep
 * the expression as text (for resource references before apply), or
 * EXPR_ERROR (with errbuf filled) to fail.
 */
#define EXPR_ERROR ((json_t *)-1)
typedef json_t *(*expr_lookup_fn)(const struct ref *r, void *ctx,
				  char *errbuf, size_t errlen);

/*
 * Evaluate every expression in v (recursively through objects and
 * arrays).  *out: new value.  When a lookup keeps an expression, the
 * string stays as written (escapes included) so it can be evaluated again
 * later; with keep_escapes, "$${" stays "$${" everywhere (evaluation
 * at load time: the final one at plan/apply turns it into "${").
 * Returns 0, or -1 with errbuf and *errpath (the path below `path` where
 * it failed, malloc'd) set.
 */
int expr_eval(json_t **out, const json_t *v, const char *path,
	      expr_lookup_fn fn, void *ctx, int keep_escapes, char *errbuf,
	      size_t errlen, char **errpath);

#endif
