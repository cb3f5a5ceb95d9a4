/*
 * store.c: the git state store (libgit2).  See store.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <git2.h>

#include "core/state/lock.h"
#include "core/state/loose.h"
#include "core/state/remote.h"
#include "core/state/store.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"

struct state_store {
	git_repository *repo;
	char *workspace;
	char *ref; /* local "refs/heads/<ws>"; remote: the cache ref */
	struct state_backend be; /* be.url NULL: the local repository */
	char *remote_ref; /* "refs/heads/<branch>[--<ws>]" on the remote */
	char *where;	  /* for messages */
	char *dir;	  /* the configuration's directory */
	/* The version this store last read or wrote: a write on top of it
	 * checks lineage and serial without reading it back from git. */
	int have_last;
	git_oid last_oid;
	char *last_lineage;
	long long last_serial;
	size_t last_size; /* of the last serialised state */
	/* Packing (pack_versions) runs on a thread of its own, on its own
	 * repository handle, while the command goes on. */
	struct packer {
		pthread_t thread;
		int started;
		atomic_int done;
		char *path, *workspace;
		git_oid tip;
	} packer;
	int pack_pending; /* a version written that no packing looked at */
	/* Versions since the last pack, as this store counts them (-1: not
	 * counted yet): a thread starts only when packing is due, so a
	 * command that writes a few versions runs no thread at all. */
	int unpacked;
};

static void pack_start(struct state_store *st, const git_oid *tip);
static void pack_finish(struct state_store *st);

static void remember(struct state_store *st, const git_oid *oid,
		     const json_t *doc)
{
	free(st->last_lineage);
	st->last_lineage = xstrdup(json_get_str(doc, "lineage", ""));
	st->last_serial = (long long)json_get_int(doc, "serial", 0);
	git_oid_cpy(&st->last_oid, oid);
	st->have_last = 1;
}

static int git_fail(struct err *e, const char *what)
{
	return state_git_fail(e, -1, what);
}

int state_store_open(struct state_store **out, const char *dir,
		     const char *workspace, struct err *e)
{
	return state_store_open_backend(out, dir, workspace, NULL, e);
}

int state_store_open_backend(struct state_store **out, const char *dir,
			     const char *workspace, const json_t *backend,
			     struct err *e)
{
	struct state_store *st;
	int ret;

	*out = NULL;
	if (!workspace || !*workspace)
		workspace = "default";
	if (!state_name_ok(workspace))
		return err_set(e, DCF_EINVALID,
			       "invalid workspace name '%s': 1 to 64 letters, "
			       "digits, '_', '.', '-', not starting with '.' "
			       "or '-'",
			       workspace);
	st = xcalloc(1, sizeof(*st));
	st->unpacked = -1;
	ret = state_backend_parse(&st->be, backend, dir, e);
	if (ret == 0)
		ret = state_repo_open(&st->repo, dir, e);
	if (ret < 0) {
		state_store_free(st);
		return ret;
	}
	st->workspace = xstrdup(workspace);
	st->dir = xstrdup(dir);
	if (st->be.url) {
		st->ref = xasprintf("refs/dcform/cache/%s", workspace);
		st->remote_ref =
		    state_remote_branch_ref(st->be.branch, workspace);
		st->where =
		    xasprintf("%s (%s)", st->be.shown, st->remote_ref + 11);
	} else {
		st->ref = xasprintf("refs/heads/%s", workspace);
		st->where = fs_join(dir, ".dcform/state.git");
	}
	*out = st;
	return 0;
}

const char *state_store_location(const struct state_store *st)
{
	return st->where;
}

/* Remote: bring the cache ref up to the remote branch before reading. */
static int sync(struct state_store *st, struct err *e)
{
	int found;

	if (!st->be.url)
		return 0;
	return state_remote_fetch(st->repo, &st->be, st->remote_ref, st->ref,
				  &found, NULL, e);
}

