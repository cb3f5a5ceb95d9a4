#include "jdcloud2.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util/hash.h"

void jd2_datetime(char out[17], int64_t timestamp)
{
	time_t t = (time_t)timestamp;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

struct qpair {
	char *name;
	char *value;
};

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

static char *reencode(const char *s, size_t len)
{
	struct buf dec = BUF_INIT, enc = BUF_INIT;

	if (sig_url_decode(&dec, s, len, 1) < 0) {
		/* Not a valid escape: sign the bytes as they are. */
		buf_reset(&dec);
		buf_add(&dec, s, len);
	}
	buf_add_urlencode(&enc, dec.ptr, dec.len, NULL);
	buf_release(&dec);
	return buf_detach(&enc, NULL);
}

void jd2_canonical_query(struct buf *out, const char *raw_query)
{
	struct qpair *p = NULL;
	size_t n = 0, alloc = 0, i;
	const char *s = raw_query ? raw_query : "";

	while (*s) {
		const char *amp = strchr(s, '&');
		size_t len = amp ? (size_t)(amp - s) : strlen(s);
		const char *eq = memchr(s, '=', len);

		if (len) {
			ALLOC_GROW(p, n + 1, alloc);
			if (eq) {
				p[n].name = reencode(s, (size_t)(eq - s));
				p[n].value = reencode(
				    eq + 1, len - (size_t)(eq - s) - 1);
			} else {
				p[n].name = reencode(s, len);
				p[n].value = xstrdup("");
			}
			n++;
		}
		s += len;
		if (*s == '&')
			s++;
	}
	if (n)
		qsort(p, n, sizeof(*p), qpair_cmp);
	for (i = 0; i < n; i++) {
		buf_printf(out, "%s%s=%s", i ? "&" : "", p[i].name, p[i].value);
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
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

static char *lower(const char *s)
{
	char *r = xstrdup(s), *p;

	for (p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

static char *trim_collapse(const char *s)
{
	struct buf b = BUF_INIT;
	int space = 0;

	while (isspace((unsigned char)*s))
		s++;
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			space = 1;
			continue;
		}
		if (space)
			buf_putc(&b, ' ');
		space = 0;
		buf_putc(&b, *s);
	}
	return buf_detach(&b, NULL);
}

void jd2_canonical_request(struct buf *out, const char *method,
			   const char *raw_path, const char *raw_query,
			   const struct sig_header *headers, size_t nheaders,
			   const char *payload_hash, struct buf *signed_headers)
{
	struct canon_hdr *h = xcalloc(nheaders, sizeof(*h));
	size_t i, n = 0;

	for (i = 0; i < nheaders; i++) {
		char *name = lower(headers[i].name);
		char *value = trim_collapse(headers[i].value);

		/* Repeated headers are joined with ",". */
		if (n && !strcmp(h[n - 1].name, name)) {
			char *j = xasprintf("%s,%s", h[n - 1].value, value);

			free(h[n - 1].value);
			h[n - 1].value = j;
			free(name);
			free(value);
			continue;
		}
		h[n].name = name;
		h[n].value = value;
		n++;
	}
	qsort(h, n, sizeof(*h), canon_cmp);
	buf_printf(out, "%s\n%s\n", method,
		   raw_path && *raw_path ? raw_path : "/");
	jd2_canonical_query(out, raw_query);
	buf_putc(out, '\n');
	for (i = 0; i < n; i++)
		buf_printf(out, "%s:%s\n", h[i].name, h[i].value);
	buf_putc(out, '\n');
	for (i = 0; i < n; i++) {
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
	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

void jd2_signing_key(unsigned char out[32], const char *secret_key,
		     const char *date8, const char *region, const char *service)
{
	unsigned char k1[SHA256_LEN], k2[SHA256_LEN], k3[SHA256_LEN];
	char *key = xasprintf("JDCLOUD2%s", secret_key);

	hmac_sha256(k1, key, strlen(key), date8, strlen(date8));
	hmac_sha256(k2, k1, SHA256_LEN, region, strlen(region));
	hmac_sha256(k3, k2, SHA256_LEN, service, strlen(service));
	hmac_sha256(out, k3, SHA256_LEN, "jdcloud2_request", 16);
	free(key);
}

void jd2_signature(char out[65], const char *secret_key, const char *datetime,
		   const char *region, const char *service,
		   const char *canonical_request)
{
	unsigned char key[SHA256_LEN], sig[SHA256_LEN];
	char date8[9], hcr[65];
	char *sts;

	memcpy(date8, datetime, 8);
	date8[8] = '\0';
	sha256_hex(hcr, canonical_request, strlen(canonical_request));
	sts = xasprintf(JD2_ALGORITHM "\n%s\n%s/%s/%s/jdcloud2_request\n%s",
			datetime, date8, region, service, hcr);
	jd2_signing_key(key, secret_key, date8, region, service);
	hmac_sha256(sig, key, SHA256_LEN, sts, strlen(sts));
	hex_encode(out, sig, SHA256_LEN);
	free(sts);
}

char *jd2_authorization(const struct jd2_sign *s)
{
	struct buf cr = BUF_INIT, sh = BUF_INIT;
	char phash[65], sig[65], date8[9];
	char *auth;

	sha256_hex(phash, s->payload ? s->payload : "",
		   s->payload ? s->payload_len : 0);
	jd2_canonical_request(&cr, s->method, s->raw_path, s->raw_query,
			      s->headers, s->nheaders, phash, &sh);
	jd2_signature(sig, s->secret_key, s->datetime, s->region, s->service,
		      cr.ptr);
	memcpy(date8, s->datetime, 8);
	date8[8] = '\0';
	auth = xasprintf(
	    JD2_ALGORITHM " Credential=%s/%s/%s/%s/"
			  "jdcloud2_request, SignedHeaders=%s, Signature=%s",
	    s->access_key, date8, s->region, s->service, sh.ptr, sig);
	buf_release(&cr);
	buf_release(&sh);
	return auth;
}
