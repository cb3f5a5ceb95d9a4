#!/bin/sh
# The JD Cloud provider against the emulator (--manual: review and
# construction wait for the admin API): plan --json of
# examples/direct-connection (actions, step sequences, quote, preflight);
# apply stopping at review, approval, apply stopping at construction,
# completion, apply to Active with the VIF, attachments and route; a second
# plan with no changes; one payment per order; the BGP key nowhere on disk;
# a SIGKILL while createConnection is in flight (the emulator creates the
# connection but never answers) and while payOrder is in flight, each
# followed by a re-run that buys nothing twice; then the JD part of
# examples/quickstart planned.
set -u
: "${DCFORM:?}" "${DCFORM_EMULATOR:?}" "${DCFORM_SRC:?}"
t=$(mktemp -d)
pid=""
apid=""
cleanup() {
	[ -n "$apid" ] && kill -9 "$apid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Quotas raised for the crash sweep's many connections and gateways.
echo '{"jdcloud":{"quotas":{"connections_per_region":100,"bgws_per_region":100}}}' \
	>"$t/emu.json"
"$DCFORM_EMULATOR" --listen 127.0.0.1:0 --manual --config "$t/emu.json" \
	--env-file "$t/env" >"$t/emu.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$t/env" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$t/env" ] || fail "the emulator did not start: $(cat "$t/emu.log")"
. "$t/env"
E=$DCFORM_JDCLOUD_ENDPOINT
export BGP_AUTH_KEY="bgp-Secret-9f3b7c1d"

# A year of 10G port rental costs more than the demo balance.
curl -sf -X POST "$E/_emulator/accounts/demo" -d '{"jd_balance_fen":100000000}' \
	>/dev/null || fail "balance top-up"

py() { c=$1; shift; python3 -c "$c" "$@"; }
ledger() { # kind → "total order_id…"
	curl -s "$E/_emulator/ledger?cloud=jdcloud&kind=$1" |
		py 'import json,sys; d=json.load(sys.stdin); print(d["total"], " ".join(sorted(e["order_id"] for e in d["ledger"])))'
}
# Every order paid at most once: payments have distinct order ids.
once_each() {
	curl -s "$E/_emulator/ledger?cloud=jdcloud&kind=payment" |
		py 'import json,sys; l=[e["order_id"] for e in json.load(sys.stdin)["ledger"]]; sys.exit(len(l) != len(set(l)))'
}
conn_id() {
	"$DCFORM" state show "$1" | py 'import json,sys; print(json.load(sys.stdin).get("id",""))'
}
admin() { # id op → status code
	curl -s -o /dev/null -w '%{http_code}' -X POST "$E/_emulator/jdcloud/connections/$1/$2"
}
stat_of() {
	curl -s "$E/_emulator/stats" | py "import json,sys; print(json.load(sys.stdin)['requests'].get('$1',0))"
}

mkdir "$t/dc" && cd "$t/dc" || fail "cd"
cp "$DCFORM_SRC/examples/direct-connection/main.yaml" .

# ---- plan --json ----------------------------------------------------------
"$DCFORM" plan --json >"$t/plan.json" 2>"$t/plan.err" ||
	fail "plan --json: $(cat "$t/plan.err")"
py '
import json, sys
p = json.load(open(sys.argv[1]))
acts = {c["address"]: c["change"]["actions"] for c in p["resource_changes"]}
want = ["idc_line", "edge_gw", "idc_vif", "app_vpc[vpc-8gk2m1xq]",
        "app_vpc[vpc-2kd93jfa]", "to_idc"]
for a in want:
    assert acts.get(a) == ["create"], (a, acts.get(a))
kinds = {}
for s in p["steps"]:
    kinds.setdefault(s["address"], []).append(s["kind"])
assert kinds["idc_line"] == ["create", "wait", "pay", "wait", "confirm", "wait"], kinds["idc_line"]
assert kinds["idc_vif"] == ["create", "wait"], kinds["idc_vif"]
assert kinds["edge_gw"][0] == "create" and kinds["to_idc"][0] == "create"
ids = {s["id"]: s for s in p["steps"]}
# The VIF waits for the connection to be Active and for the gateway.
vif0 = [s for s in p["steps"] if s["address"] == "idc_vif"][0]
dep_addrs = {ids[d]["address"] for d in vif0["depends_on"]}
assert "idc_line" in dep_addrs and "edge_gw" in dep_addrs, dep_addrs
q = p["quotes"]["by_address"]["idc_line"]
assert q["upfront_fen"] == 1500000, q
assert all(c["ok"] for c in p["preflight"]), p["preflight"]
' "$t/plan.json" || fail "plan --json content: $(head -c 3000 "$t/plan.json")"
grep -q "$BGP_AUTH_KEY" "$t/plan.json" && fail "the BGP key is in the plan"

# ---- apply: review ----------------------------------------------------------
"$DCFORM" apply --auto-approve --wait-timeout 1 >"$t/o1" 2>"$t/e1" ||
	fail "apply 1: $(tail -20 "$t/e1")"
grep -q 'pending' "$t/e1" || fail "apply 1 left nothing pending: $(cat "$t/e1")"
id=$(conn_id idc_line)
case "$id" in dc-*) ;; *) fail "no connection id in state: $id" ;; esac
st=$(curl -s "$E/_emulator/jdcloud/connections/$id" |
	py 'import json,sys; c=json.load(sys.stdin); print(c["connectionStatus"], c["description"])')
