#!/bin/bash
# webhook.t: approval = webhook through scepd-webhook(8) against a real
# local webhook (tests/integ/webhook-server.py, python3 stdlib) behind
# nginx + spawn-fcgi: an OK approves (the client's poll gets SUCCESS, or
# the first answer with webhook_wait); a refusal, garbage, a huge body,
# silence (timeout), a redirect and a server that is down fail closed
# (REJECTED or left PENDING for an operator, per webhook_fail); the
# call carries a correct HMAC-SHA256 and the JSON fields; a dispatcher
# killed (SIGKILL) with calls in flight and restarted loses no request;
# the CSR (with its challenge password) is gone from the database once
# decided.
. "${top_srcdir:-.}/tests/integ/lib.sh"

WEBHOOKD=$BUILDDIR/src/scepd-webhook
WHSERVER=$top_srcdir/tests/integ/webhook-server.py
WHLOG=$T/webhook.log
SECRET=whsecret-0123456789

# webhook_tenant NAME PATH FAIL [extra settings...]: a webhook tenant
# (static challenge NAME-chal-UNIQ) calling $URLBASE/PATH (default
# http://127.0.0.1:URLPORT, loopback http allowed), webhook_timeout
# $WHTIMEOUT (default 2s).
webhook_tenant() {
	name=$1
	path=$2
	fail=$3
	shift 3
	base=${URLBASE:-http://127.0.0.1:$URLPORT}
	make_tenant "$name" --challenge static \
	    --password "$name-chal-UNIQ" --approval manual || return 1
	sed -i "/^\[tenant $name\]\$/,/^\[/ s/^approval = manual\$/approval = webhook/" \
	    "$CONF" || return 1
	case $base in
	http://*) set -- "$@" "webhook_allow_http_loopback = yes" ;;
	esac
	set_keys "$name" "webhook_url = $base/$path" \
	    "webhook_secret = $SECRET" \
	    "webhook_timeout = ${WHTIMEOUT:-2s}" "webhook_fail = $fail" "$@"
}

setup() {
	WHPORT=$(free_port 3)
	DOWNPORT=$(free_port 4)
	[ "$DOWNPORT" = "$WHPORT" ] && DOWNPORT=$((WHPORT + 1))
	make_conf
	URLPORT=$WHPORT
	webhook_tenant ok ok reject || return 1
	webhook_tenant okwait ok reject "webhook_wait = 2s" || return 1
	# Calls held by the paused server must outlive the kill below.
	WHTIMEOUT=5s webhook_tenant queue ok reject || return 1
	webhook_tenant no no reject || return 1
	webhook_tenant nop no pending || return 1
	webhook_tenant garbage garbage reject || return 1
	webhook_tenant huge huge pending || return 1
	webhook_tenant silent silent reject || return 1
	webhook_tenant okarr okarr reject || return 1
	webhook_tenant redirect redirect reject || return 1
	URLPORT=$DOWNPORT
	webhook_tenant down ok pending || return 1
	# https to a server whose certificate nobody trusts.
	TLSPORT=$(free_port 5)
	while [ "$TLSPORT" = "$WHPORT" ] || [ "$TLSPORT" = "$DOWNPORT" ]; do
		TLSPORT=$((TLSPORT + 1))
	done
	URLBASE=https://127.0.0.1:$TLSPORT webhook_tenant tls ok reject ||
	    return 1
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -days 1 \
	    -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null || return 1
	# The same server trusted through webhook_ca: its certificate is
	# its own CA.
	URLBASE=https://127.0.0.1:$TLSPORT webhook_tenant tlsca ok reject \
	    "webhook_ca = $T/tls.crt" || return 1
	grep -q '^approval = webhook$' "$CONF" || return 1
	make_keys 18 || return 1
	python3 "$WHSERVER" "$WHPORT" "$WHLOG" >"$T/whserver.out" 2>&1 &
	PIDS="$PIDS $!"
	python3 "$WHSERVER" "$TLSPORT" "$WHLOG.tls" "$T/tls.crt" \
	    "$T/tls.key" >"$T/whserver-tls.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_port "$WHPORT" && wait_port "$TLSPORT"
}

# start_dispatcher: scepd-webhook beside the workers, its log in
# $T/webhookd.log, its PID in $T/webhookd.pid (cleanup kills it).
start_dispatcher() {
	# One retry (after 5 s) for calls that got no answer.
	"$WEBHOOKD" -f "$CONF" -r 1 -j 8 2>>"$T/webhookd.log" &
	echo $! >"$T/webhookd.pid"
	disown $!
	sleep 0.3
	kill -0 "$(cat "$T/webhookd.pid")"
}

# enrol NAME KEYNO CN: a PKCSReq that must get PENDING (no polling);
# sets TX to its transactionID.
enrol() {
	"$SCEPTEST" -u "$URL/$1/scep" enroll -n -k "$T/k$2.pem" -s "CN=$3" \
	    -c "$1-chal-UNIQ" >"$T/last.out" 2>&1
	rc=$?
	TX=$(sed -n 's/^PENDING txid=//p' "$T/last.out")
	return $rc
}

# poll_until NAME KEYNO CN TXID WANT: CertPoll every 0.5 s (30 s at
# most) until the answer is no longer PENDING; ok when it exits WANT
# (0 SUCCESS, 3 FAILURE).
poll_until() {
	i=0
	while :; do
		"$SCEPTEST" -u "$URL/$1/scep" poll -k "$T/k$2.pem" -s "CN=$3" \
		    -t "$4" >"$T/poll.out" 2>&1
		rc=$?
		[ "$rc" -ne 2 ] && break
		i=$((i + 1))
		[ "$i" -ge 60 ] && break
		sleep 0.5
	done
	cp "$T/poll.out" "$T/last.out"
	[ "$rc" -eq "$5" ]
}

# The state column scepadm shows for request of CN $2 in tenant $1 (only
# PENDING ones are listed).
pending_id() {
	"$SCEPADM" -f "$CONF" request list --tenant "$1" |
	    awk -v s="CN=$2" '$3 == s { print $1 }' | head -n 1
}

# Wait until the dispatcher logged N lines matching $1 (20 s at most).
wait_log() {
	i=0
	while [ "$(grep -c -- "$1" "$T/webhookd.log" 2>/dev/null)" -lt "$2" ]
	do
		i=$((i + 1))
		[ "$i" -ge 200 ] && return 1
		sleep 0.1
	done
}

check "set up the tenants, keys and the webhook server" setup
check "start nginx and spawn-fcgi" start_nginx_fcgi
check "start scepd-webhook" start_dispatcher

# OK: PENDING at once, the poll gets the certificate.
expect "webhook OK: the first answer is PENDING" 2 enrol ok 1 wh-ok
TXOK=$TX
check "webhook OK: the poll gets SUCCESS" poll_until ok 1 wh-ok "$TXOK" 0
grep_out "webhook OK: a certificate" '^SUCCESS serial='

# The call: HMAC-SHA256 of the body in X-Scepd-Signature, JSON fields.
check_call() {
	python3 - "$WHLOG" "$T/body.json" "$T/sig.txt" <<'EOF' || return 1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in recs if json.loads(x["body"])["tenant"] == "ok"][0]
open(sys.argv[2], "w").write(r["body"])
hdr = {k.lower(): v for k, v in r["headers"].items()}
open(sys.argv[3], "w").write(hdr["x-scepd-signature"])
b = json.loads(r["body"])
assert hdr["content-type"] == "application/json"
assert b["_id"].startswith("ok:"), b["_id"]
assert b["type"] == "PKCSReq"
assert b["info"]["CN"] == "wh-ok", b["info"]
assert set(b) == {"_id", "tenant", "type", "data", "info"}, set(b)
bytes.fromhex(b["data"])
assert b["data"] == b["data"].lower()
EOF
	want=$(openssl dgst -sha256 -hmac "$SECRET" -r "$T/body.json" |
	    cut -d' ' -f1)
	[ "$(cat "$T/sig.txt")" = "sha256=$want" ] || return 1
	# data is the CSR DER: openssl parses it, with the subject.
	python3 -c 'import json,sys; sys.stdout.buffer.write(bytes.fromhex(json.load(open(sys.argv[1]))["data"]))' \
	    "$T/body.json" >"$T/csr.der"
	openssl req -inform DER -in "$T/csr.der" -noout -subject |
	    grep -q 'CN *= *wh-ok'
}
check "the call: HMAC-SHA256 header and JSON fields (_id, tenant, type, data, info)" \
    check_call
