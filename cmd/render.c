/*
 * render.c: plan and progress rendering.  See render.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "render.h"
#include "core/plan/plan.h"
#include "core/util/json.h"
#include "core/util/util.h"

void render_money(struct buf *out, long long fen)
{
	char digits[32];
	long long yuan = (fen < 0 ? -fen : fen) / 100;
	int cents = (int)((fen < 0 ? -fen : fen) % 100);
	size_t n, i;

	snprintf(digits, sizeof(digits), "%lld", yuan);
	n = strlen(digits);
	buf_puts(out, fen < 0 ? "-¥" : "¥");
	for (i = 0; i < n; i++) {
		buf_putc(out, digits[i]);
		if ((n - i - 1) % 3 == 0 && i + 1 < n)
			buf_putc(out, ',');
	}
	buf_printf(out, ".%02d", cents);
}

static const char *symbol(const char *action)
{
	if (!strcmp(action, "create"))
		return "+";
	if (!strcmp(action, "delete"))
		return "-";
	if (!strcmp(action, "replace"))
		return "-/+";
	if (!strcmp(action, "update"))
		return "~";
	if (!strcmp(action, "resume"))
		return ">";
	return " ";
}

static const char *colour(FILE *fp, const char *action)
{
	if (!strcmp(action, "create"))
		return col_green(fp);
	if (!strcmp(action, "delete") || !strcmp(action, "replace"))
		return col_red(fp);
	if (!strcmp(action, "update") || !strcmp(action, "resume"))
		return col_yellow(fp);
	return "";
}

static const char *verb(const char *action)
{
	if (!strcmp(action, "create"))
		return "will be created";
	if (!strcmp(action, "delete"))
		return "will be destroyed";
	if (!strcmp(action, "replace"))
		return "must be replaced";
	if (!strcmp(action, "update"))
		return "will be updated in-place";
	if (!strcmp(action, "resume"))
		return "has unfinished work that will be resumed";
	return "is up to date";
}

static int in_list(const json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach (list, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

static void value_text(struct buf *b, const json_t *v)
{
	char *s = json_dumps_malloc(v, JSON_ENCODE_ANY | JSON_COMPACT);

	buf_puts(b, s ? s : "null");
	free(s);
}

/* Leaf attribute lines under a resource, "  + path = value". */
static void attr_lines(FILE *fp, const json_t *c, const char *prefix,
		       const json_t *after, const json_t *before, int depth)
{
	const char *action = json_get_str(c, "action", "");
	const json_t *changed = json_object_get(c, "changed");
	const json_t *replace = json_object_get(c, "replace_paths");
	const json_t *src = after ? after : before;
	const char *k;
	json_t *v;

	if (depth > 16)
		return;
	json_object_foreach ((json_t *)src, k, v) {
		char *path =
		    *prefix ? xasprintf("%s.%s", prefix, k) : xstrdup(k);
		json_t *old = json_object_get(before, k);
		struct buf line = BUF_INIT;

		if (json_is_object(v) && (!old || json_is_object(old))) {
			attr_lines(fp, c, path, after ? v : NULL,
				   after ? old : v, depth + 1);
			free(path);
			continue;
		}
		if (!strcmp(action, "update") || !strcmp(action, "replace")) {
			if (!in_list(changed, path)) {
				free(path);
				continue;
			}
			buf_printf(&line, "      %s~%s %s = ", col_yellow(fp),
				   col_reset(fp), path);
			if (old) {
				value_text(&line, old);
				buf_puts(&line, " -> ");
			}
			value_text(&line, v);
			if (in_list(replace, path))
				buf_printf(&line, " %s# forces replacement%s",
					   col_red(fp), col_reset(fp));
		} else if (!strcmp(action, "create")) {
			buf_printf(&line, "      %s+%s %s = ", col_green(fp),
				   col_reset(fp), path);
			value_text(&line, v);
		} else if (!strcmp(action, "delete")) {
			buf_printf(&line, "      %s-%s %s = ", col_red(fp),
				   col_reset(fp), path);
			value_text(&line, v);
		}
		if (line.len)
			fprintf(fp, "%s\n", line.ptr);
		buf_release(&line);
		free(path);
	}
}

static void steps_of(FILE *fp, const json_t *plan, const char *addr)
{
	json_t *s;
	size_t i;
	int n = 0;

	json_array_foreach (json_object_get(plan, "steps"), i, s) {
		if (strcmp(json_get_str(s, "address", ""), addr))
			continue;
		if (!n++)
			fprintf(fp, "    steps:\n");
		fprintf(fp, "      %d. %-8s %s%s\n", n,
			json_get_str(s, "kind", "?"),
			json_get_str(s, "title", ""),
			json_get_bool(s, "side_effect", 0) ? "" : "");
	}
}

