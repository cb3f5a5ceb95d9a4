/*
 * jd_order.c: JD Cloud money in the emulator (../shared/api/jdcloud-dc.md
 * §4): asset describeAccountAmount (yuan as decimal strings), order
 * queryOrder / queryOrders / payOrder, and the orders the Direct
 * Connection flow creates (installation fee, port rental, resize).
 *
 * Amounts: the account balance is kept in fen (world accounts →
 * "jdcloud" → "balance_fen"); order fee fields (totalFee, actualFee, …)
 * are integers in fen as well.  Every order and every payment goes to the
 * ledger.  A paid order is never charged again.
 */
#include "emulator/jd.h"

#include <stdlib.h>
#include <string.h>

#include "core/util/json.h"

static void yuan(char out[40], int64_t fen)
{
	int neg = fen < 0;
	uint64_t v = neg ? (uint64_t)(-(fen + 1)) + 1 : (uint64_t)fen;

	snprintf(out, 40, "%s%llu.%02llu", neg ? "-" : "",
		 (unsigned long long)(v / 100), (unsigned long long)(v % 100));
}

static json_t *jd_part(json_t *account)
{
	json_t *jd = json_object_get(account, "jdcloud");

	if (!json_is_object(jd)) {
		jd = json_object();
		json_object_set_new(account, "jdcloud", jd);
	}
	return jd;
}

/* ---------------------------------------------------------------- */
/* Orders */

static char *new_order_number(struct emu *e, int64_t now)
{
	json_t *orders = jd_world(e, "orders");
	unsigned long long n = (unsigned long long)(now % 100000000000LL);
	char *id = NULL;

	for (;;) {
		free(id);
		/* 16 digits, like JD order numbers. */
		id = xasprintf("2%011llu%04u", n,
			       (unsigned)(emu_rand(e) % 10000));
		if (!json_object_get(orders, id))
			return id;
	}
}

json_t *jd_order_create(struct emu *e, const char *account, const char *region,
			int64_t amount_fen, const char *order_type,
			const char *resource_id, const char *action,
			int64_t now)
{
	json_t *orders = jd_world(e, "orders"), *o;
	char *num = new_order_number(e, now);
	char created[32], expires[32];

	jd_time_order(created, now);
	jd_time_order(expires, now + 7LL * 24 * 3600 * 1000);
	o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
	    " s:I, s:s, s:n, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}],"
	    " s:s, s:s, s:s, s:I}",
	    "orderNumber", num, "status", "NO_PAY", "payType", "PRE_PAID",
	    "chargeMode", strcmp(action, "installation") ? "MONTHLY" : "ONCE",
	    "orderType", order_type, "totalFee", (json_int_t)amount_fen,
	    "actualFee", (json_int_t)amount_fen, "discountFee", (json_int_t)0,
	    "balancePay", (json_int_t)0, "moneyPay", (json_int_t)0,
	    "favorableFee", (json_int_t)0, "paidFee", (json_int_t)0,
	    "refundFee", (json_int_t)0, "createTime", created, "payTime",
	    "expirationTime", expires, "serviceName", "Direct Connection",
	    "appCode", "bgw", "pin",
	    json_get_str(json_object_get(jd_account(e, account), "jdcloud"),
			 "pin", account),
	    "serviceCode", "bgw", "orderItemDetails", "itemId", resource_id,
	    "status", "CREATING", "_account", account, "_region", region,
	    "_action", action, "_created_ms", (json_int_t)now);
	json_object_set_new(orders, num, o);
	emu_ledger_add(e, json_pack("{s:s, s:s, s:s, s:s, s:I, s:[s], s:s,"
				    " s:s, s:s}",
				    "kind", "order", "cloud", "jdcloud",
				    "account", account, "order_id", num,
				    "amount_fen", (json_int_t)amount_fen,
				    "resource_ids", resource_id, "product",
				    "bgw", "action", action, "region", region));
	emu_dirty(e);
	free(num);
	return o;
}

