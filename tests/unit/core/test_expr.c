/*
 * The ${…} language: parsing every reference form, whole-value and
 * interpolated evaluation, escapes, unknowns kept as templates, and the
 * errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/manifest/expr.h"
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

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
}

/* var.n = 5, var.s = "x${y", var.m = {"a":1}, var.l = [1,2], each.key =
 * "k1", each.value = {"f": "v"}, db.id = "db-1"; everything else unknown. */
static int lookup(void *ctx, const struct expr_ref *r, json_t **out,
		  struct err *e)
{
	(void)ctx;
	switch (r->kind) {
	case EXPR_VAR:
		if (!strcmp(r->name, "n"))
			*out = json_integer(5);
		else if (!strcmp(r->name, "s"))
			*out = json_string("x${y");
		else if (!strcmp(r->name, "m"))
			*out = J("{\"a\":1}");
		else if (!strcmp(r->name, "l"))
			*out = J("[1,2]");
		else if (!strcmp(r->name, "boom"))
			return err_set(e, DCF_EINVALID, "boom");
		else
			return 0;
		return 1;
	case EXPR_EACH_KEY:
		*out = json_string("k1");
		return 1;
	case EXPR_EACH_VALUE:
		*out = r->attr ? json_string("v") : J("{\"f\":\"v\"}");
		return 1;
	case EXPR_RESOURCE:
		if (!strcmp(r->address, "db") && !strcmp(r->attr, "id")) {
			*out = json_string("db-1");
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

static char *eval(const char *json, int tpl, size_t *unknown)
{
	json_t *v = J(json), *out = NULL;
	struct err e = ERR_INIT;
	char *s;
	int ret = tpl ? expr_substitute(&out, v, lookup, NULL, "p", unknown, &e)
		      : expr_eval(&out, v, lookup, NULL, "p", unknown, &e);

	json_decref(v);
	if (ret < 0)
		return xasprintf("ERROR %s", e.msg);
	s = dump(out);
	json_decref(out);
	return s;
}

static void expect(const char *json, int tpl, const char *want,
		   size_t want_unknown)
{
	size_t unknown = 99;
	char *got = eval(json, tpl, &unknown);

	if (strcmp(got, want))
		fail_msg("%s: got %s, want %s", json, got, want);
	if (strncmp(want, "ERROR", 5))
		assert_int_equal(unknown, want_unknown);
	free(got);
}

static void test_expr__parse_forms(void **state)
{
	struct expr_refs r = EXPR_REFS_INIT;
	struct err e = ERR_INIT;

	(void)state;
	assert_int_equal(expr_parse(&r,
				    "a-${var.x}-${env.HOME}-${each.key}"
				    "${each.value.a.b}${db.id}${vif[k1].vlan}"
				    "${x[each.key].id}$${lit}",
				    "p", &e),
			 0);
	assert_int_equal(r.n, 7);
	assert_int_equal(r.v[0].kind, EXPR_VAR);
	assert_string_equal(r.v[0].name, "x");
	assert_string_equal(r.v[0].path, "p");
	assert_int_equal(r.v[1].kind, EXPR_ENV);
	assert_string_equal(r.v[1].name, "HOME");
	assert_int_equal(r.v[2].kind, EXPR_EACH_KEY);
	assert_int_equal(r.v[3].kind, EXPR_EACH_VALUE);
	assert_string_equal(r.v[3].attr, "a.b");
	assert_int_equal(r.v[4].kind, EXPR_RESOURCE);
	assert_string_equal(r.v[4].address, "db");
	assert_string_equal(r.v[4].attr, "id");
	assert_null(r.v[4].key);
	assert_string_equal(r.v[5].address, "vif[k1]");
	assert_string_equal(r.v[5].key, "k1");
	assert_true(r.v[6].key_is_each);
	expr_refs_release(&r);

	assert_true(expr_parse(&r, "${", NULL, &e) < 0);
	assert_non_null(strstr(e.msg, "unterminated '${'"));
	assert_true(expr_parse(&r, "${ }", NULL, &e) < 0);
	assert_string_equal(e.msg, "empty expression '${}'");
	assert_true(expr_parse(&r, "${db}", NULL, &e) < 0);
	assert_non_null(strstr(e.msg, "names no attribute"));
	assert_true(expr_parse(&r, "${var.}", NULL, &e) < 0);
	assert_true(expr_parse(&r, "${each.id}", NULL, &e) < 0);
	assert_true(expr_parse(&r, "${db.id.x}", NULL, &e) < 0);
	assert_true(expr_parse(&r, "${db[].id}", NULL, &e) < 0);
	assert_true(expr_parse(&r, "${1db.id}", NULL, &e) < 0);
	assert_int_equal(r.n, 0);
	assert_true(expr_has_refs("a${b.c}"));
	assert_false(expr_has_refs("a$${b.c}"));
	assert_false(expr_has_refs("$ {x} $"));
}

static void test_expr__eval(void **state)
{
	(void)state;
	/* Whole values keep their type. */
	expect("\"${var.n}\"", 0, "5", 0);
	expect("\" ${var.n}\"", 0, "\" 5\"", 0);
	expect("\"${var.m}\"", 0, "{\"a\":1}", 0);
	expect("\"${ var.l }\"", 0, "[1,2]", 0);
	expect("\"n=${var.n}, key=${each.key}, f=${each.value.f}\"", 0,
	       "\"n=5, key=k1, f=v\"", 0);
	/* Escapes. */
	expect("\"$${var.n} costs $$5\"", 0, "\"${var.n} costs $$5\"", 0);
	/* Unknown references keep the template, known parts substituted. */
	expect("\"${vif.id}/${var.n}\"", 0, "\"${vif.id}/5\"", 1);
	expect("\"${var.s}-${vif.id}\"", 0, "\"x$${y-${vif.id}\"", 1);
	expect("{\"a\":[\"${db.id}\",\"${x.id}\"],\"b\":3}", 0,
	       "{\"a\":[\"db-1\",\"${x.id}\"],\"b\":3}", 1);
	/* Resource keys from each.key. */
	expect("\"${gw[each.key].id}\"", 0, "\"${gw[k1].id}\"", 1);
	/* Errors name the path. */
	expect("{\"x\":\"a-${var.m}\"}", 0,
	       "ERROR p.x: ${var.m} cannot be "
	       "part of a string: it is a map; use it as the whole value",
	       0);
	expect("[\"${var.boom}\"]", 0, "ERROR p[0]: boom", 0);
	expect("\"${\"", 0,
	       "ERROR p: unterminated '${' in '${': close it "
	       "with '}' or write '$${' for a literal '${'",
	       0);
}

static void test_expr__substitute_keeps_templates(void **state)
{
	(void)state;
	expect("\"${var.s}\"", 1, "\"x$${y\"", 0);
	expect("\"a $${b} ${var.n}\"", 1, "\"a $${b} 5\"", 0);
	expect("\"${var.n}\"", 1, "5", 0);
	expect("\"${db.id}-${var.n}\"", 1, "\"db-1-5\"", 0);
	expect("\"${zz.id}-${var.n}\"", 1, "\"${zz.id}-5\"", 1);
}

static json_t *attr(void *ctx, const char *address, const char *a)
{
	(void)ctx;
	if (!strcmp(address, "gw[blue]") && !strcmp(a, "id"))
		return json_string("bgw-1");
	return NULL;
}

static void test_expr__resolve(void **state)
{
	json_t *v = J("{\"a\":\"${gw[blue].id}\",\"b\":\"x-${gw[red].id}\","
		      "\"c\":\"$${lit}\"}");
	struct err e = ERR_INIT;
	size_t unknown;
	json_t *out = expr_resolve(v, attr, NULL, &unknown, &e);
	char *s = dump(out);

	(void)state;
	assert_string_equal(s, "{\"a\":\"bgw-1\",\"b\":\"x-${gw[red].id}\","
			       "\"c\":\"${lit}\"}");
	assert_int_equal(unknown, 1);
	free(s);
	json_decref(out);
	json_decref(v);
}

static void test_expr__collect(void **state)
{
	json_t *v = J("{\"a\":{\"b\":[\"x\",\"${db.id}\"]},"
		      "\"c\":\"${vif[k].vlan}${bad\"}");
	struct expr_refs r = EXPR_REFS_INIT;
	char *t;

	(void)state;
	expr_collect(&r, v, "resources.x.properties");
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].path, "resources.x.properties.a.b[1]");
	assert_string_equal(r.v[0].address, "db");
	assert_string_equal(r.v[1].path, "resources.x.properties.c");
	assert_string_equal(r.v[1].address, "vif[k]");
	expr_refs_release(&r);
	json_decref(v);
	v = json_real(1.5);
	t = expr_to_text(v);
	assert_string_equal(t, "1.5");
	free(t);
	json_decref(v);
	v = J("[1]");
	assert_null(expr_to_text(v));
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_expr__parse_forms),
	    cmocka_unit_test(test_expr__eval),
	    cmocka_unit_test(test_expr__substitute_keeps_templates),
	    cmocka_unit_test(test_expr__resolve),
	    cmocka_unit_test(test_expr__collect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
