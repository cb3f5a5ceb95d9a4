/*
 * http.c: the HTTP engine.  See http.h.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <jansson.h>

#include "core/http/http.h"
#include "core/util/json.h"
#include "core/util/util.h"

/*
 * A limit of `burst` requests in any window of burst/rate seconds (20 in
 * any second for 20/s): a sliding window over the send times of the
 * last `burst` requests.  Unlike a token bucket, which lets a full burst
 * go right after the tokens of the previous second were spent, it never
 * exceeds a cloud's per-second limit, however the second is cut.  The
 * window is WINDOW_SLACK_MS longer than the limit's, for requests that
 * reach the server in a different order than they left.
 */
#define WINDOW_SLACK_MS 25

struct bucket {
	char *prefix;
	double rate;
	int burst;
	int64_t window_ms;
	int64_t *sent; /* ring of the last `burst` send times */
	int head, count;
	int each; /* a template: every key under prefix has its own */
};

/*
 * Threads may call http_do_many at the same time (apply's workers): each
 * call takes a multi handle of its own from `idle` (a handle keeps its
 * connection cache, so handles are reused, not remade), while the token
 * buckets, the counters, the jitter's generator and the debug stream are
 * shared under `lock`.
 */
struct http_engine {
	pthread_mutex_t lock;
	CURLM **idle;
	size_t nidle, aidle;
	struct http_options o;
	struct bucket *b;
	size_t nb;
	json_t *stats;
	uint64_t rnd;
	int inflight; /* transfers running, all threads together */
};

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
}

void http_response_release(struct http_response *r)
{
	buf_release(&r->body);
}

int http_engine_new(struct http_engine **out, const struct http_options *o,
		    struct err *e)
{
	struct http_engine *h;
	static int global;

	if (!global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return err_set(e, DCF_ERROR, "curl_global_init failed");
		global = 1;
	}
	h = xcalloc(1, sizeof(*h));
	h->o = *o;
	if (h->o.parallelism <= 0)
		h->o.parallelism = 10;
	if (h->o.max_attempts <= 0)
		h->o.max_attempts = 5;
	if (h->o.timeout_ms <= 0)
		h->o.timeout_ms = 60000;
	if (!h->o.max_response)
		h->o.max_response = 16u << 20;
	if (h->o.backoff_ms <= 0)
		h->o.backoff_ms = 200;
	if (h->o.backoff_max_ms <= 0)
		h->o.backoff_max_ms = 10000;
	pthread_mutex_init(&h->lock, NULL);
	h->stats = json_pack("{s:{},s:i}", "requests", "retries", 0);
	h->rnd = (uint64_t)time_mono_ms() * 6364136223846793005ULL + 1;
	*out = h;
	return 0;
}

void http_engine_free(struct http_engine *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->nidle; i++)
		curl_multi_cleanup(h->idle[i]);
	free(h->idle);
	pthread_mutex_destroy(&h->lock);
	for (i = 0; i < h->nb; i++) {
		free(h->b[i].prefix);
		free(h->b[i].sent);
	}
	free(h->b);
	json_decref(h->stats);
	free(h);
}

static void rate_set_locked(struct http_engine *h, const char *prefix,
			    double per_sec, int burst, int each)
{
	size_t i;

	for (i = 0; i < h->nb; i++)
		if (!strcmp(h->b[i].prefix, prefix))
			break;
	if (i == h->nb) {
		h->b = xrealloc(h->b, (h->nb + 1) * sizeof(*h->b));
		memset(&h->b[h->nb], 0, sizeof(*h->b));
		h->b[h->nb++].prefix = xstrdup(prefix);
	}
	h->b[i].rate = per_sec;
	h->b[i].burst = burst > 0 ? burst : 1;
	h->b[i].window_ms =
	    per_sec > 0
		? (int64_t)((double)h->b[i].burst * 1000.0 / per_sec + 0.5) +
		      WINDOW_SLACK_MS
		: 0;
	free(h->b[i].sent);
	h->b[i].sent = xcalloc((size_t)h->b[i].burst, sizeof(int64_t));
	h->b[i].head = h->b[i].count = 0;
	h->b[i].each = each;
}

