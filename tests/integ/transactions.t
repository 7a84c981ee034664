#!/bin/bash
# transactions.t: the transaction rules of INTEROP.md 6.3 against a live
# scepd (nginx + spawn-fcgi, 2 workers), one TAP line per rule: repeats
# of identical bytes (micromdm), the same transactionID with another key,
# a conflicting CSR while PENDING, a new transaction after the
# reissue_window (certmonger resubmit) and a replay of the old bytes,
# CertPoll lookups (no squatting), renewals (ours, another CA's,
# renewal_approval), pending_ttl and max_pending.
#
# pending_ttl cannot be shorter than 1m (src/conf.c), so its request is
# made first and polled last: the file runs for a little over a minute.
. "${top_srcdir:-.}/tests/integ/lib.sh"

# Certificates issued through SCEP to tenant $1 (cert list also shows
# the RA certificate, origin "ra": not counted).
ncerts() {
	"$SCEPADM" -f "$CONF" cert list --tenant "$1" |
	    awk 'NR > 1 && $5 == "scep"' | wc -l
}

# Whether the last PKIOperation line of the workers' log matches the
# extended regex $1 (the line is written after the reply: wait 2 s).
last_pkiop_matches() {
	for i in $(seq 1 20); do
		grep 'op=PKIOperation' "$T/scepd.log" | tail -n 1 |
		    grep -qE "$1" && return 0
		sleep 0.1
	done
	return 1
}

# PENDING requests of tenant $1.
npending() {
	"$SCEPADM" -f "$CONF" request list --tenant "$1" | awk 'NR > 1' |
	    wc -l
}

# The request ID scepadm shows for the pending request of subject $2 in
# tenant $1.
request_id() {
	"$SCEPADM" -f "$CONF" request list --tenant "$1" |
	    awk -v s="$2" '$3 == s { print $1 }' | head -n 1
}

# The serial printed on a SUCCESS line of the last output.
last_serial() {
	sed -n 's/.*SUCCESS serial=\([0-9A-F]*\).*/\1/p' "$T/last.out" |
	    head -n 1
}

setup() {
	make_conf
	make_tenant auto --challenge static --password auto-secret-1 ||
	    return 1
	make_tenant man --challenge static --password man-secret-1 \
	    --approval manual || return 1
	make_tenant same --challenge static --password same-secret-1 \
	    --approval manual || return 1
	make_tenant short --challenge static --password short-secret-1 ||
	    return 1
	make_tenant ttl --challenge static --password ttl-secret-1 \
	    --approval manual || return 1
	make_tenant quota --challenge static --password quota-secret-1 \
	    --approval manual || return 1
	make_tenant other --challenge static --password other-secret-1 ||
	    return 1
	set_keys same "renewal_approval = same" || return 1
	set_keys short "reissue_window = 0s" || return 1
	set_keys ttl "pending_ttl = 1m" || return 1
	set_keys quota "max_pending = 1" || return 1
	make_keys 16 || return 1
}

check "set up the tenants and keys" setup
check "start nginx and spawn-fcgi" start_nginx_fcgi
A=$URL/auto/scep
M=$URL/man/scep

# pending_ttl: the request is made now and polled at the end.
t_ttl=$(date +%s)
expect "pending_ttl: a manual request is PENDING" 2 "$SCEPTEST" \
    -u "$URL/ttl/scep" enroll -n -k "$T/k8.pem" -s CN=ttl-1 \
    -c ttl-secret-1

# 6.3 step 2: the identical bytes again after SUCCESS (micromdm).
expect "PKCSReq SUCCESS (bytes saved)" 0 "$SCEPTEST" -u "$A" enroll \
    -k "$T/k1.pem" -s CN=tx-1 -c auto-secret-1 --save "$T/m1.der" \
    -w "$T/c1.pem"
s1=$(last_serial)
is "one certificate stored" 1 "$(ncerts auto)"
expect "identical re-sent PKCSReq answered" 0 "$SCEPTEST" -u "$A" raw \
    -f "$T/m1.der" -k "$T/k1.pem" -w "$T/c1b.pem"
grep_out "identical re-send inside reissue_window: SUCCESS" \
    "^SUCCESS serial=$s1 "
check "identical re-send: the same certificate" cmp "$T/c1.pem" \
    "$T/c1b.pem"
is "identical re-send: no new certificate stored" 1 "$(ncerts auto)"
expect "identical re-sent by GET too" 0 "$SCEPTEST" -u "$A" raw -g \
    -f "$T/m1.der" -k "$T/k1.pem"
grep_out "GET re-send: the same serial" "^SUCCESS serial=$s1 "

# A repeat while PENDING answers PENDING and stores nothing new.
expect "manual PKCSReq PENDING (bytes saved)" 2 "$SCEPTEST" -u "$M" \
    enroll -n -k "$T/k2.pem" -s CN=tx-pend -c man-secret-1 \
    --save "$T/m2.der"
