/*
 * tc_dcdb.c: TDSQL distributed instances (DCDB, 2018-04-11) for the
 * emulator.  Status machine: 0 creating → 3 created, not initialised →
 * (InitDCDBInstances) 4 initialising → 2 running; -1 isolated; destroyed
 * instances leave the world.  Prepaid purchases are orders (deals) that
 * must be paid (billing PayDeals) before the instance is delivered;
 * postpaid instances appear at once.  See tc.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/tc.h"
#include "core/util/json.h"
#include "core/util/util.h"

static void due(struct emu *e, const char *id, int on);

/* Per account and region, the instance ids in creation order, so that
 * an unfiltered page costs the page and not the whole store. */
static json_t *owner_index(struct emu *e, const char *account,
			   const char *region)
{
	json_t *owners = tc_world(e, "owners"), *a;
	char *k = xasprintf("%s\n%s", account, region);

	a = json_object_get(owners, k);
	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(owners, k, a);
	}
	free(k);
	return a;
}

static void owner_forget(struct emu *e, const json_t *in, const char *id)
{
	json_t *a = owner_index(e, json_get_str(in, "_account", ""),
				json_get_str(in, "Region", ""));
	size_t i;
	json_t *x;

	json_array_foreach (a, i, x)
		if (!strcmp(json_string_value(x), id)) {
			json_array_remove(a, i);
			return;
		}
}

static json_t *cfg(struct emu *e, const char *key)
{
	return json_object_get(json_object_get(e->config, "tencent"), key);
}

static int64_t limit(struct emu *e, const char *key, int64_t def)
{
	return json_get_int(cfg(e, "limits"), key, def);
}

/* The next numeric id of a kind ("flow", "deal"). */
static int64_t next_seq(struct emu *e, const char *kind)
{
	json_t *t = json_object_get(e->world, "tencent");
	char *k = xasprintf("_seq_%s", kind);
	int64_t n = json_get_int(t, k, 0) + 1;

	json_object_set_new(t, k, json_integer(n));
	free(k);
	return n;
}

static json_t *new_flow(struct tc_call *c, int64_t done_at, int64_t *id)
{
	json_t *flows = tc_world(c->e, "flows");
	char key[32];

	*id = 1000 + next_seq(c->e, "flow");
	snprintf(key, sizeof(key), "%lld", (long long)*id);
	json_object_set_new(flows, key,
			    json_pack("{s:I,s:i,s:s,s:I}", "FlowId",
				      (json_int_t)*id, "Status", 2, "_account",
				      c->account_name, "_done_at",
				      (json_int_t)done_at));
	json_object_set_new(tc_world(c->e, "running_flows"), key, json_true());
	return json_object_get(flows, key);
}

/* ---- specs and prices --------------------------------------------- */

static const json_t *region_cfg(struct emu *e, const char *region)
{
	json_t *r;
	size_t i;

	json_array_foreach (cfg(e, "regions"), i, r)
		if (!strcmp(json_get_str(r, "Region", ""), region))
			return r;
	return NULL;
}

static int zone_ok(struct emu *e, const char *region, const char *zone)
{
	const json_t *r = region_cfg(e, region);
	json_t *z;
	size_t i;

	json_array_foreach (json_object_get(r, "Zones"), i, z)
		if (!strcmp(json_get_str(z, "Zone", ""), zone))
			return json_get_bool(z, "OnSale", 1);
	return 0;
}

struct spec {
	int64_t memory, storage, nodes, shards, count, period, cpu;
};

/* Check a shard spec against DescribeShardSpec's table. */
static int spec_check(struct tc_call *c, const struct spec *s)
{
	json_t *machines = cfg(c->e, "shard_specs"), *m, *x;
	size_t i, j;

	if (s->nodes != 2 && s->nodes != 3) {
		tc_error(c, "InvalidParameterValue.SpecIdIllegal",
			 "ShardNodeCount must be 2 or 3, got %lld",
			 (long long)s->nodes);
		return -1;
	}
	(void)j;
	json_array_foreach (machines, i, m) {
		/* The config lists spec entries ({NodeCount, Memory, …}). */
		x = m;
		if (json_get_int(x, "NodeCount", 0) != s->nodes ||
		    json_get_int(x, "Memory", 0) != s->memory)
			continue;
		if (s->storage < json_get_int(x, "MinStorage", 0) ||
		    s->storage > json_get_int(x, "MaxStorage", 0)) {
			tc_error(c, "InvalidParameterValue.SpecIdIllegal",
				 "ShardStorage %lld GB is outside %lld-%lld GB "
				 "for %lld GB memory",
				 (long long)s->storage,
				 (long long)json_get_int(x, "MinStorage", 0),
				 (long long)json_get_int(x, "MaxStorage", 0),
				 (long long)s->memory);
			return -1;
		}
		return 0;
	}
	tc_error(c, "InvalidParameter.SpecNotFound",
		 "no shard spec with %lld GB memory and %lld nodes; see "
		 "DescribeShardSpec",
		 (long long)s->memory, (long long)s->nodes);
	return -1;
}

static int read_spec(struct tc_call *c, struct spec *s, int need_period,
		     int create)
{
	int64_t maxs = create ? limit(c->e, "max_shards_create", 8)
			      : limit(c->e, "max_shards", 64);

	if (tc_int(c, "ShardMemory", 1, 0, &s->memory) < 0 ||
	    tc_int(c, "ShardStorage", 1, 0, &s->storage) < 0 ||
	    tc_int(c, "ShardNodeCount", 1, 0, &s->nodes) < 0 ||
	    tc_int(c, "ShardCount", 1, 0, &s->shards) < 0 ||
	    tc_int(c, "Count", 0, 1, &s->count) < 0 ||
	    tc_int(c, "Period", need_period, 1, &s->period) < 0)
		return -1;
	if (s->shards < limit(c->e, "min_shards", 2) || s->shards > maxs) {
		tc_error(c, "InvalidParameterValue.IllegalQuantity",
			 "ShardCount must be %lld-%lld, got %lld",
			 (long long)limit(c->e, "min_shards", 2),
			 (long long)maxs, (long long)s->shards);
		return -1;
	}
	if (s->count < 1 || s->count > limit(c->e, "max_count", 10)) {
		tc_error(c, "InvalidParameterValue.IllegalQuantity",
			 "Count must be 1-%lld, got %lld",
			 (long long)limit(c->e, "max_count", 10),
			 (long long)s->count);
		return -1;
	}
	if (s->period < 1 ||
	    s->period >
		json_get_int(cfg(c->e, "prices"), "max_period_months", 36)) {
		tc_error(c, "InvalidParameterValue",
			 "Period must be 1-%lld months, got %lld",
			 (long long)json_get_int(cfg(c->e, "prices"),
						 "max_period_months", 36),
			 (long long)s->period);
		return -1;
	}
	return spec_check(c, s);
}

static int64_t month_price(struct emu *e, const struct spec *s)
{
	return s->shards *
	       emu_dcdb_shard_month_fen(e, s->nodes, s->memory, s->storage);
}

static int64_t hour_price(struct emu *e, const struct spec *s)
{
	return s->shards *
	       emu_dcdb_shard_hour_fen(e, s->nodes, s->memory, s->storage);
}

/* ---- instances ------------------------------------------------------ */

