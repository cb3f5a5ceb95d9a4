/* The ${…} template language: parsing, listing references, evaluation. */
#include "expr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/buf.h"
#include "core/util/util.h"

/* A piece of a template: literal text or one reference. */
struct seg {
	int is_ref;
	char *text; /* literal text (unescaped), or the raw "${…}" */
	struct expr_ref ref;
};

struct segs {
	struct seg *v;
	size_t n, alloc;
};

static void ref_release(struct expr_ref *r)
{
	free(r->name);
	free(r->key);
	free(r->attr);
	free(r->address);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

void expr_refs_release(struct expr_refs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		ref_release(&r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = r->alloc = 0;
}

static void segs_release(struct segs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].text);
		ref_release(&s->v[i].ref);
	}
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
}

static int is_ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static int is_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* Length of the identifier at s (0 if none). */
static size_t ident_len(const char *s)
{
	size_t n = 0;

	if (!is_ident_start((unsigned char)s[0]))
		return 0;
	while (is_ident((unsigned char)s[n]))
		n++;
	return n;
}

/* Parse the text between "${" and "}" (len bytes) into r. */
static int parse_ref(struct expr_ref *r, const char *in, size_t len,
		     struct err *e)
{
	char *s = xstrndup(in, len), *p, *end;
	const char *start;
	size_t n;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	p = s;
	while (*p == ' ')
		p++;
	end = p + strlen(p);
	while (end > p && end[-1] == ' ')
		*--end = '\0';
	if (!*p) {
		ret = err_set(e, DCF_EINVALID, "empty expression '${}'");
		goto out;
	}
	start = p;
	if (str_starts_with(p, "var.") || str_starts_with(p, "env.")) {
		int var = p[0] == 'v';

		n = ident_len(p + 4);
		if (!n || p[4 + n]) {
			ret = err_set(e, DCF_EINVALID,
				      "invalid reference '${%s}': expected "
				      "${%s.NAME} with NAME of letters, digits "
				      "and _",
				      p, var ? "var" : "env");
			goto out;
		}
		r->kind = var ? EXPR_VAR : EXPR_ENV;
		r->name = xstrdup(p + 4);
		goto out;
	}
	if (!strcmp(p, "each.key")) {
		r->kind = EXPR_EACH_KEY;
		goto out;
	}
	if (!strcmp(p, "each.value") || str_starts_with(p, "each.value.")) {
		const char *f = p + 10;

		r->kind = EXPR_EACH_VALUE;
		if (*f) {
			const char *q = f;

			while (*q == '.') {
				n = ident_len(q + 1);
				if (!n)
					break;
				q += 1 + n;
			}
			if (*q) {
				ret = err_set(e, DCF_EINVALID,
					      "invalid reference '${%s}'", p);
				goto out;
			}
			r->attr = xstrdup(f + 1);
		}
		goto out;
	}
	if (!strcmp(p, "each") || str_starts_with(p, "each.")) {
		ret = err_set(e, DCF_EINVALID,
			      "invalid reference '${%s}': allowed: each.key, "
			      "each.value, each.value.FIELD",
			      p);
		goto out;
	}
	n = ident_len(p);
	if (!n) {
		ret = err_set(e, DCF_EINVALID,
			      "invalid reference '${%s}': expected var.NAME, "
			      "env.NAME, each.key, each.value or "
			      "RESOURCE.ATTRIBUTE",
			      p);
		goto out;
	}
	r->kind = EXPR_RESOURCE;
	r->name = xstrndup(p, n);
	p += n;
	if (*p == '[') {
		char *close = strchr(p, ']');

		if (!close || close == p + 1) {
			ret = err_set(e, DCF_EINVALID,
				      "invalid reference '${%s%s}': expected "
				      "%s[KEY].ATTRIBUTE",
				      r->name, p, r->name);
			goto out;
		}
		*close = '\0';
		if (!strcmp(p + 1, "each.key"))
			r->key_is_each = 1;
		else
			r->key = xstrdup(p + 1);
		*close = ']';
		p = close + 1;
	}
	if (*p != '.' || !(n = ident_len(p + 1)) || p[1 + n]) {
		if (!*p)
			ret = err_set(e, DCF_EINVALID,
				      "reference '${%s}' names no attribute: "
				      "write ${%s.id} or another attribute",
				      start, r->name);
		else
			ret = err_set(e, DCF_EINVALID,
				      "invalid reference '${%.*s}': expected "
				      "RESOURCE.ATTRIBUTE or "
				      "RESOURCE[KEY].ATTRIBUTE",
				      (int)len, in);
		goto out;
	}
	r->attr = xstrdup(p + 1);
	r->address =
	    r->key ? xasprintf("%s[%s]", r->name, r->key) : xstrdup(r->name);
out:
	free(s);
	if (ret < 0)
		ref_release(r);
	return ret;
}

