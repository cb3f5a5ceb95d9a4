/*
 * dcform state rm|mv|restore|diff: change the state without touching the
 * clouds, and compare two versions of it.
 *
 * Every write takes the state lock, is based on the version it read
 * (compare-and-swap) and becomes a new version with a message saying what
 * it did; nothing is ever rewritten, so `state restore` can undo any of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "run.h"
#include "core/state/lock.h"
#include "core/state/store.h"
#include "core/util/buf.h"
#include "core/util/json.h"
#include "core/util/util.h"

static const char *dir = ".";
static long lock_timeout_s;
static int force;
static int auto_approve;

static const struct opt *rm_options(void)
{
	static const struct opt o[] = {
	    {"dir", 'C', OPT_STRING, &dir, "DIR",
	     "the configuration's directory (default .)"},
	    {"lock-timeout", 0, OPT_INT, &lock_timeout_s, "SECONDS",
	     "wait this long for the state lock (default 0)"},
	    {"force", 0, OPT_BOOL, &force, NULL,
	     "also remove resources with unfinished work (pending)"},
	    OPT_END,
	};
	return o;
}

static const struct opt *mv_options(void)
{
	static const struct opt o[] = {
	    {"dir", 'C', OPT_STRING, &dir, "DIR",
	     "the configuration's directory (default .)"},
	    {"lock-timeout", 0, OPT_INT, &lock_timeout_s, "SECONDS",
	     "wait this long for the state lock (default 0)"},
	    OPT_END,
	};
	return o;
}

static const struct opt *restore_options(void)
{
	static const struct opt o[] = {
	    {"dir", 'C', OPT_STRING, &dir, "DIR",
	     "the configuration's directory (default .)"},
	    {"lock-timeout", 0, OPT_INT, &lock_timeout_s, "SECONDS",
	     "wait this long for the state lock (default 0)"},
	    {"auto-approve", 0, OPT_BOOL, &auto_approve, NULL,
	     "restore without asking (required without a terminal)"},
	    OPT_END,
	};
	return o;
}

static const struct opt *diff_options(void)
{
	static const struct opt o[] = {
	    {"dir", 'C', OPT_STRING, &dir, "DIR",
	     "the configuration's directory (default .)"},
	    {"json", 0, OPT_BOOL, &gopts.json, NULL, "print JSON"},
	    OPT_END,
	};
	return o;
}

/* An address as manifests make them: NAME or NAME[KEY]. */
static int valid_address(const char *a)
{
	const char *p = a;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	      *p == '_'))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')
		p++;
	if (!*p)
		return 1;
	if (*p != '[' || p[1] == ']')
		return 0;
	for (p++; *p && *p != ']'; p++)
		if ((unsigned char)*p < 0x20 || *p == '[')
			return 0;
	return p[0] == ']' && !p[1];
}

/*
 * The locked read-modify-write around fn: fn changes doc and says what it
 * did in *msg (malloc'd); 0 writes a new version, 1 means nothing to do.
 */
typedef int (*state_edit_fn)(json_t *doc, char **msg, void *arg, struct err *e);

static int state_edit(const char *op, state_edit_fn fn, void *arg)
{
	struct state_lock *lk = NULL;
	struct state_store *st = NULL;
	struct err e = ERR_INIT;
	json_t *doc = NULL;
	char commit[41], out[41];
	char *msg = NULL;
	int ret;

	if (cmd_lock(&lk, dir, NULL, op, lock_timeout_s * 1000, &e) < 0) {
		cmd_error("%s", e.msg);
		return EXIT_ERR;
	}
	ret = cmd_state_load(dir, &st, &doc, commit);
	if (ret != EXIT_OK)
		goto out;
	ret = fn(doc, &msg, arg, &e);
	if (ret < 0) {
		cmd_error("%s", e.msg);
		ret = EXIT_ERR;
		goto out;
	}
	if (ret == 1) {
		ret = EXIT_OK;
		goto out;
	}
	json_object_set_new(doc, "serial",
			    json_integer(json_get_int(doc, "serial", 0) + 1));
	if (state_store_write(st, doc, commit, msg, out, &e) < 0) {
		cmd_error("%s", e.msg);
		ret = EXIT_ERR;
		goto out;
	}
	fprintf(stderr, "%s (state serial %lld, commit %.12s)\n", msg,
		(long long)json_get_int(doc, "serial", 0), out);
	ret = EXIT_OK;
out:
	free(msg);
	json_decref(doc);
	state_store_free(st);
	state_lock_release(lk);
	return ret;
}

/* ---- rm ------------------------------------------------------------ */

struct addrs {
	int argc;
	const char **argv;
};