static json_t *public_copy(const json_t *o)
{
	json_t *p = json_object(), *v;
	const char *k;

	json_object_foreach ((json_t *)o, k, v)
		if (k[0] != '_')
			json_object_set(p, k, v);
	return p;
}

/* The caller's instance id, or NULL after answering. */
static json_t *own_instance(struct tc_call *c, const char *id)
{
	json_t *in = json_object_get(tc_world(c->e, "instances"), id ? id : "");

	if (!in || strcmp(json_get_str(in, "_account", ""), c->account_name) ||
	    (*c->region && strcmp(json_get_str(in, "Region", ""), c->region))) {
		tc_error(c, "ResourceNotFound.InstanceNotFound",
			 "instance '%s' does not exist in %s", id ? id : "",
			 *c->region ? c->region : "this account");
		return NULL;
	}
	return in;
}

static json_t *new_instance(struct tc_call *c, const struct spec *s,
			    const char *paymode, const char *zone,
			    int64_t ready_at)
{
	char *id = emu_new_id(c->e, "dcdbt-");
	char created[20], end[20];
	const char *name = NULL, *vpc = NULL, *subnet = NULL, *dbv = NULL;
	int64_t project = 0, renew = 0;
	json_t *in, *shards = json_array(), *tags, *sgs = NULL;
	int64_t i;

	tc_str(c, "InstanceName", 0, &name);
	tc_str(c, "VpcId", 0, &vpc);
	tc_str(c, "SubnetId", 0, &subnet);
	tc_str(c, "DbVersionId", 0, &dbv);
	tc_int(c, "ProjectId", 0, 0, &project);
	tc_int(c, "AutoRenewFlag", 0, 0, &renew);
	tc_strs(c, "SecurityGroupIds", 0, &sgs);
	tc_time(created, c->now);
	tc_time(end, c->now + s->period * 30LL * 86400 * 1000);
	for (i = 0; i < s->shards; i++) {
		char *sid = emu_new_id(c->e, "shard-");
		json_array_append_new(
		    shards, json_pack("{s:s,s:s,s:i,s:s,s:I,s:I,s:I,s:I}",
				      "ShardInstanceId", sid, "ShardSerialId",
				      sid + 6, "Status", 0, "Createtime",
				      created, "Memory", (json_int_t)s->memory,
				      "Storage", (json_int_t)s->storage,
				      "NodeCount", (json_int_t)s->nodes,
				      "ShardId", (json_int_t)(i + 1)));
		free(sid);
	}
	tags = json_object_get(c->params, "ResourceTags");
	in = json_pack(
	    "{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:I,"
	    "s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:o,s:s,s:s,s:s,s:O,"
	    "s:O,s:i,s:s,s:I,s:I}",
	    "InstanceId", id, "InstanceName", name ? name : id, "ProjectId",
	    (json_int_t)project, "Region", c->region, "Zone", zone,
	    "UniqueVpcId", vpc ? vpc : "", "UniqueSubnetId",
	    subnet ? subnet : "", "Vip", "", "StatusDesc", "creating", "Status",
	    0, "CreateTime", created, "UpdateTime", created, "Vport",
	    (json_int_t)limit(c->e, "vport", 3306), "PeriodEndTime",
	    !strcmp(paymode, "prepaid") ? end : "0000-00-00 00:00:00",
	    "IsolatedTimestamp", "0000-00-00 00:00:00", "Paymode", paymode,
	    "Memory", (json_int_t)(s->memory * s->shards), "Storage",
	    (json_int_t)(s->storage * s->shards), "ShardCount",
	    (json_int_t)s->shards, "NodeCount", (json_int_t)s->nodes, "Uin",
	    json_get_str(c->account, "uin", ""), "ShardDetail", shards,
	    "DbEngine", "MariaDB", "DbVersionId",
	    dbv ? dbv
		: json_get_str(cfg(c->e, "default_db_version"), NULL, "5.7"),
	    "_account", c->account_name, "ResourceTags",
	    json_is_array(tags) ? tags : json_array(), "SecurityGroupIds",
	    sgs ? sgs : json_array(), "AutoRenewFlag", (int)renew, "_zones",
	    zone, "_ready_at", (json_int_t)ready_at, "ProtectedProperty",
	    (json_int_t)0);
	if (!json_is_array(tags))
		json_decref(json_object_get(in, "ResourceTags"));
	if (!sgs)
		json_decref(json_object_get(in, "SecurityGroupIds"));
	if (!json_get_str(in, "DbVersionId", NULL) ||
	    !*json_get_str(in, "DbVersionId", ""))
		json_object_set_new(
		    in, "DbVersionId",
		    json_string(
			json_string_value(cfg(c->e, "default_db_version"))
			    ? json_string_value(cfg(c->e, "default_db_version"))
			    : "5.7"));
	json_object_set_new(tc_world(c->e, "instances"), id, in);
	json_array_append_new(owner_index(c->e, c->account_name, c->region),
			      json_string(id));
	due(c->e, id, 1);
	free(id);
	emu_dirty(c->e);
	return in;
}

/* Objects with a transition still to come, so that lazy time looks at
 * those only and not at the whole store. */
static void due(struct emu *e, const char *id, int on)
{
	json_t *d = tc_world(e, "due");

	if (on)
		json_object_set_new(d, id, json_true());
	else
		json_object_del(d, id);
}

static void set_status(json_t *in, int st, const char *desc)
{
	size_t i;
	json_t *s;

	json_object_set_new(in, "Status", json_integer(st));
	json_object_set_new(in, "StatusDesc", json_string(desc));
	json_array_foreach (json_object_get(in, "ShardDetail"), i, s)
		json_object_set_new(s, "Status", json_integer(st < 0 ? 2 : st));
}

void tc_dcdb_advance(struct emu *e, int64_t now)
{
	json_t *ins = tc_world(e, "instances"), *deals = tc_world(e, "deals"),
	       *flows = tc_world(e, "flows"), *o;
	const char *k;
	void *tmp;

	/* Paid deals are delivered after tc_delivery. */
	json_object_foreach_safe (tc_world(e, "paid_deals"), tmp, k, o) {
		o = json_object_get(deals, k);
		if (!o || json_get_bool(o, "_delivered", 0)) {
			json_object_del(tc_world(e, "paid_deals"), k);
			continue;
		}
		if (json_get_int(o, "_status", 1) != 2 ||
		    json_get_int(o, "_deliver_at", 0) > now ||
		    json_get_bool(o, "_delivered", 0))
			continue;
		json_object_set_new(o, "_delivered", json_true());
		json_object_set_new(o, "_status", json_integer(4));
		json_object_del(tc_world(e, "paid_deals"), k);
		emu_dirty(e);
	}
	json_object_foreach_safe (tc_world(e, "due"), tmp, k, o) {
		int64_t st;

		o = json_object_get(ins, k);
		if (!o) {
			json_object_del(tc_world(e, "due"), k);
			continue;
		}
		st = json_get_int(o, "Status", 0);

		if (st == 0 && json_get_int(o, "_ready_at", 0) <= now) {
			char vip[32];
			uint64_t r = emu_rand(e);

			snprintf(vip, sizeof(vip), "10.%u.%u.%u",
				 (unsigned)(r % 250), (unsigned)(r / 250 % 250),
				 (unsigned)(r / 62500 % 250 + 2));
			json_object_set_new(o, "Vip", json_string(vip));
			set_status(o, 3, "to be initialised");
			json_object_del(tc_world(e, "due"), k);
			emu_dirty(e);
		} else if (st == 4 && json_get_int(o, "_init_at", 0) <= now) {
			set_status(o, 2, "running");
			json_object_del(tc_world(e, "due"), k);
			emu_dirty(e);
		} else if (json_get_int(o, "_destroy_at", 0) &&
			   json_get_int(o, "_destroy_at", 0) <= now) {
			owner_forget(e, o, k);
			json_object_del(ins, k);
			json_object_del(tc_world(e, "due"), k);
			emu_dirty(e);
		}
	}
	json_object_foreach_safe (tc_world(e, "running_flows"), tmp, k, o) {
		o = json_object_get(flows, k);
		if (o && json_get_int(o, "_done_at", 0) > now)
			continue;
		if (o && json_get_int(o, "Status", 0) == 2) {
			json_object_set_new(o, "Status", json_integer(0));
			emu_dirty(e);
		}
		json_object_del(tc_world(e, "running_flows"), k);
	}
}

