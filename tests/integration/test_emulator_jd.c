/*
 * The emulator's JD Cloud half over HTTP: JDCLOUD2 verification (published
 * vectors, tampering, skew, nonce replay, the raw path with %3A), routing
 * and the error envelope, the Direct Connection status machine driven
 * through the admin API (--manual), BGWs, private VIFs, VPC attachments,
 * BGW routes, filters and pagination, orders, payment and the ledger.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util/buf.h"
#include "core/util/fs.h"
#include "core/util/util.h"
#include "tests/lib/emuproc.h"
#include "tests/lib/jdclient.h"

#define REGION "cn-north-1"
#define V1 "/v1/regions/" REGION
#define V2 "/v2/regions/" REGION

struct fx {
	struct emuproc emu;
	struct jdclient jd;
	char dir[64];
	char config[128];
};

/* ---------------------------------------------------------------- */
/* Setup */

/*
 * The config every case uses: short delays, large quotas (for the
 * pagination case), a skew wide enough for the published vectors when
 * `wide_skew`, and the test accounts: "jdtest" (verified, rich), "poor"
 * (verified, 100 yuan) and "unverified".
 */
static void write_config(struct fx *f, int wide_skew, int big_quota)
{
	char *text = xasprintf(
	    "{\"delays\":{\"jd_review\":300,\"jd_construction\":300,"
	    "\"jd_vif\":200,\"jd_vif_delete\":200,\"jd_deletion\":300,"
	    "\"jd_purge\":600},"
	    "\"jdcloud\":{\"max_skew_s\":%d,"
	    "\"quotas\":{\"connections_per_region\":%d}},"
	    "\"accounts\":{"
	    "\"jdtest\":{\"name\":\"jdtest\",\"uin\":\"100000000101\","
	    "\"jdcloud\":{\"access_key\":\"JDTESTAK\",\"secret_key\":"
	    "\"JDTESTSK\",\"balance_fen\":1000000000,"
	    "\"enterprise_verified\":true,\"pin\":\"jdtest-pin\"}},"
	    "\"vectors\":{\"name\":\"vectors\",\"uin\":\"100000000102\","
	    "\"jdcloud\":{\"access_key\":\"ak\",\"secret_key\":\"sk\","
	    "\"balance_fen\":100,\"enterprise_verified\":true}},"
	    "\"poor\":{\"name\":\"poor\",\"uin\":\"100000000103\","
	    "\"jdcloud\":{\"access_key\":\"POORAK\",\"secret_key\":"
	    "\"POORSK\",\"balance_fen\":10000,"
	    "\"enterprise_verified\":true}},"
	    "\"unverified\":{\"name\":\"unverified\",\"uin\":"
	    "\"100000000104\",\"jdcloud\":{\"access_key\":\"UNVAK\","
	    "\"secret_key\":\"UNVSK\",\"balance_fen\":10000000,"
	    "\"enterprise_verified\":false}}}}",
	    wide_skew ? 1000000000 : 900, big_quota ? 300 : 10);

	snprintf(f->config, sizeof(f->config), "%s/config.json", f->dir);
	assert_int_equal(
	    fs_write_atomic(f->config, text, strlen(text), 0600, NULL), 0);
	free(text);
}

static int start(void **state, int manual, int wide_skew, int big_quota)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	const char *args[5];
	size_t n = 0;

	snprintf(f->dir, sizeof(f->dir), "/tmp/dcform-jdtest-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	write_config(f, wide_skew, big_quota);
	args[n++] = "--config";
	args[n++] = f->config;
	if (manual)
		args[n++] = "--manual";
	args[n] = NULL;
	if (emuproc_start(&f->emu, args) < 0) {
		free(f);
		return -1;
	}
	jdclient_init(&f->jd, f->emu.url, "JDTESTAK", "JDTESTSK", REGION);
	*state = f;
	return 0;
}

static int setup_auto(void **state)
{
	return start(state, 0, 0, 0);
}

static int setup_manual(void **state)
{
	return start(state, 1, 0, 0);
}

static int setup_manual_big_quota(void **state)
{
	return start(state, 1, 0, 1);
}

