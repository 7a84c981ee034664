#!/bin/bash
# run.sh: the scepd benchmark of tests/bench/README, in one script.
#
#	tests/bench/run.sh [-n N] [-r REPS] [-s SEED] [--long [N]]
#	    [--no-micromdm] [--no-get]
#
# It sets up, all on 127.0.0.1 and under one temporary prefix:
#  - a scepd.conf and an RSA-2048 CA + RA tenant "bench" made by scepadm
#    (automatic approval, static challenge);
#  - spawn-fcgi with 2 scepd workers on a UNIX socket and nginx in front
#    (tests/integ/lib.sh, as the integration tests);
# then, in order:
#  1. "openssl speed -seconds 3 rsa2048": the RSA budget of an
#     enrolment (3 private + 3 public operations), beside the in-process
#     figure scepbench prints; then tests/bench/stages: the CPU time of
#     each step of an enrolment in one process (parse, open, issue,
#     store, reply), without web server;
#  2. scepbench against scepd, c=8, REPS times by POST (and by GET),
#     with the CPU time of both workers and of nginx (master and
#     workers) and the RssAnon of the workers; then REPS runs of 20000
#     GetCACaps (scepbench --caps): the transport's own CPU;
#  3. micromdm scepserver (RSA-2048 CA) in a private network namespace,
#     measured the same way REPS times at c=8 and once at c=1, each from
#     a fresh depot (scepserver's file depot is not safe under
#     concurrency: the c=8 runs have failures and duplicate serials,
#     and only verified successes count);
#  4. SEED certificates (default 1,000,000) stored through
#     store_bulk_load() by tests/bench/seed, then scepd measured again;
#  5. with --long, N requests (default 100,000) in chunks of 10,000,
#     RssAnon of each worker read from /proc/PID/status at the start,
#     after every chunk and every second under load (the maximum).
# Everything started is stopped on exit (lib.sh cleanup); KEEP=1 keeps
# the prefix.
#
# Environment: BUILDDIR (default: the build/ directory of the source
# tree if it holds cgi-bin/scepd, else the current directory).  Run as
# root (the network namespace); scepd is best measured on a release
# build (-O2, no sanitizers).

set -u

top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${BUILDDIR:-}" ]; then
	if [ -x "$top_srcdir/build/cgi-bin/scepd" ]; then
		BUILDDIR=$top_srcdir/build
	else
		BUILDDIR=$(pwd)
	fi
fi
export BUILDDIR top_srcdir

N=2000			# enrolments per measured run
REPS=3			# measured runs per configuration
SEED=1000000		# certificates seeded before the second round
LONG=0			# requests of the long run (0: none)
MICROMDM=1
DOGET=1
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift ;;
	-r) REPS=$2; shift ;;
	-s) SEED=$2; shift ;;
	--long)
		LONG=100000
		case ${2:-} in
		[0-9]*) LONG=$2; shift ;;
		esac ;;
	--no-micromdm) MICROMDM=0 ;;
	--no-get) DOGET=0 ;;
	*) echo "usage: run.sh [-n N] [-r REPS] [-s SEED] [--long [N]]" \
	    "[--no-micromdm] [--no-get]" >&2; exit 1 ;;
	esac
	shift
done

. "$top_srcdir/tests/integ/lib.sh"

SCEPBENCH=$BUILDDIR/tests/bench/scepbench
SEEDER=$BUILDDIR/tests/bench/seed
STAGES=$BUILDDIR/tests/bench/stages
SCEPSERVER=${SCEPSERVER:-/usr/bin/scepserver}
CHALLENGE=bench-secret-1
MAPSIZE=16G

for f in "$SCEPD" "$SCEPADM" "$SCEPBENCH" "$SEEDER" "$STAGES"; do
	if [ ! -x "$f" ]; then
		echo "run.sh: $f missing: make it in $BUILDDIR" >&2
		exit 1
	fi
done

