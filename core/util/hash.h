/*
 * hash.h: SHA-256 and HMAC-SHA256 (OpenSSL underneath), the primitives of
 * both clouds' request signatures and of the state's keyed digests.
 */
#ifndef DCFORM_HASH_H
#define DCFORM_HASH_H

#include <stddef.h>

#define SHA256_LEN 32

void sha256(unsigned char out[SHA256_LEN], const void *data, size_t len);
void hmac_sha256(unsigned char out[SHA256_LEN], const void *key, size_t keylen,
		 const void *data, size_t len);
/* Lowercase hex of sha256(data) into out (65 bytes with the NUL). */
void sha256_hex(char out[2 * SHA256_LEN + 1], const void *data, size_t len);
void hex_encode(char *out, const unsigned char *data, size_t len);
/* Constant-time comparison of two NUL-terminated strings. */
int str_equal_ct(const char *a, const char *b);

#endif
