/*
 * remote.c: fetch, ls-remote and compare-and-swap pushes of state refs.
 * See remote.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/state/remote.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"

/* ---- names and URLs ---------------------------------------------------- */

int state_name_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (!n || n > 64 || s[0] == '.' || s[0] == '-' || strstr(s, ".."))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '.' || s[i] == '-'))
			return 0;
	return !str_ends_with(s, ".lock");
}

static int branch_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > 100 || s[0] == '/' || s[0] == '.' || s[0] == '-' ||
	    s[n - 1] == '/' || strstr(s, "..") || strstr(s, "//") ||
	    strstr(s, "/.") || strstr(s, "--") || str_ends_with(s, ".lock"))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '.' || s[i] == '-' || s[i] == '/'))
			return 0;
	return 1;
}

/* The URL without "user:secret@" in its authority. */
static char *redact(const char *url)
{
	const char *p = strstr(url, "://"), *at, *slash;

	if (!p)
		return xstrdup(url);
	p += 3;
	slash = strchr(p, '/');
	at = strchr(p, '@');
	if (!at || (slash && at > slash))
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(p - url), url, at + 1);
}

static int is_local(const struct state_backend *b)
{
	return str_starts_with(b->url, "file://") || b->url[0] == '/';
}

static const char *local_path(const struct state_backend *b)
{
	return str_starts_with(b->url, "file://") ? b->url + 7 : b->url;
}

int state_backend_parse(struct state_backend *out, const json_t *backend,
			const char *dir, struct err *e)
{
	const json_t *git = json_object_get(backend, "git");
	const char *url, *branch;

	memset(out, 0, sizeof(*out));
	if (!backend || json_is_null(backend) ||
	    json_object_get(backend, "local"))
		return 0;
	if (!json_is_object(git) ||
	    !json_is_string(json_object_get(git, "url")))
		return err_set(e, DCF_EINVALID,
			       "backend: expected {git: {url: …, branch: …}}");
	url = json_string_value(json_object_get(git, "url"));
	branch = json_get_str(git, "branch", STATE_REMOTE_DEFAULT_BRANCH);
	if (!branch_ok(branch))
		return err_set(e, DCF_EINVALID,
			       "backend: invalid branch name '%s'", branch);
	if (strstr(url, "://")) {
		if (!str_starts_with(url, "file://") &&
		    !str_starts_with(url, "git://") &&
		    !str_starts_with(url, "ssh://") &&
		    !str_starts_with(url, "https://")) {
			char *shown = redact(url);
			int ret = err_set(e, DCF_EINVALID,
					  "backend: unsupported URL '%s': use "
					  "file://, git://, ssh:// or https://",
					  shown);

			free(shown);
			return ret;
		}
		if (str_starts_with(url, "file://") && url[7] != '/')
			return err_set(e, DCF_EINVALID,
				       "backend: '%s': a file:// URL needs an "
				       "absolute path",
				       url);
		out->url = xstrdup(url);
	} else if (!url[0]) {
		return err_set(e, DCF_EINVALID, "backend: empty URL");
	} else if (url[0] == '/') {
		out->url = xstrdup(url);
	} else if (strchr(url, ':') &&
		   (!strchr(url, '/') || strchr(url, ':') < strchr(url, '/'))) {
		out->url = xstrdup(url); /* scp-like ssh: user@host:path */
	} else {
		char cwd[4096];

		if (dir[0] == '/')
			out->url = xasprintf("%s/%s", dir, url);
		else if (getcwd(cwd, sizeof(cwd)))
			out->url = xasprintf("%s/%s/%s", cwd, dir, url);
		else
			return err_set(e, DCF_ERROR, "getcwd: %s",
				       strerror(errno));
	}
	out->branch = xstrdup(branch);
	out->shown = redact(out->url);
	return 0;
}

json_t *state_backend_json(const char *url, const char *branch)
{
	json_t *g = json_pack("{s:s}", "url", url);

	if (branch)
		json_object_set_new(g, "branch", json_string(branch));
	return json_pack("{s:o}", "git", g);
}

void state_backend_release(struct state_backend *b)
{
	if (!b)
		return;
	free(b->url);
	free(b->branch);
	free(b->shown);
	memset(b, 0, sizeof(*b));
}

char *state_remote_branch_ref(const char *branch, const char *workspace)
{
	if (!workspace || !*workspace || !strcmp(workspace, "default"))
		return xasprintf("refs/heads/%s", branch);
	return xasprintf("refs/heads/%s--%s", branch, workspace);
}