# RssAnon of process $1 in kB.
rssanon() {
	sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" \
	    2>/dev/null
}

# The load average, printed with every measurement (other work on the
# machine skews the figures).
loadavg() {
	cut -d' ' -f1-3 /proc/loadavg
}

# Summary field $2 of scepbench output file $1 (first number).
field() {
	sed -n "s|^$2  *\([0-9.]*\).*|\1|p" "$1" | head -n 1
}

# One line of the results table for scepbench output $2, labelled $1:
# the CPU ratio to the in-process budget of that run (scepbench) and
# to the "openssl speed" budget measured once at the start.
row() {
	cpu=$(field "$2" 'server CPU ms/enrolment')
	printf '%-20s %7s %7s %7s %6s %6s %5s %5s %4s %4s  load %s\n' "$1" \
	    "$(field "$2" 'enrolments/s')" "$(field "$2" 'p50 ms')" \
	    "$(field "$2" 'p99 ms')" "$cpu" \
	    "$(sed -n 's/^RSA budget per enrolment = .* = \([0-9.]*\) ms/\1/p' "$2")" \
	    "$(field "$2" 'ratio to RSA budget')" \
	    "$(awk -v c="${cpu:-0}" -v b="$BUDGET" \
	    'BEGIN { if (b > 0) printf "%.2f", c / b }')" \
	    "$(field "$2" 'failures')" "$(field "$2" 'duplicate serials')" \
	    "$(cut -d' ' -f1 "$2.load")"
}

header() {
	printf '%-20s %7s %7s %7s %6s %6s %5s %5s %4s %4s\n' "run" "enrol/s" \
	    "p50 ms" "p99 ms" "CPU ms" "budget" "ratio" "r/spd" "fail" "dup"
}

# The processes whose CPU time counts for scepd: both workers, nginx's
# master and its workers.
scepd_pids() {
	ng=$(cat "$T/nginx.pid")
	echo "$(paste -sd, "$T/fcgi.pids"),$ng,$(pgrep -d, -P "$ng")"
}

# bench_scepd LABEL OUT [scepbench options...]: one measured run.
bench_scepd() {
	label=$1
	out=$2
	shift 2
	loadavg >"$out.load"
	"$SCEPBENCH" -u "$URL/bench/scep" -c 8 --challenge "$CHALLENGE" \
	    --pids "$(scepd_pids)" --rss "$(paste -sd, "$T/fcgi.pids")" \
	    "$@" >"$out" 2>"$out.err"
	echo $? >"$out.rc"
	row "$label" "$out"
}

# micromdm scepserver: a fresh RSA-2048 depot and a server in the
# network namespace $NS; sets SP.
start_scepserver() {
	depot=$T/depot.$1
	rm -rf "$depot"
	"$SCEPSERVER" ca -init -depot "$depot" -keySize 2048 \
	    -organization bench >"$T/scepserver-ca.out" 2>&1 || return 1
	nsenter -t "$NS" -n "$SCEPSERVER" -depot "$depot" -port 18081 \
	    -challenge "$CHALLENGE" -allowrenew 0 >"$T/scepserver.$1.log" 2>&1 &
	SP=$!
	PIDS="$PIDS $SP"
	i=0
	while ! nsenter -t "$NS" -n bash -c \
	    'exec 3<>/dev/tcp/127.0.0.1/18081' 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt 50 ] && return 1
		sleep 0.1
	done
}

stop_scepserver() {
	kill "$SP" 2>/dev/null
	wait "$SP" 2>/dev/null
}

# bench_micromdm LABEL OUT C [scepbench options...]
bench_micromdm() {
	label=$1
	out=$2
	c=$3
	shift 3
	start_scepserver "$label" || { echo "$label: scepserver failed"; return; }
	loadavg >"$out.load"
	nsenter -t "$NS" -n "$SCEPBENCH" -L -u http://127.0.0.1:18081/scep \
	    -c "$c" --challenge "$CHALLENGE" -E aes256 --pids "$SP" \
	    --rss "$SP" "$@" >"$out" 2>"$out.err"
	echo $? >"$out.rc"
	stop_scepserver
	row "$label" "$out"
}

