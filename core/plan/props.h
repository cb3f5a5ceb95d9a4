/*
 * props.h: resource properties as the plan sees them.
 *
 * Properties are jansson values shaped as in the type's schema.  This
 * module reads the schema marks (x-force-new, x-sensitive, x-computed) for
 * a property path, compares desired properties with attributes read back
 * from the cloud, and keeps sensitive values out of anything stored: state
 * gets a keyed digest per sensitive path instead of the value.
 *
 * Paths are dotted ("shard.memory_gb", "zones.0").  Unknown values (a
 * reference to an attribute that exists only after apply) are the string
 * PROPS_UNKNOWN.
 */
#ifndef DCFORM_PLAN_PROPS_H
#define DCFORM_PLAN_PROPS_H

#include <jansson.h>

#define PROPS_UNKNOWN "(known after apply)"

#define PROP_FORCE_NEW (1u << 0)
#define PROP_SENSITIVE (1u << 1)
#define PROP_COMPUTED (1u << 2)

/*
 * Marks of the property at `path` of resource type `type`, with the marks
 * of its ancestors (a sensitive object makes its members sensitive).
 * 0 when the type or the path is unknown.
 */
unsigned props_flags(const char *type, const char *path);

/* Whether v is PROPS_UNKNOWN or holds one anywhere inside. */
int props_has_unknown(const json_t *v);

/*
 * Append to `out` (an array) the paths where `desired` differs from
 * `current`.  Only what desired sets is compared: attributes the user
 * leaves out are the cloud's to choose.  Objects are compared member by
 * member, arrays and scalars as whole values, integers equal to reals of
 * the same value.  Sensitive paths are compared through `digests`
 * (path → digest, see props_digest; may be NULL) with `key`.  Computed
 * properties are never compared.
 */
void props_diff(json_t *out, const char *type, const json_t *desired,
		const json_t *current, const json_t *digests, const char *key);

/*
 * A copy of props (new reference) without sensitive values; when digests
 * is not NULL, it receives path → keyed digest of each removed value.
 */
json_t *props_redact(const char *type, const json_t *props, json_t *digests,
		     const char *key);

/* Keyed digest ("hmac-sha256:<hex>") of a value, for change detection of
 * values that are never stored.  out must hold 80 bytes. */
void props_digest(char out[80], const json_t *value, const char *key);

/* Equality of two property values (integers equal to reals). */
int props_equal(const json_t *a, const json_t *b);

#endif