static void quote_line(FILE *fp, const json_t *plan, const char *addr)
{
	const json_t *q = json_object_get(
	    json_object_get(json_object_get(plan, "quotes"), "by_address"),
	    addr);
	struct buf b = BUF_INIT;

	if (!q)
		return;
	buf_puts(&b, "    price: ");
	if (json_get_int(q, "upfront_fen", 0)) {
		render_money(&b, json_get_int(q, "upfront_fen", 0));
		buf_puts(&b, " up front");
	}
	if (json_get_int(q, "monthly_fen", 0)) {
		if (json_get_int(q, "upfront_fen", 0))
			buf_puts(&b, ", then ");
		render_money(&b, json_get_int(q, "monthly_fen", 0));
		buf_puts(&b, "/month");
	}
	if (json_get_int(q, "hourly_fen", 0)) {
		buf_puts(&b, json_get_int(q, "upfront_fen", 0) ? ", " : "");
		render_money(&b, json_get_int(q, "hourly_fen", 0));
		buf_puts(&b, "/hour");
	}
	if (json_get_str(q, "detail", NULL))
		buf_printf(&b, " (%s)", json_get_str(q, "detail", ""));
	fprintf(fp, "%s\n", b.ptr);
	buf_release(&b);
}

void render_plan_text(FILE *fp, const json_t *plan)
{
	const json_t *sum = json_object_get(plan, "summary");
	const json_t *quotes = json_object_get(plan, "quotes");
	json_t *c, *p;
	size_t i;
	int any = 0;

	json_array_foreach (json_object_get(plan, "resource_changes"), i, c) {
		const char *a = json_get_str(c, "action", "no-op");
		const char *addr = json_get_str(c, "address", "");
		json_t *drift = json_object_get(c, "drift");

		if (json_array_size(drift)) {
			size_t j;
			json_t *d;

			fprintf(fp, "  %s# %s has changed outside dcform:%s",
				col_yellow(fp), addr, col_reset(fp));
			json_array_foreach (drift, j, d)
				fprintf(fp, "%s %s", j ? "," : "",
					json_string_value(d));
			fprintf(fp, "\n");
		}
		if (!strcmp(a, "no-op"))
			continue;
		if (!any++)
			fprintf(fp, "dcform will perform the following "
				    "actions:\n\n");
		fprintf(fp, "  %s# %s %s%s", col_bold(fp), addr, verb(a),
			col_reset(fp));
		if (json_get_str(c, "id", NULL))
			fprintf(fp, " (id %s)", json_get_str(c, "id", ""));
		fprintf(fp, "\n");
		if (json_get_str(c, "note", NULL))
			fprintf(fp, "  # %s\n", json_get_str(c, "note", ""));
		fprintf(fp, "%s%3s%s %s \"%s\" {\n", colour(fp, a), symbol(a),
			col_reset(fp), json_get_str(c, "type", ""), addr);
		attr_lines(fp, c, "",
			   json_is_object(json_object_get(c, "after"))
			       ? json_object_get(c, "after")
			       : NULL,
			   json_is_object(json_object_get(c, "before"))
			       ? json_object_get(c, "before")
			       : NULL,
			   0);
		fprintf(fp, "    }\n");
		steps_of(fp, plan, addr);
		quote_line(fp, plan, addr);
		fprintf(fp, "\n");
	}
	if (!any && json_is_true(json_object_get(plan, "destroy"))) {
		fprintf(fp,
			"%sNothing to destroy.%s The state holds no "
			"resources.\n",
			col_green(fp), col_reset(fp));
	} else if (!any) {
		fprintf(fp,
			"%sNo changes.%s Your infrastructure matches the "
			"configuration.\n",
			col_green(fp), col_reset(fp));
	} else {
		struct buf b = BUF_INIT;

		buf_printf(&b, "%lld to add, %lld to change, %lld to destroy",
			   (long long)json_get_int(sum, "create", 0),
			   (long long)json_get_int(sum, "update", 0),
			   (long long)json_get_int(sum, "delete", 0));
		if (json_get_int(sum, "replace", 0))
			buf_printf(&b, ", %lld to replace",
				   (long long)json_get_int(sum, "replace", 0));
		if (json_get_int(sum, "resume", 0))
			buf_printf(&b, ", %lld to resume",
				   (long long)json_get_int(sum, "resume", 0));
		buf_puts(&b, ". Due now: ");
		render_money(&b, json_get_int(quotes, "total_upfront_fen", 0));
		buf_puts(&b, "; monthly: ");
		render_money(&b, json_get_int(quotes, "total_monthly_fen", 0));
		buf_puts(&b, ".");
		fprintf(fp, "%sPlan:%s %s\n", col_bold(fp), col_reset(fp),
			b.ptr);
		buf_release(&b);
	}
	if (json_array_size(json_object_get(plan, "preflight"))) {
		fprintf(fp, "%sPreflight:%s\n", col_bold(fp), col_reset(fp));
		json_array_foreach (json_object_get(plan, "preflight"), i, p) {
			int ok = json_get_bool(p, "ok", 0);

			fprintf(fp, "  %s%s%s %s %s: %s\n",
				ok ? col_green(fp) : col_red(fp),
				ok ? "ok  " : "FAIL", col_reset(fp),
				json_get_str(p, "provider", ""),
				json_get_str(p, "check", ""),
				json_get_str(p, "message", ""));
		}
	}
}