static int rm_edit(json_t *doc, char **msg, void *arg, struct err *e)
{
	struct addrs *a = arg;
	json_t *res = json_object_get(doc, "resources"), *r;
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < a->argc; i++) {
		r = json_object_get(res, a->argv[i]);
		if (!r)
			return err_set(e, DCF_ENOTFOUND,
				       "no resource '%s' in the state; see "
				       "dcform state list",
				       a->argv[i]);
		if (json_object_get(r, "pending") &&
		    !json_is_null(json_object_get(r, "pending")) && !force)
			return err_set(
			    e, DCF_EINVALID,
			    "%s has unfinished work from an apply "
			    "(step %s); finish it with dcform "
			    "apply, or pass --force to forget it "
			    "anyway",
			    a->argv[i],
			    json_get_str(json_object_get(r, "pending"), "step",
					 "?"));
	}
	buf_puts(&b, "state rm:");
	for (i = 0; i < a->argc; i++) {
		r = json_object_get(res, a->argv[i]);
		buf_printf(&b, " %s (%s)", a->argv[i],
			   json_get_str(r, "id", "no id"));
		json_object_del(res, a->argv[i]);
	}
	*msg = xstrdup(b.ptr);
	buf_release(&b);
	return 0;
}

static int rm_run(int argc, const char **argv)
{
	struct addrs a = {argc, argv};

	if (!argc) {
		cmd_error("state rm: expected one or more addresses");
		return EXIT_USAGE;
	}
	return state_edit("state rm", rm_edit, &a);
}

/* ---- mv ------------------------------------------------------------ */

static int mv_edit(json_t *doc, char **msg, void *arg, struct err *e)
{
	struct addrs *a = arg;
	const char *src = a->argv[0], *dst = a->argv[1];
	json_t *res = json_object_get(doc, "resources"), *r, *x, *d;
	const char *k;
	size_t i;

	r = json_object_get(res, src);
	if (!r)
		return err_set(e, DCF_ENOTFOUND,
			       "no resource '%s' in the state; see dcform "
			       "state list",
			       src);
	if (!valid_address(dst))
		return err_set(e, DCF_EINVALID,
			       "'%s' is not a resource address (NAME or "
			       "NAME[KEY], NAME of letters, digits, _ and -)",
			       dst);
	if (json_object_get(res, dst))
		return err_set(e, DCF_EEXISTS,
			       "'%s' is already in the state; state rm it "
			       "first if it should go",
			       dst);
	json_object_set(res, dst, r);
	json_object_del(res, src);
	/* What depended on src now depends on dst (a new value: parsed
	 * strings are shared, see json_load_fast). */
	json_object_foreach (res, k, x)
		json_array_foreach (json_object_get(x, "dependencies"), i, d)
			if (json_is_string(d) &&
			    !strcmp(json_string_value(d), src))
				json_array_set_new(
				    json_object_get(x, "dependencies"), i,
				    json_string(dst));
	*msg = xasprintf("state mv: %s -> %s", src, dst);
	return 0;
}

static int mv_run(int argc, const char **argv)
{
	struct addrs a = {argc, argv};

	if (argc != 2) {
		cmd_error(
		    "state mv: expected SOURCE and DESTINATION addresses");
		return EXIT_USAGE;
	}
	return state_edit("state mv", mv_edit, &a);
}

/* ---- diff ---------------------------------------------------------- */

/* Changes between two state documents: per address added, removed or
 * changed (with the attribute paths). */
static void paths_diff(json_t *out, const char *prefix, const json_t *a,
		       const json_t *b)
{
	const char *k;
	json_t *v;

	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach ((json_t *)a, k, v) {
			char *p = *prefix ? xasprintf("%s.%s", prefix, k)
					  : xstrdup(k);

			paths_diff(out, p, v, json_object_get(b, k));
			free(p);
		}
		json_object_foreach ((json_t *)b, k, v)
			if (!json_object_get(a, k)) {
				char *p = *prefix
					      ? xasprintf("%s.%s", prefix, k)
					      : xstrdup(k);

				paths_diff(out, p, NULL, v);
				free(p);
			}
		return;
	}
	if (!json_equal(a, b) && (a || b))
		json_array_append_new(out, json_pack("{s:s,s:O?,s:O?}", "path",
						     prefix, "before", a,
						     "after", b));
}

