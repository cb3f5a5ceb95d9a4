/*
 * lock.c: the flock state lock.  See lock.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/state/lock.h"
#include "core/state/remote.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "core/util/uuid.h"

struct state_lock {
	int fd;			 /* the local flock (always held) */
	git_repository *repo;	 /* remote lock: the cache repository */
	struct state_backend be; /* be.url NULL: no remote lock */
	char *remote_ref;	 /* "refs/dcform/locks/<workspace>" */
	char *out_ref;		 /* the local ref pushed to remote_ref */
	git_oid oid;		 /* our lock commit */
};

/*
 * The local locks this process holds, by their file: a state store
 * removes a lock file git left behind (a run killed while it moved a
 * branch) only under one of them, when no other dcform can be writing.
 */
static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct held {
	dev_t dev;
	ino_t ino;
} held[16];
static size_t nheld;

static void held_note(int fd, int add)
{
	struct stat sb;
	size_t i;

	if (fd < 0 || fstat(fd, &sb) < 0)
		return;
	pthread_mutex_lock(&held_mutex);
	for (i = 0; i < nheld; i++)
		if (held[i].dev == sb.st_dev && held[i].ino == sb.st_ino)
			break;
	if (add && i == nheld && nheld < ARRAY_SIZE(held)) {
		held[nheld].dev = sb.st_dev;
		held[nheld++].ino = sb.st_ino;
	} else if (!add && i < nheld) {
		held[i] = held[--nheld];
	}
	pthread_mutex_unlock(&held_mutex);
}

static char *lock_path(const char *dir, struct err *e, int create)
{
	char *dot = fs_join(dir, ".dcform"), *p;

	if (create && fs_mkdir_p(dot, 0700, e) < 0) {
		free(dot);
		return NULL;
	}
	p = fs_join(dot, "lock");
	free(dot);
	return p;
}

static json_t *read_holder(int fd)
{
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return json_loads(buf, 0, NULL);
}

/* "3 minutes ago" */
static void age_text(char *out, size_t n, int64_t since)
{
	int64_t d = time_now_s() - since;

	if (!since)
		snprintf(out, n, "at an unknown time");
	else if (d < 60)
		snprintf(out, n, "%lld seconds ago",
			 (long long)(d < 0 ? 0 : d));
	else if (d < 3600)
		snprintf(out, n, "%lld minute%s ago", (long long)(d / 60),
			 d / 60 == 1 ? "" : "s");
	else if (d < 2 * 86400)
		snprintf(out, n, "%lld hour%s ago", (long long)(d / 3600),
			 d / 3600 == 1 ? "" : "s");
	else
		snprintf(out, n, "%lld days ago", (long long)(d / 86400));
}

static int holder_message(struct err *e, const json_t *h, const char *where)
{
	char age[64];

	age_text(age, sizeof(age), json_get_int(h, "created", 0));
	return err_set(e, DCF_ELOCKED,
		       "%s is locked by %s@%s (%s) %s, pid %lld, lock id %s; "
		       "wait (--lock-timeout), or run `dcform force-unlock "
		       "%s` if that run is dead",
		       where, json_get_str(h, "who", "?"),
		       json_get_str(h, "host", "?"),
		       json_get_str(h, "operation", "?"), age,
		       (long long)json_get_int(h, "pid", 0),
		       json_get_str(h, "id", "?"), json_get_str(h, "id", "?"));
}

static json_t *new_holder(const char *operation)
{
	char id[UUID_STR_LEN], host[256] = "?", when[32] = "";
	struct passwd *pw = getpwuid(getuid());
	const char *who = pw ? pw->pw_name : getenv("USER");
	time_t now = time(NULL);
	struct tm tm;

	uuid_v4(id);
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s,s:s,s:s,s:I,s:s,s:I,s:s,s:s}", "id", id, "who",
			 who ? who : "?", "host", host, "pid",
			 (json_int_t)getpid(), "operation", operation,
			 "created", (json_int_t)now, "time", when, "version",
			 DCFORM_VERSION);
}

/* The flock, with holder h written into the file once held. */
static int local_acquire(int *out, const char *dir, const json_t *h,
			 long timeout_ms, struct err *e)
{
	char *path = lock_path(dir, e, 1);
	int64_t deadline = time_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	long delay = 50;
	char *s;
	int fd;

	if (!path)
		return DCF_ERROR;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return err_set(e, DCF_ERROR, "cannot open the state lock: %s",
			       strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || time_mono_ms() >= deadline) {
			int ret;

			if (errno == EWOULDBLOCK) {
				json_t *held = read_holder(fd);

				ret = holder_message(e, held,
						     "the state (this "
						     "machine)");
				json_decref(held);
			} else {
				ret = err_set(e, DCF_ERROR,
					      "cannot lock the state: %s",
					      strerror(errno));
			}
			close(fd);
			return ret;
		}
		{
			struct timespec ts = {0, delay * 1000000L};
			nanosleep(&ts, NULL);
		}
		if (delay < 1000)
			delay *= 2;
	}
	s = json_dumps_malloc(h, JSON_COMPACT);
	if (ftruncate(fd, 0) == 0 &&
	    pwrite(fd, s, strlen(s), 0) == (ssize_t)strlen(s))
		fsync(fd);
	free(s);
	*out = fd;
	return 0;
}