void state_store_free(struct state_store *st)
{
	if (!st)
		return;
	pack_finish(st);
	git_repository_free(st->repo);
	state_backend_release(&st->be);
	free(st->workspace);
	free(st->ref);
	free(st->remote_ref);
	free(st->where);
	free(st->dir);
	free(st->last_lineage);
	free(st);
}

static int check_doc(const json_t *doc, const char *where, struct err *e)
{
	json_int_t v = json_get_int(doc, "format_version", 0);

	if (!json_is_object(doc) ||
	    !json_is_object(json_object_get(doc, "resources")))
		return err_set(e, DCF_EINVALID,
			       "%s: not a dcform state document", where);
	if (v > STATE_FORMAT_VERSION)
		return err_set(e, DCF_EINVALID,
			       "state format version %lld is newer than this "
			       "dcform supports (%d); upgrade dcform",
			       (long long)v, STATE_FORMAT_VERSION);
	if (v < 1)
		return err_set(e, DCF_EINVALID,
			       "%s: state format version %lld is not valid",
			       where, (long long)v);
	return 0;
}

static int read_commit(struct state_store *st, const git_oid *oid, json_t **doc,
		       struct err *e)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *ent = NULL;
	git_blob *blob = NULL;
	char hex[41];
	int ret = 0;

	git_oid_tostr(hex, sizeof(hex), oid);
	if (git_commit_lookup(&c, st->repo, oid) < 0 ||
	    git_commit_tree(&tree, c) < 0 ||
	    git_tree_entry_bypath(&ent, tree, "state.json") < 0 ||
	    git_blob_lookup(&blob, st->repo, git_tree_entry_id(ent)) < 0) {
		ret = git_fail(e, "cannot read the state");
		goto out;
	}
	ret = json_parse(doc, git_blob_rawcontent(blob),
			 (size_t)git_blob_rawsize(blob), hex, e);
	if (!ret && (ret = check_doc(*doc, hex, e)) < 0) {
		json_decref(*doc);
		*doc = NULL;
	}
out:
	git_blob_free(blob);
	git_tree_entry_free(ent);
	git_tree_free(tree);
	git_commit_free(c);
	return ret;
}

int state_store_read(struct state_store *st, json_t **doc, char commit[41],
		     struct err *e)
{
	git_oid oid;
	int ret;

	commit[0] = '\0';
	if ((ret = sync(st, e)) < 0)
		return ret;
	if (git_reference_name_to_id(&oid, st->repo, st->ref) < 0)
		return err_set(e, DCF_ENOTFOUND, "no state yet in %s",
			       st->where);
	git_oid_tostr(commit, 41, &oid);
	if ((ret = read_commit(st, &oid, doc, e)) == 0)
		remember(st, &oid, *doc);
	return ret;
}

/*
 * Remote: push commit as a fast-forward of base (NULL: the branch must not
 * exist yet).  On a lost race, fetch again and say what the remote holds.
 */
static int push_version(struct state_store *st, const git_oid *commit,
			const git_oid *base, struct err *e)
{
	char *out_ref = xasprintf("refs/dcform/outgoing/%s", st->workspace);
	git_reference *ref = NULL;
	git_oid zero, now;
	int ret;

	memset(&zero, 0, sizeof(zero));
	ret = git_reference_create(&ref, st->repo, out_ref, commit, 1,
				   "dcform: outgoing");
	git_reference_free(ref);
	ref = NULL;
	if (ret < 0) {
		ret = git_fail(e, "cannot prepare the push");
		goto out;
	}
	ret = state_remote_push_cas(st->repo, &st->be, out_ref, st->remote_ref,
				    base ? base : &zero, &now, e);
	if (ret == DCF_ECONFLICT) {
		json_t *d = NULL;
		char hex[41] = "";
		struct err e2 = ERR_INIT;
		long long serial = -1;

		if (sync(st, &e2) == 0 &&
		    git_reference_name_to_id(&now, st->repo, st->ref) == 0) {
			git_oid_tostr(hex, sizeof(hex), &now);
			if (read_commit(st, &now, &d, &e2) == 0)
				serial = json_get_int(d, "serial", -1);
			json_decref(d);
		}
		ret = err_set(e, DCF_ECONFLICT,
			      "someone else changed the state on %s since it "
			      "was read (it is now serial %lld, commit "
			      "%.12s): nothing was written; run dcform plan "
			      "again",
			      st->where, serial, hex[0] ? hex : "unknown");
		goto out;
	}
	if (ret < 0)
		goto out;
	ret = git_reference_create(&ref, st->repo, st->ref, commit, 1,
				   "dcform: pushed");
	if (ret < 0)
		ret = git_fail(e, "cannot update the cache");
out:
	git_reference_free(ref);
	if (git_reference_lookup(&ref, st->repo, out_ref) == 0)
		git_reference_delete(ref);
	git_reference_free(ref);
	free(out_ref);
	return ret;
}

