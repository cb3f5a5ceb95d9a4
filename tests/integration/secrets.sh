#!/bin/sh
# Secrets never leak: with recognisable values for the cloud secret keys,
# a sensitive variable and a sensitive output, run plan (to a file), apply
# with --debug-http, a SIGKILLed apply and its rerun, drift, state
# history/pull/show, output and show; then grep stdout, stderr, the plan
# files, every object of the state repository and the emulator's log.
# Also: file modes 0600/0700, and plain http refused off loopback.
set -u
: "${DCFORM:?}" "${DCFORM_EMULATOR:?}" "${DCFORM_SRC:?}"
t=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "${KEEP:-}" ] && cp -r "$t" /tmp/keep3; rm -rf "$t"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$DCFORM_EMULATOR" --listen 127.0.0.1:0 --env-file "$t/env" >"$t/emu.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$t/env" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$t/env" ] || fail "the emulator did not start: $(cat "$t/emu.log")"
. "$t/env"
SECRETS="$TENCENTCLOUD_SECRET_KEY $JDCLOUD_SECRET_KEY SensitiveVar-7f3a9c SensitiveOut-5e1d2b"
export DCFORM_VAR_note=SensitiveVar-7f3a9c SECRET_OUT=SensitiveOut-5e1d2b

mkdir "$t/cfg" && cd "$t/cfg"
sed 's/purpose: \${each.key}/purpose: ${each.key}/' "$DCFORM_SRC/examples/dcdb-postpaid/main.yaml" > main.yaml
cat >> main.yaml <<'YAML'

variables:
  note:
    description: A secret only used in a sensitive output.
    sensitive: true
    default: none

outputs:
  secret_note:
    value: ${var.note}
    sensitive: true
  secret_env:
    value: ${env.SECRET_OUT}
    sensitive: true
  first_vip: ${test_db[ci].vip}
YAML
"$DCFORM" validate >"$t/o.validate" 2>&1 || fail "validate: $(cat "$t/o.validate")"
"$DCFORM" plan --out "$t/p.plan" >"$t/o.plan" 2>&1 || fail "plan: $(cat "$t/o.plan")"
"$DCFORM" plan --json >"$t/o.planjson" 2>&1 || fail "plan --json"
"$DCFORM" show "$t/p.plan" >"$t/o.show" 2>&1 || fail "show"
"$DCFORM" show --format markdown "$t/p.plan" >"$t/o.showmd" 2>&1 || fail "show markdown"
# A killed apply and its rerun (crash recovery), then a clean one.
"$DCFORM" apply --auto-approve --debug-http >"$t/o.apply1" 2>"$t/e.apply1" &
apid=$!
sleep 1
kill -9 $apid 2>/dev/null
wait $apid 2>/dev/null
"$DCFORM" apply --auto-approve --debug-http >"$t/o.apply2" 2>"$t/e.apply2" ||
	fail "apply: $(tail "$t/e.apply2")"
grep -q 'Authorization' "$t/e.apply2" || fail "--debug-http logged no request headers"
"$DCFORM" drift --debug-http >"$t/o.drift" 2>"$t/e.drift"
"$DCFORM" drift --json >"$t/o.driftjson" 2>&1
"$DCFORM" state history >"$t/o.hist" 2>&1 || fail "state history"
"$DCFORM" state pull >"$t/o.pull" 2>&1 || fail "state pull"
"$DCFORM" state show 'test_db[ci]' >"$t/o.sshow" 2>&1 || fail "state show"
"$DCFORM" output >"$t/o.output" 2>&1 || fail "output: $(cat "$t/o.output")"
grep -q '^secret_note = <sensitive>$' "$t/o.output" || fail "sensitive output shown: $(cat "$t/o.output")"
"$DCFORM" output secret_env >"$t/o.output2" 2>&1 && fail "a sensitive output was printed"
"$DCFORM" plan --out "$t/p2.plan" >"$t/o.plan2" 2>&1 || fail "second plan"

# Everything dcform wrote or printed, and every object of the state repo.
git --git-dir=.dcform/state.git cat-file --batch-all-objects --batch >"$t/objects" ||
	fail "cannot read the state repository"
[ -s "$t/objects" ] || fail "empty state repository"
for s in $SECRETS; do
	hits=$(grep -l -F -- "$s" "$t"/o.* "$t"/e.* "$t"/*.plan "$t/objects" "$t/emu.log" \
		.dcform/lock 2>/dev/null)
	[ -z "$hits" ] || fail "secret $s found in: $hits"
done
# A grep that cannot find what is there would prove nothing.
lineage=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lineage"])' "$t/o.pull")
grep -q -F -- "$lineage" "$t/objects" || fail "the lineage is not found in the objects: is the grep working?"
grep -q 'X-TC-Action: DescribeDCDBInstances' "$t/e.apply2" || fail "no request in the debug log"

# Modes: the state repository and everything in it, plan files.
[ "$(stat -c %a .dcform)" = 700 ] || fail ".dcform mode $(stat -c %a .dcform)"
bad=$(find .dcform/state.git -type d ! -perm 700 -o -type f -perm /077 | head -3)
[ -z "$bad" ] || fail "state repository modes: $bad"
[ "$(stat -c %a "$t/p.plan")" = 600 ] || fail "plan file mode $(stat -c %a "$t/p.plan")"

# Plain http is for loopback only; nothing is sent elsewhere.
DCFORM_TENCENTCLOUD_ENDPOINT=http://192.0.2.10 "$DCFORM" plan >"$t/o.http" 2>&1 &&
	fail "plain http to a non-loopback address accepted"
grep -q 'refusing plain http' "$t/o.http" || fail "http message: $(cat "$t/o.http")"
echo "secrets: ok"
