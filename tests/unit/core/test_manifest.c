/*
 * Loading configurations: merging files and documents, variable
 * precedence, for_each expansion, lifecycle and depends_on, references
 * kept for apply, positions, and the errors a whole configuration gives.
 * Each test writes its files into a fresh temporary directory.
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

#include "core/manifest/manifest.h"
#include "core/util/buf.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/dcform-test-manifest-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(cmd);
	free(f);
	return 0;
}

static void put(struct fixture *f, const char *name, const char *text)
{
	char *p = fs_join(f->dir, name);
	struct err e = ERR_INIT;

	if (fs_write_atomic(p, text, strlen(text), 0644, &e) < 0)
		fail_msg("%s", e.msg);
	free(p);
}

static const char *fake_env(const char *name)
{
	if (!strcmp(name, "DCFORM_VAR_env"))
		return "from-env";
	if (!strcmp(name, "DCFORM_VAR_count"))
		return "7";
	if (!strcmp(name, "REGION_X"))
		return "cn-east-2";
	return NULL;
}

/* Diagnostics as lines without the directory: "NAME:L:C: [path: ]msg". */
static char *render(struct fixture *f, const struct diags *d)
{
	struct buf b = BUF_INIT;
	size_t i, dl = strlen(f->dir) + 1;

	for (i = 0; i < d->n; i++) {
		const struct diag *x = &d->v[i];
		const char *file = x->file ? x->file : "-";

		if (!strncmp(file, f->dir, dl - 1))
			file += dl;
		buf_printf(&b, "%s:%d:%d: %s%s%s%s\n", file, x->line, x->col,
			   x->severity == DIAG_WARNING ? "warning: " : "",
			   x->path ? x->path : "", x->path ? ": " : "", x->msg);
	}
	return buf_detach(&b, NULL);
}

static const char *PROV = "providers:\n  jdcloud: { region: cn-north-1 }\n";

static void test_manifest__merge_for_each_and_vars(void **state)
{
	struct fixture *f = *state;
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct err e = ERR_INIT;
	const char *vars[] = {"env=from-cli"};
	const char *files[] = {NULL};
	struct manifest_opts o = {.vars = vars,
				  .n_vars = 1,
				  .var_files = files,
				  .n_var_files = 1,
				  .getenv = fake_env};
	const struct manifest_resource *r;
	char *vf = fs_join(f->dir, "x.vars"), *msgs;
	struct buf b = BUF_INIT;

	files[0] = vf;
	buf_printf(&b,
		   "%svariables:\n  env: { default: dflt }\n"
		   "  count: { type: number, default: 1 }\n"
		   "  zone: { default: z1 }\n"
		   "  gws: { type: list, default: [blue, green] }\n",
		   PROV);
	put(f, "a.yaml", b.ptr);
	put(f, "x.vars", "zone: from-file\nenv: from-file\n");
	put(f, "b.yml",
	    "resources:\n"
	    "  gw:\n"
	    "    type: jdcloud_dc_bgw\n"
	    "    for_each: ${var.gws}\n"
	    "    properties:\n"
	    "      name: \"gw-${each.key}-${var.env}\"\n"
	    "      description: \"${var.zone} ${var.count} $${lit} "
	    "${env.REGION_X}\"\n"
	    "    region: cn-east-2\n"
	    "---\n"
	    "resources:\n"
	    "  route:\n"
	    "    type: jdcloud_dc_bgw_route\n"
	    "    for_each: { blue: 10.1.0.0/16 }\n"
	    "    properties:\n"
	    "      bgw_id: ${gw[each.key].id}\n"
	    "      destination: ${each.value}\n"
	    "      nexthop_type: vpc\n"
	    "      nexthop_id: vpc-1\n"
	    "    depends_on: [gw]\n"
	    "    lifecycle:\n"
	    "      prevent_destroy: true\n"
	    "      create_before_destroy: true\n"
	    "      ignore_changes: [description]\n"
	    "outputs:\n"
	    "  blue: { value: \"${gw[blue].id}\", sensitive: true }\n");
	assert_int_equal(manifest_load(&m, f->dir, &o, &d, &e), 0);
	msgs = render(f, &d);
	assert_string_equal(msgs, "");
	free(msgs);
	assert_int_equal(m.n_resources, 3);
	assert_string_equal(m.resources[0].address, "gw[blue]");
	assert_string_equal(m.resources[1].address, "gw[green]");
	assert_string_equal(m.resources[2].address, "route[blue]");
	r = manifest_find(&m, "gw[green]");
	assert_non_null(r);
	assert_string_equal(r->name, "gw");
	assert_string_equal(r->key, "green");
	assert_string_equal(r->region, "cn-east-2");
	/* --var beats --var-file beats DCFORM_VAR_ beats the default. */
	assert_string_equal(json_get_str(r->properties, "name", ""),
			    "gw-green-from-cli");
	assert_string_equal(json_get_str(r->properties, "description", ""),
			    "from-file 7 $${lit} cn-east-2");
	r = manifest_find(&m, "route[blue]");
	assert_string_equal(json_get_str(r->properties, "bgw_id", ""),
			    "${gw[blue].id}");
	assert_string_equal(json_get_str(r->properties, "destination", ""),
			    "10.1.0.0/16");
	assert_int_equal(r->refs.n, 1);
	assert_string_equal(r->refs.v[0].address, "gw[blue]");
	assert_string_equal(r->refs.v[0].path,
			    "resources.route.properties.bgw_id");
	assert_int_equal(r->n_depends_on, 1);
	assert_string_equal(r->depends_on[0], "gw");
	assert_true(r->lifecycle.prevent_destroy);
	assert_true(r->lifecycle.create_before_destroy);
	assert_int_equal(r->lifecycle.n_ignore_changes, 1);
	assert_string_equal(r->lifecycle.ignore_changes[0], "description");
	assert_int_equal(m.n_outputs, 1);
	assert_true(m.outputs[0].sensitive);
	assert_string_equal(json_string_value(m.outputs[0].value),
			    "${gw[blue].id}");
	assert_null(manifest_find(&m, "gw"));
	/* Positions survive the merge. */
	{
		const struct srcpos *p =
		    srcmap_get(&m.src, "resources.route.properties.bgw_id");

		assert_non_null(p);
		assert_true(str_ends_with(p->file, "/b.yml"));
		assert_int_equal(p->line, 15);
		assert_int_equal(p->col, 15);
	}
	assert_int_equal(m.n_vars, 4);
	manifest_release(&m);
	diags_release(&d);
	buf_release(&b);
	free(vf);
}

