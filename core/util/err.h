/*
 * err.h: error codes and the error message carried by struct err.
 *
 * Functions return int: 0 on success, a negative DCF_E* code on failure,
 * with the message in the struct err the caller passed down (never a
 * global: applies run in parallel).  Codes are stable and never renumbered.
 * Messages start lowercase, have no final period and fit on one line.
 */
#ifndef DCFORM_ERR_H
#define DCFORM_ERR_H

#include "util.h"

enum {
	DCF_OK = 0,
	DCF_ERROR = -1,	     /* generic failure */
	DCF_ENOTFOUND = -3,  /* object does not exist */
	DCF_EEXISTS = -4,    /* object already exists */
	DCF_ELOCKED = -5,    /* lock held by someone else */
	DCF_ECONFLICT = -6,  /* compare-and-swap lost, stale plan */
	DCF_EAUTH = -7,	     /* credentials rejected or missing */
	DCF_ERATELIMIT = -8, /* cloud said slow down */
	DCF_EPROVIDER = -9,  /* the cloud returned an error */
	DCF_EINVALID = -10,  /* invalid input (manifest, flags, files) */
	DCF_ENETWORK = -11,  /* transport failure */
	DCF_ETIMEOUT = -12,  /* a wait or a request timed out */
};

struct err {
	int code;
	char msg[1024];
};

#define ERR_INIT          \
	{                 \
		0,        \
		{         \
			0 \
		}         \
	}

/* Set the message (and code) of e, which may be NULL; returns code. */
int err_set(struct err *e, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Prefix the message with "ctx: " (adding context at a boundary). */
int err_prefix(struct err *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
void err_clear(struct err *e);

#endif
