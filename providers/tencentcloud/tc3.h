/*
 * tc3.h: Tencent Cloud API 3.0 request signature, TC3-HMAC-SHA256
 * (../shared/api/tencent-dcdb.md §2).  Used by the provider to sign and by
 * the emulator to verify, so both share one implementation of the
 * canonical request.
 */
#ifndef DCFORM_TC3_H
#define DCFORM_TC3_H

#include <stddef.h>
#include <stdint.h>
#include "core/util/buf.h"
#include "core/util/sig.h"

#define TC3_ALGORITHM "TC3-HMAC-SHA256"

/* UTC date "YYYY-MM-DD" of a Unix timestamp. */
void tc3_date(char out[11], int64_t timestamp);

/*
 * Build the canonical request.  headers are the signed headers with their
 * values as sent (any case, any order); they are lowercased, trimmed and
 * sorted here.  The ";"-joined signed header list is appended to
 * signed_headers when not NULL.  payload_hash is lowercase hex.
 */
void tc3_canonical_request(struct buf *out, const char *method,
			   const char *canonical_uri, const char *query,
			   const struct sig_header *headers, size_t nheaders,
			   const char *payload_hash,
			   struct buf *signed_headers);

/* Signature (64 lowercase hex) over a canonical request. */
void tc3_signature(char out[65], const char *secret_key, const char *date,
		   const char *service, int64_t timestamp,
		   const char *canonical_request);

struct tc3_sign {
	const char *secret_id;
	const char *secret_key;
	const char *service; /* "dcdb", "billing" */
	const char *host;    /* value of the Host header that is signed */
	const char *method;  /* "POST" or "GET" */
	const char *query;   /* GET: canonical query; POST: "" or NULL */
	const char *content_type;
	const char *payload;
	size_t payload_len;
	int64_t timestamp;
	const char *action; /* non-NULL: also sign x-tc-action */
};

/* The Authorization header value; caller frees. */
char *tc3_authorization(const struct tc3_sign *s);

#endif
