/*
 * emu.c: the emulator's core shared by every handler: ids, time, the
 * ledger, persistence, stats and fault rules.  See emu.h.
 *
 * Everything here runs with e->lock held, except the time offset and the
 * stop flag, which are atomics because the server reads them outside the
 * lock (sleeps for latency and hang faults).
 */
#include "emu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/util/err.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/sig.h"
#include "core/util/util.h"
#include "core/util/uuid.h"

static int64_t time_offset_ms;
static int stop_flag;

/* ------------------------------------------------------------------ */
/* Time */

int64_t emu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	       __atomic_load_n(&time_offset_ms, __ATOMIC_SEQ_CST);
}

void emu_time_advance(int64_t ms)
{
	__atomic_add_fetch(&time_offset_ms, ms, __ATOMIC_SEQ_CST);
}

int64_t emu_time_offset(void)
{
	return __atomic_load_n(&time_offset_ms, __ATOMIC_SEQ_CST);
}

void emu_time_set_offset(int64_t ms)
{
	__atomic_store_n(&time_offset_ms, ms, __ATOMIC_SEQ_CST);
}

void emu_request_stop(void)
{
	__atomic_store_n(&stop_flag, 1, __ATOMIC_SEQ_CST);
}

int emu_stopping(void)
{
	return __atomic_load_n(&stop_flag, __ATOMIC_SEQ_CST);
}

void emu_sleep_ms(int64_t ms)
{
	int64_t end = time_mono_ms() + ms;

	/* Sleep in slices so that SIGTERM never waits for a long hang. */
	while (!emu_stopping()) {
		int64_t left = end - time_mono_ms();
		struct timespec ts;

		if (left <= 0)
			break;
		if (left > 50)
			left = 50;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* Random numbers, ids */

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	if (!x)
		x = 0x9e3779b97f4a7c15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

uint64_t emu_rand(struct emu *e)
{
	return xorshift(&e->rng);
}

/* A uniform number in [0, 1) from a generator state. */
static double unit_rand(uint64_t *s)
{
	return (double)(xorshift(s) >> 11) / 9007199254740992.0;
}

void emu_request_id(char out[37])
{
	uuid_v4(out);
}

static json_t *world_obj(struct emu *e, const char *key)
{
	json_t *o = json_object_get(e->world, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(e->world, key, o);
	}
	return o;
}

char *emu_new_id(struct emu *e, const char *prefix)
{
	static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	json_t *ids = world_obj(e, "ids");
	char tail[9];
	char *id;
	int i;

	for (;;) {
		uint64_t r = emu_rand(e);

		for (i = 0; i < 8; i++) {
			tail[i] = alnum[r % 36];
			r /= 36;
		}
		tail[8] = '\0';
		id = xasprintf("%s%s", prefix, tail);
		if (!json_object_get(ids, id))
			break;
		free(id);
	}
	json_object_set_new(ids, id, json_true());
	json_object_set_new(e->world, "seq",
			    json_integer(json_get_int(e->world, "seq", 0) + 1));
	emu_dirty(e);
	return id;
}

int64_t emu_delay(struct emu *e, const char *name, int64_t def)
{
	json_t *v = json_object_get(json_object_get(e->config, "delays"), name);

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) >= 0)
		return (int64_t)json_real_value(v);
	return def;
}

/* ------------------------------------------------------------------ */
/* Requests */

const char *emu_req_header(const struct emu_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

char *emu_req_query(const struct emu_req *r, const char *name)
{
	const char *p = r->query ? r->query : "";
	struct buf key = BUF_INIT, val = BUF_INIT;
	char *found = NULL;

	while (*p && !found) {
		const char *end = strchr(p, '&'), *eq;
		size_t len;

		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - p);
		eq = memchr(p, '=', len);
		buf_reset(&key);
		buf_reset(&val);
		if (!sig_url_decode(&key, p, eq ? (size_t)(eq - p) : len, 1) &&
		    !strcmp(key.ptr, name) &&
		    (!eq ||
		     !sig_url_decode(&val, eq + 1, (size_t)(end - eq - 1), 1)))
			found = xstrdup(val.ptr);
		p = *end ? end + 1 : end;
	}
	buf_release(&key);
	buf_release(&val);
	return found;
}

