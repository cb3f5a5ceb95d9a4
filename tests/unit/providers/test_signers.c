/* Signers against the published vectors of ../shared/api/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/util/hash.h"
#include "providers/tencentcloud/tc3.h"
#include "providers/jdcloud/jdcloud2.h"

static const char tc3_payload_a[] =
    "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\\u672a\\u547d\\u540d\"],"
    " \"Name\": \"instance-name\"}]}";

static void test_signers__tc3_vector_a_post(void **state)
{
	struct tc3_sign s = {
	    .secret_id = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
	    .secret_key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
	    .service = "cvm",
	    .host = "cvm.tencentcloudapi.com",
	    .method = "POST",
	    .content_type = "application/json; charset=utf-8",
	    .payload = tc3_payload_a,
	    .payload_len = sizeof(tc3_payload_a) - 1,
	    .timestamp = 1551113065,
	};
	char *a = tc3_authorization(&s);

	(void)state;
	assert_int_equal(sizeof(tc3_payload_a) - 1, 86);
	assert_string_equal(
	    a,
	    "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/"
	    "2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, "
	    "Signature="
	    "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
	free(a);
}

static void test_signers__tc3_vector_a_intermediates(void **state)
{
	struct sig_header h[] = {
	    {"Content-Type", "application/json; charset=utf-8"},
	    {"Host", "cvm.tencentcloudapi.com"},
	};
	struct buf cr = BUF_INIT;
	char phash[65], hcr[65];

	(void)state;
	sha256_hex(phash, tc3_payload_a, sizeof(tc3_payload_a) - 1);
	assert_string_equal(
	    phash,
	    "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
	tc3_canonical_request(&cr, "POST", "/", "", h, 2, phash, NULL);
	sha256_hex(hcr, cr.ptr, cr.len);
	assert_string_equal(
	    hcr,
	    "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
	buf_release(&cr);
}

static void test_signers__tc3_vector_b_masked_key(void **state)
{
	struct tc3_sign s = {
	    .secret_id = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
	    .secret_key = "Gu5t9xGARNpq86cd98joQYCN3*******",
	    .service = "cvm",
	    .host = "cvm.tencentcloudapi.com",
	    .method = "POST",
	    .content_type = "application/json; charset=utf-8",
	    .payload = tc3_payload_a,
	    .payload_len = sizeof(tc3_payload_a) - 1,
	    .timestamp = 1551113065,
	};
	char *a = tc3_authorization(&s);

	(void)state;
	assert_non_null(strstr(a, "Signature=2230eefd229f582d8b1b891af7107b91"
				  "597240707d778ab3738f756258d7652c"));
	free(a);
}

static void test_signers__tc3_vector_c_signs_action(void **state)
{
	struct tc3_sign s = {
	    .secret_id = "AKID********************************",
	    .secret_key = "********************************",
	    .service = "cvm",
	    .host = "cvm.tencentcloudapi.com",
	    .method = "POST",
	    .content_type = "application/json; charset=utf-8",
	    .payload = tc3_payload_a,
	    .payload_len = sizeof(tc3_payload_a) - 1,
	    .timestamp = 1551113065,
	    .action = "DescribeInstances",
	};
	char *a = tc3_authorization(&s);

	(void)state;
	assert_non_null(strstr(a,
			       "SignedHeaders=content-type;host;x-tc-action, "
			       "Signature=10b1a37a7301a02ca19a647ad722d5e4"
			       "3b4b3cff309d421d85b46093f6ab6c4f"));
	free(a);
}

static void test_signers__tc3_get_vector(void **state)
{
	struct tc3_sign s = {
	    .secret_id = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
	    .secret_key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
	    .service = "cvm",
	    .host = "cvm.tencentcloudapi.com",
	    .method = "GET",
	    .query = "Limit=10&Offset=0",
	    .content_type = "application/x-www-form-urlencoded",
	    .payload = "",
	    .timestamp = 1539084154,
	};
	char *a = tc3_authorization(&s);

	(void)state;
	assert_string_equal(
	    a,
	    "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/"
	    "2018-10-09/cvm/tc3_request, SignedHeaders=content-type;host, "
	    "Signature="
	    "5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474");
	free(a);
}

static void test_signers__tc3_sdk_unit_test_post(void **state)
{
	static const char p[] =
	    "{\"Action\":\"DescribeInstances\",\"Version\":\"2017-03-12\"}";
	struct tc3_sign s = {
	    .secret_id = "test-secret-id",
	    .secret_key = "test-secret-key",
	    .service = "cvm",
	    .host = "cvm.tencentcloudapi.com",
	    .method = "POST",
	    .content_type = "application/json",
	    .payload = p,
	    .payload_len = sizeof(p) - 1,
	    .timestamp = 1640995200,
	};
	char *a = tc3_authorization(&s);

	(void)state;
	assert_string_equal(
	    a,
	    "TC3-HMAC-SHA256 Credential=test-secret-id/2022-01-01/cvm/"
	    "tc3_request, SignedHeaders=content-type;host, Signature="
	    "96473b50fe407833672a5d6d067238d88bb44c8abcc39ef83baa3132afbfadd3");
	free(a);
}

static void test_signers__tc3_sdk_unit_test_get_hashes_payload(void **state)
{
	static const char p[] =
	    "{\"Action\":\"DescribeInstances\",\"Version\":\"2017-03-12\"}";
	struct tc3_sign s = {
	    .secret_id = "test-secret-id",
	    .secret_key = "test-secret-key",
	    .service = "cvm",
	    .host = "cvm.tencentcloudapi.com",
	    .method = "GET",
	    .query = "",
	    .content_type = "application/x-www-form-urlencoded",
	    .payload = p,
	    .payload_len = sizeof(p) - 1,
	    .timestamp = 1640995200,
	};
	char *a = tc3_authorization(&s);

	(void)state;
	assert_non_null(strstr(a, "Signature=39ce411ac32014b7d814118b33f82d34"
				  "45be566f67e1f4b369ccdc3791ce9a13"));
	free(a);
}

static void test_signers__jd_v1_cpp(void **state)
{
	struct sig_header h[] = {
	    {"host", "vm.cn-north-1.jdcloud.net"},
	    {"x-jdcloud-date", "20090213T233130Z"},
	    {"x-jdcloud-nonce", "uuid"},
	};
	struct jd2_sign s = {
	    .access_key = "ak",
	    .secret_key = "sk",
	    .region = "cn-north-1",
	    .service = "vm",
	    .method = "GET",
	    .raw_path = "/",
	    .raw_query = "",
	    .headers = h,
	    .nheaders = 3,
	    .payload = "",
	    .datetime = "20090213T233130Z",
	};
	char dt[17];
	char *a = jd2_authorization(&s);

	(void)state;
	jd2_datetime(dt, 1234567890);
	assert_string_equal(dt, "20090213T233130Z");
	assert_string_equal(
	    a, "JDCLOUD2-HMAC-SHA256 Credential=ak/20090213/cn-north-1/vm/"
	       "jdcloud2_request, SignedHeaders=host;x-jdcloud-date;"
	       "x-jdcloud-nonce, Signature=43a76892222031f847c00c56cac8d4d2"
	       "dc179a4e75a37868d09a5300435f4054");
	free(a);
}

static void test_signers__jd_v2_rust(void **state)
{
	struct sig_header h[] = {
	    {"content-type", "application/json"},
	    {"x-jdcloud-date", "20180405T010203Z"},
	    {"x-jdcloud-nonce", "55f3919e-3a7d-4174-b117-f150ff25e274"},
	};
	struct jd2_sign s = {
	    .access_key = "ak",
	    .secret_key = "sk",
	    .region = "cn-north-1",
	    .service = "service_name",
	    .method = "GET",
	    .raw_path = "/v1/regions/cn-north-1/instances",
	    .raw_query = "pageNumber=2&pageSize=10",
	    .headers = h,
	    .nheaders = 3,
	    .payload = "",
	    .datetime = "20180405T010203Z",
	};
	unsigned char key[32];
	char hex[65];
	char *a = jd2_authorization(&s);

	(void)state;
	assert_string_equal(
	    a, "JDCLOUD2-HMAC-SHA256 Credential=ak/20180405/cn-north-1/"
	       "service_name/jdcloud2_request, SignedHeaders=content-type;"
	       "x-jdcloud-date;x-jdcloud-nonce, Signature=cea138630c57ba3de5"
	       "1933926e3b1657c34b4d1b6f86d360511bf40a09f63729");
	free(a);
	/* V2a: the signing key. */
	jd2_signing_key(key, "sk", "20180405", "cn-north-1", "service_name");
	hex_encode(hex, key, 32);
	assert_string_equal(hex, "b302aa05734bcaf60be65a4be7c971669ac55444769"
				 "681c19113d80460e31a33");
}

