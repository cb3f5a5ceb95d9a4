/*
 * json_dump_indented: byte for byte what jansson writes with
 * JSON_INDENT(2) | JSON_SORT_KEYS (the state's canonical form, so that
 * repositories written before and after it stay comparable).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/util/json.h"

static void same_as_jansson(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	char *want;
	struct buf b = BUF_INIT;

	assert_non_null(v);
	want = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	assert_int_equal(json_dump_indented(&b, v), 0);
	assert_string_equal(b.ptr, want);
	free(want);
	buf_release(&b);
	json_decref(v);
}

static void test_json__indented_matches_jansson(void **st)
{
	(void)st;
	same_as_jansson("{\"b\":[1,2,{}],\"a\":{\"z\":null,\"y\":true,"
			"\"x\":false},\"c\":[],\"e\":-12345678901,\"i\":[[[]]],"
			"\"\":{\"\":\"\"}}");
	/* Escapes: quotes, backslash, the named controls, \u00XX in upper
	 * case, DEL, / and non-ASCII as they are. */
	same_as_jansson("{\"d\":\"q\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f"
			"\\u007f/\\u00e9\\u2028\\ud83d\\ude00\"}");
	same_as_jansson("{\"k\\n\\u0002\":1,\"k\":2}");
	/* Reals as jansson prints them. */
	same_as_jansson("[1.5, 1e300, 0.1, 1.0, 2.5e-7, -0.0]");
	same_as_jansson("[]");
	same_as_jansson("{}");
	same_as_jansson("\"x\"");
	same_as_jansson("3");
	same_as_jansson("null");
}

/* Deeper than the indentation copied at once (32 levels). */
static void test_json__indented_deep_matches_jansson(void **st)
{
	char doc[512] = "";
	int i;

	(void)st;
	for (i = 0; i < 40; i++)
		strcat(doc, i % 2 ? "[" : "{\"k\":");
	strcat(doc, "1");
	for (i = 39; i >= 0; i--)
		strcat(doc, i % 2 ? "]" : "}");
	same_as_jansson(doc);
	same_as_jansson("[-9223372036854775808,-9223372036854775807,0,-1,"
			"9223372036854775807,10]");
}

/* Objects large enough to be dumped on two threads (1,024 members and
 * more; 1,023 is not split), inside an array and an object, with large
 * objects nested in their members, and an odd count. */
static void test_json__indented_large_matches_jansson(void **st)
{
	static const int sizes[] = {1023, 1024, 2049};
	size_t k;

	(void)st;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		json_t *big = json_object(), *inner = json_object(), *doc;
		char key[32], *text;
		int i;

		for (i = 0; i < 1500; i++) {
			snprintf(key, sizeof(key), "i%04d", (i * 37) % 1500);
			json_object_set_new(inner, key, json_integer(i));
		}
		for (i = 0; i < sizes[k]; i++) {
			snprintf(key, sizeof(key), "r[%d]", i);
			json_object_set_new(
			    big, key,
			    i == sizes[k] / 2 + 1
				? json_incref(inner)
				: json_pack("{s:s,s:[i,{}],s:{s:b}}", "id", key,
					    "n", i, "o", "t", i % 2));
		}
		doc = json_pack("{s:i,s:o,s:[O]}", "serial", 3, "resources",
				big, "list", big);
		text = json_dumps(doc, 0);
		same_as_jansson(text);
		free(text);
		json_decref(doc);
		json_decref(inner);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json__indented_matches_jansson),
	    cmocka_unit_test(test_json__indented_deep_matches_jansson),
	    cmocka_unit_test(test_json__indented_large_matches_jansson),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
