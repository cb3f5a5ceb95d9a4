/*
 * Unit tests of core/manifest: YAML typing and positions, expressions,
 * variable precedence, for_each, late resolution of references.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/manifest/expr.h"
#include "core/manifest/manifest.h"
#include "core/plan/props.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"

static char dir[64];

static int setup(void **st)
{
	(void)st;
	strcpy(dir, "/tmp/dcform-manifest-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **st)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	(void)st;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	unsetenv("DCFORM_VAR_env");
	return 0;
}

static void put(const char *name, const char *text)
{
	struct err e = ERR_INIT;
	char *p = fs_join(dir, name);

	assert_int_equal(fs_write_atomic(p, text, strlen(text), 0600, &e), 0);
	free(p);
}

static void test_yaml__scalars_and_positions(void **st)
{
	struct posmap pm;
	struct diags d = DIAGS_INIT;
	json_t *docs = NULL, *v;
	struct pos p;
	const char *t = "a: 1\nb: -2.5\nc: true\nd: ~\ne: '7'\nf: 0x1F\n"
			"g: [x, {h: null}]\n---\nsecond: yes\n";
	(void)st;

	posmap_init(&pm);
	assert_int_equal(yaml_parse(&docs, "f.yaml", t, strlen(t), &pm, &d),
			 0);
	assert_int_equal(json_array_size(docs), 2);
	v = json_array_get(docs, 0);
	assert_true(json_is_integer(json_object_get(v, "a")));
	assert_true(json_is_real(json_object_get(v, "b")));
	assert_true(json_is_true(json_object_get(v, "c")));
	assert_true(json_is_null(json_object_get(v, "d")));
	assert_string_equal(json_get_str(v, "e", ""), "7");
	assert_string_equal(json_get_str(v, "f", ""), "0x1F");
	/* YAML 1.2: "yes" is a string. */
	assert_string_equal(json_get_str(json_array_get(docs, 1), "second", ""),
			    "yes");
	assert_true(posmap_get(&pm, "g[1].h", &p));
	assert_int_equal(p.line, 7);
	assert_int_equal(p.col, 12);
	/* Unknown paths fall back to the nearest ancestor. */
	assert_true(posmap_get(&pm, "g[1].zzz", &p));
	assert_int_equal(p.line, 7);
	json_decref(docs);
	posmap_release(&pm);
	diags_release(&d);
}

static void test_yaml__billion_laughs_refused(void **st)
{
	struct posmap pm;
	struct diags d = DIAGS_INIT;
	json_t *docs = NULL;
	const char *t = "a: &a [x, x, x, x, x, x, x, x, x]\n"
			"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
	(void)st;

	posmap_init(&pm);
	assert_true(yaml_parse(&docs, "f.yaml", t, strlen(t), &pm, &d) >= 1);
	assert_non_null(strstr(d.v[0].msg, "aliases"));
	assert_int_equal(d.v[0].line, 2);
	json_decref(docs);
	posmap_release(&pm);
	diags_release(&d);
}

static json_t *fixed(const struct ref *r, void *ctx, char *err, size_t n)
{
	(void)ctx;
	if (r->kind == REF_VAR && !strcmp(r->name, "n"))
		return json_integer(4);
	if (r->kind == REF_VAR && !strcmp(r->name, "s"))
		return json_string("x");
	if (r->kind == REF_RESOURCE)
		return NULL;
	snprintf(err, n, "no %s", r->name ? r->name : "?");
	return EXPR_ERROR;
}

static void test_expr__eval(void **st)
{
	json_t *in = json_pack("{s:s,s:s,s:s,s:s,s:[s]}", "whole", "${var.n}",
			       "interp", "a-${var.n}-${var.s}", "ref",
			       "${db.vip}:${var.n}", "esc", "$${var.n}",
			       "list", "${var.s}"), *out = NULL;
	char err[128], *ep = NULL;
	struct refs refs;
	size_t off;
	(void)st;

	assert_int_equal(expr_eval(&out, in, "", fixed, NULL, 0, err,
				   sizeof(err), &ep), 0);
	assert_true(json_is_integer(json_object_get(out, "whole")));
	assert_string_equal(json_get_str(out, "interp", ""), "a-4-x");
	assert_string_equal(json_get_str(out, "ref", ""), "${db.vip}:4");
	assert_string_equal(json_get_str(out, "esc", ""), "${var.n}");
	json_decref(out);
	/* Kept escapes at load time. */
	assert_int_equal(expr_eval(&out, in, "", fixed, NULL, 1, err,
				   sizeof(err), &ep), 0);
	assert_string_equal(json_get_str(out, "esc", ""), "$${var.n}");
	json_decref(out);
	json_decref(in);

	in = json_pack("{s:[s]}", "a", "${var.nope}");
	assert_int_equal(expr_eval(&out, in, "p", fixed, NULL, 0, err,
				   sizeof(err), &ep), -1);
	assert_string_equal(ep, "p.a[0]");
	assert_string_equal(err, "no nope");
	free(ep);
	json_decref(in);

	assert_int_equal(expr_parse(&refs, "x ${lines[\"bj\"].id} y", err,
				    sizeof(err), &off), 0);
	assert_int_equal(refs.n, 1);
	assert_string_equal(refs.v[0].name, "lines");
	assert_string_equal(refs.v[0].key, "bj");
	assert_string_equal(refs.v[0].attr, "id");
	assert_int_equal(refs.v[0].start, 2);
	refs_release(&refs);
	assert_int_equal(expr_parse(&refs, "${a b}", err, sizeof(err), &off),
			 -1);
}

