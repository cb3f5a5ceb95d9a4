/*
 * The schema validator, keyword by keyword (valid and invalid values, the
 * exact messages and paths), the property accessors, and the compiled-in
 * schemas themselves (every keyword supported, every property described,
 * every pattern compiles, every reference resolves).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/schema/embedded.h"
#include "core/schema/schema.h"
#include "core/util/buf.h"
#include "core/util/json.h"
#include "core/util/util.h"

static json_t *J(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);

	if (!v)
		fail_msg("bad JSON in test: %s: %s", text, je.text);
	return v;
}

/*
 * Validate value against schema (both JSON texts) and return the problems
 * as "PATH: MESSAGE" lines joined by '\n' ("" when valid).  Caller frees.
 */
static char *check(const char *schema, const char *value)
{
	json_t *s = J(schema), *v = J(value);
	struct diags d = DIAGS_INIT;
	struct buf b = BUF_INIT;
	size_t i, n;

	n = schema_validate(s, v, "x", &d);
	assert_int_equal(n, d.n);
	for (i = 0; i < d.n; i++) {
		assert_null(d.v[i].file);
		assert_int_equal(d.v[i].line, 0);
		buf_printf(&b, "%s%s: %s", i ? "\n" : "", d.v[i].path,
			   d.v[i].msg);
	}
	diags_release(&d);
	json_decref(s);
	json_decref(v);
	return buf_detach(&b, NULL);
}

#define CHECK(schema, value, expected)               \
	do {                                         \
		char *got_ = check(schema, value);   \
		assert_string_equal(got_, expected); \
		free(got_);                          \
	} while (0)

/* Validate against a compiled-in schema. */
static char *check_named(const char *name, const char *base, const char *value)
{
	json_t *v = J(value);
	struct diags d = DIAGS_INIT;
	struct buf b = BUF_INIT;
	size_t i;

	assert_non_null(schema_get(name));
	schema_validate(schema_get(name), v, base, &d);
	for (i = 0; i < d.n; i++)
		buf_printf(&b, "%s%s: %s", i ? "\n" : "", d.v[i].path,
			   d.v[i].msg);
	diags_release(&d);
	json_decref(v);
	return buf_detach(&b, NULL);
}

#define CHECK_NAMED(name, base, value, expected)             \
	do {                                                 \
		char *got_ = check_named(name, base, value); \
		assert_string_equal(got_, expected);         \
		free(got_);                                  \
	} while (0)

static void test_schema__type(void **state)
{
	(void)state;
	CHECK("{\"type\":\"string\"}", "\"a\"", "");
	CHECK("{\"type\":\"string\"}", "1",
	      "x: 'x' must be a string, got integer 1");
	CHECK("{\"type\":\"integer\"}", "7", "");
	CHECK("{\"type\":\"integer\"}", "7.0", "");
	CHECK("{\"type\":\"integer\"}", "7.5",
	      "x: 'x' must be an integer, got number 7.5");
	CHECK("{\"type\":\"integer\"}", "\"16\"",
	      "x: 'x' must be an integer, got string '16'");
	CHECK("{\"type\":\"number\"}", "7", "");
	CHECK("{\"type\":\"number\"}", "7.5", "");
	CHECK("{\"type\":\"boolean\"}", "false", "");
	CHECK("{\"type\":\"boolean\"}", "\"yes\"",
	      "x: 'x' must be a boolean, got string 'yes'");
	CHECK("{\"type\":\"null\"}", "null", "");
	CHECK("{\"type\":\"object\"}", "[]",
	      "x: 'x' must be an object, got an array");
	CHECK("{\"type\":\"array\"}", "{}",
	      "x: 'x' must be an array, got an object");
	CHECK("{\"type\":[\"array\",\"object\"]}", "{}", "");
	CHECK("{\"type\":[\"array\",\"object\",\"null\"]}", "true",
	      "x: 'x' must be an array, an object or a null, got boolean "
	      "true");
	/* No type: anything. */
	CHECK("{}", "[1,{}]", "");
	CHECK("true", "1", "");
	CHECK("false", "1", "x: 'x' is not allowed here");
}

static void test_schema__enum_const(void **state)
{
	(void)state;
	CHECK("{\"enum\":[\"prepaid\",\"postpaid\"]}", "\"postpaid\"", "");
	CHECK("{\"enum\":[\"prepaid\",\"postpaid\"]}", "\"monthly\"",
	      "x: 'x' must be one of: prepaid, postpaid; got 'monthly'");
	CHECK("{\"enum\":[2,3]}", "3", "");
	CHECK("{\"enum\":[2,3]}", "3.0", "");
	CHECK("{\"enum\":[2,3]}", "4", "x: 'x' must be one of: 2, 3; got 4");
	CHECK("{\"const\":\"ipv4\"}", "\"ipv4\"", "");
	CHECK("{\"const\":\"ipv4\"}", "\"ipv6\"",
	      "x: 'x' must be 'ipv4', got 'ipv6'");
	/* Long found strings are cut. */
	CHECK("{\"enum\":[\"a\"]}",
	      "\"0123456789012345678901234567890123456789TAIL\"",
	      "x: 'x' must be one of: a; got "
	      "'0123456789012345678901234567890123456789…'");
}

static void test_schema__numbers(void **state)
{
	const char *s = "{\"type\":\"integer\",\"minimum\":2,\"maximum\":4000}";

	(void)state;
	CHECK(s, "2", "");
	CHECK(s, "4000", "");
	CHECK(s, "1", "x: 'x' must be at least 2, got 1");
	CHECK(s, "4001", "x: 'x' must be at most 4000, got 4001");
	s = "{\"exclusiveMinimum\":0,\"exclusiveMaximum\":1.5}";
	CHECK(s, "1", "");
	CHECK(s, "0", "x: 'x' must be greater than 0, got 0");
	CHECK(s, "1.5", "x: 'x' must be less than 1.5, got 1.5");
	/* Range keywords do not apply to other types. */
	CHECK(s, "\"abc\"", "");
}

