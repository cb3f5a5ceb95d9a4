/*
 * libFuzzer target: the ${…} parser and evaluator on arbitrary strings,
 * with a lookup that answers every kind of reference.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/manifest/expr.h"

static json_t *lookup(const struct ref *r, void *ctx, char *err, size_t n)
{
	(void)ctx;
	switch (r->kind) {
	case REF_VAR:
		return r->name[0] == 'l' ? json_pack("[i,i]", 1, 2)
					 : json_string(r->name);
	case REF_ENV:
		snprintf(err, n, "unset");
		return EXPR_ERROR;
	case REF_RESOURCE:
		return NULL;
	default:
		return json_integer(7);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[256], *ep = NULL;
	json_t *in, *out = NULL;
	struct refs refs;
	size_t off;

	memcpy(s, data, size);
	s[size] = '\0';
	if (expr_parse(&refs, s, err, sizeof(err), &off) == 0)
		refs_release(&refs);
	in = json_string(s);
	if (in) {
		for (int keep = 0; keep < 2; keep++) {
			if (expr_eval(&out, in, "p", lookup, NULL, keep, err,
				      sizeof(err), &ep) == 0)
				json_decref(out);
			free(ep);
			ep = NULL;
		}
		json_decref(in);
	}
	free(s);
	return 0;
}
