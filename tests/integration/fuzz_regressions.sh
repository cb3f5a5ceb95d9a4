#!/bin/sh
# Inputs the fuzzers once broke dcform with: each must now give clear
# errors (exit 1) under the sanitizer build, with no crash or leak.
set -u
: "${DCFORM:?}" "${DCFORM_SRC:?}"
fail=0
for f in "$DCFORM_SRC"/tests/fuzz/regressions/manifest-*; do
	[ -f "$f" ] || continue
	d=$(mktemp -d)
	cp "$f" "$d/main.yaml"
	"$DCFORM" validate "$d" >"$d/out" 2>&1
	code=$?
	if [ $code -ne 1 ] && [ $code -ne 0 ]; then
		echo "FAIL $(basename "$f"): exit $code"
		cat "$d/out"
		fail=1
	fi
	if grep -q 'Sanitizer' "$d/out"; then
		echo "FAIL $(basename "$f"): sanitizer report"
		cat "$d/out"
		fail=1
	fi
	rm -rf "$d"
done
exit $fail
