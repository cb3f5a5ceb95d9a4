/*
 * The emulator core's pure parts (emulator/emu.c, emulator/config.c):
 * ids, query parsing, merging, the ledger, the price model, fault rule
 * validation and evaluation, persistence.  The emulator is not part of
 * libdcform.a, so its two core files are compiled into this test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "emulator/emu.c"
#include "emulator/config.c"

static int setup(void **state)
{
	struct emu *e = xcalloc(1, sizeof(*e));

	emu_init(e, emu_default_config(), 1234);
	emu_time_set_offset(0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct emu *e = *state;

	emu_release(e);
	free(e);
	return 0;
}

static void test_emu__seeded_world(void **state)
{
	struct emu *e = *state;
	json_t *a;

	a = emu_account_by_tc_secret_id(e,
					"AKIDdcformDemo0000000000000000000001");
	assert_non_null(a);
	assert_string_equal(json_get_str(a, "name", ""), "demo");
	assert_ptr_equal(
	    emu_account_by_jd_access_key(e, "JDCDEMOACCESSKEY00001"), a);
	assert_null(emu_account_by_tc_secret_id(e, "AKIDnobody"));
	assert_null(emu_account_by_jd_access_key(e, ""));
	assert_int_equal(
	    json_integer_value(json_path_get(a, "tencent.balance_fen")),
	    100000000);
	assert_int_equal(emu_delay(e, "jd_review", 7), 3000);
	assert_int_equal(emu_delay(e, "no_such_delay", 7), 7);
}

static void test_emu__ids_unique_and_seeded(void **state)
{
	struct emu *e = *state, other;
	char *a, *b;
	int i;

	for (i = 0; i < 2000; i++) {
		char *id = emu_new_id(e, "dcdbt-");

		assert_int_equal(strlen(id), 6 + 8);
		assert_true(str_starts_with(id, "dcdbt-"));
		free(id);
	}
	assert_int_equal(json_object_size(json_object_get(e->world, "ids")),
			 2000);
	assert_true(e->dirty);

	/* Same seed, same ids. */
	emu_init(&other, emu_default_config(), 99);
	a = emu_new_id(&other, "x-");
	emu_release(&other);
	emu_init(&other, emu_default_config(), 99);
	b = emu_new_id(&other, "x-");
	emu_release(&other);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_emu__query_and_headers(void **state)
{
	struct emu_header h[] = {{"Host", "127.0.0.1"},
				 {"X-TC-Action", "DescribeFlow"}};
	struct emu_req r = {
	    .method = "GET",
	    .raw_path = "/",
	    .query = "a=1&b=x%20y+z&empty=&flag&a=2&bad=%zz&c%3Ad=ok",
	    .headers = h,
	    .nheaders = 2,
	};
	char *v;

	(void)state;
	assert_string_equal(emu_req_header(&r, "x-tc-action"), "DescribeFlow");
	assert_null(emu_req_header(&r, "X-TC-Version"));
	v = emu_req_query(&r, "a");
	assert_string_equal(v, "1");
	free(v);
	v = emu_req_query(&r, "b");
	assert_string_equal(v, "x y z");
	free(v);
	v = emu_req_query(&r, "empty");
	assert_string_equal(v, "");
	free(v);
	v = emu_req_query(&r, "flag");
	assert_string_equal(v, "");
	free(v);
	v = emu_req_query(&r, "c:d");
	assert_string_equal(v, "ok");
	free(v);
	assert_null(emu_req_query(&r, "bad"));
	assert_null(emu_req_query(&r, "missing"));
	r.query = "";
	assert_null(emu_req_query(&r, "a"));
}

static void test_emu__merge(void **state)
{
	json_t *base = json_pack("{s:{s:i, s:i}, s:s, s:[i]}", "o", "x", 1, "y",
				 2, "s", "keep", "a", 1);
	json_t *over = json_pack("{s:{s:i, s:n}, s:[i,i], s:s}", "o", "x", 9,
				 "y", "a", 2, 3, "new", "v");

	(void)state;
	emu_json_merge(base, over);
	assert_int_equal(json_integer_value(json_path_get(base, "o.x")), 9);
	assert_null(json_path_get(base, "o.y"));
	assert_string_equal(json_get_str(base, "s", ""), "keep");
	assert_int_equal(json_array_size(json_object_get(base, "a")), 2);
	assert_string_equal(json_get_str(base, "new", ""), "v");
	json_decref(base);
	json_decref(over);
}

