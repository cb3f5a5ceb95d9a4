/*
 * client.c: JD Cloud OpenAPI client.  See client.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "providers/jdcloud/client.h"
#include "providers/jdcloud/jdcloud2.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "core/util/uuid.h"

struct jd_client {
	struct jd_config cfg;
	struct http_engine *http;
};

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

int jd_config_load(struct jd_config *c, const json_t *block, struct err *e)
{
	const char *v;

	memset(c, 0, sizeof(*c));
	c->access_key = dup_or_null(getenv("JDCLOUD_ACCESS_KEY"));
	c->secret_key = dup_or_null(getenv("JDCLOUD_SECRET_KEY"));
	if (!c->access_key || !c->secret_key) {
		jd_config_release(c);
		return err_set(e, DCF_EAUTH,
			       "no JD Cloud credentials: set "
			       "JDCLOUD_ACCESS_KEY and JDCLOUD_SECRET_KEY");
	}
	v = json_get_str(block, "region", NULL);
	c->region = dup_or_null(v ? v : getenv("JDCLOUD_REGION"));
	if (!c->region) {
		jd_config_release(c);
		return err_set(e, DCF_EINVALID,
			       "no JD Cloud region: set region under "
			       "providers.jdcloud in the manifest, or "
			       "JDCLOUD_REGION");
	}
	v = json_get_str(block, "endpoint", NULL);
	c->endpoint = dup_or_null(v ? v : getenv("DCFORM_JDCLOUD_ENDPOINT"));
	if (c->endpoint) {
		size_t n = strlen(c->endpoint);

		while (n > 0 && c->endpoint[n - 1] == '/')
			c->endpoint[--n] = '\0';
		if (http_url_allowed(c->endpoint, e) < 0) {
			jd_config_release(c);
			return err_prefix(e, "jdcloud endpoint");
		}
	}
	return 0;
}

void jd_config_release(struct jd_config *c)
{
	free(c->access_key);
	free(c->secret_key);
	free(c->region);
	free(c->endpoint);
	memset(c, 0, sizeof(*c));
}

int jd_client_new(struct jd_client **out, const struct jd_config *cfg,
		  struct http_engine *http, struct err *e)
{
	struct jd_client *c = xcalloc(1, sizeof(*c));

	(void)e;
	c->cfg.access_key = xstrdup(cfg->access_key);
	c->cfg.secret_key = xstrdup(cfg->secret_key);
	c->cfg.region = dup_or_null(cfg->region);
	c->cfg.endpoint = dup_or_null(cfg->endpoint);
	c->http = http;
	/* JD publishes no limits: 20/s per service and operation (issue
	 * 4), one bucket per operation dcform calls, and 20/s for the
	 * rest together. */
	{
		static const char *const ops[] = {"asset:describeAccountAmount",
						  "bgw:confirmConnection",
						  "bgw:createBgw",
						  "bgw:createBgwRoute",
						  "bgw:createConnection",
						  "bgw:createPrivateVif",
						  "bgw:createVpcAttachment",
						  "bgw:deleteBgw",
						  "bgw:deleteBgwRoute",
						  "bgw:deleteConnection",
						  "bgw:deletePrivateVif",
						  "bgw:deleteVpcAttachment",
						  "bgw:describeBgw",
						  "bgw:describeBgwRoute",
						  "bgw:describeBgwRoutes",
						  "bgw:describeBgws",
						  "bgw:describeConnection",
						  "bgw:describeConnections",
						  "bgw:describeLocations",
						  "bgw:describePrivateVif",
						  "bgw:describePrivateVifs",
						  "bgw:describeVpcAttachment",
						  "bgw:describeVpcAttachments",
						  "bgw:modifyBgw",
						  "bgw:modifyBgwRoute",
						  "bgw:modifyConnection",
						  "bgw:modifyPrivateVif",
						  "bgw:modifyVpcAttachment",
						  "bgw:resizeConnection",
						  "order:payOrder",
						  "order:queryOrder",
						  NULL};
		size_t i;

		http_rate_set(http, "jdcloud:", 20, 20);
		for (i = 0; ops[i]; i++) {
			/* "describeBgw" is a prefix of "describeBgws",
			 * whose own longer prefix wins. */
			char *k = xasprintf("jdcloud:%s", ops[i]);

			http_rate_set(http, k, 20, 20);
			free(k);
		}
	}
	*out = c;
	return 0;
}

