/*
 * dcform schema: the resource types and their properties, read from the
 * compiled-in schemas (the files in schemas/), for people (a table), programs
 * (--json), editors (--json-schema, the raw JSON Schema) and the resource
 * reference (--markdown, which docs/gen.sh turns into docs/resources/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "core/schema/embedded.h"
#include "core/schema/schema.h"
#include "core/util/buf.h"
#include "core/util/json.h"
#include "core/util/util.h"

static int json_out, json_schema_out, markdown_out;

static const struct opt *schema_options(void)
{
	static const struct opt o[] = {
	    {"json", 0, OPT_BOOL, &json_out, NULL,
	     "print the types or the properties as JSON"},
	    {"json-schema", 0, OPT_BOOL, &json_schema_out, NULL,
	     "print the JSON Schema, for editors (without TYPE: the "
	     "manifest's, types included)"},
	    {"markdown", 0, OPT_BOOL, &markdown_out, NULL,
	     "print the type's reference page (docs/resources/TYPE.md)"},
	    OPT_END,
	};
	return o;
}

/* One row of the property table: a property, nested ones dotted. */
struct row {
	char *name;
	char *type;
	char *constraints;
	const char *description;
	int required, force_new, sensitive, computed;
	const json_t *node;
};

struct rows {
	struct row *v;
	size_t n, alloc;
};

static void rows_release(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].type);
		free(r->v[i].constraints);
	}
	free(r->v);
}

static int is_true(const json_t *s, const char *k)
{
	return json_is_true(json_object_get(s, k));
}

static void type_name(struct buf *b, const json_t *root, const json_t *s)
{
	const json_t *t = json_object_get(s, "type");
	size_t i;
	json_t *x;

	if (json_is_string(t)) {
		const char *n = json_string_value(t);

		if (!strcmp(n, "array") && json_object_get(s, "items")) {
			const json_t *it = schema_deref(
			    root, json_object_get(s, "items"), NULL);

			buf_puts(b, "list of ");
			type_name(b, root, it);
		} else if (!strcmp(n, "object") &&
			   json_is_object(
			       json_object_get(s, "additionalProperties"))) {
			buf_puts(b, "map of ");
			type_name(b, root,
				  schema_deref(root,
					       json_object_get(
						   s, "additionalProperties"),
					       NULL));
		} else {
			buf_puts(b, n);
		}
	} else if (json_is_array(t)) {
		json_array_foreach (t, i, x) {
			buf_puts(b, i ? " or " : "");
			buf_puts(b, json_string_value(x));
		}
	} else {
		buf_puts(b, "any");
	}
}

