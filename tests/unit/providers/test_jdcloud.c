/*
 * The JD Cloud provider: its pure helpers (query encoding, the token in
 * descriptions, amounts, error classes, step expansion), then the client
 * and the resource types against dcform-emulator (--manual): retry
 * classes, batched reads, every type's create/modify/delete steps, the
 * connection's purchase flow, adoption after a repeated create, and the
 * BGP key kept out of everything the provider hands back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/http/http.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "providers/jdcloud/jdcloud.h"
#include "tests/lib/emuproc.h"

#define REGION "cn-north-1"
#define SECRET "bgp-Key-For-Unit-Test-77"

/* ---- pure helpers ------------------------------------------------------ */

static void test_jd__query(void **state)
{
	struct buf q = BUF_INIT;
	json_t *v = json_pack("[s,s,i]", "dc-a b", "x:y", 3);

	(void)state;
	jd_query_add(&q, "pageSize", "100");
	jd_query_filter(&q, 1, "connectionIds", v);
	assert_string_equal(q.ptr,
			    "pageSize=100&filters.1.name=connectionIds&"
			    "filters.1.values.1=dc-a%20b&filters.1.values.2="
			    "x%3Ay");
	json_decref(v);
	buf_release(&q);
}

static void test_jd__token_in_description(void **state)
{
	char tok[64];
	char *s, *u;

	(void)state;
	s = jd_desc_with_token("primary line", "dcf-0123");
	assert_string_equal(s, "primary line [dcf-0123]");
	u = jd_desc_user(s, tok);
	assert_string_equal(u, "primary line");
	assert_string_equal(tok, "dcf-0123");
	free(s);
	free(u);
	s = jd_desc_with_token(NULL, "dcf-9");
	assert_string_equal(s, "[dcf-9]");
	u = jd_desc_user(s, tok);
	assert_string_equal(u, "");
	assert_string_equal(tok, "dcf-9");
	free(s);
	free(u);
	/* Brackets that are not a token stay the user's. */
	u = jd_desc_user("racks [a] and [b]", tok);
	assert_string_equal(u, "racks [a] and [b]");
	assert_string_equal(tok, "");
	free(u);
	u = jd_desc_user("", NULL);
	assert_string_equal(u, "");
	free(u);
}

static void test_jd__amounts_and_errors(void **state)
{
	(void)state;
	assert_int_equal(jd_yuan_to_fen("100000.00"), 10000000);
	assert_int_equal(jd_yuan_to_fen("12.5"), 1250);
	assert_int_equal(jd_yuan_to_fen("7"), 700);
	assert_int_equal(jd_yuan_to_fen("-3.07"), -307);
	assert_int_equal(jd_yuan_to_fen(NULL), 0);
	assert_int_equal(jd_error_code("NOT_FOUND", 404), DCF_ENOTFOUND);
	assert_int_equal(jd_error_code("UNAUTHENTICATED", 401), DCF_EAUTH);
	assert_int_equal(jd_error_code("HTTP_FORBIDDEN", 403), DCF_EAUTH);
	assert_int_equal(jd_error_code("RATE_LIMIT", 429), DCF_ERATELIMIT);
	assert_int_equal(jd_error_code("QUOTA_EXCEEDED", 429), DCF_EPROVIDER);
	assert_int_equal(jd_error_code("ALREADY_EXISTS", 409), DCF_EEXISTS);
	assert_int_equal(jd_error_code("FAILED_PRECONDITION", 400),
			 DCF_EPROVIDER);
}

static json_t *kinds_of(const json_t *steps)
{
	json_t *k = json_array(), *s;
	size_t i;

	json_array_foreach (steps, i, s)
		json_array_append_new(k,
				      json_string(json_get_str(s, "kind", "")));
	return k;
}

static void assert_kinds(const json_t *steps, const char *want)
{
	json_t *k = kinds_of(steps);
	char *got = json_dumps(k, JSON_COMPACT);

	assert_string_equal(got, want);
	free(got);
	json_decref(k);
}

