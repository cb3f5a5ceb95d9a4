/*
 * config.c: the emulator's built-in configuration (regions, zones, DCDB
 * specs, the price model, delays, quotas and the demo account) and the
 * DCDB price model over it.  --config FILE is deep-merged over this (see
 * emu_json_merge); docs/emulator.md describes every key.
 */
#include "emu.h"

#include <string.h>

#include "core/util/json.h"
#include "core/util/util.h"

struct zone_default {
	const char *region;
	int region_id;
	const char *region_name;
	const char *zone;
	int zone_id;
	const char *zone_name;
};

static const struct zone_default tc_zones[] = {
    {"ap-guangzhou", 1, "South China(Guangzhou)", "ap-guangzhou-3", 100003,
     "Guangzhou Zone 3"},
    {"ap-guangzhou", 1, "South China(Guangzhou)", "ap-guangzhou-4", 100004,
     "Guangzhou Zone 4"},
    {"ap-guangzhou", 1, "South China(Guangzhou)", "ap-guangzhou-6", 100006,
     "Guangzhou Zone 6"},
    {"ap-shanghai", 4, "East China(Shanghai)", "ap-shanghai-2", 200002,
     "Shanghai Zone 2"},
    {"ap-shanghai", 4, "East China(Shanghai)", "ap-shanghai-4", 200004,
     "Shanghai Zone 4"},
    {"ap-shanghai", 4, "East China(Shanghai)", "ap-shanghai-5", 200005,
     "Shanghai Zone 5"},
    {"ap-beijing", 8, "North China(Beijing)", "ap-beijing-3", 800003,
     "Beijing Zone 3"},
    {"ap-beijing", 8, "North China(Beijing)", "ap-beijing-5", 800005,
     "Beijing Zone 5"},
    {"ap-beijing", 8, "North China(Beijing)", "ap-beijing-6", 800006,
     "Beijing Zone 6"},
};

/* Shard specs: memory (GB) with its allowed storage range (GB), CPU cores
 * and QPS, offered for 2 and 3 nodes per shard. */
static const struct {
	int memory, min_storage, max_storage, cpu, qps;
} tc_specs[] = {
    {2, 10, 200, 1, 2100},	 {4, 10, 500, 2, 4300},
    {8, 10, 1000, 2, 6900},	 {16, 50, 2000, 4, 12800},
    {32, 100, 3000, 8, 24000},	 {64, 200, 4000, 16, 46000},
    {128, 500, 6000, 32, 80000},
};

static json_t *tc_regions(void)
{
	json_t *regions = json_array(), *r = NULL, *zones = NULL;
	const char *cur = "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tc_zones); i++) {
		const struct zone_default *z = &tc_zones[i];

		if (strcmp(cur, z->region)) {
			cur = z->region;
			zones = json_array();
			r = json_pack("{s:s, s:i, s:s, s:o}", "Region",
				      z->region, "RegionId", z->region_id,
				      "RegionName", z->region_name, "Zones",
				      zones);
			json_array_append_new(regions, r);
		}
		json_array_append_new(
		    zones, json_pack("{s:s, s:i, s:s, s:b}", "Zone", z->zone,
				     "ZoneId", z->zone_id, "ZoneName",
				     z->zone_name, "OnSale", 1));
	}
	return regions;
}

static json_t *tc_shard_specs(void)
{
	json_t *specs = json_array();
	int nodes;
	size_t i;

	for (nodes = 2; nodes <= 3; nodes++) {
		for (i = 0; i < ARRAY_SIZE(tc_specs); i++) {
			char suit[96];

			snprintf(suit, sizeof(suit),
				 "%d cores %d GB, disk %d-%d GB, %d nodes",
				 tc_specs[i].cpu, tc_specs[i].memory,
				 tc_specs[i].min_storage,
				 tc_specs[i].max_storage, nodes);
			json_array_append_new(
			    specs,
			    json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, "
				      "s:i, s:s}",
				      "NodeCount", nodes, "Memory",
				      tc_specs[i].memory, "MinStorage",
				      tc_specs[i].min_storage, "MaxStorage",
				      tc_specs[i].max_storage, "Cpu",
				      tc_specs[i].cpu, "Qps", tc_specs[i].qps,
				      "Pid", 10000 + nodes * 100 + (int)i,
				      "SuitInfo", suit));
		}
	}
	return specs;
}

