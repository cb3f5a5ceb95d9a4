/*
 * jd.c: JD Cloud OpenAPI in the emulator (../shared/api/jdcloud-dc.md §1,
 * §2, §8): the JDCLOUD2-HMAC-SHA256 check on the raw path, routing on the
 * decoded path by the service of the credential scope, the
 * {"requestId","result"} / {"requestId","error"} envelopes, query
 * conventions (pagination, filters.N.…) and the "jdcloud" config defaults.
 */
#include "emulator/jd.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util/buf.h"
#include "core/util/hash.h"
#include "core/util/json.h"
#include "core/util/sig.h"
#include "providers/jdcloud/jdcloud2.h"

#define JD_CONTENT_TYPE "application/json; charset=utf-8"

/*
 * Nonces seen within the skew window: {nonce: expiry_ms}.  Not persisted
 * (a restart forgets them, as a restarted gateway would); guarded by
 * e->lock like everything the handlers touch.
 */
static json_t *seen_nonces;
static size_t nonce_prune_at = 4096;

/* ---------------------------------------------------------------- */
/* Envelope */

static void answer(struct jd_call *c, int http, json_t *doc)
{
	struct emu_resp *resp = c->resp;

	resp->status = http;
	resp->content_type = JD_CONTENT_TYPE;
	buf_reset(&resp->body);
	json_dump_buf(&resp->body, doc, JSON_COMPACT);
	json_decref(doc);
	c->answered = 1;
}

void jd_ok(struct jd_call *c, json_t *result)
{
	answer(c, 200,
	       json_pack("{s:s, s:o}", "requestId", c->resp->jd_request_id,
			 "result", result ? result : json_object()));
}

static void error_doc(struct emu_resp *resp, int http, const char *status,
		      const char *msg)
{
	json_t *doc = json_pack("{s:s, s:{s:i, s:s, s:s}}", "requestId",
				resp->jd_request_id, "error", "code", http,
				"status", status, "message", msg);

	resp->status = http;
	resp->content_type = JD_CONTENT_TYPE;
	buf_reset(&resp->body);
	json_dump_buf(&resp->body, doc, JSON_COMPACT);
	json_decref(doc);
}

void jd_error(struct jd_call *c, int http, const char *status, const char *fmt,
	      ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	error_doc(c->resp, http, status, msg);
	free(msg);
	c->answered = 1;
}

/* The HTTP status JD pairs with an error status string (§1.4). */
static int status_http(const char *status)
{
	static const struct {
		const char *status;
		int http;
	} map[] = {
	    {"INVALID_ARGUMENT", 400},
	    {"OUT_OF_RANGE", 400},
	    {"FAILED_PRECONDITION", 400},
	    {"UNAUTHENTICATED", 401},
	    {"HTTP_FORBIDDEN", 403},
	    {"NOT_FOUND", 404},
	    {"ABORTED", 409},
	    {"ALREADY_EXISTS", 409},
	    {"QUOTA_EXCEEDED", 429},
	    {"RATE_LIMIT", 429},
	    {"CANCELLED", 499},
	    {"UNKNOWN", 500},
	    {"INTERNAL", 500},
	    {"NOT_IMPLEMENTED", 501},
	    {"SOURCE_UNAVAILABLE", 502},
	    {"UNAVAILABLE", 503},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(map[i].status, status))
			return map[i].http;
	return 500;
}

static int is_jd_status(const char *s)
{
	return status_http(s) != 500 || !strcmp(s, "INTERNAL") ||
	       !strcmp(s, "UNKNOWN");
}

static const char *http_status_name(int http)
{
	switch (http) {
	case 400:
		return "INVALID_ARGUMENT";
	case 401:
		return "UNAUTHENTICATED";
	case 403:
		return "HTTP_FORBIDDEN";
	case 404:
		return "NOT_FOUND";
	case 409:
		return "ABORTED";
	case 429:
		return "RATE_LIMIT";
	case 499:
		return "CANCELLED";
	case 501:
		return "NOT_IMPLEMENTED";
	case 502:
		return "SOURCE_UNAVAILABLE";
	case 503:
		return "UNAVAILABLE";
	default:
		return "INTERNAL";
	}
}

static int region_known(struct emu *e, const char *region);

int jd_begin(struct jd_call *c, const char *op)
{
	const char *code = NULL;
	int http = 0;

	c->op = op;
	emu_stats_count(c->e, c->service, op);
	if (emu_faults_eval(c->e, c->service, op, c->resp, &code, &http)) {
		if (!code || !*code)
			code = http ? http_status_name(http) : "INTERNAL";
		/* The core's default is 500 for codes it does not know; JD's
		 * own statuses keep their own HTTP status (§1.4). */
		if (!http || (http == 500 && status_http(code) != 500 &&
			      is_jd_status(code)))
			http = status_http(code);
		jd_error(c, http, code, "injected fault: %s", code);
		return 1;
	}
	/* Checked after counting so that stats and faults see the call. */
	if (!region_known(c->e, c->region)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "regionId '%s' is not a valid region", c->region);
		return 1;
	}
	jd_bgw_advance(c->e, c->now);
	return 0;
}