static void test_jd__expand(void **state)
{
	json_t *d =
	    json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:i}}", "name", "x", "type",
		      "jcloud_hosted", "location", "port_spec_code",
		      "1000Base-LX", "rental", "unit", "month", "span", 1);
	json_t *cur = json_pack("{s:s,s:s}", "id", "dc-1", "name", "y");
	json_t *chg = json_pack("[s]", "name");
	json_t *none = json_array();
	json_t *steps = NULL;
	struct change c;
	struct err e = ERR_INIT;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.address = "line";
	c.type = "jdcloud_dc_connection";
	c.region = REGION;
	c.action = CHANGE_CREATE;
	c.desired = d;
	assert_int_equal(jdcloud_dc_connection_type.expand(&c, &steps, &e), 0);
	assert_kinds(steps, "[\"create\",\"wait\",\"pay\",\"wait\",\"confirm\","
			    "\"wait\"]");
	assert_string_equal(
	    json_get_str(json_array_get(steps, 1), "timeout_class", ""),
	    "review");
	assert_string_equal(
	    json_get_str(json_array_get(steps, 3), "timeout_class", ""),
	    "construction");
	assert_true(json_get_bool(json_array_get(steps, 2), "side_effect", 0));
	json_decref(steps);

	c.action = CHANGE_UPDATE;
	c.current = cur;
	c.changed = chg;
	assert_int_equal(jdcloud_dc_connection_type.expand(&c, &steps, &e), 0);
	assert_kinds(steps, "[\"update\"]");
	json_decref(steps);
	c.changed = none;
	assert_int_equal(jdcloud_dc_connection_type.expand(&c, &steps, &e), 0);
	assert_kinds(steps, "[\"update\"]");
	assert_string_equal(json_get_str(json_array_get(steps, 0), "title", ""),
			    "read the connection back");
	json_decref(steps);

	c.action = CHANGE_DELETE;
	c.desired = NULL;
	assert_int_equal(jdcloud_dc_connection_type.expand(&c, &steps, &e), 0);
	assert_kinds(steps, "[\"delete\",\"wait\"]");
	json_decref(steps);

	c.action = CHANGE_CREATE;
	c.desired = d;
	assert_int_equal(jdcloud_dc_private_vif_type.expand(&c, &steps, &e), 0);
	assert_kinds(steps, "[\"create\",\"wait\"]");
	json_decref(steps);
	assert_int_equal(jdcloud_dc_bgw_type.expand(&c, &steps, &e), 0);
	assert_kinds(steps, "[\"create\",\"read\"]");
	json_decref(steps);
	json_decref(d);
	json_decref(cur);
	json_decref(chg);
	json_decref(none);
}

static void test_jd__config_needs_credentials(void **state)
{
	struct jd_config c;
	struct err e = ERR_INIT;
	char *ak = getenv("JDCLOUD_ACCESS_KEY")
		       ? xstrdup(getenv("JDCLOUD_ACCESS_KEY"))
		       : NULL;

	(void)state;
	unsetenv("JDCLOUD_ACCESS_KEY");
	assert_int_equal(jd_config_load(&c, NULL, &e), DCF_EAUTH);
	assert_non_null(strstr(e.msg, "JDCLOUD_ACCESS_KEY"));
	setenv("JDCLOUD_ACCESS_KEY", "a", 1);
	setenv("JDCLOUD_SECRET_KEY", "s", 1);
	{
		json_t *b =
		    json_pack("{s:s,s:s}", "endpoint", "http://10.1.2.3:80",
			      "region", "cn-north-1");

		/* Plain http only to loopback. */
		err_clear(&e);
		assert_true(jd_config_load(&c, b, &e) < 0);
		assert_non_null(strstr(e.msg, "endpoint"));
		json_decref(b);
		/* A region is needed. */
		unsetenv("JDCLOUD_REGION");
		err_clear(&e);
		assert_int_equal(jd_config_load(&c, NULL, &e), DCF_EINVALID);
		assert_non_null(strstr(e.msg, "JDCLOUD_REGION"));
		b = json_pack("{s:s,s:s}", "endpoint", "http://127.0.0.1:9/",
			      "region", "cn-east-2");
		assert_int_equal(jd_config_load(&c, b, &e), 0);
		assert_string_equal(c.endpoint, "http://127.0.0.1:9");
		assert_string_equal(c.region, "cn-east-2");
		jd_config_release(&c);
		json_decref(b);
	}
	if (ak) {
		setenv("JDCLOUD_ACCESS_KEY", ak, 1);
		free(ak);
	} else {
		unsetenv("JDCLOUD_ACCESS_KEY");
	}
}

/* ---- against the emulator ------------------------------------------------ */

struct fx {
	struct emuproc emu;
	struct http_engine *http;
	void *ctx;
};

static int setup(void **state)
{
	static const char *const args[] = {"--manual", NULL};
	struct fx *f = xcalloc(1, sizeof(*f));
	struct http_options o;
	struct err e = ERR_INIT;
	json_t *block;

	if (emuproc_start(&f->emu, args) < 0) {
		free(f);
		return -1;
	}
	/* The demo account of the emulator (docs/emulator.md). */
	setenv("JDCLOUD_ACCESS_KEY", "JDCDEMOACCESSKEY00001", 1);
	setenv("JDCLOUD_SECRET_KEY", "JDCDEMOSECRETKEY00001", 1);
	memset(&o, 0, sizeof(o));
	o.backoff_ms = 5;
	o.backoff_max_ms = 20;
	if (http_engine_new(&f->http, &o, &e) < 0)
		return -1;
	block =
	    json_pack("{s:s,s:s}", "region", REGION, "endpoint", f->emu.url);
	if (jdcloud_provider.configure(&f->ctx, block, f->http, &e) < 0) {
		fprintf(stderr, "configure: %s\n", e.msg);
		json_decref(block);
		return -1;
	}
	json_decref(block);
	/* Enough for a year of 10G port rental. */
	emuproc_admin(NULL, &f->emu, "POST", "/_emulator/accounts/demo",
		      "{\"jd_balance_fen\":100000000}");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	jdcloud_provider.free(f->ctx);
	http_engine_free(f->http);
	rc = emuproc_stop(&f->emu);
	free(f);
	return rc == 0 ? 0 : -1;
}