/* ---- deals ---------------------------------------------------------- */

static json_t *new_deal(struct tc_call *c, const char *action, int64_t amount,
			int paymode, json_t *payload)
{
	char name[32], created[20];
	json_t *d;

	snprintf(name, sizeof(name), "2026%010lld",
		 (long long)next_seq(c->e, "deal"));
	tc_time(created, c->now);
	d = json_pack("{s:s,s:s,s:i,s:I,s:n,s:i,s:I,s:s,s:s,s:I,s:o,s:s}",
		      "DealName", name, "OwnerUin",
		      json_get_str(c->account, "uin", ""), "Count", 1, "FlowId",
		      (json_int_t)0, "InstanceIds", "PayMode", paymode,
		      "_price", (json_int_t)amount, "_account", c->account_name,
		      "_action", action, "_status", (json_int_t)1, "_payload",
		      payload, "_created", created);
	json_object_set_new(tc_world(c->e, "deals"), name, d);
	emu_ledger_add(c->e, json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "kind",
				       "order", "cloud", "tencent", "account",
				       c->account_name, "order_id", name,
				       "amount_fen", (json_int_t)amount,
				       "product", "dcdb", "action", action));
	emu_dirty(c->e);
	return d;
}

/* What a paid deal does: create instances, extend, upgrade. */
static void deliver(struct tc_call *c, json_t *deal)
{
	const char *action = json_get_str(deal, "_action", "");
	json_t *p = json_object_get(deal, "_payload");
	int64_t at = c->now + emu_delay(c->e, "tc_delivery", 1000);

	json_object_set_new(deal, "_deliver_at", json_integer(at));
	if (!strcmp(action, "purchase")) {
		struct spec s = {json_get_int(p, "memory", 0),
				 json_get_int(p, "storage", 0),
				 json_get_int(p, "nodes", 2),
				 json_get_int(p, "shards", 2),
				 json_get_int(p, "count", 1),
				 json_get_int(p, "period", 1),
				 0};
		json_t *ids = json_array(), *saved = c->params;
		const char *region = c->region;
		int64_t flow, i;

		/* Instances are made from the create call's parameters. */
		c->params = json_object_get(p, "params");
		c->region = json_get_str(p, "region", "");
		for (i = 0; i < s.count; i++) {
			json_t *in = new_instance(
			    c, &s, "prepaid", json_get_str(p, "zone", ""),
			    at + emu_delay(c->e, "tc_create", 2000));
			json_array_append_new(ids, json_string(json_get_str(
						       in, "InstanceId", "")));
		}
		c->params = saved;
		c->region = region;
		new_flow(c, at + emu_delay(c->e, "tc_create", 2000), &flow);
		json_object_set_new(deal, "InstanceIds", ids);
		json_object_set_new(deal, "FlowId", json_integer(flow));
	} else if (!strcmp(action, "renew")) {
		json_t *in = json_object_get(tc_world(c->e, "instances"),
					     json_get_str(p, "instance", ""));
		char end[20];

		if (in) {
			int64_t until =
			    json_get_int(in, "_period_end_ms", c->now) +
			    json_get_int(p, "period", 1) * 30LL * 86400 * 1000;
			json_object_set_new(in, "_period_end_ms",
					    json_integer(until));
			tc_time(end, until);
			json_object_set_new(in, "PeriodEndTime",
					    json_string(end));
		}
		json_object_set_new(
		    deal, "InstanceIds",
		    json_pack("[s]", json_get_str(p, "instance", "")));
	} else if (!strcmp(action, "upgrade")) {
		json_t *in = json_object_get(tc_world(c->e, "instances"),
					     json_get_str(p, "instance", ""));

		if (in) {
			int64_t mem = json_get_int(p, "memory", 0);
			int64_t sto = json_get_int(p, "storage", 0);
			int64_t add = json_get_int(p, "add", 0);
			int64_t sh = json_get_int(in, "ShardCount", 0) + add;
			size_t i;
			json_t *x;

			json_array_foreach (json_object_get(in, "ShardDetail"),
					    i, x) {
				if (!add) {
					json_object_set_new(x, "Memory",
							    json_integer(mem));
					json_object_set_new(x, "Storage",
							    json_integer(sto));
				}
			}
			for (i = 0; i < (size_t)add; i++) {
				char *sid = emu_new_id(c->e, "shard-");
				json_array_append_new(
				    json_object_get(in, "ShardDetail"),
				    json_pack("{s:s,s:s,s:i,s:I,s:I}",
					      "ShardInstanceId", sid,
					      "ShardSerialId", sid + 6,
					      "Status", 2, "Memory",
					      (json_int_t)mem, "Storage",
					      (json_int_t)sto));
				free(sid);
			}
			json_object_set_new(in, "ShardCount", json_integer(sh));
			json_object_set_new(in, "Memory",
					    json_integer(sh * mem));
			json_object_set_new(in, "Storage",
					    json_integer(sh * sto));
		}
		json_object_set_new(
		    deal, "InstanceIds",
		    json_pack("[s]", json_get_str(p, "instance", "")));
	}
	emu_dirty(c->e);
}

int tc_dcdb_pay_deal(struct tc_call *c, json_t *deal)
{
	json_t *tc = json_object_get(c->account, "tencent");
	int64_t price = json_get_int(deal, "_price", 0);
	int64_t bal = json_get_int(tc, "balance_fen", 0);
	const char *name = json_get_str(deal, "DealName", "");

	if (json_get_int(deal, "_status", 1) != 1)
		return 1;
	if (bal < price) {
		tc_error(c, "FailedOperation.BalanceInsufficient",
			 "the balance (%lld fen) is less than the order %s "
			 "(%lld fen)",
			 (long long)bal, name, (long long)price);
		return -1;
	}
	json_object_set_new(tc, "balance_fen", json_integer(bal - price));
	json_object_set_new(deal, "_status", json_integer(2));
	json_object_set_new(deal, "_paid_at", json_integer(c->now));
	json_object_set_new(tc_world(c->e, "paid_deals"), name, json_true());
	emu_ledger_add(c->e, json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "kind",
				       "payment", "cloud", "tencent", "account",
				       c->account_name, "order_id", name,
				       "amount_fen", (json_int_t)price,
				       "product", "dcdb", "action",
				       json_get_str(deal, "_action", "")));
	deliver(c, deal);
	return 0;
}

/* ---- actions -------------------------------------------------------- */