static void test_schema__strings(void **state)
{
	const char *s = "{\"type\":\"string\",\"minLength\":1,"
			"\"maxLength\":3}";

	(void)state;
	CHECK(s, "\"abc\"", "");
	/* Characters, not bytes: three Chinese characters are 9 bytes. */
	CHECK(s, "\"\xe4\xb8\x93\xe7\xba\xbf\xe9\x80\x9a\"", "");
	CHECK(s, "\"\"", "x: 'x' must not be empty");
	CHECK(s, "\"abcd\"", "x: 'x' must be at most 3 characters long, got 4");
	CHECK("{\"minLength\":2}", "\"a\"",
	      "x: 'x' must be at least 2 characters long, got 1");
	s = "{\"type\":\"string\",\"pattern\":\"^vpc-[a-z0-9]{1,32}$\"}";
	CHECK(s, "\"vpc-3m9x1k2a\"", "");
	CHECK(s, "\"vpx-1\"",
	      "x: 'x' must match ^vpc-[a-z0-9]{1,32}$, got 'vpx-1'");
	/* Patterns are not anchored unless they say so. */
	CHECK("{\"pattern\":\"b+\"}", "\"abbc\"", "");
	/* Alternation and groups (POSIX extended). */
	CHECK("{\"pattern\":\"^(ab|cd)$\"}", "\"cd\"", "");
	CHECK("{\"pattern\":\"^(ab|cd)$\"}", "\"ac\"",
	      "x: 'x' must match ^(ab|cd)$, got 'ac'");
}

static void test_schema__objects(void **state)
{
	const char *s = "{\"type\":\"object\",\"additionalProperties\":false,"
			"\"required\":[\"memory_gb\",\"count\"],"
			"\"properties\":{\"memory_gb\":{\"type\":\"integer\"},"
			"\"storage_gb\":{\"type\":\"integer\"},"
			"\"count\":{\"type\":\"integer\"},"
			"\"id\":{\"type\":\"string\",\"x-computed\":true}}}";

	(void)state;
	CHECK(s, "{\"memory_gb\":4,\"count\":2}", "");
	CHECK(s, "{\"count\":2}", "x: missing required property 'memory_gb'");
	CHECK(s, "{\"memory_gb\":4,\"count\":2,\"memroy_gb\":1}",
	      "x.memroy_gb: unknown property 'memroy_gb'; did you mean "
	      "'memory_gb'? allowed: count, memory_gb, storage_gb");
	/* A misspelt required property is not also missing. */
	CHECK(s, "{\"memroy_gb\":4,\"count\":2}",
	      "x.memroy_gb: unknown property 'memroy_gb'; did you mean "
	      "'memory_gb'? allowed: count, memory_gb, storage_gb");
	CHECK(s, "{\"memory_gb\":4,\"count\":2,\"zzzzzz\":1}",
	      "x.zzzzzz: unknown property 'zzzzzz'; allowed: count, "
	      "memory_gb, storage_gb");
	CHECK(s, "{\"memory_gb\":\"big\",\"count\":2}",
	      "x.memory_gb: 'memory_gb' must be an integer, got string 'big'");
	CHECK(s, "{\"memory_gb\":4,\"count\":2,\"id\":\"dcdbt-1\"}",
	      "x.id: 'id' is computed (read from the cloud) and cannot be "
	      "set");
	/* additionalProperties as a schema, propertyNames. */
	s = "{\"type\":\"object\",\"additionalProperties\":"
	    "{\"type\":\"string\"},\"propertyNames\":"
	    "{\"pattern\":\"^[a-z]+$\"}}";
	CHECK(s, "{\"a\":\"1\",\"b\":\"2\"}", "");
	CHECK(s, "{\"a\":1}", "x.a: 'a' must be a string, got integer 1");
	CHECK(s, "{\"Bad\":\"1\"}",
	      "x.Bad: invalid name 'Bad': 'Bad' must match ^[a-z]+$, got "
	      "'Bad'");
	s = "{\"propertyNames\":{\"pattern\":\"^[a-z]+$\","
	    "\"x-error\":\"use lowercase letters\"}}";
	CHECK(s, "{\"Bad\":1}",
	      "x.Bad: invalid name 'Bad': use lowercase "
	      "letters");
	s = "{\"minProperties\":1,\"maxProperties\":1}";
	CHECK(s, "{\"git\":{}}", "");
	CHECK(s, "{}", "x: 'x' must have at least 1 property, got 0");
	CHECK(s, "{\"a\":1,\"b\":2}",
	      "x: 'x' must have at most 1 property, got 2");
	s = "{\"dependentRequired\":{\"vpc_id\":[\"subnet_id\"]}}";
	CHECK(s, "{\"vpc_id\":\"v\",\"subnet_id\":\"s\"}", "");
	CHECK(s, "{\"subnet_id\":\"s\"}", "");
	CHECK(s, "{\"vpc_id\":\"v\"}",
	      "x.vpc_id: 'vpc_id' requires 'subnet_id' as well");
}

