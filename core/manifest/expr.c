/*
 * expr.c: parsing and evaluating `${…}`.  See expr.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/manifest/expr.h"
#include "core/manifest/yaml.h"
#include "core/util/buf.h"
#include "core/util/util.h"

int expr_has(const char *s)
{
	return s && strstr(s, "${") != NULL;
}

void refs_release(struct refs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].key);
		free(r->v[i].attr);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static int ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

/* Parse the inside of one ${…} (s[0..len)). */
static int parse_one(struct ref *r, const char *s, size_t len, char *err,
		     size_t errlen)
{
	char *body = xstrndup(s, len), *p, *dot;
	size_t i = 0;

	memset(r, 0, sizeof(*r));
	/* Trim spaces. */
	p = body;
	while (*p == ' ')
		p++;
	for (i = strlen(p); i && p[i - 1] == ' '; i--)
		p[i - 1] = '\0';
	if (!*p) {
		snprintf(err, errlen, "empty expression '${}'");
		goto fail;
	}
	for (i = 0; p[i]; i++)
		if (!ident_char((unsigned char)p[i]) && p[i] != '.' &&
		    p[i] != '[' && p[i] != ']' && p[i] != '"')
			break;
	if (p[i]) {
		snprintf(err, errlen,
			 "unsupported expression '${%s}': expected var.NAME, "
			 "env.NAME, each.key, each.value or NAME.ATTRIBUTE",
			 p);
		goto fail;
	}
	if (str_starts_with(p, "var.") || str_starts_with(p, "env.")) {
		r->kind = p[0] == 'v' ? REF_VAR : REF_ENV;
		r->name = xstrdup(p + 4);
		if (!*r->name || strchr(r->name, '.') ||
		    strchr(r->name, '[')) {
			snprintf(err, errlen, "invalid expression '${%s}'", p);
			goto fail;
		}
	} else if (!strcmp(p, "each.key")) {
		r->kind = REF_EACH_KEY;
	} else if (!strcmp(p, "each.value") ||
		   str_starts_with(p, "each.value.")) {
		r->kind = REF_EACH_VALUE;
		if (p[10])
			r->attr = xstrdup(p + 11);
	} else if (!strcmp(p, "var") || !strcmp(p, "env") ||
		   str_starts_with(p, "each")) {
		snprintf(err, errlen,
			 "invalid expression '${%s}': expected var.NAME, "
			 "env.NAME, each.key or each.value",
			 p);
		goto fail;
	} else {
		char *br = strchr(p, '[');

		r->kind = REF_RESOURCE;
		dot = strchr(p, '.');
		if (br && (!dot || br < dot)) {
			char *close = strchr(br, ']');

			if (!close || close[1] != '.') {
				snprintf(err, errlen,
					 "invalid expression '${%s}': expected "
					 "NAME[KEY].ATTRIBUTE",
					 p);
				goto fail;
			}
			r->name = xstrndup(p, (size_t)(br - p));
			r->key = xstrndup(br + 1, (size_t)(close - br - 1));
			if (r->key[0] == '"' && strlen(r->key) >= 2 &&
			    r->key[strlen(r->key) - 1] == '"') {
				char *k = xstrndup(r->key + 1,
						   strlen(r->key) - 2);
				free(r->key);
				r->key = k;
			}
			r->attr = xstrdup(close + 2);
		} else if (dot) {
			r->name = xstrndup(p, (size_t)(dot - p));
			r->attr = xstrdup(dot + 1);
		} else {
			snprintf(err, errlen,
				 "invalid expression '${%s}': a resource "
				 "reference needs an attribute, such as "
				 "${%s.id}",
				 p, p);
			goto fail;
		}
		if (!*r->name || !*r->attr || strchr(r->attr, '[') ||
		    strchr(r->attr, '"')) {
			snprintf(err, errlen, "invalid expression '${%s}'", p);
			goto fail;
		}
	}
	free(body);
	return 0;
fail:
	free(body);
	free(r->name);
	free(r->key);
	free(r->attr);
	memset(r, 0, sizeof(*r));
	return -1;
}

int expr_parse(struct refs *out, const char *s, char *errbuf, size_t errlen,
	       size_t *erroff)
{
	size_t i = 0, n = strlen(s);

	memset(out, 0, sizeof(*out));
	while (i < n) {
		const char *close;
		struct ref r;

		if (s[i] == '$' && s[i + 1] == '$' && s[i + 2] == '{') {
			i += 3;
			continue;
		}
		if (s[i] != '$' || s[i + 1] != '{') {
			i++;
			continue;
		}
		close = strchr(s + i + 2, '}');
		if (!close) {
			snprintf(errbuf, errlen,
				 "unterminated expression: '${' without '}'");
			*erroff = i;
			refs_release(out);
			return -1;
		}
		if (memchr(s + i + 2, '{', (size_t)(close - s - i - 2))) {
			snprintf(errbuf, errlen,
				 "nested '${' inside an expression");
			*erroff = i;
			refs_release(out);
			return -1;
		}
		if (parse_one(&r, s + i + 2, (size_t)(close - s - i - 2),
			      errbuf, errlen) < 0) {
			*erroff = i;
			refs_release(out);
			return -1;
		}
		r.start = i;
		r.end = (size_t)(close - s) + 1;
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = r;
		i = r.end;
	}
	return 0;
}

