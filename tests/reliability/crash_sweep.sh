#!/bin/sh
# Crash sweep: for every side-effecting call of a configuration's apply
# (and then of its destroy), SIGKILL dcform right after the cloud answered
# that call and before dcform recorded it (DCFORM_TEST_CRASH=http-write:N),
# then run again until it converges. Invariants after each run: the same
# orders and payments as a run without a crash (nothing bought twice), the
# cloud holds exactly the configuration's objects (none orphaned), and a
# plan finds nothing to do (the state matches the cloud).
#
# Usage: crash_sweep.sh [CONFIG_DIR]   (default: configs/dcdb)
# SWEEP_EVERY=K tests every K-th crash point only (short form).
set -u
: "${DCFORM:?}" "${DCFORM_EMULATOR:?}" "${DCFORM_SRC:?}"
here=$(cd "$(dirname "$0")" && pwd)
cfg=${1:-$here/configs/dcdb}
every=${SWEEP_EVERY:-1}
t=$(mktemp -d)
trap 'emu_stop; rm -rf "$t"' EXIT
. "$here/lib.sh"
export BGP_AUTH_KEY=sweep-bgp-key-1
emu_start

# The reference run: what a clean apply buys and how many writes it makes.
mkdir "$t/ref" && cp "$cfg"/*.yaml "$t/ref/"
converge "$t/ref" || fail "reference apply"
orders=$(ledger order)
payments=$(ledger payment)
objects=$(count_live)
apply_writes=$(writes)
(cd "$t/ref" && "$DCFORM" plan --detailed-exitcode >/dev/null 2>&1) || fail "reference replan not empty"
curl -sf -X POST "$E/_emulator/stats/reset" >/dev/null
converge "$t/ref" destroy || fail "reference destroy"
destroy_writes=$(writes)
[ "$(count_live)" = 0 ] || fail "reference destroy left $(live_objects)"
echo "reference: $objects objects, $orders orders, $payments payments, $apply_writes writes to apply, $destroy_writes to destroy"

points=0
check() { # PHASE K
	got_o=$(ledger order)
	got_p=$(ledger payment)
	[ "$got_o" = "$orders" ] || fail "$1 crash at write $2: $got_o orders, want $orders"
	[ "$got_p" = "$payments" ] || fail "$1 crash at write $2: $got_p payments, want $payments"
}

k=1
while [ $k -le "$apply_writes" ]; do
	emu_reset
	rm -rf "$t/run" && mkdir "$t/run" && cp "$cfg"/*.yaml "$t/run/"
	rc=$( (cd "$t/run" && DCFORM_TEST_CRASH=http-write:$k "$DCFORM" apply \
		--auto-approve >"$t/crash.out" 2>&1; echo $?) 2>/dev/null)
	[ $rc -eq 137 ] || fail "apply with a crash at write $k exited $rc, not killed: $(tail -3 "$t/crash.out")"
	converge "$t/run" || fail "apply after a crash at write $k"
	check apply $k
	[ "$(count_live)" = "$objects" ] || fail "apply crash at write $k: $(live_objects), want $objects objects"
	(cd "$t/run" && "$DCFORM" plan --detailed-exitcode >"$t/plan.out" 2>&1) ||
		fail "apply crash at write $k: the state does not match the cloud: $(grep -E 'Plan:|must|will' "$t/plan.out" | head -5)"
	points=$((points + 1))
	k=$((k + every))
done

k=1
while [ $k -le "$destroy_writes" ]; do
	emu_reset
	rm -rf "$t/run" && mkdir "$t/run" && cp "$cfg"/*.yaml "$t/run/"
	converge "$t/run" || fail "apply before the destroy crash $k"
	rc=$( (cd "$t/run" && DCFORM_TEST_CRASH=http-write:$k "$DCFORM" destroy \
		--auto-approve >"$t/crash.out" 2>&1; echo $?) 2>/dev/null)
	[ $rc -eq 137 ] || fail "destroy with a crash at write $k exited $rc: $(tail -3 "$t/crash.out")"
	converge "$t/run" destroy || fail "destroy after a crash at write $k"
	check destroy $k
	[ "$(count_live)" = 0 ] || fail "destroy crash at write $k left $(live_objects)"
	[ -z "$(cd "$t/run" && "$DCFORM" state list 2>/dev/null)" ] || fail "destroy crash at write $k: state not empty"
	points=$((points + 1))
	k=$((k + every))
done
# SIGKILL inside the state commit (objects written, branch not moved) at
# every few commits of an apply: the previous version stays, the rerun
# converges, nothing is bought twice.
commits=$(git --git-dir="$t/ref/.dcform/state.git" rev-list --count --all 2>/dev/null || echo 0)
cstep=$(( commits / 6 + 1 ))
k=1
while [ $k -le "$commits" ]; do
	emu_reset
	rm -rf "$t/run" && mkdir "$t/run" && cp "$cfg"/*.yaml "$t/run/"
	rc=$( (cd "$t/run" && DCFORM_TEST_CRASH=state-commit:$k "$DCFORM" apply \
		--auto-approve >"$t/crash.out" 2>&1; echo $?) 2>/dev/null)
	[ "$rc" -eq 137 ] || [ "$rc" -eq 0 ] || fail "apply with a crash in commit $k exited $rc: $(tail -3 "$t/crash.out")"
	git --git-dir="$t/run/.dcform/state.git" fsck >/dev/null 2>&1 || fail "state repository corrupt after a crash in commit $k"
	converge "$t/run" || fail "apply after a crash in commit $k"
	check state-commit $k
	[ "$(count_live)" = "$objects" ] || fail "crash in commit $k: $(live_objects), want $objects objects"
	(cd "$t/run" && "$DCFORM" plan --detailed-exitcode >"$t/plan.out" 2>&1) ||
		fail "crash in commit $k: the state does not match the cloud"
	points=$((points + 1))
	k=$((k + cstep))
done
echo "crash sweep: $points crash points ($apply_writes apply writes, $destroy_writes destroy writes, every $every), nothing bought twice, nothing orphaned, state = cloud"