/* ------------------------------------------------------------------ */
/* Accounts, ledger, persistence, stats */

static json_t *account_by(struct emu *e, const char *cloud, const char *field,
			  const char *value)
{
	const char *name;
	json_t *acct;

	if (!value || !*value)
		return NULL;
	json_object_foreach (json_object_get(e->world, "accounts"), name,
			     acct) {
		const char *v =
		    json_get_str(json_object_get(acct, cloud), field, NULL);

		if (v && !strcmp(v, value))
			return acct;
	}
	return NULL;
}

json_t *emu_account_by_tc_secret_id(struct emu *e, const char *secret_id)
{
	return account_by(e, "tencent", "secret_id", secret_id);
}

json_t *emu_account_by_jd_access_key(struct emu *e, const char *ak)
{
	return account_by(e, "jdcloud", "access_key", ak);
}

void emu_ledger_add(struct emu *e, json_t *entry)
{
	json_t *ledger = json_object_get(e->world, "ledger");

	if (!json_is_array(ledger)) {
		ledger = json_array();
		json_object_set_new(e->world, "ledger", ledger);
	}
	json_object_set_new(entry, "time", json_integer(emu_now_ms()));
	json_object_set_new(
	    entry, "seq",
	    json_integer((json_int_t)json_array_size(ledger) + 1));
	json_array_append_new(ledger, entry);
	emu_dirty(e);
}

void emu_dirty(struct emu *e)
{
	e->dirty = 1;
}

int emu_save(struct emu *e)
{
	struct buf b = BUF_INIT;
	struct err err = ERR_INIT;
	int ret = 0;

	e->dirty = 0;
	if (!e->state_file)
		return 0;
	json_object_set_new(e->world, "time_offset_ms",
			    json_integer(emu_time_offset()));
	json_dump_buf(&b, e->world, JSON_COMPACT);
	buf_putc(&b, '\n');
	if (fs_write_atomic(e->state_file, b.ptr, b.len, 0600, &err) < 0) {
		fprintf(stderr, "dcform-emulator: cannot save state: %s\n",
			err.msg);
		ret = -1;
	}
	buf_release(&b);
	return ret;
}

static json_t *new_stats(void)
{
	return json_pack("{s:{}, s:i, s:i}", "requests", "total", 0,
			 "faults_fired", 0);
}

static void bump(json_t *obj, const char *key)
{
	json_object_set_new(obj, key,
			    json_integer(json_get_int(obj, key, 0) + 1));
}

void emu_stats_count(struct emu *e, const char *service, const char *action)
{
	json_t *req = json_object_get(e->stats, "requests");
	char *key =
	    xasprintf("%s.%s", service ? service : "", action ? action : "");

	bump(req, key);
	bump(e->stats, "total");
	free(key);
}

