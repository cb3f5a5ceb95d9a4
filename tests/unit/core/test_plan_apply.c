/*
 * Unit tests of core/plan and core/apply with an in-memory resource type
 * ("fake_thing" of provider "fake"): diff, step order, intents before side
 * effects, adoption by token after a crash, wait timeouts and resume.
 * The registry is replaced by this file's own (a unit test of one module).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/apply/apply.h"
#include "core/plan/plan.h"
#include "core/plan/props.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "core/util/fs.h"
#include <unistd.h>

/* ---- the fake cloud ------------------------------------------------- */

static json_t *cloud;	       /* id → {name, size, token, ready_polls} */
static int creates;	       /* create calls that made an object */
static int crash_after_create; /* next create errors after creating */
static int wait_polls;	       /* polls a wait needs before done */
static int never_ready;
static int seq;

static int fake_configure(void **out, const json_t *c, struct http_engine *h,
			  struct err *e)
{
	(void)c;
	(void)h;
	(void)e;
	*out = xstrdup("ctx");
	return 0;
}
static void fake_free(void *ctx)
{
	free(ctx);
}
static const char *fake_region(void *ctx)
{
	(void)ctx;
	return "r1";
}

static const struct provider fake_provider = {
    .version = PROVIDER_VERSION,
    .name = "fake",
    .configure = fake_configure,
    .free = fake_free,
    .region = fake_region,
};

static int fake_read_many(void *ctx, const char *region, const json_t *ids,
			  json_t **out, struct err *e)
{
	size_t i;
	json_t *id;
	(void)ctx;
	(void)region;
	(void)e;
	*out = json_object();
	json_array_foreach (ids, i, id) {
		json_t *o = json_object_get(cloud, json_string_value(id));
		if (o)
			json_object_set_new(
			    *out, json_string_value(id),
			    json_pack("{s:O,s:O}", "name",
				      json_object_get(o, "name"), "size",
				      json_object_get(o, "size")));
	}
	return 0;
}

/* The same reading, object by object (resource_type.read_each). */
static int fake_read_each(void *ctx, const char *region, const json_t *ids,
			  provider_sink_fn *sink, void *arg, struct err *e)
{
	json_t *all = NULL, *v;
	const char *id;
	int ret = fake_read_many(ctx, region, ids, &all, e);

	json_object_foreach (all, id, v)
		sink(arg, id, json_incref(v));
	json_decref(all);
	return ret;
}

static int fake_find(void *ctx, const char *region, const char *token,
		     char **out_id, json_t **out_attrs, struct err *e)
{
	const char *id;
	json_t *o;
	(void)ctx;
	(void)region;
	(void)e;
	json_object_foreach (cloud, id, o)
		if (!strcmp(json_get_str(o, "token", ""), token)) {
			*out_id = xstrdup(id);
			*out_attrs = NULL;
			return 0;
		}
	return DCF_ENOTFOUND;
}

static int fake_expand(const struct change *c, json_t **out, struct err *e)
{
	(void)e;
	if (c->action == CHANGE_DELETE)
		*out = json_pack("[{s:s,s:s,s:b}]", "kind", "delete", "title",
				 "Delete", "side_effect", 1);
	else if (c->action == CHANGE_UPDATE)
		*out = json_pack("[{s:s,s:s,s:b}]", "kind", "update", "title",
				 "Modify", "side_effect", 1);
	else
		*out = json_pack("[{s:s,s:s,s:b},{s:s,s:s,s:b,s:s}]", "kind",
				 "create", "title", "Create", "side_effect", 1,
				 "kind", "wait", "title", "Wait", "side_effect",
				 0, "timeout_class", "create");
	return 0;
}