static int sale_info(struct tc_call *c)
{
	json_t *list = json_array(), *r;
	size_t i;

	json_array_foreach (cfg(c->e, "regions"), i, r) {
		json_t *x = json_deep_copy(r);
		json_t *zones = json_object_get(x, "Zones");
		json_t *choice = json_array(), *z;
		size_t j;

		json_object_set(x, "ZoneList", zones);
		json_object_del(x, "Zones");
		json_array_foreach (zones, j, z) {
			json_t *slaves = json_array(), *z2;
			size_t k;

			json_array_foreach (zones, k, z2)
				if (k != j)
					json_array_append(slaves, z2);
			json_array_append_new(
			    choice, json_pack("{s:O,s:o}", "MasterZone", z,
					      "SlaveZones", slaves));
		}
		json_object_set_new(x, "AvailableChoice", choice);
		json_object_set_new(x, "HostType", json_string("Machine"));
		json_array_append_new(list, x);
	}
	tc_ok(c, json_pack("{s:o}", "RegionList", list));
	return 0;
}

static int shard_spec(struct tc_call *c)
{
	tc_ok(c, json_pack("{s:[{s:s,s:O}]}", "SpecConfig", "Machine",
			   "MiniMachine", "SpecConfigInfos",
			   cfg(c->e, "shard_specs")));
	return 0;
}

static int price(struct tc_call *c)
{
	struct spec s;
	const char *zone = NULL, *paymode = NULL, *unit = NULL;
	int64_t p;

	if (tc_str(c, "Zone", 1, &zone) < 0 ||
	    tc_str(c, "Paymode", 0, &paymode) < 0 ||
	    tc_str(c, "AmountUnit", 0, &unit) < 0 || read_spec(c, &s, 1, 1) < 0)
		return 0;
	if (!zone_ok(c->e, c->region, zone)) {
		tc_error(c, "InvalidParameterValue.IllegalZone",
			 "zone '%s' is not on sale in %s", zone, c->region);
		return 0;
	}
	if (paymode && !strcmp(paymode, "postpaid"))
		p = hour_price(c->e, &s) * s.count;
	else
		p = month_price(c->e, &s) * s.period * s.count;
	if (unit && !strcmp(unit, "microPent"))
		p *= 10000;
	tc_ok(c, json_pack("{s:I,s:I}", "OriginalPrice", (json_int_t)p, "Price",
			   (json_int_t)p));
	return 0;
}

static int check_buyer(struct tc_call *c, int64_t need)
{
	json_t *tc = json_object_get(c->account, "tencent");

	if (!json_get_bool(tc, "real_name_verified", 0)) {
		tc_error(c, "UnauthorizedOperation.NotCertification",
			 "the account has not completed real-name "
			 "verification");
		return -1;
	}
	if (need > 0 && json_get_int(tc, "balance_fen", 0) < need) {
		tc_error(c, "FailedOperation.BalanceInsufficient",
			 "the balance (%lld fen) does not cover %lld fen",
			 (long long)json_get_int(tc, "balance_fen", 0),
			 (long long)need);
		return -1;
	}
	return 0;
}

static int read_zones(struct tc_call *c, int required, const char **first)
{
	json_t *zones, *z;
	size_t i;

	*first = NULL;
	if (tc_strs(c, "Zones", required, &zones) < 0)
		return -1;
	json_array_foreach (zones, i, z) {
		if (!zone_ok(c->e, c->region, json_string_value(z))) {
			tc_error(c, "InvalidParameterValue.IllegalZone",
				 "zone '%s' is not on sale in %s",
				 json_string_value(z), c->region);
			return -1;
		}
		if (!*first)
			*first = json_string_value(z);
	}
	if (zones &&
	    (json_array_size(zones) < 1 || json_array_size(zones) > 2)) {
		tc_error(c, "InvalidParameterValue.IllegalZone",
			 "Zones takes one or two zones");
		return -1;
	}
	return 0;
}

static int read_network(struct tc_call *c)
{
	const char *vpc = NULL, *subnet = NULL;

	if (tc_str(c, "VpcId", 0, &vpc) < 0 ||
	    tc_str(c, "SubnetId", 0, &subnet) < 0)
		return -1;
	if (vpc && *vpc && (!subnet || !*subnet)) {
		tc_error(c, "InvalidParameter.SubnetNotFound",
			 "SubnetId is required with VpcId");
		return -1;
	}
	if (vpc && *vpc && !str_starts_with(vpc, "vpc-")) {
		tc_error(c, "InvalidParameter.VpcNotFound",
			 "VPC '%s' does not exist", vpc);
		return -1;
	}
	return 0;
}

static int create_prepaid(struct tc_call *c)
{
	struct spec s;
	const char *zone;
	json_t *deal;
	int64_t amount;

	if (read_spec(c, &s, 1, 1) < 0 || read_zones(c, 1, &zone) < 0 ||
	    read_network(c) < 0)
		return 0;
	if (!region_cfg(c->e, c->region)) {
		tc_error(c, "UnsupportedRegion", "region '%s' is not supported",
			 c->region);
		return 0;
	}
	if (check_buyer(c, 0) < 0)
		return 0;
	amount = month_price(c->e, &s) * s.period * s.count;
	deal = new_deal(
	    c, "purchase", amount, 1,
	    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:O}", "memory",
		      (json_int_t)s.memory, "storage", (json_int_t)s.storage,
		      "nodes", (json_int_t)s.nodes, "shards",
		      (json_int_t)s.shards, "count", (json_int_t)s.count,
		      "period", (json_int_t)s.period, "zone", zone, "region",
		      c->region, "params", c->params));
	/* Like the cloud, the create pays from the balance when it can;
	 * otherwise the order stays unpaid (status 1) until PayDeals.
	 * Instances come with delivery either way. */
	if (json_get_int(json_object_get(c->account, "tencent"), "balance_fen",
			 0) >= amount &&
	    !json_is_true(cfg(c->e, "no_auto_pay")))
		tc_dcdb_pay_deal(c, deal);
	tc_ok(c, json_pack("{s:s,s:[]}", "DealName",
			   json_get_str(deal, "DealName", ""), "InstanceIds"));
	return 0;
}

static int create_postpaid(struct tc_call *c)
{
	struct spec s;
	const char *zone = NULL;
	json_t *ids = json_array(), *deal;
	int64_t flow, i, ready;

	if (read_spec(c, &s, 0, 1) < 0 || read_zones(c, 0, &zone) < 0 ||
	    read_network(c) < 0)
		goto out;
	if (!region_cfg(c->e, c->region)) {
		tc_error(c, "UnsupportedRegion", "region '%s' is not supported",
			 c->region);
		goto out;
	}
	if (check_buyer(c, hour_price(c->e, &s) * s.count) < 0)
		goto out;
	if (!zone) {
		json_t *z = json_array_get(
		    json_object_get(region_cfg(c->e, c->region), "Zones"), 0);
		zone = json_get_str(z, "Zone", "");
	}
	s.period = 0;
	ready = c->now + emu_delay(c->e, "tc_create", 2000);
	for (i = 0; i < s.count; i++) {
		json_t *in = new_instance(c, &s, "postpaid", zone, ready);
		json_array_append_new(
		    ids, json_string(json_get_str(in, "InstanceId", "")));
	}
	new_flow(c, ready, &flow);
	deal = new_deal(c, "purchase", 0, 0, json_object());
	json_object_set_new(deal, "_status", json_integer(4));
	json_object_set_new(deal, "_delivered", json_true());
	json_object_set(deal, "InstanceIds", ids);
	json_object_set_new(deal, "FlowId", json_integer(flow));
	tc_ok(c, json_pack("{s:O,s:I,s:s}", "InstanceIds", ids, "FlowId",
			   (json_int_t)flow, "DealName",
			   json_get_str(deal, "DealName", "")));
out:
	json_decref(ids);
	return 0;
}

