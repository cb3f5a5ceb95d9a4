#!/bin/sh
# dcform apply against the emulator: a prepaid DCDB instance bought end to
# end (create, confirm, pay, wait, init, wait), state versions in git, a
# second plan with nothing to do, exactly one payment in the ledger, a
# --wait-timeout that leaves the resource pending and a rerun that resumes,
# a SIGKILL mid-apply followed by a rerun that buys nothing twice, and a
# stale plan file refused.
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
E=$DCFORM_TENCENTCLOUD_ENDPOINT
payments() {
	curl -s "$E/_emulator/ledger?cloud=tencent&kind=payment" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}

mkdir "$t/cfg"
cp "$DCFORM_SRC/examples/dcdb-prepaid/main.yaml" "$t/cfg/"
cd "$t/cfg"

"$DCFORM" apply --auto-approve >"$t/out" 2>"$t/err" || fail "apply: $(tail -20 "$t/err")"
grep -q 'Apply complete' "$t/err" || fail "no summary: $(cat "$t/err")"
[ "$(payments)" = 1 ] || fail "payments after apply: $(payments)"
"$DCFORM" plan --detailed-exitcode >"$t/p2" 2>&1
[ $? -eq 0 ] || fail "second plan not empty: $(cat "$t/p2")"
"$DCFORM" apply --auto-approve >"$t/out2" 2>&1 || fail "second apply"
[ "$(payments)" = 1 ] || fail "payments after a second apply"
[ -d .dcform/state.git ] || fail "no state repository"
n=$(git --git-dir=.dcform/state.git rev-list --count refs/heads/default)
[ "$n" -ge 3 ] || fail "only $n state versions"
git --git-dir=.dcform/state.git log -1 --format=%s refs/heads/default | grep -q '^apply' ||
	fail "commit message"
[ "$(stat -c %a .dcform/state.git)" = 700 ] || fail "state repo mode"
"$DCFORM" state list | grep -q '^orders_db .*dcdbt-' || fail "state list"
[ "$("$DCFORM" state history -n 3 | wc -l)" = 3 ] || fail "state history -n 3"
"$DCFORM" state history --json | python3 -c 'import json,sys; h=json.load(sys.stdin); assert h[0]["serial"] > h[-1]["serial"]' ||
	fail "history order"
"$DCFORM" state show orders_db | grep -q '"id": "dcdbt-' || fail "state show"
"$DCFORM" state show nothere 2>/dev/null && fail "state show of a missing address"
"$DCFORM" state pull | grep -q '"lineage"' || fail "state pull"
"$DCFORM" output | grep -q '^orders_vport = 3306$' || fail "output: $("$DCFORM" output 2>&1)"
"$DCFORM" output --raw orders_vip | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' || fail "output --raw"
"$DCFORM" output --json | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["orders_vport"]["value"] == 3306' ||
	fail "output --json"
"$DCFORM" output nothere 2>"$t/oe" && fail "output of a missing name"
grep -q 'orders_vip' "$t/oe" || fail "output error does not list the names: $(cat "$t/oe")"

# No terminal and no --auto-approve: refused.
sed -i 's/name: orders-\${var.env}/name: orders-renamed/' main.yaml
"$DCFORM" apply </dev/null >"$t/o3" 2>&1 && fail "applied without approval"

# A wait that times out leaves the resource pending; the rerun resumes.
mkdir "$t/cfg2" && cd "$t/cfg2"
sed 's/orders_db/second_db/g; s/orders-/second-/' \
	"$DCFORM_SRC/examples/dcdb-prepaid/main.yaml" > main.yaml
"$DCFORM" apply --auto-approve --wait-timeout 0 >"$t/o4" 2>"$t/e4" ||
	fail "apply with a timeout: $(tail "$t/e4")"
grep -q 'pending' "$t/e4" || fail "no pending note: $(cat "$t/e4")"
"$DCFORM" plan >"$t/p4" 2>&1
grep -q 'resume' "$t/p4" || fail "plan does not resume: $(cat "$t/p4")"
"$DCFORM" apply --auto-approve >"$t/o5" 2>"$t/e5" || fail "resume: $(tail "$t/e5")"
[ "$(payments)" = 2 ] || fail "payments after resume: $(payments)"

# SIGKILL in the middle, then a rerun: nothing bought twice.
mkdir "$t/cfg3" && cd "$t/cfg3"
sed 's/orders_db/third_db/g; s/orders-/third-/' \
	"$DCFORM_SRC/examples/dcdb-prepaid/main.yaml" > main.yaml
