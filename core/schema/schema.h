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
 *
 * Every path names the value a problem is about: a missing required
 * property is reported at its object, an unknown property or an invalid
 * key name at that key's own path ("resources.db.properties.memroy_gb").
 * The corpus tests/manifests/bad/2NN-* expects each path mapped to the
 * position of its value (for a block mapping: its first key).
 *
 * Validating a document against "manifest" also validates each resource's
 * `properties` against its type's schema.  Setting an x-computed property
 * is an error.  Strings holding "${" are accepted wherever a value is (see
 * schema_is_expression).  Values of x-sensitive properties never appear in
 * messages.
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

/*
 * Marks of a property (schema_property_flags):
 *   SCHEMA_FORCE_NEW  "x-force-new": a change means replace
 *   SCHEMA_SENSITIVE  "x-sensitive": never stored or printed
 *   SCHEMA_COMPUTED   "x-computed": read from the cloud
 */
#define SCHEMA_FORCE_NEW (1u << 0)
#define SCHEMA_SENSITIVE (1u << 1)
#define SCHEMA_COMPUTED (1u << 2)

/*
 * The subschema (borrowed, $refs followed) of the property at `path` of
 * resource type `type`: dotted keys, array items as ".N" or "[N]"
 * ("shard.memory_gb", "zones[0]", "bgp.auth_key").  NULL when the type or
 * the path is unknown.
 */
const json_t *schema_property(const char *type, const char *path);

/*
 * Marks of the property at `path` of `type` together with those of its
 * ancestors (members of a sensitive object are sensitive): a mask of
 * SCHEMA_*.  0 when the type or the path is unknown.
 */
unsigned schema_property_flags(const char *type, const char *path);

/* Whether any property of `type` carries "x-sensitive" (0 for an unknown
 * type). */
int schema_has_sensitive(const char *type);

/*
 * Follow "$ref" from node (a subschema of the compiled-in schema `root`):
 * "#/$defs/…" inside root, "<name>.json" or "<name>.json#/…" in another
 * compiled-in schema.  Returns node itself when it has no $ref, NULL when
 * the reference does not resolve.  *root_out (may be NULL) receives the
 * document the result belongs to.
 */
const json_t *schema_deref(const json_t *root, const json_t *node,
			   const json_t **root_out);

/*
 * Whether s is an expression string ("${…}" somewhere in it).  Such values
 * are accepted wherever the schema allows any value, since their type is
 * known only after resolution; validate again after resolving them.
 */
int schema_is_expression(const json_t *v);

/*
 * A self-contained copy (new reference) of the compiled-in schema `name`
 * for editors and other validators: every schema it references by file
 * ("tencentcloud_dcdb_instance.json") is copied under "$defs" and the
 * reference rewritten to "#/$defs/<name>".  NULL when name is unknown.
 */
json_t *schema_bundle(const char *name);

#endif
