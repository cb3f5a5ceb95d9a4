/*
 * schema.c: the compiled-in schemas and a validator for the subset of JSON
 * Schema draft 2020-12 that schemas/ uses.
 *
 * Supported keywords: type (a name or a list), enum, const, minimum,
 * maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength,
 * pattern (POSIX extended regular expressions), properties, required,
 * additionalProperties, propertyNames, minProperties, maxProperties,
 * dependentRequired, items, minItems, maxItems, uniqueItems, allOf, anyOf,
 * oneOf, not, if/then/else and $ref ("#/$defs/…" and "<name>.json[#/…]"
 * for another compiled-in schema).  Annotations ($schema, $id, title,
 * description, default, $defs) are ignored.  Extensions: x-computed (the
 * property cannot be set), x-sensitive (its value never appears in a
 * message), x-force-new (read by schema_property_flags) and x-error (a
 * message that replaces whatever a node's checks found, for rules whose
 * mechanics would read badly, such as long patterns).
 *
 * The schemas are parsed once, on first use, and live as long as the
 * process.  Messages name the property (its last path segment), what was
 * found and what is allowed; the full path goes into the diagnostic.
 */
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "core/schema/embedded.h"
#include "core/schema/schema.h"
#include "core/util/buf.h"
#include "core/util/json.h"
#include "core/util/util.h"

#define MAX_DEPTH 64
#define MAX_SHOWN 40 /* characters of a found string shown in messages */

struct loaded {
	const char *name;
	json_t *schema;
};

static struct loaded *loaded;
static size_t nloaded;
static const char **type_names;
static size_t ntypes;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void load_all(void)
{
	size_t i, n = 0;

	while (embedded_schemas[n].name)
		n++;
	loaded = xcalloc(n ? n : 1, sizeof(*loaded));
	type_names = xcalloc(n + 1, sizeof(*type_names));
	for (i = 0; i < n; i++) {
		json_error_t je;
		json_t *s = json_loadb(embedded_schemas[i].text,
				       embedded_schemas[i].len, 0, &je);

		/* The files are ours and checked by the tests. */
		if (!s)
			BUG("schemas/%s: %d:%d: %s", embedded_schemas[i].name,
			    je.line, je.column, je.text);
		loaded[nloaded].name = embedded_schemas[i].name;
		loaded[nloaded++].schema = s;
		if (strcmp(embedded_schemas[i].name, "manifest"))
			type_names[ntypes++] = embedded_schemas[i].name;
	}
	qsort(type_names, ntypes, sizeof(*type_names), cmp_str);
}

const json_t *schema_get(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	pthread_once(&load_once, load_all);
	for (i = 0; i < nloaded; i++)
		if (!strcmp(loaded[i].name, name))
			return loaded[i].schema;
	return NULL;
}

const char *const *schema_resource_types(size_t *n)
{
	pthread_once(&load_once, load_all);
	if (n)
		*n = ntypes;
	return type_names;
}

int schema_is_expression(const json_t *v)
{
	return json_is_string(v) && strstr(json_string_value(v), "${");
}

/* ---------------------------------------------------------------- */
/* References */

/* Resolve a JSON pointer ("/$defs/x") inside doc. */
static const json_t *pointer_get(const json_t *doc, const char *ptr)
{
	const json_t *cur = doc;
	struct buf seg = BUF_INIT;

	if (!*ptr)
		return doc;
	if (*ptr != '/')
		return NULL;
	while (cur && *ptr == '/') {
		const char *end;

		ptr++;
		end = strchr(ptr, '/');
		if (!end)
			end = ptr + strlen(ptr);
		buf_reset(&seg);
		for (; ptr < end; ptr++) {
			if (ptr[0] == '~' && ptr + 1 < end && ptr[1] == '1') {
				buf_putc(&seg, '/');
				ptr++;
			} else if (ptr[0] == '~' && ptr + 1 < end &&
				   ptr[1] == '0') {
				buf_putc(&seg, '~');
				ptr++;
			} else {
				buf_putc(&seg, *ptr);
			}
		}
		if (json_is_object(cur)) {
			cur = json_object_get(cur, seg.ptr);
		} else if (json_is_array(cur)) {
			char *e;
			long i = strtol(seg.ptr, &e, 10);

			cur = (seg.len && !*e && i >= 0)
				  ? json_array_get(cur, (size_t)i)
				  : NULL;
		} else {
			cur = NULL;
		}
	}
	buf_release(&seg);
	return cur;
}

