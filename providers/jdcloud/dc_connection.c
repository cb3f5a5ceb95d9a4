/*
 * dc_connection.c: jdcloud_dc_connection, a Direct Connection line,
 * bought as design §5 says:
 *   create   createConnection (status Ordering; dcform's token at the end
 *            of `description`) → wait (review: Installation_Paying, with
 *            the installation order) → pay (payOrder, only when the order
 *            reads NO_PAY) → wait (construction: Pending → Confirming) →
 *            confirm (confirmConnection, which makes the port-rental
 *            order, paid with payOrder only when it reads NO_PAY) → wait
 *            (Active)
 *   update   modifyConnection (name, description); resizeConnection and
 *            payOrder of its order for another port spec
 *   delete   deleteConnection (refused while VIFs remain) → wait until
 *            Deleted or gone
 * Attributes are in property space (schemas/jdcloud_dc_connection.json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/jdcloud/jdcloud.h"
#include "core/util/json.h"
#include "core/util/util.h"

/* ---- cloud → property space ------------------------------------------ */

static json_t *attrs_of(const json_t *in)
{
	json_t *a = json_object(), *loc = json_object_get(in, "location");
	const char *type = json_get_str(in, "type", "");
	char *desc = jd_desc_user(json_get_str(in, "description", ""), NULL);

	if (!strcmp(type, "jcloud_self"))
		type = "jcloud";
	json_object_set_new(a, "id",
			    json_string(json_get_str(in, "connectionId", "")));
	json_object_set_new(
	    a, "name", json_string(json_get_str(in, "connectionName", "")));
	json_object_set_new(a, "type", json_string(type));
	if (json_is_object(loc)) {
		json_t *l = json_object();
		const json_t *ps = json_object_get(loc, "locationPortSpec");
		const json_t *isp = json_object_get(loc, "locationISP");

		if (strcmp(type, "jcloud_hosted") &&
		    *json_get_str(loc, "locationCode", ""))
			json_object_set_new(
			    l, "code",
			    json_string(json_get_str(loc, "locationCode", "")));
		if (json_get_str(ps, "portSpecCode", NULL))
			json_object_set_new(
			    l, "port_spec_code",
			    json_string(json_get_str(ps, "portSpecCode", "")));
		if (strcmp(type, "jcloud_hosted") &&
		    json_get_str(isp, "ispCode", NULL))
			json_object_set_new(
			    l, "isp_code",
			    json_string(json_get_str(isp, "ispCode", "")));
		json_object_set_new(a, "location", l);
	}
	if (json_is_object(json_object_get(in, "partner")) &&
	    json_get_str(json_object_get(in, "partner"), "partnerCode", NULL))
		json_object_set_new(
		    a, "partner_code",
		    json_string(json_get_str(json_object_get(in, "partner"),
					     "partnerCode", "")));
	if (json_integer_value(json_object_get(in, "chargeDuration")) > 0)
		json_object_set(a, "partner_months",
				json_object_get(in, "chargeDuration"));
	if (*desc)
		json_object_set_new(a, "description", json_string(desc));
	free(desc);
	json_object_set_new(a, "idc_address",
			    json_string(json_get_str(in, "idcAddress", "")));
	json_object_set_new(a, "contact_name",
			    json_string(json_get_str(in, "contactName", "")));
	json_object_set_new(a, "phone_number",
			    json_string(json_get_str(in, "phoneNumber", "")));
	json_object_set_new(
	    a, "status", json_string(json_get_str(in, "connectionStatus", "")));
	json_object_set_new(
	    a, "rejected_reason",
	    json_string(json_get_str(in, "rejectedReason", "")));
	json_object_set_new(a, "bandwidth_mbps",
			    json_integer(json_get_int(in, "bandwidthMbps", 0)));
	json_object_set_new(a, "order_id",
			    json_string(json_get_str(in, "orderId", "")));
	json_object_set_new(a, "vif_ids",
			    json_is_array(json_object_get(in, "vifIds"))
				? json_deep_copy(json_object_get(in, "vifIds"))
				: json_array());
	json_object_set_new(a, "created_time",
			    json_string(json_get_str(in, "createdTime", "")));
	json_object_set_new(
	    a, "charge_expired_time",
	    json_string(json_get_str(json_object_get(in, "charge"),
				     "chargeExpiredTime", "")));
	return a;
}

