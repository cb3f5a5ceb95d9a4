/*
 * dcdb_instance.c: tencentcloud_dcdb_instance, a TDSQL distributed
 * instance, bought as design §5 says:
 *   prepaid  create (CreateDCDBInstance → DealName) → confirm (the order
 *            exists and costs the quote) → pay (PayDeals if still unpaid)
 *            → wait (delivered, status 3) → init (InitDCDBInstances) →
 *            wait (status 2)
 *   postpaid create (CreateHourDCDBInstance) → wait → init → wait
 *   update   ModifyDBInstanceName / ModifyDBInstancesProject /
 *            ModifyDBInstanceSecurityGroups / ModifyInstanceNetwork, and
 *            UpgradeDCDBInstance (its own order, paid) for shard changes
 *   delete   prepaid IsolateDCDBInstance → DestroyDCDBInstance; postpaid
 *            DestroyHourDCDBInstance; then wait until it is gone
 * The idempotency token is the ResourceTags entry `dcform-token`.
 * Attributes are in property space (schemas/tencentcloud_dcdb_instance.json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan/props.h"
#include "providers/tencentcloud/tencentcloud.h"
#include "core/util/json.h"
#include "core/util/util.h"

#define TOKEN_TAG "dcform-token"

static struct tc_client *cl(void *ctx)
{
	return ((struct tc_ctx *)ctx)->client;
}

static int prepaid(const json_t *props)
{
	return strcmp(json_get_str(json_object_get(props, "billing"), "mode",
				   "prepaid"),
		      "postpaid") != 0;
}

/* ---- cloud → property space --------------------------------------- */

static json_t *attrs_of(const json_t *in)
{
	int64_t shards = json_get_int(in, "ShardCount", 0);
	json_t *a = json_object(), *tags = json_object(), *t, *ids;
	const char *paymode =
	    json_get_str(in, "Paymode", json_get_str(in, "PayMode", "prepaid"));
	size_t i;

	json_object_set_new(a, "id",
			    json_string(json_get_str(in, "InstanceId", "")));
	json_object_set_new(a, "name",
			    json_string(json_get_str(in, "InstanceName", "")));
	json_object_set_new(
	    a, "billing",
	    json_pack("{s:s}", "mode",
		      !strcmp(paymode, "postpaid") ? "postpaid" : "prepaid"));
	if (!strcmp(paymode, "prepaid"))
		json_object_set_new(
		    json_object_get(a, "billing"), "auto_renew",
		    json_boolean(json_get_int(in, "AutoRenewFlag", 0) == 1));
	if (shards > 0)
		json_object_set_new(
		    a, "shard",
		    json_pack(
			"{s:I,s:I,s:I,s:I}", "memory_gb",
			(json_int_t)(json_get_int(in, "Memory", 0) / shards),
			"storage_gb",
			(json_int_t)(json_get_int(in, "Storage", 0) / shards),
			"node_count",
			(json_int_t)json_get_int(in, "NodeCount", 2), "count",
			(json_int_t)shards));
	if (*json_get_str(in, "UniqueVpcId", ""))
		json_object_set_new(
		    a, "vpc_id",
		    json_string(json_get_str(in, "UniqueVpcId", "")));
	if (*json_get_str(in, "UniqueSubnetId", ""))
		json_object_set_new(
		    a, "subnet_id",
		    json_string(json_get_str(in, "UniqueSubnetId", "")));
	json_object_set_new(a, "project_id",
			    json_integer(json_get_int(in, "ProjectId", 0)));
	if (json_get_str(in, "DbVersionId", NULL))
		json_object_set_new(
		    a, "db_version",
		    json_string(json_get_str(in, "DbVersionId", "")));
	json_array_foreach (json_object_get(in, "ResourceTags"), i, t) {
		const char *k = json_get_str(t, "TagKey", "");

		if (strcmp(k, TOKEN_TAG))
			json_object_set_new(
			    tags, k,
			    json_string(json_get_str(t, "TagValue", "")));
	}
	json_object_set_new(a, "tags", tags);
	json_object_set_new(a, "status",
			    json_integer(json_get_int(in, "Status", 0)));
	json_object_set_new(a, "status_desc",
			    json_string(json_get_str(in, "StatusDesc", "")));
	json_object_set_new(a, "vip", json_string(json_get_str(in, "Vip", "")));
	json_object_set_new(a, "vport",
			    json_integer(json_get_int(in, "Vport", 0)));
	json_object_set_new(a, "db_engine",
			    json_string(json_get_str(in, "DbEngine", "")));
	json_object_set_new(a, "created_time",
			    json_string(json_get_str(in, "CreateTime", "")));
	json_object_set_new(a, "period_end_time",
			    json_string(json_get_str(in, "PeriodEndTime", "")));
	json_object_set_new(
	    a, "deletion_protection",
	    json_boolean(json_get_int(in, "ProtectedProperty", 0) == 1));
	ids = json_array();
	json_array_foreach (json_object_get(in, "ShardDetail"), i, t)
		json_array_append_new(
		    ids, json_string(json_get_str(t, "ShardInstanceId", "")));
	json_object_set_new(a, "shard_ids", ids);
	return a;
}

json_t *tc_dcdb_attributes(const json_t *instance)
{
	return attrs_of(instance);
}

/* ---- reads -------------------------------------------------------- */

struct page_sink {
	int convert;
	provider_sink_fn *sink;
	void *arg;
};

/* One answer of read_ids, taken as soon as it is parsed: its instances
 * go to the sink and the answer is freed. */
static void take_page(struct tc_call *call, void *arg)
{
	struct page_sink *ps = arg;
	json_t *in;
	size_t i;

	json_array_foreach (json_object_get(call->response, "Instances"), i, in)
		ps->sink(ps->arg, json_get_str(in, "InstanceId", ""),
			 ps->convert ? attrs_of(in) : json_incref(in));
	json_decref(call->response);
	call->response = NULL;
}

static void into_object(void *arg, const char *id, json_t *v)
{
	json_object_set_new(arg, id, v);
}

/* The instances `ids` as the API shows them (DCDBInstanceInfo), or with
 * `convert` their attributes, to sink(arg, id, value) as each answer is
 * parsed: a region's answers are never all held at once. */
static int read_ids_each(void *ctx, const char *region, const json_t *ids,
			 int convert, provider_sink_fn *sink, void *arg,
			 struct err *e)
{
	size_t n = json_array_size(ids), bs = provider_batch_size(100);
	size_t nb = (n + bs - 1) / bs, b, i;
	struct tc_call *calls = xcalloc(nb ? nb : 1, sizeof(*calls));
	struct page_sink ps = {convert, sink, arg};
	int ret = 0;