static int describe_orders(struct tc_call *c)
{
	json_t *names, *n, *out = json_array();
	size_t i;

	if (tc_strs(c, "DealNames", 1, &names) < 0) {
		json_decref(out);
		return 0;
	}
	json_array_foreach (names, i, n) {
		json_t *d = json_object_get(tc_world(c->e, "deals"),
					    json_string_value(n));

		if (!d ||
		    strcmp(json_get_str(d, "_account", ""), c->account_name))
			continue;
		json_array_append_new(out, public_copy(d));
	}
	tc_ok(c, json_pack("{s:I,s:o}", "TotalCount",
			   (json_int_t)json_array_size(out), "Deals", out));
	return 0;
}

static int has_tag(const json_t *in, const char *key, const char *value)
{
	json_t *t;
	size_t i;

	json_array_foreach (json_object_get(in, "ResourceTags"), i, t)
		if (!strcmp(json_get_str(t, "TagKey", ""), key) &&
		    (!value || !strcmp(json_get_str(t, "TagValue", ""), value)))
			return 1;
	return 0;
}

static int int_in(const json_t *arr, int64_t v)
{
	json_t *x;
	size_t i;

	json_array_foreach (arr, i, x) {
		int64_t y = json_is_string(x) ? atoll(json_string_value(x))
					      : json_integer_value(x);
		if (y == v)
			return 1;
	}
	return 0;
}

static int describe_instances(struct tc_call *c)
{
	json_t *ids = NULL, *tagkeys = NULL, *out = json_array(), *in;
	json_t *tags = json_object_get(c->params, "Tags");
	json_t *status = json_object_get(c->params, "Status");
	json_t *projects = json_object_get(c->params, "ProjectIds");
	const char *search = NULL, *key = NULL, *k;
	int64_t offset, lim, total = 0;

	if (tc_strs(c, "InstanceIds", 0, &ids) < 0 ||
	    tc_strs(c, "TagKeys", 0, &tagkeys) < 0 ||
	    tc_str(c, "SearchName", 0, &search) < 0 ||
	    tc_str(c, "SearchKey", 0, &key) < 0 ||
	    tc_int(c, "Offset", 0, 0, &offset) < 0 ||
	    tc_int(c, "Limit", 0, 10, &lim) < 0)
		goto out;
	if (lim < 1 || lim > 100 || offset < 0) {
		tc_error(c, "InvalidParameterValue",
			 "Limit must be 1-100 and Offset at least 0");
		goto out;
	}
	/* No filter: page through the owner's index. */
	if (!ids && !tagkeys && !json_array_size(tags) &&
	    !json_array_size(status) && !json_array_size(projects) &&
	    !(key && *key)) {
		json_t *idx = owner_index(c->e, c->account_name, c->region);
		size_t i;

		total = (int64_t)json_array_size(idx);
		for (i = (size_t)offset;
		     i < json_array_size(idx) && i < (size_t)(offset + lim);
		     i++) {
			json_t *o = json_object_get(
			    tc_world(c->e, "instances"),
			    json_string_value(json_array_get(idx, i)));
			if (o)
				json_array_append_new(out, public_copy(o));
		}
		goto answer;
	}
	/* With InstanceIds, look them up (cost of the page, not of the
	 * store); otherwise scan. */
	{
		json_t *scan = tc_world(c->e, "instances"), *picked = NULL;

		if (ids) {
			size_t i;
			json_t *x;

			picked = json_object();
			json_array_foreach (ids, i, x) {
				json_t *o =
				    json_object_get(scan, json_string_value(x));
				if (o)
					json_object_set(
					    picked, json_string_value(x), o);
			}
			scan = picked;
		}
		json_object_foreach (scan, k, in) {
			size_t i;
			json_t *x;
			int ok = 1;

			if (strcmp(json_get_str(in, "_account", ""),
				   c->account_name) ||
			    strcmp(json_get_str(in, "Region", ""), c->region))
				continue;
			json_array_foreach (tagkeys, i, x)
				if (!has_tag(in, json_string_value(x), NULL))
					ok = 0;
			json_array_foreach (tags, i, x)
				if (!has_tag(in, json_get_str(x, "TagKey", ""),
					     json_get_str(x, "TagValue", NULL)))
					ok = 0;
			if (json_array_size(status) &&
			    !int_in(status, json_get_int(in, "Status", 0)))
				ok = 0;
			if (json_array_size(projects) &&
			    !int_in(projects, json_get_int(in, "ProjectId", 0)))
				ok = 0;
			if (key && *key) {
				int byname = !search ||
					     !strcmp(search, "all") ||
					     !strcmp(search, "instancename");
				int byvip = !search || !strcmp(search, "all") ||
					    !strcmp(search, "vip");

				if (!(byname &&
				      strstr(
					  json_get_str(in, "InstanceName", ""),
					  key)) &&
				    !(byvip &&
				      strstr(json_get_str(in, "Vip", ""), key)))
					ok = 0;
			}
			if (!ok)
				continue;
			if (total >= offset && total < offset + lim)
				json_array_append_new(out, public_copy(in));
			total++;
		}
		json_decref(picked);
	}
answer:
	tc_ok(c, json_pack("{s:I,s:O}", "TotalCount", (json_int_t)total,
			   "Instances", out));
out:
	json_decref(out);
	return 0;
}

static int describe_detail(struct tc_call *c)
{
	const char *id;
	json_t *in, *d;

	if (tc_str(c, "InstanceId", 1, &id) < 0 || !(in = own_instance(c, id)))
		return 0;
	d = public_copy(in);
	json_object_set(d, "PayMode", json_object_get(in, "Paymode"));
	json_object_del(d, "Paymode");
	json_object_set(d, "Shards", json_object_get(in, "ShardDetail"));
	json_object_set_new(d, "VpcId",
			    json_string(json_get_str(in, "UniqueVpcId", "")));
	json_object_set_new(
	    d, "SubnetId", json_string(json_get_str(in, "UniqueSubnetId", "")));
	json_object_set_new(d, "MasterZone",
			    json_string(json_get_str(in, "Zone", "")));
	tc_ok(c, d);
	return 0;
}

static int describe_shards(struct tc_call *c)
{
	const char *id;
	json_t *in, *out = json_array(), *s;
	size_t i;

	if (tc_str(c, "InstanceId", 1, &id) < 0 ||
	    !(in = own_instance(c, id))) {
		json_decref(out);
		return 0;
	}
	json_array_foreach (json_object_get(in, "ShardDetail"), i, s) {
		json_t *x = json_deep_copy(s);

		json_object_set(x, "InstanceId",
				json_object_get(in, "InstanceId"));
		json_object_set(x, "Region", json_object_get(in, "Region"));
		json_object_set(x, "Zone", json_object_get(in, "Zone"));
		json_object_set(x, "Paymode", json_object_get(in, "Paymode"));
		json_array_append_new(out, x);
	}
	tc_ok(c, json_pack("{s:I,s:o}", "TotalCount",
			   (json_int_t)json_array_size(out), "Shards", out));
	return 0;
}

