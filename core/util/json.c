#include "json.h"
#include "jpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const char *json_get_str(const json_t *obj, const char *key, const char *def)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

int64_t json_get_int(const json_t *obj, const char *key, int64_t def)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

int json_get_bool(const json_t *obj, const char *key, int def)
{
	json_t *v = json_object_get(obj, key);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

json_t *json_path_get(const json_t *root, const char *path)
{
	char *copy = xstrdup(path), *s = copy, *dot;
	json_t *cur = (json_t *)root;

	while (cur && s) {
		dot = strchr(s, '.');
		if (dot)
			*dot = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, s);
		} else if (json_is_array(cur)) {
			char *end;
			long i = strtol(s, &end, 10);

			cur = (*s && !*end && i >= 0)
				  ? json_array_get(cur, (size_t)i)
				  : NULL;
		} else {
			cur = NULL;
		}
		s = dot ? dot + 1 : NULL;
	}
	free(copy);
	return cur;
}

int json_parse(json_t **out, const char *text, size_t len, const char *what,
	       struct err *e)
{
	struct json_load_err je;

	*out = json_load_fast(text, len, &je);
	if (!*out)
		return err_set(e, DCF_EINVALID, "%s:%d:%d: invalid JSON: %s",
			       what, je.line, je.column, je.text);
	return 0;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return buf_add(data, buffer, size);
}

char *json_dumps_malloc(const json_t *v, size_t flags)
{
	char *s = json_dumps(v, flags), *copy;

	if (!s || !jpool_owns(s))
		return s; /* malloc's own */
	copy = xstrdup(s);
	jpool_free(s);
	return copy;
}

int json_dump_buf(struct buf *b, const json_t *v, size_t flags)
{
	return json_dump_callback(v, dump_cb, b, flags | JSON_ENCODE_ANY);
}

const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

void json_deep_update(json_t *dst, const json_t *src)
{
	const char *k;
	json_t *v, *d;

	json_object_foreach ((json_t *)src, k, v) {
		d = json_object_get(dst, k);
		if (json_is_object(d) && json_is_object(v))
			json_deep_update(d, v);
		else
			json_object_set(dst, k, v);
	}
}

/* ---- the canonical indented form -------------------------------- */

static void dump_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;

	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		buf_puts(b, esc);
	}
	buf_add(b, s + run, n - run);
	buf_putc(b, '"');
}

static void indent(struct buf *b, int depth)
{
	static const char nl[] = "\n                                "
				 "                                ";
	size_t n = 2 * (size_t)depth, step = sizeof(nl) - 2;

	/* The newline and the indentation in one copy (up to 32 levels). */
	buf_add(b, nl, 1 + (n < step ? n : step));
	for (n = n < step ? 0 : n - step; n; n -= n < step ? n : step)
		buf_add(b, nl + 1, n < step ? n : step);
}

struct member {
	const char *key;
	size_t len;
	const json_t *value;
};

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->key,
		      ((const struct member *)b)->key);
}

static void dump_int(struct buf *b, json_int_t v)
{
	char t[24], *p = t + sizeof(t);
	unsigned long long u =
	    v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(t + sizeof(t) - p));
}

static int dump_ind(struct buf *b, const json_t *v, int depth, int split);

/* Members [from, to) of an object of n, each on its own line; `split`:
 * a large object among them may be dumped on two threads. */
static int dump_members(struct buf *b, const struct member *m, size_t from,
			size_t to, size_t n, int depth, int split)
{
	size_t i;

	for (i = from; i < to; i++) {
		indent(b, depth + 1);
		dump_string(b, m[i].key, m[i].len);
		buf_add(b, ": ", 2);
		if (dump_ind(b, m[i].value, depth + 1, split) < 0)
			return -1;
		if (i + 1 < n)
			buf_putc(b, ',');
	}
	return 0;
}

/*
 * The second half of a large object's members, dumped on a thread of its
 * own while the caller dumps the first: the state of 10,000 resources is
 * one such object, and reading its values is mostly waiting on memory.
 */
struct half {
	struct buf b;
	const struct member *m;
	size_t from, to, n;
	int depth, ret;
};

static void *dump_half(void *arg)
{
	struct half *h = arg;

	h->ret = dump_members(&h->b, h->m, h->from, h->to, h->n, h->depth, 0);
	return NULL;
}

#define SPLIT_MEMBERS 1024

static int dump_object_members(struct buf *b, const struct member *m, size_t n,
			       int depth, int split)
{
	struct half h = {BUF_INIT, m, n / 2, n, n, depth, 0};
	pthread_t t;
	int ret;

	if (!split || n < SPLIT_MEMBERS)
		return dump_members(b, m, 0, n, n, depth, split);
	if (pthread_create(&t, NULL, dump_half, &h))
		return dump_members(b, m, 0, n, n, depth, 0);
	ret = dump_members(b, m, 0, n / 2, n, depth, 0);
	pthread_join(t, NULL);
	if (ret == 0 && h.ret == 0)
		buf_add(b, h.b.ptr, h.b.len);
	buf_release(&h.b);
	return ret < 0 || h.ret < 0 ? -1 : 0;
}

static int dump_ind(struct buf *b, const json_t *v, int depth, int split)
{
	const char *k;
	json_t *x;
	size_t i, n, klen;
	int ret;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		struct member small[16], *m;

		n = json_object_size(v);
		if (!n) {
			buf_puts(b, "{}");
			return 0;
		}
		/* Members with their values, sorted by key: no second
		 * lookup of each key. */
		m = n <= 16 ? small : xcalloc(n, sizeof(*m));
		i = 0;
		json_object_keylen_foreach((json_t *)v, k, klen, x)
		{
			m[i].key = k;
			m[i].len = klen;
			m[i++].value = x;
		}
		qsort(m, n, sizeof(*m), cmp_member);
		buf_putc(b, '{');
		ret = dump_object_members(b, m, n, depth, split);
		if (m != small)
			free(m);
		if (ret < 0)
			return -1;
		indent(b, depth);
		buf_putc(b, '}');
		return 0;
	}
	case JSON_ARRAY:
		n = json_array_size(v);
		if (!n) {
			buf_puts(b, "[]");
			return 0;
		}
		buf_putc(b, '[');
		for (i = 0; i < n; i++) {
			indent(b, depth + 1);
			if (dump_ind(b, json_array_get(v, i), depth + 1,
				     split) < 0)
				return -1;
			if (i + 1 < n)
				buf_putc(b, ',');
		}
		indent(b, depth);
		buf_putc(b, ']');
		return 0;
	case JSON_STRING:
		dump_string(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		dump_int(b, json_integer_value(v));
		return 0;
	case JSON_REAL: {
		/* jansson's own form of a real (precision 17, always a '.'
		 * or an exponent): let it print this one value. */
		char *t = json_dumps_malloc(v, JSON_ENCODE_ANY);

		if (!t)
			return -1;
		buf_puts(b, t);
		free(t);
		return 0;
	}
	case JSON_TRUE:
		buf_puts(b, "true");
		return 0;
	case JSON_FALSE:
		buf_puts(b, "false");
		return 0;
	case JSON_NULL:
		buf_puts(b, "null");
		return 0;
	}
	return -1;
}

int json_dump_indented(struct buf *b, const json_t *v)
{
	return v ? dump_ind(b, v, 0, 1) : -1;
}
