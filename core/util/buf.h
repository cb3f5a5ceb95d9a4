/*
 * buf.h: a growable byte buffer in the style of git's strbuf.
 *
 * Invariants: b->ptr is never NULL and always NUL-terminated; b->len does
 * not count the NUL.  A buffer with max != 0 refuses to grow past max bytes
 * (for untrusted input such as HTTP bodies): the append functions then
 * return -1 and leave the buffer as it was.  buf_detach() is the only way to
 * take the bytes.
 */
#ifndef DCFORM_BUF_H
#define DCFORM_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include "util.h"

struct buf {
	char *ptr;
	size_t len;
	size_t alloc;
	size_t max;
};

extern char buf_empty_[];
#define BUF_INIT                    \
	{                           \
		buf_empty_, 0, 0, 0 \
	}

void buf_init(struct buf *b, size_t hint);
/* Free the contents and reset to BUF_INIT (keeps max). */
void buf_release(struct buf *b);
/* Set len to 0 without freeing. */
void buf_reset(struct buf *b);
/* Hand the bytes to the caller (who frees them); b becomes empty. */
char *buf_detach(struct buf *b, size_t *len_out);

int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_truncate(struct buf *b, size_t len);
/* Strip trailing whitespace. */
void buf_rtrim(struct buf *b);

/* Lowercase hex of data into b (appended). */
void buf_add_hex(struct buf *b, const unsigned char *data, size_t len);
/* Append s percent-encoded, leaving A-Za-z0-9-_.~ and any byte in keep. */
void buf_add_urlencode(struct buf *b, const char *s, size_t len,
		       const char *keep);

#endif
