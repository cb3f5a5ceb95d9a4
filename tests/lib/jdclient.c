/* jdclient.c: see jdclient.h. */
#include "jdclient.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "core/util/buf.h"
#include "core/util/hash.h"
#include "core/util/util.h"
#include "core/util/uuid.h"
#include "providers/jdcloud/jdcloud2.h"

void jdclient_init(struct jdclient *c, const char *endpoint,
		   const char *access_key, const char *secret_key,
		   const char *region)
{
	memset(c, 0, sizeof(*c));
	c->endpoint = xstrdup(endpoint);
	c->access_key = xstrdup(access_key);
	c->secret_key = xstrdup(secret_key);
	c->region = xstrdup(region ? region : "cn-north-1");
}

void jdclient_release(struct jdclient *c)
{
	free(c->endpoint);
	free(c->access_key);
	free(c->secret_key);
	free(c->region);
	memset(c, 0, sizeof(*c));
}

void jdresp_release(struct jdresp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

json_t *jdresp_result(const struct jdresp *r)
{
	if (r->status != 200)
		return NULL;
	return json_object_get(r->json, "result");
}

const char *jdresp_error_status(const struct jdresp *r)
{
	const char *s = json_string_value(
	    json_object_get(json_object_get(r->json, "error"), "status"));

	return s ? s : "";
}

static size_t write_cb(char *p, size_t sz, size_t n, void *ud)
{
	buf_add(ud, p, sz * n);
	return sz * n;
}

static size_t header_cb(char *p, size_t sz, size_t n, void *ud)
{
	struct jdresp *r = ud;
	size_t len = sz * n;
	static const char name[] = "x-jdcloud-request-id:";

	if (len > sizeof(name) - 1 && !strncasecmp(p, name, sizeof(name) - 1)) {
		size_t i = sizeof(name) - 1, j = 0;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < len && p[i] != '\r' && p[i] != '\n' &&
		       j + 1 < sizeof(r->request_id))
			r->request_id[j++] = p[i++];
		r->request_id[j] = '\0';
	}
	return len;
}

/* Percent-encode the path keeping '/', and ':' when keep_colon. */
static char *encode_path(const char *path, int keep_colon)
{
	struct buf b = BUF_INIT;

	buf_add_urlencode(&b, path, strlen(path), keep_colon ? "/:" : "/");
	return buf_detach(&b, NULL);
}

int jdclient_call(struct jdresp *out, struct jdclient *c, const char *service,
		  const char *method, const char *path, const char *query,
		  const char *body)
{
	char *sign_path = encode_path(path, c->sign_raw_colon);
	char *send_path = encode_path(path, c->send_raw_colon);
	const char *host = strstr(c->endpoint, "://");
	char datetime[17], nonce[UUID_STR_LEN];
	char *auth, *url, *h;
	struct sig_header hs[4];
	struct jd2_sign s;
	struct curl_slist *hl = NULL;
	struct buf resp = BUF_INIT;
	char *sent_body = NULL;
	char region[64];
	CURL *cu;
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	host = host ? host + 3 : c->endpoint;
	jd2_datetime(datetime, time_now_s() + c->time_offset_s);
	uuid_v4(nonce);
	hs[0] = (struct sig_header){"content-type", "application/json"};
	hs[1] = (struct sig_header){"host", host};
	hs[2] = (struct sig_header){"x-jdcloud-date", datetime};
	hs[3] = (struct sig_header){"x-jdcloud-nonce",
				    c->fixed_nonce ? c->fixed_nonce : nonce};
	memset(&s, 0, sizeof(s));
	s.access_key = c->access_key;
	s.secret_key = c->sign_secret ? c->sign_secret : c->secret_key;
	s.region = c->region;
	{
		/* The scope's region is the path's regionId when present. */
		const char *r = strstr(path, "/regions/");

		if (r) {
			const char *end = strchr(r + 9, '/');
			size_t len =
			    end ? (size_t)(end - r - 9) : strlen(r + 9);
			if (len < sizeof(region)) {
				memcpy(region, r + 9, len);
				region[len] = '\0';
				s.region = region;
			}
		}
	}
	s.service = c->scope_service ? c->scope_service : service;
	s.method = method;
	s.raw_path = sign_path;
	s.raw_query = query;
	s.headers = hs;
	s.nheaders = 4;
	s.payload = body ? body : "";
	s.payload_len = body ? strlen(body) : 0;
	s.datetime = datetime;
	auth = jd2_authorization(&s);

	if (body) {
		sent_body = xstrdup(body);
		if (c->tamper_body && sent_body[0])
			sent_body[strlen(sent_body) - 1] ^= 1;
	}
	url = xasprintf("%s%s%s%s", c->endpoint, send_path,
			query && *query ? "?" : "", query ? query : "");
	cu = curl_easy_init();
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(cu, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, out);
	if (sent_body) {
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, sent_body);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(sent_body));
	}
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Accept: application/json");
	hl = curl_slist_append(hl, "Expect:");
	h = xasprintf("Host: %s", host);
	hl = curl_slist_append(hl, h);
	free(h);
	h = xasprintf("x-jdcloud-date: %s", datetime);
	hl = curl_slist_append(hl, h);
	free(h);
	h = xasprintf("x-jdcloud-nonce: %s",
		      c->fixed_nonce ? c->fixed_nonce : nonce);
	hl = curl_slist_append(hl, h);
	free(h);
	h = xasprintf("Authorization: %s", auth);
	hl = curl_slist_append(hl, h);
	free(h);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(cu);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &out->status);
		out->body = buf_detach(&resp, NULL);
		out->json = json_loads(out->body, 0, NULL);
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(cu);
	buf_release(&resp);
	free(url);
	free(auth);
	free(sent_body);
	free(sign_path);
	free(send_path);
	return rc == CURLE_OK ? 0 : -1;
}
