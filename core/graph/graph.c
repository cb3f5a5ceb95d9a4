/* graph.c: dependency graphs, cycles and topological order. */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#include "core/manifest/manifest.h"
#include "core/util/util.h"

void graph_release(struct graph *g)
{
	size_t i, j;

	for (i = 0; i < g->n; i++) {
		for (j = 0; j < g->nodes[i].n_deps; j++)
			free(g->nodes[i].deps[j].path);
		free(g->nodes[i].deps);
		free(g->nodes[i].name);
	}
	free(g->nodes);
	g->nodes = NULL;
	g->n = g->alloc = 0;
}

/* Index where name is or would be inserted; *found set when present. */
static size_t bsearch_pos(const struct graph *g, const char *name, int *found)
{
	size_t lo = 0, hi = g->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(g->nodes[mid].name, name);

		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t graph_find(const struct graph *g, const char *name)
{
	int found;
	size_t i = bsearch_pos(g, name, &found);

	return found ? i : (size_t)-1;
}

size_t graph_add_node(struct graph *g, const char *name)
{
	int found;
	size_t at = bsearch_pos(g, name, &found), i, j;

	if (found)
		return at;
	ALLOC_GROW(g->nodes, g->n + 1, g->alloc);
	memmove(&g->nodes[at + 1], &g->nodes[at],
		(g->n - at) * sizeof(*g->nodes));
	memset(&g->nodes[at], 0, sizeof(*g->nodes));
	g->nodes[at].name = xstrdup(name);
	g->n++;
	/* Shift edge targets at or after the insertion point. */
	for (i = 0; at + 1 < g->n && i < g->n; i++)
		for (j = 0; j < g->nodes[i].n_deps; j++)
			if (i != at && g->nodes[i].deps[j].to >= at)
				g->nodes[i].deps[j].to++;
	return at;
}

static void push_edge(struct graph_node *n, size_t t, const char *path)
{
	ALLOC_GROW(n->deps, n->n_deps + 1, n->alloc_deps);
	n->deps[n->n_deps].to = t;
	n->deps[n->n_deps].path = path ? xstrdup(path) : NULL;
	n->n_deps++;
}

void graph_add_edge(struct graph *g, const char *from, const char *to,
		    const char *path)
{
	size_t f, t, j;
	struct graph_node *n;

	graph_add_node(g, from);
	t = graph_add_node(g, to);
	f = graph_find(g, from);
	n = &g->nodes[f];
	for (j = 0; j < n->n_deps; j++)
		if (n->deps[j].to == t)
			return;
	push_edge(n, t, path);
}

void graph_from_manifest(struct graph *g, const struct manifest *m)
{
	/* seen[t] == i + 1: node i already depends on t (no quadratic
	 * duplicate checks when depends_on fans out to many instances). */
	size_t *seen, i, j, k, base;

	base = g->n;
	if (base)
		BUG("graph_from_manifest wants an empty graph");
	for (i = 0; i < m->n_resources; i++)
		graph_add_node(g, m->resources[i].address);
	seen = xcalloc(g->n + 1, sizeof(*seen));
	for (i = 0; i < m->n_resources; i++) {
		const struct manifest_resource *r = &m->resources[i];
		size_t f = graph_find(g, r->address), t;

		for (j = 0; j < r->refs.n; j++) {
			const struct expr_ref *x = &r->refs.v[j];

			if (x->kind != EXPR_RESOURCE || !x->address)
				continue;
			t = graph_find(g, x->address);
			if (t == (size_t)-1 || seen[t] == f + 1)
				continue;
			seen[t] = f + 1;
			push_edge(&g->nodes[f], t, x->path);
		}
		for (j = 0; j < r->n_depends_on; j++) {
			char *p = xasprintf("%s.depends_on[%zu]", r->path, j);

			for (k = 0; k < m->n_resources; k++) {
				if (strcmp(m->resources[k].name,
					   r->depends_on[j]) ||
				    k == i)
					continue;
				t = graph_find(g, m->resources[k].address);
				if (seen[t] == f + 1)
					continue;
				seen[t] = f + 1;
				push_edge(&g->nodes[f], t, p);
			}
			free(p);
		}
	}
	free(seen);
}

enum { WHITE, GREY, BLACK };

/* Iterative DFS in name order; finds the first cycle reached. */
int graph_find_cycle(const struct graph *g, size_t **cycle, size_t *n)
{
	int *color = xcalloc(g->n + 1, sizeof(*color));
	size_t *stack = xmalloc((g->n + 1) * sizeof(*stack));
	size_t *next = xcalloc(g->n + 1, sizeof(*next));
	size_t s, sp, i;

	*cycle = NULL;
	*n = 0;
	for (s = 0; s < g->n; s++) {
		if (color[s] != WHITE)
			continue;
		sp = 0;
		stack[sp++] = s;
		color[s] = GREY;
		while (sp) {
			size_t u = stack[sp - 1];

			if (next[u] < g->nodes[u].n_deps) {
				size_t v = g->nodes[u].deps[next[u]++].to;

				if (color[v] == GREY) {
					/* The cycle is v … u on the stack. */
					size_t at = sp;

					while (at > 0 && stack[at - 1] != v)
						at--;
					at--;
					*n = sp - at + 1;
					*cycle = xmalloc(*n * sizeof(**cycle));
					for (i = at; i < sp; i++)
						(*cycle)[i - at] = stack[i];
					(*cycle)[*n - 1] = v;
					goto out;
				}
				if (color[v] == WHITE) {
					color[v] = GREY;
					stack[sp++] = v;
				}
			} else {
				color[u] = BLACK;
				sp--;
			}
		}
	}
out:
	free(color);
	free(stack);
	free(next);
	return *cycle != NULL;
}

char *graph_cycle_text(const struct graph *g, const size_t *cycle, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " → " : "", g->nodes[cycle[i]].name);
	return buf_detach(&b, NULL);
}

