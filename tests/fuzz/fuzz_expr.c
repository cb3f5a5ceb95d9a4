/*
 * libFuzzer target: any bytes as a ${…} template: parse, list references,
 * evaluate with a lookup that knows some values and not others, then
 * resolve the result again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/manifest/expr.h"
#include "core/util/util.h"

static int lookup(void *ctx, const struct expr_ref *r, json_t **out,
		  struct err *e)
{
	(void)ctx;
	(void)e;
	switch (r->kind) {
	case EXPR_VAR:
		if (r->name[0] == 'm')
			*out = json_pack("{s:i}", "a", 1);
		else if (r->name[0] == 'n')
			*out = json_integer(3);
		else if (r->name[0] == 's')
			*out = json_string("x${y}");
		else
			return 0;
		return 1;
	case EXPR_EACH_KEY:
		*out = json_string("k");
		return 1;
	case EXPR_EACH_VALUE:
		*out = json_string("v");
		return 1;
	default:
		return 0;
	}
}

static json_t *attr(void *ctx, const char *address, const char *a)
{
	(void)ctx;
	(void)a;
	return address[0] == 'a' ? json_string("id-$${1}") : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	json_t *v = json_string(s), *out = NULL, *fin;
	struct expr_refs refs = EXPR_REFS_INIT;
	struct err e = ERR_INIT;
	size_t unknown;

	free(s);
	if (!v) /* not UTF-8: jansson refuses it, as the loader does */
		return 0;
	expr_parse(&refs, json_string_value(v), "p", &e);
	expr_refs_release(&refs);
	expr_collect(&refs, v, "p");
	expr_refs_release(&refs);
	(void)expr_has_refs(json_string_value(v));
	if (expr_substitute(&out, v, lookup, NULL, "p", &unknown, &e) == 0) {
		fin = expr_resolve(out, attr, NULL, &unknown, &e);
		json_decref(fin);
		json_decref(out);
	}
	if (expr_eval(&out, v, lookup, NULL, "p", &unknown, &e) == 0)
		json_decref(out);
	json_decref(v);
	return 0;
}