echo "# scepd benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
    "$(openssl version | cut -d' ' -f1-2)"
echo "# build $BUILDDIR, prefix $T, load $(loadavg)"

# The server.
make_conf
echo "map_size = $MAPSIZE" >>"$CONF"
make_tenant bench --bits 2048 --challenge static --password "$CHALLENGE" \
    --approval auto || { cat "$T/bench.create"; exit 1; }
start_nginx_fcgi || { echo "run.sh: nginx/spawn-fcgi failed"; exit 1; }
echo "# scepd workers $(paste -sd' ' "$T/fcgi.pids")," \
    "nginx $(cat "$T/nginx.pid")"

# 1. The RSA budget.
openssl speed -seconds 3 rsa2048 >"$T/speed.out" 2>/dev/null
BUDGET=$(awk '$1 == "rsa" && $2 == "2048" {
	printf "%.3f", 3 * $4 * 1000 + 3 * $5 * 1000 }' "$T/speed.out")
awk '$1 == "rsa" && $2 == "2048" {
	priv = $4 * 1000; pub = $5 * 1000
	printf "# openssl speed -seconds 3 rsa2048: private %.3f ms, " \
	    "public %.3f ms; budget 3 priv + 3 pub = %.3f ms\n", priv, pub,
	    3 * priv + 3 * pub }' "$T/speed.out"
echo "# columns: CPU ms = server CPU per enrolment (workers + nginx);" \
    "budget = scepbench's in-process RSA budget of that run; ratio = CPU /" \
    "budget; r/spd = CPU / the openssl speed budget; load = 1-min load average"

# The steps of an enrolment in one process, no web server: what the
# cryptography and the durable commit cost by themselves.
echo "# in-process steps (tests/bench/stages, 1000 requests, CPU ms):"
"$STAGES" -p "$top_srcdir/tests/data/corpus/pki" -d "$T/stages.db" \
    -n 1000 >"$T/stages.out" 2>&1 || { cat "$T/stages.out"; exit 1; }
awk '$1 ~ /^(parse|open|issue|store|reply|total)$/ {
	printf "%s%s %s", (n++ ? ", " : "#   "), $1, $2 }
    END { printf "\n" }' "$T/stages.out"
sed -n 's/^ratio/#   ratio/p' "$T/stages.out"
rm -rf "$T/stages.db"

# Each worker's RssAnon before any request, then a warm-up run (keys in
# the page cache, nginx connections, workers' first allocations), not
# counted.
echo "# RssAnon kB at start (no request yet):" \
    $(for p in $(cat "$T/fcgi.pids"); do echo "$p=$(rssanon "$p")"; done)
bench_scepd warmup "$T/warmup" -n 200 >/dev/null
echo "# RssAnon kB after the 200-enrolment warm-up:" \
    $(for p in $(cat "$T/fcgi.pids"); do echo "$p=$(rssanon "$p")"; done)

# 2. scepd, empty store.
echo
echo "# scepd, nginx + ${FCGI_WORKERS:-2} workers, c=8, $N enrolments a run"
header
for r in $(seq "$REPS"); do
	bench_scepd "scepd POST #$r" "$T/post.$r" -n "$N"
	[ "$DOGET" -eq 1 ] && bench_scepd "scepd GET #$r" "$T/get.$r" -n "$N" -g
done

# The transport alone, no cryptography: GetCACaps through the same
# nginx and workers, the floor under every enrolment.
echo
echo "# transport floor: GetCACaps, c=8, 20000 requests a run"
for r in $(seq "$REPS"); do
	"$SCEPBENCH" --caps -u "$URL/bench/scep" -c 8 -n 20000 \
	    --pids "$(scepd_pids)" >"$T/caps.$r" 2>"$T/caps.$r.err"
	echo $? >"$T/caps.$r.rc"
	printf '%-20s %7s/s  p50 %s ms  p99 %s ms  CPU %s ms/request\n' \
	    "GetCACaps #$r" "$(field "$T/caps.$r" 'requests/s')" \
	    "$(field "$T/caps.$r" 'p50 ms')" "$(field "$T/caps.$r" 'p99 ms')" \
	    "$(field "$T/caps.$r" 'server CPU ms/request')"
