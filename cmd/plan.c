/* dcform plan: what apply would do, with its steps and its price. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "render.h"
#include "run.h"
#include "core/util/buf.h"
#include "core/util/json.h"

static struct run_opts ro;
static const char *out_file;
static int detailed;
static int refresh = 1;

static const struct opt *plan_options(void)
{
	static const struct opt o[] = {
	    RUN_COMMON_OPTIONS(ro),
	    {"out", 'o', OPT_STRING, &out_file, "FILE",
	     "save the plan for `dcform apply FILE`"},
	    {"detailed-exitcode", 0, OPT_BOOL, &detailed, NULL,
	     "exit 2 when there are changes, 0 when none"},
	    {"refresh", 0, OPT_BOOL, &refresh, NULL,
	     "read the clouds first (--refresh=false: trust the state)"},
	    {"target", 0, OPT_LIST, &ro.targets, "ADDR",
	     "plan only ADDR and what it depends on"},
	    {"destroy", 0, OPT_BOOL, &ro.destroy, NULL,
	     "plan to destroy every resource in the state"},
	    {"skip-preflight", 0, OPT_LIST, &ro.skip_preflight, "NAME",
	     "do not let preflight check NAME block apply"},
	    {"json", 0, OPT_BOOL, &gopts.json, NULL,
	     "print the plan as JSON (docs/plan-json.md)"},
	    OPT_END,
	};
	return o;
}

static int plan_run(int argc, const char **argv)
{
	struct run r;
	struct err e = ERR_INIT;
	json_t *plan = NULL;
	int ret;

	if (argc > 1) {
		cmd_error("plan: takes at most one directory");
		return EXIT_USAGE;
	}
	ro.no_refresh = !refresh;
	if (run_load(&r, argc ? argv[0] : ".", &ro)) {
		run_release(&r);
		return EXIT_ERR;
	}
	if (run_state(&r, &e) < 0 || run_providers(&r, &e) < 0 ||
	    run_plan(&r, &plan, &e) < 0) {
		cmd_error("%s", e.msg);
		ret = EXIT_ERR;
		goto out;
	}
	if (out_file && plan_save(plan, out_file, &e) < 0) {
		cmd_error("%s", e.msg);
		ret = EXIT_ERR;
		goto out;
	}
	if (gopts.json) {
		char *s =
		    json_dumps_malloc(plan, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", s);
		free(s);
	} else {
		render_plan_text(stdout, plan);
		if (!plan_preflight_ok(plan))
			printf(
			    "\nPreflight failed: apply will refuse this plan "
			    "unless the failing check is fixed or skipped "
			    "with --skip-preflight NAME.\n");
		if (out_file)
			printf("\nSaved the plan to %s. Apply exactly it with: "
			       "dcform apply %s\n",
			       out_file, out_file);
	}
	ret = detailed && plan_has_changes(plan) ? EXIT_CHANGES : EXIT_OK;
out:
	run_release_at_exit(&r, plan);
	return ret;
}

const struct cmd cmd_plan_def = {
    .name = "plan",
    .usage = "plan [DIR] [--out FILE] [--json] [--detailed-exitcode]",
    .summary = "Show what apply would buy, change and delete, and the price",
    .help = "Reads the manifests of DIR, the state and the clouds (in as\n"
	    "few calls as their APIs allow), and prints per resource the\n"
	    "change, its purchase steps (create, confirm, pay, wait, init)\n"
	    "and the money, then the preflight checks (balance, real-name\n"
	    "verification). Nothing is changed.",
    .options = plan_options,
    .run = plan_run,
    .exit_codes = "0   no changes (or changes without --detailed-exitcode)\n"
		  "1   error\n"
		  "2   changes (with --detailed-exitcode)\n"
		  "64  bad command line",
};
