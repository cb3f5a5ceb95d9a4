/* dcform validate: check manifests without touching state or clouds. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "core/manifest/manifest.h"

static struct config_opts copts;

static const struct opt *validate_options(void)
{
	static const struct opt o[] = {
		CONFIG_OPTIONS(copts),
		{ "json", 0, OPT_BOOL, &gopts.json, NULL,
		  "print the result as JSON" },
		OPT_END,
	};
	return o;
}

static int validate_run(int argc, const char **argv)
{
	struct manifest m;
	struct diags d = DIAGS_INIT;
	const char *dir = argc > 0 ? argv[0] : ".";
	size_t n;

	if (argc > 1) {
		cmd_error("validate: takes at most one directory");
		return EXIT_USAGE;
	}
	n = config_load(&m, dir, &copts, &d);
	if (gopts.json) {
		config_print_diags_json(stdout, &d, n == 0);
	} else {
		config_print_diags(stderr, &d);
		if (!n)
			printf("%zu resource%s, %zu output%s: valid\n",
			       json_object_size(m.desired),
			       json_object_size(m.desired) == 1 ? "" : "s",
			       json_object_size(m.outputs),
			       json_object_size(m.outputs) == 1 ? "" : "s");
	}
	manifest_release(&m);
	diags_release(&d);
	return n ? EXIT_ERR : EXIT_OK;
}

const struct cmd cmd_validate_def = {
	.name = "validate",
	.usage = "validate [DIR] [--var NAME=VALUE]... [--var-file FILE]...",
	.summary = "Check manifests: syntax, schemas, variables, references",
	.help = "Reads every *.yaml file of DIR (default: the current directory)\n"
		"and reports every problem as FILE:LINE:COL: message, sorted by\n"
		"position. Nothing is read from the clouds or the state.",
	.options = validate_options,
	.run = validate_run,
	.exit_codes = "0   the manifests are valid\n"
		      "1   there are errors\n"
		      "64  bad command line",
};
