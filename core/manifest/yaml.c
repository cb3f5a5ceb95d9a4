/*
 * yaml.c: libyaml events to jansson with positions.  See yaml.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/manifest/yaml.h"
#include "core/util/buf.h"
#include "core/util/err.h"
#include "core/util/fs.h"
#include "core/util/util.h"

void posmap_init(struct posmap *pm)
{
	pm->map = json_object();
	pm->files = NULL;
	pm->nfiles = 0;
}

void posmap_release(struct posmap *pm)
{
	size_t i;

	json_decref(pm->map);
	pm->map = NULL;
	for (i = 0; i < pm->nfiles; i++)
		free(pm->files[i]);
	free(pm->files);
	pm->files = NULL;
	pm->nfiles = 0;
}

static size_t file_index(struct posmap *pm, const char *file)
{
	size_t i;

	for (i = 0; i < pm->nfiles; i++)
		if (!strcmp(pm->files[i], file))
			return i;
	pm->files = xrealloc(pm->files, (pm->nfiles + 1) * sizeof(char *));
	pm->files[pm->nfiles] = xstrdup(file);
	return pm->nfiles++;
}

void posmap_set(struct posmap *pm, const char *path, const char *file,
		int line, int col)
{
	json_object_set_new(pm->map, path,
			    json_pack("[I,i,i]",
				      (json_int_t)file_index(pm, file), line,
				      col));
}

int posmap_get(const struct posmap *pm, const char *path, struct pos *out)
{
	char *p = xstrdup(path ? path : "");

	for (;;) {
		json_t *v = json_object_get(pm->map, p);
		char *cut;

		if (v) {
			size_t fi = (size_t)json_integer_value(
				json_array_get(v, 0));
			out->file = fi < pm->nfiles ? pm->files[fi] : NULL;
			out->line = (int)json_integer_value(
				json_array_get(v, 1));
			out->col = (int)json_integer_value(
				json_array_get(v, 2));
			free(p);
			return 1;
		}
		if (!*p)
			break;
		/* Drop the last ".key", "[N]" or "#key". */
		cut = p + strlen(p);
		while (cut > p && cut[-1] != '.' && cut[-1] != '[' &&
		       cut[-1] != '#')
			cut--;
		if (cut > p)
			cut--;
		*cut = '\0';
	}
	free(p);
	memset(out, 0, sizeof(*out));
	return 0;
}

void posmap_copy_prefix(struct posmap *pm, const char *from, const char *to)
{
	size_t n = strlen(from);
	json_t *add = json_object(), *v;
	const char *k;

	json_object_foreach(pm->map, k, v) {
		if (strncmp(k, from, n) ||
		    (k[n] && k[n] != '.' && k[n] != '[' && k[n] != '#'))
			continue;
		char *nk = xasprintf("%s%s", to, k + n);
		json_object_set(add, nk, v);
		free(nk);
	}
	json_object_update(pm->map, add);
	json_decref(add);
}

char *path_key(const char *path, const char *key)
{
	return *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

char *path_index(const char *path, size_t i)
{
	return xasprintf("%s[%zu]", path, i);
}

struct reader {
	yaml_parser_t p;
	const char *text;
	size_t len;
	const char *file;
	struct posmap *pm;
	struct diags *d;
	size_t nodes;
	int failed;
};

static void problem(struct reader *r, const yaml_mark_t *m, const char *fmt,
		    const char *a, const char *b)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, a ? a : "", b ? b : "");
	diags_add(r->d, r->file, (int)m->line + 1, (int)m->column + 1, NULL,
		  "%s", msg);
	r->failed = 1;
}

static int next(struct reader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&r->p, ev)) {
		const char *what = r->p.problem ? r->p.problem : "syntax error";
		char msg[512];

		if (r->p.context)
			snprintf(msg, sizeof(msg), "invalid YAML: %s %s",
				 what, r->p.context);
		else
			snprintf(msg, sizeof(msg), "invalid YAML: %s", what);
		if (r->p.problem_mark.line || r->p.problem_mark.column ||
		    !r->p.problem_offset)
			diags_add(r->d, r->file,
				  (int)r->p.problem_mark.line + 1,
				  (int)r->p.problem_mark.column + 1, NULL,
				  "%s", msg);
		else {
			/* Encoding errors come with a byte offset only. */
			size_t i, off = r->p.problem_offset;
			int line = 1, col = 1;

			for (i = 0; i < off && i < r->len; i++) {
				if (r->text[i] == '\n') {
					line++;
					col = 1;
				} else if (((unsigned char)r->text[i] & 0xc0) !=
					   0x80) {
					col++;
				}
			}
			diags_add(r->d, r->file, line, col, NULL, "%s", msg);
		}
		r->failed = 1;
		return -1;
	}
	return 0;
}