static void test_schema__arrays(void **state)
{
	const char *s = "{\"type\":\"array\",\"minItems\":1,\"maxItems\":2,"
			"\"uniqueItems\":true,\"items\":{\"type\":\"string\","
			"\"enum\":[\"a\",\"b\",\"c\"]}}";

	(void)state;
	CHECK(s, "[\"a\",\"b\"]", "");
	CHECK(s, "[]", "x: 'x' must have at least 1 item, got 0");
	CHECK(s, "[\"a\",\"b\",\"c\"]",
	      "x: 'x' must have at most 2 items, "
	      "got 3");
	CHECK(s, "[\"a\",\"a\"]",
	      "x[1]: 'x' must not repeat items: item 1 equals item 0");
	CHECK(s, "[\"a\",\"d\"]",
	      "x[1]: 'x[1]' must be one of: a, b, c; got 'd'");
	CHECK(s, "[\"a\",7]", "x[1]: 'x[1]' must be a string, got integer 7");
	/* Nested paths. */
	CHECK("{\"properties\":{\"peers\":{\"items\":{\"properties\":"
	      "{\"ip\":{\"type\":\"string\"}}}}}}",
	      "{\"peers\":[{\"ip\":\"a\"},{\"ip\":1}]}",
	      "x.peers[1].ip: 'ip' must be a string, got integer 1");
}

static void test_schema__combinators(void **state)
{
	const char *s;

	(void)state;
	s = "{\"allOf\":[{\"minimum\":1},{\"maximum\":3}]}";
	CHECK(s, "2", "");
	CHECK(s, "0", "x: 'x' must be at least 1, got 0");
	CHECK(s, "9", "x: 'x' must be at most 3, got 9");

	/* anyOf reports the branch whose type fits the value. */
	s = "{\"anyOf\":[{\"type\":\"string\"},"
	    "{\"type\":\"object\",\"required\":[\"value\"]}]}";
	CHECK(s, "\"a\"", "");
	CHECK(s, "{\"value\":1}", "");
	CHECK(s, "{}", "x: missing required property 'value'");
	CHECK(s, "1", "x: 'x' must be a string, got integer 1");

	/* oneOf: exactly one. */
	s = "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":5}]}";
	CHECK(s, "2", "");
	CHECK(s, "5.5", "");
	CHECK(s, "7", "x: 'x' matches more than one of its allowed forms");
	/* Neither: the branch without a type mismatch is the clearer. */
	CHECK(s, "2.5", "x: 'x' must be at least 5, got 2.5");

	/* not */
	CHECK("{\"not\":{\"const\":\"dcform-token\"}}", "\"env\"", "");
	CHECK("{\"not\":{\"const\":\"dcform-token\"}}", "\"dcform-token\"",
	      "x: 'x' must not be 'dcform-token'");
	CHECK("{\"properties\":{\"a\":{\"not\":{}}}}", "{\"a\":1}",
	      "x.a: 'a' is not allowed here");
	CHECK("{\"properties\":{\"a\":{\"not\":{}}}}", "{}", "");

	/* if / then / else */
	s = "{\"if\":{\"properties\":{\"mode\":{\"const\":\"prepaid\"}},"
	    "\"required\":[\"mode\"]},"
	    "\"then\":{\"required\":[\"period\"]},"
	    "\"else\":{\"properties\":{\"period\":{\"not\":{},"
	    "\"x-error\":\"is only allowed when mode is prepaid\"}}}}";
	CHECK(s, "{\"mode\":\"prepaid\",\"period\":1}", "");
	CHECK(s, "{\"mode\":\"prepaid\"}",
	      "x: missing required property 'period'");
	CHECK(s, "{\"mode\":\"postpaid\"}", "");
	CHECK(s, "{\"mode\":\"postpaid\",\"period\":1}",
	      "x.period: 'period' is only allowed when mode is prepaid");
	/* then without else, else without then */
	CHECK("{\"if\":{\"minimum\":5},\"then\":{\"maximum\":7}}", "1", "");
	CHECK("{\"if\":{\"minimum\":5},\"then\":{\"maximum\":7}}", "9",
	      "x: 'x' must be at most 7, got 9");
	CHECK("{\"if\":{\"minimum\":5},\"else\":{\"minimum\":2}}", "1",
	      "x: 'x' must be at least 2, got 1");
}

static void test_schema__refs(void **state)
{
	const char *s =
	    "{\"$defs\":{\"asn\":{\"type\":\"integer\",\"minimum\":65001}},"
	    "\"properties\":{\"a\":{\"$ref\":\"#/$defs/asn\"},"
	    "\"gw\":{\"$ref\":\"jdcloud_dc_bgw.json\"},"
	    "\"az\":{\"$ref\":\"jdcloud_dc_bgw.json#/properties/az_type\"}}}";

	(void)state;
	CHECK(s, "{\"a\":65001}", "");
	CHECK(s, "{\"a\":1}", "x.a: 'a' must be at least 65001, got 1");
	/* Another compiled-in schema, whole and by pointer. */
	CHECK(s, "{\"gw\":{\"name\":\"edge-gw\"}}", "");
	CHECK(s, "{\"gw\":{\"nmae\":\"edge-gw\"}}",
	      "x.gw.nmae: unknown property 'nmae'; did you mean 'name'? "
	      "allowed: az, az_type, description, name");
	CHECK(s, "{\"az\":\"core\"}",
	      "x.az: 'az' must be one of: standard, edge; got 'core'");
}

