#include "err.h"

#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char pre[512], old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return DCF_ERROR;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	{
		size_t lp = strlen(pre), lo = strlen(old),
		       cap = sizeof(e->msg) - 1;

		if (lp > cap)
			lp = cap;
		memcpy(e->msg, pre, lp);
		if (lp + 2 <= cap) {
			memcpy(e->msg + lp, ": ", 2);
			lp += 2;
		}
		if (lo > cap - lp)
			lo = cap - lp;
		memcpy(e->msg + lp, old, lo);
		e->msg[lp + lo] = '\0';
	}
	return e->code;
}

void err_clear(struct err *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}