int jd_seg_is(const struct jd_call *c, size_t i, const char *s)
{
	return i < c->nseg && !strcmp(c->seg[i], s);
}

/* ---------------------------------------------------------------- */
/* Config defaults */

struct loc_default {
	const char *region, *code, *name, *address;
	int ct_only;
};

static const struct loc_default loc_defaults[] = {
    {"cn-north-1", "BJ-HD", "Beijing-Haidian", "Haidian District, Beijing", 0},
    {"cn-north-1", "BJ-YZ", "Beijing-Yizhuang",
     "Yizhuang Economic Development Zone, Beijing", 0},
    {"cn-east-2", "SH-JA", "Shanghai-Jing'an", "Jing'an District, Shanghai", 0},
    {"cn-east-2", "SH-XH", "Shanghai-Xuhui", "Xuhui District, Shanghai", 0},
    {"cn-east-1", "SQ-SY", "Suqian-Suyu", "Suyu District, Suqian", 0},
    {"cn-south-1", "GZ-NS", "Guangzhou-Nansha", "Nansha District, Guangzhou",
     1},
};

static json_t *default_locations(void)
{
	static const struct {
		const char *code, *type;
		int gbps;
	} ports[] = {
	    {"1000Base-T", "Electrical", 1},
	    {"1000Base-LX", "Optical", 1},
	    {"10GBase-LR", "Optical", 10},
	};
	static const struct {
		const char *code, *name;
	} isps[] = {
	    {"CMCC", "China Mobile"},
	    {"CUCC", "China Unicom"},
	    {"CT", "China Telecom"},
	};
	json_t *all = json_object();
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(loc_defaults); i++) {
		const struct loc_default *d = &loc_defaults[i];
		json_t *list = json_object_get(all, d->region);
		json_t *specs = json_array(), *isp = json_array();
		char id[64];

		if (!list) {
			list = json_array();
			json_object_set_new(all, d->region, list);
		}
		for (j = 0; j < ARRAY_SIZE(ports); j++) {
			snprintf(id, sizeof(id), "lps-%s-%zu", d->code, j + 1);
			json_array_append_new(
			    specs,
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}",
				      "locationPortSpecId", id, "portSpecName",
				      ports[j].code, "portSpecCode",
				      ports[j].code, "locationCode", d->code,
				      "portSpecType", ports[j].type,
				      "bandwidthGbps", ports[j].gbps));
		}
		for (j = 0; j < ARRAY_SIZE(isps); j++) {
			if (d->ct_only && strcmp(isps[j].code, "CT"))
				continue;
			snprintf(id, sizeof(id), "lisp-%s-%s", d->code,
				 isps[j].code);
			json_array_append_new(
			    isp, json_pack("{s:s, s:s, s:s, s:s}",
					   "locationISPId", id, "ispName",
					   isps[j].name, "locationCode",
					   d->code, "ispCode", isps[j].code));
		}
		snprintf(id, sizeof(id), "loc-%s", d->code);
		for (j = 4; id[j]; j++)
			id[j] = (char)tolower((unsigned char)id[j]);
		json_array_append_new(
		    list,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
			      "locationId", id, "locationName", d->name,
			      "locationCode", d->code, "locationType", "jcloud",
			      "address", d->address, "createdTime",
			      "2019-05-10T00:00:00Z", "locationPortSpecs",
			      specs, "locationISPs", isp));
	}
	return all;
}

/* Fill the keys of def missing from obj (one level deep for objects). */
static void fill_missing(json_t *obj, json_t *def)
{
	const char *k;
	json_t *v;

	json_object_foreach (def, k, v) {
		json_t *have = json_object_get(obj, k);

		if (!have)
			json_object_set(obj, k, v);
		else if (json_is_object(have) && json_is_object(v))
			fill_missing(have, v);
	}
}