static void test_schema__extensions(void **state)
{
	const char *s;

	(void)state;
	/* x-sensitive: the value never appears in a message. */
	s = "{\"properties\":{\"key\":{\"type\":\"string\",\"maxLength\":3,"
	    "\"pattern\":\"^[a-z]*$\",\"x-sensitive\":true}}}";
	CHECK(s, "{\"key\":\"SECRET\"}",
	      "x.key: 'key' must be at most 3 characters long, got 6\n"
	      "x.key: 'key' must match ^[a-z]*$, got a string");
	CHECK(s, "{\"key\":12345}",
	      "x.key: 'key' must be a string, got an integer");
	/* Members of a sensitive object are sensitive. */
	CHECK("{\"x-sensitive\":true,\"properties\":{\"a\":{\"enum\":[1]}}}",
	      "{\"a\":\"hunter2\"}",
	      "x.a: 'a' must be one of: 1; got a string");
	/* x-error replaces what the node found. */
	s = "{\"type\":\"string\",\"maxLength\":3,\"pattern\":\"^[a-z]+$\","
	    "\"x-error\":\"must be 1 to 3 lowercase letters\"}";
	CHECK(s, "\"abc\"", "");
	CHECK(s, "\"ABCDE\"", "x: 'x' must be 1 to 3 lowercase letters");
	CHECK(s, "7", "x: 'x' must be 1 to 3 lowercase letters");
}

static void test_schema__expressions(void **state)
{
	const char *s = "{\"type\":\"object\",\"properties\":{"
			"\"n\":{\"type\":\"integer\",\"minimum\":2},"
			"\"m\":{\"enum\":[\"prepaid\"]},"
			"\"z\":{\"type\":\"array\"},"
			"\"o\":{\"not\":{}},"
			"\"id\":{\"x-computed\":true}}}";
	json_t *v;

	(void)state;
	v = json_string("${var.count}");
	assert_true(schema_is_expression(v));
	json_decref(v);
	v = json_string("$var");
	assert_false(schema_is_expression(v));
	json_decref(v);
	assert_false(schema_is_expression(NULL));

	CHECK(s,
	      "{\"n\":\"${var.n}\",\"m\":\"${var.mode}\","
	      "\"z\":\"${var.zones}\"}",
	      "");
	CHECK(s, "{\"n\":\"size-${var.n}\"}", "");
	/* Still errors: a forbidden or computed property, a plain string. */
	CHECK(s, "{\"o\":\"${var.o}\"}", "x.o: 'o' is not allowed here");
	CHECK(s, "{\"id\":\"${var.id}\"}",
	      "x.id: 'id' is computed (read from the cloud) and cannot be set");
	CHECK(s, "{\"n\":\"$var.n\"}",
	      "x.n: 'n' must be an integer, got string '$var.n'");

	/* A condition on an expression decides nothing yet. */
	s = "{\"if\":{\"properties\":{\"mode\":{\"const\":\"postpaid\"}}},"
	    "\"then\":{\"properties\":{\"period\":{\"not\":{}}}},"
	    "\"else\":{\"required\":[\"period\"]}}";
	CHECK(s, "{\"mode\":\"${var.mode}\",\"period\":1}", "");
	CHECK(s, "{\"mode\":\"${var.mode}\"}", "");
	CHECK(s, "{\"mode\":\"postpaid\",\"period\":1}",
	      "x.period: 'period' is not allowed here");
	CHECK(s, "{\"mode\":\"prepaid\"}",
	      "x: missing required property "
	      "'period'");
}

static void test_schema__base_path(void **state)
{
	json_t *s = J("{\"required\":[\"a\"],\"properties\":{\"b\":"
		      "{\"type\":\"string\"}}}");
	json_t *v = J("{\"b\":1}");
	struct diags d = DIAGS_INIT;

	(void)state;
	assert_int_equal(schema_validate(s, v, "", &d), 2);
	assert_string_equal(d.v[0].path, "");
	assert_string_equal(d.v[0].msg, "missing required property 'a'");
	assert_string_equal(d.v[1].path, "b");
	assert_string_equal(d.v[1].msg, "'b' must be a string, got integer 1");
	/* Appends to what is there. */
	assert_int_equal(schema_validate(s, v, "resources.db", &d), 2);
	assert_int_equal(d.n, 4);
	assert_string_equal(d.v[3].path, "resources.db.b");
	assert_int_equal(schema_validate(NULL, v, "", &d), 0);
	diags_release(&d);
	json_decref(s);
	json_decref(v);
}

static void test_schema__registry(void **state)
{
	size_t n;
	const char *const *t = schema_resource_types(&n);
	const char *sug = "x";

	(void)state;
	assert_int_equal(n, 6);
	assert_string_equal(t[0], "jdcloud_dc_bgw");
	assert_string_equal(t[1], "jdcloud_dc_bgw_route");
	assert_string_equal(t[2], "jdcloud_dc_connection");
	assert_string_equal(t[3], "jdcloud_dc_private_vif");
	assert_string_equal(t[4], "jdcloud_dc_vpc_attachment");
	assert_string_equal(t[5], "tencentcloud_dcdb_instance");
	assert_non_null(schema_get("manifest"));
	assert_null(schema_get("nope"));
	assert_null(schema_get(NULL));

	assert_int_equal(
	    schema_has_attribute("tencentcloud_dcdb_instance", "vip", &sug), 1);
	assert_null(sug);
	assert_int_equal(
	    schema_has_attribute("tencentcloud_dcdb_instance", "name", NULL),
	    1);
	assert_int_equal(
	    schema_has_attribute("tencentcloud_dcdb_instance", "vpi", &sug), 0);
	assert_string_equal(sug, "vip");
	assert_int_equal(schema_has_attribute("jdcloud_dc_connection",
					      "completely_else", &sug),
			 0);
	assert_null(sug);
	assert_int_equal(schema_has_attribute("nope", "id", &sug), 0);
	assert_int_equal(schema_has_attribute("manifest", "resources", &sug),
			 0);
	/* Nested members are not attributes of their own. */
	assert_int_equal(schema_has_attribute("tencentcloud_dcdb_instance",
					      "memory_gb", NULL),
			 0);
}