int state_lock_acquire(struct state_lock **out, const char *dir,
		       const char *operation, long timeout_ms, struct err *e)
{
	return state_lock_acquire_backend(out, dir, NULL, NULL, operation,
					  timeout_ms, e);
}

/* ---- remote locks ------------------------------------------------------ */

static char *lock_ref(const char *workspace)
{
	return xasprintf("refs/dcform/locks/%s",
			 workspace && *workspace ? workspace : "default");
}

/* The holder recorded in a lock commit (lock.json), or NULL. */
static json_t *commit_holder(git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *te = NULL;
	git_blob *b = NULL;
	json_t *h = NULL;

	if (git_commit_lookup(&c, repo, id) == 0 &&
	    git_commit_tree(&t, c) == 0 &&
	    git_tree_entry_bypath(&te, t, "lock.json") == 0 &&
	    git_blob_lookup(&b, repo, git_tree_entry_id(te)) == 0)
		h = json_loadb(git_blob_rawcontent(b),
			       (size_t)git_blob_rawsize(b), 0, NULL);
	git_blob_free(b);
	git_tree_entry_free(te);
	git_tree_free(t);
	git_commit_free(c);
	return h;
}

/* The remote's lock for workspace: *h (NULL when unlocked) and its id. */
static int remote_holder(json_t **h, git_oid *id, git_repository *repo,
			 const struct state_backend *be, const char *rref,
			 const char *workspace, struct err *e)
{
	char *seen = xasprintf("refs/dcform/lock-seen/%s",
			       workspace && *workspace ? workspace : "default");
	int found = 0, ret;

	*h = NULL;
	ret = state_remote_fetch(repo, be, rref, seen, &found, id, e);
	free(seen);
	if (ret < 0 || !found)
		return ret;
	*h = commit_holder(repo, id);
	if (!*h)
		*h = json_pack("{s:s}", "id", "?");
	return 0;
}

static int make_lock_commit(git_oid *out, git_repository *repo, const char *ref,
			    const json_t *h, struct err *e)
{
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_reference *r = NULL;
	git_oid blob, tid;
	char *text = json_dumps_malloc(h, JSON_INDENT(2) | JSON_SORT_KEYS);
	char *msg = xasprintf(
	    "lock: %s by %s@%s\n\n%s\n", json_get_str(h, "operation", "?"),
	    json_get_str(h, "who", "?"), json_get_str(h, "host", "?"), text);
	int ret;

	if ((ret = git_blob_create_from_buffer(&blob, repo, text,
					       strlen(text))) < 0 ||
	    (ret = git_treebuilder_new(&tb, repo, NULL)) < 0 ||
	    (ret = git_treebuilder_insert(NULL, tb, "lock.json", &blob,
					  GIT_FILEMODE_BLOB)) < 0 ||
	    (ret = git_treebuilder_write(&tid, tb)) < 0 ||
	    (ret = git_tree_lookup(&tree, repo, &tid)) < 0 ||
	    (ret = git_signature_now(&sig, json_get_str(h, "who", "dcform"),
				     "dcform@localhost")) < 0 ||
	    (ret = git_commit_create(out, repo, NULL, sig, sig, NULL, msg, tree,
				     0, NULL)) < 0 ||
	    (ret = git_reference_create(&r, repo, ref, out, 1,
					"dcform: lock")) < 0)
		ret = state_git_fail(e, ret, "cannot write the lock");
	git_reference_free(r);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	free(msg);
	free(text);
	return ret;
}

