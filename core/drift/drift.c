/*
 * drift.c: the drift report and .dcformignore.  See drift.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/drift/drift.h"
#include "core/plan/props.h"
#include "core/util/json.h"
#include "core/util/util.h"

/* Glob with `*` only. */
static int glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

int drift_ignore_parse(struct drift_ignore *out, const char *text,
		       const char *file, struct err *e)
{
	const char *p = text;
	int line = 0;

	memset(out, 0, sizeof(*out));
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *r = xstrndup(p, len), *s = r, *end;

		line++;
		p = nl ? nl + 1 : NULL;
		while (*s == ' ' || *s == '\t')
			s++;
		end = s + strlen(s);
		while (end > s &&
		       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (!*s || *s == '#') {
			free(r);
			continue;
		}
		if (!strchr(s, '.') || strchr(s, ' ') || s[0] == '.' ||
		    end[-1] == '.') {
			int ret = err_set(e, DCF_EINVALID,
					  "%s:%d: invalid rule '%s': expected "
					  "TYPE.ID_OR_ADDRESS[.PATH], e.g. "
					  "'tencentcloud_dcdb_instance.*'",
					  file, line, s);
			free(r);
			drift_ignore_release(out);
			return ret;
		}
		out->rules =
		    xrealloc(out->rules, (out->n + 1) * sizeof(*out->rules));
		out->rules[out->n++] = xstrdup(s);
		free(r);
	}
	return 0;
}

void drift_ignore_release(struct drift_ignore *ig)
{
	size_t i;

	for (i = 0; i < ig->n; i++)
		free(ig->rules[i]);
	free(ig->rules);
	ig->rules = NULL;
	ig->n = 0;
}

/* Rule "T.O[.P]" against type, one object name, path. */
static int rule_match(const char *rule, const char *type, const char *obj,
		      const char *path)
{
	const char *d1 = strchr(rule, '.'), *d2;
	char *t, *o;
	int ok;

	if (!d1 || !obj)
		return 0;
	/* The object part may itself hold dots (none of ours do; ids and
	 * addresses never have them), so the path starts at the 2nd dot. */
	d2 = strchr(d1 + 1, '.');
	t = xstrndup(rule, (size_t)(d1 - rule));
	o = d2 ? xstrndup(d1 + 1, (size_t)(d2 - d1 - 1)) : xstrdup(d1 + 1);
	ok = glob_match(t, type) && glob_match(o, obj);
	if (ok && d2) {
		const char *rp = d2 + 1;
		size_t n = strlen(rp);

		/* A path rule ignores that path and everything below it,
		 * never the whole object. */
		ok = path && (glob_match(rp, path) ||
			      (!strncmp(path, rp, n) && path[n] == '.'));
	}
	free(t);
	free(o);
	return ok;
}

int drift_ignore_match(const struct drift_ignore *ig, const char *type,
		       const char *id, const char *address, const char *path)
{
	size_t i;

	for (i = 0; ig && i < ig->n; i++)
		if (rule_match(ig->rules[i], type, id, path) ||
		    rule_match(ig->rules[i], type, address, path))
			return 1;
	return 0;
}

