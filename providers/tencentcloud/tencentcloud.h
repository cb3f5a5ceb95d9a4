/*
 * tencentcloud.h: the Tencent Cloud provider's private interface.
 */
#ifndef DCFORM_TENCENTCLOUD_H
#define DCFORM_TENCENTCLOUD_H

#include <pthread.h>

#include "core/provider.h"
#include "providers/tencentcloud/client.h"

#define DCDB_VERSION "2018-04-11"
#define BILLING_VERSION "2018-07-09"

/*
 * Steps of many instances run at once (PROVIDER_CAP_THREADSAFE): the
 * client is stateless, and `lock` guards the price cache and the waits'
 * shared read (watch, seen).  Quoting and preflight run on one thread.
 */
struct tc_ctx {
	struct tc_client *client;
	pthread_mutex_t lock;
	/* Prices by request (region + DescribeDCDBPrice parameters), for
	 * this run: a thousand instances of one size cost one call. */
	json_t *prices;
	/* Preflight findings gathered while quoting (the preflight hook
	 * sees only the total): DescribeDCDBSaleInfo and DescribeShardSpec
	 * answers, and per check ("zones", "shard_spec") the problems. */
	json_t *sale, *specs, *findings;
	/* Instances waited on in this run and the last batched read of
	 * them: one DescribeDCDBInstances answers every wait of a wave. */
	json_t *watch, *seen;
	int64_t seen_at_ms;
};

extern const struct provider tencentcloud_provider;
extern const struct resource_type tencentcloud_dcdb_instance_type;

/* A DCDBInstanceInfo of DescribeDCDBInstances in property space (new
 * reference; any JSON is accepted: missing or mistyped fields read as
 * empty).  Exposed for the response fuzzer. */
json_t *tc_dcdb_attributes(const json_t *instance);

/* Copy the cloud's code and request id into a step run. */
void tc_note_error(struct step_run *run, const struct api_error *ae);

#endif