static int remote_acquire(struct state_lock *lk, const char *workspace,
			  const json_t *h, long timeout_ms, struct err *e)
{
	int64_t deadline = time_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	long delay = 200;
	git_oid zero;
	int ret, quick = 0;

	memset(&zero, 0, sizeof(zero));
	lk->remote_ref = lock_ref(workspace);
	lk->out_ref =
	    xasprintf("refs/dcform/lock-out/%s",
		      workspace && *workspace ? workspace : "default");
	ret = make_lock_commit(&lk->oid, lk->repo, lk->out_ref, h, e);
	if (ret < 0)
		return ret;
	for (;;) {
		json_t *held = NULL;
		git_oid id;

		/* Creation of a ref that must not exist: one winner. */
		ret = state_remote_push_cas(lk->repo, &lk->be, lk->out_ref,
					    lk->remote_ref, &zero, NULL, e);
		if (ret != DCF_ECONFLICT)
			return ret;
		ret = remote_holder(&held, &id, lk->repo, &lk->be,
				    lk->remote_ref, workspace, e);
		if (ret < 0)
			return ret;
		if (!held && quick++ < 3)
			continue; /* released in between: try again now */
		if (time_mono_ms() >= deadline) {
			char *where =
			    xasprintf("the state on %s", lk->be.shown);

			ret = held ? holder_message(e, held, where)
				   : err_set(e, DCF_ELOCKED,
					     "%s: the lock keeps changing "
					     "hands; try again",
					     where);
			free(where);
			json_decref(held);
			return ret;
		}
		json_decref(held);
		{
			int64_t left = deadline - time_mono_ms();
			long d = delay + (long)(((unsigned)getpid() * 7919u +
						 (unsigned)delay) %
						100u);
			struct timespec ts;

			if (d > left)
				d = (long)left;
			ts.tv_sec = d / 1000;
			ts.tv_nsec = (d % 1000) * 1000000L;
			nanosleep(&ts, NULL);
		}
		delay = delay * 2 > 5000 ? 5000 : delay * 2;
	}
}

int state_lock_acquire_backend(struct state_lock **out, const char *dir,
			       const json_t *backend, const char *workspace,
			       const char *operation, long timeout_ms,
			       struct err *e)
{
	struct state_lock *lk;
	json_t *h;
	int ret;

	*out = NULL;
	if (workspace && *workspace && !state_name_ok(workspace))
		return err_set(e, DCF_EINVALID, "invalid workspace name '%s'",
			       workspace);
	lk = xcalloc(1, sizeof(*lk));
	lk->fd = -1;
	ret = state_backend_parse(&lk->be, backend, dir, e);
	if (ret < 0)
		goto fail;
	h = new_holder(operation);
	/* The flock also guards the cache repository on this machine. */
	ret = local_acquire(&lk->fd, dir, h, timeout_ms, e);
	if (ret == 0 && lk->be.url) {
		ret = state_repo_open(&lk->repo, dir, e);
		if (ret == 0)
			ret = remote_acquire(lk, workspace, h, timeout_ms, e);
	}
	json_decref(h);
	if (ret < 0)
		goto fail;
	held_note(lk->fd, 1);
	*out = lk;
	return 0;
fail:
	if (lk->out_ref && lk->repo) {
		git_reference *r = NULL;

		if (git_reference_lookup(&r, lk->repo, lk->out_ref) == 0)
			git_reference_delete(r);
		git_reference_free(r);
	}
	memset(&lk->oid, 0, sizeof(lk->oid)); /* nothing to delete remotely */
	state_lock_release(lk);
	return ret;
}

int state_lock_release_checked(struct state_lock *lk, struct err *e)
{
	int ret = 0;

	if (!lk)
		return 0;
	if (lk->be.url && lk->remote_ref && !git_oid_is_zero(&lk->oid)) {
		git_reference *r = NULL;

		/* Delete the remote lock only while it is still ours. */
		ret = state_remote_push_cas(lk->repo, &lk->be, NULL,
					    lk->remote_ref, &lk->oid, NULL, e);
		if (ret == DCF_ECONFLICT)
			ret = err_set(e, DCF_ECONFLICT,
				      "the lock on %s was no longer ours "
				      "(force-unlocked?)",
				      lk->be.shown);
		if (git_reference_lookup(&r, lk->repo, lk->out_ref) == 0)
			git_reference_delete(r);
		git_reference_free(r);
	}
	if (lk->fd >= 0) {
		held_note(lk->fd, 0);
		if (ftruncate(lk->fd, 0) < 0) {
			/* The holder info stays; the flock goes anyway. */
		}
		close(lk->fd);
	}
	git_repository_free(lk->repo);
	state_backend_release(&lk->be);
	free(lk->remote_ref);
	free(lk->out_ref);
	free(lk);
	return ret;
}

int state_lock_held_here(const char *dir)
{
	char *path = lock_path(dir, NULL, 0);
	struct stat sb;
	size_t i;
	int found = 0;

	if (path && stat(path, &sb) == 0) {
		pthread_mutex_lock(&held_mutex);
		for (i = 0; i < nheld; i++)
			found |= held[i].dev == sb.st_dev &&
				 held[i].ino == sb.st_ino;
		pthread_mutex_unlock(&held_mutex);
	}
	free(path);
	return found;
}

void state_lock_release(struct state_lock *lk)
{
	struct err e = ERR_INIT;

	state_lock_release_checked(lk, &e);
}

