/*
 * plan.c: refresh, diff, step expansion and ordering, quotes, plan files.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/plan/plan.h"
#include "core/plan/props.h"
#include "core/schema/schema.h"
#include "core/util/buf.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"

#define PLAN_MAX_FILE (64u << 20)

static const char *const step_names[] = {
    [STEP_CREATE] = "create", [STEP_CONFIRM] = "confirm",
    [STEP_PAY] = "pay",	      [STEP_WAIT] = "wait",
    [STEP_INIT] = "init",     [STEP_UPDATE] = "update",
    [STEP_DELETE] = "delete", [STEP_READ] = "read",
};

const char *step_kind_name(enum step_kind k)
{
	if ((unsigned)k >= sizeof(step_names) / sizeof(step_names[0]))
		return "?";
	return step_names[k];
}

int step_kind_parse(enum step_kind *out, const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(step_names) / sizeof(step_names[0]); i++)
		if (!strcmp(step_names[i], name)) {
			*out = (enum step_kind)i;
			return 0;
		}
	return DCF_EINVALID;
}

static const char *const action_names[] = {
    [CHANGE_NOOP] = "no-op",	[CHANGE_CREATE] = "create",
    [CHANGE_UPDATE] = "update", [CHANGE_REPLACE] = "replace",
    [CHANGE_DELETE] = "delete", [CHANGE_RESUME] = "resume",
};

const char *change_action_name(enum change_action a)
{
	if ((unsigned)a >= sizeof(action_names) / sizeof(action_names[0]))
		return "?";
	return action_names[a];
}

static int action_parse(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(action_names) / sizeof(action_names[0]);
	     i++)
		if (!strcmp(action_names[i], name))
			return (int)i;
	return -1;
}

void *provider_set_ctx(const struct provider_set *s, const char *name)
{
	size_t i;

	for (i = 0; s && i < s->n; i++)
		if (!strcmp(s->p[i]->name, name))
			return s->ctx[i];
	return NULL;
}

void provider_set_release(struct provider_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		s->p[i]->free(s->ctx[i]);
	s->n = 0;
}

/* ---- refresh -------------------------------------------------------- */

/*
 * One (type, region) group of a refresh.  The groups are read at the same
 * time, one thread each (at most REFRESH_THREADS at once): their calls
 * overlap and decoding one region's answers runs beside another's
 * network wait.  Providers without PROVIDER_CAP_THREADSAFE read one group
 * at a time.
 */
struct rgroup {
	const struct resource_type *rt;
	void *ctx;
	int serial;
	const char *region;
	json_t *ids;	 /* ids to read */
	json_t *applied; /* id → the state's attributes */
	json_t *got;	 /* id → attributes */
	int ret;
	struct err e;
};

static int overlay_changes(const json_t *base, const json_t *over);

/*
 * One object read (read_each): when the cloud reports nothing that
 * differs from the state's attributes (a large plan's usual case), the
 * state's attributes stand for the reading, which is freed at once:
 * a refresh of 10,000 objects then holds no second copy of them.
 */
static void keep_read(void *arg, const char *id, json_t *attrs)
{
	struct rgroup *g = arg;
	json_t *was = json_object_get(g->applied, id);

	if (json_is_object(was) && json_is_object(attrs) &&
	    !overlay_changes(was, attrs)) {
		json_decref(attrs);
		attrs = json_incref(was);
	}
	json_object_set_new(g->got, id, attrs);
}

#define REFRESH_THREADS 8

static pthread_mutex_t refresh_serial = PTHREAD_MUTEX_INITIALIZER;

static void *read_group(void *arg)
{
	struct rgroup *g = arg;

	if (g->serial)
		pthread_mutex_lock(&refresh_serial);
	if (g->rt->read_each) {
		g->got = json_object();
		g->ret = g->rt->read_each(g->ctx, g->region, g->ids, keep_read,
					  g, &g->e);
	} else {
		g->ret =
		    g->rt->read_many(g->ctx, g->region, g->ids, &g->got, &g->e);
	}
	if (g->serial)
		pthread_mutex_unlock(&refresh_serial);
	return NULL;
}

