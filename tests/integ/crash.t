#!/bin/bash
# crash.t: the load of load.t while scepd workers are killed with
# SIGKILL in the middle of it.  spawn-fcgi does not respawn: the other
# worker carries on; then both are killed and two new workers are
# started on the same socket.  Clients retry (sceptest --retry: the
# identical bytes again after a 502 or a lost connection), as real
# clients do.  Afterwards (issue 3, Storage; INTEROP.md 6.3):
#  - every enrolment ended in SUCCESS and every certificate a client
#    received is in the database, which holds no other;
#  - no request is half-written: no stray PENDING on an auto tenant,
#    every certificate verifies;
#  - the restarted workers serve, and a worker started beside the
#    survivor clears the dead worker's LMDB reader slot;
#  - an identical message issued before the kill, sent again, gets the
#    same certificate back, not a second one (6.3 step 2).
. "${top_srcdir:-.}/tests/integ/lib.sh"

NCLIENTS=${NCLIENTS:-8}
PER=${PER:-25}
TOTAL=$((NCLIENTS * PER))
RETRY=${RETRY:-60}

setup() {
	make_conf
	make_tenant crash --challenge static --password crash-secret-1 ||
	    return 1
	make_keys "$NCLIENTS" 0 || return 1
	mkdir -p "$T/certs"
}

# Two new workers on the socket of start_nginx_fcgi (the same command
# line as lib.sh); their PIDs are added to fcgi.pids for the clean-up.
respawn() {
	"$SPAWNFCGI" -s "$T/scepd.sock" -M 0666 -F 2 \
	    ${SPAWN_USER:+-u "$SPAWN_USER"} ${SPAWN_GROUP:+-g "$SPAWN_GROUP"} \
	    -- /bin/sh -c 'exec "$0" 2>>"$1"' "$SCEPD" "$T/scepd.log" \
	    >"$T/respawn.out" 2>&1 || return 1
	sed -n 's/.*PID: *\([0-9][0-9]*\).*/\1/p' "$T/respawn.out" \
	    >>"$T/fcgi.pids"
	test "$(grep -c 'PID:' "$T/respawn.out")" -eq 2
}

# client I: PER enrolments with retries, one result line each.
client() {
	i=$1
	for j in $(seq 1 "$PER"); do
		"$SCEPTEST" --retry "$RETRY" -u "$URL/crash/scep" enroll \
		    -k "$T/k$i.pem" -s "CN=crash-$i-$j" -t "crash-$i-$j" \
		    -c crash-secret-1 -w "$T/certs/$i-$j.pem" 2>&1
		echo "exit $?"
	done >"$T/out-$i"
}

# Whether process $1 is gone (or a zombie nobody reaped yet: the
# workers' parent, spawn-fcgi, exited long ago), within 2 s.
gone() {
	n=0
	while [ "$n" -lt 20 ]; do
		[ -e "/proc/$1" ] || return 0
		# The state follows the parenthesised command name.
		case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) in
		Z*|X*|"")
			return 0 ;;
		esac
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

# One more worker on a socket of its own while the survivor runs: it
# opens the environment the survivor holds open, so LMDB keeps the
# reader table and the new worker's reader check finds the dead
# worker's slot, unless the survivor's own periodic check was quicker.
# (Once every process is gone the first one to open
# the environment resets the whole table instead.)
extra_worker() {
	"$SPAWNFCGI" -s "$T/extra.sock" -M 0666 -F 1 \
	    ${SPAWN_USER:+-u "$SPAWN_USER"} ${SPAWN_GROUP:+-g "$SPAWN_GROUP"} \
	    -- /bin/sh -c 'exec "$0" 2>>"$1"' "$SCEPD" "$T/scepd.log" \
	    >"$T/extra.out" 2>&1 || return 1
	we=$(sed -n 's/.*PID: *\([0-9][0-9]*\).*/\1/p' "$T/extra.out")
	[ -n "$we" ] || return 1
	echo "$we" >>"$T/fcgi.pids"
	n=0
	while ! grep -q "scepd\[$we\]: worker $we ready" "$T/scepd.log"; do
		[ "$n" -gt 50 ] && return 1
		sleep 0.1
		n=$((n + 1))
	done
}

# Whether the reader slot of dead process $1 is gone: the new worker
# said it cleared stale slots, or LMDB's reader table (mdb_stat -r,
# lmdb-utils) no longer lists the process (the survivor's periodic
# check, every reader_check_interval requests, may be quicker).
slot_cleared() {
	if grep -Eq "scepd\[$we\]: cleared [0-9]+ stale reader slots" \
	    "$T/scepd.log"; then
		echo "# the new worker cleared it"
		return 0
	fi
	command -v mdb_stat >/dev/null || return 1
	# mdb_stat -r exits 1 even when it lists the table.
	mdb_stat -r "$T/db" >"$T/readers" 2>&1
	grep -q '^Reader Table Status' "$T/readers" || return 1
	if awk '{ print $1 }' "$T/readers" | grep -qx "$1"; then
		cat "$T/readers"
		return 1
	fi
	echo "# the survivor's periodic check cleared it"
}

