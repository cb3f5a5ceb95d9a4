/*
 * tc.c: Tencent Cloud API 3.0 for the emulator: the envelope, TC3-HMAC-
 * SHA256 verification against the scope the client signed, parameters and
 * dispatch to the DCDB and billing actions.  See tc.h.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "emulator/tc.h"
#include "core/util/buf.h"
#include "core/util/hash.h"
#include "core/util/json.h"
#include "core/util/sig.h"
#include "core/util/util.h"
#include "providers/tencentcloud/tc3.h"

static const char *const versions[][2] = {
    {"dcdb", "2018-04-11"},
    {"billing", "2018-07-09"},
};

static void answer(struct tc_call *c, json_t *inner)
{
	char rid[37];
	char *s;

	emu_request_id(rid);
	json_object_set_new(inner, "RequestId", json_string(rid));
	s = json_dumps(inner, JSON_COMPACT);
	buf_reset(&c->resp->body);
	buf_printf(&c->resp->body, "{\"Response\":%s}", s);
	free(s);
	json_decref(inner);
	c->resp->status = 200; /* API errors travel in HTTP 200 too */
	c->resp->content_type = "application/json";
	c->answered = 1;
}

void tc_ok(struct tc_call *c, json_t *fields)
{
	answer(c, fields ? fields : json_object());
}

void tc_error(struct tc_call *c, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	answer(c, json_pack("{s:{s:s,s:s}}", "Error", "Code", code, "Message",
			    msg));
}

json_t *tc_world(struct emu *e, const char *key)
{
	json_t *t = json_object_get(e->world, "tencent"), *o;

	if (!json_is_object(t)) {
		t = json_object();
		json_object_set_new(e->world, "tencent", t);
	}
	o = json_object_get(t, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(t, key, o);
	}
	return o;
}

void tc_time(char out[20], int64_t ms)
{
	time_t t = (time_t)(ms / 1000) + 8 * 3600;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ---- parameters ---------------------------------------------------- */

int tc_int(struct tc_call *c, const char *name, int required, int64_t def,
	   int64_t *out)
{
	json_t *v = json_object_get(c->params, name);
	char *end;

	*out = def;
	if (!v || json_is_null(v)) {
		if (required) {
			tc_error(c, "MissingParameter",
				 "the request is missing a required parameter "
				 "`%s`",
				 name);
			return -1;
		}
		return 0;
	}
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && *json_string_value(v)) {
		long long x = strtoll(json_string_value(v), &end, 10);

		if (!*end) {
			*out = x;
			return 0;
		}
	}
	tc_error(c, "InvalidParameterValue",
		 "parameter `%s` must be an integer, got %s", name,
		 json_type_name(v));
	return -1;
}

int tc_str(struct tc_call *c, const char *name, int required, const char **out)
{
	json_t *v = json_object_get(c->params, name);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required) {
			tc_error(c, "MissingParameter",
				 "the request is missing a required parameter "
				 "`%s`",
				 name);
			return -1;
		}
		return 0;
	}
	if (!json_is_string(v)) {
		tc_error(c, "InvalidParameterValue",
			 "parameter `%s` must be a string, got %s", name,
			 json_type_name(v));
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int tc_strs(struct tc_call *c, const char *name, int required, json_t **out)
{
	json_t *v = json_object_get(c->params, name), *x;
	size_t i;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required) {
			tc_error(c, "MissingParameter",
				 "the request is missing a required parameter "
				 "`%s`",
				 name);
			return -1;
		}
		return 0;
	}
	if (!json_is_array(v))
		goto bad;
	json_array_foreach (v, i, x)
		if (!json_is_string(x))
			goto bad;
	*out = v;
	return 0;
bad:
	tc_error(c, "InvalidParameterValue",
		 "parameter `%s` must be an array of strings", name);
	return -1;
}