json_t *jd_config(struct emu *e)
{
	json_t *jd, *def;

	if (!e->config)
		e->config = json_object();
	jd = json_object_get(e->config, "jdcloud");
	if (!json_is_object(jd)) {
		jd = json_object();
		json_object_set_new(e->config, "jdcloud", jd);
	}
	if (json_get_bool(jd, "_defaults_filled", 0))
		return jd;
	def = json_pack(
	    "{s:i, s:{s:i, s:i, s:i, s:i, s:i}, s:{s:i, s:{s:i, s:i, s:i},"
	    " s:i}, s:i, s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]}",
	    "max_skew_s", 900, "quotas", "connections_per_region", 10,
	    "bgws_per_region", 5, "vifs_per_connection", 50,
	    "attachments_per_bgw", 50, "routes_per_bgw", 50, "prices",
	    "installation_fen", 1500000, "port_month_fen", "1000Base-T", 300000,
	    "1000Base-LX", 300000, "10GBase-LR", 2000000,
	    "postpaid_threshold_fen", 5000, "jd_asn", 64512, "partners",
	    "partnerId", "ptn-cmcc0001", "partnerName", "CMCC Partner Line",
	    "partnerCode", "cmcc-line", "phoneNumber", "13800000001",
	    "partnerId", "ptn-ct000001", "partnerName",
	    "China Telecom Partner Line", "partnerCode", "ct-line",
	    "phoneNumber", "13800000002");
	if (!json_object_get(jd, "locations"))
		json_object_set_new(jd, "locations", default_locations());
	fill_missing(jd, def);
	json_decref(def);
	json_object_set_new(jd, "_defaults_filled", json_true());
	return jd;
}

int64_t jd_config_int(struct emu *e, const char *section, const char *key,
		      int64_t def)
{
	json_t *jd = jd_config(e);
	json_t *sec = section ? json_object_get(jd, section) : jd;

	return json_get_int(sec, key, def);
}

json_t *jd_world(struct emu *e, const char *kind)
{
	json_t *jd = json_object_get(e->world, "jdcloud"), *k;

	if (!json_is_object(jd)) {
		jd = json_object();
		json_object_set_new(e->world, "jdcloud", jd);
	}
	k = json_object_get(jd, kind);
	if (!json_is_object(k)) {
		k = json_object();
		json_object_set_new(jd, kind, k);
	}
	return k;
}

json_t *jd_account(struct emu *e, const char *name)
{
	return json_object_get(json_object_get(e->world, "accounts"), name);
}

/* ---------------------------------------------------------------- */
/* Small helpers */

void jd_time_iso(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void jd_time_order(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Decode one UTF-8 character at s; returns its length or 0 if invalid. */
static size_t utf8_char(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		*cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		*cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		*cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

long jd_utf8_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	while (*p) {
		uint32_t cp;
		size_t l = utf8_char(p, &cp);

		if (!l)
			return -1;
		p += l;
		n++;
	}
	return n;
}

int jd_valid_name(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	if (!s)
		return 0;
	while (*p) {
		uint32_t cp;
		size_t l = utf8_char(p, &cp);

		if (!l)
			return 0;
		if (!(isalnum(cp < 0x80 ? (int)cp : 0) || cp == '_' ||
		      cp == '-' || (cp >= 0x4e00 && cp <= 0x9fff)))
			return 0;
		p += l;
		n++;
	}
	return n >= 1 && n <= 32;
}

int jd_check_keys(struct jd_call *c, const json_t *obj, const char *what,
		  const char *const *allowed)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj)) {
		jd_error(c, 400, "INVALID_ARGUMENT", "%s must be an object",
			 what);
		return -1;
	}
	json_object_foreach ((json_t *)obj, k, v) {
		size_t i;

		for (i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], k))
				break;
		if (!allowed[i]) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "unknown field '%s.%s'", what, k);
			return -1;
		}
	}
	return 0;
}

json_t *jd_public(const json_t *obj)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)obj, k, v) {
		if (k[0] != '_')
			json_object_set_new(out, k, json_deep_copy(v));
	}
	return out;
}

/* ---------------------------------------------------------------- */
/* Query: pagination and filters */

static int name_in(const char *name, const char *const *list)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(list[i], name))
			return 1;
	return 0;
}

int jd_query_check(struct jd_call *c, const char *const *allowed, int list)
{
	const char *k;
	json_t *v;

	json_object_foreach (c->query, k, v) {
		if (!strcmp(k, "regionId") || name_in(k, allowed))
			continue;
		if (list &&
		    (!strcmp(k, "pageNumber") || !strcmp(k, "pageSize") ||
		     str_starts_with(k, "filters.")))
			continue;
		jd_error(c, 400, "INVALID_ARGUMENT", "unknown parameter '%s'",
			 k);
		return -1;
	}
	return 0;
}

static int parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	v = strtoll(s, &end, 10);
	if (*end || v < -1000000000LL || v > 1000000000LL)
		return -1;
	*out = v;
	return 0;
}

int jd_page_parse(struct jd_call *c, struct jd_page *pg)
{
	const char *n =
	    json_string_value(json_object_get(c->query, "pageNumber"));
	const char *s =
	    json_string_value(json_object_get(c->query, "pageSize"));

	pg->number = 1;
	pg->size = 20;
	if (n && (parse_int(n, &pg->number) < 0 || pg->number < 1)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "pageNumber must be an integer >= 1, got '%s'", n);
		return -1;
	}
	if (s &&
	    (parse_int(s, &pg->size) < 0 || pg->size < 10 || pg->size > 100)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "pageSize must be an integer in [10,100], got '%s'",
			 s);
		return -1;
	}
	return 0;
}

