/*
 * libFuzzer target: json_load_fast against jansson's own reader, which it
 * replaces for the state and the clouds' answers.  Any bytes: both accept
 * or both refuse, and what they build is equal.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	json_t *want =
	    json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	struct json_load_err e;
	json_t *got = json_load_fast(text, size, &e);

	/* A raw NUL byte is never valid JSON (in a string it must be
	 * \u0000), but jansson's lexer drops one right after a number or
	 * true/false/null ("7\0" is 7): refusing it is the one intended
	 * difference. */
	if (memchr(text, '\0', size)) {
		if (got)
			abort();
		json_decref(want);
		return 0;
	}
	if (!want != !got)
		abort(); /* one accepts what the other refuses */
	if (want && !json_equal(want, got))
		abort();
	if (!got && (e.line < 1 || e.column < 1 || !e.text[0]))
		abort();
	json_decref(want);
	json_decref(got);
	return 0;
}