/* GET: "A.0=x&B.C=y" → {"A":["x"],"B":{"C":"y"}}. */
static int set_dotted(json_t *root, char *key, json_t *val)
{
	char *dot = strchr(key, '.');
	json_t *child;

	if (!dot) {
		if (json_is_array(root)) {
			char *end;
			long i = strtol(key, &end, 10);

			if (*end || i < 0 || i > 1000)
				goto bad;
			while ((long)json_array_size(root) <= i)
				json_array_append_new(root, json_null());
			json_array_set_new(root, (size_t)i, val);
			return 0;
		}
		return json_object_set_new(root, key, val) < 0 ? -1 : 0;
	}
	*dot = '\0';
	{
		int next_is_index = isdigit((unsigned char)dot[1]);

		if (json_is_array(root)) {
			char *end;
			long i = strtol(key, &end, 10);

			if (*end || i < 0 || i > 1000)
				goto bad;
			while ((long)json_array_size(root) <= i)
				json_array_append_new(root, json_null());
			child = json_array_get(root, (size_t)i);
			if (json_is_null(child)) {
				child = next_is_index ? json_array()
						      : json_object();
				json_array_set_new(root, (size_t)i, child);
			}
		} else {
			child = json_object_get(root, key);
			if (!child) {
				child = next_is_index ? json_array()
						      : json_object();
				/* Fails (and frees child) for a key that is
				 * not UTF-8. */
				if (json_object_set_new(root, key, child) < 0)
					goto bad;
			}
		}
	}
	if (!json_is_array(child) && !json_is_object(child))
		goto bad;
	return set_dotted(child, dot + 1, val);
bad:
	json_decref(val);
	return -1;
}

static int query_params(json_t **out, const char *q)
{
	json_t *root = json_object();
	const char *p = q;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		struct buf k = BUF_INIT, v = BUF_INIT;
		int bad = 0;

		if (len) {
			bad |= sig_url_decode(
				   &k, p, eq ? (size_t)(eq - p) : len, 1) < 0;
			if (eq)
				bad |= sig_url_decode(
					   &v, eq + 1,
					   len - (size_t)(eq + 1 - p), 1) < 0;
			if (!bad) {
				json_t *val =
				    json_stringn(v.ptr ? v.ptr : "", v.len);

				bad = !val || set_dotted(root, k.ptr, val) < 0;
			}
		}
		buf_release(&k);
		buf_release(&v);
		if (bad) {
			json_decref(root);
			return -1;
		}
		p = amp ? amp + 1 : NULL;
	}
	*out = root;
	return 0;
}

/* ---- TC3 verification --------------------------------------------- */

