/*
 * dcform drift: what moved in the clouds since the last apply.
 *
 * Read-only by construction: no lock is taken and the state is never
 * written.  The clouds are read the way plan reads them (batched), plus
 * each type's list of every object in the configured regions, for the
 * objects no state of this configuration knows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "render.h"
#include "run.h"
#include "core/drift/drift.h"
#include "core/state/store.h"
#include "core/util/buf.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"

static struct run_opts ro;
static const char *format;
static const char *ignore_file;
static int no_unmanaged;

static const struct opt *drift_options(void)
{
	static const struct opt o[] = {
	    RUN_COMMON_OPTIONS(ro),
	    {"json", 0, OPT_BOOL, &gopts.json, NULL,
	     "print the report as JSON (docs/drift.md)"},
	    {"format", 0, OPT_STRING, &format, "FORMAT",
	     "text (default), markdown or json"},
	    {"ignore-file", 0, OPT_STRING, &ignore_file, "FILE",
	     "rules of what to ignore (default DIR/.dcformignore)"},
	    {"no-unmanaged", 0, OPT_BOOL, &no_unmanaged, NULL,
	     "do not list the clouds' objects that no state knows"},
	    OPT_END,
	};
	return o;
}

/* Provider → the regions this configuration uses: the providers' default
 * regions and every region of a desired or recorded resource. */
static json_t *regions_of(struct run *r, const json_t *desired)
{
	json_t *out = json_object(), *res;
	const char *addr;
	size_t i;

#define ADD_REGION(prov, reg)                                           \
	do {                                                            \
		json_t *l_ = json_object_get(out, (prov));              \
		json_t *x_;                                             \
		size_t j_;                                              \
		int seen_ = 0;                                          \
		if (!(reg) || !*(reg))                                  \
			break;                                          \
		if (!l_) {                                              \
			l_ = json_array();                              \
			json_object_set_new(out, (prov), l_);           \
		}                                                       \
		json_array_foreach (l_, j_, x_)                         \
			seen_ |= !strcmp(json_string_value(x_), (reg)); \
		if (!seen_)                                             \
			json_array_append_new(l_, json_string(reg));    \
	} while (0)

	for (i = 0; i < r->ps.n; i++)
		ADD_REGION(r->ps.p[i]->name, r->ps.p[i]->region(r->ps.ctx[i]));
	json_object_foreach ((json_t *)desired, addr, res)
		ADD_REGION(json_get_str(res, "provider", ""),
			   json_get_str(res, "region", NULL));
	json_object_foreach (json_object_get(r->state, "resources"), addr, res)
		ADD_REGION(json_get_str(res, "provider", ""),
			   json_get_str(res, "region", NULL));
#undef ADD_REGION
	return out;
}

/* Ids recorded by the other workspaces of this configuration: their
 * objects are managed, just not by this workspace. */
static json_t *other_workspace_ids(struct run *r)
{
	json_t *ids = json_object(), *wss = NULL, *w;
	json_t *backend = cmd_backend(r->dir, &r->m);
	struct state_store *st = NULL;
	const char *cur = getenv("DCFORM_WORKSPACE");
	char *git = xasprintf("%s/.dcform/state.git", r->dir);
	struct err e = ERR_INIT;
	size_t i;

	if (!cur || !*cur)
		cur = "default";
	if ((!fs_is_dir(git) && !json_object_get(backend, "git")) ||
	    state_store_open_backend(&st, r->dir, cur, backend, &e) < 0 ||
	    state_store_workspaces(st, &wss, &e) < 0)
		goto out;
	json_array_foreach (wss, i, w) {
		struct state_store *o = NULL;
		json_t *doc = NULL, *res;
		char commit[41];
		const char *name = json_is_string(w)
				       ? json_string_value(w)
				       : json_get_str(w, "name", "");
		const char *a;

		if (!strcmp(name, cur) ||
		    state_store_open_backend(&o, r->dir, name, backend, &e) < 0)
			continue;
		if (state_store_read(o, &doc, commit, &e) == 0)
			json_object_foreach (json_object_get(doc, "resources"),
					     a, res)
				if (json_get_str(res, "id", NULL))
					json_object_set_new(
					    ids, json_get_str(res, "id", ""),
					    json_true());
		err_clear(&e);
		json_decref(doc);
		state_store_free(o);
	}
out:
	json_decref(wss);
	json_decref(backend);
	state_store_free(st);
	free(git);
	return ids;
}

