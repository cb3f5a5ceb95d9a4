/*
 * manifest.c: loading a configuration: files, documents, merging, schema
 * validation, variables, for_each and reference checks.
 */
#include "manifest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/schema/schema.h"
#include "core/util/buf.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"

static const char *const sections[] = {
    "providers",
    "variables",
    "resources",
    "outputs",
};
static const char *const section_noun[] = {
    "provider",
    "variable",
    "resource",
    "output",
};

void manifest_diag(const struct manifest *m, struct diags *d, const char *path,
		   const char *fmt, ...)
{
	const struct srcpos *p = srcmap_get(&m->src, path);
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diags_add(d, p ? p->file : NULL, p ? p->line : 0, p ? p->col : 0,
		  path && *path ? path : NULL, "%s", msg);
	free(msg);
}

/* The value at a property path ("a.b[0].c") of the document, borrowed. */
static const json_t *string_at(const struct manifest *m, const char *path)
{
	struct buf b = BUF_INIT;
	const char *p;
	json_t *v;

	for (p = path; *p; p++) {
		if (*p == '[')
			buf_putc(&b, '.');
		else if (*p != ']')
			buf_putc(&b, *p);
	}
	v = json_path_get(m->doc, b.ptr);
	buf_release(&b);
	return v;
}

void manifest_diag_at(const struct manifest *m, struct diags *d,
		      const char *path, size_t off, const char *fmt, ...)
{
	const struct srcpos *p = srcmap_get(&m->src, path);
	json_t *i = json_object_get(m->src.index, path ? path : "");
	int col = p ? p->col : 0;
	va_list ap;
	char *msg;

	/* Only for the string at path itself, not an ancestor. */
	if (p && i && p->verbatim >= 0) {
		const char *s = json_string_value(string_at(m, path));
		size_t k;

		if (s && off <= strlen(s)) {
			col += p->verbatim;
			for (k = 0; k < off; k++)
				if (((unsigned char)s[k] & 0xc0) != 0x80)
					col++;
		}
	}
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diags_add(d, p ? p->file : NULL, p ? p->line : 0, col,
		  path && *path ? path : NULL, "%s", msg);
	free(msg);
}

static void mwarn(const struct manifest *m, struct diags *d, const char *path,
		  const char *msg)
{
	const struct srcpos *p = srcmap_get(&m->src, path);

	diags_warn(d, p ? p->file : NULL, p ? p->line : 0, p ? p->col : 0,
		   path && *path ? path : NULL, "%s", msg);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.yaml / *.yml names in dir. */
static int list_files(char ***out, size_t *n, const char *dir, struct err *e)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t nv = 0, alloc = 0;

	*out = NULL;
	*n = 0;
	if (!dp)
		return err_set(e, DCF_ENOTFOUND, "cannot open directory '%s'",
			       dir);
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		if (!str_ends_with(de->d_name, ".yaml") &&
		    !str_ends_with(de->d_name, ".yml"))
			continue;
		ALLOC_GROW(v, nv + 1, alloc);
		v[nv++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_str);
	*out = v;
	*n = nv;
	return 0;
}

