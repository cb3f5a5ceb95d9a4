/*
 * libFuzzer target: any bytes as the body of a Tencent Cloud API 3.0
 * answer (HTTP 200 and 500), through the envelope parser and, for the
 * instances it holds, the conversion to dcform's attributes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/http/http.h"
#include "providers/tencentcloud/tencentcloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long statuses[] = {200, 500};
	size_t s;

	for (s = 0; s < 2; s++) {
		struct tc_call call;
		struct http_response r;
		json_t *in;
		size_t i;

		memset(&call, 0, sizeof(call));
		call.service = "dcdb";
		call.action = "DescribeDCDBInstances";
		http_response_init(&r);
		r.status = statuses[s];
		buf_add(&r.body, data, size);
		if (tc_parse_response(&call, &r) == 0) {
			json_array_foreach (
			    json_object_get(call.response, "Instances"), i, in)
				json_decref(tc_dcdb_attributes(in));
			json_decref(call.response);
		}
		http_response_release(&r);
	}
	return 0;
}