static void test_schema__property_flags(void **state)
{
	const char *dcdb = "tencentcloud_dcdb_instance";
	const char *vif = "jdcloud_dc_private_vif";
	const json_t *p;

	(void)state;
	assert_int_equal(schema_property_flags(vif, "bgp.auth_key"),
			 SCHEMA_FORCE_NEW | SCHEMA_SENSITIVE);
	assert_int_equal(schema_property_flags(vif, "bgp"), SCHEMA_FORCE_NEW);
	assert_int_equal(schema_property_flags(vif, "name"), 0);
	assert_int_equal(schema_property_flags(vif, "id"), SCHEMA_COMPUTED);
	assert_int_equal(schema_property_flags(vif, "peer_ips[0].customer_ip"),
			 SCHEMA_FORCE_NEW);
	assert_int_equal(schema_property_flags(vif, "peer_ips.0.customer_ip"),
			 SCHEMA_FORCE_NEW);
	assert_int_equal(schema_property_flags(dcdb, "shard.memory_gb"), 0);
	assert_int_equal(schema_property_flags(dcdb, "shard.node_count"),
			 SCHEMA_FORCE_NEW);
	assert_int_equal(schema_property_flags(dcdb, "zones[1]"),
			 SCHEMA_FORCE_NEW);
	assert_int_equal(schema_property_flags(dcdb, "billing.mode"),
			 SCHEMA_FORCE_NEW);
	assert_int_equal(schema_property_flags(dcdb, "tags.env"),
			 SCHEMA_FORCE_NEW);
	assert_int_equal(schema_property_flags(dcdb, "vip"), SCHEMA_COMPUTED);
	assert_int_equal(schema_property_flags(dcdb, "nope"), 0);
	assert_int_equal(schema_property_flags(dcdb, "shard.nope"), 0);
	assert_int_equal(schema_property_flags("nope", "id"), 0);
	assert_int_equal(schema_property_flags(dcdb, ""), 0);

	p = schema_property(dcdb, "shard.node_count");
	assert_non_null(p);
	assert_int_equal(json_array_size(json_object_get(p, "enum")), 2);
	assert_null(schema_property(dcdb, "shard.nope"));
	assert_null(schema_property("manifest", "resources"));
}

static void test_schema__deref(void **state)
{
	const json_t *m = schema_get("manifest"), *root = NULL, *d;
	json_t *node = J("{\"$ref\":\"#/$defs/resource\"}");
	json_t *ext = J("{\"$ref\":\"jdcloud_dc_bgw.json#/properties/name\"}");
	json_t *bad = J("{\"$ref\":\"#/$defs/none\"}");

	(void)state;
	d = schema_deref(m, node, &root);
	assert_ptr_equal(
	    d, json_object_get(json_object_get(m, "$defs"), "resource"));
	assert_ptr_equal(root, m);
	d = schema_deref(m, ext, &root);
	assert_ptr_equal(root, schema_get("jdcloud_dc_bgw"));
	assert_string_equal(json_get_str(d, "type", ""), "string");
	assert_null(schema_deref(m, bad, NULL));
	assert_ptr_equal(schema_deref(m, m, NULL), m);
	json_decref(node);
	json_decref(ext);
	json_decref(bad);
}

/* ---- the compiled-in schemas ---- */

static const char *const known_keywords[] = {
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "title",
    "description",
    "default",
    "type",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "properties",
    "required",
    "additionalProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "x-force-new",
    "x-sensitive",
    "x-computed",
    "x-error",
    "x-provider",
};

static int known(const char *k)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known_keywords); i++)
		if (!strcmp(known_keywords[i], k))
			return 1;
	return 0;
}

/* Check a schema node and everything below it. */
static void audit(const char *name, const json_t *root, const json_t *s,
		  const char *where, int in_properties)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_boolean(s))
		return;
	if (!json_is_object(s))
		fail_msg("%s: %s: a schema must be an object", name, where);
	json_object_foreach ((json_t *)s, k, x) {
		char *w = xasprintf("%s/%s", where, k);

		if (!known(k))
			fail_msg("%s: %s: unsupported keyword", name, w);
		if (!strcmp(k, "properties") || !strcmp(k, "$defs") ||
		    !strcmp(k, "dependentRequired")) {
			const char *pk;
			json_t *px;

			json_object_foreach (x, pk, px) {
				char *pw = xasprintf("%s/%s", w, pk);

				if (strcmp(k, "dependentRequired"))
					audit(name, root, px, pw,
					      !strcmp(k, "properties"));
				free(pw);
			}
		} else if (!strcmp(k, "items") || !strcmp(k, "not") ||
			   !strcmp(k, "if") || !strcmp(k, "then") ||
			   !strcmp(k, "else") || !strcmp(k, "propertyNames") ||
			   (!strcmp(k, "additionalProperties") &&
			    json_is_object(x))) {
			audit(name, root, x, w, 0);
		} else if (!strcmp(k, "pattern")) {
			regex_t re;

			if (regcomp(&re, json_string_value(x),
				    REG_EXTENDED | REG_NOSUB))
				fail_msg("%s: %s: pattern does not compile",
					 name, w);
			regfree(&re);
		} else if (!strcmp(k, "$ref")) {
			if (!schema_deref(root, s, NULL))
				fail_msg("%s: %s: reference does not resolve",
					 name, w);
		}
		free(w);
	}
	if (json_is_array(json_object_get(s, "allOf")) ||
	    json_is_array(json_object_get(s, "anyOf")) ||
	    json_is_array(json_object_get(s, "oneOf"))) {
		static const char *const alts[] = {"allOf", "anyOf", "oneOf"};
		size_t a;

		for (a = 0; a < 3; a++)
			json_array_foreach (json_object_get(s, alts[a]), i, x) {
				char *w =
				    xasprintf("%s/%s/%zu", where, alts[a], i);

				audit(name, root, x, w, 0);
				free(w);
			}
	}
	/* Every property says what it is. */
	if (in_properties && !json_object_get(s, "$ref") &&
	    !json_is_string(json_object_get(s, "description")) &&
	    (json_object_get(s, "type") || json_object_size(s) == 0))
		fail_msg("%s: %s: property without a description", name, where);
}

