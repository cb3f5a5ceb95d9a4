/*
 * json_parse.c: a JSON reader that builds jansson values.
 *
 * jansson's own reader lexes through a character stream and allocates
 * every value, which was two fifths of a 10,000-object plan's CPU time
 * (the state and the clouds' answers; docs/performance.md).  This one
 * scans the buffer in place and shares equal short strings and integers
 * within one document: the state of 10,000 resources repeats the same
 * few hundred of them.  What it accepts and builds is what
 * json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL) accepts and builds
 * (checked against jansson by tests/unit/core/test_json_parse.c and the
 * fuzz_json target), except that error messages are its own and that a
 * raw NUL byte is refused wherever it is (jansson's lexer drops one that
 * directly follows a number or true/false/null).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/json.h"
#include "core/util/util.h"

/* jansson's limit, so that both accept the same documents. */
#define MAX_DEPTH JSON_PARSER_MAX_DEPTH
/* Longest string shared between its occurrences. */
#define INTERN_MAX 48

struct slot {
	uint64_t hash;
	json_t *v; /* a reference of the table's own */
};

struct reader {
	const char *start, *p, *end;
	int depth;
	const char *errpos;
	struct json_load_err *err; /* or NULL */
	struct slot *slots;
	size_t cap, used;
	char *scratch; /* unescaped strings */
	size_t scratch_cap;
};

/* ---- errors ---------------------------------------------------------- */

