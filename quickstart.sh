#!/bin/bash
# quickstart.sh: build scepd on a fresh Debian 12 machine and either run the
# whole test suite (check) or start a demo server (demo).  Run as root; the
# Debian packages that are missing are installed with apt-get.
#
#   ./quickstart.sh check   unit and corpus tests in a normal and an
#                           ASan/UBSan build, a bounded fuzz run; ends with
#                           "N passed, M failed" and exits non-zero on failure
#   ./quickstart.sh demo    a SCEP server on http://127.0.0.1:8080/demo/scep
set -eu

cd "$(dirname "$0")"
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${FUZZ_SECONDS:-60}

# Packages every build needs, and what each mode adds.
pkgs_build="autoconf automake make gcc pkg-config libssl-dev check
	liblmdb-dev libfcgi-dev libcurl4-openssl-dev libjansson-dev mandoc
	openssl"
pkgs_servers="nginx-light lighttpd spawn-fcgi"
pkgs_check="clang-14 libfuzzer-14-dev libclang-rt-14-dev $pkgs_servers
	scep certmonger dbus lmdb-utils python3"
pkgs_demo="$pkgs_servers scep"

say() {
	printf '==> %s\n' "$*"
}

die() {
	printf 'quickstart: %s\n' "$*" >&2
	exit 1
}

# Install the named packages that are not installed yet.  Services that a
# package would start on installation (nginx, lighttpd) are kept from
# starting with a temporary policy-rc.d: tests run their own servers on
# 127.0.0.1 only.
install_pkgs() {
	missing=""
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'ok installed'; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages:$missing (run as root)"
	say "installing:$missing"
	policy=/usr/sbin/policy-rc.d
	own_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	    die "apt-get install failed:$missing"
	[ "$own_policy" -eq 1 ] && rm -f "$policy"
	return 0
}

# autoreconf once, then a VPATH build in $1 with configure flags $2...
build() {
	dir=$1
	shift
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) >/dev/null 2>&1 ||
	    die "autoreconf failed"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@") || die "configure failed in $dir"
	make -C "$dir" -j"$jobs" >/dev/null || die "build failed in $dir"
}

# Add up what the test logs of build dir $1 say: Check's
# "Checks: N, Failures: F, Errors: E" for a Check suite (every test case
# counts), PASS or FAIL from the .trs file for any other test.  A suite
# whose cases passed but whose program failed (a leak reported at exit)
# counts one failure more.  Appends "passed failed" lines to $counts.
tally() {
	for trs in $(find "$1/tests" -name '*.trs' | sort); do
		log=${trs%.trs}.log
		sums=$(grep -E 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' \
		    "$log" 2>/dev/null | tail -n 1 | sed -E \
		    's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/')
		if [ -n "$sums" ]; then
			set -- $sums
			p=$(($1 - $2 - $3))
			f=$(($2 + $3))
		else
			# One result per test; a TAP script has many.
			p=$(grep -cE '^:test-result: (PASS|XFAIL)' "$trs" || true)
			f=$(grep -cE '^:test-result: (FAIL|ERROR|XPASS|SKIP)' \
			    "$trs" || true)
		fi
		res=PASS
		if grep -qE '^:test-result: (FAIL|ERROR|XPASS|SKIP)' "$trs" ||
		    ! grep -q '^:global-test-result: PASS' "$trs"; then
			res=FAIL
		fi
		if [ "$res" != PASS ] && [ "$f" -eq 0 ]; then
			f=1
		fi
		echo "$p $f" >>"$counts"
		if [ "$res" != PASS ]; then
			echo "FAILED ($res): $log"
			tail -n 40 "$log"
		fi
	done
}

run_suite() {
	dir=$1
	shift
	say "building in $dir ($*)"
	build "$dir" "$@"
	say "running the tests in $dir"
	make -C "$dir" -j"$jobs" check >/dev/null 2>&1 || true
	tally "$dir"
}

cmd_check() {
	install_pkgs $pkgs_build $pkgs_check
	counts=$(mktemp)
	trap 'rm -f "$counts"' EXIT
	run_suite "$top/build-check" --enable-werror
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export ASAN_OPTIONS UBSAN_OPTIONS
	run_suite "$top/build-asan" --enable-werror --enable-sanitizers \
	    --enable-integration
	say "fuzzing the parser for ${fuzz_seconds}s (ASan/UBSan)"
	if sh "$top/tests/fuzz/run.sh" "$top/build-asan" "$fuzz_seconds"; then
		echo "1 0" >>"$counts"
	else
		echo "0 1" >>"$counts"
		echo "FAILED: fuzz run"
	fi
	awk '{ p += $1; f += $2 } END { printf "%d passed, %d failed\n", p, f }' \
	    "$counts"
	awk '{ f += $2 } END { exit f > 0 }' "$counts"
}

# Whether something listens on 127.0.0.1:$1.
listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The demo's nginx configuration: $1 data folder, $2 port.
demo_nginx_conf() {
	cat <<EOF
daemon off;
worker_processes 1;
pid $1/nginx/nginx.pid;
error_log $1/nginx/error.log warn;
events { worker_connections 256; }
http {
	access_log $1/nginx/access.log;
	client_body_temp_path $1/nginx/body;
	fastcgi_temp_path $1/nginx/fastcgi;
	proxy_temp_path $1/nginx/proxy;
	uwsgi_temp_path $1/nginx/uwsgi;
	scgi_temp_path $1/nginx/scgi;
	# GET enrolment needs request lines of about 4 KB.
	large_client_header_buffers 4 64k;
	client_max_body_size 64k;
	server {
		listen 127.0.0.1:$2;
		location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_param REQUEST_URI \$request_uri;
			fastcgi_pass unix:$1/scepd.sock;
		}
	}
}
EOF
}

