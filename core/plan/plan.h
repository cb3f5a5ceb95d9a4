/*
 * plan.h: from desired resources, the last applied state and what the
 * clouds say now, to a plan: changes per resource, expanded into the
 * purchase steps of each product, ordered as a DAG, with prices and
 * preflight checks.
 *
 * A plan is one JSON document (the plan file of `plan -out`):
 *   {"format_version": 1, "tool_version", "created_at", "workspace",
 *    "lineage", "serial", "state_commit",      -- the state it was made on
 *    "destroy": bool,
 *    "resource_changes": [change…],            -- sorted by address
 *    "steps": [step…],                          -- in a valid run order
 *    "quotes": {"total_upfront_fen", "total_monthly_fen", "by_address"},
 *    "preflight": [{"provider","check","ok","message"}…],
 *    "outputs": {…},
 *    "summary": {"create","update","replace","delete","resume","noop"}}
 * change = {"address","type","provider","region","id","action",
 *   "actions": ["create"] | ["update"] | ["delete","create"] | …,
 *   "before": {…}|null, "after": {…}|null (sensitive values removed),
 *   "after_unknown": [paths], "changed": [paths], "replace_paths": [paths],
 *   "drift": [paths], "note": "…", "depends_on": [addresses],
 *   "sensitive_digests": {path: digest}}
 * step = provider's step object plus {"id": "ADDR#N", "address",
 *   "action": the change's, "phase": "create"|"delete"|…,
 *   "depends_on": [step ids]}
 */
#ifndef DCFORM_PLAN_H
#define DCFORM_PLAN_H

#include <jansson.h>

#include "core/provider.h"
#include "core/util/err.h"

#define PLAN_FORMAT_VERSION 1

/* The configured providers of one run. */
struct provider_set {
	const struct provider *p[8];
	void *ctx[8];
	size_t n;
};

/* Context of provider `name`, or NULL when not configured. */
void *provider_set_ctx(const struct provider_set *s, const char *name);
/* Free every context. */
void provider_set_release(struct provider_set *s);

/*
 * Desired resources, address → {"type", "provider", "region",
 * "properties" (resolved; unknown values are PROPS_UNKNOWN),
 * "lifecycle": {"prevent_destroy", "ignore_changes", "create_before_destroy"},
 * "depends_on": [addresses]}.
 */

/*
 * Read back every resource of state["resources"] that has an id, per type
 * and region in as few calls as the types allow.  *out (new reference):
 * address → attributes, or JSON null when the cloud no longer knows the
 * object.  Resources without an id are absent.
 */
int plan_refresh(json_t **out, const struct provider_set *ps,
		 const json_t *state, int parallelism, struct err *e);

/*
 * Compare desired with the state and the refreshed attributes.  *out (new
 * array, sorted by address) gets one change per address in either.  With
 * destroy set, every resource in state is deleted.  Errors: a
 * `prevent_destroy` resource that would be deleted or replaced.
 */
int plan_diff(json_t **out, const json_t *desired, const json_t *state,
	      const json_t *refreshed, int destroy, struct err *e);

/*
 * Expand each change through its resource type into steps and order them:
 * creates after the creates of what they reference, deletes after the
 * deletes of what references them, replace as delete-then-create unless
 * create_before_destroy.  *out: new array of steps in run order.
 */
int plan_steps(json_t **out, const json_t *changes, const json_t *state,
	       struct err *e);

/*
 * Prices of the changes (types with RT_CAP_QUOTE) and the preflight
 * checks of each provider against the totals.  Fills plan["quotes"] and
 * plan["preflight"].  A failing check is data, not an error.
 */
int plan_quote_and_preflight(json_t *plan, const struct provider_set *ps,
			     struct err *e);

/* Counts of plan["resource_changes"] by action into plan["summary"]. */
void plan_summarise(json_t *plan);

/* Whether any change is not a no-op. */
int plan_has_changes(const json_t *plan);

/* Whether every preflight check passed. */
int plan_preflight_ok(const json_t *plan);

/* Write a plan file (0600, atomic) / read one back, refusing other
 * format versions. */
int plan_save(const json_t *plan, const char *path, struct err *e);
int plan_load(json_t **out, const char *path, struct err *e);

#endif
