#!/bin/sh
# The manifest error corpus: each tests/manifests/bad/NNN-name/ holds
# manifests and an `expected` file with the exact lines `dcform validate`
# must print (stderr), with exit code 1.  An optional `args` file adds
# command-line arguments, an optional `env` file environment assignments.
# Each tests/manifests/good/NAME/ must validate with exit 0.
set -u
: "${DCFORM:?}" "${DCFORM_SRC:?}"
fail=0
n=0
for dir in "$DCFORM_SRC"/tests/manifests/bad/*/; do
	[ -f "$dir/expected" ] || continue
	n=$((n + 1))
	name=$(basename "$dir")
	args=""
	[ -f "$dir/args" ] && args=$(cat "$dir/args")
	envs=""
	[ -f "$dir/env" ] && envs=$(cat "$dir/env")
	got=$(cd "$dir" && env $envs "$DCFORM" validate $args 2>&1 >/dev/null)
	code=$?
	if [ "$code" != 1 ]; then
		echo "FAIL $name: exit $code, expected 1"
		fail=1
	fi
	if [ "$got" != "$(cat "$dir/expected")" ]; then
		echo "FAIL $name: output differs"
		echo "--- expected"; cat "$dir/expected"
		echo "--- got"; echo "$got"
		fail=1
	fi
done
for dir in "$DCFORM_SRC"/tests/manifests/good/*/; do
	[ -d "$dir" ] || continue
	n=$((n + 1))
	envs=""
	[ -f "$dir/env" ] && envs=$(cat "$dir/env")
	if ! out=$(cd "$dir" && env $envs "$DCFORM" validate 2>&1); then
		echo "FAIL good/$(basename "$dir"): $out"
		fail=1
	fi
done
echo "$n corpus cases"
[ "$n" -ge 40 ] || { echo "FAIL: corpus too small"; fail=1; }
exit $fail
