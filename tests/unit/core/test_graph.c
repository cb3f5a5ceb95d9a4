/*
 * Dependency graphs: sorted nodes with stable indexes in edges, the
 * topological order (dependencies first, ties by name) and its reverse,
 * whole-cycle reports, and DOT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/graph/graph.h"
#include "core/util/buf.h"
#include "core/util/util.h"

static char *order_text(const struct graph *g, int reverse)
{
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;
	size_t *o, i;
	int ret = reverse ? graph_toposort_reverse(g, &o, &e)
			  : graph_toposort(g, &o, &e);

	if (ret < 0)
		return xstrdup(e.msg);
	for (i = 0; i < g->n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", g->nodes[o[i]].name);
	free(o);
	return buf_detach(&b, NULL);
}

static void test_graph__toposort_stable(void **state)
{
	struct graph g = GRAPH_INIT;
	char *s;

	(void)state;
	/* vif depends on line and gw; route on vif and gw; db alone. */
	graph_add_edge(&g, "vif", "line", "p1");
	graph_add_edge(&g, "route", "vif", NULL);
	graph_add_edge(&g, "route", "gw", NULL);
	graph_add_edge(&g, "vif", "gw", NULL);
	graph_add_edge(&g, "vif", "gw", NULL); /* kept once */
	graph_add_node(&g, "db");
	graph_add_node(&g, "a_first");
	assert_int_equal(g.n, 6);
	assert_int_equal(g.nodes[graph_find(&g, "vif")].n_deps, 2);
	assert_int_equal(graph_find(&g, "nope"), (size_t)-1);
	/* Edge targets follow insertions that shift indexes. */
	assert_string_equal(
	    g.nodes[g.nodes[graph_find(&g, "vif")].deps[0].to].name, "line");
	s = order_text(&g, 0);
	assert_string_equal(s, "a_first db gw line vif route");
	free(s);
	s = order_text(&g, 1);
	assert_string_equal(s, "route vif line gw db a_first");
	free(s);
	graph_release(&g);
}

static void test_graph__cycles(void **state)
{
	struct graph g = GRAPH_INIT;
	size_t *c, n;
	char *s;

	(void)state;
	graph_add_edge(&g, "a", "b", NULL);
	graph_add_edge(&g, "b", "c", NULL);
	graph_add_node(&g, "z");
	assert_int_equal(graph_find_cycle(&g, &c, &n), 0);
	graph_add_edge(&g, "c", "a", NULL);
	assert_int_equal(graph_find_cycle(&g, &c, &n), 1);
	assert_int_equal(n, 4);
	s = graph_cycle_text(&g, c, n);
	assert_string_equal(s, "a → b → c → a");
	free(s);
	free(c);
	s = order_text(&g, 0);
	assert_string_equal(s, "cycle: a → b → c → a");
	free(s);
	graph_release(&g);
	/* A self-loop. */
	graph_add_edge(&g, "x", "x", NULL);
	s = order_text(&g, 0);
	assert_string_equal(s, "cycle: x → x");
	free(s);
	graph_release(&g);
}

static void test_graph__dot(void **state)
{
	struct graph g = GRAPH_INIT;
	struct buf b = BUF_INIT;

	(void)state;
	graph_add_edge(&g, "gw[\"b\"]", "line", NULL);
	graph_to_dot(&g, &b);
	assert_string_equal(
	    b.ptr, "digraph dcform {\n\trankdir = \"RL\";\n"
		   "\tnode [shape = box];\n\t\"gw[\\\"b\\\"]\";\n"
		   "\t\"line\";\n\t\"gw[\\\"b\\\"]\" -> \"line\";\n}\n");
	buf_release(&b);
	graph_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_graph__toposort_stable),
	    cmocka_unit_test(test_graph__cycles),
	    cmocka_unit_test(test_graph__dot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