void http_rate_set(struct http_engine *h, const char *prefix, double per_sec,
		   int burst)
{
	pthread_mutex_lock(&h->lock);
	rate_set_locked(h, prefix, per_sec, burst, 0);
	pthread_mutex_unlock(&h->lock);
}

void http_rate_set_each(struct http_engine *h, const char *prefix,
			double per_sec, int burst)
{
	pthread_mutex_lock(&h->lock);
	rate_set_locked(h, prefix, per_sec, burst, 1);
	pthread_mutex_unlock(&h->lock);
}

/* 0 when a token was taken, else milliseconds to wait.  Under h->lock. */
static long take_token_locked(struct http_engine *h, const char *key)
{
	struct bucket *best = NULL;
	size_t i, blen = 0;
	int64_t now = time_mono_ms();

	for (i = 0; key && i < h->nb; i++) {
		size_t n = strlen(h->b[i].prefix);

		if (n >= blen && !strncmp(key, h->b[i].prefix, n)) {
			best = &h->b[i];
			blen = n;
		}
	}
	if (!best || best->rate <= 0)
		return 0;
	if (best->each && blen < strlen(key)) {
		/* The key's own bucket, full, from the template. */
		double rate = best->rate;
		int burst = best->burst;

		rate_set_locked(h, key, rate, burst, 0);
		best = &h->b[h->nb - 1];
	}
	while (best->count && best->sent[best->head] + best->window_ms <= now) {
		best->head = (best->head + 1) % best->burst;
		best->count--;
	}
	if (best->count < best->burst) {
		best->sent[(best->head + best->count) % best->burst] = now;
		best->count++;
		return 0;
	}
	return (long)(best->sent[best->head] + best->window_ms - now);
}

static long take_token(struct http_engine *h, const char *key)
{
	long wait;

	pthread_mutex_lock(&h->lock);
	wait = take_token_locked(h, key);
	pthread_mutex_unlock(&h->lock);
	return wait;
}

long http_rate_take(struct http_engine *h, const char *key)
{
	return take_token(h, key);
}

/* One of the `parallelism` transfers all threads share: 1 when taken. */
static int slot_take(struct http_engine *h)
{
	int ok;

	pthread_mutex_lock(&h->lock);
	ok = h->inflight < h->o.parallelism;
	if (ok)
		h->inflight++;
	pthread_mutex_unlock(&h->lock);
	return ok;
}

static void slot_put(struct http_engine *h)
{
	pthread_mutex_lock(&h->lock);
	h->inflight--;
	pthread_mutex_unlock(&h->lock);
}

/* A multi handle for one http_do_many call, and its return. */
static CURLM *multi_get(struct http_engine *h)
{
	CURLM *m = NULL;

	pthread_mutex_lock(&h->lock);
	if (h->nidle)
		m = h->idle[--h->nidle];
	pthread_mutex_unlock(&h->lock);
	return m ? m : curl_multi_init();
}

static void multi_put(struct http_engine *h, CURLM *m)
{
	pthread_mutex_lock(&h->lock);
	if (h->nidle == h->aidle) {
		h->aidle = h->aidle ? 2 * h->aidle : 4;
		h->idle = xrealloc(h->idle, h->aidle * sizeof(*h->idle));
	}
	h->idle[h->nidle++] = m;
	pthread_mutex_unlock(&h->lock);
}

