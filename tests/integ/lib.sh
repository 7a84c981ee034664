# lib.sh: shared set-up for the integration tests (sourced by bash).
#
# Each test gets a temp prefix, a tenant made by scepadm, and real servers
# on 127.0.0.1 with generated configs: nginx + spawn-fcgi (2 workers on a
# UNIX socket), lighttpd with mod_fastcgi, or lighttpd with mod_cgi.
# Everything started is recorded by PID and stopped on exit.  Output is
# TAP: "ok N - text" / "not ok N - text", and a plan at the end.
#
# Environment: BUILDDIR (the build tree holding cgi-bin/scepd, src/scepadm
# and tests/integ/sceptest; default: the current directory) and
# top_srcdir (the source tree).

set -u

BUILDDIR=${BUILDDIR:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
SCEPD=$BUILDDIR/cgi-bin/scepd
SCEPADM=$BUILDDIR/src/scepadm
SCEPTEST=$BUILDDIR/tests/integ/sceptest
NGINX=${NGINX:-/usr/sbin/nginx}
LIGHTTPD=${LIGHTTPD:-/usr/sbin/lighttpd}
SPAWNFCGI=${SPAWNFCGI:-/usr/bin/spawn-fcgi}

T=$(mktemp -d /tmp/scepd-integ.XXXXXX)
# Unprivileged workers (and nginx's) must reach the socket and database.
chmod 0755 "$T"
CONF=$T/scepd.conf
PIDS=""
ntest=0
nfail=0

# TAP results.
ok() {
	ntest=$((ntest + 1))
	echo "ok $ntest - $*"
}

not_ok() {
	ntest=$((ntest + 1))
	nfail=$((nfail + 1))
	echo "not ok $ntest - $*"
}

# check TEXT COMMAND...: ok when the command succeeds.
check() {
	text=$1
	shift
	if "$@" >"$T/last.out" 2>&1; then
		ok "$text"
	else
		not_ok "$text"
		sed 's/^/#   /' "$T/last.out" | tail -n 20
	fi
}

# expect TEXT STATUS COMMAND...: ok when the command exits with STATUS.
expect() {
	text=$1
	want=$2
	shift 2
	"$@" >"$T/last.out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$text"
	else
		not_ok "$text (exit $got, wanted $want)"
		sed 's/^/#   /' "$T/last.out" | tail -n 20
	fi
}

# is TEXT WANT GOT: ok when the two are the same string or number.
is() {
	if [ "$2" = "$3" ] || { [ "$2" -eq "$3" ]; } 2>/dev/null; then
		ok "$1"
	else
		not_ok "$1 (got '$3', wanted '$2')"
	fi
}

# grep_out TEXT PATTERN: ok when the last command's output matches.
grep_out() {
	if grep -qE "$2" "$T/last.out"; then
		ok "$1"
	else
		not_ok "$1 (no match for /$2/)"
		sed 's/^/#   /' "$T/last.out" | tail -n 20
	fi
}

finish() {
	echo "1..$ntest"
	[ "$nfail" -eq 0 ]
}

# Stop everything started, then remove the prefix (kept on failure when
# KEEP is set).
cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for f in "$T"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f" 2>/dev/null)" 2>/dev/null
	done
	# spawn-fcgi workers: their PIDs are in the pid file, one a line.
	if [ -f "$T/fcgi.pids" ]; then
		while read -r p; do kill "$p" 2>/dev/null; done <"$T/fcgi.pids"
	fi
	sleep 0.2
	if [ -z "${KEEP:-}" ]; then
		rm -rf "$T"
	else
		echo "# kept $T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A free TCP port on 127.0.0.1 (connection refused = nobody listens).
free_port() {
	p=$(( 20000 + ($$ * 7 + ${1:-0} * 131) % 30000 ))
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

# Wait until 127.0.0.1:$1 accepts connections (5 s at most).
wait_port() {
	i=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt 50 ] && return 1
		sleep 0.1
	done
	return 0
}

# make_conf: a configuration with global settings only.
make_conf() {
	export SCEPD_CONF="$CONF"
	cat >"$CONF" <<EOF
database = $T/db
log = stderr
max_get_query = 64K
EOF
	chmod 0644 "$CONF"
}

# make_tenant NAME [scepadm tenant create options...]
make_tenant() {
	name=$1
	shift
	"$SCEPADM" -f "$CONF" tenant create "$name" --dir "$T/$name" "$@" \
	    >"$T/$name.create" 2>&1
}

# set_keys NAME KEY=VALUE...: settings appended right after tenant
# NAME's section header.
set_keys() {
	name=$1
	shift
	for kv in "$@"; do
		sed -i "/^\[tenant $name\]\$/a $kv" "$CONF" || return 1
	done
}

# make_keys N [FIRST]: RSA-2048 keys $T/kFIRST.pem ... $T/kN.pem (FIRST
# default 1), made side by side (one costs ~140 ms).
make_keys() {
	for i in $(seq "${2:-1}" "$1"); do
		openssl genpkey -algorithm RSA \
		    -pkeyopt rsa_keygen_bits:2048 -out "$T/k$i.pem" \
		    2>/dev/null &
	done
	wait
	for i in $(seq "${2:-1}" "$1"); do
		[ -s "$T/k$i.pem" ] || return 1
	done
}

# The static challenge scepadm printed for tenant $1.
challenge_of() {
	sed -n 's/^Challenge: //p' "$T/$1.create" | head -n 1
}

# The nginx configuration the man page shows (scepd.8, EXAMPLES).
nginx_conf() {
	port=$1
	sock=$2
	cat >"$T/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx-error.log warn;
events { worker_connections 256; }
http {
	access_log $T/nginx-access.log;
	client_body_temp_path $T/nginx-body;
	fastcgi_temp_path $T/nginx-fcgi;
	proxy_temp_path $T/nginx-proxy;
	uwsgi_temp_path $T/nginx-uwsgi;
	scgi_temp_path $T/nginx-scgi;
	# GET enrolment: certmonger and scepclient send about 4 KB.
	large_client_header_buffers 4 64k;
	client_max_body_size 64k;
	server {
		listen 127.0.0.1:$port;
		location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_param REQUEST_URI \$request_uri;
			fastcgi_pass unix:$sock;
		}
	}
}
EOF
}