int jd_order_pay(struct emu *e, json_t *order, int64_t now, struct buf *msg)
{
	const char *status = json_get_str(order, "status", "");
	const char *account = json_get_str(order, "_account", "");
	json_t *acc = jd_account(e, account), *jd;
	int64_t fee = json_get_int(order, "actualFee", 0), bal;
	char when[32], have[40], need[40];
	size_t i;
	json_t *item;

	if (strcmp(status, "NO_PAY"))
		return 0; /* paid (or closed) already: never charge twice */
	jd = jd_part(acc);
	bal = json_get_int(jd, "balance_fen", 0);
	/* §4: a prepaid order is paid only when balance > actualFee. */
	if (fee > 0 && bal <= fee) {
		yuan(have, bal);
		yuan(need, fee);
		buf_printf(msg,
			   "insufficient balance: available %s yuan, order "
			   "%s needs %s yuan",
			   have, json_get_str(order, "orderNumber", ""), need);
		return -1;
	}
	json_object_set_new(jd, "balance_fen", json_integer(bal - fee));
	jd_time_order(when, now);
	json_object_set_new(order, "status", json_string("PAID"));
	json_object_set_new(order, "payTime", json_string(when));
	json_object_set_new(order, "balancePay", json_integer(fee));
	json_object_set_new(order, "paidFee", json_integer(fee));
	json_object_set_new(order, "paymentChannel", json_string("BALANCE"));
	json_array_foreach (json_object_get(order, "orderItemDetails"), i, item)
		json_object_set_new(item, "status", json_string("SUCCESS"));
	emu_ledger_add(
	    e,
	    json_pack(
		"{s:s, s:s, s:s, s:s, s:I, s:o, s:s, s:s,"
		" s:I}",
		"kind", "payment", "cloud", "jdcloud", "account", account,
		"order_id", json_get_str(order, "orderNumber", ""),
		"amount_fen", (json_int_t)fee, "resource_ids",
		json_pack(
		    "[s]",
		    json_get_str(
			json_array_get(
			    json_object_get(order, "orderItemDetails"), 0),
			"itemId", "")),
		"product", "bgw", "action", json_get_str(order, "_action", ""),
		"balance_after_fen", (json_int_t)(bal - fee)));
	emu_dirty(e);
	jd_bgw_order_paid(e, order, now);
	return 0;
}

/* ---------------------------------------------------------------- */
/* asset */

static void describe_account_amount(struct jd_call *c)
{
	static const char *const allowed[] = {NULL};
	int64_t bal = json_get_int(json_object_get(c->account, "jdcloud"),
				   "balance_fen", 0);
	char avail[40], zero[40];

	if (jd_query_check(c, allowed, 0) < 0)
		return;
	yuan(avail, bal);
	yuan(zero, 0);
	jd_ok(c, json_pack("{s:s, s:s, s:s, s:s, s:s}", "totalAmount", avail,
			   "availableAmount", avail, "frozenAmount", zero,
			   "enableWithdrawAmount", bal > 0 ? avail : zero,
			   "withdrawingAmount", zero));
}

int jd_asset_dispatch(struct jd_call *c)
{
	const char *m = c->req->method;

	if (c->nseg == 1 && jd_seg_is(c, 0, "assets") && c->verb &&
	    !strcmp(c->verb, "describeAccountAmount") && !strcmp(m, "GET")) {
		if (jd_begin(c, "describeAccountAmount"))
			return 0;
		describe_account_amount(c);
		return 0;
	}
	return -1;
}

/* ---------------------------------------------------------------- */
/* order */

/* The caller's order, or NULL with 404 answered. */
static json_t *find_order(struct jd_call *c, const char *num)
{
	json_t *o = json_object_get(jd_world(c->e, "orders"), num);

	if (!o || strcmp(json_get_str(o, "_account", ""), c->account_name)) {
		jd_error(c, 404, "NOT_FOUND", "order '%s' does not exist", num);
		return NULL;
	}
	return o;
}

static void query_order(struct jd_call *c, const char *num)
{
	static const char *const allowed[] = {"orderNumber", "includeDetail",
					      NULL};
	const char *inc;
	json_t *o, *pub;

	if (jd_query_check(c, allowed, 0) < 0)
		return;
	inc = json_string_value(json_object_get(c->query, "includeDetail"));
	if (inc && strcmp(inc, "true") && strcmp(inc, "false")) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "includeDetail must be true or false");
		return;
	}
	o = find_order(c, num);
	if (!o)
		return;
	pub = jd_public(o);
	if (!inc || strcmp(inc, "true"))
		json_object_del(pub, "childOrderDetailList");
	jd_ok(c, json_pack("{s:o}", "data", pub));
}

