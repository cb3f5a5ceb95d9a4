/* run.c: the shared setup of plan, apply, destroy and drift.  See run.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run.h"
#include "validate.h"
#include "core/http/http.h"
#include "core/plan/props.h"
#include "core/state/lock.h"
#include "core/state/remote.h"
#include "core/state/store.h"
#include "core/util/buf.h"
#include "core/util/fs.h"
#include "core/util/hash.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "core/util/uuid.h"

int run_load(struct run *r, const char *dir, struct run_opts *o)
{
	struct diags d = DIAGS_INIT;
	struct err e = ERR_INIT;
	int ret;

	memset(r, 0, sizeof(*r));
	r->dir = dir;
	r->o = o;
	ret = validate_load(&r->m, dir, &o->vars, &o->var_files, &d, &e);
	validate_print_diags(stderr, &d);
	diags_release(&d);
	if (ret < 0 && e.msg[0])
		cmd_error("%s", e.msg);
	return ret < 0 ? EXIT_ERR : 0;
}

static json_t *empty_state(void)
{
	char lineage[UUID_STR_LEN];

	uuid_v4(lineage);
	return json_pack("{s:i,s:s,s:i,s:s,s:{},s:{}}", "format_version", 1,
			 "lineage", lineage, "serial", 0, "tool_version",
			 DCFORM_VERSION, "resources", "outputs");
}

int run_state(struct run *r, struct err *e)
{
	if (r->o->state_file) {
		struct buf b = BUF_INIT;
		int ret = fs_read_file(&b, r->o->state_file, 64u << 20, e);

		if (!ret)
			ret = json_parse(&r->state, b.ptr, b.len,
					 r->o->state_file, e);
		buf_release(&b);
		if (ret < 0)
			return ret;
		if (json_get_int(r->state, "format_version", 0) != 1)
			return err_set(e, DCF_EINVALID,
				       "%s: state format version %lld is not "
				       "supported (this dcform reads 1)",
				       r->o->state_file,
				       (long long)json_get_int(
					   r->state, "format_version", 0));
		return 0;
	}
	/* The state store beside the manifests, when there is one, or the
	 * remote one. */
	{
		char *git = xasprintf("%s/.dcform/state.git", r->dir);
		json_t *b = cmd_backend(r->dir, &r->m);
		int exists = fs_is_dir(git) || json_object_get(b, "git");

		free(git);
		json_decref(b);
		if (exists) {
			struct state_store *st = NULL;
			int ret = cmd_store_open(&st, r->dir, &r->m, e);

			if (!ret)
				ret = state_store_read(st, &r->state,
						       r->state_commit, e);
			state_store_free(st);
			if (ret == 0)
				return 0;
			if (ret != DCF_ENOTFOUND)
				return ret;
			err_clear(e);
		}
	}
	r->state = empty_state();
	return 0;
}

json_t *cmd_backend(const char *dir, const struct manifest *m)
{
	const char *url = gopts.backend_url ? gopts.backend_url
					    : getenv("DCFORM_BACKEND_URL");
	struct manifest own;
	struct manifest_opts mo = {0};
	struct diags d = DIAGS_INIT;
	struct err e = ERR_INIT;
	json_t *b;

	if (url && *url)
		return state_backend_json(url, getenv("DCFORM_BACKEND_BRANCH"));
	if (m)
		return m->backend ? json_incref(m->backend) : NULL;
	/* Commands without manifests (state …, output): a configuration
	 * whose manifests do not load has no backend to find there. */
	memset(&own, 0, sizeof(own));
	manifest_load(&own, dir, &mo, &d, &e);
	b = own.backend ? json_incref(own.backend) : NULL;
	manifest_release(&own);
	diags_release(&d);
	return b;
}

int cmd_store_open(struct state_store **st, const char *dir,
		   const struct manifest *m, struct err *e)
{
	json_t *b = cmd_backend(dir, m);
	int ret =
	    state_store_open_backend(st, dir, getenv("DCFORM_WORKSPACE"), b, e);

	json_decref(b);
	return ret;
}

int cmd_lock(struct state_lock **lk, const char *dir, const struct manifest *m,
	     const char *op, long timeout_ms, struct err *e)
{
	json_t *b = cmd_backend(dir, m);
	int ret = state_lock_acquire_backend(
	    lk, dir, b, getenv("DCFORM_WORKSPACE"), op, timeout_ms, e);

	json_decref(b);
	return ret;
}