tx2=$(sed -n 's/^PENDING txid=//p' "$T/last.out")
is "one request PENDING" 1 "$(npending man)"
expect "identical re-sent PKCSReq while PENDING answered" 0 \
    "$SCEPTEST" -u "$M" raw -f "$T/m2.der" -k "$T/k2.pem"
grep_out "repeat while PENDING: PENDING" "^PENDING txid=$tx2\$"
is "repeat while PENDING: still one request" 1 "$(npending man)"
is "repeat while PENDING: no certificate" 0 "$(ncerts man)"

# The same transaction (ID and key) with another CSR while PENDING.
expect "another CSR for a PENDING transaction refused" 3 "$SCEPTEST" \
    -u "$M" enroll -n -k "$T/k2.pem" -s CN=tx-pend-other -c man-secret-1
grep_out "another CSR while PENDING: badRequest" \
    'failInfo=badRequest text=another request is pending'
is "another CSR while PENDING: the stored request is kept" 1 \
    "$(npending man)"
check "another CSR while PENDING: the first subject is still listed" \
    sh -c "'$SCEPADM' -f '$CONF' request list --tenant man |
    grep -q 'CN=tx-pend '"

# The same transactionID with another key is another transaction.
expect "transactionID shared, key A" 0 "$SCEPTEST" -u "$A" enroll \
    -k "$T/k3.pem" -s CN=tx-shared-a -c auto-secret-1 -t shared-tx-1 \
    -w "$T/c3.pem"
sa=$(last_serial)
expect "transactionID shared, key B: a separate transaction" 0 \
    "$SCEPTEST" -u "$A" enroll -k "$T/k4.pem" -s CN=tx-shared-b \
    -c auto-secret-1 -t shared-tx-1 -w "$T/c4.pem"
sb=$(last_serial)
check "shared transactionID: two distinct certificates" test -n "$sa" -a \
    -n "$sb" -a "$sa" != "$sb"
is "shared transactionID: both stored" 3 "$(ncerts auto)"

# Past the reissue_window (0s): a new CSR with the same transactionID
# and key is a new transaction (certmonger resubmit); the old bytes are
# finished: FAILURE, never a new certificate.
S=$URL/short/scep
expect "short window: PKCSReq SUCCESS (bytes saved)" 0 "$SCEPTEST" \
    -u "$S" enroll -k "$T/k5.pem" -s CN=short-1 -c short-secret-1 \
    --save "$T/m5.der" -w "$T/c5.pem"
s5=$(last_serial)
sleep 1
expect "short window: identical bytes past the window answered" 0 \
    "$SCEPTEST" -u "$S" raw -f "$T/m5.der" -k "$T/k5.pem"
grep_out "identical bytes past reissue_window: FAILURE" \
    '^FAILURE failInfo=badRequest'
is "past the window: no new certificate" 1 "$(ncerts short)"
expect "new CSR, same transactionID and key, after ISSUED: SUCCESS" 0 \
    "$SCEPTEST" -u "$S" enroll -k "$T/k5.pem" -s CN=short-1 \
    -c short-secret-1 -w "$T/c5b.pem"
s5b=$(last_serial)
check "the resubmit got a new certificate" test -n "$s5b" -a \
    "$s5" != "$s5b"
expect "replay of the first bytes after the resubmit answered" 0 \
    "$SCEPTEST" -u "$S" raw -f "$T/m5.der" -k "$T/k5.pem"
grep_out "replay of the old bytes: FAILURE" '^FAILURE failInfo=badRequest'
is "replay: no third certificate" 2 "$(ncerts short)"

# CertPoll (6.3 step 1).
expect "CertPoll for an unknown transactionID" 3 "$SCEPTEST" -u "$M" \
    poll -k "$T/k2.pem" -s CN=tx-pend -t no-such-transaction
grep_out "unknown transactionID: badCertId" 'failInfo=badCertId'
expect "CertPoll by the requester's key: PENDING" 2 "$SCEPTEST" -u "$M" \
    poll -k "$T/k2.pem" -s CN=tx-pend -t "$tx2"
expect "CertPoll signed by another key (squatting)" 3 "$SCEPTEST" \
    -u "$M" poll -k "$T/k6.pem" -s CN=tx-pend -t "$tx2"
grep_out "CertPoll by another key: badCertId" 'failInfo=badCertId'

# Approve, then the poll delivers; renewal on a manual tenant is
# automatic by default (renewal_approval = auto).
id=$(request_id man CN=tx-pend)
check "approve the manual request" "$SCEPADM" -f "$CONF" request \
    approve "$id"
expect "poll after approval: SUCCESS" 0 "$SCEPTEST" -u "$M" poll \
    -k "$T/k2.pem" -s CN=tx-pend -t "$tx2" -w "$T/c2.pem"
expect "identical re-sent PKCSReq after approval: SUCCESS" 0 \
    "$SCEPTEST" -u "$M" raw -f "$T/m2.der" -k "$T/k2.pem" -w "$T/c2b.pem"