static int setup_wide_skew(void **state)
{
	return start(state, 1, 1, 0);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = emuproc_stop(&f->emu);
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	jdclient_release(&f->jd);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(cmd);
	free(f);
	/* A clean exit (no sanitizer report) is part of every case. */
	assert_int_equal(rc, 0);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Helpers */

/* A call that must answer `want` HTTP status; returns the response. */
static void call(struct jdresp *r, struct fx *f, long want, const char *service,
		 const char *method, const char *path, const char *query,
		 const char *body)
{
	assert_int_equal(
	    jdclient_call(r, &f->jd, service, method, path, query, body), 0);
	if (r->status != want)
		fprintf(stderr, "%s %s%s%s -> %ld %s\n", method, path,
			query ? "?" : "", query ? query : "", r->status,
			r->body);
	assert_int_equal(r->status, want);
	assert_non_null(r->json);
	assert_non_null(json_object_get(r->json, "requestId"));
	/* The header carries the body's request id. */
	assert_string_equal(r->request_id, json_string_value(json_object_get(
					       r->json, "requestId")));
}

/* An error call: HTTP status, envelope {code == status, status}. */
static void call_err(struct fx *f, long want, const char *status,
		     const char *service, const char *method, const char *path,
		     const char *query, const char *body)
{
	struct jdresp r;
	json_t *err;

	call(&r, f, want, service, method, path, query, body);
	err = json_object_get(r.json, "error");
	assert_non_null(err);
	assert_int_equal(json_integer_value(json_object_get(err, "code")),
			 want);
	assert_string_equal(json_string_value(json_object_get(err, "status")),
			    status);
	assert_non_null(json_string_value(json_object_get(err, "message")));
	assert_null(json_object_get(r.json, "result"));
	jdresp_release(&r);
}

/* result.<key> of a successful call as a new string. */
static char *call_id(struct fx *f, const char *method, const char *path,
		     const char *body, const char *key)
{
	struct jdresp r;
	char *id;

	call(&r, f, 200, "bgw", method, path, NULL, body);
	id =
	    xstrdup(json_string_value(json_object_get(jdresp_result(&r), key)));
	jdresp_release(&r);
	return id;
}

/* A borrowed-then-copied object at result.<key> of a GET. */
static json_t *get_obj(struct fx *f, const char *service, const char *path,
		       const char *key)
{
	struct jdresp r;
	json_t *o;

	call(&r, f, 200, service, "GET", path, NULL, NULL);
	o = json_incref(json_object_get(jdresp_result(&r), key));
	assert_non_null(o);
	jdresp_release(&r);
	return o;
}

static char *conn_status(struct fx *f, const char *id)
{
	char *path = xasprintf(V1 "/connections/%s", id);
	json_t *c = get_obj(f, "bgw", path, "connection");
	char *st =
	    xstrdup(json_string_value(json_object_get(c, "connectionStatus")));

	json_decref(c);
	free(path);
	return st;
}

static void assert_conn_status(struct fx *f, const char *id, const char *want)
{
	char *st = conn_status(f, id);

	assert_string_equal(st, want);
	free(st);
}

/* Poll until the connection has status `want` (10 s at most). */
static void wait_conn_status(struct fx *f, const char *id, const char *want)
{
	int i;

	for (i = 0; i < 100; i++) {
		char *st = conn_status(f, id);
		int done = !strcmp(st, want);

		free(st);
		if (done)
			return;
		usleep(100 * 1000);
	}
	assert_conn_status(f, id, want);
}

static long admin(struct fx *f, json_t **out, const char *method,
		  const char *path, const char *body)
{
	return emuproc_admin(out, &f->emu, method, path, body);
}

static void admin_conn(struct fx *f, const char *id, const char *op, long want)
{
	char *path = xasprintf("/_emulator/jdcloud/connections/%s:%s", id, op);
	json_t *out = NULL;

	assert_int_equal(admin(f, &out, "POST", path, NULL), want);
	json_decref(out);
	free(path);
}

static char *create_conn(struct fx *f, const char *name, const char *desc,
			 const char *extra)
{
	char *body = xasprintf("{\"connectionSpec\":{\"connectionName\":\"%s\","
			       "\"type\":\"jcloud\",\"description\":\"%s\","
			       "\"location\":{\"locationCode\":\"BJ-HD\","
			       "\"locationPortSpecCode\":\"10GBase-LR\","
			       "\"locationISPCode\":\"CT\"}%s}}",
			       name, desc, extra ? extra : "");
	char *id = call_id(f, "POST", V1 "/connections/", body, "connectionId");

	free(body);
	return id;
}

static int64_t balance_fen(struct fx *f)
{
	json_t *a = NULL;
	struct jdresp r;
	const char *s;
	long yuan, fen;

	call(&r, f, 200, "asset", "GET", V1 "/assets:describeAccountAmount",
	     NULL, NULL);
	a = jdresp_result(&r);
	s = json_string_value(json_object_get(a, "availableAmount"));
	assert_non_null(s);
	assert_int_equal(sscanf(s, "%ld.%2ld", &yuan, &fen), 2);
	/* Balances are decimal strings with two decimals; total = available
	 * + frozen. */
	assert_string_equal(
	    s, json_string_value(json_object_get(a, "totalAmount")));
	assert_string_equal(
	    "0.00", json_string_value(json_object_get(a, "frozenAmount")));
	jdresp_release(&r);
	return (int64_t)yuan * 100 + fen;
}

static void pay(struct fx *f, const char *order, long want, const char *status)
{
	char *path = xasprintf(V2 "/order/%s:pay", order);

	if (want == 200) {
		struct jdresp r;

		call(&r, f, 200, "order", "POST", path, NULL,
		     "{\"autoPay\":true}");
		assert_string_equal(json_string_value(json_object_get(
					jdresp_result(&r), "orderNumber")),
				    order);
		jdresp_release(&r);
	} else {
		call_err(f, want, status, "order", "POST", path, NULL,
			 "{\"autoPay\":true}");
	}
	free(path);
}

static json_t *order(struct fx *f, const char *num)
{
	char *path = xasprintf(V2 "/order/%s", num);
	json_t *o = get_obj(f, "order", path, "data");

	free(path);
	return o;
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* Ledger entries for an order: counts of "order" and "payment" kinds,
 * and the sum paid. */
static void ledger_for(struct fx *f, const char *order_id, int *orders,
		       int *payments, int64_t *paid)
{
	json_t *l = NULL, *entries, *e;
	size_t i;

	*orders = *payments = 0;
	*paid = 0;
	assert_int_equal(admin(f, &l, "GET", "/_emulator/ledger", NULL), 200);
	entries = json_is_array(l) ? l : json_object_get(l, "entries");
	if (!entries)
		entries = json_object_get(l, "ledger");
	assert_true(json_is_array(entries));
	json_array_foreach (entries, i, e) {
		if (strcmp(str(e, "order_id"), order_id))
			continue;
		assert_string_equal(str(e, "cloud"), "jdcloud");
		if (!strcmp(str(e, "kind"), "order"))
			(*orders)++;
		if (!strcmp(str(e, "kind"), "payment")) {
			(*payments)++;
			*paid += json_integer_value(
			    json_object_get(e, "amount_fen"));
		}
	}
	json_decref(l);
}

/* Drive a new connection to Active (manual mode); returns its id. */
static char *active_conn(struct fx *f, const char *name)
{
	char *id = create_conn(f, name, "tok", NULL);
	char *path = xasprintf(V1 "/connections/%s:confirm", id);
	json_t *c;
	struct jdresp r;

	admin_conn(f, id, "approve", 200);
	{
		char *p = xasprintf(V1 "/connections/%s", id);

		c = get_obj(f, "bgw", p, "connection");
		free(p);
	}
	pay(f, str(c, "orderId"), 200, NULL);
	json_decref(c);
	admin_conn(f, id, "complete", 200);
	call(&r, f, 200, "bgw", "POST", path, NULL,
	     "{\"confirmConnectionSpec\":{\"chargeTimeUnit\":\"MONTH\","
	     "\"chargeTimeSpan\":1,\"autoPay\":true}}");
	jdresp_release(&r);
	assert_conn_status(f, id, "Active");
	free(path);
	return id;
}

/* ---------------------------------------------------------------- */
/* Signature */

static void test_jd__signature_good_and_bad(void **state)
{
	struct fx *f = *state;
	struct jdresp r;
	const char *path = V1 "/assets:describeAccountAmount";

	/* Good: ':' sent and signed as %3A. */
	call(&r, f, 200, "asset", "GET", path, NULL, NULL);
	jdresp_release(&r);

	/* Wrong secret. */
	f->jd.sign_secret = "not-the-secret";
	call_err(f, 401, "UNAUTHENTICATED", "asset", "GET", path, NULL, NULL);
	f->jd.sign_secret = NULL;

	/* Unknown access key. */
	{
		struct jdclient other;

		jdclient_init(&other, f->emu.url, "NOSUCHAK", "JDTESTSK",
			      REGION);
		assert_int_equal(
		    jdclient_call(&r, &other, "asset", "GET", path, NULL, NULL),
		    0);
		assert_int_equal(r.status, 401);
		assert_string_equal(jdresp_error_status(&r), "UNAUTHENTICATED");
		jdresp_release(&r);
		jdclient_release(&other);
	}

	/* Clock skew beyond 15 minutes either way; within is fine. */
	f->jd.time_offset_s = -20 * 60;
	call_err(f, 401, "UNAUTHENTICATED", "asset", "GET", path, NULL, NULL);
	f->jd.time_offset_s = 20 * 60;
	call_err(f, 401, "UNAUTHENTICATED", "asset", "GET", path, NULL, NULL);
	f->jd.time_offset_s = -10 * 60;
	call(&r, f, 200, "asset", "GET", path, NULL, NULL);
	jdresp_release(&r);
	f->jd.time_offset_s = 0;

	/* The path is verified as sent: signing ':' while sending %3A, or
	 * the other way round, fails. */
	f->jd.sign_raw_colon = 1;
	call_err(f, 401, "UNAUTHENTICATED", "asset", "GET", path, NULL, NULL);
	f->jd.sign_raw_colon = 0;
	f->jd.send_raw_colon = 1;
	call_err(f, 401, "UNAUTHENTICATED", "asset", "GET", path, NULL, NULL);
	/* Sent and signed raw: the signature holds and the decoded path
	 * routes to the same operation. */
	f->jd.sign_raw_colon = 1;
	call(&r, f, 200, "asset", "GET", path, NULL, NULL);
	jdresp_release(&r);
	f->jd.sign_raw_colon = f->jd.send_raw_colon = 0;

	/* A body changed after signing. */
	f->jd.tamper_body = 1;
	call_err(f, 401, "UNAUTHENTICATED", "bgw", "POST", V1 "/bgws/", NULL,
		 "{\"bgwSpec\":{\"bgwName\":\"tampered\"}}");
	f->jd.tamper_body = 0;

	/* A valid signature for a service the emulator does not serve:
	 * authenticated, then not found. */
	f->jd.scope_service = "vm";
	call_err(f, 404, "NOT_FOUND", "asset", "GET", path, NULL, NULL);
	f->jd.scope_service = NULL;

	/* A nonce is accepted once. */
	f->jd.fixed_nonce = "b7f1a7c2-0000-4000-8000-00000000abcd";
	call(&r, f, 200, "asset", "GET", path, NULL, NULL);
	jdresp_release(&r);
	call_err(f, 401, "UNAUTHENTICATED", "asset", "GET", path, NULL, NULL);
	f->jd.fixed_nonce = NULL;
}

static void test_jd__missing_authorization(void **state)
{
	struct fx *f = *state;
	long status;
	char *body = NULL;
	json_t *j;

	assert_int_equal(emuproc_http(&status, &body, &f->emu, "GET",
				      V1 "/connections/", NULL, NULL),
			 0);
	assert_int_equal(status, 401);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(j, "error"), "status")),
			    "UNAUTHENTICATED");
	json_decref(j);
	free(body);
}

/*
 * The published vector V5 (jdcloud-dc.md §2.8: a live jdcloud-sdk-js
 * request), replayed byte for byte; the emulator runs with a skew wide
 * enough for its date and knows the account ak/sk.
 */
static void test_jd__published_vectors(void **state)
{
	struct fx *f = *state;
	static const char *const v5[] = {
	    "accept: application/json",
	    "content-type: application/json",
	    "Host: 127.0.0.1:34129",
	    "x-jdcloud-date: 20261122T115554Z",
	    "x-jdcloud-nonce: 1962f50d-5817-4207-8cf8-1572df949186",
	    "Authorization: JDCLOUD2-HMAC-SHA256 Credential=ak/20261122/"
	    "cn-north-1/asset/jdcloud2_request, SignedHeaders=accept;"
	    "content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature="
	    "bf56323816b4156c40238e75e9afdb0f2e83b8c0aefa0c200d2ef537b04faf69",
	    NULL};
	static const char *const v5_tampered[] = {
	    "accept: application/json",
	    "content-type: application/json",
	    "Host: 127.0.0.1:34129",
	    "x-jdcloud-date: 20261122T115554Z",
	    "x-jdcloud-nonce: 1962f50d-5817-4207-8cf8-1572df949186",
	    "Authorization: JDCLOUD2-HMAC-SHA256 Credential=ak/20261122/"
	    "cn-north-1/asset/jdcloud2_request, SignedHeaders=accept;"
	    "content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature="
	    "bf56323816b4156c40238e75e9afdb0f2e83b8c0aefa0c200d2ef537b04faf6a",
	    NULL};
	long status;
	char *body = NULL;

	/* Tampered first, so the valid nonce is still unused. */
	assert_int_equal(emuproc_http(&status, &body, &f->emu, "GET",
				      "/v1/regions/cn-north-1/"
				      "assets%3AdescribeAccountAmount",
				      NULL, v5_tampered),
			 0);
	assert_int_equal(status, 401);
	free(body);
	assert_int_equal(emuproc_http(&status, &body, &f->emu, "GET",
				      "/v1/regions/cn-north-1/"
				      "assets%3AdescribeAccountAmount",
				      NULL, v5),
			 0);
	assert_int_equal(status, 200);
	assert_non_null(strstr(body, "\"availableAmount\":\"1.00\""));
	free(body);
	/* Replayed: the nonce was used. */
	assert_int_equal(emuproc_http(&status, &body, &f->emu, "GET",
				      "/v1/regions/cn-north-1/"
				      "assets%3AdescribeAccountAmount",
				      NULL, v5),
			 0);
	assert_int_equal(status, 401);
	free(body);
}

/*
 * JDCLOUD3 (the Python SDK's signature, jdcloud-dc.md §2.7) against the
 * vectors of jdcloud-sdk-python signer_test.py.  They all use the nonce
 * "X-Jdcloud-Nonce", so each gets an emulator of its own.  The signed
 * service (apigatewaytestproductline) is not served: an accepted
 * signature gives 404 NOT_FOUND, a rejected one 401 UNAUTHENTICATED.
 */