int emu_rate_exceeded(struct emu *e, const char *key, int limit,
		      int64_t arrived_ms, int *seen)
{
	int64_t now = arrived_ms ? arrived_ms : time_mono_ms();
	json_t *w;
	size_t i, in = 0;

	if (limit <= 0)
		return 0;
	w = json_object_get(e->rates, key);
	if (!w) {
		w = json_array();
		json_object_set_new(e->rates, key, w);
	}
	/* Requests are handled nearly, not exactly, in the order they came:
	 * drop only what is out of the window, count what is in it. */
	while (json_array_size(w) &&
	       json_integer_value(json_array_get(w, 0)) + 2000 <= now)
		json_array_remove(w, 0);
	for (i = 0; i < json_array_size(w); i++)
		if (json_integer_value(json_array_get(w, i)) + 1000 > now)
			in++;
	if (seen)
		*seen = (int)in;
	if ((int)in >= limit) {
		json_t *rl = json_object_get(e->stats, "rate_limited");
		const char *action = strrchr(key, ' ');

		if (!rl) {
			rl = json_object();
			json_object_set_new(e->stats, "rate_limited", rl);
		}
		bump(rl, action ? action + 1 : key);
		return 1;
	}
	json_array_append_new(w, json_integer(now));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fault rules */

static const char *const fault_kinds[] = {
    "error", "latency", "hang", "reset", "cut_half",
};

static int is_jd_service(const char *s)
{
	return !strcmp(s, "bgw") || !strcmp(s, "asset") || !strcmp(s, "order");
}

static int service_matches(const char *rule, const char *service)
{
	if (!rule || !*rule || !strcmp(rule, "*"))
		return 1;
	if (!strcmp(rule, service))
		return 1;
	if (!strcmp(rule, "jdcloud") || !strcmp(rule, "jd"))
		return is_jd_service(service);
	if (!strcmp(rule, "tencent") || !strcmp(rule, "tencentcloud"))
		return !is_jd_service(service);
	return 0;
}

static int64_t default_http_status(const char *code)
{
	if (strstr(code, "LIMIT") || strstr(code, "QUOTA"))
		return 429;
	if (strstr(code, "UNAVAILABLE"))
		return 503;
	if (!strcmp(code, "NOT_FOUND"))
		return 404;
	if (!strcmp(code, "INVALID_ARGUMENT") ||
	    !strcmp(code, "FAILED_PRECONDITION"))
		return 400;
	return 500;
}

static void prune_expired(struct emu *e)
{
	size_t i = 0;

	while (i < json_array_size(e->faults)) {
		json_t *r = json_array_get(e->faults, i);

		if (json_get_bool(r, "_expired", 0))
			json_array_remove(e->faults, i);
		else
			i++;
	}
}

int emu_faults_eval(struct emu *e, const char *service, const char *action,
		    struct emu_resp *resp, const char **code, int *http_status)
{
	size_t i;
	json_t *r;
	int errored = 0;

	if (!service)
		service = "";
	if (!action)
		action = "";
	/* Expired rules are dropped here, not when they expire, so that a
	 * code handed out by the previous call stayed valid for its caller. */
	prune_expired(e);
	json_array_foreach (e->faults, i, r) {
		const char *ra = json_get_str(r, "action", NULL);
		const char *kind = json_get_str(r, "kind", "");
		double p =
		    json_is_number(json_object_get(r, "probability"))
			? json_number_value(json_object_get(r, "probability"))
			: 1.0;
		json_t *cnt = json_object_get(r, "count");
		int64_t ms = json_get_int(r, "ms", -1);

		if (json_get_bool(r, "_expired", 0))
			continue;
		if (!service_matches(json_get_str(r, "service", NULL), service))
			continue;
		if (ra && *ra && strcmp(ra, "*") && strcmp(ra, action))
			continue;
		if (!strcmp(kind, "error") && errored)
			continue;
		if (p < 1.0) {
			json_t *st = json_object_get(r, "_rng");
			double x;

			if (json_is_integer(st)) {
				uint64_t s = (uint64_t)json_integer_value(st);

				x = unit_rand(&s);
				json_object_set_new(
				    r, "_rng", json_integer((json_int_t)s));
			} else {
				x = unit_rand(&e->rng);
			}
			if (x >= p)
				continue;
		}
		if (json_is_integer(cnt)) {
			json_int_t left = json_integer_value(cnt) - 1;

			json_object_set_new(r, "count", json_integer(left));
			if (left <= 0)
				json_object_set_new(r, "_expired", json_true());
		}
		bump(r, "fired");
		bump(e->stats, "faults_fired");
		if (!strcmp(kind, "error")) {
			const char *c = json_get_str(r, "code", NULL);

			if (!c)
				c = is_jd_service(service) ? "INTERNAL"
							   : "InternalError";
			*code = c;
			*http_status = (int)json_get_int(
			    r, "http_status", default_http_status(c));
			errored = 1;
		} else if (!strcmp(kind, "latency")) {
			resp->latency_ms += ms > 0 ? ms : 0;
		} else if (!strcmp(kind, "hang")) {
			resp->hang_ms = ms >= 0 ? ms : 60000;
		} else if (!strcmp(kind, "reset")) {
			resp->reset = 1;
		} else if (!strcmp(kind, "cut_half")) {
			resp->cut_half = 1;
		}
	}
	return errored;
}

static int bad(struct buf *msg, const char *fmt, const char *arg)
{
	buf_reset(msg);
	buf_printf(msg, fmt, arg);
	return -1;
}

int emu_fault_add(struct emu *e, const json_t *rule, char **id, struct buf *msg)
{
	static const char *const known[] = {
	    "id",	   "service", "action",	     "kind",  "code",
	    "http_status", "ms",      "probability", "count", "seed",
	};
	const char *key, *kind;
	json_t *v, *copy;
	size_t i;
	int ok;

	*id = NULL;
	if (!json_is_object(rule))
		return bad(msg, "a fault rule is a JSON object%s", "");
	json_object_foreach ((json_t *)rule, key, v) {
		for (i = 0; i < ARRAY_SIZE(known); i++)
			if (!strcmp(key, known[i]))
				break;
		if (i == ARRAY_SIZE(known))
			return bad(msg, "unknown field '%s' in fault rule",
				   key);
	}
	kind = json_get_str(rule, "kind", NULL);
	if (!kind)
		return bad(msg, "fault rule needs a string 'kind'%s", "");
	for (ok = 0, i = 0; i < ARRAY_SIZE(fault_kinds); i++)
		ok |= !strcmp(kind, fault_kinds[i]);
	if (!ok)
		return bad(msg,
			   "unknown fault kind '%s' (error, latency, hang, "
			   "reset, cut_half)",
			   kind);
	static const char *const strs[] = {"id", "service", "action", "code"};
	for (i = 0; i < ARRAY_SIZE(strs); i++) {
		v = json_object_get(rule, strs[i]);
		if (v && !json_is_string(v))
			return bad(msg, "fault field '%s' must be a string",
				   strs[i]);
	}
	static const char *const ints[] = {"http_status", "ms", "count",
					   "seed"};
	for (i = 0; i < ARRAY_SIZE(ints); i++) {
		v = json_object_get(rule, ints[i]);
		if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
			return bad(msg,
				   "fault field '%s' must be a non-negative "
				   "integer",
				   ints[i]);
	}
	v = json_object_get(rule, "http_status");
	if (v && (json_integer_value(v) < 100 || json_integer_value(v) > 599))
		return bad(msg, "http_status must be in 100..599%s", "");
	v = json_object_get(rule, "count");
	if (v && json_integer_value(v) < 1)
		return bad(msg, "count must be at least 1%s", "");
	if (!strcmp(kind, "latency") && !json_object_get(rule, "ms"))
		return bad(msg, "a latency fault needs 'ms'%s", "");
	v = json_object_get(rule, "probability");
	if (v && (!json_is_number(v) || json_number_value(v) < 0 ||
		  json_number_value(v) > 1))
		return bad(msg, "probability must be a number in 0..1%s", "");

	copy = json_deep_copy(rule);
	if (json_get_str(rule, "id", NULL)) {
		json_array_foreach (e->faults, i, v) {
			if (!json_get_bool(v, "_expired", 0) &&
			    !strcmp(json_get_str(v, "id", ""),
				    json_get_str(rule, "id", ""))) {
				json_decref(copy);
				return bad(msg, "fault '%s' already exists",
					   json_get_str(rule, "id", ""));
			}
		}
		*id = xstrdup(json_get_str(rule, "id", ""));
	} else {
		json_int_t n = json_get_int(e->stats, "_fault_seq", 0);

		for (;;) {
			int clash = 0;

			n++;
			*id = xasprintf("fault-%lld", (long long)n);
			json_array_foreach (e->faults, i, v)
				clash |=
				    !strcmp(json_get_str(v, "id", ""), *id);
			if (!clash)
				break;
			free(*id);
		}
		json_object_set_new(e->stats, "_fault_seq", json_integer(n));
		json_object_set_new(copy, "id", json_string(*id));
	}
	if (json_object_get(rule, "seed"))
		json_object_set_new(
		    copy, "_rng",
		    json_integer(
			(json_int_t)(json_integer_value(
					 json_object_get(rule, "seed")) |
				     1)));
	json_object_set_new(copy, "fired", json_integer(0));
	json_array_append_new(e->faults, copy);
	return 0;
}

int emu_fault_del(struct emu *e, const char *id)
{
	size_t i;
	json_t *v;

	prune_expired(e);
	json_array_foreach (e->faults, i, v) {
		if (!strcmp(json_get_str(v, "id", ""), id)) {
			json_array_remove(e->faults, i);
			return 0;
		}
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Life cycle */

void emu_json_merge(json_t *base, const json_t *over)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)over, k, v) {
		json_t *have = json_object_get(base, k);

		if (json_is_null(v))
			json_object_del(base, k);
		else if (json_is_object(have) && json_is_object(v))
			emu_json_merge(have, v);
		else
			json_object_set_new(base, k, json_deep_copy(v));
	}
}

