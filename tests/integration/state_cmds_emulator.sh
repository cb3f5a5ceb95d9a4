#!/bin/sh
# State writes against the emulator: state mv after renaming a resource in
# the manifests (no destroy, no purchase), state rm (the object stays in
# the cloud), import back, state diff between versions, state restore of
# an earlier version, and the refusals (bad addresses, taken addresses,
# unknown ids, no terminal, a held lock).
set -u
: "${DCFORM:?}" "${DCFORM_EMULATOR:?}" "${DCFORM_SRC:?}"
t=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "${KEEP:-}" ] && cp -r "$t" /tmp/keep2; rm -rf "$t"
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
orders() {
	curl -s "$E/_emulator/ledger?cloud=tencent&kind=order" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}
serial() { "$DCFORM" state pull | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])'; }

mkdir "$t/cfg" && cd "$t/cfg"
# (tags are set at creation only: keep them out of the rename)
sed 's/purpose: \${each.key}/purpose: test/' "$DCFORM_SRC/examples/dcdb-postpaid/main.yaml" >main.yaml
"$DCFORM" apply --auto-approve >"$t/a1" 2>&1 || fail "apply: $(tail "$t/a1")"
bought=$(orders)
qa=$("$DCFORM" state list | awk '$1 == "test_db[qa]" { print $3 }')

# Rename ci -> dev in the manifests and in the state: nothing destroyed.
sed -i 's/^      ci: ap-guangzhou-3/      dev: ap-guangzhou-3/' main.yaml
"$DCFORM" state mv 'test_db[ci]' 'test_db[dev]' 2>"$t/mv" || fail "state mv: $(cat "$t/mv")"
grep -q 'state mv: test_db\[ci\] -> test_db\[dev\]' "$t/mv" || fail "mv message: $(cat "$t/mv")"
"$DCFORM" plan >"$t/p1" 2>&1 || fail "plan after mv: $(cat "$t/p1")"
grep -q 'Plan: 0 to add, 1 to change, 0 to destroy' "$t/p1" || fail "plan after mv: $(grep Plan: "$t/p1")"
"$DCFORM" state mv 'test_db[dev]' 'test_db[qa]' 2>"$t/mv2" && fail "mv onto a taken address"
grep -q 'already in the state' "$t/mv2" || fail "taken message: $(cat "$t/mv2")"
"$DCFORM" state mv 'test_db[dev]' '../x' 2>"$t/mv3" && fail "mv to a bad address"
grep -q 'not a resource address' "$t/mv3" || fail "bad address message: $(cat "$t/mv3")"
"$DCFORM" state mv nothere x 2>/dev/null && fail "mv of a missing address"

# state rm forgets, the cloud keeps the object.
before_rm=$(serial)
"$DCFORM" state rm 'test_db[qa]' 2>"$t/rm" || fail "state rm: $(cat "$t/rm")"
"$DCFORM" state list | grep -q 'test_db\[qa\]' && fail "rm did not remove"
curl -s "$E/_emulator/tencent/instances/$qa" | grep -q '"Status": *2' || fail "rm touched the cloud"
"$DCFORM" state diff >"$t/diff" || fail "state diff"
grep -q "^  - test_db\[qa\] ($qa)" "$t/diff" || fail "diff: $(cat "$t/diff")"
"$DCFORM" state diff --json HEAD~2 HEAD | python3 -c '
import json, sys
d = json.load(sys.stdin)
ch = {r["address"]: r["change"] for r in d["resources"]}
assert ch == {"test_db[ci]": "removed", "test_db[dev]": "added", "test_db[qa]": "removed"}, ch' ||
	fail "diff --json"

