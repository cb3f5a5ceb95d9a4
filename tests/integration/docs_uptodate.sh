#!/bin/sh
# The resource reference (docs/resources/) must be what docs/gen.sh makes
# from the schemas compiled into $DCFORM; and --check must notice a page
# that differs.
set -eu
: "${DCFORM:?}" "${DCFORM_SRC:?}"
sh "$DCFORM_SRC/docs/gen.sh" --check "$DCFORM"

# The check itself can fail: run it on a copy with one page changed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/docs"
cp "$DCFORM_SRC/docs/gen.sh" "$tmp/docs/"
cp -r "$DCFORM_SRC/docs/resources" "$tmp/docs/"
echo "stale line" >> "$tmp/docs/resources/jdcloud_dc_bgw.md"
if sh "$tmp/docs/gen.sh" --check "$DCFORM" 2>"$tmp/err"; then
	echo "gen.sh --check passed on a stale page" >&2
	exit 1
fi
grep -q "out of date" "$tmp/err"
# Regenerating fixes it.
sh "$tmp/docs/gen.sh" "$DCFORM" >/dev/null
sh "$tmp/docs/gen.sh" --check "$DCFORM" >/dev/null
echo "docs_uptodate: ok"