done

# 3. micromdm scepserver.
if [ "$MICROMDM" -eq 1 ]; then
	unshare -n sleep infinity &
	NS=$!
	PIDS="$PIDS $NS"
	sleep 0.2
	nsenter -t "$NS" -n ip link set lo up
	echo
	echo "# micromdm scepserver" \
	    "$(dpkg-query -W -f '${Version}' scep 2>/dev/null)," \
	    "RSA-2048 CA, AES-256, fresh depot each run"
	header
	for r in $(seq "$REPS"); do
		bench_micromdm "scepserver c=8 #$r" "$T/mm8.$r" 8 -n 500
	done
	bench_micromdm "scepserver c=1" "$T/mm1" 1 -n 300
	kill "$NS" 2>/dev/null
fi

# 4. Seeded store.
if [ "$SEED" -gt 0 ]; then
	echo
	"$SEEDER" -d "$T/db" -m "$MAPSIZE" -t bench -n "$SEED" \
	    >"$T/seed.out" 2>&1 || { cat "$T/seed.out"; exit 1; }
	echo "# seeded: $(grep -v '^seed:' "$T/seed.out" | tail -n 1)"
	header
	for r in $(seq "$REPS"); do
		bench_scepd "seeded POST #$r" "$T/seeded.$r" -n "$N"
	done
fi

# 5. The long run: memory across LONG requests.
if [ "$LONG" -gt 0 ]; then
	echo
	echo "# long run: $LONG requests in chunks of 10000 (RssAnon kB;" \
	    "the first line is after the runs above)"
	w=$(cat "$T/fcgi.pids")
	printf '%-10s' "requests"
	for p in $w; do printf ' %12s' "pid $p"; done
	printf '   enrol/s\n'
	printf '%-10s' 0
	for p in $w; do printf ' %12s' "$(rssanon "$p")"; done
	printf '\n'
	# Every second under load: the maximum RssAnon of each worker.
	(
		while :; do
			for p in $w; do
				echo "$p $(rssanon "$p")"
			done
			sleep 1
		done
	) >"$T/rss.samples" &
	SAMPLER=$!
	PIDS="$PIDS $SAMPLER"
	done_n=0
	while [ "$done_n" -lt "$LONG" ]; do
		k=$((LONG - done_n))
		[ "$k" -gt 10000 ] && k=10000
		bench_scepd long "$T/long" -n "$k" >/dev/null
		done_n=$((done_n + k))
		printf '%-10s' "$done_n"
		for p in $w; do printf ' %12s' "$(rssanon "$p")"; done
		printf '   %s' "$(field "$T/long" 'enrolments/s')"
		[ "$(cat "$T/long.rc")" = 0 ] || printf ' (FAILURES, see %s)' \
		    "$T/long.err"
		printf '\n'
	done
	kill "$SAMPLER" 2>/dev/null
	printf '%-10s' "max"
	for p in $w; do
		printf ' %12s' "$(awk -v p="$p" '$1 == p && $2 > m { m = $2 }
		    END { print m }' "$T/rss.samples")"
	done
	printf '  (sampled every second under load)\n'
fi

# Failures of any scepd run make the script fail.
st=0
for f in "$T"/post.*.rc "$T"/get.*.rc "$T"/caps.*.rc "$T"/seeded.*.rc; do
	[ -f "$f" ] || continue
	if [ "$(cat "$f")" != 0 ]; then
		echo "run.sh: ${f%.rc} failed:"
		head -n 5 "${f%.rc}.err"
		st=1
	fi
done
exit $st
