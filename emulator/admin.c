/*
 * admin.c: the emulator's own API under /_emulator/ (JSON in, JSON out, no
 * signature; the server answers loopback clients only).  Tests and demos
 * use it to read counters and the ledger, inject faults, move time, change
 * accounts and objects behind dcform's back and push JD reviews.  Every
 * route is listed in docs/emulator.md.  Errors are {"error":"message"}
 * with a 4xx status.
 */
#include "emu.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/buf.h"
#include "core/util/json.h"
#include "core/util/util.h"

struct admin {
	struct emu *e;
	const struct emu_req *req;
	struct emu_resp *resp;
	char **seg; /* path segments after /_emulator */
	size_t nseg;
	json_t *body; /* parsed request body ({} when empty) */
};

static void reply(struct admin *a, int status, json_t *v)
{
	a->resp->status = status;
	a->resp->content_type = "application/json";
	buf_reset(&a->resp->body);
	json_dump_buf(&a->resp->body, v, JSON_COMPACT | JSON_SORT_KEYS);
	buf_putc(&a->resp->body, '\n');
	json_decref(v);
}

static void fail(struct admin *a, int status, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

static void fail(struct admin *a, int status, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = xvasprintf(fmt, ap);
	va_end(ap);
	reply(a, status, json_pack("{s:s}", "error", m));
	free(m);
}

static int is(struct admin *a, const char *method)
{
	return !strcmp(a->req->method, method);
}

static int seg_is(struct admin *a, size_t i, const char *s)
{
	return i < a->nseg && !strcmp(a->seg[i], s);
}

/* A copy of a rule without the bookkeeping keys (leading underscore). */
static json_t *public_copy(const json_t *o)
{
	json_t *c = json_object();
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)o, k, v)
		if (k[0] != '_')
			json_object_set(c, k, v);
	return c;
}

/* ------------------------------------------------------------------ */

static void do_health(struct admin *a)
{
	reply(a, 200,
	      json_pack("{s:s, s:I, s:I}", "status", "ok", "now_ms",
			(json_int_t)emu_now_ms(), "time_offset_ms",
			(json_int_t)emu_time_offset()));
}

static void do_stats(struct admin *a)
{
	if (a->nseg == 1 && is(a, "GET")) {
		reply(a, 200, public_copy(a->e->stats));
	} else if (a->nseg == 2 && seg_is(a, 1, "reset") && is(a, "POST")) {
		json_t *s = a->e->stats;

		json_object_set_new(s, "requests", json_object());
		json_object_set_new(s, "total", json_integer(0));
		json_object_set_new(s, "faults_fired", json_integer(0));
		json_object_del(s, "rate_limited");
		reply(a, 200, json_pack("{s:b}", "ok", 1));
	} else {
		fail(a, a->nseg <= 2 ? 405 : 404, "no such stats call");
	}
}

static void do_ledger(struct admin *a)
{
	char *cloud = emu_req_query(a->req, "cloud");
	char *kind = emu_req_query(a->req, "kind");
	char *account = emu_req_query(a->req, "account");
	json_t *out = json_array(), *v;
	size_t i;

	if (a->nseg != 1 || !is(a, "GET")) {
		fail(a, a->nseg == 1 ? 405 : 404, "no such ledger call");
		goto out;
	}
	json_array_foreach (json_object_get(a->e->world, "ledger"), i, v) {
		if (cloud && strcmp(json_get_str(v, "cloud", ""), cloud))
			continue;
		if (kind && strcmp(json_get_str(v, "kind", ""), kind))
			continue;
		if (account && strcmp(json_get_str(v, "account", ""), account))
			continue;
		json_array_append(out, v);
	}
	reply(a, 200,
	      json_pack("{s:O, s:I}", "ledger", out, "total",
			(json_int_t)json_array_size(out)));
out:
	json_decref(out);
	free(cloud);
	free(kind);
	free(account);
}

