#!/bin/sh
# dcform plan against the emulator: empty state, the DCDB examples; the
# human output, the JSON plan (actions, steps), --detailed-exitcode, the
# quote equal to the emulator's price, a failing balance preflight, and a
# plan file round trip through show.
set -u
: "${DCFORM:?}" "${DCFORM_EMULATOR:?}" "${DCFORM_SRC:?}"
t=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$DCFORM_EMULATOR" --listen 127.0.0.1:0 --env-file "$t/env" >"$t/emu.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$t/env" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$t/env" ] || fail "the emulator did not start: $(cat "$t/emu.log")"
. "$t/env"

cd "$DCFORM_SRC/examples/dcdb-prepaid"
"$DCFORM" plan --detailed-exitcode >"$t/out" 2>"$t/err"
code=$?
[ $code -eq 2 ] || fail "detailed exit code $code, want 2: $(cat "$t/err")"
grep -q '^  + tencentcloud_dcdb_instance "orders_db" {' "$t/out" || fail "no create line"
grep -q 'Plan: 1 to add, 0 to change, 0 to destroy. Due now: ¥26,880.00' "$t/out" ||
	fail "summary: $(grep Plan: "$t/out")"
grep -q 'ok   tencentcloud balance' "$t/out" || fail "no balance preflight"

# JSON: Terraform's actions and the purchase flow, in order.
"$DCFORM" plan --json --out "$t/p.plan" >"$t/p.json" || fail "plan --json"
python3 - "$t/p.json" <<'PY' || fail "JSON plan"
import json, sys
p = json.load(open(sys.argv[1]))
c = p["resource_changes"][0]
assert c["change"]["actions"] == ["create"], c["change"]
kinds = [s["kind"] for s in p["steps"]]
assert kinds == ["create", "confirm", "pay", "wait", "init", "wait"], kinds
# 4 shards x 2 nodes x (16 GB x 1500 + 100 GB x 40) fen x 12 months
assert p["quotes"]["total_upfront_fen"] == 4 * 2 * (16 * 1500 + 100 * 40) * 12
assert p["format_version"] == 1
PY

# The saved plan shows the same thing.
"$DCFORM" show "$t/p.plan" >"$t/show" || fail "show"
grep -q 'Plan: 1 to add' "$t/show" || fail "show text"
"$DCFORM" show --format markdown "$t/p.plan" | grep -q '<details>' || fail "markdown"
"$DCFORM" show --format yaml "$t/p.plan" 2>/dev/null && fail "bad format accepted"

# Postpaid: no confirm/pay, an hourly price.
cd "$DCFORM_SRC/examples/dcdb-postpaid"
"$DCFORM" plan --json >"$t/pp.json" || fail "postpaid plan"
python3 - "$t/pp.json" <<'PY' || fail "postpaid JSON"
import json, sys
p = json.load(open(sys.argv[1]))
for c in p["resource_changes"]:
    kinds = [s["kind"] for s in p["steps"] if s["address"] == c["address"]]
    assert kinds == ["create", "wait", "init", "wait"], kinds
    assert p["quotes"]["by_address"][c["address"]]["hourly_fen"] > 0
PY

# A poor account: the balance preflight fails and says so.
curl -s -X POST -d '{"tencent_balance_fen": 100}' \
	"$DCFORM_TENCENTCLOUD_ENDPOINT/_emulator/accounts/demo" >/dev/null
cd "$DCFORM_SRC/examples/dcdb-prepaid"
"$DCFORM" plan >"$t/out2" 2>&1
grep -q 'FAIL tencentcloud balance' "$t/out2" || fail "no failing preflight: $(cat "$t/out2")"
grep -q 'apply will refuse this plan' "$t/out2" || fail "no refusal note"

# Zones on sale and sold shard sizes: checked before anything is priced.
mkdir "$t/spec" && cd "$t/spec"
sed 's/zones: \[ap-guangzhou-3, ap-guangzhou-4\]/zones: [ap-guangzhou-9]/; s/memory_gb: 16/memory_gb: 12/' \
	"$DCFORM_SRC/examples/dcdb-prepaid/main.yaml" >main.yaml
grep -q 'ap-guangzhou-9' main.yaml && grep -q 'memory_gb: 12' main.yaml || fail "spec fixture: $(grep -n 'zones\|memory' main.yaml)"
"$DCFORM" plan --json >"$t/spec.json" 2>"$t/spec.err" || fail "plan with a bad spec: $(cat "$t/spec.err")"
python3 - "$t/spec.json" <<'PY' || fail "zones/spec preflight: $(python3 -m json.tool "$t/spec.json" | grep -A8 preflight)"
import json, sys
p = json.load(open(sys.argv[1]))
c = {x["check"]: x for x in p["preflight"]}
assert c["zones"]["ok"] is False and "ap-guangzhou-9" in c["zones"]["message"], c["zones"]
assert c["shard_spec"]["ok"] is False and "12 GB" in c["shard_spec"]["message"], c["shard_spec"]
PY
sed -i 's/zones: \[ap-guangzhou-9\]/zones: [ap-guangzhou-3]/; s/memory_gb: 12/memory_gb: 16/' main.yaml
"$DCFORM" plan --json >"$t/spec2.json" 2>&1 || fail "plan with a good spec"
python3 -c 'import json,sys; c={x["check"]: x["ok"] for x in json.load(open(sys.argv[1]))["preflight"]}; assert c["zones"] and c["shard_spec"], c' \
	"$t/spec2.json" || fail "good spec preflight"

# Missing credentials: one clear line, exit 1.
env -u TENCENTCLOUD_SECRET_ID -u TENCENTCLOUD_SECRET_KEY HOME="$t" \
	"$DCFORM" plan >"$t/o3" 2>"$t/e3"
[ $? -eq 1 ] || fail "missing credentials exit"
grep -q 'no Tencent Cloud credentials' "$t/e3" || fail "credentials message: $(cat "$t/e3")"
echo "plan against the emulator: ok"