void render_plan_markdown(struct buf *out, const json_t *plan)
{
	const json_t *sum = json_object_get(plan, "summary");
	const json_t *quotes = json_object_get(plan, "quotes");
	json_t *c, *p, *s;
	size_t i, j;

	buf_puts(out, "### dcform plan\n\n");
	if (!plan_has_changes(plan)) {
		buf_puts(out, "**No changes.** The infrastructure matches "
			      "the configuration.\n");
	} else {
		buf_printf(out,
			   "| add | change | destroy | replace | resume |\n"
			   "|---:|---:|---:|---:|---:|\n"
			   "| %lld | %lld | %lld | %lld | %lld |\n\n",
			   (long long)json_get_int(sum, "create", 0),
			   (long long)json_get_int(sum, "update", 0),
			   (long long)json_get_int(sum, "delete", 0),
			   (long long)json_get_int(sum, "replace", 0),
			   (long long)json_get_int(sum, "resume", 0));
	}
	if (quotes && json_get_int(quotes, "total_upfront_fen", 0)) {
		buf_puts(out, "**Cost:** ");
		render_money(out, json_get_int(quotes, "total_upfront_fen", 0));
		buf_puts(out, " to pay now");
		if (json_get_int(quotes, "total_monthly_fen", 0)) {
			buf_puts(out, ", ");
			render_money(
			    out, json_get_int(quotes, "total_monthly_fen", 0));
			buf_puts(out, " per month after");
		}
		buf_puts(out, ".\n\n");
	}
	json_array_foreach (json_object_get(plan, "preflight"), i, p)
		buf_printf(out, "- %s %s %s: %s\n",
			   json_get_bool(p, "ok", 0) ? ":white_check_mark:"
						     : ":x:",
			   json_get_str(p, "provider", ""),
			   json_get_str(p, "check", ""),
			   json_get_str(p, "message", ""));
	json_array_foreach (json_object_get(plan, "resource_changes"), i, c) {
		const char *a = json_get_str(c, "action", "no-op");
		const char *addr = json_get_str(c, "address", "");

		if (!strcmp(a, "no-op"))
			continue;
		buf_printf(out,
			   "\n<details><summary><code>%s %s</code> (%s) %s"
			   "</summary>\n\n",
			   symbol(a), addr, json_get_str(c, "type", ""),
			   verb(a));
		if (json_array_size(json_object_get(c, "changed"))) {
			buf_puts(out, "Changed: ");
			json_array_foreach (json_object_get(c, "changed"), j, s)
				buf_printf(out, "%s`%s`", j ? ", " : "",
					   json_string_value(s));
			buf_puts(out, "\n\n");
		}
		json_array_foreach (json_object_get(plan, "steps"), j, s) {
			if (strcmp(json_get_str(s, "address", ""), addr))
				continue;
			buf_printf(out, "1. **%s** %s\n",
				   json_get_str(s, "kind", ""),
				   json_get_str(s, "title", ""));
		}
		buf_puts(out, "\n</details>\n");
	}
}

int render_plain_progress(FILE *fp)
{
	const char *ci = getenv("CI");

	if (ci && *ci && strcmp(ci, "false") && strcmp(ci, "0"))
		return 1;
	return !isatty(fileno(fp));
}

