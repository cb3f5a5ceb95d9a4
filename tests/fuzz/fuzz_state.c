/*
 * libFuzzer target: any bytes as a state document (what `--state FILE`,
 * `state pull` and every state version hold), through the code that
 * consumes one: the diff against an empty and a one-resource desired
 * configuration, plan and destroy steps, and the drift report.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/drift/drift.h"
#include "core/plan/plan.h"
#include "core/util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *state = NULL, *desired, *refreshed, *changes, *steps, *rep;
	json_t *none;
	struct err e = ERR_INIT;
	int destroy;

	if (json_parse(&state, (const char *)data, size, "fuzz", &e) < 0)
		return 0;
	none = json_object();
	if (!json_is_object(state) ||
	    json_get_int(state, "format_version", 0) != 1) {
		json_decref(state);
		json_decref(none);
		return 0;
	}
	desired =
	    json_pack("{s:{s:s,s:s,s:s,s:{s:s},s:{},s:[]}}", "db", "type",
		      "tencentcloud_dcdb_instance", "provider", "tencentcloud",
		      "region", "ap-guangzhou", "properties", "name", "x",
		      "lifecycle", "depends_on");
	/* What a refresh could say: everything gone, or as recorded. */
	refreshed = json_object();
	for (destroy = 0; destroy < 2; destroy++) {
		changes = steps = NULL;
		err_clear(&e);
		if (plan_diff(&changes, destroy ? none : desired, state,
			      refreshed, destroy, &e) == 0 &&
		    plan_steps(&steps, changes, state, &e) == 0)
			json_decref(steps);
		json_decref(changes);
	}
	rep = NULL;
	if (drift_report(&rep, state, refreshed, NULL, NULL, NULL, &e) == 0)
		json_decref(rep);
	json_decref(refreshed);
	json_decref(desired);
	json_decref(none);
	json_decref(state);
	return 0;
}