/* One step of $ref resolution; NULL when it does not resolve. */
static const json_t *ref_target(const json_t *root, const char *ref,
				const json_t **root_out)
{
	const char *hash = strchr(ref, '#');
	const json_t *doc = root;

	if (hash != ref) {
		/* "<name>.json" or "<name>.schema.json", maybe with a path. */
		size_t len = hash ? (size_t)(hash - ref) : strlen(ref);
		char *name = xstrndup(ref, len);
		char *slash = strrchr(name, '/');
		char *base = slash ? slash + 1 : name;

		if (str_ends_with(base, ".json"))
			base[strlen(base) - 5] = '\0';
		if (str_ends_with(base, ".schema"))
			base[strlen(base) - 7] = '\0';
		doc = schema_get(base);
		free(name);
		if (!doc)
			return NULL;
	}
	*root_out = doc;
	return hash ? pointer_get(doc, hash + 1) : doc;
}

const json_t *schema_deref(const json_t *root, const json_t *node,
			   const json_t **root_out)
{
	int guard = 0;

	while (node && json_is_object(node)) {
		const char *ref = json_get_str(node, "$ref", NULL);

		if (!ref)
			break;
		if (++guard > MAX_DEPTH)
			return NULL;
		node = ref_target(root, ref, &root);
	}
	if (root_out)
		*root_out = root;
	return node;
}

/* ---------------------------------------------------------------- */
/* Messages */

struct vctx {
	struct diags *out;
	int depth;
	/* Counts values skipped for being expressions (never NULL). */
	int *expressions;
};

/* The last segment of a path, as messages name the property. */
static const char *last_segment(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!*path)
		return "document";
	return dot ? dot + 1 : path;
}

/* A short rendering of a found value. */
static void describe_value(struct buf *b, const json_t *v, int sensitive)
{
	if (sensitive) {
		buf_printf(b, "a %s", json_type_name(v));
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t n = strlen(s);

		if (n > MAX_SHOWN)
			buf_printf(b, "'%.*s…'", MAX_SHOWN, s);
		else
			buf_printf(b, "'%s'", s);
		break;
	}
	case JSON_INTEGER:
		buf_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		buf_printf(b, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	case JSON_NULL:
		buf_puts(b, "null");
		break;
	default:
		buf_printf(b, "an %s", json_type_name(v));
		break;
	}
}

/* An allowed value as listed in messages (strings bare). */
static void describe_allowed(struct buf *b, const json_t *v)
{
	if (json_is_string(v))
		buf_puts(b, json_string_value(v));
	else
		describe_value(b, v, 0);
}

static void fmt_number(struct buf *b, const json_t *n)
{
	if (json_is_integer(n))
		buf_printf(b, "%lld", (long long)json_integer_value(n));
	else
		buf_printf(b, "%.17g", json_number_value(n));
}

