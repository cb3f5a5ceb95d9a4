/*
 * graph.h: the dependency graph of the desired resources.
 *
 * Nodes are addresses, edges come from references and depends_on
 * (desired[ADDR]["depends_on"]).  Order is stable: Kahn's algorithm taking
 * the alphabetically first ready node each time.
 */
#ifndef DCFORM_GRAPH_H
#define DCFORM_GRAPH_H

#include <jansson.h>

#include "core/manifest/diag.h"
#include "core/manifest/yaml.h"
#include "core/util/buf.h"

/* Report each cycle as "dependency cycle: a -> b -> a" at a's source
 * position.  Returns the number of cycles found. */
size_t graph_check_cycles(const json_t *desired, const struct posmap *pm,
			  struct diags *d);

/* Creation order (new array of addresses); NULL when there is a cycle.
 * With reverse set, the destruction order. */
json_t *graph_order(const json_t *desired, int reverse);

/* Graphviz DOT of the graph. */
void graph_to_dot(struct buf *out, const json_t *desired);

#endif