static void drop_known(json_t *report, const json_t *known)
{
	json_t *un = json_object_get(report, "unmanaged"), *o;
	size_t i;

	for (i = json_array_size(un); i-- > 0;) {
		o = json_array_get(un, i);
		if (json_object_get(known, json_get_str(o, "id", "")))
			json_array_remove(un, i);
	}
	json_object_set_new(
	    report, "clean",
	    json_boolean(!json_array_size(json_object_get(report, "drifted")) &&
			 !json_array_size(json_object_get(report, "missing")) &&
			 !json_array_size(un)));
}

static void value_str(struct buf *b, const json_t *v)
{
	render_json_value(b, v);
}

static void md_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (strchr("|`<>*_[]\\", *s))
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

static void render_markdown(struct buf *b, const json_t *rep)
{
	const json_t *x, *c;
	size_t i, j;

	buf_puts(b, "### dcform drift\n\n");
	if (json_is_true(json_object_get(rep, "clean"))) {
		buf_puts(b, "**No drift.** The clouds match the last apply.\n");
		return;
	}
	buf_printf(b,
		   "| changed | missing | unmanaged | ignored |\n"
		   "|---:|---:|---:|---:|\n| %zu | %zu | %zu | %lld |\n\n",
		   json_array_size(json_object_get(rep, "drifted")),
		   json_array_size(json_object_get(rep, "missing")),
		   json_array_size(json_object_get(rep, "unmanaged")),
		   (long long)json_get_int(rep, "ignored", 0));
	if (json_array_size(json_object_get(rep, "drifted"))) {
		buf_puts(b, "<details><summary>Changed outside dcform"
			    "</summary>\n\n| resource | attribute | applied "
			    "| cloud |\n|---|---|---|---|\n");
		json_array_foreach (json_object_get(rep, "drifted"), i, x)
			json_array_foreach (json_object_get(x, "changes"), j,
					    c) {
				struct buf v = BUF_INIT;

				buf_puts(b, "| ");
				md_escape(b, json_get_str(x, "address", ""));
				buf_puts(b, " | ");
				md_escape(b, json_get_str(c, "path", ""));
				buf_puts(b, " | ");
				value_str(&v, json_object_get(c, "applied"));
				md_escape(b, v.ptr);
				buf_puts(b, " | ");
				buf_reset(&v);
				value_str(&v, json_object_get(c, "cloud"));
				md_escape(b, v.ptr);
				buf_puts(b, " |\n");
				buf_release(&v);
			}
		buf_puts(b, "\n</details>\n\n");
	}
	if (json_array_size(json_object_get(rep, "missing"))) {
		buf_puts(b, "**Gone from the cloud:**\n\n");
		json_array_foreach (json_object_get(rep, "missing"), i, x) {
			buf_puts(b, "- ");
			md_escape(b, json_get_str(x, "address", ""));
			buf_puts(b, " (");
			md_escape(b, json_get_str(x, "id", ""));
			buf_puts(b, ")\n");
		}
		buf_puts(b, "\n");
	}
	if (json_array_size(json_object_get(rep, "unmanaged"))) {
		buf_puts(b, "<details><summary>Not managed by dcform"
			    "</summary>\n\n| type | region | id | name |\n"
			    "|---|---|---|---|\n");
		json_array_foreach (json_object_get(rep, "unmanaged"), i, x) {
			buf_puts(b, "| ");
			md_escape(b, json_get_str(x, "type", ""));
			buf_puts(b, " | ");
			md_escape(b, json_get_str(x, "region", ""));
			buf_puts(b, " | ");
			md_escape(b, json_get_str(x, "id", ""));
			buf_puts(b, " | ");
			md_escape(b, json_get_str(x, "name", ""));
			buf_puts(b, " |\n");
		}
		buf_puts(b, "\n</details>\n");
	}
}

