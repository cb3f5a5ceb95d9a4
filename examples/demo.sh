#!/bin/sh
# The main job: build, start the emulator on a free loopback port, and run
# dcform against the examples.  Run by `make demo` (which installs missing
# Debian packages and builds first).  Stops the emulator on exit.
set -eu
cd "$(dirname "$0")/.."
DCFORM=$(cd "$(dirname "${DCFORM:-build/dcform}")" && pwd)/$(basename "${DCFORM:-build/dcform}")
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
# --manual: JD's review and construction wait for someone to approve them,
# as on the real cloud (where they take days); the demo plays JD's staff.
"$EMULATOR" --listen 127.0.0.1:0 --manual --env-file "$work/env" \
	--state-file "$work/emulator.json" >"$work/emulator.log" 2>&1 &
emu_pid=$!
i=0
while [ ! -s "$work/env" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
head -n 1 "$work/emulator.log"
# shellcheck disable=SC1091
. "$work/env"
E=$DCFORM_TENCENTCLOUD_ENDPOINT
echo "endpoints: $E (both clouds)"

export BGP_AUTH_KEY=${BGP_AUTH_KEY:-demo-bgp-key}
for ex in examples/*/; do
	[ -f "$ex/main.yaml" ] || continue
	step "dcform validate $ex"
	"$DCFORM" validate "$ex"
done

# Plan and apply in a copy, so the state repository (.dcform/) does not
# land in the source tree.
cp -r examples/quickstart "$work/quickstart"
top=$PWD
dcform() { "$DCFORM" "$@"; }
cd "$work/quickstart"

step "dcform graph: what depends on what"
dcform graph --json | head -c 400
echo

step "dcform plan: a prepaid DCDB instance and a whole Direct Connection"
dcform plan

step "dcform apply: buys the database; the line stops at JD's review"
dcform apply --auto-approve --wait-timeout 3
line=$(dcform state list | awk '$1 == "idc_line" { print $3 }')

step "JD approves the line ($line); dcform apply resumes: pays the installation"
curl -sf -X POST "$E/_emulator/jdcloud/connections/$line/approve" >/dev/null
dcform apply --auto-approve --wait-timeout 3

step "the carrier finishes construction; dcform apply confirms the line, then builds the gateway, VIF, attachment and route"
curl -sf -X POST "$E/_emulator/jdcloud/connections/$line/complete" >/dev/null
dcform apply --auto-approve

step "dcform plan again: nothing to do"
dcform plan --detailed-exitcode && echo "(exit 0: no changes)"

step "dcform output"
dcform output

step "dcform state history: every state version is a git commit"
dcform state history

step "someone renames the database in the console; dcform drift notices"
db=$(dcform state list | awk '$1 == "orders_db" { print $3 }')
curl -sf -X POST "$E/_emulator/tencent/instances/$db" \
	-d '{"InstanceName":"renamed-in-console"}' >/dev/null
set +e
dcform drift --no-unmanaged
echo "(dcform drift exit code: $? — 2 means drift)"
set -e

step "the emulator's ledger: one order and one payment per purchase, never two"
curl -s "$E/_emulator/ledger" | python3 -c '
import json, sys
for x in json.load(sys.stdin)["ledger"]:
    print("  %-8s %-8s %-8s %12s fen  %s" % (x["cloud"], x["kind"], x.get("action", ""),
          x.get("amount_fen", ""), x.get("order_id", "")))'
cd "$top"

step "the emulator answered $(curl -s "$E/_emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])') API calls; stopping it"
echo "demo finished."