	/* 100 ids per DescribeDCDBInstances, all batches concurrently. */
	for (b = 0; b < nb; b++) {
		json_t *chunk = json_array();

		for (i = b * bs; i < n && i < (b + 1) * bs; i++)
			json_array_append(chunk, json_array_get(ids, i));
		calls[b].service = "dcdb";
		calls[b].version = DCDB_VERSION;
		calls[b].action = "DescribeDCDBInstances";
		calls[b].region = region;
		calls[b].params =
		    json_pack("{s:o,s:i}", "InstanceIds", chunk, "Limit", 100);
		calls[b].idempotent = 1;
		calls[b].done = take_page;
		calls[b].done_arg = &ps;
	}
	tc_call_many(cl(ctx), calls, nb);
	for (b = 0; b < nb; b++) {
		if (calls[b].ret < 0 && !ret) {
			*e = calls[b].err;
			ret = calls[b].ret;
		}
		json_decref((json_t *)calls[b].params);
	}
	free(calls);
	return ret;
}

/* id → DCDBInstanceInfo, or with `convert` id → attributes. */
static int read_ids(void *ctx, const char *region, const json_t *ids,
		    int convert, json_t **out, struct err *e)
{
	json_t *res = json_object();
	int ret = read_ids_each(ctx, region, ids, convert, into_object, res, e);

	if (ret < 0) {
		json_decref(res);
		return ret;
	}
	*out = res;
	return 0;
}

static int read_each(void *ctx, const char *region, const json_t *ids,
		     provider_sink_fn *sink, void *arg, struct err *e)
{
	return read_ids_each(ctx, region, ids, 1, sink, arg, e);
}

static int read_raw(void *ctx, const char *region, const json_t *ids,
		    json_t **out, struct err *e)
{
	return read_ids(ctx, region, ids, 0, out, e);
}

static int read_many(void *ctx, const char *region, const json_t *ids,
		     json_t **out, struct err *e)
{
	return read_ids(ctx, region, ids, 1, out, e);
}

static int list_all(void *ctx, const char *region, json_t **out, struct err *e)
{
	json_t *res = json_object(), *resp = NULL, *in;
	int64_t offset = 0, total;
	size_t i;
	int ret;

	do {
		json_t *p = json_pack("{s:I,s:i}", "Offset", (json_int_t)offset,
				      "Limit", 100);

		ret = tc_call(&resp, cl(ctx), "dcdb", DCDB_VERSION,
			      "DescribeDCDBInstances", region, p, 1, NULL, e);
		json_decref(p);
		if (ret < 0) {
			json_decref(res);
			return ret;
		}
		json_array_foreach (json_object_get(resp, "Instances"), i, in)
			json_object_set_new(res,
					    json_get_str(in, "InstanceId", ""),
					    attrs_of(in));
		total = json_get_int(resp, "TotalCount", 0);
		offset += 100;
		json_decref(resp);
	} while (offset < total);
	*out = res;
	return 0;
}

static int find_by_token(void *ctx, const char *region, const char *token,
			 char **out_id, json_t **out_attrs, struct err *e)
{
	json_t *p = json_pack("{s:[{s:s,s:s}],s:i}", "Tags", "TagKey",
			      TOKEN_TAG, "TagValue", token, "Limit", 10);
	json_t *resp = NULL, *in;
	int ret;

	ret = tc_call(&resp, cl(ctx), "dcdb", DCDB_VERSION,
		      "DescribeDCDBInstances", region, p, 1, NULL, e);
	json_decref(p);
	if (ret < 0)
		return ret;
	in = json_array_get(json_object_get(resp, "Instances"), 0);
	if (!in) {
		json_decref(resp);
		return DCF_ENOTFOUND;
	}
	*out_id = xstrdup(json_get_str(in, "InstanceId", ""));
	*out_attrs = attrs_of(in);
	json_decref(resp);
	return 0;
}

static int import_one(void *ctx, const char *region, const char *id,
		      json_t **out, struct err *e)
{
	json_t *ids = json_pack("[s]", id), *got = NULL, *a;
	int ret = read_many(ctx, region, ids, &got, e);

	json_decref(ids);
	if (ret < 0)
		return ret;
	a = json_object_get(got, id);
	if (!a) {
		json_decref(got);
		return err_set(e, DCF_ENOTFOUND,
			       "DCDB instance '%s' does not exist in %s", id,
			       region);
	}
	*out = json_incref(a);
	json_decref(got);
	return 0;
}

/* ---- expand -------------------------------------------------------- */

static json_t *step(const char *kind, const char *title, int side,
		    const char *cls, const char *op)
{
	return json_pack("{s:s,s:s,s:b,s:s,s:{s:s}}", "kind", kind, "title",
			 title, "side_effect", side, "timeout_class", cls,
			 "params", "op", op);
}

static int changed(const struct change *c, const char *prefix)
{
	json_t *p;
	size_t i, n = strlen(prefix);

	json_array_foreach (c->changed, i, p) {
		const char *s = json_string_value(p);
		if (!strncmp(s, prefix, n) && (!s[n] || s[n] == '.'))
			return 1;
	}
	return 0;
}