static void add_lit(struct segs *out, const char *s, size_t n)
{
	struct seg *g;

	if (!n)
		return;
	if (out->n && !out->v[out->n - 1].is_ref) {
		g = &out->v[out->n - 1];
		size_t old = strlen(g->text);

		g->text = xrealloc(g->text, old + n + 1);
		memcpy(g->text + old, s, n);
		g->text[old + n] = '\0';
		return;
	}
	ALLOC_GROW(out->v, out->n + 1, out->alloc);
	g = &out->v[out->n++];
	memset(g, 0, sizeof(*g));
	g->text = xstrndup(s, n);
}

static int parse_segs(struct segs *out, const char *s, struct err *e)
{
	const char *p = s, *lit = s;

	while (*p) {
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			add_lit(out, lit, (size_t)(p - lit));
			add_lit(out, "${", 2);
			p += 3;
			lit = p;
			continue;
		}
		if (p[0] == '$' && p[1] == '{') {
			const char *close = strchr(p + 2, '}');
			struct seg *g;
			struct expr_ref r;
			int ret;

			add_lit(out, lit, (size_t)(p - lit));
			if (!close)
				return err_set(e, DCF_EINVALID,
					       "unterminated '${' in '%s': "
					       "close it with '}' or write "
					       "'$${' for a literal '${'",
					       s);
			ret = parse_ref(&r, p + 2, (size_t)(close - p - 2), e);
			if (ret < 0)
				return ret;
			ALLOC_GROW(out->v, out->n + 1, out->alloc);
			g = &out->v[out->n++];
			g->is_ref = 1;
			g->text = xstrndup(p, (size_t)(close - p + 1));
			g->ref = r;
			g->ref.offset = (size_t)(p - s);
			p = close + 1;
			lit = p;
			continue;
		}
		p++;
	}
	add_lit(out, lit, (size_t)(p - lit));
	return 0;
}

static void ref_copy(struct expr_ref *dst, const struct expr_ref *src,
		     const char *path)
{
	dst->kind = src->kind;
	dst->name = src->name ? xstrdup(src->name) : NULL;
	dst->key = src->key ? xstrdup(src->key) : NULL;
	dst->key_is_each = src->key_is_each;
	dst->attr = src->attr ? xstrdup(src->attr) : NULL;
	dst->address = src->address ? xstrdup(src->address) : NULL;
	dst->path = path ? xstrdup(path) : NULL;
	dst->offset = src->offset;
}

int expr_parse(struct expr_refs *out, const char *s, const char *path,
	       struct err *e)
{
	struct segs g = {NULL, 0, 0};
	int ret = parse_segs(&g, s, e);
	size_t i;

	for (i = 0; i < g.n; i++) {
		if (!g.v[i].is_ref)
			continue;
		ALLOC_GROW(out->v, out->n + 1, out->alloc);
		ref_copy(&out->v[out->n++], &g.v[i].ref, path);
	}
	segs_release(&g);
	return ret;
}

int expr_has_refs(const char *s)
{
	const char *p;

	for (p = s; *p; p++) {
		if (p[0] == '$' && p[1] == '$' && p[2] == '{')
			p += 2;
		else if (p[0] == '$' && p[1] == '{')
			return 1;
	}
	return 0;
}

static char *child_path(const char *base, const char *key)
{
	return base && *base ? xasprintf("%s.%s", base, key) : xstrdup(key);
}

static char *item_path(const char *base, size_t i)
{
	return xasprintf("%s[%zu]", base ? base : "", i);
}