/*
 * Git's delta storage.  A version is written as loose objects, each a
 * full (zlib) copy of the state.  Every PACK_EVERY versions, the versions
 * since the last pack (refs/dcform/packed/<workspace> marks it) go into
 * a pack of their own, where libgit2 stores each state as a delta of
 * another, and their loose copies are deleted.  The pack and its index
 * are complete before anything is deleted, so an interruption leaves at
 * worst both copies; a failure leaves the loose objects, which are as
 * good.  Packing is an optimisation: its errors are not the write's.
 * It takes about 2 s for 32 versions of 10,000 resources (a commit takes
 * under 0.1 s), so it runs on a thread of its own while the command goes
 * on; a command waits for it only when it closes the store (still under
 * its state lock), and packs there only what no thread looked at.
 */
#define PACK_EVERY 32

static void unlink_loose(git_repository *repo, const git_oid *oid)
{
	char *p = state_loose_path(repo, oid);

	remove(p);
	p[strlen(p) - (GIT_OID_HEXSZ - 2) - 1] = '\0';
	remove(p); /* the fan-out directory, only when empty */
	free(p);
}

/* A walk of the versions from tip down to the last packed one (the
 * mark, refs/dcform/packed/<workspace>), or NULL. */
static git_revwalk *walk_unpacked(git_repository *repo, const char *mark,
				  const git_oid *tip)
{
	git_revwalk *w = NULL;
	git_oid last;

	if (git_revwalk_new(&w, repo) < 0 || git_revwalk_push(w, tip) < 0) {
		git_revwalk_free(w);
		return NULL;
	}
	if (git_reference_name_to_id(&last, repo, mark) == 0 &&
	    git_revwalk_hide(w, &last) < 0)
		git_error_clear();
	return w;
}

static void pack_versions(git_repository *repo, const char *workspace,
			  const git_oid *tip)
{
	char *mark = xasprintf("refs/dcform/packed/%s", workspace);
	git_revwalk *w = walk_unpacked(repo, mark, tip);
	git_packbuilder *pb = NULL;
	git_reference *ref = NULL;
	git_odb *odb = NULL;
	git_oid oid, *objs = NULL;
	size_t nobj = 0, aobj = 0, ncommits = 0, i;

	if (!w)
		goto out;
	while (git_revwalk_next(&oid, w) == 0) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		size_t k, n;

		if (git_commit_lookup(&c, repo, &oid) < 0 ||
		    git_commit_tree(&t, c) < 0) {
			git_commit_free(c);
			goto out;
		}
		n = git_tree_entrycount(t);
		if (nobj + n + 2 > aobj) {
			aobj = 2 * (nobj + n + 2);
			objs = xrealloc(objs, aobj * sizeof(*objs));
		}
		git_oid_cpy(&objs[nobj++], &oid);
		git_oid_cpy(&objs[nobj++], git_tree_id(t));
		for (k = 0; k < n; k++)
			git_oid_cpy(
			    &objs[nobj++],
			    git_tree_entry_id(git_tree_entry_byindex(t, k)));
		git_tree_free(t);
		git_commit_free(c);
		ncommits++;
	}
	if (ncommits < PACK_EVERY)
		goto out;
	if (git_packbuilder_new(&pb, repo) < 0)
		goto out;
	git_packbuilder_set_threads(pb, 0); /* one per CPU */
	for (i = 0; i < nobj; i++)
		if (git_packbuilder_insert(pb, &objs[i], NULL) < 0)
			goto out;
	if (git_packbuilder_write(pb, NULL, 0, NULL, NULL) < 0)
		goto out;
	if (git_repository_odb(&odb, repo) < 0 || git_odb_refresh(odb) < 0)
		goto out;
	test_crash_point("state-pack");
	for (i = 0; i < nobj; i++)
		unlink_loose(repo, &objs[i]);
	git_reference_create(&ref, repo, mark, tip, 1, "state packed");
