/* Option parsing, help rendering, errors and colour for every command. */
#include "cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/util.h"

struct global_opts gopts;

void strlist_push(struct strlist *l, const char *s)
{
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = s;
}

void strlist_release(struct strlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

void cmd_error(const char *fmt, ...)
{
	va_list ap;

	fputs("dcform: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cmd_warning(const char *fmt, ...)
{
	va_list ap;

	fputs("dcform: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int color_enabled(FILE *fp)
{
	const char *nc = getenv("NO_COLOR");

	if (gopts.no_color || (nc && *nc))
		return 0;
	return isatty(fileno(fp));
}

#define COLOR_FN(name, code)                          \
	const char *name(FILE *fp)                    \
	{                                             \
		return color_enabled(fp) ? code : ""; \
	}
COLOR_FN(col_red, "\033[31m")
COLOR_FN(col_green, "\033[32m")
COLOR_FN(col_yellow, "\033[33m")
COLOR_FN(col_bold, "\033[1m")
COLOR_FN(col_reset, "\033[0m")

/* The options every command takes, after its own in --help. */
static const struct opt global_table[] = {
    {"no-color", 0, OPT_BOOL, &gopts.no_color, NULL,
     "disable colours (also NO_COLOR=1)"},
    {"backend-url", 0, OPT_STRING, &gopts.backend_url, "URL",
     "keep the state in this git remote (also DCFORM_BACKEND_URL; "
     "overrides the manifests' backend:)"},
    {"help", 'h', OPT_BOOL, NULL, NULL, "show this help"},
    OPT_END,
};

static const struct opt *find_long(const struct opt *t, const char *name,
				   size_t len)
{
	for (; t && t->name; t++)
		if (strlen(t->name) == len && !strncmp(t->name, name, len))
			return t;
	return NULL;
}

static const struct opt *find_short(const struct opt *t, char c)
{
	for (; t && t->name; t++)
		if (t->short_name && t->short_name == c)
			return t;
	return NULL;
}

static int set_value(const struct cmd *c, const struct opt *o, const char *val,
		     int explicit_val)
{
	switch (o->kind) {
	case OPT_BOOL:
		if (!explicit_val) {
			*(int *)o->dst = 1;
		} else if (!strcmp(val, "true") || !strcmp(val, "1")) {
			*(int *)o->dst = 1;
		} else if (!strcmp(val, "false") || !strcmp(val, "0")) {
			*(int *)o->dst = 0;
		} else {
			cmd_error("%s: --%s takes true or false, not '%s'",
				  c->name, o->name, val);
			return -1;
		}
		return 0;
	case OPT_STRING:
		*(const char **)o->dst = val;
		return 0;
	case OPT_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(val, &end, 10);
		if (errno || !*val || *end) {
			cmd_error("%s: --%s takes a whole number, not '%s'",
				  c->name, o->name, val);
			return -1;
		}
		*(long *)o->dst = v;
		return 0;
	}
	case OPT_LIST:
		strlist_push(o->dst, val);
		return 0;
	}
	return -1;
}

static void suggest_option(const struct cmd *c, const struct opt *own,
			   const char *name, size_t len)
{
	const struct opt *tables[2] = {own, global_table}, *t;
	const char *best = NULL;
	size_t bestd = (size_t)-1, i;
	char *n = xstrndup(name, len);

	for (i = 0; i < 2; i++)
		for (t = tables[i]; t && t->name; t++) {
			size_t d = str_edit_distance(n, t->name);

			if (d < bestd) {
				bestd = d;
				best = t->name;
			}
		}
	if (best && bestd <= 2)
		cmd_error("%s: unknown option '--%s' (did you mean '--%s'?)",
			  c->name, n, best);
	else
		cmd_error("%s: unknown option '--%s'; see 'dcform %s --help'",
			  c->name, n, c->name);
	free(n);
}

int opts_parse(const struct cmd *c, const struct opt *opts, int *argc,
	       const char **argv)
{
	int i, npos = 0, only_pos = 0;

	for (i = 0; i < *argc; i++) {
		const char *a = argv[i];
		const struct opt *o;
		const char *val = NULL;
		int explicit_val = 0;

		if (only_pos || a[0] != '-' || !a[1]) {
			argv[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			if (len == 4 && !strncmp(name, "help", 4)) {
				cmd_print_help(stdout, c);
				return 1;
			}
			o = find_long(opts, name, len);
			if (!o)
				o = find_long(global_table, name, len);
			if (!o) {
				suggest_option(c, opts, name, len);
				return -1;
			}
			if (eq) {
				val = eq + 1;
				explicit_val = 1;
			}
		} else {
			if (a[1] == 'h' && !a[2]) {
				cmd_print_help(stdout, c);
				return 1;
			}
			o = find_short(opts, a[1]);
			if (!o || a[2]) {
				cmd_error(
				    "%s: unknown option '%s'; see 'dcform "
				    "%s --help'",
				    c->name, a, c->name);
				return -1;
			}
		}
		if (o->kind != OPT_BOOL && !explicit_val) {
			if (i + 1 >= *argc) {
				cmd_error(
				    "%s: option '--%s' needs a value (%s)",
				    c->name, o->name,
				    o->arg ? o->arg : "VALUE");
				return -1;
			}
			val = argv[++i];
			explicit_val = 1;
		}
		if (set_value(c, o, val, explicit_val) < 0)
			return -1;
	}
	*argc = npos;
	return 0;
}

static void print_opts(FILE *fp, const struct opt *t)
{
	for (; t && t->name; t++) {
		char left[64];

		if (t->kind == OPT_BOOL)
			snprintf(left, sizeof(left), "%s%c%s--%s",
				 t->short_name ? "-" : "",
				 t->short_name ? t->short_name : ' ',
				 t->short_name ? ", " : "  ", t->name);
		else
			snprintf(left, sizeof(left), "%s%c%s--%s %s",
				 t->short_name ? "-" : "",
				 t->short_name ? t->short_name : ' ',
				 t->short_name ? ", " : "  ", t->name,
				 t->arg ? t->arg : "VALUE");
		fprintf(fp, "  %-30s %s%s\n", left, t->help ? t->help : "",
			t->kind == OPT_LIST ? " (repeatable)" : "");
	}
}

static void print_indented(FILE *fp, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len)
			fprintf(fp, "  %.*s\n", (int)len, p);
		else
			fputc('\n', fp);
		p += len + (nl ? 1 : 0);
	}
}

const struct opt *cmd_global_options(void)
{
	return global_table;
}

void cmd_print_help(FILE *fp, const struct cmd *c)
{
	const struct opt *own = c->options ? c->options() : NULL;

	fprintf(fp, "Usage: dcform %s\n\n", c->usage);
	fprintf(fp, "%s\n", c->summary);
	if (c->help) {
		fputc('\n', fp);
		print_indented(fp, c->help);
	}
	fputs("\nOptions:\n", fp);
	print_opts(fp, own);
	print_opts(fp, global_table);
	if (c->exit_codes) {
		fputs("\nExit codes:\n", fp);
		print_indented(fp, c->exit_codes);
	}
}
