/*
 * dcform import ADDR ID [DIR]: bring an object that exists in the cloud
 * under dcform's management, as the resource ADDR of the manifests.
 *
 * Only the state changes: the object is read back and recorded.  The next
 * plan shows where the manifests and the object differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "run.h"
#include "core/provider.h"
#include "core/state/lock.h"
#include "core/state/store.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "core/util/uuid.h"

static struct run_opts ro;
static long lock_timeout_s;

static const struct opt *import_options(void)
{
	static const struct opt o[] = {
	    RUN_COMMON_OPTIONS(ro),
	    {"lock-timeout", 0, OPT_INT, &lock_timeout_s, "SECONDS",
	     "wait this long for the state lock (default 0)"},
	    OPT_END,
	};
	return o;
}

static int import_run(int argc, const char **argv)
{
	struct run r;
	struct err e = ERR_INIT;
	struct state_lock *lk = NULL;
	struct state_store *st = NULL;
	const struct resource_type *rt;
	json_t *desired = NULL, *want, *attrs = NULL, *res, *x;
	const char *addr, *id, *k;
	char commit[41] = "", out[41];
	char *msg = NULL;
	void *ctx;
	int ret = EXIT_ERR, rc;

	if (argc < 2 || argc > 3) {
		cmd_error("import: expected ADDR ID [DIR]");
		return EXIT_USAGE;
	}
	addr = argv[0];
	id = argv[1];
	if (run_load(&r, argc > 2 ? argv[2] : ".", &ro)) {
		run_release(&r);
		return EXIT_ERR;
	}
	if (!manifest_find(&r.m, addr)) {
		cmd_error("import: '%s' is not a resource of the manifests in "
			  "%s; declare it first (dcform import writes only the "
			  "state)",
			  addr, r.dir);
		goto out;
	}
	if (cmd_lock(&lk, r.dir, &r.m, "import", lock_timeout_s * 1000, &e) <
		0 ||
	    cmd_store_open(&st, r.dir, &r.m, &e) < 0)
		goto fail;
	rc = state_store_read(st, &r.state, commit, &e);
	if (rc == DCF_ENOTFOUND) {
		err_clear(&e);
		commit[0] = '\0';
		r.o->state_file = NULL;
		if (run_state(&r, &e) < 0)
			goto fail;
		if (!json_get_str(r.state, "lineage", NULL)) {
			char lineage[64];

			uuid_v4(lineage);
			json_object_set_new(r.state, "lineage",
					    json_string(lineage));
		}
	} else if (rc < 0) {
		goto fail;
	}
	res = json_object_get(r.state, "resources");
	if (json_object_get(res, addr)) {
		cmd_error(
		    "import: %s is already in the state (id %s); dcform "
		    "state rm it first to import another object there",
		    addr,
		    json_get_str(json_object_get(res, addr), "id", "none"));
		goto out;
	}
	json_object_foreach (res, k, x)
		if (!strcmp(json_get_str(x, "id", ""), id)) {
			cmd_error("import: %s is already managed as %s; one "
				  "object, one address",
				  id, k);
			goto out;
		}
	if (run_providers(&r, &e) < 0)
		goto fail;
	desired = run_desired(&r);
	want = json_object_get(desired, addr);
	rt = resource_type_lookup(json_get_str(want, "type", ""));
	if (!rt || !(rt->caps & RT_CAP_IMPORT) || !rt->import) {
		cmd_error("import: %s objects cannot be imported",
			  json_get_str(want, "type", "?"));
		goto out;
	}
	ctx = provider_set_ctx(&r.ps, rt->provider);
	rc = rt->import(ctx, json_get_str(want, "region", ""), id, &attrs, &e);
	if (rc == DCF_ENOTFOUND) {
		cmd_error("import: %s has no %s \"%s\" in region %s",
			  rt->provider, rt->name, id,
			  json_get_str(want, "region", ""));
		goto out;
	}
	if (rc < 0)
		goto fail;
	/*
	 * The generation seeds the idempotency token of the next create at
	 * this address.  An imported object may carry a token of an earlier
	 * life of this address, so start from the clock, never from 0.
	 */
	json_object_set_new(
	    res, addr,
	    json_pack("{s:s,s:s,s:s,s:s,s:O,s:o,s:I,s:{}}", "type", rt->name,
		      "provider", rt->provider, "region",
		      json_get_str(want, "region", ""), "id", id, "attributes",
		      attrs, "dependencies",
		      json_object_get(want, "depends_on")
			  ? json_incref(json_object_get(want, "depends_on"))
			  : json_array(),
		      "generation", (json_int_t)time(NULL),
		      "sensitive_digests"));
	json_object_set_new(
	    r.state, "serial",
	    json_integer(json_get_int(r.state, "serial", 0) + 1));
	msg = xasprintf("import: %s (%s)", addr, id);
	if (state_store_write(st, r.state, commit, msg, out, &e) < 0)
		goto fail;
	printf("Imported %s as %s (state serial %lld, commit %.12s).\n"
	       "Run dcform plan to see where the manifests and the object "
	       "differ.\n",
	       id, addr, (long long)json_get_int(r.state, "serial", 0), out);
	ret = EXIT_OK;
	goto out;
fail:
	cmd_error("import: %s", e.msg);
out:
	free(msg);
	json_decref(attrs);
	json_decref(desired);
	state_store_free(st);
	state_lock_release(lk);
	run_release(&r);
	return ret;
}

const struct cmd cmd_import_def = {
    .name = "import",
    .usage = "import ADDR ID [DIR]",
    .summary = "Manage an existing cloud object as the resource ADDR",
    .help = "ADDR must be declared in the manifests of DIR (for for_each\n"
	    "resources: NAME[KEY]). The object ID is read from the cloud\n"
	    "in ADDR's region and recorded in the state; nothing in the\n"
	    "cloud changes. Then dcform plan shows where the manifests\n"
	    "and the object differ.",
    .options = import_options,
    .run = import_run,
    .exit_codes = "0   imported\n"
		  "1   ADDR not declared or already in the state, ID "
		  "unknown in the cloud, lock held, or an error\n"
		  "64  bad command line",
};
