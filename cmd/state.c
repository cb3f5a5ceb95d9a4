/*
 * dcform state list|show|history|pull: read the state kept in git.
 * (Writes — rm, mv, restore — and diff are in state_write.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "run.h"
#include "core/state/store.h"
#include "core/util/json.h"
#include "core/util/util.h"

static const char *dir = ".";
static long limit;

static const struct opt *state_options(void)
{
	static const struct opt o[] = {
	    {"dir", 'C', OPT_STRING, &dir, "DIR",
	     "the configuration's directory (default .)"},
	    {"json", 0, OPT_BOOL, &gopts.json, NULL, "print JSON"},
	    OPT_END,
	};
	return o;
}

static const struct opt *history_options(void)
{
	static const struct opt o[] = {
	    {"dir", 'C', OPT_STRING, &dir, "DIR",
	     "the configuration's directory (default .)"},
	    {"json", 0, OPT_BOOL, &gopts.json, NULL, "print JSON"},
	    {"max-count", 'n', OPT_INT, &limit, "N", "show at most N versions"},
	    OPT_END,
	};
	return o;
}

/* The current state of dir's workspace; EXIT_OK, or prints the error. */
int cmd_state_load(const char *dir, struct state_store **st, json_t **doc,
		   char commit[41])
{
	struct err e = ERR_INIT;
	int ret;

	ret = cmd_store_open(st, dir, NULL, &e);
	if (!ret)
		ret = state_store_read(*st, doc, commit, &e);
	if (ret == DCF_ENOTFOUND) {
		cmd_error("no state yet in %s/.dcform/state.git; run dcform "
			  "apply first",
			  dir);
		return EXIT_ERR;
	}
	if (ret < 0) {
		cmd_error("%s", e.msg);
		return EXIT_ERR;
	}
	return EXIT_OK;
}

static void print_json(const json_t *v)
{
	char *s = json_dumps_malloc(v, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s\n", s);
	free(s);
}

static int list_run(int argc, const char **argv)
{
	struct state_store *st = NULL;
	json_t *doc = NULL, *r, *out = json_array();
	char commit[41];
	const char *addr;
	int ret;

	(void)argv;
	if (argc) {
		cmd_error("state list: takes no arguments");
		json_decref(out);
		return EXIT_USAGE;
	}
	ret = cmd_state_load(dir, &st, &doc, commit);
	if (ret == EXIT_OK) {
		json_object_foreach (json_object_get(doc, "resources"), addr, r)
			json_array_append_new(
			    out,
			    json_pack("{s:s,s:s,s:s?,s:b}", "address", addr,
				      "type", json_get_str(r, "type", ""), "id",
				      json_get_str(r, "id", NULL), "pending",
				      json_object_get(r, "pending") != NULL));
		if (gopts.json) {
			print_json(out);
		} else {
			size_t i;
			json_t *x;

			json_array_foreach (out, i, x)
				printf("%-30s %-28s %s%s\n",
				       json_get_str(x, "address", ""),
				       json_get_str(x, "type", ""),
				       json_get_str(x, "id", "(no id)"),
				       json_get_bool(x, "pending", 0)
					   ? "  (pending)"
					   : "");
		}
	}
	json_decref(out);
	json_decref(doc);
	state_store_free(st);
	return ret;
}

static int show_run(int argc, const char **argv)
{
	struct state_store *st = NULL;
	json_t *doc = NULL, *r;
	char commit[41];
	int ret;

	if (argc != 1) {
		cmd_error("state show: expected one address");
		return EXIT_USAGE;
	}
	ret = cmd_state_load(dir, &st, &doc, commit);
	if (ret == EXIT_OK) {
		r = json_object_get(json_object_get(doc, "resources"), argv[0]);
		if (!r) {
			cmd_error("no resource '%s' in the state; see dcform "
				  "state list",
				  argv[0]);
			ret = EXIT_ERR;
		} else {
			print_json(r);
		}
	}
	json_decref(doc);
	state_store_free(st);
	return ret;
}

static int pull_run(int argc, const char **argv)
{
	struct state_store *st = NULL;
	json_t *doc = NULL;
	char commit[41];
	int ret;

	(void)argv;
	if (argc) {
		cmd_error("state pull: takes no arguments");
		return EXIT_USAGE;
	}
	ret = cmd_state_load(dir, &st, &doc, commit);
	if (ret == EXIT_OK)
		print_json(doc);
	json_decref(doc);
	state_store_free(st);
	return ret;
}

static int history_run(int argc, const char **argv)
{
	struct state_store *st = NULL;
	struct err e = ERR_INIT;
	json_t *h = NULL, *v;
	size_t i;
	int ret;

	(void)argv;
	if (argc) {
		cmd_error("state history: takes no arguments");
		return EXIT_USAGE;
	}
	ret = cmd_store_open(&st, dir, NULL, &e);
	if (!ret)
		ret = state_store_history(st, limit > 0 ? (size_t)limit : 0, &h,
					  &e);
	if (ret < 0) {
		cmd_error("%s", e.msg);
		state_store_free(st);
		return EXIT_ERR;
	}
	if (gopts.json) {
		print_json(h);
	} else {
		json_array_foreach (h, i, v) {
			time_t t = (time_t)json_get_int(v, "time", 0);
			struct tm tm;
			char when[32];

			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
			printf("%.12s  serial %-5lld %s  %s\n",
			       json_get_str(v, "commit", ""),
			       (long long)json_get_int(v, "serial", 0), when,
			       json_get_str(v, "message", ""));
		}
	}
	json_decref(h);
	state_store_free(st);
	return EXIT_OK;
}

const struct cmd cmd_state_history_def = {
    .name = "state history",
    .usage = "state history [-C DIR] [-n N] [--json]",
    .summary = "List the versions of the state, newest first",
    .help = "Every apply commits versions of the state to\n"
	    ".dcform/state.git; this lists them with serial, time and\n"
	    "what changed. git log works on that repository too.",
    .options = history_options,
    .run = history_run,
    .exit_codes = "0   listed\n1   error\n64  bad command line",
};

const struct cmd cmd_state_list_def = {
    .name = "state list",
    .usage = "state list [-C DIR] [--json]",
    .summary = "List the resources in the state",
    .options = state_options,
    .run = list_run,
    .exit_codes = "0   listed\n1   no state, or an error\n"
		  "64  bad command line",
};

const struct cmd cmd_state_pull_def = {
    .name = "state pull",
    .usage = "state pull [-C DIR]",
    .summary = "Print the current state document (JSON)",
    .help = "Sensitive values are never in the state: only keyed digests\n"
	    "of them.",
    .options = state_options,
    .run = pull_run,
    .exit_codes = "0   printed\n1   no state, or an error\n"
		  "64  bad command line",
};

const struct cmd cmd_state_show_def = {
    .name = "state show",
    .usage = "state show ADDR [-C DIR]",
    .summary = "Show one resource of the state",
    .options = state_options,
    .run = show_run,
    .exit_codes = "0   shown\n1   not in the state, or an error\n"
		  "64  bad command line",
};
