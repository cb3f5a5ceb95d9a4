/*
 * yaml.c: libyaml events to jansson values, keeping every value's
 * position.  YAML 1.2 core schema for plain scalars; quoted scalars are
 * always strings.  Aliases are refused (no expansion, so no "billion
 * laughs"); depth and node count are bounded.
 */
#include "manifest.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/util/buf.h"
#include "core/util/util.h"

void srcmap_init(struct srcmap *m)
{
	memset(m, 0, sizeof(*m));
	m->index = json_object();
}

void srcmap_release(struct srcmap *m)
{
	size_t i;

	json_decref(m->index);
	free(m->v);
	for (i = 0; i < m->nfiles; i++)
		free(m->files[i]);
	free(m->files);
	memset(m, 0, sizeof(*m));
}

const char *srcmap_file(struct srcmap *m, const char *file)
{
	ALLOC_GROW(m->files, m->nfiles + 1, m->files_alloc);
	m->files[m->nfiles] = xstrdup(file);
	return m->files[m->nfiles++];
}

void srcmap_set(struct srcmap *m, const char *path, const char *file, int line,
		int col)
{
	if (json_object_get(m->index, path))
		return;
	ALLOC_GROW(m->v, m->n + 1, m->alloc);
	m->v[m->n].file = file;
	m->v[m->n].line = line;
	m->v[m->n].col = col;
	m->v[m->n].verbatim = -1;
	json_object_set_new(m->index, path, json_integer((json_int_t)m->n));
	m->n++;
}

void srcmap_set_verbatim(struct srcmap *m, const char *path, int verbatim)
{
	json_t *i = json_object_get(m->index, path);

	if (i)
		m->v[json_integer_value(i)].verbatim = verbatim;
}

const struct srcpos *srcmap_get(const struct srcmap *m, const char *path)
{
	char *p = xstrdup(path ? path : "");
	const struct srcpos *r = NULL;

	for (;;) {
		json_t *i = json_object_get(m->index, p);
		char *cut;

		if (i) {
			r = &m->v[json_integer_value(i)];
			break;
		}
		if (!*p)
			break;
		{
			char *dot = strrchr(p, '.'), *br = strrchr(p, '[');

			cut = !dot || (br && br > dot) ? br : dot;
		}
		if (cut)
			*cut = '\0';
		else
			*p = '\0';
	}
	free(p);
	return r;
}

json_t *yaml_plain_scalar(const char *s, const char **why)
{
	const char *p = s;
	char *end;
	int digits = 0;

	*why = NULL;
	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	    !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return json_false();
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) && s[2]) {
		int base = s[1] == 'x' ? 16 : 8;
		unsigned long long u;

		errno = 0;
		u = strtoull(s + 2, &end, base);
		if (!*end && s[2] != '-' && s[2] != '+' && s[2] != ' ') {
			if (errno || u > (unsigned long long)INT64_MAX) {
				*why = "integer out of range";
				return NULL;
			}
			return json_integer((json_int_t)u);
		}
		return json_string(s);
	}
	if (*p == '-' || *p == '+')
		p++;
	if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF") ||
	    !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*why = "infinite and NaN numbers are not supported";
		return NULL;
	}
	/* [-+]?[0-9]+ */
	while (*p >= '0' && *p <= '9') {
		p++;
		digits++;
	}
	if (digits && !*p) {
		long long i;

		errno = 0;
		i = strtoll(s, &end, 10);
		if (errno == ERANGE) {
			*why = "integer out of range";
			return NULL;
		}
		return json_integer(i);
	}
	/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
	}
	if (!digits)
		return json_string(s);
	if (*p == 'e' || *p == 'E') {
		int ed = 0;

		p++;
		if (*p == '-' || *p == '+')
			p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			ed++;
		}
		if (!ed)
			return json_string(s);
	}
	if (*p)
		return json_string(s);
	{
		double d = strtod(s, &end);

		if (isinf(d)) {
			*why = "number out of range";
			return NULL;
		}
		return json_real(d);
	}
}

/* Check s is valid UTF-8; on failure set line and column of the bad
 * byte. */
