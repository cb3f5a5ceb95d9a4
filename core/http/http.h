/*
 * http.h: dcform's HTTP engine over one libcurl multi handle.
 *
 * Requests run concurrently up to `parallelism`, each under a token-bucket
 * rate limit chosen by its rate key (the longest configured prefix of
 * "tencent:dcdb:DescribeDCDBInstances" wins).  A request is retried with
 * exponential backoff and full jitter when its classify hook says so, but
 * a non-idempotent request is retried only when it certainly never reached
 * the server (connection refused, name not resolved).  Every attempt calls
 * the prepare hook first, so signatures carry a fresh timestamp.  Plain
 * http:// is accepted for loopback hosts only; TLS is always verified.
 * With a debug stream every attempt is logged, Authorization, tokens and
 * secret-looking JSON fields redacted.
 *
 * The engine is thread-safe: several threads may run http_do_many at
 * once (each call gets a libcurl multi handle of its own, reused across
 * calls for its connection cache); the rate limits and counters are
 * shared, so concurrent callers together never exceed a rate.
 */
#ifndef DCFORM_HTTP_H
#define DCFORM_HTTP_H

#include <stdio.h>
#include <curl/curl.h>

#include "core/util/buf.h"
#include "core/util/err.h"

struct http_engine;

struct http_options {
	int parallelism;     /* concurrent transfers (default 10) */
	int max_attempts;    /* per request (default 5) */
	long timeout_ms;     /* whole transfer (default 60000) */
	size_t max_response; /* bytes (default 16 MiB) */
	long backoff_ms;     /* first retry delay base (default 200) */
	long backoff_max_ms; /* cap (default 10000) */
	FILE *debug;	     /* --debug-http stream, or NULL */
};

#define HTTP_DONE 0
#define HTTP_RETRY 1

struct http_response {
	long status; /* HTTP status, 0 when no response */
	struct buf body;
	int attempts;
	CURLcode curl; /* last transport result */
};

struct http_request {
	const char *method; /* "GET", "POST", … */
	const char *url;
	const char *body; /* may be NULL */
	size_t body_len;
	const char *rate_key;
	int idempotent; /* safe to send twice */
	/*
	 * MUST: the headers of one attempt (appended to *headers), e.g. a
	 * fresh signature.  Called before every attempt.
	 */
	int (*prepare)(void *ctx, struct curl_slist **headers, struct err *e);
	/*
	 * MAY: HTTP_RETRY when the answer says "try again" (rate limits,
	 * unavailable); HTTP_DONE otherwise.  NULL: retry 429 and 5xx.
	 */
	int (*classify)(void *ctx, const struct http_response *r);
	void *ctx;
};

int http_engine_new(struct http_engine **out, const struct http_options *o,
		    struct err *e);
void http_engine_free(struct http_engine *h);

/* Rate limit for keys starting with prefix: per_sec tokens, burst,
 * shared by all those keys. */
void http_rate_set(struct http_engine *h, const char *prefix, double per_sec,
		   int burst);
/* The same limit for each key starting with prefix on its own (a limit per
 * action); a longer prefix set with http_rate_set still wins. */
void http_rate_set_each(struct http_engine *h, const char *prefix,
			double per_sec, int burst);
/* Take a token for `key` as a request would: 0 when taken, else the
 * milliseconds until one is due (for tests and callers that pace). */
long http_rate_take(struct http_engine *h, const char *key);

/*
 * Run n requests concurrently.  out[i] gets each response (initialise
 * them with http_response_init; release with http_response_release);
 * rets[i] 0 when an HTTP answer came (whatever its status), negative
 * (DCF_ENETWORK, DCF_ETIMEOUT, DCF_EINVALID) with errs[i] set otherwise.
 * Returns 0, or negative when the engine itself failed.
 */
int http_do_many(struct http_engine *h, const struct http_request *reqs,
		 struct http_response *out, int *rets, struct err *errs,
		 size_t n);
/* One request. */
int http_do(struct http_engine *h, const struct http_request *req,
	    struct http_response *out, struct err *e);

void http_response_init(struct http_response *r);
void http_response_release(struct http_response *r);

/* Requests sent per rate key, and retries (for benchmarks), as
 * {"requests": {key: N}, "retries": N} (new reference). */
struct json_t;
struct json_t *http_stats(struct http_engine *h);

/* Whether url may be used: https://, or http:// to a loopback host. */
int http_url_allowed(const char *url, struct err *e);

#endif
