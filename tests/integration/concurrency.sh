#!/bin/sh
# Concurrency: two applies on one state at once (one runs, the other is
# refused by the lock, or waits for it with --lock-timeout and then has
# nothing to do; nothing bought twice, the state's history intact); drift
# while an apply holds the lock; and the emulator under 50 concurrent
# clients (every create answered once, ids unique, the world file valid).
set -u
: "${DCFORM:?}" "${DCFORM_EMULATOR:?}" "${DCFORM_SRC:?}"
here="$DCFORM_SRC/tests/reliability"
t=$(mktemp -d)
trap 'emu_stop; rm -rf "$t"' EXIT
. "$here/lib.sh"
emu_start

mkdir "$t/cfg" && cp "$DCFORM_SRC/examples/dcdb-postpaid/main.yaml" "$t/cfg/"
cd "$t/cfg"
# Two applies at once, no lock timeout: exactly one of them runs.
"$DCFORM" apply --auto-approve >"$t/a1" 2>&1 &
p1=$!
"$DCFORM" apply --auto-approve >"$t/a2" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
if [ $r1 -eq 0 ] && [ $r2 -ne 0 ]; then loser=$t/a2
elif [ $r2 -eq 0 ] && [ $r1 -ne 0 ]; then loser=$t/a1
else fail "two applies: exit codes $r1 and $r2, want one 0 and one refusal: $(tail -3 "$t/a1") / $(tail -3 "$t/a2")"
fi
grep -q 'locked' "$loser" || fail "the refused apply does not name the lock: $(cat "$loser")"
[ "$(ledger order)" = 2 ] || fail "$(ledger order) orders after two concurrent applies, want 2"
git --git-dir=.dcform/state.git fsck --strict >/dev/null 2>&1 || fail "state repository corrupt"

# With --lock-timeout the second waits, then finds nothing to do.
sed -i 's/name: test-\${each.key}/name: test2-${each.key}/' main.yaml
"$DCFORM" apply --auto-approve --lock-timeout 60 >"$t/b1" 2>&1 &
p1=$!
"$DCFORM" apply --auto-approve --lock-timeout 60 >"$t/b2" 2>&1 &
p2=$!
wait $p1 || fail "first waiting apply: $(tail -3 "$t/b1")"
wait $p2 || fail "second waiting apply: $(tail -3 "$t/b2")"
grep -q 'No changes' "$t/b1" "$t/b2" || fail "neither apply found the other's work done"
[ "$(ledger order)" = 2 ] || fail "orders after renames: $(ledger order)"
"$DCFORM" plan --detailed-exitcode >/dev/null 2>&1 || fail "state does not match the cloud"

# drift runs while an apply holds the lock (it takes none).
sed -i 's/name: test2-\${each.key}/name: test3-${each.key}/' main.yaml
curl -sf -X POST "$E/_emulator/faults" -d '{"service":"dcdb","action":"ModifyDBInstanceName","kind":"latency","ms":2000}' >/dev/null
"$DCFORM" apply --auto-approve >"$t/c1" 2>&1 &
p1=$!
sleep 0.7
"$DCFORM" drift --no-unmanaged >"$t/c2" 2>&1
rd=$?
wait $p1 || fail "apply during drift: $(tail -3 "$t/c1")"
[ $rd -eq 0 ] || [ $rd -eq 2 ] || fail "drift during an apply: exit $rd: $(cat "$t/c2")"
curl -sf -X DELETE "$E/_emulator/faults" >/dev/null

# 50 clients at once against the emulator: CreateHourDCDBInstance allows
# 20 a second, so each client gets either its instance or
# RequestLimitExceeded, and the world gains exactly the instances answered.
before=$(curl -s "$E/_emulator/world" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tencent"]["instances"]))')
i=0
pids=""
while [ $i -lt 50 ]; do
	python3 "$DCFORM_SRC/tests/lib/tc3call.py" dcdb 2018-04-11 CreateHourDCDBInstance ap-guangzhou \
		"{\"Zones\":[\"ap-guangzhou-4\"],\"ShardMemory\":4,\"ShardStorage\":50,\"ShardNodeCount\":2,\"ShardCount\":2,\"InstanceName\":\"load-$i\"}" \
		>"$t/load.$i" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p"; done
bad=$(grep -L -e '"InstanceIds"' -e '"RequestLimitExceeded"' "$t"/load.* | head -3)
[ -z "$bad" ] || fail "concurrent creates failed: $(cat $bad)"
ids=$(cat "$t"/load.* | python3 -c 'import json,sys
r=[json.loads(l)["Response"] for l in sys.stdin if l.strip()]
ids=[x["InstanceIds"][0] for x in r if "InstanceIds" in x]
print(len(r), len(ids), len(set(ids)))')
set -- $ids
[ "$1" = 50 ] && [ "$2" = "$3" ] && [ "$2" -ge 20 ] ||
	fail "50 creates gave (answers, ids, distinct ids): $ids"
after=$(curl -s "$E/_emulator/world" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tencent"]["instances"]))')
[ $((after - before)) -eq "$2" ] || fail "the world has $((after - before)) new instances, want $2"
limited=$(curl -s "$E/_emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("rate_limited",{}).get("dcdb.CreateHourDCDBInstance",0))')
[ $((limited + $2)) -ge 50 ] || fail "rate-limited $limited + created $2 < 50"
emu_stop
python3 -c 'import json,sys; w=json.load(open(sys.argv[1])); assert len(w["tencent"]["instances"]) >= 20' "$t/world.json" ||
	fail "the emulator's state file is not valid after the load"
echo "concurrency: ok"
