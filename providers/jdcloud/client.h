/*
 * client.h: JD Cloud OpenAPI over dcform's HTTP engine.
 *
 * Requests go to {endpoint}/{v1|v2}/regions/{region}{path}: `v2` for the
 * `order` service, `v1` for `bgw` and `asset`; the endpoint defaults to
 * https://{service}.jdcloud-api.com.  GET and DELETE carry their
 * parameters in the query string (filters.N.name / filters.N.values.M),
 * POST and PATCH a JSON body.  Every attempt is signed with
 * JDCLOUD2-HMAC-SHA256 for the real service name ("bgw", "asset",
 * "order") whatever the endpoint, with a fresh date and nonce.  Answers
 * are taken out of the {"requestId", "result"} envelope; errors become
 * DCF_E* codes with JD's status string, HTTP code, message and request id
 * kept in struct jd_error (../shared/api/jdcloud-dc.md §1).
 *
 * Retries (done by the engine, classified here): 429 RATE_LIMIT and 409
 * ABORTED always (the cloud refused before acting); 500, 502 and 503 for
 * reads only, since a write may have reached the cloud.  429
 * QUOTA_EXCEEDED and every 4xx are final.
 */
#ifndef DCFORM_JD_CLIENT_H
#define DCFORM_JD_CLIENT_H

#include <jansson.h>

#include "core/http/http.h"
#include "core/util/buf.h"
#include "core/util/err.h"

struct jd_error {
	char status[64]; /* "NOT_FOUND", "RATE_LIMIT", … */
	char message[512];
	char request_id[64];
	long http_status; /* also error.code */
};

struct jd_config {
	char *access_key;
	char *secret_key;
	char *region;	/* default region */
	char *endpoint; /* "https://…" / "http://127.0.0.1:P", or NULL */
};

/*
 * Credentials from JDCLOUD_ACCESS_KEY / JDCLOUD_SECRET_KEY; the region
 * from `block` ("region") or JDCLOUD_REGION; the endpoint from `block`
 * ("endpoint") or DCFORM_JDCLOUD_ENDPOINT.  `block` may be NULL.
 */
int jd_config_load(struct jd_config *c, const json_t *block, struct err *e);
void jd_config_release(struct jd_config *c);

struct jd_client;
int jd_client_new(struct jd_client **out, const struct jd_config *cfg,
		  struct http_engine *http, struct err *e);
void jd_client_free(struct jd_client *c);
const char *jd_client_region(const struct jd_client *c);

/* One call (see jd_call_many). */
struct jd_call {
	const char *service; /* "bgw", "asset", "order" */
	const char *op;	     /* operation name, for rate keys and messages */
	const char *method;  /* "GET", "POST", "PATCH", "DELETE" */
	const char *region;  /* path region */
	const char *path;    /* after /vN/regions/{r}: "/connections/",
			      * "/connections/dc-1:confirm"; ':' is sent and
			      * signed as %3A */
	const char *query;   /* raw query (jd_query_*), or NULL */
	const json_t *body;  /* POST/PATCH body (borrowed), or NULL */
	int idempotent;	     /* reads and safe repeats: retried on 5xx and
			      * network errors */
	/* Optional: called by jd_call_many with this call as soon as its
	 * answer is parsed, before the next answer is (so that a caller
	 * converting large answers frees each in turn, not all at once). */
	void (*done)(struct jd_call *call, void *arg);
	void *done_arg;
	/* results */
	json_t *result; /* the "result" object (new ref; {} if none) */
	struct jd_error jerr;
	struct err err;
	int ret;
};

/* The answer r to call: call->result (0), or a negative code with
 * call->err and call->jerr.  Exposed for the response fuzzer. */
struct http_response;
int jd_parse_response(struct jd_call *call, const struct http_response *r);

/* Run the calls concurrently; each gets ret 0 and result, or a negative
 * code with err (and jerr when the cloud answered). */
void jd_call_many(struct jd_client *c, struct jd_call *calls, size_t n);

/* One call; *out the result (new ref). */
int jd_call(json_t **out, struct jd_client *c, const char *service,
	    const char *op, const char *method, const char *region,
	    const char *path, const char *query, const json_t *body,
	    int idempotent, struct jd_error *jerr, struct err *e);

/* Query building: name=value (both percent-encoded), '&'-separated. */
void jd_query_add(struct buf *q, const char *name, const char *value);
/* filters.N.name=name and filters.N.values.M for each string of values. */
void jd_query_filter(struct buf *q, int n, const char *name,
		     const json_t *values);

/* DCF_E* code of a JD error status (NOT_FOUND → DCF_ENOTFOUND, …). */
int jd_error_code(const char *status, long http_status);

/* Amount "123.45" (yuan) → fen; 0 on a malformed string. */
long long jd_yuan_to_fen(const char *s);

#endif
