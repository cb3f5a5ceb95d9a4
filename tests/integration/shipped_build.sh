#!/bin/sh
# The other tests run the sanitizer build, which keeps malloc for jansson's
# values so that ASan sees them; the shipped build (`make`, build/) keeps
# them in dcform's pool (core/util/jpool.c). This runs three end-to-end
# suites on the shipped binaries: a DCDB purchase with resume and a
# SIGKILL mid-apply, the state commands, and a whole Direct Connection.
set -u
: "${DCFORM_SRC:?}"
# In the README test's nested run this already ran in the outer one.
[ -n "${DCFORM_README_NESTED:-}" ] && { echo "nested README run: skipped"; exit 0; }
b="$DCFORM_SRC/build"
[ -x "$b/dcform" ] && [ -x "$b/dcform-emulator" ] ||
	{ echo "FAIL: no shipped build in $b (run make)"; exit 1; }
export DCFORM="$b/dcform" DCFORM_EMULATOR="$b/dcform-emulator"
# jansson's text comes from the pool there: free() must only see
# json_dumps_malloc's (core/util/json.h).
raw=$(cd "$DCFORM_SRC" && grep -n 'json_dumps(' cmd/*.c core/*/*.c providers/*/*.c |
	grep -v '^core/util/json.c:')
[ -z "$raw" ] || { echo "FAIL: json_dumps in dcform (use json_dumps_malloc):"; echo "$raw"; exit 1; }
for s in apply_emulator.sh state_cmds_emulator.sh jd_emulator.sh; do
	sh "$DCFORM_SRC/tests/integration/$s" >"${TMPDIR:-/tmp}/shipped.$$.log" 2>&1 ||
		{ echo "FAIL: $s on the shipped build:"; tail -20 "${TMPDIR:-/tmp}/shipped.$$.log";
		  rm -f "${TMPDIR:-/tmp}/shipped.$$.log"; exit 1; }
	echo "ok: $s on the shipped build"
done
rm -f "${TMPDIR:-/tmp}/shipped.$$.log"