json_t *jdcloud_connection_attributes(const json_t *in)
{
	return attrs_of(in);
}

/* ---- reads ------------------------------------------------------------ */

static int read_many(void *ctx, const char *region, const json_t *ids,
		     json_t **out, struct err *e)
{
	json_t *got = NULL, *a;
	const char *k;
	void *tmp;
	int ret;

	ret = jd_list(ctx, region, "describeConnections", "/connections/",
		      "connectionIds", ids, "connections", "connectionId",
		      attrs_of, &got, e);
	if (ret < 0)
		return ret;
	/* A Deleted connection is gone for dcform. */
	json_object_foreach_safe (got, tmp, k, a)
		if (!strcmp(json_get_str(a, "status", ""), "Deleted"))
			json_object_del(got, k);
	*out = got;
	return 0;
}

static int list_all(void *ctx, const char *region, json_t **out, struct err *e)
{
	return read_many(ctx, region, NULL, out, e);
}

struct each {
	provider_sink_fn *sink;
	void *arg;
};

/* A Deleted connection is gone for dcform (as in read_many). */
static void unless_deleted(void *arg, const char *id, json_t *a)
{
	struct each *x = arg;

	if (!strcmp(json_get_str(a, "status", ""), "Deleted"))
		json_decref(a);
	else
		x->sink(x->arg, id, a);
}

static int read_each(void *ctx, const char *region, const json_t *ids,
		     provider_sink_fn *sink, void *arg, struct err *e)
{
	struct each x = {sink, arg};

	return jd_list_each(ctx, region, "describeConnections", "/connections/",
			    "connectionIds", ids, "connections", "connectionId",
			    attrs_of, unless_deleted, &x, e);
}

static int find_by_token(void *ctx, const char *region, const char *token,
			 char **out_id, json_t **out_attrs, struct err *e)
{
	json_t *all = NULL, *in;
	size_t i;
	int ret;

	ret = jd_list_raw(ctx, region, "describeConnections", "/connections/",
			  NULL, "connections", &all, e);
	if (ret < 0)
		return ret;
	json_array_foreach (all, i, in) {
		char tok[64];
		char *d =
		    jd_desc_user(json_get_str(in, "description", ""), tok);

		free(d);
		if (strcmp(tok, token) ||
		    !strcmp(json_get_str(in, "connectionStatus", ""),
			    "Deleted"))
			continue;
		*out_id = xstrdup(json_get_str(in, "connectionId", ""));
		*out_attrs = attrs_of(in);
		json_decref(all);
		return 0;
	}
	json_decref(all);
	return DCF_ENOTFOUND;
}

/* The Connection object (new ref); DCF_ENOTFOUND when unknown. */
static int describe(json_t **out, void *ctx, const char *region, const char *id,
		    struct step_run *r, struct err *e)
{
	json_t *res = NULL;
	char *path = xasprintf("/connections/%s", id);
	int ret;

	if (r)
		ret = jd_step_call(&res, ctx, r, "bgw", "describeConnection",
				   "GET", path, NULL, NULL, 1, e);
	else
		ret = jd_call(&res, jd_cl(ctx), "bgw", "describeConnection",
			      "GET", region, path, NULL, NULL, 1, NULL, e);
	free(path);
	if (ret < 0)
		return ret;
	*out = json_incref(json_object_get(res, "connection"));
	json_decref(res);
	if (!*out)
		return err_set(e, DCF_EPROVIDER,
			       "describeConnection: no connection in the "
			       "answer");
	return 0;
}

static int import_one(void *ctx, const char *region, const char *id,
		      json_t **out, struct err *e)
{
	json_t *in = NULL;
	int ret = describe(&in, ctx, region, id, NULL, e);

	if (ret == DCF_ENOTFOUND)
		return err_set(e, DCF_ENOTFOUND,
			       "connection '%s' does not exist in %s", id,
			       region);
	if (ret < 0)
		return ret;
	*out = attrs_of(in);
	json_decref(in);
	return 0;
}

/* ---- expand ----------------------------------------------------------- */