static long long stat_of(struct fx *f, const char *op)
{
	json_t *s = NULL;
	long long n;

	assert_int_equal(
	    emuproc_admin(&s, &f->emu, "GET", "/_emulator/stats", NULL), 200);
	n = (long long)json_get_int(json_object_get(s, "requests"), op, 0);
	json_decref(s);
	return n;
}

static void fault(struct fx *f, const char *rule)
{
	assert_int_equal(
	    emuproc_admin(NULL, &f->emu, "POST", "/_emulator/faults", rule),
	    200);
}

static void advance(struct fx *f, int ms)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"ms\":%d}", ms);
	assert_int_equal(emuproc_admin(NULL, &f->emu, "POST",
				       "/_emulator/time/advance", body),
			 200);
}

struct run {
	json_t *data;
	char *id;
	json_t *attrs;
	char status[128];
	char code[128];
	struct err e;
};

/* Run one step op of type rt; returns run_step's result. */
static int step(struct fx *f, const struct resource_type *rt, struct run *r,
		const char *kind, const char *op, const json_t *desired,
		const json_t *current, const char *token)
{
	struct step_run run;
	json_t *st = jd_step(kind, "t", 1, "create", op);
	int ret;

	memset(&run, 0, sizeof(run));
	if (!r->data)
		r->data = json_object();
	run.address = "x";
	run.region = REGION;
	run.token = token ? token : "";
	run.step = st;
	run.desired = desired;
	run.current = current;
	run.data = r->data;
	err_clear(&r->e);
	ret = rt->run_step(f->ctx, &run, &r->e);
	if (run.id) {
		free(r->id);
		r->id = run.id;
	}
	if (run.attributes) {
		json_decref(r->attrs);
		r->attrs = run.attributes;
	}
	snprintf(r->status, sizeof(r->status), "%s", run.status);
	snprintf(r->code, sizeof(r->code), "%s", run.cloud_code);
	json_decref(st);
	return ret;
}

static void run_release(struct run *r)
{
	json_decref(r->data);
	json_decref(r->attrs);
	free(r->id);
	memset(r, 0, sizeof(*r));
}

static void assert_no_secret(const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (s)
		assert_null(strstr(s, SECRET));
	free(s);
}

static json_t *conn_props(const char *name);

static void test_jd__preflight(void **state)
{
	struct fx *f = *state;
	struct err e = ERR_INIT;
	json_t *out = NULL;

	assert_int_equal(jdcloud_provider.preflight(f->ctx, 1500000, &out, &e),
			 0);
	assert_true(json_get_bool(json_array_get(out, 0), "ok", 0));
	assert_int_equal(
	    json_get_int(json_object_get(json_array_get(out, 0), "details"),
			 "balance_fen", 0),
	    100000000);
	json_decref(out);
	/* More than the balance. */
	assert_int_equal(jdcloud_provider.preflight(f->ctx, 99999000, &out, &e),
			 0);
	assert_false(json_get_bool(json_array_get(out, 0), "ok", 1));
	json_decref(out);
	assert_string_equal(jdcloud_provider.region(f->ctx), REGION);
}

/* Quoting a connection checks its access point, port and ISP; preflight
 * reports them as the "location" check. */
static void test_jd__location_check(void **state)
{
	struct fx *f = *state;
	json_t *d = conn_props("loc-1"), *q = NULL, *out = NULL, *ck;
	struct change c;
	struct err e = ERR_INIT;
	size_t i;
	int seen = 0;

	memset(&c, 0, sizeof(c));
	c.address = "line";
	c.type = "jdcloud_dc_connection";
	c.region = REGION;
	c.action = CHANGE_CREATE;
	c.desired = d;
	assert_int_equal(jdcloud_dc_connection_type.quote(f->ctx, &c, &q, &e),
			 0);
	assert_int_equal(json_get_int(q, "upfront_fen", 0), 1500000);
	json_decref(q);
	json_object_set_new(json_object_get(d, "location"), "isp_code",
			    json_string("NOSUCHISP"));
	assert_int_equal(jdcloud_dc_connection_type.quote(f->ctx, &c, &q, &e),
			 0);
	json_decref(q);
	assert_int_equal(jdcloud_provider.preflight(f->ctx, 3000000, &out, &e),
			 0);
	json_array_foreach (out, i, ck) {
		if (strcmp(json_get_str(ck, "check", ""), "location"))
			continue;
		seen = 1;
		assert_false(json_get_bool(ck, "ok", 1));
		assert_non_null(
		    strstr(json_get_str(ck, "message", ""), "NOSUCHISP"));
	}
	assert_true(seen);
	json_decref(out);
	/* Cleared once reported. */
	assert_int_equal(jdcloud_provider.preflight(f->ctx, 0, &out, &e), 0);
	assert_int_equal(json_array_size(out), 1);
	json_decref(out);
	json_decref(d);
}

