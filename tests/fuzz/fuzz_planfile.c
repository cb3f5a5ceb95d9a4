/*
 * libFuzzer target: any bytes as a plan file (`dcform plan --out F`,
 * `dcform show F`, `dcform apply F`): the loader, then what show and
 * apply do with a loaded plan before touching a cloud: summary, checks,
 * text and markdown rendering.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd/render.h"
#include "core/plan/plan.h"
#include "core/util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static FILE *devnull;
	struct err e = ERR_INIT;
	struct buf md = BUF_INIT;
	json_t *plan = NULL;
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz_planfile.%ld",
			 (long)getpid());
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (plan_load(&plan, path, &e) == 0) {
		plan_summarise(plan);
		(void)plan_has_changes(plan);
		(void)plan_preflight_ok(plan);
		render_plan_text(devnull, plan);
		render_plan_markdown(&md, plan);
		buf_release(&md);
		json_decref(plan);
	}
	unlink(path);
	return 0;
}