static int verify(struct tc_call *c)
{
	const struct emu_req *req = c->req;
	const char *auth = emu_req_header(req, "authorization");
	const char *ts_h = emu_req_header(req, "x-tc-timestamp");
	struct sig_auth a;
	struct sig_header *hs = NULL;
	size_t nh = 0, alloc = 0;
	char *names = NULL, *tok, *save = NULL, *p;
	struct buf cr = BUF_INIT;
	char hash[65], sig[65], date[11];
	const char *secret, *token, *unsigned_payload;
	int has_host = 0, has_ct = 0, ret = -1;
	int64_t ts, real_now, skew;
	char *end;

	memset(&a, 0, sizeof(a));
	if (!auth || !*auth) {
		tc_error(c, "AuthFailure.InvalidAuthorization",
			 "the Authorization header is missing");
		return -1;
	}
	if (sig_parse_authorization(&a, auth) < 0 || !a.credential ||
	    !a.signed_headers || !a.signature ||
	    strcmp(a.algorithm, TC3_ALGORITHM) || a.nscope != 3 ||
	    strcmp(a.scope[2], "tc3_request") || strlen(a.scope[0]) != 10) {
		tc_error(c, "AuthFailure.InvalidAuthorization",
			 "the Authorization header is not a valid "
			 "TC3-HMAC-SHA256 header");
		goto out;
	}
	snprintf(c->service, sizeof(c->service), "%s", a.scope[1]);
	c->account = emu_account_by_tc_secret_id(c->e, a.key_id);
	secret = json_get_str(json_object_get(c->account, "tencent"),
			      "secret_key", NULL);
	if (!c->account || !secret) {
		tc_error(c, "AuthFailure.SecretIdNotFound",
			 "the SecretId '%s' does not exist", a.key_id);
		goto out;
	}
	c->account_name = json_get_str(c->account, "name", "");
	if (!ts_h || (ts = strtoll(ts_h, &end, 10), *end) || ts <= 0) {
		tc_error(c, "MissingParameter",
			 "the X-TC-Timestamp header is missing or invalid");
		goto out;
	}
	real_now = (c->now - emu_time_offset()) / 1000;
	skew = json_get_int(json_object_get(c->e->config, "tencent"),
			    "max_skew_s", 300);
	if (ts < real_now - skew || ts > real_now + skew) {
		tc_error(c, "AuthFailure.SignatureExpire",
			 "the request timestamp %lld is more than %lld s away "
			 "from the server time %lld",
			 (long long)ts, (long long)skew, (long long)real_now);
		goto out;
	}
	tc3_date(date, ts);
	if (strcmp(date, a.scope[0])) {
		tc_error(c, "AuthFailure.SignatureFailure",
			 "the credential scope date %s does not match the "
			 "timestamp's date %s",
			 a.scope[0], date);
		goto out;
	}
	names = xstrdup(a.signed_headers);
	for (tok = strtok_r(names, ";", &save); tok;
	     tok = strtok_r(NULL, ";", &save)) {
		const char *v = emu_req_header(req, tok);

		for (p = tok; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!v) {
			tc_error(c, "AuthFailure.SignatureFailure",
				 "signed header '%s' is not in the request",
				 tok);
			goto out;
		}
		ALLOC_GROW(hs, nh + 1, alloc);
		hs[nh].name = tok;
		hs[nh].value = v;
		nh++;
		has_host |= !strcmp(tok, "host");
		has_ct |= !strcmp(tok, "content-type");
	}
	if (!has_host || !has_ct) {
		tc_error(c, "AuthFailure.SignatureFailure",
			 "SignedHeaders must include content-type and host");
		goto out;
	}
	unsigned_payload = emu_req_header(req, "x-tc-content-sha256");
	if (unsigned_payload && !strcmp(unsigned_payload, "UNSIGNED-PAYLOAD"))
		sha256_hex(hash, "UNSIGNED-PAYLOAD", 16);
	else
		sha256_hex(hash, req->body ? req->body : "", req->body_len);
	tc3_canonical_request(&cr, req->method, "/", req->query, hs, nh, hash,
			      NULL);
	tc3_signature(sig, secret, a.scope[0], a.scope[1], ts, cr.ptr);
	if (!str_equal_ct(sig, a.signature)) {
		tc_error(c, "AuthFailure.SignatureFailure",
			 "the request signature does not match; check the "
			 "SecretKey and the signing steps");
		goto out;
	}
	/* X-TC-Token (temporary credentials) is accepted as sent: the
	 * emulator has no STS, so any token goes with a valid key. */
	token = emu_req_header(req, "x-tc-token");
	(void)token;
	ret = 0;
out:
	free(names);
	free(hs);
	buf_release(&cr);
	sig_auth_release(&a);
	return ret;
}

/* Reject parameters the action does not define. */
static int check_params(struct tc_call *c, const char *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach (c->params, k, v) {
		const char *p = allowed;
		size_t n = strlen(k);
		int ok = 0;

		while (p && *p) {
			const char *sp = strchr(p, ' ');
			size_t len = sp ? (size_t)(sp - p) : strlen(p);

			if (len == n && !strncmp(p, k, n)) {
				ok = 1;
				break;
			}
			p = sp ? sp + 1 : NULL;
		}
		if (!ok) {
			tc_error(c, "UnknownParameter",
				 "the parameter `%s` is not defined for %s", k,
				 c->action);
			return -1;
		}
	}
	return 0;
}

/*
 * The documented per-second limit of the action for this account (config
 * tencent.rate_limits), answered as the cloud does.
 */