/* Which failures are repeated: reads on 5xx, any call on RATE_LIMIT and
 * ABORTED, no write on 5xx, nothing on QUOTA_EXCEEDED. */
static void test_jd__retry_classes(void **state)
{
	struct fx *f = *state;
	json_t *res = NULL;
	struct jd_error je;
	struct err e = ERR_INIT;
	long long n;
	int ret;

	n = stat_of(f, "bgw.describeBgws");
	fault(f, "{\"service\":\"bgw\",\"action\":\"describeBgws\",\"kind\":"
		 "\"error\",\"code\":\"UNAVAILABLE\",\"http_status\":503,"
		 "\"count\":2}");
	ret = jd_call(&res, jd_cl(f->ctx), "bgw", "describeBgws", "GET", REGION,
		      "/bgws/", NULL, NULL, 1, &je, &e);
	assert_int_equal(ret, 0);
	json_decref(res);
	assert_int_equal(stat_of(f, "bgw.describeBgws"), n + 3);

	/* A write answered 503 may have happened: not repeated. */
	n = stat_of(f, "bgw.createBgw");
	fault(f, "{\"service\":\"bgw\",\"action\":\"createBgw\",\"kind\":"
		 "\"error\",\"code\":\"UNAVAILABLE\",\"http_status\":503,"
		 "\"count\":1}");
	{
		json_t *b = json_pack("{s:{s:s}}", "bgwSpec", "bgwName", "r1");

		ret = jd_call(&res, jd_cl(f->ctx), "bgw", "createBgw", "POST",
			      REGION, "/bgws/", NULL, b, 0, &je, &e);
		assert_int_equal(ret, DCF_EPROVIDER);
		assert_string_equal(je.status, "UNAVAILABLE");
		assert_int_equal(je.http_status, 503);
		assert_true(strlen(je.request_id) > 0);
		assert_non_null(strstr(e.msg, "createBgw"));
		assert_int_equal(stat_of(f, "bgw.createBgw"), n + 1);

		/* RATE_LIMIT and ABORTED are refusals: repeated even for a
		 * write. */
		fault(f, "[{\"service\":\"bgw\",\"action\":\"createBgw\","
			 "\"kind\":\"error\",\"code\":\"RATE_LIMIT\","
			 "\"count\":1},{\"service\":\"bgw\",\"action\":"
			 "\"createBgw\",\"kind\":\"error\",\"code\":"
			 "\"ABORTED\",\"http_status\":409,\"count\":1}]");
		err_clear(&e);
		ret = jd_call(&res, jd_cl(f->ctx), "bgw", "createBgw", "POST",
			      REGION, "/bgws/", NULL, b, 0, &je, &e);
		assert_int_equal(ret, 0);
		assert_non_null(json_get_str(res, "bgwId", NULL));
		json_decref(res);
		assert_int_equal(stat_of(f, "bgw.createBgw"), n + 4);
		json_decref(b);
	}

	/* QUOTA_EXCEEDED is final even for a read. */
	n = stat_of(f, "bgw.describeBgws");
	fault(f, "{\"service\":\"bgw\",\"action\":\"describeBgws\",\"kind\":"
		 "\"error\",\"code\":\"QUOTA_EXCEEDED\",\"http_status\":429,"
		 "\"count\":1}");
	ret = jd_call(&res, jd_cl(f->ctx), "bgw", "describeBgws", "GET", REGION,
		      "/bgws/", NULL, NULL, 1, &je, &e);
	assert_int_equal(ret, DCF_EPROVIDER);
	assert_string_equal(je.status, "QUOTA_EXCEEDED");
	assert_int_equal(stat_of(f, "bgw.describeBgws"), n + 1);

	/* Unknown ids are 404 NOT_FOUND. */
	ret =
	    jd_call(&res, jd_cl(f->ctx), "bgw", "describeConnection", "GET",
		    REGION, "/connections/dc-nosuch00", NULL, NULL, 1, &je, &e);
	assert_int_equal(ret, DCF_ENOTFOUND);
	emuproc_admin(NULL, &f->emu, "DELETE", "/_emulator/faults", NULL);
}

static json_t *conn_props(const char *name)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:{s:s,s:i,s:b},s:s,"
			 "s:s,s:s,s:s}",
			 "name", name, "type", "jcloud", "location", "code",
			 "BJ-HD", "port_spec_code", "10GBase-LR", "isp_code",
			 "CT", "rental", "unit", "year", "span", 1,
			 "auto_renew", 1, "description", "line one",
			 "idc_address", "Room 1", "contact_name", "ops",
			 "phone_number", "13800138000");
}