static void report(struct vctx *c, const char *path, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
static void report(struct vctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diags_add(c->out, NULL, 0, 0, path, "%s", msg);
	free(msg);
}

/* ---------------------------------------------------------------- */
/* The validator */

static void validate(struct vctx *c, const json_t *root, const json_t *s,
		     const json_t *v, const char *path, int sensitive);

/* Validate into a scratch list; returns the number of problems. */
static size_t count_errors(struct vctx *c, const json_t *root, const json_t *s,
			   const json_t *v, const char *path, int sensitive,
			   struct diags *keep)
{
	struct diags tmp = DIAGS_INIT;
	struct vctx sub = {keep ? keep : &tmp, c->depth, c->expressions};
	size_t n, before = keep ? keep->n : 0;

	validate(&sub, root, s, v, path, sensitive);
	n = (keep ? keep->n : tmp.n) - before;
	diags_release(&tmp);
	return n;
}

static void move_diags(struct diags *to, struct diags *from)
{
	size_t i;

	for (i = 0; i < from->n; i++) {
		ALLOC_GROW(to->v, to->n + 1, to->alloc);
		to->v[to->n++] = from->v[i];
	}
	free(from->v);
	from->v = NULL;
	from->n = from->alloc = 0;
}

static char *child_path(const char *path, const char *key)
{
	return *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

static int type_matches(const char *t, const json_t *v)
{
	if (!strcmp(t, "object"))
		return json_is_object(v);
	if (!strcmp(t, "array"))
		return json_is_array(v);
	if (!strcmp(t, "string"))
		return json_is_string(v);
	if (!strcmp(t, "boolean"))
		return json_is_boolean(v);
	if (!strcmp(t, "null"))
		return json_is_null(v);
	if (!strcmp(t, "number"))
		return json_is_number(v);
	if (!strcmp(t, "integer")) {
		double d;

		if (json_is_integer(v))
			return 1;
		if (!json_is_real(v))
			return 0;
		d = json_real_value(v);
		return d == (double)(long long)d;
	}
	return 0;
}

/* Whether v has one of the types of s, without reporting (1 without a
 * type). */
static int type_ok(const json_t *s, const json_t *v)
{
	const json_t *t = json_object_get(s, "type");
	size_t i;
	json_t *x;

	if (!t || schema_is_expression(v))
		return 1;
	if (json_is_string(t))
		return type_matches(json_string_value(t), v);
	json_array_foreach (t, i, x)
		if (type_matches(json_string_value(x), v))
			return 1;
	return 0;
}

static const char *article(const char *t)
{
	return (t[0] == 'a' || t[0] == 'i' || t[0] == 'o') ? "an" : "a";
}

/* 1 when v has one of the types of s (or s has no type). */
static int check_type(struct vctx *c, const json_t *s, const json_t *v,
		      const char *path, int sensitive)
{
	const json_t *t = json_object_get(s, "type");
	struct buf msg = BUF_INIT;
	size_t i;
	json_t *x;

	if (!t)
		return 1;
	if (json_is_string(t)) {
		if (type_matches(json_string_value(t), v))
			return 1;
		buf_printf(&msg, "%s %s", article(json_string_value(t)),
			   json_string_value(t));
	} else {
		json_array_foreach (t, i, x)
			if (type_matches(json_string_value(x), v))
				return 1;
		json_array_foreach (t, i, x) {
			if (i)
				buf_puts(&msg, i + 1 == json_array_size(t)
						   ? " or "
						   : ", ");
			buf_printf(&msg, "%s %s", article(json_string_value(x)),
				   json_string_value(x));
		}
	}
	buf_puts(&msg, ", got ");
	if (json_is_object(v) || json_is_array(v) || sensitive)
		buf_printf(&msg, "%s %s", article(json_type_name(v)),
			   json_type_name(v));
	else {
		buf_printf(&msg, "%s ", json_type_name(v));
		describe_value(&msg, v, sensitive);
	}
	report(c, path, "'%s' must be %s", last_segment(path), msg.ptr);
	buf_release(&msg);
	return 0;
}

static int values_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal((json_t *)a, (json_t *)b);
}

static void check_enum(struct vctx *c, const json_t *s, const json_t *v,
		       const char *path, int sensitive)
{
	const json_t *e = json_object_get(s, "enum"), *k;
	struct buf msg = BUF_INIT;
	size_t i;
	json_t *x;

	if (json_is_array(e)) {
		json_array_foreach (e, i, x)
			if (values_equal(x, v))
				return;
		json_array_foreach (e, i, x) {
			buf_puts(&msg, i ? ", " : "");
			describe_allowed(&msg, x);
		}
		buf_puts(&msg, "; got ");
		describe_value(&msg, v, sensitive);
		report(c, path, "'%s' must be one of: %s", last_segment(path),
		       msg.ptr);
		buf_release(&msg);
	}
	k = json_object_get(s, "const");
	if (k && !values_equal(k, v)) {
		describe_value(&msg, k, 0);
		buf_puts(&msg, ", got ");
		describe_value(&msg, v, sensitive);
		report(c, path, "'%s' must be %s", last_segment(path), msg.ptr);
		buf_release(&msg);
	}
}

static void check_number(struct vctx *c, const json_t *s, const json_t *v,
			 const char *path, int sensitive)
{
	static const struct {
		const char *kw, *text;
		int exclusive, upper;
	} bounds[] = {
	    {"minimum", "at least", 0, 0},
	    {"maximum", "at most", 0, 1},
	    {"exclusiveMinimum", "greater than", 1, 0},
	    {"exclusiveMaximum", "less than", 1, 1},
	};
	double d = json_number_value(v);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bounds); i++) {
		const json_t *b = json_object_get(s, bounds[i].kw);
		double lim;
		int bad;
		struct buf msg = BUF_INIT;

		if (!json_is_number(b))
			continue;
		lim = json_number_value(b);
		if (bounds[i].upper)
			bad = bounds[i].exclusive ? d >= lim : d > lim;
		else
			bad = bounds[i].exclusive ? d <= lim : d < lim;
		if (!bad)
			continue;
		fmt_number(&msg, b);
		buf_puts(&msg, ", got ");
		describe_value(&msg, v, sensitive);
		report(c, path, "'%s' must be %s %s", last_segment(path),
		       bounds[i].text, msg.ptr);
		buf_release(&msg);
	}
}

/* Length in code points (JSON Schema counts characters, not bytes). */
static size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Compiled patterns, kept for the life of the process: the schemas are
 * compiled in and hold a few dozen patterns, while a configuration of ten
 * thousand resources checks each of them ten thousand times.
 */
static struct {
	char *pattern;
	regex_t re;
	int bad;
} re_cache[128];
static size_t re_cached;
static pthread_mutex_t re_lock = PTHREAD_MUTEX_INITIALIZER;

