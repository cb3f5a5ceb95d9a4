/*
 * dc_private_vif.c: jdcloud_dc_private_vif, a private VIF with BGP on an
 * Active connection to a border gateway (free):
 *   create   createPrivateVif (dcform's token at the end of `description`
 *            when it fits) → wait (Active)
 *   update   modifyPrivateVif (name, description, health check)
 *   delete   deletePrivateVif → wait until gone
 * The BGP auth key goes to the cloud in the create call only: it is never
 * put into step params, run data, attributes or messages, and the cloud's
 * authKey in answers is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/jdcloud/jdcloud.h"
#include "core/util/json.h"
#include "core/util/util.h"

static json_t *health_attrs(const json_t *hc)
{
	const char *type = json_get_str(hc, "healthCheckType", "NO_CHECK");
	json_t *a = json_pack("{s:s}", "type", type);
	const json_t *n = json_object_get(hc, "nqaInfo");
	const json_t *b = json_object_get(hc, "bfdInfo");

	if (!strcmp(type, "NQA") && json_is_object(n))
		json_object_set_new(
		    a, "nqa",
		    json_pack(
			"{s:I,s:I,s:I}", "tx_interval",
			(json_int_t)json_get_int(n, "txInterval", 4),
			"threshold_count",
			(json_int_t)json_get_int(n, "thresholdCount", 5),
			"response_timeout",
			(json_int_t)json_get_int(n, "responseTimeout", 3)));
	if (!strcmp(type, "BFD") && json_is_object(b))
		json_object_set_new(
		    a, "bfd",
		    json_pack(
			"{s:I,s:I,s:I}", "min_tx_interval",
			(json_int_t)json_get_int(b, "minTxInterval", 1000),
			"min_rx_interval",
			(json_int_t)json_get_int(b, "minRxInterval", 1000),
			"detect_multiplier",
			(json_int_t)json_get_int(b, "detectMultiplier", 3)));
	return a;
}

static json_t *attrs_of(const json_t *in)
{
	json_t *a = json_object(), *ips = json_array(), *p;
	const json_t *bgp = json_object_get(in, "bgp");
	char *desc = jd_desc_user(json_get_str(in, "description", ""), NULL);
	size_t i;

	json_object_set_new(a, "id",
			    json_string(json_get_str(in, "privateVifId", "")));
	json_object_set_new(
	    a, "name", json_string(json_get_str(in, "privateVifName", "")));
	json_object_set_new(a, "connection_id",
			    json_string(json_get_str(in, "connectionId", "")));
	json_object_set_new(a, "bgw_id",
			    json_string(json_get_str(in, "bgwId", "")));
	json_object_set_new(a, "vlan",
			    json_integer(json_get_int(in, "vlan", 0)));
	if (*json_get_str(in, "privateVifOwner", ""))
		json_object_set_new(
		    a, "owner",
		    json_string(json_get_str(in, "privateVifOwner", "")));
	if (*desc)
		json_object_set_new(a, "description", json_string(desc));
	free(desc);
	json_array_foreach (json_object_get(in, "peers"), i, p) {
		const json_t *pi = json_object_get(p, "peerIps");

		json_array_append_new(
		    ips,
		    json_pack("{s:s,s:s}", "customer_ip",
			      json_get_str(pi, "customerIp", ""), "jd_cloud_ip",
			      json_get_str(pi, "jdCloudIp", "")));
	}
	json_object_set_new(a, "peer_ips", ips);
	/* bgp without authKey: the key never leaves the provider. */
	json_object_set_new(
	    a, "bgp",
	    json_pack("{s:I,s:s}", "customer_asn",
		      (json_int_t)json_get_int(bgp, "customerAsn", 0),
		      "address_family",
		      json_get_str(bgp, "addressFamily", "ipv4")));
	if (json_is_object(json_object_get(in, "healthCheck")))
		json_object_set_new(
		    a, "health_check",
		    health_attrs(json_object_get(in, "healthCheck")));
	json_object_set_new(
	    a, "status", json_string(json_get_str(in, "privateVifStatus", "")));
	json_object_set_new(a, "vif_type",
			    json_string(json_get_str(in, "type", "directed")));
	json_object_set_new(a, "jd_cloud_asn",
			    json_integer(json_get_int(bgp, "jdCloudAsn", 0)));
	json_object_set_new(a, "bgp_status",
			    json_string(json_get_str(
				json_array_get(json_object_get(in, "peers"), 0),
				"peerBgpStatus", "")));
	json_object_set_new(a, "created_time",
			    json_string(json_get_str(in, "createdTime", "")));
	return a;
}