/* A connection bought through every step, as apply would run them. */
static char *buy_connection(struct fx *f, struct run *r, const json_t *d,
			    const char *token)
{
	const struct resource_type *rt = &jdcloud_dc_connection_type;
	char path[128];

	assert_int_equal(step(f, rt, r, "create", "create", d, NULL, token),
			 STEP_DONE);
	assert_non_null(r->id);
	assert_int_equal(step(f, rt, r, "wait", "wait_review", d, NULL, token),
			 STEP_IN_PROGRESS);
	assert_string_equal(json_get_str(r->attrs, "status", ""), "Ordering");
	/* Paying before review is refused, not attempted. */
	assert_true(step(f, rt, r, "pay", "pay_installation", d, NULL, token) <
		    0);
	snprintf(path, sizeof(path),
		 "/_emulator/jdcloud/connections/%s/approve", r->id);
	assert_int_equal(emuproc_admin(NULL, &f->emu, "POST", path, NULL), 200);
	assert_int_equal(step(f, rt, r, "wait", "wait_review", d, NULL, token),
			 STEP_DONE);
	assert_non_null(json_get_str(r->data, "installation_order", NULL));
	assert_int_equal(
	    step(f, rt, r, "pay", "pay_installation", d, NULL, token),
	    STEP_DONE);
	/* Again (a crash before the result was recorded): no new payment. */
	assert_int_equal(
	    step(f, rt, r, "pay", "pay_installation", d, NULL, token),
	    STEP_DONE);
	assert_int_equal(
	    step(f, rt, r, "wait", "wait_construction", d, NULL, token),
	    STEP_IN_PROGRESS);
	snprintf(path, sizeof(path),
		 "/_emulator/jdcloud/connections/%s/complete", r->id);
	assert_int_equal(emuproc_admin(NULL, &f->emu, "POST", path, NULL), 200);
	assert_int_equal(
	    step(f, rt, r, "wait", "wait_construction", d, NULL, token),
	    STEP_DONE);
	assert_int_equal(step(f, rt, r, "confirm", "confirm", d, NULL, token),
			 STEP_DONE);
	assert_int_equal(step(f, rt, r, "confirm", "confirm", d, NULL, token),
			 STEP_DONE);
	assert_int_equal(step(f, rt, r, "wait", "wait_active", d, NULL, token),
			 STEP_DONE);
	assert_string_equal(json_get_str(r->attrs, "status", ""), "Active");
	return xstrdup(r->id);
}