static void test_jd__jdcloud3_vectors(void **state)
{
	static const struct {
		const char *path, *query, *sig;
	} v[] = {
	    {"/v1/regions/cn-north-1/instances/%E4%B8%AD%E6%96%87%3AGET", NULL,
	     "936ed2dcb6fb4271ad640e0f46f1fe61763a0bad8bb4f4eb1224261f969612f"
	     "a"},
	    {"/v1/regions/cn-north-1/instances", "=a&a=a",
	     "43efb5fb00e86faf35d8bf0bed3b72e84cfc98ee4754065e29c3caa7bcaa12c"
	     "b"},
	    {"/v1/regions/cn-north-1/instances",
	     "aa=aa&aa%3Daa=&aa=aa%3D&aa=&aa=aaa&aaa=aaa&aaa=aa&aaa=a&ab=aa"
	     "&ab=aa&cc=&cc=&bb=aa&bb=",
	     "8ccc3c9af11e964b3c5d6020d2af49e97e27fbb23e2b8f57bdc84815e471d54"
	     "b"},
	    {"/v1/regions/cn-north-1/instances/%20/%60%21%40%23%24%25%5E%26"
	     "%2A%28%29%3D%2B/0123456789/%5B%5D%5C%5C%3B%27%2C%3C%3E%3F"
	     "%3A%5C%22%7B%7D%7C/abcdefghijklmnopqrstuvwxyz/"
	     "ABCDEFGHIJKLMNOPQRSTUVWXYZ/-_.~%3AGET",
	     NULL,
	     "027b5bbd35956b84b8773eb450c0405cb4e424eab13f64828926ee41838c48d"
	     "0"},
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		struct emuproc emu;
		const char *args[] = {"--config", f->config, NULL};
		char *auth, *good, *bad, *path;
		const char *hs[6];
		long status;
		char *body = NULL;

		auth = xasprintf(
		    "Authorization: JDCLOUD3-HMAC-SHA256 Credential=ak/"
		    "20190917/cn-north-1/apigatewaytestproductline/"
		    "jdcloud3_request, SignedHeaders=content-type;host;"
		    "x-jdcloud-date;x-jdcloud-nonce, Signature=");
		good = xasprintf("%s%s", auth, v[i].sig);
		bad = xasprintf("%s%.63s%c", auth, v[i].sig,
				v[i].sig[63] == '0' ? '1' : '0');
		path = xasprintf("%s%s%s", v[i].path, v[i].query ? "?" : "",
				 v[i].query ? v[i].query : "");
		hs[0] = "content-type: application/json";
		hs[1] = "Host: apigw-internal-dev.cn-north-1.jcloudcs.com:8000";
		hs[2] = "x-jdcloud-date: 20190917T064708Z";
		hs[3] = "x-jdcloud-nonce: X-Jdcloud-Nonce";
		hs[5] = NULL;
		assert_int_equal(emuproc_start(&emu, args), 0);
		hs[4] = bad;
		assert_int_equal(
		    emuproc_http(&status, &body, &emu, "GET", path, NULL, hs),
		    0);
		if (status != 401)
			fprintf(stderr, "vector %zu tampered: %ld %s\n", i,
				status, body);
		assert_int_equal(status, 401);
		free(body);
		hs[4] = good;
		assert_int_equal(
		    emuproc_http(&status, &body, &emu, "GET", path, NULL, hs),
		    0);
		if (status != 404)
			fprintf(stderr, "vector %zu: %ld %s\n", i, status,
				body);
		assert_int_equal(status, 404);
		assert_non_null(strstr(body, "\"NOT_FOUND\""));
		free(body);
		assert_int_equal(emuproc_stop(&emu), 0);
		free(auth);
		free(good);
		free(bad);
		free(path);
	}
}

/* ---------------------------------------------------------------- */
/* Routing and envelope */

static void test_jd__routing_and_envelope(void **state)
{
	struct fx *f = *state;
	struct jdresp r;
	char *id;

	/* Trailing slash optional on lists and creates. */
	call(&r, f, 200, "bgw", "GET", V1 "/connections/", NULL, NULL);
	assert_int_equal(json_integer_value(
			     json_object_get(jdresp_result(&r), "totalCount")),
			 0);
	jdresp_release(&r);
	call(&r, f, 200, "bgw", "GET", V1 "/connections", NULL, NULL);
	jdresp_release(&r);
	id = call_id(f, "POST", V1 "/bgws",
		     "{\"bgwSpec\":{\"bgwName\":"
		     "\"no-slash\"}}",
		     "bgwId");
	free(id);
	id = call_id(f, "POST", V1 "/bgws/",
		     "{\"bgwSpec\":{\"bgwName\":"
		     "\"slash\"}}",
		     "bgwId");
	{
		char *p = xasprintf(V1 "/bgws/%s/", id);
		json_t *b = get_obj(f, "bgw", p, "bgw");

		assert_string_equal(str(b, "bgwName"), "slash");
		json_decref(b);
		free(p);
	}
	free(id);

	/* Unknown paths, wrong version, wrong service scope. */
	call_err(f, 404, "NOT_FOUND", "bgw", "GET", V1 "/nothing/", NULL, NULL);
	call_err(f, 404, "NOT_FOUND", "bgw", "GET", V2 "/connections/", NULL,
		 NULL);
	call_err(f, 404, "NOT_FOUND", "asset", "GET", V1 "/connections/", NULL,
		 NULL);
	call_err(f, 404, "NOT_FOUND", "bgw", "PUT", V1 "/connections/", NULL,
		 "{}");
	call_err(f, 404, "NOT_FOUND", "bgw", "GET",
		 V1 "/connections/dc-nosuch00", NULL, NULL);
	call_err(f, 404, "NOT_FOUND", "order", "GET", V2 "/order/123456", NULL,
		 NULL);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "GET",
		 "/v1/regions/xx-nowhere-9/connections/", NULL, NULL);

	/* Malformed input. */
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "GET", V1 "/connections/",
		 "pageSize=5", NULL);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "GET", V1 "/connections/",
		 "pageSize=101", NULL);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "GET", V1 "/connections/",
		 "pageNumber=0", NULL);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "GET", V1 "/connections/",
		 "noSuchParam=1", NULL);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "GET", V1 "/connections/",
		 "filters.1.name=colour&filters.1.values.1=red", NULL);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", V1 "/connections/",
		 NULL, "{not json");
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", V1 "/connections/",
		 NULL, "{}");
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", V1 "/connections/",
		 NULL,
		 "{\"connectionSpec\":{\"connectionName\":\"x\",\"type\":"
		 "\"jcloud_hosted\",\"location\":{\"locationPortSpecCode\":"
		 "\"10GBase-LR\"},\"bandwidth\":100}}");
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", V1 "/connections/",
		 NULL,
		 "{\"connectionSpec\":{\"connectionName\":\"bad name!\","
		 "\"type\":\"jcloud_hosted\",\"location\":{"
		 "\"locationPortSpecCode\":\"10GBase-LR\"}}}");
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", V1 "/connections/",
		 NULL,
		 "{\"connectionSpec\":{\"connectionName\":\"x\",\"type\":"
		 "\"jcloud\",\"location\":{\"locationCode\":\"BJ-HD\","
		 "\"locationPortSpecCode\":\"100GBase\","
		 "\"locationISPCode\":\"CT\"}}}");

	/* Extra top-level body keys (the SDKs repeat regionId) are
	 * ignored. */
	id =
	    call_id(f, "POST", V1 "/connections/",
		    "{\"regionId\":\"" REGION "\",\"connectionSpec\":{"
		    "\"connectionName\":\"hosted\",\"type\":\"jcloud_hosted\","
		    "\"location\":{\"locationPortSpecCode\":\"1000Base-LX\"}}}",
		    "connectionId");
	free(id);

	/* Locations carry port specs and ISPs. */
	call(&r, f, 200, "bgw", "GET", V1 "/locations/",
	     "filters.1.name=locationCodes&filters.1.values.1=BJ-HD", NULL);
	{
		json_t *locs = json_object_get(jdresp_result(&r), "locations");
		json_t *l = json_array_get(locs, 0);

		assert_int_equal(json_array_size(locs), 1);
		assert_string_equal(str(l, "locationCode"), "BJ-HD");
		assert_true(json_array_size(
				json_object_get(l, "locationPortSpecs")) >= 2);
		assert_true(
		    json_array_size(json_object_get(l, "locationISPs")) >= 1);
	}
	jdresp_release(&r);
}

static void test_jd__faults_in_envelope(void **state)
{
	struct fx *f = *state;
	json_t *out = NULL;
	long st;

	st = admin(f, &out, "POST", "/_emulator/faults",
		   "{\"service\":\"bgw\",\"action\":"
		   "\"describeConnections\",\"kind\":\"error\","
		   "\"code\":\"RATE_LIMIT\",\"http_status\":429,"
		   "\"count\":1}");
	json_decref(out);
	assert_true(st == 200 || st == 201);
	call_err(f, 429, "RATE_LIMIT", "bgw", "GET", V1 "/connections/", NULL,
		 NULL);
	/* count 1: the next call goes through. */
	{
		struct jdresp r;

		call(&r, f, 200, "bgw", "GET", V1 "/connections/", NULL, NULL);
		jdresp_release(&r);
	}
	/* Without http_status the JD status gives it: 401, 503. */
	st = admin(f, &out, "POST", "/_emulator/faults",
		   "[{\"service\":\"asset\",\"kind\":\"error\","
		   "\"code\":\"UNAUTHENTICATED\",\"count\":1},"
		   "{\"service\":\"jdcloud\",\"action\":\"payOrder\","
		   "\"kind\":\"error\",\"code\":\"UNAVAILABLE\","
		   "\"count\":1}]");
	json_decref(out);
	assert_int_equal(st, 200);
	call_err(f, 401, "UNAUTHENTICATED", "asset", "GET",
		 V1 "/assets:describeAccountAmount", NULL, NULL);
	call_err(f, 503, "UNAVAILABLE", "order", "POST", V2 "/order/1:pay",
		 NULL, "{\"autoPay\":true}");
	/* Both calls were counted. */
	assert_int_equal(admin(f, &out, "GET", "/_emulator/stats", NULL), 200);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(out, "requests"),
					       "bgw.describeConnections")),
	    2);
	json_decref(out);
}