static void do_faults(struct admin *a)
{
	struct buf msg = BUF_INIT;
	json_t *v;
	size_t i;

	if (a->nseg == 1 && is(a, "GET")) {
		json_t *list = json_array();

		json_array_foreach (a->e->faults, i, v)
			if (!json_get_bool(v, "_expired", 0))
				json_array_append_new(list, public_copy(v));
		reply(a, 200, json_pack("{s:o}", "faults", list));
	} else if (a->nseg == 1 && is(a, "POST")) {
		/* One rule, or an array of rules added all or none. */
		json_t *rules = json_is_array(a->body)
				    ? json_incref(a->body)
				    : json_pack("[O]", a->body);
		json_t *ids = json_array();
		size_t before = json_array_size(a->e->faults);
		char *id = NULL;

		json_array_foreach (rules, i, v) {
			if (emu_fault_add(a->e, v, &id, &msg) < 0)
				break;
			json_array_append_new(ids, json_string(id));
			free(id);
		}
		if (i < json_array_size(rules)) {
			while (json_array_size(a->e->faults) > before)
				json_array_remove(a->e->faults, before);
			fail(a, 400, "%s", msg.ptr);
		} else if (json_is_array(a->body)) {
			reply(a, 200, json_pack("{s:O}", "ids", ids));
		} else {
			reply(a, 200,
			      json_pack("{s:O}", "id", json_array_get(ids, 0)));
		}
		json_decref(ids);
		json_decref(rules);
	} else if (a->nseg == 1 && is(a, "DELETE")) {
		json_array_clear(a->e->faults);
		reply(a, 200, json_pack("{s:b}", "ok", 1));
	} else if (a->nseg == 2 && is(a, "DELETE")) {
		if (emu_fault_del(a->e, a->seg[1]) < 0)
			fail(a, 404, "no fault '%s'", a->seg[1]);
		else
			reply(a, 200, json_pack("{s:b}", "ok", 1));
	} else if (a->nseg == 2 && is(a, "GET")) {
		json_array_foreach (a->e->faults, i, v) {
			if (!json_get_bool(v, "_expired", 0) &&
			    !strcmp(json_get_str(v, "id", ""), a->seg[1])) {
				reply(a, 200, public_copy(v));
				goto out;
			}
		}
		fail(a, 404, "no fault '%s'", a->seg[1]);
	} else {
		fail(a, a->nseg <= 2 ? 405 : 404, "no such faults call");
	}
out:
	buf_release(&msg);
}

/* Field of POST /accounts/NAME: body key, cloud, key in the account. */
static const struct acct_field {
	const char *name, *cloud, *key;
	int type; /* 's' string, 'i' integer, 'b' boolean */
} acct_fields[] = {
    {"uin", NULL, "uin", 's'},
    {"tencent_secret_id", "tencent", "secret_id", 's'},
    {"tencent_secret_key", "tencent", "secret_key", 's'},
    {"tencent_balance_fen", "tencent", "balance_fen", 'i'},
    {"real_name_verified", "tencent", "real_name_verified", 'b'},
    {"jd_access_key", "jdcloud", "access_key", 's'},
    {"jd_secret_key", "jdcloud", "secret_key", 's'},
    {"jd_balance_fen", "jdcloud", "balance_fen", 'i'},
    {"enterprise_verified", "jdcloud", "enterprise_verified", 'b'},
    {"pin", "jdcloud", "pin", 's'},
};

static int account_key_taken(struct emu *e, const char *name,
			     const struct acct_field *f, const char *value)
{
	json_t *other;

	if (strcmp(f->key, "secret_id") && strcmp(f->key, "access_key"))
		return 0;
	other = !strcmp(f->cloud, "tencent")
		    ? emu_account_by_tc_secret_id(e, value)
		    : emu_account_by_jd_access_key(e, value);
	return other && strcmp(json_get_str(other, "name", ""), name);
}