/* Whether any string in v holds a reference (no allocation). */
static int any_refs(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v))
		return expr_has_refs(json_string_value(v));
	if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, k, x)
			if (any_refs(x))
				return 1;
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, x)
			if (any_refs(x))
				return 1;
	}
	return 0;
}

static void collect(struct expr_refs *out, const json_t *v,
		    const char *base_path);

void expr_collect(struct expr_refs *out, const json_t *v, const char *base_path)
{
	/* Most properties hold no reference: no paths built for them (ten
	 * thousand for_each instances are collected one by one). */
	if (any_refs(v))
		collect(out, v, base_path);
}

static void collect(struct expr_refs *out, const json_t *v,
		    const char *base_path)
{
	struct err e = ERR_INIT;

	if (json_is_string(v)) {
		if (expr_has_refs(json_string_value(v)))
			expr_parse(out, json_string_value(v), base_path, &e);
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;

		json_object_foreach ((json_t *)v, k, x) {
			char *p = child_path(base_path, k);

			collect(out, x, p);
			free(p);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;

		json_array_foreach (v, i, x) {
			char *p = item_path(base_path, i);

			collect(out, x, p);
			free(p);
		}
	}
}

char *expr_to_text(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
	case JSON_REAL: {
		/* The shortest of %.15g and %.17g that reads back the same. */
		char *t = xasprintf("%.15g", json_real_value(v));

		if (strtod(t, NULL) != json_real_value(v)) {
			free(t);
			t = xasprintf("%.17g", json_real_value(v));
		}
		return t;
	}
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_NULL:
		return xstrdup("");
	default:
		return NULL;
	}
}

/* Append s to b with every "${" written "$${". */
static void add_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (s[0] == '$' && s[1] == '{')
			buf_putc(b, '$');
		buf_putc(b, *s);
	}
}

static void ref_display(struct buf *b, const struct seg *g)
{
	buf_puts(b, g->text);
}

/* v with every string's "${" escaped, for putting values into templates
 * (new reference). */
static json_t *escape_value(json_t *v)
{
	if (json_is_string(v)) {
		struct buf b = BUF_INIT;
		json_t *r;

		add_escaped(&b, json_string_value(v));
		r = json_stringn(b.ptr, b.len);
		buf_release(&b);
		return r;
	}
	if (json_is_object(v)) {
		json_t *o = json_object(), *x;
		const char *k;

		json_object_foreach (v, k, x)
			json_object_set_new(o, k, escape_value(x));
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array(), *x;
		size_t i;

		json_array_foreach (v, i, x)
			json_array_append_new(a, escape_value(x));
		return a;
	}
	return json_incref(v);
}

static int eval_string(json_t **out, const char *s, expr_lookup_fn lookup,
		       void *ctx, const char *path, size_t *unknown,
		       int tpl_mode, struct err *e)
{
	struct segs g = {NULL, 0, 0};
	struct buf fin = BUF_INIT, tpl = BUF_INIT;
	size_t i, nunknown = 0;
	int ret;

	*out = NULL;
	ret = parse_segs(&g, s, e);
	if (ret < 0)
		goto out;
	for (i = 0; i < g.n; i++) {
		struct seg *x = &g.v[i];
		json_t *val = NULL;
		char *text;

		if (!x->is_ref) {
			buf_puts(&fin, x->text);
			add_escaped(&tpl, x->text);
			continue;
		}
		if (x->ref.kind == EXPR_RESOURCE && x->ref.key_is_each) {
			struct expr_ref k = {.kind = EXPR_EACH_KEY};
			json_t *kv = NULL;

			ret = lookup(ctx, &k, &kv, e);
			if (ret < 0)
				goto out;
			if (ret > 0 && json_is_string(kv)) {
				x->ref.key = xstrdup(json_string_value(kv));
				x->ref.key_is_each = 0;
				free(x->ref.address);
				x->ref.address = xasprintf(
				    "%s[%s]", x->ref.name, x->ref.key);
				free(x->text);
				x->text = xasprintf("${%s.%s}", x->ref.address,
						    x->ref.attr);
			}
			json_decref(kv);
		}
		ret = lookup(ctx, &x->ref, &val, e);
		if (ret < 0)
			goto out;
		if (ret == 0) {
			nunknown++;
			ref_display(&tpl, x);
			continue;
		}
		if (g.n == 1) {
			/* A whole-value reference keeps its type. */
			*out = tpl_mode ? escape_value(val) : json_incref(val);
			json_decref(val);
			ret = 0;
			goto out;
		}
		text = expr_to_text(val);
		if (!text) {
			ret = err_set(e, DCF_EINVALID,
				      "%s cannot be part of a string: it is "
				      "a %s; use it as the whole value",
				      x->text,
				      json_is_object(val) ? "map" : "list");
			json_decref(val);
			goto out;
		}
		buf_puts(&fin, text);
		add_escaped(&tpl, text);
		free(text);
		json_decref(val);
	}
	ret = 0;
	if (nunknown || tpl_mode) {
		*out = json_string(tpl.ptr);
		if (unknown && nunknown)
			(*unknown)++;
	} else {
		*out = json_stringn(fin.ptr, fin.len);
	}
	if (!*out)
		ret = err_set(e, DCF_EINVALID, "value is not valid UTF-8");
out:
	(void)path;
	buf_release(&fin);
	buf_release(&tpl);
	segs_release(&g);
	return ret;
}