out:
	git_error_clear();
	git_reference_free(ref);
	git_odb_free(odb);
	git_packbuilder_free(pb);
	git_revwalk_free(w);
	free(objs);
	free(mark);
}

/* Versions on top of the packed mark, counted up to `limit`. */
static int count_unpacked(git_repository *repo, const char *workspace,
			  const git_oid *tip, int limit)
{
	char *mark = xasprintf("refs/dcform/packed/%s", workspace);
	git_revwalk *w = walk_unpacked(repo, mark, tip);
	git_oid oid;
	int n = 0;

	while (w && n < limit && git_revwalk_next(&oid, w) == 0)
		n++;
	git_error_clear();
	git_revwalk_free(w);
	free(mark);
	return n;
}

static void *pack_thread(void *arg)
{
	struct packer *p = arg;
	git_repository *repo = NULL;

	if (git_repository_open_bare(&repo, p->path) == 0)
		pack_versions(repo, p->workspace, &p->tip);
	git_error_clear();
	git_repository_free(repo);
	atomic_store(&p->done, 1);
	return NULL;
}

static void pack_join(struct state_store *st)
{
	struct packer *p = &st->packer;

	if (!p->started)
		return;
	pthread_join(p->thread, NULL);
	p->started = 0;
	free(p->path);
	free(p->workspace);
	p->path = p->workspace = NULL;
}

/* After a write: look at packing on a thread, unless one still runs
 * (the next write looks again). */
static void pack_start(struct state_store *st, const git_oid *tip)
{
	struct packer *p = &st->packer;

	if (st->unpacked < 0)
		st->unpacked =
		    count_unpacked(st->repo, st->workspace, tip, PACK_EVERY);
	else
		st->unpacked++;
	if (st->unpacked < PACK_EVERY) {
		st->pack_pending = 0;
		return;
	}
	st->pack_pending = 1;
	if (p->started && !atomic_load(&p->done))
		return;
	pack_join(st);
	p->path = xstrdup(git_repository_path(st->repo));
	p->workspace = xstrdup(st->workspace);
	git_oid_cpy(&p->tip, tip);
	atomic_store(&p->done, 0);
	if (pthread_create(&p->thread, NULL, pack_thread, p)) {
		/* No thread: pack here. */
		pack_versions(st->repo, st->workspace, tip);
		free(p->path);
		free(p->workspace);
		p->path = p->workspace = NULL;
	} else {
		p->started = 1;
	}
	st->pack_pending = 0;
	st->unpacked = -1; /* count again after this packing */
}

/* Closing: wait for the thread, and pack what it did not look at. */
static void pack_finish(struct state_store *st)
{
	pack_join(st);
	if (st->pack_pending && st->have_last)
		pack_versions(st->repo, st->workspace, &st->last_oid);
	st->pack_pending = 0;
}

/* Move the local branch to oid, from tip when there is one (the
 * compare-and-swap). */
static int move_branch(struct state_store *st, git_reference **ref,
		       const git_oid *oid, const git_oid *tip,
		       const char *message)
{
	git_reference_free(*ref);
	*ref = NULL;
	if (tip)
		return git_reference_create_matching(ref, st->repo, st->ref,
						     oid, 1, tip, message);
	return git_reference_create(ref, st->repo, st->ref, oid, 0, message);
}

