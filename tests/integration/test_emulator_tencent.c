/*
 * The emulator's Tencent Cloud half over the wire: TC3 verification, the
 * API 3.0 envelope, the full prepaid DCDB purchase (price, create, unpaid
 * order, PayDeals, delivery, init, running, isolate, destroy) with the
 * ledger, postpaid instances, batched describes, tags, no double charge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/lib/emuproc.h"
#include "tests/lib/tcclient.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "core/util/buf.h"
#include "core/util/fs.h"

#define SID "AKIDdcformDemo0000000000000000000001"
#define SKEY "dcformDemoSecretKey00000000000000001"
#define DCDB "dcdb", "2018-04-11"
#define BILL "billing", "2018-07-09"

struct fx {
	struct emuproc p;
	struct tcclient c;
};

static int setup(void **st)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	const char *args[] = {"--seed", "7", NULL};

	assert_int_equal(emuproc_start(&f->p, args), 0);
	tcclient_init(&f->c, f->p.url, SID, SKEY, "ap-guangzhou");
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	struct fx *f = *st;

	tcclient_release(&f->c);
	assert_int_equal(emuproc_stop(&f->p), 0);
	free(f);
	return 0;
}

static json_t *call(struct fx *f, const char *svc, const char *ver,
		    const char *action, const char *params)
{
	long status = 0;
	json_t *j = tcclient_call(&f->c, &status, svc, ver, action, params);

	assert_int_equal(status, 200);
	assert_non_null(j);
	assert_non_null(json_get_str(tc_response(j), "RequestId", NULL));
	return j;
}

/* Call and expect success; returns the Response (the body is kept in
 * *body for the caller to free). */
static json_t *ok(struct fx *f, json_t **body, const char *svc, const char *ver,
		  const char *action, const char *params)
{
	*body = call(f, svc, ver, action, params);
	if (*tc_error_code(*body))
		fail_msg(
		    "%s: %s: %s", action, tc_error_code(*body),
		    json_get_str(json_object_get(tc_response(*body), "Error"),
				 "Message", ""));
	return tc_response(*body);
}

static void expect_error(struct fx *f, const char *svc, const char *ver,
			 const char *action, const char *params,
			 const char *code)
{
	json_t *j = call(f, svc, ver, action, params);

	assert_string_equal(tc_error_code(j), code);
	json_decref(j);
}

static void advance(struct fx *f, int ms)
{
	char body[64];
	json_t *out = NULL;

	snprintf(body, sizeof(body), "{\"ms\":%d}", ms);
	assert_int_equal(
	    emuproc_admin(&out, &f->p, "POST", "/_emulator/time/advance", body),
	    200);
	json_decref(out);
}

static json_t *ledger(struct fx *f, const char *kind)
{
	json_t *out = NULL, *l;
	char *path = xasprintf("/_emulator/ledger?cloud=tencent&kind=%s", kind);

	assert_int_equal(emuproc_admin(&out, &f->p, "GET", path, NULL), 200);
	free(path);
	l = json_incref(json_object_get(out, "ledger"));
	json_decref(out);
	return l;
}

static void set_balance(struct fx *f, int64_t fen)
{
	json_t *out = NULL;
	char *b = xasprintf("{\"tencent_balance_fen\":%lld}", (long long)fen);

	assert_int_equal(
	    emuproc_admin(&out, &f->p, "POST", "/_emulator/accounts/demo", b),
	    200);
	json_decref(out);
	free(b);
}

static int64_t balance(struct fx *f)
{
	json_t *b, *r = ok(f, &b, BILL, "DescribeAccountBalance", NULL);
	int64_t v = json_get_int(r, "Balance", -1);

	json_decref(b);
	return v;
}

