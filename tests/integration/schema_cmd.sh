#!/bin/sh
# dcform schema: the type list, a type's table, --json, --json-schema (raw
# per type, self-contained for the manifest), exit codes.
set -eu
: "${DCFORM:?}" "${DCFORM_SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "schema_cmd: $*" >&2; exit 1; }

"$DCFORM" schema > "$tmp/list"
[ "$(awk 'NF && $1 ~ /^[a-z][a-z0-9_]*$/ { print $1 }' "$tmp/list" | tr '\n' ' ')" = \
  "jdcloud_dc_bgw jdcloud_dc_bgw_route jdcloud_dc_connection jdcloud_dc_private_vif jdcloud_dc_vpc_attachment tencentcloud_dcdb_instance " ] ||
	fail "unexpected type list: $(cat "$tmp/list")"

"$DCFORM" schema jdcloud_dc_private_vif > "$tmp/vif"
grep -q '^NAME  *TYPE  *REQUIRED  *FORCE-NEW  *SENSITIVE  *COMPUTED  *DESCRIPTION' "$tmp/vif" ||
	fail "no table header"
# Not required (blank), force-new (from bgp), sensitive.
grep -q '^bgp\.auth_key  *string  *yes  *yes  *BGP MD5' "$tmp/vif" ||
	fail "bgp.auth_key row: $(grep auth_key "$tmp/vif")"
grep -q '^vlan  *integer  *yes  *yes .*\[2 to 4000\]' "$tmp/vif" ||
	fail "vlan row: $(grep '^vlan' "$tmp/vif")"
grep -q '^id  *string  *yes ' "$tmp/vif" || fail "id row"

"$DCFORM" schema tencentcloud_dcdb_instance --json > "$tmp/json"
grep -q '"name": "shard.node_count"' "$tmp/json" || fail "--json lacks shard.node_count"
grep -q '"force_new": true' "$tmp/json" || fail "--json lacks force_new"
"$DCFORM" schema --json | grep -q '"type": "jdcloud_dc_bgw_route"' ||
	fail "--json list"

# A type's --json-schema is its file, byte for byte.
for f in "$DCFORM_SRC"/schemas/*.json; do
	t=$(basename "$f" .json)
	[ "$t" = manifest.schema ] && continue
	"$DCFORM" schema "$t" --json-schema > "$tmp/raw"
	cmp -s "$f" "$tmp/raw" || fail "--json-schema of $t differs from $f"
done
# The manifest's is self-contained: no reference to another file.
"$DCFORM" schema --json-schema > "$tmp/bundle"
grep -q '"\$ref": "#/\$defs/tencentcloud_dcdb_instance"' "$tmp/bundle" ||
	fail "bundle does not refer to its own copy of the DCDB schema"
if grep '"\$ref"' "$tmp/bundle" | grep -v '"#' >/dev/null; then
	fail "bundle keeps a file reference"
fi

# Errors.
set +e
"$DCFORM" schema jdcloud_dc_bgp 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "unknown type: exit $rc"
grep -q "unknown resource type 'jdcloud_dc_bgp'; did you mean 'jdcloud_dc_bgw'?" "$tmp/err" ||
	fail "unknown type message: $(cat "$tmp/err")"
set +e
"$DCFORM" schema a b 2>/dev/null; rc1=$?
"$DCFORM" schema jdcloud_dc_bgw --json --markdown 2>/dev/null; rc2=$?
"$DCFORM" schema --markdown 2>/dev/null; rc3=$?
set -e
[ "$rc1 $rc2 $rc3" = "64 64 64" ] || fail "usage errors exit $rc1 $rc2 $rc3"
echo "schema_cmd: ok"