static int check_utf8(const unsigned char *s, size_t len, int *line, int *col)
{
	size_t i = 0;
	int l = 1, c = 1;

	while (i < len) {
		unsigned char b = s[i];
		size_t n, k;
		unsigned cp;

		if (b < 0x80) {
			if (b == '\n') {
				l++;
				c = 1;
			} else {
				c++;
			}
			i++;
			continue;
		}
		if ((b & 0xe0) == 0xc0 && b >= 0xc2) {
			n = 1;
			cp = b & 0x1f;
		} else if ((b & 0xf0) == 0xe0) {
			n = 2;
			cp = b & 0x0f;
		} else if ((b & 0xf8) == 0xf0 && b <= 0xf4) {
			n = 3;
			cp = b & 0x07;
		} else {
			goto bad;
		}
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 &&
		     (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			goto bad;
		i += n + 1;
		c++;
	}
	return 0;
bad:
	*line = l;
	*col = c;
	return -1;
}

struct reader {
	yaml_parser_t p;
	const char *file;
	const char *text;
	size_t len;
	struct diags *d;
	struct yaml_doc *doc;
	size_t nodes;
	size_t errors;
	int failed; /* parse error: stop */
};

static void err_at(struct reader *r, const yaml_mark_t *m, const char *path,
		   const char *fmt, ...) PRINTF_LIKE(4, 5);
static void err_at(struct reader *r, const yaml_mark_t *m, const char *path,
		   const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diags_add(r->d, r->file, (int)m->line + 1, (int)m->column + 1,
		  path && *path ? path : NULL, "%s", msg);
	free(msg);
	r->errors++;
}

static int next_event(struct reader *r, yaml_event_t *ev)
{
	if (yaml_parser_parse(&r->p, ev))
		return 0;
	{
		const yaml_mark_t *m = &r->p.problem_mark;
		size_t off = m->index;
		const char *problem = r->p.problem ? r->p.problem : "error";

		if (r->p.error == YAML_READER_ERROR) {
			yaml_mark_t mm = {r->p.problem_offset, 0, 0};
			size_t i;

			for (i = 0; i < r->p.problem_offset && i < r->len;
			     i++) {
				if (r->text[i] == '\n') {
					mm.line++;
					mm.column = 0;
				} else if (((unsigned char)r->text[i] & 0xc0) !=
					   0x80) {
					mm.column++;
				}
			}
			err_at(r, &mm, NULL, "yaml: %s", problem);
		} else if (off < r->len && r->text[off] == '\t') {
			err_at(r, m, NULL,
			       "yaml: tab character where "
			       "indentation or a token was expected; indent "
			       "with spaces");
		} else if (r->p.context) {
			err_at(r, m, NULL, "yaml: %s %s", problem,
			       r->p.context);
		} else {
			err_at(r, m, NULL, "yaml: %s", problem);
		}
	}
	r->failed = 1;
	return -1;
}

static char *child_path(const char *base, const char *key)
{
	return *base ? xasprintf("%s.%s", base, key) : xstrdup(key);
}

static json_t *read_node(struct reader *r, yaml_event_t *ev, const char *path,
			 int depth);

/* Read events up to and including the matching end; NULL on failure. */
static json_t *read_mapping(struct reader *r, const char *path, int depth)
{
	json_t *o = json_object();
	yaml_event_t ev;

	for (;;) {
		json_t *v;
		char *kpath, *key;
		yaml_mark_t km;

		if (next_event(r, &ev) < 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return o;
		}
		km = ev.start_mark;
		if (ev.type == YAML_ALIAS_EVENT) {
			err_at(r, &km, path,
			       "yaml: aliases (*%s) are not "
			       "supported; write the value out",
			       (const char *)ev.data.alias.anchor);
			yaml_event_delete(&ev);
			r->failed = 1;
			goto fail;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			err_at(r, &km, path,
			       "mapping keys must be strings, "
			       "not %s",
			       ev.type == YAML_MAPPING_START_EVENT ? "mappings"
								   : "lists");
			yaml_event_delete(&ev);
			r->failed = 1;
			goto fail;
		}
		key = xstrndup((const char *)ev.data.scalar.value,
			       ev.data.scalar.length);
		yaml_event_delete(&ev);
		if (strlen(key) == 0) {
			err_at(r, &km, path, "empty mapping key");
			free(key);
			r->failed = 1;
			goto fail;
		}
		kpath = child_path(path, key);
		if (json_object_get(o, key)) {
			const struct srcpos *first =
			    srcmap_get(&r->doc->keys, kpath);

			err_at(r, &km, kpath,
			       "duplicate key '%s' (first at "
			       "line %d, column %d)",
			       key, first ? first->line : 0,
			       first ? first->col : 0);
		} else {
			srcmap_set(&r->doc->keys, kpath, r->file,
				   (int)km.line + 1, (int)km.column + 1);
		}
		if (next_event(r, &ev) < 0) {
			free(key);
			free(kpath);
			goto fail;
		}
		v = read_node(r, &ev, kpath, depth + 1);
		free(kpath);
		if (!v) {
			free(key);
			goto fail;
		}
		if (!json_object_get(o, key))
			json_object_set_new(o, key, v);
		else
			json_decref(v);
		free(key);
	}
fail:
	json_decref(o);
	return NULL;
}

static json_t *read_sequence(struct reader *r, const char *path, int depth)
{
	json_t *a = json_array();
	yaml_event_t ev;

	for (;;) {
		json_t *v;
		char *ipath;

		if (next_event(r, &ev) < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return a;
		}
		ipath = xasprintf("%s[%zu]", path, json_array_size(a));
		v = read_node(r, &ev, ipath, depth + 1);
		free(ipath);
		if (!v)
			goto fail;
		json_array_append_new(a, v);
	}
fail:
	json_decref(a);
	return NULL;
}

static int is_core_tag(const char *tag, const char *what)
{
	return !strcmp(tag, what);
}

/* Consumes ev. */
static json_t *read_node(struct reader *r, yaml_event_t *ev, const char *path,
			 int depth)
{
	yaml_mark_t m = ev->start_mark;
	json_t *v = NULL;
	const char *tag = NULL;

	if (++r->nodes > MANIFEST_MAX_NODES) {
		err_at(r, &m, path, "too many values in one file (limit %d)",
		       MANIFEST_MAX_NODES);
		r->failed = 1;
		goto out;
	}
	if (depth > MANIFEST_MAX_DEPTH) {
		err_at(r, &m, path, "nesting deeper than %d levels",
		       MANIFEST_MAX_DEPTH);
		r->failed = 1;
		goto out;
	}
	srcmap_set(&r->doc->vals, path, r->file, (int)m.line + 1,
		   (int)m.column + 1);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		err_at(r, &m, path,
		       "yaml: aliases (*%s) are not supported; "
		       "write the value out",
		       (const char *)ev->data.alias.anchor);
		r->failed = 1;
		break;
	case YAML_SCALAR_EVENT: {
		const char *s = (const char *)ev->data.scalar.value;
		size_t n = ev->data.scalar.length;
		const char *why = NULL;

		tag = (const char *)ev->data.scalar.tag;
		if (memchr(s, '\0', n)) {
			err_at(r, &m, path,
			       "strings may not hold NUL "
			       "characters");
			r->failed = 1;
			break;
		}
		if (tag && !is_core_tag(tag, "tag:yaml.org,2002:str") &&
		    !(ev->data.scalar.plain_implicit && !strcmp(tag, "!"))) {
			err_at(r, &m, path,
			       "unsupported tag '%s': only !!str "
			       "is allowed on values",
			       tag);
			r->failed = 1;
			break;
		}
		{
			/* Verbatim: one line, the same bytes as the value. */
			int q = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
				    ? 0
				: ev->data.scalar.style ==
					    YAML_SINGLE_QUOTED_SCALAR_STYLE ||
					ev->data.scalar.style ==
					    YAML_DOUBLE_QUOTED_SCALAR_STYLE
				    ? 1
				    : -1;
			size_t at = m.index + (q > 0 ? 1 : 0);

			if (q >= 0 && ev->end_mark.line == m.line &&
			    at + n <= r->len && !memcmp(r->text + at, s, n))
				srcmap_set_verbatim(&r->doc->vals, path, q);
		}
		if (!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			v = yaml_plain_scalar(s, &why);
			if (!v) {
				err_at(r, &m, path, "%s: '%s'", why, s);
				r->failed = 1;
			}
		} else {
			v = json_stringn(s, n);
		}
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
		tag = (const char *)ev->data.sequence_start.tag;
		if (tag && !is_core_tag(tag, "tag:yaml.org,2002:seq")) {
			err_at(r, &m, path, "unsupported tag '%s'", tag);
			r->failed = 1;
			break;
		}
		yaml_event_delete(ev);
		return read_sequence(r, path, depth);
	case YAML_MAPPING_START_EVENT:
		tag = (const char *)ev->data.mapping_start.tag;
		if (tag && !is_core_tag(tag, "tag:yaml.org,2002:map")) {
			err_at(r, &m, path, "unsupported tag '%s'", tag);
			r->failed = 1;
			break;
		}
		yaml_event_delete(ev);
		return read_mapping(r, path, depth);
	default:
		err_at(r, &m, path, "yaml: unexpected event");
		r->failed = 1;
		break;
	}
out:
	yaml_event_delete(ev);
	return v;
}

void yaml_docs_free(struct yaml_doc *docs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_decref(docs[i].value);
		srcmap_release(&docs[i].vals);
		srcmap_release(&docs[i].keys);
	}
	free(docs);
}