static void pay_order(struct jd_call *c, const char *num)
{
	json_t *auto_pay = json_object_get(c->body, "autoPay");
	struct buf msg = BUF_INIT;
	json_t *o;

	if (auto_pay && !json_is_boolean(auto_pay)) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "autoPay must be a boolean");
		return;
	}
	o = find_order(c, num);
	if (!o)
		return;
	if (json_is_true(auto_pay)) {
		const char *st = json_get_str(o, "status", "");

		if (strcmp(st, "NO_PAY") && strcmp(st, "PAID")) {
			jd_error(c, 400, "FAILED_PRECONDITION",
				 "order '%s' is %s and cannot be paid", num,
				 st);
			return;
		}
		if (jd_order_pay(c->e, o, c->now, &msg) < 0) {
			jd_error(c, 400, "FAILED_PRECONDITION", "%s", msg.ptr);
			buf_release(&msg);
			return;
		}
	}
	jd_ok(c, json_pack("{s:s, s:b}", "orderNumber", num, "autoPay",
			   json_is_true(auto_pay)));
}

static int order_time_ms(const json_t *o)
{
	return json_get_int(o, "_created_ms", 0) != 0;
}

static void query_orders(struct jd_call *c)
{
	static const char *const vo_keys[] = {
	    "appCode",	   "chargeMode", "startTime", "endTime",
	    "orderType",   "pageNumber", "pageSize",  "payType",
	    "serviceCode", "status",	 NULL};
	json_t *vo = json_object_get(c->body, "queryVo"), *items, *page, *o;
	int64_t start, end, number, size, pages;
	size_t total, i;
	const char *k;

	if (!vo)
		vo = json_object_get(c->body, "queryVO");
	if (!vo) {
		jd_error(c, 400, "INVALID_ARGUMENT", "queryVo is required");
		return;
	}
	if (jd_check_keys(c, vo, "queryVo", vo_keys) < 0)
		return;
	end = json_get_int(vo, "endTime", c->now);
	start = json_get_int(vo, "startTime", end - 31LL * 24 * 3600 * 1000);
	/* Seconds or milliseconds: take what the caller sent. */
	if (end < 100000000000LL)
		end *= 1000;
	if (start < 100000000000LL)
		start *= 1000;
	if (end < start || end - start > 366LL * 24 * 3600 * 1000) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "startTime/endTime must span at most one year");
		return;
	}
	number = json_get_int(vo, "pageNumber", 1);
	size = json_get_int(vo, "pageSize", 20);
	if (number < 1 || size < 10 || size > 100) {
		jd_error(c, 400, "INVALID_ARGUMENT",
			 "pageNumber must be >= 1 and pageSize in [10,100]");
		return;
	}
	items = json_array();
	json_object_foreach (jd_world(c->e, "orders"), k, o) {
		int64_t t = json_get_int(o, "_created_ms", 0);
		static const char *const match[] = {
		    "chargeMode", "orderType",	 "payType", "status",
		    "appCode",	  "serviceCode", NULL};
		int ok = 1;

		if (strcmp(json_get_str(o, "_account", ""), c->account_name) ||
		    !order_time_ms(o) || t < start || t > end)
			continue;
		for (i = 0; match[i]; i++) {
			const char *want = json_get_str(vo, match[i], NULL);

			if (want && *want &&
			    strcmp(want, json_get_str(o, match[i], "")))
				ok = 0;
		}
		if (ok)
			json_array_append(items, o);
	}
	total = json_array_size(items);
	pages = (int64_t)((total + (size_t)size - 1) / (size_t)size);
	if (pages && number > pages)
		number = pages;
	page = json_array();
	for (i = (size_t)((number - 1) * size);
	     i < total && i < (size_t)(number * size); i++)
		json_array_append_new(page,
				      jd_public(json_array_get(items, i)));
	json_decref(items);
	jd_ok(c, json_pack("{s:o, s:I, s:I}", "resultList", page, "totalCount",
			   (json_int_t)total, "totalPage", (json_int_t)pages));
}

int jd_order_dispatch(struct jd_call *c)
{
	const char *m = c->req->method;

	if (c->nseg == 2 && jd_seg_is(c, 0, "order")) {
		const char *num = c->seg[1];

		if (!c->verb && !strcmp(m, "GET")) {
			if (jd_begin(c, "queryOrder"))
				return 0;
			query_order(c, num);
			return 0;
		}
		if (c->verb && !strcmp(c->verb, "pay") && !strcmp(m, "POST")) {
			if (jd_begin(c, "payOrder"))
				return 0;
			pay_order(c, num);
			return 0;
		}
	}
	if (c->nseg == 1 && jd_seg_is(c, 0, "orders") && !c->verb &&
	    !strcmp(m, "POST")) {
		if (jd_begin(c, "queryOrders"))
			return 0;
		query_orders(c);
		return 0;
	}
	return -1;
}