int plan_refresh(json_t **out, const struct provider_set *ps,
		 const json_t *state, int parallelism, struct err *e)
{
	json_t *groups = json_object(), *res = json_object();
	json_t *resources = json_object_get(state, "resources");
	const char *addr, *gkey;
	json_t *r, *g;
	struct rgroup *rg = NULL;
	size_t ng = 0, i, j;
	int ret = 0;

	(void)parallelism;
	/* Group addresses by "type\nregion", keeping id → [addresses]. */
	json_object_foreach (resources, addr, r) {
		const char *id = json_get_str(r, "id", NULL);
		char *k;
		json_t *ids;

		if (!id || !*id)
			continue;
		k = xasprintf("%s\n%s", json_get_str(r, "type", ""),
			      json_get_str(r, "region", ""));
		g = json_object_get(groups, k);
		if (!g) {
			g = json_object();
			json_object_set_new(groups, k, g);
		}
		ids = json_object_get(g, id);
		if (!ids) {
			ids = json_array();
			json_object_set_new(g, id, ids);
		}
		json_array_append_new(ids, json_string(addr));
		free(k);
	}

	rg = xcalloc(json_object_size(groups) + 1, sizeof(*rg));
	json_object_foreach (groups, gkey, g) {
		const char *nl = strchr(gkey, '\n');
		char *type = xstrndup(gkey, (size_t)(nl - gkey));
		const struct resource_type *rt = resource_type_lookup(type);
		const struct provider *pv;
		json_t *addrs;
		const char *id;
		void *ctx;

		if (!rt) {
			ret = err_set(e, DCF_EINVALID,
				      "state has unknown resource type '%s'",
				      type);
			free(type);
			goto out;
		}
		ctx = provider_set_ctx(ps, rt->provider);
		if (!ctx) {
			ret = err_set(e, DCF_EINVALID,
				      "state has %s resources but provider "
				      "'%s' is not configured",
				      type, rt->provider);
			free(type);
			goto out;
		}
		free(type);
		pv = provider_lookup(rt->provider);
		rg[ng].rt = rt;
		rg[ng].ctx = ctx;
		rg[ng].serial = !pv || !(pv->caps & PROVIDER_CAP_THREADSAFE);
		rg[ng].region = nl + 1;
		rg[ng].ids = json_array();
		rg[ng].applied = json_object();
		rg[ng].e = (struct err)ERR_INIT;
		json_object_foreach (g, id, addrs) {
			json_t *sr = json_object_get(
			    resources,
			    json_string_value(json_array_get(addrs, 0)));

			json_array_append_new(rg[ng].ids, json_string(id));
			if (json_is_object(json_object_get(sr, "attributes")))
				json_object_set(
				    rg[ng].applied, id,
				    json_object_get(sr, "attributes"));
		}
		ng++;
	}

	for (i = 0; i < ng; i += REFRESH_THREADS) {
		pthread_t t[REFRESH_THREADS];
		int started[REFRESH_THREADS] = {0};

		for (j = i; j < ng && j < i + REFRESH_THREADS; j++)
			started[j - i] =
			    ng > 1 && !pthread_create(&t[j - i], NULL,
						      read_group, &rg[j]);
		for (j = i; j < ng && j < i + REFRESH_THREADS; j++) {
			if (started[j - i])
				pthread_join(t[j - i], NULL);
			else
				read_group(&rg[j]);
		}
	}

	/* In group order, as before: the first failing group is reported. */
	i = 0;
	json_object_foreach (groups, gkey, g) {
		const char *id;
		json_t *addrs;

		if (rg[i].ret < 0) {
			const char *nl = strchr(gkey, '\n');

			*e = rg[i].e;
			ret = rg[i].ret;
			err_prefix(e, "refresh %s in %s", rg[i].rt->name,
				   nl + 1);
			goto out;
		}
		json_object_foreach (g, id, addrs) {
			json_t *attrs = json_object_get(rg[i].got, id);
			size_t k;
			json_t *a;

			json_array_foreach (addrs, k, a)
				json_object_set(res, json_string_value(a),
						attrs ? attrs : json_null());
		}
		i++;
	}
out:
	for (i = 0; i < ng; i++) {
		json_decref(rg[i].ids);
		json_decref(rg[i].applied);
		json_decref(rg[i].got);
	}
	free(rg);
	json_decref(groups);
	if (ret < 0) {
		json_decref(res);
		return ret;
	}
	*out = res;
	return 0;
}