static void test_jd__connection_flow(void **state)
{
	struct fx *f = *state;
	const struct resource_type *rt = &jdcloud_dc_connection_type;
	json_t *d = conn_props("flow-1"), *got = NULL, *ids, *a, *led = NULL;
	struct run r;
	struct err e = ERR_INIT;
	char *id, *fid = NULL;
	long long pays;

	memset(&r, 0, sizeof(r));
	id = buy_connection(f, &r, d, "dcf-flowtoken1");
	pays = stat_of(f, "order.payOrder");
	assert_int_equal(pays, 2);
	assert_int_equal(emuproc_admin(&led, &f->emu, "GET",
				       "/_emulator/ledger?cloud=jdcloud&kind="
				       "payment",
				       NULL),
			 200);
	assert_int_equal(json_get_int(led, "total", 0), 2);
	json_decref(led);

	/* Attributes in property space, the token not among them. */
	assert_string_equal(json_get_str(r.attrs, "description", ""),
			    "line one");
	assert_string_equal(json_get_str(json_object_get(r.attrs, "location"),
					 "port_spec_code", ""),
			    "10GBase-LR");
	assert_int_equal(json_get_int(r.attrs, "bandwidth_mbps", 0), 10000);

	/* find_by_token and read_many. */
	a = NULL;
	assert_int_equal(
	    rt->find_by_token(f->ctx, REGION, "dcf-flowtoken1", &fid, &a, &e),
	    0);
	assert_string_equal(fid, id);
	json_decref(a);
	free(fid);
	assert_int_equal(
	    rt->find_by_token(f->ctx, REGION, "dcf-other", &fid, &a, &e),
	    DCF_ENOTFOUND);
	ids = json_pack("[s,s]", id, "dc-nosuch00");
	assert_int_equal(rt->read_many(f->ctx, REGION, ids, &got, &e), 0);
	assert_int_equal(json_object_size(got), 1);
	assert_string_equal(
	    json_get_str(json_object_get(got, id), "status", ""), "Active");
	json_decref(got);
	json_decref(ids);

	/* Rename and a new description: the token stays. */
	json_object_set_new(d, "name", json_string("flow-1b"));
	json_object_set_new(d, "description", json_string("renamed"));
	assert_int_equal(step(f, rt, &r, "update", "update", d, r.attrs, NULL),
			 STEP_DONE);
	assert_string_equal(json_get_str(r.attrs, "name", ""), "flow-1b");
	assert_string_equal(json_get_str(r.attrs, "description", ""),
			    "renamed");
	assert_int_equal(
	    rt->find_by_token(f->ctx, REGION, "dcf-flowtoken1", &fid, &a, &e),
	    0);
	json_decref(a);
	free(fid);

	/* Resize: down applies at once, up makes an order paid once. */
	json_object_set_new(json_object_get(d, "location"), "port_spec_code",
			    json_string("1000Base-LX"));
	assert_int_equal(step(f, rt, &r, "update", "update", d, r.attrs, NULL),
			 STEP_DONE);
	assert_string_equal(json_get_str(json_object_get(r.attrs, "location"),
					 "port_spec_code", ""),
			    "1000Base-LX");
	assert_int_equal(stat_of(f, "order.payOrder"), pays);
	json_object_set_new(json_object_get(d, "location"), "port_spec_code",
			    json_string("10GBase-LR"));
	assert_int_equal(step(f, rt, &r, "update", "update", d, r.attrs, NULL),
			 STEP_DONE);
	assert_string_equal(json_get_str(json_object_get(r.attrs, "location"),
					 "port_spec_code", ""),
			    "10GBase-LR");
	assert_int_equal(stat_of(f, "order.payOrder"), pays + 1);
	assert_int_equal(step(f, rt, &r, "update", "update", d, r.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(stat_of(f, "order.payOrder"), pays + 1);
	pays++;

	/* Import. */
	assert_int_equal(rt->import(f->ctx, REGION, id, &a, &e), 0);
	assert_string_equal(json_get_str(a, "name", ""), "flow-1b");
	json_decref(a);
	assert_int_equal(rt->import(f->ctx, REGION, "dc-nosuch00", &a, &e),
			 DCF_ENOTFOUND);

	/* Delete: Deleting, then Deleted; gone for read_many. */
	assert_int_equal(
	    step(f, rt, &r, "delete", "delete", NULL, r.attrs, NULL),
	    STEP_DONE);
	assert_int_equal(
	    step(f, rt, &r, "wait", "wait_deleted", NULL, r.attrs, NULL),
	    STEP_IN_PROGRESS);
	advance(f, 5000);
	assert_int_equal(
	    step(f, rt, &r, "wait", "wait_deleted", NULL, r.attrs, NULL),
	    STEP_DONE);
	ids = json_pack("[s]", id);
	assert_int_equal(rt->read_many(f->ctx, REGION, ids, &got, &e), 0);
	assert_int_equal(json_object_size(got), 0);
	json_decref(got);
	json_decref(ids);
	assert_int_equal(stat_of(f, "order.payOrder"), pays);
	free(id);
	run_release(&r);
	json_decref(d);
}

static void test_jd__network_objects(void **state)
{
	struct fx *f = *state;
	json_t *cd = conn_props("net-1"), *d, *got = NULL, *ids;
	struct run rc, rb, rv, ra, ra2, rr, rr2;
	struct err e = ERR_INIT;
	char *conn, *bgw, *vif, *att, *route, *s;

	memset(&rc, 0, sizeof(rc));
	memset(&rb, 0, sizeof(rb));
	memset(&rv, 0, sizeof(rv));
	memset(&ra, 0, sizeof(ra));
	memset(&ra2, 0, sizeof(ra2));
	memset(&rr, 0, sizeof(rr));
	memset(&rr2, 0, sizeof(rr2));
	conn = buy_connection(f, &rc, cd, "dcf-net1");

	/* BGW */
	d = json_pack("{s:s,s:s}", "name", "gw-1", "description", "edge");
	assert_int_equal(step(f, &jdcloud_dc_bgw_type, &rb, "create", "create",
			      d, NULL, "dcf-gw1"),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_bgw_type, &rb, "read", "read", d,
			      NULL, "dcf-gw1"),
			 STEP_DONE);
	bgw = xstrdup(rb.id);
	assert_string_equal(json_get_str(rb.attrs, "description", ""), "edge");
	assert_string_equal(json_get_str(rb.attrs, "az_type", ""), "standard");
	{
		char *fid = NULL;
		json_t *a = NULL;

		assert_int_equal(jdcloud_dc_bgw_type.find_by_token(
				     f->ctx, REGION, "dcf-gw1", &fid, &a, &e),
				 0);
		assert_string_equal(fid, bgw);
		free(fid);
		json_decref(a);
	}
	json_object_set_new(d, "name", json_string("gw-1b"));
	assert_int_equal(step(f, &jdcloud_dc_bgw_type, &rb, "update", "modify",
			      d, rb.attrs, NULL),
			 STEP_DONE);
	assert_string_equal(json_get_str(rb.attrs, "name", ""), "gw-1b");
	json_decref(d);

	/* Private VIF with BGP and BFD; the key never comes back. */
	d = json_pack("{s:s,s:s,s:s,s:i,s:[{s:s,s:s}],s:{s:i,s:s},"
		      "s:{s:s,s:{s:i,s:i,s:i}}}",
		      "name", "vif-1", "connection_id", conn, "bgw_id", bgw,
		      "vlan", 100, "peer_ips", "customer_ip", "10.9.0.1/30",
		      "jd_cloud_ip", "10.9.0.2/30", "bgp", "customer_asn",
		      65010, "auth_key", SECRET, "health_check", "type", "BFD",
		      "bfd", "min_tx_interval", 300, "min_rx_interval", 300,
		      "detect_multiplier", 3);
	assert_int_equal(step(f, &jdcloud_dc_private_vif_type, &rv, "create",
			      "create", d, NULL, "dcf-vif1"),
			 STEP_DONE);
	vif = xstrdup(rv.id);
	assert_int_equal(step(f, &jdcloud_dc_private_vif_type, &rv, "wait",
			      "wait_active", d, NULL, "dcf-vif1"),
			 STEP_IN_PROGRESS);
	advance(f, 3000);
	assert_int_equal(step(f, &jdcloud_dc_private_vif_type, &rv, "wait",
			      "wait_active", d, NULL, "dcf-vif1"),
			 STEP_DONE);
	assert_string_equal(json_get_str(rv.attrs, "status", ""), "Active");
	assert_int_equal(json_get_int(rv.attrs, "jd_cloud_asn", 0), 64512);
	assert_string_equal(json_get_str(rv.attrs, "bgp_status", ""), "Up");
	assert_int_equal(
	    json_get_int(json_object_get(
			     json_object_get(rv.attrs, "health_check"), "bfd"),
			 "min_tx_interval", 0),
	    300);
	assert_no_secret(rv.attrs);
	assert_no_secret(rv.data);
	ids = json_pack("[s]", vif);
	assert_int_equal(jdcloud_dc_private_vif_type.read_many(f->ctx, REGION,
							       ids, &got, &e),
			 0);
	assert_no_secret(got);
	assert_int_equal(json_object_size(got), 1);
	json_decref(got);
	json_decref(ids);
	json_object_set_new(d, "description", json_string("now described"));
	assert_int_equal(step(f, &jdcloud_dc_private_vif_type, &rv, "update",
			      "modify", d, rv.attrs, NULL),
			 STEP_DONE);
	assert_string_equal(json_get_str(rv.attrs, "description", ""),
			    "now described");
	json_decref(d);

	/* VPC attachment; a repeated create adopts the same attachment. */
	d = json_pack("{s:s,s:s,s:s,s:s}", "name", "att-1", "vpc_id",
		      "vpc-aaaa1111", "bgw_id", bgw, "propagate_type", "all");
	assert_int_equal(step(f, &jdcloud_dc_vpc_attachment_type, &ra, "create",
			      "create", d, NULL, "dcf-att1"),
			 STEP_DONE);
	att = xstrdup(ra.id);
	assert_int_equal(step(f, &jdcloud_dc_vpc_attachment_type, &ra2,
			      "create", "create", d, NULL, "dcf-att1"),
			 STEP_DONE);
	assert_string_equal(ra2.id, att);
	{
		/* Attached under another name: not ours, the error stands. */
		struct run rx;
		json_t *d2 = json_deep_copy(d);

		memset(&rx, 0, sizeof(rx));
		json_object_set_new(d2, "name", json_string("att-other"));
		assert_int_equal(step(f, &jdcloud_dc_vpc_attachment_type, &rx,
				      "create", "create", d2, NULL, "dcf-x"),
				 DCF_EEXISTS);
		assert_string_equal(rx.code, "ALREADY_EXISTS");
		assert_null(rx.id);
		run_release(&rx);
		json_decref(d2);
	}
	assert_int_equal(step(f, &jdcloud_dc_vpc_attachment_type, &ra, "read",
			      "read", d, NULL, NULL),
			 STEP_DONE);
	assert_string_equal(json_get_str(ra.attrs, "status", ""), "active");
	json_object_set_new(d, "propagate_type", json_string("partial"));
	json_object_set_new(d, "subnet_ids", json_pack("[s]", "subnet-b1"));
	assert_int_equal(step(f, &jdcloud_dc_vpc_attachment_type, &ra, "update",
			      "modify", d, ra.attrs, NULL),
			 STEP_DONE);
	s = json_dumps(json_object_get(ra.attrs, "subnet_ids"), JSON_COMPACT);
	assert_string_equal(s, "[\"subnet-b1\"]");
	free(s);
	json_decref(d);

	/* Route to the VIF; adoption on a repeated create; read by id. */
	d = json_pack("{s:s,s:s,s:s,s:s,s:s}", "bgw_id", bgw, "destination",
		      "192.168.0.0/16", "nexthop_type", "private_vif",
		      "nexthop_id", vif, "description", "to the IDC");
	assert_int_equal(step(f, &jdcloud_dc_bgw_route_type, &rr, "create",
			      "create", d, NULL, "dcf-rt1"),
			 STEP_DONE);
	route = xstrdup(rr.id);
	assert_int_equal(step(f, &jdcloud_dc_bgw_route_type, &rr2, "create",
			      "create", d, NULL, "dcf-rt1"),
			 STEP_DONE);
	assert_string_equal(rr2.id, route);
	{
		/* Another token on the same destination: not ours. */
		struct run rx;

		memset(&rx, 0, sizeof(rx));
		assert_int_equal(step(f, &jdcloud_dc_bgw_route_type, &rx,
				      "create", "create", d, NULL, "dcf-other"),
				 DCF_EEXISTS);
		assert_null(rx.id);
		run_release(&rx);
	}
	assert_int_equal(step(f, &jdcloud_dc_bgw_route_type, &rr, "read",
			      "read", d, NULL, NULL),
			 STEP_DONE);
	assert_string_equal(json_get_str(rr.attrs, "nexthop_type", ""),
			    "private_vif");
	assert_string_equal(json_get_str(rr.attrs, "description", ""),
			    "to the IDC");
	assert_string_equal(json_get_str(rr.attrs, "bgw_id", ""), bgw);
	ids = json_pack("[s,s]", route, "bgwr-nosuch0");
	assert_int_equal(
	    jdcloud_dc_bgw_route_type.read_many(f->ctx, REGION, ids, &got, &e),
	    0);
	assert_int_equal(json_object_size(got), 1);
	json_decref(got);
	json_decref(ids);
	{
		char *fid = NULL;
		json_t *a = NULL;

		assert_int_equal(jdcloud_dc_bgw_route_type.find_by_token(
				     f->ctx, REGION, "dcf-rt1", &fid, &a, &e),
				 0);
		assert_string_equal(fid, route);
		free(fid);
		json_decref(a);
	}
	json_object_set_new(d, "destination", json_string("172.20.0.0/16"));
	assert_int_equal(step(f, &jdcloud_dc_bgw_route_type, &rr, "update",
			      "modify", d, rr.attrs, NULL),
			 STEP_DONE);
	assert_string_equal(json_get_str(rr.attrs, "destination", ""),
			    "172.20.0.0/16");
	json_decref(d);

	/* The connection cannot go while its VIF is there. */
	assert_true(step(f, &jdcloud_dc_connection_type, &rc, "delete",
			 "delete", NULL, rc.attrs, NULL) < 0);
	assert_non_null(strstr(rc.e.msg, "VIF"));

	/* Deletes, in dependency order; each repeatable. */
	assert_int_equal(step(f, &jdcloud_dc_bgw_route_type, &rr, "delete",
			      "delete", NULL, rr.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_bgw_route_type, &rr, "delete",
			      "delete", NULL, rr.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_bgw_route_type, &rr, "wait",
			      "wait_gone", NULL, rr.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_vpc_attachment_type, &ra, "delete",
			      "delete", NULL, ra.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_vpc_attachment_type, &ra, "wait",
			      "wait_gone", NULL, ra.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_private_vif_type, &rv, "delete",
			      "delete", NULL, rv.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_private_vif_type, &rv, "delete",
			      "delete", NULL, rv.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_private_vif_type, &rv, "wait",
			      "wait_gone", NULL, rv.attrs, NULL),
			 STEP_IN_PROGRESS);
	advance(f, 3000);
	assert_int_equal(step(f, &jdcloud_dc_private_vif_type, &rv, "wait",
			      "wait_gone", NULL, rv.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_bgw_type, &rb, "delete", "delete",
			      NULL, rb.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_bgw_type, &rb, "wait", "wait_gone",
			      NULL, rb.attrs, NULL),
			 STEP_DONE);
	assert_int_equal(step(f, &jdcloud_dc_connection_type, &rc, "delete",
			      "delete", NULL, rc.attrs, NULL),
			 STEP_DONE);

	free(conn);
	free(bgw);
	free(vif);
	free(att);
	free(route);
	run_release(&rc);
	run_release(&rb);
	run_release(&rv);
	run_release(&ra);
	run_release(&ra2);
	run_release(&rr);
	run_release(&rr2);
	json_decref(cd);
}

/* read_many over 150 ids: two list calls, concurrently. */
static void test_jd__batched_read(void **state)
{
	struct fx *f = *state;
	json_t *ids = json_array(), *got = NULL;
	struct err e = ERR_INIT;
	long long n = stat_of(f, "bgw.describeConnections");
	int i;

	for (i = 0; i < 150; i++)
		json_array_append_new(ids, json_sprintf("dc-none%04d", i));
	assert_int_equal(
	    jdcloud_dc_connection_type.read_many(f->ctx, REGION, ids, &got, &e),
	    0);
	assert_int_equal(json_object_size(got), 0);
	assert_int_equal(stat_of(f, "bgw.describeConnections"), n + 2);
	json_decref(got);
	json_decref(ids);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
	    cmocka_unit_test(test_jd__query),
	    cmocka_unit_test(test_jd__token_in_description),
	    cmocka_unit_test(test_jd__amounts_and_errors),
	    cmocka_unit_test(test_jd__expand),
	    cmocka_unit_test(test_jd__config_needs_credentials),
	};
	const struct CMUnitTest emu[] = {
	    cmocka_unit_test(test_jd__preflight),
	    cmocka_unit_test(test_jd__location_check),
	    cmocka_unit_test(test_jd__retry_classes),
	    cmocka_unit_test(test_jd__connection_flow),
	    cmocka_unit_test(test_jd__network_objects),
	    cmocka_unit_test(test_jd__batched_read),
	};
	int rc = cmocka_run_group_tests_name("jdcloud", pure, NULL, NULL);

	rc |= cmocka_run_group_tests_name("jdcloud-emulator", emu, setup,
					  teardown);
	return rc;
}
