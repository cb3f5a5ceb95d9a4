/*
 * config.h: loading manifests for commands, with the options every
 * manifest-reading command shares (--var, --var-file) and diagnostics
 * printing.
 */
#ifndef DCFORM_CMD_CONFIG_H
#define DCFORM_CMD_CONFIG_H

#include <stdio.h>

#include "cmd.h"
#include "core/manifest/manifest.h"

struct config_opts {
	struct strlist vars;
	struct strlist var_files;
};

#define CONFIG_OPTIONS(c)                                                   \
	{ "var", 0, OPT_LIST, &(c).vars, "NAME=VALUE",                      \
	  "set a variable (highest precedence)" },                          \
	{ "var-file", 0, OPT_LIST, &(c).var_files, "FILE",                  \
	  "read variables from a YAML file" }

/* Load; returns the number of errors (diagnostics in d). */
size_t config_load(struct manifest *m, const char *dir,
		   const struct config_opts *o, struct diags *d);

/* FILE:LINE:COL: message, one per line. */
void config_print_diags(FILE *fp, const struct diags *d);
/* {"valid","error_count","diagnostics":[…]} */
void config_print_diags_json(FILE *fp, const struct diags *d, int valid);

#endif
