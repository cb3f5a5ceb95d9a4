/*
 * run.h: what plan, apply, destroy, drift, import and output share:
 * loading the manifests, reading the state, configuring the providers
 * over one HTTP engine, resolving references against the state, and
 * building a plan.
 */
#ifndef DCFORM_CMD_RUN_H
#define DCFORM_CMD_RUN_H

#include "cmd.h"
#include "core/manifest/manifest.h"
#include "core/plan/plan.h"

struct run_opts {
	struct strlist vars, var_files;
	const char *state_file; /* --state: a state fixture (JSON) */
	long parallelism;	/* --parallelism */
	int debug_http;		/* --debug-http */
	struct strlist targets; /* --target */
	struct strlist skip_preflight;
	int no_refresh;
	long refresh_batch_size; /* --refresh-batch-size (0: the API's max) */
	int destroy;
};

#define RUN_COMMON_OPTIONS(r)                                                  \
	{"var",	       0,                                                      \
	 OPT_LIST,     &(r).vars,                                              \
	 "NAME=VALUE", "set a variable (highest precedence)"},                 \
	    {"var-file",     0,	     OPT_LIST,                                 \
	     &(r).var_files, "FILE", "read variables from a YAML file"},       \
	    {"state",                                                          \
	     0,                                                                \
	     OPT_STRING,                                                       \
	     &(r).state_file,                                                  \
	     "FILE",                                                           \
	     "read the state from a JSON file instead of .dcform/state.git"},  \
	    {"parallelism",                                                    \
	     0,                                                                \
	     OPT_INT,                                                          \
	     &(r).parallelism,                                                 \
	     "N",                                                              \
	     "concurrent API requests and apply steps (default 10)"},          \
	    {"debug-http",                                                     \
	     0,                                                                \
	     OPT_BOOL,                                                         \
	     &(r).debug_http,                                                  \
	     NULL,                                                             \
	     "log every HTTP request to stderr, secrets redacted"},            \
	{                                                                      \
		"refresh-batch-size", 0, OPT_INT, &(r).refresh_batch_size,     \
		    "N",                                                       \
		    "read at most N objects per API call (default: the API's " \
		    "maximum, 100)"                                            \
	}

struct run {
	const char *dir;
	struct run_opts *o;
	struct manifest m;
	json_t *state; /* never NULL after run_state */
	char state_commit[41];
	struct http_engine *http;
	struct provider_set ps;
};

/* Load the manifests of dir; prints diagnostics.  0 or EXIT_ERR. */
int run_load(struct run *r, const char *dir, struct run_opts *o);
/* Read the state (or an empty one with a fresh lineage). */
int run_state(struct run *r, struct err *e);
/* Configure the providers that desired or state resources need. */
int run_providers(struct run *r, struct err *e);
/*
 * Desired resources, address → {"type", "provider", "region",
 * "properties" (references resolved from the state; unknown ones are
 * PROPS_UNKNOWN), "lifecycle", "depends_on": [addresses]}.  New ref.
 */
json_t *run_desired(struct run *r);
/* The whole plan document (new reference). */
int run_plan(struct run *r, json_t **out, struct err *e);
/* Release r and extra (a reference taken) at the end of a command: the
 * large JSON values are left to the process's exit (see run.c). */
void run_release_at_exit(struct run *r, json_t *extra);
void run_release(struct run *r);

struct state_store;
struct state_lock;
/*
 * The state backend of dir (new reference, NULL: local): --backend-url or
 * DCFORM_BACKEND_URL (branch from DCFORM_BACKEND_BRANCH), else the
 * manifests' `backend:` (m, or the manifests of dir read quietly when m
 * is NULL).
 */
json_t *cmd_backend(const char *dir, const struct manifest *m);
/* state_store_open_backend / state_lock_acquire_backend on cmd_backend,
 * for the workspace DCFORM_WORKSPACE. */
int cmd_store_open(struct state_store **st, const char *dir,
		   const struct manifest *m, struct err *e);
int cmd_lock(struct state_lock **lk, const char *dir, const struct manifest *m,
	     const char *op, long timeout_ms, struct err *e);
/* The current state of dir's workspace (cmd/state.c); EXIT_OK, or
 * EXIT_ERR after printing why (no state yet: "run dcform apply first"). */
int cmd_state_load(const char *dir, struct state_store **st, json_t **doc,
		   char commit[41]);

#endif
