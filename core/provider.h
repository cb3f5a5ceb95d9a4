/*
 * provider.h: the two vtables between dcform's core and the clouds.
 *
 * A `struct provider` is one cloud account connection (Tencent Cloud, JD
 * Cloud): it is configured from the manifest's `providers:` block and the
 * cloud's conventional environment, and owns the signed API client.  A
 * `struct resource_type` is one kind of object of that cloud
 * (`tencentcloud_dcdb_instance`, `jdcloud_dc_connection`, …): it reads
 * objects back, finds them by dcform's idempotency token, expands a change
 * into the purchase steps of the product and runs each step.
 *
 * The contract that keeps core cloud-agnostic: attributes crossing this
 * boundary are in *property space*, i.e. named and shaped as in the type's
 * schema (schemas/<type>.json), never as the cloud's API fields.  A
 * provider translates both ways.  Core never sees `InstanceId` or
 * `connectionId`; a provider never sees git, plans or the CLI.
 *
 * Style follows libgit2's backends: a version first, designated
 * initialisers, MUST/MAY on every hook, and a capability mask that core
 * asks before calling an optional hook.  Hooks are called from one thread
 * at a time per provider context unless the provider sets
 * PROVIDER_CAP_THREADSAFE.
 */
#ifndef DCFORM_PROVIDER_H
#define DCFORM_PROVIDER_H

#include <jansson.h>

#include "core/util/err.h"

#define PROVIDER_VERSION 1
#define RESOURCE_TYPE_VERSION 1

struct http_engine;

/* Capabilities of a provider. */
#define PROVIDER_CAP_THREADSAFE (1u << 0)
#define PROVIDER_CAP_PREFLIGHT (1u << 1)

struct provider {
	int version;	  /* PROVIDER_VERSION */
	const char *name; /* "tencentcloud", "jdcloud" */
	unsigned caps;

	/*
	 * MUST: make a context from the manifest's provider block (`config`,
	 * borrowed, may be NULL) and the environment: credentials, region,
	 * endpoint.  `http` is the shared engine (borrowed; outlives the
	 * context).  Missing credentials are an error naming the variables.
	 */
	int (*configure)(void **out, const json_t *config,
			 struct http_engine *http, struct err *e);

	/* MUST: release a context made by configure (NULL is allowed). */
	void (*free)(void *ctx);

	/* MUST: the default region of this context (borrowed). */
	const char *(*region)(void *ctx);

	/*
	 * MAY (PROVIDER_CAP_PREFLIGHT): checks before money is spent.
	 * `total_fen` is the plan's total up-front cost on this cloud.  Puts
	 * into *out an array (new reference) of
	 *   {"check": "balance"|"real_name"|…, "ok": bool, "message": "…",
	 *    "details": {…}}.
	 * A failing check is not an error return: return 0 with ok=false.
	 * Return negative only when the checks themselves could not run.
	 */
	int (*preflight)(void *ctx, long long total_fen, json_t **out,
			 struct err *e);
};

/*
 * The kinds of step a change expands into (design §5).  The names are the
 * words users see in plans.
 */
enum step_kind {
	STEP_CREATE,
	STEP_CONFIRM,
	STEP_PAY,
	STEP_WAIT,
	STEP_INIT,
	STEP_UPDATE,
	STEP_DELETE,
	STEP_READ, /* final read-back of attributes into state */
};

const char *step_kind_name(enum step_kind k);
int step_kind_parse(enum step_kind *out, const char *name);

/* What a change does to one resource (Terraform's action names). */
enum change_action {
	CHANGE_NOOP,
	CHANGE_CREATE,
	CHANGE_UPDATE,
	CHANGE_REPLACE, /* delete then create (or create then delete) */
	CHANGE_DELETE,
	CHANGE_RESUME, /* pending work from an earlier apply continues */
};

const char *change_action_name(enum change_action a);

/*
 * One resource's change, as the diff computed it.  All json is borrowed.
 */
struct change {
	const char *address; /* "orders_db", "lines[bj]" */
	const char *type;
	const char *region;
	enum change_action action;
	/* Resolved desired properties (property space); unknown values
	 * (references to resources not yet created) are the string
	 * "(known after apply)".  NULL for a delete. */
	const json_t *desired;
	/* Attributes of the object as last refreshed, NULL for a create. */
	const json_t *current;
	/* Property paths ("shard.memory_gb") that differ, array of strings. */
	const json_t *changed;
	/* Pending work from an earlier apply ({"step", "data", …}), or NULL. */
	const json_t *pending;
};

/*
 * A step as the provider expands it (a JSON object; core adds "id",
 * "address", "depends_on"):
 *   {"kind": "create"|…, "title": "CreateDCDBInstance (prepaid, 1 month)",
 *    "side_effect": bool,      -- the call changes the cloud or spends money
 *    "timeout_class": "create"|"review"|"construction"|"init"|"delete"|…,
 *    "params": {…}}            -- private to the provider
 * Steps of one change run in array order.
 */

/* Outcome of run_step. */
#define STEP_DONE 0
#define STEP_IN_PROGRESS 1 /* wait steps: not yet; core polls again later */

/*
 * Everything run_step gets and gives back.  Core owns the struct.
 */