json_t *emu_seed_world(struct emu *e)
{
	json_t *accts = json_object_get(e->config, "accounts");
	json_t *w = json_object(), *a;
	const char *name;

	json_object_set_new(w, "accounts", json_object());
	json_object_foreach (accts, name, a) {
		json_t *c;

		if (!json_is_object(a))
			continue;
		c = json_deep_copy(a);
		json_object_set_new(c, "name", json_string(name));
		json_object_set_new(json_object_get(w, "accounts"), name, c);
	}
	json_object_set_new(w, "ledger", json_array());
	json_object_set_new(w, "seq", json_integer(0));
	json_object_set_new(w, "ids", json_object());
	return w;
}

void emu_init(struct emu *e, json_t *config, uint64_t seed)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
	e->config = config;
	if (!seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ULL ^
		       (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	}
	e->rng = seed | 1;
	e->world = emu_seed_world(e);
	e->faults = json_array();
	e->stats = new_stats();
	e->rates = json_object();
}

void emu_release(struct emu *e)
{
	json_decref(e->world);
	json_decref(e->config);
	json_decref(e->faults);
	json_decref(e->stats);
	json_decref(e->rates);
	free(e->state_file);
	pthread_mutex_destroy(&e->lock);
	memset(e, 0, sizeof(*e));
}