static json_t *fail(struct reader *r, const char *at, const char *fmt, ...)
{
	const char *q;
	int line = 1, col = 1;
	va_list ap;

	if (r->errpos) /* the innermost error is the one to report */
		return NULL;
	r->errpos = at;
	if (!r->err)
		return NULL;
	for (q = r->start; q < at; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(r->err->text, sizeof(r->err->text), fmt, ap);
	va_end(ap);
	r->err->line = line;
	r->err->column = col;
	return NULL;
}

/* ---- sharing --------------------------------------------------------- */

static uint64_t hash_bytes(uint64_t h, const char *s, size_t n)
{
	size_t i;

	/* FNV-1a: the keys are short. */
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int same(const json_t *v, int is_str, const char *s, size_t n,
		json_int_t iv)
{
	if (is_str)
		return json_is_string(v) && json_string_length(v) == n &&
		       !memcmp(json_string_value(v), s, n);
	return json_is_integer(v) && json_integer_value(v) == iv;
}

static void grow(struct reader *r)
{
	size_t ncap = r->cap ? r->cap * 2 : 256, i, j;
	struct slot *ns = xcalloc(ncap, sizeof(*ns));

	for (i = 0; i < r->cap; i++) {
		if (!r->slots[i].v)
			continue;
		j = r->slots[i].hash & (ncap - 1);
		while (ns[j].v)
			j = (j + 1) & (ncap - 1);
		ns[j] = r->slots[i];
	}
	free(r->slots);
	r->slots = ns;
	r->cap = ncap;
}

/* The shared value for a string (is_str) or an integer: a new reference. */
static json_t *interned(struct reader *r, int is_str, const char *s, size_t n,
			json_int_t iv)
{
	uint64_t h = is_str ? hash_bytes(0xcbf29ce484222325ull, s, n)
			    : hash_bytes(0x84222325cbf29ce4ull,
					 (const char *)&iv, sizeof(iv));
	size_t i;
	json_t *v;

	if (r->used * 2 >= r->cap)
		grow(r);
	for (i = h & (r->cap - 1); r->slots[i].v; i = (i + 1) & (r->cap - 1))
		if (r->slots[i].hash == h &&
		    same(r->slots[i].v, is_str, s, n, iv))
			return json_incref(r->slots[i].v);
	v = is_str ? json_stringn_nocheck(s, n) : json_integer(iv);
	if (!v)
		return NULL;
	r->slots[i].hash = h;
	r->slots[i].v = json_incref(v);
	r->used++;
	return v;
}

/* ---- scanning -------------------------------------------------------- */

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
				 *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

/* Length of the UTF-8 sequence at p (at most n bytes), 0 if invalid
 * (overlong forms, surrogates and code points past U+10FFFF included,
 * as jansson refuses them). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0], cp;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void scratch_put(struct reader *r, size_t *len, const char *s, size_t n)
{
	if (!n)
		return; /* nothing before an escape (scratch may be NULL) */
	if (*len + n > r->scratch_cap) {
		r->scratch_cap = (*len + n) * 2 + 64;
		r->scratch = xrealloc(r->scratch, r->scratch_cap);
	}
	memcpy(r->scratch + *len, s, n);
	*len += n;
}

static void put_utf8(struct reader *r, size_t *len, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	scratch_put(r, len, b, n);
}

/*
 * The string at r->p (just past its opening quote): *s and *n point at its
 * bytes, in the buffer when it has no escapes, else in r->scratch.
 */
static int read_string(struct reader *r, const char **s, size_t *n)
{
	const char *q = r->p, *run;
	size_t len = 0;
	int escaped = 0;

	/* The common case: no escapes, plain ASCII. */
	while (q < r->end && *q != '"' && *q != '\\' &&
	       (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80)
		q++;
	if (q < r->end && *q == '"') {
		*s = r->p;
		*n = (size_t)(q - r->p);
		r->p = q + 1;
		return 0;
	}
	run = r->p;
	for (;;) {
		if (q >= r->end) {
			fail(r, q, "premature end of input in a string");
			return -1;
		}
		if (*q == '"')
			break;
		if ((unsigned char)*q < 0x20) {
			fail(r, q, "control character 0x%x in a string",
			     (unsigned char)*q);
			return -1;
		}
		if ((unsigned char)*q >= 0x80) {
			size_t l = utf8_len((const unsigned char *)q,
					    (size_t)(r->end - q));
			if (!l) {
				fail(r, q, "invalid UTF-8 in a string");
				return -1;
			}
			q += l;
			continue;
		}
		if (*q != '\\') {
			q++;
			continue;
		}
		/* An escape: what came before goes to the scratch buffer. */
		escaped = 1;
		scratch_put(r, &len, run, (size_t)(q - run));
		if (q + 1 >= r->end) {
			fail(r, q, "premature end of input in a string");
			return -1;
		}
		switch (q[1]) {
		case '"':
		case '\\':
		case '/':
			scratch_put(r, &len, q + 1, 1);
			q += 2;
			break;
		case 'b':
			scratch_put(r, &len, "\b", 1);
			q += 2;
			break;
		case 'f':
			scratch_put(r, &len, "\f", 1);
			q += 2;
			break;
		case 'n':
			scratch_put(r, &len, "\n", 1);
			q += 2;
			break;
		case 'r':
			scratch_put(r, &len, "\r", 1);
			q += 2;
			break;
		case 't':
			scratch_put(r, &len, "\t", 1);
			q += 2;
			break;
		case 'u': {
			unsigned cp, lo;

			if (r->end - q < 6 || hex4(q + 2, &cp) < 0) {
				fail(r, q, "invalid \\u escape");
				return -1;
			}
			q += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(r, q - 6, "invalid Unicode '\\u%04X'", cp);
				return -1;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* A high surrogate needs its low half. */
				if (r->end - q < 6 || q[0] != '\\' ||
				    q[1] != 'u' || hex4(q + 2, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					fail(r, q - 6,
					     "invalid Unicode '\\u%04X'", cp);
					return -1;
				}
				q += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			put_utf8(r, &len, cp);
			break;
		}
		default:
			fail(r, q, "invalid escape '\\%c'", q[1]);
			return -1;
		}
		run = q;
	}
	if (!escaped) {
		*s = r->p;
		*n = (size_t)(q - r->p);
	} else {
		scratch_put(r, &len, run, (size_t)(q - run));
		*s = r->scratch;
		*n = len;
	}
	r->p = q + 1;
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static json_t *read_number(struct reader *r)
{
	const char *b = r->p, *q = r->p;
	int real = 0;

	if (q < r->end && *q == '-')
		q++;
	if (q < r->end && *q == '0') {
		q++;
	} else if (q < r->end && *q >= '1' && *q <= '9') {
		while (q < r->end && is_digit(*q))
			q++;
	} else {
		return fail(r, b, "invalid number");
	}
	if (q < r->end && *q == '.') {
		real = 1;
		q++;
		if (q >= r->end || !is_digit(*q))
			return fail(r, b, "invalid number");
		while (q < r->end && is_digit(*q))
			q++;
	}
	if (q < r->end && (*q == 'e' || *q == 'E')) {
		real = 1;
		q++;
		if (q < r->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= r->end || !is_digit(*q))
			return fail(r, b, "invalid number");
		while (q < r->end && is_digit(*q))
			q++;
	}
	r->p = q;
	if (!real) {
		/* Exactly: jansson refuses what does not fit. */
		const char *d = b + (*b == '-');
		uint64_t v = 0, lim = *b == '-' ? (uint64_t)LLONG_MAX + 1
						: (uint64_t)LLONG_MAX;

		for (; d < q; d++) {
			unsigned dig = (unsigned)(*d - '0');
			if (v > (lim - dig) / 10)
				return fail(r, b,
					    *b == '-'
						? "too big negative integer"
						: "too big integer");
			v = v * 10 + dig;
		}
		if (*b == '-')
			return interned(r, 0, NULL, 0,
					v ? -(json_int_t)(v - 1) - 1 : 0);
		return interned(r, 0, NULL, 0, (json_int_t)v);
	} else {
		char small[64], *buf = small, *endp;
		size_t n = (size_t)(q - b);
		double d;

		if (n >= sizeof(small))
			buf = xmalloc(n + 1);
		memcpy(buf, b, n);
		buf[n] = '\0';
		errno = 0;
		d = strtod(buf, &endp);
		if (buf != small)
			free(buf);
		if (errno == ERANGE && (d > 1.0 || d < -1.0))
			return fail(r, b, "real number overflow");
		return json_real(d);
	}
}

static json_t *read_value(struct reader *r);

static json_t *read_object(struct reader *r)
{
	json_t *o = json_object(), *v;
	const char *k, *at;
	size_t kn;
	char kbuf[128], *key;

	r->p++; /* { */
	skip_ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return o;
	}
	for (;;) {
		if (r->p >= r->end || *r->p != '"') {
			json_decref(o);
			return fail(r, r->p, "string or '}' expected");
		}
		at = r->p;
		r->p++;
		if (read_string(r, &k, &kn) < 0) {
			json_decref(o);
			return NULL;
		}
		if (memchr(k, '\0', kn)) {
			json_decref(o);
			return fail(r, at,
				    "NUL byte in object key not supported");
		}
		/* The key outlives the scratch buffer (the value may be an
		 * escaped string too). */
		key = kn < sizeof(kbuf) ? kbuf : xmalloc(kn + 1);
		memcpy(key, k, kn);
		key[kn] = '\0';
		skip_ws(r);
		if (r->p >= r->end || *r->p != ':') {
			if (key != kbuf)
				free(key);
			json_decref(o);
			return fail(r, r->p, "':' expected");
		}
		r->p++;
		v = read_value(r);
		if (!v) {
			if (key != kbuf)
				free(key);
			json_decref(o);
			return NULL;
		}
		/* A repeated key: the last one wins, as with jansson. */
		json_object_setn_new_nocheck(o, key, kn, v);
		if (key != kbuf)
			free(key);
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			skip_ws(r);
			continue;
		}
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			return o;
		}
		json_decref(o);
		return fail(r, r->p, "'}' or ',' expected");
	}
}

static json_t *read_array(struct reader *r)
{
	json_t *a = json_array(), *v;

	r->p++; /* [ */
	skip_ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return a;
	}
	for (;;) {
		v = read_value(r);
		if (!v) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, v);
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == ']') {
			r->p++;
			return a;
		}
		json_decref(a);
		return fail(r, r->p, "']' or ',' expected");
	}
}

