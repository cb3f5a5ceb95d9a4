/* dcform graph [DIR]: the dependency graph as Graphviz DOT, or the order. */
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>

#include "cmd.h"
#include "core/graph/graph.h"
#include "core/manifest/manifest.h"
#include "core/util/buf.h"
#include "validate.h"

static int json_out, reverse;
static struct strlist vars, var_files;

static const struct opt *graph_options(void)
{
	static const struct opt o[] = {
	    {"var", 0, OPT_LIST, &vars, "NAME=VALUE",
	     "set a variable, as for validate"},
	    {"var-file", 0, OPT_LIST, &var_files, "FILE",
	     "read variables from a YAML file, as for validate"},
	    {"json", 0, OPT_BOOL, &json_out, NULL,
	     "print nodes, edges and the creation order as JSON"},
	    {"destroy", 0, OPT_BOOL, &reverse, NULL,
	     "with --json, give the destruction order"},
	    OPT_END,
	};
	return o;
}

static int graph_run(int argc, const char **argv)
{
	const char *dir = argc > 0 ? argv[0] : ".";
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct err e = ERR_INIT;
	struct graph g = GRAPH_INIT;
	int ret, rc = EXIT_ERR;
	size_t *order = NULL, i, j;

	if (argc > 1) {
		cmd_error("graph: takes at most one directory");
		return EXIT_USAGE;
	}
	ret = validate_load(&m, dir, &vars, &var_files, &d, &e);
	if (ret < 0 && ret != DCF_EINVALID) {
		cmd_error("%s", e.msg);
		goto out;
	}
	validate_print_diags(stderr, &d);
	if (diags_errors(&d))
		goto out;
	graph_from_manifest(&g, &m);
	if (json_out) {
		json_t *doc = json_object(), *nodes = json_array(),
		       *edges = json_array(), *ord = json_array();

		ret = reverse ? graph_toposort_reverse(&g, &order, &e)
			      : graph_toposort(&g, &order, &e);
		if (ret < 0) {
			cmd_error("%s", e.msg);
			json_decref(doc);
			json_decref(nodes);
			json_decref(edges);
			json_decref(ord);
			goto out;
		}
		for (i = 0; i < g.n; i++) {
			json_array_append_new(nodes,
					      json_string(g.nodes[i].name));
			json_array_append_new(
			    ord, json_string(g.nodes[order[i]].name));
			for (j = 0; j < g.nodes[i].n_deps; j++)
				json_array_append_new(
				    edges,
				    json_pack(
					"{s:s, s:s}", "from", g.nodes[i].name,
					"to",
					g.nodes[g.nodes[i].deps[j].to].name));
		}
		json_object_set_new(doc, "nodes", nodes);
		json_object_set_new(doc, "edges", edges);
		json_object_set_new(doc, reverse ? "destroy_order" : "order",
				    ord);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		struct buf b = BUF_INIT;

		graph_to_dot(&g, &b);
		fputs(b.ptr, stdout);
		buf_release(&b);
	}
	rc = EXIT_OK;
out:
	free(order);
	graph_release(&g);
	manifest_release(&m);
	diags_release(&d);
	strlist_release(&vars);
	strlist_release(&var_files);
	return rc;
}

const struct cmd cmd_graph_def = {
    .name = "graph",
    .usage = "graph [DIR] [--var NAME=VALUE]... [--var-file FILE]... "
	     "[--json [--destroy]]",
    .summary = "Print the resources' dependency graph (Graphviz DOT)",
    .help = "Loads and validates DIR like `dcform validate`, then prints "
	    "one node per resource instance and an edge A -> B when A "
	    "refers to B or lists it in depends_on.  Render it with "
	    "`dcform graph | dot -Tsvg > graph.svg`.  --json prints "
	    "{nodes, edges, order}: the creation order (dependencies "
	    "first, ties by name), or with --destroy the destruction "
	    "order.",
    .exit_codes = "0  printed\n1  the configuration is invalid\n"
		  "64 bad command line",
    .options = graph_options,
    .run = graph_run,
};