case "$st" in "Ordering primary line to the Haidian IDC [dcf-"*"]") ;;
*) fail "connection after apply 1: $st" ;; esac
"$DCFORM" plan >"$t/p1" 2>&1
grep -q 'resume' "$t/p1" || fail "plan does not resume: $(cat "$t/p1")"
[ "$(ledger payment)" = "0 " ] || fail "paid before review: $(ledger payment)"

# Nothing happens by itself with --manual: a re-run still waits.
"$DCFORM" apply --auto-approve --wait-timeout 1 >"$t/o2" 2>"$t/e2" ||
	fail "apply 2: $(tail "$t/e2")"
[ "$(stat_of bgw.createConnection)" = 1 ] || fail "connection created twice"

# ---- approve: pay, then construction --------------------------------------
[ "$(admin "$id" approve)" = 200 ] || fail "approve"
"$DCFORM" apply --auto-approve --wait-timeout 1 >"$t/o3" 2>"$t/e3" ||
	fail "apply 3: $(tail -20 "$t/e3")"
grep -q 'paid the installation order' "$t/e3" || fail "no payment: $(cat "$t/e3")"
set -- $(ledger payment)
[ "$1" = 1 ] || fail "payments after approval: $*"
curl -s "$E/_emulator/jdcloud/connections/$id" | grep -q '"connectionStatus":"Pending"' ||
	fail "not Pending after payment"

# ---- complete: confirm, Active, the rest ------------------------------------
[ "$(admin "$id" complete)" = 200 ] || fail "complete"
"$DCFORM" apply --auto-approve --wait-timeout 30 >"$t/o4" 2>"$t/e4" ||
	fail "apply 4: $(tail -30 "$t/e4")"
grep -q 'Apply complete: .* 0 failed, 0 skipped, 0 waiting' "$t/e4" ||
	fail "apply 4 did not finish: $(cat "$t/e4")"
curl -s "$E/_emulator/jdcloud/connections/$id" | grep -q '"connectionStatus":"Active"' ||
	fail "not Active"
set -- $(ledger payment)
[ "$1" = 2 ] || fail "payments after Active: $*"
once_each || fail "an order was paid twice"
[ "$(ledger order | cut -d' ' -f2-)" = "$(ledger payment | cut -d' ' -f2-)" ] ||
	fail "orders and payments differ: $(ledger order) / $(ledger payment)"
"$DCFORM" state list >"$t/sl" 2>&1
for a in idc_line edge_gw idc_vif 'app_vpc\[vpc-8gk2m1xq\]' 'app_vpc\[vpc-2kd93jfa\]' to_idc; do
	grep -q "^$a .*jdcloud_dc_" "$t/sl" || fail "state list lacks $a: $(cat "$t/sl")"
done
grep -q 'pending' "$t/sl" && fail "still pending: $(cat "$t/sl")"
"$DCFORM" state show idc_vif | py '
import json, sys
r = json.load(sys.stdin)
a = r["attributes"]
assert a["status"] == "Active" and a["jd_cloud_asn"] == 64512, a
assert "auth_key" not in a.get("bgp", {}), a["bgp"]
' || fail "VIF attributes"

# ---- a second plan: nothing to do; one list call per type ------------------
before=$(stat_of bgw.describeConnections)
"$DCFORM" plan --detailed-exitcode >"$t/p2" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "second plan not empty (exit $rc): $(cat "$t/p2")"
[ "$(stat_of bgw.describeConnections)" = $((before + 1)) ] ||
	fail "refresh used more than one describeConnections call"
"$DCFORM" apply --auto-approve >"$t/o5" 2>&1 || fail "second apply"
[ "$(ledger payment | cut -d' ' -f1)" = 2 ] || fail "second apply paid"