static void test_tc__signature_checks(void **st)
{
	struct fx *f = *st;

	f->c.sign_secret = "wrong-key";
	expect_error(f, DCDB, "DescribeDCDBSaleInfo", NULL,
		     "AuthFailure.SignatureFailure");
	f->c.sign_secret = NULL;
	f->c.time_offset_s = -600;
	expect_error(f, DCDB, "DescribeDCDBSaleInfo", NULL,
		     "AuthFailure.SignatureExpire");
	f->c.time_offset_s = 0;
	f->c.scope_date = "2020-01-01";
	expect_error(f, DCDB, "DescribeDCDBSaleInfo", NULL,
		     "AuthFailure.SignatureFailure");
	f->c.scope_date = NULL;
	free(f->c.secret_id);
	f->c.secret_id = xstrdup("AKIDnobody");
	expect_error(f, DCDB, "DescribeDCDBSaleInfo", NULL,
		     "AuthFailure.SecretIdNotFound");
	free(f->c.secret_id);
	f->c.secret_id = xstrdup(SID);
	expect_error(f, "dcdb", "2017-03-12", "DescribeDCDBSaleInfo", NULL,
		     "NoSuchVersion");
	expect_error(f, DCDB, "DescribeNothing", NULL, "InvalidAction");
	expect_error(f, DCDB, "DescribeDCDBInstances", "{\"Limitt\":5}",
		     "UnknownParameter");
	expect_error(f, DCDB, "DescribeDCDBInstances", "{\"Limit\":500}",
		     "InvalidParameterValue");
	expect_error(f, DCDB, "DescribeFlow", "{}", "MissingParameter");
}

static const char *spec =
    "\"ShardMemory\":16,\"ShardStorage\":100,\"ShardNodeCount\":2,"
    "\"ShardCount\":2";

static void test_tc__prepaid_purchase(void **st)
{
	struct fx *f = *st;
	json_t *b1, *b2, *r, *deal, *l;
	char *p;
	const char *dn, *id;
	int64_t price, before = balance(f), flow;

	/* Price. */
	p = xasprintf(
	    "{\"Zone\":\"ap-guangzhou-3\",\"Count\":1,\"Period\":1,%s}", spec);
	r = ok(f, &b1, DCDB, "DescribeDCDBPrice", p);
	price = json_get_int(r, "Price", 0);
	assert_true(price > 0);
	json_decref(b1);
	free(p);

	/* With less than the price in the account, the create leaves its
	 * order unpaid and no instance yet. */
	set_balance(f, price - 1);
	p = xasprintf("{\"Zones\":[\"ap-guangzhou-3\"],\"Period\":1,%s,"
		      "\"InstanceName\":\"orders\",\"ResourceTags\":"
		      "[{\"TagKey\":\"dcform-token\",\"TagValue\":\"tok-1\"}]}",
		      spec);
	r = ok(f, &b1, DCDB, "CreateDCDBInstance", p);
	free(p);
	dn = json_get_str(r, "DealName", NULL);
	assert_non_null(dn);
	p = xasprintf("{\"DealNames\":[\"%s\"]}", dn);
	r = ok(f, &b2, DCDB, "DescribeOrders", p);
	deal = json_array_get(json_object_get(r, "Deals"), 0);
	assert_true(json_is_null(json_object_get(deal, "InstanceIds")));
	json_decref(b2);
	assert_int_equal(balance(f), price - 1);
	set_balance(f, before);

	/* Pay; paying again is refused and charges nothing. */
	{
		char *q = xasprintf("{\"OrderIds\":[\"%s\"]}", dn);
		json_t *b3;

		ok(f, &b3, BILL, "PayDeals", q);
		json_decref(b3);
		expect_error(f, BILL, "PayDeals", q,
			     "FailedOperation.InvalidDeal");
		free(q);
	}
	assert_int_equal(balance(f), before - price);
	l = ledger(f, "payment");
	assert_int_equal(json_array_size(l), 1);
	assert_int_equal(json_get_int(json_array_get(l, 0), "amount_fen", 0),
			 price);
	json_decref(l);

	/* Delivery, then status 3. */
	advance(f, 5000);
	r = ok(f, &b2, DCDB, "DescribeOrders", p);
	deal = json_array_get(json_object_get(r, "Deals"), 0);
	id = json_string_value(
	    json_array_get(json_object_get(deal, "InstanceIds"), 0));
	assert_non_null(id);
	free(p);
	advance(f, 5000);
	p = xasprintf("{\"InstanceIds\":[\"%s\"]}", id);
	{
		json_t *b3;
		r = ok(f, &b3, DCDB, "DescribeDCDBInstances", p);
		r = json_array_get(json_object_get(r, "Instances"), 0);
		assert_int_equal(json_get_int(r, "Status", -9), 3);
		assert_string_equal(json_get_str(r, "InstanceName", ""),
				    "orders");
		assert_string_equal(
		    json_get_str(
			json_array_get(json_object_get(r, "ResourceTags"), 0),
			"TagValue", ""),
		    "tok-1");
		json_decref(b3);
	}
	/* Init → flow → running. */
	{
		char *q = xasprintf("{\"InstanceIds\":[\"%s\"],\"Params\":["
				    "{\"Param\":\"character_set_server\","
				    "\"Value\":\"utf8mb4\"},{\"Param\":"
				    "\"lower_case_table_names\",\"Value\":"
				    "\"1\"}]}",
				    id);
		json_t *b3, *b4;
		char fq[64];

		r = ok(f, &b3, DCDB, "InitDCDBInstances", q);
		flow = json_integer_value(
		    json_array_get(json_object_get(r, "FlowIds"), 0));
		snprintf(fq, sizeof(fq), "{\"FlowId\":%lld}", (long long)flow);
		r = ok(f, &b4, DCDB, "DescribeFlow", fq);
		assert_int_equal(json_get_int(r, "Status", -1), 2);
		json_decref(b4);
		expect_error(f, DCDB, "InitDCDBInstances", q,
			     "ResourceUnavailable.BadInstanceStatus");
		advance(f, 5000);
		r = ok(f, &b4, DCDB, "DescribeFlow", fq);
		assert_int_equal(json_get_int(r, "Status", -1), 0);
		json_decref(b4);
		json_decref(b3);
		free(q);
	}
	{
		json_t *b3;
		r = ok(f, &b3, DCDB, "DescribeDCDBInstances", p);
		r = json_array_get(json_object_get(r, "Instances"), 0);
		assert_int_equal(json_get_int(r, "Status", -9), 2);
		assert_true(*json_get_str(r, "Vip", ""));
		json_decref(b3);
	}
	/* Destroy needs isolate first. */
	{
		char *q = xasprintf("{\"InstanceId\":\"%s\"}", id);
		json_t *b3;

		expect_error(f, DCDB, "DestroyDCDBInstance", q,
			     "ResourceUnavailable.BadInstanceStatus");
		r = ok(f, &b3, DCDB, "IsolateDCDBInstance", p);
		assert_int_equal(
		    json_array_size(json_object_get(r, "SuccessInstanceIds")),
		    1);
		json_decref(b3);
		r = ok(f, &b3, DCDB, "DestroyDCDBInstance", q);
		json_decref(b3);
		advance(f, 5000);
		r = ok(f, &b3, DCDB, "DescribeDCDBInstances", p);
		assert_int_equal(json_get_int(r, "TotalCount", -1), 0);
		json_decref(b3);
		free(q);
	}
	free(p);
	json_decref(b1);
	json_decref(b2);
}