/* ---- diff ----------------------------------------------------------- */

static int path_ignored(const json_t *ignore, const char *path)
{
	size_t i, n;
	json_t *p;

	json_array_foreach (ignore, i, p) {
		const char *s = json_string_value(p);
		if (!s)
			continue;
		n = strlen(s);
		if (!strcmp(s, "*") || (!strncmp(path, s, n) &&
					(path[n] == '\0' || path[n] == '.')))
			return 1;
	}
	return 0;
}

static void unknown_paths(json_t *out, const char *path, const json_t *v)
{
	const char *k;
	json_t *x;

	if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, k, x) {
			char *p =
			    *path ? xasprintf("%s.%s", path, k) : xstrdup(k);
			unknown_paths(out, p, x);
			free(p);
		}
	} else if (props_has_unknown(v)) {
		json_array_append_new(out, json_string(*path ? path : "."));
	}
}

static void set_actions(json_t *c, enum change_action a, int cbd)
{
	json_t *acts = json_array();

	switch (a) {
	case CHANGE_NOOP:
		json_array_append_new(acts, json_string("no-op"));
		break;
	case CHANGE_CREATE:
		json_array_append_new(acts, json_string("create"));
		break;
	case CHANGE_UPDATE:
	case CHANGE_RESUME:
		json_array_append_new(acts, json_string("update"));
		break;
	case CHANGE_DELETE:
		json_array_append_new(acts, json_string("delete"));
		break;
	case CHANGE_REPLACE:
		json_array_append_new(acts,
				      json_string(cbd ? "create" : "delete"));
		json_array_append_new(acts,
				      json_string(cbd ? "delete" : "create"));
		break;
	}
	json_object_set_new(c, "action", json_string(change_action_name(a)));
	json_object_set_new(c, "actions", acts);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted union of the keys of two objects (strings borrowed). */
static const char **sorted_keys(const json_t *a, const json_t *b, size_t *n)
{
	const char **v;
	const char *k;
	json_t *x;
	size_t alloc = json_object_size(a) + json_object_size(b) + 1, i = 0;

	v = xcalloc(alloc, sizeof(*v));
	json_object_foreach ((json_t *)a, k, x)
		v[i++] = k;
	json_object_foreach ((json_t *)b, k, x)
		if (!json_object_get(a, k))
			v[i++] = k;
	qsort(v, i, sizeof(*v), cmp_str);
	*n = i;
	return v;
}

/*
 * `base` overlaid by `over` (objects merged member by member, anything
 * else from `over`), as a deep copy of base updated with over would be,
 * same member order included, but sharing every value it does not merge.
 */
static json_t *overlay(const json_t *base, const json_t *over)
{
	json_t *out = json_object(), *v, *o;
	const char *k;

	json_object_foreach ((json_t *)base, k, v) {
		o = json_object_get(over, k);
		if (!o)
			json_object_set(out, k, v);
		else if (json_is_object(v) && json_is_object(o))
			json_object_set_new(out, k, overlay(v, o));
		else
			json_object_set(out, k, o);
	}
	json_object_foreach ((json_t *)over, k, v)
		if (!json_object_get(out, k))
			json_object_set(out, k, v);
	return out;
}

/* Whether overlay(base, over) differs from base: a member of over that
 * base lacks or holds another value of (json_equal, recursively through
 * objects). */
static int overlay_changes(const json_t *base, const json_t *over)
{
	const char *k;
	json_t *v, *b;

	if (base == over)
		return 0;
	json_object_foreach ((json_t *)over, k, v) {
		b = json_object_get(base, k);
		if (!b)
			return 1;
		if (json_is_object(v) && json_is_object(b)) {
			if (overlay_changes(b, v))
				return 1;
		} else if (v != b && !json_equal(v, b)) {
			return 1;
		}
	}
	return 0;
}

/* o's string member k (shared, not copied), or "". */
static json_t *str_of(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_incref(v) : json_string("");
}

static int diff_one(json_t **out, const char *addr, const json_t *d,
		    const json_t *s, const json_t *r, int destroy,
		    const char *key, struct err *e)
{
	const json_t *lc = json_object_get(d ? d : s, "lifecycle");
	const char *type = json_get_str(d ? d : s, "type", "");
	const char *id = json_get_str(s, "id", NULL);
	const json_t *pending = json_object_get(s, "pending");
	const json_t *current;
	json_t *merged = NULL;
	json_t *c = json_object(), *changed = json_array(),
	       *replace = json_array(), *drift = json_array(),
	       *unknown = json_array(), *digests = json_object();
	enum change_action a = CHANGE_NOOP;
	int cbd = json_get_bool(lc, "create_before_destroy", 0);

	if (json_is_null(pending))
		pending = NULL;
	if (destroy)
		d = NULL;
	/* What the cloud says now, over what was applied: attributes the
	 * cloud does not report (write-only ones) keep their applied value. */
	if (json_is_object(r) &&
	    overlay_changes(json_object_get(s, "attributes"), r)) {
		merged = overlay(json_object_get(s, "attributes"), r);
		current = merged;
	} else if (json_is_object(r)) {
		/* The cloud says what was applied (a large plan's usual
		 * case): no copy. */
		current = json_is_object(json_object_get(s, "attributes"))
			      ? json_object_get(s, "attributes")
			      : r;
	} else {
		current = json_object_get(s, "attributes");
	}

	json_object_set_new(c, "address", json_string(addr));
	json_object_set_new(c, "type", str_of(d ? d : s, "type"));
	json_object_set_new(c, "provider", str_of(d ? d : s, "provider"));
	json_object_set_new(c, "region", str_of(d ? d : s, "region"));
	if (id)
		json_object_set_new(c, "id", str_of(s, "id"));

	if (d) {
		/* Without sensitive properties the desired properties are
		 * the plan's "after" as they are (nothing changes either
		 * afterwards): shared, not copied, for large plans. */
		json_t *after =
		    json_is_object(json_object_get(d, "properties")) &&
			    !schema_has_sensitive(type)
			? json_incref(json_object_get(d, "properties"))
			: props_redact(type, json_object_get(d, "properties"),
				       digests, key);
		json_object_set_new(c, "after", after);
		unknown_paths(unknown, "", json_object_get(d, "properties"));
		json_object_set_new(
		    c, "depends_on",
		    json_object_get(d, "depends_on")
			? json_incref(json_object_get(d, "depends_on"))
			: json_array());
	} else {
		json_object_set_new(c, "after", json_null());
		json_object_set_new(
		    c, "depends_on",
		    json_object_get(s, "dependencies")
			? json_incref(json_object_get(s, "dependencies"))
			: json_array());
	}
	json_object_set(c, "before",
			s && current ? (json_t *)current : json_null());

	/* Drift: what the cloud reports that differs from what was applied
	 * (attributes it does not report are not drift). */
	if (s && json_is_object(r) && json_object_get(s, "attributes"))
		props_diff(drift, type, r, json_object_get(s, "attributes"),
			   NULL, key);

	if (pending && (d || !id)) {
		a = CHANGE_RESUME;
		json_object_set_new(
		    c, "note",
		    json_sprintf("resuming at step '%s' of an earlier apply",
				 json_get_str(pending, "step", "?")));
	} else if (!d) {
		if (!id) {
			a = CHANGE_NOOP;
		} else {
			a = CHANGE_DELETE;
			if (json_is_null(r))
				json_object_set_new(
				    c, "note",
				    json_sprintf("%s no longer exists in "
						 "the cloud; only the "
						 "state entry is removed",
						 id));
		}
	} else if (!id) {
		a = CHANGE_CREATE;
	} else if (json_is_null(r)) {
		a = CHANGE_CREATE;
		json_object_set_new(c, "note",
				    json_sprintf("%s no longer exists in the "
						 "cloud; it will be created "
						 "again",
						 id));
	} else {
		size_t i;
		json_t *p;
		json_t *all = json_array();

		props_diff(all, type, json_object_get(d, "properties"), current,
			   json_object_get(s, "sensitive_digests"), key);
		json_array_foreach (all, i, p) {
			const char *ps = json_string_value(p);
			if (path_ignored(json_object_get(lc, "ignore_changes"),
					 ps))
				continue;
			json_array_append(changed, p);
			if (props_flags(type, ps) & PROP_FORCE_NEW)
				json_array_append(replace, p);
		}
		json_decref(all);
		if (json_array_size(replace))
			a = CHANGE_REPLACE;
		else if (json_array_size(changed))
			a = CHANGE_UPDATE;
	}

	if ((a == CHANGE_DELETE || a == CHANGE_REPLACE) &&
	    json_get_bool(lc, "prevent_destroy", 0) && !json_is_null(r)) {
		json_decref(c);
		json_decref(changed);
		json_decref(replace);
		json_decref(drift);
		json_decref(unknown);
		json_decref(digests);
		json_decref(merged);
		return err_set(e, DCF_EINVALID,
			       "%s: lifecycle.prevent_destroy is set, but this "
			       "plan would %s it; remove prevent_destroy "
			       "first if that is really intended",
			       addr,
			       a == CHANGE_DELETE ? "destroy" : "replace");
	}

	set_actions(c, a, cbd);
	/* Terraform's shape, for tools that read its plan JSON. */
	json_object_set_new(c, "change",
			    json_pack("{s:O,s:O,s:O,s:O}", "actions",
				      json_object_get(c, "actions"), "before",
				      json_object_get(c, "before"), "after",
				      json_object_get(c, "after"),
				      "after_unknown", unknown));
	json_object_set_new(c, "changed", changed);
	json_object_set_new(c, "replace_paths", replace);
	json_object_set_new(c, "drift", drift);
	json_object_set_new(c, "after_unknown", unknown);
	json_object_set_new(c, "sensitive_digests", digests);
	if (cbd)
		json_object_set_new(c, "create_before_destroy", json_true());
	if (pending)
		json_object_set(c, "pending", (json_t *)pending);
	json_decref(merged);
	*out = c;
	return 0;
}

int plan_diff(json_t **out, const json_t *desired, const json_t *state,
	      const json_t *refreshed, int destroy, struct err *e)
{
	const json_t *sres = json_object_get(state, "resources");
	const char *key = json_get_str(state, "lineage", "");
	json_t *changes = json_array();
	const char **keys;
	size_t n, i;
	int ret = 0;

	keys = sorted_keys(desired, sres, &n);
	for (i = 0; i < n; i++) {
		json_t *c = NULL;

		ret = diff_one(&c, keys[i], json_object_get(desired, keys[i]),
			       json_object_get(sres, keys[i]),
			       json_object_get(refreshed, keys[i]), destroy,
			       key, e);
		if (ret < 0)
			break;
		if (!json_object_get(desired, keys[i]) &&
		    !json_object_get(c, "id") &&
		    !json_object_get(c, "pending")) {
			json_decref(c); /* nothing to do, nothing to show */
			continue;
		}
		json_array_append_new(changes, c);
	}
	free(keys);
	if (ret < 0) {
		json_decref(changes);
		return ret;
	}
	*out = changes;
	return 0;
}

/* ---- steps ---------------------------------------------------------- */

static void change_view(struct change *v, const json_t *c, enum change_action a,
			const json_t *desired_props)
{
	memset(v, 0, sizeof(*v));
	v->address = json_get_str(c, "address", "");
	v->type = json_get_str(c, "type", "");
	v->region = json_get_str(c, "region", "");
	v->action = a;
	v->desired = a == CHANGE_DELETE ? NULL : desired_props;
	v->current = json_is_object(json_object_get(c, "before"))
			 ? json_object_get(c, "before")
			 : NULL;
	v->changed = json_object_get(c, "changed");
	v->pending = json_object_get(c, "pending");
}

/* Append the steps of one phase of a change to `steps`; returns the id of
 * its last step through *last (borrowed from steps), NULL when none. */
static int add_phase(json_t *steps, const json_t *c, enum change_action a,
		     const char *phase, const char *after_id, size_t skip,
		     const char **first, const char **last, struct err *e)
{
	const struct resource_type *rt =
	    resource_type_lookup(json_get_str(c, "type", ""));
	const char *addr = json_get_str(c, "address", "");
	struct change v;
	json_t *got = NULL, *s;
	size_t i;
	int ret;

	*first = *last = NULL;
	if (!rt)
		return err_set(e, DCF_EINVALID,
			       "%s: unknown resource type '%s'", addr,
			       json_get_str(c, "type", ""));
	/* A delete of an object the cloud no longer has needs no steps. */
	if (a == CHANGE_DELETE && json_is_null(json_object_get(c, "before")))
		return 0;
	change_view(&v, c, a, json_object_get(c, "after"));
	ret = rt->expand(&v, &got, e);
	if (ret < 0)
		return err_prefix(e, "%s: %s", addr, phase);
	json_array_foreach (got, i, s) {
		size_t n = json_array_size(steps);
		json_t *deps;

		if (i < skip)
			continue; /* done before the interruption */
		deps = json_array();
		json_object_set_new(s, "index", json_integer((json_int_t)i));
		json_object_set_new(
		    s, "count", json_integer((json_int_t)json_array_size(got)));

		json_object_set_new(s, "id", json_sprintf("%s#%zu", addr, n));
		json_object_set_new(s, "address", json_string(addr));
		json_object_set_new(s, "phase", json_string(phase));
		if (after_id)
			json_array_append_new(deps, json_string(after_id));
		json_object_set_new(s, "depends_on", deps);
		json_array_append(steps, s);
		after_id = json_string_value(json_object_get(s, "id"));
		if (!*first)
			*first = after_id;
		*last = after_id;
	}
	json_decref(got);
	return 0;
}

struct rsteps {
	const char *addr;
	const char *up_first, *up_last;	  /* create/update/resume chain */
	const char *del_first, *del_last; /* delete chain */
};

static struct rsteps *find_rs(struct rsteps *v, size_t n, const char *addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].addr, addr))
			return &v[i];
	return NULL;
}