/* ---- errors ------------------------------------------------------------ */

int state_git_fail(struct err *e, int gitcode, const char *what)
{
	const git_error *g = git_error_last();
	const char *msg = g && g->message ? g->message : "libgit2 error";
	int code = DCF_ERROR;

	if (gitcode == GIT_EAUTH)
		code = DCF_EAUTH;
	else if (g && (g->klass == GIT_ERROR_NET || g->klass == GIT_ERROR_SSH ||
		       g->klass == GIT_ERROR_HTTP || g->klass == GIT_ERROR_SSL))
		code = DCF_ENETWORK;
	return err_set(e, code, "%s: %s", what, msg);
}

/* ---- the cache repository ---------------------------------------------- */

int state_repo_open(git_repository **out, const char *dir, struct err *e)
{
	char *dot = fs_join(dir, ".dcform"), *path = NULL;
	static int init;
	int ret;

	*out = NULL;
	if (!init) {
		git_libgit2_init();
		init = 1;
	}
	ret = fs_mkdir_p(dot, 0700, e);
	if (ret < 0)
		goto out;
	chmod(dot, 0700);
	path = fs_join(dot, "state.git");
	if (git_repository_open_bare(out, path) < 0) {
		mode_t old = umask(077);

		ret = git_repository_init(out, path, 1);
		umask(old);
		if (ret < 0) {
			ret = state_git_fail(e, ret,
					     "cannot create the state "
					     "repository");
			goto out;
		}
		chmod(path, 0700);
	}
	ret = 0;
out:
	free(dot);
	free(path);
	return ret;
}

/* ---- callbacks --------------------------------------------------------- */

struct cbdata {
	int cred_tries;
	int no_token;
	/* push */
	const char *remote_ref;
	git_oid expected;
	int mismatch;
	git_oid actual;
	char *rejected;
};

static int cred_cb(git_credential **out, const char *url,
		   const char *user_from_url, unsigned int allowed,
		   void *payload)
{
	struct cbdata *cb = payload;

	(void)url;
	if (++cb->cred_tries > 3)
		return GIT_EAUTH;
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (cb->cred_tries > 1)
			return GIT_EAUTH; /* the agent's keys were refused */
		return git_credential_ssh_key_from_agent(
		    out, user_from_url ? user_from_url : "git");
	}
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		const char *token = getenv("DCFORM_GIT_TOKEN");
		const char *user = getenv("DCFORM_GIT_USERNAME");

		if (!token || !*token || cb->cred_tries > 1) {
			cb->no_token = !token || !*token;
			return GIT_EAUTH;
		}
		if (!user || !*user)
			user = user_from_url ? user_from_url : "x-access-token";
		return git_credential_userpass_plaintext_new(out, user, token);
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(
		    out, user_from_url ? user_from_url : "git");
	return GIT_PASSTHROUGH;
}

static void callbacks_init(git_remote_callbacks *cbs, struct cbdata *cb)
{
	git_remote_init_callbacks(cbs, GIT_REMOTE_CALLBACKS_VERSION);
	cbs->credentials = cred_cb;
	cbs->payload = cb;
}

static int remote_fail(struct err *e, int gitcode,
		       const struct state_backend *b, const struct cbdata *cb,
		       const char *what)
{
	char *ctx;
	int ret;

	if (cb->no_token)
		return err_set(e, DCF_EAUTH,
			       "%s %s: the remote asks for credentials: set "
			       "DCFORM_GIT_TOKEN (and DCFORM_GIT_USERNAME)",
			       what, b->shown);
	ctx = xasprintf("%s %s", what, b->shown);
	ret = state_git_fail(e, gitcode, ctx);
	free(ctx);
	/* libgit2 messages may quote the URL: never show its secret. */
	if (strcmp(b->url, b->shown)) {
		const char *p = strstr(b->url, "://") + 3;
		size_t n = (size_t)(strchr(p, '@') - p);
		char *ui = xstrndup(p, n), *hit;

		while (n && (hit = strstr(e->msg, ui)))
			memset(hit, '*', n);
		free(ui);
	}
	return ret;
}

/* ---- ls-remote and fetch ----------------------------------------------- */

/*
 * An anonymous remote for b->url.  insteadOf rewriting is skipped: the URL
 * is the manifest's, and libgit2 1.5's regex config scan leaks per entry.
 */
static int create_remote(git_remote **out, git_repository *repo,
			 const struct state_backend *b)
{
	git_remote_create_options o;

	git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	o.repository = repo;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		  GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	return git_remote_create_with_opts(out, b->url, &o);
}