received() {
	cat "$T"/out-* | sed -n 's/^SUCCESS serial=\([0-9A-F]*\) .*/\1/p'
}

stored() {
	"$SCEPADM" -f "$CONF" cert list --tenant crash |
	    awk -v o="$1" 'NR > 1 && $5 == o { print $2 }'
}

# Results so far (for the progress comments).
done_count() {
	cat "$T"/out-* 2>/dev/null | grep -c '^exit'
}

check "set up the tenant and keys" setup
check "start nginx and spawn-fcgi (2 workers)" start_nginx_fcgi
read -r w1 w2 <<EOF
$(tr '\n' ' ' <"$T/fcgi.pids")
EOF
check "two workers running" sh -c "kill -0 $w1 && kill -0 $w2"
C=$URL/crash/scep

# A message issued (and answered) before any kill, saved for later.
expect "enrolment before the crash (bytes saved)" 0 "$SCEPTEST" -u "$C" \
    enroll -k "$T/k0.pem" -s CN=before-crash -c crash-secret-1 \
    --save "$T/before.der" -w "$T/before.pem"
sbefore=$(sed -n 's/^SUCCESS serial=\([0-9A-F]*\) .*/\1/p' "$T/last.out")

cpids=""
for i in $(seq 1 "$NCLIENTS"); do
	client "$i" &
	cpids="$cpids $!"
done

# Kill one worker while the clients run; the other must carry on.
i=0
while [ "$(done_count)" -lt $((TOTAL / 8)) ] && [ "$i" -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -KILL "$w1"
echo "# killed worker $w1 after $(done_count) enrolments"
n1=$(done_count)
i=0
while [ "$(done_count)" -lt $((n1 + TOTAL / 8)) ] && [ "$i" -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
n2=$(done_count)
check "the other worker carried on alone" test "$n2" -gt "$n1"
check "the killed worker is gone" gone "$w1"
check "start one more worker beside the survivor" extra_worker
check "the dead worker's LMDB reader slot is cleared" slot_cleared "$w1"

# Kill the survivor too: nothing serves (nginx answers 502, clients
# retry); then two new workers on the same socket.
kill -KILL "$w2"
echo "# killed worker $w2 after $n2 enrolments"
sleep 1
n3=$(done_count)
check "start two new workers on the same socket" respawn
echo "# restarted after $n3 enrolments"
wait $cpids
echo "# all $(done_count) done"

# Every enrolment ended in SUCCESS.
n=$(cat "$T"/out-* | grep -c '^exit 0$')
if [ "$n" -eq "$TOTAL" ]; then
	ok "all $TOTAL enrolments succeeded despite the kills"
else
	not_ok "all $TOTAL enrolments succeeded despite the kills (only $n)"
	cat "$T"/out-* | grep -v '^SUCCESS\|^exit 0$' | sort | uniq -c |
	    head -n 10 | sed 's/^/#   /'
fi
received | sort >"$T/received"
check "all serials received are distinct" test \
    "$(sort -u "$T/received" | wc -l)" -eq "$(wc -l <"$T/received")"
stored scep | sort >"$T/stored"
check "every certificate a client received is in the database" sh -c \
    "sort '$T/received' | comm -23 - '$T/stored' | grep -c . |
    grep -qx 0"
echo "$sbefore" >>"$T/received"
sort -o "$T/received" "$T/received"
check "the database holds no certificate nobody received" cmp \
    "$T/received" "$T/stored"
check "every received certificate verifies" sh -c \
    "openssl verify -CAfile '$T/crash/ca.crt' '$T'/certs/*.pem |
    grep -vc ': OK\$' | grep -qx 0"
check "no stray PENDING request on the auto tenant" test -z \
    "$("$SCEPADM" -f "$CONF" request list --tenant crash)"

# The next start is clean.
read -r w3 w4 <<EOF
$(tail -n 2 "$T/fcgi.pids" | tr '\n' ' ')
EOF
check "the new workers are running" sh -c "kill -0 $w3 && kill -0 $w4"
check "the new workers served enrolments" grep -Eq \
    "scepd\\[($w3|$w4)\\]: tenant=crash op=PKIOperation .*type=PKCSReq .*status=SUCCESS" \
    "$T/scepd.log"
expect "a fresh enrolment after the restart" 0 "$SCEPTEST" -u "$C" \
    enroll -k "$T/k0.pem" -s CN=after-crash -t after-crash \
    -c crash-secret-1 -w "$T/after.pem"
check "it verifies" openssl verify -CAfile "$T/crash/ca.crt" \
    "$T/after.pem"

# 6.3 step 2: the identical bytes from before the crash.
nbefore=$(stored scep | wc -l)
expect "identical message from before the crash answered" 0 "$SCEPTEST" \
    -u "$C" raw -f "$T/before.der" -k "$T/k0.pem" -w "$T/before2.pem"
grep_out "it gets SUCCESS with the same serial" "^SUCCESS serial=$sbefore "
check "the same certificate" cmp "$T/before.pem" "$T/before2.pem"
check "no second certificate stored" test "$(stored scep | wc -l)" -eq \
    "$nbefore"
finish