static void test_manifest__errors(void **state)
{
	struct fixture *f = *state;
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct err e = ERR_INIT;
	struct manifest_opts o = {.getenv = fake_env};
	char *msgs, *want;

	put(f, "a.yaml",
	    "providers:\n  jdcloud: { region: cn-north-1 }\n"
	    "resources:\n"
	    "  gw:\n"
	    "    type: jdcloud_dc_bgw\n"
	    "    properties: { name: \"${gw.name}\", description: \"${var.x}\" "
	    "}\n");
	put(f, "b.yaml",
	    "resources:\n"
	    "  gw:\n"
	    "    type: jdcloud_dc_bgw\n"
	    "    properties: { name: b }\n"
	    "  r2:\n"
	    "    type: jdcloud_dc_bgw\n"
	    "    properties: { name: \"${gw.nam}\" }\n");
	assert_int_equal(manifest_load(&m, f->dir, &o, &d, &e), DCF_EINVALID);
	msgs = render(f, &d);
	want = xasprintf(
	    "a.yaml:6:26: resources.gw.properties.name: resource 'gw' "
	    "refers to itself\n"
	    "a.yaml:6:53: resources.gw.properties.description: unknown "
	    "variable 'x'\n"
	    "b.yaml:2:3: resources.gw: resource 'gw' is defined twice "
	    "(first at %s/a.yaml:4:3)\n"
	    "b.yaml:7:26: resources.r2.properties.name: jdcloud_dc_bgw 'gw' "
	    "has no attribute 'nam'; did you mean 'name'?\n",
	    f->dir);
	assert_string_equal(msgs, want);
	free(want);
	free(msgs);
	manifest_release(&m);
	diags_release(&d);
}

/* A for_each whose properties never use each.*: the instances share one
 * checked copy, and a mistake in them is reported once, not per key. */