/* The report of dir (new ref) or a negative error. */
static int drift_build(json_t **out, struct run *r, struct err *e)
{
	json_t *desired = NULL, *refreshed = NULL, *listed = NULL,
	       *changes = NULL, *regions = NULL, *known = NULL;
	struct drift_ignore ig = {NULL, 0};
	char *igpath = ignore_file ? xstrdup(ignore_file)
				   : xasprintf("%s/.dcformignore", r->dir);
	int ret;

	if (ignore_file || access(igpath, F_OK) == 0) {
		struct buf b = BUF_INIT;

		ret = fs_read_file(&b, igpath, 1u << 20, e);
		if (!ret)
			ret = drift_ignore_parse(&ig, b.ptr, igpath, e);
		buf_release(&b);
		if (ret < 0)
			goto out;
	}
	desired = run_desired(r);
	ret = plan_refresh(&refreshed, &r->ps, r->state,
			   ro.parallelism > 0 ? (int)ro.parallelism : 10, e);
	if (ret < 0)
		goto out;
	if (!no_unmanaged) {
		regions = regions_of(r, desired);
		ret = drift_list_unmanaged(&listed, &r->ps, regions, e);
		if (ret < 0)
			goto out;
	}
	ret = plan_diff(&changes, desired, r->state, refreshed, 0, e);
	if (ret < 0) {
		/* prevent_destroy conflicts are the plan's business. */
		err_clear(e);
		changes = NULL;
	}
	ret = drift_report(out, r->state, refreshed, listed, changes, &ig, e);
	if (ret < 0)
		goto out;
	known = other_workspace_ids(r);
	drop_known(*out, known);
out:
	json_decref(desired);
	json_decref(refreshed);
	json_decref(listed);
	json_decref(changes);
	json_decref(regions);
	json_decref(known);
	drift_ignore_release(&ig);
	free(igpath);
	return ret;
}

static int drift_run(int argc, const char **argv)
{
	struct run r;
	struct err e = ERR_INIT;
	json_t *rep = NULL;
	int ret;

	if (argc > 1) {
		cmd_error("drift: takes at most one directory");
		return EXIT_USAGE;
	}
	if (format && strcmp(format, "text") && strcmp(format, "markdown") &&
	    strcmp(format, "json")) {
		cmd_error("drift: --format must be text, markdown or json, not "
			  "\"%s\"",
			  format);
		return EXIT_USAGE;
	}
	if (format && !strcmp(format, "json"))
		gopts.json = 1;
	if (run_load(&r, argc ? argv[0] : ".", &ro)) {
		run_release(&r);
		return EXIT_ERR;
	}
	if (run_state(&r, &e) < 0 || run_providers(&r, &e) < 0 ||
	    drift_build(&rep, &r, &e) < 0) {
		cmd_error("drift: %s", e.msg);
		ret = EXIT_ERR;
		goto out;
	}
	if (gopts.json) {
		char *s =
		    json_dumps_malloc(rep, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s);
		free(s);
	} else if (format && !strcmp(format, "markdown")) {
		struct buf b = BUF_INIT;

		render_markdown(&b, rep);
		fputs(b.ptr, stdout);
		buf_release(&b);
	} else {
		render_drift_text(stdout, rep);
		if (!json_is_true(json_object_get(rep, "clean")))
			printf("Accept the cloud's values into the state with "
			       "dcform apply --refresh-only, or run dcform "
			       "apply to put the manifests' values back.\n");
	}
	ret = json_is_true(json_object_get(rep, "clean")) ? EXIT_OK
							  : EXIT_CHANGES;
out:
	run_release_at_exit(&r, rep);
	return ret;
}

const struct cmd cmd_drift_def = {
    .name = "drift",
    .usage = "drift [DIR] [--json | --format text|markdown|json]",
    .summary = "Report what changed in the clouds since the last apply",
    .help = "Reads the clouds and compares them with the last applied\n"
	    "state: attributes changed outside dcform, objects gone from\n"
	    "the cloud, and objects in the configured regions that no\n"
	    "state of this configuration knows (unmanaged). Read-only:\n"
	    "takes no lock and never writes the state, so it can run\n"
	    "while an apply does. Rules in DIR/.dcformignore silence\n"
	    "known noise (docs/drift.md). For a scheduled CI job: exit 2\n"
	    "means drift.",
    .options = drift_options,
    .run = drift_run,
    .exit_codes = "0   no drift\n"
		  "1   error\n"
		  "2   drift found\n"
		  "64  bad command line",
};
