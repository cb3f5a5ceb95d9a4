/*
 * The YAML reader: core-schema typing, positions, documents, and every
 * refusal (duplicates, aliases, tabs, bad UTF-8, limits) with its position.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/manifest/manifest.h"
#include "core/util/buf.h"
#include "core/util/json.h"
#include "core/util/util.h"

/* Parse text; return the diagnostics as "L:C: sev: [path: ]msg" lines. */
static char *parse(const char *text, size_t len, struct yaml_doc **docs,
		   size_t *n)
{
	struct diags d = DIAGS_INIT;
	struct buf b = BUF_INIT;
	struct yaml_doc *tmp;
	size_t tn, i;

	yaml_parse_docs(docs ? docs : &tmp, n ? n : &tn, "f.yaml", text, len,
			&d);
	if (!docs)
		yaml_docs_free(tmp, tn);
	for (i = 0; i < d.n; i++)
		buf_printf(&b, "%d:%d: %s: %s%s%s\n", d.v[i].line, d.v[i].col,
			   d.v[i].severity == DIAG_WARNING ? "warning"
							   : "error",
			   d.v[i].path ? d.v[i].path : "",
			   d.v[i].path ? ": " : "", d.v[i].msg);
	diags_release(&d);
	return buf_detach(&b, NULL);
}

static void expect_diags(const char *text, const char *want)
{
	char *got = parse(text, strlen(text), NULL, NULL);

	assert_string_equal(got, want);
	free(got);
}

static void scalar_is(const char *s, json_type t)
{
	const char *why;
	json_t *v = yaml_plain_scalar(s, &why);

	if (!v || json_typeof(v) != t)
		fail_msg("'%s': got %s, want type %d", s,
			 v ? json_type_name(v) : why, (int)t);
	json_decref(v);
}

static void test_yaml__core_schema(void **state)
{
	const char *why;
	json_t *v;

	(void)state;
	scalar_is("", JSON_NULL);
	scalar_is("~", JSON_NULL);
	scalar_is("null", JSON_NULL);
	scalar_is("NULL", JSON_NULL);
	scalar_is("true", JSON_TRUE);
	scalar_is("False", JSON_FALSE);
	scalar_is("yes", JSON_STRING); /* YAML 1.1 only */
	scalar_is("on", JSON_STRING);
	scalar_is("42", JSON_INTEGER);
	scalar_is("-7", JSON_INTEGER);
	scalar_is("+7", JSON_INTEGER);
	scalar_is("0x1F", JSON_INTEGER);
	scalar_is("0o17", JSON_INTEGER);
	scalar_is("1.5", JSON_REAL);
	scalar_is(".5", JSON_REAL);
	scalar_is("1e3", JSON_REAL);
	scalar_is("1.", JSON_REAL);
	scalar_is("1e", JSON_STRING);
	scalar_is("10GBase-LR", JSON_STRING);
	scalar_is("1.2.3", JSON_STRING);
	scalar_is("0x", JSON_STRING);
	scalar_is("-", JSON_STRING);
	v = yaml_plain_scalar("0o17", &why);
	assert_int_equal(json_integer_value(v), 15);
	json_decref(v);
	v = yaml_plain_scalar("0x1F", &why);
	assert_int_equal(json_integer_value(v), 31);
	json_decref(v);
	assert_null(yaml_plain_scalar("99999999999999999999", &why));
	assert_string_equal(why, "integer out of range");
	assert_null(yaml_plain_scalar("-.inf", &why));
	assert_null(yaml_plain_scalar(".nan", &why));
	assert_null(yaml_plain_scalar("1e999", &why));
}

static void test_yaml__quoted_are_strings_and_positions(void **state)
{
	const char *text = "a:\n  b: \"42\"\n  c: [1, 'true', x]\n"
			   "d: { e: null }\n";
	struct yaml_doc *docs;
	size_t n;
	char *msgs = parse(text, strlen(text), &docs, &n);
	const struct srcpos *p;
	json_t *v;

	(void)state;
	assert_string_equal(msgs, "");
	assert_int_equal(n, 1);
	v = docs[0].value;
	assert_true(json_is_string(json_path_get(v, "a.b")));
	assert_true(json_is_integer(json_path_get(v, "a.c.0")));
	assert_true(json_is_string(json_path_get(v, "a.c.1")));
	assert_true(json_is_null(json_path_get(v, "d.e")));
	p = srcmap_get(&docs[0].vals, "a.b");
	assert_int_equal(p->line, 2);
	assert_int_equal(p->col, 6);
	assert_string_equal(p->file, "f.yaml");
	p = srcmap_get(&docs[0].vals, "a.c[2]");
	assert_int_equal(p->line, 3);
	assert_int_equal(p->col, 18);
	p = srcmap_get(&docs[0].keys, "d.e");
	assert_int_equal(p->line, 4);
	assert_int_equal(p->col, 6);
	/* An unknown path falls back to its nearest ancestor. */
	p = srcmap_get(&docs[0].vals, "a.c[7].zz");
	assert_int_equal(p->line, 3);
	assert_int_equal(p->col, 6);
	yaml_docs_free(docs, n);
	free(msgs);
}