/* "filters.N.rest" → N and rest; -1 when not of that shape. */
static int filter_key(const char *k, long *n, const char **rest)
{
	const char *p = k + strlen("filters.");
	char *end;

	if (!isdigit((unsigned char)*p))
		return -1;
	*n = strtol(p, &end, 10);
	if (*n < 1 || *n > 1000 || *end != '.')
		return -1;
	*rest = end + 1;
	return 0;
}

json_t *jd_filters(struct jd_call *c, const char *const *allowed)
{
	json_t *byn = json_object(), *out = json_array();
	const char *k;
	json_t *v;

	json_object_foreach (c->query, k, v) {
		const char *rest, *val = json_string_value(v);
		json_t *f;
		char key[24];
		long n;

		if (!str_starts_with(k, "filters."))
			continue;
		if (filter_key(k, &n, &rest) < 0)
			goto bad_key;
		snprintf(key, sizeof(key), "%ld", n);
		f = json_object_get(byn, key);
		if (!f) {
			f = json_pack("{s:o}", "values", json_object());
			json_object_set_new(byn, key, f);
		}
		if (!strcmp(rest, "name") || !strcmp(rest, "operator")) {
			json_object_set_new(f, rest, json_string(val));
		} else if (str_starts_with(rest, "values.")) {
			const char *m = rest + 7;
			char *end;
			long idx = strtol(m, &end, 10);

			if (!isdigit((unsigned char)*m) || *end || idx < 1)
				goto bad_key;
			json_object_set_new(json_object_get(f, "values"), m,
					    json_string(val));
		} else {
			goto bad_key;
		}
		continue;
	bad_key:
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "malformed filter parameter '%s'", k);
		goto fail;
	}
	json_object_foreach (byn, k, v) {
		const char *name = json_get_str(v, "name", NULL);
		const char *op = json_get_str(v, "operator", "eq");
		json_t *vals = json_object_get(v, "values"), *arr;
		const char *mk;
		json_t *mv;

		if (!name) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "filters.%s.name is missing", k);
			goto fail;
		}
		if (!name_in(name, allowed)) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "unknown filter name '%s'", name);
			goto fail;
		}
		if (strcmp(op, "eq") && strcmp(op, "in")) {
			jd_error(c, 400, "INVALID_ARGUMENT",
				 "unsupported filter operator '%s'", op);
			goto fail;
		}
		/* As the SDKs do, a filter without values is no filter. */
		if (!json_object_size(vals))
			continue;
		arr = json_array();
		json_object_foreach (vals, mk, mv)
			json_array_append(arr, mv);
		json_array_append_new(
		    out, json_pack("{s:s, s:o}", "name", name, "values", arr));
	}
	json_decref(byn);
	return out;
fail:
	json_decref(byn);
	json_decref(out);
	return NULL;
}

int jd_filter_match(const json_t *filters, const char *name, const char *value)
{
	size_t i, j;
	json_t *f, *v;

	json_array_foreach (filters, i, f) {
		int hit = 0;

		if (strcmp(json_get_str(f, "name", ""), name))
			continue;
		json_array_foreach (json_object_get(f, "values"), j, v) {
			if (value && !strcmp(json_string_value(v), value))
				hit = 1;
		}
		if (!hit)
			return 0;
	}
	return 1;
}

void jd_list_answer(struct jd_call *c, const char *key, json_t *items,
		    const struct jd_page *pg)
{
	size_t total = json_array_size(items);
	int64_t pages =
	    (int64_t)((total + (size_t)pg->size - 1) / (size_t)pg->size);
	int64_t number = pg->number;
	json_t *page = json_array();
	size_t i, start;

	if (pages > 0 && number > pages)
		number = pages;
	start = (size_t)((number - 1) * pg->size);
	for (i = start; i < total && i < start + (size_t)pg->size; i++)
		json_array_append_new(page,
				      jd_public(json_array_get(items, i)));
	jd_ok(c, json_pack("{s:o, s:I}", key, page, "totalCount",
			   (json_int_t)total));
}

/* ---------------------------------------------------------------- */
/* Signature (§2.6) */

static int64_t parse_jd_date(const char *s)
{
	struct tm tm;
	size_t i;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return -1;
	for (i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)s[i]))
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 +
		     (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
	tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
	tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
	tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	return (int64_t)timegm(&tm);
}

