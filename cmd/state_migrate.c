/*
 * dcform state migrate --to URL|local: copy every version of the state
 * between the local store (.dcform/state.git) and a git remote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "core/manifest/manifest.h"
#include "core/state/lock.h"
#include "core/state/remote.h"
#include "core/state/store.h"
#include "core/util/json.h"
#include "core/util/util.h"

static const char *dir = ".";
static const char *to;
static const char *from;
static const char *branch;
static long lock_timeout_s;

static const struct opt *migrate_options(void)
{
	static const struct opt o[] = {
	    {"branch", 0, OPT_STRING, &branch, "BRANCH",
	     "the remote branch (default dcform-state)"},
	    {"dir", 'C', OPT_STRING, &dir, "DIR",
	     "the configuration's directory (default .)"},
	    {"from", 0, OPT_STRING, &from, "URL",
	     "with --to local: the remote (default: the manifest's "
	     "backend)"},
	    {"json", 0, OPT_BOOL, &gopts.json, NULL, "print JSON"},
	    {"lock-timeout", 0, OPT_INT, &lock_timeout_s, "SECONDS",
	     "wait this long for the state lock (default 0)"},
	    {"to", 0, OPT_STRING, &to, "URL|local",
	     "where the state goes: a git remote URL, or local"},
	    OPT_END,
	};
	return o;
}

/* The manifest's backend (new reference, or NULL); prints errors. */
static int manifest_backend(json_t **out)
{
	struct manifest m;
	struct manifest_opts mo = {0};
	struct diags d = DIAGS_INIT;
	struct err e = ERR_INIT;
	int ret;

	memset(&m, 0, sizeof(m));
	ret = manifest_load(&m, dir, &mo, &d, &e);
	*out = m.backend ? json_incref(m.backend) : NULL;
	manifest_release(&m);
	diags_release(&d);
	if (ret < 0 && ret != DCF_EINVALID) {
		cmd_error("%s", e.msg);
		return -1;
	}
	return 0;
}

static int migrate_run(int argc, const char **argv)
{
	json_t *src = NULL, *dst = NULL, *remote, *rep = NULL, *v;
	struct state_lock *lk = NULL;
	struct state_backend be;
	struct err e = ERR_INIT;
	int ret, rc = EXIT_ERR;
	size_t i;

	(void)argv;
	memset(&be, 0, sizeof(be));
	if (argc || !to || !*to) {
		cmd_error("state migrate: give --to URL or --to local");
		return EXIT_USAGE;
	}
	if (!strcmp(to, "local")) {
		if (from) {
			src = state_backend_json(from, branch);
		} else {
			if (manifest_backend(&src) < 0)
				goto out;
			if (!json_object_get(src, "git")) {
				cmd_error("state migrate: the manifest names "
					  "no git backend; give --from URL");
				goto out;
			}
			if (branch)
				json_object_set_new(json_object_get(src, "git"),
						    "branch",
						    json_string(branch));
		}
	} else {
		if (from) {
			cmd_error("state migrate: --from goes with --to local");
			rc = EXIT_USAGE;
			goto out;
		}
		dst = state_backend_json(to, branch);
	}
	remote = src ? src : dst;
	if (state_backend_parse(&be, remote, dir, &e) < 0) {
		cmd_error("%s", e.msg);
		goto out;
	}
	/* Both sides stay locked while the versions move. */
	ret = state_lock_acquire_backend(&lk, dir, remote,
					 getenv("DCFORM_WORKSPACE"), "migrate",
					 lock_timeout_s * 1000, &e);
	if (ret == 0)
		ret = state_store_migrate(dir, src, dst, &rep, &e);
	json_array_foreach (rep, i, v) {
		if (gopts.json)
			continue;
		printf("%s: %s, %lld version%s up to serial %lld "
		       "(commit %.12s)\n",
		       json_get_str(v, "workspace", ""),
		       json_get_str(v, "result", ""),
		       (long long)json_get_int(v, "versions", 0),
		       json_get_int(v, "versions", 0) == 1 ? "" : "s",
		       (long long)json_get_int(v, "serial", 0),
		       json_get_str(v, "commit", ""));
	}
	if (ret < 0) {
		cmd_error("%s", e.msg);
		goto out;
	}
	if (gopts.json) {
		json_t *j = json_pack(
		    "{s:s,s:s,s:O}", "from", src ? be.shown : "local", "to",
		    dst ? be.shown : "local", "workspaces", rep);
		char *s = json_dumps_malloc(j, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s);
		free(s);
		json_decref(j);
	} else if (dst) {
		printf("\nThe state is now on %s (branch %s). Name it in the "
		       "manifest so that every run uses it:\n\n"
		       "backend:\n  git:\n    url: %s\n    branch: %s\n",
		       be.shown, be.branch, be.shown, be.branch);
	} else {
		printf("\nThe state is now in %s/.dcform/state.git. Remove "
		       "the backend block from the manifest to use it.\n",
		       dir);
	}
	rc = EXIT_OK;
out:
	if (state_lock_release_checked(lk, &e) < 0)
		cmd_warning("%s", e.msg);
	state_backend_release(&be);
	json_decref(rep);
	json_decref(src);
	json_decref(dst);
	return rc;
}

const struct cmd cmd_state_migrate_def = {
    .name = "state migrate",
    .usage = "state migrate --to URL|local [--branch B] [--from URL] "
	     "[-C DIR]",
    .summary = "Copy every version of the state to a git remote, or back",
    .help = "--to URL pushes every workspace's versions (the same commits,\n"
	    "the whole history) from .dcform/state.git to the branch\n"
	    "BRANCH (default dcform-state; workspace W other than default\n"
	    "goes to BRANCH--W) of the remote: file://, git://, ssh:// or\n"
	    "https:// (credentials: ssh-agent, DCFORM_GIT_TOKEN and\n"
	    "DCFORM_GIT_USERNAME).  --to local fetches them back from the\n"
	    "manifest's backend (or --from URL).\n"
	    "\n"
	    "Only fast-forwards: a destination that already holds other\n"
	    "versions is left alone and the command fails.  The source\n"
	    "keeps its copy.  Then name (or remove) the backend in the\n"
	    "manifest.",
    .options = migrate_options,
    .run = migrate_run,
    .exit_codes = "0   copied (or already there)\n"
		  "1   error: locked, diverged, unreachable remote\n"
		  "64  bad command line",
};