static json_t *state_diff(const json_t *a, const json_t *b)
{
	json_t *out = json_array(), *ra = json_object_get(a, "resources"),
	       *rb = json_object_get(b, "resources"), *x;
	const char *k;

	json_object_foreach (ra, k, x) {
		json_t *y = json_object_get(rb, k);

		if (!y) {
			json_array_append_new(
			    out, json_pack("{s:s,s:s,s:s?}", "address", k,
					   "change", "removed", "id",
					   json_get_str(x, "id", NULL)));
		} else if (!json_equal(x, y)) {
			json_t *ch = json_array();

			paths_diff(ch, "", x, y);
			json_array_append_new(
			    out, json_pack("{s:s,s:s,s:s?,s:o}", "address", k,
					   "change", "changed", "id",
					   json_get_str(y, "id", NULL), "paths",
					   ch));
		}
	}
	json_object_foreach (rb, k, x)
		if (!json_object_get(ra, k))
			json_array_append_new(
			    out, json_pack("{s:s,s:s,s:s?}", "address", k,
					   "change", "added", "id",
					   json_get_str(x, "id", NULL)));
	return out;
}

static void print_diff(const json_t *d, const char *from, const char *to)
{
	json_t *x, *p;
	size_t i, j;

	printf("state %s -> %s:\n", from, to);
	if (!json_array_size(d))
		printf("  no resource changed\n");
	json_array_foreach (d, i, x) {
		const char *c = json_get_str(x, "change", "");

		printf("  %c %s%s%s%s\n",
		       !strcmp(c, "added")     ? '+'
		       : !strcmp(c, "removed") ? '-'
					       : '~',
		       json_get_str(x, "address", ""),
		       json_get_str(x, "id", NULL) ? " (" : "",
		       json_get_str(x, "id", ""),
		       json_get_str(x, "id", NULL) ? ")" : "");
		json_array_foreach (json_object_get(x, "paths"), j, p) {
			char *bv =
			    json_dumps_malloc(json_object_get(p, "before"),
					      JSON_ENCODE_ANY | JSON_COMPACT);
			char *av =
			    json_dumps_malloc(json_object_get(p, "after"),
					      JSON_ENCODE_ANY | JSON_COMPACT);

			printf("      %s: %s -> %s\n",
			       json_get_str(p, "path", ""),
			       bv ? bv : "(absent)", av ? av : "(absent)");
			free(bv);
			free(av);
		}
	}
}

static int diff_run(int argc, const char **argv)
{
	struct state_store *st = NULL;
	struct err e = ERR_INIT;
	json_t *a = NULL, *b = NULL, *d;
	const char *from = argc > 0 ? argv[0] : "HEAD~1";
	const char *to = argc > 1 ? argv[1] : "HEAD";
	char ca[41], cb[41];
	int ret = EXIT_ERR;

	if (argc > 2) {
		cmd_error("state diff: expected at most two versions");
		return EXIT_USAGE;
	}
	if (cmd_store_open(&st, dir, NULL, &e) < 0 ||
	    state_store_read_at(st, from, &a, ca, &e) < 0 ||
	    state_store_read_at(st, to, &b, cb, &e) < 0) {
		cmd_error("state diff: %s", e.msg);
		goto out;
	}
	d = state_diff(a, b);
	if (gopts.json) {
		json_t *o = json_pack(
		    "{s:s,s:s,s:I,s:I,s:o}", "from", ca, "to", cb,
		    "from_serial", (json_int_t)json_get_int(a, "serial", 0),
		    "to_serial", (json_int_t)json_get_int(b, "serial", 0),
		    "resources", d);
		char *s = json_dumps_malloc(o, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		char fa[64], fb[64];

		snprintf(fa, sizeof(fa), "serial %lld (%.12s)",
			 (long long)json_get_int(a, "serial", 0), ca);
		snprintf(fb, sizeof(fb), "serial %lld (%.12s)",
			 (long long)json_get_int(b, "serial", 0), cb);
		print_diff(d, fa, fb);
		json_decref(d);
	}
	ret = EXIT_OK;
out:
	json_decref(a);
	json_decref(b);
	state_store_free(st);
	return ret;
}

/* ---- restore ------------------------------------------------------- */

struct restore {
	const char *rev;
	json_t *old;
	char commit[41];
};

static int restore_edit(json_t *doc, char **msg, void *arg, struct err *e)
{
	struct restore *rs = arg;
	json_t *d;
	const char *k;
	json_t *v;
	void *tmp;

	if (strcmp(json_get_str(doc, "lineage", ""),
		   json_get_str(rs->old, "lineage", "")))
		return err_set(e, DCF_EINVALID,
			       "version %s belongs to another lineage",
			       rs->rev);
	d = state_diff(doc, rs->old);
	if (!json_array_size(d)) {
		json_decref(d);
		printf("Version %s has the same resources as the current "
		       "state; nothing to restore.\n",
		       rs->rev);
		return 1;
	}
	print_diff(d, "now", rs->rev);
	json_decref(d);
	printf("\nRestoring changes only the state, never the clouds: "
	       "resources marked -\nare forgotten by dcform but keep "
	       "existing (and costing money) in the\ncloud; run dcform plan "
	       "afterwards to see what dcform would do.\n");
	if (!auto_approve) {
		char line[64];

		if (!isatty(STDIN_FILENO))
			return err_set(e, DCF_EINVALID,
				       "state restore: not a terminal and no "
				       "--auto-approve; nothing restored");
		printf("Restore version %s? Only 'yes' will be accepted: ",
		       rs->rev);
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin) || strcmp(line, "yes\n"))
			return err_set(e, DCF_EINVALID,
				       "state restore: not confirmed; nothing "
				       "restored");
	}
	/* The old version's content, under the current serial (the
	 * caller adds one): history only ever grows. */
	json_object_foreach_safe (doc, tmp, k, v)
		if (strcmp(k, "serial") && strcmp(k, "lineage"))
			json_object_del(doc, k);
	json_object_foreach (rs->old, k, v)
		if (strcmp(k, "serial") && strcmp(k, "lineage"))
			json_object_set(doc, k, v);
	*msg = xasprintf("state restore: the resources of serial %lld "
			 "(%.12s)",
			 (long long)json_get_int(rs->old, "serial", 0),
			 rs->commit);
	return 0;
}

