#!/bin/sh
# The main job: build, start the emulator on a free loopback port, and run
# dcform against the examples.  Run by `make demo` (which installs missing
# Debian packages and builds first).  Stops the emulator on exit.
set -eu
cd "$(dirname "$0")/.."
DCFORM=${DCFORM:-build/dcform}
EMULATOR=${DCFORM_EMULATOR:-build/dcform-emulator}
work=$(mktemp -d)
emu_pid=""
cleanup() {
	if [ -n "$emu_pid" ]; then
		kill "$emu_pid" 2>/dev/null || true
		wait "$emu_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

step() { printf '\n==> %s\n' "$*"; }

step "starting the emulator (a local JD Cloud + Tencent Cloud)"
"$EMULATOR" --listen 127.0.0.1:0 --env-file "$work/env" \
	--state-file "$work/emulator.json" >"$work/emulator.log" 2>&1 &
emu_pid=$!
i=0
while [ ! -s "$work/env" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
head -n 1 "$work/emulator.log"
# shellcheck disable=SC1091
. "$work/env"
echo "endpoints: $DCFORM_TENCENTCLOUD_ENDPOINT (both clouds)"

export BGP_AUTH_KEY=${BGP_AUTH_KEY:-demo-bgp-key}
for ex in examples/*/; do
	[ -f "$ex/main.yaml" ] || continue
	step "dcform validate $ex"
	"$DCFORM" validate "$ex"
done

step "dcform graph examples/quickstart"
"$DCFORM" graph examples/quickstart

# Plan and apply in a copy, so the state repository (.dcform/) does not
# land in the source tree.
cp -r examples/dcdb-prepaid "$work/dcdb-prepaid"
top=$PWD
cd "$work/dcdb-prepaid"

step "dcform plan (a prepaid DCDB instance, against the emulator)"
"$top/$DCFORM" plan

step "dcform apply --auto-approve (create, confirm, pay, wait, init, wait)"
"$top/$DCFORM" apply --auto-approve

step "dcform plan again: nothing to do"
"$top/$DCFORM" plan --detailed-exitcode && echo "(exit 0: no changes)"

step "dcform state history: every state version is a git commit"
"$top/$DCFORM" state history

step "the emulator's ledger: one order, one payment"
curl -s "$DCFORM_TENCENTCLOUD_ENDPOINT/_emulator/ledger?cloud=tencent" | head -c 600
echo
cd "$top"

step "the emulator answered $(curl -s "$DCFORM_TENCENTCLOUD_ENDPOINT/_emulator/stats" | tr -d '\n' | cut -c1-200)"
echo
echo "demo finished."