# start_nginx_fcgi: spawn-fcgi with 2 scepd workers (FCGI_WORKERS) on a
# UNIX socket and nginx in front; sets URL.
start_nginx_fcgi() {
	port=$(free_port 1)
	sock=$T/scepd.sock
	# spawn-fcgi points a worker's stderr at /dev/null: keep the log
	# lines ("log = stderr") in $T/scepd.log instead.
	# SPAWN_USER/SPAWN_GROUP: run the workers unprivileged.
	touch "$T/scepd.log"
	chmod 0666 "$T/scepd.log"
	"$SPAWNFCGI" -s "$sock" -M 0666 -F "${FCGI_WORKERS:-2}" \
	    ${SPAWN_USER:+-u "$SPAWN_USER"} ${SPAWN_GROUP:+-g "$SPAWN_GROUP"} \
	    -- /bin/sh -c 'exec "$0" 2>>"$1"' "$SCEPD" "$T/scepd.log" \
	    >"$T/spawn.out" 2>&1 || return 1
	sed -n 's/.*PID: *\([0-9][0-9]*\).*/\1/p' "$T/spawn.out" \
	    >"$T/fcgi.pids"
	nginx_conf "$port" "$sock"
	"$NGINX" -c "$T/nginx.conf" -p "$T" >"$T/nginx.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_port "$port" || return 1
	URL=http://127.0.0.1:$port
}

# The lighttpd configuration: mode fcgi (mod_fastcgi spawning 2 workers)
# or cgi (mod_cgi, one process a request).
lighttpd_conf() {
	port=$1
	mode=$2
	mkdir -p "$T/www"
	cat >"$T/lighttpd.conf" <<EOF
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $port
server.pid-file = "$T/lighttpd.pid"
server.errorlog = "$T/lighttpd-error.log"
server.max-request-field-size = 65536
server.modules = ( "mod_setenv", "mod_alias", "mod_$mode" )
setenv.add-environment = ( "SCEPD_CONF" => "$CONF" )
EOF
	if [ "$mode" = fastcgi ]; then
		cat >>"$T/lighttpd.conf" <<EOF
fastcgi.server = ( "/" => ((
	"socket" => "$T/lighttpd-scepd.sock",
	"bin-path" => "$SCEPD",
	"bin-environment" => ( "SCEPD_CONF" => "$CONF" ),
	"max-procs" => 2,
	"check-local" => "disable"
)))
EOF
	else
		cat >>"$T/lighttpd.conf" <<EOF
alias.url = ( "/" => "$SCEPD/" )
cgi.assign = ( "" => "" )
EOF
	fi
}

# start_lighttpd fastcgi|cgi: sets URL.
start_lighttpd() {
	port=$(free_port 2)
	lighttpd_conf "$port" "$1"
	"$LIGHTTPD" -D -f "$T/lighttpd.conf" >"$T/lighttpd.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_port "$port" || return 1
	URL=http://127.0.0.1:$port
}