static int word(struct reader *r, const char *w, size_t n)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n))
		return 0;
	r->p += n;
	return 1;
}

static json_t *read_value(struct reader *r)
{
	json_t *v;
	const char *s;
	size_t n;

	skip_ws(r);
	if (r->p >= r->end)
		return fail(r, r->p, "premature end of input");
	/* Every value counts, as in jansson (a scalar inside 2,048 arrays
	 * is too deep). */
	if (r->depth + 1 > MAX_DEPTH)
		return fail(r, r->p, "maximum parsing depth reached");
	switch (*r->p) {
	case '{':
	case '[':
		r->depth++;
		v = *r->p == '{' ? read_object(r) : read_array(r);
		r->depth--;
		return v;
	case '"':
		r->p++;
		if (read_string(r, &s, &n) < 0)
			return NULL;
		return n <= INTERN_MAX ? interned(r, 1, s, n, 0)
				       : json_stringn_nocheck(s, n);
	case 't':
		if (word(r, "true", 4))
			return json_true();
		break;
	case 'f':
		if (word(r, "false", 5))
			return json_false();
		break;
	case 'n':
		if (word(r, "null", 4))
			return json_null();
		break;
	default:
		if (*r->p == '-' || is_digit(*r->p))
			return read_number(r);
		break;
	}
	if ((unsigned char)*r->p >= 0x20 && (unsigned char)*r->p < 0x7f)
		return fail(r, r->p, "unexpected '%c'", *r->p);
	return fail(r, r->p, "unexpected byte 0x%02x", (unsigned char)*r->p);
}

json_t *json_load_fast(const char *text, size_t len, struct json_load_err *err)
{
	struct reader r = {0};
	json_t *v;
	size_t i;

	r.start = r.p = text ? text : "";
	r.end = r.start + (text ? len : 0);
	r.err = err;
	if (err)
		memset(err, 0, sizeof(*err));
	v = read_value(&r);
	if (v) {
		skip_ws(&r);
		if (r.p < r.end) {
			json_decref(v);
			v = fail(&r, r.p, "end of file expected");
		}
	}
	for (i = 0; i < r.cap; i++)
		json_decref(r.slots[i].v);
	free(r.slots);
	free(r.scratch);
	return v;
}