/* The provider of a type: its name up to the first '_'. */
static const char *type_provider(const char *type)
{
	if (str_starts_with(type, "tencentcloud_"))
		return "tencentcloud";
	if (str_starts_with(type, "jdcloud_"))
		return "jdcloud";
	return "";
}

static int needs_provider(struct run *r, const char *name)
{
	const char *k;
	json_t *v;

	size_t i;

	for (i = 0; i < r->m.n_resources; i++)
		if (!strcmp(type_provider(r->m.resources[i].type), name))
			return 1;
	json_object_foreach (json_object_get(r->state, "resources"), k, v)
		if (!strcmp(json_get_str(v, "provider", ""), name))
			return 1;
	return 0;
}

int run_providers(struct run *r, struct err *e)
{
	const struct provider *const *p;
	struct http_options ho = {0};
	int ret;

	ho.parallelism = r->o->parallelism > 0 ? (int)r->o->parallelism : 10;
	if (r->o->refresh_batch_size > 0)
		provider_refresh_batch_size = (int)r->o->refresh_batch_size;
	ho.debug = r->o->debug_http ? stderr : NULL;
	ret = http_engine_new(&r->http, &ho, e);
	if (ret < 0)
		return ret;
	for (p = provider_all(); *p; p++) {
		void *ctx = NULL;

		if (!needs_provider(r, (*p)->name))
			continue;
		if (r->ps.n >= ARRAY_SIZE(r->ps.p))
			BUG("too many providers");
		ret = (*p)->configure(
		    &ctx, json_object_get(r->m.providers, (*p)->name), r->http,
		    e);
		if (ret < 0)
			return err_prefix(e, "provider %s", (*p)->name);
		r->ps.p[r->ps.n] = *p;
		r->ps.ctx[r->ps.n++] = ctx;
	}
	return 0;
}

static json_t *state_attr(void *ctx, const char *address, const char *attr)
{
	struct run *r = ctx;
	json_t *res =
	    json_object_get(json_object_get(r->state, "resources"), address);
	json_t *v;

	if (!res || json_object_get(res, "pending") ||
	    !json_get_str(res, "id", NULL))
		return NULL;
	if (!strcmp(attr, "id"))
		return json_string(json_get_str(res, "id", ""));
	v = json_path_get(json_object_get(res, "attributes"), attr);
	return v ? json_incref(v) : NULL;
}

/* Strings still holding references become PROPS_UNKNOWN. */
static json_t *mark_unknown(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v) && expr_has_refs(json_string_value(v))) {
		json_decref(v);
		return json_string(PROPS_UNKNOWN);
	}
	if (json_is_object(v))
		json_object_foreach (v, k, x)
			json_object_set_new(v, k, mark_unknown(json_incref(x)));
	if (json_is_array(v))
		json_array_foreach (v, i, x)
			json_array_set_new(v, i, mark_unknown(json_incref(x)));
	return v;
}

/* Region of a resource: its own, the provider block's, the env's. */
static const char *region_of(struct run *r, const struct manifest_resource *mr)
{
	const char *p = type_provider(mr->type), *env;

	if (mr->region)
		return mr->region;
	if (json_get_str(mr->provider, "region", NULL))
		return json_get_str(mr->provider, "region", NULL);
	if (json_get_str(json_object_get(r->m.providers, p), "region", NULL))
		return json_get_str(json_object_get(r->m.providers, p),
				    "region", NULL);
	env = getenv(!strcmp(p, "tencentcloud") ? "TENCENTCLOUD_REGION"
						: "JDCLOUD_REGION");
	return env ? env : "";
}

/* The string s as a JSON value shared among the entries of one document
 * (a plan of 10,000 instances has a handful of types and regions). */
static json_t *shared_str(json_t *cache, const char *s)
{
	json_t *v = json_object_get(cache, s);

	if (!v) {
		v = json_string(s);
		json_object_set_new(cache, s, v);
	}
	return json_incref(v);
}