/* ---------------------------------------------------------------- */
/* Connection flow */

static void test_jd__connection_flow_manual(void **state)
{
	struct fx *f = *state;
	int64_t before = balance_fen(f), after;
	char *id = create_conn(f, "bj-idc-1", "dcform:tok-8f2e", NULL);
	char *path = xasprintf(V1 "/connections/%s", id);
	char *confirm = xasprintf(V1 "/connections/%s:confirm", id);
	char *inst, *rental;
	json_t *c, *o;
	struct jdresp r;
	int no, np;
	int64_t paid;

	/* Ordering: with --manual nothing moves by itself. */
	c = get_obj(f, "bgw", path, "connection");
	assert_string_equal(str(c, "connectionStatus"), "Ordering");
	assert_string_equal(str(c, "description"), "dcform:tok-8f2e");
	assert_string_equal(str(c, "connectionName"), "bj-idc-1");
	assert_int_equal(
	    json_integer_value(json_object_get(c, "bandwidthMbps")), 10000);
	json_decref(c);
	usleep(600 * 1000);
	assert_conn_status(f, id, "Ordering");
	/* Cannot be confirmed or completed yet. */
	call_err(f, 400, "FAILED_PRECONDITION", "bgw", "POST", confirm, NULL,
		 "{\"confirmConnectionSpec\":{}}");
	admin_conn(f, id, "complete", 409);
	admin_conn(f, "dc-nosuch00", "approve", 404);

	/* Review passes: an unpaid installation order. */
	admin_conn(f, id, "approve", 200);
	admin_conn(f, id, "approve", 409);
	c = get_obj(f, "bgw", path, "connection");
	assert_string_equal(str(c, "connectionStatus"), "Installation_Paying");
	inst = xstrdup(str(c, "orderId"));
	assert_true(strlen(inst) > 0);
	json_decref(c);
	o = order(f, inst);
	assert_string_equal(str(o, "status"), "NO_PAY");
	assert_string_equal(str(o, "orderNumber"), inst);
	assert_int_equal(json_integer_value(json_object_get(o, "actualFee")),
			 1500000);
	json_decref(o);
	assert_int_equal(balance_fen(f), before);

	/* Paying moves it to construction. */
	pay(f, inst, 200, NULL);
	o = order(f, inst);
	assert_string_equal(str(o, "status"), "PAID");
	json_decref(o);
	assert_conn_status(f, id, "Pending");
	usleep(600 * 1000);
	assert_conn_status(f, id, "Pending");
	admin_conn(f, id, "complete", 200);
	assert_conn_status(f, id, "Confirming");

	/* Confirm without autoPay: the rental order waits. */
	call(&r, f, 200, "bgw", "POST", confirm, NULL,
	     "{\"confirmConnectionSpec\":{\"chargeTimeUnit\":\"MONTH\","
	     "\"chargeTimeSpan\":2}}");
	rental = xstrdup(str(jdresp_result(&r), "orderId"));
	jdresp_release(&r);
	assert_string_not_equal(rental, inst);
	assert_conn_status(f, id, "Confirming");
	o = order(f, rental);
	assert_string_equal(str(o, "status"), "NO_PAY");
	/* 2 months of a 10G port at the default 20000 yuan a month. */
	assert_int_equal(json_integer_value(json_object_get(o, "actualFee")),
			 4000000);
	json_decref(o);
	pay(f, rental, 200, NULL);
	c = get_obj(f, "bgw", path, "connection");
	assert_string_equal(str(c, "connectionStatus"), "Active");
	assert_string_equal(str(json_object_get(c, "charge"), "chargeStatus"),
			    "normal");
	json_decref(c);

	/* Money: exactly both orders, each once, in the ledger. */
	after = balance_fen(f);
	assert_int_equal(before - after, 1500000 + 4000000);
	ledger_for(f, inst, &no, &np, &paid);
	assert_int_equal(no, 1);
	assert_int_equal(np, 1);
	assert_int_equal(paid, 1500000);
	ledger_for(f, rental, &no, &np, &paid);
	assert_int_equal(no, 1);
	assert_int_equal(np, 1);
	assert_int_equal(paid, 4000000);

	/* modify keeps the description verbatim. */
	call(&r, f, 200, "bgw", "PATCH", path, NULL,
	     "{\"connectionName\":\"bj-idc-renamed\"}");
	jdresp_release(&r);
	c = get_obj(f, "bgw", path, "connection");
	assert_string_equal(str(c, "connectionName"), "bj-idc-renamed");
	assert_string_equal(str(c, "description"), "dcform:tok-8f2e");
	json_decref(c);

	/* Delete: Deleting, then Deleted. */
	call(&r, f, 200, "bgw", "DELETE", path, NULL, NULL);
	jdresp_release(&r);
	assert_conn_status(f, id, "Deleting");
	wait_conn_status(f, id, "Deleted");

	free(inst);
	free(rental);
	free(confirm);
	free(path);
	free(id);
}

static void test_jd__connection_flow_auto(void **state)
{
	struct fx *f = *state;
	char *id = create_conn(f, "auto-line", "tok-auto", ",\"autoPay\":true");
	char *confirm = xasprintf(V1 "/connections/%s:confirm", id);
	struct jdresp r;

	/* Review (300 ms), autoPay, construction (300 ms) all by time. */
	wait_conn_status(f, id, "Confirming");
	call(&r, f, 200, "bgw", "POST", confirm, NULL,
	     "{\"confirmConnectionSpec\":{\"chargeTimeUnit\":\"YEAR\","
	     "\"chargeTimeSpan\":1,\"autoPay\":true,\"autoRenewSpec\":"
	     "{\"autoRenewStatus\":\"OPEN\",\"renewTimeUnit\":\"YEAR\","
	     "\"renewTimeSpan\":1}}}");
	jdresp_release(&r);
	assert_conn_status(f, id, "Active");
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", confirm, NULL,
		 "{\"confirmConnectionSpec\":{\"chargeTimeUnit\":\"DAY\"}}");
	free(confirm);
	free(id);
}

static void test_jd__rejected_review(void **state)
{
	struct fx *f = *state;
	char *id, *path;
	json_t *c;
	struct jdresp r;

	/* Auto review rejects an account without enterprise verification. */
	free(f->jd.access_key);
	free(f->jd.secret_key);
	f->jd.access_key = xstrdup("UNVAK");
	f->jd.secret_key = xstrdup("UNVSK");
	id = create_conn(f, "unverified", "tok", NULL);
	wait_conn_status(f, id, "Rejected");
	path = xasprintf(V1 "/connections/%s", id);
	c = get_obj(f, "bgw", path, "connection");
	assert_true(strlen(str(c, "rejectedReason")) > 0);
	assert_string_equal(str(c, "orderId"), "");
	json_decref(c);
	/* A rejected connection is deleted at once. */
	call(&r, f, 200, "bgw", "DELETE", path, NULL, NULL);
	jdresp_release(&r);
	assert_conn_status(f, id, "Deleted");
	free(path);
	free(id);
}

static void test_jd__rejected_by_admin(void **state)
{
	struct fx *f = *state;
	char *id = create_conn(f, "to-reject", "tok", NULL);
	char *path = xasprintf("/_emulator/jdcloud/connections/%s:reject", id);
	char *cpath = xasprintf(V1 "/connections/%s", id);
	json_t *out = NULL, *c;

	assert_int_equal(
	    admin(f, &out, "POST", path, "{\"reason\":\"access point full\"}"),
	    200);
	json_decref(out);
	c = get_obj(f, "bgw", cpath, "connection");
	assert_string_equal(str(c, "connectionStatus"), "Rejected");
	assert_string_equal(str(c, "rejectedReason"), "access point full");
	json_decref(c);
	admin_conn(f, id, "approve", 409);
	free(cpath);
	free(path);
	free(id);
}

/* ---------------------------------------------------------------- */
/* Money */

static void test_jd__pay_twice_charges_once(void **state)
{
	struct fx *f = *state;
	char *id = create_conn(f, "pay-twice", "tok", NULL);
	char *path = xasprintf(V1 "/connections/%s", id);
	int64_t before = balance_fen(f);
	json_t *c;
	char *inst;
	int no, np;
	int64_t paid;

	admin_conn(f, id, "approve", 200);
	c = get_obj(f, "bgw", path, "connection");
	inst = xstrdup(str(c, "orderId"));
	json_decref(c);
	pay(f, inst, 200, NULL);
	pay(f, inst, 200, NULL);
	pay(f, inst, 200, NULL);
	assert_int_equal(before - balance_fen(f), 1500000);
	ledger_for(f, inst, &no, &np, &paid);
	assert_int_equal(no, 1);
	assert_int_equal(np, 1);
	assert_int_equal(paid, 1500000);
	/* autoPay false pays nothing. */
	{
		struct jdresp r;
		char *p = xasprintf(V2 "/order/%s:pay", inst);

		call(&r, f, 200, "order", "POST", p, NULL,
		     "{\"autoPay\":false}");
		jdresp_release(&r);
		free(p);
	}
	assert_int_equal(before - balance_fen(f), 1500000);
	free(inst);
	free(path);
	free(id);
}

