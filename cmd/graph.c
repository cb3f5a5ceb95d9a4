/* dcform graph: the dependency graph as Graphviz DOT. */
#include <stdio.h>

#include "cmd.h"
#include "config.h"
#include "core/graph/graph.h"
#include "core/manifest/manifest.h"

static struct config_opts copts;

static const struct opt *graph_options(void)
{
	static const struct opt o[] = {
		CONFIG_OPTIONS(copts),
		{ "json", 0, OPT_BOOL, &gopts.json, NULL,
		  "print the creation order as JSON instead" },
		OPT_END,
	};
	return o;
}

static int graph_run(int argc, const char **argv)
{
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct buf b = BUF_INIT;
	int ret = EXIT_OK;

	if (argc > 1) {
		cmd_error("graph: takes at most one directory");
		return EXIT_USAGE;
	}
	if (config_load(&m, argc ? argv[0] : ".", &copts, &d)) {
		config_print_diags(stderr, &d);
		ret = EXIT_ERR;
		goto out;
	}
	if (gopts.json) {
		json_t *order = graph_order(m.desired, 0);
		json_t *r = json_pack("{s:o,s:O}", "order", order, "resources",
				      m.desired);
		char *s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s);
		free(s);
		json_decref(r);
	} else {
		graph_to_dot(&b, m.desired);
		fputs(b.ptr, stdout);
	}
out:
	buf_release(&b);
	manifest_release(&m);
	diags_release(&d);
	return ret;
}

const struct cmd cmd_graph_def = {
	.name = "graph",
	.usage = "graph [DIR] [--json]",
	.summary = "Print the dependency graph of the resources (Graphviz DOT)",
	.help = "Edges come from ${NAME.ATTR} references and depends_on.\n"
		"Render with: dcform graph | dot -Tsvg > graph.svg",
	.options = graph_options,
	.run = graph_run,
	.exit_codes = "0   printed\n1   the manifests have errors\n"
		      "64  bad command line",
};
