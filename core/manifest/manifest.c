/*
 * manifest.c: loading a configuration.  See manifest.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph/graph.h"
#include "core/manifest/expr.h"
#include "core/manifest/manifest.h"
#include "core/plan/props.h"
#include "core/schema/schema.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"

static const char *const sections[] = {"providers", "variables", "resources",
				       "outputs"};

const char *manifest_type_provider(const char *type)
{
	if (str_starts_with(type, "tencentcloud_"))
		return "tencentcloud";
	if (str_starts_with(type, "jdcloud_"))
		return "jdcloud";
	return "";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.yaml / *.yml files of dir (NULL-terminated, caller frees). */
static char **list_files(const char *dir, struct diags *d)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	if (!dh) {
		diags_add(d, dir, 0, 0, NULL, "cannot read directory: %s",
			  strerror(errno));
		return NULL;
	}
	while ((de = readdir(dh))) {
		if (de->d_name[0] == '.' ||
		    (!str_ends_with(de->d_name, ".yaml") &&
		     !str_ends_with(de->d_name, ".yml")))
			continue;
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = strcmp(dir, ".") ? fs_join(dir, de->d_name)
					  : xstrdup(de->d_name);
	}
	closedir(dh);
	if (!n) {
		diags_add(d, dir, 0, 0, NULL,
			  "no manifests: the directory has no *.yaml files");
		return NULL;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	v[n] = NULL;
	return v;
}

static void posmap_merge(struct posmap *dst, const struct posmap *src)
{
	const char *k;
	json_t *v;

	json_object_foreach(src->map, k, v) {
		size_t fi = (size_t)json_integer_value(json_array_get(v, 0));

		if (json_object_get(dst->map, k))
			continue;
		posmap_set(dst, k, src->files[fi],
			   (int)json_integer_value(json_array_get(v, 1)),
			   (int)json_integer_value(json_array_get(v, 2)));
	}
}

static void add_at(struct diags *d, const struct posmap *pm, const char *path,
		   const char *fmt, const char *a, const char *b,
		   const char *c)
{
	struct pos p;
	char msg[1024];

	posmap_get(pm, path, &p);
	snprintf(msg, sizeof(msg), fmt, a ? a : "", b ? b : "", c ? c : "");
	diags_add(d, p.file, p.line, p.col, path, "%s", msg);
}

/* Merge one document into m->doc. */
static void merge_doc(struct manifest *m, json_t *doc, const char *file,
		      const struct posmap *fpm, struct diags *d)
{
	const char *k;
	json_t *v;

	if (!json_is_object(doc)) {
		struct pos p;

		posmap_get(fpm, "", &p);
		diags_add(d, file, p.line, p.col, NULL,
			  "a manifest document must be a mapping with "
			  "providers, variables, resources, outputs or "
			  "backend; got %s",
			  json_type_name(doc));
		return;
	}
	json_object_foreach(doc, k, v) {
		size_t i;
		int section = 0;

		for (i = 0; i < ARRAY_SIZE(sections); i++)
			if (!strcmp(k, sections[i]))
				section = 1;
		if (section && json_is_object(v) &&
		    json_is_object(json_object_get(m->doc, k))) {
			json_t *have = json_object_get(m->doc, k), *x;
			const char *name;

			json_object_foreach(v, name, x) {
				if (json_object_get(have, name)) {
					char *path = xasprintf("%s.%s", k,
							       name);
					struct pos first, again;

					posmap_get(&m->pm, path, &first);
					posmap_get(fpm, path, &again);
					diags_add(d, again.file, again.line,
						  again.col, path,
						  "'%s' is defined twice in "
						  "%s (first at %s:%d:%d)",
						  name, k,
						  first.file ? first.file : "?",
						  first.line, first.col);
					free(path);
					continue;
				}
				json_object_set(have, name, x);
			}
			continue;
		}
		if (json_object_get(m->doc, k)) {
			struct pos first, again;

			posmap_get(&m->pm, k, &first);
			posmap_get(fpm, k, &again);
			diags_add(d, again.file, again.line, again.col, k,
				  "'%s' is defined twice (first at %s:%d:%d)",
				  k, first.file ? first.file : "?", first.line,
				  first.col);
			continue;
		}
		json_object_set(m->doc, k, v);
	}
}

void manifest_locate(const struct manifest *m, struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		struct pos p;

		if (d->v[i].line || !d->v[i].path)
			continue;
		if (posmap_get(&m->pm, d->v[i].path, &p)) {
			free(d->v[i].file);
			d->v[i].file = p.file ? xstrdup(p.file) : NULL;
			d->v[i].line = p.line;
			d->v[i].col = p.col;
		}
	}
}