check "the call's _id is the request ID of scepadm" sh -c \
    "python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"_id\"])' \
    '$T/body.json' | grep -qE '^ok:[0-9a-f]+:[0-9a-f]{16}\$'"

# webhook_wait: the worker waits for the decision and answers it.
expect "webhook_wait = 2s: SUCCESS in the first answer" 0 "$SCEPTEST" \
    -u "$URL/okwait/scep" enroll -n -k "$T/k2.pem" -s CN=wh-okwait \
    -c okwait-chal-UNIQ -w "$T/c2.pem"
grep_out "webhook_wait: a certificate" '^SUCCESS serial='

# A renewal goes through the webhook too (renewal_approval = same by
# default on webhook tenants), as a RenewalReq; it may wait as well.
expect "renewal on a webhook tenant: SUCCESS through the webhook" 0 \
    "$SCEPTEST" -u "$URL/okwait/scep" enroll -n -k "$T/k15.pem" \
    -s CN=wh-okwait -O "$T/c2.pem" -K "$T/k2.pem" -w "$T/c15.pem"
check "the renewal was a RenewalReq call" python3 -c '
import json, sys
recs = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
assert [r["type"] for r in recs if r["tenant"] == "okwait"] == \
    ["PKCSReq", "RenewalReq"]' "$WHLOG"