static void test_emu__ledger_and_stats(void **state)
{
	struct emu *e = *state;
	json_t *l, *first;

	emu_ledger_add(e, json_pack("{s:s, s:s, s:i}", "kind", "order", "cloud",
				    "tencent", "amount_fen", 100));
	emu_ledger_add(e, json_pack("{s:s}", "kind", "payment"));
	l = json_object_get(e->world, "ledger");
	assert_int_equal(json_array_size(l), 2);
	first = json_array_get(l, 0);
	assert_int_equal(json_get_int(first, "seq", 0), 1);
	assert_true(json_get_int(first, "time", 0) > 0);
	assert_int_equal(json_get_int(json_array_get(l, 1), "seq", 0), 2);

	emu_stats_count(e, "dcdb", "DescribeFlow");
	emu_stats_count(e, "dcdb", "DescribeFlow");
	emu_stats_count(e, "bgw", "createBgw");
	assert_int_equal(json_get_int(json_object_get(e->stats, "requests"),
				      "dcdb.DescribeFlow", 0),
			 2);
	assert_int_equal(json_get_int(e->stats, "total", 0), 3);
}

static void test_emu__time(void **state)
{
	int64_t t0 = emu_now_ms();

	(void)state;
	emu_time_advance(3600000);
	assert_true(emu_now_ms() >= t0 + 3600000);
	assert_int_equal(emu_time_offset(), 3600000);
	emu_time_set_offset(0);
	assert_true(emu_now_ms() < t0 + 3600000);
}

static void test_emu__price_model(void **state)
{
	struct emu *e = *state;
	json_t *over;

	assert_int_equal(emu_dcdb_shard_month_fen(e, 2, 4, 100), 20000);
	assert_int_equal(emu_dcdb_shard_hour_fen(e, 2, 4, 100), 34);
	assert_int_equal(emu_dcdb_shard_month_fen(e, 3, 2, 10),
			 3 * (2 * 1500 + 10 * 40));
	over = json_pack("{s:{s:{s:i, s:i}}}", "tencent", "prices",
			 "shard_base_month_fen", 500, "hourly_markup_percent",
			 100);
	emu_json_merge(e->config, over);
	json_decref(over);
	assert_int_equal(emu_dcdb_shard_month_fen(e, 2, 4, 100), 20500);
	assert_int_equal(emu_dcdb_shard_hour_fen(e, 2, 4, 100),
			 (20500 + 719) / 720);
}

static void test_emu__config_shape(void **state)
{
	struct emu *e = *state;
	json_t *regions = json_path_get(e->config, "tencent.regions");
	json_t *r, *z;
	size_t i, j;
	int zones = 0;

	assert_int_equal(json_array_size(regions), 3);
	json_array_foreach (regions, i, r) {
		assert_non_null(json_get_str(r, "Region", NULL));
		json_array_foreach (json_object_get(r, "Zones"), j, z) {
			assert_true(
			    str_starts_with(json_get_str(z, "Zone", ""),
					    json_get_str(r, "Region", "?")));
			zones++;
		}
	}
	assert_int_equal(zones, 9);
	json_array_foreach (json_path_get(e->config, "tencent.shard_specs"), i,
			    r) {
		assert_true(json_get_int(r, "MinStorage", 0) <
			    json_get_int(r, "MaxStorage", 0));
		assert_true(json_get_int(r, "NodeCount", 0) == 2 ||
			    json_get_int(r, "NodeCount", 0) == 3);
	}
	assert_int_equal(
	    json_array_size(json_path_get(e->config, "jdcloud.regions")), 3);
}

static int add_rule(struct emu *e, const char *text, char **id)
{
	struct buf msg = BUF_INIT;
	json_t *r = json_loads(text, 0, NULL);
	int ret;

	assert_non_null(r);
	ret = emu_fault_add(e, r, id, &msg);
	if (ret < 0)
		assert_true(msg.len > 0);
	json_decref(r);
	buf_release(&msg);
	return ret;
}

