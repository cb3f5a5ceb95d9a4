/*
 * tc_billing.c: Tencent Cloud billing (2018-07-09) for the emulator:
 * balance, paying DCDB deals, listing deals.  See tc.h.
 */
#include <stdio.h>
#include <string.h>

#include "emulator/tc.h"
#include "core/util/json.h"
#include "core/util/util.h"

static int balance(struct tc_call *c)
{
	json_t *tc = json_object_get(c->account, "tencent");
	json_int_t b = (json_int_t)json_get_int(tc, "balance_fen", 0);

	tc_ok(c,
	      json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}",
			"Balance", b, "RealBalance", b, "CashAccountBalance", b,
			"IncomeIntoAccountBalance", (json_int_t)0,
			"PresentAccountBalance", (json_int_t)0, "FreezeAmount",
			(json_int_t)0, "OweAmount", (json_int_t)0,
			"CreditAmount", (json_int_t)0, "CreditBalance", b,
			"RealCreditBalance", b, "Uin",
			(json_int_t)atoll(json_get_str(c->account, "uin", "0")),
			"IsCreditLimited", 0));
	return 0;
}

static int pay(struct tc_call *c)
{
	json_t *ids = NULL, *big = NULL, *list, *x, *paid = json_array(),
	       *res = json_array();
	size_t i;

	if (tc_strs(c, "OrderIds", 0, &ids) < 0 ||
	    tc_strs(c, "BigDealIds", 0, &big) < 0)
		goto out;
	if (!ids == !big) {
		tc_error(c, "InvalidParameter",
			 "give exactly one of OrderIds and BigDealIds");
		goto out;
	}
	list = ids ? ids : big;
	/* All or nothing: check every deal before paying any. */
	json_array_foreach (list, i, x) {
		json_t *d = json_object_get(tc_world(c->e, "deals"),
					    json_string_value(x));

		if (!d ||
		    strcmp(json_get_str(d, "_account", ""), c->account_name)) {
			tc_error(c, "InvalidParameter",
				 "order %s does not exist",
				 json_string_value(x));
			goto out;
		}
		if (json_get_int(d, "_status", 1) != 1) {
			tc_error(c, "FailedOperation.InvalidDeal",
				 "only unpaid orders can be paid; %s is "
				 "already paid",
				 json_string_value(x));
			goto out;
		}
	}
	json_array_foreach (list, i, x) {
		json_t *d = json_object_get(tc_world(c->e, "deals"),
					    json_string_value(x));

		if (tc_dcdb_pay_deal(c, d) < 0)
			goto out;
		json_array_append(paid, x);
		json_array_extend(res, json_object_get(d, "InstanceIds"));
	}
	tc_ok(c,
	      json_pack("{s:O,s:O,s:[]}", ids ? "OrderIds" : "BigDealIds", paid,
			"ResourceIds", res, ids ? "BigDealIds" : "OrderIds"));
out:
	json_decref(paid);
	json_decref(res);
	return 0;
}

/* "YYYY-MM-DD HH:MM:SS" */
static int time_ok(const char *s)
{
	static const char pat[] = "dddd-dd-dd dd:dd:dd";
	size_t i;

	for (i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9')
				  : s[i] != pat[i])
			return 0;
	return s[i] == '\0';
}

static int deals_by_cond(struct tc_call *c)
{
	const char *start, *end, *order = NULL;
	int64_t lim, off, status;
	json_t *out = json_array(), *d;
	const char *k;
	int64_t total = 0;

	if (tc_str(c, "StartTime", 1, &start) < 0 ||
	    tc_str(c, "EndTime", 1, &end) < 0 ||
	    tc_int(c, "Limit", 1, 20, &lim) < 0 ||
	    tc_int(c, "Offset", 0, 0, &off) < 0 ||
	    tc_int(c, "Status", 0, 0, &status) < 0 ||
	    tc_str(c, "OrderId", 0, &order) < 0)
		goto out;
	if (lim < 1 || lim > 1000) {
		tc_error(c, "InvalidParameterValue", "Limit must be 1-1000");
		goto out;
	}
	if (!time_ok(start) || !time_ok(end)) {
		tc_error(c, "InvalidParameterValue",
			 "StartTime and EndTime are YYYY-MM-DD HH:MM:SS");
		goto out;
	}
	json_object_foreach (tc_world(c->e, "deals"), k, d) {
		int64_t st = json_get_int(d, "_status", 1);

		if (strcmp(json_get_str(d, "_account", ""), c->account_name))
			continue;
		if (order && strcmp(order, k))
			continue;
		if (status && status != st)
			continue;
		/* Same fixed-width format: strings compare as times. */
		if (strcmp(json_get_str(d, "_created", ""), start) < 0 ||
		    strcmp(json_get_str(d, "_created", ""), end) > 0)
			continue;
		if (total >= off && total < off + lim)
			json_array_append_new(
			    out,
			    json_pack(
				"{s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s,"
				"s:s,s:O,s:s}",
				"OrderId", k, "BigDealId", k, "Status",
				(json_int_t)st, "Price",
				(json_int_t)json_get_int(d, "_price", 0),
				"TotalCost",
				(json_int_t)json_get_int(d, "_price", 0),
				"Currency", "CNY", "ProductCode", "p_dcdb",
				"PayMode",
				json_get_int(d, "PayMode", 1) ? "prePay"
							      : "postPay",
				"Action", json_get_str(d, "_action", ""),
				"ResourceId", json_object_get(d, "InstanceIds"),
				"CreateTime", json_get_str(d, "_created", "")));
		total++;
	}
	tc_ok(c, json_pack("{s:O,s:I}", "Deals", out, "TotalCount",
			   (json_int_t)total));
out:
	json_decref(out);
	return 0;
}

static const struct {
	const char *name;
	tc_action_fn fn;
	const char *params;
} actions[] = {
    {"DescribeAccountBalance", balance, "TempCredit"},
    {"DescribeDealsByCond", deals_by_cond,
     "StartTime EndTime Limit Offset Status StatusSet OrderId BigDealId "
     "ResourceId"},
    {"PayDeals", pay,
     "OrderIds BigDealIds AutoVoucher VoucherIds AgentPay CpsUin"},
};

tc_action_fn tc_billing_action(const char *action, const char **params)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(actions); i++)
		if (!strcmp(actions[i].name, action)) {
			*params = actions[i].params;
			return actions[i].fn;
		}
	return NULL;
}