static void test_jd__insufficient_balance(void **state)
{
	struct fx *f = *state;
	char *id, *path, *inst;
	json_t *c, *o;
	int no, np;
	int64_t paid;

	free(f->jd.access_key);
	free(f->jd.secret_key);
	f->jd.access_key = xstrdup("POORAK");
	f->jd.secret_key = xstrdup("POORSK");
	id = create_conn(f, "poor-line", "tok", ",\"autoPay\":true");
	path = xasprintf(V1 "/connections/%s", id);
	admin_conn(f, id, "approve", 200);
	/* autoPay could not pay: the order waits. */
	c = get_obj(f, "bgw", path, "connection");
	assert_string_equal(str(c, "connectionStatus"), "Installation_Paying");
	inst = xstrdup(str(c, "orderId"));
	json_decref(c);
	pay(f, inst, 400, "FAILED_PRECONDITION");
	o = order(f, inst);
	assert_string_equal(str(o, "status"), "NO_PAY");
	json_decref(o);
	assert_int_equal(balance_fen(f), 10000);
	assert_conn_status(f, id, "Installation_Paying");
	ledger_for(f, inst, &no, &np, &paid);
	assert_int_equal(no, 1);
	assert_int_equal(np, 0);
	/* Deleting before payment cancels the order. */
	{
		struct jdresp r;

		call(&r, f, 200, "bgw", "DELETE", path, NULL, NULL);
		jdresp_release(&r);
	}
	o = order(f, inst);
	assert_string_equal(str(o, "status"), "CANCELED");
	json_decref(o);
	pay(f, inst, 400, "FAILED_PRECONDITION");
	free(inst);
	free(path);
	free(id);
}

/* ---------------------------------------------------------------- */
/* BGW, VIF, attachment, route */

static void wait_vif_status(struct fx *f, const char *id, const char *want)
{
	char *path = xasprintf(V1 "/privateVifs/%s", id);
	int i;

	for (i = 0; i < 100; i++) {
		json_t *v = get_obj(f, "bgw", path, "privateVif");
		int done = !strcmp(str(v, "privateVifStatus"), want);

		json_decref(v);
		if (done)
			break;
		usleep(100 * 1000);
	}
	{
		json_t *v = get_obj(f, "bgw", path, "privateVif");

		assert_string_equal(str(v, "privateVifStatus"), want);
		json_decref(v);
	}
	free(path);
}

static void test_jd__bgw_vif_attachment_route(void **state)
{
	struct fx *f = *state;
	char *pending = create_conn(f, "not-active", "tok", NULL);
	char *conn = active_conn(f, "vif-line");
	char *bgw, *vif, *att, *route, *body, *p, *rp;
	json_t *v;
	struct jdresp r;
	int i;

	bgw = call_id(f, "POST", V1 "/bgws/",
		      "{\"bgwSpec\":{\"bgwName\":\"edge-gw\",\"description\":"
		      "\"d\"}}",
		      "bgwId");

	/* VIF only on an Active connection. */
	body = xasprintf("{\"privateVifSpec\":{\"privateVifName\":\"v1\","
			 "\"connectionId\":\"%s\",\"bgwId\":\"%s\","
			 "\"vlan\":100,\"enableBgp\":true,\"bgpSpec\":{"
			 "\"customerAsn\":65010,\"authKey\":\"s3cret\"},"
			 "\"peerIps\":[{\"customerIp\":\"10.8.0.1/30\","
			 "\"jdCloudIp\":\"10.8.0.2/30\"}]}}",
			 pending, bgw);
	call_err(f, 400, "FAILED_PRECONDITION", "bgw", "POST",
		 V1 "/privateVifs/", NULL, body);
	free(body);
	body = xasprintf("{\"privateVifSpec\":{\"privateVifName\":\"v1\","
			 "\"connectionId\":\"%s\",\"bgwId\":\"%s\","
			 "\"vlan\":100,\"enableBgp\":true,\"bgpSpec\":{"
			 "\"customerAsn\":65010,\"authKey\":\"s3cret\"},"
			 "\"peerIps\":[{\"customerIp\":\"10.8.0.1/30\","
			 "\"jdCloudIp\":\"10.8.0.2/30\"}]}}",
			 conn, bgw);
	vif = call_id(f, "POST", V1 "/privateVifs/", body, "privateVifId");
	/* Same VLAN on the same connection. */
	call_err(f, 409, "ALREADY_EXISTS", "bgw", "POST", V1 "/privateVifs/",
		 NULL, body);
	free(body);
	/* ASN out of range; bad peer pair; unknown bgw. */
	body = xasprintf("{\"privateVifSpec\":{\"privateVifName\":\"v2\","
			 "\"connectionId\":\"%s\",\"bgwId\":\"%s\","
			 "\"vlan\":101,\"bgpSpec\":{\"customerAsn\":64512}}}",
			 conn, bgw);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", V1 "/privateVifs/",
		 NULL, body);
	free(body);
	body = xasprintf("{\"privateVifSpec\":{\"privateVifName\":\"v2\","
			 "\"connectionId\":\"%s\",\"bgwId\":\"%s\","
			 "\"vlan\":101,\"bgpSpec\":{\"customerAsn\":65020},"
			 "\"peerIps\":[{\"customerIp\":\"8.8.8.1/30\","
			 "\"jdCloudIp\":\"8.8.8.2/30\"}]}}",
			 conn, bgw);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", V1 "/privateVifs/",
		 NULL, body);
	free(body);
	body = xasprintf("{\"privateVifSpec\":{\"privateVifName\":\"v2\","
			 "\"connectionId\":\"%s\",\"bgwId\":\"bgw-nosuch00\","
			 "\"vlan\":101,\"bgpSpec\":{\"customerAsn\":65020}}}",
			 conn);
	call_err(f, 404, "NOT_FOUND", "bgw", "POST", V1 "/privateVifs/", NULL,
		 body);
	free(body);

	/* The VIF comes up with BGP. */
	p = xasprintf(V1 "/privateVifs/%s", vif);
	v = get_obj(f, "bgw", p, "privateVif");
	assert_string_equal(str(v, "privateVifStatus"), "Pending");
	assert_int_equal(json_integer_value(json_object_get(v, "vlan")), 100);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(v, "bgp"), "customerAsn")),
			 65010);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(v, "bgp"), "jdCloudAsn")),
			 64512);
	json_decref(v);
	wait_vif_status(f, vif, "Active");
	v = get_obj(f, "bgw", p, "privateVif");
	assert_string_equal(str(json_array_get(json_object_get(v, "peers"), 0),
				"peerBgpStatus"),
			    "Up");
	json_decref(v);

	/* The connection and the BGW list the VIF; delete is refused. */
	{
		char *cp = xasprintf(V1 "/connections/%s", conn);
		json_t *c = get_obj(f, "bgw", cp, "connection");

		assert_string_equal(json_string_value(json_array_get(
					json_object_get(c, "vifIds"), 0)),
				    vif);
		json_decref(c);
		call_err(f, 400, "FAILED_PRECONDITION", "bgw", "DELETE", cp,
			 NULL, NULL);
		free(cp);
	}

	/* VPC attachment. */
	body = xasprintf("{\"vpcAttachmentSpec\":{\"vpcAttachmentName\":"
			 "\"att\",\"vpcId\":\"vpc-3m9x1k2a\",\"bgwId\":\"%s\","
			 "\"propagateType\":\"partial\",\"subnetIds\":["
			 "\"subnet-8fh2k1sd\"]}}",
			 bgw);
	att =
	    call_id(f, "POST", V1 "/vpcAttachments/", body, "vpcAttachmentId");
	call_err(f, 409, "ALREADY_EXISTS", "bgw", "POST", V1 "/vpcAttachments/",
		 NULL, body);
	free(body);
	{
		char *ap = xasprintf(V1 "/vpcAttachments/%s", att);
		json_t *a = get_obj(f, "bgw", ap, "vpcAttachment");

		assert_string_equal(str(a, "status"), "active");
		assert_string_equal(str(a, "propagateType"), "partial");
		assert_int_equal(
		    json_array_size(json_object_get(a, "propagateCidrInfos")),
		    1);
		json_decref(a);
		free(ap);
	}

	/* Routes: to the VIF, to the attachment; duplicates refused. */
	rp = xasprintf(V1 "/bgws/%s/bgwRoutes/", bgw);
	body = xasprintf("{\"bgwRouteSpec\":{\"bgwRouteDestination\":"
			 "\"192.168.0.0/16\",\"bgwNexthopType\":"
			 "\"private_vif\",\"bgwRouteNexthop\":\"%s\"}}",
			 vif);
	route = call_id(f, "POST", rp, body, "bgwRouteId");
	call_err(f, 409, "ALREADY_EXISTS", "bgw", "POST", rp, NULL, body);
	free(body);
	body = xasprintf("{\"bgwRouteSpec\":{\"bgwRouteDestination\":"
			 "\"192.168.1.1/16\",\"bgwNexthopType\":"
			 "\"private_vif\",\"bgwRouteNexthop\":\"%s\"}}",
			 vif);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", rp, NULL, body);
	free(body);
	body = xasprintf("{\"bgwRouteSpec\":{\"bgwRouteDestination\":"
			 "\"172.16.0.0/12\",\"bgwNexthopType\":"
			 "\"vpc_attachment\",\"bgwRouteNexthop\":\"%s\"}}",
			 att);
	free(call_id(f, "POST", rp, body, "bgwRouteId"));
	free(body);
	call(&r, f, 200, "bgw", "GET", rp, NULL, NULL);
	assert_int_equal(json_integer_value(
			     json_object_get(jdresp_result(&r), "totalCount")),
			 2);
	jdresp_release(&r);

	/* Deleting what a route uses is refused. */
	call_err(f, 400, "FAILED_PRECONDITION", "bgw", "DELETE", p, NULL, NULL);
	{
		char *bp = xasprintf(V1 "/bgws/%s", bgw);

		call_err(f, 400, "FAILED_PRECONDITION", "bgw", "DELETE", bp,
			 NULL, NULL);
		free(bp);
	}

	/* Tear down in order. */
	call(&r, f, 200, "bgw", "GET", rp, NULL, NULL);
	{
		json_t *routes =
		    json_object_get(jdresp_result(&r), "bgwRoutes");
		json_t *rt;
		size_t k;

		json_array_foreach (routes, k, rt) {
			char *dp = xasprintf("%s%s", rp, str(rt, "bgwRouteId"));
			struct jdresp d;

			call(&d, f, 200, "bgw", "DELETE", dp, NULL, NULL);
			jdresp_release(&d);
			free(dp);
		}
	}
	jdresp_release(&r);
	{
		char *ap = xasprintf(V1 "/vpcAttachments/%s", att);

		call(&r, f, 200, "bgw", "DELETE", ap, NULL, NULL);
		jdresp_release(&r);
		call_err(f, 404, "NOT_FOUND", "bgw", "GET", ap, NULL, NULL);
		free(ap);
	}
	call(&r, f, 200, "bgw", "DELETE", p, NULL, NULL);
	jdresp_release(&r);
	v = get_obj(f, "bgw", p, "privateVif");
	assert_string_equal(str(v, "privateVifStatus"), "Deleting");
	json_decref(v);
	for (i = 0; i < 100; i++) {
		assert_int_equal(
		    jdclient_call(&r, &f->jd, "bgw", "GET", p, NULL, NULL), 0);
		if (r.status == 404) {
			jdresp_release(&r);
			break;
		}
		jdresp_release(&r);
		usleep(100 * 1000);
	}
	assert_true(i < 100);
	{
		char *bp = xasprintf(V1 "/bgws/%s", bgw);
		char *cp = xasprintf(V1 "/connections/%s", conn);

		call(&r, f, 200, "bgw", "DELETE", bp, NULL, NULL);
		jdresp_release(&r);
		call(&r, f, 200, "bgw", "DELETE", cp, NULL, NULL);
		jdresp_release(&r);
		assert_conn_status(f, conn, "Deleting");
		free(bp);
		free(cp);
	}
	free(route);
	free(rp);
	free(p);
	free(att);
	free(vif);
	free(bgw);
	free(conn);
	free(pending);
}

