/* dcform apply: run a plan, idempotently, with every state version in git. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "render.h"
#include "run.h"
#include "core/apply/apply.h"
#include "core/drift/drift.h"
#include "core/manifest/expr.h"
#include "core/plan/props.h"
#include "core/state/lock.h"
#include "core/state/store.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "core/util/uuid.h"

static struct run_opts ro;
static int auto_approve;
static long lock_timeout_s;
static long wait_timeout_s = -1;
static int skip_all_preflight;
static int refresh_only;

static const struct opt *apply_options(void)
{
	static const struct opt o[] = {
	    RUN_COMMON_OPTIONS(ro),
	    {"auto-approve", 0, OPT_BOOL, &auto_approve, NULL,
	     "apply without asking (required without a terminal)"},
	    {"lock-timeout", 0, OPT_INT, &lock_timeout_s, "SECONDS",
	     "wait this long for the state lock (default 0)"},
	    {"wait-timeout", 0, OPT_INT, &wait_timeout_s, "SECONDS",
	     "give up waiting on the cloud after this long; the "
	     "resource stays pending and the next apply resumes"},
	    {"target", 0, OPT_LIST, &ro.targets, "ADDR",
	     "apply only ADDR and what it depends on"},
	    {"skip-preflight", 0, OPT_LIST, &ro.skip_preflight, "NAME",
	     "do not let preflight check NAME block the apply"},
	    {"json", 0, OPT_BOOL, &gopts.json, NULL,
	     "print JSON lines on stdout: the plan, each event, the "
	     "summary (docs/plan-json.md)"},
	    {"refresh-only", 0, OPT_BOOL, &refresh_only, NULL,
	     "change nothing in the clouds: take what they report "
	     "(drift, objects gone) into the state"},
	    OPT_END,
	};
	return o;
}

struct ctx {
	struct run *r;
	struct state_store *st;
	char commit[41];
	int commits;
};

static int hook_commit(void *arg, json_t *state, const char *message,
		       struct err *e)
{
	struct ctx *x = arg;
	char out[41];
	int ret;

	ret = state_store_write(x->st, state, x->commit, message, out, e);
	if (ret < 0)
		return ret;
	memcpy(x->commit, out, sizeof(out));
	x->commits++;
	return 0;
}

static json_t *attr_from_state(void *ctx, const char *address, const char *attr)
{
	struct run *r = ctx;
	json_t *res =
	    json_object_get(json_object_get(r->state, "resources"), address);
	json_t *v;

	if (!res || !json_get_str(res, "id", NULL))
		return NULL;
	if (!strcmp(attr, "id"))
		return json_string(json_get_str(res, "id", ""));
	v = json_path_get(json_object_get(res, "attributes"), attr);
	return v ? json_incref(v) : NULL;
}

static json_t *hook_resolve(void *arg, const char *address, const json_t *state,
			    struct err *e)
{
	struct ctx *x = arg;
	const struct manifest_resource *mr = manifest_find(&x->r->m, address);
	size_t unknown = 0;
	json_t *v;

	(void)state;
	if (!mr) {
		err_set(e, DCF_EINVALID,
			"%s is no longer in the manifests; plan again",
			address);
		return NULL;
	}
	v = expr_resolve(mr->properties, attr_from_state, x->r, &unknown, e);
	if (v && unknown) {
		json_decref(v);
		err_set(e, DCF_EINVALID,
			"%s: a referenced resource has no value yet", address);
		return NULL;
	}
	return v;
}

/* --json: one JSON object per line on stdout (docs/plan-json.md). */
static void json_line(const char *type, json_t *obj)
{
	char *s;

	json_object_set_new(obj, "type", json_string(type));
	s = json_dumps_malloc(obj, JSON_COMPACT | JSON_SORT_KEYS);
	printf("%s\n", s ? s : "{}");
	fflush(stdout);
	free(s);
	json_decref(obj);
}

static void hook_event(void *arg, const json_t *ev)
{
	(void)arg;
	if (gopts.json)
		json_line("event", json_deep_copy(ev));
	else
		render_apply_event(stderr, ev);
}

static int confirm(const json_t *plan)
{
	char line[64];

	if (auto_approve)
		return 1;
	if (gopts.json) {
		cmd_error("apply: --json needs --auto-approve or a plan file "
			  "(the question would break the JSON lines)");
		return 0;
	}
	if (!isatty(STDIN_FILENO)) {
		cmd_error("apply: not a terminal and no --auto-approve; "
			  "refusing to spend money without a yes");
		return 0;
	}
	(void)plan;
	printf("\nDo you want to perform these actions? Only 'yes' will be "
	       "accepted.\n  Enter a value: ");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "yes")) {
		printf("Apply cancelled.\n");
		return 0;
	}
	return 1;
}

