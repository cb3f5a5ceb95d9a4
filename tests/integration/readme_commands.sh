#!/bin/sh
# The README's two commands, exactly as written, in a fresh clone of this
# repository: the first (the demo) and the second (all tests) must both
# succeed. The nested test run skips this test (it would recurse) and the
# two reliability short forms (crash sweep, fault matrix), which the outer
# run has just run against the same commit.
set -u
: "${DCFORM_SRC:?}"
[ -n "${DCFORM_README_NESTED:-}" ] && { echo "nested run: skipped"; exit 0; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The two commands: the lines of the first ```sh block after "## The two
# commands" that are not comments.
cmds=$(awk '/^## The two commands/ { on = 1 } on && /^```sh/ { inb = 1; next }
	inb && /^```/ { exit } inb && !/^#/ && NF { print }' "$DCFORM_SRC/README.md")
n=$(printf '%s\n' "$cmds" | wc -l)
[ "$n" = 2 ] || fail "expected two commands in the README, found $n: $cmds"

# A clone of what is committed (uncommitted edits are not part of it).
git clone -q "$DCFORM_SRC" "$t/repo" || fail "clone"
cd "$t/repo"
export DCFORM_README_NESTED=1
i=0
printf '%s\n' "$cmds" | while IFS= read -r c; do
	i=$((i + 1))
	echo "README command $i: $c"
	sh -c "$c" >"$t/cmd$i.log" 2>&1 || { tail -30 "$t/cmd$i.log"; fail "README command $i failed: $c"; }
	tail -3 "$t/cmd$i.log"
done || exit 1
grep -q 'demo finished' "$t/cmd1.log" || fail "the demo did not finish"
grep -q ' passed, 0 failed' "$t/cmd2.log" || fail "the test run did not pass"
echo "README commands: ok"
