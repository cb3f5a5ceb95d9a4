/*
 * dcform force-unlock ID: remove a state lock left by a run that died
 * (a killed CI job leaves its remote lock ref behind).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "core/manifest/manifest.h"
#include "core/state/lock.h"
#include "core/state/remote.h"
#include "core/util/json.h"
#include "core/util/util.h"

static const char *dir = ".";
static const char *branch;

static const struct opt *force_unlock_options(void)
{
	static const struct opt o[] = {
	    {"branch", 0, OPT_STRING, &branch, "BRANCH",
	     "the state branch on the --backend-url remote"},
	    {"dir", 'C', OPT_STRING, &dir, "DIR",
	     "the configuration's directory (default .)"},
	    {"json", 0, OPT_BOOL, &gopts.json, NULL,
	     "print the removed holder as JSON"},
	    OPT_END,
	};
	return o;
}

static int force_unlock_run(int argc, const char **argv)
{
	json_t *backend = NULL, *h = NULL;
	struct err e = ERR_INIT;
	int ret;

	if (argc != 1) {
		cmd_error("force-unlock: give the lock id (shown in the "
			  "\"locked\" message)");
		return EXIT_USAGE;
	}
	if (gopts.backend_url) {
		backend = state_backend_json(gopts.backend_url, branch);
	} else {
		struct manifest m;
		struct manifest_opts mo = {0};
		struct diags d = DIAGS_INIT;

		memset(&m, 0, sizeof(m));
		ret = manifest_load(&m, dir, &mo, &d, &e);
		backend = m.backend ? json_incref(m.backend) : NULL;
		manifest_release(&m);
		diags_release(&d);
		if (ret < 0 && ret != DCF_EINVALID) {
			cmd_error("%s", e.msg);
			json_decref(backend);
			return EXIT_ERR;
		}
	}
	ret = state_lock_force_backend(dir, backend, getenv("DCFORM_WORKSPACE"),
				       argv[0], &h, &e);
	json_decref(backend);
	if (ret < 0) {
		cmd_error("%s", e.msg);
		return EXIT_ERR;
	}
	if (gopts.json) {
		char *s = json_dumps_malloc(h, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s ? s : "null");
		free(s);
	} else {
		printf("removed lock %s (held by %s@%s, %s, pid %lld, since "
		       "%s)\n",
		       argv[0], json_get_str(h, "who", "?"),
		       json_get_str(h, "host", "?"),
		       json_get_str(h, "operation", "?"),
		       (long long)json_get_int(h, "pid", 0),
		       json_get_str(h, "time", "?"));
	}
	json_decref(h);
	return EXIT_OK;
}

const struct cmd cmd_force_unlock_def = {
    .name = "force-unlock",
    .usage = "force-unlock ID [-C DIR] [--backend-url URL]",
    .summary = "Remove a state lock left by a run that died",
    .help = "ID is the lock id that the \"state is locked\" message shows.\n"
	    "With a git backend the lock is the ref\n"
	    "refs/dcform/locks/<workspace> on the remote, which a killed\n"
	    "run leaves behind; it is removed only when it still holds ID.\n"
	    "A local lock is an flock that dies with its process; this\n"
	    "clears the holder it recorded, and refuses while that\n"
	    "process is alive.  Make sure the run is really dead: two\n"
	    "runs writing at once is what the lock prevents.",
    .options = force_unlock_options,
    .run = force_unlock_run,
    .exit_codes = "0   removed\n"
		  "1   no such lock, another id, a live holder, or an "
		  "error\n"
		  "64  bad command line",
};