/*
 * The branch's lock file, left by a run killed while git moved the
 * branch: removed when this process holds dcform's lock of the state, so
 * that no other dcform can be writing it.  1 when it was removed.
 */
static int clear_branch_lock(struct state_store *st)
{
	char *path;
	int ok;

	if (!state_lock_held_here(st->dir))
		return 0;
	path = xasprintf("%s%s.lock", git_repository_path(st->repo), st->ref);
	ok = remove(path) == 0;
	free(path);
	return ok;
}

int state_store_write(struct state_store *st, const json_t *doc,
		      const char *parent, const char *message,
		      char commit_out[41], struct err *e)
{
	git_oid tip, blob_oid, tree_oid, commit_oid, parent_oid;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_commit *pc = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	json_t *prev = NULL;
	char *text = NULL;
	int have_tip, ret = 0;
	const char *name = getenv("DCFORM_GIT_AUTHOR_NAME");
	const char *mail = getenv("DCFORM_GIT_AUTHOR_EMAIL");

	if ((ret = check_doc(doc, "new state", e)) < 0)
		return ret;
	if ((ret = sync(st, e)) < 0)
		return ret;
	have_tip = git_reference_name_to_id(&tip, st->repo, st->ref) == 0;
	if (parent && *parent) {
		char hex[41];

		if (!have_tip || git_oid_fromstr(&parent_oid, parent) < 0 ||
		    git_oid_cmp(&tip, &parent_oid)) {
			if (have_tip)
				git_oid_tostr(hex, sizeof(hex), &tip);
			return err_set(e, DCF_ECONFLICT,
				       "state changed since it was read: the "
				       "tip of %s is now %.12s; nothing was "
				       "written: run dcform plan again",
				       st->where, have_tip ? hex : "(none)");
		}
		if (!st->have_last || git_oid_cmp(&tip, &st->last_oid)) {
			if ((ret = read_commit(st, &tip, &prev, e)) < 0)
				return ret;
			remember(st, &tip, prev);
		}
		if (strcmp(st->last_lineage,
			   json_get_str(doc, "lineage", ""))) {
			ret = err_set(e, DCF_EINVALID,
				      "refusing to write a state of another "
				      "lineage (%s, the stored one is %s)",
				      json_get_str(doc, "lineage", ""),
				      st->last_lineage);
			goto out;
		}
		if (json_get_int(doc, "serial", 0) <= st->last_serial) {
			ret = err_set(e, DCF_EINVALID,
				      "refusing to write serial %lld over "
				      "serial %lld",
				      (long long)json_get_int(doc, "serial", 0),
				      st->last_serial);
			goto out;
		}
		if (git_commit_lookup(&pc, st->repo, &tip) < 0) {
			ret = git_fail(e, "cannot read the state tip");
			goto out;
		}
	} else if (have_tip) {
		return err_set(e, DCF_ECONFLICT,
			       "state changed since it was read: %s already "
			       "holds a state; nothing was written: run "
			       "dcform plan again",
			       st->where);
	}
	{
		/* Canonical form (sorted keys, indented): a version differs
		 * from the last where the state did, for git's deltas and
		 * for people reading `git diff`. */
		struct buf b = BUF_INIT;

		buf_grow(&b, st->last_size + 64);
		if (json_dump_indented(&b, doc) < 0) {
			buf_release(&b);
			ret =
			    err_set(e, DCF_ERROR, "cannot serialise the state");
			goto out;
		}
		buf_putc(&b, '\n');
		st->last_size = b.len;
		text = buf_detach(&b, NULL);
	}
	if (state_write_blob(st->repo, text, st->last_size, &blob_oid) < 0 ||
	    git_treebuilder_new(&tb, st->repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, "state.json", &blob_oid,
				   GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree_oid, tb) < 0 ||
	    git_tree_lookup(&tree, st->repo, &tree_oid) < 0 ||
	    git_signature_now(&sig, name ? name : "dcform",
			      mail ? mail : "dcform@localhost") < 0) {
		ret = git_fail(e, "cannot write the state");
		goto out;
	}
	{
		const git_commit *parents[1] = {pc};
		char *msg =
		    xasprintf("%s\n\nserial %lld, lineage %s\n", message,
			      (long long)json_get_int(doc, "serial", 0),
			      json_get_str(doc, "lineage", ""));

		ret = git_commit_create(&commit_oid, st->repo, NULL, sig, sig,
					NULL, msg, tree, pc ? 1 : 0, parents);
		free(msg);
		if (ret < 0) {
			ret = git_fail(e, "cannot commit the state");
			goto out;
		}
	}
	/* Objects written, branch not moved yet: a kill here must leave the
	 * previous version (the reliability tests kill here). */
	test_crash_point("state-commit");
	/* The compare-and-swap: the ref moves only from the tip we read. */
	if (st->be.url) {
		ret = push_version(st, &commit_oid, pc ? &tip : NULL, e);
		if (ret < 0)
			goto out;
	} else {
		ret = move_branch(st, &ref, &commit_oid, pc ? &tip : NULL,
				  message);
		if (ret == GIT_ELOCKED && clear_branch_lock(st))
			ret = move_branch(st, &ref, &commit_oid,
					  pc ? &tip : NULL, message);
		if (ret == GIT_ELOCKED) {
			/* git's lock of the branch, left by a run killed
			 * while it moved it (git removes it otherwise). */
			ret =
			    err_set(e, DCF_ERROR,
				    "cannot update the state branch: %s; "
				    "a run was killed while it wrote the "
				    "state: if no dcform or git command is "
				    "using %s, delete that lock file and "
				    "run again (nothing was written)",
				    git_error_last() ? git_error_last()->message
						     : "locked",
				    st->where);
			goto out;
		}
		if (ret < 0) {
			ret = git_error_last() && git_error_last()->klass ==
						      GIT_ERROR_REFERENCE
				  ? err_set(e, DCF_ECONFLICT,
					    "state changed while it was "
					    "being written; read it again")
				  : git_fail(e, "cannot update the state "
						"branch");
			goto out;
		}
	}
	git_oid_tostr(commit_out, 41, &commit_oid);
	remember(st, &commit_oid, doc);
	pack_start(st, &commit_oid);
	ret = 0;
out:
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_commit_free(pc);
	json_decref(prev);
	free(text);
	return ret;
}

