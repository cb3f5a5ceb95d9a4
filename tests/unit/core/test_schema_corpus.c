/*
 * The schemas against the repository's manifests, without the manifest
 * loader: a small libyaml reader (plain scalars resolved as YAML's core
 * schema does) turns each file into JSON, then
 *   - examples/<each>/main.yaml must validate cleanly;
 *   - tests/manifests/bad/2NN-<case>/main.yaml must give exactly the
 *     messages of its `expected` file (the "FILE:LINE:COL: " prefix,
 *     which the loader adds, is not compared here; the corpus runner
 *     checks whole lines).
 * Files are found under $DCFORM_SRC (the repository; "." by default).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yaml.h>

#include "core/schema/schema.h"
#include "core/util/buf.h"
#include "core/util/fs.h"
#include "core/util/util.h"

static const char *src_dir(void)
{
	const char *s = getenv("DCFORM_SRC");

	return s && *s ? s : ".";
}

/* A plain scalar as YAML 1.2's core schema reads it. */
static json_t *plain_scalar(const char *s)
{
	char *end;
	long long i;
	double d;

	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False"))
		return json_false();
	i = strtoll(s, &end, 10);
	if (!*end &&
	    (s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9')))
		return json_integer(i);
	d = strtod(s, &end);
	if (!*end && (s[0] == '-' || s[0] == '+' || s[0] == '.' ||
		      (s[0] >= '0' && s[0] <= '9')))
		return json_real(d);
	return json_string(s);
}

/* Read one node starting with the event already in *ev. */
static json_t *read_node(yaml_parser_t *p, yaml_event_t *ev);

static json_t *next_node(yaml_parser_t *p, int *end)
{
	yaml_event_t ev;
	json_t *v;

	if (!yaml_parser_parse(p, &ev))
		fail_msg("yaml: %s", p->problem);
	if (ev.type == YAML_SEQUENCE_END_EVENT ||
	    ev.type == YAML_MAPPING_END_EVENT) {
		yaml_event_delete(&ev);
		*end = 1;
		return NULL;
	}
	*end = 0;
	v = read_node(p, &ev);
	return v;
}

static json_t *read_node(yaml_parser_t *p, yaml_event_t *ev)
{
	json_t *v = NULL;
	int end;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.plain_implicit &&
		    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			v = plain_scalar((const char *)ev->data.scalar.value);
		else
			v = json_string((const char *)ev->data.scalar.value);
		break;
	case YAML_SEQUENCE_START_EVENT:
		v = json_array();
		for (;;) {
			json_t *x = next_node(p, &end);

			if (end)
				break;
			json_array_append_new(v, x);
		}
		break;
	case YAML_MAPPING_START_EVENT:
		v = json_object();
		for (;;) {
			json_t *k = next_node(p, &end), *x;

			if (end)
				break;
			x = next_node(p, &end);
			assert_false(end);
			assert_true(json_is_string(k));
			json_object_set_new(v, json_string_value(k), x);
			json_decref(k);
		}
		break;
	default:
		fail_msg("yaml: unexpected event %d", ev->type);
	}
	yaml_event_delete(ev);
	return v;
}

/* The first document of a YAML file as JSON (new reference). */
static json_t *load_yaml(const char *path)
{
	FILE *fp = fopen(path, "rb");
	yaml_parser_t p;
	yaml_event_t ev;
	json_t *doc = NULL;

	if (!fp)
		fail_msg("cannot open %s", path);
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, fp);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev))
			fail_msg("%s: yaml: %s", path, p.problem);
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT ||
		    ev.type == YAML_SCALAR_EVENT) {
			assert_null(doc);
			doc = read_node(&p, &ev);
			continue;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	fclose(fp);
	if (!doc)
		fail_msg("%s: empty", path);
	return doc;
}

/* The problems with a manifest, one message per line. */
static char *problems(const char *path)
{
	json_t *doc = load_yaml(path);
	struct diags d = DIAGS_INIT;
	struct buf b = BUF_INIT;
	size_t i;

	schema_validate(schema_get("manifest"), doc, "", &d);
	for (i = 0; i < d.n; i++)
		buf_printf(&b, "%s\n", d.v[i].msg);
	diags_release(&d);
	json_decref(doc);
	return buf_detach(&b, NULL);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted subdirectory names of dir starting with prefix. */
static size_t list_dirs(const char *dir, const char *prefix, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, alloc = 0;

	if (!d)
		fail_msg("cannot open %s (set DCFORM_SRC)", dir);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !str_starts_with(e->d_name, prefix))
			continue;
		ALLOC_GROW(v, n + 1, alloc);
		v[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_name);
	*out = v;
	return n;
}

static void test_schema_corpus__examples_validate(void **state)
{
	char *dir = xasprintf("%s/examples", src_dir());
	char **names;
	size_t n, i, checked = 0;

	(void)state;
	n = list_dirs(dir, "", &names);
	for (i = 0; i < n; i++) {
		char *f = xasprintf("%s/%s/main.yaml", dir, names[i]);
		FILE *fp = fopen(f, "r");
		char first[128] = "";

		if (fp) {
			char *got;

			/* Editors find the schema through the first line. */
			assert_non_null(fgets(first, sizeof(first), fp));
			fclose(fp);
			assert_string_equal(
			    first, "# yaml-language-server: $schema="
				   "../../schemas/manifest.schema.json\n");
			got = problems(f);
			if (*got)
				fail_msg("%s:\n%s", f, got);
			free(got);
			checked++;
		}
		free(f);
		free(names[i]);
	}
	free(names);
	free(dir);
	assert_true(checked >= 4);
}

/* The messages of an expected file, without "FILE:LINE:COL: ". */
static char *expected_messages(const char *path)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct err e = ERR_INIT;
	char *line, *save = NULL;

	if (fs_read_file(&in, path, 1 << 20, &e) < 0)
		fail_msg("%s: %s", path, e.msg);
	for (line = strtok_r(in.ptr, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, ": ");

		assert_non_null(p);
		buf_printf(&out, "%s\n", p + 2);
	}
	buf_release(&in);
	return buf_detach(&out, NULL);
}

static void test_schema_corpus__bad_manifests(void **state)
{
	char *dir = xasprintf("%s/tests/manifests/bad", src_dir());
	char **names;
	size_t n, i;

	(void)state;
	n = list_dirs(dir, "2", &names);
	assert_true(n >= 40);
	for (i = 0; i < n; i++) {
		char *f = xasprintf("%s/%s/main.yaml", dir, names[i]);
		char *x = xasprintf("%s/%s/expected", dir, names[i]);
		char *got = problems(f), *want = expected_messages(x);

		if (strcmp(got, want))
			fail_msg("%s:\nwant:\n%sgot:\n%s", names[i], want, got);
		assert_true(*got);
		free(got);
		free(want);
		free(f);
		free(x);
		free(names[i]);
	}
	free(names);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_corpus__examples_validate),
	    cmocka_unit_test(test_schema_corpus__bad_manifests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