static const char *base =
	"providers: { jdcloud: { region: cn-north-1 } }\n"
	"variables:\n"
	"  env: { default: from-default }\n"
	"resources:\n"
	"  gw:\n"
	"    type: jdcloud_dc_bgw\n"
	"    properties: { name: \"gw-${var.env}\" }\n"
	"  route:\n"
	"    type: jdcloud_dc_bgw_route\n"
	"    properties:\n"
	"      bgw_id: ${gw.id}\n"
	"      destination: 10.0.0.0/16\n"
	"      nexthop_type: vpc\n"
	"      nexthop_id: vpc-3m9x1k2a\n"
	"      description: \"via ${gw.id} $${kept}\"\n";

static const char *gw_name(const char **vars, size_t nv, const char **files,
			   size_t nf)
{
	static char name[64];
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct manifest_opts o = {vars, nv, files, nf};

	assert_int_equal(manifest_load(&m, dir, &o, &d), 0);
	snprintf(name, sizeof(name), "%s",
		 json_get_str(json_object_get(json_object_get(m.desired, "gw"),
					      "properties"),
			      "name", ""));
	manifest_release(&m);
	diags_release(&d);
	return name;
}

static void test_manifest__variable_precedence(void **st)
{
	const char *vars[] = {"env=from-cli"};
	char *vf;
	const char *files[1];
	(void)st;

	put("main.yaml", base);
	put("vars.yml.txt", "env: from-file\n");
	vf = fs_join(dir, "vars.yml.txt");
	files[0] = vf;
	assert_string_equal(gw_name(NULL, 0, NULL, 0), "gw-from-default");
	setenv("DCFORM_VAR_env", "from-env", 1);
	assert_string_equal(gw_name(NULL, 0, NULL, 0), "gw-from-env");
	assert_string_equal(gw_name(NULL, 0, files, 1), "gw-from-file");
	assert_string_equal(gw_name(vars, 1, files, 1), "gw-from-cli");
	free(vf);
}

static json_t *attr_of(const char *addr, const char *attr, void *ctx)
{
	(void)ctx;
	if (!strcmp(addr, "gw") && !strcmp(attr, "id"))
		return json_string("bgw-12345678");
	return NULL;
}

static json_t *nothing(const char *addr, const char *attr, void *ctx)
{
	(void)addr; (void)attr; (void)ctx;
	return NULL;
}

static void test_manifest__late_resolution(void **st)
{
	struct manifest m;
	struct diags d = DIAGS_INIT;
	const json_t *props;
	json_t *r;
	int unknown = 0;
	(void)st;

	put("main.yaml", base);
	assert_int_equal(manifest_load(&m, dir, NULL, &d), 0);
	props = json_object_get(json_object_get(m.desired, "route"),
				"properties");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(m.desired,
								    "route"),
						    "depends_on"),
				    0)),
			    "gw");
	r = manifest_resolve_refs(props, nothing, NULL, &unknown);
	assert_true(unknown);
	assert_string_equal(json_get_str(r, "bgw_id", ""), PROPS_UNKNOWN);
	assert_string_equal(json_get_str(r, "description", ""), PROPS_UNKNOWN);
	json_decref(r);
	r = manifest_resolve_refs(props, attr_of, NULL, &unknown);
	assert_false(unknown);
	assert_string_equal(json_get_str(r, "bgw_id", ""), "bgw-12345678");
	assert_string_equal(json_get_str(r, "description", ""),
			    "via bgw-12345678 ${kept}");
	json_decref(r);
	manifest_release(&m);
	diags_release(&d);
}

static void test_manifest__all_errors_sorted(void **st)
{
	struct manifest m;
	struct diags d = DIAGS_INIT;
	(void)st;

	put("a.yaml", "providers: { jdcloud: { region: cn-north-1 } }\n"
		      "resources:\n"
		      "  x: { type: jdcloud_dc_bgw, properties: { name: "
		      "\"${var.a}\" } }\n"
		      "  y: { type: jdcloud_dc_bgw, properties: { name: "
		      "\"${var.b}\" } }\n");
	assert_int_equal(manifest_load(&m, dir, NULL, &d), 2);
	assert_int_equal(d.v[0].line, 3);
	assert_int_equal(d.v[1].line, 4);
	assert_string_equal(d.v[0].path, "resources.x.properties.name");
	manifest_release(&m);
	diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml__scalars_and_positions),
		cmocka_unit_test(test_yaml__billion_laughs_refused),
		cmocka_unit_test(test_expr__eval),
		cmocka_unit_test_setup_teardown(
			test_manifest__variable_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest__late_resolution,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_manifest__all_errors_sorted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