static json_t *step_by_id(json_t *steps, const char *id)
{
	size_t i;
	json_t *s;

	json_array_foreach (steps, i, s)
		if (!strcmp(json_get_str(s, "id", ""), id))
			return s;
	return NULL;
}

static void add_dep(json_t *steps, const char *step_id, const char *dep)
{
	json_t *s = step_by_id(steps, step_id);

	if (s && dep && strcmp(step_id, dep))
		json_array_append_new(json_object_get(s, "depends_on"),
				      json_string(dep));
}

/* Kahn's algorithm, stable in the original order. */
static int order_steps(json_t **out, json_t *steps, struct err *e)
{
	size_t n = json_array_size(steps), done = 0, i, j;
	char *emitted = xcalloc(n ? n : 1, 1);
	json_t *sorted = json_array(), *ids = json_object();

	for (i = 0; i < n; i++)
		json_object_set_new(
		    ids, json_get_str(json_array_get(steps, i), "id", ""),
		    json_integer((json_int_t)i));
	while (done < n) {
		int progress = 0;

		for (i = 0; i < n; i++) {
			json_t *s = json_array_get(steps, i), *d;
			int ready = 1;

			if (emitted[i])
				continue;
			json_array_foreach (json_object_get(s, "depends_on"), j,
					    d) {
				json_t *ix =
				    json_object_get(ids, json_string_value(d));
				if (ix && !emitted[json_integer_value(ix)]) {
					ready = 0;
					break;
				}
			}
			if (!ready)
				continue;
			emitted[i] = 1;
			done++;
			progress = 1;
			json_array_append(sorted, s);
		}
		if (!progress)
			break;
	}
	free(emitted);
	json_decref(ids);
	if (done < n) {
		json_decref(sorted);
		return err_set(e, DCF_EINVALID,
			       "the steps of this plan form a cycle; check "
			       "depends_on and references");
	}
	*out = sorted;
	return 0;
}