/* ---- variables ---------------------------------------------------- */

/* Parse a command-line or environment string as the variable's type. */
static json_t *typed(const char *type, const char *s, char *err, size_t n)
{
	json_t *v;
	json_error_t je;

	if (!type || !strcmp(type, "string"))
		return json_string(s);
	if (!strcmp(type, "number")) {
		char *end;
		long long i = strtoll(s, &end, 10);
		double x;

		if (*s && !*end)
			return json_integer(i);
		x = strtod(s, &end);
		if (*s && !*end)
			return json_real(x);
		snprintf(n ? err : err, n, "'%s' is not a number", s);
		return NULL;
	}
	if (!strcmp(type, "bool")) {
		if (!strcmp(s, "true"))
			return json_true();
		if (!strcmp(s, "false"))
			return json_false();
		snprintf(err, n, "'%s' is not a bool (true or false)", s);
		return NULL;
	}
	v = json_loads(s, JSON_DECODE_ANY, &je);
	if (v && ((!strcmp(type, "list") && json_is_array(v)) ||
		  (!strcmp(type, "map") && json_is_object(v))))
		return v;
	json_decref(v);
	snprintf(err, n, "'%s' is not a %s in JSON syntax (such as %s)", s,
		 type, !strcmp(type, "list") ? "[\"a\",\"b\"]" : "{\"k\":\"v\"}");
	return NULL;
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

static void resolve_variables(struct manifest *m,
			      const struct manifest_opts *o, struct diags *d)
{
	json_t *decl = json_object_get(m->doc, "variables");
	json_t *from_files = json_object();
	const char *name;
	json_t *v;
	size_t i;

	for (i = 0; o && i < o->nvar_files; i++) {
		json_t *docs = NULL, *doc;
		struct posmap fpm;

		posmap_init(&fpm);
		if (!yaml_load_file(&docs, o->var_files[i], &fpm, d)) {
			doc = json_array_get(docs, 0);
			if (json_array_size(docs) > 1 || (doc &&
			    !json_is_object(doc))) {
				diags_add(d, o->var_files[i], 1, 1, NULL,
					  "a variable file is one mapping of "
					  "variable names to values");
			} else {
				json_object_foreach(doc, name, v) {
					if (!json_object_get(decl, name)) {
						struct pos p;

						posmap_get(&fpm, name, &p);
						diags_add(
							d, o->var_files[i],
							p.line, p.col, name,
							"unknown variable '%s'; "
							"declare it under "
							"variables:",
							name);
						continue;
					}
					json_object_set(from_files, name, v);
				}
			}
		}
		json_decref(docs);
		posmap_release(&fpm);
	}

	json_object_foreach(decl, name, v) {
		const char *type = json_get_str(v, "type", NULL);
		json_t *val = NULL, *x;
		char err[256] = "", *envname;
		const char *env;
		const char *where = NULL;
		size_t j;

		/* --var, last one wins. */
		for (j = 0; o && j < o->nvars; j++) {
			const char *eq = strchr(o->vars[j], '=');

			if (eq && (size_t)(eq - o->vars[j]) == strlen(name) &&
			    !strncmp(o->vars[j], name, strlen(name))) {
				json_decref(val);
				val = typed(type, eq + 1, err, sizeof(err));
				where = "--var";
			}
		}
		if (!val && !*err && (x = json_object_get(from_files, name))) {
			val = json_incref(x);
			where = "--var-file";
		}
		envname = xasprintf("DCFORM_VAR_%s", name);
		if (!val && !*err && (env = getenv(envname))) {
			val = typed(type, env, err, sizeof(err));
			where = envname;
		}
		if (!val && !*err && (x = json_object_get(v, "default"))) {
			val = json_incref(x);
			where = "default";
		}
		if (*err) {
			diags_add(d, NULL, 0, 0, NULL, "variable '%s' (%s): %s",
				  name, where ? where : "value", err);
			/* Reported once: references see null, not a second
			 * "has no value". */
			json_object_set_new(m->variables, name, json_null());
		} else if (val && !type_ok(type, val)) {
			char *path = xasprintf("variables.%s", name);
			struct pos p;

			posmap_get(&m->pm, path, &p);
			diags_add(d, p.file, p.line, p.col, path,
				  "variable '%s' must be a %s, got %s (from "
				  "%s)",
				  name, type, json_type_name(val), where);
			free(path);
		} else if (val) {
			json_object_set(m->variables, name, val);
		}
		if (json_get_bool(v, "sensitive", 0))
			json_object_set_new(m->sensitive_vars, name,
					    json_true());
		json_decref(val);
		free(envname);
	}
	for (i = 0; o && i < o->nvars; i++) {
		const char *eq = strchr(o->vars[i], '=');
		char *n2 = eq ? xstrndup(o->vars[i],
					 (size_t)(eq - o->vars[i]))
			      : xstrdup(o->vars[i]);

		if (!eq)
			diags_add(d, NULL, 0, 0, NULL,
				  "--var '%s': expected NAME=VALUE", n2);
		else if (!json_object_get(decl, n2))
			diags_add(d, NULL, 0, 0, NULL,
				  "--var '%s': unknown variable; declare it "
				  "under variables:",
				  n2);
		free(n2);
	}
	json_decref(from_files);
}

/* ---- references --------------------------------------------------- */

struct lctx {
	struct manifest *m;
	const char *self;     /* resource name being evaluated, or NULL */
	const json_t *each_key, *each_value; /* NULL without for_each */
	json_t *deps;         /* addresses referenced (object as a set) */
	int allow_each;
};

static const char *closest(const json_t *obj, const char *name)
{
	const char *best = NULL, *k;
	size_t bestd = (size_t)-1;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t dd = str_edit_distance(name, k);

		if (dd < bestd) {
			bestd = dd;
			best = k;
		}
	}
	return bestd <= 3 ? best : NULL;
}