static int fake_run(void *ctx, struct step_run *run, struct err *e)
{
	const char *kind = json_get_str(run->step, "kind", "");
	(void)ctx;
	if (!strcmp(kind, "create")) {
		char *id = xasprintf("f-%d", ++seq);
		json_object_set_new(
		    cloud, id,
		    json_pack("{s:O,s:O,s:s,s:i}", "name",
			      json_object_get(run->desired, "name"), "size",
			      json_object_get(run->desired, "size"), "token",
			      run->token, "polls", 0));
		creates++;
		if (crash_after_create) {
			crash_after_create = 0;
			free(id);
			return err_set(e, DCF_ENETWORK,
				       "connection reset after sending");
		}
		json_object_set_new(run->data, "id", json_string(id));
		run->id = id;
		return STEP_DONE;
	}
	if (!strcmp(kind, "wait")) {
		const char *id = json_get_str(run->data, "id", NULL);
		json_t *o = json_object_get(cloud, id ? id : "");
		int polls = (int)json_get_int(o, "polls", 0) + 1;
		if (!o)
			return err_set(e, DCF_ENOTFOUND,
				       "no object to wait for");
		json_object_set_new(o, "polls", json_integer(polls));
		snprintf(run->status, sizeof(run->status), "poll %d", polls);
		if (never_ready || polls < wait_polls)
			return STEP_IN_PROGRESS;
		run->attributes = json_pack(
		    "{s:O,s:O,s:s}", "name", json_object_get(o, "name"), "size",
		    json_object_get(o, "size"), "status", "ready");
		return STEP_DONE;
	}
	if (!strcmp(kind, "update")) {
		const char *id = json_get_str(run->current, "id", "");
		json_t *o = json_object_get(cloud, id);
		json_object_set(o, "size",
				json_object_get(run->desired, "size"));
		run->attributes =
		    json_pack("{s:O}", "size", json_object_get(o, "size"));
		return STEP_DONE;
	}
	if (!strcmp(kind, "delete")) {
		json_object_del(cloud, json_get_str(run->current, "id", ""));
		return STEP_DONE;
	}
	return err_set(e, DCF_EINVALID, "unknown step kind %s", kind);
}

static const struct resource_type fake_thing = {
    .version = RESOURCE_TYPE_VERSION,
    .name = "fake_thing",
    .provider = "fake",
    .caps = RT_CAP_FIND_BY_TOKEN,
    .read_many = fake_read_many,
    .find_by_token = fake_find,
    .expand = fake_expand,
    .run_step = fake_run,
};

/* fake_thing read object by object. */
static const struct resource_type fake_streamed = {
    .version = RESOURCE_TYPE_VERSION,
    .name = "fake_streamed",
    .provider = "fake",
    .caps = RT_CAP_FIND_BY_TOKEN,
    .read_many = fake_read_many,
    .read_each = fake_read_each,
    .find_by_token = fake_find,
    .expand = fake_expand,
    .run_step = fake_run,
};

const struct provider *provider_lookup(const char *name)
{
	return !strcmp(name, "fake") ? &fake_provider : NULL;
}
const struct resource_type *resource_type_lookup(const char *name)
{
	if (!strcmp(name, "fake_thing"))
		return &fake_thing;
	return !strcmp(name, "fake_streamed") ? &fake_streamed : NULL;
}
static const struct provider *const all_p[] = {&fake_provider, NULL};
static const struct resource_type *const all_t[] = {&fake_thing, &fake_streamed,
						    NULL};
const struct provider *const *provider_all(void)
{
	return all_p;
}
const struct resource_type *const *resource_type_all(void)
{
	return all_t;
}

/* ---- harness -------------------------------------------------------- */

static json_t *commits;	   /* copies of each committed state */
static int fail_commit_at; /* fail the Nth commit (1-based), 0 never */

static int hook_commit(void *arg, json_t *state, const char *msg, struct err *e)
{
	(void)arg;
	if (fail_commit_at &&
	    (int)json_array_size(commits) + 1 == fail_commit_at)
		return err_set(e, DCF_ERROR, "disk full");
	json_array_append_new(commits,
			      json_pack("{s:s,s:o}", "message", msg, "state",
					json_deep_copy(state)));
	/* Every side-effecting create must be preceded by an intent: when
	 * the cloud has more objects than the state knows of in flight or
	 * done, an intent was skipped. */
	return 0;
}

