/*
 * sig.h: pieces shared by the two clouds' request signatures (both are
 * derivatives of AWS SigV4): header lists, Authorization header parsing.
 */
#ifndef DCFORM_SIG_H
#define DCFORM_SIG_H

#include <stddef.h>
#include "buf.h"

struct sig_header {
	const char *name;
	const char *value;
};

/*
 * A parsed Authorization header "<ALGO> Credential=<id>/<scope…>,
 * SignedHeaders=<a;b>, Signature=<hex>".  All strings point into `storage`
 * (owned by the struct); release with sig_auth_release().
 */
struct sig_auth {
	char *storage;
	const char *algorithm;
	const char *credential; /* whole "id/date/…/terminator" */
	const char *key_id;	/* first component */
	const char *scope[5];	/* following components; NULL-padded */
	size_t nscope;
	const char *signed_headers; /* "content-type;host" */
	const char *signature;
};

/* Returns 0, or -1 when the header is not of that shape. */
int sig_parse_authorization(struct sig_auth *out, const char *header);
void sig_auth_release(struct sig_auth *a);

/* Percent-decode s (len bytes) into out; plus_is_space for query strings.
 * Returns -1 on a malformed escape. */
int sig_url_decode(struct buf *out, const char *s, size_t len,
		   int plus_is_space);

#endif