# Refusals and failures, webhook_fail = reject: FAILURE.
n=3
for tn in no garbage silent okarr redirect; do
	expect "$tn (webhook_fail = reject): PENDING at first" 2 enrol "$tn" \
	    "$n" "wh-$tn"
	check "$tn (webhook_fail = reject): the poll gets FAILURE" \
	    poll_until "$tn" "$n" "wh-$tn" "$TX" 3
	grep_out "$tn: rejected (badRequest)" 'failInfo=badRequest'
	n=$((n + 1))
done
check "the dispatcher logs why (refused, not JSON, timeout, redirect)" \
    sh -c "grep -q 'rejected: webhook refused' '$T/webhookd.log' &&
    grep -q 'answer is not JSON' '$T/webhookd.log' &&
    grep -qi 'timeout' '$T/webhookd.log' &&
    grep -q 'not a JSON object' '$T/webhookd.log' &&
    grep -q 'redirect' '$T/webhookd.log'"

# https: the certificate is verified (an untrusted one fails closed).
expect "https to an untrusted certificate: PENDING at first" 2 enrol tls \
    16 wh-tls
check "https to an untrusted certificate: FAILURE" poll_until tls 16 \
    wh-tls "$TX" 3
check "the TLS verification failure is logged, nothing was posted" sh -c \
    "grep -E 'tls:.*rejected: webhook error: .*(SSL|certificate)' \
    '$T/webhookd.log' && test ! -s '$WHLOG.tls'"
# https to the same server with webhook_ca naming its certificate.
expect "https with webhook_ca: PENDING at first" 2 enrol tlsca 18 wh-tlsca
check "https with webhook_ca: the webhook's OK issues" poll_until tlsca \
    18 wh-tlsca "$TX" 0
check "the call reached the https server" test -s "$WHLOG.tls"

# webhook_fail = pending: the request waits for an operator.
for tn in nop huge down; do
	expect "$tn (webhook_fail = pending): PENDING" 2 enrol "$tn" "$n" \
	    "wh-$tn"
	eval "TX_$tn=\$TX"
	eval "K_$tn=$n"
	n=$((n + 1))
done
check "refusal, huge body and server down logged, left pending" wait_log \
    'left pending for an operator' 3
check "huge: the 64 KiB limit is what failed" grep -q 'over 64 KiB' \
    "$T/webhookd.log"
