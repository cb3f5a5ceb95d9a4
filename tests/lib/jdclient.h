/*
 * jdclient.h: a small JD Cloud OpenAPI client for tests, signing with
 * JDCLOUD2-HMAC-SHA256 (providers/jdcloud/jdcloud2.h) and sending over
 * libcurl, as the vendors' SDKs do: the path's ':' goes out as %3A, the
 * signed headers are content-type, host, x-jdcloud-date and
 * x-jdcloud-nonce (a fresh UUID per call).
 *
 * The knobs in struct jdclient let tests break one thing at a time (clock,
 * nonce, key, the encoding of the signed or sent path) to exercise the
 * server's verification.
 */
#ifndef DCFORM_TESTS_JDCLIENT_H
#define DCFORM_TESTS_JDCLIENT_H

#include <stdint.h>
#include <jansson.h>

struct jdclient {
	char *endpoint; /* "http://127.0.0.1:PORT", no trailing slash */
	char *access_key;
	char *secret_key;
	char *region; /* default regionId for jdclient_path() users */
	/* Knobs for verifier tests (all off after jdclient_init): */
	int64_t time_offset_s;	   /* added to the clock when signing */
	const char *fixed_nonce;   /* this nonce instead of a fresh one */
	const char *sign_secret;   /* sign with this secret instead */
	const char *scope_service; /* put this service in the scope */
	int sign_raw_colon;	   /* sign ':' unencoded (send %3A) */
	int send_raw_colon;	   /* send ':' unencoded (sign %3A) */
	int tamper_body;	   /* sign the body, send one changed byte */
};

struct jdresp {
	long status;	     /* HTTP status, 0 on transport failure */
	char *body;	     /* raw body (NUL-terminated) */
	json_t *json;	     /* parsed body or NULL */
	char request_id[64]; /* x-jdcloud-request-id header */
};

/* Copies the strings; region may be NULL ("cn-north-1"). */
void jdclient_init(struct jdclient *c, const char *endpoint,
		   const char *access_key, const char *secret_key,
		   const char *region);
void jdclient_release(struct jdclient *c);

/*
 * One signed call.  service: "bgw", "asset", "order" (the credential
 * scope's service).  path: the decoded path such as
 * "/v1/regions/cn-north-1/connections/dc-1:confirm" (each segment is
 * percent-encoded before sending).  query: raw query string without '?'
 * (already encoded; NULL for none).  body: JSON text or NULL.
 * Returns 0 (any HTTP status) or -1 on a transport failure; release out.
 */
int jdclient_call(struct jdresp *out, struct jdclient *c, const char *service,
		  const char *method, const char *path, const char *query,
		  const char *body);
void jdresp_release(struct jdresp *r);

/* Borrowed "result" of a success, or NULL. */
json_t *jdresp_result(const struct jdresp *r);
/* error.status of a failure ("NOT_FOUND"…), or "" when none. */
const char *jdresp_error_status(const struct jdresp *r);

#endif