json_t *emu_default_config(void)
{
	json_t *c = json_object();

	json_object_set_new(
	    c, "tencent",
	    json_pack("{s:o, s:o, s:[s,s,s,s], s:s, s:i,"
		      " s:{s:i, s:i, s:i, s:i, s:i, s:i},"
		      " s:{s:i, s:i, s:i, s:i}, s:i, s:i}",
		      "regions", tc_regions(), "shard_specs", tc_shard_specs(),
		      "db_versions", "5.7", "8.0", "10.0", "10.1",
		      "default_db_version", "5.7", "max_skew_s", 300, "prices",
		      "memory_gb_month_fen", 1500, "storage_gb_month_fen", 40,
		      "shard_base_month_fen", 0, "hourly_markup_percent", 120,
		      "hours_per_month", 720, "max_period_months", 36, "limits",
		      "min_shards", 2, "max_shards_create", 8, "max_shards", 64,
		      "max_count", 10, "vport", 3306, "app_id", 1250000000));
	/* Requests a second per account and action (tencent-dcdb.md §1.7):
	 * "default" for every action not named; 0 means no limit. */
	json_object_set_new(json_object_get(c, "tencent"), "rate_limits",
			    json_pack("{s:i, s:i, s:i, s:i}", "default", 20,
				      "dcdb.DescribeDCDBInstances", 200,
				      "dcdb.DescribeDBSyncMode", 200,
				      "dcdb.DescribeUserTasks", 200));
	json_object_set_new(
	    c, "jdcloud",
	    json_pack("{s:[s,s,s], s:{s:i, s:i, s:i, s:i, s:i},"
		      " s:{s:i, s:{s:i, s:i, s:i}, s:i}, s:i, s:i}",
		      "regions", "cn-north-1", "cn-east-2", "cn-south-1",
		      "quotas", "connections_per_region", 10, "bgws_per_region",
		      5, "vifs_per_connection", 50, "attachments_per_bgw", 50,
		      "routes_per_bgw", 50, "prices", "installation_fen",
		      1500000, "port_month_fen", "1000Base-T", 300000,
		      "1000Base-LX", 300000, "10GBase-LR", 2000000,
		      "postpaid_threshold_fen", 5000, "jd_asn", 64512,
		      "max_skew_s", 900));
	json_object_set_new(
	    c, "delays",
	    json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i,"
		      " s:i, s:i, s:i}",
		      "tc_delivery", 1000, "tc_create", 2000, "tc_init", 2000,
		      "tc_flow", 1000, "tc_upgrade", 2000, "tc_isolate", 1000,
		      "tc_destroy", 1000, "jd_review", 3000, "jd_construction",
		      3000, "jd_vif", 1000, "jd_vif_delete", 1000,
		      "jd_deletion", 2000, "jd_purge", 60000));
	json_object_set_new(
	    c, "accounts",
	    json_pack("{s:{s:s, s:{s:s, s:s, s:I, s:b},"
		      " s:{s:s, s:s, s:I, s:b, s:s}}}",
		      "demo", "uin", "100000000001", "tencent", "secret_id",
		      "AKIDdcformDemo0000000000000000000001", "secret_key",
		      "dcformDemoSecretKey00000000000000001", "balance_fen",
		      (json_int_t)100000000, "real_name_verified", 1, "jdcloud",
		      "access_key", "JDCDEMOACCESSKEY00001", "secret_key",
		      "JDCDEMOSECRETKEY00001", "balance_fen",
		      (json_int_t)10000000, "enterprise_verified", 1, "pin",
		      "dcform-demo"));
	return c;
}

int64_t emu_dcdb_shard_month_fen(struct emu *e, int64_t node_count,
				 int64_t memory_gb, int64_t storage_gb)
{
	json_t *p =
	    json_object_get(json_object_get(e->config, "tencent"), "prices");

	return node_count *
		   (memory_gb * json_get_int(p, "memory_gb_month_fen", 1500) +
		    storage_gb * json_get_int(p, "storage_gb_month_fen", 40)) +
	       json_get_int(p, "shard_base_month_fen", 0);
}

int64_t emu_dcdb_shard_hour_fen(struct emu *e, int64_t node_count,
				int64_t memory_gb, int64_t storage_gb)
{
	json_t *p =
	    json_object_get(json_object_get(e->config, "tencent"), "prices");
	int64_t month =
	    emu_dcdb_shard_month_fen(e, node_count, memory_gb, storage_gb);
	int64_t markup = json_get_int(p, "hourly_markup_percent", 120);
	int64_t hours = json_get_int(p, "hours_per_month", 720);
	int64_t num = month * markup, den = 100 * (hours > 0 ? hours : 720);

	return (num + den - 1) / den;
}
