/*
 * schema.h: the resource-type schemas of schemas/ (compiled in) and a
 * validator for the subset of JSON Schema draft 2020-12 those files use.
 *
 * Schemas are data: every resource type is described once, in
 * schemas/<type>.json, and this one generic validator serves them all.
 * Extension keywords: "x-force-new" (a change means replace),
 * "x-sensitive" (never stored or printed), "x-computed" (read from the
 * cloud; not settable in manifests, but referable as ${NAME.ATTR}).
 */
#ifndef DCFORM_SCHEMA_H
#define DCFORM_SCHEMA_H

#include <stddef.h>
#include <jansson.h>
#include "core/manifest/diag.h"

/* The compiled-in schema called name ("manifest",
 * "tencentcloud_dcdb_instance", …); borrowed, NULL when unknown. */
const json_t *schema_get(const char *name);

/* Sorted names of the resource types (everything but "manifest"). */
const char *const *schema_resource_types(size_t *n);

/*
 * Validate value against schema.  Each problem is added to out with its
 * property path (base_path, then ".key" / "[N]" below it) and no position
 * (line 0): the caller maps paths to file:line:col.  Messages name the
 * property, what was found and what is allowed (enum values, ranges, "did
 * you mean" for unknown properties).  Returns the number of problems
 * added.
 */
size_t schema_validate(const json_t *schema, const json_t *value,
		       const char *base_path, struct diags *out);

/*
 * Whether resources of `type` have attribute `attr` (a top-level property
 * or an x-computed one such as "id"), for checking ${NAME.ATTR}.
 * 1 yes, 0 no; *suggest (borrowed, may be NULL) names the closest one.
 */
int schema_has_attribute(const char *type, const char *attr,
			 const char **suggest);

#endif