json_t *run_desired(struct run *r)
{
	json_t *out = json_object(), *strs = json_object(), *lc_none = NULL;
	size_t i, j;

	for (i = 0; i < r->m.n_resources; i++) {
		const struct manifest_resource *mr = &r->m.resources[i];
		struct err e = ERR_INIT;
		json_t *props, *deps = json_array(), *lc = json_object(), *ig;
		json_t *ent;

		/* Variables, each.* and env were substituted at load: without
		 * references to other resources the properties are final,
		 * and shared (nothing changes desired properties). */
		if (!mr->refs.n) {
			props = json_incref(mr->properties);
		} else {
			props = expr_resolve(mr->properties, state_attr, r,
					     NULL, &e);
			if (!props)
				props = json_deep_copy(mr->properties);
			props = mark_unknown(props);
		}
		/* Edges: references, then depends_on (all instances of a
		 * for_each resource). */
		for (j = 0; j < mr->refs.n; j++)
			if (mr->refs.v[j].address)
				json_array_append_new(
				    deps, json_string(mr->refs.v[j].address));
		for (j = 0; j < mr->n_depends_on; j++) {
			size_t k;

			for (k = 0; k < r->m.n_resources; k++)
				if (!strcmp(r->m.resources[k].name,
					    mr->depends_on[j]))
					json_array_append_new(
					    deps,
					    json_string(
						r->m.resources[k].address));
		}
		json_object_set_new(
		    lc, "prevent_destroy",
		    json_boolean(mr->lifecycle.prevent_destroy));
		json_object_set_new(
		    lc, "create_before_destroy",
		    json_boolean(mr->lifecycle.create_before_destroy));
		ig = json_array();
		for (j = 0; j < mr->lifecycle.n_ignore_changes; j++)
			json_array_append_new(
			    ig, json_string(mr->lifecycle.ignore_changes[j]));
		json_object_set_new(lc, "ignore_changes", ig);
		/* Without lifecycle settings, one lifecycle value for all. */
		if (!mr->lifecycle.prevent_destroy &&
		    !mr->lifecycle.create_before_destroy &&
		    !mr->lifecycle.n_ignore_changes) {
			if (!lc_none)
				lc_none = json_incref(lc);
			json_decref(lc);
			lc = json_incref(lc_none);
		}
		ent = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "type",
				shared_str(strs, mr->type), "provider",
				shared_str(strs, type_provider(mr->type)),
				"region", shared_str(strs, region_of(r, mr)),
				"properties", props, "lifecycle", lc,
				"depends_on", deps);
		json_object_set_new(out, mr->address, ent);
	}
	json_decref(strs);
	json_decref(lc_none);
	return out;
}

/* Keep only the targets and what they depend on. */
static void apply_targets(json_t *desired, json_t *state,
			  const struct strlist *t)
{
	json_t *keep = json_object(), *queue = json_array(), *v;
	const char *k;
	size_t i, j;

	for (i = 0; i < t->n; i++)
		json_array_append_new(queue, json_string(t->v[i]));
	for (i = 0; i < json_array_size(queue); i++) {
		const char *a = json_string_value(json_array_get(queue, i));
		json_t *deps;

		if (json_object_get(keep, a))
			continue;
		json_object_set_new(keep, a, json_true());
		deps =
		    json_object_get(json_object_get(desired, a), "depends_on");
		json_array_foreach (deps, j, v)
			json_array_append(queue, v);
	}
	{
		void *tmp;
		json_object_foreach_safe (desired, tmp, k, v)
			if (!json_object_get(keep, k))
				json_object_del(desired, k);
		json_object_foreach_safe (json_object_get(state, "resources"),
					  tmp, k, v)
			if (!json_object_get(keep, k))
				json_object_del(
				    json_object_get(state, "resources"), k);
	}
	json_decref(keep);
	json_decref(queue);
}