void jd_client_free(struct jd_client *c)
{
	if (!c)
		return;
	jd_config_release(&c->cfg);
	free(c);
}

const char *jd_client_region(const struct jd_client *c)
{
	return c->cfg.region ? c->cfg.region : "";
}

/* ---- query strings ------------------------------------------------ */

void jd_query_add(struct buf *q, const char *name, const char *value)
{
	if (q->len)
		buf_putc(q, '&');
	buf_add_urlencode(q, name, strlen(name), NULL);
	buf_putc(q, '=');
	buf_add_urlencode(q, value, strlen(value), NULL);
}

void jd_query_filter(struct buf *q, int n, const char *name,
		     const json_t *values)
{
	char key[64];
	json_t *v;
	size_t i;
	int m = 0;

	snprintf(key, sizeof(key), "filters.%d.name", n);
	jd_query_add(q, key, name);
	json_array_foreach (values, i, v) {
		if (!json_is_string(v))
			continue;
		snprintf(key, sizeof(key), "filters.%d.values.%d", n, ++m);
		jd_query_add(q, key, json_string_value(v));
	}
}

/* ---- errors --------------------------------------------------------- */

int jd_error_code(const char *status, long http_status)
{
	if (!strcmp(status, "NOT_FOUND") || http_status == 404)
		return DCF_ENOTFOUND;
	if (!strcmp(status, "UNAUTHENTICATED") ||
	    !strcmp(status, "HTTP_FORBIDDEN") || http_status == 401 ||
	    http_status == 403)
		return DCF_EAUTH;
	if (!strcmp(status, "RATE_LIMIT"))
		return DCF_ERATELIMIT;
	if (!strcmp(status, "ALREADY_EXISTS"))
		return DCF_EEXISTS;
	if (!strcmp(status, "ABORTED"))
		return DCF_ECONFLICT;
	return DCF_EPROVIDER;
}

long long jd_yuan_to_fen(const char *s)
{
	long long y = 0, f = 0;
	int neg = 0, d = 0;

	if (!s)
		return 0;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	while (isdigit((unsigned char)*s))
		y = y * 10 + (*s++ - '0');
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s) && d < 2) {
			f = f * 10 + (*s++ - '0');
			d++;
		}
		if (d == 1)
			f *= 10;
	}
	return neg ? -(y * 100 + f) : y * 100 + f;
}

/* The error status of an answer's envelope ("" when none). */
static void envelope_status(char out[64], const struct http_response *r)
{
	json_t *j =
	    json_loadb(r->body.ptr ? r->body.ptr : "", r->body.len, 0, NULL);

	snprintf(out, 64, "%s",
		 json_get_str(json_object_get(j, "error"), "status", ""));
	json_decref(j);
}

/* ---- one attempt ----------------------------------------------------- */

struct attempt {
	struct jd_client *c;
	struct jd_call *call;
	char *body; /* JSON text, or NULL */
	char *url;
	char *raw_path; /* as sent and signed */
	char host[256];
};

