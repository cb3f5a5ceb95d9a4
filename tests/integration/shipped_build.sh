#!/bin/sh
# The other tests run the sanitizer build, which keeps malloc for jansson's
# values so that ASan sees them; the shipped build (`make`, build/) keeps
# them in dcform's pool (core/util/jpool.c). This runs three end-to-end
# suites on the shipped binaries: a DCDB purchase with resume and a
# SIGKILL mid-apply, the state commands, and a whole Direct Connection.
set -u
: "${DCFORM_SRC:?}"
b="$DCFORM_SRC/build"
[ -x "$b/dcform" ] && [ -x "$b/dcform-emulator" ] ||
	{ echo "FAIL: no shipped build in $b (run make)"; exit 1; }
export DCFORM="$b/dcform" DCFORM_EMULATOR="$b/dcform-emulator"
for s in apply_emulator.sh state_cmds_emulator.sh jd_emulator.sh; do
	sh "$DCFORM_SRC/tests/integration/$s" >"${TMPDIR:-/tmp}/shipped.$$.log" 2>&1 ||
		{ echo "FAIL: $s on the shipped build:"; tail -20 "${TMPDIR:-/tmp}/shipped.$$.log";
		  rm -f "${TMPDIR:-/tmp}/shipped.$$.log"; exit 1; }
	echo "ok: $s on the shipped build"
done
rm -f "${TMPDIR:-/tmp}/shipped.$$.log"
