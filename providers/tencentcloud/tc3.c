#include "tc3.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util/hash.h"

void tc3_date(char out[11], int64_t timestamp)
{
	time_t t = (time_t)timestamp;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

struct canon_hdr {
	char *name;
	char *value;
};

static int canon_cmp(const void *a, const void *b)
{
	return strcmp(((const struct canon_hdr *)a)->name,
		      ((const struct canon_hdr *)b)->name);
}

static char *lower_trim(const char *s, int lower_value)
{
	const char *end;
	char *r, *p;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	r = xstrndup(s, (size_t)(end - s));
	if (lower_value)
		for (p = r; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return r;
}

void tc3_canonical_request(struct buf *out, const char *method,
			   const char *canonical_uri, const char *query,
			   const struct sig_header *headers, size_t nheaders,
			   const char *payload_hash, struct buf *signed_headers)
{
	struct canon_hdr *h = xcalloc(nheaders, sizeof(*h));
	size_t i;

	for (i = 0; i < nheaders; i++) {
		h[i].name = lower_trim(headers[i].name, 1);
		h[i].value = lower_trim(headers[i].value, 1);
	}
	qsort(h, nheaders, sizeof(*h), canon_cmp);
	buf_printf(out, "%s\n%s\n%s\n", method, canonical_uri,
		   query ? query : "");
	for (i = 0; i < nheaders; i++)
		buf_printf(out, "%s:%s\n", h[i].name, h[i].value);
	buf_putc(out, '\n');
	for (i = 0; i < nheaders; i++) {
		if (i)
			buf_putc(out, ';');
		buf_puts(out, h[i].name);
		if (signed_headers) {
			if (i)
				buf_putc(signed_headers, ';');
			buf_puts(signed_headers, h[i].name);
		}
	}
	buf_printf(out, "\n%s", payload_hash);
	for (i = 0; i < nheaders; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

void tc3_signature(char out[65], const char *secret_key, const char *date,
		   const char *service, int64_t timestamp,
		   const char *canonical_request)
{
	unsigned char k1[SHA256_LEN], k2[SHA256_LEN], k3[SHA256_LEN];
	unsigned char sig[SHA256_LEN];
	char hcr[65];
	char *key = xasprintf("TC3%s", secret_key);
	char *sts;

	sha256_hex(hcr, canonical_request, strlen(canonical_request));
	sts = xasprintf(TC3_ALGORITHM "\n%lld\n%s/%s/tc3_request\n%s",
			(long long)timestamp, date, service, hcr);
	hmac_sha256(k1, key, strlen(key), date, strlen(date));
	hmac_sha256(k2, k1, SHA256_LEN, service, strlen(service));
	hmac_sha256(k3, k2, SHA256_LEN, "tc3_request", 11);
	hmac_sha256(sig, k3, SHA256_LEN, sts, strlen(sts));
	hex_encode(out, sig, SHA256_LEN);
	free(key);
	free(sts);
}

char *tc3_authorization(const struct tc3_sign *s)
{
	struct sig_header h[3];
	struct buf cr = BUF_INIT, sh = BUF_INIT;
	char date[11], phash[65], sig[65];
	size_t nh = 0;
	char *auth;

	h[nh].name = "content-type";
	h[nh++].value = s->content_type;
	h[nh].name = "host";
	h[nh++].value = s->host;
	if (s->action) {
		h[nh].name = "x-tc-action";
		h[nh++].value = s->action;
	}
	sha256_hex(phash, s->payload ? s->payload : "",
		   s->payload ? s->payload_len : 0);
	tc3_canonical_request(&cr, s->method, "/", s->query, h, nh, phash, &sh);
	tc3_date(date, s->timestamp);
	tc3_signature(sig, s->secret_key, date, s->service, s->timestamp,
		      cr.ptr);
	auth = xasprintf(TC3_ALGORITHM " Credential=%s/%s/%s/tc3_request, "
				       "SignedHeaders=%s, Signature=%s",
			 s->secret_id, date, s->service, sh.ptr, sig);
	buf_release(&cr);
	buf_release(&sh);
	return auth;
}