# The BGP key never reaches state, its history or any file here.
grep -rqs "$BGP_AUTH_KEY" . && fail "the BGP key is on disk"
git --git-dir=.dcform/state.git log -p --all | grep -q "$BGP_AUTH_KEY" &&
	fail "the BGP key is in the state history"

# ---- SIGKILL while createConnection is in flight ----------------------------
mkdir "$t/k1" && cd "$t/k1" || fail "cd"
sed 's/name: bj-hd-idc-1/name: bj-hd-idc-2/; s/bj-edge-gw/bj-edge-gw2/; s/vlan: 2001/vlan: 2002/;
     s/prevent_destroy: true/prevent_destroy: false/' \
	"$DCFORM_SRC/examples/direct-connection/main.yaml" >main.yaml
n0=$(stat_of bgw.createConnection)
# The emulator creates the connection and then never answers.
curl -sf -X POST "$E/_emulator/faults" -d '{"service":"bgw","action":"createConnection","kind":"hang","ms":30000,"count":1}' \
	>/dev/null || fail "fault"
"$DCFORM" apply --auto-approve --target idc_line --wait-timeout 1 >"$t/k1o" 2>"$t/k1e" &
apid=$!
i=0
while [ "$(stat_of bgw.createConnection)" = "$n0" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
[ "$(stat_of bgw.createConnection)" = $((n0 + 1)) ] || fail "createConnection never sent: $(cat "$t/k1e")"
sleep 0.3
kill -9 $apid 2>/dev/null
wait $apid 2>/dev/null
apid=""
curl -s -X DELETE "$E/_emulator/faults" >/dev/null
"$DCFORM" apply --auto-approve --target idc_line --wait-timeout 1 >"$t/k1o2" 2>"$t/k1e2" ||
	fail "re-run after kill: $(tail -20 "$t/k1e2")"
grep -q 'adopted\|found the object' "$t/k1e2" || fail "no adoption: $(cat "$t/k1e2")"
[ "$(stat_of bgw.createConnection)" = $((n0 + 1)) ] || fail "the re-run created another connection"
cnt=$(curl -s "$E/_emulator/world" |
	py 'import json,sys; w=json.load(sys.stdin); print(sum(1 for c in w["jdcloud"]["connections"].values() if c["connectionName"]=="bj-hd-idc-2"))')
[ "$cnt" = 1 ] || fail "$cnt connections named bj-hd-idc-2"
id2=$(conn_id idc_line)
[ -n "$id2" ] && [ "$id2" != "$id" ] || fail "adopted id: $id2"

# ---- SIGKILL while payOrder is in flight --------------------------------------
[ "$(admin "$id2" approve)" = 200 ] || fail "approve 2"
p0=$(stat_of order.payOrder)
curl -sf -X POST "$E/_emulator/faults" -d '{"service":"order","action":"payOrder","kind":"hang","ms":30000,"count":1}' \
	>/dev/null || fail "fault 2"
"$DCFORM" apply --auto-approve --target idc_line --wait-timeout 1 >"$t/k2o" 2>"$t/k2e" &
apid=$!
i=0
while [ "$(stat_of order.payOrder)" = "$p0" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
[ "$(stat_of order.payOrder)" = $((p0 + 1)) ] || fail "payOrder never sent: $(cat "$t/k2e")"
sleep 0.3
kill -9 $apid 2>/dev/null
wait $apid 2>/dev/null
apid=""
curl -s -X DELETE "$E/_emulator/faults" >/dev/null
[ "$(ledger payment | cut -d' ' -f1)" = 3 ] || fail "the killed payment did not happen: $(ledger payment)"
"$DCFORM" apply --auto-approve --target idc_line --wait-timeout 1 >"$t/k2o2" 2>"$t/k2e2" ||
	fail "re-run after kill 2: $(tail -20 "$t/k2e2")"
[ "$(stat_of order.payOrder)" = $((p0 + 1)) ] || fail "payOrder sent again"
[ "$(ledger payment | cut -d' ' -f1)" = 3 ] || fail "paid twice: $(ledger payment)"
once_each || fail "an order was paid twice after the kill"
[ "$(admin "$id2" complete)" = 200 ] || fail "complete 2"
"$DCFORM" apply --auto-approve --wait-timeout 30 >"$t/k2o3" 2>"$t/k2e3" ||
	fail "final apply: $(tail -20 "$t/k2e3")"
grep -q '0 failed, 0 skipped, 0 waiting' "$t/k2e3" || fail "final apply: $(cat "$t/k2e3")"
[ "$(ledger payment | cut -d' ' -f1)" = 4 ] || fail "payments at the end: $(ledger payment)"
once_each || fail "an order was paid twice at the end"
"$DCFORM" plan --detailed-exitcode >"$t/kp" 2>&1 || fail "plan after the kills: $(cat "$t/kp")"

# ---- the JD part of the quickstart -----------------------------------------------
mkdir "$t/qs" && cd "$t/qs" || fail "cd"
cp "$DCFORM_SRC/examples/quickstart/main.yaml" .
"$DCFORM" plan --json >"$t/qs.json" 2>"$t/qs.err" || fail "quickstart plan: $(cat "$t/qs.err")"
py '
import json, sys
p = json.load(open(sys.argv[1]))
kinds = {}
for s in p["steps"]:
    kinds.setdefault(s["address"], []).append(s["kind"])
assert kinds["idc_line"] == ["create", "wait", "pay", "wait", "confirm", "wait"], kinds
for a in ("edge_gw", "idc_vif", "app_vpc", "to_idc"):
    assert kinds[a][0] == "create", (a, kinds)
' "$t/qs.json" || fail "quickstart plan content"
n0=$(stat_of bgw.createConnection)
"$DCFORM" apply --auto-approve --target to_idc --target app_vpc --wait-timeout 1 \
	>"$t/q1o" 2>"$t/q1e" || fail "quickstart apply: $(tail -20 "$t/q1e")"
[ "$(stat_of bgw.createConnection)" = $((n0 + 1)) ] || fail "quickstart connection"
grep -q 'tencentcloud_dcdb' "$t/q1e" && fail "--target bought the DCDB instance"
qid=$(conn_id idc_line)
[ "$(admin "$qid" approve)" = 200 ] || fail "quickstart approve"
"$DCFORM" apply --auto-approve --target to_idc --target app_vpc --wait-timeout 1 \
	>"$t/q2o" 2>"$t/q2e" || fail "quickstart apply 2: $(tail -20 "$t/q2e")"
[ "$(admin "$qid" complete)" = 200 ] || fail "quickstart complete"
"$DCFORM" apply --auto-approve --target to_idc --target app_vpc --wait-timeout 30 \
	>"$t/q3o" 2>"$t/q3e" || fail "quickstart apply 3: $(tail -20 "$t/q3e")"
grep -q '0 failed, 0 skipped, 0 waiting' "$t/q3e" || fail "quickstart: $(cat "$t/q3e")"
"$DCFORM" plan --target to_idc --target app_vpc --detailed-exitcode >"$t/qp" 2>&1 ||
	fail "quickstart replan: $(cat "$t/qp")"
once_each || fail "an order was paid twice in the quickstart"

# ---- preflight failures: an ISP the access point lacks; a low balance -----
mkdir "$t/bad" && cd "$t/bad" || fail "cd"
sed 's/isp_code: CT/isp_code: NOPE/; s/name: bj-hd-idc-1/name: bj-hd-idc-9/' \
	"$DCFORM_SRC/examples/direct-connection/main.yaml" >main.yaml
"$DCFORM" plan >"$t/b1" 2>&1
grep -q 'FAIL .*location: idc_line: ISP NOPE is not offered at BJ-HD' "$t/b1" ||
	fail "no location failure: $(cat "$t/b1")"
n0=$(stat_of bgw.createConnection)
"$DCFORM" apply --auto-approve >"$t/b2" 2>&1 && fail "applied with a failing preflight"
[ "$(stat_of bgw.createConnection)" = "$n0" ] || fail "bought despite the preflight"
sed -i 's/isp_code: NOPE/isp_code: CT/' main.yaml
curl -sf -X POST "$E/_emulator/accounts/demo" -d '{"jd_balance_fen":100}' >/dev/null ||
	fail "balance"
"$DCFORM" plan --json >"$t/b3.json" 2>/dev/null
py '
import json, sys
p = json.load(open(sys.argv[1]))
b = [c for c in p["preflight"] if c["check"] == "balance"][0]
assert not b["ok"] and b["details"]["balance_fen"] == 100, b
assert b["details"]["required_fen"] == 1500000, b
' "$t/b3.json" || fail "balance preflight: $(cat "$t/b3.json")"
"$DCFORM" apply --auto-approve >"$t/b4" 2>&1 && fail "applied without the money"
"$DCFORM" apply --auto-approve --skip-preflight balance --wait-timeout 1 >"$t/b5" 2>&1 ||
	fail "--skip-preflight balance: $(tail "$t/b5")"
[ "$(stat_of bgw.createConnection)" = $((n0 + 1)) ] || fail "--skip-preflight did not create"
curl -sf -X POST "$E/_emulator/accounts/demo" -d '{"jd_balance_fen":1000000000}' \
	>/dev/null || fail "balance"

# ---- crash sweep: SIGKILL while each kind of side-effecting call hangs --------
# The emulator does the call, then never answers (a hang fault); apply is
# killed; later applies (with the review and construction pushed through)
# finish the job.  Each time: one object of each kind, every order paid
# once, and a plan with nothing to do.
armed() { curl -s "$E/_emulator/faults" | py 'import json,sys; print(len(json.load(sys.stdin)["faults"]))'; }
sweep() { # op when(start|confirming)
	op=$1
	when=$2
	d="$t/sw-$op-$when"
	mkdir "$d" && cd "$d" || fail "cd"
	sweep_n=$((sweep_n + 1))
	nm="sweep-$sweep_n"
	sed "s/name: bj-hd-idc-1/name: $nm/; s/name: bj-edge-gw/name: gw-$nm/;
	     s/name: bj-hd-vif-1/name: vif-$nm/; s/attach-/at-$nm-/" \
		"$DCFORM_SRC/examples/direct-connection/main.yaml" >main.yaml
	rule="{\"service\":\"$(case $op in payOrder) echo order ;; *) echo bgw ;; esac)\",\"action\":\"$op\",\"kind\":\"hang\",\"ms\":30000,\"count\":1}"
	state=idle
	if [ "$when" = start ]; then
		curl -sf -X POST "$E/_emulator/faults" -d "$rule" >/dev/null || fail "fault $op"
		state=armed
	fi
	round=0
	done=0
	while [ $round -lt 10 ] && [ $done = 0 ]; do
		round=$((round + 1))
		"$DCFORM" apply --auto-approve --wait-timeout 1 >"$d/o$round" 2>"$d/e$round" &
		apid=$!
		while kill -0 $apid 2>/dev/null; do
			if [ $state = armed ] && [ "$(armed)" = 0 ]; then
				sleep 0.3
				kill -9 $apid 2>/dev/null
				state=fired
			fi
			sleep 0.1
		done
		wait $apid 2>/dev/null
		apid=""
		grep -q '0 failed, 0 skipped, 0 waiting' "$d/e$round" && done=1
		cid=$(conn_id idc_line 2>/dev/null)
		if [ -n "$cid" ]; then
			admin "$cid" approve >/dev/null
			if [ "$when" = confirming ] && [ $state = idle ] &&
			   curl -s "$E/_emulator/jdcloud/connections/$cid" | grep -q '"connectionStatus":"Pending"'; then
				admin "$cid" complete >/dev/null
				curl -sf -X POST "$E/_emulator/faults" -d "$rule" >/dev/null || fail "fault $op"
				state=armed
			elif [ "$when" = start ]; then
				admin "$cid" complete >/dev/null
			fi
		fi
	done
	curl -s -X DELETE "$E/_emulator/faults" >/dev/null
	[ $done = 1 ] || fail "sweep $op/$when never finished: $(tail -5 "$d/e$round")"
	[ $state = fired ] || fail "sweep $op/$when: the fault never fired"
	curl -s "$E/_emulator/world" | py '
import json, sys
w = json.load(sys.stdin)["jdcloud"]
nm = sys.argv[1]
conns = [c for c in w["connections"].values() if c["connectionName"] == nm]
gws = [g for g in w["bgws"].values() if g["bgwName"] == "gw-" + nm]
vifs = [v for v in w["vifs"].values() if v["privateVifName"] == "vif-" + nm]
assert len(conns) == 1 and len(gws) == 1 and len(vifs) == 1, (len(conns), len(gws), len(vifs))
gw = gws[0]["bgwId"]
atts = [a for a in w["attachments"].values() if a["bgwId"] == gw]
routes = [r for r in w["routes"].values() if r["bgwId"] == gw]
assert len(atts) == 2 and len(routes) == 1, (len(atts), len(routes))
assert conns[0]["connectionStatus"] == "Active"
' "$nm" || fail "sweep $op/$when: duplicates or missing objects"
	once_each || fail "sweep $op/$when: an order was paid twice"
	"$DCFORM" plan --detailed-exitcode >"$d/plan" 2>&1 ||
		fail "sweep $op/$when: plan after the re-runs: $(cat "$d/plan")"
}
sweep_n=0
for op in createBgw createConnection createPrivateVif createVpcAttachment \
	createBgwRoute payOrder; do
	sweep $op start
done
sweep confirmConnection confirming
sweep payOrder confirming
echo "JD Cloud against the emulator: ok"