static json_t *lookup(const struct ref *r, void *ctx, char *err, size_t n)
{
	struct lctx *x = ctx;
	json_t *resources = json_object_get(x->m->doc, "resources"), *t, *v;
	const char *s, *sug;

	switch (r->kind) {
	case REF_VAR:
		v = json_object_get(x->m->variables, r->name);
		if (v)
			return json_incref(v);
		if (!json_object_get(json_object_get(x->m->doc, "variables"),
				     r->name)) {
			sug = closest(json_object_get(x->m->doc, "variables"),
				      r->name);
			snprintf(err, n,
				 "unknown variable '%s'%s%s%s; declare it under "
				 "variables:",
				 r->name, sug ? " (did you mean '" : "",
				 sug ? sug : "", sug ? "'?)" : "");
		} else {
			snprintf(err, n,
				 "variable '%s' has no value; set it with --var "
				 "%s=…, --var-file, DCFORM_VAR_%s or a default",
				 r->name, r->name, r->name);
		}
		return EXPR_ERROR;
	case REF_ENV:
		s = getenv(r->name);
		if (s)
			return json_string(s);
		snprintf(err, n, "environment variable '%s' is not set",
			 r->name);
		return EXPR_ERROR;
	case REF_EACH_KEY:
	case REF_EACH_VALUE:
		if (!x->each_key) {
			snprintf(err, n,
				 "'${each.%s}' is only available in a resource "
				 "with for_each",
				 r->kind == REF_EACH_KEY ? "key" : "value");
			return EXPR_ERROR;
		}
		if (r->kind == REF_EACH_KEY)
			return json_incref((json_t *)x->each_key);
		v = r->attr ? json_path_get(x->each_value, r->attr)
			    : (json_t *)x->each_value;
		if (!v) {
			snprintf(err, n, "each.value has no member '%s'",
				 r->attr);
			return EXPR_ERROR;
		}
		return json_incref(v);
	case REF_RESOURCE:
		break;
	}
	t = json_object_get(resources, r->name);
	if (!t) {
		sug = closest(resources, r->name);
		snprintf(err, n, "unknown resource '%s'%s%s%s", r->name,
			 sug ? " (did you mean '" : "", sug ? sug : "",
			 sug ? "'?)" : "");
		return EXPR_ERROR;
	}
	if (x->self && !strcmp(x->self, r->name)) {
		snprintf(err, n,
			 "'%s' refers to itself; a resource cannot use its own "
			 "attributes",
			 r->name);
		return EXPR_ERROR;
	}
	{
		char *first = xstrdup(r->attr), *dot = strchr(first, '.');
		const char *type = json_get_str(t, "type", "");
		int has;

		if (dot)
			*dot = '\0';
		sug = NULL;
		has = schema_has_attribute(type, first, &sug);
		if (!has && schema_get(type)) {
			snprintf(err, n, "%s has no attribute '%s'%s%s%s", type,
				 first, sug ? " (did you mean '" : "",
				 sug ? sug : "", sug ? "'?)" : "");
			free(first);
			return EXPR_ERROR;
		}
		free(first);
	}
	if (json_object_get(t, "for_each") && !r->key) {
		snprintf(err, n,
			 "'%s' has for_each; refer to one instance as "
			 "${%s[KEY].%s}",
			 r->name, r->name, r->attr);
		return EXPR_ERROR;
	}
	if (!json_object_get(t, "for_each") && r->key) {
		snprintf(err, n, "'%s' has no for_each; write ${%s.%s}",
			 r->name, r->name, r->attr);
		return EXPR_ERROR;
	}
	if (x->deps) {
		char *a = r->key ? xasprintf("%s[%s]", r->name, r->key)
				 : xstrdup(r->name);
		json_object_set_new(x->deps, a, json_true());
		free(a);
	}
	return NULL; /* known only at plan/apply time */
}

