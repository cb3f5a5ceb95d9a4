/*
 * store.h: state versions as commits in a git repository (libgit2).
 *
 * The default backend is a bare repository <dir>/.dcform/state.git with a
 * branch per workspace (refs/heads/<workspace>, "default" by default).
 * Each version is a commit whose tree holds state.json (canonical JSON:
 * sorted keys, indented).  Writes are compare-and-swap: the caller names
 * the commit it read; when the branch moved since, the write fails with
 * DCF_ECONFLICT and changes nothing.  A version never changes lineage and
 * always increases serial.
 *
 * With a remote backend ({"git": {"url", "branch"}}, see remote.h) the
 * local repository is a cache: every read fetches the remote branch
 * first, and every write pushes the new commit as a fast-forward of the
 * tip it was based on; a push that loses to another writer changes
 * nothing and fails with DCF_ECONFLICT, naming what the remote now holds.
 */
#ifndef DCFORM_STATE_STORE_H
#define DCFORM_STATE_STORE_H

#include <stddef.h>
#include <jansson.h>

#include "core/util/err.h"

#define STATE_FORMAT_VERSION 1

struct state_store;

/* The local store of dir (workspace NULL or "" means "default"). */
int state_store_open(struct state_store **out, const char *dir,
		     const char *workspace, struct err *e);
/* The store named by a manifest's backend (NULL or {"local": …}: the
 * local store; {"git": {"url", "branch"}}: that remote, cached in dir). */
int state_store_open_backend(struct state_store **out, const char *dir,
			     const char *workspace, const json_t *backend,
			     struct err *e);
/* Close the store; when versions written through it made a pack due
 * (every 32 versions, see store.c), it is made now, after the command's
 * commits rather than inside one. */
void state_store_free(struct state_store *st);
/* Where the state is, for messages: a path, or "URL (branch)"
 * (borrowed; never holds credentials). */
const char *state_store_location(const struct state_store *st);

/* Latest version (*doc new ref); DCF_ENOTFOUND with commit "" when the
 * branch has none yet. */
int state_store_read(struct state_store *st, json_t **doc, char commit[41],
		     struct err *e);

/* A new version with parent `parent` ("" or NULL for the first). */
int state_store_write(struct state_store *st, const json_t *doc,
		      const char *parent, const char *message,
		      char commit_out[41], struct err *e);

/* Newest first, at most limit (0 = all): [{commit, serial, time,
 * message, author}]. */
int state_store_history(struct state_store *st, size_t limit, json_t **out,
			struct err *e);

/* By serial ("7"), commit id or prefix, "HEAD" or "HEAD~N". */
int state_store_read_at(struct state_store *st, const char *rev, json_t **doc,
			char commit[41], struct err *e);

/* Names of the workspaces (branches). */
int state_store_workspaces(struct state_store *st, json_t **out, struct err *e);

/*
 * Copy every workspace's versions (whole history, same commits) from one
 * backend to another (NULL: the local store of dir).  A destination
 * workspace must be empty or an ancestor of the source's (fast-forward);
 * otherwise DCF_ECONFLICT and that workspace is left alone.  *report: [{
 * workspace, commit, serial, versions, result: "copied"|"up to date"}]
 * (new reference, also on error for the workspaces done).  The source
 * keeps its copy.
 */
int state_store_migrate(const char *dir, const json_t *from, const json_t *to,
			json_t **report, struct err *e);

#endif