int drift_report(json_t **out, const json_t *state, const json_t *refreshed,
		 const json_t *listed, const json_t *changes,
		 const struct drift_ignore *ig, struct err *e)
{
	json_t *drifted = json_array(), *missing = json_array(),
	       *unmanaged = json_array(), *cfg = json_array();
	json_t *known = json_object(), *r, *c;
	const json_t *res = json_object_get(state, "resources");
	const char *addr, *type, *region, *id;
	json_t *byregion, *objs, *o;
	long long ignored = 0;
	size_t i;

	(void)e;
	json_object_foreach ((json_t *)res, addr, r) {
		const char *t = json_get_str(r, "type", "");
		const char *rid = json_get_str(r, "id", NULL);
		json_t *now = json_object_get(refreshed, addr);
		json_t *paths, *p, *ch;

		if (!rid)
			continue;
		json_object_set_new(known, rid, json_true());
		if (drift_ignore_match(ig, t, rid, addr, NULL)) {
			ignored++;
			continue;
		}
		if (json_is_null(now)) {
			json_array_append_new(
			    missing, json_pack("{s:s,s:s,s:s}", "address", addr,
					       "type", t, "id", rid));
			continue;
		}
		if (!json_is_object(now) ||
		    !json_is_object(json_object_get(r, "attributes")))
			continue;
		paths = json_array();
		props_diff(paths, t, now, json_object_get(r, "attributes"),
			   NULL, NULL);
		ch = json_array();
		json_array_foreach (paths, i, p) {
			const char *ps = json_string_value(p);
			json_t *a =
			    json_path_get(json_object_get(r, "attributes"), ps);
			json_t *b = json_path_get(now, ps);

			if (drift_ignore_match(ig, t, rid, addr, ps)) {
				ignored++;
				continue;
			}
			json_array_append_new(
			    ch, json_pack("{s:s,s:O?,s:O?}", "path", ps,
					  "applied", a, "cloud", b));
		}
		json_decref(paths);
		if (json_array_size(ch))
			json_array_append_new(
			    drifted,
			    json_pack("{s:s,s:s,s:s,s:o}", "address", addr,
				      "type", t, "id", rid, "changes", ch));
		else
			json_decref(ch);
	}

	json_object_foreach ((json_t *)listed, type, byregion) {
		json_object_foreach (byregion, region, objs) {
			json_object_foreach (objs, id, o) {
				if (json_object_get(known, id))
					continue;
				if (drift_ignore_match(ig, type, id, NULL,
						       NULL)) {
					ignored++;
					continue;
				}
				json_array_append_new(
				    unmanaged,
				    json_pack("{s:s,s:s,s:s,s:s}", "type", type,
					      "region", region, "id", id,
					      "name",
					      json_get_str(o, "name", "")));
			}
		}
	}

	json_array_foreach (changes, i, c) {
		const char *a = json_get_str(c, "action", "no-op");

		if (!strcmp(a, "no-op"))
			continue;
		json_array_append_new(
		    cfg, json_pack("{s:s,s:s,s:O}", "address",
				   json_get_str(c, "address", ""), "action", a,
				   "paths", json_object_get(c, "changed")));
	}

	*out = json_pack(
	    "{s:i,s:b,s:o,s:o,s:o,s:o,s:I}", "format_version", 1, "clean",
	    !json_array_size(drifted) && !json_array_size(missing) &&
		!json_array_size(unmanaged),
	    "drifted", drifted, "missing", missing, "unmanaged", unmanaged,
	    "config_changes", cfg, "ignored", (json_int_t)ignored);
	json_decref(known);
	return 0;
}

int drift_list_unmanaged(json_t **out, const struct provider_set *ps,
			 const json_t *regions, struct err *e)
{
	const struct resource_type *const *t;
	json_t *res = json_object();
	int ret = 0;

	for (t = resource_type_all(); *t; t++) {
		const struct resource_type *rt = *t;
		void *ctx = provider_set_ctx(ps, rt->provider);
		json_t *regs = json_object_get(regions, rt->provider), *rg;
		json_t *byregion;
		size_t i;

		if (!ctx || !(rt->caps & RT_CAP_LIST) || !rt->list_all)
			continue;
		byregion = json_object();
		json_object_set_new(res, rt->name, byregion);
		json_array_foreach (regs, i, rg) {
			json_t *objs = NULL;

			ret =
			    rt->list_all(ctx, json_string_value(rg), &objs, e);
			if (ret < 0) {
				err_prefix(e, "list %s in %s", rt->name,
					   json_string_value(rg));
				json_decref(res);
				return ret;
			}
			json_object_set_new(byregion, json_string_value(rg),
					    objs);
		}
	}
	*out = res;
	return 0;
}