static int eval_at(json_t **out, struct manifest *m, const json_t *v,
		   const char *path, struct lctx *x, struct diags *d)
{
	char err[512] = "", *errpath = NULL;
	struct pos p;

	if (expr_eval(out, v, path, lookup, x, 1, err, sizeof(err),
		      &errpath) == 0)
		return 0;
	posmap_get(&m->pm, errpath, &p);
	diags_add(d, p.file, p.line, p.col, errpath, "%s", err);
	free(errpath);
	return -1;
}

/* Keys of a for_each value: list items as strings, or map keys. */
static json_t *each_items(const json_t *fe, char *err, size_t n)
{
	json_t *items = json_object(), *v;
	const char *k;
	size_t i;

	if (json_is_object(fe)) {
		json_object_foreach((json_t *)fe, k, v)
			json_object_set(items, k, v);
		return items;
	}
	if (!json_is_array(fe)) {
		snprintf(err, n, "for_each must be a list or a map, got %s",
			 json_type_name(fe));
		json_decref(items);
		return NULL;
	}
	json_array_foreach(fe, i, v) {
		char buf[64];
		const char *key;

		if (json_is_string(v))
			key = json_string_value(v);
		else if (json_is_integer(v)) {
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			key = buf;
		} else {
			snprintf(err, n,
				 "for_each list items must be strings or "
				 "numbers, got %s",
				 json_type_name(v));
			json_decref(items);
			return NULL;
		}
		if (!*key || strpbrk(key, "[]\"/\\") ||
		    json_object_get(items, key)) {
			snprintf(err, n,
				 "for_each key '%s' is empty, repeated or "
				 "holds [ ] \" / \\",
				 key);
			json_decref(items);
			return NULL;
		}
		json_object_set_new(items, key, json_string(key));
	}
	return items;
}

static const char *region_of(const struct manifest *m, const json_t *res,
			     const char *provider)
{
	const char *r = json_get_str(res, "region", NULL);
	const char *env;

	if (!r)
		r = json_get_str(json_object_get(res, "provider"), "region",
				 NULL);
	if (!r)
		r = json_get_str(json_object_get(m->providers, provider),
				 "region", NULL);
	if (!r) {
		env = getenv(!strcmp(provider, "tencentcloud")
				     ? "TENCENTCLOUD_REGION"
				     : "JDCLOUD_REGION");
		r = env;
	}
	return r ? r : "";
}

