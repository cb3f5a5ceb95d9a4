/*
 * tc.h: the Tencent Cloud half of the emulator, shared by tc.c (API 3.0
 * envelope, TC3-HMAC-SHA256 verification, parameters, dispatch),
 * tc_dcdb.c (DCDB 2018-04-11) and tc_billing.c (billing 2018-07-09).
 *
 * A verified request becomes a struct tc_call: the account, the service
 * of the credential scope, the action, the region and the parameters as
 * one JSON object (POST body, or the GET query unflattened: "A.0=x" →
 * {"A":["x"]}).  Handlers answer with tc_ok() or tc_error().
 *
 * World layout under e->world "tencent": "instances" (id → instance),
 * "deals" (DealName → deal), "flows" (FlowId as text → flow).  Objects
 * hold API fields plus private ones starting with '_' ("_account",
 * "_region", "_ready_at", …) that answers never include.
 */
#ifndef DCFORM_EMU_TC_H
#define DCFORM_EMU_TC_H

#include <stdint.h>
#include <jansson.h>

#include "emulator/emu.h"

struct tc_call {
	struct emu *e;
	const struct emu_req *req;
	struct emu_resp *resp;
	json_t *account; /* borrowed */
	const char *account_name;
	char service[32]; /* "dcdb" or "billing" (credential scope) */
	const char *action;
	const char *region; /* X-TC-Region, "" when absent */
	json_t *params;	    /* owned */
	int64_t now;
	int answered;
};

/* Answer {"Response": {…, "RequestId"}} (fields stolen; NULL = {}). */
void tc_ok(struct tc_call *c, json_t *fields);
/* Answer {"Response": {"Error": {"Code","Message"}, "RequestId"}}. */
void tc_error(struct tc_call *c, const char *code, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

/*
 * Parameter getters.  Integers are accepted as JSON numbers or as decimal
 * strings (the docs' examples quote them).  A present value of the wrong
 * type answers InvalidParameterValue and returns -1; a missing required
 * one answers MissingParameter.  0 on success (def when absent).
 */
int tc_int(struct tc_call *c, const char *name, int required, int64_t def,
	   int64_t *out);
int tc_str(struct tc_call *c, const char *name, int required, const char **out);
int tc_strs(struct tc_call *c, const char *name, int required,
	    json_t **out /* borrowed array of strings, NULL when absent */);

/* The tencent part of the world, "instances" etc. (created on demand). */
json_t *tc_world(struct emu *e, const char *key);
/* "YYYY-MM-DD HH:MM:SS" (UTC+8, as the console shows) of ms. */
void tc_time(char out[20], int64_t ms);

/* Move every object whose delay has passed (lazy time). */
void tc_dcdb_advance(struct emu *e, int64_t now);

/* Action handlers: return 0 once answered. */
typedef int (*tc_action_fn)(struct tc_call *c);
/* NULL when the service has no such action. */
tc_action_fn tc_dcdb_action(const char *action, const char **params,
			    int *regional);
tc_action_fn tc_billing_action(const char *action, const char **params);

/* Deal payment, for billing PayDeals: 0 paid now, 1 already paid,
 * negative with c answered on failure. */
int tc_dcdb_pay_deal(struct tc_call *c, json_t *deal);

#endif
