/* validate.h: loading and diagnostics shared by validate and graph. */
#ifndef DCFORM_CMD_VALIDATE_H
#define DCFORM_CMD_VALIDATE_H

#include <stdio.h>
#include <jansson.h>
#include "cmd.h"
#include "core/manifest/manifest.h"

/* "FILE:LINE:COL: error: PATH: message" lines. */
void validate_print_diags(FILE *fp, const struct diags *d);
/* The diagnostics as a JSON array (new reference). */
json_t *validate_diags_json(const struct diags *d);
/* manifest_load with validate's --var/--var-file, plus the cycle check. */
int validate_load(struct manifest *m, const char *dir,
		  const struct strlist *vars, const struct strlist *var_files,
		  struct diags *d, struct err *e);

#endif