int plan_steps(json_t **out, const json_t *changes, const json_t *state,
	       struct err *e)
{
	size_t n = json_array_size(changes), i, j;
	struct rsteps *rs = xcalloc(n ? n : 1, sizeof(*rs));
	json_t *steps = json_array(), *c, *d;
	int ret = 0;

	(void)state;
	json_array_foreach (changes, i, c) {
		int a = action_parse(json_get_str(c, "action", ""));
		const char *f, *l;

		rs[i].addr = json_get_str(c, "address", "");
		switch (a) {
		case CHANGE_CREATE:
		case CHANGE_UPDATE:
			ret = add_phase(steps, c, (enum change_action)a,
					change_action_name(a), NULL, 0,
					&rs[i].up_first, &rs[i].up_last, e);
			break;
		case CHANGE_RESUME: {
			/* Expand the interrupted phase again and skip what
			 * was completed; the step in flight runs again (its
			 * run_step is idempotent, creates are looked up by
			 * token first). */
			const json_t *p = json_object_get(c, "pending");
			const char *ph = json_get_str(p, "phase", "create");
			int pa = action_parse(ph);

			if (pa != CHANGE_CREATE && pa != CHANGE_UPDATE &&
			    pa != CHANGE_DELETE) {
				ret = err_set(e, DCF_EINVALID,
					      "%s: state has pending work of "
					      "unknown phase '%s'",
					      rs[i].addr, ph);
				break;
			}
			if (pa == CHANGE_DELETE)
				ret = add_phase(
				    steps, c, CHANGE_DELETE, ph, NULL,
				    (size_t)json_get_int(p, "completed", 0),
				    &rs[i].del_first, &rs[i].del_last, e);
			else
				ret = add_phase(
				    steps, c, (enum change_action)pa, ph, NULL,
				    (size_t)json_get_int(p, "completed", 0),
				    &rs[i].up_first, &rs[i].up_last, e);
			break;
		}
		case CHANGE_DELETE:
			ret =
			    add_phase(steps, c, CHANGE_DELETE, "delete", NULL,
				      0, &rs[i].del_first, &rs[i].del_last, e);
			break;
		case CHANGE_REPLACE:
			if (json_get_bool(c, "create_before_destroy", 0)) {
				ret = add_phase(
				    steps, c, CHANGE_CREATE, "create", NULL, 0,
				    &rs[i].up_first, &rs[i].up_last, e);
				if (!ret)
					ret = add_phase(steps, c, CHANGE_DELETE,
							"delete", rs[i].up_last,
							0, &f, &l, e);
				if (!ret) {
					rs[i].del_first = f;
					rs[i].del_last = l;
				}
			} else {
				ret = add_phase(
				    steps, c, CHANGE_DELETE, "delete", NULL, 0,
				    &rs[i].del_first, &rs[i].del_last, e);
				if (!ret)
					ret = add_phase(
					    steps, c, CHANGE_CREATE, "create",
					    rs[i].del_last, 0, &f, &l, e);
				if (!ret) {
					rs[i].up_first = f;
					rs[i].up_last = l;
				}
			}
			break;
		default:
			break;
		}
		if (ret < 0)
			goto out;
	}