static int history(struct state_store *st, size_t limit, json_t **out,
		   struct err *e)
{
	git_revwalk *w = NULL;
	git_oid oid;
	json_t *arr = json_array();
	int ret = 0;

	if (git_revwalk_new(&w, st->repo) < 0 ||
	    git_revwalk_push_ref(w, st->ref) < 0) {
		git_revwalk_free(w);
		*out = arr; /* no versions yet */
		return 0;
	}
	git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	while ((!limit || json_array_size(arr) < limit) &&
	       git_revwalk_next(&oid, w) == 0) {
		git_commit *c = NULL;
		char hex[41];
		const char *msg, *ser;
		long long serial = -1;

		if (git_commit_lookup(&c, st->repo, &oid) < 0) {
			ret = git_fail(e, "cannot read the history");
			break;
		}
		git_oid_tostr(hex, sizeof(hex), &oid);
		msg = git_commit_message(c);
		ser = strstr(msg, "\n\nserial ");
		if (ser)
			serial = atoll(ser + 9);
		json_array_append_new(
		    arr, json_pack("{s:s,s:I,s:I,s:s%,s:s}", "commit", hex,
				   "serial", (json_int_t)serial, "time",
				   (json_int_t)git_commit_time(c), "message",
				   msg, strcspn(msg, "\n"), "author",
				   git_commit_author(c)->name));
		git_commit_free(c);
	}
	git_revwalk_free(w);
	if (ret < 0) {
		json_decref(arr);
		return ret;
	}
	*out = arr;
	return 0;
}

