/*
 * props.c: schema marks, property comparison and redaction for the plan.
 */
#include <stdlib.h>
#include <string.h>

#include "core/plan/props.h"
#include "core/schema/schema.h"
#include "core/util/buf.h"
#include "core/util/hash.h"
#include "core/util/json.h"
#include "core/util/util.h"

unsigned props_flags(const char *type, const char *path)
{
	unsigned f = schema_property_flags(type, path), out = 0;

	if (f & SCHEMA_FORCE_NEW)
		out |= PROP_FORCE_NEW;
	if (f & SCHEMA_SENSITIVE)
		out |= PROP_SENSITIVE;
	if (f & SCHEMA_COMPUTED)
		out |= PROP_COMPUTED;
	return out;
}

int props_has_unknown(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v))
		return !strcmp(json_string_value(v), PROPS_UNKNOWN);
	if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, k, x)
			if (props_has_unknown(x))
				return 1;
	}
	if (json_is_array(v)) {
		json_array_foreach (v, i, x)
			if (props_has_unknown(x))
				return 1;
	}
	return 0;
}

int props_equal(const json_t *a, const json_t *b)
{
	const char *k;
	json_t *x;
	size_t i;

	if (a == b)
		return 1;
	if (!a || !b)
		return 0;
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach ((json_t *)a, k, x)
			if (!props_equal(x, json_object_get(b, k)))
				return 0;
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach (a, i, x)
			if (!props_equal(x, json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

void props_digest(char out[80], const json_t *value, const char *key)
{
	struct buf b = BUF_INIT;
	unsigned char mac[SHA256_LEN];

	json_dump_buf(&b, value, JSON_ENCODE_ANY);
	hmac_sha256(mac, key ? key : "", key ? strlen(key) : 0, b.ptr, b.len);
	memcpy(out, "hmac-sha256:", 12);
	hex_encode(out + 12, mac, SHA256_LEN);
	buf_release(&b);
}

static char *join(const char *prefix, const char *seg)
{
	return *prefix ? xasprintf("%s.%s", prefix, seg) : xstrdup(seg);
}

/* prefix.seg in buf when it fits (the usual case: no allocation), else
 * a new string; free with join_done. */
static char *join_in(char *buf, size_t size, const char *prefix,
		     const char *seg)
{
	size_t pn = strlen(prefix), sn = strlen(seg);

	if (pn + sn + 2 > size)
		return join(prefix, seg);
	if (pn) {
		memcpy(buf, prefix, pn);
		buf[pn++] = '.';
	}
	memcpy(buf + pn, seg, sn + 1);
	return buf;
}

static void join_done(char *p, const char *buf)
{
	if (p != buf)
		free(p);
}

static void diff_rec(json_t *out, const char *type, const char *path,
		     const json_t *d, const json_t *c, const json_t *digests,
		     const char *key)
{
	unsigned f;

	/* Equal values are unchanged whatever the schema says of them (a
	 * sensitive value's digest is only needed when current lacks it):
	 * no schema lookup for the properties of a plan's no-op resources. */
	if (props_equal(d, c))
		return;
	f = *path ? props_flags(type, path) : 0;
	if (f & PROP_COMPUTED)
		return;
	if (f & PROP_SENSITIVE) {
		char dg[80];
		const char *old = json_get_str(digests, path, NULL);

		if (props_has_unknown(d))
			goto changed;
		props_digest(dg, d, key);
		if (!old || strcmp(old, dg))
			goto changed;
		return;
	}
	if (json_is_object(d) && json_is_object(c)) {
		const char *k;
		json_t *x;

		json_object_foreach ((json_t *)d, k, x) {
			char buf[256], *p = join_in(buf, sizeof(buf), path, k);
			diff_rec(out, type, p, x, json_object_get(c, k),
				 digests, key);
			join_done(p, buf);
		}
		return;
	}
changed:
	json_array_append_new(out, json_string(*path ? path : "."));
}

void props_diff(json_t *out, const char *type, const json_t *desired,
		const json_t *current, const json_t *digests, const char *key)
{
	/* The same value (a reading that matched the state is the state's
	 * own attributes): nothing differs. */
	if (desired && desired != current)
		diff_rec(out, type, "", desired, current, digests, key);
}

static json_t *redact_rec(const char *type, const char *path, const json_t *v,
			  json_t *digests, const char *key)
{
	unsigned f = *path ? props_flags(type, path) : 0;
	const char *k;
	json_t *x, *copy;

	if (f & PROP_SENSITIVE) {
		if (digests) {
			char dg[80];
			props_digest(dg, v, key);
			json_object_set_new(digests, path, json_string(dg));
		}
		return NULL;
	}
	if (!json_is_object(v))
		return json_deep_copy(v);
	copy = json_object();
	json_object_foreach ((json_t *)v, k, x) {
		char *p = join(path, k);
		json_t *r = redact_rec(type, p, x, digests, key);
		if (r)
			json_object_set_new(copy, k, r);
		free(p);
	}
	return copy;
}

json_t *props_redact(const char *type, const json_t *props, json_t *digests,
		     const char *key)
{
	json_t *r;

	/* Nothing to leave out: a copy (most types, thousands of times in
	 * a large plan). */
	if (json_is_object(props) && !schema_has_sensitive(type))
		return json_deep_copy(props);
	r = redact_rec(type, "", props, digests, key);
	return r ? r : json_object();
}
