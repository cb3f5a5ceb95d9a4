/*
 * client.h: Tencent Cloud API 3.0 over dcform's HTTP engine.
 *
 * Requests are JSON POSTs to "/" signed with TC3-HMAC-SHA256 for the real
 * service name ("dcdb", "billing") whatever the endpoint, so the emulator
 * and the cloud verify the same signature.  Answers are parsed out of the
 * {"Response": …} envelope; errors become DCF_E* codes with the cloud's
 * code, message and request id kept in struct api_error.
 */
#ifndef DCFORM_TC_CLIENT_H
#define DCFORM_TC_CLIENT_H

#include <jansson.h>

#include "core/http/http.h"
#include "core/util/err.h"

struct api_error {
	char code[128];
	char message[512];
	char request_id[64];
	long http_status;
};

struct tc_config {
	char *secret_id;
	char *secret_key;
	char *token;	/* session token, or NULL */
	char *region;	/* default region */
	char *endpoint; /* "https://…" / "http://127.0.0.1:P", or NULL */
};

/*
 * Credentials and endpoint from `block` (the manifest's providers
 * tencentcloud block: region, endpoint, profile; may be NULL), then
 * TENCENTCLOUD_SECRET_ID / _SECRET_KEY / _SESSION_TOKEN / _REGION, then
 * ~/.tccli/<profile>.credential; DCFORM_TENCENTCLOUD_ENDPOINT.
 */
int tc_config_load(struct tc_config *c, const json_t *block, struct err *e);
void tc_config_release(struct tc_config *c);

struct tc_client;
int tc_client_new(struct tc_client **out, const struct tc_config *cfg,
		  struct http_engine *http, struct err *e);
void tc_client_free(struct tc_client *c);
const char *tc_client_region(const struct tc_client *c);

/* One call in a batch (see tc_call_many). */
struct tc_call {
	const char *service; /* "dcdb" */
	const char *version; /* "2018-04-11" */
	const char *action;
	const char *region;   /* NULL: no X-TC-Region */
	const json_t *params; /* borrowed */
	int idempotent;	      /* reads: retried after network errors */
	/* Optional: called by tc_call_many with this call as soon as its
	 * answer is parsed, before the next answer is (so that a caller
	 * converting large answers frees each in turn, not all at once). */
	void (*done)(struct tc_call *call, void *arg);
	void *done_arg;
	/* results */
	json_t *response; /* the Response object (new ref) or NULL */
	struct api_error aerr;
	struct err err;
	int ret;
};

/* The answer r to call: call->response (0), or a negative code with
 * call->err and call->aerr.  Exposed for the response fuzzer. */
struct http_response;
int tc_parse_response(struct tc_call *call, const struct http_response *r);

/* Run the calls concurrently.  Each gets ret 0 and response, or a
 * negative code with err (and aerr when the cloud answered). */
void tc_call_many(struct tc_client *c, struct tc_call *calls, size_t n);

/* One call: *out the Response object (new ref). */
int tc_call(json_t **out, struct tc_client *c, const char *service,
	    const char *version, const char *action, const char *region,
	    const json_t *params, int idempotent, struct api_error *aerr,
	    struct err *e);

#endif