static void test_tc__postpaid_and_batches(void **st)
{
	struct fx *f = *st;
	json_t *b, *r, *ids = json_array(), *id;
	struct buf q = BUF_INIT;
	size_t i;
	char *p;

	/* 25 instances of 10 each... keep it to 3 calls of Count 10 and
	 * one of 5: 35 instances. */
	for (i = 0; i < 4; i++) {
		p = xasprintf("{%s,\"Count\":%d,\"InstanceName\":\"pp\"}", spec,
			      i < 3 ? 10 : 5);
		r = ok(f, &b, DCDB, "CreateHourDCDBInstance", p);
		json_array_extend(ids, json_object_get(r, "InstanceIds"));
		assert_true(json_get_int(r, "FlowId", 0) > 0);
		json_decref(b);
		free(p);
	}
	assert_int_equal(json_array_size(ids), 35);
	/* Pages: Limit 100 max; TotalCount counts all. */
	r = ok(f, &b, DCDB, "DescribeDCDBInstances",
	       "{\"Limit\":20,\"Offset\":20}");
	assert_int_equal(json_get_int(r, "TotalCount", 0), 35);
	assert_int_equal(json_array_size(json_object_get(r, "Instances")), 15);
	json_decref(b);
	/* One call with 30 ids. */
	buf_puts(&q, "{\"Limit\":100,\"InstanceIds\":[");
	json_array_foreach (ids, i, id) {
		if (i >= 30)
			break;
		buf_printf(&q, "%s\"%s\"", i ? "," : "", json_string_value(id));
	}
	buf_puts(&q, "]}");
	r = ok(f, &b, DCDB, "DescribeDCDBInstances", q.ptr);
	assert_int_equal(json_get_int(r, "TotalCount", 0), 30);
	json_decref(b);
	buf_release(&q);
	/* Postpaid cannot use the prepaid destroy. */
	p = xasprintf("{\"InstanceId\":\"%s\"}",
		      json_string_value(json_array_get(ids, 0)));
	expect_error(f, DCDB, "DestroyDCDBInstance", p,
		     "InvalidParameter.NotSupportedPayMode");
	r = ok(f, &b, DCDB, "DestroyHourDCDBInstance", p);
	json_decref(b);
	free(p);
	json_decref(ids);
}