/* ---------------------------------------------------------------- */
/* Filters and pagination */

static void test_jd__filters_and_pagination(void **state)
{
	struct fx *f = *state;
	char *ids[250];
	struct jdresp r;
	json_t *list;
	char q[512];
	int i;

	for (i = 0; i < 250; i++) {
		char name[32];

		snprintf(name, sizeof(name), "line-%03d", i);
		ids[i] = create_conn(f, name, "tok", NULL);
	}
	/* Pages of 100: 100, 100, 50; past the end gives the last page. */
	for (i = 1; i <= 4; i++) {
		size_t want = i < 3 ? 100 : 50;

		snprintf(q, sizeof(q), "pageNumber=%d&pageSize=100", i);
		call(&r, f, 200, "bgw", "GET", V1 "/connections/", q, NULL);
		list = json_object_get(jdresp_result(&r), "connections");
		assert_int_equal(json_array_size(list), want);
		assert_int_equal(json_integer_value(json_object_get(
				     jdresp_result(&r), "totalCount")),
				 250);
		if (i == 1)
			assert_string_equal(
			    str(json_array_get(list, 0), "connectionId"),
			    ids[0]);
		if (i >= 3)
			assert_string_equal(
			    str(json_array_get(list, 49), "connectionId"),
			    ids[249]);
		jdresp_release(&r);
	}
	/* Default page size 20. */
	call(&r, f, 200, "bgw", "GET", V1 "/connections/", NULL, NULL);
	assert_int_equal(
	    json_array_size(json_object_get(jdresp_result(&r), "connections")),
	    20);
	jdresp_release(&r);

	/* connectionIds: several values OR'd. */
	snprintf(q, sizeof(q),
		 "filters.1.name=connectionIds&filters.1.values.1=%s"
		 "&filters.1.values.2=%s&filters.1.values.3=%s"
		 "&filters.1.values.4=dc-nosuch00&pageSize=100",
		 ids[7], ids[123], ids[249]);
	call(&r, f, 200, "bgw", "GET", V1 "/connections/", q, NULL);
	assert_int_equal(json_integer_value(
			     json_object_get(jdresp_result(&r), "totalCount")),
			 3);
	jdresp_release(&r);
	/* Two filters AND'd. */
	snprintf(q, sizeof(q),
		 "filters.1.name=connectionIds&filters.1.values.1=%s"
		 "&filters.1.values.2=%s&filters.2.name=connectionNames"
		 "&filters.2.values.1=line-007",
		 ids[7], ids[8]);
	call(&r, f, 200, "bgw", "GET", V1 "/connections/", q, NULL);
	list = json_object_get(jdresp_result(&r), "connections");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(str(json_array_get(list, 0), "connectionId"),
			    ids[7]);
	jdresp_release(&r);
	/* status: one value. */
	admin_conn(f, ids[3], "approve", 200);
	call(&r, f, 200, "bgw", "GET", V1 "/connections/",
	     "filters.1.name=status&filters.1.values.1=Installation_Paying",
	     NULL);
	assert_int_equal(json_integer_value(
			     json_object_get(jdresp_result(&r), "totalCount")),
			 1);
	jdresp_release(&r);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "GET", V1 "/connections/",
		 "filters.1.name=status&filters.1.values.1=Ordering"
		 "&filters.1.values.2=Active",
		 NULL);
	call(&r, f, 200, "bgw", "GET", V1 "/connections/",
	     "filters.1.name=types&filters.1.values.1=jcloud_partner", NULL);
	assert_int_equal(json_integer_value(
			     json_object_get(jdresp_result(&r), "totalCount")),
			 0);
	jdresp_release(&r);
	/* Another account sees none of them. */
	{
		struct jdclient other;

		jdclient_init(&other, f->emu.url, "POORAK", "POORSK", REGION);
		assert_int_equal(jdclient_call(&r, &other, "bgw", "GET",
					       V1 "/connections/", NULL, NULL),
				 0);
		assert_int_equal(r.status, 200);
		assert_int_equal(json_integer_value(json_object_get(
				     jdresp_result(&r), "totalCount")),
				 0);
		jdresp_release(&r);
		jdclient_release(&other);
	}
	for (i = 0; i < 250; i++)
		free(ids[i]);
}

/* ---------------------------------------------------------------- */
/* Quotas, persistence, time, modify and resize */

static void test_jd__quotas(void **state)
{
	struct fx *f = *state;
	char *ids[10], *extra, *path;
	struct jdresp r;
	int i;

	for (i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "q-%d", i);
		ids[i] = create_conn(f, name, "tok", NULL);
	}
	call_err(f, 429, "QUOTA_EXCEEDED", "bgw", "POST", V1 "/connections/",
		 NULL,
		 "{\"connectionSpec\":{\"connectionName\":\"q-10\",\"type\":"
		 "\"jcloud_hosted\",\"location\":{\"locationPortSpecCode\":"
		 "\"10GBase-LR\"}}}");
	/* Another region has its own quota. */
	{
		struct jdclient other;

		jdclient_init(&other, f->emu.url, "JDTESTAK", "JDTESTSK",
			      "cn-east-2");
		assert_int_equal(
		    jdclient_call(&r, &other, "bgw", "POST",
				  "/v1/regions/cn-east-2/connections/", NULL,
				  "{\"connectionSpec\":{\"connectionName\":"
				  "\"sh\",\"type\":\"jcloud\",\"location\":{"
				  "\"locationCode\":\"SH-JA\","
				  "\"locationPortSpecCode\":\"1000Base-T\","
				  "\"locationISPCode\":\"CUCC\"}}}"),
		    0);
		assert_int_equal(r.status, 200);
		jdresp_release(&r);
		jdclient_release(&other);
	}
	/* A deleted one frees its place. */
	path = xasprintf(V1 "/connections/%s", ids[0]);
	call(&r, f, 200, "bgw", "DELETE", path, NULL, NULL);
	jdresp_release(&r);
	assert_conn_status(f, ids[0], "Deleted");
	extra = create_conn(f, "q-again", "tok", NULL);
	free(extra);
	free(path);
	for (i = 0; i < 10; i++)
		free(ids[i]);

	for (i = 0; i < 5; i++)
		free(call_id(f, "POST", V1 "/bgws/",
			     "{\"bgwSpec\":{\"bgwName\":\"gw\"}}", "bgwId"));
	call_err(f, 429, "QUOTA_EXCEEDED", "bgw", "POST", V1 "/bgws/", NULL,
		 "{\"bgwSpec\":{\"bgwName\":\"gw\"}}");
}