/* Every value of header `name`, joined with ',' (NULL when absent). */
static char *header_values(const struct emu_req *r, const char *name)
{
	struct buf b = BUF_INIT;
	int found = 0;
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name))
			continue;
		if (found)
			buf_putc(&b, ',');
		buf_puts(&b, r->headers[i].value ? r->headers[i].value : "");
		found = 1;
	}
	if (!found) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void nonce_prune(int64_t now)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe (seen_nonces, tmp, k, v) {
		if (json_integer_value(v) < now)
			json_object_del(seen_nonces, k);
	}
}

/*
 * JDCLOUD3-HMAC-SHA256 (jdcloud-dc.md §2.7; the current Python SDK's
 * signer): the path is decoded (a malformed escape stays as it is, '+' is
 * a space), runs of '/' collapse, and it is re-encoded keeping '/' and
 * '~'; query pairs are decoded and re-encoded, a pair with an empty name
 * or without '=' is dropped; header values are trimmed only.
 */
static void lenient_unquote(struct buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], 0};

			buf_putc(out, (char)strtol(hex, NULL, 16));
			i += 2;
		} else if (s[i] == '+') {
			buf_putc(out, ' ');
		} else {
			buf_putc(out, s[i]);
		}
	}
}

static void v3_canonical_uri(struct buf *out, const char *raw_path)
{
	struct buf dec = BUF_INIT, squashed = BUF_INIT;
	size_t i;

	lenient_unquote(&dec, raw_path, strlen(raw_path));
	for (i = 0; i < dec.len; i++)
		if (dec.ptr[i] != '/' || !squashed.len ||
		    squashed.ptr[squashed.len - 1] != '/')
			buf_putc(&squashed, dec.ptr[i]);
	if (!squashed.len || squashed.ptr[0] != '/')
		buf_putc(out, '/');
	buf_add_urlencode(out, squashed.ptr, squashed.len, "/");
	buf_release(&dec);
	buf_release(&squashed);
}

struct v3_pair {
	char **parts; /* each decoded and re-encoded */
	size_t n;
};

static int v3_pair_cmp(const void *a, const void *b)
{
	const struct v3_pair *x = a, *y = b;
	size_t i;

	for (i = 0; i < x->n && i < y->n; i++) {
		int c = strcmp(x->parts[i], y->parts[i]);

		if (c)
			return c;
	}
	return x->n < y->n ? -1 : x->n > y->n;
}

static void v3_canonical_query(struct buf *out, const char *raw)
{
	struct v3_pair *pairs = NULL;
	size_t n = 0, alloc = 0, i, j;
	const char *s = raw ? raw : "";
	int first = 1;

	while (*s) {
		size_t len = strcspn(s, "&");

		if (len) {
			const char *p = s, *end = s + len;

			ALLOC_GROW(pairs, n + 1, alloc);
			pairs[n].parts = NULL;
			pairs[n].n = 0;
			for (;;) {
				const char *eq =
				    memchr(p, '=', (size_t)(end - p));
				size_t plen =
				    eq ? (size_t)(eq - p) : (size_t)(end - p);
				struct buf dec = BUF_INIT, enc = BUF_INIT;

				lenient_unquote(&dec, p, plen);
				buf_add_urlencode(&enc, dec.ptr, dec.len, NULL);
				pairs[n].parts =
				    xrealloc(pairs[n].parts,
					     (pairs[n].n + 1) * sizeof(char *));
				pairs[n].parts[pairs[n].n++] =
				    buf_detach(&enc, NULL);
				buf_release(&dec);
				if (!eq)
					break;
				p = eq + 1;
			}
			n++;
		}
		s += len;
		if (*s == '&')
			s++;
	}
	if (n)
		qsort(pairs, n, sizeof(*pairs), v3_pair_cmp);
	for (i = 0; i < n; i++) {
		struct v3_pair *p = &pairs[i];

		if (p->parts[0][0] && p->n >= 2) {
			if (!first)
				buf_putc(out, '&');
			first = 0;
			if (p->n == 2) {
				buf_printf(out, "%s=%s", p->parts[0],
					   p->parts[1]);
			} else {
				/* As the SDK does: "v1%3Dv2…", name dropped. */
				for (j = 1; j < p->n; j++)
					buf_printf(out, "%s%s",
						   j > 1 ? "%3D" : "",
						   p->parts[j]);
			}
		}
		for (j = 0; j < p->n; j++)
			free(p->parts[j]);
		free(p->parts);
	}
	free(pairs);
}

static int hs_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sig_header *)a)->name,
		      ((const struct sig_header *)b)->name);
}

