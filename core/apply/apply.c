/*
 * apply.c: the executor.  See apply.h for the model.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/apply/apply.h"
#include "core/plan/props.h"
#include "core/util/buf.h"
#include "core/util/hash.h"
#include "core/util/json.h"
#include "core/util/util.h"

enum st { ST_PENDING, ST_WAITING, ST_DONE, ST_FAILED, ST_SKIPPED, ST_TIMEOUT };

struct srun {
	json_t *step;	      /* borrowed from the plan */
	const json_t *change; /* borrowed */
	const struct resource_type *rt;
	enum st st;
	int64_t started_ms, next_poll_ms;
	long backoff_ms;
	int resumed_in_flight; /* the state said this step was in flight */
};

json_t *apply_default_wait_timeouts(void)
{
	/* Seconds.  JD review and construction take days in the real
	 * cloud: apply leaves them pending rather than waiting that long. */
	return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "default", 1800,
			 "create", 3600, "init", 3600, "update", 3600, "delete",
			 1800, "pay", 600, "review", 600, "construction", 600);
}

void apply_token(char out[40], const char *lineage, const char *address,
		 long long generation)
{
	char hex[2 * SHA256_LEN + 1];
	char *s = xasprintf("%s\n%s\n%lld", lineage ? lineage : "", address,
			    generation);

	sha256_hex(hex, s, strlen(s));
	free(s);
	memcpy(out, "dcf-", 4);
	memcpy(out + 4, hex, 32);
	out[36] = '\0';
}

static void emit(const struct apply_hooks *h, const char *event,
		 const struct srun *r, const char *status, const char *msg)
{
	json_t *ev;

	if (!h->event)
		return;
	ev = json_pack("{s:s,s:s,s:s,s:s,s:s}", "event", event, "address",
		       json_get_str(r->step, "address", ""), "step",
		       json_get_str(r->step, "id", ""), "kind",
		       json_get_str(r->step, "kind", ""), "title",
		       json_get_str(r->step, "title", ""));
	if (status && *status)
		json_object_set_new(ev, "status", json_string(status));
	if (msg)
		json_object_set_new(ev, "message", json_string(msg));
	if (r->started_ms)
		json_object_set_new(
		    ev, "elapsed_ms",
		    json_integer(time_mono_ms() - r->started_ms));
	h->event(h->arg, ev);
	json_decref(ev);
}

static const json_t *find_change(const json_t *plan, const char *addr)
{
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(plan, "resource_changes"), i, c)
		if (!strcmp(json_get_str(c, "address", ""), addr))
			return c;
	return NULL;
}

static long wait_timeout_s(const struct apply_opts *o, const json_t *step)
{
	const char *cls = json_get_str(step, "timeout_class",
				       json_get_str(step, "kind", "default"));
	json_t *v = json_object_get(o->wait_timeouts, cls);

	if (!json_is_integer(v))
		v = json_object_get(o->wait_timeouts, "default");
	return json_is_integer(v) ? (long)json_integer_value(v) : 1800;
}

/* The state entry of addr, created from the change when missing. */
static json_t *res_entry(json_t *state, const json_t *c)
{
	json_t *resources = json_object_get(state, "resources");
	const char *addr = json_get_str(c, "address", "");
	json_t *r;

	if (!resources) {
		resources = json_object();
		json_object_set_new(state, "resources", resources);
	}
	r = json_object_get(resources, addr);
	if (!r) {
		r = json_object();
		json_object_set_new(resources, addr, r);
	}
	json_object_set_new(r, "type",
			    json_string(json_get_str(c, "type", "")));
	json_object_set_new(r, "provider",
			    json_string(json_get_str(c, "provider", "")));
	json_object_set_new(r, "region",
			    json_string(json_get_str(c, "region", "")));
	return r;
}

