/* tcclient.c: see tcclient.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "tests/lib/tcclient.h"
#include "core/util/buf.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "providers/tencentcloud/tc3.h"

void tcclient_init(struct tcclient *c, const char *endpoint,
		   const char *secret_id, const char *secret_key,
		   const char *region)
{
	memset(c, 0, sizeof(*c));
	c->endpoint = xstrdup(endpoint);
	c->secret_id = xstrdup(secret_id);
	c->secret_key = xstrdup(secret_key);
	c->region = region ? xstrdup(region) : NULL;
}

void tcclient_release(struct tcclient *c)
{
	free(c->endpoint);
	free(c->secret_id);
	free(c->secret_key);
	free(c->region);
}

static size_t collect(char *p, size_t sz, size_t n, void *ud)
{
	buf_add(ud, p, sz * n);
	return sz * n;
}

json_t *tcclient_call(struct tcclient *c, long *status, const char *service,
		      const char *version, const char *action,
		      const char *params)
{
	const char *body = params ? params : "{}";
	const char *host = strstr(c->endpoint, "://");
	struct tc3_sign s;
	struct curl_slist *h = NULL;
	struct buf out = BUF_INIT;
	char *auth, *line;
	int64_t now = (int64_t)time(NULL) + c->time_offset_s;
	CURL *cu = curl_easy_init();
	json_t *j = NULL;

	host = host ? host + 3 : c->endpoint;
	memset(&s, 0, sizeof(s));
	s.secret_id = c->secret_id;
	s.secret_key = c->sign_secret ? c->sign_secret : c->secret_key;
	s.service = service;
	s.host = host;
	s.method = "POST";
	s.query = "";
	s.content_type = "application/json";
	s.payload = body;
	s.payload_len = strlen(body);
	s.timestamp = now;
	auth = tc3_authorization(&s);
	if (c->scope_date) {
		/* Replace the scope's date to test the verifier. */
		char *p = strstr(auth, "/");
		if (p)
			memcpy(p + 1, c->scope_date, 10);
	}
	line = xasprintf("Authorization: %s", auth);
	h = curl_slist_append(h, line);
	free(line);
	h = curl_slist_append(h, "Content-Type: application/json");
	line = xasprintf("X-TC-Action: %s", action);
	h = curl_slist_append(h, line);
	free(line);
	line = xasprintf("X-TC-Version: %s", version);
	h = curl_slist_append(h, line);
	free(line);
	line = xasprintf("X-TC-Timestamp: %lld", (long long)now);
	h = curl_slist_append(h, line);
	free(line);
	if (c->region) {
		line = xasprintf("X-TC-Region: %s", c->region);
		h = curl_slist_append(h, line);
		free(line);
	}
	line = xasprintf("%s/", c->endpoint);
	curl_easy_setopt(cu, CURLOPT_URL, line);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 30L);
	*status = 0;
	if (curl_easy_perform(cu) == CURLE_OK) {
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, status);
		j = json_loadb(out.ptr ? out.ptr : "", out.len, 0, NULL);
	}
	free(line);
	free(auth);
	curl_slist_free_all(h);
	curl_easy_cleanup(cu);
	buf_release(&out);
	return j;
}

json_t *tc_response(const json_t *body)
{
	return json_object_get(body, "Response");
}

const char *tc_error_code(const json_t *body)
{
	return json_get_str(json_object_get(tc_response(body), "Error"), "Code",
			    "");
}
