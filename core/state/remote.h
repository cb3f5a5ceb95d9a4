/*
 * remote.h: git remotes for the state store and the state lock (libgit2).
 *
 * A remote backend is `backend: {git: {url, branch}}` in the manifest.  The
 * local bare repository <dir>/.dcform/state.git is then a cache: reads
 * fetch the remote branch into a cache ref first, and writes push a commit
 * with compare-and-swap semantics: the push names the value the remote ref
 * must still have (zero: the ref must not exist), so of two writers based
 * on the same tip exactly one wins.  For git://, ssh:// and https:// the
 * server checks that old value atomically (receive-pack); for file:// and
 * plain paths the objects are pushed to a temporary ref and the ref itself
 * is moved with a locked compare-and-swap in the remote repository.
 *
 * Remote refs:
 *   refs/heads/<branch>               the "default" workspace's versions
 *   refs/heads/<branch>--<workspace>  any other workspace
 *   refs/dcform/locks/<workspace>     the lock (a commit holding lock.json)
 * (<branch>/<workspace> is impossible: git cannot hold both refs/heads/B
 * and refs/heads/B/W.)
 *
 * Credentials: ssh-agent for ssh://; DCFORM_GIT_TOKEN (with
 * DCFORM_GIT_USERNAME, default "x-access-token") for https://.  They are
 * never put in messages; URLs are shown without their user-info part.
 */
#ifndef DCFORM_STATE_REMOTE_H
#define DCFORM_STATE_REMOTE_H

#include <git2.h>
#include <jansson.h>

#include "core/util/err.h"

#define STATE_REMOTE_DEFAULT_BRANCH "dcform-state"

/* A parsed backend.  url NULL means the local repository. */
struct state_backend {
	char *url;    /* remote URL, a relative path made absolute */
	char *branch; /* remote branch, STATE_REMOTE_DEFAULT_BRANCH default */
	char *shown;  /* url without user-info, for messages */
};

/*
 * Parse a manifest's `backend` object (NULL, {"local": {...}} or
 * {"git": {"url", "branch"}}); relative paths are taken from dir.
 * Returns DCF_EINVALID on a bad URL scheme or branch name.
 */
int state_backend_parse(struct state_backend *out, const json_t *backend,
			const char *dir, struct err *e);
/* {"git": {"url": url, "branch": branch}} (new reference); branch may be
 * NULL. */
json_t *state_backend_json(const char *url, const char *branch);
void state_backend_release(struct state_backend *b);

/* 1 when s is a valid workspace name or lock id: 1 to 64 of [A-Za-z0-9._-],
 * not starting with '.' or '-', no "..", not ending in ".lock". */
int state_name_ok(const char *s);

/* Open (creating, mode 0700) the cache repository <dir>/.dcform/state.git;
 * initialises libgit2 once. */
int state_repo_open(git_repository **out, const char *dir, struct err *e);

/* "refs/heads/<branch>" or "refs/heads/<branch>--<workspace>" (owned). */
char *state_remote_branch_ref(const char *branch, const char *workspace);

/* libgit2's last error as DCF_ERROR / DCF_EAUTH / DCF_ENETWORK. */
int state_git_fail(struct err *e, int gitcode, const char *what);

/*
 * The refs of the remote (ls-remote) whose names start with prefix:
 * a JSON object name -> commit hex (new reference).
 */
int state_remote_ls(json_t **out, git_repository *repo,
		    const struct state_backend *b, const char *prefix,
		    struct err *e);

/*
 * Fetch remote_ref into local_ref of repo (forced: local_ref is a cache).
 * When the remote has no such ref, local_ref is deleted and *found is 0.
 * *oid (may be NULL) receives the remote value.
 */
int state_remote_fetch(git_repository *repo, const struct state_backend *b,
		       const char *remote_ref, const char *local_ref,
		       int *found, git_oid *oid, struct err *e);

/*
 * Compare-and-swap on the remote: make remote_ref point at the commit of
 * local_ref (NULL: delete remote_ref) when, and only when, it now points
 * at *expected (zero oid: does not exist).  DCF_ECONFLICT when it does
 * not; *actual (may be NULL) then receives what the remote ref holds when
 * that is known (zero otherwise).
 */
int state_remote_push_cas(git_repository *repo, const struct state_backend *b,
			  const char *local_ref, const char *remote_ref,
			  const git_oid *expected, git_oid *actual,
			  struct err *e);

#endif