/* Render a scalar for interpolation; -1 for lists and maps. */
static int interp(struct buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		buf_printf(b, "%.17g", json_real_value(v));
		return 0;
	case JSON_TRUE:
		buf_puts(b, "true");
		return 0;
	case JSON_FALSE:
		buf_puts(b, "false");
		return 0;
	case JSON_NULL:
		return 0;
	default:
		return -1;
	}
}

/* Copy s[from..to) to b turning "$${" into "${" unless keep. */
static void literal(struct buf *b, const char *s, size_t from, size_t to,
		    int keep)
{
	size_t i;

	for (i = from; i < to; i++) {
		if (!keep && s[i] == '$' && s[i + 1] == '$' && s[i + 2] == '{' &&
		    i + 2 < to) {
			buf_puts(b, "${");
			i += 2;
			continue;
		}
		buf_putc(b, s[i]);
	}
}

static int eval_string(json_t **out, const char *s, expr_lookup_fn fn,
		       void *ctx, int keep_escapes, char *err, size_t errlen)
{
	struct refs refs;
	json_t **vals;
	size_t off, i;
	int kept = keep_escapes, ret = -1;
	struct buf b = BUF_INIT;

	if (expr_parse(&refs, s, err, errlen, &off) < 0)
		return -1;
	vals = xcalloc(refs.n + 1, sizeof(*vals));
	for (i = 0; i < refs.n; i++) {
		vals[i] = fn(&refs.v[i], ctx, err, errlen);
		if (vals[i] == EXPR_ERROR) {
			vals[i] = NULL;
			goto out;
		}
		if (!vals[i])
			kept = 1;
	}
	/* A whole-value expression keeps its type. */
	if (refs.n == 1 && refs.v[0].start == 0 && refs.v[0].end == strlen(s)) {
		*out = vals[0] ? json_incref(vals[0]) : json_string(s);
		ret = 0;
		goto out;
	}
	off = 0;
	for (i = 0; i < refs.n; i++) {
		literal(&b, s, off, refs.v[i].start, kept);
		if (!vals[i]) {
			buf_add(&b, s + refs.v[i].start,
				refs.v[i].end - refs.v[i].start);
		} else if (interp(&b, vals[i]) < 0) {
			snprintf(err, errlen,
				 "cannot put a %s into a string: '%.*s' must "
				 "be the whole value",
				 json_is_array(vals[i]) ? "list" : "map",
				 (int)(refs.v[i].end - refs.v[i].start),
				 s + refs.v[i].start);
			goto out;
		}
		off = refs.v[i].end;
	}
	literal(&b, s, off, strlen(s), kept);
	*out = json_stringn(b.ptr, b.len);
	if (!*out) {
		snprintf(err, errlen, "the result is not valid UTF-8");
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < refs.n; i++)
		json_decref(vals[i]);
	free(vals);
	refs_release(&refs);
	buf_release(&b);
	return ret;
}

int expr_eval(json_t **out, const json_t *v, const char *path,
	      expr_lookup_fn fn, void *ctx, int keep_escapes, char *errbuf,
	      size_t errlen, char **errpath)
{
	const char *k;
	json_t *x, *res;
	size_t i;

	if (json_is_string(v)) {
		if (!expr_has(json_string_value(v))) {
			*out = json_incref((json_t *)v);
			return 0;
		}
		if (eval_string(out, json_string_value(v), fn, ctx,
				keep_escapes, errbuf, errlen) < 0) {
			*errpath = xstrdup(path);
			return -1;
		}
		return 0;
	}
	if (json_is_object(v)) {
		res = json_object();
		json_object_foreach((json_t *)v, k, x) {
			json_t *y;
			char *p = path_key(path, k);
			int r = expr_eval(&y, x, p, fn, ctx, keep_escapes,
					  errbuf, errlen, errpath);

			free(p);
			if (r < 0) {
				json_decref(res);
				return -1;
			}
			json_object_set_new(res, k, y);
		}
		*out = res;
		return 0;
	}
	if (json_is_array(v)) {
		res = json_array();
		json_array_foreach(v, i, x) {
			json_t *y;
			char *p = path_index(path, i);
			int r = expr_eval(&y, x, p, fn, ctx, keep_escapes,
					  errbuf, errlen, errpath);

			free(p);
			if (r < 0) {
				json_decref(res);
				return -1;
			}
			json_array_append_new(res, y);
		}
		*out = res;
		return 0;
	}
	*out = json_incref((json_t *)v);
	return 0;
}
