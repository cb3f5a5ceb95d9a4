/*
 * client.c: Tencent Cloud API 3.0 client.  See client.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "providers/tencentcloud/client.h"
#include "providers/tencentcloud/tc3.h"
#include "core/util/buf.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"

struct tc_client {
	struct tc_config cfg;
	struct http_engine *http;
};

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

int tc_config_load(struct tc_config *c, const json_t *block, struct err *e)
{
	const char *profile = json_get_str(block, "profile", NULL);
	const char *v;

	memset(c, 0, sizeof(*c));
	c->secret_id = dup_or_null(getenv("TENCENTCLOUD_SECRET_ID"));
	c->secret_key = dup_or_null(getenv("TENCENTCLOUD_SECRET_KEY"));
	c->token = dup_or_null(getenv("TENCENTCLOUD_SESSION_TOKEN"));
	if (!profile)
		profile = getenv("TENCENTCLOUD_PROFILE");
	if ((!c->secret_id || !c->secret_key) && getenv("HOME")) {
		char *path =
		    xasprintf("%s/.tccli/%s.credential", getenv("HOME"),
			      profile ? profile : "default");
		struct buf b = BUF_INIT;
		struct err ig = ERR_INIT;
		json_t *j = NULL;

		if (fs_exists(path) &&
		    fs_read_file(&b, path, 1 << 20, &ig) == 0 &&
		    json_parse(&j, b.ptr, b.len, path, &ig) == 0) {
			free(c->secret_id);
			free(c->secret_key);
			c->secret_id =
			    dup_or_null(json_get_str(j, "secretId", NULL));
			c->secret_key =
			    dup_or_null(json_get_str(j, "secretKey", NULL));
		}
		json_decref(j);
		buf_release(&b);
		free(path);
	}
	if (!c->secret_id || !c->secret_key) {
		tc_config_release(c);
		return err_set(e, DCF_EAUTH,
			       "no Tencent Cloud credentials: set "
			       "TENCENTCLOUD_SECRET_ID and "
			       "TENCENTCLOUD_SECRET_KEY, or write "
			       "~/.tccli/%s.credential",
			       profile ? profile : "default");
	}
	v = json_get_str(block, "region", NULL);
	c->region = dup_or_null(v ? v : getenv("TENCENTCLOUD_REGION"));
	v = json_get_str(block, "endpoint", NULL);
	c->endpoint =
	    dup_or_null(v ? v : getenv("DCFORM_TENCENTCLOUD_ENDPOINT"));
	if (c->endpoint && http_url_allowed(c->endpoint, e) < 0) {
		tc_config_release(c);
		return err_prefix(e, "tencentcloud endpoint");
	}
	return 0;
}

void tc_config_release(struct tc_config *c)
{
	free(c->secret_id);
	free(c->secret_key);
	free(c->token);
	free(c->region);
	free(c->endpoint);
	memset(c, 0, sizeof(*c));
}

int tc_client_new(struct tc_client **out, const struct tc_config *cfg,
		  struct http_engine *http, struct err *e)
{
	struct tc_client *c = xcalloc(1, sizeof(*c));

	(void)e;
	c->cfg.secret_id = xstrdup(cfg->secret_id);
	c->cfg.secret_key = xstrdup(cfg->secret_key);
	c->cfg.token = dup_or_null(cfg->token);
	c->cfg.region = dup_or_null(cfg->region);
	c->cfg.endpoint = dup_or_null(cfg->endpoint);
	c->http = http;
	/* The clouds' documented limits (tencent-dcdb.md §1.7): 20 a
	 * second for each action, 200 for DescribeDCDBInstances. */
	http_rate_set_each(http, "tencent:", 20, 20);
	http_rate_set(http, "tencent:dcdb:DescribeDCDBInstances", 200, 200);
	*out = c;
	return 0;
}

void tc_client_free(struct tc_client *c)
{
	if (!c)
		return;
	tc_config_release(&c->cfg);
	free(c);
}

const char *tc_client_region(const struct tc_client *c)
{
	return c->cfg.region ? c->cfg.region : "";
}

struct attempt {
	struct tc_client *c;
	struct tc_call *call;
	char *body;
	char *url;
	char host[256];
};