json_t *jdcloud_private_vif_attributes(const json_t *in)
{
	return attrs_of(in);
}

static int read_many(void *ctx, const char *region, const json_t *ids,
		     json_t **out, struct err *e)
{
	return jd_list(ctx, region, "describePrivateVifs", "/privateVifs/",
		       "privateVifIds", ids, "privateVifs", "privateVifId",
		       attrs_of, out, e);
}

static int list_all(void *ctx, const char *region, json_t **out, struct err *e)
{
	return read_many(ctx, region, NULL, out, e);
}

static int read_each(void *ctx, const char *region, const json_t *ids,
		     provider_sink_fn *sink, void *arg, struct err *e)
{
	return jd_list_each(ctx, region, "describePrivateVifs", "/privateVifs/",
			    "privateVifIds", ids, "privateVifs", "privateVifId",
			    attrs_of, sink, arg, e);
}

static int find_by_token(void *ctx, const char *region, const char *token,
			 char **out_id, json_t **out_attrs, struct err *e)
{
	json_t *all = NULL, *in;
	size_t i;
	int ret;

	ret = jd_list_raw(ctx, region, "describePrivateVifs", "/privateVifs/",
			  NULL, "privateVifs", &all, e);
	if (ret < 0)
		return ret;
	json_array_foreach (all, i, in) {
		char tok[64];

		free(jd_desc_user(json_get_str(in, "description", ""), tok));
		if (strcmp(tok, token))
			continue;
		*out_id = xstrdup(json_get_str(in, "privateVifId", ""));
		*out_attrs = attrs_of(in);
		json_decref(all);
		return 0;
	}
	json_decref(all);
	return DCF_ENOTFOUND;
}

static int describe(json_t **out, void *ctx, const char *region, const char *id,
		    struct step_run *r, struct err *e)
{
	json_t *res = NULL;
	char *path = xasprintf("/privateVifs/%s", id);
	int ret;

	if (r)
		ret = jd_step_call(&res, ctx, r, "bgw", "describePrivateVif",
				   "GET", path, NULL, NULL, 1, e);
	else
		ret = jd_call(&res, jd_cl(ctx), "bgw", "describePrivateVif",
			      "GET", region, path, NULL, NULL, 1, NULL, e);
	free(path);
	if (ret < 0)
		return ret;
	*out = json_incref(json_object_get(res, "privateVif"));
	json_decref(res);
	if (!*out)
		return err_set(e, DCF_EPROVIDER,
			       "describePrivateVif: no privateVif in the "
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
			       "private VIF '%s' does not exist in %s", id,
			       region);
	if (ret < 0)
		return ret;
	*out = attrs_of(in);
	json_decref(in);
	return 0;
}

static int expand(const struct change *c, json_t **out, struct err *e)
{
	json_t *steps = json_array();
	char title[160];

	(void)e;
	if (c->action == CHANGE_CREATE) {
		snprintf(
		    title, sizeof(title),
		    "createPrivateVif: VLAN %lld, BGP with ASN %lld",
		    (long long)json_get_int(c->desired, "vlan", 0),
		    (long long)json_get_int(json_object_get(c->desired, "bgp"),
					    "customer_asn", 0));
		json_array_append_new(
		    steps, jd_step("create", title, 1, "create", "create"));
		json_array_append_new(steps,
				      jd_step("wait", "wait for status Active",
					      0, "create", "wait_active"));
	} else if (c->action == CHANGE_UPDATE) {
		json_array_append_new(
		    steps,
		    jd_step("update",
			    "modifyPrivateVif: name, description, health "
			    "check",
			    1, "update", "modify"));
	} else if (c->action == CHANGE_DELETE) {
		json_array_append_new(steps,
				      jd_step("delete", "deletePrivateVif", 1,
					      "delete", "delete"));
		json_array_append_new(steps,
				      jd_step("wait", "wait until it is gone",
					      0, "delete", "wait_gone"));
	}
	*out = steps;
	return 0;
}