/* Begin (or continue) the pending record of a step's phase. */
static json_t *pending_for(json_t *state, json_t *res, const struct srun *r)
{
	json_t *p = json_object_get(res, "pending");
	const char *phase = json_get_str(r->step, "phase", "create");
	char tok[40];

	if (json_is_object(p) && !strcmp(json_get_str(p, "phase", ""), phase))
		return p;
	p = json_object();
	json_object_set_new(p, "phase", json_string(phase));
	json_object_set_new(p, "completed", json_integer(0));
	json_object_set_new(p, "data", json_object());
	json_object_set_new(p, "started_at", json_integer(time_now_s()));
	if (!strcmp(phase, "create")) {
		long long g = json_get_int(res, "generation", 0) + 1;

		apply_token(tok, json_get_str(state, "lineage", ""),
			    json_get_str(r->step, "address", ""), g);
		json_object_set_new(p, "generation", json_integer(g));
		json_object_set_new(p, "token", json_string(tok));
		/* create_before_destroy: keep the old object for the
		 * delete phase that follows. */
		if (json_get_str(res, "id", NULL) &&
		    json_get_bool(r->change, "create_before_destroy", 0))
			json_object_set_new(
			    res, "deposed",
			    json_pack("{s:s,s:O?}", "id",
				      json_get_str(res, "id", ""), "attributes",
				      json_object_get(res, "attributes")));
	} else {
		json_object_set_new(
		    p, "generation",
		    json_integer(json_get_int(res, "generation", 1)));
		json_object_set_new(
		    p, "token",
		    json_string(json_get_str(json_object_get(res, "pending"),
					     "token", "")));
	}
	json_object_set_new(res, "pending", p);
	return p;
}

/* Attributes as the provider gets them: always with "id". */
static json_t *current_of(json_t *res, const char *phase)
{
	json_t *dep = json_object_get(res, "deposed");
	json_t *src = res, *attrs, *cur;

	if (!strcmp(phase, "delete") && json_is_object(dep))
		src = dep;
	attrs = json_object_get(src, "attributes");
	if (!json_get_str(src, "id", NULL))
		return NULL;
	cur = json_is_object(attrs) ? json_deep_copy(attrs) : json_object();
	json_object_set_new(cur, "id",
			    json_string(json_get_str(src, "id", "")));
	return cur;
}

static void finish_phase(json_t *state, json_t *res, const struct srun *r,
			 const json_t *resolved)
{
	const char *phase = json_get_str(r->step, "phase", "create");
	const char *addr = json_get_str(r->step, "address", "");
	json_t *p = json_object_get(res, "pending");

	if (!strcmp(phase, "delete")) {
		const char *a = json_get_str(r->change, "action", "");

		if (json_is_object(json_object_get(res, "deposed"))) {
			json_object_del(res, "deposed");
			json_object_del(res, "pending");
		} else if (!strcmp(a, "replace")) {
			json_object_del(res, "id");
			json_object_del(res, "attributes");
			json_object_del(res, "pending");
		} else {
			json_object_del(json_object_get(state, "resources"),
					addr);
		}
		return;
	}
	if (resolved) {
		json_t *dg = json_object();
		json_t *red =
		    props_redact(json_get_str(res, "type", ""), resolved, dg,
				 json_get_str(state, "lineage", ""));
		json_t *attrs = json_object_get(res, "attributes");

		/* What the user asked for, overlaid by what the cloud says. */
		if (json_is_object(attrs))
			json_deep_update(red, attrs);
		json_object_set_new(res, "attributes", red);
		json_object_set_new(res, "sensitive_digests", dg);
	}
	json_object_set(res, "dependencies",
			json_object_get(r->change, "depends_on")
			    ? json_object_get(r->change, "depends_on")
			    : json_array());
	if (json_is_object(p) && json_object_get(p, "generation"))
		json_object_set(res, "generation",
				json_object_get(p, "generation"));
	json_object_del(res, "pending");
}

struct run_ctx {
	json_t *state;
	const json_t *plan;
	const struct provider_set *ps;
	const struct apply_opts *o;
	const struct apply_hooks *h;
	json_t *resolved; /* address → resolved properties */
	json_t *summary;
};

static void record_error(struct run_ctx *x, const struct srun *r,
			 const struct step_run *run, const char *msg)
{
	json_t *er = json_pack("{s:s,s:s,s:s}", "address",
			       json_get_str(r->step, "address", ""), "step",
			       json_get_str(r->step, "id", ""), "message", msg);

	if (run && run->cloud_code[0])
		json_object_set_new(er, "cloud_code",
				    json_string(run->cloud_code));
	if (run && run->request_id[0])
		json_object_set_new(er, "request_id",
				    json_string(run->request_id));
	json_array_append_new(json_object_get(x->summary, "errors"), er);
}

