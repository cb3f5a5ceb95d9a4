/*
 * jd.h: the JD Cloud half of the emulator, shared by jd.c (envelope,
 * JDCLOUD2 verification, routing), jd_bgw.c (Direct Connection) and
 * jd_order.c (asset and order).  Private to those three files.
 *
 * A request becomes a struct jd_call once its signature is verified: the
 * account, the region and service of the path, the decoded path segments
 * after "/vN/regions/{regionId}/" (the last one split at ':' into the
 * custom verb), the query as decoded name/value pairs and the JSON body.
 * Each service's dispatch function routes the call and answers it through
 * jd_ok() / jd_error(); it returns -1 only when no operation matches, and
 * jd.c then answers 404.
 *
 * World layout under e->world "jdcloud" (objects keyed by id, so lookups
 * by id are hash lookups): "connections", "bgws", "vifs", "attachments",
 * "routes", "orders".  Each object holds the API fields as the cloud
 * returns them plus private fields whose names start with '_' ("_account",
 * "_region", "_since_ms", …), which jd_public() strips.
 */
#ifndef DCFORM_EMU_JD_H
#define DCFORM_EMU_JD_H

#include <stdint.h>
#include <jansson.h>

#include "emulator/emu.h"

struct jd_call {
	struct emu *e;
	const struct emu_req *req;
	struct emu_resp *resp;
	json_t *account;	  /* borrowed, from e->world "accounts" */
	const char *account_name; /* borrowed from account */
	const char *service;	  /* "bgw", "asset", "order" (scope) */
	const char *version;	  /* "v1", "v2" */
	char *region;		  /* regionId of the path */
	char **seg;		  /* decoded segments after the region */
	size_t nseg;
	char *verb;	/* custom verb after ':' or NULL */
	json_t *query;	/* {name: value} decoded; owned */
	json_t *body;	/* JSON object ({} when empty); owned */
	int64_t now;	/* emu_now_ms() at the start */
	const char *op; /* operation name once routed */
	int answered;
};

/* --- jd.c: envelope and helpers --- */

/* Answer {"requestId","result"} (result stolen; NULL gives {}). */
void jd_ok(struct jd_call *c, json_t *result);
/* Answer {"requestId","error":{"code":http,"status","message"}}. */
void jd_error(struct jd_call *c, int http, const char *status, const char *fmt,
	      ...) PRINTF_LIKE(4, 5);
/*
 * Start an operation once routed: counts it in the stats, evaluates the
 * fault rules (answering an injected error) and advances time.  Returns 1
 * when the call has been answered (fault), 0 to go on.
 */
int jd_begin(struct jd_call *c, const char *op);

/* The segment count and literal tests used by the routers. */
int jd_seg_is(const struct jd_call *c, size_t i, const char *s);

/*
 * Reject query parameters other than `allowed` (NULL-terminated), the
 * pagination and filter parameters when `list` is set, and the names the
 * SDKs repeat (regionId and path parameters in `allowed`).  Returns 0, or
 * -1 with the call answered (400 INVALID_ARGUMENT).
 */
int jd_query_check(struct jd_call *c, const char *const *allowed, int list);

struct jd_page {
	int64_t number; /* >= 1 */
	int64_t size;	/* 10..100 */
};
/* pageNumber/pageSize with defaults 1/20; -1 with the call answered. */
int jd_page_parse(struct jd_call *c, struct jd_page *pg);

/*
 * filters.N.name / filters.N.values.M / filters.N.operator into a new
 * object {name: [values…]} (caller decrefs).  Names other than `allowed`
 * and operators other than "eq"/"in" are refused.  NULL with the call
 * answered on error.
 */
json_t *jd_filters(struct jd_call *c, const char *const *allowed);
/* True when filter `name` is absent, or `value` is one of its values. */
int jd_filter_match(const json_t *filters, const char *name, const char *value);

/*
 * Answer a list: `items` (array of borrowed objects already filtered) is
 * paged (a page past the end gives the last page) and each item passed
 * through jd_public(); result {key: […], "totalCount": N}.
 */
void jd_list_answer(struct jd_call *c, const char *key, json_t *items,
		    const struct jd_page *pg);

/* A deep copy without the private '_' fields (new reference). */
json_t *jd_public(const json_t *obj);

/* Borrowed e->world "jdcloud" → kind object, created when missing. */
json_t *jd_world(struct emu *e, const char *kind);
/* Borrowed e->config "jdcloud" with every default filled in. */
json_t *jd_config(struct emu *e);
int64_t jd_config_int(struct emu *e, const char *section, const char *key,
		      int64_t def);

/* ISO 8601 UTC "2026-11-23T00:10:00Z" of a ms timestamp. */
void jd_time_iso(char out[32], int64_t ms);
/* "yyyy-MM-dd HH:mm:ss" (UTC) of a ms timestamp. */
void jd_time_order(char out[32], int64_t ms);

/* JD "Name": CJK characters, letters, digits, '_' and '-', 1–32 chars. */
int jd_valid_name(const char *s);
/* Number of UTF-8 characters of s (-1 when not valid UTF-8). */
long jd_utf8_len(const char *s);

/*
 * Check that obj (a request sub-object such as connectionSpec) holds only
 * `allowed` keys.  Returns 0, or -1 with the call answered (400
 * INVALID_ARGUMENT naming the field).
 */
int jd_check_keys(struct jd_call *c, const json_t *obj, const char *what,
		  const char *const *allowed);

/* Borrowed account object by name (e->world "accounts"), or NULL. */
json_t *jd_account(struct emu *e, const char *name);

/* --- jd_bgw.c --- */
int jd_bgw_dispatch(struct jd_call *c);
/* Move every connection / VIF whose delay has passed (lazy time). */
void jd_bgw_advance(struct emu *e, int64_t now);
/* An order was paid: move the connection it belongs to. */
void jd_bgw_order_paid(struct emu *e, json_t *order, int64_t now);

/* --- jd_order.c --- */
int jd_asset_dispatch(struct jd_call *c);
int jd_order_dispatch(struct jd_call *c);
/*
 * A new unpaid order of amount_fen for account (borrowed, stored in the
 * world and entered in the ledger).  order_type "NEW"/"RENEW"/
 * "RESIZE_FORMULA", action a short word ("installation", "port_rental",
 * "resize").
 */
json_t *jd_order_create(struct emu *e, const char *account, const char *region,
			int64_t amount_fen, const char *order_type,
			const char *resource_id, const char *action,
			int64_t now);
/*
 * Pay an order from the account's balance.  Returns 0 when it is paid
 * (now or before: a paid order is never charged twice), -1 when the
 * balance is insufficient (message in msg).  Calls jd_bgw_order_paid().
 */
int jd_order_pay(struct emu *e, json_t *order, int64_t now, struct buf *msg);

#endif
