/*
 * lock.h: the state lock, an flock on <dir>/.dcform/lock held for a whole
 * run of apply, destroy, import and state writes; the kernel releases it
 * when the process dies.  The file carries the holder's identity for the
 * message another process shows.
 */
#ifndef DCFORM_STATE_LOCK_H
#define DCFORM_STATE_LOCK_H

#include <jansson.h>

#include "core/util/err.h"

struct state_lock;

int state_lock_acquire(struct state_lock **out, const char *dir,
		       const char *operation, long timeout_ms, struct err *e);
void state_lock_release(struct state_lock *lk);
int state_lock_info(const char *dir, json_t **out, struct err *e);
int state_lock_force(const char *dir, const char *id, struct err *e);

#endif