static int expand(const struct change *c, json_t **out, struct err *e)
{
	json_t *steps = json_array();
	const json_t *d = c->desired;
	const json_t *loc = json_object_get(d, "location");
	const json_t *rent = json_object_get(d, "rental");
	char title[256];

	(void)e;
	if (c->action == CHANGE_CREATE) {
		if (!strcmp(json_get_str(d, "type", ""), "jcloud_partner"))
			snprintf(title, sizeof(title),
				 "createConnection: partner line %s",
				 json_get_str(d, "partner_code", "?"));
		else
			snprintf(title, sizeof(title),
				 "createConnection: %s, %s port%s%s",
				 json_get_str(d, "type", ""),
				 json_get_str(loc, "port_spec_code", "?"),
				 json_get_str(loc, "code", NULL) ? " at " : "",
				 json_get_str(loc, "code", ""));
		json_array_append_new(
		    steps, jd_step("create", title, 1, "create", "create"));
		json_array_append_new(
		    steps, jd_step("wait",
				   "wait for JD's review (Ordering → "
				   "Installation_Paying; 1-2 working days)",
				   0, "review", "wait_review"));
		json_array_append_new(
		    steps, jd_step("pay",
				   "payOrder: the installation order, if "
				   "still unpaid",
				   1, "pay", "pay_installation"));
		json_array_append_new(
		    steps, jd_step("wait",
				   "wait for construction (Pending → "
				   "Confirming)",
				   0, "construction", "wait_construction"));
		if (rent)
			snprintf(title, sizeof(title),
				 "confirmConnection: start the port rental "
				 "(%lld %s%s%s), pay its order if unpaid",
				 (long long)json_get_int(rent, "span", 1),
				 json_get_str(rent, "unit", "month"),
				 json_get_int(rent, "span", 1) > 1 ? "s" : "",
				 json_get_bool(rent, "auto_renew", 0)
				     ? ", auto-renew"
				     : "");
		else
			snprintf(title, sizeof(title),
				 "confirmConnection: accept the built line");
		json_array_append_new(
		    steps, jd_step("confirm", title, 1, "create", "confirm"));
		json_array_append_new(steps,
				      jd_step("wait", "wait for status Active",
					      0, "create", "wait_active"));
	} else if (c->action == CHANGE_UPDATE) {
		/* One step whatever changed, so that a resumed update
		 * expands the same way: it compares with the cloud and makes
		 * only the calls still needed. */
		struct buf t = BUF_INIT;

		if (jd_changed(c, "name") || jd_changed(c, "description"))
			buf_puts(&t, "modifyConnection (name, description)");
		if (jd_changed(c, "location.port_spec_code"))
			buf_printf(&t,
				   "%sresizeConnection to %s and payOrder "
				   "of its order if unpaid",
				   t.len ? "; " : "",
				   json_get_str(loc, "port_spec_code", "?"));
		if (jd_changed(c, "rental"))
			buf_printf(&t,
				   "%sthe rental settings apply at the "
				   "next renewal (recorded in state)",
				   t.len ? "; " : "");
		if (!t.len)
			buf_puts(&t, "read the connection back");
		json_array_append_new(
		    steps, jd_step("update", t.ptr, 1, "update", "update"));
		buf_release(&t);
	} else if (c->action == CHANGE_DELETE) {
		json_array_append_new(
		    steps,
		    jd_step("delete", "deleteConnection (only without VIFs)", 1,
			    "delete", "delete"));
		json_array_append_new(steps,
				      jd_step("wait", "wait until Deleted", 0,
					      "delete", "wait_deleted"));
	}
	*out = steps;
	return 0;
}

/* ---- quotes ----------------------------------------------------------- */

static int offers(const json_t *loc, const char *list, const char *key,
		  const char *code)
{
	json_t *it;
	size_t i;

	json_array_foreach (json_object_get(loc, list), i, it)
		if (!strcmp(json_get_str(it, key, ""), code))
			return 1;
	return 0;
}

/*
 * Whether the region offers the connection's access point, port and ISP
 * (describeLocations); problems go to the context for preflight.
 */
