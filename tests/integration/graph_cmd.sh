#!/bin/sh
# dcform graph: DOT with one node per instance and the reference and
# depends_on edges; --json creation and destruction orders; a cycle is an
# error with the whole cycle; validate --json.
set -eu
: "${DCFORM:?}" "${DCFORM_SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "graph_cmd: $*" >&2; exit 1; }

cd "$DCFORM_SRC/tests/manifests/good/multi-file"
"$DCFORM" graph > "$tmp/dot" 2>/dev/null
grep -q '^digraph dcform {$' "$tmp/dot" || fail "no digraph"
grep -q '^	"routes\[blue\]" -> "gw\[blue\]";$' "$tmp/dot" || fail "reference edge"
grep -q '^	"routes\[blue\]" -> "gw\[green\]";$' "$tmp/dot" || fail "depends_on edge"
[ "$(grep -c -- '->' "$tmp/dot")" -eq 4 ] || fail "edge count: $(cat "$tmp/dot")"

"$DCFORM" graph --json 2>/dev/null | tr -d ' \n' > "$tmp/json"
grep -q '"order":\["gw\[blue\]","gw\[green\]","routes\[blue\]","routes\[green\]"\]' \
	"$tmp/json" || fail "order: $(cat "$tmp/json")"
"$DCFORM" graph --json --destroy 2>/dev/null | tr -d ' \n' > "$tmp/json"
grep -q '"destroy_order":\["routes\[green\]","routes\[blue\]","gw\[green\]","gw\[blue\]"\]' \
	"$tmp/json" || fail "destroy order: $(cat "$tmp/json")"

# The examples have acyclic graphs.
"$DCFORM" graph "$DCFORM_SRC/examples/quickstart" 2>/dev/null |
	grep -q '"to_idc" -> "idc_vif";' || fail "quickstart edge"

# A cycle: exit 1, the whole cycle named.
set +e
"$DCFORM" graph "$DCFORM_SRC/tests/manifests/bad/053-cycle-three" > "$tmp/out" 2> "$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "cycle: exit $rc"
grep -q 'cycle: a → c → b → a' "$tmp/err" || fail "cycle message: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "cycle printed a graph"

# validate --json.
set +e
"$DCFORM" validate --json "$DCFORM_SRC/tests/manifests/bad/024-unknown-variable-suggest" > "$tmp/v"
rc=$?
set -e
[ $rc -eq 1 ] || fail "validate --json exit $rc"
tr -d ' \n' < "$tmp/v" | grep -q '"valid":false,"error_count":1,' || fail "validate --json: $(cat "$tmp/v")"
grep -q '"line": 9,' "$tmp/v" || fail "validate --json line"
"$DCFORM" validate --json "$DCFORM_SRC/examples/dcdb-postpaid" | tr -d ' \n' |
	grep -q '"valid":true,"error_count":0' || fail "valid --json"
# Usage errors.
set +e
"$DCFORM" validate a b 2>/dev/null; rc1=$?
"$DCFORM" graph --bogus 2>/dev/null; rc2=$?
"$DCFORM" validate "$tmp/none" 2>"$tmp/err"; rc3=$?
set -e
[ "$rc1 $rc2 $rc3" = "64 64 1" ] || fail "exit codes $rc1 $rc2 $rc3"
grep -q "^dcform: '.*/none' does not exist$" "$tmp/err" || fail "missing dir: $(cat "$tmp/err")"
echo "graph_cmd: ok"
