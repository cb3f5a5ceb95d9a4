#!/bin/sh
# Drift on JD Cloud: a connection's description changed through the JD
# API (as in the console) is reported with exit 2; the connection deleted
# behind dcform's back is missing; .dcformignore silences the first.
set -u
: "${DCFORM:?}" "${DCFORM_EMULATOR:?}" "${DCFORM_SRC:?}"
here="$DCFORM_SRC/tests/reliability"
t=$(mktemp -d)
trap 'emu_stop; rm -rf "$t"' EXIT
. "$here/lib.sh"
emu_start
mkdir "$t/cfg" && cd "$t/cfg"
cat >main.yaml <<'YAML'
providers:
  jdcloud: { region: cn-north-1 }
resources:
  line:
    type: jdcloud_dc_connection
    properties:
      name: drift-line
      type: jcloud_hosted
      location: { port_spec_code: 1000Base-LX }
      rental: { unit: month, span: 1 }
      description: the line to the IDC
      idc_address: Building 3, Haidian District, Beijing
      contact_name: ops-oncall
      phone_number: "13800138000"
  gw:
    type: jdcloud_dc_bgw
    properties: { name: drift-gw, description: edge gateway }
YAML
converge "$t/cfg" || fail "apply"
"$DCFORM" drift --no-unmanaged >"$t/d0" 2>&1 || fail "drift right after apply: $(cat "$t/d0")"
line=$("$DCFORM" state list | awk '$1 == "line" { print $3 }')
gw=$("$DCFORM" state list | awk '$1 == "gw" { print $3 }')

python3 "$DCFORM_SRC/tests/lib/jdcall.py" PATCH bgw cn-north-1 \
	"/v1/regions/cn-north-1/connections/$line" '{"description":"changed in the console"}' >"$t/patch" ||
	fail "modifyConnection: $(cat "$t/patch")"
"$DCFORM" drift --json --no-unmanaged >"$t/d1.json"
[ $? -eq 2 ] || fail "drift exit code after a description change"
python3 - "$t/d1.json" "$line" <<'PY' || fail "drift report: $(cat "$t/d1.json")"
import json, sys
r = json.load(open(sys.argv[1]))
d = {x["id"]: x for x in r["drifted"]}
ch = {c["path"]: c for c in d[sys.argv[2]]["changes"]}
assert ch["description"]["applied"] == "the line to the IDC", ch
assert ch["description"]["cloud"] == "changed in the console", ch
PY
echo "jdcloud_dc_connection.line.description" >.dcformignore
"$DCFORM" drift --no-unmanaged >"$t/d2" 2>&1 || fail "ignored drift still reported: $(cat "$t/d2")"
rm .dcformignore

python3 "$DCFORM_SRC/tests/lib/jdcall.py" DELETE bgw cn-north-1 \
	"/v1/regions/cn-north-1/bgws/$gw" >"$t/del" || fail "deleteBgw: $(cat "$t/del")"
sleep 0.5
"$DCFORM" drift --json --no-unmanaged >"$t/d3.json"
[ $? -eq 2 ] || fail "drift exit code after a deletion"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [m["id"] for m in r["missing"]] == [sys.argv[2]], r' \
	"$t/d3.json" "$gw" || fail "missing gateway: $(cat "$t/d3.json")"
echo "drift on JD Cloud: ok"