static void do_accounts(struct admin *a)
{
	json_t *accts = json_object_get(a->e->world, "accounts");
	json_t *acct, *v;
	const char *name, *k;
	size_t i;

	if (!json_is_object(accts)) {
		accts = json_object();
		json_object_set_new(a->e->world, "accounts", accts);
	}
	if (a->nseg == 1 && is(a, "GET")) {
		reply(a, 200, json_pack("{s:O}", "accounts", accts));
		return;
	}
	if (a->nseg == 2 && is(a, "GET")) {
		acct = json_object_get(accts, a->seg[1]);
		if (!acct)
			fail(a, 404, "no account '%s'", a->seg[1]);
		else
			reply(a, 200, json_incref(acct));
		return;
	}
	if (!is(a, "POST") || a->nseg > 2) {
		fail(a, a->nseg <= 2 ? 405 : 404, "no such accounts call");
		return;
	}
	if (!json_is_object(a->body)) {
		fail(a, 400, "the body must be a JSON object");
		return;
	}
	name = a->nseg == 2 ? a->seg[1] : json_get_str(a->body, "name", NULL);
	if (!name || !*name) {
		fail(a, 400, "which account? POST /_emulator/accounts/NAME");
		return;
	}
	/* Validate everything before changing anything. */
	json_object_foreach (a->body, k, v) {
		const struct acct_field *f = NULL;

		if (!strcmp(k, "name"))
			continue;
		for (i = 0; i < ARRAY_SIZE(acct_fields); i++)
			if (!strcmp(k, acct_fields[i].name))
				f = &acct_fields[i];
		if (!f) {
			fail(a, 400, "unknown account field '%s'", k);
			return;
		}
		if ((f->type == 's' && !json_is_string(v)) ||
		    (f->type == 'i' && !json_is_integer(v)) ||
		    (f->type == 'b' && !json_is_boolean(v))) {
			fail(a, 400, "account field '%s' must be %s", k,
			     f->type == 's'   ? "a string"
			     : f->type == 'i' ? "an integer"
					      : "a boolean");
			return;
		}
		if (f->type == 's' &&
		    account_key_taken(a->e, name, f, json_string_value(v))) {
			fail(a, 409, "'%s' belongs to another account",
			     json_string_value(v));
			return;
		}
	}
	acct = json_object_get(accts, name);
	if (!acct) {
		acct = json_pack(
		    "{s:s, s:s, s:{s:I, s:b}, s:{s:I, s:b}}", "name", name,
		    "uin", "", "tencent", "balance_fen", (json_int_t)0,
		    "real_name_verified", 0, "jdcloud", "balance_fen",
		    (json_int_t)0, "enterprise_verified", 0);
		json_object_set_new(accts, name, acct);
	}
	json_object_foreach (a->body, k, v) {
		json_t *dst = acct;

		for (i = 0; i < ARRAY_SIZE(acct_fields); i++) {
			const struct acct_field *f = &acct_fields[i];

			if (strcmp(k, f->name))
				continue;
			if (f->cloud) {
				dst = json_object_get(acct, f->cloud);
				if (!json_is_object(dst)) {
					dst = json_object();
					json_object_set_new(acct, f->cloud,
							    dst);
				}
			}
			json_object_set(dst, f->key, v);
		}
	}
	emu_dirty(a->e);
	reply(a, 200, json_incref(acct));
}

static void do_time(struct admin *a)
{
	json_t *ms = json_object_get(a->body, "ms");

	if (a->nseg != 2 || !seg_is(a, 1, "advance")) {
		fail(a, 404,
		     "no such time call (POST /_emulator/time/advance)");
		return;
	}
	if (!is(a, "POST")) {
		fail(a, 405, "time/advance wants POST");
		return;
	}
	if (!json_is_integer(ms) || json_integer_value(ms) < 0) {
		fail(a, 400, "'ms' must be a non-negative integer");
		return;
	}
	emu_time_advance(json_integer_value(ms));
	emu_dirty(a->e);
	reply(a, 200,
	      json_pack("{s:I, s:I}", "time_offset_ms",
			(json_int_t)emu_time_offset(), "now_ms",
			(json_int_t)emu_now_ms()));
}

/* POST …/KIND/ID {patch}: merge into world.<cloud>.<KIND>.<ID>. */
static void patch_object(struct admin *a, const char *cloud, const char *kind,
			 const char *id)
{
	json_t *obj = json_object_get(
	    json_object_get(json_object_get(a->e->world, cloud), kind), id);

	if (!obj) {
		fail(a, 404, "no %s %s '%s'", cloud, kind, id);
		return;
	}
	if (!json_is_object(a->body) || !json_is_object(obj)) {
		fail(a, 400, "the patch must be a JSON object");
		return;
	}
	emu_json_merge(obj, a->body);
	emu_dirty(a->e);
	reply(a, 200, json_incref(obj));
}

static void do_tencent(struct admin *a)
{
	if (a->nseg == 3 && seg_is(a, 1, "instances") && is(a, "POST"))
		patch_object(a, "tencent", "instances", a->seg[2]);
	else if (a->nseg == 3 && seg_is(a, 1, "instances") && is(a, "GET")) {
		json_t *o = json_object_get(
		    json_object_get(json_object_get(a->e->world, "tencent"),
				    "instances"),
		    a->seg[2]);

		if (o)
			reply(a, 200, json_incref(o));
		else
			fail(a, 404, "no tencent instance '%s'", a->seg[2]);
	} else
		fail(a, 404, "no such tencent call");
}