static void test_tc__bad_specs_and_money(void **st)
{
	struct fx *f = *st;
	json_t *out = NULL, *b, *r;
	char *p;

	expect_error(f, DCDB, "CreateDCDBInstance",
		     "{\"Zones\":[\"ap-guangzhou-9\"],\"Period\":1,"
		     "\"ShardMemory\":16,\"ShardStorage\":100,"
		     "\"ShardNodeCount\":2,\"ShardCount\":2}",
		     "InvalidParameterValue.IllegalZone");
	expect_error(f, DCDB, "CreateDCDBInstance",
		     "{\"Zones\":[\"ap-guangzhou-3\"],\"Period\":1,"
		     "\"ShardMemory\":17,\"ShardStorage\":100,"
		     "\"ShardNodeCount\":2,\"ShardCount\":2}",
		     "InvalidParameter.SpecNotFound");
	expect_error(f, DCDB, "CreateDCDBInstance",
		     "{\"Zones\":[\"ap-guangzhou-3\"],\"Period\":1,"
		     "\"ShardMemory\":16,\"ShardStorage\":100,"
		     "\"ShardNodeCount\":2}",
		     "MissingParameter");
	/* A poor account cannot pay. */
	assert_int_equal(emuproc_admin(&out, &f->p, "POST",
				       "/_emulator/accounts/demo",
				       "{\"tencent_balance_fen\":100}"),
			 200);
	json_decref(out);
	p = xasprintf("{\"Zones\":[\"ap-guangzhou-3\"],\"Period\":1,%s}", spec);
	r = ok(f, &b, DCDB, "CreateDCDBInstance", p);
	free(p);
	p = xasprintf("{\"OrderIds\":[\"%s\"]}",
		      json_get_str(r, "DealName", ""));
	expect_error(f, BILL, "PayDeals", p,
		     "FailedOperation.BalanceInsufficient");
	free(p);
	json_decref(b);
	assert_int_equal(balance(f), 100);
	r = ledger(f, "payment");
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
}

static void test_tc__create_pays_when_it_can(void **st)
{
	struct fx *f = *st;
	json_t *b, *r, *l;
	char *p;
	int64_t before = balance(f);

	p = xasprintf("{\"Zones\":[\"ap-guangzhou-4\"],\"Period\":2,%s}", spec);
	r = ok(f, &b, DCDB, "CreateDCDBInstance", p);
	free(p);
	p = xasprintf("{\"OrderIds\":[\"%s\"]}",
		      json_get_str(r, "DealName", ""));
	expect_error(f, BILL, "PayDeals", p, "FailedOperation.InvalidDeal");
	free(p);
	json_decref(b);
	r = ok(f, &b, BILL, "DescribeDealsByCond",
	       "{\"StartTime\":\"2020-01-01 00:00:00\",\"EndTime\":"
	       "\"2099-01-01 00:00:00\",\"Limit\":10}");
	assert_int_equal(json_get_int(r, "TotalCount", 0), 1);
	assert_int_equal(
	    json_get_int(json_array_get(json_object_get(r, "Deals"), 0),
			 "Status", 0),
	    2);
	assert_int_equal(
	    strlen(json_get_str(json_array_get(json_object_get(r, "Deals"), 0),
				"CreateTime", "")),
	    19);
	json_decref(b);
	/* Orders placed outside the window are not listed. */
	r = ok(f, &b, BILL, "DescribeDealsByCond",
	       "{\"StartTime\":\"2020-01-01 00:00:00\",\"EndTime\":"
	       "\"2020-02-01 00:00:00\",\"Limit\":10}");
	assert_int_equal(json_get_int(r, "TotalCount", 0), 0);
	json_decref(b);
	expect_error(f, BILL, "DescribeDealsByCond",
		     "{\"StartTime\":\"yesterday\",\"EndTime\":"
		     "\"2020-02-01 00:00:00\",\"Limit\":10}",
		     "InvalidParameterValue");
	l = ledger(f, "payment");
	assert_int_equal(json_array_size(l), 1);
	assert_int_equal(balance(f), before - json_get_int(json_array_get(l, 0),
							   "amount_fen", 0));
	json_decref(l);
}

