#!/bin/bash
# load.t: 200 enrolments from 8 concurrent clients against nginx +
# spawn-fcgi (2 scepd workers sharing one LMDB environment), one tenant
# with automatic approval.  All must succeed with distinct serials, every
# certificate must verify against the tenant CA, and the database must
# hold exactly those 200 (scepadm cert list also shows the tenant's RA
# certificate, origin "ra", which scepadm tenant create stores: it is
# counted apart).
. "${top_srcdir:-.}/tests/integ/lib.sh"

NCLIENTS=${NCLIENTS:-8}
PER=${PER:-25}
TOTAL=$((NCLIENTS * PER))

setup() {
	make_conf
	make_tenant load --challenge static --password load-secret-1 ||
	    return 1
	# One key a client (RSA generation is ~140 ms), reused with
	# distinct subjects and transactionIDs.
	make_keys "$NCLIENTS" || return 1
	mkdir -p "$T/certs"
}

# client I: PER enrolments, one result line each in $T/out-I.
client() {
	i=$1
	for j in $(seq 1 "$PER"); do
		"$SCEPTEST" -u "$URL/load/scep" enroll -k "$T/k$i.pem" \
		    -s "CN=load-$i-$j" -t "load-$i-$j" -c load-secret-1 \
		    -w "$T/certs/$i-$j.pem" 2>&1
		echo "exit $?"
	done >"$T/out-$i"
}

# The serials the clients received, one a line.
received() {
	cat "$T"/out-* | sed -n 's/^SUCCESS serial=\([0-9A-F]*\) .*/\1/p'
}

# The serials scepadm cert list shows with origin $1.
stored() {
	"$SCEPADM" -f "$CONF" cert list --tenant load |
	    awk -v o="$1" 'NR > 1 && $5 == o { print $2 }'
}

check "set up the tenant and keys" setup
check "start nginx and spawn-fcgi (2 workers)" start_nginx_fcgi

t0=$(date +%s)
cpids=""
for i in $(seq 1 "$NCLIENTS"); do
	client "$i" &
	cpids="$cpids $!"
done
# Only the clients: nginx is a child of this shell too.
wait $cpids
t1=$(date +%s)
echo "# $TOTAL enrolments by $NCLIENTS clients in $((t1 - t0)) s"

n=$(cat "$T"/out-* | grep -c '^exit 0$')
if [ "$n" -eq "$TOTAL" ]; then
	ok "all $TOTAL enrolments succeeded"
else
	not_ok "all $TOTAL enrolments succeeded (only $n)"
	cat "$T"/out-* | grep -v '^SUCCESS\|^exit 0$' | sort | uniq -c |
	    head -n 10 | sed 's/^/#   /'
fi
received | sort >"$T/received"
check "every answer was a SUCCESS line" test "$(wc -l <"$T/received")" \
    -eq "$TOTAL"
check "all serials distinct" test "$(sort -u "$T/received" | wc -l)" \
    -eq "$TOTAL"
check "every certificate verifies against the tenant CA" sh -c \
    "openssl verify -CAfile '$T/load/ca.crt' '$T'/certs/*.pem |
    grep -vc ': OK\$' | grep -qx 0 &&
    test \$(ls '$T'/certs/*.pem | wc -l) -eq $TOTAL"
stored scep | sort >"$T/stored"
check "cert list shows exactly $TOTAL SCEP certificates" test \
    "$(wc -l <"$T/stored")" -eq "$TOTAL"
check "and they are the ones the clients received" cmp "$T/received" \
    "$T/stored"
check "cert list shows the RA certificate apart (origin ra)" test \
    "$(stored ra | wc -l)" -eq 1
check "cert list shows nothing else" test "$("$SCEPADM" -f "$CONF" \
    cert list --tenant load | awk 'NR > 1' | wc -l)" -eq $((TOTAL + 1))
check "cert list --json agrees" sh -c "'$SCEPADM' -f '$CONF' cert list \
    --tenant load --json | grep -c '\"origin\": \"scep\"' |
    grep -qx $TOTAL"
check "no request left PENDING" test -z "$("$SCEPADM" -f "$CONF" \
    request list --tenant load)"
check "both workers served enrolments" sh -c "test \$(sed -n \
    's/.*scepd\\[\\([0-9]*\\)\\]: tenant=load op=PKIOperation .*type=PKCSReq .*status=SUCCESS.*/\\1/p' \
    '$T/scepd.log' | sort -u | wc -l) -eq 2"
check "still serving" "$SCEPTEST" -u "$URL/load/scep" getcaps
finish