static void test_emu__fault_validation(void **state)
{
	struct emu *e = *state;
	static const char *const bad_rules[] = {
	    "{}",
	    "{\"kind\":\"explode\"}",
	    "{\"kind\":\"latency\"}",
	    "{\"kind\":\"error\",\"probability\":1.5}",
	    "{\"kind\":\"error\",\"probability\":\"high\"}",
	    "{\"kind\":\"error\",\"count\":0}",
	    "{\"kind\":\"error\",\"ms\":-1}",
	    "{\"kind\":\"error\",\"http_status\":99}",
	    "{\"kind\":\"error\",\"code\":5}",
	    "{\"kind\":\"error\",\"extra\":1}",
	};
	char *id = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_rules); i++) {
		assert_int_equal(add_rule(e, bad_rules[i], &id), -1);
		assert_null(id);
	}
	assert_int_equal(json_array_size(e->faults), 0);
	assert_int_equal(add_rule(e, "{\"kind\":\"reset\"}", &id), 0);
	assert_string_equal(id, "fault-1");
	free(id);
	assert_int_equal(add_rule(e, "{\"id\":\"a\",\"kind\":\"reset\"}", &id),
			 0);
	free(id);
	assert_int_equal(add_rule(e, "{\"id\":\"a\",\"kind\":\"reset\"}", &id),
			 -1);
	assert_int_equal(emu_fault_del(e, "a"), 0);
	assert_int_equal(emu_fault_del(e, "a"), -1);
}

static void test_emu__fault_eval(void **state)
{
	struct emu *e = *state;
	struct emu_resp resp;
	const char *code = NULL;
	int http = 0;
	char *id;

	assert_int_equal(add_rule(e,
				  "{\"service\":\"dcdb\",\"action\":"
				  "\"CreateDCDBInstance\",\"kind\":\"error\","
				  "\"code\":\"RequestLimitExceeded\","
				  "\"count\":2}",
				  &id),
			 0);
	free(id);
	assert_int_equal(add_rule(e,
				  "{\"service\":\"jdcloud\",\"kind\":"
				  "\"latency\",\"ms\":250}",
				  &id),
			 0);
	free(id);
	assert_int_equal(add_rule(e,
				  "{\"service\":\"jdcloud\",\"kind\":"
				  "\"error\",\"code\":\"RATE_LIMIT\","
				  "\"action\":\"payOrder\"}",
				  &id),
			 0);
	free(id);

	memset(&resp, 0, sizeof(resp));
	assert_int_equal(
	    emu_faults_eval(e, "dcdb", "DescribeFlow", &resp, &code, &http), 0);
	assert_int_equal(resp.latency_ms, 0);
	assert_int_equal(emu_faults_eval(e, "dcdb", "CreateDCDBInstance", &resp,
					 &code, &http),
			 1);
	assert_string_equal(code, "RequestLimitExceeded");
	assert_int_equal(emu_faults_eval(e, "dcdb", "CreateDCDBInstance", &resp,
					 &code, &http),
			 1);
	/* The code of the expired rule stays readable until the next call. */
	assert_string_equal(code, "RequestLimitExceeded");
	assert_int_equal(emu_faults_eval(e, "dcdb", "CreateDCDBInstance", &resp,
					 &code, &http),
			 0);

	/* "jdcloud" matches the JD services only; latencies add up. */
	memset(&resp, 0, sizeof(resp));
	assert_int_equal(
	    emu_faults_eval(e, "bgw", "createBgw", &resp, &code, &http), 0);
	assert_int_equal(resp.latency_ms, 250);
	memset(&resp, 0, sizeof(resp));
	assert_int_equal(
	    emu_faults_eval(e, "order", "payOrder", &resp, &code, &http), 1);
	assert_string_equal(code, "RATE_LIMIT");
	assert_int_equal(http, 429);
	assert_int_equal(resp.latency_ms, 250);
	assert_int_equal(json_get_int(e->stats, "faults_fired", 0), 5);

	/* The other kinds only set flags. */
	json_array_clear(e->faults);
	assert_int_equal(add_rule(e, "{\"kind\":\"hang\"}", &id), 0);
	free(id);
	assert_int_equal(add_rule(e, "{\"kind\":\"reset\"}", &id), 0);
	free(id);
	assert_int_equal(add_rule(e, "{\"kind\":\"cut_half\"}", &id), 0);
	free(id);
	assert_int_equal(add_rule(e, "{\"kind\":\"error\"}", &id), 0);
	free(id);
	memset(&resp, 0, sizeof(resp));
	assert_int_equal(emu_faults_eval(e, "asset", "x", &resp, &code, &http),
			 1);
	assert_int_equal(resp.hang_ms, 60000);
	assert_true(resp.reset);
	assert_true(resp.cut_half);
	assert_string_equal(code, "INTERNAL");
	assert_int_equal(http, 500);
	assert_int_equal(emu_faults_eval(e, "dcdb", "x", &resp, &code, &http),
			 1);
	assert_string_equal(code, "InternalError");
}