check "no answer (down, silent): retried once, then failed" sh -c \
    "grep -q '^.*down:.*attempt 1, retry in' '$T/webhookd.log' &&
    grep -q '^.*silent:.*attempt 1, retry in' '$T/webhookd.log' &&
    test \$(grep -c 'down:.*calling' '$T/webhookd.log') -eq 2"
check "an answer (refusal, garbage) is never retried" sh -c \
    "test \$(grep -c 'garbage:.*calling' '$T/webhookd.log') -eq 1"
for tn in nop huge down; do
	eval "tx=\$TX_$tn k=\$K_$tn"
	expect "$tn: still PENDING after the webhook failed" 2 "$SCEPTEST" \
	    -u "$URL/$tn/scep" poll -k "$T/k$k.pem" -s "CN=wh-$tn" -t "$tx"
done
id=$(pending_id nop wh-nop)
check "nop: the operator approves with scepadm" "$SCEPADM" -f "$CONF" \
    request approve "$id"
check "nop: the poll gets SUCCESS after the approval" poll_until nop \
    "$K_nop" wh-nop "$TX_nop" 0

# The dispatcher killed with calls in flight loses no request.
touch "$WHLOG.pause"
for i in 12 13 14; do
	expect "queue: request $i PENDING" 2 enrol queue "$i" "wh-q$i"
	eval "TXQ_$i=\$TX"
done
check "queue: the three calls are in flight" wait_log 'queue:.*calling' 3
check "queue: dispatcher killed with SIGKILL" kill -KILL \
    "$(cat "$T/webhookd.pid")"
rm -f "$WHLOG.pause"
for i in 12 13 14; do
	eval "tx=\$TXQ_$i"
	expect "queue: request $i still PENDING while no dispatcher runs" 2 \
	    "$SCEPTEST" -u "$URL/queue/scep" poll -k "$T/k$i.pem" \
	    -s "CN=wh-q$i" -t "$tx"
done
check "restart scepd-webhook" start_dispatcher
for i in 12 13 14; do
	eval "tx=\$TXQ_$i"
	check "queue: request $i decided after the restart (SUCCESS)" \
	    poll_until queue "$i" "wh-q$i" "$tx" 0
done

# The CSR, with its challenge password, is gone once decided.
check "no request left PENDING but the operator's" sh -c \
    "test \"\$('$SCEPADM' -f '$CONF' request list | awk 'NR > 1' |
    wc -l)\" -eq 2"
check "the challenge passwords are not in data.mdb after the decisions" \
    sh -c "! grep -aq 'chal-UNIQ' '$T/db/data.mdb'"
check "SIGHUP reloads the configuration" sh -c \
    "kill -HUP \$(cat '$T/webhookd.pid')"
check "the reload is logged" wait_log 'configuration reloaded' 1

# A second SIGTERM abandons a call in flight; the lease brings it back.
touch "$WHLOG.pause"
expect "queue: request 16 PENDING" 2 enrol queue 17 wh-q16
TX16=$TX
check "queue: request 16's call in flight" wait_log 'queue:.*calling' 7
check "two SIGTERMs: the dispatcher abandons the call and exits" sh -c \
    "kill -TERM \$(cat '$T/webhookd.pid'); sleep 0.2;
    kill -TERM \$(cat '$T/webhookd.pid'); sleep 0.5;
    ! kill -0 \$(cat '$T/webhookd.pid') 2>/dev/null"
check "the abandoned call is logged" grep -q 'abandoning 1 calls' \
    "$T/webhookd.log"
rm -f "$WHLOG.pause"
check "restart scepd-webhook again" start_dispatcher
check "queue: request 16 decided after the lease (SUCCESS)" \
    poll_until queue 17 wh-q16 "$TX16" 0
check "the dispatcher stops on SIGTERM" sh -c \
    "kill -TERM \$(cat '$T/webhookd.pid') && sleep 0.5 &&
    ! kill -0 \$(cat '$T/webhookd.pid') 2>/dev/null"
check "no sanitizer report from the dispatcher" sh -c \
    "! grep -qE 'Sanitizer|runtime error' '$T/webhookd.log'"

finish
