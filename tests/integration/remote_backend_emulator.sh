#!/bin/sh
# A team sharing state through a git remote (git daemon on loopback):
# `backend: { git: … }` in the manifests; apply from one working copy,
# plan/drift/state/output from a second one see it; a lock held by one is
# seen by the other with its holder; --backend-url overrides the manifests.
set -u
: "${DCFORM:?}" "${DCFORM_EMULATOR:?}" "${DCFORM_SRC:?}"
here="$DCFORM_SRC/tests/reliability"
t=$(mktemp -d)
daemon=""
trap 'emu_stop; [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; rm -rf "$t"' EXIT
. "$here/lib.sh"
emu_start

port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$t/srv"
git init -q --bare "$t/srv/infra.git"
git daemon --export-all --enable=receive-pack --base-path="$t/srv" \
	--listen=127.0.0.1 --port="$port" --reuseaddr >"$t/daemon.log" 2>&1 &
daemon=$!
url="git://127.0.0.1:$port/infra.git"
i=0
until git ls-remote "$url" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "git daemon did not start: $(cat "$t/daemon.log")"
	sleep 0.1
done

# Two working copies of one configuration, state on a branch of the
# infrastructure repository itself.
for c in alice bob; do
	mkdir "$t/$c"
	sed "s/purpose: \${each.key}/purpose: \${each.key}/" "$DCFORM_SRC/examples/dcdb-postpaid/main.yaml" >"$t/$c/main.yaml"
	printf '\nbackend:\n  git: { url: "%s", branch: dcform-state }\n' "$url" >>"$t/$c/main.yaml"
done
cd "$t/alice"
"$DCFORM" apply --auto-approve >"$t/a1" 2>&1 || fail "alice's apply: $(tail "$t/a1")"
git ls-remote "$url" | grep -q 'refs/heads/dcform-state$' || fail "no state branch on the remote: $(git ls-remote "$url")"
git ls-remote "$url" | grep -q 'refs/dcform/locks' && fail "a lock ref was left behind"

cd "$t/bob"
"$DCFORM" plan --detailed-exitcode >"$t/b1" 2>&1 || fail "bob sees changes: $(cat "$t/b1")"
"$DCFORM" state list | grep -q 'test_db\[ci\]' || fail "bob's state list"
n_alice=$(cd "$t/alice" && "$DCFORM" state history | wc -l)
n_bob=$("$DCFORM" state history | wc -l)
[ "$n_alice" = "$n_bob" ] && [ "$n_bob" -ge 2 ] || fail "histories differ: $n_alice vs $n_bob"
"$DCFORM" drift --no-unmanaged >/dev/null 2>&1 || fail "bob's drift"

# Bob changes something; alice's next plan sees bob's version.
sed -i 's/name: test-\${each.key}/name: team-${each.key}/' main.yaml "$t/alice/main.yaml"
"$DCFORM" apply --auto-approve >"$t/b2" 2>&1 || fail "bob's apply: $(tail "$t/b2")"
(cd "$t/alice" && "$DCFORM" plan --detailed-exitcode >"$t/a2" 2>&1) || fail "alice does not see bob's apply: $(cat "$t/a2")"
[ "$(ledger order)" = 2 ] || fail "orders: $(ledger order)"

# A lock held by alice's slow apply is seen by bob, with its holder.
sed -i 's/name: team-\${each.key}/name: slow-${each.key}/' main.yaml "$t/alice/main.yaml"
curl -sf -X POST "$E/_emulator/faults" -d '{"service":"dcdb","action":"ModifyDBInstanceName","kind":"latency","ms":1500}' >/dev/null
(cd "$t/alice" && "$DCFORM" apply --auto-approve >"$t/a3" 2>&1) &
apid=$!
i=0
until git ls-remote "$url" | grep -q 'refs/dcform/locks/default'; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "alice's lock ref never appeared"
	sleep 0.05
done
"$DCFORM" apply --auto-approve >"$t/b3" 2>&1 && fail "bob applied while alice held the lock"
grep -q 'locked by' "$t/b3" || fail "bob's lock message: $(cat "$t/b3")"
wait $apid || fail "alice's slow apply: $(tail "$t/a3")"
curl -sf -X DELETE "$E/_emulator/faults" >/dev/null
git ls-remote "$url" | grep -q 'refs/dcform/locks' && fail "alice's lock ref was not removed"
"$DCFORM" plan --detailed-exitcode >/dev/null 2>&1 || fail "bob's plan after alice's apply"

# --backend-url overrides the manifests (here: a new, empty remote).
git init -q --bare "$t/srv/other.git"
"$DCFORM" state list --backend-url "git://127.0.0.1:$port/other.git" >"$t/o1" 2>&1 &&
	fail "an empty backend has a state: $(cat "$t/o1")"
grep -q 'no state' "$t/o1" || fail "--backend-url message: $(cat "$t/o1")"
echo "remote backend against the emulator: ok"