static void do_jdcloud(struct admin *a)
{
	static const char *const kinds[] = {
	    "connections", "bgws", "vifs", "attachments", "routes",
	};
	char *id = NULL, *op = NULL, *colon;
	struct buf msg = BUF_INIT;
	size_t i;
	int st;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (seg_is(a, 1, kinds[i]))
			break;
	if (i == ARRAY_SIZE(kinds) || a->nseg < 3 || a->nseg > 4) {
		fail(a, 404, "no such jdcloud call");
		return;
	}
	id = xstrdup(a->seg[2]);
	colon = strchr(id, ':');
	if (colon) {
		*colon = '\0';
		op = xstrdup(colon + 1);
	}
	if (a->nseg == 4) {
		if (op) {
			fail(a, 404, "no such jdcloud call");
			goto out;
		}
		op = xstrdup(a->seg[3]);
	}
	if (!is(a, "POST") && !(is(a, "GET") && !op)) {
		fail(a, 405, "jdcloud calls want POST");
		goto out;
	}
	if (!op && is(a, "GET")) {
		json_t *o = json_object_get(
		    json_object_get(json_object_get(a->e->world, "jdcloud"),
				    kinds[i]),
		    id);

		if (o)
			reply(a, 200, json_incref(o));
		else
			fail(a, 404, "no jdcloud %s '%s'", kinds[i], id);
		goto out;
	}
	if (!op) {
		patch_object(a, "jdcloud", kinds[i], id);
		goto out;
	}
	if (i != 0 || (strcmp(op, "approve") && strcmp(op, "reject") &&
		       strcmp(op, "complete"))) {
		fail(a, 404, "no operation '%s' on jdcloud %s", op, kinds[i]);
		goto out;
	}
	st = jd_admin_connection(a->e, id, op,
				 json_get_str(a->body, "reason", NULL), &msg);
	if (st >= 200 && st < 300)
		reply(a, st,
		      json_pack("{s:s, s:s, s:s, s:O?}", "connectionId", id,
				"op", op, "message", msg.ptr, "connection",
				json_object_get(
				    json_object_get(
					json_object_get(a->e->world, "jdcloud"),
					"connections"),
				    id)));
	else
		fail(a, st >= 400 ? st : 400, "%s",
		     msg.len ? msg.ptr : "refused");
out:
	buf_release(&msg);
	free(id);
	free(op);
}

static void do_reset(struct admin *a)
{
	if (a->nseg != 1 || !is(a, "POST")) {
		fail(a, a->nseg == 1 ? 405 : 404, "reset wants POST");
		return;
	}
	emu_reset(a->e);
	reply(a, 200, json_pack("{s:b}", "ok", 1));
}

static void do_world(struct admin *a)
{
	if (a->nseg != 1 || !is(a, "GET")) {
		fail(a, a->nseg == 1 ? 405 : 404, "world wants GET");
		return;
	}
	json_object_set_new(a->e->world, "time_offset_ms",
			    json_integer(emu_time_offset()));
	reply(a, 200, json_incref(a->e->world));
}

static const struct route {
	const char *name;
	void (*fn)(struct admin *a);
} routes[] = {
    {"accounts", do_accounts}, {"faults", do_faults},	{"health", do_health},
    {"jdcloud", do_jdcloud},   {"ledger", do_ledger},	{"reset", do_reset},
    {"stats", do_stats},       {"tencent", do_tencent}, {"time", do_time},
    {"world", do_world},
};

/* Split the path after "/_emulator/" on '/', dropping empty segments. */
static void split_path(struct admin *a, const char *path)
{
	size_t alloc = 0;
	const char *p = path + strlen("/_emulator");

	while (*p) {
		const char *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		ALLOC_GROW(a->seg, a->nseg + 1, alloc);
		a->seg[a->nseg++] = xstrndup(p, (size_t)(end - p));
		p = end;
	}
}

void admin_handle(struct emu *e, const struct emu_req *req,
		  struct emu_resp *resp)
{
	struct admin a = {.e = e, .req = req, .resp = resp};
	json_error_t jerr;
	size_t i;

	split_path(&a, req->path);
	if (req->body_len) {
		a.body = json_loadb(req->body, req->body_len, JSON_DECODE_ANY,
				    &jerr);
		if (!a.body) {
			fail(&a, 400, "body is not JSON: %s (line %d)",
			     jerr.text, jerr.line);
			goto out;
		}
	} else {
		a.body = json_object();
	}
	for (i = 0; a.nseg && i < ARRAY_SIZE(routes); i++) {
		if (!strcmp(a.seg[0], routes[i].name)) {
			routes[i].fn(&a);
			goto out;
		}
	}
	fail(&a, 404, "no admin call at %s %s", req->method, req->path);
out:
	for (i = 0; i < a.nseg; i++)
		free(a.seg[i]);
	free(a.seg);
	json_decref(a.body);
}
