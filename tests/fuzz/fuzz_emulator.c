/*
 * libFuzzer target: the emulator's Tencent request handling on arbitrary
 * bodies and queries, correctly signed with the demo account so that the
 * parameter parsing and every DCDB and billing action are reached, plus
 * the admin API on arbitrary bodies.  Nothing may crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator/emu.h"
#include "core/util/buf.h"
#include "core/util/util.h"
#include "providers/tencentcloud/tc3.h"

static const char *const actions[] = {
    "CreateDCDBInstance",
    "CreateHourDCDBInstance",
    "DescribeDCDBInstances",
    "DescribeDCDBPrice",
    "DescribeOrders",
    "InitDCDBInstances",
    "DescribeFlow",
    "UpgradeDCDBInstance",
    "UpgradeHourDCDBInstance",
    "ModifyDBInstanceName",
    "IsolateDCDBInstance",
    "DestroyDCDBInstance",
    "DescribeDCDBShards",
    "RenewDCDBInstance",
    "DescribeDCDBUpgradePrice",
    "ModifyInstanceNetwork",
    "PayDeals",
    "DescribeDealsByCond",
    "DescribeAccountBalance",
    "DestroyHourDCDBInstance",
};

static struct emu e;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emu_req req;
	struct emu_resp resp;
	struct emu_header h[7];
	struct tc3_sign s;
	char *body, *auth, ts[32];
	const char *action, *svc;
	int get;

	if (!ready) {
		emu_init(&e, emu_default_config(), 1);
		ready = 1;
	}
	if (size < 1)
		return 0;
	action = actions[data[0] % ARRAY_SIZE(actions)];
	get = data[0] & 0x80;
	svc = strstr(action, "Deal") || strstr(action, "Balance") ? "billing"
								  : "dcdb";
	body = xmalloc(size);
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';

	memset(&s, 0, sizeof(s));
	s.secret_id = "AKIDdcformDemo0000000000000000000001";
	s.secret_key = "dcformDemoSecretKey00000000000000001";
	s.service = svc;
	s.host = "127.0.0.1";
	s.method = get ? "GET" : "POST";
	s.query = get ? body : "";
	s.content_type =
	    get ? "application/x-www-form-urlencoded" : "application/json";
	s.payload = get ? "" : body;
	s.payload_len = get ? 0 : size - 1;
	s.timestamp = (int64_t)time(NULL);
	auth = tc3_authorization(&s);
	snprintf(ts, sizeof(ts), "%lld", (long long)s.timestamp);
	h[0] = (struct emu_header){"Authorization", auth};
	h[1] = (struct emu_header){"Content-Type", (char *)s.content_type};
	h[2] = (struct emu_header){"Host", "127.0.0.1"};
	h[3] = (struct emu_header){"X-TC-Action", (char *)action};
	h[4] = (struct emu_header){
	    "X-TC-Version", !strcmp(svc, "dcdb") ? "2018-04-11" : "2018-07-09"};
	h[5] = (struct emu_header){"X-TC-Timestamp", ts};
	h[6] = (struct emu_header){"X-TC-Region", "ap-guangzhou"};
	memset(&req, 0, sizeof(req));
	req.method = s.method;
	req.raw_path = "/";
	req.path = "/";
	req.query = get ? body : "";
	req.headers = h;
	req.nheaders = 7;
	req.body = get ? "" : body;
	req.body_len = get ? 0 : size - 1;
	req.host = "127.0.0.1";
	memset(&resp, 0, sizeof(resp));
	buf_init(&resp.body, 0);
	pthread_mutex_lock(&e.lock);
	tc_handle(&e, &req, &resp);
	pthread_mutex_unlock(&e.lock);
	buf_release(&resp.body);

	/* The admin API on the same bytes. */
	req.method = "POST";
	req.raw_path = req.path =
	    (data[0] & 1) ? "/_emulator/faults" : "/_emulator/accounts/demo";
	req.nheaders = 0;
	req.body = body;
	req.body_len = size - 1;
	memset(&resp, 0, sizeof(resp));
	buf_init(&resp.body, 0);
	pthread_mutex_lock(&e.lock);
	admin_handle(&e, &req, &resp);
	pthread_mutex_unlock(&e.lock);
	buf_release(&resp.body);
	if (json_array_size(e.faults) > 64) {
		json_decref(e.faults);
		e.faults = json_array();
	}
	free(auth);
	free(body);
	return 0;
}