static int connect_remote(git_remote **r, git_repository *repo,
			  const struct state_backend *b, git_direction dir,
			  struct cbdata *cb, struct err *e)
{
	git_remote_callbacks cbs;
	git_proxy_options px;
	int ret;

	callbacks_init(&cbs, cb);
	/* https_proxy and http.proxy apply, as with git. */
	git_proxy_options_init(&px, GIT_PROXY_OPTIONS_VERSION);
	px.type = GIT_PROXY_AUTO;
	*r = NULL;
	ret = create_remote(r, repo, b);
	if (ret < 0)
		return remote_fail(e, ret, b, cb, "cannot use the remote");
	ret = git_remote_connect(*r, dir, &cbs, &px, NULL);
	if (ret < 0) {
		ret = remote_fail(e, ret, b, cb, "cannot reach");
		git_remote_free(*r);
		*r = NULL;
	}
	return ret;
}

int state_remote_ls(json_t **out, git_repository *repo,
		    const struct state_backend *b, const char *prefix,
		    struct err *e)
{
	struct cbdata cb = {0};
	git_remote *r = NULL;
	const git_remote_head **heads;
	size_t i, n;
	json_t *obj;
	int ret;

	ret = connect_remote(&r, repo, b, GIT_DIRECTION_FETCH, &cb, e);
	if (ret < 0)
		return ret;
	ret = git_remote_ls(&heads, &n, r);
	if (ret < 0) {
		ret = remote_fail(e, ret, b, &cb, "cannot list the refs of");
		goto out;
	}
	obj = json_object();
	for (i = 0; i < n; i++) {
		char hex[GIT_OID_HEXSZ + 1];

		if (!str_starts_with(heads[i]->name, prefix))
			continue;
		git_oid_tostr(hex, sizeof(hex), &heads[i]->oid);
		json_object_set_new(obj, heads[i]->name, json_string(hex));
	}
	*out = obj;
out:
	git_remote_disconnect(r);
	git_remote_free(r);
	return ret;
}