int http_url_allowed(const char *url, struct err *e)
{
	const char *host, *end;
	char name[256];
	size_t n;

	if (str_starts_with(url, "https://"))
		return 0;
	if (!str_starts_with(url, "http://"))
		return err_set(e, DCF_EINVALID,
			       "endpoint '%s' must start with https:// (or "
			       "http:// on loopback)",
			       url);
	host = url + 7;
	if (*host == '[') {
		end = strchr(host, ']');
		n = end ? (size_t)(end - host - 1) : 0;
		host++;
	} else {
		end = host + strcspn(host, ":/");
		n = (size_t)(end - host);
	}
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, host, n);
	name[n] = '\0';
	if (!strcmp(name, "localhost") || !strcmp(name, "::1") ||
	    str_starts_with(name, "127."))
		return 0;
	return err_set(e, DCF_EINVALID,
		       "refusing plain http:// to '%s': only loopback "
		       "endpoints (the emulator) may skip TLS; use https://",
		       name);
}

/* ---- debug log, redacted ------------------------------------------ */

static int secret_key(const char *k)
{
	char low[64];
	size_t i;

	for (i = 0; k[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)k[i]);
	low[i] = '\0';
	return strstr(low, "secret") || strstr(low, "password") ||
	       strstr(low, "passwd") || strstr(low, "token") ||
	       (strstr(low, "auth") && strstr(low, "key"));
}

static void redact(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v))
		json_object_foreach (v, k, x) {
			if (secret_key(k) &&
			    (json_is_string(x) || json_is_number(x)))
				json_object_set_new(v, k,
						    json_string("[redacted]"));
			else
				redact(x);
		}
	if (json_is_array(v))
		json_array_foreach (v, i, x)
			redact(x);
}

static void log_body(FILE *fp, const char *dir, const char *b, size_t n)
{
	json_t *j;
	char *s;

	if (!b || !n)
		return;
	j = json_loadb(b, n, 0, NULL);
	if (j) {
		redact(j);
		s = json_dumps_malloc(j, JSON_COMPACT);
		fprintf(fp, "%s %.4096s%s\n", dir, s,
			strlen(s) > 4096 ? "…" : "");
		free(s);
		json_decref(j);
	} else {
		fprintf(fp, "%s (%zu bytes, not JSON)\n", dir, n);
	}
}

static void log_request(FILE *fp, const struct http_request *r,
			const struct curl_slist *hs, int attempt)
{
	fprintf(fp, "> %s %s (attempt %d)\n", r->method, r->url, attempt);
	for (; hs; hs = hs->next) {
		const char *colon = strchr(hs->data, ':');
		size_t n = colon ? (size_t)(colon - hs->data) : 0;

		if (n &&
		    (!strncasecmp(hs->data, "authorization", n) ||
		     (n >= 5 && !strncasecmp(hs->data + n - 5, "token", 5))))
			fprintf(fp, "> %.*s: [redacted]\n", (int)n, hs->data);
		else
			fprintf(fp, "> %s\n", hs->data);
	}
	log_body(fp, ">", r->body, r->body_len);
}

/* ---- transfers ----------------------------------------------------- */

struct slot {
	CURL *easy;
	struct curl_slist *headers;
	int active, done, attempts;
	int64_t next_ms, started_ms;
	int capped;
	size_t max;
	struct http_response *resp;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct slot *s = ud;

	if (s->resp->body.len + sz * n > s->max) {
		s->capped = 1;
		return 0;
	}
	buf_add(&s->resp->body, p, sz * n);
	return sz * n;
}

static long backoff(struct http_engine *h, int attempt)
{
	long cap = h->o.backoff_ms, r;
	int i;

	for (i = 1; i < attempt && cap < h->o.backoff_max_ms; i++)
		cap *= 2;
	if (cap > h->o.backoff_max_ms)
		cap = h->o.backoff_max_ms;
	pthread_mutex_lock(&h->lock);
	h->rnd = h->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	r = (long)((h->rnd >> 33) % (uint64_t)(cap + 1)); /* full jitter */
	json_object_set_new(
	    h->stats, "retries",
	    json_integer(json_get_int(h->stats, "retries", 0) + 1));
	pthread_mutex_unlock(&h->lock);
	return r;
}

