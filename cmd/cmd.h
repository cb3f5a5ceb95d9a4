/*
 * cmd.h: the command table and option parsing shared by every command.
 *
 * Each command lives in cmd/<name>.c and exports one `struct cmd` named
 * cmd_<name>_def.  cmd/main.c keeps the sorted table of them.  A command's
 * option table drives both parsing and --help, so the two cannot disagree.
 *
 * Only cmd/ prints, reads argv or decides exit codes.
 */
#ifndef DCFORM_CMD_H
#define DCFORM_CMD_H

#include <stdio.h>

/* Exit codes, documented in docs/commands.md and --help. */
enum {
	EXIT_OK = 0,
	EXIT_ERR = 1,	  /* error, or invalid input */
	EXIT_CHANGES = 2, /* plan --detailed-exitcode: changes; drift: drift */
	EXIT_USAGE = 64,  /* bad command line */
};

enum opt_kind {
	OPT_BOOL,   /* --flag, sets *(int *)dst = 1 ("--flag=false" sets 0) */
	OPT_STRING, /* --name VALUE or --name=VALUE, *(const char **)dst */
	OPT_INT,    /* integer value, *(long *)dst */
	OPT_LIST,   /* repeatable string, appended to *(struct strlist *)dst */
};

struct strlist {
	const char **v;
	size_t n, alloc;
};
void strlist_push(struct strlist *l, const char *s);
void strlist_release(struct strlist *l);

struct opt {
	const char *name; /* long name without "--" */
	char short_name;  /* 0 for none */
	enum opt_kind kind;
	void *dst;
	const char *arg;  /* value placeholder in help, e.g. "FILE" */
	const char *help; /* one line */
};
#define OPT_END                                     \
	{                                           \
		NULL, 0, OPT_BOOL, NULL, NULL, NULL \
	}

/* Options every command accepts (set before the command runs). */
struct global_opts {
	int no_color;
	int json;
	const char *backend_url; /* --backend-url: the state's git remote */
};
extern struct global_opts gopts;

struct cmd {
	const char *name;    /* "validate", or "state list" for nested verbs */
	const char *usage;   /* "validate [DIR]" */
	const char *summary; /* one line, for `dcform --help` */
	const char *help;    /* paragraphs shown under the usage; may be NULL */
	const char *exit_codes; /* "0 valid\n1 invalid" lines; may be NULL */
	/*
	 * Fill the option table (the command's own static storage for values)
	 * and return it; called once before parsing.  MAY be NULL.
	 */
	const struct opt *(*options)(void);
	/* MUST: run with the positional arguments left after parsing. */
	int (*run)(int argc, const char **argv);
	unsigned flags;
};

/*
 * Parse argv (after the command name) against opts; positional arguments
 * are compacted to the front of argv and counted in *argc.  Prints a usage
 * error and returns -1 on an unknown option or a missing value; returns 1
 * when --help was given (after printing the help of c).
 */
int opts_parse(const struct cmd *c, const struct opt *opts, int *argc,
	       const char **argv);
/* Print the full help of a command (usage, text, options, exit codes). */
void cmd_print_help(FILE *fp, const struct cmd *c);
/* The sorted command table (main.c). */
const struct cmd *const *cmd_table(size_t *n);
/* The global options every command accepts. */
const struct opt *cmd_global_options(void);

/* "dcform: message" on stderr. */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cmd_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Colour helpers: return "" when colour is off (NO_COLOR, --no-color, no TTY).
 */
int color_enabled(FILE *fp);
const char *col_red(FILE *fp);
const char *col_green(FILE *fp);
const char *col_yellow(FILE *fp);
const char *col_bold(FILE *fp);
const char *col_reset(FILE *fp);

#endif
