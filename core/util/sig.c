#include "sig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static char *skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int sig_parse_authorization(struct sig_auth *out, const char *header)
{
	size_t len = strlen(header);
	char *s, *p, *c;

	memset(out, 0, sizeof(*out));
	/* First half: the header, cut in place; second half: a copy of the
	 * credential, cut into its components. */
	out->storage = xmalloc(2 * len + 2);
	memcpy(out->storage, header, len + 1);
	s = skip_ws(out->storage);
	p = strchr(s, ' ');
	if (!p)
		goto bad;
	*p++ = '\0';
	out->algorithm = s;
	/* The rest is "k=v, k=v, k=v" (SDKs use ", "; accept "," alone). */
	while (p && *p) {
		char *comma = strchr(p, ','), *part;

		if (comma)
			*comma++ = '\0';
		part = skip_ws(p);
		if (str_starts_with(part, "Credential="))
			out->credential = part + 11;
		else if (str_starts_with(part, "SignedHeaders="))
			out->signed_headers = part + 14;
		else if (str_starts_with(part, "Signature="))
			out->signature = part + 10;
		p = comma;
	}
	if (!out->credential || !out->signed_headers || !out->signature ||
	    !*out->credential || !*out->signed_headers || !*out->signature)
		goto bad;
	c = out->storage + len + 1;
	memcpy(c, out->credential, strlen(out->credential) + 1);
	out->key_id = c;
	while ((c = strchr(c, '/')) != NULL) {
		*c++ = '\0';
		if (out->nscope == ARRAY_SIZE(out->scope))
			goto bad;
		out->scope[out->nscope++] = c;
	}
	return 0;
bad:
	sig_auth_release(out);
	return -1;
}

void sig_auth_release(struct sig_auth *a)
{
	free(a->storage);
	memset(a, 0, sizeof(*a));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sig_url_decode(struct buf *out, const char *s, size_t len,
		   int plus_is_space)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			hi = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
			lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -1;
			buf_putc(out, (char)(hi * 16 + lo));
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			buf_putc(out, ' ');
		} else {
			buf_putc(out, s[i]);
		}
	}
	return 0;
}