static void value_text(struct buf *b, const json_t *v)
{
	if (json_is_string(v))
		buf_puts(b, json_string_value(v));
	else if (json_is_integer(v))
		buf_printf(b, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		buf_printf(b, "%g", json_real_value(v));
	else
		json_dump_buf(b, v, 0);
}

static void sep(struct buf *b)
{
	if (b->len)
		buf_puts(b, "; ");
}

/* What values s allows, in words ("one of: a, b", "2 to 4000", …). */
static void constraints(struct buf *b, const json_t *s, const char *what)
{
	const json_t *e = json_object_get(s, "enum"), *x;
	const json_t *lo = json_object_get(s, "minimum");
	const json_t *hi = json_object_get(s, "maximum");
	json_int_t minl = json_get_int(s, "minLength", -1);
	json_int_t maxl = json_get_int(s, "maxLength", -1);
	json_int_t mini = json_get_int(s, "minItems", -1);
	json_int_t maxi = json_get_int(s, "maxItems", -1);
	size_t i;
	json_t *y;

	if (json_is_array(e)) {
		sep(b);
		buf_printf(b, "%sone of: ", what);
		json_array_foreach (e, i, y) {
			buf_puts(b, i ? ", " : "");
			value_text(b, y);
		}
	}
	if ((x = json_object_get(s, "const"))) {
		sep(b);
		buf_printf(b, "%sexactly ", what);
		value_text(b, x);
	}
	if (lo && hi) {
		sep(b);
		buf_puts(b, what);
		value_text(b, lo);
		buf_puts(b, " to ");
		value_text(b, hi);
	} else if (lo || hi) {
		sep(b);
		buf_printf(b, "%s%s ", what, lo ? "at least" : "at most");
		value_text(b, lo ? lo : hi);
	}
	if (minl > 0 || maxl >= 0) {
		sep(b);
		if (minl > 0 && maxl >= 0)
			buf_printf(b, "%s%lld to %lld characters", what,
				   (long long)minl, (long long)maxl);
		else if (maxl >= 0)
			buf_printf(b, "%sat most %lld characters", what,
				   (long long)maxl);
		else
			buf_printf(b, "%sat least %lld characters", what,
				   (long long)minl);
	}
	if (json_get_str(s, "x-error", NULL) &&
	    json_get_str(s, "pattern", NULL) && !*what) {
		/* The x-error message says it better than the pattern. */
	} else if ((x = json_object_get(s, "pattern"))) {
		sep(b);
		buf_printf(b, "%smatches %s", what, json_string_value(x));
	}
	if (mini > 0 || maxi >= 0) {
		sep(b);
		if (mini > 0 && maxi >= 0)
			buf_printf(b, "%lld to %lld items", (long long)mini,
				   (long long)maxi);
		else if (maxi >= 0)
			buf_printf(b, "at most %lld items", (long long)maxi);
		else
			buf_printf(b, "at least %lld item%s", (long long)mini,
				   mini == 1 ? "" : "s");
	}
	if (is_true(s, "uniqueItems")) {
		sep(b);
		buf_puts(b, "no duplicates");
	}
}

static void collect(struct rows *r, const json_t *root, const json_t *s,
		    const char *prefix, unsigned inherited)
{
	const json_t *props = json_object_get(s, "properties");
	const json_t *req = json_object_get(s, "required");
	const char *k;
	json_t *x;

	json_object_foreach ((json_t *)props, k, x) {
		const json_t *node = schema_deref(root, x, NULL);
		struct buf type = BUF_INIT, cons = BUF_INIT;
		struct row *row;
		const json_t *items;
		size_t i;
		json_t *q;
		unsigned flags = inherited;

		if (is_true(node, "x-force-new"))
			flags |= SCHEMA_FORCE_NEW;
		if (is_true(node, "x-sensitive"))
			flags |= SCHEMA_SENSITIVE;
		if (is_true(node, "x-computed"))
			flags |= SCHEMA_COMPUTED;
		ALLOC_GROW(r->v, r->n + 1, r->alloc);
		row = &r->v[r->n++];
		memset(row, 0, sizeof(*row));
		row->name =
		    *prefix ? xasprintf("%s.%s", prefix, k) : xstrdup(k);
		type_name(&type, root, node);
		row->type = buf_detach(&type, NULL);
		constraints(&cons, node, "");
		items =
		    schema_deref(root, json_object_get(node, "items"), NULL);
		if (items && !json_object_get(items, "properties"))
			constraints(&cons, items, "each ");
		row->constraints = buf_detach(&cons, NULL);
		row->description = json_get_str(node, "description", "");
		json_array_foreach (req, i, q)
			if (!strcmp(json_string_value(q), k))
				row->required = 1;
		row->force_new = !!(flags & SCHEMA_FORCE_NEW);
		row->sensitive = !!(flags & SCHEMA_SENSITIVE);
		row->computed = !!(flags & SCHEMA_COMPUTED);
		row->node = node;
		if (json_object_get(node, "properties")) {
			char *p = xstrdup(row->name);

			collect(r, root, node, p, flags);
			free(p);
		} else if (items && json_object_get(items, "properties")) {
			char *p = xasprintf("%s[]", row->name);

			collect(r, root, items, p, flags);
			free(p);
		}
	}
}

static const char *first_sentence(const char *s, struct buf *b)
{
	const char *dot = strstr(s, ". ");

	buf_reset(b);
	if (dot)
		buf_add(b, s, (size_t)(dot - s));
	else
		buf_puts(b, s);
	if (b->len && b->ptr[b->len - 1] == '.')
		buf_truncate(b, b->len - 1);
	return b->ptr;
}

static int list_types(void)
{
	size_t n, i;
	const char *const *types = schema_resource_types(&n);
	struct buf b = BUF_INIT;

	if (json_out) {
		json_t *arr = json_array();

		for (i = 0; i < n; i++) {
			const json_t *s = schema_get(types[i]);

			json_array_append_new(
			    arr, json_pack("{s:s, s:s, s:s}", "type", types[i],
					   "provider",
					   json_get_str(s, "x-provider", ""),
					   "description",
					   json_get_str(s, "description", "")));
		}
		json_dump_buf(&b, arr, JSON_INDENT(2));
		printf("%s\n", b.ptr);
		json_decref(arr);
		buf_release(&b);
		return EXIT_OK;
	}
	for (i = 0; i < n; i++)
		printf("%-28s %s\n", types[i],
		       first_sentence(json_get_str(schema_get(types[i]),
						   "description", ""),
				      &b));
	printf("\nRun 'dcform schema TYPE' for a type's properties.\n");
	buf_release(&b);
	return EXIT_OK;
}

static const char *yes(int v)
{
	return v ? "yes" : "";
}

static void print_table(const char *type, const json_t *s, const struct rows *r)
{
	size_t i, wn = 4, wt = 4;
	struct buf b = BUF_INIT;

	printf("%s%s%s (%s)\n%s\n\n", col_bold(stdout), type, col_reset(stdout),
	       json_get_str(s, "x-provider", ""),
	       json_get_str(s, "description", ""));
	for (i = 0; i < r->n; i++) {
		if (strlen(r->v[i].name) > wn)
			wn = strlen(r->v[i].name);
		if (strlen(r->v[i].type) > wt)
			wt = strlen(r->v[i].type);
	}
	printf("%-*s  %-*s  %-8s  %-9s  %-9s  %-8s  %s\n", (int)wn, "NAME",
	       (int)wt, "TYPE", "REQUIRED", "FORCE-NEW", "SENSITIVE",
	       "COMPUTED", "DESCRIPTION");
	for (i = 0; i < r->n; i++) {
		const struct row *x = &r->v[i];

		buf_reset(&b);
		buf_puts(&b, x->description);
		if (*x->constraints)
			buf_printf(&b, " [%s]", x->constraints);
		printf("%-*s  %-*s  %-8s  %-9s  %-9s  %-8s  %s\n", (int)wn,
		       x->name, (int)wt, x->type, yes(x->required),
		       yes(x->force_new), yes(x->sensitive), yes(x->computed),
		       b.ptr);
	}
	buf_release(&b);
}

static void print_json(const char *type, const json_t *s, const struct rows *r)
{
	json_t *props = json_array(), *doc;
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct row *x = &r->v[i];
		json_t *o = json_pack(
		    "{s:s, s:s, s:b, s:b, s:b, s:b, s:s, s:s}", "name", x->name,
		    "type", x->type, "required", x->required, "force_new",
		    x->force_new, "sensitive", x->sensitive, "computed",
		    x->computed, "description", x->description, "constraints",
		    x->constraints);
		static const char *const keep[] = {
		    "enum",	 "const",   "minimum",	"maximum", "minLength",
		    "maxLength", "pattern", "minItems", "maxItems"};
		size_t k;

		for (k = 0; k < ARRAY_SIZE(keep); k++) {
			json_t *v = json_object_get(x->node, keep[k]);

			if (v)
				json_object_set(o, keep[k], v);
		}
		json_array_append_new(props, o);
	}
	doc =
	    json_pack("{s:s, s:s, s:s, s:o}", "type", type, "provider",
		      json_get_str(s, "x-provider", ""), "description",
		      json_get_str(s, "description", ""), "properties", props);
	json_dump_buf(&b, doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", b.ptr);
	json_decref(doc);
	buf_release(&b);
}

/* Markdown table cell: no line breaks, '|' escaped. */
static void md_cell(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			buf_puts(b, "\\|");
		else if (*s == '\n')
			buf_putc(b, ' ');
		else
			buf_putc(b, *s);
	}
}