static int regex_match(const char *pattern, const char *s, int *bad_pattern)
{
	regex_t once, *re = NULL;
	size_t i;
	int rc;

	*bad_pattern = 0;
	pthread_mutex_lock(&re_lock);
	for (i = 0; i < re_cached; i++)
		if (!strcmp(re_cache[i].pattern, pattern))
			break;
	if (i == re_cached && re_cached < ARRAY_SIZE(re_cache)) {
		re_cache[i].pattern = xstrdup(pattern);
		re_cache[i].bad = regcomp(&re_cache[i].re, pattern,
					  REG_EXTENDED | REG_NOSUB) != 0;
		re_cached++;
	}
	if (i < re_cached) {
		if (re_cache[i].bad) {
			pthread_mutex_unlock(&re_lock);
			*bad_pattern = 1;
			return 0;
		}
		rc = regexec(&re_cache[i].re, s, 0, NULL, 0);
		pthread_mutex_unlock(&re_lock);
		return rc == 0;
	}
	pthread_mutex_unlock(&re_lock);
	/* The cache is full (not with the embedded schemas): compile once. */
	if (regcomp(&once, pattern, REG_EXTENDED | REG_NOSUB)) {
		*bad_pattern = 1;
		return 0;
	}
	re = &once;
	rc = regexec(re, s, 0, NULL, 0);
	regfree(re);
	return rc == 0;
}

static void check_string(struct vctx *c, const json_t *s, const json_t *v,
			 const char *path, int sensitive)
{
	const char *str = json_string_value(v), *pat;
	size_t len = utf8_length(str);
	json_int_t min = json_get_int(s, "minLength", -1);
	json_int_t max = json_get_int(s, "maxLength", -1);
	int badpat;

	if (min >= 0 && len < (size_t)min) {
		if (len == 0)
			report(c, path, "'%s' must not be empty",
			       last_segment(path));
		else
			report(c, path,
			       "'%s' must be at least %lld characters long, "
			       "got %zu",
			       last_segment(path), (long long)min, len);
	}
	if (max >= 0 && len > (size_t)max)
		report(c, path,
		       "'%s' must be at most %lld characters long, got %zu",
		       last_segment(path), (long long)max, len);
	pat = json_get_str(s, "pattern", NULL);
	if (pat && !regex_match(pat, str, &badpat)) {
		struct buf msg = BUF_INIT;

		if (badpat)
			BUG("schema pattern '%s' does not compile", pat);
		describe_value(&msg, v, sensitive);
		report(c, path, "'%s' must match %s, got %s",
		       last_segment(path), pat, msg.ptr);
		buf_release(&msg);
	}
}

static void check_array(struct vctx *c, const json_t *root, const json_t *s,
			const json_t *v, const char *path, int sensitive)
{
	const json_t *items = json_object_get(s, "items");
	json_int_t min = json_get_int(s, "minItems", -1);
	json_int_t max = json_get_int(s, "maxItems", -1);
	size_t n = json_array_size(v), i, j;

	if (min >= 0 && n < (size_t)min)
		report(c, path, "'%s' must have at least %lld item%s, got %zu",
		       last_segment(path), (long long)min, min == 1 ? "" : "s",
		       n);
	if (max >= 0 && n > (size_t)max)
		report(c, path, "'%s' must have at most %lld item%s, got %zu",
		       last_segment(path), (long long)max, max == 1 ? "" : "s",
		       n);
	if (json_is_true(json_object_get(s, "uniqueItems"))) {
		for (i = 1; i < n; i++)
			for (j = 0; j < i; j++)
				if (values_equal(json_array_get(v, i),
						 json_array_get(v, j))) {
					char *p = xasprintf("%s[%zu]", path, i);

					report(
					    c, p,
					    "'%s' must not repeat items: item "
					    "%zu equals item %zu",
					    last_segment(path), i, j);
					free(p);
					j = i;
				}
	}
	if (items) {
		for (i = 0; i < n; i++) {
			char *p = xasprintf("%s[%zu]", path, i);

			validate(c, root, items, json_array_get(v, i), p,
				 sensitive);
			free(p);
		}
	}
}

/* The schema of property key in s (followed through $ref), or NULL. */
static const json_t *prop_schema(const json_t *root, const json_t *s,
				 const char *key, const json_t **proot)
{
	const json_t *p =
	    json_object_get(json_object_get(s, "properties"), key);

	if (!p)
		return NULL;
	return schema_deref(root, p, proot);
}