# import takes it back; the plan has nothing to buy.
"$DCFORM" import 'test_db[nope]' "$qa" >"$t/i0" 2>&1 && fail "import of an undeclared address"
grep -q 'not a resource of the manifests' "$t/i0" || fail "undeclared message: $(cat "$t/i0")"
"$DCFORM" import 'test_db[qa]' dcdbt-doesnotx >"$t/i1" 2>&1 && fail "import of an unknown id"
grep -q 'no tencentcloud_dcdb_instance "dcdbt-doesnotx"' "$t/i1" || fail "unknown id message: $(cat "$t/i1")"
"$DCFORM" import 'test_db[qa]' "$qa" >"$t/i2" 2>&1 || fail "import: $(cat "$t/i2")"
"$DCFORM" state show 'test_db[qa]' | grep -q "\"id\": \"$qa\"" || fail "imported id"
"$DCFORM" import 'test_db[qa]' "$qa" >"$t/i3" 2>&1 && fail "second import"
"$DCFORM" plan >"$t/p2" 2>&1 || fail "plan after import"
grep -q 'Plan: 0 to add, 1 to change, 0 to destroy' "$t/p2" || fail "plan after import: $(grep Plan: "$t/p2")"

# restore: an earlier version becomes current again, as a new version.
now=$(serial)
"$DCFORM" state restore "$before_rm" </dev/null >"$t/r0" 2>&1 && fail "restore without a terminal"
[ "$(serial)" = "$now" ] || fail "refused restore wrote a version"
"$DCFORM" state restore --auto-approve $((before_rm - 1)) >"$t/r1" 2>&1 || fail "restore: $(cat "$t/r1")"
[ "$(serial)" = $((now + 1)) ] || fail "restore serial $(serial), want $((now + 1))"
"$DCFORM" state list | grep -q 'test_db\[ci\]' || fail "restored address"
"$DCFORM" state restore --auto-approve nosuchrev >/dev/null 2>&1 && fail "restore of an unknown version"

# A held lock stops writers, with the holder named.
python3 - <<'PY' &
import fcntl, time
f = open(".dcform/lock", "a+")
fcntl.flock(f, fcntl.LOCK_EX)
open(".locked", "w").close()
time.sleep(2)
PY
lpid=$!
while [ ! -e .locked ]; do sleep 0.05; done
"$DCFORM" state rm 'test_db[qa]' >"$t/l1" 2>&1 && fail "state rm under a held lock"
wait $lpid
[ "$(orders)" = "$bought" ] || fail "state commands bought something: $(orders) orders, was $bought"
# A replace: a force-new property (the zone) changes; with
# create_before_destroy the new instance is bought before the old one goes.
# (First the restored state takes the manifests' name for ci again.)
"$DCFORM" state mv 'test_db[ci]' 'test_db[dev]' 2>/dev/null || fail "state mv back"
"$DCFORM" apply --auto-approve >/dev/null 2>&1 || fail "apply before the replace"
bought=$(orders)
sed -i 's/^      qa: ap-guangzhou-4/      qa: ap-guangzhou-3/' main.yaml
old_qa=$("$DCFORM" state list | awk '$1 == "test_db[qa]" { print $3 }')
"$DCFORM" plan >"$t/p3" 2>&1
grep -q 'test_db\[qa\] must be replaced' "$t/p3" || fail "no replace in the plan: $(cat "$t/p3")"
"$DCFORM" apply --auto-approve >"$t/a3" 2>&1 || fail "replace apply: $(tail "$t/a3")"
new_qa=$("$DCFORM" state list | awk '$1 == "test_db[qa]" { print $3 }')
[ -n "$new_qa" ] && [ "$new_qa" != "$old_qa" ] || fail "replace kept the id $old_qa"
st=$(curl -s "$E/_emulator/tencent/instances/$old_qa" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("Status"))' 2>/dev/null)
case "$st" in 5|None|"") ;; *) fail "the replaced instance $old_qa is still there (status $st)" ;; esac
[ "$(orders)" = $((bought + 1)) ] || fail "replace bought $(( $(orders) - bought )) instances, want 1"
"$DCFORM" plan --detailed-exitcode >/dev/null 2>&1 || fail "plan after the replace is not empty"
echo "state commands against the emulator: ok"