static int start(struct http_engine *h, CURLM *multi,
		 const struct http_request *r, struct slot *s, struct err *e)
{
	int ret;

	buf_reset(&s->resp->body);
	s->capped = 0;
	s->headers = NULL;
	ret = r->prepare ? r->prepare(r->ctx, &s->headers, e) : 0;
	if (ret < 0)
		return ret;
	if (!s->easy)
		s->easy = curl_easy_init();
	else
		curl_easy_reset(s->easy);
	curl_easy_setopt(s->easy, CURLOPT_URL, r->url);
	curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body) {
		curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE,
				 (long)r->body_len);
	} else if (!strcmp(r->method, "GET")) {
		curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
	}
	s->headers = curl_slist_append(s->headers, "Expect:");
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	/*
	 * A write never travels on a reused connection: when a kept-alive
	 * connection dies with no answer, libcurl silently sends the request
	 * again on a fresh one, and a create that had reached the server
	 * would be made twice.  On its own connection a write is sent once.
	 */
	curl_easy_setopt(s->easy, CURLOPT_FRESH_CONNECT,
			 r->idempotent ? 0L : 1L);
	curl_easy_setopt(s->easy, CURLOPT_FORBID_REUSE,
			 r->idempotent ? 0L : 1L);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(s->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	s->attempts++;
	s->started_ms = time_mono_ms();
	curl_multi_add_handle(multi, s->easy);
	s->active = 1;
	pthread_mutex_lock(&h->lock);
	if (h->o.debug)
		log_request(h->o.debug, r, s->headers, s->attempts);
	{
		json_t *req = json_object_get(h->stats, "requests");
		const char *k = r->rate_key ? r->rate_key : "";

		json_object_set_new(req, k,
				    json_integer(json_get_int(req, k, 0) + 1));
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* A transport failure after which the request surely never arrived. */
static int never_sent(CURLcode c)
{
	return c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST ||
	       c == CURLE_COULDNT_RESOLVE_PROXY;
}

static int default_classify(void *ctx, const struct http_response *r)
{
	(void)ctx;
	return r->status == 429 || r->status >= 500 ? HTTP_RETRY : HTTP_DONE;
}

int http_do_many(struct http_engine *h, const struct http_request *reqs,
		 struct http_response *out, int *rets, struct err *errs,
		 size_t n)
{
	struct slot *s = xcalloc(n ? n : 1, sizeof(*s));
	size_t left = n, i, active = 0;
	CURLM *multi = multi_get(h);

	if (!multi) {
		free(s);
		return err_set(&errs[0], DCF_ERROR, "curl_multi_init failed");
	}
	for (i = 0; i < n; i++) {
		s[i].resp = &out[i];
		s[i].max = h->o.max_response;
		rets[i] = 0;
		err_clear(&errs[i]);
		if (http_url_allowed(reqs[i].url, &errs[i]) < 0) {
			rets[i] = DCF_EINVALID;
			s[i].done = 1;
			left--;
		}
	}
	while (left) {
		int64_t now = time_mono_ms(), wake = now + 100;
		int running = 0;
		CURLMsg *m;
		int q, full = 0;

		for (i = 0; i < n && active < (size_t)h->o.parallelism; i++) {
			long wait;

			if (s[i].done || s[i].active || s[i].next_ms > now)
				continue;
			/* --parallelism bounds the transfers of every thread
			 * together (apply's workers, refresh's groups). */
			if (!slot_take(h)) {
				full = 1;
				break;
			}
			wait = take_token(h, reqs[i].rate_key);
			if (wait) {
				slot_put(h);
				s[i].next_ms = now + wait;
				continue;
			}
			if (start(h, multi, &reqs[i], &s[i], &errs[i]) < 0) {
				slot_put(h);
				rets[i] = DCF_EINVALID;
				s[i].done = 1;
				left--;
				continue;
			}
			active++;
		}
		if (full && wake > now + 2)
			wake = now + 2;
		for (i = 0; i < n; i++)
			if (!s[i].done && !s[i].active && s[i].next_ms < wake)
				wake = s[i].next_ms;
		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &q))) {
			struct slot *sl;
			const struct http_request *r;
			size_t k;
			int retry = 0;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
					  (char **)&sl);
			k = (size_t)(sl - s);
			r = &reqs[k];
			curl_multi_remove_handle(multi, sl->easy);
			curl_slist_free_all(sl->headers);
			sl->headers = NULL;
			sl->active = 0;
			active--;
			slot_put(h);
			sl->resp->curl = m->data.result;
			sl->resp->attempts = sl->attempts;
			sl->resp->status = 0;
			if (m->data.result == CURLE_OK) {
				curl_easy_getinfo(sl->easy,
						  CURLINFO_RESPONSE_CODE,
						  &sl->resp->status);
				if (h->o.debug) {
					pthread_mutex_lock(&h->lock);
					fprintf(h->o.debug,
						"< %ld after %lld ms\n",
						sl->resp->status,
						(long long)(time_mono_ms() -
							    sl->started_ms));
					log_body(h->o.debug, "<",
						 sl->resp->body.ptr,
						 sl->resp->body.len);
					pthread_mutex_unlock(&h->lock);
				}
				if (!r->idempotent)
					test_crash_point("http-write");
				retry = (r->classify ? r->classify
						     : default_classify)(
					    r->ctx, sl->resp) == HTTP_RETRY;
				rets[k] = 0;
			} else {
				if (h->o.debug) {
					pthread_mutex_lock(&h->lock);
					fprintf(
					    h->o.debug, "< %s\n",
					    curl_easy_strerror(m->data.result));
					pthread_mutex_unlock(&h->lock);
				}
				retry = (r->idempotent ||
					 never_sent(m->data.result)) &&
					!sl->capped;
				if (sl->capped)
					rets[k] = err_set(
					    &errs[k], DCF_EPROVIDER,
					    "%s: the response is larger "
					    "than %zu bytes",
					    r->url, sl->max);
				else
					rets[k] = err_set(
					    &errs[k],
					    m->data.result ==
						    CURLE_OPERATION_TIMEDOUT
						? DCF_ETIMEOUT
						: DCF_ENETWORK,
					    "%s %s: %s%s", r->method, r->url,
					    curl_easy_strerror(m->data.result),
					    r->idempotent ||
						    never_sent(m->data.result)
						? ""
						: " (not retried: the "
						  "request may have "
						  "reached the server)");
			}
			if (retry && sl->attempts < h->o.max_attempts) {
				sl->next_ms =
				    time_mono_ms() + backoff(h, sl->attempts);
				continue;
			}
			sl->done = 1;
			left--;
		}
		if (left && active) {
			long t = (long)(wake - time_mono_ms());
			curl_multi_poll(multi, NULL, 0, t > 0 ? (int)t : 1,
					NULL);
		} else if (left) {
			long t = (long)(wake - time_mono_ms());

			/* Waiting for another thread's transfer to end. */
			if (t <= 0 && full)
				t = 1;
			if (t > 0) {
				struct timespec ts = {t / 1000,
						      (t % 1000) * 1000000L};
				nanosleep(&ts, NULL);
			}
		}
	}
	for (i = 0; i < n; i++)
		if (s[i].easy)
			curl_easy_cleanup(s[i].easy);
	free(s);
	multi_put(h, multi);
	return 0;
}

int http_do(struct http_engine *h, const struct http_request *req,
	    struct http_response *out, struct err *e)
{
	int ret = 0;

	http_do_many(h, req, out, &ret, e, 1);
	return ret;
}

struct json_t *http_stats(struct http_engine *h)
{
	json_t *copy;

	pthread_mutex_lock(&h->lock);
	copy = json_deep_copy(h->stats);
	pthread_mutex_unlock(&h->lock);
	return copy;
}