static int eval(json_t **out, const json_t *v, expr_lookup_fn lookup, void *ctx,
		const char *path, size_t *unknown, int tpl_mode, struct err *e)
{
	int ret = 0;

	*out = NULL;
	if (json_is_string(v)) {
		ret = eval_string(out, json_string_value(v), lookup, ctx, path,
				  unknown, tpl_mode, e);
		if (ret < 0 && path && *path)
			err_prefix(e, "%s", path);
		return ret;
	}
	if (json_is_object(v)) {
		json_t *o = json_object(), *x, *nx;
		const char *k;

		json_object_foreach ((json_t *)v, k, x) {
			char *p = child_path(path, k);

			ret =
			    eval(&nx, x, lookup, ctx, p, unknown, tpl_mode, e);
			free(p);
			if (ret < 0) {
				json_decref(o);
				return ret;
			}
			json_object_set_new(o, k, nx);
		}
		*out = o;
		return 0;
	}
	if (json_is_array(v)) {
		json_t *a = json_array(), *x, *nx;
		size_t i;

		json_array_foreach (v, i, x) {
			char *p = item_path(path, i);

			ret =
			    eval(&nx, x, lookup, ctx, p, unknown, tpl_mode, e);
			free(p);
			if (ret < 0) {
				json_decref(a);
				return ret;
			}
			json_array_append_new(a, nx);
		}
		*out = a;
		return 0;
	}
	*out = json_incref((json_t *)v);
	return 0;
}

int expr_eval(json_t **out, const json_t *v, expr_lookup_fn lookup, void *ctx,
	      const char *base_path, size_t *unknown, struct err *e)
{
	if (unknown)
		*unknown = 0;
	return eval(out, v, lookup, ctx, base_path, unknown, 0, e);
}

int expr_substitute(json_t **out, const json_t *v, expr_lookup_fn lookup,
		    void *ctx, const char *base_path, size_t *unknown,
		    struct err *e)
{
	if (unknown)
		*unknown = 0;
	return eval(out, v, lookup, ctx, base_path, unknown, 1, e);
}

struct attr_ctx {
	expr_attr_fn fn;
	void *ctx;
};

static int attr_lookup(void *ctx, const struct expr_ref *ref, json_t **out,
		       struct err *e)
{
	struct attr_ctx *a = ctx;

	(void)e;
	if (ref->kind != EXPR_RESOURCE || !ref->address)
		return 0;
	*out = a->fn(a->ctx, ref->address, ref->attr);
	return *out ? 1 : 0;
}

json_t *expr_resolve(const json_t *value, expr_attr_fn lookup, void *ctx,
		     size_t *unknown, struct err *e)
{
	struct attr_ctx a = {lookup, ctx};
	json_t *out = NULL;

	if (expr_eval(&out, value, attr_lookup, &a, NULL, unknown, e) < 0)
		return NULL;
	return out;
}