static void test_jd__persistence(void **state)
{
	struct fx *f = *state;
	char *statef = xasprintf("%s/state.json", f->dir);
	const char *args[] = {"--config",     f->config, "--manual",
			      "--state-file", statef,	 NULL};
	struct emuproc emu;
	struct jdclient saved = f->jd;
	char *id, *path, *inst;
	json_t *c;
	int64_t bal;
	int no, np;
	int64_t paid;

	/* First life: create, approve, pay. */
	assert_int_equal(emuproc_start(&emu, args), 0);
	f->jd.endpoint = emu.url;
	id = create_conn(f, "persisted", "tok:persist", NULL);
	path = xasprintf(V1 "/connections/%s", id);
	{
		char *ap =
		    xasprintf("/_emulator/jdcloud/connections/%s:approve", id);
		json_t *out = NULL;

		assert_int_equal(emuproc_admin(&out, &emu, "POST", ap, NULL),
				 200);
		json_decref(out);
		free(ap);
	}
	c = get_obj(f, "bgw", path, "connection");
	inst = xstrdup(str(c, "orderId"));
	json_decref(c);
	pay(f, inst, 200, NULL);
	bal = balance_fen(f);
	assert_int_equal(emuproc_stop(&emu), 0);

	/* Second life: everything is still there and moves on. */
	assert_int_equal(emuproc_start(&emu, args), 0);
	f->jd.endpoint = emu.url;
	c = get_obj(f, "bgw", path, "connection");
	assert_string_equal(str(c, "connectionStatus"), "Pending");
	assert_string_equal(str(c, "description"), "tok:persist");
	json_decref(c);
	assert_int_equal(balance_fen(f), bal);
	pay(f, inst, 200, NULL);
	assert_int_equal(balance_fen(f), bal);
	{
		char *cp =
		    xasprintf("/_emulator/jdcloud/connections/%s:complete", id);
		json_t *out = NULL, *l = NULL, *e;
		size_t i;

		assert_int_equal(emuproc_admin(&out, &emu, "POST", cp, NULL),
				 200);
		json_decref(out);
		free(cp);
		no = np = 0;
		paid = 0;
		assert_int_equal(
		    emuproc_admin(&l, &emu, "GET", "/_emulator/ledger", NULL),
		    200);
		json_array_foreach (json_object_get(l, "ledger"), i, e) {
			if (strcmp(str(e, "order_id"), inst))
				continue;
			no += !strcmp(str(e, "kind"), "order");
			np += !strcmp(str(e, "kind"), "payment");
			paid += json_integer_value(
			    json_object_get(e, "amount_fen"));
		}
		json_decref(l);
	}
	assert_int_equal(no, 1);
	assert_int_equal(np, 1);
	assert_conn_status(f, id, "Confirming");
	assert_int_equal(emuproc_stop(&emu), 0);
	f->jd = saved;
	free(inst);
	free(path);
	free(id);
	free(statef);
}

/* The admin time shift moves the world; clients keep signing with the
 * real clock and are still accepted. */
static void test_jd__time_advance(void **state)
{
	struct fx *f = *state;
	char *id = create_conn(f, "later", "tok", NULL);
	json_t *out = NULL;

	assert_conn_status(f, id, "Ordering");
	assert_int_equal(admin(f, &out, "POST", "/_emulator/time/advance",
			       "{\"ms\":7200000}"),
			 200);
	json_decref(out);
	/* Two hours on: review done (the order waits for payment). */
	assert_conn_status(f, id, "Installation_Paying");
	free(id);
}

static void test_jd__modify_resize_orders(void **state)
{
	struct fx *f = *state;
	char *conn = active_conn(f, "resize-line");
	char *cpath = xasprintf(V1 "/connections/%s", conn);
	char *rpath = xasprintf(V1 "/connections/%s:resize", conn);
	char *bgw, *vif, *att, *route, *body, *p;
	json_t *c, *o;
	struct jdresp r;
	char *order_id;

	/* Down to 1G: free, at once (a repeated regionId is ignored). */
	call(&r, f, 200, "bgw", "POST", rpath, NULL,
	     "{\"locationPortSpecCode\":\"1000Base-LX\",\"regionId\":"
	     "\"cn-north-1\"}");
	assert_null(json_object_get(jdresp_result(&r), "orderId"));
	jdresp_release(&r);
	c = get_obj(f, "bgw", cpath, "connection");
	assert_int_equal(
	    json_integer_value(json_object_get(c, "bandwidthMbps")), 1000);
	json_decref(c);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", rpath, NULL,
		 "{\"locationPortSpecCode\":\"1000Base-LX\"}");
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "POST", rpath, NULL,
		 "{\"locationPortSpecCode\":\"40GBase\"}");
	/* Up to 10G: an order for the monthly difference, applied when
	 * paid. */
	call(&r, f, 200, "bgw", "POST", rpath, NULL,
	     "{\"locationPortSpecCode\":\"10GBase-LR\"}");
	order_id = xstrdup(str(jdresp_result(&r), "orderId"));
	jdresp_release(&r);
	o = order(f, order_id);
	assert_string_equal(str(o, "orderType"), "RESIZE_FORMULA");
	assert_int_equal(json_integer_value(json_object_get(o, "actualFee")),
			 2000000 - 300000);
	json_decref(o);
	c = get_obj(f, "bgw", cpath, "connection");
	assert_int_equal(
	    json_integer_value(json_object_get(c, "bandwidthMbps")), 1000);
	json_decref(c);
	pay(f, order_id, 200, NULL);
	c = get_obj(f, "bgw", cpath, "connection");
	assert_int_equal(
	    json_integer_value(json_object_get(c, "bandwidthMbps")), 10000);
	json_decref(c);
	free(order_id);

	/* queryOrders: installation, rental, resize. */
	call(&r, f, 200, "order", "POST", V2 "/orders", NULL,
	     "{\"queryVo\":{\"pageNumber\":1,\"pageSize\":10}}");
	assert_int_equal(json_integer_value(
			     json_object_get(jdresp_result(&r), "totalCount")),
			 3);
	jdresp_release(&r);
	call(&r, f, 200, "order", "POST", V2 "/orders", NULL,
	     "{\"queryVo\":{\"orderType\":\"RESIZE_FORMULA\"}}");
	assert_int_equal(json_integer_value(
			     json_object_get(jdresp_result(&r), "totalCount")),
			 1);
	jdresp_release(&r);
	call_err(f, 400, "INVALID_ARGUMENT", "order", "POST", V2 "/orders",
		 NULL, "{}");

	/* Modify calls. */
	bgw = call_id(f, "POST", V1 "/bgws/",
		      "{\"bgwSpec\":{\"bgwName\":"
		      "\"before\"}}",
		      "bgwId");
	p = xasprintf(V1 "/bgws/%s", bgw);
	call(&r, f, 200, "bgw", "PATCH", p, NULL,
	     "{\"bgwName\":\"after\",\"description\":\"new\"}");
	jdresp_release(&r);
	o = get_obj(f, "bgw", p, "bgw");
	assert_string_equal(str(o, "bgwName"), "after");
	assert_string_equal(str(o, "description"), "new");
	json_decref(o);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "PATCH", p, NULL,
		 "{\"bgwName\":\"\"}");
	free(p);

	body = xasprintf("{\"privateVifSpec\":{\"privateVifName\":\"v\","
			 "\"connectionId\":\"%s\",\"bgwId\":\"%s\","
			 "\"vlan\":300,\"bgpSpec\":{\"customerAsn\":65100}}}",
			 conn, bgw);
	vif = call_id(f, "POST", V1 "/privateVifs/", body, "privateVifId");
	free(body);
	p = xasprintf(V1 "/privateVifs/%s", vif);
	call(&r, f, 200, "bgw", "PATCH", p, NULL,
	     "{\"privateVifName\":\"v2\",\"healthCheck\":{"
	     "\"healthCheckType\":\"NQA\",\"nqaInfo\":{\"txInterval\":10}}}");
	jdresp_release(&r);
	o = get_obj(f, "bgw", p, "privateVif");
	assert_string_equal(str(o, "privateVifName"), "v2");
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(json_object_get(o, "healthCheck"), "nqaInfo"),
		"txInterval")),
	    10);
	/* Without peerIps the emulator picks a /30. */
	assert_string_equal(
	    str(json_object_get(json_array_get(json_object_get(o, "peers"), 0),
				"peerIps"),
		"customerIp"),
	    "10.254.0.1/30");
	json_decref(o);
	call_err(f, 400, "INVALID_ARGUMENT", "bgw", "PATCH", p, NULL,
		 "{\"healthCheck\":{\"healthCheckType\":\"BFD\",\"bfdInfo\":"
		 "{\"minTxInterval\":5}}}");
	free(p);

	body = xasprintf("{\"vpcAttachmentSpec\":{\"vpcAttachmentName\":"
			 "\"a\",\"vpcId\":\"vpc-m1\",\"bgwId\":\"%s\","
			 "\"propagateType\":\"none\"}}",
			 bgw);
	att =
	    call_id(f, "POST", V1 "/vpcAttachments/", body, "vpcAttachmentId");
	free(body);
	p = xasprintf(V1 "/vpcAttachments/%s", att);
	call(&r, f, 200, "bgw", "PATCH", p, NULL,
	     "{\"propagationAttribute\":{\"propagateType\":\"partial\","
	     "\"subnetIds\":[\"subnet-a\",\"subnet-b\"]}}");
	jdresp_release(&r);
	o = get_obj(f, "bgw", p, "vpcAttachment");
	assert_string_equal(str(o, "propagateType"), "partial");
	assert_int_equal(
	    json_array_size(json_object_get(o, "propagateCidrInfos")), 2);
	json_decref(o);
	free(p);

	p = xasprintf(V1 "/bgws/%s/bgwRoutes/", bgw);
	body = xasprintf("{\"bgwRouteSpec\":{\"bgwRouteDestination\":"
			 "\"10.20.0.0/16\",\"bgwNexthopType\":\"private_vif\","
			 "\"bgwRouteNexthop\":\"%s\"}}",
			 vif);
	route = call_id(f, "POST", p, body, "bgwRouteId");
	free(body);
	{
		char *rp = xasprintf("%s%s", p, route);

		body = xasprintf("{\"bgwNexthopType\":\"vpc_attachment\","
				 "\"bgwRouteNexthop\":\"%s\"}",
				 att);
		call(&r, f, 200, "bgw", "PATCH", rp, NULL, body);
		jdresp_release(&r);
		free(body);
		o = get_obj(f, "bgw", rp, "bgwRoute");
		assert_string_equal(str(o, "bgwRouteNexthop"), att);
		assert_string_equal(str(o, "bgwRouteNextHopType"),
				    "vpcAttachment");
		json_decref(o);
		call_err(f, 400, "INVALID_ARGUMENT", "bgw", "PATCH", rp, NULL,
			 "{\"bgwRouteNexthop\":\"pvif-nosuch00\"}");
		free(rp);
	}
	/* The attachment is now the next hop; the VIF is free to go. */
	{
		char *vp = xasprintf(V1 "/privateVifs/%s", vif);
		char *ap = xasprintf(V1 "/vpcAttachments/%s", att);

		call(&r, f, 200, "bgw", "DELETE", vp, NULL, NULL);
		jdresp_release(&r);
		call_err(f, 400, "FAILED_PRECONDITION", "bgw", "DELETE", ap,
			 NULL, NULL);
		free(vp);
		free(ap);
	}
	free(p);
	free(route);
	free(att);
	free(vif);
	free(bgw);
	free(rpath);
	free(cpath);
	free(conn);
}

