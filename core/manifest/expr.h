/*
 * expr.h: the ${…} expression language of manifests.
 *
 * A string value is a template: literal text, "$${" (a literal "${") and
 * references "${REF}" where REF is one of
 *   var.NAME                 an input variable
 *   env.NAME                 an environment variable
 *   each.key, each.value[.FIELD…]   inside a resource with for_each
 *   NAME.ATTR, NAME[KEY].ATTR        an attribute of another resource
 * (KEY is a literal for_each key or each.key).  A string that is exactly
 * one reference takes the referenced value's type; otherwise the pieces are
 * joined into a string.
 *
 * Invariant: after loading, every string of a configuration is a template
 * (escapes kept; var., env. and each. references substituted where known);
 * expr_eval()/expr_resolve() turn every string whose references are all
 * known into its final value (escapes processed).
 */
#ifndef DCFORM_EXPR_H
#define DCFORM_EXPR_H

#include <stddef.h>
#include <jansson.h>
#include "core/util/err.h"

enum expr_ref_kind {
	EXPR_VAR,	 /* ${var.NAME}: name */
	EXPR_ENV,	 /* ${env.NAME}: name */
	EXPR_EACH_KEY,	 /* ${each.key} */
	EXPR_EACH_VALUE, /* ${each.value[.FIELD…]}: attr = "FIELD.FIELD" or NULL
			  */
	EXPR_RESOURCE,	 /* ${NAME.ATTR} / ${NAME[KEY].ATTR}: name, key, attr */
};

struct expr_ref {
	enum expr_ref_kind kind;
	char *name;	 /* variable, environment variable or resource name */
	char *key;	 /* for_each key of a resource reference, or NULL */
	int key_is_each; /* KEY was written each.key (key is NULL then) */
	char *attr;	 /* attribute (resource) or field path (each.value) */
	char *address;	 /* EXPR_RESOURCE: "NAME" or "NAME[KEY]" */
	char *path; /* property path of the value holding it (expr_collect) */
	size_t offset; /* byte offset of its "${" in the string */
};

struct expr_refs {
	struct expr_ref *v;
	size_t n, alloc;
};
#define EXPR_REFS_INIT     \
	{                  \
		NULL, 0, 0 \
	}
void expr_refs_release(struct expr_refs *r);

/*
 * Append the references of template s to out (path copied into each, may
 * be NULL).  Returns 0, or DCF_EINVALID with a message for a malformed
 * template ("unterminated ${", unknown form, …); refs before the error are
 * kept.
 */
int expr_parse(struct expr_refs *out, const char *s, const char *path,
	       struct err *e);

/*
 * Append the references in every string of v (recursively) to out, each
 * with the property path of its string (base_path, then ".key" / "[N]").
 * Malformed templates are skipped here (expr_parse reports them).
 */
void expr_collect(struct expr_refs *out, const json_t *v,
		  const char *base_path);

/* Whether string s holds at least one reference (not counting "$${"). */
int expr_has_refs(const char *s);

/*
 * Look a reference up: return 1 with *out a new reference to its value,
 * 0 when it is not known yet (the template is kept), or a negative DCF_E*
 * code with a message in e.
 */
typedef int (*expr_lookup_fn)(void *ctx, const struct expr_ref *ref,
			      json_t **out, struct err *e);

/*
 * Evaluate every template in v (recursively).  *out (new reference) is v
 * with each string whose references are all known replaced by its final
 * value; strings with unknown references become templates again, the
 * known references in them substituted (escaped).  *unknown (may be NULL)
 * receives the number of strings left unresolved.  On error, returns the
 * negative code with "PATH: message" in e and *out NULL.
 */
int expr_eval(json_t **out, const json_t *v, expr_lookup_fn lookup, void *ctx,
	      const char *base_path, size_t *unknown, struct err *e);

/*
 * Like expr_eval, but every string stays a template (escapes kept, known
 * references substituted and their values escaped), so that a later
 * expr_eval/expr_resolve finishes the job.  The loader uses this for
 * var., env. and each. references.
 */
int expr_substitute(json_t **out, const json_t *v, expr_lookup_fn lookup,
		    void *ctx, const char *base_path, size_t *unknown,
		    struct err *e);

/*
 * For later stages (plan, apply): resolve resource references with
 * lookup(ctx, address, attr) returning a new reference to the value, or
 * NULL while unknown.  Other reference kinds are left as they are.
 * Returns the new value (new reference), *unknown set as for expr_eval;
 * NULL on error with the message in e.
 */
typedef json_t *(*expr_attr_fn)(void *ctx, const char *address,
				const char *attr);
json_t *expr_resolve(const json_t *value, expr_attr_fn lookup, void *ctx,
		     size_t *unknown, struct err *e);

/* Text of v for interpolation into a string (new string), or NULL when
 * v is an object or array. */
char *expr_to_text(const json_t *v);

#endif