static void test_schema__compiled_schemas(void **state)
{
	size_t i, n = 0;

	(void)state;
	for (i = 0; embedded_schemas[i].name; i++) {
		const json_t *s = schema_get(embedded_schemas[i].name);

		assert_non_null(s);
		audit(embedded_schemas[i].name, s, s, "#", 0);
		assert_string_equal(json_get_str(s, "$schema", ""),
				    "https://json-schema.org/draft/2020-12/"
				    "schema");
		assert_true(json_is_string(json_object_get(s, "description")));
		if (strcmp(embedded_schemas[i].name, "manifest")) {
			/* A resource type: settable, object, provider. */
			assert_string_equal(json_get_str(s, "type", ""),
					    "object");
			assert_true(json_is_false(
			    json_object_get(s, "additionalProperties")));
			assert_true(json_get_str(s, "x-provider", NULL) !=
				    NULL);
			assert_int_equal(
			    schema_has_attribute(embedded_schemas[i].name, "id",
						 NULL),
			    1);
			assert_int_equal(schema_property_flags(
					     embedded_schemas[i].name, "id"),
					 SCHEMA_COMPUTED);
		}
		n++;
	}
	assert_int_equal(n, 7);
}

static const char dcdb_ok[] =
    "{\"name\":\"orders\",\"zones\":[\"ap-guangzhou-3\",\"ap-guangzhou-4\"],"
    "\"billing\":{\"mode\":\"prepaid\",\"period_months\":1,"
    "\"auto_renew\":true},"
    "\"shard\":{\"memory_gb\":16,\"storage_gb\":100,\"node_count\":2,"
    "\"count\":4},\"vpc_id\":\"vpc-3m9x1k2a\",\"subnet_id\":\"subnet-"
    "8fh2k1sd\","
    "\"init\":{\"character_set_server\":\"utf8mb4\","
    "\"lower_case_table_names\":1},\"tags\":{\"team\":\"orders\"}}";

static void test_schema__dcdb_instance(void **state)
{
	const char *t = "tencentcloud_dcdb_instance";

	(void)state;
	CHECK_NAMED(t, "p", dcdb_ok, "");
	CHECK_NAMED(t, "p",
		    "{\"name\":\"o\",\"zones\":[\"ap-guangzhou-3\"],"
		    "\"billing\":{\"mode\":\"postpaid\"},"
		    "\"shard\":{\"memory_gb\":4,\"storage_gb\":50,"
		    "\"node_count\":3,\"count\":2}}",
		    "");
	CHECK_NAMED(
	    t, "p",
	    "{\"name\":\"o\",\"zones\":[\"ap-guangzhou-3\"],"
	    "\"billing\":{\"mode\":\"postpaid\",\"period_months\":1},"
	    "\"shard\":{\"memory_gb\":4,\"storage_gb\":50,"
	    "\"node_count\":4,\"count\":2}}",
	    "p.billing.period_months: 'period_months' is only allowed "
	    "when mode is prepaid\n"
	    "p.shard.node_count: 'node_count' must be one of: 2, 3; got 4");
	CHECK_NAMED(
	    t, "p",
	    "{\"name\":\"o\",\"zones\":[],"
	    "\"billing\":{\"mode\":\"prepaid\"},"
	    "\"shard\":{\"memory_gb\":4,\"storage_gb\":50,"
	    "\"node_count\":2,\"count\":2},\"vpc_id\":\"vpc-1\","
	    "\"tags\":{\"dcform-token\":\"x\"},\"vip\":\"10.0.0.1\"}",
	    "p.vpc_id: 'vpc_id' requires 'subnet_id' as well\n"
	    "p.zones: 'zones' must have at least 1 item, got 0\n"
	    "p.billing: missing required property 'period_months'\n"
	    "p.tags.dcform-token: invalid name 'dcform-token': tag keys "
	    "are 1 to 127 characters, and dcform-token is reserved for "
	    "dcform's idempotency token\n"
	    "p.vip: 'vip' is computed (read from the cloud) and cannot "
	    "be set");
}

