/* config.c: manifests for commands.  See config.h. */
#include <stdlib.h>

#include "config.h"

size_t config_load(struct manifest *m, const char *dir,
		   const struct config_opts *o, struct diags *d)
{
	struct manifest_opts mo = {
		o->vars.v, o->vars.n, o->var_files.v, o->var_files.n,
	};

	return manifest_load(m, dir, &mo, d);
}

void config_print_diags(FILE *fp, const struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];

		if (g->file && g->line)
			fprintf(fp, "%s:%d:%d: %s\n", g->file, g->line, g->col,
				g->msg);
		else if (g->file)
			fprintf(fp, "%s: %s\n", g->file, g->msg);
		else
			fprintf(fp, "dcform: %s\n", g->msg);
	}
}

void config_print_diags_json(FILE *fp, const struct diags *d, int valid)
{
	json_t *arr = json_array(), *r;
	size_t i;
	char *s;

	for (i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		json_t *x = json_pack("{s:s,s:s}", "severity", "error",
				      "message", g->msg);

		if (g->file)
			json_object_set_new(x, "file", json_string(g->file));
		if (g->line) {
			json_object_set_new(x, "line", json_integer(g->line));
			json_object_set_new(x, "column", json_integer(g->col));
		}
		if (g->path)
			json_object_set_new(x, "path", json_string(g->path));
		json_array_append_new(arr, x);
	}
	r = json_pack("{s:b,s:i,s:o}", "valid", valid, "error_count",
		      (int)d->n, "diagnostics", arr);
	s = json_dumps(r, JSON_INDENT(2));
	fprintf(fp, "%s\n", s);
	free(s);
	json_decref(r);
}