static int prepare(void *ctx, struct curl_slist **hs, struct err *e)
{
	struct attempt *a = ctx;
	struct jd2_sign s;
	struct sig_header h[4];
	char date[17], nonce[UUID_STR_LEN];
	char *auth, *line;

	(void)e;
	jd2_datetime(date, (int64_t)time(NULL));
	uuid_v4(nonce);
	h[0].name = "content-type";
	h[0].value = "application/json";
	h[1].name = "host";
	h[1].value = a->host;
	h[2].name = "x-jdcloud-date";
	h[2].value = date;
	h[3].name = "x-jdcloud-nonce";
	h[3].value = nonce;
	memset(&s, 0, sizeof(s));
	s.access_key = a->c->cfg.access_key;
	s.secret_key = a->c->cfg.secret_key;
	s.region = a->call->region && *a->call->region ? a->call->region
						       : "jdcloud-api";
	s.service = a->call->service;
	s.method = a->call->method;
	s.raw_path = a->raw_path;
	s.raw_query = a->call->query;
	s.headers = h;
	s.nheaders = 4;
	s.payload = a->body ? a->body : "";
	s.payload_len = a->body ? strlen(a->body) : 0;
	s.datetime = date;
	auth = jd2_authorization(&s);
	line = xasprintf("Authorization: %s", auth);
	*hs = curl_slist_append(*hs, line);
	free(line);
	free(auth);
	*hs = curl_slist_append(*hs, "Content-Type: application/json");
	*hs = curl_slist_append(*hs, "Accept: application/json");
	line = xasprintf("Host: %s", a->host);
	*hs = curl_slist_append(*hs, line);
	free(line);
	line = xasprintf("x-jdcloud-date: %s", date);
	*hs = curl_slist_append(*hs, line);
	free(line);
	line = xasprintf("x-jdcloud-nonce: %s", nonce);
	*hs = curl_slist_append(*hs, line);
	free(line);
	/* No "Expect: 100-continue" round trip. */
	*hs = curl_slist_append(*hs, "Expect:");
	return 0;
}

/*
 * Which answers to try again (jdcloud-dc.md §1.4).  A refusal before
 * acting (RATE_LIMIT, ABORTED) is safe to repeat for any call; a 5xx may
 * come after a write reached the cloud, so only reads repeat it.
 */
static int classify(void *ctx, const struct http_response *r)
{
	struct attempt *a = ctx;
	char st[64];

	if (r->status < 400)
		return HTTP_DONE;
	envelope_status(st, r);
	if (!strcmp(st, "RATE_LIMIT") || !strcmp(st, "ABORTED"))
		return HTTP_RETRY;
	if (r->status == 429 && !st[0])
		return a->call->idempotent ? HTTP_RETRY : HTTP_DONE;
	/* libcurl resends a request whose kept-alive connection died
	 * unanswered, nonce and all, and the server refuses the replayed
	 * nonce; a read is simply signed again with a fresh one.  (Writes
	 * never reuse connections, so they are never resent.) */
	if (r->status == 401 && a->call->idempotent && r->body.ptr &&
	    strstr(r->body.ptr, "nonce"))
		return HTTP_RETRY;
	if ((r->status == 500 || r->status == 502 || r->status == 503 ||
	     r->status == 504) &&
	    a->call->idempotent)
		return HTTP_RETRY;
	return HTTP_DONE;
}

static void host_of(char out[256], const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;

	h = h ? h + 3 : url;
	n = strcspn(h, "/?");
	if (n > 255)
		n = 255;
	memcpy(out, h, n);
	out[n] = '\0';
}

/* The path percent-encoded as JD's SDKs send it: '/' kept, ':' → %3A. */
static char *encode_path(const char *p)
{
	struct buf b = BUF_INIT;

	buf_add_urlencode(&b, p, strlen(p), "/");
	return buf_detach(&b, NULL);
}

int jd_parse_response(struct jd_call *call, const struct http_response *r)
{
	json_t *j = NULL, *error, *res;
	struct json_load_err je;
	struct jd_error *ae = &call->jerr;

	ae->http_status = r->status;
	j = json_load_fast(r->body.ptr, r->body.len, &je);
	snprintf(ae->request_id, sizeof(ae->request_id), "%s",
		 json_get_str(j, "requestId", ""));
	error = json_object_get(j, "error");
	if (r->status < 200 || r->status >= 300 || error) {
		int rc;

		if (!json_is_object(error)) {
			json_decref(j);
			snprintf(ae->status, sizeof(ae->status), "HTTP_%ld",
				 r->status);
			return err_set(&call->err,
				       r->status == 404 ? DCF_ENOTFOUND
							: DCF_EPROVIDER,
				       "%s: HTTP %ld from the API without a JD "
				       "error envelope",
				       call->op, r->status);
		}
		snprintf(ae->status, sizeof(ae->status), "%s",
			 json_get_str(error, "status", "UNKNOWN"));
		snprintf(ae->message, sizeof(ae->message), "%s",
			 json_get_str(error, "message", ""));
		rc = jd_error_code(ae->status, r->status);
		err_set(&call->err, rc, "%s: %ld %s: %s (request id %s)",
			call->op, r->status, ae->status, ae->message,
			ae->request_id);
		json_decref(j);
		return rc;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(&call->err, DCF_EPROVIDER,
			       "%s: the answer is not a JD envelope (%s)",
			       call->op, je.text);
	}
	res = json_object_get(j, "result");
	call->result = json_is_object(res) ? json_incref(res) : json_object();
	json_decref(j);
	return 0;
}