static int init_instances(struct tc_call *c)
{
	json_t *ids, *x, *flows = json_array(), *params;
	size_t i, j;
	json_t *p;
	int has_cs = 0, has_lc = 0;

	if (tc_strs(c, "InstanceIds", 1, &ids) < 0)
		goto out;
	params = json_object_get(c->params, "Params");
	if (!json_is_array(params)) {
		tc_error(c, "MissingParameter",
			 "the request is missing a required parameter "
			 "`Params`");
		goto out;
	}
	json_array_foreach (params, j, p) {
		const char *n = json_get_str(p, "Param", "");
		if (!strcmp(n, "character_set_server"))
			has_cs = 1;
		else if (!strcmp(n, "lower_case_table_names"))
			has_lc = 1;
		else if (strcmp(n, "innodb_page_size") &&
			 strcmp(n, "sync_mode")) {
			tc_error(c, "InvalidParameterValue.IllegalInitParam",
				 "unknown init parameter '%s'", n);
			goto out;
		}
	}
	if (!has_cs || !has_lc) {
		tc_error(c, "InvalidParameterValue.IllegalInitParam",
			 "character_set_server and lower_case_table_names are "
			 "required");
		goto out;
	}
	json_array_foreach (ids, i, x) {
		json_t *in = own_instance(c, json_string_value(x));

		if (!in)
			goto out;
		if (json_get_int(in, "Status", 0) != 3) {
			tc_error(c, "ResourceUnavailable.BadInstanceStatus",
				 "instance %s is in status %lld; only status 3 "
				 "(not initialised) can be initialised",
				 json_string_value(x),
				 (long long)json_get_int(in, "Status", 0));
			goto out;
		}
	}
	json_array_foreach (ids, i, x) {
		json_t *in = own_instance(c, json_string_value(x));
		int64_t at = c->now + emu_delay(c->e, "tc_init", 2000), flow;

		set_status(in, 4, "initialising");
		due(c->e, json_string_value(x), 1);
		json_object_set_new(in, "_init_at", json_integer(at));
		json_object_set(in, "_init_params", params);
		new_flow(c, at, &flow);
		json_array_append_new(flows, json_integer(flow));
	}
	emu_dirty(c->e);
	tc_ok(c, json_pack("{s:O,s:O}", "FlowIds", flows, "InstanceIds", ids));
out:
	json_decref(flows);
	return 0;
}

static int describe_flow(struct tc_call *c)
{
	int64_t id;
	char key[32];
	json_t *f;

	if (tc_int(c, "FlowId", 1, 0, &id) < 0)
		return 0;
	snprintf(key, sizeof(key), "%lld", (long long)id);
	f = json_object_get(tc_world(c->e, "flows"), key);
	if (!f || strcmp(json_get_str(f, "_account", ""), c->account_name)) {
		tc_error(c, "InvalidParameter.FlowNotFound",
			 "flow %lld does not exist", (long long)id);
		return 0;
	}
	tc_ok(c, json_pack("{s:I}", "Status",
			   (json_int_t)json_get_int(f, "Status", 2)));
	return 0;
}

static int modify_name(struct tc_call *c)
{
	const char *id, *name;
	json_t *in;

	if (tc_str(c, "InstanceId", 1, &id) < 0 ||
	    tc_str(c, "InstanceName", 1, &name) < 0 ||
	    !(in = own_instance(c, id)))
		return 0;
	if (!*name || strlen(name) > 60) {
		tc_error(c, "InvalidParameterValue",
			 "InstanceName must be 1-60 characters");
		return 0;
	}
	json_object_set_new(in, "InstanceName", json_string(name));
	emu_dirty(c->e);
	tc_ok(c, json_pack("{s:s}", "InstanceId", id));
	return 0;
}

static int modify_project(struct tc_call *c)
{
	json_t *ids, *x;
	int64_t project;
	size_t i;

	if (tc_strs(c, "InstanceIds", 1, &ids) < 0 ||
	    tc_int(c, "ProjectId", 1, 0, &project) < 0)
		return 0;
	json_array_foreach (ids, i, x)
		if (!own_instance(c, json_string_value(x)))
			return 0;
	json_array_foreach (ids, i, x)
		json_object_set_new(own_instance(c, json_string_value(x)),
				    "ProjectId", json_integer(project));
	emu_dirty(c->e);
	tc_ok(c, NULL);
	return 0;
}

static int modify_sgs(struct tc_call *c)
{
	const char *product, *id;
	json_t *sgs, *in;

	if (tc_str(c, "Product", 1, &product) < 0 ||
	    tc_str(c, "InstanceId", 1, &id) < 0 ||
	    tc_strs(c, "SecurityGroupIds", 1, &sgs) < 0)
		return 0;
	if (strcmp(product, "dcdb")) {
		tc_error(c, "InvalidParameterValue",
			 "Product must be 'dcdb', got '%s'", product);
		return 0;
	}
	if (!(in = own_instance(c, id)))
		return 0;
	json_object_set(in, "SecurityGroupIds", sgs);
	emu_dirty(c->e);
	tc_ok(c, NULL);
	return 0;
}

static int describe_sgs(struct tc_call *c)
{
	const char *product, *id;
	json_t *in, *groups = json_array(), *g;
	size_t i;
	char port[16];

	if (tc_str(c, "Product", 1, &product) < 0 ||
	    tc_str(c, "InstanceId", 1, &id) < 0 ||
	    !(in = own_instance(c, id))) {
		json_decref(groups);
		return 0;
	}
	json_array_foreach (json_object_get(in, "SecurityGroupIds"), i, g)
		json_array_append_new(groups, json_pack("{s:O,s:O,s:[],s:[]}",
							"SecurityGroupId", g,
							"SecurityGroupName", g,
							"Inbound", "Outbound"));
	snprintf(port, sizeof(port), "%lld",
		 (long long)json_get_int(in, "Vport", 3306));
	tc_ok(c, json_pack("{s:o,s:s,s:s}", "Groups", groups, "VIP",
			   json_get_str(in, "Vip", ""), "VPort", port));
	return 0;
}

static int modify_network(struct tc_call *c)
{
	const char *id, *vpc, *subnet;
	json_t *in;
	int64_t flow;

	if (tc_str(c, "InstanceId", 1, &id) < 0 ||
	    tc_str(c, "VpcId", 1, &vpc) < 0 ||
	    tc_str(c, "SubnetId", 1, &subnet) < 0 || read_network(c) < 0 ||
	    !(in = own_instance(c, id)))
		return 0;
	json_object_set_new(in, "UniqueVpcId", json_string(vpc));
	json_object_set_new(in, "UniqueSubnetId", json_string(subnet));
	new_flow(c, c->now + emu_delay(c->e, "tc_flow", 1000), &flow);
	emu_dirty(c->e);
	tc_ok(c, json_pack("{s:I}", "FlowId", (json_int_t)flow));
	return 0;
}