int state_lock_info(const char *dir, json_t **out, struct err *e)
{
	char *path = lock_path(dir, e, 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	json_t *h;

	free(path);
	if (fd < 0)
		return err_set(e, DCF_ENOTFOUND, "no lock");
	h = read_holder(fd);
	if (!h || flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		json_decref(h);
		return err_set(e, DCF_ENOTFOUND, "the state is not locked");
	}
	close(fd);
	*out = h;
	return 0;
}

int state_lock_info_backend(const char *dir, const json_t *backend,
			    const char *workspace, json_t **out, struct err *e)
{
	struct state_backend be;
	git_repository *repo = NULL;
	char *rref = NULL;
	git_oid id;
	int ret;

	*out = NULL;
	if (workspace && *workspace && !state_name_ok(workspace))
		return err_set(e, DCF_EINVALID, "invalid workspace name '%s'",
			       workspace);
	ret = state_backend_parse(&be, backend, dir, e);
	if (ret < 0)
		return ret;
	if (!be.url)
		return state_lock_info(dir, out, e);
	rref = lock_ref(workspace);
	ret = state_repo_open(&repo, dir, e);
	if (ret == 0)
		ret = remote_holder(out, &id, repo, &be, rref, workspace, e);
	if (ret == 0 && !*out)
		ret = err_set(e, DCF_ENOTFOUND, "the state on %s is not locked",
			      be.shown);
	free(rref);
	git_repository_free(repo);
	state_backend_release(&be);
	return ret;
}

int state_lock_force(const char *dir, const char *id, struct err *e)
{
	char *path;
	int fd;
	json_t *h;
	int ret = 0;

	if (!state_name_ok(id))
		return err_set(e, DCF_EINVALID, "invalid lock id '%s'", id);
	path = lock_path(dir, e, 0);
	fd = open(path, O_RDWR | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return err_set(e, DCF_ENOTFOUND, "there is no state lock");
	h = read_holder(fd);
	if (!h || strcmp(json_get_str(h, "id", ""), id)) {
		ret = err_set(e, DCF_EINVALID,
			      "lock id '%s' does not match the holder's (%s)",
			      id, json_get_str(h, "id", "none"));
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = err_set(e, DCF_ELOCKED,
			      "process %lld on %s still holds the lock; "
			      "a live holder cannot be broken: stop it first",
			      (long long)json_get_int(h, "pid", 0),
			      json_get_str(h, "host", "?"));
	} else {
		if (ftruncate(fd, 0) < 0)
			ret = err_set(e, DCF_ERROR, "cannot clear the lock: %s",
				      strerror(errno));
	}
	json_decref(h);
	close(fd);
	return ret;
}

int state_lock_force_backend(const char *dir, const json_t *backend,
			     const char *workspace, const char *id,
			     json_t **holder, struct err *e)
{
	struct state_backend be;
	git_repository *repo = NULL;
	json_t *h = NULL;
	char *rref = NULL;
	git_oid oid;
	int ret;

	if (holder)
		*holder = NULL;
	if (!state_name_ok(id))
		return err_set(e, DCF_EINVALID, "invalid lock id '%s'", id);
	if (workspace && *workspace && !state_name_ok(workspace))
		return err_set(e, DCF_EINVALID, "invalid workspace name '%s'",
			       workspace);
	ret = state_backend_parse(&be, backend, dir, e);
	if (ret < 0)
		return ret;
	if (!be.url) {
		char *path = lock_path(dir, e, 0);
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		free(path);
		if (fd >= 0) {
			h = read_holder(fd);
			close(fd);
		}
		ret = state_lock_force(dir, id, e);
		goto out;
	}
	rref = lock_ref(workspace);
	ret = state_repo_open(&repo, dir, e);
	if (ret == 0)
		ret = remote_holder(&h, &oid, repo, &be, rref, workspace, e);
	if (ret < 0)
		goto out;
	if (!h) {
		ret = err_set(e, DCF_ENOTFOUND, "the state on %s is not locked",
			      be.shown);
		goto out;
	}
	if (strcmp(json_get_str(h, "id", ""), id)) {
		ret = err_set(e, DCF_EINVALID,
			      "lock id '%s' does not match the holder's (%s)",
			      id, json_get_str(h, "id", "none"));
		goto out;
	}
	ret = state_remote_push_cas(repo, &be, NULL, rref, &oid, NULL, e);
	if (ret == DCF_ECONFLICT)
		ret = err_set(e, DCF_ECONFLICT,
			      "the lock on %s changed hands meanwhile; look "
			      "again",
			      be.shown);
out:
	if (ret == 0 && holder) {
		*holder = h;
		h = NULL;
	}
	json_decref(h);
	free(rref);
	git_repository_free(repo);
	state_backend_release(&be);
	return ret;
}