void jd_call_many(struct jd_client *c, struct jd_call *calls, size_t n)
{
	size_t m = n ? n : 1, i;
	struct attempt *a = xcalloc(m, sizeof(*a));
	struct http_request *rq = xcalloc(m, sizeof(*rq));
	struct http_response *rs = xcalloc(m, sizeof(*rs));
	int *rets = xcalloc(m, sizeof(int));
	struct err *errs = xcalloc(m, sizeof(struct err));
	char **keys = xcalloc(m, sizeof(char *));

	for (i = 0; i < n; i++) {
		struct jd_call *k = &calls[i];
		const char *ver = !strcmp(k->service, "order") ? "v2" : "v1";
		char *path;

		memset(&k->jerr, 0, sizeof(k->jerr));
		err_clear(&k->err);
		k->result = NULL;
		k->ret = 0;
		a[i].c = c;
		a[i].call = k;
		a[i].body =
		    k->body ? json_dumps_malloc(k->body, JSON_COMPACT) : NULL;
		path = xasprintf("/%s/regions/%s%s", ver,
				 k->region && *k->region ? k->region
							 : jd_client_region(c),
				 k->path);
		a[i].raw_path = encode_path(path);
		free(path);
		a[i].url = xasprintf(
		    "%s%s%s%s", c->cfg.endpoint ? c->cfg.endpoint : "",
		    a[i].raw_path, k->query && *k->query ? "?" : "",
		    k->query ? k->query : "");
		if (!c->cfg.endpoint) {
			char *u = xasprintf("https://%s.jdcloud-api.com%s",
					    k->service, a[i].url);

			free(a[i].url);
			a[i].url = u;
		}
		host_of(a[i].host, a[i].url);
		keys[i] = xasprintf("jdcloud:%s:%s", k->service, k->op);
		rq[i].method = k->method;
		rq[i].url = a[i].url;
		rq[i].body = a[i].body;
		rq[i].body_len = a[i].body ? strlen(a[i].body) : 0;
		rq[i].rate_key = keys[i];
		rq[i].idempotent = k->idempotent;
		rq[i].prepare = prepare;
		rq[i].classify = classify;
		rq[i].ctx = &a[i];
		http_response_init(&rs[i]);
	}
	http_do_many(c->http, rq, rs, rets, errs, n);
	for (i = 0; i < n; i++) {
		if (rets[i] < 0) {
			calls[i].err = errs[i];
			calls[i].ret = rets[i];
		} else {
			calls[i].ret = jd_parse_response(&calls[i], &rs[i]);
		}
		http_response_release(&rs[i]);
		if (calls[i].done)
			calls[i].done(&calls[i], calls[i].done_arg);
		free(a[i].body);
		free(a[i].url);
		free(a[i].raw_path);
		free(keys[i]);
	}
	free(keys);
	free(a);
	free(rq);
	free(rs);
	free(rets);
	free(errs);
}

int jd_call(json_t **out, struct jd_client *c, const char *service,
	    const char *op, const char *method, const char *region,
	    const char *path, const char *query, const json_t *body,
	    int idempotent, struct jd_error *jerr, struct err *e)
{
	struct jd_call call;

	memset(&call, 0, sizeof(call));
	call.service = service;
	call.op = op;
	call.method = method;
	call.region = region;
	call.path = path;
	call.query = query;
	call.body = body;
	call.idempotent = idempotent;
	jd_call_many(c, &call, 1);
	if (jerr)
		*jerr = call.jerr;
	if (call.ret < 0) {
		*e = call.err;
		return call.ret;
	}
	*out = call.result;
	return 0;
}
