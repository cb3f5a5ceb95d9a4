/*
 * apply.c: the executor.  See apply.h for the model.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/apply/apply.h"
#include "core/plan/props.h"
#include "core/util/buf.h"
#include "core/util/hash.h"
#include "core/util/json.h"
#include "core/util/util.h"

enum st {
	ST_PENDING,
	ST_WAITING,
	ST_RUNNING, /* handed to a worker */
	ST_DONE,
	ST_FAILED,
	ST_SKIPPED,
	ST_TIMEOUT
};

struct srun {
	json_t *step;	      /* borrowed from the plan */
	const json_t *change; /* borrowed */
	const struct resource_type *rt;
	enum st st;
	size_t cls;   /* its class: resource type and step kind */
	size_t *deps; /* indexes of the steps it depends on */
	size_t ndeps;
	int se_counted; /* running and counted in its class's total */
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
 * One step handed to a worker.  The main thread prepares it from the
 * state (job_prep) and applies its outcome to the state (job_finish);
 * the worker only calls the provider, on copies: the state document is
 * touched by the main thread alone, so it can be serialised and
 * committed while steps run.
 */
struct job {
	struct srun *r;
	void *ctx;
	int serial; /* the provider is not PROVIDER_CAP_THREADSAFE */
	int find;   /* look for the object by token before creating */
	struct step_run run;
	char *token;	  /* run.token */
	json_t *cur;	  /* run.current */
	json_t *data_was; /* pending.data when the step started */
	int ret;	  /* find_by_token's or run_step's answer */
	int adopted;	  /* find_by_token found it */
	char *found_id;
	json_t *found_attrs;
	struct err e;
	struct job *next;
};

/* Providers without PROVIDER_CAP_THREADSAFE run one step at a time. */
static pthread_mutex_t serial_lock = PTHREAD_MUTEX_INITIALIZER;

static void job_call(struct job *j)
{
	const struct resource_type *rt = j->r->rt;

	if (j->serial)
		pthread_mutex_lock(&serial_lock);
	if (j->find) {
		j->ret =
		    rt->find_by_token(j->ctx, j->run.region, j->run.token,
				      &j->found_id, &j->found_attrs, &j->e);
		if (j->ret == 0) {
			j->adopted = 1;
			goto out;
		}
		if (j->ret != DCF_ENOTFOUND)
			goto out;
		err_clear(&j->e);
	}
	j->ret = rt->run_step(j->ctx, &j->run, &j->e);
out:
	if (j->serial)
		pthread_mutex_unlock(&serial_lock);
}

static void job_free(struct job *j)
{
	free(j->token);
	json_decref(j->cur);
	json_decref(j->data_was);
	json_decref(j->run.data);
	free(j->run.id);
	json_decref(j->run.attributes);
	free(j->found_id);
	json_decref(j->found_attrs);
	free(j);
}

/*
 * The workers.  Jobs wait in one queue per class (resource type and step
 * kind) and workers take from the classes in turn, and while other
 * classes have work a class runs on at most half of the workers: a slow
 * or rate-limited action (creates, 20 a second, whose workers mostly
 * wait for their turn) never holds every worker while another (inits,
 * with a limit of their own) waits behind it.
 * Finished jobs go to `done`, first in, first out.
 */
struct queue {
	struct job *head, **tail;
	size_t len, running;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, ready;
	struct queue *q;
	size_t nq, rr, queued;
	struct job *done, **done_tail;
	int stop;
	pthread_t *threads;
	int nthreads;
};

/* The next job, classes in turn; NULL when none.  Under pl->mu. */
static struct job *pool_next(struct pool *pl)
{
	size_t half = ((size_t)pl->nthreads + 1) / 2, k, pass;

	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < pl->nq; k++) {
			size_t c = (pl->rr + k) % pl->nq;
			struct queue *q = &pl->q[c];
			struct job *j = q->head;

			if (!j)
				continue;
			/* First pass: a class at its share yields to
			 * others that have work. */
			if (!pass && q->running >= half && pl->queued > q->len)
				continue;
			q->head = j->next;
			if (!q->head)
				q->tail = &q->head;
			q->len--;
			q->running++;
			pl->rr = (c + 1) % pl->nq;
			pl->queued--;
			return j;
		}
	return NULL;
}