static json_t *health_body(const json_t *hc)
{
	const json_t *n = json_object_get(hc, "nqa");
	const json_t *b = json_object_get(hc, "bfd");
	json_t *o = json_pack("{s:s}", "healthCheckType",
			      json_get_str(hc, "type", "NO_CHECK"));

	if (json_is_object(n)) {
		json_t *x = json_object();

		if (json_object_get(n, "tx_interval"))
			json_object_set(x, "txInterval",
					json_object_get(n, "tx_interval"));
		if (json_object_get(n, "threshold_count"))
			json_object_set(x, "thresholdCount",
					json_object_get(n, "threshold_count"));
		if (json_object_get(n, "response_timeout"))
			json_object_set(x, "responseTimeout",
					json_object_get(n, "response_timeout"));
		json_object_set_new(o, "nqaInfo", x);
	}
	if (json_is_object(b)) {
		json_t *x = json_object();

		if (json_object_get(b, "min_tx_interval"))
			json_object_set(x, "minTxInterval",
					json_object_get(b, "min_tx_interval"));
		if (json_object_get(b, "min_rx_interval"))
			json_object_set(x, "minRxInterval",
					json_object_get(b, "min_rx_interval"));
		if (json_object_get(b, "detect_multiplier"))
			json_object_set(
			    x, "detectMultiplier",
			    json_object_get(b, "detect_multiplier"));
		json_object_set_new(o, "bfdInfo", x);
	}
	return o;
}

static char *stored_desc(const char *user, const char *token)
{
	char *d = jd_desc_with_token(user, token);

	if (strlen(d) > 256) {
		free(d);
		d = xstrdup(user ? user : "");
	}
	return d;
}

static json_t *create_body(const struct step_run *r)
{
	const json_t *d = r->desired, *bgp = json_object_get(d, "bgp"), *p;
	json_t *spec = json_object(), *ips = json_array(), *bs;
	char *desc =
	    stored_desc(json_get_str(d, "description", NULL), r->token);
	size_t i;

	json_object_set_new(spec, "privateVifName",
			    json_string(json_get_str(d, "name", "")));
	json_object_set_new(spec, "connectionId",
			    json_string(json_get_str(d, "connection_id", "")));
	json_object_set_new(spec, "bgwId",
			    json_string(json_get_str(d, "bgw_id", "")));
	json_object_set_new(spec, "vlan",
			    json_integer(json_get_int(d, "vlan", 0)));
	if (json_get_str(d, "owner", NULL))
		json_object_set(spec, "privateVifOwner",
				json_object_get(d, "owner"));
	json_object_set_new(spec, "description", json_string(desc));
	free(desc);
	json_object_set_new(spec, "enableBgp", json_true());
	json_array_foreach (json_object_get(d, "peer_ips"), i, p)
		json_array_append_new(
		    ips,
		    json_pack("{s:s,s:s}", "customerIp",
			      json_get_str(p, "customer_ip", ""), "jdCloudIp",
			      json_get_str(p, "jd_cloud_ip", "")));
	if (json_array_size(ips))
		json_object_set_new(spec, "peerIps", ips);
	else
		json_decref(ips);
	bs = json_pack("{s:s,s:I}", "addressFamily",
		       json_get_str(bgp, "address_family", "ipv4"),
		       "customerAsn",
		       (json_int_t)json_get_int(bgp, "customer_asn", 0));
	if (json_get_str(bgp, "auth_key", NULL))
		json_object_set(bs, "authKey",
				json_object_get(bgp, "auth_key"));
	json_object_set_new(spec, "bgpSpec", bs);
	if (json_is_object(json_object_get(d, "health_check")))
		json_object_set_new(
		    spec, "healthCheck",
		    health_body(json_object_get(d, "health_check")));
	return json_pack("{s:o}", "privateVifSpec", spec);
}

static void set_status(struct step_run *r, const json_t *in)
{
	snprintf(r->status, sizeof(r->status), "privateVifStatus %s",
		 json_get_str(in, "privateVifStatus", "?"));
}

