/* dcform show: a saved plan, for people, machines or pull requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "render.h"
#include "core/plan/plan.h"
#include "core/util/buf.h"
#include "core/util/json.h"

static const char *format;

static const struct opt *show_options(void)
{
	static const struct opt o[] = {
	    {"json", 0, OPT_BOOL, &gopts.json, NULL,
	     "print the plan as JSON (docs/plan-json.md)"},
	    {"format", 0, OPT_STRING, &format, "FORMAT",
	     "text (default), json or markdown (for pull requests)"},
	    OPT_END,
	};
	return o;
}

static int show_run(int argc, const char **argv)
{
	struct err e = ERR_INIT;
	json_t *plan = NULL;
	const char *f = format ? format : gopts.json ? "json" : "text";

	if (argc != 1) {
		cmd_error("show: expected one plan file (dcform plan --out "
			  "FILE)");
		return EXIT_USAGE;
	}
	if (strcmp(f, "text") && strcmp(f, "json") && strcmp(f, "markdown")) {
		cmd_error("show: unknown --format '%s'; allowed: text, json, "
			  "markdown",
			  f);
		return EXIT_USAGE;
	}
	if (plan_load(&plan, argv[0], &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_ERR;
	}
	if (!strcmp(f, "json")) {
		char *s =
		    json_dumps_malloc(plan, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s);
		free(s);
	} else if (!strcmp(f, "markdown")) {
		struct buf b = BUF_INIT;

		render_plan_markdown(&b, plan);
		fputs(b.ptr, stdout);
		buf_release(&b);
	} else {
		render_plan_text(stdout, plan);
	}
	json_decref(plan);
	return EXIT_OK;
}

const struct cmd cmd_show_def = {
    .name = "show",
    .usage = "show PLANFILE [--json | --format markdown]",
    .summary = "Show a saved plan",
    .help = "Prints a plan saved with `dcform plan --out FILE` as text,\n"
	    "as JSON (the plan file itself, docs/plan-json.md) or as\n"
	    "markdown for a pull-request comment (summary table, money,\n"
	    "preflight, each resource's steps in a collapsible block).",
    .options = show_options,
    .run = show_run,
    .exit_codes = "0   shown\n1   not a plan file\n64  bad command line",
};
