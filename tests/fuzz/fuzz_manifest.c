/*
 * libFuzzer target: any bytes as a manifest file, through the whole loader
 * (YAML, merge, schema, variables, for_each, references) and the graph.
 * Nothing may crash, leak or take long; limits bound the work.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph/graph.h"
#include "core/manifest/manifest.h"

static const char *no_env(const char *name)
{
	return !strcmp(name, "DCFORM_VAR_env") ? "fuzz" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct manifest_opts o = {.getenv = no_env};
	struct graph g = GRAPH_INIT;
	struct err e = ERR_INIT;
	size_t *order = NULL;

	manifest_load_text(&m, "fuzz.yaml", (const char *)data, size, &o, &d);
	graph_from_manifest(&g, &m);
	if (graph_toposort(&g, &order, &e) == 0)
		free(order);
	graph_check_cycles(&g, &m, &d);
	graph_release(&g);
	manifest_release(&m);
	diags_release(&d);
	return 0;
}