/* ADD / EXPAND configs into (memory, storage, added shards). */
static int upgrade_spec(struct tc_call *c, json_t *in, int64_t *mem,
			int64_t *sto, int64_t *add)
{
	const char *type;
	json_t *cfgo;
	struct spec s;

	if (tc_str(c, "UpgradeType", 1, &type) < 0)
		return -1;
	if (!strcmp(type, "ADD"))
		cfgo = json_object_get(c->params, "AddShardConfig");
	else if (!strcmp(type, "EXPAND"))
		cfgo = json_object_get(c->params, "ExpandShardConfig");
	else {
		tc_error(c, "InvalidParameterValue",
			 "UpgradeType must be ADD or EXPAND here, got '%s'",
			 type);
		return -1;
	}
	if (!json_is_object(cfgo)) {
		tc_error(c, "MissingParameter", "%sShardConfig is required",
			 !strcmp(type, "ADD") ? "Add" : "Expand");
		return -1;
	}
	*mem = json_get_int(cfgo, "ShardMemory", 0);
	*sto = json_get_int(cfgo, "ShardStorage", 0);
	*add = !strcmp(type, "ADD") ? json_get_int(cfgo, "ShardCount", 0) : 0;
	s.memory = *mem;
	s.storage = *sto;
	s.nodes = json_get_int(in, "NodeCount", 2);
	if (!strcmp(type, "ADD") &&
	    (*add < 1 || json_get_int(in, "ShardCount", 0) + *add >
			     limit(c->e, "max_shards", 64))) {
		tc_error(c, "InvalidParameterValue.IllegalQuantity",
			 "cannot add %lld shards", (long long)*add);
		return -1;
	}
	return spec_check(c, &s);
}

static int64_t upgrade_cost(struct tc_call *c, json_t *in, int64_t mem,
			    int64_t sto, int64_t add, int hourly)
{
	struct spec now = {
	    json_get_int(json_array_get(json_object_get(in, "ShardDetail"), 0),
			 "Memory", 0),
	    json_get_int(json_array_get(json_object_get(in, "ShardDetail"), 0),
			 "Storage", 0),
	    json_get_int(in, "NodeCount", 2),
	    json_get_int(in, "ShardCount", 2),
	    1,
	    1,
	    0};
	struct spec after = now;
	int64_t a, b;

	after.memory = mem;
	after.storage = sto;
	after.shards = now.shards + add;
	a = hourly ? hour_price(c->e, &after) : month_price(c->e, &after);
	b = hourly ? hour_price(c->e, &now) : month_price(c->e, &now);
	return a > b ? a - b : 0;
}

static int upgrade_price(struct tc_call *c)
{
	const char *id;
	json_t *in;
	int64_t mem, sto, add, p;

	if (tc_str(c, "InstanceId", 1, &id) < 0 ||
	    !(in = own_instance(c, id)) ||
	    upgrade_spec(c, in, &mem, &sto, &add) < 0)
		return 0;
	p = upgrade_cost(c, in, mem, sto, add, 0);
	tc_ok(c, json_pack("{s:I,s:I,s:s}", "OriginalPrice", (json_int_t)p,
			   "Price", (json_int_t)p, "Formula",
			   "new monthly price - old monthly price"));
	return 0;
}

static int upgrade(struct tc_call *c)
{
	const char *id;
	json_t *in, *deal;
	int64_t mem, sto, add;
	int hourly = !strcmp(c->action, "UpgradeHourDCDBInstance");

	if (tc_str(c, "InstanceId", 1, &id) < 0 ||
	    !(in = own_instance(c, id)) ||
	    upgrade_spec(c, in, &mem, &sto, &add) < 0)
		return 0;
	if (strcmp(json_get_str(in, "Paymode", ""),
		   hourly ? "postpaid" : "prepaid")) {
		tc_error(
		    c, "InvalidParameter.NotSupportedPayMode",
		    "%s is %s; use %s", id, json_get_str(in, "Paymode", ""),
		    hourly ? "UpgradeDCDBInstance" : "UpgradeHourDCDBInstance");
		return 0;
	}
	if (json_get_int(in, "Status", 0) != 2) {
		tc_error(c, "ResourceUnavailable.BadInstanceStatus",
			 "instance %s is not running", id);
		return 0;
	}
	deal =
	    new_deal(c, "upgrade", upgrade_cost(c, in, mem, sto, add, hourly),
		     hourly ? 0 : 1,
		     json_pack("{s:s,s:I,s:I,s:I}", "instance", id, "memory",
			       (json_int_t)mem, "storage", (json_int_t)sto,
			       "add", (json_int_t)add));
	if (hourly) {
		json_object_set_new(deal, "_status", json_integer(2));
		deliver(c, deal);
		tc_ok(c, NULL);
		return 0;
	}
	tc_ok(c, json_pack("{s:s}", "DealName",
			   json_get_str(deal, "DealName", "")));
	return 0;
}

static int renew_price(struct tc_call *c)
{
	const char *id;
	json_t *in;
	int64_t period;
	struct spec s;

	if (tc_str(c, "InstanceId", 1, &id) < 0 ||
	    tc_int(c, "Period", 0, 1, &period) < 0 ||
	    !(in = own_instance(c, id)))
		return 0;
	s.memory = json_get_int(
	    json_array_get(json_object_get(in, "ShardDetail"), 0), "Memory", 0);
	s.storage =
	    json_get_int(json_array_get(json_object_get(in, "ShardDetail"), 0),
			 "Storage", 0);
	s.nodes = json_get_int(in, "NodeCount", 2);
	s.shards = json_get_int(in, "ShardCount", 2);
	tc_ok(c,
	      json_pack("{s:I,s:I}", "OriginalPrice",
			(json_int_t)(month_price(c->e, &s) * period), "Price",
			(json_int_t)(month_price(c->e, &s) * period)));
	return 0;
}

static int renew(struct tc_call *c)
{
	const char *id;
	json_t *in, *deal;
	int64_t period;
	struct spec s;

	if (tc_str(c, "InstanceId", 1, &id) < 0 ||
	    tc_int(c, "Period", 1, 1, &period) < 0 ||
	    !(in = own_instance(c, id)))
		return 0;
	if (strcmp(json_get_str(in, "Paymode", ""), "prepaid")) {
		tc_error(c, "InvalidParameter.NotSupportedPayMode",
			 "only prepaid instances are renewed");
		return 0;
	}
	s.memory = json_get_int(
	    json_array_get(json_object_get(in, "ShardDetail"), 0), "Memory", 0);
	s.storage =
	    json_get_int(json_array_get(json_object_get(in, "ShardDetail"), 0),
			 "Storage", 0);
	s.nodes = json_get_int(in, "NodeCount", 2);
	s.shards = json_get_int(in, "ShardCount", 2);
	deal = new_deal(c, "renew", month_price(c->e, &s) * period, 1,
			json_pack("{s:s,s:I}", "instance", id, "period",
				  (json_int_t)period));
	tc_ok(c, json_pack("{s:s}", "DealName",
			   json_get_str(deal, "DealName", "")));
	return 0;
}

/* IsolateDCDBInstance / IsolateHourDCDBInstance (to -1) and
 * ActiveHourDCDBInstance (back to 2): per id, success or failure. */