int emu_load(struct emu *e, struct buf *msg)
{
	struct buf text = BUF_INIT;
	struct err err = ERR_INIT;
	json_t *w = NULL;
	int ret = -1;

	if (!e->state_file || !fs_exists(e->state_file))
		return 0;
	if (fs_read_file(&text, e->state_file, 0, &err) < 0 ||
	    json_parse(&w, text.ptr, text.len, e->state_file, &err) < 0) {
		buf_puts(msg, err.msg);
		goto out;
	}
	if (!json_is_object(w)) {
		buf_printf(msg, "%s: state is not a JSON object",
			   e->state_file);
		goto out;
	}
	json_decref(e->world);
	e->world = w;
	w = NULL;
	if (!json_is_object(json_object_get(e->world, "accounts")))
		json_object_set_new(e->world, "accounts", json_object());
	if (!json_is_array(json_object_get(e->world, "ledger")))
		json_object_set_new(e->world, "ledger", json_array());
	emu_time_set_offset(json_get_int(e->world, "time_offset_ms", 0));
	ret = 0;
out:
	json_decref(w);
	buf_release(&text);
	return ret;
}

void emu_reset(struct emu *e)
{
	json_decref(e->world);
	e->world = emu_seed_world(e);
	json_array_clear(e->faults);
	json_decref(e->stats);
	e->stats = new_stats();
	json_object_clear(e->rates);
	emu_time_set_offset(0);
	emu_dirty(e);
}