int run_plan(struct run *r, json_t **out, struct err *e)
{
	json_t *desired = run_desired(r), *refreshed = NULL, *changes = NULL,
	       *steps = NULL, *plan = NULL, *state = r->state;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	int ret;
	size_t i;

	if (r->o->targets.n) {
		state = json_deep_copy(r->state);
		apply_targets(desired, state, &r->o->targets);
	} else {
		json_incref(state);
	}
	if (r->o->no_refresh) {
		refreshed = json_object();
	} else {
		ret = plan_refresh(&refreshed, &r->ps, state,
				   (int)r->o->parallelism, e);
		if (ret < 0)
			goto out;
	}
	ret = plan_diff(&changes, desired, state, refreshed, r->o->destroy, e);
	/* The changes hold what they need of it: a large refresh is not
	 * kept while the plan document is built. */
	json_decref(refreshed);
	refreshed = NULL;
	if (ret < 0)
		goto out;
	ret = plan_steps(&steps, changes, state, e);
	if (ret < 0)
		goto out;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	plan =
	    json_pack("{s:i,s:s,s:s,s:s,s:O,s:O,s:s,s:b,s:o,s:o}",
		      "format_version", PLAN_FORMAT_VERSION, "tool_version",
		      DCFORM_VERSION, "created_at", when, "workspace",
		      "default", "lineage", json_object_get(state, "lineage"),
		      "serial", json_object_get(state, "serial"),
		      "state_commit", r->state_commit, "destroy", r->o->destroy,
		      "resource_changes", changes, "steps", steps);
	changes = steps = NULL; /* stolen by json_pack, even on failure */
	if (!plan) {
		ret = err_set(e, DCF_ERROR, "cannot build the plan document");
		goto out;
	}
	/* Resolved desired properties of the resources that change (for
	 * people and tools reading the plan; apply resolves them again from
	 * the manifests).  Sensitive values are left out. */
	{
		json_t *dres = json_object(), *ent, *c;
		const char *a;

		json_array_foreach (json_object_get(plan, "resource_changes"),
				    i, c) {
			if (!strcmp(json_get_str(c, "action", "no-op"),
				    "no-op"))
				continue;
			a = json_get_str(c, "address", "");
			ent = json_object_get(desired, a);
			if (ent)
				json_object_set_new(
				    dres, a,
				    props_redact(
					json_get_str(ent, "type", ""),
					json_object_get(ent, "properties"),
					NULL, NULL));
		}
		json_object_set_new(plan, "desired", dres);
	}
	ret = plan_quote_and_preflight(plan, &r->ps, e);
	if (ret < 0)
		goto out;
	/* --skip-preflight NAME marks a check as skipped, not failed. */
	for (i = 0; i < r->o->skip_preflight.n; i++) {
		json_t *c;
		size_t j;

		json_array_foreach (json_object_get(plan, "preflight"), j, c)
			if (!strcmp(json_get_str(c, "check", ""),
				    r->o->skip_preflight.v[i]) &&
			    !json_get_bool(c, "ok", 1)) {
				json_object_set_new(c, "ok", json_true());
				json_object_set_new(c, "skipped", json_true());
			}
	}
	{
		char *abs = realpath(r->dir, NULL);

		/* apply FILE loads the manifests from here again (sensitive
		 * values are never in the plan file). */
		json_object_set_new(plan, "dir",
				    json_string(abs ? abs : r->dir));
		free(abs);
	}
	plan_summarise(plan);
	*out = plan;
	plan = NULL;
out:
	json_decref(plan);
	json_decref(desired);
	json_decref(refreshed);
	if (ret < 0) {
		json_decref(changes);
		json_decref(steps);
	}
	json_decref(state);
	return ret;
}

/*
 * What a command still holds when it ends.  Freeing the JSON of 10,000
 * resources value by value took a sixth of a large plan's CPU time, and
 * the kernel takes the pages back at once; so a plain build keeps it
 * (reachable from here: not a leak for valgrind or LeakSanitizer) and
 * lets the process end.  Sanitizer builds free everything, so that the
 * release paths stay tested and a leak inside them is still found.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FREE_AT_EXIT 1
#else
#define FREE_AT_EXIT 0
#endif

static struct {
	struct manifest m;
	json_t *state, *extra;
} kept;

void run_release_at_exit(struct run *r, json_t *extra)
{
	if (FREE_AT_EXIT || kept.state) {
		json_decref(extra);
		run_release(r);
		return;
	}
	provider_set_release(&r->ps);
	http_engine_free(r->http);
	kept.m = r->m;
	kept.state = r->state;
	kept.extra = extra;
	memset(r, 0, sizeof(*r));
}

void run_release(struct run *r)
{
	provider_set_release(&r->ps);
	http_engine_free(r->http);
	manifest_release(&r->m);
	json_decref(r->state);
	memset(r, 0, sizeof(*r));
}