size_t yaml_parse_docs(struct yaml_doc **docs, size_t *n, const char *file,
		       const char *text, size_t len, struct diags *d)
{
	struct reader r;
	struct yaml_doc *v = NULL;
	size_t nv = 0, alloc = 0;
	int line, col, ndoc = 0;
	yaml_event_t ev;

	*docs = NULL;
	*n = 0;
	memset(&r, 0, sizeof(r));
	r.file = file;
	r.text = text;
	r.len = len;
	r.d = d;
	if (len > MANIFEST_MAX_FILE) {
		diags_add(d, file, 0, 0, NULL, "file is larger than %u bytes",
			  MANIFEST_MAX_FILE);
		return 1;
	}
	if (check_utf8((const unsigned char *)text, len, &line, &col) < 0) {
		diags_add(d, file, line, col, NULL,
			  "file is not valid UTF-8 (invalid byte here)");
		return 1;
	}
	yaml_parser_initialize(&r.p);
	yaml_parser_set_encoding(&r.p, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&r.p, (const unsigned char *)text, len);
	for (;;) {
		if (next_event(&r, &ev) < 0)
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type != YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		yaml_event_delete(&ev);
		ndoc++;
		if (next_event(&r, &ev) < 0)
			break;
		ALLOC_GROW(v, nv + 1, alloc);
		r.doc = &v[nv];
		memset(r.doc, 0, sizeof(*r.doc));
		srcmap_init(&r.doc->vals);
		srcmap_init(&r.doc->keys);
		nv++;
		if (ev.type == YAML_SCALAR_EVENT &&
		    ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    ev.data.scalar.length == 0) {
			yaml_mark_t m = ev.start_mark;

			yaml_event_delete(&ev);
			diags_warn(d, file, (int)m.line + 1, (int)m.column + 1,
				   NULL, "empty document");
		} else {
			r.doc->value = read_node(&r, &ev, "", 0);
			if (r.failed || !r.doc->value) {
				r.failed = 1;
				break;
			}
			if (r.doc->value && !json_is_object(r.doc->value)) {
				yaml_mark_t m = {0, 0, 0};
				const struct srcpos *p =
				    srcmap_get(&r.doc->vals, "");

				m.line = p ? (size_t)p->line - 1 : 0;
				m.column = p ? (size_t)p->col - 1 : 0;
				err_at(&r, &m, NULL,
				       "a manifest document must "
				       "be a mapping (providers, variables, "
				       "resources, outputs, backend), not %s",
				       json_is_array(r.doc->value)
					   ? "a list"
					   : "a single value");
				json_decref(r.doc->value);
				r.doc->value = NULL;
			}
		}
		if (next_event(&r, &ev) < 0)
			break;
		yaml_event_delete(&ev); /* DOCUMENT-END */
		if (!r.doc->value) {
			srcmap_release(&r.doc->vals);
			srcmap_release(&r.doc->keys);
			nv--;
		}
	}
	if (!r.failed && ndoc == 0)
		diags_warn(d, file, 1, 1, NULL, "file is empty");
	yaml_parser_delete(&r.p);
	if (r.failed) {
		/* Keep nothing from a file that does not parse. */
		yaml_docs_free(v, nv);
		return r.errors;
	}
	*docs = v;
	*n = nv;
	return r.errors;
}
