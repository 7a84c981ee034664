#!/bin/sh
#
# run.sh BUILDDIR [SECONDS]: build tests/fuzz/fuzz_parse.c with clang's
# libFuzzer, ASan and UBSan against the scep/ sources of this tree
# (BUILDDIR is a configured build folder: its config.h is used), replay
# the seeds (tests/data corpus and captures: every message, every GET
# query, every decrypted inner content), then fuzz for SECONDS (default
# 60).  Prints the number of executions; exits non-zero on any crash,
# leak, timeout or sanitizer report.  Crash artefacts and the grown
# corpus are kept in FUZZ_OUT (default: a new folder under ${TMPDIR:-/tmp}).
#
# Not part of "make check" (STYLE.md B9): run it in CI or by hand.
set -eu

usage() {
	echo "usage: $0 BUILDDIR [SECONDS]" >&2
	exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
builddir=$(cd "$1" && pwd) || usage
seconds=${2:-60}
case $seconds in
''|*[!0-9]*) usage ;;
esac
[ -f "$builddir/config.h" ] || { echo "$0: no $builddir/config.h" >&2; exit 2; }

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
data=$srcdir/tests/data
CC=${CC:-clang-14}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/scep-fuzz.XXXXXX")}
mkdir -p "$out/seeds" "$out/corpus" "$out/artifacts"
bin=$out/fuzz_parse

# 1. Build: the library's sources, the front end's URI parser
# (cgi-bin/http.c, which needs libfcgi) and the harness in one link.
# shellcheck disable=SC2046
"$CC" -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED \
    -Wall -Wextra -Wno-unused-parameter \
    -I"$builddir" -I"$srcdir" $(pkg-config --cflags libcrypto) \
    -o "$bin" "$srcdir"/scep/*.c "$srcdir/cgi-bin/http.c" \
    "$srcdir/tests/fuzz/fuzz_parse.c" $(pkg-config --libs libcrypto) -lfcgi

# 2. Seeds: messages, queries, inner contents, captures.
for f in "$data"/corpus/messages/* "$data"/corpus/inner/*.der \
    "$data"/captures/*.der "$data"/captures/*.query \
    "$srcdir"/tests/fuzz/seeds/*; do
	[ -f "$f" ] && cp "$f" "$out/seeds/"
done
nseeds=$(find "$out/seeds" -type f | wc -l)
[ "$nseeds" -gt 0 ] || { echo "$0: no seeds in $data" >&2; exit 1; }

SCEP_TESTDATA=$data
export SCEP_TESTDATA
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

# 3. Replay every seed once; none may crash or leak.
echo "replaying $nseeds seeds"
if ! "$bin" -runs=0 -artifact_prefix="$out/artifacts/" "$out/seeds" \
    >"$out/replay.log" 2>&1; then
	cat "$out/replay.log" >&2
	echo "$0: a seed failed; see $out" >&2
	exit 1
fi

# 4. Fuzz for the given time; new inputs go to $out/corpus.
echo "fuzzing for $seconds s"
rc=0
"$bin" -max_len=65536 -rss_limit_mb=2048 -timeout=25 \
    -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/" \
    "$out/corpus" "$out/seeds" >"$out/fuzz.log" 2>&1 || rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log" |
    tail -n 1)
echo "executions: ${execs:-unknown}"
if [ "$rc" -ne 0 ] || [ -z "$execs" ] ||
    [ -n "$(find "$out/artifacts" -type f)" ]; then
	tail -n 60 "$out/fuzz.log" >&2
	echo "$0: fuzzing failed (exit $rc); artefacts in $out/artifacts" >&2
	exit 1
fi
echo "no crash, no leak; corpus and logs in $out"
