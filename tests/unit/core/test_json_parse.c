/*
 * json_load_fast: accepts exactly what json_loadb(JSON_DECODE_ANY |
 * JSON_ALLOW_NUL) accepts and builds the same values; equal short
 * strings and integers are shared; errors say where.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/util/json.h"

/* Same verdict as jansson and, when accepted, an equal value (jansson's
 * json_equal: integers and reals are different). */
static void check_n(const char *text, size_t len)
{
	json_error_t je;
	struct json_load_err fe;
	json_t *want =
	    json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	json_t *got = json_load_fast(text, len, &fe);

	if (!want != !got)
		fail_msg("%.*s: jansson %s (%s), json_load_fast %s (%s)",
			 (int)len, text, want ? "accepts" : "refuses", je.text,
			 got ? "accepts" : "refuses", fe.text);
	if (want && !json_equal(want, got))
		fail_msg("%.*s: different values", (int)len, text);
	if (!got)
		assert_true(fe.line >= 1 && fe.column >= 1 && fe.text[0]);
	json_decref(want);
	json_decref(got);
}

static void check(const char *text)
{
	check_n(text, strlen(text));
}

static void test_json_parse__accepts_what_jansson_accepts(void **st)
{
	static const char *const ok[] = {
	    "{}",
	    "[]",
	    "0",
	    "-0",
	    "1",
	    "-1",
	    "\"\"",
	    "true",
	    "false",
	    "null",
	    " \t\r\n{ \"a\" : [ 1 , 2.5 , -3e2 , 4E+1 , 5e-1 , 0.0 ] }\n",
	    "{\"a\":{\"b\":{\"c\":[[],{}]}},\"d\":\"e\"}",
	    "9223372036854775807",
	    "-9223372036854775808",
	    "1e-400",
	    "-1e-400",
	    "123456789012345678901234567890.5",
	    "{\"k\":1,\"k\":2}", /* the last one wins */
	    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
	    "\"\\u0041\\u00e9\\u20AC\"",
	    "\"\\ud83d\\ude00\"",
	    "\"a\\u0000b\"",
	    "\"\xc3\xa9\xe2\x82\xac\"",
	    "\"\xf0\x9f\x98\x80\"",
	    "\"\xf4\x8f\xbf\xbf\"",
	    "[\"x\",\"x\",\"x\",7,7,-7,\"y\"]",
	    "{\"Response\":{\"TotalCount\":2,\"Instances\":[{\"Id\":\"a\"},"
	    "{\"Id\":\"b\"}],\"RequestId\":\"r\"}}",
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		check(ok[i]);
}

static void test_json_parse__refuses_what_jansson_refuses(void **st)
{
	static const char *const bad[] = {
	    "",
	    " ",
	    "{",
	    "}",
	    "[",
	    "]",
	    "[1,]",
	    "[,1]",
	    "{\"a\"}",
	    "{\"a\":}",
	    "{\"a\":1,}",
	    "{,}",
	    "{1:2}",
	    "{\"a\" 1}",
	    "[1 2]",
	    "01",
	    "-",
	    "-a",
	    "+1",
	    ".5",
	    "1.",
	    "1e",
	    "1e+",
	    "0x10",
	    "1 2",
	    "tru",
	    "truex",
	    "nul",
	    "NaN",
	    "Infinity",
	    "'a'",
	    "\"abc",
	    "\"\\x\"",
	    "\"\\u12\"",
	    "\"\\u12G4\"",
	    "\"\\ud800\"",
	    "\"\\udc00\"",
	    "\"\\ud800\\u0041\"",
	    "\"a\tb\"",
	    "\"a\nb\"",
	    "\"\x80\"",
	    "\"\xc0\xaf\"",
	    "\"\xe0\x80\xaf\"",
	    "\"\xed\xa0\x80\"",
	    "\"\xf5\x80\x80\x80\"",
	    "\"\xc3\"",
	    "9223372036854775808",
	    "-9223372036854775809",
	    "99999999999999999999",
	    "1e400",
	    "-1e400",
	    "{\"a\\u0000b\":1}",
	    "[1]x",
	    "{}{}",
	    "\xef\xbb\xbf{}",
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check(bad[i]);
	/* A NUL byte in the input, in and out of a string. */
	check_n("[1]\0", 4);
	check_n("\"a\0b\"", 5);
	/* jansson's lexer drops a NUL right after a number or a word and
	 * takes "7\0" for 7: refused here. */
	assert_null(json_load_fast("7\0", 2, NULL));
	assert_null(json_load_fast("true\0", 5, NULL));
}

static char *nested(size_t n, const char *inner)
{
	char *s = malloc(2 * n + strlen(inner) + 1), *p = s;
	size_t i;

	for (i = 0; i < n; i++)
		*p++ = '[';
	p += sprintf(p, "%s", inner);
	for (i = 0; i < n; i++)
		*p++ = ']';
	*p = '\0';
	return s;
}

static void test_json_parse__depth_limit_as_jansson(void **st)
{
	size_t n;

	(void)st;
	/* The limit counts every value (a scalar inside 2,047 arrays is
	 * at the limit): around it, both agree. */
	for (n = JSON_PARSER_MAX_DEPTH - 2; n <= JSON_PARSER_MAX_DEPTH + 1;
	     n++) {
		char *a = nested(n, "1"), *b = nested(n, "");

		check(a);
		check(b);
		free(a);
		free(b);
	}
}

static void test_json_parse__shares_short_scalars(void **st)
{
	json_t *v = json_load_fast(
	    "[\"postpaid\",\"postpaid\",42,42,\"a-string-longer-than-the-"
	    "limit-for-sharing-0123456789\",\"a-string-longer-than-the-limit-"
	    "for-sharing-0123456789\"]",
	    strlen("[\"postpaid\",\"postpaid\",42,42,\"a-string-longer-than-"
		   "the-limit-for-sharing-0123456789\",\"a-string-longer-than-"
		   "the-limit-for-sharing-0123456789\"]"),
	    NULL);

	(void)st;
	assert_non_null(v);
	assert_ptr_equal(json_array_get(v, 0), json_array_get(v, 1));
	assert_ptr_equal(json_array_get(v, 2), json_array_get(v, 3));
	assert_ptr_not_equal(json_array_get(v, 4), json_array_get(v, 5));
	/* Referenced from both places: freeing the document frees it once
	 * (AddressSanitizer would see a double free or a leak). */
	json_decref(v);
}

static void test_json_parse__errors_say_where(void **st)
{
	struct json_load_err e;

	(void)st;
	assert_null(json_load_fast("{\n  \"a\": 1,\n  \"b\": x\n}", 22, &e));
	assert_int_equal(e.line, 3);
	assert_int_equal(e.column, 8);
	assert_string_equal(e.text, "unexpected 'x'");
	assert_null(json_load_fast("[1, 2", 5, &e));
	assert_int_equal(e.line, 1);
	assert_int_equal(e.column, 6);
	assert_null(json_load_fast(NULL, 0, &e));
	assert_string_equal(e.text, "premature end of input");
}

/* Generated documents of every shape, valid and broken by one byte. */
static void test_json_parse__random_documents(void **st)
{
	static const char *const parts[] = {
	    "{",     "}",	"[",	 "]",
	    ",",     ":",	"\"k\"", "\"\\u00e9\"",
	    "1",     "-2.5e3",	"true",	 "null",
	    " ",     "\"\\n\"", "0",	 "\"\xc3\xa9\"",
	    "1e999", "\\",
	};
	unsigned seed = 12345;
	int round;

	(void)st;
	for (round = 0; round < 20000; round++) {
		char doc[256];
		size_t len = 0, n, i;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 12;
		for (i = 0; i < n; i++) {
			const char *p;

			seed = seed * 1103515245u + 12345u;
			p = parts[(seed >> 16) %
				  (sizeof(parts) / sizeof(parts[0]))];
			if (len + strlen(p) >= sizeof(doc))
				break;
			memcpy(doc + len, p, strlen(p));
			len += strlen(p);
		}
		check_n(doc, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_parse__accepts_what_jansson_accepts),
	    cmocka_unit_test(test_json_parse__refuses_what_jansson_refuses),
	    cmocka_unit_test(test_json_parse__depth_limit_as_jansson),
	    cmocka_unit_test(test_json_parse__shares_short_scalars),
	    cmocka_unit_test(test_json_parse__errors_say_where),
	    cmocka_unit_test(test_json_parse__random_documents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
