/*
 * graph.h: a dependency graph of named nodes (resource addresses, or plan
 * steps), with cycle detection that names the whole cycle and a stable
 * topological order.
 *
 * An edge from -> to means "from depends on to": `to` comes first when
 * creating, last when destroying.  Nodes are kept sorted by name, so every
 * order the graph gives is deterministic.
 */
#ifndef DCFORM_GRAPH_H
#define DCFORM_GRAPH_H

#include <stddef.h>
#include "core/manifest/diag.h"
#include "core/util/buf.h"
#include "core/util/err.h"

struct manifest;

struct graph_edge {
	size_t to;  /* index of the node depended on */
	char *path; /* property path that made the edge, or NULL */
};

struct graph_node {
	char *name;
	struct graph_edge *deps; /* what this node depends on */
	size_t n_deps, alloc_deps;
};

struct graph {
	struct graph_node *nodes; /* sorted by name */
	size_t n, alloc;
};

#define GRAPH_INIT         \
	{                  \
		NULL, 0, 0 \
	}

void graph_release(struct graph *g);
/* Add a node (no-op when it exists); returns its index.  Indexes shift
 * when a node with a smaller name is added later. */
size_t graph_add_node(struct graph *g, const char *name);
/* Index of name, or (size_t)-1. */
size_t graph_find(const struct graph *g, const char *name);
/* from depends on to (both added if missing); path (copied, may be NULL)
 * is where the dependency was written.  Duplicate edges are kept once. */
void graph_add_edge(struct graph *g, const char *from, const char *to,
		    const char *path);

/*
 * The graph of a loaded configuration: one node per resource instance,
 * edges from ${…} references and depends_on (a name with for_each means
 * every instance).  Output references add nothing.  g must be empty.
 */
void graph_from_manifest(struct graph *g, const struct manifest *m);

/*
 * Find a cycle: returns 1 and *cycle (caller frees) holding the node
 * indexes a -> b -> … -> a (first repeated at the end, *n counting it),
 * or 0 when the graph is acyclic.
 */
int graph_find_cycle(const struct graph *g, size_t **cycle, size_t *n);

/* "a → b → c → a" for a cycle from graph_find_cycle (new string). */
char *graph_cycle_text(const struct graph *g, const size_t *cycle, size_t n);

/*
 * Creation order: dependencies first; among nodes ready at the same time,
 * by name (Kahn's algorithm with a sorted ready set).  *order (caller
 * frees) receives g->n indexes.  Returns DCF_EINVALID with the cycle in e
 * ("cycle: a → b → a") when there is one.
 */
int graph_toposort(const struct graph *g, size_t **order, struct err *e);
/* Destruction order: the reverse of graph_toposort's. */
int graph_toposort_reverse(const struct graph *g, size_t **order,
			   struct err *e);

/* Report each cycle's path as a diagnostic at one of its edges (positions
 * from the manifest); returns the number added (0 or 1). */
size_t graph_check_cycles(const struct graph *g, const struct manifest *m,
			  struct diags *d);

/* Graphviz DOT of g, appended to out. */
void graph_to_dot(const struct graph *g, struct buf *out);

#endif
