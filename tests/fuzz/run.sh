#!/bin/sh
# Build the libFuzzer targets with clang (fuzzer, address and undefined
# sanitizers) and run each for SECONDS (default 60) on its corpus in
# tests/fuzz/corpus/<target>/ (the seeds; inputs found are kept in
# build/fuzz/corpus-<target>/).
# Usage: sh tests/fuzz/run.sh [SECONDS] [TARGET...]
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"fuzz_manifest fuzz_expr fuzz_emulator fuzz_state fuzz_planfile fuzz_tc_response fuzz_jd_response fuzz_json"}
src=$(cd "$(dirname "$0")/../.." && pwd)
out="$src/build/fuzz"
mkdir -p "$out/obj"
CC=${FUZZ_CC:-clang}
PKGS="yaml-0.1 libcurl jansson libgit2 libmicrohttpd openssl"
CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
	-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-I$src -I$out/gen -DDCFORM_VERSION=\"fuzz\" $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lpthread -lm"

mkdir -p "$out/gen"
sh "$src/core/schema/embed.sh" "$src"/schemas/*.json > "$out/gen/schemas_embedded.c"
# The library as an archive, so that each target links only what it uses.
objs=""
# Everything but the emulator's main(): libFuzzer brings its own.
for f in "$src"/core/*.c "$src"/core/*/*.c "$src"/providers/*.c \
	"$src"/cmd/render.c "$src"/cmd/cmd.c \
	"$src"/providers/*/*.c \
	$(ls "$src"/emulator/*.c | grep -v '/main\.c$') \
	"$out/gen/schemas_embedded.c"; do
	[ -f "$f" ] || continue
	o="$out/obj/$(echo "$f" | sed "s|$src/||; s|$out/||; s|/|_|g; s|\.c$|.o|")"
	# shellcheck disable=SC2086
	$CC $CFLAGS -c -o "$o" "$f"
	objs="$objs $o"
done
rm -f "$out/libdcform-fuzz.a"
# shellcheck disable=SC2086
ar rcs "$out/libdcform-fuzz.a" $objs
for t in $targets; do
	# shellcheck disable=SC2086
	$CC $CFLAGS -fsanitize=fuzzer -o "$out/$t" "$src/tests/fuzz/$t.c" \
		"$out/libdcform-fuzz.a" $LIBS
	mkdir -p "$out/corpus-$t"
	echo "fuzz: $t for ${secs}s"
	if ! ASAN_OPTIONS=detect_leaks=1 "$out/$t" -max_total_time="$secs" \
		-max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/$t-" -print_final_stats=1 \
		"$out/corpus-$t" "$src/tests/fuzz/corpus/$t" \
		> "$out/$t.log" 2>&1; then
		tail -n 60 "$out/$t.log"
		echo "fuzz: $t FAILED (log: $out/$t.log)" >&2
		exit 1
	fi
	grep '^stat::number_of_executed_units\|^Done' "$out/$t.log"
	echo "fuzz: $t ok"
done
