/*
 * json.h: small helpers over jansson.
 *
 * Getters return borrowed values (or a default when the key is missing or
 * of another type); they never take or give references.
 */
#ifndef DCFORM_JSON_H
#define DCFORM_JSON_H

#include <stdint.h>
#include <jansson.h>
#include "buf.h"
#include "err.h"

const char *json_get_str(const json_t *obj, const char *key, const char *def);
int64_t json_get_int(const json_t *obj, const char *key, int64_t def);
int json_get_bool(const json_t *obj, const char *key, int def);
/* Borrowed value at a dotted path such as "a.b.0.c" (numbers index arrays). */
json_t *json_path_get(const json_t *root, const char *path);
/* Parse text (len bytes) into *out (a new reference). */
int json_parse(json_t **out, const char *text, size_t len, const char *what,
	       struct err *e);
/*
 * Parse len bytes of JSON, any value at the top, into a new reference:
 * what json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL) accepts and builds,
 * several times faster, with equal short strings and integers shared
 * within the document (parsed scalars are one value referenced from
 * every place they occur: never change one in place).  NULL on error,
 * with where and why in *err (may be NULL).  json_parse.c.
 */
struct json_load_err {
	int line, column; /* 1-based; the column counts bytes */
	char text[120];
};
json_t *json_load_fast(const char *text, size_t len, struct json_load_err *err);
/* Compact, key-sorted serialisation appended to b. */
int json_dump_buf(struct buf *b, const json_t *v, size_t flags);

/*
 * json_dumps whose text is freed with free(): jansson allocates through
 * dcform's pool (core/util/jpool.c), whose blocks free() must never see.
 * Use it instead of json_dumps everywhere in dcform.
 */
char *json_dumps_malloc(const json_t *v, size_t flags);
/*
 * Byte for byte json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS), several
 * times faster on large documents (the state of 10,000 objects is
 * serialised on every commit).  Appended to b; -1 when v holds a value
 * JSON cannot represent (NaN).
 */
int json_dump_indented(struct buf *b, const json_t *v);
/* Merge src into dst recursively: objects member by member, anything
 * else replaces (src borrowed). */
void json_deep_update(json_t *dst, const json_t *src);

/* Name of a value's type as users read it: "string", "integer", … */
const char *json_type_name(const json_t *v);

#endif
