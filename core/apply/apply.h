/*
 * apply.h: run a plan's steps against the clouds, idempotently.
 *
 * The executor walks the step DAG of a plan with `parallelism` worker
 * threads: every step whose dependencies are done is ready.  Before a
 * batch of side-effecting steps starts, the *intent* of each (resource,
 * step, idempotency token) is written into the state document and
 * committed through hooks->commit; their *results* (ids, order numbers,
 * attributes) are committed with the next batch of intents, or within a
 * second, and always before the executor sleeps or returns.  So a crash
 * at any point leaves a state that says what may have happened, and the
 * next run resumes: a create whose intent has no result is first looked up
 * in the cloud by its token (find_by_token) and adopted if found.
 *
 * Only the main thread touches the state document and calls the hooks;
 * workers call the provider on copies.  Steps of a provider without
 * PROVIDER_CAP_THREADSAFE run one at a time.
 *
 * Waits (STEP_IN_PROGRESS) are polled with backoff while other branches of
 * the DAG go on.  When a wait passes its timeout the resource stays
 * `pending` at that step, its dependents are skipped, and the run ends
 * cleanly; the next plan shows `resume`.  An error stops only the
 * resource's dependents; every success is kept.
 *
 * State layout written here, per resource (state["resources"][ADDR]):
 *   {"type", "provider", "region", "id", "attributes", "sensitive_digests",
 *    "dependencies", "generation",
 *    "pending": {"phase", "step", "kind", "completed", "token",
 *                "generation", "data", "started_at", "in_flight": bool}}
 */
#ifndef DCFORM_APPLY_H
#define DCFORM_APPLY_H

#include <jansson.h>

#include "core/plan/plan.h"
#include "core/util/err.h"

struct apply_hooks {
	/*
	 * MUST: persist `state` (borrowed) as a new version with `message`
	 * as the first line of the commit message.  A failure stops the
	 * run: nothing further is sent to the clouds.
	 */
	int (*commit)(void *arg, json_t *state, const char *message,
		      struct err *e);
	/*
	 * MUST: desired properties of `address` resolved against `state`
	 * (references to other resources filled in from their attributes).
	 * New reference; NULL with e set when a reference is still unknown.
	 */
	json_t *(*resolve)(void *arg, const char *address, const json_t *state,
			   struct err *e);
	/*
	 * MAY: progress.  ev = {"event": "start"|"done"|"waiting"|"error"|
	 * "timeout"|"skipped"|"adopted", "address", "step", "kind", "title",
	 * "status", "elapsed_ms", "message"}.
	 */
	void (*event)(void *arg, const json_t *ev);
	void *arg;
};

struct apply_opts {
	int parallelism; /* steps running at once (default 10) */
	/* Seconds a wait step may take, by the step's timeout_class
	 * ("create", "review", "construction", "init", …) and "default". */
	const json_t *wait_timeouts;
	long poll_min_ms; /* first poll delay (default 500) */
	long poll_max_ms; /* backoff cap (default 10000) */
};

/* Default wait timeouts in seconds (new reference). */
json_t *apply_default_wait_timeouts(void);

/*
 * Run `plan` on `state` (modified in place; lineage must be set).
 * *out_summary (new ref): {"done", "failed", "skipped", "pending",
 * "errors": [{"address","step","message","cloud_code","request_id"}],
 * "waiting": [{"address","step","status"}]}.  Returns 0 when every step
 * either finished or was left pending on a wait timeout; DCF_EPROVIDER
 * (message: the first error) when some step failed; other negatives when
 * the run could not go on (commit failures).
 */
int apply_run(json_t *state, const json_t *plan, const struct provider_set *ps,
	      const struct apply_opts *opts, const struct apply_hooks *hooks,
	      json_t **out_summary, struct err *e);

/* dcform's idempotency token of a resource generation: 32 hex digits
 * derived from lineage, address and generation.  out holds 40 bytes. */
void apply_token(char out[40], const char *lineage, const char *address,
		 long long generation);

#endif
