/*
 * libFuzzer target: any bytes as the body of a JD Cloud OpenAPI answer
 * (HTTP 200, 400, 429 and 500), through the envelope parser and, for every
 * list it holds, each resource type's conversion to dcform's attributes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/http/http.h"
#include "providers/jdcloud/client.h"
#include "providers/jdcloud/jdcloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void items(const json_t *list)
{
	json_t *in;
	size_t i;

	json_array_foreach (list, i, in) {
		json_decref(jdcloud_bgw_attributes(in));
		json_decref(jdcloud_bgw_route_attributes(in));
		json_decref(jdcloud_connection_attributes(in));
		json_decref(jdcloud_private_vif_attributes(in));
		json_decref(jdcloud_vpc_attachment_attributes(in));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long statuses[] = {200, 400, 429, 500};
	size_t s;

	for (s = 0; s < 4; s++) {
		struct jd_call call;
		struct http_response r;

		memset(&call, 0, sizeof(call));
		call.service = "bgw";
		call.op = "describeConnections";
		call.method = "GET";
		call.idempotent = 1;
		http_response_init(&r);
		r.status = statuses[s];
		buf_add(&r.body, data, size);
		if (jd_parse_response(&call, &r) == 0) {
			const char *k;
			json_t *v;

			json_object_foreach (call.result, k, v)
				items(v);
			json_decref(call.result);
		}
		http_response_release(&r);
	}
	return 0;
}
