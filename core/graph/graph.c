/*
 * graph.c: cycles, stable topological order, DOT.  See graph.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/graph/graph.h"
#include "core/util/json.h"
#include "core/util/util.h"

enum { WHITE, GREY, BLACK };

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

/* Keys of obj in sorted order (new array). */
static json_t *keys_sorted(const json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	json_t **v = xcalloc(n ? n : 1, sizeof(*v)), *arr = json_array(), *x;
	const char *k;

	json_object_foreach((json_t *)obj, k, x) v[i++] = json_string(k);
	qsort(v, n, sizeof(*v), cmp_json_str);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
	return arr;
}

/* DFS; on a back edge, report the cycle from the stack. */
static size_t visit(const json_t *desired, const char *addr, json_t *colour,
		    json_t *stack, const struct posmap *pm, struct diags *d)
{
	json_t *deps = json_object_get(json_object_get(desired, addr),
				       "depends_on"), *dv;
	size_t i, found = 0;

	json_object_set_new(colour, addr, json_integer(GREY));
	json_array_append_new(stack, json_string(addr));
	json_array_foreach(deps, i, dv) {
		const char *to = json_string_value(dv);
		int c = (int)json_integer_value(json_object_get(colour, to));

		if (!json_object_get(desired, to))
			continue;
		if (c == GREY) {
			struct buf b = BUF_INIT;
			struct pos p;
			size_t j, start = 0;
			json_t *s;

			json_array_foreach(stack, j, s)
				if (!strcmp(json_string_value(s), to))
					start = j;
			for (j = start; j < json_array_size(stack); j++)
				buf_printf(&b, "%s -> ", json_string_value(
						json_array_get(stack, j)));
			buf_puts(&b, to);
			posmap_get(pm,
				   json_get_str(json_object_get(desired, to),
						"source", ""),
				   &p);
			diags_add(d, p.file, p.line, p.col,
				  json_get_str(json_object_get(desired, to),
					       "source", NULL),
				  "dependency cycle: %s", b.ptr);
			buf_release(&b);
			found++;
		} else if (c == WHITE) {
			found += visit(desired, to, colour, stack, pm, d);
		}
	}
	json_array_remove(stack, json_array_size(stack) - 1);
	json_object_set_new(colour, addr, json_integer(BLACK));
	return found;
}

size_t graph_check_cycles(const json_t *desired, const struct posmap *pm,
			  struct diags *d)
{
	json_t *colour = json_object(), *stack = json_array(), *v;
	const char *addr;
	size_t found = 0;

	json_object_foreach((json_t *)desired, addr, v)
		json_object_set_new(colour, addr, json_integer(WHITE));
	json_t *order = keys_sorted(desired);
	size_t i;
	json_array_foreach(order, i, v) {
		addr = json_string_value(v);
		if (json_integer_value(json_object_get(colour, addr)) == WHITE)
			found += visit(desired, addr, colour, stack, pm, d);
		if (found)
			break; /* one cycle is enough to fix at a time */
	}
	json_decref(order);
	json_decref(colour);
	json_decref(stack);
	return found;
}

json_t *graph_order(const json_t *desired, int reverse)
{
	json_t *keys = keys_sorted(desired), *out = json_array(),
	       *done = json_object(), *k;
	size_t n = json_array_size(keys), i, j;

	while (json_array_size(out) < n) {
		int progress = 0;

		json_array_foreach(keys, i, k) {
			const char *a = json_string_value(k);
			json_t *deps, *dv;
			int ready = 1;

			if (json_object_get(done, a))
				continue;
			deps = json_object_get(json_object_get(desired, a),
					       "depends_on");
			json_array_foreach(deps, j, dv)
				if (json_object_get(desired,
						    json_string_value(dv)) &&
				    !json_object_get(done,
						     json_string_value(dv)))
					ready = 0;
			if (!ready)
				continue;
			json_object_set_new(done, a, json_true());
			json_array_append(out, k);
			progress = 1;
			break; /* restart: alphabetically first ready node */
		}
		if (!progress) {
			json_decref(out);
			out = NULL;
			break;
		}
	}
	json_decref(keys);
	json_decref(done);
	if (out && reverse) {
		json_t *r = json_array();

		for (i = json_array_size(out); i > 0; i--)
			json_array_append(r, json_array_get(out, i - 1));
		json_decref(out);
		out = r;
	}
	return out;
}

void graph_to_dot(struct buf *out, const json_t *desired)
{
	json_t *keys = keys_sorted(desired), *k, *dv;
	size_t i, j;

	buf_puts(out, "digraph dcform {\n\trankdir = \"BT\";\n"
		      "\tnode [shape = box];\n");
	json_array_foreach(keys, i, k) {
		const json_t *e = json_object_get(desired, json_string_value(k));

		buf_printf(out, "\t\"%s\" [label = \"%s\\n%s\"];\n",
			   json_string_value(k), json_string_value(k),
			   json_get_str(e, "type", ""));
	}
	json_array_foreach(keys, i, k) {
		const json_t *e = json_object_get(desired, json_string_value(k));

		json_array_foreach(json_object_get(e, "depends_on"), j, dv)
			buf_printf(out, "\t\"%s\" -> \"%s\";\n",
				   json_string_value(k), json_string_value(dv));
	}
	buf_puts(out, "}\n");
	json_decref(keys);
}