/* Outputs of the manifests, resolved from the state (sensitive ones kept
 * out of the state). */
static void set_outputs(struct run *r)
{
	json_t *outs = json_object();
	size_t i;

	for (i = 0; i < r->m.n_outputs; i++) {
		const struct manifest_output *o = &r->m.outputs[i];
		struct err e = ERR_INIT;
		size_t unknown = 0;
		json_t *v =
		    expr_resolve(o->value, attr_from_state, r, &unknown, &e);

		if (!v || unknown) {
			json_decref(v);
			continue;
		}
		json_object_set_new(outs, o->name,
				    json_pack("{s:o,s:b}", "value",
					      o->sensitive ? json_null() : v,
					      "sensitive", o->sensitive));
		if (o->sensitive)
			json_decref(v);
	}
	json_object_set_new(r->state, "outputs", outs);
}

static int run_apply(int argc, const char **argv, int destroy);

/*
 * apply --refresh-only: the drift since the last apply, shown and, after a
 * yes, accepted into the state: attributes as the clouds report them,
 * objects gone from the clouds dropped.  Nothing in the clouds changes.
 */
static int refresh_only_run(struct run *r, struct ctx *x, struct err *e)
{
	json_t *refreshed = NULL, *rep = NULL, *res, *now;
	json_t *resources = json_object_get(r->state, "resources");
	const char *addr;
	void *tmp;
	size_t n_drift, n_missing;
	char *msg;
	int ret;

	ret = plan_refresh(&refreshed, &r->ps, r->state,
			   ro.parallelism > 0 ? (int)ro.parallelism : 10, e);
	if (ret < 0)
		return ret;
	ret = drift_report(&rep, r->state, refreshed, NULL, NULL, NULL, e);
	if (ret < 0)
		goto out;
	render_drift_text(stdout, rep);
	n_drift = json_array_size(json_object_get(rep, "drifted"));
	n_missing = json_array_size(json_object_get(rep, "missing"));
	if (!n_drift && !n_missing)
		goto out;
	printf("\nThis takes the values above into the state; the clouds "
	       "are not changed.\n");
	if (!confirm(NULL)) {
		ret = DCF_EINVALID;
		err_set(e, ret,
			"refresh-only: not confirmed; the state is "
			"unchanged");
		goto out;
	}
	json_object_foreach_safe (resources, tmp, addr, res) {
		json_t *pend = json_object_get(res, "pending");

		/* Objects with unfinished work are apply's business. */
		if (!json_get_str(res, "id", NULL) ||
		    (pend && !json_is_null(pend)))
			continue;
		now = json_object_get(refreshed, addr);
		if (json_is_null(now)) {
			json_object_del(resources, addr);
		} else if (json_is_object(now)) {
			json_t *attrs = json_object_get(res, "attributes");

			if (json_is_object(attrs))
				json_deep_update(attrs, now);
			else
				json_object_set(res, "attributes", now);
		}
	}
	json_object_set_new(
	    r->state, "serial",
	    json_integer(json_get_int(r->state, "serial", 0) + 1));
	msg = xasprintf("refresh-only: %zu drifted, %zu gone from the cloud",
			n_drift, n_missing);
	ret = hook_commit(x, r->state, msg, e);
	free(msg);
	if (!ret)
		fprintf(stderr,
			"\nState updated from the clouds (commit "
			"%.12s).\n",
			x->commit);
out:
	json_decref(refreshed);
	json_decref(rep);
	return ret;
}

static int apply_run_cmd(int argc, const char **argv)
{
	return run_apply(argc, argv, 0);
}

static int destroy_run_cmd(int argc, const char **argv)
{
	return run_apply(argc, argv, 1);
}