static void v3_signature(char out[65], const char *secret, const char *method,
			 const char *raw_path, const char *raw_query,
			 struct sig_header *hs, size_t nh,
			 const char *body_hash, const char *datetime,
			 const char *region, const char *service)
{
	struct buf cr = BUF_INIT, sts = BUF_INIT;
	unsigned char k[SHA256_LEN], k2[SHA256_LEN], sig[SHA256_LEN];
	char date8[9], hcr[65];
	char *key = xasprintf("JDCLOUD3%s", secret);
	size_t i;

	buf_printf(&cr, "%s\n", method);
	v3_canonical_uri(&cr, raw_path);
	buf_putc(&cr, '\n');
	v3_canonical_query(&cr, raw_query);
	buf_putc(&cr, '\n');
	qsort(hs, nh, sizeof(*hs), hs_cmp);
	for (i = 0; i < nh; i++) {
		const char *v = hs[i].value;
		size_t len = strlen(v);

		while (*v == ' ' || *v == '\t') {
			v++;
			len--;
		}
		while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		buf_printf(&cr, "%s:%.*s\n", hs[i].name, (int)len, v);
	}
	buf_putc(&cr, '\n');
	for (i = 0; i < nh; i++)
		buf_printf(&cr, "%s%s", i ? ";" : "", hs[i].name);
	buf_printf(&cr, "\n%s", body_hash);

	memcpy(date8, datetime, 8);
	date8[8] = '\0';
	sha256_hex(hcr, cr.ptr, cr.len);
	buf_printf(&sts,
		   "JDCLOUD3-HMAC-SHA256\n%s\n%s/%s/%s/jdcloud3_request\n%s",
		   datetime, date8, region, service, hcr);
	hmac_sha256(k, key, strlen(key), date8, 8);
	hmac_sha256(k2, k, SHA256_LEN, region, strlen(region));
	hmac_sha256(k, k2, SHA256_LEN, service, strlen(service));
	hmac_sha256(k2, k, SHA256_LEN, "jdcloud3_request", 16);
	hmac_sha256(sig, k2, SHA256_LEN, sts.ptr, sts.len);
	hex_encode(out, sig, SHA256_LEN);
	out[64] = '\0';
	free(key);
	buf_release(&cr);
	buf_release(&sts);
}

/*
 * Verify the request; on success c->account, c->service are set.  Returns
 * 0, or -1 with a 401 answered.  *scope_region gets the scope's region.
 */