int state_store_history(struct state_store *st, size_t limit, json_t **out,
			struct err *e)
{
	int ret = sync(st, e);

	return ret < 0 ? ret : history(st, limit, out, e);
}

int state_store_read_at(struct state_store *st, const char *rev, json_t **doc,
			char commit[41], struct err *e)
{
	git_object *obj = NULL;
	char *spec;
	int ret;

	commit[0] = '\0';
	if ((ret = sync(st, e)) < 0)
		return ret;
	if (rev[0] >= '0' && rev[0] <= '9' && strlen(rev) < 7) {
		json_t *h = NULL, *v;
		size_t i;

		ret = history(st, 0, &h, e);
		if (ret < 0)
			return ret;
		json_array_foreach (h, i, v)
			if (json_get_int(v, "serial", -1) == atoll(rev)) {
				snprintf(commit, 41, "%s",
					 json_get_str(v, "commit", ""));
				break;
			}
		json_decref(h);
		if (!commit[0])
			return err_set(e, DCF_ENOTFOUND,
				       "no state version with serial %s", rev);
		rev = commit;
	}
	spec = str_starts_with(rev, "HEAD")
		   ? xasprintf("%s%s", st->ref, rev + 4)
		   : xstrdup(rev);
	if (git_revparse_single(&obj, st->repo, spec) < 0 ||
	    git_object_type(obj) != GIT_OBJECT_COMMIT) {
		git_object_free(obj);
		free(spec);
		return err_set(e, DCF_ENOTFOUND, "no state version '%s'", rev);
	}
	free(spec);
	git_oid_tostr(commit, 41, git_object_id(obj));
	ret = read_commit(st, git_object_id(obj), doc, e);
	git_object_free(obj);
	return ret;
}

int state_store_workspaces(struct state_store *st, json_t **out, struct err *e)
{
	git_branch_iterator *it = NULL;
	git_reference *ref;
	git_branch_t type;
	json_t *arr = json_array();

	if (st->be.url) {
		char *prefix = xasprintf("refs/heads/%s", st->be.branch);
		size_t n = strlen(prefix);
		json_t *refs = NULL, *v;
		const char *name;
		int ret = state_remote_ls(&refs, st->repo, &st->be, prefix, e);

		free(prefix);
		if (ret < 0) {
			json_decref(arr);
			return ret;
		}
		json_object_foreach (refs, name, v) {
			if (!name[n])
				json_array_append_new(arr,
						      json_string("default"));
			else if (str_starts_with(name + n, "--") &&
				 state_name_ok(name + n + 2))
				json_array_append_new(
				    arr, json_string(name + n + 2));
		}
		json_decref(refs);
		*out = arr;
		return 0;
	}
	if (git_branch_iterator_new(&it, st->repo, GIT_BRANCH_LOCAL) < 0) {
		json_decref(arr);
		return git_fail(e, "cannot list workspaces");
	}
	while (git_branch_next(&ref, &type, it) == 0) {
		const char *name = NULL;

		if (git_branch_name(&name, ref) == 0)
			json_array_append_new(arr, json_string(name));
		git_reference_free(ref);
	}
	git_branch_iterator_free(it);
	*out = arr;
	return 0;
}