	/* Cross-resource order. */
	json_array_foreach (changes, i, c) {
		json_array_foreach (json_object_get(c, "depends_on"), j, d) {
			struct rsteps *dep =
			    find_rs(rs, n, json_string_value(d));
			if (!dep)
				continue;
			/* Creates after what they reference is created. */
			if (rs[i].up_first && dep->up_last)
				add_dep(steps, rs[i].up_first, dep->up_last);
			/* What is referenced is deleted after its users. */
			if (dep->del_first && rs[i].del_last)
				add_dep(steps, dep->del_first, rs[i].del_last);
		}
	}
	ret = order_steps(out, steps, e);
out:
	free(rs);
	json_decref(steps);
	return ret;
}

/* ---- quotes, preflight --------------------------------------------- */

int plan_quote_and_preflight(json_t *plan, const struct provider_set *ps,
			     struct err *e)
{
	json_t *changes = json_object_get(plan, "resource_changes"), *c;
	json_t *quotes = json_object(), *by = json_object(),
	       *per = json_object(), *pre = json_array();
	long long up = 0, monthly = 0;
	size_t i;
	int ret = 0;

	json_array_foreach (changes, i, c) {
		const struct resource_type *rt =
		    resource_type_lookup(json_get_str(c, "type", ""));
		int a = action_parse(json_get_str(c, "action", ""));
		void *ctx;
		struct change v;
		json_t *q = NULL;

		if (!rt || !(rt->caps & RT_CAP_QUOTE) || !rt->quote)
			continue;
		if (a != CHANGE_CREATE && a != CHANGE_UPDATE &&
		    a != CHANGE_REPLACE && a != CHANGE_RESUME)
			continue;
		if (a == CHANGE_RESUME)
			continue; /* already quoted and confirmed when started
				   */
		ctx = provider_set_ctx(ps, rt->provider);
		if (!ctx)
			continue;
		change_view(&v, c, a == CHANGE_REPLACE ? CHANGE_CREATE : a,
			    json_object_get(c, "after"));
		ret = rt->quote(ctx, &v, &q, e);
		if (ret < 0) {
			err_prefix(e, "%s: price", v.address);
			goto out;
		}
		up += json_get_int(q, "upfront_fen", 0);
		monthly += json_get_int(q, "monthly_fen", 0);
		json_object_set_new(
		    per, rt->provider,
		    json_integer(json_get_int(per, rt->provider, 0) +
				 json_get_int(q, "upfront_fen", 0)));
		json_object_set_new(by, v.address, q);
	}
	for (i = 0; ps && i < ps->n; i++) {
		const struct provider *p = ps->p[i];
		json_t *checks = NULL, *ck;
		size_t j;

		if (!(p->caps & PROVIDER_CAP_PREFLIGHT) || !p->preflight)
			continue;
		ret = p->preflight(ps->ctx[i],
				   (long long)json_get_int(per, p->name, 0),
				   &checks, e);
		if (ret < 0) {
			err_prefix(e, "%s: preflight", p->name);
			goto out;
		}
		json_array_foreach (checks, j, ck) {
			json_object_set_new(ck, "provider",
					    json_string(p->name));
			json_array_append(pre, ck);
		}
		json_decref(checks);
	}
	json_object_set_new(quotes, "total_upfront_fen", json_integer(up));
	json_object_set_new(quotes, "total_monthly_fen", json_integer(monthly));
	json_object_set_new(quotes, "by_provider", per);
	per = NULL;
	json_object_set_new(quotes, "by_address", by);
	by = NULL;
	json_object_set_new(plan, "quotes", quotes);
	quotes = NULL;
	json_object_set_new(plan, "preflight", pre);
	pre = NULL;
out:
	json_decref(quotes);
	json_decref(by);
	json_decref(per);
	json_decref(pre);
	return ret;
}