static int check_location(void *ctx, const struct change *c, struct err *e)
{
	struct jd_ctx *x = ctx;
	const json_t *d = c->desired, *l = json_object_get(d, "location");
	const char *code = json_get_str(l, "code", NULL);
	const char *port = json_get_str(l, "port_spec_code", NULL);
	const char *isp = json_get_str(l, "isp_code", NULL);
	struct buf q = BUF_INIT;
	json_t *locs = NULL, *it;
	char *msg = NULL;
	size_t i;
	int ret, port_ok = 0;

	if (!json_is_object(l) ||
	    !strcmp(json_get_str(d, "type", ""), "jcloud_partner"))
		return 0;
	if (code) {
		json_t *v = json_pack("[s]", code);

		jd_query_filter(&q, 1, "locationCodes", v);
		json_decref(v);
	}
	ret = jd_list_raw(ctx, c->region, "describeLocations", "/locations/",
			  q.ptr, "locations", &locs, e);
	buf_release(&q);
	if (ret < 0)
		return ret;
	x->locations_checked++;
	if (code && !json_array_size(locs)) {
		msg = xasprintf("%s: access point %s is not offered in %s",
				c->address, code, c->region);
	} else {
		json_array_foreach (locs, i, it) {
			if (port && offers(it, "locationPortSpecs",
					   "portSpecCode", port))
				port_ok = 1;
			if (code && isp &&
			    !offers(it, "locationISPs", "ispCode", isp))
				msg = xasprintf("%s: ISP %s is not offered at "
						"%s (describeLocations)",
						c->address, isp, code);
		}
		if (!msg && port && !port_ok)
			msg = xasprintf("%s: port %s is not offered %s%s in %s",
					c->address, port, code ? "at " : "",
					code ? code : "", c->region);
	}
	if (msg) {
		if (!x->location_problems)
			x->location_problems = json_array();
		json_array_append_new(x->location_problems, json_string(msg));
		free(msg);
	}
	json_decref(locs);
	return 0;
}

static int quote(void *ctx, const struct change *c, json_t **out, struct err *e)
{
	int ret;

	if (c->action != CHANGE_CREATE) {
		*out = json_pack("{s:i,s:s,s:s}", "upfront_fen", 0, "currency",
				 "CNY", "detail",
				 jd_changed(c, "location.port_spec_code")
				     ? "resize: priced by its order"
				     : "no charge");
		return 0;
	}
	ret = check_location(ctx, c, e);
	if (ret < 0)
		return ret;
	*out = json_pack(
	    "{s:I,s:s,s:s,s:b}", "upfront_fen", (json_int_t)JD_INSTALLATION_FEN,
	    "currency", "CNY", "detail",
	    "installation ¥15,000 (JD's published fee; the order is set "
	    "at review); port rental priced by its order at confirm",
	    "estimated", 1);
	return 0;
}

/* ---- steps ------------------------------------------------------------ */

static json_t *create_body(const struct step_run *r)
{
	const json_t *d = r->desired, *loc = json_object_get(d, "location");
	json_t *spec = json_object();
	char *desc =
	    jd_desc_with_token(json_get_str(d, "description", NULL), r->token);
	const char *type = json_get_str(d, "type", "jcloud");

	json_object_set_new(spec, "connectionName",
			    json_string(json_get_str(d, "name", "")));
	json_object_set_new(spec, "type", json_string(type));
	if (json_is_object(loc)) {
		json_t *l = json_object();

		if (json_get_str(loc, "code", NULL))
			json_object_set(l, "locationCode",
					json_object_get(loc, "code"));
		if (json_get_str(loc, "port_spec_code", NULL))
			json_object_set(l, "locationPortSpecCode",
					json_object_get(loc, "port_spec_code"));
		if (json_get_str(loc, "isp_code", NULL))
			json_object_set(l, "locationISPCode",
					json_object_get(loc, "isp_code"));
		json_object_set_new(spec, "location", l);
	}
	if (json_get_str(d, "partner_code", NULL))
		json_object_set(spec, "partnerCode",
				json_object_get(d, "partner_code"));
	if (json_object_get(d, "partner_months"))
		json_object_set(spec, "chargeDuration",
				json_object_get(d, "partner_months"));
	json_object_set_new(spec, "description", json_string(desc));
	free(desc);
	if (json_get_str(d, "idc_address", NULL))
		json_object_set(spec, "idcAddress",
				json_object_get(d, "idc_address"));
	if (json_get_str(d, "contact_name", NULL))
		json_object_set(spec, "contactName",
				json_object_get(d, "contact_name"));
	if (json_get_str(d, "phone_number", NULL))
		json_object_set(spec, "phoneNumber",
				json_object_get(d, "phone_number"));
	/* dcform pays its orders itself, after checking they are unpaid. */
	json_object_set_new(spec, "autoPay", json_false());
	return json_pack("{s:o}", "connectionSpec", spec);
}