static json_t *desired_doc;

static json_t *hook_resolve(void *arg, const char *addr, const json_t *state,
			    struct err *e)
{
	json_t *d = json_object_get(desired_doc, addr);
	(void)arg;
	(void)state;
	if (!d) {
		err_set(e, DCF_EINVALID, "no desired %s", addr);
		return NULL;
	}
	return json_deep_copy(json_object_get(d, "properties"));
}

static json_t *thing(const char *name, int size, const char *dep)
{
	json_t *t = json_pack("{s:s,s:s,s:s,s:{s:s,s:i},s:{},s:[]}", "type",
			      "fake_thing", "provider", "fake", "region", "r1",
			      "properties", "name", name, "size", size,
			      "lifecycle", "depends_on");
	if (dep)
		json_array_append_new(json_object_get(t, "depends_on"),
				      json_string(dep));
	return t;
}

static struct provider_set ps;

static int setup(void **st)
{
	(void)st;
	cloud = json_object();
	commits = json_array();
	creates = seq = crash_after_create = never_ready = 0;
	wait_polls = 2;
	fail_commit_at = 0;
	ps.p[0] = &fake_provider;
	fake_configure(&ps.ctx[0], NULL, NULL, NULL);
	ps.n = 1;
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	json_decref(cloud);
	json_decref(commits);
	json_decref(desired_doc);
	desired_doc = NULL;
	provider_set_release(&ps);
	return 0;
}

/* Plan against state (refreshing it), return the plan (new ref). */
static json_t *make_plan(json_t *state, int destroy)
{
	struct err e = ERR_INIT;
	json_t *refreshed = NULL, *changes = NULL, *steps = NULL, *plan;

	assert_int_equal(plan_refresh(&refreshed, &ps, state, 10, &e), 0);
	assert_int_equal(
	    plan_diff(&changes, desired_doc, state, refreshed, destroy, &e), 0);
	assert_int_equal(plan_steps(&steps, changes, state, &e), 0);
	plan = json_pack("{s:i,s:o,s:o}", "format_version", 1,
			 "resource_changes", changes, "steps", steps);
	plan_summarise(plan);
	json_decref(refreshed);
	return plan;
}

static int run_apply(json_t *state, json_t *plan, json_t **summary)
{
	struct err e = ERR_INIT;
	struct apply_opts o = {
	    .parallelism = 4, .poll_min_ms = 1, .poll_max_ms = 2};
	struct apply_hooks h = {.commit = hook_commit, .resolve = hook_resolve};
	return apply_run(state, plan, &ps, &o, &h, summary, &e);
}

static json_t *new_state(void)
{
	return json_pack("{s:i,s:s,s:i,s:{}}", "format_version", 1, "lineage",
			 "11111111-2222-4333-8444-555555555555", "serial", 0,
			 "resources");
}

static const char *step_addr(const json_t *plan, size_t i)
{
	return json_get_str(json_array_get(json_object_get(plan, "steps"), i),
			    "address", "");
}

/* ---- tests ---------------------------------------------------------- */

static void test_plan__create_in_dependency_order(void **st)
{
	json_t *state = new_state(), *plan;
	(void)st;

	desired_doc = json_pack("{s:o,s:o}", "b", thing("b", 1, "a"), "a",
				thing("a", 1, NULL));
	/* b depends on a, but sorts first: a's steps must come first. */
	json_object_set_new(json_object_get(desired_doc, "a"), "depends_on",
			    json_array());
	plan = make_plan(state, 0);
	assert_int_equal(json_array_size(json_object_get(plan, "steps")), 4);
	assert_string_equal(step_addr(plan, 0), "a");
	assert_string_equal(step_addr(plan, 1), "a");
	assert_string_equal(step_addr(plan, 2), "b");
	assert_int_equal(
	    json_get_int(json_object_get(plan, "summary"), "create", 0), 2);
	json_decref(plan);
	json_decref(state);
}