static int run_apply(int argc, const char **argv, int destroy)
{
	struct run r;
	struct ctx x;
	struct err e = ERR_INIT;
	struct state_lock *lk = NULL;
	json_t *plan = NULL, *sum = NULL, *timeouts = NULL;
	const char *arg = argc ? argv[0] : ".";
	int from_file = !destroy && argc && !fs_is_dir(arg), ret = EXIT_ERR;
	int rc;
	struct apply_opts ao = {0};
	struct apply_hooks hooks = {hook_commit, hook_resolve, hook_event,
				    NULL};

	memset(&x, 0, sizeof(x));
	if (argc > 1) {
		cmd_error("apply: takes one plan file or directory");
		return EXIT_USAGE;
	}
	if (from_file && plan_load(&plan, arg, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_ERR;
	}
	if (run_load(&r, from_file ? json_get_str(plan, "dir", ".") : arg,
		     &ro)) {
		run_release(&r);
		json_decref(plan);
		return EXIT_ERR;
	}
	x.r = &r;
	hooks.arg = &x;
	ro.destroy = destroy;
	if (cmd_lock(&lk, r.dir, &r.m, destroy ? "destroy" : "apply",
		     lock_timeout_s * 1000, &e) < 0 ||
	    cmd_store_open(&x.st, r.dir, &r.m, &e) < 0)
		goto fail;
	rc = state_store_read(x.st, &r.state, x.commit, &e);
	if (rc == DCF_ENOTFOUND) {
		err_clear(&e);
		r.o->state_file = NULL;
		if (run_state(&r, &e) < 0)
			goto fail;
		json_decref(r.state);
		r.state = NULL;
		{
			/* A brand-new state: a fresh lineage. */
			char lineage[64];
			uuid_v4(lineage);
			r.state = json_pack(
			    "{s:i,s:s,s:i,s:s,s:{},s:{}}", "format_version", 1,
			    "lineage", lineage, "serial", 0, "tool_version",
			    DCFORM_VERSION, "resources", "outputs");
		}
		x.commit[0] = '\0';
		/* A plan made before the first state: its lineage is born. */
		if (plan && json_get_str(plan, "lineage", NULL))
			json_object_set(r.state, "lineage",
					json_object_get(plan, "lineage"));
	} else if (rc < 0) {
		goto fail;
	}
	snprintf(r.state_commit, sizeof(r.state_commit), "%s", x.commit);
	if (run_providers(&r, &e) < 0)
		goto fail;
	if (plan) {
		if (strcmp(json_get_str(plan, "lineage", ""),
			   json_get_str(r.state, "lineage", "")) ||
		    json_get_int(plan, "serial", -1) !=
			json_get_int(r.state, "serial", -2) ||
		    strcmp(json_get_str(plan, "state_commit", ""), x.commit)) {
			err_set(
			    &e, DCF_ECONFLICT,
			    "the state changed since this plan was made "
			    "(serial %lld, now %lld); run dcform plan again",
			    (long long)json_get_int(plan, "serial", -1),
			    (long long)json_get_int(r.state, "serial", -1));
			goto fail;
		}
		/* The plan was made on this lineage: adopt it for a state
		 * that did not exist yet. */
	} else if (refresh_only) {
		if (destroy || refresh_only_run(&r, &x, &e) < 0) {
			if (destroy)
				err_set(&e, DCF_EINVALID,
					"--refresh-only and destroy do not go "
					"together");
			goto fail;
		}
		ret = EXIT_OK;
		goto out;
	} else {
		if (run_plan(&r, &plan, &e) < 0)
			goto fail;
		if (gopts.json)
			json_line("plan", json_deep_copy(plan));
		else
			render_plan_text(stdout, plan);
		if (!plan_has_changes(plan)) {
			ret = EXIT_OK;
			goto out;
		}
	}
	if (!plan_preflight_ok(plan) && !skip_all_preflight) {
		err_set(&e, DCF_EINVALID,
			"preflight failed (see the plan); fix it or skip the "
			"check with --skip-preflight NAME");
		goto fail;
	}
	/* A saved plan was reviewed when it was made: applying the file is
	 * the yes (as Terraform does). */
	if (!from_file && !confirm(plan)) {
		ret = EXIT_ERR;
		goto out;
	}
	if (wait_timeout_s >= 0)
		timeouts =
		    json_pack("{s:I}", "default", (json_int_t)wait_timeout_s);
	ao.parallelism = ro.parallelism > 0 ? (int)ro.parallelism : 10;
	ao.wait_timeouts = timeouts;
	rc = apply_run(r.state, plan, &r.ps, &ao, &hooks, &sum, &e);
	set_outputs(&r);
	{
		struct err e2 = ERR_INIT;
		const json_t *s = json_object_get(plan, "summary");
		char *msg = xasprintf("%s: +%lld ~%lld -%lld",
				      destroy ? "destroy" : "apply",
				      (long long)json_get_int(s, "create", 0),
				      (long long)json_get_int(s, "update", 0),
				      (long long)json_get_int(s, "delete", 0));

		json_object_set_new(
		    r.state, "serial",
		    json_integer(json_get_int(r.state, "serial", 0) + 1));
		if (hook_commit(&x, r.state, msg, &e2) < 0)
			cmd_error("could not record the final state: %s",
				  e2.msg);
		free(msg);
	}
	if (gopts.json)
		json_line(
		    "summary",
		    json_pack("{s:s,s:b,s:O?,s:O?,s:O?,s:O?,s:O?,s:I,s:s,"
			      "s:O?}",
			      "operation", destroy ? "destroy" : "apply", "ok",
			      rc >= 0, "done", json_object_get(sum, "done"),
			      "failed", json_object_get(sum, "failed"),
			      "skipped", json_object_get(sum, "skipped"),
			      "pending", json_object_get(sum, "pending"),
			      "errors", json_object_get(sum, "errors"),
			      "serial",
			      (json_int_t)json_get_int(r.state, "serial", 0),
			      "commit", x.commit, "outputs",
			      json_object_get(r.state, "outputs")));
	fprintf(stderr,
		"\n%s %s: %lld steps done, %lld failed, %lld skipped, "
		"%lld waiting (state serial %lld, commit %.12s).\n",
		destroy ? "Destroy" : "Apply", rc < 0 ? "stopped" : "complete",
		(long long)json_get_int(sum, "done", 0),
		(long long)json_get_int(sum, "failed", 0),
		(long long)json_get_int(sum, "skipped", 0),
		(long long)json_get_int(sum, "pending", 0),
		(long long)json_get_int(r.state, "serial", 0), x.commit);
	if (json_get_int(sum, "pending", 0))
		fprintf(stderr,
			"Some resources are still waiting on the cloud; they "
			"stay pending. Run dcform apply again later to "
			"resume.\n");
	if (rc < 0) {
		json_t *er;
		size_t i;

		json_array_foreach (json_object_get(sum, "errors"), i, er)
			cmd_error(
			    "%s: %s%s%s%s%s", json_get_str(er, "address", ""),
			    json_get_str(er, "message", ""),
			    json_get_str(er, "request_id", NULL)
				? " (request id "
				: "",
			    json_get_str(er, "request_id", ""),
			    json_get_str(er, "request_id", NULL) ? ")" : "",
			    "");
		ret = EXIT_ERR;
		goto out;
	}
	ret = EXIT_OK;
	goto out;
fail:
	cmd_error("%s", e.msg);
	ret = EXIT_ERR;
out:
	json_decref(sum);
	json_decref(timeouts);
	state_store_free(x.st);
	state_lock_release(lk);
	run_release_at_exit(&r, plan);
	return ret;
}

const struct cmd cmd_apply_def = {
    .name = "apply",
    .usage = "apply [PLANFILE | DIR] [--auto-approve]",
    .summary = "Buy, change and delete what the plan says, resumably",
    .help = "Without a plan file, plans, shows the plan and asks for yes.\n"
	    "With one (dcform plan --out FILE), runs exactly it without\n"
	    "asking (it was reviewed when made), and refuses it when the\n"
	    "state moved since. Before each step that changes\n"
	    "the cloud its intent is committed to the state; after it, the\n"
	    "result. A crash or a rerun never buys anything twice: creates\n"
	    "are looked up by dcform's token first, and orders are paid only\n"
	    "when seen unpaid. Long waits (JD review, construction) end at\n"
	    "--wait-timeout with the resource pending; run apply again.",
    .options = apply_options,
    .run = apply_run_cmd,
    .exit_codes = "0   applied (or nothing to do; or waiting, resumable)\n"
		  "1   error: some step failed, the plan is stale, or no\n"
		  "    confirmation\n"
		  "64  bad command line",
};

const struct cmd cmd_destroy_def = {
    .name = "destroy",
    .usage = "destroy [DIR] [--auto-approve]",
    .summary = "Delete everything the state holds, in reverse order",
    .help = "Plans the deletion of every resource in the state (what\n"
	    "references another is deleted first), shows it and asks for\n"
	    "yes. Resources with lifecycle.prevent_destroy make the plan\n"
	    "fail, naming them. Deletions follow each product's flow: a\n"
	    "prepaid DCDB instance is isolated, then destroyed.",
    .options = apply_options,
    .run = destroy_run_cmd,
    .exit_codes = "0   destroyed (or nothing to destroy)\n"
		  "1   error, prevent_destroy, or no confirmation\n"
		  "64  bad command line",
};