static void add_resource(struct manifest *m, const char *name,
			 const json_t *res, struct diags *d)
{
	const char *type = json_get_str(res, "type", "");
	const char *provider = manifest_type_provider(type);
	char *src = xasprintf("resources.%s", name);
	json_t *fe = json_object_get(res, "for_each"), *items = NULL;
	json_t *key, *val;
	const char *k;
	struct lctx x = {m, name, NULL, NULL, NULL, 0};

	if (fe) {
		char *p = xasprintf("%s.for_each", src);
		json_t *fev = NULL;
		char err[256];

		x.self = NULL;
		if (eval_at(&fev, m, fe, p, &x, d) == 0) {
			items = each_items(fev, err, sizeof(err));
			if (!items)
				add_at(d, &m->pm, p, "%s%s%s", err, NULL,
				       NULL);
		}
		json_decref(fev);
		free(p);
		if (!items)
			goto out;
	} else {
		items = json_pack("{s:n}", "");
	}
	json_object_foreach(items, k, val) {
		char *addr = fe ? xasprintf("%s[%s]", name, k) : xstrdup(name);
		char *ppath = xasprintf("%s.properties", src);
		json_t *props = NULL, *deps = json_object(), *dl, *e;
		json_t *ent;
		size_t i;

		key = json_string(k);
		x.self = name;
		x.each_key = fe ? key : NULL;
		x.each_value = fe ? val : NULL;
		x.deps = deps;
		if (eval_at(&props, m, json_object_get(res, "properties"),
			    ppath, &x, d) < 0) {
			json_decref(key);
			json_decref(deps);
			free(addr);
			free(ppath);
			continue;
		}
		json_array_foreach(json_object_get(res, "depends_on"), i, e) {
			const char *dn = json_string_value(e);
			json_t *dr = json_object_get(
				json_object_get(m->doc, "resources"), dn);
			char *ep = xasprintf("%s.depends_on[%zu]", src, i);

			if (!dn)
				;
			else if (!dr)
				add_at(d, &m->pm, ep,
				       "depends_on names unknown resource '%s'%s%s",
				       dn, NULL, NULL);
			else if (!strcmp(dn, name))
				add_at(d, &m->pm, ep,
				       "'%s' cannot depend on itself%s%s", dn,
				       NULL, NULL);
			else
				json_object_set_new(deps, dn, json_false());
			free(ep);
		}
		dl = json_array();
		{
			const char *dk;
			json_t *dv;

			json_object_foreach(deps, dk, dv)
				json_array_append_new(dl, json_string(dk));
		}
		ent = json_object();
		json_object_set_new(ent, "name", json_string(name));
		json_object_set_new(ent, "type", json_string(type));
		json_object_set_new(ent, "provider", json_string(provider));
		json_object_set_new(ent, "region",
				    json_string(region_of(m, res, provider)));
		json_object_set_new(ent, "properties", props);
		json_object_set_new(ent, "lifecycle",
				    json_object_get(res, "lifecycle")
					    ? json_deep_copy(json_object_get(
						      res, "lifecycle"))
					    : json_object());
		json_object_set_new(ent, "depends_on", dl);
		json_object_set_new(ent, "source", json_string(src));
		if (fe)
			json_object_set_new(ent, "key", json_string(k));
		json_object_set_new(m->desired, addr, ent);
		json_decref(key);
		json_decref(deps);
		free(addr);
		free(ppath);
	}
out:
	json_decref(items);
	free(src);
}

/* depends_on entries naming a for_each resource mean all its instances. */
static void expand_deps(struct manifest *m)
{
	const char *addr;
	json_t *ent;

	json_object_foreach(m->desired, addr, ent) {
		json_t *dl = json_object_get(ent, "depends_on"), *out =
								    json_array();
		json_t *dv;
		size_t i;

		json_array_foreach(dl, i, dv) {
			const char *dn = json_string_value(dv);
			const char *a2;
			json_t *e2;

			if (json_object_get(m->desired, dn)) {
				json_array_append(out, dv);
				continue;
			}
			json_object_foreach(m->desired, a2, e2)
				if (!strcmp(json_get_str(e2, "name", ""),
					    dn))
					json_array_append_new(out,
							      json_string(a2));
		}
		json_object_set_new(ent, "depends_on", out);
	}
}

static void add_outputs(struct manifest *m, struct diags *d)
{
	const char *name;
	json_t *o;

	json_object_foreach(json_object_get(m->doc, "outputs"), name, o) {
		int full = json_is_object(o) && json_object_get(o, "value");
		char *path = xasprintf(full ? "outputs.%s.value" : "outputs.%s",
				       name);
		json_t *val = NULL;
		struct lctx x = {m, NULL, NULL, NULL, NULL, 0};

		if (eval_at(&val, m, full ? json_object_get(o, "value") : o,
			    path, &x, d) == 0)
			json_object_set_new(
				m->outputs, name,
				json_pack("{s:o,s:b,s:s}", "value", val,
					  "sensitive",
					  full ? json_get_bool(o, "sensitive",
							       0)
					       : 0,
					  "description",
					  full ? json_get_str(o, "description",
							      "")
					       : ""));
		free(path);
	}
}

