/*
 * provider.c: the Tencent Cloud provider: configuration and preflight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/tencentcloud/tencentcloud.h"
#include "core/util/json.h"
#include "core/util/util.h"

static int configure(void **out, const json_t *block, struct http_engine *http,
		     struct err *e)
{
	struct tc_config cfg;
	struct tc_ctx *x;
	int ret;

	ret = tc_config_load(&cfg, block, e);
	if (ret < 0)
		return ret;
	x = xcalloc(1, sizeof(*x));
	pthread_mutex_init(&x->lock, NULL);
	ret = tc_client_new(&x->client, &cfg, http, e);
	tc_config_release(&cfg);
	if (ret < 0) {
		pthread_mutex_destroy(&x->lock);
		free(x);
		return ret;
	}
	*out = x;
	return 0;
}

static void provider_free(void *ctx)
{
	struct tc_ctx *x = ctx;

	if (!x)
		return;
	tc_client_free(x->client);
	json_decref(x->prices);
	json_decref(x->sale);
	json_decref(x->specs);
	json_decref(x->findings);
	json_decref(x->watch);
	json_decref(x->seen);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

static const char *region(void *ctx)
{
	return tc_client_region(((struct tc_ctx *)ctx)->client);
}

void tc_note_error(struct step_run *run, const struct api_error *ae)
{
	if (!run || !ae)
		return;
	snprintf(run->cloud_code, sizeof(run->cloud_code), "%s", ae->code);
	snprintf(run->request_id, sizeof(run->request_id), "%s",
		 ae->request_id);
}

/* Balance against what the plan pays now (fen). */
static int preflight(void *ctx, long long total_fen, json_t **out,
		     struct err *e)
{
	struct tc_ctx *x = ctx;
	json_t *resp = NULL, *checks = json_array();
	long long bal;
	char msg[256];
	int ret;

	ret = tc_call(&resp, x->client, "billing", BILLING_VERSION,
		      "DescribeAccountBalance", NULL, NULL, 1, NULL, e);
	if (ret < 0) {
		json_decref(checks);
		return ret;
	}
	bal = (long long)json_get_int(resp, "RealBalance",
				      json_get_int(resp, "Balance", 0));
	snprintf(msg, sizeof(msg),
		 "balance ¥%lld.%02lld %s the ¥%lld.%02lld to pay now",
		 bal / 100, (bal < 0 ? -bal : bal) % 100,
		 bal >= total_fen ? "covers" : "does not cover",
		 total_fen / 100, total_fen % 100);
	json_array_append_new(
	    checks, json_pack("{s:s,s:b,s:s,s:{s:I,s:I}}", "check", "balance",
			      "ok", bal >= total_fen, "message", msg, "details",
			      "balance_fen", (json_int_t)bal, "required_fen",
			      (json_int_t)total_fen));
	json_decref(resp);
	/* Zones on sale and shard specs, checked while quoting. */
	if (x->findings) {
		static const char *const names[] = {"zones", "shard_spec"};
		static const char *const fine[] = {
		    "every zone asked for is on sale",
		    "every shard size asked for is sold"};
		size_t i;

		for (i = 0; i < 2; i++) {
			json_t *p = json_object_get(x->findings, names[i]);
			char *list = json_array_size(p)
					 ? json_dumps_malloc(p, JSON_COMPACT)
					 : NULL;

			json_array_append_new(
			    checks,
			    json_pack("{s:s,s:b,s:s,s:{s:O?}}", "check",
				      names[i], "ok", !json_array_size(p),
				      "message", list ? list : fine[i],
				      "details", "problems", p));
			free(list);
		}
	}
	*out = checks;
	return 0;
}

const struct provider tencentcloud_provider = {
    .version = PROVIDER_VERSION,
    .name = "tencentcloud",
    .caps = PROVIDER_CAP_PREFLIGHT | PROVIDER_CAP_THREADSAFE,
    .configure = configure,
    .free = provider_free,
    .region = region,
    .preflight = preflight,
};
