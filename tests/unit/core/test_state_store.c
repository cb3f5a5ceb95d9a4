/*
 * Unit tests of core/state: the local git store (compare-and-swap,
 * history, format versions, workspaces, file modes) and the flock lock.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <git2.h>

#include "core/state/lock.h"
#include "core/state/loose.h"
#include "core/state/remote.h"
#include "core/state/store.h"
#include "core/util/json.h"
#include "core/util/util.h"

struct fixture {
	char dir[64];
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dcform-store-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	unsetenv("DCFORM_WORKSPACE");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static json_t *doc(const char *lineage, int serial, const char *marker)
{
	return json_pack("{s:i,s:s,s:i,s:s,s:{s:{s:s,s:s}},s:{}}",
			 "format_version", 1, "lineage", lineage, "serial",
			 serial, "tool_version", "test", "resources", "a.b",
			 "type", "t", "id", marker, "outputs");
}

static void write_ok(struct state_store *st, const char *lineage, int serial,
		     const char *parent, char out[41])
{
	struct err e = ERR_INIT;
	char id[16];
	json_t *d;

	snprintf(id, sizeof(id), "v%d", serial);
	d = doc(lineage, serial, id);
	if (state_store_write(st, d, parent, "test write", out, &e) < 0)
		fail_msg("write %d: %s", serial, e.msg);
	json_decref(d);
}

static void test_state_store__cas_conflict(void **state)
{
	struct fixture *fx = *state;
	struct state_store *a = NULL, *b = NULL;
	struct err e = ERR_INIT;
	char c1[41], c2[41], c3[41], got[41];
	json_t *d = NULL;

	assert_int_equal(state_store_open(&a, fx->dir, NULL, &e), 0);
	assert_int_equal(state_store_open(&b, fx->dir, "default", &e), 0);
	assert_int_equal(state_store_read(a, &d, got, &e), DCF_ENOTFOUND);
	assert_string_equal(got, "");

	write_ok(a, "L1", 1, NULL, c1);
	/* A second "first version" loses: a state already exists. */
	d = doc("L1", 1, "other");
	assert_int_equal(state_store_write(b, d, "", "x", c3, &e),
			 DCF_ECONFLICT);
	json_decref(d);

	/* Both read c1; a writes c2; b's write based on c1 is refused. */
	write_ok(a, "L1", 2, c1, c2);
	d = doc("L1", 2, "from-b");
	assert_int_equal(state_store_write(b, d, c1, "x", c3, &e),
			 DCF_ECONFLICT);
	assert_non_null(strstr(e.msg, "changed since it was read"));
	json_decref(d);

	/* The tip is still a's version. */
	assert_int_equal(state_store_read(b, &d, got, &e), 0);
	assert_string_equal(got, c2);
	assert_string_equal(
	    json_get_str(
		json_object_get(json_object_get(d, "resources"), "a.b"), "id",
		""),
	    "v2");
	json_decref(d);

	/* Serial must grow and lineage must not change. */
	d = doc("L1", 2, "same-serial");
	assert_int_equal(state_store_write(b, d, c2, "x", c3, &e),
			 DCF_EINVALID);
	json_decref(d);
	d = doc("L2", 3, "other-lineage");
	assert_int_equal(state_store_write(b, d, c2, "x", c3, &e),
			 DCF_EINVALID);
	assert_non_null(strstr(e.msg, "lineage"));
	json_decref(d);
	/* A garbage parent id is a conflict, not a crash. */
	d = doc("L1", 3, "bad-parent");
	assert_int_equal(state_store_write(b, d, "not-a-commit", "x", c3, &e),
			 DCF_ECONFLICT);
	json_decref(d);

	state_store_free(a);
	state_store_free(b);
}

