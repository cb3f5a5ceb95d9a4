/*
 * lock.h: the state lock, held for a whole run of apply, destroy, import
 * and state writes.
 *
 * Local: an flock on <dir>/.dcform/lock; the kernel releases it when the
 * process dies.  The file carries the holder's identity for the message
 * another process shows.
 *
 * Remote backend (see remote.h): the flock (it also guards the cache
 * repository) plus a ref refs/dcform/locks/<workspace> on the remote,
 * created by a push that succeeds only when the ref does not exist, so of
 * concurrent acquirers exactly one wins.  It points at a commit whose
 * lock.json (and message) holds {id, who, host, pid, operation, created,
 * time, version}.  Release deletes it, only while it is still ours.  A
 * killed run leaves it behind: `dcform force-unlock ID` removes it.
 *
 * Workspace names and lock ids are [A-Za-z0-9._-], not starting with '.'.
 */
#ifndef DCFORM_STATE_LOCK_H
#define DCFORM_STATE_LOCK_H

#include <jansson.h>

#include "core/util/err.h"

struct state_lock;

/* The local lock of dir (state_lock_acquire_backend with no backend). */
int state_lock_acquire(struct state_lock **out, const char *dir,
		       const char *operation, long timeout_ms, struct err *e);
/*
 * Lock the state of workspace (NULL: "default") in backend (NULL or
 * {"local": …}: local only; {"git": {"url", "branch"}}: local and remote).
 * Retries with backoff for timeout_ms (0: one attempt).  DCF_ELOCKED
 * names the holder, its operation, its age and its lock id.
 */
int state_lock_acquire_backend(struct state_lock **out, const char *dir,
			       const json_t *backend, const char *workspace,
			       const char *operation, long timeout_ms,
			       struct err *e);
/* Release (accepts NULL); errors are ignored (see _checked). */
void state_lock_release(struct state_lock *lk);
/* Release and say when the remote lock could not be deleted (network, or
 * no longer ours).  Frees lk in every case. */
int state_lock_release_checked(struct state_lock *lk, struct err *e);

/* Whether this process holds the local lock of dir. */
int state_lock_held_here(const char *dir);

/* The local holder (*out new ref); DCF_ENOTFOUND when not locked. */
int state_lock_info(const char *dir, json_t **out, struct err *e);
/* The holder for backend and workspace (remote: the lock ref). */
int state_lock_info_backend(const char *dir, const json_t *backend,
			    const char *workspace, json_t **out, struct err *e);

/* Clear the local holder file when id matches and its process is gone. */
int state_lock_force(const char *dir, const char *id, struct err *e);
/*
 * Remove the lock of backend and workspace when its id is id: remote, the
 * lock ref (a compare-and-swap delete of exactly that lock); local, as
 * state_lock_force.  *holder (may be NULL) receives what was removed.
 */
int state_lock_force_backend(const char *dir, const json_t *backend,
			     const char *workspace, const char *id,
			     json_t **holder, struct err *e);

#endif