static char *display_name(const char *dir, const char *name)
{
	size_t l = strlen(dir);

	if (!strcmp(dir, "."))
		return xstrdup(name);
	if (l && dir[l - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

static int is_section(const char *k, size_t *idx)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcmp(k, sections[i])) {
			*idx = i;
			return 1;
		}
	return 0;
}

static void copy_map(struct srcmap *dst, const struct srcmap *src)
{
	const char *k;
	json_t *i;

	json_object_foreach (src->index, k, i) {
		const struct srcpos *p = &src->v[json_integer_value(i)];

		if (json_object_get(dst->index, k))
			continue; /* the first one set wins, with its flags */
		srcmap_set(dst, k, p->file, p->line, p->col);
		if (p->verbatim >= 0)
			srcmap_set_verbatim(dst, k, p->verbatim);
	}
}

/* Merge one document into m->doc, reporting names defined twice. */
static void merge_doc(struct manifest *m, struct yaml_doc *doc, struct diags *d)
{
	const char *k;
	json_t *v;
	size_t si;

	json_object_foreach (doc->value, k, v) {
		json_t *have = json_object_get(m->doc, k);

		if (!have) {
			json_object_set(m->doc, k, v);
			continue;
		}
		if (is_section(k, &si) && json_is_object(have) &&
		    json_is_object(v)) {
			const char *n;
			json_t *x;

			json_object_foreach (v, n, x) {
				char *path = xasprintf("%s.%s", k, n);
				const struct srcpos *first, *again;

				if (!json_object_get(have, n)) {
					json_object_set(have, n, x);
					free(path);
					continue;
				}
				first = srcmap_get(&m->keys, path);
				again = srcmap_get(&doc->keys, path);
				diags_add(d, again ? again->file : NULL,
					  again ? again->line : 0,
					  again ? again->col : 0, path,
					  "%s '%s' is defined twice (first at "
					  "%s:%d:%d)",
					  section_noun[si], n,
					  first ? first->file : "?",
					  first ? first->line : 0,
					  first ? first->col : 0);
				free(path);
			}
			continue;
		}
		{
			const struct srcpos *first = srcmap_get(&m->keys, k);
			const struct srcpos *again = srcmap_get(&doc->keys, k);

			diags_add(
			    d, again ? again->file : NULL,
			    again ? again->line : 0, again ? again->col : 0, k,
			    "'%s' is defined twice (first at %s:%d:%d)", k,
			    first ? first->file : "?", first ? first->line : 0,
			    first ? first->col : 0);
		}
	}
	copy_map(&m->src, &doc->vals);
	copy_map(&m->keys, &doc->keys);
}

static int read_files(struct manifest *m, const char *dir, struct diags *d,
		      struct err *e)
{
	char **names = NULL;
	size_t n = 0, i;
	int ret = 0, single = 0;
	struct stat st;

	if (stat(dir, &st) < 0)
		return err_set(e, DCF_ENOTFOUND, "'%s' does not exist", dir);
	if (S_ISREG(st.st_mode)) {
		names = xmalloc(sizeof(*names));
		names[0] = xstrdup(dir);
		n = 1;
		single = 1;
	} else if ((ret = list_files(&names, &n, dir, e)) < 0) {
		return ret;
	}
	if (!n) {
		free(names);
		return err_set(e, DCF_ENOTFOUND,
			       "no *.yaml or *.yml files in '%s'", dir);
	}
	for (i = 0; i < n; i++) {
		char *path =
		    single ? xstrdup(names[i]) : display_name(dir, names[i]);
		const char *file = srcmap_file(&m->src, path);
		struct buf b = BUF_INIT;
		struct err fe = ERR_INIT;
		struct yaml_doc *docs;
		size_t nd, j;

		if (fs_read_file(&b, path, MANIFEST_MAX_FILE + 1, &fe) < 0 ||
		    b.len > MANIFEST_MAX_FILE) {
			if (b.len > MANIFEST_MAX_FILE || fe.code == 0)
				diags_add(d, file, 0, 0, NULL,
					  "file is larger than %u bytes",
					  MANIFEST_MAX_FILE);
			else
				diags_add(d, file, 0, 0, NULL, "%s", fe.msg);
			buf_release(&b);
			free(path);
			continue;
		}
		yaml_parse_docs(&docs, &nd, file, b.ptr, b.len, d);
		for (j = 0; j < nd; j++)
			merge_doc(m, &docs[j], d);
		yaml_docs_free(docs, nd);
		buf_release(&b);
		free(path);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

/* ---- variables ---- */

static const char *closest(const char *name, const char *const *cands, size_t n)
{
	size_t best = (size_t)-1, i;
	const char *r = NULL;

	for (i = 0; i < n; i++) {
		size_t dd = str_edit_distance(name, cands[i]);

		if (dd < best) {
			best = dd;
			r = cands[i];
		}
	}
	if (r && best <= 2 + strlen(name) / 4 && best < strlen(name))
		return r;
	return NULL;
}

static struct manifest_variable *find_var(struct manifest *m, const char *n)
{
	size_t i;

	for (i = 0; i < m->n_vars; i++)
		if (!strcmp(m->vars[i].name, n))
			return &m->vars[i];
	return NULL;
}

static char *did_you_mean_var(struct manifest *m, const char *n)
{
	const char **c = xcalloc(m->n_vars + 1, sizeof(*c));
	const char *s;
	size_t i;
	char *r;

	for (i = 0; i < m->n_vars; i++)
		c[i] = m->vars[i].name;
	s = closest(n, c, m->n_vars);
	r = s ? xasprintf("; did you mean '%s'?", s) : xstrdup("");
	free(c);
	return r;
}

/* Convert a string given on the command line or in the environment to
 * the variable's type; NULL with *why on failure. */
static json_t *convert(const char *type, const char *s, const char **why)
{
	json_t *v;
	json_error_t je;

	*why = NULL;
	if (!type || !strcmp(type, "string"))
		return json_string(s);
	if (!strcmp(type, "number")) {
		v = yaml_plain_scalar(s, why);
		if (v && !json_is_number(v)) {
			json_decref(v);
			v = NULL;
		}
		if (!v && !*why)
			*why = "not a number";
		return v;
	}
	if (!strcmp(type, "bool")) {
		if (!strcmp(s, "true"))
			return json_true();
		if (!strcmp(s, "false"))
			return json_false();
		*why = "not true or false";
		return NULL;
	}
	v = json_loads(s, JSON_DECODE_ANY, &je);
	if (!v || (!strcmp(type, "list") && !json_is_array(v)) ||
	    (!strcmp(type, "map") && !json_is_object(v))) {
		json_decref(v);
		*why = !strcmp(type, "list")
			   ? "not a JSON list like [\"a\"]"
			   : "not a JSON map like {\"k\": \"v\"}";
		return NULL;
	}
	return v;
}

static int type_ok(const char *type, const json_t *v)
{
	if (!type)
		return 1;
	if (!strcmp(type, "string"))
		return json_is_string(v);
	if (!strcmp(type, "number"))
		return json_is_number(v);
	if (!strcmp(type, "bool"))
		return json_is_boolean(v);
	if (!strcmp(type, "list"))
		return json_is_array(v);
	if (!strcmp(type, "map"))
		return json_is_object(v);
	return 1;
}

static const char *env_get(const struct manifest_opts *o, const char *n)
{
	return o && o->getenv ? o->getenv(n) : getenv(n);
}

static void set_var(struct manifest_variable *v, json_t *val,
		    const char *source)
{
	json_decref(v->value);
	v->value = val;
	v->source = source;
}

static void load_vars(struct manifest *m, const struct manifest_opts *o,
		      struct diags *d)
{
	json_t *vars = json_object_get(m->doc, "variables"), *x;
	const char *k;
	size_t i, alloc = 0;

	if (!json_is_object(vars))
		return;
	json_object_foreach (vars, k, x) {
		struct manifest_variable *v;
		char *path = xasprintf("variables.%s", k);
		const char *why;
		const char *env;
		char *ename;

		ALLOC_GROW(m->vars, m->n_vars + 1, alloc);
		v = &m->vars[m->n_vars++];
		memset(v, 0, sizeof(*v));
		v->name = xstrdup(k);
		if (json_is_object(x)) {
			const char *t = json_get_str(x, "type", NULL);

			if (t && (!strcmp(t, "string") ||
				  !strcmp(t, "number") || !strcmp(t, "bool") ||
				  !strcmp(t, "list") || !strcmp(t, "map")))
				v->type = xstrdup(t);
			if (json_get_str(x, "description", NULL))
				v->description =
				    xstrdup(json_get_str(x, "description", ""));
			v->sensitive = json_get_bool(x, "sensitive", 0);
			if (json_object_get(x, "default")) {
				json_t *def = json_object_get(x, "default");
				char *dp = xasprintf("%s.default", path);

				if (!type_ok(v->type, def))
					manifest_diag(m, d, dp,
						      "default of "
						      "variable '%s' must be a "
						      "%s, got %s",
						      k, v->type,
						      json_type_name(def));
				else
					set_var(v, json_incref(def), "default");
				free(dp);
			}
		}
		ename = xasprintf("DCFORM_VAR_%s", k);
		env = env_get(o, ename);
		if (env) {
			json_t *cv = convert(v->type, env, &why);

			if (!cv)
				manifest_diag(m, d, path,
					      "%s: %s for variable "
					      "'%s' of type %s",
					      ename, why, k, v->type);
			else
				set_var(v, cv, "DCFORM_VAR");
		}
		free(ename);
		free(path);
	}
	/* --var-file, in order. */
	for (i = 0; o && i < o->n_var_files; i++) {
		struct buf b = BUF_INIT;
		struct err fe = ERR_INIT;
		struct yaml_doc *docs = NULL;
		size_t nd = 0, j;
		const char *file = srcmap_file(&m->src, o->var_files[i]);

		if (fs_read_file(&b, file, MANIFEST_MAX_FILE, &fe) < 0) {
			diags_add(d, NULL, 0, 0, NULL, "--var-file: %s",
				  fe.msg);
			buf_release(&b);
			continue;
		}
		yaml_parse_docs(&docs, &nd, file, b.ptr, b.len, d);
		for (j = 0; j < nd; j++) {
			json_object_foreach (docs[j].value, k, x) {
				struct manifest_variable *v = find_var(m, k);
				const struct srcpos *p =
				    srcmap_get(&docs[j].keys, k);

				if (!v) {
					char *dym = did_you_mean_var(m, k);

					diags_add(d, file, p ? p->line : 0,
						  p ? p->col : 0, k,
						  "unknown variable '%s'%s", k,
						  dym);
					free(dym);
					continue;
				}
				if (!type_ok(v->type, x)) {
					diags_add(d, file, p ? p->line : 0,
						  p ? p->col : 0, k,
						  "variable '%s' must be a %s, "
						  "got %s",
						  k, v->type,
						  json_type_name(x));
					continue;
				}
				set_var(v, json_incref(x), "--var-file");
			}
		}
		yaml_docs_free(docs, nd);
		buf_release(&b);
	}
	/* --var, in order: the last one wins. */
	for (i = 0; o && i < o->n_vars; i++) {
		const char *eq = strchr(o->vars[i], '=');
		char *name;
		struct manifest_variable *v;
		const char *why;
		json_t *cv;

		if (!eq || eq == o->vars[i]) {
			diags_add(d, NULL, 0, 0, NULL,
				  "--var '%s': expected "
				  "NAME=VALUE",
				  o->vars[i]);
			continue;
		}
		name = xstrndup(o->vars[i], (size_t)(eq - o->vars[i]));
		v = find_var(m, name);
		if (!v) {
			char *dym = did_you_mean_var(m, name);

			diags_add(d, NULL, 0, 0, NULL,
				  "--var: unknown "
				  "variable '%s'%s",
				  name, dym);
			free(dym);
		} else if (!(cv = convert(v->type, eq + 1, &why))) {
			diags_add(d, NULL, 0, 0, NULL,
				  "--var %s: %s for "
				  "variable of type %s",
				  name, why, v->type);
		} else {
			set_var(v, cv, "--var");
		}
		free(name);
	}
}

/* ---- resources ---- */

/* What the loader knows about one resources: entry. */
struct rdef {
	const char *name;
	const char *type; /* NULL when missing or not a known type */
	json_t *entry;
	int has_for_each;
	json_t *keys; /* object key -> each.value, for for_each */
	/* for_each whose properties never mention each.*: every instance
	 * has the same properties, checked and substituted once. */
	int same_instances;
	json_t *shared; /* those properties, once the first instance is in */
};

struct lctx {
	struct manifest *m;
	const struct manifest_opts *opts;
	struct diags *d;
	struct rdef *defs;
	size_t ndefs;
	const char *self; /* resource being loaded, or NULL */
	int in_for_each;
	const char *each_key;
	json_t *each_value;
	/* Where resource references are refused ("for_each", …), or NULL. */
	const char *no_resources;
	const char *no_resources_why;
};

static struct rdef *find_def(struct lctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ndefs; i++)
		if (!strcmp(c->defs[i].name, name))
			return &c->defs[i];
	return NULL;
}

static char *keys_list(json_t *keys)
{
	struct buf b = BUF_INIT;
	const char *k;
	json_t *x;

	json_object_foreach (keys, k, x)
		buf_printf(&b, "%s%s", b.len ? ", " : "", k);
	return buf_detach(&b, NULL);
}

static void check_ref(struct lctx *c, const struct expr_ref *r,
		      const char *path)
{
	struct manifest *m = c->m;
	struct rdef *def;
	const char *sugg = NULL;

	switch (r->kind) {
	case EXPR_VAR: {
		struct manifest_variable *v = find_var(m, r->name);

		if (!v) {
			char *dym = did_you_mean_var(m, r->name);

			manifest_diag_at(m, c->d, path, r->offset,
					 "unknown variable "
					 "'%s'%s",
					 r->name, dym);
			free(dym);
		} else if (!v->value) {
			manifest_diag_at(
			    m, c->d, path, r->offset,
			    "variable '%s' has no "
			    "value: set it with --var %s=VALUE, "
			    "--var-file FILE or DCFORM_VAR_%s, or give "
			    "it a default",
			    r->name, r->name, r->name);
		}
		return;
	}
	case EXPR_ENV:
		if (!env_get(c->opts, r->name)) {
			char *msg =
			    xasprintf("environment variable '%s' is "
				      "not set; its value stays unknown",
				      r->name);

			mwarn(m, c->d, path, msg);
			free(msg);
		}
		return;
	case EXPR_EACH_KEY:
	case EXPR_EACH_VALUE:
		if (!c->in_for_each) {
			manifest_diag_at(m, c->d, path, r->offset,
					 "'${each.%s}' is only "
					 "allowed in a resource with for_each",
					 r->kind == EXPR_EACH_KEY ? "key"
								  : "value");
			return;
		}
		if (r->kind == EXPR_EACH_VALUE && r->attr && c->each_value) {
			json_t *v = json_path_get(c->each_value, r->attr);

			if (!v)
				manifest_diag_at(m, c->d, path, r->offset,
						 "each.value has "
						 "no field '%s' for key '%s'",
						 r->attr, c->each_key);
		}
		return;
	case EXPR_RESOURCE:
		break;
	}
	if (c->no_resources) {
		manifest_diag_at(m, c->d, path, r->offset,
				 "%s cannot refer to resource "
				 "'%s': %s",
				 c->no_resources, r->name, c->no_resources_why);
		return;
	}
	def = find_def(c, r->name);
	if (!def) {
		const char **names = xcalloc(c->ndefs + 1, sizeof(*names));
		const char *s;
		size_t i;

		for (i = 0; i < c->ndefs; i++)
			names[i] = c->defs[i].name;
		s = closest(r->name, names, c->ndefs);
		if (s)
			manifest_diag_at(m, c->d, path, r->offset,
					 "unknown resource '%s'; "
					 "did you mean '%s'?",
					 r->name, s);
		else
			manifest_diag_at(m, c->d, path, r->offset,
					 "unknown resource '%s'", r->name);
		free(names);
		return;
	}
	if (c->self && !strcmp(c->self, r->name)) {
		manifest_diag_at(m, c->d, path, r->offset,
				 "resource '%s' refers to itself", r->name);
		return;
	}
	if (def->has_for_each && !r->key && !r->key_is_each) {
		manifest_diag_at(m, c->d, path, r->offset,
				 "resource '%s' has for_each: "
				 "refer to one instance as ${%s[KEY].%s}",
				 r->name, r->name, r->attr);
		return;
	}
	if (!def->has_for_each && (r->key || r->key_is_each)) {
		manifest_diag_at(m, c->d, path, r->offset,
				 "resource '%s' has no for_each: "
				 "write ${%s.%s}",
				 r->name, r->name, r->attr);
		return;
	}
	if (def->has_for_each && def->keys) {
		const char *key = r->key_is_each ? c->each_key : r->key;

		if (r->key_is_each && !c->in_for_each) {
			manifest_diag_at(m, c->d, path, r->offset,
					 "'${each.key}' is only "
					 "allowed in a resource with for_each");
			return;
		}
		if (key && !json_object_get(def->keys, key)) {
			char *l = keys_list(def->keys);

			manifest_diag_at(m, c->d, path, r->offset,
					 "resource '%s' has no "
					 "instance '%s'; its keys: %s",
					 r->name, key, *l ? l : "(none)");
			free(l);
			return;
		}
	}
	if (def->type && !schema_has_attribute(def->type, r->attr, &sugg)) {
		if (sugg)
			manifest_diag_at(m, c->d, path, r->offset,
					 "%s '%s' has no attribute "
					 "'%s'; did you mean '%s'?",
					 def->type, r->name, r->attr, sugg);
		else
			manifest_diag_at(m, c->d, path, r->offset,
					 "%s '%s' has no attribute "
					 "'%s'",
					 def->type, r->name, r->attr);
	}
}

static int lookup(void *ctx, const struct expr_ref *r, json_t **out,
		  struct err *e);

/* Check every template in v; returns the number of errors added. */
static size_t check_value(struct lctx *c, const json_t *v, const char *path)
{
	size_t before = diags_errors(c->d);

	if (json_is_string(v)) {
		struct expr_refs refs = EXPR_REFS_INIT;
		struct err e = ERR_INIT;
		size_t i;

		if (expr_parse(&refs, json_string_value(v), path, &e) < 0)
			manifest_diag(c->m, c->d, path, "%s", e.msg);
		for (i = 0; i < refs.n; i++)
			check_ref(c, &refs.v[i], path);
		if (refs.n && before == diags_errors(c->d)) {
			/* Interpolating a map or list is an error here. */
			json_t *x = NULL;

			if (expr_substitute(&x, v, lookup, c, NULL, NULL, &e) <
			    0)
				manifest_diag(c->m, c->d, path, "%s", e.msg);
			json_decref(x);
		}
		expr_refs_release(&refs);
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;

		json_object_foreach ((json_t *)v, k, x) {
			char *p =
			    *path ? xasprintf("%s.%s", path, k) : xstrdup(k);

			check_value(c, x, p);
			free(p);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;

		json_array_foreach (v, i, x) {
			char *p = xasprintf("%s[%zu]", path, i);

			check_value(c, x, p);
			free(p);
		}
	}
	return diags_errors(c->d) - before;
}

static int lookup(void *ctx, const struct expr_ref *r, json_t **out,
		  struct err *e)
{
	struct lctx *c = ctx;

	(void)e;
	switch (r->kind) {
	case EXPR_VAR: {
		struct manifest_variable *v = find_var(c->m, r->name);

		if (!v || !v->value)
			return 0;
		*out = json_incref(v->value);
		return 1;
	}
	case EXPR_ENV: {
		const char *s = env_get(c->opts, r->name);

		if (!s)
			return 0;
		*out = json_string(s);
		return *out ? 1 : 0;
	}
	case EXPR_EACH_KEY:
		if (!c->in_for_each || !c->each_key)
			return 0;
		*out = json_string(c->each_key);
		return 1;
	case EXPR_EACH_VALUE: {
		json_t *v = c->each_value;

		if (!c->in_for_each || !v)
			return 0;
		if (r->attr)
			v = json_path_get(v, r->attr);
		if (!v)
			return 0;
		*out = json_incref(v);
		return 1;
	}
	case EXPR_RESOURCE:
		return 0;
	}
	return 0;
}

static int key_ok(const char *k)
{
	const char *p;

	if (!*k || strlen(k) > 64)
		return 0;
	for (p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_-.:/@+", *p)))
			return 0;
	return 1;
}

/* Evaluate def's for_each into def->keys (key -> each.value). */
static void eval_for_each(struct lctx *c, struct rdef *def)
{
	char *path = xasprintf("resources.%s.for_each", def->name);
	json_t *fe = json_object_get(def->entry, "for_each"), *val = NULL, *x;
	struct err e = ERR_INIT;
	size_t i;
	const char *k;

	c->self = def->name;
	c->in_for_each = 0;
	c->no_resources = "for_each";
	c->no_resources_why = "its keys must be known before apply";
	if (check_value(c, fe, path))
		goto out;
	if (expr_eval(&val, fe, lookup, c, path, NULL, &e) < 0) {
		manifest_diag(c->m, c->d, path, "%s", e.msg);
		goto out;
	}
	def->keys = json_object();
	if (json_is_array(val)) {
		json_array_foreach (val, i, x) {
			char *ip = xasprintf("%s[%zu]", path, i);
			char *key = json_is_string(x) || json_is_number(x)
					? expr_to_text(x)
					: NULL;

			if (!key)
				manifest_diag(
				    c->m, c->d, ip,
				    "for_each list "
				    "items must be strings or numbers, "
				    "got %s",
				    json_type_name(x));
			else if (!key_ok(key))
				manifest_diag(
				    c->m, c->d, ip,
				    "invalid "
				    "for_each key '%s': keys are 1 to "
				    "64 letters, digits and _-.:/@+",
				    key);
			else if (json_object_get(def->keys, key))
				manifest_diag(c->m, c->d, ip,
					      "duplicate "
					      "for_each key '%s'",
					      key);
			else
				json_object_set(def->keys, key, x);
			free(key);
			free(ip);
		}
	} else if (json_is_object(val)) {
		json_object_foreach (val, k, x) {
			char *kp = xasprintf("%s.%s", path, k);

			if (!key_ok(k))
				manifest_diag(
				    c->m, c->d, kp,
				    "invalid "
				    "for_each key '%s': keys are 1 to "
				    "64 letters, digits and _-.:/@+",
				    k);
			else
				json_object_set(def->keys, k, x);
			free(kp);
		}
	} else if (json_is_string(fe)) {
		/* The schema reports a literal of the wrong type. */
		manifest_diag(c->m, c->d, path,
			      "'for_each' must be a list or "
			      "a map, got %s",
			      json_type_name(val));
	}
out:
	json_decref(val);
	free(path);
}

static char **str_array(json_t *a, size_t *n)
{
	char **v = xcalloc(json_array_size(a) + 1, sizeof(*v));
	size_t i, k = 0;
	json_t *x;

	json_array_foreach (a, i, x)
		if (json_is_string(x))
			v[k++] = xstrdup(json_string_value(x));
	*n = k;
	return v;
}

static char *redact(const struct manifest *m, const char *msg);

/* Whether any string (or key) in v contains "each.". */
static int mentions_each(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v))
		return strstr(json_string_value(v), "each.") != NULL;
	if (json_is_object(v))
		json_object_foreach ((json_t *)v, k, x)
			if (strstr(k, "each.") || mentions_each(x))
				return 1;
	if (json_is_array(v))
		json_array_foreach (v, i, x)
			if (mentions_each(x))
				return 1;
	return 0;
}

static void add_instance(struct lctx *c, struct rdef *def, size_t *alloc,
			 const char *key, json_t *each_value)
{
	struct manifest *m = c->m;
	struct manifest_resource *r;
	char *ppath = xasprintf("resources.%s.properties", def->name);
	json_t *props = json_object_get(def->entry, "properties");
	json_t *lc = json_object_get(def->entry, "lifecycle");
	json_t *x = NULL;
	struct err e = ERR_INIT;

	c->self = def->name;
	c->in_for_each = def->has_for_each;
	c->each_key = key;
	c->each_value = each_value;
	c->no_resources = NULL;
	if (def->shared) {
		x = json_incref(def->shared);
		goto add;
	}
	if (check_value(c, props, ppath)) {
		free(ppath);
		return;
	}
	if (expr_substitute(&x, props, lookup, c, ppath, NULL, &e) < 0) {
		manifest_diag(m, c->d, ppath, "%s", e.msg);
		free(ppath);
		return;
	}
	{
		/* Values that came from variables are checked here. */
		struct diags sd = DIAGS_INIT;
		size_t i;

		schema_validate(schema_get(def->type), x, ppath, &sd);
		for (i = 0; i < sd.n; i++) {
			char *msg = redact(m, sd.v[i].msg);

			manifest_diag(m, c->d, sd.v[i].path, "%s", msg);
			free(msg);
		}
		diags_release(&sd);
	}
	if (def->same_instances)
		def->shared = json_incref(x);
add:
	ALLOC_GROW(m->resources, m->n_resources + 1, *alloc);
	r = &m->resources[m->n_resources++];
	memset(r, 0, sizeof(*r));
	r->name = xstrdup(def->name);
	r->key = key ? xstrdup(key) : NULL;
	r->address =
	    key ? xasprintf("%s[%s]", def->name, key) : xstrdup(def->name);
	r->type = xstrdup(def->type);
	r->path = xasprintf("resources.%s", def->name);
	r->properties = x;
	if (json_is_object(json_object_get(def->entry, "provider")))
		r->provider =
		    json_incref(json_object_get(def->entry, "provider"));
	if (json_get_str(def->entry, "region", NULL))
		r->region = xstrdup(json_get_str(def->entry, "region", ""));
	else if (r->provider && json_get_str(r->provider, "region", NULL))
		r->region = xstrdup(json_get_str(r->provider, "region", ""));
	if (json_is_array(json_object_get(def->entry, "depends_on")))
		r->depends_on =
		    str_array(json_object_get(def->entry, "depends_on"),
			      &r->n_depends_on);
	if (json_is_object(lc)) {
		r->lifecycle.prevent_destroy =
		    json_get_bool(lc, "prevent_destroy", 0);
		r->lifecycle.create_before_destroy =
		    json_get_bool(lc, "create_before_destroy", 0);
		if (json_is_array(json_object_get(lc, "ignore_changes")))
			r->lifecycle.ignore_changes =
			    str_array(json_object_get(lc, "ignore_changes"),
				      &r->lifecycle.n_ignore_changes);
	}
	expr_collect(&r->refs, x, ppath);
	free(ppath);
}

/*
 * msg with the text of every sensitive variable's value replaced by
 * "(sensitive)": schema messages quote the values they reject, and those
 * values may have come from a sensitive variable (new string).
 */
static char *redact(const struct manifest *m, const char *msg)
{
	char *out = xstrdup(msg);
	size_t i;

	for (i = 0; i < m->n_vars; i++) {
		char *t, *hit;
		struct buf b = BUF_INIT;
		const char *p;

		if (!m->vars[i].sensitive || !m->vars[i].value)
			continue;
		t = expr_to_text(m->vars[i].value);
		if (!t || !*t) {
			free(t);
			continue;
		}
		for (p = out; (hit = strstr(p, t)); p = hit + strlen(t)) {
			buf_add(&b, p, (size_t)(hit - p));
			buf_puts(&b, "(sensitive)");
		}
		buf_puts(&b, p);
		free(out);
		out = buf_detach(&b, NULL);
		free(t);
	}
	return out;
}

static void check_entry(struct lctx *c, struct rdef *def)
{
	json_t *deps = json_object_get(def->entry, "depends_on"), *x;
	json_t *lc = json_object_get(def->entry, "lifecycle");
	json_t *ic = json_object_get(lc, "ignore_changes");
	size_t i;

	json_array_foreach (json_is_array(deps) ? deps : NULL, i, x) {
		char *p =
		    xasprintf("resources.%s.depends_on[%zu]", def->name, i);
		const char *n = json_string_value(x);

		if (n && !strcmp(n, def->name)) {
			manifest_diag(c->m, c->d, p,
				      "resource '%s' depends "
				      "on itself",
				      n);
		} else if (n && !find_def(c, n)) {
			const char **names =
			    xcalloc(c->ndefs + 1, sizeof(*names));
			const char *s;
			size_t j;

			for (j = 0; j < c->ndefs; j++)
				names[j] = c->defs[j].name;
			s = closest(n, names, c->ndefs);
			if (s)
				manifest_diag(c->m, c->d, p,
					      "depends_on: "
					      "unknown resource '%s'; did you "
					      "mean '%s'?",
					      n, s);
			else
				manifest_diag(c->m, c->d, p,
					      "depends_on: "
					      "unknown resource '%s'",
					      n);
			free(names);
		}
		free(p);
	}
	json_array_foreach (json_is_array(ic) ? ic : NULL, i, x) {
		char *p = xasprintf(
		    "resources.%s.lifecycle.ignore_changes[%zu]", def->name, i);
		const char *s = json_string_value(x);

		if (s && def->type && !schema_property(def->type, s))
			manifest_diag(c->m, c->d, p,
				      "ignore_changes: '%s' is "
				      "not a property of %s",
				      s, def->type);
		free(p);
	}
}

static int cmp_res(const void *a, const void *b)
{
	return strcmp(((const struct manifest_resource *)a)->address,
		      ((const struct manifest_resource *)b)->address);
}

static void load_resources(struct manifest *m, const struct manifest_opts *o,
			   struct diags *d)
{
	json_t *res = json_object_get(m->doc, "resources"), *x;
	json_t *outs = json_object_get(m->doc, "outputs");
	struct lctx c;
	const char *k;
	size_t i, alloc = 0, oalloc = 0;

	memset(&c, 0, sizeof(c));
	c.m = m;
	c.opts = o;
	c.d = d;
	if (json_is_object(res)) {
		c.defs = xcalloc(json_object_size(res) + 1, sizeof(*c.defs));
		json_object_foreach (res, k, x) {
			struct rdef *def = &c.defs[c.ndefs++];
			const char *t = json_get_str(x, "type", NULL);

			def->name = k;
			def->entry = json_is_object(x) ? x : NULL;
			def->type = t && schema_get(t) && strcmp(t, "manifest")
					? t
					: NULL;
			def->has_for_each =
			    def->entry &&
			    json_object_get(x, "for_each") != NULL;
		}
	}
	/* Settings: variables and the environment, never resources. */
	{
		static const char *const keys[] = {"providers", "backend"};
		json_t **dst[] = {&m->providers, &m->backend};

		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			json_t *v = json_object_get(m->doc, keys[i]), *nv;
			struct err e = ERR_INIT;

			if (!json_is_object(v))
				continue;
			c.no_resources = keys[i];
			c.no_resources_why = "settings must be known before "
					     "planning";
			if (check_value(&c, v, keys[i]) ||
			    expr_eval(&nv, v, lookup, &c, keys[i], NULL, &e) <
				0)
				continue;
			json_decref(*dst[i]);
			*dst[i] = nv;
		}
		c.no_resources = NULL;
		/* Values that came from variables are checked here. */
		{
			json_t *tmp =
			    json_pack("{s:O}", "providers", m->providers);
			struct diags sd = DIAGS_INIT;

			if (m->backend)
				json_object_set(tmp, "backend", m->backend);
			schema_validate(schema_get("manifest"), tmp, "", &sd);
			for (i = 0; i < sd.n; i++) {
				char *msg = redact(m, sd.v[i].msg);

				manifest_diag(m, d, sd.v[i].path, "%s", msg);
				free(msg);
			}
			diags_release(&sd);
			json_decref(tmp);
		}
	}
	for (i = 0; i < c.ndefs; i++)
		if (c.defs[i].has_for_each)
			eval_for_each(&c, &c.defs[i]);
	for (i = 0; i < c.ndefs; i++) {
		struct rdef *def = &c.defs[i];

		if (!def->entry || !def->type ||
		    !json_is_object(json_object_get(def->entry, "properties")))
			continue;
		check_entry(&c, def);
		def->same_instances =
		    def->has_for_each &&
		    !mentions_each(json_object_get(def->entry, "properties"));
		if (def->has_for_each) {
			json_object_foreach (def->keys, k, x)
				add_instance(&c, def, &alloc, k, x);
		} else {
			add_instance(&c, def, &alloc, NULL, NULL);
		}
	}
	if (m->n_resources)
		qsort(m->resources, m->n_resources, sizeof(*m->resources),
		      cmp_res);
	/* Outputs. */
	c.self = NULL;
	c.in_for_each = 0;
	c.each_key = NULL;
	c.each_value = NULL;
	c.no_resources = NULL;
	json_object_foreach (json_is_object(outs) ? outs : NULL, k, x) {
		struct manifest_output *out;
		json_t *val = x, *nv = NULL;
		char *path;
		struct err e = ERR_INIT;

		if (json_is_object(x)) {
			val = json_object_get(x, "value");
			if (!val)
				continue;
			path = xasprintf("outputs.%s.value", k);
		} else {
			path = xasprintf("outputs.%s", k);
		}
		if (check_value(&c, val, path) ||
		    expr_substitute(&nv, val, lookup, &c, path, NULL, &e) < 0) {
			if (e.code)
				manifest_diag(m, d, path, "%s", e.msg);
			free(path);
			continue;
		}
		ALLOC_GROW(m->outputs, m->n_outputs + 1, oalloc);
		out = &m->outputs[m->n_outputs++];
		memset(out, 0, sizeof(*out));
		out->name = xstrdup(k);
		out->path = path;
		out->value = nv;
		if (json_is_object(x)) {
			if (json_get_str(x, "description", NULL))
				out->description =
				    xstrdup(json_get_str(x, "description", ""));
			out->sensitive = json_get_bool(x, "sensitive", 0);
		}
		expr_collect(&out->refs, nv, path);
	}
	for (i = 0; i < c.ndefs; i++) {
		json_decref(c.defs[i].keys);
		json_decref(c.defs[i].shared);
	}
	free(c.defs);
}

static void init(struct manifest *m, const char *dir)
{
	memset(m, 0, sizeof(*m));
	m->dir = xstrdup(dir);
	m->doc = json_object();
	srcmap_init(&m->src);
	srcmap_init(&m->keys);
}

/* Everything after reading the files. */
static int finish(struct manifest *m, const struct manifest_opts *opts,
		  struct diags *d)
{
	struct diags sd = DIAGS_INIT;
	size_t i;

	/* Copies until load_resources evaluates them. */
	m->providers =
	    json_is_object(json_object_get(m->doc, "providers"))
		? json_deep_copy(json_object_get(m->doc, "providers"))
		: json_object();
	m->backend = json_is_object(json_object_get(m->doc, "backend"))
			 ? json_deep_copy(json_object_get(m->doc, "backend"))
			 : NULL;
	/* Schema problems carry paths only: position them here. */
	schema_validate(schema_get("manifest"), m->doc, "", &sd);
	for (i = 0; i < sd.n; i++)
		manifest_diag(m, d, sd.v[i].path, "%s", sd.v[i].msg);
	diags_release(&sd);
	load_vars(m, opts, d);
	load_resources(m, opts, d);
	diags_sort(d);
	diags_uniq(d);
	return diags_errors(d) ? DCF_EINVALID : 0;
}

int manifest_load(struct manifest *m, const char *dir,
		  const struct manifest_opts *opts, struct diags *d,
		  struct err *e)
{
	int ret;

	init(m, dir);
	ret = read_files(m, dir, d, e);
	if (ret < 0)
		return ret;
	return finish(m, opts, d);
}

int manifest_load_text(struct manifest *m, const char *file, const char *text,
		       size_t len, const struct manifest_opts *opts,
		       struct diags *d)
{
	const char *f;
	struct yaml_doc *docs;
	size_t nd, j;

	init(m, ".");
	f = srcmap_file(&m->src, file);
	yaml_parse_docs(&docs, &nd, f, text, len, d);
	for (j = 0; j < nd; j++)
		merge_doc(m, &docs[j], d);
	yaml_docs_free(docs, nd);
	return finish(m, opts, d);
}

const struct manifest_resource *manifest_find(const struct manifest *m,
					      const char *address)
{
	size_t lo = 0, hi = m->n_resources;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->resources[mid].address, address);

		if (!c)
			return &m->resources[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void manifest_release(struct manifest *m)
{
	size_t i, j;

	for (i = 0; i < m->n_vars; i++) {
		free(m->vars[i].name);
		free(m->vars[i].type);
		free(m->vars[i].description);
		json_decref(m->vars[i].value);
	}
	free(m->vars);
	for (i = 0; i < m->n_resources; i++) {
		struct manifest_resource *r = &m->resources[i];

		free(r->address);
		free(r->name);
		free(r->key);
		free(r->type);
		free(r->path);
		free(r->region);
		json_decref(r->properties);
		json_decref(r->provider);
		for (j = 0; j < r->n_depends_on; j++)
			free(r->depends_on[j]);
		free(r->depends_on);
		for (j = 0; j < r->lifecycle.n_ignore_changes; j++)
			free(r->lifecycle.ignore_changes[j]);
		free(r->lifecycle.ignore_changes);
		expr_refs_release(&r->refs);
	}
	free(m->resources);
	for (i = 0; i < m->n_outputs; i++) {
		free(m->outputs[i].name);
		free(m->outputs[i].path);
		free(m->outputs[i].description);
		json_decref(m->outputs[i].value);
		expr_refs_release(&m->outputs[i].refs);
	}
	free(m->outputs);
	json_decref(m->providers);
	json_decref(m->backend);
	json_decref(m->doc);
	srcmap_release(&m->src);
	srcmap_release(&m->keys);
	free(m->dir);
	memset(m, 0, sizeof(*m));
}
