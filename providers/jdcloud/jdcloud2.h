/*
 * jdcloud2.h: JD Cloud OpenAPI request signature, JDCLOUD2-HMAC-SHA256
 * (../shared/api/jdcloud-dc.md §2).  Shared by the provider (sign) and the
 * emulator (verify).
 */
#ifndef DCFORM_JDCLOUD2_H
#define DCFORM_JDCLOUD2_H

#include <stddef.h>
#include <stdint.h>
#include "core/util/buf.h"
#include "core/util/sig.h"

#define JD2_ALGORITHM "JDCLOUD2-HMAC-SHA256"

/* "YYYYMMDDTHHMMSSZ" of a Unix timestamp (UTC). */
void jd2_datetime(char out[17], int64_t timestamp);

/*
 * Canonical query of a raw query string: pairs split on '&', decoded ('+'
 * is a space), re-encoded with the unreserved set, sorted by name then
 * value, "name=" for a bare name.  Appended to out.
 */
void jd2_canonical_query(struct buf *out, const char *raw_query);

/*
 * The canonical request.  raw_path is the path exactly as sent (already
 * percent-encoded; "" becomes "/").  headers are the signed headers with
 * their values as sent; names are lowercased and sorted, values trimmed
 * with inner runs of white space collapsed.  The ";"-joined list is
 * appended to signed_headers when not NULL.
 */
void jd2_canonical_request(struct buf *out, const char *method,
			   const char *raw_path, const char *raw_query,
			   const struct sig_header *headers, size_t nheaders,
			   const char *payload_hash,
			   struct buf *signed_headers);

/* kSigning for (date8, region, service); out is 32 bytes. */
void jd2_signing_key(unsigned char out[32], const char *secret_key,
		     const char *date8, const char *region,
		     const char *service);

/* Signature (64 lowercase hex) of a canonical request. */
void jd2_signature(char out[65], const char *secret_key, const char *datetime,
		   const char *region, const char *service,
		   const char *canonical_request);

struct jd2_sign {
	const char *access_key;
	const char *secret_key;
	const char *region;  /* "cn-north-1"; "jdcloud-api" if none */
	const char *service; /* "bgw", "asset", "order" */
	const char *method;
	const char *raw_path;		  /* percent-encoded, ":" as "%3A" */
	const char *raw_query;		  /* without '?', may be NULL */
	const struct sig_header *headers; /* headers to sign, incl. host,
					   * x-jdcloud-date, x-jdcloud-nonce */
	size_t nheaders;
	const char *payload;
	size_t payload_len;
	const char *datetime; /* value of x-jdcloud-date */
};

/* The Authorization header value; caller frees. */
char *jd2_authorization(const struct jd2_sign *s);

#endif
