#!/bin/sh
# Run the test suites against the build in $O (build/asan for `make test`).
# Usage: tests/run.sh [unit|integration]   (default: both)
# Prints one line per test program and a closing "N passed, N failed".
O=${O:-build/asan}
what=${1:-all}
export DCFORM="$PWD/$O/dcform"
export DCFORM_EMULATOR="$PWD/$O/dcform-emulator"
export DCFORM_SRC="$PWD"
export DCFORM_SHARED="${DCFORM_SHARED:-$PWD/../shared}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export NO_COLOR=1
# VALGRIND=1 (make valgrind): every dcform, emulator and test program runs
# under memcheck; its reports go to $O/valgrind/ and are checked at the end.
vgdir=""
if [ -n "${VALGRIND:-}" ]; then
	vgdir="$PWD/$O/valgrind"
	rm -rf "$vgdir" && mkdir -p "$vgdir/bin"
	VG="valgrind --quiet --error-exitcode=0 --leak-check=full \
--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
--track-origins=no --log-file=$vgdir/%p.log"
	for b in dcform dcform-emulator; do
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$VG" "$PWD/$O/$b" >"$vgdir/bin/$b"
		chmod +x "$vgdir/bin/$b"
	done
	export DCFORM="$vgdir/bin/dcform" DCFORM_EMULATOR="$vgdir/bin/dcform-emulator"
fi
unset TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY JDCLOUD_ACCESS_KEY \
	JDCLOUD_SECRET_KEY DCFORM_TENCENTCLOUD_ENDPOINT DCFORM_JDCLOUD_ENDPOINT

pass=0
fail=0
failed=""
logdir="$O/test-logs"
mkdir -p "$logdir"

# Runs a test in a process group of its own and stops the group after
# TEST_TIMEOUT seconds (900). The watchdog sleeps, which counts elapsed
# time: timeout(1) arms a wall-clock timer, which fires at once when the
# machine's clock is set forward (seen on paused and resumed machines).
tpid=""
wpid=""
trap 'kill -TERM "-$tpid" "-$wpid" 2>/dev/null; exit 130' INT TERM
limited() {
	rm -f "$logdir/.timed-out"
	setsid "$@" &
	tpid=$!
	setsid sh -c 'sleep "$1"; touch "$3"; kill -TERM "-$2"; sleep 10;
		kill -KILL "-$2"' watchdog "${TEST_TIMEOUT:-900}" "$tpid" \
		"$logdir/.timed-out" 2>/dev/null &
	wpid=$!
	wait "$tpid"
	trc=$?
	# The watchdog's group, or the watchdog before it made one.
	kill -KILL "-$wpid" 2>/dev/null || kill -KILL "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	return $trc
}

run_one() {
	name=$1
	shift
	log="$logdir/$(echo "$name" | tr '/' '_').log"
	start=$(date +%s)
	if [ -n "$vgdir" ] && [ "$1" != sh ]; then
		set -- valgrind --quiet --leak-check=full \
			--show-leak-kinds=definite,indirect \
			--errors-for-leak-kinds=definite,indirect \
			--log-file="$vgdir/%p.log" "$@"
	fi
	# A hung test fails on its own instead of eating the CI's time.
	if limited "$@" >"$log" 2>&1; then
		pass=$((pass + 1))
		printf 'ok   %-55s %3ss\n' "$name" "$(( $(date +%s) - start ))"
	else
		rc=$?
		fail=$((fail + 1))
		failed="$failed $name"
		printf 'FAIL %-55s (log: %s)\n' "$name" "$log"
		if [ -f "$logdir/.timed-out" ]; then
			echo "     | timed out after ${TEST_TIMEOUT:-900}s"
		fi
		tail -n 40 "$log" | sed 's/^/     | /'
	fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in $(find "$O/tests/unit" -type f -perm -u+x 2>/dev/null | sort); do
		run_one "unit/${t#$O/tests/unit/}" "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
	for t in $(find "$O/tests/integration" -type f -perm -u+x 2>/dev/null | sort); do
		run_one "integration/${t#$O/tests/integration/}" "$t"
	done
	for t in $(ls tests/integration/*.sh 2>/dev/null | sort); do
		run_one "$t" sh "$t"
	done
fi

if [ -n "$vgdir" ]; then
	# memcheck's reports: any error or leak fails the run.
	bad=$(grep -l 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]\|indirectly lost: [1-9]\|Invalid \(read\|write\|free\)\|uninitialised' "$vgdir"/*.log 2>/dev/null)
	n=$(ls "$vgdir"/*.log 2>/dev/null | wc -l)
	if [ -n "$bad" ]; then
		fail=$((fail + 1))
		failed="$failed valgrind"
		for f in $bad; do echo "valgrind: $f"; head -n 40 "$f" | sed 's/^/     | /'; done
	else
		echo "valgrind: $n processes checked, no errors, no leaks"
	fi
fi

echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
