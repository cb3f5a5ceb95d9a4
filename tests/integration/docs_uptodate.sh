#!/bin/sh
# The resource reference (docs/resources/), the command pages
# (docs/commands/) and the man page must be what docs/gen.sh makes from the
# schemas and the --help of $DCFORM; and --check must notice a page that
# differs.
set -eu
: "${DCFORM:?}" "${DCFORM_SRC:?}"
sh "$DCFORM_SRC/docs/gen.sh" --check "$DCFORM"

# The check itself can fail: run it on a copy with one page changed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/docs"
cp "$DCFORM_SRC/docs/gen.sh" "$DCFORM_SRC/docs/gen-commands.sh" \
	"$DCFORM_SRC/docs/dcform.1" "$tmp/docs/"
cp -r "$DCFORM_SRC/docs/resources" "$DCFORM_SRC/docs/commands" "$tmp/docs/"
echo "stale line" >> "$tmp/docs/resources/jdcloud_dc_bgw.md"
if sh "$tmp/docs/gen.sh" --check "$DCFORM" 2>"$tmp/err"; then
	echo "gen.sh --check passed on a stale page" >&2
	exit 1
fi
grep -q "out of date" "$tmp/err"
# Regenerating fixes it.
sh "$tmp/docs/gen.sh" "$DCFORM" >/dev/null
sh "$tmp/docs/gen.sh" --check "$DCFORM" >/dev/null
# A command page that disagrees with --help is noticed too.
echo "stale line" >> "$tmp/docs/commands/plan.md"
if sh "$tmp/docs/gen.sh" --check "$DCFORM" 2>"$tmp/err"; then
	echo "gen.sh --check passed on a stale command page" >&2
	exit 1
fi
grep -q "out of date" "$tmp/err"
# Every command has a page, and the man page renders.
for c in $("$DCFORM" help --list | tr ' ' '-'); do
	[ -f "$DCFORM_SRC/docs/commands/$c.md" ] || {
		echo "no docs/commands/$c.md" >&2
		exit 1
	}
done
if command -v man >/dev/null 2>&1; then
	man -l "$DCFORM_SRC/docs/dcform.1" >/dev/null 2>&1
fi
echo "docs_uptodate: ok"
