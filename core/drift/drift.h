/*
 * drift.h: what moved in the clouds since dcform last applied.
 *
 * Read-only by construction: drift takes the last applied state, reads the
 * clouds (plan_refresh and each type's list_all), and reports
 *   - drifted attributes: the cloud differs from what was applied,
 *   - missing objects: in state, gone from the cloud,
 *   - unmanaged objects: in the cloud, known to no state of this
 *     configuration,
 *   - pending configuration changes: the manifests differ from state (not
 *     drift, but worth saying: a plan would change something).
 * `.dcformignore` silences known noise.
 *
 * Report (JSON, "format_version": 1):
 *   {"clean": bool, "drifted": [{"address","type","id",
 *      "changes": [{"path","applied","cloud"}]}],
 *    "missing": [{"address","type","id"}],
 *    "unmanaged": [{"type","region","id","name"}],
 *    "config_changes": [{"address","action","paths"}],
 *    "ignored": N}
 */
#ifndef DCFORM_DRIFT_H
#define DCFORM_DRIFT_H

#include <jansson.h>

#include "core/plan/plan.h"
#include "core/util/err.h"

/*
 * .dcformignore: one rule per line, `#` comments, blank lines ignored.
 *   TYPE.*                     the whole type (drift and unmanaged)
 *   TYPE.ID_OR_ADDRESS         one object, by cloud id or by address
 *   TYPE.ID_OR_ADDRESS.PATH    one attribute path of it (prefix match)
 *   *.*.PATH                   an attribute path on every object
 * `*` matches any run of characters (including none); nothing else is
 * special, so addresses like `lines[bj]` are written as they are.
 */
struct drift_ignore {
	char **rules;
	size_t n;
};

/* Parse `text` (from `file`, for messages).  Bad lines are errors with
 * FILE:LINE. */
int drift_ignore_parse(struct drift_ignore *out, const char *text,
		       const char *file, struct err *e);
void drift_ignore_release(struct drift_ignore *ig);

/* Whether (type, id or address, attribute path or NULL) is ignored. */
int drift_ignore_match(const struct drift_ignore *ig, const char *type,
		       const char *id, const char *address, const char *path);

/*
 * Build the report.  `state` is the last applied state, `refreshed` is
 * plan_refresh's result for it, `listed` maps type → region → {id:
 * attributes} from list_all (may be NULL: no unmanaged check), `changes`
 * is plan_diff(desired, state, refreshed) (may be NULL).  *out: new ref.
 */
int drift_report(json_t **out, const json_t *state, const json_t *refreshed,
		 const json_t *listed, const json_t *changes,
		 const struct drift_ignore *ig, struct err *e);

/*
 * list_all of every type with RT_CAP_LIST, in each region of `regions`
 * (provider name → array of regions).  *out: type → region → objects.
 */
int drift_list_unmanaged(json_t **out, const struct provider_set *ps,
			 const json_t *regions, struct err *e);

#endif