static void print_markdown(const char *type, const json_t *s,
			   const struct rows *r)
{
	struct buf b = BUF_INIT;
	size_t i;
	int any_computed = 0;

	buf_printf(&b, "# %s\n\n", type);
	buf_printf(&b,
		   "<!-- Generated by docs/gen.sh from schemas/%s.json with "
		   "`dcform schema %s --markdown`; do not edit. -->\n\n",
		   type, type);
	buf_printf(&b, "%s\n\n", json_get_str(s, "description", ""));
	buf_printf(&b, "Provider: `%s`. ", json_get_str(s, "x-provider", ""));
	buf_printf(&b,
		   "Editors validate it through the manifest schema "
		   "(`dcform schema %s --json-schema`).\n\n",
		   type);
	buf_puts(&b, "## Properties\n\n"
		     "*Force new*: changing the property replaces the object "
		     "(delete and create). *Sensitive*: never stored in state "
		     "or printed; state keeps a keyed digest to notice "
		     "changes.\n\n"
		     "| Name | Type | Required | Force new | Sensitive | "
		     "Description |\n|---|---|---|---|---|---|\n");
	for (i = 0; i < r->n; i++) {
		const struct row *x = &r->v[i];

		if (x->computed) {
			any_computed = 1;
			continue;
		}
		buf_puts(&b, "| `");
		md_cell(&b, x->name);
		buf_puts(&b, "` | ");
		md_cell(&b, x->type);
		buf_printf(&b, " | %s | %s | %s | ", yes(x->required),
			   yes(x->force_new), yes(x->sensitive));
		md_cell(&b, x->description);
		if (*x->constraints) {
			buf_puts(&b, " Allowed: ");
			md_cell(&b, x->constraints);
			buf_putc(&b, '.');
		}
		buf_puts(&b, " |\n");
	}
	if (any_computed) {
		buf_printf(&b,
			   "\n## Attributes read from the cloud\n\n"
			   "These cannot be set; reference them as "
			   "`${NAME.ATTR}`.\n\n"
			   "| Name | Type | Description |\n|---|---|---|\n");
		for (i = 0; i < r->n; i++) {
			const struct row *x = &r->v[i];

			if (!x->computed)
				continue;
			buf_puts(&b, "| `");
			md_cell(&b, x->name);
			buf_puts(&b, "` | ");
			md_cell(&b, x->type);
			buf_puts(&b, " | ");
			md_cell(&b, x->description);
			buf_puts(&b, " |\n");
		}
	}
	fputs(b.ptr, stdout);
	buf_release(&b);
}