size_t manifest_load(struct manifest *m, const char *dir,
		     const struct manifest_opts *o, struct diags *d)
{
	size_t before = d->n, i;
	char **files;
	const char *name;
	json_t *res;

	memset(m, 0, sizeof(*m));
	m->doc = json_object();
	m->desired = json_object();
	m->outputs = json_object();
	m->variables = json_object();
	m->sensitive_vars = json_object();
	posmap_init(&m->pm);

	files = list_files(dir, d);
	for (i = 0; files && files[i]; i++) {
		json_t *docs = NULL, *doc;
		struct posmap fpm;
		size_t j;

		posmap_init(&fpm);
		if (!yaml_load_file(&docs, files[i], &fpm, d)) {
			if (!json_array_size(docs))
				diags_add(d, files[i], 1, 1, NULL,
					  "empty manifest: the file has no "
					  "YAML document");
			json_array_foreach(docs, j, doc)
				merge_doc(m, doc, files[i], &fpm, d);
			posmap_merge(&m->pm, &fpm);
		}
		json_decref(docs);
		posmap_release(&fpm);
		free(files[i]);
		m->nfiles++;
	}
	free(files);
	if (d->n > before)
		goto out;

	/* The schemas: structure, types, ranges, enums, unknown keys. */
	schema_validate(schema_get("manifest"), m->doc, "", d);
	manifest_locate(m, d);
	if (d->n > before)
		goto out;

	m->providers = json_incref(json_object_get(m->doc, "providers"));
	if (!m->providers)
		m->providers = json_object();
	m->backend = json_incref(json_object_get(m->doc, "backend"));
	resolve_variables(m, o, d);
	json_object_foreach(json_object_get(m->doc, "resources"), name, res)
		add_resource(m, name, res, d);
	expand_deps(m);
	add_outputs(m, d);
	if (d->n > before)
		goto out;

	/* Variables may have put values of the wrong type in place. */
	{
		const char *addr;
		json_t *ent;

		json_object_foreach(m->desired, addr, ent) {
			char *p = xasprintf("%s.properties",
					    json_get_str(ent, "source", ""));
			json_t *sch = (json_t *)schema_get(
				json_get_str(ent, "type", ""));

			if (sch)
				schema_validate(sch,
						json_object_get(ent,
								"properties"),
						p, d);
			free(p);
			if (d->n > before)
				break; /* one instance says it for all */
		}
		manifest_locate(m, d);
	}
	if (d->n > before)
		goto out;
	graph_check_cycles(m->desired, &m->pm, d);
out:
	diags_sort(d);
	return d->n - before;
}

void manifest_release(struct manifest *m)
{
	json_decref(m->doc);
	json_decref(m->desired);
	json_decref(m->outputs);
	json_decref(m->providers);
	json_decref(m->backend);
	json_decref(m->variables);
	json_decref(m->sensitive_vars);
	posmap_release(&m->pm);
	memset(m, 0, sizeof(*m));
}

/* ---- late resolution ---------------------------------------------- */

struct rctx {
	manifest_attr_fn fn;
	void *ctx;
	int unknown;
};

static json_t *late_lookup(const struct ref *r, void *ctx, char *err,
			   size_t n)
{
	struct rctx *x = ctx;
	char *addr;
	json_t *v;

	if (r->kind != REF_RESOURCE) {
		snprintf(err, n, "unresolved expression");
		return EXPR_ERROR;
	}
	addr = r->key ? xasprintf("%s[%s]", r->name, r->key)
		      : xstrdup(r->name);
	v = x->fn(addr, r->attr, x->ctx);
	free(addr);
	if (!v) {
		x->unknown = 1;
		return json_string(PROPS_UNKNOWN);
	}
	return v;
}

static json_t *collapse_unknown(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v) && strstr(json_string_value(v), PROPS_UNKNOWN) &&
	    strcmp(json_string_value(v), PROPS_UNKNOWN)) {
		json_decref(v);
		return json_string(PROPS_UNKNOWN);
	}
	if (json_is_object(v))
		json_object_foreach(v, k, x)
			json_object_set_new(v, k,
					    collapse_unknown(json_incref(x)));
	if (json_is_array(v))
		json_array_foreach(v, i, x)
			json_array_set_new(v, i,
					   collapse_unknown(json_incref(x)));
	return v;
}

json_t *manifest_resolve_refs(const json_t *v, manifest_attr_fn fn, void *ctx,
			      int *unknown)
{
	struct rctx x = {fn, ctx, 0};
	char err[256], *errpath = NULL;
	json_t *out = NULL;

	if (expr_eval(&out, v, "", late_lookup, &x, 0, err, sizeof(err),
		      &errpath) < 0) {
		/* Cannot happen for a loaded manifest (checked at load);
		 * be safe: unknown. */
		free(errpath);
		x.unknown = 1;
		out = json_string(PROPS_UNKNOWN);
	}
	if (unknown)
		*unknown = x.unknown;
	return x.unknown ? collapse_unknown(out) : out;
}