# The demo: nginx on 127.0.0.1:8080 in front of spawn-fcgi with two scepd
# workers, a tenant "demo" made by scepadm (RSA-2048 CA and RA, static
# challenge, allow_des for micromdm scepclient 2.1.0), its data under
# demo/ (git-ignored).  Runs in the foreground until Ctrl-C or SIGTERM,
# then stops everything it started.
cmd_demo() {
	install_pkgs $pkgs_build $pkgs_demo
	build "$top/build" --enable-werror
	d=$top/demo
	port=${DEMO_PORT:-8080}
	mkdir -p "$d/nginx"
	chmod 0755 "$d"
	if [ ! -f "$d/scepd.conf" ]; then
		say "creating the demo tenant with scepadm"
		printf 'database = %s/db\nlog = stderr\nmax_get_query = 64K\n' \
		    "$d" >"$d/scepd.conf"
		chmod 0640 "$d/scepd.conf"
		if ! "$top/build/src/scepadm" -f "$d/scepd.conf" tenant create \
		    demo --dir "$d/demo" --allow-des >"$d/tenant.txt"; then
			rm -rf "$d/scepd.conf" "$d/demo"
			die "scepadm tenant create failed"
		fi
		# /scep and /cgi-bin/pkiclient.exe serve the demo tenant too.
		sed -i '1i default_tenant = demo' "$d/scepd.conf"
	fi
	"$top/build/cgi-bin/scepd" -n -f "$d/scepd.conf" >/dev/null 2>&1 ||
	    die "the demo configuration does not load: $d/scepd.conf"
	challenge=$(sed -n 's/^Challenge: //p' "$d/tenant.txt" | head -n 1)
	listening "$port" && die "127.0.0.1:$port is in use (set DEMO_PORT)"

	pids=""
	trap demo_stop INT TERM
	trap demo_stop EXIT
	rm -f "$d/scepd.sock"
	# spawn-fcgi points the workers' stderr at /dev/null: keep the log.
	spawn-fcgi -s "$d/scepd.sock" -M 0666 -F 2 -- /usr/bin/env \
	    SCEPD_CONF="$d/scepd.conf" /bin/sh -c 'exec "$0" 2>>"$1"' \
	    "$top/build/cgi-bin/scepd" "$d/scepd.log" >"$d/spawn.out" 2>&1 ||
	    die "spawn-fcgi failed: $(cat "$d/spawn.out")"
	sed -n 's/.*PID: *\([0-9][0-9]*\).*/\1/p' "$d/spawn.out" >"$d/fcgi.pids"
	demo_nginx_conf "$d" "$port" >"$d/nginx/nginx.conf"
	nginx -c "$d/nginx/nginx.conf" -p "$d/nginx" &
	pids="$pids $!"
	i=0
	until listening "$port"; do
		i=$((i + 1))
		[ "$i" -gt 50 ] && die "nginx did not start: see $d/nginx/error.log"
		sleep 0.1
	done
	cat <<EOF

URL: http://127.0.0.1:$port/demo/scep
Challenge: $challenge

Enrol with micromdm scepclient (Debian package scep; it always encrypts
with single DES, which is why the demo tenant sets allow_des):

  mkdir -p /tmp/demo-client && cd /tmp/demo-client && \\
  scepclient -server-url http://127.0.0.1:$port/demo/scep \\
    -private-key client.key -certificate client.pem \\
    -cn demo-device -challenge '$challenge'

Operator: $top/build/src/scepadm -f $d/scepd.conf request list
Log: $d/scepd.log, one line per request (shown below).  Ctrl-C stops.

EOF
	touch "$d/scepd.log"
	tail -n 0 -f "$d/scepd.log" &
	pids="$pids $!"
	wait
}

# Stop what the demo started.
demo_stop() {
	# A second signal must not cut the clean-up short.
	trap "" INT TERM
	trap - EXIT
	say "stopping the demo"
	for p in $pids $(cat "$top/demo/fcgi.pids" 2>/dev/null); do
		kill "$p" 2>/dev/null || true
	done
	rm -f "$top/demo/fcgi.pids" "$top/demo/scepd.sock"
	exit 0
}

case "${1:-}" in
check)	cmd_check ;;
demo)	cmd_demo ;;
*)	echo "usage: $0 check | demo" >&2; exit 2 ;;
esac