static void test_state_store__history(void **state)
{
	struct fixture *fx = *state;
	struct state_store *st = NULL;
	struct err e = ERR_INIT;
	char c[4][41], got[41];
	json_t *h = NULL, *d = NULL;
	int i;

	assert_int_equal(state_store_open(&st, fx->dir, "ws1", &e), 0);
	assert_int_equal(state_store_history(st, 0, &h, &e), 0);
	assert_int_equal(json_array_size(h), 0);
	json_decref(h);

	write_ok(st, "L", 1, NULL, c[1]);
	write_ok(st, "L", 2, c[1], c[2]);
	write_ok(st, "L", 3, c[2], c[3]);
	assert_int_equal(state_store_history(st, 0, &h, &e), 0);
	assert_int_equal(json_array_size(h), 3);
	for (i = 0; i < 3; i++) {
		json_t *v = json_array_get(h, (size_t)i);

		assert_int_equal(json_get_int(v, "serial", 0), 3 - i);
		assert_string_equal(json_get_str(v, "commit", ""), c[3 - i]);
		assert_string_equal(json_get_str(v, "message", ""),
				    "test write");
	}
	json_decref(h);
	assert_int_equal(state_store_history(st, 2, &h, &e), 0);
	assert_int_equal(json_array_size(h), 2);
	json_decref(h);

	assert_int_equal(state_store_read_at(st, "2", &d, got, &e), 0);
	assert_string_equal(got, c[2]);
	assert_int_equal(json_get_int(d, "serial", 0), 2);
	json_decref(d);
	assert_int_equal(state_store_read_at(st, "HEAD~2", &d, got, &e), 0);
	assert_string_equal(got, c[1]);
	json_decref(d);
	assert_int_equal(state_store_read_at(st, c[3], &d, got, &e), 0);
	assert_int_equal(json_get_int(d, "serial", 0), 3);
	json_decref(d);
	assert_int_equal(state_store_read_at(st, "9", &d, got, &e),
			 DCF_ENOTFOUND);
	state_store_free(st);
}

/* A version written by a newer dcform (format_version 2) is refused on
 * read, and this dcform never writes one. */
static void test_state_store__future_format(void **state)
{
	struct fixture *fx = *state;
	struct state_store *st = NULL;
	struct err e = ERR_INIT;
	git_repository *repo = NULL;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_oid blob, tid, cid;
	const char *text = "{\"format_version\": 2, \"lineage\": \"L\", "
			   "\"serial\": 1, \"resources\": {}}\n";
	char got[41], *path;
	json_t *d;

	assert_int_equal(state_store_open(&st, fx->dir, NULL, &e), 0);
	d = doc("L", 1, "x");
	json_object_set_new(d, "format_version", json_integer(2));
	assert_int_equal(state_store_write(st, d, NULL, "x", got, &e),
			 DCF_EINVALID);
	json_decref(d);

	path = xasprintf("%s/.dcform/state.git", fx->dir);
	assert_int_equal(git_repository_open_bare(&repo, path), 0);
	free(path);
	assert_int_equal(
	    git_blob_create_from_buffer(&blob, repo, text, strlen(text)), 0);
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, "state.json", &blob,
						GIT_FILEMODE_BLOB),
			 0);
	assert_int_equal(git_treebuilder_write(&tid, tb), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tid), 0);
	assert_int_equal(git_signature_now(&sig, "future", "f@x"), 0);
	assert_int_equal(git_commit_create(&cid, repo, "refs/heads/default",
					   sig, sig, NULL, "future\n", tree, 0,
					   NULL),
			 0);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_repository_free(repo);

	d = NULL;
	assert_int_equal(state_store_read(st, &d, got, &e), DCF_EINVALID);
	assert_null(d);
	assert_non_null(strstr(e.msg, "newer than this dcform"));
	state_store_free(st);
}

