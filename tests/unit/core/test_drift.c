/*
 * Unit tests of core/drift: .dcformignore rules and the drift report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/drift/drift.h"
#include "core/util/json.h"

/* This module alone: no registry, no schemas. */
const struct provider *provider_lookup(const char *n)
{
	(void)n;
	return NULL;
}
const struct resource_type *resource_type_lookup(const char *n)
{
	(void)n;
	return NULL;
}
static const struct provider *const no_p[] = {NULL};
static const struct resource_type *const no_t[] = {NULL};
const struct provider *const *provider_all(void)
{
	return no_p;
}
const struct resource_type *const *resource_type_all(void)
{
	return no_t;
}

static void test_drift__ignore_rules(void **st)
{
	struct drift_ignore ig;
	struct err e = ERR_INIT;
	(void)st;

	assert_int_equal(
	    drift_ignore_parse(&ig,
			       "# noise\n\n"
			       "jdcloud_dc_bgw.*\n"
			       "tencentcloud_dcdb_instance.dcdbt-1\n"
			       "  tencentcloud_dcdb_instance.db.project_id  \n"
			       "*.*.tags\n"
			       "jdcloud_dc_connection.lines[bj]\n",
			       ".dcformignore", &e),
	    0);
	assert_int_equal(ig.n, 5);
	assert_true(
	    drift_ignore_match(&ig, "jdcloud_dc_bgw", "bgw-1", "gw", NULL));
	assert_true(drift_ignore_match(&ig, "tencentcloud_dcdb_instance",
				       "dcdbt-1", "x", NULL));
	assert_false(drift_ignore_match(&ig, "tencentcloud_dcdb_instance",
					"dcdbt-2", "x", NULL));
	/* An attribute rule never hides the whole object. */
	assert_false(drift_ignore_match(&ig, "tencentcloud_dcdb_instance",
					"dcdbt-9", "db", NULL));
	assert_true(drift_ignore_match(&ig, "tencentcloud_dcdb_instance",
				       "dcdbt-9", "db", "project_id"));
	assert_true(drift_ignore_match(&ig, "jdcloud_dc_private_vif", "v-1",
				       "vif", "tags.team"));
	assert_false(drift_ignore_match(&ig, "jdcloud_dc_private_vif", "v-1",
					"vif", "tagsx"));
	assert_true(drift_ignore_match(&ig, "jdcloud_dc_connection", "dc-1",
				       "lines[bj]", NULL));
	drift_ignore_release(&ig);

	assert_int_equal(drift_ignore_parse(&ig, "ok.*\nnodot\n", "F", &e),
			 DCF_EINVALID);
	assert_non_null(strstr(e.msg, "F:2:"));
	assert_non_null(strstr(e.msg, "nodot"));
}

static void test_drift__report(void **st)
{
	json_t *state = json_pack(
	    "{s:{s:{s:s,s:s,s:{s:s,s:i}},s:{s:s,s:s,s:{}},s:{s:s,s:s}}}",
	    "resources", "db", "type", "tencentcloud_dcdb_instance", "id",
	    "dcdbt-1", "attributes", "name", "orders", "shard_count", 2, "gone",
	    "type", "jdcloud_dc_bgw", "id", "bgw-9", "attributes", "unborn",
	    "type", "jdcloud_dc_bgw", "id", "bgw-8");
	json_t *refreshed =
	    json_pack("{s:{s:s,s:i},s:n,s:{}}", "db", "name", "orders-renamed",
		      "shard_count", 2, "gone", "unborn");
	json_t *listed =
	    json_pack("{s:{s:{s:{s:s},s:{}}}}", "tencentcloud_dcdb_instance",
		      "ap-guangzhou", "dcdbt-7", "name", "stray", "dcdbt-1");
	json_t *rep = NULL, *d;
	struct drift_ignore ig = {0};
	struct err e = ERR_INIT;
	(void)st;

	assert_int_equal(
	    drift_report(&rep, state, refreshed, listed, NULL, &ig, &e), 0);
	assert_false(json_get_bool(rep, "clean", 1));
	d = json_array_get(json_object_get(rep, "drifted"), 0);
	assert_string_equal(json_get_str(d, "address", ""), "db");
	d = json_array_get(json_object_get(d, "changes"), 0);
	assert_string_equal(json_get_str(d, "path", ""), "name");
	assert_string_equal(json_get_str(d, "applied", ""), "orders");
	assert_string_equal(json_get_str(d, "cloud", ""), "orders-renamed");
	assert_int_equal(json_array_size(json_object_get(rep, "drifted")), 1);
	assert_int_equal(json_array_size(json_object_get(rep, "missing")), 1);
	d = json_array_get(json_object_get(rep, "unmanaged"), 0);
	assert_string_equal(json_get_str(d, "id", ""), "dcdbt-7");
	assert_int_equal(json_array_size(json_object_get(rep, "unmanaged")), 1);
	json_decref(rep);

	/* Ignoring the attribute, the missing object and the stray one
	 * makes it clean. */
	assert_int_equal(
	    drift_ignore_parse(&ig,
			       "tencentcloud_dcdb_instance.db.name\n"
			       "jdcloud_dc_bgw.gone\n"
			       "tencentcloud_dcdb_instance.dcdbt-7\n",
			       "F", &e),
	    0);
	assert_int_equal(
	    drift_report(&rep, state, refreshed, listed, NULL, &ig, &e), 0);
	assert_true(json_get_bool(rep, "clean", 0));
	assert_int_equal(json_get_int(rep, "ignored", 0), 3);
	json_decref(rep);
	drift_ignore_release(&ig);
	json_decref(state);
	json_decref(refreshed);
	json_decref(listed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drift__ignore_rules),
	    cmocka_unit_test(test_drift__report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