/* Sorted names of the settable properties of s. */
static void settable_names(const json_t *root, const json_t *s,
			   struct buf *list, const char *near,
			   const char **best)
{
	const json_t *props = json_object_get(s, "properties");
	const char **names;
	size_t n = 0, i, bestd = (size_t)-1;
	const char *k;
	json_t *x;

	names = xcalloc(json_object_size(props) + 1, sizeof(*names));
	json_object_foreach ((json_t *)props, k, x) {
		const json_t *d = schema_deref(root, x, NULL);

		if (json_is_true(json_object_get(d, "x-computed")))
			continue;
		names[n++] = k;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		size_t dist = str_edit_distance(near, names[i]);
		size_t limit = strlen(names[i]) / 3 + 1;

		buf_puts(list, i ? ", " : "");
		buf_puts(list, names[i]);
		if (limit < 2)
			limit = 2;
		if (dist <= limit && dist < bestd) {
			bestd = dist;
			*best = names[i];
		}
	}
	free(names);
}

static void check_object(struct vctx *c, const json_t *root, const json_t *s,
			 const json_t *v, const char *path, int sensitive)
{
	const json_t *props = json_object_get(s, "properties");
	const json_t *addl = json_object_get(s, "additionalProperties");
	const json_t *names = json_object_get(s, "propertyNames");
	const json_t *req = json_object_get(s, "required");
	const json_t *dep = json_object_get(s, "dependentRequired");
	json_int_t minp = json_get_int(s, "minProperties", -1);
	json_int_t maxp = json_get_int(s, "maxProperties", -1);
	size_t n = json_object_size(v), i, nsuggested = 0, salloc = 0;
	const char **suggested = NULL;
	const char *k;
	json_t *x, *y;

	/*
	 * A misspelt required property is reported once, as unknown with its
	 * suggestion, not also as missing.
	 */
	if (json_is_false(addl)) {
		json_object_foreach ((json_t *)v, k, x) {
			struct buf list = BUF_INIT;
			const char *best = NULL;

			if (props && json_object_get(props, k))
				continue;
			settable_names(root, s, &list, k, &best);
			buf_release(&list);
			if (best) {
				ALLOC_GROW(suggested, nsuggested + 1, salloc);
				suggested[nsuggested++] = best;
			}
		}
	}
	json_array_foreach (req, i, x) {
		const char *name = json_string_value(x);
		size_t j;

		if (json_object_get(v, name))
			continue;
		for (j = 0; j < nsuggested; j++)
			if (!strcmp(suggested[j], name))
				break;
		if (j == nsuggested)
			report(c, path, "missing required property '%s'", name);
	}
	free(suggested);
	json_object_foreach ((json_t *)dep, k, x) {
		if (!json_object_get(v, k))
			continue;
		json_array_foreach (x, i, y) {
			char *p;

			if (json_object_get(v, json_string_value(y)))
				continue;
			p = child_path(path, k);
			report(c, p, "'%s' requires '%s' as well", k,
			       json_string_value(y));
			free(p);
		}
	}
	if (minp >= 0 && n < (size_t)minp)
		report(c, path,
		       "'%s' must have at least %lld propert%s, got %zu",
		       last_segment(path), (long long)minp,
		       minp == 1 ? "y" : "ies", n);
	if (maxp >= 0 && n > (size_t)maxp)
		report(c, path,
		       "'%s' must have at most %lld propert%s, got %zu",
		       last_segment(path), (long long)maxp,
		       maxp == 1 ? "y" : "ies", n);

	json_object_foreach ((json_t *)v, k, x) {
		char *p = child_path(path, k);
		const json_t *proot = root;
		const json_t *ps = props ? json_object_get(props, k) : NULL;

		if (names) {
			json_t *key = json_string(k);
			struct diags tmp = DIAGS_INIT;

			if (count_errors(c, root, names, key, p, 0, &tmp)) {
				const char *xe = json_get_str(
				    schema_deref(root, names, NULL), "x-error",
				    NULL);

				if (xe)
					report(c, p, "invalid name '%s': %s", k,
					       xe);
				else
					report(c, p, "invalid name '%s': %s", k,
					       tmp.v[0].msg);
			}
			diags_release(&tmp);
			json_decref(key);
		}
		if (ps) {
			const json_t *d = prop_schema(root, s, k, &proot);
			int sens =
			    sensitive ||
			    json_is_true(json_object_get(d, "x-sensitive"));

			if (json_is_true(json_object_get(d, "x-computed")))
				report(c, p,
				       "'%s' is computed (read from the cloud) "
				       "and cannot be set",
				       k);
			else
				validate(c, root, ps, x, p, sens);
		} else if (json_is_false(addl)) {
			struct buf list = BUF_INIT;
			const char *best = NULL;

			settable_names(root, s, &list, k, &best);
			if (best)
				report(c, p,
				       "unknown property '%s'; did you mean "
				       "'%s'? allowed: %s",
				       k, best, list.ptr);
			else
				report(c, p,
				       "unknown property '%s'; allowed: %s", k,
				       list.ptr);
			buf_release(&list);
		} else if (json_is_object(addl)) {
			validate(c, root, addl, x, p, sensitive);
		}
		free(p);
	}
}