"$DCFORM" apply --auto-approve >"$t/o6" 2>&1 &
apid=$!
sleep 1.5
kill -9 $apid 2>/dev/null
wait $apid 2>/dev/null
"$DCFORM" apply --auto-approve >"$t/o7" 2>"$t/e7" || fail "rerun after kill: $(tail "$t/e7")"
[ "$(payments)" = 3 ] || fail "payments after kill and rerun: $(payments)"

# A plan file made before the state moved is refused.
cd "$t/cfg"
git checkout -q -- main.yaml 2>/dev/null || true
"$DCFORM" plan --out "$t/old.plan" >/dev/null 2>&1
sed -i 's/orders-renamed/orders-again/' main.yaml
"$DCFORM" apply --auto-approve >/dev/null 2>&1 || fail "rename apply"
"$DCFORM" apply --auto-approve "$t/old.plan" >"$t/o8" 2>&1 && fail "stale plan applied"
grep -q 'plan again' "$t/o8" || fail "stale plan message: $(cat "$t/o8")"

# A fresh plan file is applied without a question (it was reviewed), and
# --json gives one JSON object per line: the events, then the summary.
sed -i 's/orders-again/orders-json/' main.yaml
"$DCFORM" plan --out "$t/new.plan" >/dev/null 2>&1 || fail "plan --out"
"$DCFORM" apply --json "$t/new.plan" </dev/null >"$t/j" 2>"$t/je" || fail "apply --json PLANFILE: $(cat "$t/je")"
python3 - "$t/j" <<'PY' || fail "apply --json lines: $(cat "$t/j")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
types = [l["type"] for l in lines]
assert types[-1] == "summary" and "event" in types, types
s = lines[-1]
assert s["ok"] is True and s["failed"] == 0 and s["operation"] == "apply", s
assert s["outputs"]["orders_vport"]["value"] == 3306, s
PY
sed -i 's/orders-json/orders-json2/' main.yaml
"$DCFORM" apply --json </dev/null >"$t/j2" 2>&1 && fail "apply --json without approval"
grep -q 'needs --auto-approve' "$t/j2" || fail "json approval message: $(cat "$t/j2")"

# destroy: prevent_destroy refuses, naming the resource.
"$DCFORM" destroy --auto-approve >"$t/d1" 2>&1 && fail "destroyed despite prevent_destroy"
grep -q 'orders_db: lifecycle.prevent_destroy' "$t/d1" || fail "prevent_destroy message: $(cat "$t/d1")"

# Deletion protection switched on in the cloud is honoured too.
cd "$t/cfg3"
sed -i 's/prevent_destroy: true/prevent_destroy: false/' main.yaml
id=$("$DCFORM" state list | awk '$1 == "third_db" { print $3 }')
case "$id" in dcdbt-*) ;; *) fail "no id for third_db: $("$DCFORM" state list)" ;; esac
curl -s -X POST "$E/_emulator/tencent/instances/$id" -d '{"ProtectedProperty":1}' >/dev/null
"$DCFORM" destroy --auto-approve >"$t/d2" 2>&1 && fail "destroyed despite deletion protection"
grep -q 'deletion protection' "$t/d2" || fail "protection message: $(cat "$t/d2")"
curl -s -X POST "$E/_emulator/tencent/instances/$id" -d '{"ProtectedProperty":0}' >/dev/null

# Without either, destroy isolates and destroys; the state is empty after.
serial=$("$DCFORM" state pull | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
"$DCFORM" destroy --auto-approve >"$t/d3" 2>"$t/e3" || fail "destroy: $(tail "$t/e3")"
grep -q 'IsolateDCDBInstance' "$t/d3" || fail "destroy plan: $(cat "$t/d3")"
[ -z "$("$DCFORM" state list)" ] || fail "state not empty: $("$DCFORM" state list)"
st=$(curl -s "$E/_emulator/tencent/instances/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("Status"))' 2>/dev/null)
case "$st" in 5|None|"") ;; *) fail "instance still there, status $st" ;; esac
git --git-dir=.dcform/state.git log -1 --format=%s refs/heads/default | grep -q '^destroy' ||
	fail "destroy commit message"
"$DCFORM" destroy --auto-approve >"$t/d4" 2>&1 || fail "destroy of nothing: $(cat "$t/d4")"
[ "$(payments)" = 3 ] || fail "payments after destroy: $(payments)"
echo "apply against the emulator: ok"
