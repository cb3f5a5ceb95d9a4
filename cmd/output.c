/*
 * dcform output [NAME] [--json]: the manifests' outputs as the last apply
 * recorded them in the state.  Sensitive outputs are never stored, so
 * they are listed as <sensitive> and cannot be printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "run.h"
#include "core/state/store.h"
#include "core/util/buf.h"
#include "core/util/json.h"
#include "core/util/util.h"

static const char *dir = ".";
static int raw;

static const struct opt *output_options(void)
{
	static const struct opt o[] = {
	    {"dir", 'C', OPT_STRING, &dir, "DIR",
	     "the configuration's directory (default .)"},
	    {"json", 0, OPT_BOOL, &gopts.json, NULL,
	     "print JSON: {NAME: {\"value\", \"sensitive\"}}, or NAME's "
	     "value"},
	    {"raw", 0, OPT_BOOL, &raw, NULL,
	     "print NAME's string value without quotes (for scripts)"},
	    OPT_END,
	};
	return o;
}

static void print_value(const json_t *v, int pretty)
{
	char *s =
	    json_dumps_malloc(v, JSON_ENCODE_ANY | JSON_SORT_KEYS |
				     (pretty ? JSON_INDENT(2) : JSON_COMPACT));

	printf("%s\n", s ? s : "null");
	free(s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int print_one(const json_t *outs, const char *name)
{
	const json_t *o = json_object_get(outs, name);
	const json_t *v = json_object_get(o, "value");

	if (!o) {
		struct buf b = BUF_INIT;
		const char *k;
		const json_t *x;

		json_object_foreach ((json_t *)outs, k, x)
			buf_printf(&b, "%s%s", b.len ? ", " : "", k);
		cmd_error("output: no output \"%s\" in the state (outputs are "
			  "recorded by dcform apply; the state has: %s)",
			  name, b.len ? b.ptr : "none");
		buf_release(&b);
		return EXIT_ERR;
	}
	if (json_is_true(json_object_get(o, "sensitive"))) {
		cmd_error("output: \"%s\" is sensitive; dcform never stores "
			  "sensitive values, so it cannot print it",
			  name);
		return EXIT_ERR;
	}
	if (raw) {
		if (!json_is_string(v) && !json_is_number(v) &&
		    !json_is_boolean(v)) {
			cmd_error("output: --raw prints strings, numbers and "
				  "booleans only; \"%s\" is a %s (use --json)",
				  name, json_is_array(v) ? "list" : "map");
			return EXIT_ERR;
		}
		if (json_is_string(v))
			printf("%s\n", json_string_value(v));
		else
			print_value(v, 0);
		return EXIT_OK;
	}
	print_value(v, gopts.json);
	return EXIT_OK;
}

static int output_run(int argc, const char **argv)
{
	struct state_store *st = NULL;
	json_t *doc = NULL;
	const json_t *outs, *o;
	const char *k;
	char commit[41];
	int ret;

	if (argc > 1) {
		cmd_error("output: takes at most one NAME");
		return EXIT_USAGE;
	}
	if (raw && !argc) {
		cmd_error("output: --raw needs a NAME");
		return EXIT_USAGE;
	}
	ret = cmd_state_load(dir, &st, &doc, commit);
	if (ret != EXIT_OK)
		goto out;
	outs = json_object_get(doc, "outputs");
	if (argc) {
		ret = print_one(outs, argv[0]);
	} else if (gopts.json) {
		print_value(outs ? outs : json_object(), 1);
	} else if (!json_object_size(outs)) {
		fprintf(stderr, "No outputs in the state. Declare them under "
				"`outputs:` and run dcform apply.\n");
	} else {
		const char **keys =
		    xcalloc(json_object_size(outs), sizeof(*keys));
		size_t i = 0, n;

		json_object_foreach ((json_t *)outs, k, o)
			keys[i++] = k;
		n = i;
		qsort(keys, n, sizeof(*keys), cmp_str);
		for (i = 0; i < n; i++) {
			k = keys[i];
			o = json_object_get(outs, k);
			printf("%s = ", k);
			if (json_is_true(json_object_get(o, "sensitive")))
				printf("<sensitive>\n");
			else
				print_value(json_object_get(o, "value"), 0);
		}
		free(keys);
	}
out:
	json_decref(doc);
	state_store_free(st);
	return ret;
}

const struct cmd cmd_output_def = {
    .name = "output",
    .usage = "output [NAME] [-C DIR] [--json | --raw]",
    .summary = "Print the outputs recorded by the last apply",
    .help = "Without NAME, prints every output as NAME = VALUE (JSON\n"
	    "values), sensitive ones as <sensitive>. With NAME, prints\n"
	    "its value; --raw prints a string without quotes, for\n"
	    "scripts: ADDR=$(dcform output --raw orders_db_address).\n"
	    "Outputs are read from the state, not recomputed: run dcform\n"
	    "apply after changing them. Sensitive values are never\n"
	    "stored, so they cannot be printed.",
    .options = output_options,
    .run = output_run,
    .exit_codes = "0   printed\n"
		  "1   no state, no such output, or a sensitive one\n"
		  "64  bad command line",
};