/*
 * anyOf / oneOf: valid when one (oneOf: exactly one) branch is.
 * Otherwise report the clearest branch: one whose type fits the value
 * before one that fails on type, then the fewest problems, then the first.
 */
static void check_alternatives(struct vctx *c, const json_t *root,
			       const json_t *alts, int one, const json_t *v,
			       const char *path, int sensitive)
{
	struct diags best = DIAGS_INIT;
	size_t i, valid = 0, best_score = (size_t)-1;
	json_t *a;

	json_array_foreach (alts, i, a) {
		struct diags tmp = DIAGS_INIT;
		const json_t *d = schema_deref(root, a, NULL);
		size_t n = count_errors(c, root, a, v, path, sensitive, &tmp);
		size_t score;

		if (!n) {
			valid++;
			diags_release(&tmp);
			continue;
		}
		score = n;
		if (!type_ok(d, v))
			score += 1000;
		if (score < best_score) {
			diags_release(&best);
			best = tmp;
			best_score = score;
		} else {
			diags_release(&tmp);
		}
	}
	if (!valid && json_array_size(alts))
		move_diags(c->out, &best);
	else if (one && valid > 1)
		report(c, path,
		       "'%s' matches more than one of its allowed forms",
		       last_segment(path));
	diags_release(&best);
}

static void validate(struct vctx *c, const json_t *root, const json_t *s,
		     const json_t *v, const char *path, int sensitive)
{
	struct diags mine = DIAGS_INIT;
	struct vctx here = {&mine, c->depth + 1, c->expressions};
	const char *xerr;
	const json_t *x, *sub;
	size_t i;
	json_t *a;

	if (json_is_true(s))
		return;
	if (json_is_false(s)) {
		report(c, path, "'%s' is not allowed here", last_segment(path));
		return;
	}
	if (!json_is_object(s))
		return;
	if (here.depth > MAX_DEPTH) {
		report(c, path, "'%s' is nested too deeply to check",
		       last_segment(path));
		return;
	}
	if (json_is_true(json_object_get(s, "x-sensitive")))
		sensitive = 1;

	x = json_object_get(s, "$ref");
	if (json_is_string(x)) {
		const json_t *troot = root;
		const json_t *t =
		    ref_target(root, json_string_value(x), &troot);

		if (!t)
			BUG("schema reference '%s' does not resolve",
			    json_string_value(x));
		validate(&here, troot, t, v, path, sensitive);
	}

	/* The value's type is known only after resolution. */
	if (schema_is_expression(v)) {
		(*c->expressions)++;
		goto not_kw;
	}

	if (check_type(&here, s, v, path, sensitive)) {
		check_enum(&here, s, v, path, sensitive);
		if (json_is_number(v))
			check_number(&here, s, v, path, sensitive);
		else if (json_is_string(v))
			check_string(&here, s, v, path, sensitive);
		else if (json_is_array(v))
			check_array(&here, root, s, v, path, sensitive);
		else if (json_is_object(v))
			check_object(&here, root, s, v, path, sensitive);
	}

	json_array_foreach (json_object_get(s, "allOf"), i, a)
		validate(&here, root, a, v, path, sensitive);
	x = json_object_get(s, "anyOf");
	if (json_is_array(x))
		check_alternatives(&here, root, x, 0, v, path, sensitive);
	x = json_object_get(s, "oneOf");
	if (json_is_array(x))
		check_alternatives(&here, root, x, 1, v, path, sensitive);
	x = json_object_get(s, "if");
	if (x) {
		/* A condition that looks at an expression is undecided until
		 * resolution: neither branch applies yet. */
		int exprs = 0;
		struct vctx cond = {here.out, here.depth, &exprs};
		size_t bad =
		    count_errors(&cond, root, x, v, path, sensitive, NULL);

		sub = exprs ? NULL : json_object_get(s, bad ? "else" : "then");
		if (sub)
			validate(&here, root, sub, v, path, sensitive);
	}

not_kw:
	x = json_object_get(s, "not");
	if (x && !count_errors(&here, root, x, v, path, sensitive, NULL)) {
		const json_t *k = json_object_get(x, "const");

		if (k && json_object_size(x) == 1) {
			struct buf msg = BUF_INIT;

			describe_value(&msg, k, 0);
			report(&here, path, "'%s' must not be %s",
			       last_segment(path), msg.ptr);
			buf_release(&msg);
		} else {
			report(&here, path, "'%s' is not allowed here",
			       last_segment(path));
		}
	}

	xerr = json_get_str(s, "x-error", NULL);
	if (xerr && mine.n) {
		report(c, path, "'%s' %s", last_segment(path), xerr);
		diags_release(&mine);
	} else {
		move_diags(c->out, &mine);
	}
}