static void test_state_store__modes(void **state)
{
	struct fixture *fx = *state;
	struct state_store *st = NULL;
	struct state_lock *lk = NULL;
	struct err e = ERR_INIT;
	struct stat sb;
	char *p;
	mode_t old = umask(022);

	assert_int_equal(state_store_open(&st, fx->dir, NULL, &e), 0);
	assert_int_equal(state_lock_acquire(&lk, fx->dir, "test", 0, &e), 0);
	umask(old);
	p = xasprintf("%s/.dcform", fx->dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	free(p);
	p = xasprintf("%s/.dcform/state.git", fx->dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	free(p);
	p = xasprintf("%s/.dcform/lock", fx->dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(p);
	state_lock_release(lk);
	state_store_free(st);
}

static void test_state_store__workspaces(void **state)
{
	struct fixture *fx = *state;
	struct state_store *a = NULL, *b = NULL;
	struct err e = ERR_INIT;
	char c[41];
	json_t *ws = NULL, *d = NULL;
	static const char *const bad[] = {"../x",   ".hidden", "a/b",	 "-x",
					  "x.lock", "a..b",    "sp ace", ""};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct state_store *x = NULL;

		if (!bad[i][0])
			continue; /* "" means default */
		assert_int_equal(state_store_open(&x, fx->dir, bad[i], &e),
				 DCF_EINVALID);
		assert_null(x);
	}
	assert_int_equal(state_store_open(&a, fx->dir, "default", &e), 0);
	assert_int_equal(state_store_open(&b, fx->dir, "staging", &e), 0);
	write_ok(a, "LA", 1, NULL, c);
	write_ok(b, "LB", 1, NULL, c);
	assert_int_equal(state_store_workspaces(a, &ws, &e), 0);
	assert_int_equal(json_array_size(ws), 2);
	json_decref(ws);
	/* Workspaces are separate states. */
	assert_int_equal(state_store_read(b, &d, c, &e), 0);
	assert_string_equal(json_get_str(d, "lineage", ""), "LB");
	json_decref(d);
	state_store_free(a);
	state_store_free(b);
}

static void test_state_store__lock(void **state)
{
	struct fixture *fx = *state;
	struct state_lock *l1 = NULL, *l2 = NULL;
	struct err e = ERR_INIT;
	json_t *info = NULL;

	assert_int_equal(state_lock_info(fx->dir, &info, &e), DCF_ENOTFOUND);
	assert_int_equal(state_lock_acquire(&l1, fx->dir, "apply", 0, &e), 0);
	assert_int_equal(state_lock_acquire(&l2, fx->dir, "plan", 100, &e),
			 DCF_ELOCKED);
	assert_null(l2);
	assert_non_null(strstr(e.msg, "apply"));
	assert_int_equal(state_lock_info(fx->dir, &info, &e), 0);
	assert_string_equal(json_get_str(info, "operation", ""), "apply");
	/* A live holder cannot be broken, and the id must match. */
	assert_int_equal(state_lock_force(fx->dir, "nope", &e), DCF_EINVALID);
	assert_int_equal(
	    state_lock_force(fx->dir, json_get_str(info, "id", ""), &e),
	    DCF_ELOCKED);
	json_decref(info);
	state_lock_release(l1);
	assert_int_equal(state_lock_acquire(&l2, fx->dir, "plan", 0, &e), 0);
	state_lock_release(l2);
}

/* A bare "server" repository and a backend pointing at it. */
static json_t *make_remote(const char *dir, const char *name, int file_url)
{
	git_repository *r = NULL;
	char *path = xasprintf("%s/%s.git", dir, name);
	json_t *b;

	git_libgit2_init();
	assert_int_equal(git_repository_init(&r, path, 1), 0);
	git_repository_free(r);
	git_libgit2_shutdown();
	if (file_url) {
		char *url = xasprintf("file://%s", path);

		b = state_backend_json(url, NULL);
		free(url);
	} else {
		b = state_backend_json(path, "infra/state");
	}
	free(path);
	return b;
}

static void test_state_store__remote_cas(void **state)
{
	struct fixture *fx = *state;
	struct state_store *a = NULL, *b = NULL;
	struct err e = ERR_INIT;
	char c1[41], c2[41], c3[41], got[41];
	char *wa = xasprintf("%s/a", fx->dir), *wb = xasprintf("%s/b", fx->dir);
	json_t *be = make_remote(fx->dir, "server", 1), *d = NULL, *h = NULL;

	assert_int_equal(state_store_open_backend(&a, wa, NULL, be, &e), 0);
	assert_int_equal(state_store_open_backend(&b, wb, NULL, be, &e), 0);
	assert_non_null(strstr(state_store_location(a), "(dcform-state)"));
	assert_int_equal(state_store_read(b, &d, got, &e), DCF_ENOTFOUND);

	write_ok(a, "L", 1, NULL, c1);
	/* b sees a's version through the remote. */
	assert_int_equal(state_store_read(b, &d, got, &e), 0);
	assert_string_equal(got, c1);
	json_decref(d);
	/* Both based on c1: a wins, b is refused and told. */
	write_ok(a, "L", 2, c1, c2);
	d = doc("L", 2, "from-b");
	assert_int_equal(state_store_write(b, d, c1, "x", c3, &e),
			 DCF_ECONFLICT);
	assert_non_null(strstr(e.msg, "run dcform plan again"));
	json_decref(d);
	/* b's first-version attempt on an existing remote state loses too. */
	d = doc("L9", 1, "from-b");
	assert_int_equal(state_store_write(b, d, NULL, "x", c3, &e),
			 DCF_ECONFLICT);
	json_decref(d);
	write_ok(b, "L", 3, c2, c3);
	assert_int_equal(state_store_history(a, 0, &h, &e), 0);
	assert_int_equal(json_array_size(h), 3);
	assert_string_equal(json_get_str(json_array_get(h, 0), "commit", ""),
			    c3);
	json_decref(h);
	assert_int_equal(state_store_read_at(a, "1", &d, got, &e), 0);
	assert_string_equal(got, c1);
	json_decref(d);

	/* The push itself is a compare-and-swap on the remote ref. */
	{
		git_repository *repo = NULL;
		struct state_backend sb;
		git_oid stale, actual;

		assert_int_equal(state_repo_open(&repo, wa, &e), 0);
		assert_int_equal(state_backend_parse(&sb, be, wa, &e), 0);
		git_oid_fromstr(&stale, c1);
		assert_int_equal(state_remote_push_cas(
				     repo, &sb, "refs/dcform/cache/default",
				     "refs/heads/dcform-state", &stale, &actual,
				     &e),
				 DCF_ECONFLICT);
		assert_int_equal(git_oid_streq(&actual, c3), 0);
		/* Deleting needs the right old value too. */
		assert_int_equal(state_remote_push_cas(
				     repo, &sb, NULL, "refs/heads/dcform-state",
				     &stale, NULL, &e),
				 DCF_ECONFLICT);
		state_backend_release(&sb);
		git_repository_free(repo);
	}
	state_store_free(a);
	state_store_free(b);
	json_decref(be);
	free(wa);
	free(wb);
}

static void test_state_store__remote_workspaces(void **state)
{
	struct fixture *fx = *state;
	struct state_store *a = NULL, *b = NULL;
	struct err e = ERR_INIT;
	char c[41];
	json_t *be = make_remote(fx->dir, "infra", 0), *ws = NULL;
	git_repository *srv = NULL;
	git_oid id;
	char *path = xasprintf("%s/infra.git", fx->dir);

	assert_int_equal(state_store_open_backend(&a, fx->dir, NULL, be, &e),
			 0);
	assert_int_equal(state_store_open_backend(&b, fx->dir, "prod", be, &e),
			 0);
	write_ok(a, "LA", 1, NULL, c);
	write_ok(b, "LB", 1, NULL, c);
	assert_int_equal(state_store_workspaces(a, &ws, &e), 0);
	assert_int_equal(json_array_size(ws), 2);
	json_decref(ws);
	assert_int_equal(git_repository_open_bare(&srv, path), 0);
	assert_int_equal(
	    git_reference_name_to_id(&id, srv, "refs/heads/infra/state"), 0);
	assert_int_equal(
	    git_reference_name_to_id(&id, srv, "refs/heads/infra/state--prod"),
	    0);
	assert_int_equal(git_oid_streq(&id, c), 0);
	git_repository_free(srv);
	state_store_free(a);
	state_store_free(b);
	json_decref(be);
	free(path);
}

static void test_state_store__backend_parse(void **state)
{
	struct fixture *fx = *state;
	struct state_backend b;
	struct err e = ERR_INIT;
	json_t *j;

	assert_int_equal(state_backend_parse(&b, NULL, fx->dir, &e), 0);
	assert_null(b.url);
	j = state_backend_json("https://me:s3cret@git.example/x.git", NULL);
	assert_int_equal(state_backend_parse(&b, j, fx->dir, &e), 0);
	assert_string_equal(b.branch, "dcform-state");
	assert_string_equal(b.shown, "https://git.example/x.git");
	assert_null(strstr(b.shown, "s3cret"));
	state_backend_release(&b);
	json_decref(j);
	j = state_backend_json("http://plain/x.git", NULL);
	assert_int_equal(state_backend_parse(&b, j, fx->dir, &e), DCF_EINVALID);
	json_decref(j);
	j = state_backend_json("file:///x.git", "../up");
	assert_int_equal(state_backend_parse(&b, j, fx->dir, &e), DCF_EINVALID);
	json_decref(j);
	j = state_backend_json("rel/state.git", NULL);
	assert_int_equal(state_backend_parse(&b, j, "/cfg", &e), 0);
	assert_string_equal(b.url, "/cfg/rel/state.git");
	state_backend_release(&b);
	json_decref(j);
	assert_true(state_name_ok("a-b_c.1"));
	assert_false(state_name_ok("../x"));
	assert_false(state_name_ok(".x"));
	assert_false(state_name_ok("a/b"));
}

static void test_state_store__remote_lock(void **state)
{
	struct fixture *fx = *state;
	struct state_lock *l1 = NULL, *l2 = NULL;
	struct err e = ERR_INIT;
	char *wa = xasprintf("%s/a", fx->dir), *wb = xasprintf("%s/b", fx->dir);
	json_t *be = make_remote(fx->dir, "server", 1), *h = NULL, *gone = NULL;
	char id[64];

	assert_int_equal(state_lock_info_backend(wa, be, NULL, &h, &e),
			 DCF_ENOTFOUND);
	assert_int_equal(
	    state_lock_acquire_backend(&l1, wa, be, NULL, "apply", 0, &e), 0);
	/* Another working copy cannot take it, even waiting a little. */
	assert_int_equal(
	    state_lock_acquire_backend(&l2, wb, be, NULL, "plan", 300, &e),
	    DCF_ELOCKED);
	assert_null(l2);
	assert_non_null(strstr(e.msg, "(apply)"));
	assert_non_null(strstr(e.msg, "seconds ago"));
	assert_non_null(strstr(e.msg, "dcform force-unlock"));
	/* Another workspace has its own lock. */
	assert_int_equal(
	    state_lock_acquire_backend(&l2, wb, be, "prod", "plan", 0, &e), 0);
	state_lock_release(l2);
	l2 = NULL;
	assert_int_equal(state_lock_info_backend(wb, be, NULL, &h, &e), 0);
	assert_string_equal(json_get_str(h, "operation", ""), "apply");
	snprintf(id, sizeof(id), "%s", json_get_str(h, "id", ""));
	json_decref(h);

	/* force-unlock: a wrong or malformed id changes nothing. */
	assert_int_equal(
	    state_lock_force_backend(wb, be, NULL, "nope", NULL, &e),
	    DCF_EINVALID);
	assert_int_equal(
	    state_lock_force_backend(wb, be, NULL, "../x", NULL, &e),
	    DCF_EINVALID);
	assert_int_equal(state_lock_force_backend(wb, be, "../x", id, NULL, &e),
			 DCF_EINVALID);
	assert_int_equal(state_lock_force_backend(wb, be, NULL, id, &gone, &e),
			 0);
	assert_string_equal(json_get_str(gone, "id", ""), id);
	json_decref(gone);
	assert_int_equal(state_lock_info_backend(wb, be, NULL, &h, &e),
			 DCF_ENOTFOUND);
	/* b takes it now; a's release must not delete b's lock. */
	assert_int_equal(
	    state_lock_acquire_backend(&l2, wb, be, NULL, "apply", 0, &e), 0);
	assert_int_equal(state_lock_release_checked(l1, &e), DCF_ECONFLICT);
	assert_int_equal(state_lock_info_backend(wa, be, NULL, &h, &e), 0);
	json_decref(h);
	assert_int_equal(state_lock_release_checked(l2, &e), 0);
	assert_int_equal(state_lock_info_backend(wa, be, NULL, &h, &e),
			 DCF_ENOTFOUND);
	json_decref(be);
	free(wa);
	free(wb);
}

static void test_state_store__migrate(void **state)
{
	struct fixture *fx = *state;
	struct state_store *loc = NULL, *rem = NULL, *prod = NULL;
	struct err e = ERR_INIT;
	char c[8][41], got[41];
	json_t *be = make_remote(fx->dir, "server", 1), *rep = NULL, *h = NULL;
	json_t *d = NULL;

	assert_int_equal(state_store_migrate(fx->dir, NULL, be, &rep, &e),
			 DCF_ENOTFOUND);
	json_decref(rep);
	assert_int_equal(state_store_open(&loc, fx->dir, NULL, &e), 0);
	assert_int_equal(state_store_open(&prod, fx->dir, "prod", &e), 0);
	write_ok(loc, "L", 1, NULL, c[1]);
	write_ok(loc, "L", 2, c[1], c[2]);
	write_ok(loc, "L", 3, c[2], c[3]);
	write_ok(prod, "P", 1, NULL, c[0]);
	state_store_free(prod);

	assert_int_equal(state_store_migrate(fx->dir, NULL, be, &rep, &e), 0);
	assert_int_equal(json_array_size(rep), 2);
	assert_string_equal(
	    json_get_str(json_array_get(rep, 0), "workspace", ""), "default");
	assert_int_equal(json_get_int(json_array_get(rep, 0), "versions", 0),
			 3);
	assert_string_equal(json_get_str(json_array_get(rep, 0), "result", ""),
			    "copied");
	json_decref(rep);
	/* The same commits, the whole history, through the remote. */
	assert_int_equal(state_store_open_backend(&rem, fx->dir, NULL, be, &e),
			 0);
	assert_int_equal(state_store_history(rem, 0, &h, &e), 0);
	assert_int_equal(json_array_size(h), 3);
	assert_string_equal(json_get_str(json_array_get(h, 2), "commit", ""),
			    c[1]);
	json_decref(h);
	/* Again: nothing to do. */
	assert_int_equal(state_store_migrate(fx->dir, NULL, be, &rep, &e), 0);
	assert_string_equal(json_get_str(json_array_get(rep, 0), "result", ""),
			    "up to date");
	json_decref(rep);

	/* A version written on the remote comes back with --to local. */
	write_ok(rem, "L", 4, c[3], c[4]);
	assert_int_equal(state_store_migrate(fx->dir, be, NULL, &rep, &e), 0);
	json_decref(rep);
	assert_int_equal(state_store_read(loc, &d, got, &e), 0);
	assert_string_equal(got, c[4]);
	json_decref(d);

	/* Diverged: refused, both sides unchanged. */
	write_ok(loc, "L", 5, c[4], c[5]);
	d = doc("L", 5, "written-remotely");
	assert_int_equal(state_store_write(rem, d, c[4], "x", c[6], &e), 0);
	json_decref(d);
	assert_string_not_equal(c[5], c[6]);
	assert_int_equal(state_store_migrate(fx->dir, NULL, be, &rep, &e),
			 DCF_ECONFLICT);
	assert_non_null(strstr(e.msg, "refusing to overwrite"));
	json_decref(rep);
	assert_int_equal(state_store_read(rem, &d, got, &e), 0);
	assert_string_equal(got, c[6]);
	json_decref(d);
	/* Remote to remote is refused. */
	assert_int_equal(state_store_migrate(fx->dir, be, be, &rep, &e),
			 DCF_EINVALID);
	json_decref(rep);
	state_store_free(loc);
	state_store_free(rem);
	json_decref(be);
}

/* The number a shell pipeline about dir's state repository prints. */
static int count_sh(const char *fmt, const char *dir)
{
	char *cmd = xasprintf(fmt, dir);
	FILE *p = popen(cmd, "r");
	int n = -1;

	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	free(cmd);
	return n;
}

/* Loose objects under objects/ (objects/xx/<38 hex>: not packs, nor
 * the temporary file of a write that was killed). */
static int count_loose(const char *dir)
{
	return count_sh("find %s/.dcform/state.git/objects -type f "
			"! -path '*/pack/*' ! -path '*/info/*' | "
			"grep -c '/[0-9a-f][0-9a-f]/[0-9a-f]\\{38\\}$'",
			dir);
}

static int count_packs(const char *dir)
{
	return count_sh("ls %s/.dcform/state.git/objects/pack/ 2>/dev/null | "
			"grep -c '[.]pack$'",
			dir);
}

static void read_every_serial(struct state_store *st, int upto)
{
	struct err e = ERR_INIT;
	char c[41], rev[16];
	json_t *d;
	int i;

	for (i = 1; i <= upto; i++) {
		snprintf(rev, sizeof(rev), "%d", i);
		if (state_store_read_at(st, rev, &d, c, &e) < 0)
			fail_msg("serial %d: %s", i, e.msg);
		assert_int_equal(json_get_int(d, "serial", 0), i);
		json_decref(d);
	}
}

/* Every 32 versions the loose copies go into a pack (deltas), made on a
 * thread of its own while the command goes on, at the latest when the
 * store is closed; every version stays readable. */
static void test_state_store__packs_versions(void **state)
{
	struct fixture *fx = *state;
	struct state_store *st = NULL;
	struct err e = ERR_INIT;
	char c[41] = "";
	int i;

	assert_int_equal(state_store_open(&st, fx->dir, NULL, &e), 0);
	for (i = 1; i <= 31; i++)
		write_ok(st, "L", i, i > 1 ? c : NULL, c);
	state_store_free(st);
	assert_int_equal(count_packs(fx->dir), 0);
	assert_true(count_loose(fx->dir) >= 31 * 3);
	assert_int_equal(state_store_open(&st, fx->dir, NULL, &e), 0);
	write_ok(st, "L", 32, c, c);
	state_store_free(st);
	assert_int_equal(count_packs(fx->dir), 1);
	assert_int_equal(count_loose(fx->dir), 0);
	assert_int_equal(state_store_open(&st, fx->dir, NULL, &e), 0);
	for (i = 33; i <= 70; i++)
		write_ok(st, "L", i, c, c);
	state_store_free(st);
	/* 33..64 or so: a version written while the thread still looked
	 * at the one before is looked at with the next. */
	assert_int_equal(count_packs(fx->dir), 2);
	assert_true(count_loose(fx->dir) <= 6 * 3);
	assert_int_equal(state_store_open(&st, fx->dir, NULL, &e), 0);
	read_every_serial(st, 70);
	state_store_free(st);
}

/* Killed after the pack was written and before the loose copies went
 * (on the packing thread): both copies, nothing lost, and the next
 * versions go on. */
static void test_state_store__pack_interrupted(void **state)
{
	struct fixture *fx = *state;
	struct state_store *st = NULL;
	struct err e = ERR_INIT;
	char c[41] = "";
	json_t *d;
	pid_t pid;
	int i, status, serial;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("DCFORM_TEST_CRASH", "state-pack:1", 1);
		if (state_store_open(&st, fx->dir, NULL, &e) < 0)
			_exit(3);
		/* The kill comes from the packing thread: no write after
		 * the 32nd, so that it cannot land inside one (a ref's lock
		 * file left behind is another matter). */
		for (i = 1; i <= 32; i++)
			write_ok(st, "L", i, i > 1 ? c : NULL, c);
		state_store_free(st); /* killed at the latest here */
		_exit(4);	      /* not reached */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(count_packs(fx->dir), 1);
	assert_int_equal(state_store_open(&st, fx->dir, NULL, &e), 0);
	assert_int_equal(state_store_read(st, &d, c, &e), 0);
	serial = (int)json_get_int(d, "serial", 0);
	json_decref(d);
	assert_int_equal(serial, 32);
	assert_true(count_loose(fx->dir) >= serial * 3); /* none deleted */
	read_every_serial(st, serial);
	/* The next version packs again, what was left loose included. */
	write_ok(st, "L", serial + 1, c, c);
	state_store_free(st);
	assert_int_equal(count_loose(fx->dir), 0);
	assert_int_equal(count_packs(fx->dir), 2);
	assert_int_equal(state_store_open(&st, fx->dir, NULL, &e), 0);
	read_every_serial(st, serial + 1);
	state_store_free(st);
}

/* A version's blob, written by dcform's own loose writer: the id git
 * gives the same content, read back by libgit2 and by git itself, the
 * same content twice is one object, and no temporary file is left. */
static void test_state_store__loose_blob(void **state)
{
	struct fixture *fx = *state;
	char *path = xasprintf("%s/repo.git", fx->dir);
	git_repository *repo = NULL;
	git_oid id, want, again;
	git_blob *blob = NULL;
	size_t len = 300000, i;
	char *text = xmalloc(len + 1), hex[41];
	char *cmd;
	struct stat sb;

	for (i = 0; i < len; i++) /* compressible, not trivially */
		text[i] = (char)(' ' + (i * 7 + i / 13) % 90);
	text[len] = '\0';
	assert_int_equal(git_repository_init(&repo, path, 1), 0);
	assert_int_equal(git_odb_hash(&want, text, len, GIT_OBJECT_BLOB), 0);
	assert_int_equal(state_write_blob(repo, text, len, &id), 0);
	assert_true(git_oid_equal(&id, &want));
	assert_int_equal(git_blob_lookup(&blob, repo, &id), 0);
	assert_int_equal(git_blob_rawsize(blob), len);
	assert_memory_equal(git_blob_rawcontent(blob), text, len);
	git_blob_free(blob);
	assert_int_equal(state_write_blob(repo, text, len, &again), 0);
	assert_true(git_oid_equal(&again, &id));
	assert_int_equal(state_write_blob(repo, "", 0, &again), 0);
	assert_int_equal(git_odb_hash(&want, "", 0, GIT_OBJECT_BLOB), 0);
	assert_true(git_oid_equal(&again, &want));
	git_oid_tostr(hex, sizeof(hex), &id);
	/* Read-only, the owner's alone (the state holds secrets). */
	cmd = xasprintf("%s/objects/%.2s/%s", path, hex, hex + 2);
	assert_int_equal(stat(cmd, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0400);
	free(cmd);
	cmd = xasprintf("git --git-dir=%s fsck --strict --no-dangling && "
			"test \"$(git --git-dir=%s cat-file -s %s)\" = %zu && "
			"test -z \"$(find %s/objects -name 'tmp_*')\"",
			path, path, hex, len, path);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	git_repository_free(repo);
	free(text);
	free(path);
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

/* A ref's lock file left by a run killed while git moved the branch: the
 * write fails, names the file and says what to do; nothing is written;
 * once the file is gone, the write goes through.  Under dcform's own lock
 * of the state the write removes the file itself and goes on. */
static void test_state_store__stale_ref_lock(void **state)
{
	struct fixture *fx = *state;
	struct state_store *st = NULL;
	struct state_lock *lk = NULL;
	struct err e = ERR_INIT;
	char c1[41], c2[41], got[41];
	char *lock =
	    xasprintf("%s/.dcform/state.git/refs/heads/default.lock", fx->dir);
	json_t *d;

	assert_int_equal(state_store_open(&st, fx->dir, NULL, &e), 0);
	write_ok(st, "L", 1, NULL, c1);
	touch(lock);
	d = doc("L", 2, "v2");
	assert_true(state_store_write(st, d, c1, "test write", c2, &e) < 0);
	assert_non_null(strstr(e.msg, "default.lock"));
	assert_non_null(strstr(e.msg, "killed"));
	json_decref(d);
	assert_int_equal(state_store_read(st, &d, got, &e) == 0 ? 0 : -1, 0);
	assert_string_equal(got, c1);
	json_decref(d);
	assert_int_equal(remove(lock), 0);
	write_ok(st, "L", 2, c1, c2);
	/* Under dcform's own lock of the state no other dcform can be
	 * writing: the left lock file is removed and the write goes on. */
	touch(lock);
	assert_int_equal(state_lock_acquire(&lk, fx->dir, "test", 0, &e), 0);
	write_ok(st, "L", 3, c2, got);
	assert_int_equal(access(lock, F_OK), -1);
	state_lock_release(lk);
	/* Released: refused again. */
	touch(lock);
	d = doc("L", 4, "v4");
	assert_true(state_store_write(st, d, got, "test write", c2, &e) < 0);
	json_decref(d);
	assert_int_equal(remove(lock), 0);
	state_store_free(st);
	free(lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_state_store__cas_conflict,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__history, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__future_format,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__modes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__workspaces, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__lock, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__remote_cas, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__remote_workspaces,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__backend_parse,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__remote_lock,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__packs_versions,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__stale_ref_lock,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__loose_blob, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__pack_interrupted,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_store__migrate, setup,
					    teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	git_libgit2_shutdown();
	return rc;
}