static int print_raw(const char *name)
{
	size_t i;

	for (i = 0; embedded_schemas[i].name; i++)
		if (!strcmp(embedded_schemas[i].name, name)) {
			fwrite(embedded_schemas[i].text, 1,
			       embedded_schemas[i].len, stdout);
			return EXIT_OK;
		}
	cmd_error("schema: no schema '%s'", name);
	return EXIT_ERR;
}

/* The manifest's schema with the types' schemas inside: one file that an
 * editor can use on its own. */
static int print_bundle(void)
{
	json_t *b = schema_bundle("manifest");
	struct buf out = BUF_INIT;

	json_dump_buf(&out, b, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", out.ptr);
	buf_release(&out);
	json_decref(b);
	return EXIT_OK;
}

static int unknown_type(const char *type)
{
	size_t n, i, bestd = (size_t)-1;
	const char *const *types = schema_resource_types(&n);
	const char *best = NULL;
	struct buf all = BUF_INIT;

	for (i = 0; i < n; i++) {
		size_t d = str_edit_distance(type, types[i]);

		buf_puts(&all, i ? ", " : "");
		buf_puts(&all, types[i]);
		if (d < bestd) {
			bestd = d;
			best = types[i];
		}
	}
	if (best && bestd <= 4)
		cmd_error("schema: unknown resource type '%s'; did you mean "
			  "'%s'? types: %s",
			  type, best, all.ptr);
	else
		cmd_error("schema: unknown resource type '%s'; types: %s", type,
			  all.ptr);
	buf_release(&all);
	return EXIT_ERR;
}

static int schema_run(int argc, const char **argv)
{
	const char *type = argc > 0 ? argv[0] : NULL;
	const json_t *s;
	struct rows r = {NULL, 0, 0};

	if (argc > 1) {
		cmd_error("schema: takes at most one TYPE");
		return EXIT_USAGE;
	}
	if (json_out + json_schema_out + markdown_out > 1) {
		cmd_error("schema: --json, --json-schema and --markdown "
			  "exclude each other");
		return EXIT_USAGE;
	}
	if (type && (!strcmp(type, "manifest") || !schema_get(type)))
		return unknown_type(type);
	if (json_schema_out)
		return type ? print_raw(type) : print_bundle();
	if (!type) {
		if (markdown_out) {
			cmd_error("schema: --markdown needs a TYPE");
			return EXIT_USAGE;
		}
		return list_types();
	}
	s = schema_get(type);
	collect(&r, s, s, "", 0);
	if (json_out)
		print_json(type, s, &r);
	else if (markdown_out)
		print_markdown(type, s, &r);
	else
		print_table(type, s, &r);
	rows_release(&r);
	return EXIT_OK;
}

const struct cmd cmd_schema_def = {
    .name = "schema",
    .usage = "schema [TYPE] [--json | --json-schema | --markdown]",
    .summary = "List resource types, or show a type's properties",
    .help = "Without TYPE, lists the resource types.  With TYPE, shows "
	    "its properties: type,\nwhether required, force-new (a change "
	    "replaces the object), sensitive\n(never stored or printed), "
	    "computed (read from the cloud; reference it as\n"
	    "${NAME.ATTR}), description and allowed values.\n\n"
	    "--json-schema prints the JSON Schema itself: TYPE's as in "
	    "schemas/TYPE.json,\nor without TYPE the manifest's with every "
	    "type's inside, one file for\neditors:\n"
	    "  dcform schema --json-schema > ~/.config/dcform.schema.json\n"
	    "and start manifests with\n"
	    "  # yaml-language-server: "
	    "$schema=/home/me/.config/dcform.schema.json\n"
	    "(in this repository: $schema=../../schemas/"
	    "manifest.schema.json).",
    .exit_codes = "0  printed\n1  unknown resource type\n64 bad "
		  "command line",
    .options = schema_options,
    .run = schema_run,
};