static int is_int(const char *s)
{
	const char *p = s;

	if (*p == '-' || *p == '+')
		p++;
	if (!*p)
		return 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o'))
		return 0; /* keep 0x / 0o literals as strings: never needed */
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

static json_t *scalar(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	char *end;

	if (tag && !strcmp(tag, YAML_STR_TAG))
		return json_stringn(s, ev->data.scalar.length);
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(s, ev->data.scalar.length);
	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	    !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return json_false();
	if (is_int(s)) {
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (!errno && !*end)
			return json_integer(v);
		return json_string(s);
	}
	if (((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' ||
	     s[0] == '.') &&
	    !strpbrk(s, "xXnNiIpP")) { /* no hex floats, inf, nan */
		double v = strtod(s, &end);

		if (!*end && end != s && strcmp(s, ".") && strcmp(s, "-") &&
		    strcmp(s, "+"))
			return json_real(v);
	}
	return json_stringn(s, ev->data.scalar.length);
}

static json_t *node(struct reader *r, yaml_event_t *ev, const char *path,
		    int depth);

static json_t *mapping(struct reader *r, const char *path, int depth)
{
	json_t *obj = json_object();
	yaml_event_t ev;

	for (;;) {
		json_t *val;
		char *key, *kpath, *kkey;

		if (next(r, &ev) < 0)
			break;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return obj;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			problem(r, &ev.start_mark,
				ev.type == YAML_ALIAS_EVENT
					? "YAML aliases are not supported in "
					  "manifests%s%s"
					: "mapping keys must be plain strings%s"
					  "%s",
				NULL, NULL);
			yaml_event_delete(&ev);
			break;
		}
		key = xstrndup((const char *)ev.data.scalar.value,
			       ev.data.scalar.length);
		kpath = path_key(path, key);
		kkey = xasprintf("%s#%s", path, key);
		if (json_object_get(obj, key)) {
			struct pos first;
			char where[64] = "";

			if (posmap_get(r->pm, kkey, &first))
				snprintf(where, sizeof(where), "%d:%d",
					 first.line, first.col);
			problem(r, &ev.start_mark,
				"duplicate key '%s' (first defined at %s)",
				key, where);
		} else {
			posmap_set(r->pm, kkey, r->file,
				   (int)ev.start_mark.line + 1,
				   (int)ev.start_mark.column + 1);
		}
		yaml_event_delete(&ev);
		if (next(r, &ev) < 0) {
			free(key);
			free(kpath);
			free(kkey);
			break;
		}
		val = node(r, &ev, kpath, depth + 1);
		if (val && !json_object_get(obj, key))
			json_object_set_new(obj, key, val);
		else
			json_decref(val);
		free(key);
		free(kpath);
		free(kkey);
		if (r->failed && !val)
			break;
	}
	json_decref(obj);
	return NULL;
}

static json_t *sequence(struct reader *r, const char *path, int depth)
{
	json_t *arr = json_array();
	yaml_event_t ev;

	for (;;) {
		json_t *val;
		char *ipath;

		if (next(r, &ev) < 0)
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return arr;
		}
		ipath = path_index(path, json_array_size(arr));
		val = node(r, &ev, ipath, depth + 1);
		free(ipath);
		if (!val)
			break;
		json_array_append_new(arr, val);
	}
	json_decref(arr);
	return NULL;
}

/* Consumes ev (deletes it). */
static json_t *node(struct reader *r, yaml_event_t *ev, const char *path,
		    int depth)
{
	json_t *v = NULL;
	yaml_mark_t m = ev->start_mark;

	if (++r->nodes > YAML_MAX_NODES) {
		problem(r, &m, "too many values in one file (more than %s)%s",
			"100000", NULL);
		yaml_event_delete(ev);
		return NULL;
	}
	if (depth > YAML_MAX_DEPTH) {
		problem(r, &m, "nesting deeper than %s levels%s", "64", NULL);
		yaml_event_delete(ev);
		return NULL;
	}
	posmap_set(r->pm, path, r->file, (int)m.line + 1, (int)m.column + 1);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		v = scalar(ev);
		if (!v) /* invalid UTF-8 slipped through */
			problem(r, &m, "value is not valid UTF-8%s%s", NULL,
				NULL);
		yaml_event_delete(ev);
		return v;
	case YAML_SEQUENCE_START_EVENT:
		yaml_event_delete(ev);
		return sequence(r, path, depth);
	case YAML_MAPPING_START_EVENT:
		yaml_event_delete(ev);
		return mapping(r, path, depth);
	case YAML_ALIAS_EVENT:
		problem(r, &m,
			"YAML aliases are not supported in manifests; write "
			"the value out or use a variable%s%s",
			NULL, NULL);
		break;
	default:
		problem(r, &m, "unexpected YAML event%s%s", NULL, NULL);
		break;
	}
	yaml_event_delete(ev);
	return NULL;
}

size_t yaml_parse(json_t **out, const char *file, const char *text,
		  size_t len, struct posmap *pm, struct diags *d)
{
	struct reader r;
	json_t *docs = json_array();
	yaml_event_t ev;
	size_t before = d->n;
	int ndoc = 0;

	memset(&r, 0, sizeof(r));
	r.file = file;
	r.pm = pm;
	r.d = d;
	r.text = text;
	r.len = len;
	if (!yaml_parser_initialize(&r.p))
		BUG("yaml_parser_initialize");
	yaml_parser_set_input_string(&r.p, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&r.p, YAML_UTF8_ENCODING);

	while (!r.failed) {
		json_t *v;

		if (next(&r, &ev) < 0)
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
		if (next(&r, &ev) < 0)
			break;
		ndoc++;
		if (ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		v = node(&r, &ev, "", 0);
		if (v)
			json_array_append_new(docs, v);
		if (r.failed)
			break;
		if (next(&r, &ev) < 0)
			break;
		yaml_event_delete(&ev); /* DOCUMENT_END */
	}
	yaml_parser_delete(&r.p);
	*out = docs;
	return d->n - before;
}

size_t yaml_load_file(json_t **out, const char *file, struct posmap *pm,
		      struct diags *d)
{
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;
	size_t n;

	if (fs_read_file(&b, file, YAML_MAX_FILE, &e) < 0) {
		diags_add(d, file, 0, 0, NULL, "%s", e.msg);
		*out = json_array();
		buf_release(&b);
		return 1;
	}
	if (memchr(b.ptr, '\0', b.len)) {
		diags_add(d, file, 1, 1, NULL,
			  "file contains NUL bytes; manifests are UTF-8 text");
		*out = json_array();
		buf_release(&b);
		return 1;
	}
	n = yaml_parse(out, file, b.ptr, b.len, pm, d);
	buf_release(&b);
	return n;
}