/*
 * Run one step once.  Returns the new status; changes state in place.
 */
static enum st run_one(struct run_ctx *x, struct srun *r, int *changed)
{
	const char *addr = json_get_str(r->step, "address", "");
	const char *phase = json_get_str(r->step, "phase", "create");
	json_t *res = res_entry(x->state, r->change);
	json_t *p = pending_for(x->state, res, r);
	void *ctx = provider_set_ctx(x->ps, r->rt->provider);
	struct step_run run;
	struct err e = ERR_INIT;
	json_t *cur = NULL, *desired = NULL, *before;
	enum st st = ST_FAILED;
	int ret;

	memset(&run, 0, sizeof(run));
	if (!ctx) {
		err_set(&e, DCF_EINVALID, "provider '%s' is not configured",
			r->rt->provider);
		goto fail;
	}
	if (strcmp(phase, "delete")) {
		desired = json_object_get(x->resolved, addr);
		if (!desired) {
			desired = x->h->resolve(x->h->arg, addr, x->state, &e);
			if (!desired)
				goto fail;
			json_object_set_new(x->resolved, addr, desired);
		}
	}
	cur = current_of(res, phase);
	run.address = addr;
	run.region = json_get_str(r->change, "region", "");
	run.token = json_get_str(p, "token", "");
	run.step = r->step;
	run.desired = desired;
	run.current = cur;
	run.resumed_in_flight = r->resumed_in_flight;
	run.intent_started_at = json_get_int(p, "started_at", 0);
	run.data = json_object_get(p, "data");
	if (!json_is_object(run.data)) {
		run.data = json_object();
		json_object_set_new(p, "data", run.data);
	}

	/* A create that may have reached the cloud before a crash: look
	 * for the object carrying our token before creating another. */
	if (r->resumed_in_flight &&
	    !strcmp(json_get_str(r->step, "kind", ""), "create") &&
	    (r->rt->caps & RT_CAP_FIND_BY_TOKEN) && r->rt->find_by_token) {
		char *id = NULL;
		json_t *attrs = NULL;

		ret = r->rt->find_by_token(ctx, run.region, run.token, &id,
					   &attrs, &e);
		if (ret == 0) {
			json_object_set_new(res, "id", json_string(id));
			json_object_set_new(run.data, "id", json_string(id));
			if (attrs)
				json_object_set_new(res, "attributes", attrs);
			emit(x->h, "adopted", r, id,
			     "found the object created before the "
			     "interruption; not creating another");
			free(id);
			st = ST_DONE;
			goto done;
		}
		if (ret != DCF_ENOTFOUND)
			goto fail;
		err_clear(&e);
	}

	before = json_deep_copy(run.data);
	ret = r->rt->run_step(ctx, &run, &e);
	if (ret != STEP_IN_PROGRESS || run.id || run.attributes ||
	    !json_equal(before, run.data))
		*changed = 1;
	json_decref(before);
	if (run.id)
		json_object_set_new(res, "id", json_string(run.id));
	if (run.attributes) {
		json_object_set_new(res, "attributes", run.attributes);
		run.attributes = NULL;
	}
	if (ret == STEP_IN_PROGRESS) {
		st = ST_WAITING;
		goto out;
	}
	if (ret < 0)
		goto fail;
	st = ST_DONE;
done:
	*changed = 1;
	json_object_set_new(
	    p, "completed",
	    json_integer(json_get_int(r->step, "index", 0) + 1));
	json_object_set_new(p, "in_flight", json_false());
	if (json_get_int(r->step, "index", 0) + 1 >=
	    json_get_int(r->step, "count", 1))
		finish_phase(x->state, res, r, desired);
	goto out;
fail:
	*changed = 1;
	record_error(x, r, &run, e.msg);
	emit(x->h, "error", r, run.status, e.msg);
	st = ST_FAILED;
out:
	if (st == ST_WAITING || st == ST_DONE)
		emit(x->h, st == ST_DONE ? "done" : "waiting", r, run.status,
		     NULL);
	if (st == ST_WAITING || st == ST_FAILED)
		json_object_set_new(p, "status", json_string(run.status));
	free(run.id);
	json_decref(run.attributes);
	json_decref(cur);
	return st;
}