void plan_summarise(json_t *plan)
{
	json_t *sum = json_object(), *c;
	size_t i;
	const char *keys[] = {"create", "update", "replace",
			      "delete", "resume", "no-op"};

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set_new(sum, keys[i], json_integer(0));
	json_array_foreach (json_object_get(plan, "resource_changes"), i, c) {
		const char *a = json_get_str(c, "action", "no-op");
		json_object_set_new(sum, a,
				    json_integer(json_get_int(sum, a, 0) + 1));
	}
	json_object_set_new(plan, "summary", sum);
}

int plan_has_changes(const json_t *plan)
{
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(plan, "resource_changes"), i, c)
		if (strcmp(json_get_str(c, "action", "no-op"), "no-op"))
			return 1;
	return 0;
}

int plan_preflight_ok(const json_t *plan)
{
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(plan, "preflight"), i, c)
		if (!json_get_bool(c, "ok", 1))
			return 0;
	return 1;
}

int plan_save(const json_t *plan, const char *path, struct err *e)
{
	char *s = json_dumps_malloc(plan, JSON_INDENT(1) | JSON_SORT_KEYS);
	int ret;

	if (!s)
		return err_set(e, DCF_ERROR, "cannot serialise the plan");
	ret = fs_write_atomic(path, s, strlen(s), 0600, e);
	free(s);
	return ret;
}

int plan_load(json_t **out, const char *path, struct err *e)
{
	struct buf b = BUF_INIT;
	json_t *p = NULL;
	int ret;

	ret = fs_read_file(&b, path, PLAN_MAX_FILE, e);
	if (ret < 0)
		goto out;
	ret = json_parse(&p, b.ptr, b.len, path, e);
	if (ret < 0)
		goto out;
	if (!json_is_object(p) ||
	    json_get_int(p, "format_version", 0) != PLAN_FORMAT_VERSION ||
	    !json_is_array(json_object_get(p, "resource_changes")) ||
	    !json_is_array(json_object_get(p, "steps"))) {
		ret = err_set(e, DCF_EINVALID,
			      "'%s' is not a dcform plan file of format "
			      "version %d",
			      path, PLAN_FORMAT_VERSION);
		goto out;
	}
	*out = p;
	p = NULL;
out:
	json_decref(p);
	buf_release(&b);
	return ret;
}