static int rate_limited(struct tc_call *c)
{
	const json_t *rl = json_object_get(
	    json_object_get(c->e->config, "tencent"), "rate_limits");
	char *name = xasprintf("%s.%s", c->service, c->action);
	char *key =
	    xasprintf("%s %s", c->account_name ? c->account_name : "", name);
	const json_t *v = json_object_get(rl, name);
	int limit, seen = 0, over;

	if (!json_is_integer(v))
		v = json_object_get(rl, "default");
	limit = json_is_integer(v) ? (int)json_integer_value(v) : 0;
	over = emu_rate_exceeded(c->e, key, limit, c->req->arrived_ms, &seen);
	free(key);
	free(name);
	if (over)
		tc_error(c, "RequestLimitExceeded",
			 "Your current request times equals to `%d` in a "
			 "second, which exceeds the frequency limit `%d` for "
			 "a second. Please reduce the frequency of calls.",
			 seen + 1, limit);
	return over;
}

void tc_handle(struct emu *e, const struct emu_req *req, struct emu_resp *resp)
{
	struct tc_call c;
	const char *version, *ct, *code = NULL, *want = NULL, *allowed = NULL;
	tc_action_fn fn = NULL;
	int http_status = 0, regional = 0;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.req = req;
	c.resp = resp;
	c.now = emu_now_ms();
	c.action = emu_req_header(req, "x-tc-action");
	version = emu_req_header(req, "x-tc-version");
	c.region = emu_req_header(req, "x-tc-region");
	if (!c.region)
		c.region = "";

	if (strcmp(req->method, "POST") && strcmp(req->method, "GET")) {
		tc_error(&c, "UnsupportedProtocol",
			 "method %s is not supported; use POST or GET",
			 req->method);
		return;
	}
	if (!c.action || !*c.action) {
		tc_error(&c, "MissingParameter",
			 "the X-TC-Action header is missing");
		return;
	}
	if (verify(&c) < 0)
		goto out;
	for (i = 0; i < ARRAY_SIZE(versions); i++)
		if (!strcmp(versions[i][0], c.service))
			want = versions[i][1];
	if (!want) {
		tc_error(&c, "NoSuchProduct",
			 "the service '%s' of the credential scope is not "
			 "available here (dcdb, billing)",
			 c.service);
		goto out;
	}
	if (!version || strcmp(version, want)) {
		tc_error(&c, "NoSuchVersion",
			 "version '%s' of %s does not exist; use %s",
			 version ? version : "", c.service, want);
		goto out;
	}
	if (!strcmp(c.service, "dcdb"))
		fn = tc_dcdb_action(c.action, &allowed, &regional);
	else
		fn = tc_billing_action(c.action, &allowed);
	emu_stats_count(e, c.service, c.action);
	if (!fn) {
		tc_error(&c, "InvalidAction",
			 "the action %s of %s does not exist", c.action,
			 c.service);
		goto out;
	}
	if (rate_limited(&c))
		goto out;
	if (emu_faults_eval(e, c.service, c.action, resp, &code,
			    &http_status)) {
		tc_error(&c, code ? code : "InternalError",
			 "injected by the emulator's fault rules");
		goto out;
	}
	if (regional && !*c.region) {
		tc_error(&c, "MissingParameter",
			 "the X-TC-Region header is required for %s", c.action);
		goto out;
	}
	ct = emu_req_header(req, "content-type");
	if (!strcmp(req->method, "POST")) {
		json_error_t je;

		if (!ct || strncasecmp(ct, "application/json", 16)) {
			tc_error(&c, "InvalidParameter",
				 "POST bodies must be application/json");
			goto out;
		}
		c.params = req->body_len
			       ? json_loadb(req->body, req->body_len, 0, &je)
			       : json_object();
		if (!json_is_object(c.params)) {
			tc_error(&c, "InvalidParameter",
				 "the body is not a JSON object");
			goto out;
		}
	} else if (query_params(&c.params, req->query) < 0) {
		tc_error(&c, "InvalidParameter",
			 "the query string is malformed");
		goto out;
	}
	if (check_params(&c, allowed) < 0)
		goto out;
	if (!strcmp(c.service, "dcdb") || !strcmp(c.action, "PayDeals"))
		tc_dcdb_advance(e, c.now);
	fn(&c);
	if (!c.answered)
		tc_error(&c, "InternalError", "no answer");
out:
	json_decref(c.params);
}