static int deps_state(const struct srun *v, size_t n, const json_t *step,
		      const json_t *index)
{
	json_t *d;
	size_t i;
	int all_done = 1;

	(void)n;
	json_array_foreach (json_object_get(step, "depends_on"), i, d) {
		json_t *ix = json_object_get(index, json_string_value(d));
		enum st s;

		if (!ix)
			continue;
		s = v[json_integer_value(ix)].st;
		if (s == ST_FAILED || s == ST_SKIPPED || s == ST_TIMEOUT)
			return -1;
		if (s != ST_DONE)
			all_done = 0;
	}
	return all_done;
}

#define WAVE_MAX 64

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0)
		;
}

static int commit(struct run_ctx *x, const char *fmt, const char *detail,
		  struct err *e)
{
	char *msg = xasprintf(fmt, detail);
	int ret;

	json_object_set_new(
	    x->state, "serial",
	    json_integer(json_get_int(x->state, "serial", 0) + 1));
	ret = x->h->commit(x->h->arg, x->state, msg, e);
	free(msg);
	return ret;
}

int apply_run(json_t *state, const json_t *plan, const struct provider_set *ps,
	      const struct apply_opts *opts, const struct apply_hooks *hooks,
	      json_t **out_summary, struct err *e)
{
	json_t *steps = json_object_get(plan, "steps"), *s, *index;
	size_t n = json_array_size(steps), i;
	struct srun *v = xcalloc(n ? n : 1, sizeof(*v));
	struct apply_opts o = *opts;
	json_t *own_timeouts = NULL;
	struct run_ctx x = {state,
			    plan,
			    ps,
			    &o,
			    hooks,
			    json_object(),
			    json_pack("{s:[],s:[]}", "errors", "waiting")};
	int ret = 0, wave = 0, failed = 0, done = 0, skipped = 0, timeouts = 0;

	if (o.parallelism <= 0)
		o.parallelism = 10;
	if (o.poll_min_ms <= 0)
		o.poll_min_ms = 500;
	if (o.poll_max_ms <= 0)
		o.poll_max_ms = 10000;
	if (!o.wait_timeouts)
		o.wait_timeouts = own_timeouts = apply_default_wait_timeouts();

	index = json_object();
	json_array_foreach (steps, i, s) {
		const char *addr = json_get_str(s, "address", "");
		json_t *res =
		    json_object_get(json_object_get(state, "resources"), addr);
		json_t *p = json_object_get(res, "pending");

		v[i].step = s;
		v[i].change = find_change(plan, addr);
		v[i].rt =
		    resource_type_lookup(json_get_str(v[i].change, "type", ""));
		if (!v[i].change || !v[i].rt) {
			ret = err_set(e, DCF_EINVALID,
				      "plan step %s has no valid change",
				      json_get_str(s, "id", "?"));
			goto out;
		}
		if (json_get_bool(p, "in_flight", 0) &&
		    json_get_int(p, "completed", -1) ==
			json_get_int(s, "index", -2) &&
		    !strcmp(json_get_str(p, "phase", ""),
			    json_get_str(s, "phase", "")))
			v[i].resumed_in_flight = 1;
		json_object_set_new(index, json_get_str(s, "id", ""),
				    json_integer((json_int_t)i));
	}

	for (;;) {
		size_t ready[256], nready = 0;
		int64_t now = time_mono_ms(), next = INT64_MAX;
		int intents = 0, changed = 0;
		struct buf names = BUF_INIT;

		for (i = 0; i < n; i++) {
			int ds;

			if (v[i].st != ST_PENDING && v[i].st != ST_WAITING)
				continue;
			ds = deps_state(v, n, v[i].step, index);
			if (ds < 0) {
				v[i].st = ST_SKIPPED;
				skipped++;
				emit(hooks, "skipped", &v[i], NULL,
				     "skipped: a step it depends on did not "
				     "finish");
				continue;
			}
			if (!ds)
				continue;
			if (v[i].st == ST_WAITING && v[i].next_poll_ms > now) {
				if (v[i].next_poll_ms < next)
					next = v[i].next_poll_ms;
				continue;
			}
			/* A wave takes up to WAVE_MAX ready steps: its intents
			 * are one commit and its results another, so larger
			 * waves mean fewer rewrites of a large state. */
			if (nready < WAVE_MAX &&
			    nready < sizeof(ready) / sizeof(ready[0]))
				ready[nready++] = i;
		}
		if (!nready) {
			if (next == INT64_MAX)
				break;
			sleep_ms((long)(next - now));
			continue;
		}
		wave++;

		/* Intents of side-effecting steps, one commit per wave. */
		for (i = 0; i < nready; i++) {
			struct srun *r = &v[ready[i]];
			json_t *res, *p;

			if (r->st != ST_PENDING ||
			    !json_get_bool(r->step, "side_effect", 0))
				continue;
			res = res_entry(state, r->change);
			p = pending_for(state, res, r);
			json_object_set_new(
			    p, "step",
			    json_string(json_get_str(r->step, "id", "")));
			json_object_set_new(
			    p, "kind",
			    json_string(json_get_str(r->step, "kind", "")));
			json_object_set_new(p, "in_flight", json_true());
			if (names.len)
				buf_puts(&names, ", ");
			buf_printf(&names, "%s %s",
				   json_get_str(r->step, "address", ""),
				   json_get_str(r->step, "kind", ""));
			intents++;
		}
		if (intents) {
			ret = commit(&x, "apply: intent: %s", names.ptr, e);
			if (ret < 0) {
				buf_release(&names);
				goto out;
			}
		}
		buf_release(&names);

		for (i = 0; i < nready; i++) {
			struct srun *r = &v[ready[i]];
			enum st st;
			int before_changed = changed;

			if (r->st == ST_PENDING) {
				r->started_ms = time_mono_ms();
				emit(hooks, "start", r, NULL, NULL);
			}
			st = run_one(&x, r, &changed);
			r->resumed_in_flight = 0;
			if (st == ST_WAITING) {
				long limit = wait_timeout_s(&o, r->step);

				if (time_mono_ms() - r->started_ms >
				    limit * 1000L) {
					st = ST_TIMEOUT;
					timeouts++;
					json_array_append_new(
					    json_object_get(x.summary,
							    "waiting"),
					    json_pack(
						"{s:s,s:s,s:s}", "address",
						json_get_str(r->step, "address",
							     ""),
						"step",
						json_get_str(r->step, "id", ""),
						"title",
						json_get_str(r->step, "title",
							     "")));
					emit(hooks, "timeout", r, NULL,
					     "still waiting; left pending for "
					     "the next apply");
				} else {
					r->backoff_ms = r->backoff_ms
							    ? r->backoff_ms * 2
							    : o.poll_min_ms;
					if (r->backoff_ms > o.poll_max_ms)
						r->backoff_ms = o.poll_max_ms;
					r->next_poll_ms =
					    time_mono_ms() + r->backoff_ms;
				}
			}
			if (st == ST_DONE)
				done++;
			if (st == ST_FAILED)
				failed++;
			r->st = st;
			if (changed && (!before_changed || st != ST_WAITING)) {
				if (names.len)
					buf_puts(&names, ", ");
				buf_printf(&names, "%s %s %s",
					   json_get_str(r->step, "address", ""),
					   json_get_str(r->step, "kind", ""),
					   st == ST_DONE      ? "done"
					   : st == ST_FAILED  ? "failed"
					   : st == ST_TIMEOUT ? "left pending"
							      : "in progress");
			}
		}
		if (changed) {
			ret = commit(&x, "apply: %s",
				     names.len ? names.ptr : "progress", e);
			buf_release(&names);
			if (ret < 0)
				goto out;
		}
	}

	json_object_set_new(x.summary, "done", json_integer(done));
	json_object_set_new(x.summary, "failed", json_integer(failed));
	json_object_set_new(x.summary, "skipped", json_integer(skipped));
	json_object_set_new(x.summary, "pending", json_integer(timeouts));
	json_object_set_new(x.summary, "waves", json_integer(wave));
	if (failed) {
		json_t *first =
		    json_array_get(json_object_get(x.summary, "errors"), 0);
		ret = err_set(e, DCF_EPROVIDER, "%s: %s",
			      json_get_str(first, "address", ""),
			      json_get_str(first, "message", ""));
	}
out:
	json_decref(index);
	json_decref(x.resolved);
	json_decref(own_timeouts);
	free(v);
	if (out_summary)
		*out_summary = x.summary;
	else
		json_decref(x.summary);
	return ret;
}