static void test_schema__jd_types(void **state)
{
	(void)state;
	CHECK_NAMED("jdcloud_dc_connection", "c",
		    "{\"name\":\"bj-idc-1\",\"type\":\"jcloud_hosted\","
		    "\"location\":{\"port_spec_code\":\"10GBase-LR\"},"
		    "\"rental\":{\"unit\":\"year\",\"span\":1}}",
		    "");
	/* Chinese names are fine; punctuation is not. */
	CHECK_NAMED("jdcloud_dc_connection", "c",
		    "{\"name\":\"\u4e13\u7ebf-1\",\"type\":\"jcloud\","
		    "\"location\":{\"code\":\"BJ-HD\",\"isp_code\":\"CT\","
		    "\"port_spec_code\":\"1000Base-T\"},"
		    "\"rental\":{\"unit\":\"month\",\"span\":9}}",
		    "");
	CHECK_NAMED(
	    "jdcloud_dc_connection", "c",
	    "{\"name\":\"bj idc!\",\"type\":\"jcloud_hosted\","
	    "\"location\":{\"port_spec_code\":\"10GBase-LR\","
	    "\"code\":\"BJ-HD\"},"
	    "\"rental\":{\"unit\":\"year\",\"span\":5},"
	    "\"partner_code\":\"cmcc-line\"}",
	    "c.name: 'name' must be 1 to 32 characters: Chinese "
	    "characters, letters, digits, _ or -\n"
	    "c.rental.span: 'span' must be at most 3 when unit is year "
	    "(1 to 3 years)\n"
	    "c.partner_code: 'partner_code' is only allowed when type is "
	    "jcloud_partner\n"
	    "c.location.code: 'code' is only allowed when type is jcloud "
	    "(self-service)");
	CHECK_NAMED("jdcloud_dc_connection", "c",
		    "{\"name\":\"p\",\"type\":\"jcloud_partner\"}",
		    "c: missing required property 'partner_code'");
	CHECK_NAMED(
	    "jdcloud_dc_private_vif", "v",
	    "{\"name\":\"idc-vif\",\"connection_id\":\"${idc_line.id}\","
	    "\"bgw_id\":\"${edge_gw.id}\",\"vlan\":100,"
	    "\"bgp\":{\"customer_asn\":65010,"
	    "\"auth_key\":\"${env.BGP_AUTH_KEY}\"},"
	    "\"peer_ips\":[{\"customer_ip\":\"10.0.0.1/30\","
	    "\"jd_cloud_ip\":\"10.0.0.2/30\"}]}",
	    "");
	CHECK_NAMED(
	    "jdcloud_dc_private_vif", "v",
	    "{\"name\":\"idc-vif\",\"connection_id\":\"dc-abc\","
	    "\"bgw_id\":\"bgw-abc\",\"vlan\":1,"
	    "\"bgp\":{\"customer_asn\":64512,\"auth_key\":\"\"},"
	    "\"peer_ips\":[{\"customer_ip\":\"10.0.0.300\","
	    "\"jd_cloud_ip\":\"10.0.0.2\"}]}",
	    "v.vlan: 'vlan' must be at least 2, got 1\n"
	    "v.bgp.customer_asn: 'customer_asn' must be at least 65001, "
	    "got 64512\n"
	    "v.bgp.auth_key: 'auth_key' must not be empty\n"
	    "v.peer_ips[0].customer_ip: 'customer_ip' must be an IPv4 "
	    "address such as 10.0.0.1, optionally with /30");
	CHECK_NAMED("jdcloud_dc_vpc_attachment", "a",
		    "{\"name\":\"a\",\"vpc_id\":\"vpc-1\",\"bgw_id\":\"bgw-1\","
		    "\"propagate_type\":\"all\",\"subnet_ids\":[\"subnet-1\"]}",
		    "a.subnet_ids: 'subnet_ids' is only allowed when "
		    "propagate_type is partial");
	CHECK_NAMED(
	    "jdcloud_dc_bgw_route", "r",
	    "{\"bgw_id\":\"bgw-1\",\"destination\":\"192.168.0.0/16\","
	    "\"nexthop_type\":\"private_vif\",\"nexthop_id\":\"pvif-1\"}",
	    "");
	CHECK_NAMED(
	    "jdcloud_dc_bgw_route", "r",
	    "{\"bgw_id\":\"bgw-1\",\"destination\":\"192.168.0.0/33\","
	    "\"nexthop_type\":\"vif\",\"nexthop_id\":\"pvif-1\"}",
	    "r.destination: 'destination' must be an IPv4 CIDR block "
	    "such as 192.168.0.0/16\n"
	    "r.nexthop_type: 'nexthop_type' must be one of: private_vif, "
	    "hosted_private_vif, vpc_attachment, vpn_connection, vpc; "
	    "got 'vif'");
	CHECK_NAMED("jdcloud_dc_bgw", "g",
		    "{\"name\":\"g\",\"az_type\":\"edge\"}",
		    "g: missing required property 'az'");
}