static int run_step(void *ctx, struct step_run *r, struct err *e)
{
	const char *op = jd_step_op(r);
	const char *id = jd_run_id(r);
	const json_t *d = r->desired;
	json_t *res = NULL, *in = NULL;
	char *path;
	int ret;

	if (!strcmp(op, "create")) {
		if (json_get_str(r->data, "id", NULL))
			return STEP_DONE;
		ret = jd_step_call(&res, ctx, r, "bgw", "createPrivateVif",
				   "POST", "/privateVifs/", NULL,
				   create_body(r), 0, e);
		if (ret < 0)
			return ret;
		if (!json_get_str(res, "privateVifId", NULL)) {
			json_decref(res);
			return err_set(e, DCF_EPROVIDER,
				       "createPrivateVif returned no "
				       "privateVifId");
		}
		jd_set_id(r, json_get_str(res, "privateVifId", ""));
		json_decref(res);
		return STEP_DONE;
	}
	if (!id)
		return err_set(e, DCF_EINVALID, "step '%s' without a VIF id",
			       op);
	if (!strcmp(op, "wait_active")) {
		const char *st;

		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret == DCF_ENOTFOUND)
			return err_set(e, DCF_ENOTFOUND,
				       "private VIF %s has disappeared", id);
		if (ret < 0)
			return ret;
		set_status(r, in);
		st = json_get_str(in, "privateVifStatus", "");
		if (!strcmp(st, "Rejected") || !strcmp(st, "Deleting") ||
		    !strcmp(st, "Deleted")) {
			ret = err_set(e, DCF_EPROVIDER, "private VIF %s is %s",
				      id, st);
			json_decref(in);
			return ret;
		}
		r->attributes = attrs_of(in);
		ret = !strcmp(st, "Active") ? STEP_DONE : STEP_IN_PROGRESS;
		json_decref(in);
		return ret;
	}
	if (!strcmp(op, "modify")) {
		json_t *body;
		char tok[64];
		char *desc;

		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret < 0)
			return ret;
		free(jd_desc_user(json_get_str(in, "description", ""), tok));
		json_decref(in);
		desc = stored_desc(json_get_str(d, "description", ""),
				   tok[0] ? tok : NULL);
		body =
		    json_pack("{s:s,s:s}", "privateVifName",
			      json_get_str(d, "name", ""), "description", desc);
		free(desc);
		if (json_is_object(json_object_get(d, "health_check")))
			json_object_set_new(
			    body, "healthCheck",
			    health_body(json_object_get(d, "health_check")));
		path = xasprintf("/privateVifs/%s", id);
		ret = jd_step_call(NULL, ctx, r, "bgw", "modifyPrivateVif",
				   "PATCH", path, NULL, body, 1, e);
		free(path);
		if (ret < 0)
			return ret;
		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret < 0)
			return ret;
		r->attributes = attrs_of(in);
		set_status(r, in);
		json_decref(in);
		return STEP_DONE;
	}
	if (!strcmp(op, "delete")) {
		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret == DCF_ENOTFOUND)
			return STEP_DONE;
		if (ret < 0)
			return ret;
		set_status(r, in);
		if (!strcmp(json_get_str(in, "privateVifStatus", ""),
			    "Deleting")) {
			json_decref(in);
			return STEP_DONE;
		}
		json_decref(in);
		path = xasprintf("/privateVifs/%s", id);
		ret = jd_step_call(NULL, ctx, r, "bgw", "deletePrivateVif",
				   "DELETE", path, NULL, NULL, 0, e);
		free(path);
		if (ret == DCF_ENOTFOUND)
			return STEP_DONE;
		return ret < 0 ? ret : STEP_DONE;
	}
	if (!strcmp(op, "wait_gone")) {
		ret = describe(&in, ctx, r->region, id, r, e);
		if (ret == DCF_ENOTFOUND)
			return STEP_DONE;
		if (ret < 0)
			return ret;
		set_status(r, in);
		json_decref(in);
		return STEP_IN_PROGRESS;
	}
	return err_set(e, DCF_EINVALID, "unknown step '%s'", op);
}

const struct resource_type jdcloud_dc_private_vif_type = {
    .version = RESOURCE_TYPE_VERSION,
    .name = "jdcloud_dc_private_vif",
    .provider = "jdcloud",
    .caps = RT_CAP_FIND_BY_TOKEN | RT_CAP_IMPORT | RT_CAP_LIST,
    .read_many = read_many,
    .read_each = read_each,
    .list_all = list_all,
    .find_by_token = find_by_token,
    .expand = expand,
    .run_step = run_step,
    .import = import_one,
};