static int verify(struct jd_call *c)
{
	const struct emu_req *req = c->req;
	const char *auth_h = emu_req_header(req, "authorization");
	struct sig_auth a;
	struct sig_header *hs = NULL;
	size_t nh = 0, alloc = 0, i;
	char *names = NULL, *p, *tok, *save = NULL;
	struct buf cr = BUF_INIT;
	char body_hash[65], sig[65];
	const char *date = NULL, *nonce = NULL, *secret, *svc;
	int has_date = 0, has_nonce = 0, ret = -1, v3 = 0;
	int64_t t, skew, real_now;

	memset(&a, 0, sizeof(a));
	if (!auth_h || !*auth_h) {
		jd_error(c, 401, "UNAUTHENTICATED",
			 "missing Authorization header");
		return -1;
	}
	if (sig_parse_authorization(&a, auth_h) < 0 || !a.credential ||
	    !a.signed_headers || !a.signature) {
		jd_error(c, 401, "UNAUTHENTICATED",
			 "malformed Authorization header");
		goto out;
	}
	if (!strcmp(a.algorithm, JD2_ALGORITHM))
		v3 = 0;
	else if (!strcmp(a.algorithm, "JDCLOUD3-HMAC-SHA256"))
		v3 = 1;
	else {
		jd_error(c, 401, "UNAUTHENTICATED",
			 "unsupported signature algorithm '%s'", a.algorithm);
		goto out;
	}
	if (a.nscope != 4 ||
	    strcmp(a.scope[3], v3 ? "jdcloud3_request" : "jdcloud2_request") ||
	    strlen(a.scope[0]) != 8) {
		jd_error(c, 401, "UNAUTHENTICATED",
			 "malformed credential scope '%s'", a.credential);
		goto out;
	}
	c->account = emu_account_by_jd_access_key(c->e, a.key_id);
	secret = json_get_str(json_object_get(c->account, "jdcloud"),
			      "secret_key", NULL);
	if (!c->account || !secret) {
		jd_error(c, 401, "UNAUTHENTICATED",
			 "the access key '%s' does not exist", a.key_id);
		goto out;
	}
	c->account_name = json_get_str(c->account, "name", "");

	/* The headers the client signed, with the values it sent. */
	names = xstrdup(a.signed_headers);
	for (tok = strtok_r(names, ";", &save); tok;
	     tok = strtok_r(NULL, ";", &save)) {
		char *v = header_values(req, tok);

		for (p = tok; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!v) {
			jd_error(c, 401, "UNAUTHENTICATED",
				 "signed header '%s' is missing", tok);
			goto out;
		}
		ALLOC_GROW(hs, nh + 1, alloc);
		hs[nh].name = tok;
		hs[nh].value = v;
		nh++;
		if (!strcmp(tok, "x-jdcloud-date")) {
			has_date = 1;
			date = v;
		} else if (!strcmp(tok, "x-jdcloud-nonce")) {
			has_nonce = 1;
			nonce = v;
		}
	}
	if (!has_date || !has_nonce) {
		jd_error(c, 401, "UNAUTHENTICATED",
			 "x-jdcloud-date and x-jdcloud-nonce must be signed");
		goto out;
	}
	t = parse_jd_date(date);
	if (t < 0 || strncmp(date, a.scope[0], 8)) {
		jd_error(c, 401, "UNAUTHENTICATED",
			 "x-jdcloud-date '%s' is malformed or does not match "
			 "the credential scope",
			 date);
		goto out;
	}
	/* Clients sign with the real clock: the admin API's time shift
	 * (emu_time_offset) moves the emulated world, not them. */
	real_now = c->now - emu_time_offset();
	skew = jd_config_int(c->e, NULL, "max_skew_s", 900);
	if (t < real_now / 1000 - skew || t > real_now / 1000 + skew) {
		jd_error(c, 401, "UNAUTHENTICATED",
			 "request time '%s' is outside the allowed clock "
			 "skew of %lld s",
			 date, (long long)skew);
		goto out;
	}

	sha256_hex(body_hash, req->body ? req->body : "", req->body_len);
	{
		const char *declared =
		    emu_req_header(req, "x-jdcloud-content-sha256");

		if (declared && strcasecmp(declared, body_hash)) {
			jd_error(c, 401, "UNAUTHENTICATED",
				 "x-jdcloud-content-sha256 does not match "
				 "the body");
			goto out;
		}
	}
	if (v3) {
		v3_signature(sig, secret, req->method, req->raw_path,
			     req->query, hs, nh, body_hash, date, a.scope[1],
			     a.scope[2]);
	} else {
		jd2_canonical_request(&cr, req->method, req->raw_path,
				      req->query, (const struct sig_header *)hs,
				      nh, body_hash, NULL);
		jd2_signature(sig, secret, date, a.scope[1], a.scope[2],
			      cr.ptr);
	}
	if (!str_equal_ct(sig, a.signature)) {
		jd_error(c, 401, "UNAUTHENTICATED",
			 "the signature does not match");
		goto out;
	}

	if (!seen_nonces)
		seen_nonces = json_object();
	if (json_object_size(seen_nonces) > nonce_prune_at) {
		/* Amortised: prune again only once the set has doubled. */
		nonce_prune(real_now);
		nonce_prune_at = 2 * json_object_size(seen_nonces);
		if (nonce_prune_at < 4096)
			nonce_prune_at = 4096;
	}
	{
		json_t *seen = json_object_get(seen_nonces, nonce);

		if (seen && json_integer_value(seen) >= real_now) {
			jd_error(c, 401, "UNAUTHENTICATED",
				 "the nonce '%s' has been used already", nonce);
			goto out;
		}
		json_object_set_new(seen_nonces, nonce,
				    json_integer(real_now + 2 * skew * 1000));
	}

	svc = a.scope[2];
	if (!strcmp(svc, "bgw"))
		c->service = "bgw";
	else if (!strcmp(svc, "asset"))
		c->service = "asset";
	else if (!strcmp(svc, "order"))
		c->service = "order";
	else
		c->service = NULL;
	ret = 0;
out:
	for (i = 0; i < nh; i++)
		free((char *)hs[i].value);
	free(hs);
	free(names);
	buf_release(&cr);
	sig_auth_release(&a);
	return ret;
}

/* ---------------------------------------------------------------- */
/* Request parsing */

/* Query into {name: value}; -1 (answered) on a malformed escape. */
static int parse_query(struct jd_call *c)
{
	const char *s = c->req->query ? c->req->query : "";

	c->query = json_object();
	while (*s) {
		const char *amp = strchr(s, '&');
		size_t len = amp ? (size_t)(amp - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		struct buf name = BUF_INIT, value = BUF_INIT;
		int bad;

		if (len) {
			size_t nlen = eq ? (size_t)(eq - s) : len;

			bad = sig_url_decode(&name, s, nlen, 1) < 0;
			if (!bad && eq)
				bad = sig_url_decode(&value, eq + 1,
						     len - nlen - 1, 1) < 0;
			if (bad || memchr(name.ptr, '\0', name.len) ||
			    memchr(value.ptr, '\0', value.len)) {
				buf_release(&name);
				buf_release(&value);
				jd_error(c, 400, "INVALID_ARGUMENT",
					 "malformed query string");
				return -1;
			}
			if (name.len) {
				if (json_object_get(c->query, name.ptr)) {
					jd_error(c, 400, "INVALID_ARGUMENT",
						 "parameter '%s' is repeated",
						 name.ptr);
					buf_release(&name);
					buf_release(&value);
					return -1;
				}
				json_object_set_new(c->query, name.ptr,
						    json_string(value.ptr));
			}
		}
		buf_release(&name);
		buf_release(&value);
		s += len;
		if (*s == '&')
			s++;
	}
	return 0;
}

static int parse_body(struct jd_call *c)
{
	json_error_t jerr;
	const struct emu_req *r = c->req;

	if (!r->body || !r->body_len) {
		c->body = json_object();
		return 0;
	}
	c->body =
	    json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(c->body)) {
		json_decref(c->body);
		c->body = NULL;
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "the request body is not a JSON object");
		return -1;
	}
	return 0;
}