struct step_run {
	const char *address;
	const char *region;
	/* dcform's idempotency token for this resource and generation: the
	 * provider writes it where the cloud keeps it (DCDB ResourceTags
	 * `dcform-token`, JD connection `description`). */
	const char *token;
	const json_t *step;    /* the step object from expand (borrowed) */
	const json_t *desired; /* resolved properties, sensitive included */
	const json_t *current; /* attributes from state, NULL for a create */
	/*
	 * Data carried from step to step and across crashes (ids, deal
	 * names, order ids, flow ids): read and written by the provider,
	 * committed to state as the resource's pending.data.  Never put
	 * sensitive values here.  Owned by core, never NULL.
	 */
	json_t *data;
	/* Set by the provider when it knows the object's id (strdup'd). */
	char *id;
	/* Set by the provider after reading the object back (new ref). */
	json_t *attributes;
	/* Short cloud status for progress lines ("status 0 (creating)"). */
	char status[128];
	/*
	 * Set by core when an earlier run committed this step's intent but
	 * not its result (a crash): the call may or may not have reached
	 * the cloud.  intent_started_at: when that intent was committed
	 * (unix seconds).  A provider that can find what such a call left
	 * behind (an order, an object) looks before repeating it.
	 */
	int resumed_in_flight;
	long long intent_started_at;
	/* Cloud error code and request id of a failing call, if any. */
	char cloud_code[128];
	char request_id[64];
};

/* Capabilities of a resource type. */
#define RT_CAP_FIND_BY_TOKEN (1u << 0)
#define RT_CAP_IMPORT (1u << 1)
#define RT_CAP_LIST (1u << 2)
#define RT_CAP_QUOTE (1u << 3)

/* Where read_each puts each object read: attrs is a new reference the
 * sink takes. */
typedef void provider_sink_fn(void *arg, const char *id, json_t *attrs);

struct resource_type {
	int version;	      /* RESOURCE_TYPE_VERSION */
	const char *name;     /* "tencentcloud_dcdb_instance" */
	const char *provider; /* "tencentcloud" */
	unsigned caps;

	/*
	 * MUST: read the objects `ids` (array of strings, borrowed) of one
	 * region in as few calls as the API allows.  *out (new reference)
	 * maps id → attributes (property space); ids the cloud does not
	 * know are simply absent.  `ctx` is the provider's context.
	 */
	int (*read_many)(void *ctx, const char *region, const json_t *ids,
			 json_t **out, struct err *e);

	/* MAY (RT_CAP_LIST): every object of the type in the region, for
	 * drift's unmanaged objects.  Same *out shape as read_many. */
	int (*list_all)(void *ctx, const char *region, json_t **out,
			struct err *e);

	/*
	 * MAY (RT_CAP_FIND_BY_TOKEN), MUST for types whose create has side
	 * effects: the object carrying `token`.  0 with *out_id (malloc'd)
	 * and *out_attrs (new ref, may be NULL); DCF_ENOTFOUND when none.
	 */
	int (*find_by_token)(void *ctx, const char *region, const char *token,
			     char **out_id, json_t **out_attrs, struct err *e);

	/*
	 * MUST: expand a change into its steps (*out: new array).  Called
	 * at plan time; must not call the cloud.  For CHANGE_RESUME the
	 * provider returns the remaining steps after change->pending.
	 */
	int (*expand)(const struct change *c, json_t **out, struct err *e);

	/*
	 * MAY (RT_CAP_QUOTE): the price of a change.  *out (new ref):
	 *   {"upfront_fen": N, "monthly_fen": N, "hourly_fen": N,
	 *    "currency": "CNY", "detail": "…"}
	 */
	int (*quote)(void *ctx, const struct change *c, json_t **out,
		     struct err *e);

	/*
	 * MUST: run one step.  Returns STEP_DONE, STEP_IN_PROGRESS (waits
	 * only), or a negative error with e set (and run->cloud_code,
	 * run->request_id when the cloud answered).  Must be safe to call
	 * again after a crash at any point: before repeating a side effect
	 * the provider checks run->data and the cloud (an order already paid
	 * is not paid again).
	 */
	int (*run_step)(void *ctx, struct step_run *run, struct err *e);

	/* MAY (RT_CAP_IMPORT): read one object by id for `dcform import`.
	 * DCF_ENOTFOUND when the cloud does not know it. */
	int (*import)(void *ctx, const char *region, const char *id,
		      json_t **out, struct err *e);

	/*
	 * MAY: read_many object by object: sink(arg, id, attrs) is called
	 * for each object as soon as its answer is converted, and takes
	 * attrs (a new reference); the objects of one answer are passed
	 * before the next answer is parsed.  A large refresh then never
	 * holds a region's conversions at once (plan_refresh keeps the
	 * state's attributes instead of an equal reading).  Called on the
	 * reading thread; sink is never called concurrently for one call.
	 */
	int (*read_each)(void *ctx, const char *region, const json_t *ids,
			 provider_sink_fn *sink, void *arg, struct err *e);
};

/*
 * Largest number of objects a read_many may ask for in one call: 0 (the
 * default) means the API's maximum.  Set once, before any read, from
 * `--refresh-batch-size` (the benchmark's one-read-per-object baseline).
 * Providers size their batches with provider_batch_size(api_max).
 */
extern int provider_refresh_batch_size;

static inline size_t provider_batch_size(size_t api_max)
{
	if (provider_refresh_batch_size > 0 &&
	    (size_t)provider_refresh_batch_size < api_max)
		return (size_t)provider_refresh_batch_size;
	return api_max;
}

/* The static registry (providers/registry.c). */
const struct provider *provider_lookup(const char *name);
const struct resource_type *resource_type_lookup(const char *name);
/* NULL-terminated arrays, sorted by name. */
const struct provider *const *provider_all(void);
const struct resource_type *const *resource_type_all(void);

#endif