check "re-send after approval: the approved certificate" cmp \
    "$T/c2.pem" "$T/c2b.pem"
expect "renewal without a challenge on a manual tenant: SUCCESS" 0 \
    "$SCEPTEST" -u "$M" enroll -n -k "$T/k2.pem" -s CN=tx-pend \
    -O "$T/c2.pem" -K "$T/k2.pem" -w "$T/c2r.pem"
check "renewed certificate verifies" openssl verify -CAfile \
    "$T/man/ca.crt" "$T/c2r.pem"
check "the PKCSReq renewal is logged as one (renewal=yes)" \
    last_pkiop_matches 'type=PKCSReq .*status=SUCCESS .*renewal=yes'

# renewal_approval = same on a manual tenant: the renewal waits.
expect "renewal_approval=same: first enrolment PENDING" 2 "$SCEPTEST" \
    -u "$URL/same/scep" enroll -n -k "$T/k11.pem" -s CN=same-1 \
    -c same-secret-1
tx11=$(sed -n 's/^PENDING txid=//p' "$T/last.out")
check "a first enrolment is not logged as a renewal" \
    last_pkiop_matches 'type=PKCSReq .*status=PENDING .*ms=[0-9]+$'
check "renewal_approval=same: approve" "$SCEPADM" -f "$CONF" request \
    approve "$(request_id same CN=same-1)"
expect "renewal_approval=same: poll gets the certificate" 0 "$SCEPTEST" \
    -u "$URL/same/scep" poll -k "$T/k11.pem" -s CN=same-1 -t "$tx11" \
    -w "$T/c11.pem"
expect "renewal_approval=same: the renewal is PENDING" 2 "$SCEPTEST" \
    -u "$URL/same/scep" enroll -n -k "$T/k12.pem" -s CN=same-1 \
    -O "$T/c11.pem" -K "$T/k11.pem"
check "renewal_approval=same: listed as a renewal" sh -c \
    "'$SCEPADM' -f '$CONF' request list --tenant same | grep -q 'yes\$'"

# Renewal with our certificate, without a challenge.
expect "renewal signed by our certificate, no challenge" 0 "$SCEPTEST" \
    -u "$A" enroll -k "$T/k13.pem" -s CN=tx-1 -O "$T/c1.pem" \
    -K "$T/k1.pem" -w "$T/c13.pem"
check "renewed certificate verifies" openssl verify -CAfile \
    "$T/auto/ca.crt" "$T/c13.pem"

# Signed by a certificate of ANOTHER CA: a first enrolment (step 5).
expect "another CA: enrol there" 0 "$SCEPTEST" -u "$URL/other/scep" \
    enroll -k "$T/k7.pem" -s CN=foreign-1 -c other-secret-1 \
    -w "$T/c7.pem"
expect "signed by another CA's certificate, no challenge: refused" 3 \
    "$SCEPTEST" -u "$A" enroll -k "$T/k7.pem" -s CN=foreign-1 \
    -O "$T/c7.pem" -K "$T/k7.pem"
grep_out "another CA's certificate is no renewal: badRequest" \
    'failInfo=badRequest text=challenge password required'
expect "signed by another CA's certificate, with the challenge" 0 \
    "$SCEPTEST" -u "$A" enroll -k "$T/k14.pem" -s CN=foreign-1 \
    -c auto-secret-1 -O "$T/c7.pem" -K "$T/k7.pem" -w "$T/c14.pem"
check "that first enrolment verifies against this CA" openssl verify \
    -CAfile "$T/auto/ca.crt" "$T/c14.pem"

# max_pending = 1: the second PENDING request is refused.
Q=$URL/quota/scep
expect "max_pending=1: first request PENDING" 2 "$SCEPTEST" -u "$Q" \
    enroll -n -k "$T/k9.pem" -s CN=quota-1 -c quota-secret-1
expect "max_pending=1: second request refused" 3 "$SCEPTEST" -u "$Q" \
    enroll -n -k "$T/k10.pem" -s CN=quota-2 -c quota-secret-1
grep_out "max_pending: FAILURE badRequest queue full" \
    'failInfo=badRequest text=queue full'
is "max_pending: still one request" 1 "$(npending quota)"
expect "max_pending: a repeat of the queued one is still PENDING" 2 \
    "$SCEPTEST" -u "$Q" poll -k "$T/k9.pem" -s CN=quota-1

# pending_ttl (1m): PENDING turns into FAILURE at the next poll.
left=$((t_ttl + 61 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
expect "pending_ttl expired: the poll gets FAILURE" 3 "$SCEPTEST" \
    -u "$URL/ttl/scep" poll -k "$T/k8.pem" -s CN=ttl-1
grep_out "pending_ttl: badRequest, expired" \
    'failInfo=badRequest text=pending request expired'
is "pending_ttl: no request PENDING any more" 0 "$(npending ttl)"
is "pending_ttl: no certificate" 0 "$(ncerts ttl)"
check "still serving" "$SCEPTEST" -u "$A" getcaps
finish