static void test_yaml__documents(void **state)
{
	const char *text = "a: 1\n---\n---\nb: 2\n...\n";
	struct yaml_doc *docs;
	size_t n;
	char *msgs = parse(text, strlen(text), &docs, &n);

	(void)state;
	assert_string_equal(msgs, "3:1: warning: empty document\n");
	assert_int_equal(n, 2);
	assert_int_equal(
	    json_integer_value(json_object_get(docs[1].value, "b")), 2);
	yaml_docs_free(docs, n);
	free(msgs);
	expect_diags("", "1:1: warning: file is empty\n");
	expect_diags("# only a comment\n", "1:1: warning: file is empty\n");
}

static void test_yaml__errors(void **state)
{
	char bad[] = "a: \"x\xff\"\n";

	(void)state;
	expect_diags("a: 1\nb: 2\na: 3\n",
		     "3:1: error: a: duplicate key 'a' (first at line 1, "
		     "column 1)\n");
	expect_diags("a:\n\tb: 1\n",
		     "2:1: error: yaml: tab character where "
		     "indentation or a token was expected; indent with "
		     "spaces\n");
	expect_diags("- 1\n",
		     "1:1: error: a manifest document must be a "
		     "mapping (providers, variables, resources, outputs, "
		     "backend), not a list\n");
	expect_diags("a: &x 1\nb: *x\n",
		     "2:4: error: b: yaml: aliases (*x) "
		     "are not supported; write the value out\n");
	expect_diags("a: !!int 3\n",
		     "1:4: error: a: unsupported tag "
		     "'tag:yaml.org,2002:int': only !!str is allowed on "
		     "values\n");
	expect_diags("a: !!str 3\n", "");
	expect_diags("? [1]\n: 2\n",
		     "1:3: error: mapping keys must be strings, not lists\n");
	{
		char *got = parse(bad, strlen(bad), NULL, NULL);

		assert_string_equal(got, "1:6: error: file is not valid "
					 "UTF-8 (invalid byte here)\n");
		free(got);
	}
}

static void test_yaml__billion_laughs_refused_fast(void **state)
{
	struct buf b = BUF_INIT;
	int64_t t0 = time_mono_ms();
	char *msgs;
	int i, j;

	(void)state;
	buf_puts(&b, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (i = 1; i < 10; i++) {
		buf_printf(&b, "a%d: &a%d [", i, i);
		for (j = 0; j < 9; j++)
			buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
		buf_puts(&b, "]\n");
	}
	msgs = parse(b.ptr, b.len, NULL, NULL);
	assert_non_null(strstr(msgs, "aliases (*a0) are not supported"));
	assert_true(time_mono_ms() - t0 < 1000);
	free(msgs);
	buf_release(&b);
}

static void test_yaml__limits(void **state)
{
	struct buf b = BUF_INIT;
	char *msgs;
	int i;

	(void)state;
	/* Depth 64 is fine, 65 is not. */
	buf_puts(&b, "a: ");
	for (i = 0; i < 63; i++)
		buf_putc(&b, '[');
	for (i = 0; i < 63; i++)
		buf_putc(&b, ']');
	msgs = parse(b.ptr, b.len, NULL, NULL);
	assert_string_equal(msgs, "");
	free(msgs);
	buf_reset(&b);
	buf_puts(&b, "a: ");
	for (i = 0; i < 65; i++)
		buf_putc(&b, '[');
	for (i = 0; i < 65; i++)
		buf_putc(&b, ']');
	msgs = parse(b.ptr, b.len, NULL, NULL);
	assert_non_null(strstr(msgs, "nesting deeper than 64 levels"));
	free(msgs);
	/* Node count. */
	buf_reset(&b);
	buf_puts(&b, "a: [");
	for (i = 0; i < MANIFEST_MAX_NODES + 1; i++)
		buf_puts(&b, "1,");
	buf_puts(&b, "1]\n");
	msgs = parse(b.ptr, b.len, NULL, NULL);
	assert_non_null(strstr(msgs, "too many values in one file (limit "
				     "100000)"));
	free(msgs);
	/* Size. */
	buf_reset(&b);
	buf_puts(&b, "a: \"");
	while (b.len <= MANIFEST_MAX_FILE)
		buf_puts(&b,
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	buf_puts(&b, "\"\n");
	msgs = parse(b.ptr, b.len, NULL, NULL);
	assert_string_equal(msgs, "0:0: error: file is larger than 4194304 "
				  "bytes\n");
	free(msgs);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_yaml__core_schema),
	    cmocka_unit_test(test_yaml__quoted_are_strings_and_positions),
	    cmocka_unit_test(test_yaml__documents),
	    cmocka_unit_test(test_yaml__errors),
	    cmocka_unit_test(test_yaml__billion_laughs_refused_fast),
	    cmocka_unit_test(test_yaml__limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