static void test_manifest__for_each_same_instances(void **state)
{
	struct fixture *f = *state;
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct err e = ERR_INIT;
	struct manifest_opts o = {.getenv = fake_env};
	char *msgs;

	put(f, "a.yaml",
	    "providers:\n  jdcloud: { region: cn-north-1 }\n"
	    "resources:\n"
	    "  gw:\n"
	    "    type: jdcloud_dc_bgw\n"
	    "    for_each: [a, b, c]\n"
	    "    properties: { name: same }\n"
	    "  named:\n"
	    "    type: jdcloud_dc_bgw\n"
	    "    for_each: [a, b]\n"
	    "    properties: { name: \"gw-${each.key}\" }\n");
	assert_int_equal(manifest_load(&m, f->dir, &o, &d, &e), 0);
	assert_int_equal(m.n_resources, 5);
	/* Sorted by address: gw[a], gw[b], gw[c], named[a], named[b]. */
	assert_ptr_equal(m.resources[0].properties, m.resources[2].properties);
	assert_string_equal(json_get_str(m.resources[3].properties, "name", ""),
			    "gw-a");
	assert_string_equal(json_get_str(m.resources[4].properties, "name", ""),
			    "gw-b");
	manifest_release(&m);
	diags_release(&d);

	put(f, "a.yaml",
	    "providers:\n  jdcloud: { region: cn-north-1 }\n"
	    "resources:\n"
	    "  gw:\n"
	    "    type: jdcloud_dc_bgw\n"
	    "    for_each: [a, b, c]\n"
	    "    properties: { name: same, nope: 1 }\n");
	assert_int_equal(manifest_load(&m, f->dir, &o, &d, &e), DCF_EINVALID);
	msgs = render(f, &d);
	assert_int_equal(d.n, 1);
	free(msgs);
	manifest_release(&m);
	diags_release(&d);
}

static void test_manifest__missing_dir(void **state)
{
	struct fixture *f = *state;
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct err e = ERR_INIT;
	char *p = fs_join(f->dir, "nope");

	assert_int_equal(manifest_load(&m, p, NULL, &d, &e), DCF_ENOTFOUND);
	assert_non_null(strstr(e.msg, "does not exist"));
	manifest_release(&m);
	assert_int_equal(manifest_load(&m, f->dir, NULL, &d, &e),
			 DCF_ENOTFOUND);
	assert_non_null(strstr(e.msg, "no *.yaml or *.yml files"));
	manifest_release(&m);
	diags_release(&d);
	free(p);
}

static void test_manifest__text_settings_and_redaction(void **state)
{
	const char *text =
	    "variables:\n"
	    "  region: { default: cn-east-2 }\n"
	    "  secret: { default: \"Not A Region\", sensitive: true }\n"
	    "providers:\n"
	    "  tencentcloud: { region: \"${var.secret}\" }\n"
	    "  jdcloud: { region: \"${var.region}\", endpoint: "
	    "\"http://127.0.0.1:${env.PORT_UNSET}\" }\n"
	    "resources:\n"
	    "  gw:\n"
	    "    type: jdcloud_dc_bgw\n"
	    "    properties: { name: gw }\n";
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct manifest_opts o = {.getenv = fake_env};
	size_t i;

	(void)state;
	assert_int_equal(
	    manifest_load_text(&m, "t.yaml", text, strlen(text), &o, &d),
	    DCF_EINVALID);
	assert_string_equal(
	    json_string_value(json_path_get(m.providers, "jdcloud.region")),
	    "cn-east-2");
	/* An unset environment variable keeps its template. */
	assert_string_equal(
	    json_string_value(json_path_get(m.providers, "jdcloud.endpoint")),
	    "http://127.0.0.1:${env.PORT_UNSET}");
	assert_int_equal(d.n, 2);
	assert_int_equal(d.v[1].severity, DIAG_WARNING);
	assert_int_equal(d.v[1].line, 6);
	assert_int_equal(diags_errors(&d), 1);
	/* The sensitive value never appears in a message. */
	assert_int_equal(d.v[0].line, 5);
	assert_string_equal(d.v[0].path, "providers.tencentcloud.region");
	assert_non_null(strstr(d.v[0].msg, "got '(sensitive)'"));
	for (i = 0; i < d.n; i++)
		assert_null(strstr(d.v[i].msg, "Not A Region"));
	manifest_release(&m);
	diags_release(&d);
}

static void test_manifest__diags_sort_uniq(void **state)
{
	struct diags d = DIAGS_INIT;

	(void)state;
	diags_add(&d, "b.yaml", 1, 1, "x", "m");
	diags_add(&d, "a.yaml", 2, 5, "y", "m");
	diags_warn(&d, "a.yaml", 2, 1, NULL, "w");
	diags_add(&d, "a.yaml", 2, 5, "y", "m");
	diags_add(&d, NULL, 0, 0, NULL, "no file");
	diags_sort(&d);
	diags_uniq(&d);
	assert_int_equal(d.n, 4);
	assert_null(d.v[0].file);
	assert_string_equal(d.v[1].msg, "w");
	assert_int_equal(d.v[2].col, 5);
	assert_string_equal(d.v[3].file, "b.yaml");
	assert_int_equal(diags_errors(&d), 3);
	diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_manifest__merge_for_each_and_vars, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_manifest__for_each_same_instances, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__errors, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__missing_dir, setup,
					    teardown),
	    cmocka_unit_test(test_manifest__text_settings_and_redaction),
	    cmocka_unit_test(test_manifest__diags_sort_uniq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