static int expand(const struct change *c, json_t **out, struct err *e)
{
	json_t *steps = json_array();
	const json_t *props = c->desired ? c->desired : c->current;
	const json_t *sh = json_object_get(props, "shard");
	int pre = prepaid(props);
	char title[256];

	if (c->action == CHANGE_CREATE) {
		snprintf(title, sizeof(title),
			 "%s: %lld shards of %lld GB memory / %lld GB disk, "
			 "%lld nodes, %s",
			 pre ? "CreateDCDBInstance" : "CreateHourDCDBInstance",
			 (long long)json_get_int(sh, "count", 0),
			 (long long)json_get_int(sh, "memory_gb", 0),
			 (long long)json_get_int(sh, "storage_gb", 0),
			 (long long)json_get_int(sh, "node_count", 0),
			 pre ? "prepaid" : "postpaid (hourly)");
		json_array_append_new(
		    steps, step("create", title, 1, "create", "create"));
		if (pre) {
			json_array_append_new(
			    steps, step("confirm",
					"DescribeOrders: the order exists and "
					"costs the quoted price",
					0, "create", "confirm"));
			json_array_append_new(
			    steps, step("pay",
					"PayDeals: pay the order if it is "
					"still unpaid",
					1, "pay", "pay"));
		}
		json_array_append_new(
		    steps, step("wait",
				"wait for delivery (status 3: created, not "
				"initialised)",
				0, "create", "wait_created"));
		json_array_append_new(
		    steps, step("init",
				"InitDCDBInstances: character set, case "
				"sensitivity, sync mode",
				1, "init", "init"));
		json_array_append_new(steps, step("wait",
						  "wait for status 2 (running)",
						  0, "init", "wait_running"));
	} else if (c->action == CHANGE_UPDATE) {
		if (changed(c, "name"))
			json_array_append_new(
			    steps, step("update", "ModifyDBInstanceName", 1,
					"update", "rename"));
		if (changed(c, "project_id"))
			json_array_append_new(
			    steps, step("update", "ModifyDBInstancesProject", 1,
					"update", "project"));
		if (changed(c, "security_group_ids"))
			json_array_append_new(
			    steps,
			    step("update", "ModifyDBInstanceSecurityGroups", 1,
				 "update", "security_groups"));
		if (changed(c, "vpc_id") || changed(c, "subnet_id")) {
			json_array_append_new(
			    steps, step("update", "ModifyInstanceNetwork", 1,
					"update", "network"));
			json_array_append_new(
			    steps, step("wait", "wait for the network flow", 0,
					"update", "wait_flow"));
		}
		if (changed(c, "shard")) {
			json_array_append_new(
			    steps,
			    step("update",
				 pre ? "UpgradeDCDBInstance: more shards or "
				       "bigger shards (an order)"
				     : "UpgradeHourDCDBInstance",
				 1, "update", "upgrade"));
			if (pre)
				json_array_append_new(
				    steps,
				    step("pay",
					 "PayDeals: pay the upgrade order "
					 "if it is still unpaid",
					 1, "pay", "pay"));
			json_array_append_new(
			    steps, step("wait", "wait for status 2 (running)",
					0, "update", "wait_running"));
		}
		if (changed(c, "billing.auto_renew") ||
		    changed(c, "billing.period_months"))
			json_array_append_new(
			    steps, step("update",
					"billing changes apply at the next "
					"renewal (recorded in state)",
					0, "update", "noop"));
		if (!json_array_size(steps))
			json_array_append_new(
			    steps, step("read", "read the instance back", 0,
					"update", "read"));
	} else if (c->action == CHANGE_DELETE) {
		if (c->current && json_is_true(json_object_get(
				      c->current, "deletion_protection"))) {
			json_decref(steps);
			return err_set(
			    e, DCF_EINVALID,
			    "the instance has deletion protection on "
			    "in Tencent Cloud; turn it off in the "
			    "console (ModifyInstanceProtectedProperty) "
			    "and plan again");
		}
		if (pre) {
			json_array_append_new(
			    steps, step("delete", "IsolateDCDBInstance", 1,
					"delete", "isolate"));
			json_array_append_new(
			    steps, step("delete", "DestroyDCDBInstance", 1,
					"delete", "destroy"));
		} else {
			json_array_append_new(
			    steps, step("delete", "DestroyHourDCDBInstance", 1,
					"delete", "destroy_hour"));
		}
		json_array_append_new(steps,
				      step("wait", "wait until it is gone", 0,
					   "delete", "wait_gone"));
	}
	*out = steps;
	return 0;
}

/* ---- quotes -------------------------------------------------------- */

static json_t *spec_params(const json_t *props)
{
	const json_t *sh = json_object_get(props, "shard");

	return json_pack(
	    "{s:I,s:I,s:I,s:I}", "ShardMemory",
	    (json_int_t)json_get_int(sh, "memory_gb", 0), "ShardStorage",
	    (json_int_t)json_get_int(sh, "storage_gb", 0), "ShardNodeCount",
	    (json_int_t)json_get_int(sh, "node_count", 2), "ShardCount",
	    (json_int_t)json_get_int(sh, "count", 2));
}

static int price_of(void *ctx, const char *region, const json_t *props,
		    int64_t *out, struct api_error *ae, struct err *e)
{
	json_t *p = spec_params(props), *resp = NULL;
	const json_t *b = json_object_get(props, "billing");
	int ret;

	json_object_set_new(
	    p, "Zone",
	    json_string(json_string_value(
			    json_array_get(json_object_get(props, "zones"), 0))
			    ? json_string_value(json_array_get(
				  json_object_get(props, "zones"), 0))
			    : ""));
	json_object_set_new(p, "Count", json_integer(1));
	json_object_set_new(p, "Period",
			    json_integer(json_get_int(b, "period_months", 1)));
	json_object_set_new(
	    p, "Paymode", json_string(prepaid(props) ? "prepaid" : "postpaid"));
	{
		struct tc_ctx *x = ctx;
		char *params =
		    json_dumps_malloc(p, JSON_COMPACT | JSON_SORT_KEYS);
		char *key = xasprintf("%s %s", region ? region : "", params);
		json_t *hit;

		free(params);
		pthread_mutex_lock(&x->lock);
		if (!x->prices)
			x->prices = json_object();
		hit = json_object_get(x->prices, key);
		if (hit)
			*out = json_integer_value(hit);
		pthread_mutex_unlock(&x->lock);
		if (hit) {
			free(key);
			json_decref(p);
			return 0;
		}
		ret = tc_call(&resp, cl(ctx), "dcdb", DCDB_VERSION,
			      "DescribeDCDBPrice", region, p, 1, ae, e);
		json_decref(p);
		if (ret < 0) {
			free(key);
			return ret;
		}
		*out = json_get_int(resp, "Price", 0);
		pthread_mutex_lock(&x->lock);
		json_object_set_new(x->prices, key, json_integer(*out));
		pthread_mutex_unlock(&x->lock);
		free(key);
	}
	json_decref(resp);
	return 0;
}

static void finding(struct tc_ctx *x, const char *check, char *msg)
{
	json_t *l = json_object_get(x->findings, check);

	if (!l) {
		l = json_array();
		json_object_set_new(x->findings, check, l);
	}
	json_array_append_new(l, json_string(msg));
	free(msg);
}

/*
 * Zones on sale (DescribeDCDBSaleInfo) and a sold shard size
 * (DescribeShardSpec) for a create, asked once per run; problems go to
 * the preflight.  0 when sellable, 1 when not (nothing to price).
 */