static void test_schema__manifest(void **state)
{
	(void)state;
	CHECK_NAMED(
	    "manifest", "",
	    "{\"providers\":{\"tencentcloud\":{\"region\":\"ap-guangzhou\"},"
	    "\"jdcloud\":{\"region\":\"cn-north-1\","
	    "\"endpoint\":\"http://127.0.0.1:8080\"}},"
	    "\"variables\":{\"env\":{\"default\":\"staging\"}},"
	    "\"resources\":{\"edge_gw\":{\"type\":\"jdcloud_dc_bgw\","
	    "\"properties\":{\"name\":\"edge-${var.env}\"},"
	    "\"lifecycle\":{\"prevent_destroy\":true,"
	    "\"ignore_changes\":[\"description\"]},"
	    "\"depends_on\":[\"other\"]},"
	    "\"gws\":{\"type\":\"jdcloud_dc_bgw\","
	    "\"for_each\":[\"a\",\"b\"],"
	    "\"properties\":{\"name\":\"gw-${each.key}\"}}},"
	    "\"outputs\":{\"gw\":\"${edge_gw.id}\","
	    "\"gw2\":{\"value\":\"${edge_gw.id}\",\"sensitive\":false}},"
	    "\"backend\":{\"git\":{\"url\":\"file:///tmp/s.git\"}}}",
	    "");
	/* Each resource's properties are checked against its type. */
	CHECK_NAMED(
	    "manifest", "",
	    "{\"resources\":{\"gw\":{\"type\":\"jdcloud_dc_bgw\","
	    "\"properties\":{\"name\":\"g\",\"az_typ\":\"edge\"}}}}",
	    "resources.gw.properties.az_typ: unknown property 'az_typ'; "
	    "did you mean 'az_type'? allowed: az, az_type, description, "
	    "name");
	CHECK_NAMED(
	    "manifest", "",
	    "{\"resource\":{},"
	    "\"resources\":{\"Bad-Name\":{\"type\":\"jdcloud_dc_bgp\","
	    "\"properties\":{}},"
	    "\"ok\":{\"type\":\"jdcloud_dc_bgw\",\"properties\":{\"name\":"
	    "\"g\"},\"lifecycle\":{\"prevent_destroy\":\"yes\"}}},"
	    "\"outputs\":{\"o\":{\"description\":\"no value\"}},"
	    "\"backend\":{\"git\":{\"url\":\"u\"},\"local\":{\"path\":\"p\"}}}",
	    "resource: unknown property 'resource'; did you mean "
	    "'resources'? allowed: backend, outputs, providers, "
	    "resources, variables\n"
	    "resources.Bad-Name: invalid name 'Bad-Name': names are 1 to "
	    "64 lowercase letters, digits and _, and start with a letter "
	    "or _\n"
	    "resources.Bad-Name.type: 'type' must be one of: "
	    "jdcloud_dc_bgw, jdcloud_dc_bgw_route, jdcloud_dc_connection, "
	    "jdcloud_dc_private_vif, jdcloud_dc_vpc_attachment, "
	    "tencentcloud_dcdb_instance; got 'jdcloud_dc_bgp'\n"
	    "resources.ok.lifecycle.prevent_destroy: 'prevent_destroy' "
	    "must be a boolean, got string 'yes'\n"
	    "outputs.o: missing required property 'value'\n"
	    "backend: 'backend' must have at most 1 property, got 2");
}

/* Whether any "$ref" below v does not start with '#'. */
static int has_file_ref(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach (v, i, x)
			if (has_file_ref(x))
				return 1;
	}
	if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, k, x) {
			if (!strcmp(k, "$ref") && json_is_string(x) &&
			    json_string_value(x)[0] != '#')
				return 1;
			if (has_file_ref(x))
				return 1;
		}
	}
	return 0;
}

/* Whether any "$ref" below v is internal ("#…"). */
static int has_internal_ref(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach (v, i, x)
			if (has_internal_ref(x))
				return 1;
	}
	if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, k, x) {
			if (!strcmp(k, "$ref") && json_is_string(x) &&
			    json_string_value(x)[0] == '#')
				return 1;
			if (has_internal_ref(x))
				return 1;
		}
	}
	return 0;
}

static void test_schema__bundle(void **state)
{
	json_t *b = schema_bundle("manifest");
	json_t *doc = J("{\"resources\":{\"db\":{\"type\":"
			"\"tencentcloud_dcdb_instance\",\"properties\":{"
			"\"name\":\"o\",\"zones\":[\"ap-guangzhou-3\"],"
			"\"billing\":{\"mode\":\"prepaid\"},\"shard\":"
			"{\"memory_gb\":1,\"storage_gb\":50,\"node_count\":2,"
			"\"count\":2}}}}}");
	struct diags d1 = DIAGS_INIT, d2 = DIAGS_INIT;
	size_t n, i;
	const char *const *types = schema_resource_types(&n);

	(void)state;
	assert_non_null(b);
	assert_null(schema_bundle("nope"));
	assert_false(has_file_ref(b));
	for (i = 0; i < n; i++) {
		json_t *t =
		    json_object_get(json_object_get(b, "$defs"), types[i]);

		assert_non_null(t);
		assert_null(json_object_get(t, "$id"));
		/* Type schemas may not refer inside themselves: the bundle
		 * moves them. */
		assert_false(has_internal_ref(schema_get(types[i])));
	}
	/* The compiled-in schema is untouched. */
	assert_true(has_file_ref(schema_get("manifest")));
	/* The bundle finds the same problems. */
	assert_int_equal(schema_validate(schema_get("manifest"), doc, "", &d1),
			 2);
	assert_int_equal(schema_validate(b, doc, "", &d2), 2);
	for (i = 0; i < 2; i++) {
		assert_string_equal(d1.v[i].path, d2.v[i].path);
		assert_string_equal(d1.v[i].msg, d2.v[i].msg);
	}
	assert_string_equal(d1.v[0].msg,
			    "missing required property 'period_months'");
	assert_string_equal(d1.v[1].msg,
			    "'memory_gb' must be at least 2, got 1");
	diags_release(&d1);
	diags_release(&d2);
	json_decref(doc);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema__type),
	    cmocka_unit_test(test_schema__enum_const),
	    cmocka_unit_test(test_schema__numbers),
	    cmocka_unit_test(test_schema__strings),
	    cmocka_unit_test(test_schema__objects),
	    cmocka_unit_test(test_schema__arrays),
	    cmocka_unit_test(test_schema__combinators),
	    cmocka_unit_test(test_schema__refs),
	    cmocka_unit_test(test_schema__extensions),
	    cmocka_unit_test(test_schema__expressions),
	    cmocka_unit_test(test_schema__base_path),
	    cmocka_unit_test(test_schema__registry),
	    cmocka_unit_test(test_schema__property_flags),
	    cmocka_unit_test(test_schema__deref),
	    cmocka_unit_test(test_schema__compiled_schemas),
	    cmocka_unit_test(test_schema__dcdb_instance),
	    cmocka_unit_test(test_schema__jd_types),
	    cmocka_unit_test(test_schema__manifest),
	    cmocka_unit_test(test_schema__bundle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
