#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

char buf_empty_[1];

void buf_init(struct buf *b, size_t hint)
{
	b->ptr = buf_empty_;
	b->len = 0;
	b->alloc = 0;
	b->max = 0;
	if (hint)
		buf_grow(b, hint);
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->ptr);
	b->ptr = buf_empty_;
	b->len = 0;
	b->alloc = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->ptr[0] = '\0';
}

char *buf_detach(struct buf *b, size_t *len_out)
{
	char *p;

	if (!b->alloc)
		buf_grow(b, 1);
	p = b->ptr;
	if (len_out)
		*len_out = b->len;
	b->ptr = buf_empty_;
	b->len = 0;
	b->alloc = 0;
	return p;
}

int buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (b->max && b->len + extra > b->max)
		return -1;
	if (need <= b->alloc)
		return 0;
	if (!b->alloc) {
		size_t n = need < 64 ? 64 : need;

		b->ptr = xmalloc(n);
		b->ptr[0] = '\0';
		b->alloc = n;
		return 0;
	}
	{
		size_t n = b->alloc * 2;

		while (n < need)
			n *= 2;
		b->ptr = xrealloc(b->ptr, n);
		b->alloc = n;
	}
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		BUG("vsnprintf failed for \"%s\"", fmt);
	if (buf_grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len > b->len)
		BUG("buf_truncate past the end (%zu > %zu)", len, b->len);
	b->len = len;
	if (b->alloc)
		b->ptr[len] = '\0';
}

void buf_rtrim(struct buf *b)
{
	while (b->len && isspace((unsigned char)b->ptr[b->len - 1]))
		b->len--;
	if (b->alloc)
		b->ptr[b->len] = '\0';
}

void buf_add_hex(struct buf *b, const unsigned char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	buf_grow(b, len * 2);
	for (i = 0; i < len; i++) {
		b->ptr[b->len++] = hex[data[i] >> 4];
		b->ptr[b->len++] = hex[data[i] & 15];
	}
	if (b->alloc)
		b->ptr[b->len] = '\0';
}

void buf_add_urlencode(struct buf *b, const char *s, size_t len,
		       const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' ||
		    c == '~' || (keep && c && strchr(keep, c))) {
			buf_putc(b, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			buf_add(b, e, 3);
		}
	}
}