static int sale_check(void *ctx, const struct change *c, struct err *e)
{
	struct tc_ctx *x = ctx;
	const json_t *sh = json_object_get(c->desired, "shard");
	json_t *z, *r, *zl, *s, *info;
	size_t i, j, k;
	int bad = 0, ret;

	if (!x->findings)
		x->findings = json_pack("{s:[],s:[]}", "zones", "shard_spec");
	if (!x->sale || !x->specs) {
		json_t *none = json_object();

		ret = 0;
		if (!x->sale)
			ret = tc_call(&x->sale, cl(ctx), "dcdb", DCDB_VERSION,
				      "DescribeDCDBSaleInfo", c->region, none,
				      1, NULL, e);
		if (ret == 0 && !x->specs)
			ret = tc_call(&x->specs, cl(ctx), "dcdb", DCDB_VERSION,
				      "DescribeShardSpec", c->region, none, 1,
				      NULL, e);
		json_decref(none);
		if (ret < 0)
			return ret;
	}
	json_array_foreach (json_object_get(c->desired, "zones"), i, z) {
		int on_sale = 0;

		json_array_foreach (json_object_get(x->sale, "RegionList"), j,
				    r) {
			if (strcmp(json_get_str(r, "Region", ""), c->region))
				continue;
			zl = json_object_get(r, "ZoneList");
			json_array_foreach (zl, k, s) {
				if (!strcmp(json_get_str(s, "Zone", ""),
					    json_string_value(z)) &&
				    json_is_true(json_object_get(s, "OnSale")))
					on_sale = 1;
			}
		}
		if (!on_sale) {
			finding(x, "zones",
				xasprintf("%s: zone %s is not on sale in %s",
					  c->address, json_string_value(z),
					  c->region));
			bad = 1;
		}
	}
	{
		int64_t nodes = json_get_int(sh, "node_count", 0);
		int64_t mem = json_get_int(sh, "memory_gb", 0);
		int64_t sto = json_get_int(sh, "storage_gb", 0);
		const json_t *hit = NULL;

		json_array_foreach (json_object_get(x->specs, "SpecConfig"), i,
				    s) {
			json_array_foreach (
			    json_object_get(s, "SpecConfigInfos"), j, info) {
				if (json_get_int(info, "NodeCount", -1) ==
					nodes &&
				    json_get_int(info, "Memory", -1) == mem)
					hit = info;
			}
		}
		if (!hit) {
			finding(x, "shard_spec",
				xasprintf("%s: no shard of %lld nodes with "
					  "%lld GB memory is sold",
					  c->address, (long long)nodes,
					  (long long)mem));
			bad = 1;
		} else if (sto < json_get_int(hit, "MinStorage", 0) ||
			   sto > json_get_int(hit, "MaxStorage", INT64_MAX)) {
			finding(
			    x, "shard_spec",
			    xasprintf(
				"%s: %lld GB of disk is outside "
				"%lld-%lld GB for %lld GB shards",
				c->address, (long long)sto,
				(long long)json_get_int(hit, "MinStorage", 0),
				(long long)json_get_int(hit, "MaxStorage", 0),
				(long long)mem));
			bad = 1;
		}
	}
	return bad;
}

static int quote(void *ctx, const struct change *c, json_t **out, struct err *e)
{
	int64_t price;
	int ret;

	if (c->action == CHANGE_UPDATE) {
		if (!changed(c, "shard") || !c->current) {
			*out = json_pack("{s:i,s:s}", "upfront_fen", 0,
					 "currency", "CNY");
			return 0;
		}
		{
			json_t *p = json_object(), *resp = NULL, *cfg;
			const json_t *sh = json_object_get(c->desired, "shard");
			int64_t add =
			    json_get_int(sh, "count", 0) -
			    json_get_int(json_object_get(c->current, "shard"),
					 "count", 0);

			json_object_set_new(
			    p, "InstanceId",
			    json_string(json_get_str(c->current, "id", "")));
			json_object_set_new(
			    p, "UpgradeType",
			    json_string(add > 0 ? "ADD" : "EXPAND"));
			cfg = json_pack(
			    "{s:I,s:I}", "ShardMemory",
			    (json_int_t)json_get_int(sh, "memory_gb", 0),
			    "ShardStorage",
			    (json_int_t)json_get_int(sh, "storage_gb", 0));
			if (add > 0)
				json_object_set_new(cfg, "ShardCount",
						    json_integer(add));
			json_object_set_new(
			    p, add > 0 ? "AddShardConfig" : "ExpandShardConfig",
			    cfg);
			ret = tc_call(&resp, cl(ctx), "dcdb", DCDB_VERSION,
				      "DescribeDCDBUpgradePrice", c->region, p,
				      1, NULL, e);
			json_decref(p);
			if (ret < 0)
				return ret;
			*out = json_pack(
			    "{s:I,s:s,s:s}", "upfront_fen",
			    (json_int_t)(prepaid(c->desired)
					     ? json_get_int(resp, "Price", 0)
					     : 0),
			    "currency", "CNY", "detail",
			    "upgrade (DescribeDCDBUpgradePrice)");
			json_decref(resp);
			return 0;
		}
	}
	if (c->action == CHANGE_CREATE || c->action == CHANGE_REPLACE) {
		ret = sale_check(ctx, c, e);
		if (ret < 0)
			return ret;
		if (ret == 1) {
			*out = json_pack("{s:i,s:s,s:s}", "upfront_fen", 0,
					 "currency", "CNY", "detail",
					 "not priced: not for sale as asked "
					 "(see preflight)");
			return 0;
		}
	}
	ret = price_of(ctx, c->region, c->desired, &price, NULL, e);
	if (ret < 0)
		return ret;
	if (prepaid(c->desired)) {
		int64_t months = json_get_int(
		    json_object_get(c->desired, "billing"), "period_months", 1);
		char detail[96];

		snprintf(detail, sizeof(detail),
			 "DescribeDCDBPrice: %lld months prepaid",
			 (long long)months);
		*out =
		    json_pack("{s:I,s:s,s:s}", "upfront_fen", (json_int_t)price,
			      "currency", "CNY", "detail", detail);
	} else {
		*out = json_pack("{s:i,s:I,s:s,s:s}", "upfront_fen", 0,
				 "hourly_fen", (json_int_t)price, "currency",
				 "CNY", "detail", "DescribeDCDBPrice, hourly");
	}
	return 0;
}

/* ---- steps --------------------------------------------------------- */