size_t schema_validate(const json_t *schema, const json_t *value,
		       const char *base_path, struct diags *out)
{
	int exprs = 0;
	struct vctx c = {out, 0, &exprs};
	size_t before = out->n;

	if (!schema || !value)
		return 0;
	pthread_once(&load_once, load_all);
	validate(&c, schema, schema, value, base_path ? base_path : "", 0);
	return out->n - before;
}

/* ---------------------------------------------------------------- */
/* Property lookup */

/* The subschema for one segment below node, searching the branches of
 * allOf/anyOf/oneOf/if-then-else when properties does not have it. */
static const json_t *child_schema(const json_t *root, const json_t *node,
				  const char *seg, const json_t **root_out,
				  int depth)
{
	static const char *const branches[] = {"allOf", "anyOf", "oneOf"};
	const json_t *r = root, *c;
	size_t i, j;
	json_t *a;

	node = schema_deref(root, node, &r);
	if (!node || depth > MAX_DEPTH)
		return NULL;
	c = json_object_get(json_object_get(node, "properties"), seg);
	if (c)
		return schema_deref(r, c, root_out);
	if (seg[0] >= '0' && seg[0] <= '9') {
		c = json_object_get(node, "items");
		if (c)
			return schema_deref(r, c, root_out);
	}
	for (i = 0; i < ARRAY_SIZE(branches); i++)
		json_array_foreach (json_object_get(node, branches[i]), j, a) {
			c = child_schema(r, a, seg, root_out, depth + 1);
			if (c)
				return c;
		}
	c = json_object_get(node, "additionalProperties");
	if (json_is_object(c))
		return schema_deref(r, c, root_out);
	return NULL;
}

/* Walk path below the type's schema; flags of the nodes passed (may be
 * NULL).  Returns the final node or NULL. */
static const json_t *walk(const char *type, const char *path, unsigned *flags)
{
	const json_t *root = schema_get(type), *node = root;
	char *copy, *seg, *save = NULL, *p, *q;

	if (flags)
		*flags = 0;
	if (!root || !path || !*path)
		return NULL;
	copy = xstrdup(path);
	/* "zones[0]" → "zones.0" */
	for (p = q = copy; *p; p++) {
		if (*p == '[')
			*q++ = '.';
		else if (*p != ']')
			*q++ = *p;
	}
	*q = '\0';
	for (seg = strtok_r(copy, ".", &save); seg && node;
	     seg = strtok_r(NULL, ".", &save)) {
		node = child_schema(root, node, seg, &root, 0);
		if (node && flags) {
			if (json_is_true(json_object_get(node, "x-force-new")))
				*flags |= SCHEMA_FORCE_NEW;
			if (json_is_true(json_object_get(node, "x-sensitive")))
				*flags |= SCHEMA_SENSITIVE;
			if (json_is_true(json_object_get(node, "x-computed")))
				*flags |= SCHEMA_COMPUTED;
		}
	}
	free(copy);
	if (!node && flags)
		*flags = 0;
	return node;
}

const json_t *schema_property(const char *type, const char *path)
{
	if (!type || !strcmp(type, "manifest"))
		return NULL;
	return walk(type, path, NULL);
}

/*
 * Flags by "type\npath": a plan asks for the same few paths of every one
 * of thousands of objects.  Kept for the process, like the patterns; the
 * key space is bounded by the schemas (and the array indices used).
 */
static json_t *flag_cache;
static pthread_mutex_t flag_lock = PTHREAD_MUTEX_INITIALIZER;

unsigned schema_property_flags(const char *type, const char *path)
{
	char key[512];
	json_t *hit;
	unsigned f;
	size_t tn, pn;

	if (!type || !strcmp(type, "manifest"))
		return 0;
	/* "TYPE\nPATH" (called for every property of every resource of a
	 * plan: no snprintf). */
	tn = strlen(type);
	pn = path ? strlen(path) : 0;
	if (tn + 1 + pn >= sizeof(key)) {
		walk(type, path, &f);
		return f;
	}
	memcpy(key, type, tn);
	key[tn] = '\n';
	memcpy(key + tn + 1, path ? path : "", pn);
	key[tn + 1 + pn] = '\0';
	pthread_mutex_lock(&flag_lock);
	if (!flag_cache)
		flag_cache = json_object();
	hit = json_object_get(flag_cache, key);
	if (hit) {
		f = (unsigned)json_integer_value(hit);
		pthread_mutex_unlock(&flag_lock);
		return f;
	}
	pthread_mutex_unlock(&flag_lock);
	walk(type, path, &f);
	pthread_mutex_lock(&flag_lock);
	json_object_set_new(flag_cache, key, json_integer((json_int_t)f));
	pthread_mutex_unlock(&flag_lock);
	return f;
}

