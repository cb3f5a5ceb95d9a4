/*
 * dcform validate [DIR]: load and check a configuration without touching
 * any cloud; every problem as FILE:LINE:COL: error: PATH: message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cmd.h"
#include "core/graph/graph.h"
#include "core/manifest/manifest.h"
#include "core/util/util.h"
#include "validate.h"

static struct strlist vars, var_files;
static int json_out;

static const struct opt *validate_options(void)
{
	static const struct opt o[] = {
	    {"var", 0, OPT_LIST, &vars, "NAME=VALUE",
	     "set a variable (wins over --var-file, DCFORM_VAR_NAME, default)"},
	    {"var-file", 0, OPT_LIST, &var_files, "FILE",
	     "read variables from a YAML file (later files win)"},
	    {"json", 0, OPT_BOOL, &json_out, NULL,
	     "print the diagnostics as JSON"},
	    OPT_END,
	};
	return o;
}

void validate_print_diags(FILE *fp, const struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *x = &d->v[i];
		const char *sev =
		    x->severity == DIAG_WARNING ? "warning" : "error";

		if (x->file && x->line)
			fprintf(fp, "%s:%d:%d: ", x->file, x->line, x->col);
		else if (x->file)
			fprintf(fp, "%s: ", x->file);
		else
			fputs("dcform: ", fp);
		fprintf(fp, "%s: ", sev);
		if (x->path && *x->path)
			fprintf(fp, "%s: ", x->path);
		fprintf(fp, "%s\n", x->msg);
	}
}

json_t *validate_diags_json(const struct diags *d)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *x = &d->v[i];

		json_array_append_new(
		    a, json_pack(
			   "{s:s, s:o, s:i, s:i, s:o, s:s}", "severity",
			   x->severity == DIAG_WARNING ? "warning" : "error",
			   "file", x->file ? json_string(x->file) : json_null(),
			   "line", x->line, "column", x->col, "path",
			   x->path ? json_string(x->path) : json_null(),
			   "message", x->msg));
	}
	return a;
}

int validate_load(struct manifest *m, const char *dir, const struct strlist *vl,
		  const struct strlist *fl, struct diags *d, struct err *e)
{
	struct manifest_opts o = {
	    .vars = vl->v,
	    .n_vars = vl->n,
	    .var_files = fl->v,
	    .n_var_files = fl->n,
	};
	int ret = manifest_load(m, dir, &o, d, e);

	if (ret == 0 || ret == DCF_EINVALID) {
		struct graph g = GRAPH_INIT;

		graph_from_manifest(&g, m);
		if (graph_check_cycles(&g, m, d)) {
			diags_sort(d);
			ret = DCF_EINVALID;
		}
		graph_release(&g);
	}
	return ret;
}

static int validate_run(int argc, const char **argv)
{
	const char *dir = argc > 0 ? argv[0] : ".";
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct err e = ERR_INIT;
	int ret, rc;

	if (argc > 1) {
		cmd_error("validate: takes at most one directory");
		return EXIT_USAGE;
	}
	ret = validate_load(&m, dir, &vars, &var_files, &d, &e);
	if (ret < 0 && ret != DCF_EINVALID) {
		if (json_out) {
			diags_add(&d, NULL, 0, 0, NULL, "%s", e.msg);
		} else {
			cmd_error("%s", e.msg);
			rc = EXIT_ERR;
			goto out;
		}
	}
	rc = diags_errors(&d) ? EXIT_ERR : EXIT_OK;
	if (json_out) {
		json_t *j =
		    json_pack("{s:b, s:i, s:i, s:o}", "valid", rc == EXIT_OK,
			      "error_count", (int)diags_errors(&d),
			      "warning_count", (int)(d.n - diags_errors(&d)),
			      "diagnostics", validate_diags_json(&d));

		if (rc == EXIT_OK) {
			json_object_set_new(
			    j, "resources",
			    json_integer((json_int_t)m.n_resources));
			json_object_set_new(
			    j, "outputs",
			    json_integer((json_int_t)m.n_outputs));
		}
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		validate_print_diags(stderr, &d);
		if (rc == EXIT_OK)
			printf("%zu resource%s, %zu output%s: valid\n",
			       m.n_resources, m.n_resources == 1 ? "" : "s",
			       m.n_outputs, m.n_outputs == 1 ? "" : "s");
	}
out:
	manifest_release(&m);
	diags_release(&d);
	strlist_release(&vars);
	strlist_release(&var_files);
	return rc;
}

const struct cmd cmd_validate_def = {
    .name = "validate",
    .usage = "validate [DIR] [--var NAME=VALUE]... [--var-file FILE]... "
	     "[--json]",
    .summary = "Check a configuration's manifests without calling any cloud",
    .help = "Loads every *.yaml and *.yml file of DIR (default: the "
	    "current directory; or one file), merges their documents and "
	    "checks them against the resource schemas: YAML syntax, types, "
	    "ranges, enums, unknown properties, variables, ${...} "
	    "references, for_each and dependency cycles.\n\n"
	    "Every problem is printed on stderr as\n"
	    "  FILE:LINE:COL: error: PATH: message\n"
	    "sorted by file and position.  Warnings (empty files, unset "
	    "environment variables) do not make the configuration "
	    "invalid.  With --json, stdout gets {\"valid\", "
	    "\"error_count\", \"diagnostics\": [{severity, file, line, "
	    "column, path, message}]}.",
    .exit_codes = "0  valid (\"N resources, M outputs: valid\")\n"
		  "1  invalid, or DIR cannot be read\n"
		  "64 bad command line",
    .options = validate_options,
    .run = validate_run,
};