static int count_fired(struct emu *e, int n)
{
	struct emu_resp resp;
	const char *code;
	int http, i, fired = 0;

	for (i = 0; i < n; i++) {
		memset(&resp, 0, sizeof(resp));
		fired += emu_faults_eval(e, "dcdb", "A", &resp, &code, &http);
	}
	return fired;
}

static void test_emu__fault_probability(void **state)
{
	struct emu *e = *state;
	int a, b;
	char *id;

	assert_int_equal(add_rule(e,
				  "{\"id\":\"p\",\"kind\":\"error\","
				  "\"probability\":0.25,\"seed\":5}",
				  &id),
			 0);
	free(id);
	a = count_fired(e, 400);
	assert_true(a > 50 && a < 150);
	emu_fault_del(e, "p");
	assert_int_equal(add_rule(e,
				  "{\"id\":\"p\",\"kind\":\"error\","
				  "\"probability\":0.25,\"seed\":5}",
				  &id),
			 0);
	free(id);
	b = count_fired(e, 400);
	assert_int_equal(a, b);
	emu_fault_del(e, "p");
	assert_int_equal(
	    add_rule(e, "{\"kind\":\"error\",\"probability\":0}", &id), 0);
	free(id);
	assert_int_equal(count_fired(e, 100), 0);
}

static void test_emu__save_load_reset(void **state)
{
	struct emu *e = *state, f;
	char dir[] = "/tmp/dcform-emu-unit-XXXXXX";
	struct buf msg = BUF_INIT;
	char *id;

	assert_non_null(mkdtemp(dir));
	e->state_file = xasprintf("%s/w.json", dir);
	id = emu_new_id(e, "dc-");
	emu_time_advance(5000);
	assert_int_equal(emu_save(e), 0);
	assert_false(e->dirty);
	emu_time_set_offset(0);

	emu_init(&f, emu_default_config(), 1);
	f.state_file = xstrdup(e->state_file);
	assert_int_equal(emu_load(&f, &msg), 0);
	assert_non_null(json_object_get(json_object_get(f.world, "ids"), id));
	assert_int_equal(emu_time_offset(), 5000);
	emu_reset(&f);
	assert_int_equal(emu_time_offset(), 0);
	assert_null(json_object_get(json_object_get(f.world, "ids"), id));
	assert_non_null(json_path_get(f.world, "accounts.demo"));
	emu_release(&f);

	/* A broken file is an error, not an empty world. */
	assert_int_equal(fs_write_atomic(e->state_file, "[1", 2, 0600, NULL),
			 0);
	emu_init(&f, emu_default_config(), 1);
	f.state_file = xstrdup(e->state_file);
	assert_int_equal(emu_load(&f, &msg), -1);
	assert_true(msg.len > 0);
	emu_release(&f);

	unlink(e->state_file);
	rmdir(dir);
	buf_release(&msg);
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_emu__seeded_world),	    T(test_emu__ids_unique_and_seeded),
	    T(test_emu__query_and_headers), T(test_emu__merge),
	    T(test_emu__ledger_and_stats),  T(test_emu__time),
	    T(test_emu__price_model),	    T(test_emu__config_shape),
	    T(test_emu__fault_validation),  T(test_emu__fault_eval),
	    T(test_emu__fault_probability), T(test_emu__save_load_reset),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
