#include "json.h"

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
	json_error_t je;

	*out = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!*out)
		return err_set(e, DCF_EINVALID, "%s:%d:%d: invalid JSON: %s",
			       what, je.line, je.column, je.text);
	return 0;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return buf_add(data, buffer, size);
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