static int restore_run(int argc, const char **argv)
{
	struct state_store *st = NULL;
	struct err e = ERR_INIT;
	struct restore rs = {NULL, NULL, ""};
	int ret;

	if (argc != 1) {
		cmd_error("state restore: expected one version (a serial, a "
			  "commit id or HEAD~N; see dcform state history)");
		return EXIT_USAGE;
	}
	rs.rev = argv[0];
	if (cmd_store_open(&st, dir, NULL, &e) < 0 ||
	    state_store_read_at(st, rs.rev, &rs.old, rs.commit, &e) < 0) {
		cmd_error("state restore: %s", e.msg);
		state_store_free(st);
		return EXIT_ERR;
	}
	state_store_free(st);
	ret = state_edit("state restore", restore_edit, &rs);
	json_decref(rs.old);
	return ret;
}

const struct cmd cmd_state_diff_def = {
    .name = "state diff",
    .usage = "state diff [FROM [TO]] [-C DIR] [--json]",
    .summary = "Compare two versions of the state",
    .help = "FROM and TO are serials, commit ids (or prefixes), HEAD or\n"
	    "HEAD~N; the default compares the previous version with the\n"
	    "current one. Lists resources added (+), removed (-) and\n"
	    "changed (~) with each changed attribute path.",
    .options = diff_options,
    .run = diff_run,
    .exit_codes = "0   compared\n1   unknown version, or an error\n"
		  "64  bad command line",
};

const struct cmd cmd_state_mv_def = {
    .name = "state mv",
    .usage = "state mv SOURCE DESTINATION [-C DIR]",
    .summary = "Rename a resource in the state (after renaming it in the "
	       "manifests)",
    .help = "Moves the state of SOURCE to DESTINATION, so that renaming\n"
	    "a resource in the manifests does not destroy and buy it\n"
	    "again. Dependencies on SOURCE follow. The clouds are not\n"
	    "touched.",
    .options = mv_options,
    .run = mv_run,
    .exit_codes = "0   moved\n"
		  "1   SOURCE missing, DESTINATION taken or invalid, lock "
		  "held\n"
		  "64  bad command line",
};

const struct cmd cmd_state_restore_def = {
    .name = "state restore",
    .usage = "state restore VERSION [-C DIR] [--auto-approve]",
    .summary = "Make an earlier version of the state the current one",
    .help = "Writes the resources of VERSION (a serial, a commit id or\n"
	    "HEAD~N) as a new version, after showing what changes and\n"
	    "asking for yes. History is never rewritten: the restore\n"
	    "itself can be undone the same way. The clouds are not\n"
	    "touched; run dcform plan afterwards.",
    .options = restore_options,
    .run = restore_run,
    .exit_codes = "0   restored, or nothing to restore\n"
		  "1   unknown version, not confirmed, or an error\n"
		  "64  bad command line",
};

const struct cmd cmd_state_rm_def = {
    .name = "state rm",
    .usage = "state rm ADDR... [-C DIR] [--force]",
    .summary = "Forget resources without deleting them in the cloud",
    .help = "Removes ADDR from the state: dcform stops managing the\n"
	    "object, which keeps existing (and costing money) in the\n"
	    "cloud. dcform import ADDR ID takes it back. Resources with\n"
	    "unfinished work from an apply are refused without --force.",
    .options = rm_options,
    .run = rm_run,
    .exit_codes = "0   removed\n1   not in the state, pending, lock held\n"
		  "64  bad command line",
};
