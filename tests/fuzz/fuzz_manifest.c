/*
 * libFuzzer target: the manifest loader on arbitrary bytes (one file in a
 * directory), which covers libyaml events, positions, schema validation,
 * variables, expressions and the graph.  Nothing may crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/manifest/manifest.h"
#include "core/util/fs.h"
#include "core/util/util.h"

static char dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	struct diags d = DIAGS_INIT;
	struct err e = ERR_INIT;
	char *path;

	if (!*dir) {
		snprintf(dir, sizeof(dir), "/tmp/dcform-fuzz-%d", (int)getpid());
		if (fs_mkdir_p(dir, 0700, &e) < 0)
			abort();
	}
	path = fs_join(dir, "main.yaml");
	if (fs_write_atomic(path, data, size, 0600, &e) < 0)
		abort();
	manifest_load(&m, dir, NULL, &d);
	manifest_release(&m);
	diags_release(&d);
	free(path);
	return 0;
}