/* A binary min-heap of node indexes: the smallest index is the smallest
 * name, since nodes are sorted. */
static void heap_push(size_t *h, size_t *n, size_t v)
{
	size_t i = (*n)++;

	while (i > 0 && h[(i - 1) / 2] > v) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static size_t heap_pop(size_t *h, size_t *n)
{
	size_t top = h[0], v = h[--(*n)], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (h[c] >= v)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
	return top;
}

int graph_toposort(const struct graph *g, size_t **order, struct err *e)
{
	size_t *indeg = xcalloc(g->n + 1, sizeof(*indeg));
	size_t *rstart = xcalloc(g->n + 2, sizeof(*rstart));
	size_t *radj, *heap = xmalloc((g->n + 1) * sizeof(*heap));
	size_t *out = xmalloc((g->n + 1) * sizeof(*out));
	size_t i, j, nh = 0, no = 0, ne = 0;

	*order = NULL;
	/* Reverse adjacency (who depends on i) in CSR form. */
	for (i = 0; i < g->n; i++) {
		indeg[i] = g->nodes[i].n_deps;
		ne += g->nodes[i].n_deps;
		for (j = 0; j < g->nodes[i].n_deps; j++)
			rstart[g->nodes[i].deps[j].to + 1]++;
	}
	for (i = 0; i < g->n; i++)
		rstart[i + 1] += rstart[i];
	radj = xmalloc((ne + 1) * sizeof(*radj));
	{
		size_t *fill = xcalloc(g->n + 1, sizeof(*fill));

		for (i = 0; i < g->n; i++)
			for (j = 0; j < g->nodes[i].n_deps; j++) {
				size_t t = g->nodes[i].deps[j].to;

				radj[rstart[t] + fill[t]++] = i;
			}
		free(fill);
	}
	for (i = 0; i < g->n; i++)
		if (!indeg[i])
			heap_push(heap, &nh, i);
	while (nh) {
		size_t u = heap_pop(heap, &nh);

		out[no++] = u;
		for (j = rstart[u]; j < rstart[u + 1]; j++)
			if (--indeg[radj[j]] == 0)
				heap_push(heap, &nh, radj[j]);
	}
	free(indeg);
	free(rstart);
	free(radj);
	free(heap);
	if (no < g->n) {
		size_t *cyc, nc;
		char *t;

		free(out);
		if (graph_find_cycle(g, &cyc, &nc)) {
			t = graph_cycle_text(g, cyc, nc);
			err_set(e, DCF_EINVALID, "cycle: %s", t);
			free(t);
			free(cyc);
		} else {
			err_set(e, DCF_EINVALID, "cycle in the graph");
		}
		return DCF_EINVALID;
	}
	*order = out;
	return 0;
}

int graph_toposort_reverse(const struct graph *g, size_t **order, struct err *e)
{
	int ret = graph_toposort(g, order, e);
	size_t i;

	if (ret < 0)
		return ret;
	for (i = 0; i < g->n / 2; i++) {
		size_t t = (*order)[i];

		(*order)[i] = (*order)[g->n - 1 - i];
		(*order)[g->n - 1 - i] = t;
	}
	return 0;
}

size_t graph_check_cycles(const struct graph *g, const struct manifest *m,
			  struct diags *d)
{
	size_t *cyc, nc, j;
	const char *path = NULL;
	char *t;

	if (!graph_find_cycle(g, &cyc, &nc))
		return 0;
	/* Position: the edge from the first node to the second. */
	for (j = 0; j < g->nodes[cyc[0]].n_deps; j++)
		if (g->nodes[cyc[0]].deps[j].to == cyc[1])
			path = g->nodes[cyc[0]].deps[j].path;
	t = graph_cycle_text(g, cyc, nc);
	manifest_diag(m, d, path, "cycle: %s", t);
	free(t);
	free(cyc);
	return 1;
}

static void dot_id(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

void graph_to_dot(const struct graph *g, struct buf *out)
{
	size_t i, j;

	buf_puts(out, "digraph dcform {\n\trankdir = \"RL\";\n"
		      "\tnode [shape = box];\n");
	for (i = 0; i < g->n; i++) {
		buf_putc(out, '\t');
		dot_id(out, g->nodes[i].name);
		buf_puts(out, ";\n");
	}
	for (i = 0; i < g->n; i++)
		for (j = 0; j < g->nodes[i].n_deps; j++) {
			buf_putc(out, '\t');
			dot_id(out, g->nodes[i].name);
			buf_puts(out, " -> ");
			dot_id(out, g->nodes[g->nodes[i].deps[j].to].name);
			buf_puts(out, ";\n");
		}
	buf_puts(out, "}\n");
}