int state_remote_fetch(git_repository *repo, const struct state_backend *b,
		       const char *remote_ref, const char *local_ref,
		       int *found, git_oid *oid, struct err *e)
{
	struct cbdata cb = {0};
	git_remote *r = NULL;
	git_reference *ref = NULL;
	const git_remote_head **heads;
	const git_oid *roid = NULL;
	git_odb *odb = NULL;
	size_t i, n;
	int ret;

	*found = 0;
	ret = connect_remote(&r, repo, b, GIT_DIRECTION_FETCH, &cb, e);
	if (ret < 0)
		return ret;
	ret = git_remote_ls(&heads, &n, r);
	if (ret < 0) {
		ret = remote_fail(e, ret, b, &cb, "cannot list the refs of");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(heads[i]->name, remote_ref))
			roid = &heads[i]->oid;
	if (!roid) {
		if (git_reference_lookup(&ref, repo, local_ref) == 0 &&
		    git_reference_delete(ref) < 0) {
			ret = state_git_fail(e, -1, "cannot update the cache");
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (oid)
		git_oid_cpy(oid, roid);
	if ((ret = git_repository_odb(&odb, repo)) < 0) {
		ret = state_git_fail(e, ret, "cannot open the cache");
		goto out;
	}
	if (!git_odb_exists(odb, roid)) {
		git_fetch_options fo;
		char *spec = xstrdup(remote_ref);
		git_strarray specs = {&spec, 1};

		git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
		callbacks_init(&fo.callbacks, &cb);
		fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
		fo.update_fetchhead = 0;
		fo.proxy_opts.type = GIT_PROXY_AUTO;
		ret = git_remote_download(r, &specs, &fo);
		free(spec);
		if (ret < 0) {
			ret = remote_fail(e, ret, b, &cb, "cannot fetch from");
			goto out;
		}
	}
	/* The id came from the remote's advertisement, before download. */
	{
		git_oid id;

		git_oid_cpy(&id, roid);
		git_reference_free(ref);
		ref = NULL;
		ret = git_reference_create(&ref, repo, local_ref, &id, 1,
					   "dcform: fetch");
		if (ret < 0) {
			ret = state_git_fail(e, ret, "cannot update the cache");
			goto out;
		}
	}
	*found = 1;
	ret = 0;
out:
	git_odb_free(odb);
	git_reference_free(ref);
	git_remote_disconnect(r);
	git_remote_free(r);
	return ret;
}

/* ---- compare-and-swap pushes ------------------------------------------- */

static int negotiate_cb(const git_push_update **updates, size_t len,
			void *payload)
{
	struct cbdata *cb = payload;
	size_t i;

	for (i = 0; i < len; i++) {
		if (strcmp(updates[i]->dst_refname, cb->remote_ref))
			continue;
		if (!git_oid_equal(&updates[i]->src, &cb->expected)) {
			cb->mismatch = 1;
			git_oid_cpy(&cb->actual, &updates[i]->src);
			git_error_set_str(GIT_ERROR_REFERENCE,
					  "the remote ref moved");
			return GIT_EMODIFIED;
		}
	}
	return 0;
}

static int update_ref_cb(const char *refname, const char *status, void *payload)
{
	struct cbdata *cb = payload;

	if (status && !strcmp(refname, cb->remote_ref) && !cb->rejected)
		cb->rejected = xstrdup(status);
	return 0;
}

/* Copy a tree or blob (trees recursively) into dst unless present. */
static int copy_object(git_odb *dst, git_odb *src, git_repository *repo,
		       const git_oid *id)
{
	git_odb_object *o = NULL;
	git_tree *t = NULL;
	git_oid out;
	size_t i, n;
	int ret;

	if (git_odb_exists(dst, id))
		return 0;
	if ((ret = git_odb_read(&o, src, id)) < 0)
		return ret;
	if (git_odb_object_type(o) == GIT_OBJECT_TREE &&
	    (ret = git_tree_lookup(&t, repo, id)) == 0) {
		n = git_tree_entrycount(t);
		for (i = 0; i < n && ret == 0; i++) {
			const git_tree_entry *te = git_tree_entry_byindex(t, i);

			if (git_tree_entry_type(te) == GIT_OBJECT_TREE ||
			    git_tree_entry_type(te) == GIT_OBJECT_BLOB)
				ret = copy_object(dst, src, repo,
						  git_tree_entry_id(te));
		}
	}
	/* The tree after its entries, so it never lacks one. */
	if (ret == 0)
		ret = git_odb_write(&out, dst, git_odb_object_data(o),
				    git_odb_object_size(o),
				    git_odb_object_type(o));
	git_tree_free(t);
	git_odb_object_free(o);
	return ret;
}

/* Copy every commit reachable from tip (and its trees) into dst. */
static int copy_history(git_repository *dstrepo, git_repository *repo,
			const git_oid *tip)
{
	git_odb *dst = NULL, *src = NULL;
	git_revwalk *w = NULL;
	git_oid id;
	int ret;

	if ((ret = git_repository_odb(&dst, dstrepo)) < 0 ||
	    (ret = git_repository_odb(&src, repo)) < 0 ||
	    (ret = git_revwalk_new(&w, repo)) < 0 ||
	    (ret = git_revwalk_push(w, tip)) < 0)
		goto out;
	while ((ret = git_revwalk_next(&id, w)) == 0) {
		git_commit *c = NULL;
		git_odb_object *o = NULL;
		git_oid out;

		if (git_odb_exists(dst, &id))
			continue; /* and so are its ancestors, most likely */
		if ((ret = git_odb_read(&o, src, &id)) < 0)
			break;
		if ((ret = git_commit_lookup(&c, repo, &id)) == 0)
			ret =
			    copy_object(dst, src, repo, git_commit_tree_id(c));
		/* The commit last, so it never lacks its tree. */
		if (ret == 0)
			ret = git_odb_write(&out, dst, git_odb_object_data(o),
					    git_odb_object_size(o),
					    GIT_OBJECT_COMMIT);
		git_commit_free(c);
		git_odb_object_free(o);
		if (ret < 0)
			break;
	}
	if (ret == GIT_ITEROVER)
		ret = 0;
out:
	git_revwalk_free(w);
	git_odb_free(src);
	git_odb_free(dst);
	return ret;
}

/* One attempt at the swap in the remote repository rr (loid NULL:
 * delete). */
static int swap_local(git_repository *rr, const git_oid *loid,
		      const char *remote_ref, const git_oid *expected)
{
	git_reference *ref = NULL;
	int ret;

	if (loid) {
		/* The old value (zero: must not exist) is compared under
		 * the ref's lock file; a plain create checks existence
		 * before taking the lock, so two creators could both win. */
		ret = git_reference_create_matching(
		    &ref, rr, remote_ref, loid, 1, expected, "dcform: push");
	} else {
		ret = git_reference_lookup(&ref, rr, remote_ref);
		if (ret == 0 &&
		    git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    git_oid_equal(git_reference_target(ref), expected))
			ret = git_reference_delete(ref);
		else if (ret == 0 || ret == GIT_ENOTFOUND)
			ret = GIT_EMODIFIED;
	}
	git_reference_free(ref);
	return ret;
}

/*
 * file:// and paths: libgit2's local transport updates refs without
 * checking their old value, so the swap is done here, under the ref's
 * lock file in the remote repository (the same lock git itself takes).
 */
static int push_cas_local(git_repository *repo, const struct state_backend *b,
			  const char *local_ref, const char *remote_ref,
			  const git_oid *expected, git_oid *actual,
			  struct err *e)
{
	git_repository *rr = NULL;
	git_oid loid;
	int ret, tries;

	ret = git_repository_open_ext(&rr, local_path(b),
				      GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (ret < 0) {
		char *what = xasprintf("cannot open the remote %s", b->shown);

		ret = state_git_fail(e, ret, what);
		free(what);
		return ret;
	}
	if (local_ref &&
	    ((ret = git_reference_name_to_id(&loid, repo, local_ref)) < 0 ||
	     (ret = copy_history(rr, repo, &loid)) < 0)) {
		ret = state_git_fail(e, ret,
				     "cannot copy the state to the "
				     "remote");
		goto out;
	}
	/*
	 * Another writer holding the ref's lock file is a race in progress:
	 * wait for it, then compare again (it will usually have moved the
	 * ref).  A lock file that stays is an error, not a conflict.
	 */
	for (tries = 0;; tries++) {
		ret = swap_local(rr, local_ref ? &loid : NULL, remote_ref,
				 expected);
		if (ret != GIT_ELOCKED || tries >= 100)
			break;
		usleep(20000 + (useconds_t)((unsigned)getpid() * 7919u +
					    (unsigned)tries * 104729u) %
				   20000u);
	}
	if (ret == GIT_EEXISTS || ret == GIT_EMODIFIED ||
	    ret == GIT_ENOTFOUND) {
		git_oid now;

		if (actual) {
			if (git_reference_name_to_id(&now, rr, remote_ref) == 0)
				git_oid_cpy(actual, &now);
			else
				memset(actual, 0, sizeof(*actual));
		}
		ret = err_set(e, DCF_ECONFLICT, "%s on %s moved", remote_ref,
			      b->shown);
	} else if (ret < 0) {
		ret = state_git_fail(e, ret, "cannot update the remote ref");
	}
out:
	git_repository_free(rr);
	return ret;
}

int state_remote_push_cas(git_repository *repo, const struct state_backend *b,
			  const char *local_ref, const char *remote_ref,
			  const git_oid *expected, git_oid *actual,
			  struct err *e)
{
	struct cbdata cb = {0};
	git_push_options po;
	git_remote *r = NULL;
	char *spec;
	git_strarray specs;
	int ret;

	if (actual)
		memset(actual, 0, sizeof(*actual));
	if (is_local(b))
		return push_cas_local(repo, b, local_ref, remote_ref, expected,
				      actual, e);
	cb.remote_ref = remote_ref;
	git_oid_cpy(&cb.expected, expected);
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	callbacks_init(&po.callbacks, &cb);
	po.callbacks.push_negotiation = negotiate_cb;
	po.callbacks.push_update_reference = update_ref_cb;
	po.proxy_opts.type = GIT_PROXY_AUTO;
	spec = xasprintf("%s:%s", local_ref ? local_ref : "", remote_ref);
	specs.strings = &spec;
	specs.count = 1;
	ret = create_remote(&r, repo, b);
	if (ret < 0) {
		ret = remote_fail(e, ret, b, &cb, "cannot use the remote");
		goto out;
	}
	ret = git_remote_push(r, &specs, &po);
	if (cb.mismatch) {
		if (actual)
			git_oid_cpy(actual, &cb.actual);
		ret = err_set(e, DCF_ECONFLICT, "%s on %s moved", remote_ref,
			      b->shown);
	} else if (ret == GIT_ENONFASTFORWARD) {
		ret = err_set(e, DCF_ECONFLICT, "%s on %s moved", remote_ref,
			      b->shown);
	} else if (ret < 0) {
		ret = remote_fail(e, ret, b, &cb, "cannot push to");
	} else if (cb.rejected) {
		/* The server's atomic check of the old value failed. */
		ret = err_set(e, DCF_ECONFLICT,
			      "%s on %s moved (the remote said: %s)",
			      remote_ref, b->shown, cb.rejected);
	}
out:
	free(cb.rejected);
	free(spec);
	git_remote_free(r);
	return ret;
}