static int prepare(void *ctx, struct curl_slist **hs, struct err *e)
{
	struct attempt *a = ctx;
	struct tc3_sign s;
	char *auth, *line;
	int64_t now = (int64_t)time(NULL);

	(void)e;
	memset(&s, 0, sizeof(s));
	s.secret_id = a->c->cfg.secret_id;
	s.secret_key = a->c->cfg.secret_key;
	s.service = a->call->service;
	s.host = a->host;
	s.method = "POST";
	s.query = "";
	s.content_type = "application/json";
	s.payload = a->body;
	s.payload_len = strlen(a->body);
	s.timestamp = now;
	auth = tc3_authorization(&s);
	line = xasprintf("Authorization: %s", auth);
	*hs = curl_slist_append(*hs, line);
	free(line);
	free(auth);
	*hs = curl_slist_append(*hs, "Content-Type: application/json");
	line = xasprintf("Host: %s", a->host);
	*hs = curl_slist_append(*hs, line);
	free(line);
	line = xasprintf("X-TC-Action: %s", a->call->action);
	*hs = curl_slist_append(*hs, line);
	free(line);
	line = xasprintf("X-TC-Version: %s", a->call->version);
	*hs = curl_slist_append(*hs, line);
	free(line);
	line = xasprintf("X-TC-Timestamp: %lld", (long long)now);
	*hs = curl_slist_append(*hs, line);
	free(line);
	if (a->call->region && *a->call->region) {
		line = xasprintf("X-TC-Region: %s", a->call->region);
		*hs = curl_slist_append(*hs, line);
		free(line);
	}
	if (a->c->cfg.token) {
		line = xasprintf("X-TC-Token: %s", a->c->cfg.token);
		*hs = curl_slist_append(*hs, line);
		free(line);
	}
	return 0;
}

static const char *error_code(const struct http_response *r)
{
	static __thread char code[128];
	json_t *j;
	const char *c;

	/* Most answers are not errors: parse (a large page costs) only when
	 * the body can hold one; the envelope parser reads it again anyway. */
	if (!r->body.ptr || !strstr(r->body.ptr, "\"Error\""))
		return "";
	j = json_loadb(r->body.ptr, r->body.len, 0, NULL);
	c = json_get_str(
	    json_object_get(json_object_get(j, "Response"), "Error"), "Code",
	    "");

	snprintf(code, sizeof(code), "%s", c);
	json_decref(j);
	return code;
}

/* Errors the cloud asks to retry (tencent-dcdb.md §1.5). */
static int classify(void *ctx, const struct http_response *r)
{
	struct attempt *a = ctx;
	const char *code;

	if (r->status >= 500 || r->status == 429)
		return HTTP_RETRY;
	if (r->status != 200)
		return HTTP_DONE;
	code = error_code(r);
	if (str_starts_with(code, "RequestLimitExceeded") ||
	    str_starts_with(code, "ServiceUnavailable") ||
	    str_starts_with(code, "ResourceUnavailable") ||
	    str_starts_with(code, "ResourceInUse"))
		return HTTP_RETRY;
	if (!strcmp(code, "InternalError") && a->call->idempotent)
		return HTTP_RETRY;
	return HTTP_DONE;
}

static void host_of(char out[256], const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;

	h = h ? h + 3 : url;
	n = strcspn(h, "/");
	if (n > 255)
		n = 255;
	memcpy(out, h, n);
	out[n] = '\0';
}