static void test_apply__creates_then_noop(void **st)
{
	json_t *state = new_state(), *plan, *sum = NULL, *r;
	(void)st;

	desired_doc = json_pack("{s:o,s:o}", "a", thing("a", 1, NULL), "b",
				thing("b", 2, "a"));
	plan = make_plan(state, 0);
	assert_int_equal(run_apply(state, plan, &sum), 0);
	assert_int_equal(json_get_int(sum, "done", 0), 4);
	assert_int_equal(creates, 2);
	r = json_object_get(json_object_get(state, "resources"), "b");
	assert_non_null(json_get_str(r, "id", NULL));
	assert_null(json_object_get(r, "pending"));
	assert_string_equal(
	    json_get_str(json_object_get(r, "attributes"), "status", ""),
	    "ready");
	assert_true(json_array_size(commits) >= 2);
	assert_true(json_get_int(state, "serial", 0) ==
		    (json_int_t)json_array_size(commits));
	json_decref(plan);
	json_decref(sum);

	/* Second plan: nothing to do. */
	plan = make_plan(state, 0);
	assert_false(plan_has_changes(plan));
	json_decref(plan);
	json_decref(state);
}

static void test_apply__intent_committed_before_create(void **st)
{
	json_t *state = new_state(), *plan, *first;
	(void)st;

	desired_doc = json_pack("{s:o}", "a", thing("a", 1, NULL));
	plan = make_plan(state, 0);
	assert_int_equal(run_apply(state, plan, NULL), 0);
	first = json_object_get(json_array_get(commits, 0), "state");
	first = json_object_get(
	    json_object_get(json_object_get(first, "resources"), "a"),
	    "pending");
	assert_true(json_get_bool(first, "in_flight", 0));
	assert_string_equal(json_get_str(first, "kind", ""), "create");
	assert_non_null(json_get_str(first, "token", NULL));
	json_decref(plan);
	json_decref(state);
}

static void test_apply__crash_after_create_adopts_by_token(void **st)
{
	json_t *state = new_state(), *plan, *c;
	(void)st;

	desired_doc = json_pack("{s:o}", "a", thing("a", 1, NULL));
	plan = make_plan(state, 0);
	crash_after_create = 1;
	assert_true(run_apply(state, plan, NULL) < 0);
	assert_int_equal(creates, 1);
	json_decref(plan);

	plan = make_plan(state, 0);
	c = json_array_get(json_object_get(plan, "resource_changes"), 0);
	assert_string_equal(json_get_str(c, "action", ""), "resume");
	assert_int_equal(run_apply(state, plan, NULL), 0);
	assert_int_equal(creates, 1); /* adopted, not bought twice */
	assert_int_equal(json_object_size(cloud), 1);
	assert_non_null(json_get_str(
	    json_object_get(json_object_get(state, "resources"), "a"), "id",
	    NULL));
	json_decref(plan);
	json_decref(state);
}

static void test_apply__wait_timeout_leaves_pending_then_resumes(void **st)
{
	json_t *state = new_state(), *plan, *sum = NULL, *c;
	struct err e = ERR_INIT;
	struct apply_opts o = {
	    .parallelism = 2, .poll_min_ms = 1, .poll_max_ms = 2};
	struct apply_hooks h = {.commit = hook_commit, .resolve = hook_resolve};
	json_t *to = json_pack("{s:i}", "default", 0);
	(void)st;

	desired_doc = json_pack("{s:o,s:o}", "a", thing("a", 1, NULL), "b",
				thing("b", 1, "a"));
	plan = make_plan(state, 0);
	never_ready = 1;
	o.wait_timeouts = to;
	assert_int_equal(apply_run(state, plan, &ps, &o, &h, &sum, &e), 0);
	assert_int_equal(json_get_int(sum, "pending", 0), 1);
	assert_int_equal(json_get_int(sum, "skipped", 0), 2);
	json_decref(sum);
	json_decref(plan);
	json_decref(to);

	never_ready = 0;
	plan = make_plan(state, 0);
	c = json_array_get(json_object_get(plan, "resource_changes"), 0);
	assert_string_equal(json_get_str(c, "action", ""), "resume");
	/* Only the wait is left for a: one step, then b's two. */
	assert_int_equal(json_array_size(json_object_get(plan, "steps")), 3);
	assert_int_equal(run_apply(state, plan, NULL), 0);
	assert_int_equal(creates, 2);
	json_decref(plan);
	json_decref(state);
}