/* Deleting a connection cancels its unpaid orders: nothing is charged for
 * a line that is going away. */
static void test_jd__delete_cancels_unpaid_orders(void **state)
{
	struct fx *f = *state;
	char *id = create_conn(f, "short-lived", "tok", NULL);
	char *path = xasprintf(V1 "/connections/%s", id);
	char *confirm = xasprintf(V1 "/connections/%s:confirm", id);
	char *rental;
	json_t *c, *o;
	struct jdresp r;
	int64_t bal;

	admin_conn(f, id, "approve", 200);
	c = get_obj(f, "bgw", path, "connection");
	pay(f, str(c, "orderId"), 200, NULL);
	json_decref(c);
	admin_conn(f, id, "complete", 200);
	call(&r, f, 200, "bgw", "POST", confirm, NULL,
	     "{\"confirmConnectionSpec\":{\"chargeTimeSpan\":3}}");
	rental = xstrdup(str(jdresp_result(&r), "orderId"));
	jdresp_release(&r);
	/* Confirming again returns the same unpaid order. */
	call(&r, f, 200, "bgw", "POST", confirm, NULL,
	     "{\"confirmConnectionSpec\":{\"chargeTimeSpan\":3}}");
	assert_string_equal(str(jdresp_result(&r), "orderId"), rental);
	jdresp_release(&r);
	bal = balance_fen(f);
	call(&r, f, 200, "bgw", "DELETE", path, NULL, NULL);
	jdresp_release(&r);
	assert_conn_status(f, id, "Deleting");
	o = order(f, rental);
	assert_string_equal(str(o, "status"), "CANCELED");
	json_decref(o);
	pay(f, rental, 400, "FAILED_PRECONDITION");
	assert_int_equal(balance_fen(f), bal);
	free(rental);
	free(confirm);
	free(path);
	free(id);
}

/*
 * Malformed input never takes the emulator down nor gets a 5xx: every
 * field of every create spec replaced by each JSON type, the specs
 * themselves replaced, and broken paths and queries.
 */
static void test_jd__malformed_input(void **state)
{
	static const char *const values[] = {
	    "1",    "-7",   "\"x\"",	   "[]",    "{}",
	    "null", "true", "[{\"a\":1}]", "1e999", "\"\\u0000\""};
	struct fx *f = *state;
	char *conn = active_conn(f, "fuzz-line");
	char *bgw = call_id(f, "POST", V1 "/bgws/",
			    "{\"bgwSpec\":{\"bgwName\":\"fuzz\"}}", "bgwId");
	char *rp = xasprintf(V1 "/bgws/%s/bgwRoutes/", bgw);
	struct {
		const char *path, *wrapper;
		char *spec;
	} specs[] = {
	    {V1 "/connections/", "connectionSpec",
	     xstrdup("{\"connectionName\":\"f\",\"type\":\"jcloud\","
		     "\"description\":\"d\",\"location\":{"
		     "\"locationCode\":\"BJ-HD\",\"locationPortSpecCode\":"
		     "\"10GBase-LR\",\"locationISPCode\":\"CT\"},"
		     "\"autoPay\":false,\"phoneNumber\":\"13800000000\"}")},
	    {V1 "/bgws/", "bgwSpec",
	     xstrdup("{\"bgwName\":\"g\",\"azType\":\"standard\"}")},
	    {V1 "/privateVifs/", "privateVifSpec",
	     xasprintf("{\"privateVifName\":\"v\",\"connectionId\":\"%s\","
		       "\"bgwId\":\"%s\",\"vlan\":7,\"enableBgp\":true,"
		       "\"bgpSpec\":{\"customerAsn\":65001},\"peerIps\":"
		       "[{\"customerIp\":\"10.9.0.1/30\",\"jdCloudIp\":"
		       "\"10.9.0.2/30\"}],\"healthCheck\":{"
		       "\"healthCheckType\":\"BFD\"}}",
		       conn, bgw)},
	    {V1 "/vpcAttachments/", "vpcAttachmentSpec",
	     xasprintf("{\"vpcAttachmentName\":\"a\",\"vpcId\":\"vpc-f\","
		       "\"bgwId\":\"%s\",\"propagateType\":\"partial\","
		       "\"subnetIds\":[\"subnet-1\"]}",
		       bgw)},
	    {rp, "bgwRouteSpec",
	     xstrdup("{\"bgwRouteDestination\":\"10.0.0.0/8\","
		     "\"bgwNexthopType\":\"vpc\",\"bgwRouteNexthop\":"
		     "\"vpc-f\"}")},
	};
	static const char *const bad_paths[] = {
	    "/v1/regions//connections/",
	    "/v1/regions/cn-north-1/",
	    "/v1/regions/cn-north-1/connections/:confirm",
	    "/v1/regions/cn-north-1/connections/x:",
	    "/v1/regions/cn-north-1/connections/a/b/c/d/e",
	    "/v1/regions/cn-north-1/bgws/x/bgwRoutes/y/z",
	    "/v1/regions/cn-north-1/connections//x",
	};
	size_t i, j, k;
	struct jdresp r;

	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		json_t *spec = json_loads(specs[i].spec, 0, NULL);
		const char *key;
		json_t *v;

		assert_non_null(spec);
		json_object_foreach (spec, key, v) {
			for (j = 0; j < ARRAY_SIZE(values); j++) {
				char *body;
				json_t *copy = json_deep_copy(spec);
				char *text;

				json_object_set_new(copy, key,
						    json_string("PLACEHOLDER"));
				text = json_dumps(copy, JSON_COMPACT);
				/* Splice the raw value in (1e999, \u0000). */
				{
					char *at =
					    strstr(text, "\"PLACEHOLDER\"");
					*at = '\0';
					body = xasprintf("{\"%s\":%s%s%s}",
							 specs[i].wrapper, text,
							 values[j], at + 13);
				}
				assert_int_equal(
				    jdclient_call(&r, &f->jd, "bgw", "POST",
						  specs[i].path, NULL, body),
				    0);
				if (r.status >= 500 || r.status < 200)
					fprintf(stderr, "%s -> %ld %s\n", body,
						r.status, r.body);
				assert_true(r.status >= 200 && r.status < 500);
				jdresp_release(&r);
				free(body);
				free(text);
				json_decref(copy);
			}
		}
		/* The whole spec of each type. */
		for (j = 0; j < ARRAY_SIZE(values); j++) {
			char *body = xasprintf("{\"%s\":%s}", specs[i].wrapper,
					       values[j]);

			assert_int_equal(jdclient_call(&r, &f->jd, "bgw",
						       "POST", specs[i].path,
						       NULL, body),
					 0);
			assert_true(r.status >= 400 && r.status < 500);
			jdresp_release(&r);
			free(body);
		}
		json_decref(spec);
		free(specs[i].spec);
	}
	for (k = 0; k < ARRAY_SIZE(bad_paths); k++) {
		assert_int_equal(jdclient_call(&r, &f->jd, "bgw", "GET",
					       bad_paths[k], NULL, NULL),
				 0);
		assert_true(r.status == 404 || r.status == 400);
		jdresp_release(&r);
	}
	/* Broken queries. */
	{
		static const char *const qs[] = {
		    "pageSize=abc",
		    "pageNumber=99999999999999999999",
		    "filters.x.name=a",
		    "filters.1.values.0=a",
		    "filters.1.values.1=a",
		    "filters.1.name=status"
		    "&filters.1.operator=like&filters.1.values.1=a",
		    "%zz=1",
		    "pageSize=10&pageSize=20",
		    "&&&=&",
		};

		for (k = 0; k < ARRAY_SIZE(qs); k++) {
			assert_int_equal(jdclient_call(&r, &f->jd, "bgw", "GET",
						       V1 "/connections/",
						       qs[k], NULL),
					 0);
			assert_true(r.status == 400 || r.status == 200);
			jdresp_release(&r);
		}
	}
	/* Still serving. */
	call(&r, f, 200, "bgw", "GET", V1 "/connections/", NULL, NULL);
	jdresp_release(&r);
	free(rp);
	free(bgw);
	free(conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_jd__signature_good_and_bad,
					    setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__missing_authorization,
					    setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__published_vectors,
					    setup_wide_skew, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__jdcloud3_vectors,
					    setup_wide_skew, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__routing_and_envelope,
					    setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__faults_in_envelope,
					    setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__connection_flow_manual,
					    setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__connection_flow_auto,
					    setup_auto, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__rejected_review,
					    setup_auto, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__rejected_by_admin,
					    setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__pay_twice_charges_once,
					    setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__insufficient_balance,
					    setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__bgw_vif_attachment_route,
					    setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__filters_and_pagination,
					    setup_manual_big_quota, teardown),
	    cmocka_unit_test_setup_teardown(
		test_jd__delete_cancels_unpaid_orders, setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__quotas, setup_manual,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_jd__persistence, setup_manual,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_jd__time_advance, setup_auto,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_jd__modify_resize_orders,
					    setup_manual, teardown),
	    cmocka_unit_test_setup_teardown(test_jd__malformed_input,
					    setup_manual_big_quota, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