/* Copy one workspace; appends to rep.  See state_store_migrate. */
static int migrate_one(const char *dir, const json_t *from, const json_t *to,
		       const char *ws, json_t *rep, struct err *e)
{
	struct state_store *src = NULL, *dst = NULL;
	git_oid stip, dtip;
	git_reference *ref = NULL;
	git_revwalk *w = NULL;
	json_t *d = NULL;
	const char *result = "copied";
	int have_dst, ret;
	size_t versions = 0;
	char hex[41];

	if ((ret = state_store_open_backend(&src, dir, ws, from, e)) < 0 ||
	    (ret = state_store_open_backend(&dst, dir, ws, to, e)) < 0 ||
	    (ret = sync(src, e)) < 0)
		goto out;
	if (git_reference_name_to_id(&stip, src->repo, src->ref) < 0)
		goto out; /* an empty workspace: nothing to copy */
	if ((ret = read_commit(src, &stip, &d, e)) < 0 ||
	    (ret = sync(dst, e)) < 0)
		goto out;
	have_dst = git_reference_name_to_id(&dtip, dst->repo, dst->ref) == 0;
	if (have_dst && git_oid_equal(&stip, &dtip)) {
		result = "up to date";
	} else if (have_dst &&
		   git_graph_descendant_of(src->repo, &stip, &dtip) != 1) {
		ret = err_set(e, DCF_ECONFLICT,
			      "workspace '%s': %s already holds other "
			      "versions of the state; refusing to overwrite "
			      "them",
			      ws, dst->where);
		goto out;
	} else if (dst->be.url) {
		git_oid zero;

		memset(&zero, 0, sizeof(zero));
		ret = state_remote_push_cas(dst->repo, &dst->be, src->ref,
					    dst->remote_ref,
					    have_dst ? &dtip : &zero, NULL, e);
		if (ret < 0)
			goto out;
		if (git_reference_create(&ref, dst->repo, dst->ref, &stip, 1,
					 "dcform: migrate") < 0) {
			ret = git_fail(e, "cannot update the cache");
			goto out;
		}
	} else {
		ret = have_dst
			  ? git_reference_create_matching(
				&ref, dst->repo, dst->ref, &stip, 1, &dtip,
				"dcform: migrate")
			  : git_reference_create(&ref, dst->repo, dst->ref,
						 &stip, 0, "dcform: migrate");
		if (ret < 0) {
			ret = err_set(e, DCF_ECONFLICT,
				      "workspace '%s': %s changed during the "
				      "migration",
				      ws, dst->where);
			goto out;
		}
	}
	if (git_revwalk_new(&w, src->repo) == 0 &&
	    git_revwalk_push(w, &stip) == 0) {
		git_oid id;

		while (git_revwalk_next(&id, w) == 0)
			versions++;
	}
	git_oid_tostr(hex, sizeof(hex), &stip);
	json_array_append_new(
	    rep,
	    json_pack("{s:s,s:s,s:I,s:I,s:s}", "workspace", ws, "commit", hex,
		      "serial", (json_int_t)json_get_int(d, "serial", 0),
		      "versions", (json_int_t)versions, "result", result));
	ret = 0;
out:
	git_revwalk_free(w);
	git_reference_free(ref);
	json_decref(d);
	state_store_free(src);
	state_store_free(dst);
	return ret;
}

int state_store_migrate(const char *dir, const json_t *from, const json_t *to,
			json_t **report, struct err *e)
{
	struct state_store *a = NULL, *b = NULL;
	json_t *ws = NULL, *v;
	size_t i;
	int ret;

	*report = json_array();
	if ((ret = state_store_open_backend(&a, dir, NULL, from, e)) < 0 ||
	    (ret = state_store_open_backend(&b, dir, NULL, to, e)) < 0)
		goto out;
	if (a->be.url && b->be.url) {
		ret = err_set(e, DCF_EINVALID,
			      "migrate between a remote and the local store: "
			      "to move to another remote, migrate to local "
			      "first");
		goto out;
	}
	if (!strcmp(a->where, b->where)) {
		ret = err_set(e, DCF_EINVALID, "the state is already in %s",
			      a->where);
		goto out;
	}
	if ((ret = state_store_workspaces(a, &ws, e)) < 0)
		goto out;
	if (!json_array_size(ws)) {
		ret = err_set(e, DCF_ENOTFOUND, "no state to migrate in %s",
			      a->where);
		goto out;
	}
	json_array_foreach (ws, i, v) {
		const char *name = json_string_value(v);

		if (!state_name_ok(name))
			continue; /* not a workspace dcform made */
		if ((ret = migrate_one(dir, from, to, name, *report, e)) < 0)
			break;
	}
out:
	json_decref(ws);
	state_store_free(a);
	state_store_free(b);
	return ret;
}