void render_apply_event(FILE *fp, const json_t *ev)
{
	const char *event = json_get_str(ev, "event", "");
	const char *addr = json_get_str(ev, "address", "");
	const char *kind = json_get_str(ev, "kind", "");
	const char *status = json_get_str(ev, "status", NULL);
	const char *msg = json_get_str(ev, "message", NULL);
	long long ms = json_get_int(ev, "elapsed_ms", 0);
	int plain = render_plain_progress(fp);
	char when[32] = "";

	if (plain) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%SZ ", &tm);
	}
	if (!strcmp(event, "waiting")) {
		if (plain)
			return; /* one line when it finishes, not per poll */
		fprintf(fp, "\r\033[K%s: %s: %s [%llds elapsed]", addr, kind,
			status ? status : "waiting", ms / 1000);
		fflush(fp);
		return;
	}
	if (!plain)
		fprintf(fp, "\r\033[K");
	if (!strcmp(event, "start")) {
		fprintf(fp, "%s%s: %s: %s...\n", when, addr, kind,
			json_get_str(ev, "title", ""));
	} else if (!strcmp(event, "done")) {
		fprintf(fp, "%s%s%s: %s: done after %llds%s%s%s\n", when,
			col_green(fp), addr, kind, ms / 1000,
			status && *status ? " (" : "", status ? status : "",
			status && *status ? ")" : "");
		fprintf(fp, "%s", col_reset(fp));
	} else if (!strcmp(event, "adopted")) {
		fprintf(fp, "%s%s: %s: %s (%s)\n", when, addr, kind,
			msg ? msg : "adopted", status ? status : "");
	} else if (!strcmp(event, "error")) {
		fprintf(fp, "%s%s%s: %s: error: %s%s\n", when, col_red(fp),
			addr, kind, msg ? msg : "", col_reset(fp));
	} else if (!strcmp(event, "timeout")) {
		fprintf(fp, "%s%s%s: %s: %s after %llds%s\n", when,
			col_yellow(fp), addr, kind, msg ? msg : "", ms / 1000,
			col_reset(fp));
	} else if (!strcmp(event, "skipped")) {
		fprintf(fp, "%s%s: %s: %s\n", when, addr, kind,
			msg ? msg : "skipped");
	}
	fflush(fp);
}

/* ---- drift ---------------------------------------------------------- */

void render_json_value(struct buf *b, const json_t *v)
{
	char *s = v ? json_dumps_malloc(v, JSON_ENCODE_ANY | JSON_COMPACT |
					       JSON_SORT_KEYS)
		    : NULL;

	buf_puts(b, s ? s : "(absent)");
	free(s);
}

void render_drift_text(FILE *fp, const json_t *rep)
{
	const json_t *x, *c;
	size_t i, j;
	struct buf b = BUF_INIT;

	json_array_foreach (json_object_get(rep, "drifted"), i, x) {
		fprintf(fp, "%s~ %s%s (%s %s) changed outside dcform:\n",
			col_yellow(fp), json_get_str(x, "address", ""),
			col_reset(fp), json_get_str(x, "type", ""),
			json_get_str(x, "id", ""));
		json_array_foreach (json_object_get(x, "changes"), j, c) {
			buf_reset(&b);
			render_json_value(&b, json_object_get(c, "applied"));
			buf_puts(&b, " -> ");
			render_json_value(&b, json_object_get(c, "cloud"));
			fprintf(fp, "    %s: %s\n", json_get_str(c, "path", ""),
				b.ptr);
		}
	}
	json_array_foreach (json_object_get(rep, "missing"), i, x)
		fprintf(fp, "%s- %s%s (%s %s) is gone from the cloud\n",
			col_red(fp), json_get_str(x, "address", ""),
			col_reset(fp), json_get_str(x, "type", ""),
			json_get_str(x, "id", ""));
	json_array_foreach (json_object_get(rep, "unmanaged"), i, x)
		fprintf(fp,
			"%s? %s%s %s in %s (\"%s\") is not managed by "
			"dcform\n",
			col_yellow(fp), json_get_str(x, "type", ""),
			col_reset(fp), json_get_str(x, "id", ""),
			json_get_str(x, "region", ""),
			json_get_str(x, "name", ""));
	json_array_foreach (json_object_get(rep, "config_changes"), i, x)
		fprintf(fp,
			"  %s: the manifests ask to %s it (not drift: "
			"dcform plan shows it)\n",
			json_get_str(x, "address", ""),
			json_get_str(x, "action", ""));
	if (json_is_true(json_object_get(rep, "clean")))
		fprintf(fp, "%sNo drift.%s The clouds match the last apply.",
			col_green(fp), col_reset(fp));
	else
		fprintf(fp, "\nDrift: %zu changed, %zu missing, %zu unmanaged.",
			json_array_size(json_object_get(rep, "drifted")),
			json_array_size(json_object_get(rep, "missing")),
			json_array_size(json_object_get(rep, "unmanaged")));
	if (json_get_int(rep, "ignored", 0))
		fprintf(fp, " (%lld ignored by .dcformignore)",
			(long long)json_get_int(rep, "ignored", 0));
	fprintf(fp, "\n");
	buf_release(&b);
}