static void test_tc__modify_upgrade_renew(void **st)
{
	struct fx *f = *st;
	json_t *b, *r, *in;
	char *p, *q, *id;

	p = xasprintf("{%s,\"InstanceName\":\"m\"}", spec);
	r = ok(f, &b, DCDB, "CreateHourDCDBInstance", p);
	free(p);
	id = xstrdup(json_string_value(
	    json_array_get(json_object_get(r, "InstanceIds"), 0)));
	json_decref(b);
	advance(f, 5000);
	q = xasprintf("{\"InstanceIds\":[\"%s\"],\"Params\":[{\"Param\":"
		      "\"character_set_server\",\"Value\":\"utf8\"},"
		      "{\"Param\":\"lower_case_table_names\",\"Value\":"
		      "\"0\"}]}",
		      id);
	ok(f, &b, DCDB, "InitDCDBInstances", q);
	json_decref(b);
	free(q);
	advance(f, 5000);

	p = xasprintf("{\"InstanceId\":\"%s\",\"InstanceName\":\"renamed\"}",
		      id);
	ok(f, &b, DCDB, "ModifyDBInstanceName", p);
	json_decref(b);
	free(p);
	p = xasprintf("{\"InstanceIds\":[\"%s\"],\"ProjectId\":7}", id);
	ok(f, &b, DCDB, "ModifyDBInstancesProject", p);
	json_decref(b);
	free(p);
	p = xasprintf("{\"Product\":\"dcdb\",\"InstanceId\":\"%s\","
		      "\"SecurityGroupIds\":[\"sg-1\",\"sg-2\"]}",
		      id);
	ok(f, &b, DCDB, "ModifyDBInstanceSecurityGroups", p);
	json_decref(b);
	free(p);
	p = xasprintf("{\"Product\":\"dcdb\",\"InstanceId\":\"%s\"}", id);
	r = ok(f, &b, DCDB, "DescribeDBSecurityGroups", p);
	assert_int_equal(json_array_size(json_object_get(r, "Groups")), 2);
	json_decref(b);
	free(p);
	p = xasprintf("{\"InstanceId\":\"%s\",\"VpcId\":\"vpc-abc\","
		      "\"SubnetId\":\"subnet-abc\"}",
		      id);
	r = ok(f, &b, DCDB, "ModifyInstanceNetwork", p);
	assert_true(json_get_int(r, "FlowId", 0) > 0);
	json_decref(b);
	free(p);
	p = xasprintf("{\"InstanceId\":\"%s\",\"UpgradeType\":\"ADD\","
		      "\"AddShardConfig\":{\"ShardCount\":2,"
		      "\"ShardMemory\":16,\"ShardStorage\":100}}",
		      id);
	expect_error(f, DCDB, "UpgradeDCDBInstance", p,
		     "InvalidParameter.NotSupportedPayMode");
	ok(f, &b, DCDB, "UpgradeHourDCDBInstance", p);
	json_decref(b);
	free(p);
	p = xasprintf("{\"InstanceId\":\"%s\"}", id);
	r = ok(f, &b, DCDB, "DescribeDCDBInstanceDetail", p);
	assert_string_equal(json_get_str(r, "InstanceName", ""), "renamed");
	assert_int_equal(json_get_int(r, "ProjectId", 0), 7);
	assert_int_equal(json_get_int(r, "ShardCount", 0), 4);
	assert_string_equal(json_get_str(r, "VpcId", ""), "vpc-abc");
	assert_string_equal(json_get_str(r, "PayMode", ""), "postpaid");
	json_decref(b);
	expect_error(f, DCDB, "RenewDCDBInstance",
		     "{\"InstanceId\":\"nope\",\"Period\":1}",
		     "ResourceNotFound.InstanceNotFound");
	in = NULL;
	q = xasprintf("{\"InstanceIds\":[\"%s\"]}", id);
	r = ok(f, &b, DCDB, "IsolateHourDCDBInstance", q);
	assert_int_equal(
	    json_array_size(json_object_get(r, "SuccessInstanceIds")), 1);
	json_decref(b);
	r = ok(f, &b, DCDB, "ActiveHourDCDBInstance", q);
	assert_int_equal(
	    json_array_size(json_object_get(r, "SuccessInstanceIds")), 1);
	json_decref(b);
	r = ok(f, &b, DCDB, "DescribeDCDBShards", p);
	assert_int_equal(json_get_int(r, "TotalCount", 0), 4);
	json_decref(b);
	free(q);
	free(p);
	free(id);
	(void)in;
}

