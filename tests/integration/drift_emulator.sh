#!/bin/sh
# dcform drift against the emulator: clean after apply; an attribute
# changed behind dcform's back, an object deleted, an object no state
# knows; .dcformignore; --json and markdown; read-only (no lock, no new
# state version); the other workspace's objects are not unmanaged; and
# apply --refresh-only accepting the drift into the state.
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
versions() { git --git-dir=.dcform/state.git rev-list --count refs/heads/default; }

mkdir "$t/cfg" && cd "$t/cfg"
cp "$DCFORM_SRC/examples/dcdb-postpaid/main.yaml" .
"$DCFORM" apply --auto-approve >"$t/a1" 2>&1 || fail "apply: $(tail "$t/a1")"
"$DCFORM" drift >"$t/d1" 2>&1
[ $? -eq 0 ] || fail "drift right after apply: $(cat "$t/d1")"
grep -q 'No drift' "$t/d1" || fail "clean text: $(cat "$t/d1")"

ci=$("$DCFORM" state list | awk '$1 == "test_db[ci]" { print $3 }')
qa=$("$DCFORM" state list | awk '$1 == "test_db[qa]" { print $3 }')
[ -n "$ci" ] && [ -n "$qa" ] || fail "ids: $("$DCFORM" state list)"

# Someone renames one instance in the console.
python3 "$DCFORM_SRC/tests/lib/tc3call.py" dcdb 2018-04-11 ModifyDBInstanceName ap-guangzhou \
	"{\"InstanceId\":\"$ci\",\"InstanceName\":\"renamed-by-hand\"}" >"$t/rename.json" ||
	fail "ModifyDBInstanceName: $(cat "$t/rename.json")"
# Someone else buys an instance by hand (a second configuration, its own state).
mkdir "$t/other" && cd "$t/other"
sed 's/test_db/stray_db/; s/test-/stray-/; /qa: ap-guangzhou-4/d' \
	"$DCFORM_SRC/examples/dcdb-postpaid/main.yaml" > main.yaml
"$DCFORM" apply --auto-approve >"$t/a2" 2>&1 || fail "stray apply: $(tail "$t/a2")"
stray=$("$DCFORM" state list | awk '{ print $3 }')
cd "$t/cfg"

before=$(versions)
"$DCFORM" drift >"$t/d2" 2>&1
[ $? -eq 2 ] || fail "drift exit code: $(cat "$t/d2")"
grep -q 'test_db\[ci\]' "$t/d2" || fail "drifted resource: $(cat "$t/d2")"
grep -q 'name: "test-ci" -> "renamed-by-hand"' "$t/d2" || fail "attribute line: $(cat "$t/d2")"
grep -q "$stray" "$t/d2" || fail "unmanaged instance not listed: $(cat "$t/d2")"
grep -q 'not managed by dcform' "$t/d2" || fail "unmanaged wording"
[ "$(versions)" = "$before" ] || fail "drift wrote a state version"

"$DCFORM" drift --json >"$t/d2.json"
[ $? -eq 2 ] || fail "json exit code"
python3 - "$t/d2.json" "$ci" "$stray" <<'PY' || fail "JSON report: $(cat "$t/d2.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["clean"] is False
d = r["drifted"]
assert len(d) == 1 and d[0]["id"] == sys.argv[2], d
assert d[0]["changes"] == [{"path": "name", "applied": "test-ci", "cloud": "renamed-by-hand"}], d
assert [u["id"] for u in r["unmanaged"]] == [sys.argv[3]], r["unmanaged"]
assert r["missing"] == []
PY
"$DCFORM" drift --format markdown >"$t/d2.md"
grep -q '^| test\\_db\\\[ci\\\] | name |' "$t/d2.md" || fail "markdown: $(cat "$t/d2.md")"

# Drift takes no lock: it runs while the lock is held.
python3 - <<'PY' &
import fcntl, os, time
f = open(".dcform/lock", "a+")
fcntl.flock(f, fcntl.LOCK_EX)
open(".locked", "w").close()
time.sleep(3)
PY
lpid=$!
while [ ! -e .locked ]; do sleep 0.05; done
"$DCFORM" drift >/dev/null 2>&1
[ $? -eq 2 ] || fail "drift did not run under a held lock"
"$DCFORM" apply --auto-approve >"$t/lk" 2>&1 && fail "apply ran under a held lock"
wait $lpid
rm -f .locked

# .dcformignore silences the known noise.
cat > .dcformignore <<IGN
# renames by the DBA team are fine
tencentcloud_dcdb_instance.test_db[ci].name
tencentcloud_dcdb_instance.$stray
IGN
"$DCFORM" drift >"$t/d3" 2>&1
[ $? -eq 0 ] || fail "ignored drift still reported: $(cat "$t/d3")"
grep -q '2 ignored' "$t/d3" || fail "ignored count: $(cat "$t/d3")"
echo 'bogus' > .dcformignore
"$DCFORM" drift >"$t/d4" 2>&1
[ $? -eq 1 ] || fail "a bad ignore file is not an error"
grep -q '.dcformignore:1' "$t/d4" || fail "bad rule position: $(cat "$t/d4")"
rm .dcformignore

# An object deleted behind dcform's back is missing.
python3 "$DCFORM_SRC/tests/lib/tc3call.py" dcdb 2018-04-11 DestroyHourDCDBInstance \
	ap-guangzhou "{\"InstanceId\":\"$qa\"}" >"$t/destroy.json" ||
	fail "DestroyHourDCDBInstance: $(cat "$t/destroy.json")"
curl -s -X POST "$E/_emulator/time/advance" -d '{"ms":3600000}' >/dev/null
"$DCFORM" drift --json --no-unmanaged >"$t/d5.json"
python3 - "$t/d5.json" "$qa" <<'PY' || fail "missing: $(cat "$t/d5.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert [m["id"] for m in r["missing"]] == [sys.argv[2]], r["missing"]
assert r["unmanaged"] == []
PY

# apply --refresh-only takes the cloud's values into the state.
"$DCFORM" apply --refresh-only --auto-approve >"$t/r1" 2>&1 || fail "refresh-only: $(cat "$t/r1")"
"$DCFORM" state show 'test_db[ci]' | grep -q '"name": "renamed-by-hand"' || fail "renamed value not in state"
"$DCFORM" state list | grep -q 'test_db\[qa\]' && fail "gone object still in state"
"$DCFORM" drift --no-unmanaged >"$t/d6" 2>&1
[ $? -eq 0 ] || fail "drift after refresh-only: $(cat "$t/d6")"
# The manifests still say test-ci: a plan puts it back.
"$DCFORM" plan --detailed-exitcode >"$t/p1" 2>&1
[ $? -eq 2 ] || fail "plan after refresh-only: $(cat "$t/p1")"
echo "drift against the emulator: ok"
