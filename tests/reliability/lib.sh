# Shared by the reliability scripts (sourced). Needs $DCFORM,
# $DCFORM_EMULATOR, $DCFORM_SRC, and $t (a scratch directory).

fail() { echo "FAIL: $*"; exit 1; }

# emu_start [EXTRA ARGS...]: the emulator on a free loopback port with
# short delays; sets $E and the credentials/endpoints.
emu_start() {
	cat >"$t/emu.json" <<'JSON'
{"delays": {"tc_delivery": 100, "tc_create": 200, "tc_init": 200,
  "tc_flow": 100, "tc_upgrade": 200, "tc_isolate": 100, "tc_destroy": 100,
  "jd_review": 200, "jd_construction": 200, "jd_vif": 100,
  "jd_vif_delete": 100, "jd_deletion": 200}}
JSON
	rm -f "$t/env"
	"$DCFORM_EMULATOR" --listen "${EMU_LISTEN:-127.0.0.1:0}" --config "$t/emu.json" \
		--env-file "$t/env" --state-file "$t/world.json" "$@" >>"$t/emu.log" 2>&1 &
	emu_pid=$!
	i=0
	while [ ! -s "$t/env" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$t/env" ] || fail "the emulator did not start: $(cat "$t/emu.log")"
	. "$t/env"
	E=$DCFORM_TENCENTCLOUD_ENDPOINT
}

emu_stop() {
	[ -n "${emu_pid:-}" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	emu_pid=""
}

emu_reset() { curl -sf -X POST "$E/_emulator/reset" >/dev/null || fail "reset"; }

# ledger KIND: how many ledger entries of KIND (order, payment) in all clouds.
ledger() {
	curl -s "$E/_emulator/ledger?kind=$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}

# Cloud objects that exist and are not being deleted, by kind, as JSON.
live_objects() {
	curl -s "$E/_emulator/world" | python3 -c '
import json, sys
w = json.load(sys.stdin)
out = {}
for i in w.get("tencent", {}).get("instances", {}).values():
    if i.get("Status") not in (-1, 5, 6):
        out.setdefault("dcdb", []).append(i["InstanceId"])
for kind, objs in w.get("jdcloud", {}).items():
    if kind not in ("connections", "bgws", "vifs", "attachments", "routes"):
        continue
    for oid, o in objs.items():
        st = str(o.get("status", o.get("connectionStatus", "")))
        if st.lower() not in ("deleted", "deleting", "rejected"):
            out.setdefault(kind, []).append(oid)
print(json.dumps({k: sorted(v) for k, v in sorted(out.items())}))'
}

count_live() { live_objects | python3 -c 'import json,sys; print(sum(len(v) for v in json.load(sys.stdin).values()))'; }

# Write calls (not Describe*/describe*) seen by the emulator.
writes() {
	curl -s "$E/_emulator/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)["requests"]
print(sum(n for a, n in s.items() if not a.split(".", 1)[1].lower().startswith(("describe", "get", "query"))))'
}

# converge DIR [destroy]: apply (or destroy) until it succeeds with
# nothing pending; at most 6 runs.
converge() {
	cmd=apply
	[ "${2:-}" = destroy ] && cmd=destroy
	n=0
	while [ $n -lt 6 ]; do
		n=$((n + 1))
		(cd "$1" && "$DCFORM" $cmd --auto-approve >"$t/conv.out" 2>"$t/conv.err")
		rc=$?
		[ $rc -eq 0 ] && ! grep -q 'waiting on the cloud' "$t/conv.err" && return 0
		sleep 0.3
	done
	echo "did not converge after $n runs: $(tail -5 "$t/conv.err")"
	return 1
}
