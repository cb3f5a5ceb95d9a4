#!/bin/sh
# Fault matrix: apply and destroy the 30-resource configuration of both
# clouds while the emulator injects one kind of fault per scenario, then
# check that every run converged (re-runs allowed after a hard failure)
# with the orders and payments of a clean run (nothing bought twice), the
# cloud holding exactly the configuration's objects (nothing orphaned), a
# plan with nothing to do (state = cloud), and nothing left after destroy.
# One report line per scenario.
#
# Usage: fault_matrix.sh [SCENARIO...]   (default: all)
set -u
: "${DCFORM:?}" "${DCFORM_EMULATOR:?}" "${DCFORM_SRC:?}"
here=$(cd "$(dirname "$0")" && pwd)
cfg=$here/configs/mixed
t=$(mktemp -d)
trap 'emu_stop; [ -n "${KEEP:-}" ] && cp -r "$t" /tmp/keepfm; rm -rf "$t"' EXIT
. "$here/lib.sh"
export BGP_AUTH_KEY=fault-matrix-bgp-key
echo '{"jdcloud":{"quotas":{"connections_per_region":100,"bgws_per_region":100}}}' >"$t/quota.json"

start() {
	emu_start --seed 7
	curl -sf -X POST "$E/_emulator/accounts/demo" -d '{"jd_balance_fen":100000000}' >/dev/null ||
		fail "balance top-up"
	port=${E##*:}
}

faults() { curl -sf -X POST "$E/_emulator/faults" -d "$1" >/dev/null || fail "fault rule $1"; }

start
# Reference: a clean run.
mkdir "$t/ref" && cp "$cfg/main.yaml" "$t/ref/"
converge "$t/ref" || fail "reference apply"
orders=$(ledger order)
payments=$(ledger payment)
objects=$(count_live)
converge "$t/ref" destroy || fail "reference destroy"
[ "$(count_live)" = 0 ] || fail "reference destroy left $(live_objects)"
echo "reference: $objects objects, $orders orders, $payments payments"

scenario() { # NAME RULES-JSON [restart]
	name=$1
	emu_reset
	curl -sf -X POST "$E/_emulator/accounts/demo" -d '{"jd_balance_fen":100000000}' >/dev/null
	rm -rf "$t/run" && mkdir "$t/run" && cp "$cfg/main.yaml" "$t/run/"
	[ "$2" != none ] && faults "$2"
	s0=$(date +%s)
	runs=0
	if [ "${3:-}" = restart ]; then
		# The emulator restarts (SIGTERM, same state file and port)
		# while the apply runs.
		(cd "$t/run" && "$DCFORM" apply --auto-approve >"$t/r.out" 2>&1) &
		apid=$!
		sleep 1
		emu_stop
		EMU_LISTEN=127.0.0.1:$port emu_start --seed 7
		wait $apid
		runs=1
	fi
	converge "$t/run" || fail "$name: apply did not converge"
	runs=$((runs + n))
	got_o=$(ledger order)
	got_p=$(ledger payment)
	live=$(count_live)
	[ "$got_o" = "$orders" ] || fail "$name: $got_o orders, want $orders: $(curl -s "$E/_emulator/ledger?kind=order" | python3 -c '
import json, sys, collections
c = collections.Counter((x["cloud"], x.get("product", ""), x.get("action", "")) for x in json.load(sys.stdin)["ledger"])
print(dict(c))'); duplicates: $(curl -s "$E/_emulator/world" | python3 -c '
import json, sys, collections
w = json.load(sys.stdin)
c = collections.Counter((i.get("InstanceName"), i.get("Paymode"), i.get("Status")) for i in w["tencent"]["instances"].values())
print([k for k, n in c.items() if n > 1] or sorted(c))'); last run: $(tail -5 "$t/conv.err")"
	[ "$got_p" = "$payments" ] || fail "$name: $got_p payments, want $payments"
	[ "$live" = "$objects" ] || fail "$name: $live objects in the cloud, want $objects: $(live_objects)"
	(cd "$t/run" && "$DCFORM" plan --detailed-exitcode >"$t/plan.out" 2>&1) ||
		fail "$name: state and cloud differ after apply: $(grep -E 'Plan:|must|will be|error|resum' "$t/plan.out" | head -8)"
	converge "$t/run" destroy || fail "$name: destroy did not converge"
	druns=$n
	[ "$(count_live)" = 0 ] || fail "$name: destroy left $(live_objects)"
	fired=$(curl -s "$E/_emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("faults_fired", 0))')
	curl -sf -X DELETE "$E/_emulator/faults" >/dev/null
	printf '%-22s ok  apply runs %d, destroy runs %d, faults fired %4s, %3ss, orders %s, payments %s, objects %s\n' \
		"$name" "$runs" "$druns" "$fired" "$(( $(date +%s) - s0 ))" "$got_o" "$got_p" "$live"
}

want=${*:-"ratelimit 5xx reset latency hang cut restart"}
for s in $want; do
	case $s in
	ratelimit) scenario ratelimit-20% '[{"service":"tencent","kind":"error","code":"RequestLimitExceeded","probability":0.2,"seed":1},{"service":"jdcloud","kind":"error","code":"RATE_LIMIT","http_status":429,"probability":0.2,"seed":2}]' ;;
	5xx) scenario 5xx-10% '[{"service":"tencent","kind":"error","code":"InternalError","probability":0.1,"seed":3},{"service":"jdcloud","kind":"error","code":"UNAVAILABLE","http_status":503,"probability":0.1,"seed":4}]' ;;
	reset) scenario connection-resets '{"kind":"reset","probability":0.1,"seed":5}' ;;
	latency) scenario latency-spikes-2s '{"kind":"latency","ms":2000,"probability":0.05,"seed":6}' ;;
	hang) scenario hang-on-create '{"service":"dcdb","action":"CreateHourDCDBInstance","kind":"hang","ms":65000,"count":1}' ;;
	cut) scenario responses-cut-in-half '{"kind":"cut_half","probability":0.1,"seed":8}' ;;
	restart) scenario emulator-restart none restart ;;
	*) fail "unknown scenario $s" ;;
	esac
done
echo "fault matrix: every scenario converged; nothing bought twice, nothing orphaned, state = cloud"