static void test_apply__update_delete_and_gone(void **st)
{
	json_t *state = new_state(), *plan, *c;
	(void)st;

	desired_doc = json_pack("{s:o,s:o}", "a", thing("a", 1, NULL), "b",
				thing("b", 1, NULL));
	plan = make_plan(state, 0);
	assert_int_equal(run_apply(state, plan, NULL), 0);
	json_decref(plan);

	/* Resize a, drop b. */
	json_object_set_new(
	    json_object_get(json_object_get(desired_doc, "a"), "properties"),
	    "size", json_integer(5));
	json_object_del(desired_doc, "b");
	plan = make_plan(state, 0);
	c = json_array_get(json_object_get(plan, "resource_changes"), 0);
	assert_string_equal(json_get_str(c, "action", ""), "update");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(c, "changed"), 0)),
	    "size");
	c = json_array_get(json_object_get(plan, "resource_changes"), 1);
	assert_string_equal(json_get_str(c, "action", ""), "delete");
	assert_int_equal(run_apply(state, plan, NULL), 0);
	assert_null(json_object_get(json_object_get(state, "resources"), "b"));
	assert_int_equal(json_object_size(cloud), 1);
	json_decref(plan);

	/* Someone deletes a behind our back: plan creates it again. */
	json_object_clear(cloud);
	plan = make_plan(state, 0);
	c = json_array_get(json_object_get(plan, "resource_changes"), 0);
	assert_string_equal(json_get_str(c, "action", ""), "create");
	assert_non_null(json_get_str(c, "note", NULL));
	json_decref(plan);
	json_decref(state);
}

static void test_apply__commit_failure_stops_before_side_effects(void **st)
{
	json_t *state = new_state(), *plan;
	(void)st;

	desired_doc = json_pack("{s:o}", "a", thing("a", 1, NULL));
	plan = make_plan(state, 0);
	fail_commit_at = 1; /* the intent cannot be recorded */
	assert_true(run_apply(state, plan, NULL) < 0);
	assert_int_equal(creates, 0);
	json_decref(plan);
	json_decref(state);
}

static void test_plan__prevent_destroy(void **st)
{
	json_t *state = new_state(), *plan, *refreshed = NULL, *ch = NULL;
	struct err e = ERR_INIT;
	(void)st;

	desired_doc = json_pack("{s:o}", "a", thing("a", 1, NULL));
	json_object_set_new(
	    json_object_get(json_object_get(desired_doc, "a"), "lifecycle"),
	    "prevent_destroy", json_true());
	plan = make_plan(state, 0);
	assert_int_equal(run_apply(state, plan, NULL), 0);
	json_decref(plan);
	assert_int_equal(plan_refresh(&refreshed, &ps, state, 1, &e), 0);
	assert_true(plan_diff(&ch, desired_doc, state, refreshed, 1, &e) < 0);
	assert_non_null(strstr(e.msg, "prevent_destroy"));
	json_decref(refreshed);
	json_decref(state);
}

/*
 * A reading equal to what the state holds is the state's own attributes
 * (no second copy in a large refresh); one that differs is the cloud's,
 * and shows as drift; types without read_each get their reading as is.
 */
