/*
 * main.c: the command table and dispatch.  Commands are sorted by name;
 * nested verbs ("state list") have their own entries with a space in the
 * name, matched against the first two arguments.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cmd.h"
#include "commands.h"
#include "core/util/jpool.h"
#include "core/util/util.h"

static const struct cmd *const commands[] = {
#define CMD(name) &cmd_##name##_def,
#include "commands.list"
#undef CMD
};

static void print_main_help(FILE *fp)
{
	size_t i;

	fputs("Usage: dcform COMMAND [OPTIONS] [ARGS]\n\n"
	      "dcform turns YAML manifests into purchased, running JD Cloud "
	      "Direct Connection\nand Tencent Cloud DCDB infrastructure, and "
	      "keeps every state version in git.\n\nCommands:\n",
	      fp);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(fp, "  %-18s %s\n", commands[i]->name,
			commands[i]->summary);
	fputs("\nRun 'dcform COMMAND --help' for a command's options.\n"
	      "Global options: --no-color (or NO_COLOR=1).\n",
	      fp);
}

/* For completion and docs: the command table, read-only. */
const struct cmd *const *cmd_table(size_t *n)
{
	*n = ARRAY_SIZE(commands);
	return commands;
}

static const struct cmd *find_cmd(int argc, const char **argv, int *used)
{
	size_t i;

	/* A two-word verb wins over a one-word one. */
	if (argc >= 2) {
		char *two = xasprintf("%s %s", argv[0], argv[1]);

		for (i = 0; i < ARRAY_SIZE(commands); i++)
			if (!strcmp(commands[i]->name, two)) {
				free(two);
				*used = 2;
				return commands[i];
			}
		free(two);
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i]->name, argv[0])) {
			*used = 1;
			return commands[i];
		}
	return NULL;
}

static void unknown_command(const char *name)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		size_t d = str_edit_distance(name, commands[i]->name);

		if (d < bestd) {
			bestd = d;
			best = commands[i]->name;
		}
	}
	if (best && bestd <= 2)
		cmd_error("unknown command '%s' (did you mean '%s'?)", name,
			  best);
	else
		cmd_error("unknown command '%s'; see 'dcform --help'", name);
}

int main(int argc, char **argv)
{
	/* State repositories, plan files and locks are private. */
	umask(077);
#ifdef __GLIBC__
	/*
	 * No fast bins: a plan of 10,000 objects makes and frees millions of
	 * small JSON values, and glibc consolidates the fast bins on every
	 * large free, which took a fifth of the plan's CPU time
	 * (docs/performance.md).
	 */
	mallopt(M_MXFAST, 0);
#endif
#ifndef DCFORM_NO_POOL
	/* jansson's values in size classes (core/util/jpool.c). */
	jpool_install();
#endif
	const char **args = (const char **)argv + 1;
	const struct cmd *c;
	const struct opt *opts;
	int nargs = argc - 1, used = 0, r;

	for (size_t i = 1; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i - 1]->name, commands[i]->name) >= 0)
			BUG("command table not sorted at '%s'",
			    commands[i]->name);
	if (nargs < 1 || !strcmp(args[0], "--help") || !strcmp(args[0], "-h") ||
	    !strcmp(args[0], "help")) {
		if (nargs == 2 && !strcmp(args[0], "help") &&
		    !strcmp(args[1], "--list")) {
			/* One command per line, for docs/gen.sh and
			 * completion scripts. */
			for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
				printf("%s\n", commands[i]->name);
			return EXIT_OK;
		}
		if (nargs >= 2 && !strcmp(args[0], "help")) {
			c = find_cmd(nargs - 1, args + 1, &used);
			if (!c) {
				unknown_command(args[1]);
				return EXIT_USAGE;
			}
			cmd_print_help(stdout, c);
			return EXIT_OK;
		}
		print_main_help(nargs < 1 ? stderr : stdout);
		return nargs < 1 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(args[0], "--version"))
		args[0] = "version";
	c = find_cmd(nargs, args, &used);
	if (!c) {
		unknown_command(args[0]);
		return EXIT_USAGE;
	}
	args += used;
	nargs -= used;
	opts = c->options ? c->options() : NULL;
	r = opts_parse(c, opts, &nargs, args);
	if (r > 0)
		return EXIT_OK;
	if (r < 0)
		return EXIT_USAGE;
	return c->run(nargs, args);
}