static void test_signers__jd_v2b_string_to_sign_hash(void **state)
{
	/* V2b: with only content-type signed, the canonical request hashes
	 * to the published last line of the string to sign. */
	struct sig_header h[] = {{"content-type", "application/json"}};
	struct buf cr = BUF_INIT;
	char phash[65], hcr[65];

	(void)state;
	sha256_hex(phash, "", 0);
	jd2_canonical_request(&cr, "GET", "/v1/regions/cn-north-1/instances",
			      "pageNumber=2&pageSize=10", h, 1, phash, NULL);
	sha256_hex(hcr, cr.ptr, cr.len);
	assert_string_equal(hcr, "cc696ca02602531bc35d4271dec6399149115f8632"
				 "a7fa828e8d9e969967a03a");
	buf_release(&cr);
}

static void test_signers__jd_v5_live_js(void **state)
{
	struct sig_header h[] = {
	    {"accept", "application/json"},
	    {"content-type", "application/json"},
	    {"host", "127.0.0.1:34129"},
	    {"x-jdcloud-date", "20261122T115554Z"},
	    {"x-jdcloud-nonce", "1962f50d-5817-4207-8cf8-1572df949186"},
	};
	struct jd2_sign s = {
	    .access_key = "ak",
	    .secret_key = "sk",
	    .region = "cn-north-1",
	    .service = "asset",
	    .method = "GET",
	    .raw_path = "/v1/regions/cn-north-1/assets%3AdescribeAccountAmount",
	    .raw_query = "",
	    .headers = h,
	    .nheaders = 5,
	    .payload = "",
	    .datetime = "20261122T115554Z",
	};
	char *a = jd2_authorization(&s);

	(void)state;
	assert_non_null(strstr(a, "Signature=bf56323816b4156c40238e75e9afdb0f"
				  "2e83b8c0aefa0c200d2ef537b04faf69"));
	free(a);
}