static void test_plan__refresh_shares_unchanged_attributes(void **st)
{
	struct err e = ERR_INIT;
	json_t *state = new_state(), *res = json_object_get(state, "resources");
	json_t *refreshed = NULL, *changes = NULL, *c;
	const char *types[] = {"fake_streamed", "fake_streamed", "fake_thing"};
	const char *addrs[] = {"same", "drifted", "plain"};
	const char *ids[] = {"i-1", "i-2", "i-3"};
	int state_size[] = {1, 3, 1}, cloud_size[] = {1, 2, 1};
	size_t i;
	(void)st;

	desired_doc = json_object();
	for (i = 0; i < 3; i++) {
		json_object_set_new(cloud, ids[i],
				    json_pack("{s:s,s:i}", "name", addrs[i],
					      "size", cloud_size[i]));
		json_object_set_new(
		    res, addrs[i],
		    json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:i},s:[]}", "type",
			      types[i], "provider", "fake", "region", "r1",
			      "id", ids[i], "attributes", "name", addrs[i],
			      "size", state_size[i], "dependencies"));
		json_object_set_new(desired_doc, addrs[i],
				    thing(addrs[i], state_size[i], NULL));
		json_object_set_new(json_object_get(desired_doc, addrs[i]),
				    "type", json_string(types[i]));
	}
	assert_int_equal(plan_refresh(&refreshed, &ps, state, 10, &e), 0);
	assert_ptr_equal(
	    json_object_get(refreshed, "same"),
	    json_object_get(json_object_get(res, "same"), "attributes"));
	assert_ptr_not_equal(
	    json_object_get(refreshed, "drifted"),
	    json_object_get(json_object_get(res, "drifted"), "attributes"));
	assert_int_equal(
	    json_get_int(json_object_get(refreshed, "drifted"), "size", 0), 2);
	assert_ptr_not_equal(
	    json_object_get(refreshed, "plain"),
	    json_object_get(json_object_get(res, "plain"), "attributes"));
	assert_true(json_equal(
	    json_object_get(refreshed, "plain"),
	    json_object_get(json_object_get(res, "plain"), "attributes")));

	assert_int_equal(
	    plan_diff(&changes, desired_doc, state, refreshed, 0, &e), 0);
	json_array_foreach (changes, i, c) {
		const char *a = json_get_str(c, "address", "");
		int drifted = !strcmp(a, "drifted");

		assert_string_equal(json_get_str(c, "action", ""),
				    drifted ? "update" : "no-op");
		assert_int_equal(json_array_size(json_object_get(c, "drift")),
				 drifted);
		assert_int_equal(
		    json_get_int(json_object_get(c, "before"), "size", 0),
		    drifted ? 2 : 1);
	}
	assert_int_equal(json_array_size(changes), 3);
	json_decref(changes);
	json_decref(refreshed);
	json_decref(state);
}

static void test_plan__save_load(void **st)
{
	json_t *plan = json_pack("{s:i,s:[],s:[]}", "format_version", 1,
				 "resource_changes", "steps"),
	       *back = NULL;
	char dir[] = "/tmp/dcform-plan-XXXXXX", *path;
	struct err e = ERR_INIT;
	(void)st;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/p.json", dir);
	assert_int_equal(plan_save(plan, path, &e), 0);
	assert_int_equal(plan_load(&back, path, &e), 0);
	assert_true(json_equal(plan, back));
	json_decref(back);
	assert_int_equal(fs_write_atomic(path, "{}", 2, 0600, &e), 0);
	assert_int_equal(plan_load(&back, path, &e), DCF_EINVALID);
	unlink(path);
	rmdir(dir);
	free(path);
	json_decref(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_plan__create_in_dependency_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apply__creates_then_noop,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_apply__intent_committed_before_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_apply__crash_after_create_adopts_by_token, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_apply__wait_timeout_leaves_pending_then_resumes, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_apply__update_delete_and_gone,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_apply__commit_failure_stops_before_side_effects, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_plan__prevent_destroy, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_plan__save_load, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_plan__refresh_shares_unchanged_attributes, setup,
		teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