int tc_parse_response(struct tc_call *call, const struct http_response *r)
{
	json_t *j = NULL, *resp, *error;
	struct json_load_err je;
	struct api_error *ae = &call->aerr;

	ae->http_status = r->status;
	if (r->status != 200)
		return err_set(&call->err, DCF_EPROVIDER,
			       "%s: HTTP %ld from the API", call->action,
			       r->status);
	j = json_load_fast(r->body.ptr, r->body.len, &je);
	resp = json_object_get(j, "Response");
	if (!json_is_object(resp)) {
		json_decref(j);
		return err_set(&call->err, DCF_EPROVIDER,
			       "%s: the answer is not an API 3.0 envelope "
			       "(%s)",
			       call->action,
			       j ? "no Response object" : je.text);
	}
	snprintf(ae->request_id, sizeof(ae->request_id), "%s",
		 json_get_str(resp, "RequestId", ""));
	error = json_object_get(resp, "Error");
	if (error) {
		const char *code = json_get_str(error, "Code", "?");
		int rc = DCF_EPROVIDER;

		snprintf(ae->code, sizeof(ae->code), "%s", code);
		snprintf(ae->message, sizeof(ae->message), "%s",
			 json_get_str(error, "Message", ""));
		if (str_starts_with(code, "AuthFailure"))
			rc = DCF_EAUTH;
		else if (str_starts_with(code, "RequestLimitExceeded"))
			rc = DCF_ERATELIMIT;
		else if (str_starts_with(code, "ResourceNotFound"))
			rc = DCF_ENOTFOUND;
		err_set(&call->err, rc, "%s: %s: %s (request id %s)",
			call->action, code, ae->message, ae->request_id);
		json_decref(j);
		return rc;
	}
	call->response = json_incref(resp);
	json_decref(j);
	return 0;
}

void tc_call_many(struct tc_client *c, struct tc_call *calls, size_t n)
{
	struct attempt *a = xcalloc(n ? n : 1, sizeof(*a));
	struct http_request *rq = xcalloc(n ? n : 1, sizeof(*rq));
	struct http_response *rs = xcalloc(n ? n : 1, sizeof(*rs));
	int *rets = xcalloc(n ? n : 1, sizeof(int));
	struct err *errs = xcalloc(n ? n : 1, sizeof(struct err));
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&calls[i].aerr, 0, sizeof(calls[i].aerr));
		err_clear(&calls[i].err);
		calls[i].response = NULL;
		a[i].c = c;
		a[i].call = &calls[i];
		a[i].body = calls[i].params ? json_dumps_malloc(calls[i].params,
								JSON_COMPACT)
					    : xstrdup("{}");
		a[i].url = c->cfg.endpoint
			       ? xasprintf("%s/", c->cfg.endpoint)
			       : xasprintf("https://%s.tencentcloudapi.com/",
					   calls[i].service);
		host_of(a[i].host, a[i].url);
		rq[i].method = "POST";
		rq[i].url = a[i].url;
		rq[i].body = a[i].body;
		rq[i].body_len = strlen(a[i].body);
		rq[i].rate_key = NULL;
		rq[i].idempotent = calls[i].idempotent;
		rq[i].prepare = prepare;
		rq[i].classify = classify;
		rq[i].ctx = &a[i];
		http_response_init(&rs[i]);
	}
	/* Rate keys: "tencent:<service>:<Action>". */
	{
		char **keys = xcalloc(n ? n : 1, sizeof(char *));

		for (i = 0; i < n; i++) {
			keys[i] = xasprintf("tencent:%s:%s", calls[i].service,
					    calls[i].action);
			rq[i].rate_key = keys[i];
		}
		http_do_many(c->http, rq, rs, rets, errs, n);
		for (i = 0; i < n; i++)
			free(keys[i]);
		free(keys);
	}
	for (i = 0; i < n; i++) {
		if (rets[i] < 0) {
			calls[i].err = errs[i];
			calls[i].ret = rets[i];
		} else {
			calls[i].ret = tc_parse_response(&calls[i], &rs[i]);
		}
		http_response_release(&rs[i]);
		if (calls[i].done)
			calls[i].done(&calls[i], calls[i].done_arg);
		free(a[i].body);
		free(a[i].url);
	}
	free(a);
	free(rq);
	free(rs);
	free(rets);
	free(errs);
}

int tc_call(json_t **out, struct tc_client *c, const char *service,
	    const char *version, const char *action, const char *region,
	    const json_t *params, int idempotent, struct api_error *aerr,
	    struct err *e)
{
	struct tc_call call;

	memset(&call, 0, sizeof(call));
	call.service = service;
	call.version = version;
	call.action = action;
	call.region = region;
	call.params = params;
	call.idempotent = idempotent;
	tc_call_many(c, &call, 1);
	if (aerr)
		*aerr = call.aerr;
	if (call.ret < 0) {
		*e = call.err;
		return call.ret;
	}
	*out = call.response;
	return 0;
}