static void test_signers__jd_canonical_query_cases(void **state)
{
	static const char *cases[][2] = {
	    {"b&a", "a=&b="},
	    {"a=/", "a=%2F"},
	    {"a=2&a=1", "a=1&a=2"},
	    {"a=+++", "a=%20%20%20"},
	    {"filters.1.name=connectionIds&filters.1.values.1=dc-1",
	     "filters.1.name=connectionIds&filters.1.values.1=dc-1"},
	    {"", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;

		jd2_canonical_query(&b, cases[i][0]);
		assert_string_equal(b.ptr, cases[i][1]);
		buf_release(&b);
	}
}

static void test_signers__parse_authorization(void **state)
{
	struct sig_auth a;

	(void)state;
	assert_int_equal(
	    sig_parse_authorization(
		&a, "JDCLOUD2-HMAC-SHA256 Credential=ak/20090213/cn-north-1/vm/"
		    "jdcloud2_request, SignedHeaders=host;x-jdcloud-date, "
		    "Signature=abc"),
	    0);
	assert_string_equal(a.algorithm, "JDCLOUD2-HMAC-SHA256");
	assert_string_equal(a.key_id, "ak");
	assert_int_equal(a.nscope, 4);
	assert_string_equal(a.scope[0], "20090213");
	assert_string_equal(a.scope[2], "vm");
	assert_string_equal(a.signed_headers, "host;x-jdcloud-date");
	assert_string_equal(a.signature, "abc");
	sig_auth_release(&a);
	assert_int_equal(sig_parse_authorization(&a, "garbage"), -1);
	assert_int_equal(sig_parse_authorization(
			     &a, "TC3-HMAC-SHA256 Credential=x, Signature=y"),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signers__tc3_vector_a_post),
	    cmocka_unit_test(test_signers__tc3_vector_a_intermediates),
	    cmocka_unit_test(test_signers__tc3_vector_b_masked_key),
	    cmocka_unit_test(test_signers__tc3_vector_c_signs_action),
	    cmocka_unit_test(test_signers__tc3_get_vector),
	    cmocka_unit_test(test_signers__tc3_sdk_unit_test_post),
	    cmocka_unit_test(
		test_signers__tc3_sdk_unit_test_get_hashes_payload),
	    cmocka_unit_test(test_signers__jd_v1_cpp),
	    cmocka_unit_test(test_signers__jd_v2_rust),
	    cmocka_unit_test(test_signers__jd_v2b_string_to_sign_hash),
	    cmocka_unit_test(test_signers__jd_v5_live_js),
	    cmocka_unit_test(test_signers__jd_canonical_query_cases),
	    cmocka_unit_test(test_signers__parse_authorization),
	};

	return cmocka_run_group_tests_name("signers", tests, NULL, NULL);
}