static int any_sensitive(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		if (json_is_true(json_object_get(v, "x-sensitive")))
			return 1;
		json_object_foreach ((json_t *)v, k, x)
			if (any_sensitive(x))
				return 1;
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, x)
			if (any_sensitive(x))
				return 1;
	}
	return 0;
}

int schema_has_sensitive(const char *type)
{
	char key[256];
	json_t *hit;
	int yes;

	if (!type || !strcmp(type, "manifest"))
		return 0;
	snprintf(key, sizeof(key), "*sensitive\n%s", type);
	pthread_mutex_lock(&flag_lock);
	if (!flag_cache)
		flag_cache = json_object();
	hit = json_object_get(flag_cache, key);
	if (!hit) {
		/* The whole schema, $defs included: conservative. */
		yes = any_sensitive(schema_get(type));
		json_object_set_new(flag_cache, key, json_integer(yes));
	} else {
		yes = (int)json_integer_value(hit);
	}
	pthread_mutex_unlock(&flag_lock);
	return yes;
}

int schema_has_attribute(const char *type, const char *attr,
			 const char **suggest)
{
	const json_t *s, *props;
	const char *k, *best = NULL;
	size_t bestd = (size_t)-1;
	json_t *x;

	if (suggest)
		*suggest = NULL;
	if (!type || !attr || !strcmp(type, "manifest"))
		return 0;
	s = schema_get(type);
	props = json_object_get(s, "properties");
	if (!props)
		return 0;
	if (json_object_get(props, attr))
		return 1;
	json_object_foreach ((json_t *)props, k, x) {
		size_t d = str_edit_distance(attr, k);
		size_t limit = strlen(k) / 3 + 1;

		if (limit < 2)
			limit = 2;
		if (d <= limit &&
		    (d < bestd || (d == bestd && strcmp(k, best) < 0))) {
			bestd = d;
			best = k;
		}
	}
	if (suggest)
		*suggest = best;
	return 0;
}

/* ---------------------------------------------------------------- */
/* Bundling */

/* Rewrite file references below node to "#/$defs/<name>", copying each
 * referenced schema into defs once. */
static void bundle_refs(json_t *node, json_t *defs, int depth)
{
	const char *k;
	char **keys;
	json_t *x;
	size_t i, nkeys = 0;

	if (depth > MAX_DEPTH)
		return;
	if (json_is_array(node)) {
		json_array_foreach (node, i, x)
			bundle_refs(x, defs, depth + 1);
		return;
	}
	if (!json_is_object(node))
		return;
	/* Keys first: defs (maybe an object below node) grows meanwhile. */
	keys = xcalloc(json_object_size(node) + 1, sizeof(*keys));
	json_object_foreach (node, k, x)
		keys[nkeys++] = xstrdup(k);
	for (i = 0; i < nkeys; i++) {
		const char *ref, *hash;
		char *name, *fixed;
		size_t len;

		k = keys[i];
		x = json_object_get(node, k);
		if (strcmp(k, "$ref") || !json_is_string(x)) {
			bundle_refs(x, defs, depth + 1);
			continue;
		}
		ref = json_string_value(x);
		if (ref[0] == '#')
			continue;
		hash = strchr(ref, '#');
		len = hash ? (size_t)(hash - ref) : strlen(ref);
		name = xstrndup(ref, len);
		if (str_ends_with(name, ".json"))
			name[len - 5] = '\0';
		if (str_ends_with(name, ".schema"))
			name[strlen(name) - 7] = '\0';
		if (!json_object_get(defs, name) && schema_get(name)) {
			json_t *copy = json_deep_copy(schema_get(name));

			json_object_del(copy, "$schema");
			json_object_del(copy, "$id");
			/* Type schemas use no "#/…" references of their
			 * own (the tests check), so the copy needs no
			 * rewriting beyond its file references. */
			json_object_set_new(defs, name, copy);
			bundle_refs(copy, defs, depth + 1);
		}
		fixed = hash && hash[1]
			    ? xasprintf("#/$defs/%s%s", name, hash + 1)
			    : xasprintf("#/$defs/%s", name);
		json_object_set_new(node, k, json_string(fixed));
		free(fixed);
		free(name);
	}
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
}

json_t *schema_bundle(const char *name)
{
	const json_t *s = schema_get(name);
	json_t *copy, *defs;

	if (!s)
		return NULL;
	copy = json_deep_copy(s);
	defs = json_object_get(copy, "$defs");
	if (!json_is_object(defs)) {
		defs = json_object();
		json_object_set_new(copy, "$defs", defs);
	}
	bundle_refs(copy, defs, 0);
	return copy;
}
