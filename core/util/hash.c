#include "hash.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util.h"

void sha256(unsigned char out[SHA256_LEN], const void *data, size_t len)
{
	unsigned int n = 0;

	if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) ||
	    n != SHA256_LEN)
		BUG("EVP_Digest(sha256) failed");
}

void hmac_sha256(unsigned char out[SHA256_LEN], const void *key, size_t keylen,
		 const void *data, size_t len)
{
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n) ||
	    n != SHA256_LEN)
		BUG("HMAC(sha256) failed");
}

void hex_encode(char *out, const unsigned char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[data[i] >> 4];
		out[2 * i + 1] = hex[data[i] & 15];
	}
	out[2 * len] = '\0';
}

void sha256_hex(char out[2 * SHA256_LEN + 1], const void *data, size_t len)
{
	unsigned char md[SHA256_LEN];

	sha256(md, data, len);
	hex_encode(out, md, SHA256_LEN);
}

int str_equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}