/*
 * "/vN/regions/{regionId}/rest…" on the decoded path: version, region and
 * the segments of rest (a trailing '/' is optional; the last segment's
 * ":verb" is split off).  -1 when the path is not of that shape.
 */
static int parse_path(struct jd_call *c)
{
	const char *p = c->req->path;
	char *copy, *s, *tok, *end;
	size_t alloc = 0, len;

	if (!p)
		return -1;
	if (str_starts_with(p, "/v1/regions/"))
		c->version = "v1";
	else if (str_starts_with(p, "/v2/regions/"))
		c->version = "v2";
	else
		return -1;
	copy = xstrdup(p + strlen("/v1/regions/"));
	len = strlen(copy);
	if (len && copy[len - 1] == '/')
		copy[--len] = '\0';
	s = copy;
	end = strchr(s, '/');
	if (!end) {
		free(copy);
		return -1;
	}
	*end = '\0';
	c->region = xstrdup(s);
	s = end + 1;
	if (!*c->region) {
		free(copy);
		return -1;
	}
	while (s) {
		tok = s;
		end = strchr(s, '/');
		if (end)
			*end++ = '\0';
		s = end;
		if (!*tok) {
			free(copy);
			return -1;
		}
		ALLOC_GROW(c->seg, c->nseg + 1, alloc);
		c->seg[c->nseg++] = xstrdup(tok);
	}
	free(copy);
	if (c->nseg) {
		char *colon = strchr(c->seg[c->nseg - 1], ':');

		if (colon) {
			*colon = '\0';
			c->verb = xstrdup(colon + 1);
			if (!*c->verb || !*c->seg[c->nseg - 1])
				return -1;
		}
	}
	return c->nseg ? 0 : -1;
}

static void call_release(struct jd_call *c)
{
	size_t i;

	for (i = 0; i < c->nseg; i++)
		free(c->seg[i]);
	free(c->seg);
	free(c->verb);
	free(c->region);
	json_decref(c->query);
	json_decref(c->body);
}

static int region_known(struct emu *e, const char *region)
{
	json_t *locs = json_object_get(jd_config(e), "locations");
	json_t *regions = json_object_get(jd_config(e), "regions");
	size_t i;
	json_t *v;

	json_array_foreach (regions, i, v) {
		if (json_is_string(v) && !strcmp(json_string_value(v), region))
			return 1;
	}
	return json_object_get(locs, region) != NULL;
}

void jd_handle(struct emu *e, const struct emu_req *req, struct emu_resp *resp)
{
	struct jd_call c;
	char rid[37];
	int routed = -1;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.req = req;
	c.resp = resp;
	c.now = emu_now_ms();
	emu_request_id(rid);
	snprintf(resp->jd_request_id, sizeof(resp->jd_request_id), "%s", rid);
	jd_config(e);

	if (verify(&c) < 0)
		goto out;
	if (parse_path(&c) < 0 || !c.service) {
		jd_error(&c, 404, "NOT_FOUND", "no %s operation at %s %s",
			 c.service ? c.service : "such", req->method,
			 req->path ? req->path : "");
		goto out;
	}
	if (parse_query(&c) < 0)
		goto out;
	if (parse_body(&c) < 0)
		goto out;

	if (!strcmp(c.service, "bgw") && !strcmp(c.version, "v1"))
		routed = jd_bgw_dispatch(&c);
	else if (!strcmp(c.service, "asset") && !strcmp(c.version, "v1"))
		routed = jd_asset_dispatch(&c);
	else if (!strcmp(c.service, "order") && !strcmp(c.version, "v2"))
		routed = jd_order_dispatch(&c);
	if (routed < 0 && !c.answered) {
		jd_error(&c, 404, "NOT_FOUND", "no %s operation at %s %s",
			 c.service, req->method, req->path);
		goto out;
	}
	if (!c.answered)
		jd_error(&c, 500, "INTERNAL", "operation gave no answer");
out:
	if (!c.answered)
		jd_error(&c, 500, "INTERNAL", "request was not answered");
	call_release(&c);
}