static json_t *create_params(const struct step_run *r)
{
	const json_t *d = r->desired, *b = json_object_get(d, "billing");
	json_t *p = spec_params(d), *tags = json_array(), *v;
	const char *k;

	json_object_set(p, "Zones", json_object_get(d, "zones"));
	if (json_get_str(d, "name", NULL))
		json_object_set_new(p, "InstanceName",
				    json_string(json_get_str(d, "name", "")));
	if (prepaid(d)) {
		json_object_set_new(
		    p, "Period",
		    json_integer(json_get_int(b, "period_months", 1)));
		json_object_set_new(
		    p, "AutoRenewFlag",
		    json_integer(json_get_bool(b, "auto_renew", 0) ? 1 : 0));
		if (json_get_bool(b, "auto_voucher", 0))
			json_object_set_new(p, "AutoVoucher", json_true());
	}
	if (json_get_str(d, "vpc_id", NULL)) {
		json_object_set(p, "VpcId", json_object_get(d, "vpc_id"));
		json_object_set(p, "SubnetId", json_object_get(d, "subnet_id"));
	}
	if (json_get_str(d, "db_version", NULL))
		json_object_set(p, "DbVersionId",
				json_object_get(d, "db_version"));
	if (json_object_get(d, "project_id"))
		json_object_set(p, "ProjectId",
				json_object_get(d, "project_id"));
	if (json_object_get(d, "security_group_ids"))
		json_object_set(p, "SecurityGroupIds",
				json_object_get(d, "security_group_ids"));
	if (json_get_bool(d, "ipv6", 0))
		json_object_set_new(p, "Ipv6Flag", json_integer(1));
	json_object_foreach ((json_t *)json_object_get(d, "tags"), k, v)
		json_array_append_new(
		    tags, json_pack("{s:s,s:O}", "TagKey", k, "TagValue", v));
	json_array_append_new(tags, json_pack("{s:s,s:s}", "TagKey", TOKEN_TAG,
					      "TagValue", r->token));
	json_object_set_new(p, "ResourceTags", tags);
	return p;
}

/* A call that records its error in the run. */
static int call(json_t **out, void *ctx, struct step_run *r,
		const char *service, const char *action, json_t *params,
		int idempotent, struct err *e)
{
	struct api_error ae;
	int ret;

	memset(&ae, 0, sizeof(ae));
	ret = tc_call(out, cl(ctx), service,
		      !strcmp(service, "dcdb") ? DCDB_VERSION : BILLING_VERSION,
		      action, !strcmp(service, "dcdb") ? r->region : NULL,
		      params, idempotent, &ae, e);
	json_decref(params);
	if (ret < 0)
		tc_note_error(r, &ae);
	return ret;
}

static const char *instance_id(const struct step_run *r)
{
	const char *id = json_get_str(r->data, "id", NULL);

	return id ? id : json_get_str(r->current, "id", NULL);
}

/* The instance's Response fields, or NULL when gone (*out NULL). */
static int describe(json_t **out, void *ctx, struct step_run *r, const char *id,
		    struct err *e)
{
	json_t *resp = NULL;
	int ret = call(&resp, ctx, r, "dcdb", "DescribeDCDBInstances",
		       json_pack("{s:[s]}", "InstanceIds", id), 1, e);

	if (ret < 0)
		return ret;
	*out =
	    json_incref(json_array_get(json_object_get(resp, "Instances"), 0));
	json_decref(resp);
	return 0;
}

/*
 * For waits: the instance as read at most WATCH_FRESH_MS ago, reading every
 * instance being waited on at once (100 ids a call, concurrently) when the
 * last read is older.  Waits poll every half second or more and a wait
 * only ends when the cloud says so, so an answer this fresh costs at most
 * one more poll, while a thousand waits cost a few calls a second.
 */
#define WATCH_FRESH_MS 1000

static int describe_waiting_locked(json_t **out, void *ctx, struct step_run *r,
				   const char *id, struct err *e)
{
	struct tc_ctx *x = ctx;
	int64_t now = time_mono_ms();
	json_t *ids, *got = NULL, *v;
	const char *k;
	int ret;

	if (!x->watch)
		x->watch = json_object();
	json_object_set_new(x->watch, id, json_string(r->region));
	if (x->seen && now - x->seen_at_ms <= WATCH_FRESH_MS &&
	    json_object_get(x->seen, id)) {
		/* A copy: the shared read is replaced under the lock while
		 * other steps still read their instance. */
		*out = json_deep_copy(json_object_get(x->seen, id));
		return 0;
	}
	/* Every watched instance of this region. */
	ids = json_array();
	json_object_foreach (x->watch, k, v)
		if (!strcmp(json_string_value(v), r->region))
			json_array_append_new(ids, json_string(k));
	ret = read_raw(ctx, r->region, ids, &got, e);
	json_decref(ids);
	if (ret < 0)
		return ret;
	json_decref(x->seen);
	x->seen = got;
	x->seen_at_ms = time_mono_ms();
	*out = json_deep_copy(json_object_get(x->seen, id));
	return 0;
}

static int describe_waiting(json_t **out, void *ctx, struct step_run *r,
			    const char *id, struct err *e)
{
	struct tc_ctx *x = ctx;
	int ret;

	/* Held across the read: waits arriving meanwhile take its answer
	 * instead of sending reads of their own. */
	pthread_mutex_lock(&x->lock);
	ret = describe_waiting_locked(out, x, r, id, e);
	pthread_mutex_unlock(&x->lock);
	return ret;
}

/* An instance that waits will follow: read it with the others. */
static void watch(void *ctx, struct step_run *r, const char *id)
{
	struct tc_ctx *x = ctx;

	pthread_mutex_lock(&x->lock);
	if (!x->watch)
		x->watch = json_object();
	json_object_set_new(x->watch, id, json_string(r->region));
	pthread_mutex_unlock(&x->lock);
}

/* A wait is over: stop reading the instance for others. */
static void unwatch(void *ctx, const char *id)
{
	struct tc_ctx *x = ctx;

	pthread_mutex_lock(&x->lock);
	if (x->watch)
		json_object_del(x->watch, id);
	pthread_mutex_unlock(&x->lock);
}

static int deal_status(int64_t *out, void *ctx, struct step_run *r,
		       const char *deal, int64_t *price, struct err *e)
{
	json_t *resp = NULL, *d;
	int ret =
	    call(&resp, ctx, r, "billing", "DescribeDealsByCond",
		 json_pack("{s:s,s:s,s:i,s:s}", "StartTime",
			   "2000-01-01 00:00:00", "EndTime",
			   "2099-12-31 23:59:59", "Limit", 10, "OrderId", deal),
		 1, e);

	if (ret < 0)
		return ret;
	d = json_array_get(json_object_get(resp, "Deals"), 0);
	if (!d) {
		json_decref(resp);
		return err_set(e, DCF_ENOTFOUND,
			       "order %s is not among the account's orders",
			       deal);
	}
	*out = json_get_int(d, "Status", 0);
	if (price)
		*price = json_get_int(d, "Price", 0);
	json_decref(resp);
	return 0;
}

/* Whether instance `id` carries dcform token `token` (1), another or no
 * token (0), or is not visible (-1). */