static void set_status(struct step_run *r, const json_t *in)
{
	snprintf(r->status, sizeof(r->status), "connectionStatus %s",
		 json_get_str(in, "connectionStatus", "?"));
}

static int status_is(const json_t *in, const char *const *set)
{
	const char *st = json_get_str(in, "connectionStatus", "");

	for (; *set; set++)
		if (!strcmp(st, *set))
			return 1;
	return 0;
}

/*
 * Pay an order when, and only when, it reads NO_PAY.  Returns 0 (paid
 * now or before), or a negative error.
 */
static int pay_order(void *ctx, struct step_run *r, const char *order,
		     const char *what, struct err *e)
{
	json_t *res = NULL;
	char *path = xasprintf("/order/%s", order);
	const char *st;
	int ret;

	ret = jd_step_call(&res, ctx, r, "order", "queryOrder", "GET", path,
			   NULL, NULL, 1, e);
	free(path);
	if (ret < 0)
		return ret;
	st = json_get_str(json_object_get(res, "data"), "status", "");
	if (!strcmp(st, "PAID") || !strcmp(st, "DEALING")) {
		snprintf(r->status, sizeof(r->status), "%s order %s already %s",
			 what, order, st);
		json_decref(res);
		return 0;
	}
	if (strcmp(st, "NO_PAY")) {
		ret = err_set(e, DCF_EPROVIDER,
			      "the %s order %s is %s and cannot be paid", what,
			      order, st);
		json_decref(res);
		return ret;
	}
	json_decref(res);
	path = xasprintf("/order/%s:pay", order);
	ret = jd_step_call(&res, ctx, r, "order", "payOrder", "POST", path,
			   NULL, json_pack("{s:b}", "autoPay", 1), 0, e);
	free(path);
	if (ret < 0)
		return ret;
	json_decref(res);
	snprintf(r->status, sizeof(r->status), "paid the %s order %s", what,
		 order);
	return 0;
}