static void *worker(void *arg)
{
	struct pool *pl = arg;
	struct job *j;

	pthread_mutex_lock(&pl->mu);
	for (;;) {
		while (!pl->queued && !pl->stop)
			pthread_cond_wait(&pl->work, &pl->mu);
		if (!(j = pool_next(pl)))
			break;
		pthread_mutex_unlock(&pl->mu);
		job_call(j);
		pthread_mutex_lock(&pl->mu);
		pl->q[j->r->cls % pl->nq].running--;
		j->next = NULL;
		*pl->done_tail = j;
		pl->done_tail = &j->next;
		pthread_cond_signal(&pl->ready);
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

static void pool_start(struct pool *pl, int n, size_t nclasses)
{
	pthread_condattr_t ca;
	size_t k;
	int i;

	memset(pl, 0, sizeof(*pl));
	pl->nq = nclasses ? nclasses : 1;
	pl->q = xcalloc(pl->nq, sizeof(*pl->q));
	for (k = 0; k < pl->nq; k++)
		pl->q[k].tail = &pl->q[k].head;
	pthread_mutex_init(&pl->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pl->ready, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&pl->work, NULL);
	pl->done_tail = &pl->done;
	pl->threads = xcalloc((size_t)n, sizeof(*pl->threads));
	for (i = 0; i < n; i++) {
		if (pthread_create(&pl->threads[i], NULL, worker, pl))
			break;
		pl->nthreads++;
	}
}

static void pool_stop(struct pool *pl)
{
	int i;

	pthread_mutex_lock(&pl->mu);
	pl->stop = 1;
	pthread_cond_broadcast(&pl->work);
	pthread_mutex_unlock(&pl->mu);
	for (i = 0; i < pl->nthreads; i++)
		pthread_join(pl->threads[i], NULL);
	free(pl->threads);
	free(pl->q);
	pthread_cond_destroy(&pl->work);
	pthread_cond_destroy(&pl->ready);
	pthread_mutex_destroy(&pl->mu);
}

/* Queue a job; with no worker (none could start) it runs here. */
static void pool_push(struct pool *pl, struct job *j)
{
	if (!pl->nthreads)
		job_call(j);
	pthread_mutex_lock(&pl->mu);
	j->next = NULL;
	if (pl->nthreads) {
		struct queue *q = &pl->q[j->r->cls % pl->nq];

		*q->tail = j;
		q->tail = &j->next;
		q->len++;
		pl->queued++;
		pthread_cond_signal(&pl->work);
	} else {
		*pl->done_tail = j;
		pl->done_tail = &j->next;
	}
	pthread_mutex_unlock(&pl->mu);
}

/* The finished jobs, as a list (NULL when none). */
static struct job *pool_take(struct pool *pl)
{
	struct job *j;

	pthread_mutex_lock(&pl->mu);
	j = pl->done;
	pl->done = NULL;
	pl->done_tail = &pl->done;
	pthread_mutex_unlock(&pl->mu);
	return j;
}

/* Wait until a job has finished or until `until_ms` (monotonic;
 * INT64_MAX: no limit). */
static void pool_wait(struct pool *pl, int64_t until_ms)
{
	pthread_mutex_lock(&pl->mu);
	while (!pl->done) {
		struct timespec ts;

		if (until_ms == INT64_MAX) {
			pthread_cond_wait(&pl->ready, &pl->mu);
			continue;
		}
		if (until_ms <= time_mono_ms())
			break;
		ts.tv_sec = (time_t)(until_ms / 1000);
		ts.tv_nsec = (long)(until_ms % 1000) * 1000000L;
		if (pthread_cond_timedwait(&pl->ready, &pl->mu, &ts) ==
		    ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&pl->mu);
}

/*
 * Prepare step r for a worker: the pending record, the resolved desired
 * properties, copies of what the provider may read.  NULL with e set
 * when the step cannot start (its provider is not configured, a
 * reference is still unknown).
 */
static struct job *job_prep(struct run_ctx *x, struct srun *r, struct err *e)
{
	const char *addr = json_get_str(r->step, "address", "");
	const char *phase = json_get_str(r->step, "phase", "create");
	json_t *res = res_entry(x->state, r->change);
	json_t *p = pending_for(x->state, res, r);
	const struct provider *pv = provider_lookup(r->rt->provider);
	void *ctx = provider_set_ctx(x->ps, r->rt->provider);
	json_t *desired = NULL, *data;
	struct job *j;

	if (!ctx) {
		err_set(e, DCF_EINVALID, "provider '%s' is not configured",
			r->rt->provider);
		return NULL;
	}
	if (strcmp(phase, "delete")) {
		desired = json_object_get(x->resolved, addr);
		if (!desired) {
			desired = x->h->resolve(x->h->arg, addr, x->state, e);
			if (!desired)
				return NULL;
			json_object_set_new(x->resolved, addr, desired);
		}
	}
	data = json_object_get(p, "data");
	if (!json_is_object(data)) {
		data = json_object();
		json_object_set_new(p, "data", data);
	}
	j = xcalloc(1, sizeof(*j));
	j->r = r;
	j->ctx = ctx;
	j->serial = !pv || !(pv->caps & PROVIDER_CAP_THREADSAFE);
	j->find = r->resumed_in_flight &&
		  !strcmp(json_get_str(r->step, "kind", ""), "create") &&
		  (r->rt->caps & RT_CAP_FIND_BY_TOKEN) && r->rt->find_by_token;
	j->token = xstrdup(json_get_str(p, "token", ""));
	j->cur = current_of(res, phase);
	j->data_was = json_incref(data);
	j->run.address = addr;
	j->run.region = json_get_str(r->change, "region", "");
	j->run.token = j->token;
	j->run.step = r->step;
	j->run.desired = desired;
	j->run.current = j->cur;
	j->run.resumed_in_flight = r->resumed_in_flight;
	j->run.intent_started_at = json_get_int(p, "started_at", 0);
	j->run.data = json_deep_copy(data);
	j->e = (struct err)ERR_INIT;
	return j;
}

/* A step that could not run. */
static enum st step_failed(struct run_ctx *x, struct srun *r,
			   const struct step_run *run, const char *msg)
{
	json_t *res = res_entry(x->state, r->change);
	json_t *p = pending_for(x->state, res, r);

	record_error(x, r, run, msg);
	emit(x->h, "error", r, run ? run->status : NULL, msg);
	json_object_set_new(p, "status", json_string(run ? run->status : ""));
	return ST_FAILED;
}

/*
 * Apply a finished job's outcome to the state.  Returns the step's new
 * status; *changed is set when the state changed.
 */
static enum st job_finish(struct run_ctx *x, struct job *j, int *changed)
{
	struct srun *r = j->r;
	json_t *res = res_entry(x->state, r->change);
	json_t *p = pending_for(x->state, res, r);
	const json_t *desired = j->run.desired;
	enum st st;

	if (j->adopted) {
		json_object_set_new(res, "id", json_string(j->found_id));
		json_object_set_new(j->run.data, "id",
				    json_string(j->found_id));
		json_object_set(p, "data", j->run.data);
		if (j->found_attrs) {
			json_object_set(res, "attributes", j->found_attrs);
		}
		emit(x->h, "adopted", r, j->found_id,
		     "found the object created before the interruption; not "
		     "creating another");
		st = ST_DONE;
		goto done;
	}
	if (j->find && j->ret < 0) {
		*changed = 1;
		return step_failed(x, r, &j->run, j->e.msg);
	}
	if (j->ret != STEP_IN_PROGRESS || j->run.id || j->run.attributes ||
	    !json_equal(j->data_was, j->run.data))
		*changed = 1;
	json_object_set(p, "data", j->run.data);
	if (j->run.id)
		json_object_set_new(res, "id", json_string(j->run.id));
	if (j->run.attributes) {
		json_object_set_new(res, "attributes", j->run.attributes);
		j->run.attributes = NULL;
	}
	if (j->ret == STEP_IN_PROGRESS) {
		json_object_set_new(p, "status", json_string(j->run.status));
		emit(x->h, "waiting", r, j->run.status, NULL);
		return ST_WAITING;
	}
	if (j->ret < 0) {
		*changed = 1;
		return step_failed(x, r, &j->run, j->e.msg);
	}
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
	emit(x->h, "done", r, j->run.status, NULL);
	return st;
}

/* 1 when every step r depends on is done, -1 when one never will be. */
static int deps_state(const struct srun *v, const struct srun *r)
{
	size_t i;
	int all_done = 1;

	for (i = 0; i < r->ndeps; i++) {
		enum st s = v[r->deps[i]].st;

		if (s == ST_FAILED || s == ST_SKIPPED || s == ST_TIMEOUT)
			return -1;
		if (s != ST_DONE)
			all_done = 0;
	}
	return all_done;
}

/*
 * Steps in flight at most, and side-effecting steps in flight per class.
 * Those start in batches (one intent commit each), a class's next batch
 * when half of its last has finished, so a slow, rate-limited action (20
 * creates a second) always has steps waiting for it while the state is
 * committed a few times a second, not once per step.
 */
#define INFLIGHT_MAX 256
#define CLASS_MAX 32
/* Results are committed with the next intent, or after this long. */
#define RESULT_COMMIT_MS 1000

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

struct counts {
	int done, failed, skipped, timeouts;
};

/* After a step ran: its wait's backoff or timeout, the counters, the
 * next commit's message. */
static void step_ran(struct run_ctx *x, struct srun *r, enum st st, int changed,
		     struct buf *names, struct counts *c)
{
	if (st == ST_WAITING) {
		long limit = wait_timeout_s(x->o, r->step);

		if (time_mono_ms() - r->started_ms > limit * 1000L) {
			st = ST_TIMEOUT;
			c->timeouts++;
			json_array_append_new(
			    json_object_get(x->summary, "waiting"),
			    json_pack("{s:s,s:s,s:s}", "address",
				      json_get_str(r->step, "address", ""),
				      "step", json_get_str(r->step, "id", ""),
				      "title",
				      json_get_str(r->step, "title", "")));
			emit(x->h, "timeout", r, NULL,
			     "still waiting; left pending for the next apply");
		} else {
			r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2
						      : x->o->poll_min_ms;
			if (r->backoff_ms > x->o->poll_max_ms)
				r->backoff_ms = x->o->poll_max_ms;
			r->next_poll_ms = time_mono_ms() + r->backoff_ms;
		}
	}
	if (st == ST_DONE)
		c->done++;
	if (st == ST_FAILED)
		c->failed++;
	r->st = st;
	r->resumed_in_flight = 0;
	if (changed) {
		if (names->len)
			buf_puts(names, ", ");
		buf_printf(names, "%s %s %s",
			   json_get_str(r->step, "address", ""),
			   json_get_str(r->step, "kind", ""),
			   st == ST_DONE      ? "done"
			   : st == ST_FAILED  ? "failed"
			   : st == ST_TIMEOUT ? "left pending"
					      : "in progress");
	}
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
	struct pool pl;
	struct counts c = {0, 0, 0, 0};
	struct buf results = BUF_INIT, intents = BUF_INIT;
	size_t *ready = xcalloc(INFLIGHT_MAX, sizeof(*ready));
	int ret = 0, rounds = 0, inflight = 0, stopping = 0;
	json_t *classes = json_object();
	size_t lo = 0;
	int *cls_se = NULL, *cls_room = NULL;
	size_t ncls;
	int64_t last_commit = time_mono_ms();

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
			goto out_nopool;
		}
		if (json_get_bool(p, "in_flight", 0) &&
		    json_get_int(p, "completed", -1) ==
			json_get_int(s, "index", -2) &&
		    !strcmp(json_get_str(p, "phase", ""),
			    json_get_str(s, "phase", "")))
			v[i].resumed_in_flight = 1;
		json_object_set_new(index, json_get_str(s, "id", ""),
				    json_integer((json_int_t)i));
		{
			char *key = xasprintf("%s %s", v[i].rt->name,
					      json_get_str(s, "kind", ""));
			json_t *ci = json_object_get(classes, key);

			if (!ci) {
				ci = json_integer(
				    (json_int_t)json_object_size(classes));
				json_object_set_new(classes, key, ci);
			}
			v[i].cls = (size_t)json_integer_value(ci);
			free(key);
		}
	}
	/* Dependencies as indexes, once: the scan below runs after every
	 * finished step. */
	for (i = 0; i < n; i++) {
		json_t *d, *deps = json_object_get(v[i].step, "depends_on");
		size_t k;

		v[i].deps = xcalloc(json_array_size(deps) + 1, sizeof(size_t));
		json_array_foreach (deps, k, d) {
			json_t *ix =
			    json_object_get(index, json_string_value(d));

			if (ix)
				v[i].deps[v[i].ndeps++] =
				    (size_t)json_integer_value(ix);
		}
	}
	ncls = json_object_size(classes);
	cls_se = xcalloc(ncls ? ncls : 1, sizeof(*cls_se));
	cls_room = xcalloc(ncls ? ncls : 1, sizeof(*cls_room));
	pool_start(&pl,
		   n < (size_t)o.parallelism ? (n ? (int)n : 1) : o.parallelism,
		   ncls);

	for (;;) {
		int64_t now = time_mono_ms(), next = INT64_MAX;
		size_t nready = 0;
		struct job *done, *j;
		size_t k;

		/* 1. Outcomes of the steps that finished. */
		done = pool_take(&pl);
		while ((j = done)) {
			struct srun *r = j->r;
			int changed = 0;
			enum st st;

			done = j->next;
			st = job_finish(&x, j, &changed);
			inflight--;
			if (r->se_counted) {
				cls_se[r->cls]--;
				r->se_counted = 0;
			}
			step_ran(&x, r, st, changed, &results, &c);
			job_free(j);
		}
		if (stopping) {
			/* A commit failed: nothing more is sent; the steps
			 * already running end first. */
			if (!inflight)
				break;
			pool_wait(&pl, INT64_MAX);
			continue;
		}

		/* 2. The steps that may start now, in plan order. */
		for (k = 0; k < ncls; k++)
			cls_room[k] = cls_se[k] <= CLASS_MAX / 2
					  ? CLASS_MAX - cls_se[k]
					  : 0;
		/* Steps before `lo` have all ended: skip them. */
		while (lo < n && v[lo].st != ST_PENDING &&
		       v[lo].st != ST_WAITING && v[lo].st != ST_RUNNING)
			lo++;
		for (i = lo; i < n && inflight + (int)nready < INFLIGHT_MAX;
		     i++) {
			int ds;

			if (v[i].st != ST_PENDING && v[i].st != ST_WAITING)
				continue;
			ds = deps_state(v, &v[i]);
			if (ds < 0) {
				v[i].st = ST_SKIPPED;
				c.skipped++;
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
			if (v[i].st == ST_PENDING &&
			    json_get_bool(v[i].step, "side_effect", 0)) {
				if (cls_room[v[i].cls] <= 0)
					continue;
				cls_room[v[i].cls]--;
			}
			ready[nready++] = i;
		}

		/* 3. Intents of the side-effecting ones, in one commit that
		 * also carries the results gathered so far; results alone
		 * are committed at most every RESULT_COMMIT_MS, and before
		 * the executor sleeps or ends. */
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
			if (intents.len)
				buf_puts(&intents, ", ");
			buf_printf(&intents, "%s %s",
				   json_get_str(r->step, "address", ""),
				   json_get_str(r->step, "kind", ""));
			r->se_counted = 1;
		}
		if (intents.len ||
		    (results.len && ((!nready && !inflight) ||
				     now - last_commit >= RESULT_COMMIT_MS))) {
			struct buf msg = BUF_INIT;

			if (results.len)
				buf_puts(&msg, results.ptr);
			if (intents.len)
				buf_printf(&msg, "%sintent: %s",
					   results.len ? "; " : "",
					   intents.ptr);
			ret = commit(&x, "apply: %s", msg.ptr, e);
			buf_release(&msg);
			buf_reset(&results);
			buf_reset(&intents);
			last_commit = time_mono_ms();
			if (ret < 0) {
				for (i = 0; i < nready; i++)
					v[ready[i]].se_counted = 0;
				stopping = 1;
				continue;
			}
		}

		/* 4. Hand them to the workers. */
		for (i = 0; i < nready; i++) {
			struct srun *r = &v[ready[i]];
			struct err pe = ERR_INIT;

			if (r->st == ST_PENDING) {
				r->started_ms = time_mono_ms();
				emit(hooks, "start", r, NULL, NULL);
			}
			j = job_prep(&x, r, &pe);
			if (!j) {
				r->se_counted = 0;
				step_ran(&x, r,
					 step_failed(&x, r, NULL, pe.msg), 1,
					 &results, &c);
				continue;
			}
			r->st = ST_RUNNING;
			if (r->se_counted)
				cls_se[r->cls]++;
			inflight++;
			pool_push(&pl, j);
		}
		if (nready)
			rounds++;

		/* 5. Wait for an outcome, the next poll or the next commit. */
		if (!inflight && !nready && next == INT64_MAX) {
			if (!results.len)
				break;
			continue; /* commit the last results */
		}
		if (results.len && last_commit + RESULT_COMMIT_MS < next)
			next = last_commit + RESULT_COMMIT_MS;
		if (inflight)
			pool_wait(&pl, next);
		else if (!nready && next > time_mono_ms())
			sleep_ms((long)(next - time_mono_ms()));
	}
	pool_stop(&pl);

	json_object_set_new(x.summary, "done", json_integer(c.done));
	json_object_set_new(x.summary, "failed", json_integer(c.failed));
	json_object_set_new(x.summary, "skipped", json_integer(c.skipped));
	json_object_set_new(x.summary, "pending", json_integer(c.timeouts));
	json_object_set_new(x.summary, "waves", json_integer(rounds));
	if (ret == 0 && c.failed) {
		json_t *first =
		    json_array_get(json_object_get(x.summary, "errors"), 0);
		ret = err_set(e, DCF_EPROVIDER, "%s: %s",
			      json_get_str(first, "address", ""),
			      json_get_str(first, "message", ""));
	}
out_nopool:
	json_decref(classes);
	free(cls_se);
	free(cls_room);
	buf_release(&results);
	buf_release(&intents);
	free(ready);
	json_decref(index);
	for (i = 0; i < n; i++)
		free(v[i].deps);
	json_decref(x.resolved);
	json_decref(own_timeouts);
	free(v);
	if (out_summary)
		*out_summary = x.summary;
	else
		json_decref(x.summary);
	return ret;
}