static int set_isolation(struct tc_call *c, int activate)
{
	json_t *ids, *x, *ok = json_array(), *failed = json_array();
	int hourly = activate || !strcmp(c->action, "IsolateHourDCDBInstance");
	size_t i;

	if (tc_strs(c, "InstanceIds", 1, &ids) < 0)
		goto out;
	json_array_foreach (ids, i, x) {
		json_t *in = json_object_get(tc_world(c->e, "instances"),
					     json_string_value(x));
		char when[20] = "0000-00-00 00:00:00";
		int64_t st = json_get_int(in, "Status", 0);

		if (!in ||
		    strcmp(json_get_str(in, "_account", ""), c->account_name) ||
		    strcmp(json_get_str(in, "Paymode", ""),
			   hourly ? "postpaid" : "prepaid") ||
		    (activate ? st != -1
			      : st < 2 ||
				    json_get_int(in, "ProtectedProperty", 0))) {
			json_array_append(failed, x);
			continue;
		}
		set_status(in, activate ? 2 : -1,
			   activate ? "running" : "isolated");
		if (!activate)
			tc_time(when, c->now);
		json_object_set_new(in, "IsolatedTimestamp", json_string(when));
		json_array_append(ok, x);
	}
	emu_dirty(c->e);
	tc_ok(c, json_pack("{s:O,s:O}", "SuccessInstanceIds", ok,
			   "FailedInstanceIds", failed));
out:
	json_decref(ok);
	json_decref(failed);
	return 0;
}

static int isolate(struct tc_call *c)
{
	return set_isolation(c, 0);
}

static int activate(struct tc_call *c)
{
	return set_isolation(c, 1);
}

static int destroy(struct tc_call *c)
{
	const char *id;
	json_t *in;
	int hourly = !strcmp(c->action, "DestroyHourDCDBInstance");
	int64_t at = c->now + emu_delay(c->e, "tc_destroy", 1000), flow;

	if (tc_str(c, "InstanceId", 1, &id) < 0 || !(in = own_instance(c, id)))
		return 0;
	if (strcmp(json_get_str(in, "Paymode", ""),
		   hourly ? "postpaid" : "prepaid")) {
		tc_error(
		    c, "InvalidParameter.NotSupportedPayMode",
		    "%s is %s; use %s", id, json_get_str(in, "Paymode", ""),
		    hourly ? "DestroyDCDBInstance" : "DestroyHourDCDBInstance");
		return 0;
	}
	if (json_get_int(in, "ProtectedProperty", 0)) {
		tc_error(c, "UnsupportedOperation.InvalidOperation",
			 "instance %s has deletion protection on", id);
		return 0;
	}
	if (!hourly && json_get_int(in, "Status", 0) != -1) {
		tc_error(c, "ResourceUnavailable.BadInstanceStatus",
			 "instance %s must be isolated (IsolateDCDBInstance) "
			 "before it is destroyed",
			 id);
		return 0;
	}
	set_status(in, 5, "deleting");
	due(c->e, id, 1);
	json_object_set_new(in, "_destroy_at", json_integer(at));
	new_flow(c, at, &flow);
	emu_dirty(c->e);
	tc_ok(c, json_pack("{s:s,s:I}", "InstanceId", id, "FlowId",
			   (json_int_t)flow));
	return 0;
}

static const struct {
	const char *name;
	tc_action_fn fn;
	int regional;
	const char *params;
} actions[] = {
    {"ActiveHourDCDBInstance", activate, 1, "InstanceIds"},
    {"CreateDCDBInstance", create_prepaid, 1,
     "Zones Period ShardMemory ShardStorage ShardNodeCount ShardCount "
     "Count ProjectId VpcId SubnetId DbVersionId AutoVoucher VoucherIds "
     "SecurityGroupId SecurityGroupIds InstanceName Ipv6Flag ResourceTags "
     "InitParams DcnRegion DcnInstanceId DcnSyncMode AutoRenewFlag "
     "CpuType"},
    {"CreateHourDCDBInstance", create_postpaid, 1,
     "ShardMemory ShardStorage ShardNodeCount ShardCount Count ProjectId "
     "VpcId SubnetId ShardCpu DbVersionId Zones SecurityGroupId "
     "SecurityGroupIds InstanceName Ipv6Flag ResourceTags DcnRegion "
     "DcnInstanceId InitParams RollbackInstanceId RollbackTime DcnSyncMode "
     "CpuType"},
    {"DescribeDBSecurityGroups", describe_sgs, 1, "Product InstanceId"},
    {"DescribeDCDBInstanceDetail", describe_detail, 1, "InstanceId"},
    {"DescribeDCDBInstances", describe_instances, 1,
     "InstanceIds SearchName SearchKey ProjectIds IsFilterVpc VpcId "
     "SubnetId OrderBy OrderByType Offset Limit ExclusterType "
     "IsFilterExcluster ExclusterIds TagKeys Tags FilterInstanceType "
     "Status ExcludeStatus"},
    {"DescribeDCDBPrice", price, 1,
     "Zone Count Period ShardNodeCount ShardMemory ShardStorage ShardCount "
     "Paymode AmountUnit CpuType"},
    {"DescribeDCDBRenewalPrice", renew_price, 1,
     "InstanceId Period AmountUnit"},
    {"DescribeDCDBSaleInfo", sale_info, 1, ""},
    {"DescribeDCDBShards", describe_shards, 1,
     "InstanceId ShardInstanceIds Offset Limit OrderBy OrderByType"},
    {"DescribeDCDBUpgradePrice", upgrade_price, 1,
     "InstanceId UpgradeType AddShardConfig ExpandShardConfig "
     "SplitShardConfig AmountUnit"},
    {"DescribeFlow", describe_flow, 0, "FlowId"},
    {"DescribeOrders", describe_orders, 0, "DealNames"},
    {"DescribeShardSpec", shard_spec, 1, "CpuType"},
    {"DestroyDCDBInstance", destroy, 1, "InstanceId"},
    {"DestroyHourDCDBInstance", destroy, 1, "InstanceId"},
    {"InitDCDBInstances", init_instances, 1, "InstanceIds Params"},
    {"IsolateDCDBInstance", isolate, 1, "InstanceIds"},
    {"IsolateHourDCDBInstance", isolate, 1, "InstanceIds"},
    {"ModifyDBInstanceName", modify_name, 1, "InstanceId InstanceName"},
    {"ModifyDBInstanceSecurityGroups", modify_sgs, 1,
     "Product InstanceId SecurityGroupIds"},
    {"ModifyDBInstancesProject", modify_project, 1, "InstanceIds ProjectId"},
    {"ModifyInstanceNetwork", modify_network, 1,
     "InstanceId VpcId SubnetId Vip Vipv6 VipReleaseDelay"},
    {"RenewDCDBInstance", renew, 1, "InstanceId Period AutoVoucher VoucherIds"},
    {"UpgradeDCDBInstance", upgrade, 1,
     "InstanceId UpgradeType AddShardConfig ExpandShardConfig "
     "SplitShardConfig AutoVoucher VoucherIds Zones SwitchStartTime "
     "SwitchEndTime SwitchAutoRetry SwitchInterval"},
    {"UpgradeHourDCDBInstance", upgrade, 1,
     "InstanceId UpgradeType AddShardConfig ExpandShardConfig "
     "SplitShardConfig Zones SwitchStartTime SwitchEndTime "
     "SwitchAutoRetry SwitchInterval"},
};

tc_action_fn tc_dcdb_action(const char *action, const char **params,
			    int *regional)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(actions); i++)
		if (!strcmp(actions[i].name, action)) {
			*params = actions[i].params;
			*regional = actions[i].regional;
			return actions[i].fn;
		}
	return NULL;
}
