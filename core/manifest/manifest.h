/*
 * manifest.h: a directory of YAML manifests as one configuration.
 *
 * manifest_load() reads every *.yaml / *.yml file of a directory (sorted,
 * several documents each), merges them, validates them against the
 * compiled-in schemas, resolves variables (`--var`, `--var-file`,
 * DCFORM_VAR_X, defaults, in that precedence), environment references and
 * for_each, checks every reference to another resource (it exists, the
 * attribute exists for its type, no self-reference, no cycle) and builds
 * the desired resources.  References to resources stay as `${…}` text
 * until plan and apply know the values (manifest_resolve_refs).
 *
 * Every problem is a diagnostic with FILE:LINE:COL, the property path and
 * what is allowed; all problems are reported, not only the first.
 */
#ifndef DCFORM_MANIFEST_H
#define DCFORM_MANIFEST_H

#include <jansson.h>

#include "core/manifest/diag.h"
#include "core/manifest/yaml.h"

struct manifest_opts {
	const char *const *vars;      /* "name=value" */
	size_t nvars;
	const char *const *var_files; /* YAML files of name: value */
	size_t nvar_files;
};

struct manifest {
	json_t *doc;       /* the merged document as written */
	/*
	 * address → {"name", "key" (for_each), "type", "provider",
	 * "region", "endpoint", "properties" (variables resolved, resource
	 * references still "${…}"), "lifecycle", "depends_on": [addresses],
	 * "source": "resources.NAME"}
	 */
	json_t *desired;
	json_t *outputs;   /* name → {"value", "sensitive", "description"} */
	json_t *providers; /* name → block (region, endpoint, profile) */
	json_t *backend;   /* the backend block or NULL */
	json_t *variables; /* name → resolved value (sensitive included) */
	json_t *sensitive_vars; /* name → true */
	struct posmap pm;
	int nfiles;
};

/* Load dir.  Returns the number of errors added to d (0: usable). */
size_t manifest_load(struct manifest *m, const char *dir,
		     const struct manifest_opts *o, struct diags *d);
void manifest_release(struct manifest *m);

/* Fill file/line/col of diagnostics that have only a path. */
void manifest_locate(const struct manifest *m, struct diags *d);

/*
 * Attribute of a resource for reference resolution: a new reference, or
 * NULL when it is not known yet (the resource is not created).
 */
typedef json_t *(*manifest_attr_fn)(const char *address, const char *attr,
				    void *ctx);

/*
 * v with every `${NAME.ATTR}` replaced through fn.  Values not known yet
 * become PROPS_UNKNOWN (a string holding one becomes PROPS_UNKNOWN as a
 * whole); *unknown (may be NULL) is set when any did.  New reference.
 */
json_t *manifest_resolve_refs(const json_t *v, manifest_attr_fn fn, void *ctx,
			      int *unknown);

/* The provider name of a resource type ("tencentcloud", "jdcloud"). */
const char *manifest_type_provider(const char *type);

#endif
