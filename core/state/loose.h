#ifndef DCFORM_STATE_LOOSE_H
#define DCFORM_STATE_LOOSE_H

#include <git2.h>
#include <stddef.h>

/*
 * Write `text` as a blob of `repo` (a loose object, as git writes one),
 * hashing it while it is compressed; *out: its id. 0, or libgit2's error.
 */
int state_write_blob(git_repository *repo, const char *text, size_t len,
		     git_oid *out);

/* Where `oid` is (or would be) a loose object of `repo`; the caller
 * frees it. */
char *state_loose_path(git_repository *repo, const git_oid *oid);

#endif