static void test_tc__not_certified(void **st)
{
	struct fx *f = *st;
	json_t *out = NULL;
	char *p;

	assert_int_equal(emuproc_admin(&out, &f->p, "POST",
				       "/_emulator/accounts/demo",
				       "{\"real_name_verified\":false}"),
			 200);
	json_decref(out);
	p = xasprintf("{%s}", spec);
	expect_error(f, DCDB, "CreateHourDCDBInstance", p,
		     "UnauthorizedOperation.NotCertification");
	free(p);
}

/* The documented per-second limits, per account and action: a burst
 * over the limit is answered RequestLimitExceeded (a limit of 3 here, so
 * that even a slow run sends the burst within the second). */
static void test_tc__rate_limit(void **st)
{
	struct fx f;
	char dir[] = "/tmp/dcform-tcrate-XXXXXX";
	static const char conf[] =
	    "{\"tencent\":{\"rate_limits\":{\"default\":3}}}";
	char *cfg;
	const char *args[] = {"--config", NULL, NULL};
	struct err e = ERR_INIT;
	json_t *b, *stats = NULL;
	int i, limited = 0;
	(void)st;

	assert_non_null(mkdtemp(dir));
	cfg = xasprintf("%s/emu.json", dir);
	assert_int_equal(fs_write_atomic(cfg, conf, strlen(conf), 0600, &e), 0);
	args[1] = cfg;
	memset(&f, 0, sizeof(f));
	assert_int_equal(emuproc_start(&f.p, args), 0);
	tcclient_init(&f.c, f.p.url, SID, SKEY, "ap-guangzhou");
	for (i = 0; i < 8; i++) {
		b = call(&f, BILL, "DescribeAccountBalance", NULL);
		if (!strcmp(tc_error_code(b), "RequestLimitExceeded")) {
			limited++;
			assert_non_null(strstr(
			    json_get_str(
				json_object_get(tc_response(b), "Error"),
				"Message", ""),
			    "exceeds the frequency limit `3` for a second"));
		} else {
			assert_string_equal(tc_error_code(b), "");
		}
		json_decref(b);
	}
	assert_true(limited >= 1);
	/* Another action has a window of its own. */
	ok(&f, &b, DCDB, "DescribeDCDBSaleInfo", NULL);
	json_decref(b);
	assert_int_equal(
	    emuproc_admin(&stats, &f.p, "GET", "/_emulator/stats", NULL), 200);
	assert_int_equal(json_get_int(json_object_get(stats, "rate_limited"),
				      "billing.DescribeAccountBalance", 0),
			 limited);
	json_decref(stats);
	tcclient_release(&f.c);
	assert_int_equal(emuproc_stop(&f.p), 0);
	unlink(cfg);
	rmdir(dir);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tc__signature_checks, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tc__prepaid_purchase, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tc__postpaid_and_batches,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tc__bad_specs_and_money, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tc__create_pays_when_it_can,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tc__modify_upgrade_renew,
					    setup, teardown),
	    cmocka_unit_test(test_tc__rate_limit),
	    cmocka_unit_test_setup_teardown(test_tc__not_certified, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