static int instance_token_is(void *ctx, struct step_run *r, const char *id,
			     const char *token, struct err *e)
{
	json_t *in = NULL, *t;
	size_t i;
	int ret = describe(&in, ctx, r, id, e), mine = 0;

	if (ret < 0)
		return ret;
	if (!in)
		return -1;
	json_array_foreach (json_object_get(in, "ResourceTags"), i, t)
		if (!strcmp(json_get_str(t, "TagKey", ""), TOKEN_TAG) &&
		    !strcmp(json_get_str(t, "TagValue", ""), token))
			mine = 1;
	json_decref(in);
	return mine;
}

/*
 * A prepaid create whose answer was lost in a crash: did CreateDCDBInstance
 * reach the cloud?  There is no client token, so look at the account's
 * purchase orders placed since the intent at the quoted price:
 *   - delivered to an instance carrying our token: ours (deal and id);
 *   - paid but not delivered yet: cannot tell yet, wait (IN_PROGRESS);
 *   - exactly one unpaid: ours (the wait after delivery checks the token);
 *   - several unpaid: refuse, naming them, rather than buy a third;
 *   - none: the call never reached the cloud (DCF_ENOTFOUND).
 */
static int recover_order(void *ctx, struct step_run *r, struct err *e)
{
	json_t *resp = NULL, *d, *cands = json_array();
	char from[20], to[20];
	time_t t0 = (time_t)r->intent_started_at - 300 + 8 * 3600;
	time_t t1 = time(NULL) + 300 + 8 * 3600;
	struct tm tm;
	int64_t quoted;
	size_t i, unpaid = 0, waiting = 0;
	int ret;

	/* Billing times are Beijing time. */
	gmtime_r(&t0, &tm);
	strftime(from, sizeof(from), "%Y-%m-%d %H:%M:%S", &tm);
	gmtime_r(&t1, &tm);
	strftime(to, sizeof(to), "%Y-%m-%d %H:%M:%S", &tm);
	ret = price_of(ctx, r->region, r->desired, &quoted, NULL, e);
	if (ret < 0)
		goto out;
	ret = call(&resp, ctx, r, "billing", "DescribeDealsByCond",
		   json_pack("{s:s,s:s,s:i}", "StartTime", from, "EndTime", to,
			     "Limit", 1000),
		   1, e);
	if (ret < 0)
		goto out;
	json_array_foreach (json_object_get(resp, "Deals"), i, d) {
		const json_t *res = json_object_get(d, "ResourceId");
		int64_t st = json_get_int(d, "Status", 0);

		if (strcmp(json_get_str(d, "Action", ""), "purchase") ||
		    strcmp(json_get_str(d, "PayMode", ""), "prePay") ||
		    json_get_int(d, "Price", -1) != quoted)
			continue;
		if (json_array_size(res)) {
			const char *id =
			    json_string_value(json_array_get(res, 0));
			int mine = instance_token_is(ctx, r, id ? id : "",
						     r->token, e);

			if (mine < -1) {
				ret = mine;
				goto out;
			}
			if (mine == 1) {
				json_object_set_new(r->data, "deal_name",
						    json_string(json_get_str(
							d, "OrderId", "")));
				json_object_set_new(r->data, "id",
						    json_string(id));
				r->id = xstrdup(id);
				snprintf(r->status, sizeof(r->status),
					 "found order %s and instance %s from "
					 "before the interruption",
					 json_get_str(d, "OrderId", ""), id);
				ret = STEP_DONE;
				goto out;
			}
			continue;
		}
		if (st == 1) {
			unpaid++;
			json_array_append_new(
			    cands, json_string(json_get_str(d, "OrderId", "")));
		} else if (st == 2 || st == 3) {
			waiting++; /* paid, delivery under way */
		}
	}
	if (waiting) {
		snprintf(r->status, sizeof(r->status),
			 "a paid order from before the interruption is being "
			 "delivered; checking whose it is");
		ret = STEP_IN_PROGRESS;
	} else if (unpaid == 1) {
		json_object_set(r->data, "deal_name", json_array_get(cands, 0));
		json_object_set_new(r->data, "recovered", json_true());
		snprintf(r->status, sizeof(r->status),
			 "found unpaid order %s from before the interruption",
			 json_string_value(json_array_get(cands, 0)));
		ret = STEP_DONE;
	} else if (unpaid > 1) {
		char *list = json_dumps_malloc(cands, JSON_COMPACT);

		ret =
		    err_set(e, DCF_ECONFLICT,
			    "the create was interrupted and %zu unpaid orders "
			    "at this price were placed since (%s); dcform "
			    "cannot tell which is this resource's and will not "
			    "buy another: cancel the extra ones in the console "
			    "and run apply again",
			    unpaid, list);
		free(list);
	} else {
		ret = DCF_ENOTFOUND;
	}
out:
	json_decref(resp);
	json_decref(cands);
	return ret;
}

static void set_status(struct step_run *r, const json_t *in)
{
	snprintf(r->status, sizeof(r->status), "status %lld (%s)",
		 (long long)json_get_int(in, "Status", 0),
		 json_get_str(in, "StatusDesc", ""));
}

