#!/bin/sh
# The manifest corpus: `dcform validate` in each case directory of
# tests/manifests/bad (exit 1) and tests/manifests/good (exit 0) must print
# exactly the lines of its `expected` file (stdout and stderr together).
# A case may hold `args` (one command-line argument per line, such as
# --var and NAME=VALUE) and `env` (NAME=VALUE lines set for the run).
#
# Cases 2NN (the schema corpus) write their lines in the short form
# "FILE:LINE:COL: message"; for them the "error: PATH: " part of validate's
# lines is left out of the comparison (their messages and positions are
# still compared exactly).
set -u
: "${DCFORM:?}" "${DCFORM_SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
count=0

run_case() { # DIR WANT_RC
	dir=$1
	want_rc=$2
	name=$(basename "$dir")
	count=$((count + 1))
	set --
	if [ -f "$dir/args" ]; then
		while IFS= read -r a; do set -- "$@" "$a"; done < "$dir/args"
	fi
	(
		cd "$dir" || exit 99
		if [ -f env ]; then
			while IFS= read -r kv; do export "$kv"; done < env
		fi
		exec "$DCFORM" validate "$@"
	) > "$tmp/out" 2>&1
	rc=$?
	cp "$tmp/out" "$tmp/got"
	if [ ! -f "$dir/expected" ]; then
		echo "FAIL $name: no expected file" >&2
		fails=$((fails + 1))
		return
	fi
	if ! grep -q ': error: \|: warning: \|^dcform: ' "$dir/expected"; then
		sed -E 's/^([^:]+:[0-9]+:[0-9]+: )error: ([^ ]*: )?/\1/' \
			"$tmp/out" > "$tmp/got"
	fi
	if [ "$rc" -ne "$want_rc" ]; then
		echo "FAIL $name: exit $rc, want $want_rc" >&2
		cat "$tmp/out" >&2
		fails=$((fails + 1))
	elif ! diff -u "$dir/expected" "$tmp/got" > "$tmp/diff"; then
		echo "FAIL $name: output differs" >&2
		cat "$tmp/diff" >&2
		fails=$((fails + 1))
	fi
}

for d in "$DCFORM_SRC"/tests/manifests/bad/*/; do
	run_case "${d%/}" 1
done
for d in "$DCFORM_SRC"/tests/manifests/good/*/; do
	run_case "${d%/}" 0
done
# The examples are valid too.
for d in "$DCFORM_SRC"/examples/*/; do
	[ -f "$d/main.yaml" ] || continue
	count=$((count + 1))
	if ! "$DCFORM" validate "$d" > "$tmp/out" 2>&1; then
		echo "FAIL example $d" >&2
		cat "$tmp/out" >&2
		fails=$((fails + 1))
	fi
done
nbad=$(ls -d "$DCFORM_SRC"/tests/manifests/bad/0*/ | wc -l)
if [ "$nbad" -lt 60 ]; then
	echo "FAIL only $nbad loader cases (want at least 60)" >&2
	fails=$((fails + 1))
fi
echo "manifest_corpus: $count cases, $fails failed"
[ "$fails" -eq 0 ]
