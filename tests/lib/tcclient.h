/*
 * tcclient.h: a small TC3-HMAC-SHA256 client over libcurl for the
 * emulator's tests, signing with providers/tencentcloud/tc3.
 */
#ifndef DCFORM_TESTS_TCCLIENT_H
#define DCFORM_TESTS_TCCLIENT_H

#include <stdint.h>
#include <jansson.h>

struct tcclient {
	char *endpoint; /* "http://127.0.0.1:PORT" */
	char *secret_id;
	char *secret_key;
	char *region; /* X-TC-Region, NULL for none */
	/* Knobs for verifier tests (off after tcclient_init): */
	int64_t time_offset_s;
	const char *sign_secret; /* sign with this key instead */
	const char *scope_date;	 /* put this date in the scope */
};

void tcclient_init(struct tcclient *c, const char *endpoint,
		   const char *secret_id, const char *secret_key,
		   const char *region);
void tcclient_release(struct tcclient *c);

/*
 * POST `params` (a JSON object text, NULL for {}) as service/version/
 * action.  Returns the parsed body (new ref; NULL on transport failure)
 * and the HTTP status in *status.
 */
json_t *tcclient_call(struct tcclient *c, long *status, const char *service,
		      const char *version, const char *action,
		      const char *params);

/* Borrowed "Response" of a body; its Error.Code or "" when none. */
json_t *tc_response(const json_t *body);
const char *tc_error_code(const json_t *body);

#endif