static int run_step(void *ctx, struct step_run *r, struct err *e)
{
	static const char *const reviewed[] = {"Installation_Paying", "Pending",
					       "Confirming", "Active", NULL};
	static const char *const paid[] = {"Pending", "Confirming", "Active",
					   NULL};
	static const char *const built[] = {"Confirming", "Active", NULL};
	const char *op = jd_step_op(r);
	const char *id = jd_run_id(r);
	json_t *res = NULL, *in = NULL;
	char *path;
	int ret;

	if (!strcmp(op, "create")) {
		if (json_get_str(r->data, "id", NULL))
			return STEP_DONE; /* done before an interruption */
		ret = jd_step_call(&res, ctx, r, "bgw", "createConnection",
				   "POST", "/connections/", NULL,
				   create_body(r), 0, e);
		if (ret < 0)
			return ret;
		id = json_get_str(res, "connectionId", NULL);
		if (!id) {
			json_decref(res);
			return err_set(e, DCF_EPROVIDER,
				       "createConnection returned no "
				       "connectionId");
		}
		jd_set_id(r, id);
		json_decref(res);
		snprintf(r->status, sizeof(r->status),
			 "connectionStatus Ordering");
		return STEP_DONE;
	}
	if (!id)
		return err_set(e, DCF_EINVALID,
			       "step '%s' without a connection id", op);

	if (!strcmp(op, "wait_deleted")) {
		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret == DCF_ENOTFOUND)
			return STEP_DONE;
		if (ret < 0)
			return ret;
		set_status(r, in);
		ret =
		    !strcmp(json_get_str(in, "connectionStatus", ""), "Deleted")
			? STEP_DONE
			: STEP_IN_PROGRESS;
		json_decref(in);
		return ret;
	}
	if (!strcmp(op, "delete")) {
		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret == DCF_ENOTFOUND)
			return STEP_DONE;
		if (ret < 0)
			return ret;
		set_status(r, in);
		if (status_is(in, (const char *const[]){"Deleting", "Deleted",
							NULL})) {
			json_decref(in);
			return STEP_DONE;
		}
		if (json_array_size(json_object_get(in, "vifIds"))) {
			ret = err_set(
			    e, DCF_EPROVIDER,
			    "connection %s still has %zu private "
			    "VIF(s); delete them first",
			    id, json_array_size(json_object_get(in, "vifIds")));
			json_decref(in);
			return ret;
		}
		json_decref(in);
		path = xasprintf("/connections/%s", id);
		ret = jd_step_call(NULL, ctx, r, "bgw", "deleteConnection",
				   "DELETE", path, NULL, NULL, 0, e);
		free(path);
		return ret < 0 ? ret : STEP_DONE;
	}

	ret = describe(&in, ctx, r->region, id, r, e);
	if (ret == DCF_ENOTFOUND)
		return err_set(e, DCF_ENOTFOUND,
			       "connection %s has disappeared", id);
	if (ret < 0)
		return ret;
	set_status(r, in);
	if (status_is(in, (const char *const[]){"Rejected", "Deleting",
						"Deleted", NULL})) {
		ret =
		    err_set(e, DCF_EPROVIDER, "connection %s is %s%s%s", id,
			    json_get_str(in, "connectionStatus", ""),
			    *json_get_str(in, "rejectedReason", "") ? ": " : "",
			    json_get_str(in, "rejectedReason", ""));
		json_decref(in);
		return ret;
	}

	if (!strcmp(op, "wait_review") || !strcmp(op, "wait_construction") ||
	    !strcmp(op, "wait_active") || !strcmp(op, "read")) {
		int done =
		    !strcmp(op, "read") ||
		    (!strcmp(op, "wait_review") && status_is(in, reviewed)) ||
		    (!strcmp(op, "wait_construction") &&
		     status_is(in, built)) ||
		    (!strcmp(op, "wait_active") &&
		     status_is(in, (const char *const[]){"Active", NULL}));

		if (!strcmp(op, "wait_review") && done &&
		    *json_get_str(in, "orderId", ""))
			json_object_set_new(
			    r->data, "installation_order",
			    json_string(json_get_str(in, "orderId", "")));
		r->attributes = attrs_of(in);
		json_decref(in);
		return done ? STEP_DONE : STEP_IN_PROGRESS;
	}
	if (!strcmp(op, "pay_installation")) {
		const char *order =
		    json_get_str(r->data, "installation_order",
				 json_get_str(in, "orderId", ""));
		char *o;

		if (status_is(in, paid)) {
			snprintf(r->status, sizeof(r->status),
				 "installation paid (connectionStatus %s)",
				 json_get_str(in, "connectionStatus", ""));
			json_decref(in);
			return STEP_DONE;
		}
		if (strcmp(json_get_str(in, "connectionStatus", ""),
			   "Installation_Paying") ||
		    !*order) {
			ret = err_set(e, DCF_EPROVIDER,
				      "connection %s is %s: no installation "
				      "order to pay yet",
				      id,
				      json_get_str(in, "connectionStatus", ""));
			json_decref(in);
			return ret;
		}
		o = xstrdup(order);
		json_decref(in);
		ret = pay_order(ctx, r, o, "installation", e);
		free(o);
		return ret < 0 ? ret : STEP_DONE;
	}
	if (!strcmp(op, "confirm")) {
		const json_t *rent = json_object_get(r->desired, "rental");
		json_t *spec, *body;
		char *order;

		if (!strcmp(json_get_str(in, "connectionStatus", ""),
			    "Active")) {
			json_decref(in);
			return STEP_DONE; /* confirmed and paid before */
		}
		if (strcmp(json_get_str(in, "connectionStatus", ""),
			   "Confirming")) {
			ret = err_set(e, DCF_EPROVIDER,
				      "connection %s is %s, not Confirming", id,
				      json_get_str(in, "connectionStatus", ""));
			json_decref(in);
			return ret;
		}
		json_decref(in);
		spec = json_object();
		if (json_is_object(rent)) {
			json_object_set_new(
			    spec, "chargeTimeUnit",
			    json_string(
				strcmp(json_get_str(rent, "unit", "month"),
				       "year")
				    ? "MONTH"
				    : "YEAR"));
			json_object_set_new(
			    spec, "chargeTimeSpan",
			    json_integer(json_get_int(rent, "span", 1)));
			if (json_object_get(rent, "auto_renew"))
				json_object_set_new(
				    spec, "autoRenewSpec",
				    json_pack(
					"{s:s,s:s,s:I}", "autoRenewStatus",
					json_get_bool(rent, "auto_renew", 0)
					    ? "OPEN"
					    : "CLOSE",
					"renewTimeUnit",
					strcmp(
					    json_get_str(rent, "unit", "month"),
					    "year")
					    ? "MONTH"
					    : "YEAR",
					"renewTimeSpan",
					(json_int_t)json_get_int(rent, "span",
								 1)));
		}
		/* Never autoPay: the order is paid below once seen unpaid.
		 * Confirming again while it is unpaid returns the same
		 * order, so a crash here buys nothing twice. */
		json_object_set_new(spec, "autoPay", json_false());
		body = json_pack("{s:o}", "confirmConnectionSpec", spec);
		path = xasprintf("/connections/%s:confirm", id);
		ret = jd_step_call(&res, ctx, r, "bgw", "confirmConnection",
				   "POST", path, NULL, body, 0, e);
		free(path);
		if (ret < 0)
			return ret;
		if (!*json_get_str(res, "orderId", "")) {
			json_decref(res);
			return STEP_DONE;
		}
		order = xstrdup(json_get_str(res, "orderId", ""));
		json_decref(res);
		json_object_set_new(r->data, "rental_order",
				    json_string(order));
		ret = pay_order(ctx, r, order, "port rental", e);
		free(order);
		return ret < 0 ? ret : STEP_DONE;
	}
	if (!strcmp(op, "update")) {
		char tok[64];
		char *cur =
		    jd_desc_user(json_get_str(in, "description", ""), tok);
		const char *want =
		    json_get_str(json_object_get(r->desired, "location"),
				 "port_spec_code", NULL);
		const char *have = json_get_str(
		    json_object_get(json_object_get(in, "location"),
				    "locationPortSpec"),
		    "portSpecCode", "");
		char *order, *w = want ? xstrdup(want) : NULL;
		int resize = w && *have && strcmp(w, have);

		if (strcmp(json_get_str(r->desired, "name", ""),
			   json_get_str(in, "connectionName", "")) ||
		    strcmp(json_get_str(r->desired, "description", ""), cur)) {
			/* Keep the token the cloud has, whatever it is. */
			char *desc = jd_desc_with_token(
			    json_get_str(r->desired, "description", ""),
			    tok[0] ? tok : NULL);
			json_t *body =
			    json_pack("{s:s,s:s}", "connectionName",
				      json_get_str(r->desired, "name", ""),
				      "description", desc);

			free(desc);
			path = xasprintf("/connections/%s", id);
			ret = jd_step_call(NULL, ctx, r, "bgw",
					   "modifyConnection", "PATCH", path,
					   NULL, body, 1, e);
			free(path);
			if (ret < 0) {
				free(cur);
				free(w);
				json_decref(in);
				return ret;
			}
		}
		free(cur);
		json_decref(in);
		if (!resize) {
			free(w);
			ret = describe(&in, ctx, r->region, id, r, e);
			if (ret < 0)
				return ret;
			r->attributes = attrs_of(in);
			json_decref(in);
			return STEP_DONE;
		}
		path = xasprintf("/connections/%s:resize", id);
		ret = jd_step_call(
		    &res, ctx, r, "bgw", "resizeConnection", "POST", path, NULL,
		    json_pack("{s:s,s:b}", "locationPortSpecCode", w, "autoPay",
			      0),
		    0, e);
		free(path);
		free(w);
		if (ret < 0)
			return ret;
		order = *json_get_str(res, "orderId", "")
			    ? xstrdup(json_get_str(res, "orderId", ""))
			    : NULL;
		json_decref(res);
		if (order) {
			json_object_set_new(r->data, "resize_order",
					    json_string(order));
			ret = pay_order(ctx, r, order, "resize", e);
			free(order);
			if (ret < 0)
				return ret;
		}
		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret < 0)
			return ret;
		r->attributes = attrs_of(in);
		json_decref(in);
		return STEP_DONE;
	}
	json_decref(in);
	return err_set(e, DCF_EINVALID, "unknown step '%s'", op);
}

const struct resource_type jdcloud_dc_connection_type = {
    .version = RESOURCE_TYPE_VERSION,
    .name = "jdcloud_dc_connection",
    .provider = "jdcloud",
    .caps = RT_CAP_FIND_BY_TOKEN | RT_CAP_IMPORT | RT_CAP_LIST | RT_CAP_QUOTE,
    .read_many = read_many,
    .read_each = read_each,
    .list_all = list_all,
    .find_by_token = find_by_token,
    .expand = expand,
    .quote = quote,
    .run_step = run_step,
    .import = import_one,
};