static int run_step(void *ctx, struct step_run *r, struct err *e)
{
	const char *op =
	    json_get_str(json_object_get(r->step, "params"), "op", "");
	const char *id = instance_id(r);
	json_t *resp = NULL, *in = NULL;
	int ret = 0;

	if (!strcmp(op, "create")) {
		if (json_get_str(r->data, "deal_name", NULL) ||
		    json_get_str(r->data, "id", NULL))
			return STEP_DONE; /* done before an interruption */
		if (prepaid(r->desired) && r->resumed_in_flight) {
			ret = recover_order(ctx, r, e);
			if (ret != DCF_ENOTFOUND)
				return ret;
			err_clear(e);
		}
		if (prepaid(r->desired)) {
			ret = call(&resp, ctx, r, "dcdb", "CreateDCDBInstance",
				   create_params(r), 0, e);
			if (ret < 0)
				return ret;
			json_object_set(r->data, "deal_name",
					json_object_get(resp, "DealName"));
		} else {
			ret = call(&resp, ctx, r, "dcdb",
				   "CreateHourDCDBInstance", create_params(r),
				   0, e);
			if (ret < 0)
				return ret;
			id = json_string_value(json_array_get(
			    json_object_get(resp, "InstanceIds"), 0));
			if (!id) {
				json_decref(resp);
				return err_set(
				    e, DCF_EPROVIDER,
				    "CreateHourDCDBInstance returned "
				    "no instance id");
			}
			json_object_set_new(r->data, "id", json_string(id));
			r->id = xstrdup(id);
			watch(ctx, r, id);
		}
		json_decref(resp);
		return STEP_DONE;
	}
	if (!strcmp(op, "confirm")) {
		int64_t st, price, quoted;
		const char *deal = json_get_str(r->data, "deal_name", "");

		if (!*deal && id) {
			/* Adopted by its token after an interruption: it was
			 * delivered, so its order was paid. */
			snprintf(r->status, sizeof(r->status),
				 "instance %s delivered; its order is paid",
				 id);
			return STEP_DONE;
		}
		ret = deal_status(&st, ctx, r, deal, &price, e);
		if (ret < 0)
			return ret;
		ret = price_of(ctx, r->region, r->desired, &quoted, NULL, e);
		if (ret < 0)
			return ret;
		if (price != quoted)
			return err_set(e, DCF_EPROVIDER,
				       "order %s costs %lld fen but the quote "
				       "was %lld fen; not paying it",
				       deal, (long long)price,
				       (long long)quoted);
		snprintf(r->status, sizeof(r->status), "order %s, %lld fen",
			 deal, (long long)price);
		return STEP_DONE;
	}
	if (!strcmp(op, "pay")) {
		int64_t st;
		const char *deal =
		    json_get_str(r->data, "upgrade_deal",
				 json_get_str(r->data, "deal_name", ""));

		if (!*deal && id) {
			snprintf(r->status, sizeof(r->status),
				 "instance %s delivered; its order is paid",
				 id);
			return STEP_DONE;
		}
		/* Pay only an order seen unpaid: never twice. */
		ret = deal_status(&st, ctx, r, deal, NULL, e);
		if (ret < 0)
			return ret;
		if (st != 1) {
			snprintf(r->status, sizeof(r->status),
				 "order %s already paid", deal);
			return STEP_DONE;
		}
		ret = call(&resp, ctx, r, "billing", "PayDeals",
			   json_pack("{s:[s]}", "OrderIds", deal), 0, e);
		json_decref(resp);
		if (ret < 0)
			return ret;
		snprintf(r->status, sizeof(r->status), "paid order %s", deal);
		return STEP_DONE;
	}
	if (!strcmp(op, "wait_created") || !strcmp(op, "wait_running") ||
	    !strcmp(op, "read")) {
		if (!id) {
			/* Prepaid: the id comes with delivery. */
			const char *deal =
			    json_get_str(r->data, "deal_name", "");

			ret =
			    call(&resp, ctx, r, "dcdb", "DescribeOrders",
				 json_pack("{s:[s]}", "DealNames", deal), 1, e);
			if (ret < 0)
				return ret;
			id = json_string_value(json_array_get(
			    json_object_get(
				json_array_get(json_object_get(resp, "Deals"),
					       0),
				"InstanceIds"),
			    0));
			if (!id) {
				json_decref(resp);
				snprintf(r->status, sizeof(r->status),
					 "order %s not delivered yet", deal);
				return STEP_IN_PROGRESS;
			}
			if (json_is_true(
				json_object_get(r->data, "recovered"))) {
				/* An order adopted after an interruption:
				 * its instance must carry our token. */
				int mine =
				    instance_token_is(ctx, r, id, r->token, e);

				if (mine < -1) {
					json_decref(resp);
					return mine;
				}
				if (mine == 0) {
					ret = err_set(
					    e, DCF_ECONFLICT,
					    "order %s, recovered after an "
					    "interruption, was delivered "
					    "to %s, which is not this "
					    "resource's (another create "
					    "of the same size ran at the "
					    "same time); run dcform "
					    "state rm %s and apply again",
					    deal, id, r->address);
					json_decref(resp);
					return ret;
				}
				if (mine < 0) {
					json_decref(resp);
					return STEP_IN_PROGRESS;
				}
			}
			json_object_set_new(r->data, "id", json_string(id));
			r->id = xstrdup(id);
			id = json_get_str(r->data, "id", "");
			json_decref(resp);
			resp = NULL;
		}
		ret = strcmp(op, "read") ? describe_waiting(&in, ctx, r, id, e)
					 : describe(&in, ctx, r, id, e);
		if (ret < 0)
			return ret;
		if (!in) {
			unwatch(ctx, id);
			return err_set(e, DCF_ENOTFOUND,
				       "instance %s has disappeared", id);
		}
		set_status(r, in);
		if (!strcmp(op, "read") ||
		    (!strcmp(op, "wait_created") &&
		     (json_get_int(in, "Status", 0) == 3 ||
		      json_get_int(in, "Status", 0) == 2)) ||
		    (!strcmp(op, "wait_running") &&
		     json_get_int(in, "Status", 0) == 2)) {
			r->attributes = attrs_of(in);
			json_decref(in);
			unwatch(ctx, id);
			return STEP_DONE;
		}
		json_decref(in);
		return STEP_IN_PROGRESS;
	}
	if (!strcmp(op, "init")) {
		const json_t *init = json_object_get(r->desired, "init");
		json_t *params = json_array();

		ret = describe(&in, ctx, r, id, e);
		if (ret < 0) {
			json_decref(params);
			return ret;
		}
		if (in && json_get_int(in, "Status", 0) != 3) {
			/* Initialised before an interruption. */
			set_status(r, in);
			json_decref(in);
			json_decref(params);
			return STEP_DONE;
		}
		json_decref(in);
		json_array_append_new(
		    params,
		    json_pack(
			"{s:s,s:s}", "Param", "character_set_server", "Value",
			json_get_str(init, "character_set_server", "utf8mb4")));
		json_array_append_new(
		    params,
		    json_pack(
			"{s:s,s:s}", "Param", "lower_case_table_names", "Value",
			json_get_int(init, "lower_case_table_names", 1) ? "1"
									: "0"));
		if (json_object_get(init, "sync_mode")) {
			char v[16];
			snprintf(v, sizeof(v), "%lld",
				 (long long)json_get_int(init, "sync_mode", 2));
			json_array_append_new(
			    params, json_pack("{s:s,s:s}", "Param", "sync_mode",
					      "Value", v));
		}
		if (json_object_get(init, "innodb_page_size")) {
			char v[16];
			snprintf(v, sizeof(v), "%lld",
				 (long long)json_get_int(
				     init, "innodb_page_size", 16384));
			json_array_append_new(
			    params, json_pack("{s:s,s:s}", "Param",
					      "innodb_page_size", "Value", v));
		}
		ret = call(&resp, ctx, r, "dcdb", "InitDCDBInstances",
			   json_pack("{s:[s],s:o}", "InstanceIds", id, "Params",
				     params),
			   0, e);
		if (ret < 0)
			return ret;
		json_object_set(
		    r->data, "flow_id",
		    json_array_get(json_object_get(resp, "FlowIds"), 0));
		json_decref(resp);
		watch(ctx, r, id);
		return STEP_DONE;
	}
	if (!strcmp(op, "rename")) {
		ret = call(&resp, ctx, r, "dcdb", "ModifyDBInstanceName",
			   json_pack("{s:s,s:s}", "InstanceId", id,
				     "InstanceName",
				     json_get_str(r->desired, "name", "")),
			   1, e);
		json_decref(resp);
		return ret < 0 ? ret : STEP_DONE;
	}
	if (!strcmp(op, "project")) {
		ret = call(&resp, ctx, r, "dcdb", "ModifyDBInstancesProject",
			   json_pack("{s:[s],s:I}", "InstanceIds", id,
				     "ProjectId",
				     (json_int_t)json_get_int(r->desired,
							      "project_id", 0)),
			   1, e);
		json_decref(resp);
		return ret < 0 ? ret : STEP_DONE;
	}
	if (!strcmp(op, "security_groups")) {
		json_t *sgs = json_object_get(r->desired, "security_group_ids");

		ret = call(
		    &resp, ctx, r, "dcdb", "ModifyDBInstanceSecurityGroups",
		    json_pack("{s:s,s:s,s:O}", "Product", "dcdb", "InstanceId",
			      id, "SecurityGroupIds", sgs ? sgs : json_array()),
		    1, e);
		json_decref(resp);
		return ret < 0 ? ret : STEP_DONE;
	}
	if (!strcmp(op, "network")) {
		ret = call(&resp, ctx, r, "dcdb", "ModifyInstanceNetwork",
			   json_pack("{s:s,s:s,s:s}", "InstanceId", id, "VpcId",
				     json_get_str(r->desired, "vpc_id", ""),
				     "SubnetId",
				     json_get_str(r->desired, "subnet_id", "")),
			   0, e);
		if (ret < 0)
			return ret;
		json_object_set(r->data, "flow_id",
				json_object_get(resp, "FlowId"));
		json_decref(resp);
		return STEP_DONE;
	}
	if (!strcmp(op, "wait_flow")) {
		ret = call(
		    &resp, ctx, r, "dcdb", "DescribeFlow",
		    json_pack("{s:I}", "FlowId",
			      (json_int_t)json_get_int(r->data, "flow_id", 0)),
		    1, e);
		if (ret < 0)
			return ret;
		ret = (int)json_get_int(resp, "Status", 2);
		json_decref(resp);
		snprintf(r->status, sizeof(r->status), "flow status %d", ret);
		if (ret == 1)
			return err_set(
			    e, DCF_EPROVIDER, "the cloud's flow %lld failed",
			    (long long)json_get_int(r->data, "flow_id", 0));
		return ret == 0 ? STEP_DONE : STEP_IN_PROGRESS;
	}
	if (!strcmp(op, "upgrade")) {
		const json_t *sh = json_object_get(r->desired, "shard");
		int64_t add = json_get_int(sh, "count", 0) -
			      json_get_int(json_object_get(r->current, "shard"),
					   "count", 0);
		json_t *p, *cfg;

		if (json_get_str(r->data, "upgrade_deal", NULL))
			return STEP_DONE;
		cfg = json_pack("{s:I,s:I}", "ShardMemory",
				(json_int_t)json_get_int(sh, "memory_gb", 0),
				"ShardStorage",
				(json_int_t)json_get_int(sh, "storage_gb", 0));
		if (add > 0)
			json_object_set_new(cfg, "ShardCount",
					    json_integer(add));
		p = json_pack("{s:s,s:s,s:o}", "InstanceId", id, "UpgradeType",
			      add > 0 ? "ADD" : "EXPAND",
			      add > 0 ? "AddShardConfig" : "ExpandShardConfig",
			      cfg);
		ret = call(&resp, ctx, r, "dcdb",
			   prepaid(r->desired) ? "UpgradeDCDBInstance"
					       : "UpgradeHourDCDBInstance",
			   p, 0, e);
		if (ret < 0)
			return ret;
		if (json_get_str(resp, "DealName", NULL))
			json_object_set(r->data, "upgrade_deal",
					json_object_get(resp, "DealName"));
		json_decref(resp);
		return STEP_DONE;
	}
	if (!strcmp(op, "noop"))
		return STEP_DONE;
	if (!strcmp(op, "isolate")) {
		ret = describe(&in, ctx, r, id, e);
		if (ret < 0)
			return ret;
		if (!in || json_get_int(in, "Status", 0) == -1 ||
		    json_get_int(in, "Status", 0) == 5) {
			json_decref(in);
			return STEP_DONE;
		}
		json_decref(in);
		ret = call(&resp, ctx, r, "dcdb", "IsolateDCDBInstance",
			   json_pack("{s:[s]}", "InstanceIds", id), 0, e);
		if (ret < 0)
			return ret;
		if (!json_array_size(
			json_object_get(resp, "SuccessInstanceIds"))) {
			json_decref(resp);
			return err_set(e, DCF_EPROVIDER,
				       "IsolateDCDBInstance did not isolate %s "
				       "(deletion protection?)",
				       id);
		}
		json_decref(resp);
		return STEP_DONE;
	}
	if (!strcmp(op, "destroy") || !strcmp(op, "destroy_hour")) {
		ret = describe(&in, ctx, r, id, e);
		if (ret < 0)
			return ret;
		if (!in || json_get_int(in, "Status", 0) == 5) {
			json_decref(in);
			return STEP_DONE;
		}
		json_decref(in);
		ret = call(&resp, ctx, r, "dcdb",
			   !strcmp(op, "destroy") ? "DestroyDCDBInstance"
						  : "DestroyHourDCDBInstance",
			   json_pack("{s:s}", "InstanceId", id), 0, e);
		json_decref(resp);
		return ret < 0 ? ret : STEP_DONE;
	}
	if (!strcmp(op, "wait_gone")) {
		ret = describe(&in, ctx, r, id, e);
		if (ret < 0)
			return ret;
		if (!in)
			return STEP_DONE;
		set_status(r, in);
		json_decref(in);
		return STEP_IN_PROGRESS;
	}
	return err_set(e, DCF_EINVALID, "unknown step '%s'", op);
}

const struct resource_type tencentcloud_dcdb_instance_type = {
    .version = RESOURCE_TYPE_VERSION,
    .name = "tencentcloud_dcdb_instance",
    .provider = "tencentcloud",
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
