#!/bin/bash
# otp.t: one-time challenge passwords (challenge = otp, issue 4) against
# a live scepd (nginx + spawn-fcgi, 2 workers): a fresh password enrols;
# reuse, expiry, another tenant's password, a revoked one and one bound
# to another subject are refused with a clear failInfoText; polls and
# identical re-sent requests of the transaction that used a password
# are still answered (INTEROP.md 6.3), a new transaction with it is not;
# challenge list shows states, never a password, and no password is
# ever written to the log or the database.
. "${top_srcdir:-.}/tests/integ/lib.sh"

# Every password made here, one a line, for the leak checks at the end.
PWS=$T/passwords

# new_otp TENANT [challenge create options...]: prints one password
# (and records it), leaves its id in $T/last.id.
new_otp() {
	t=$1
	shift
	"$SCEPADM" -f "$CONF" challenge create "$t" "$@" >"$T/otp.out" \
	    2>&1 || return 1
	awk 'NR == 2 { print $1 }' "$T/otp.out" >"$T/last.id"
	p=$(awk 'NR == 2 { print $2 }' "$T/otp.out")
	[ -n "$p" ] || return 1
	echo "$p" >>"$PWS"
	echo "$p"
}

# The serial printed on a SUCCESS line of the last output.
last_serial() {
	sed -n 's/.*SUCCESS serial=\([0-9A-F]*\).*/\1/p' "$T/last.out" |
	    head -n 1
}

# The state challenge list shows for id $1.
state_of() {
	"$SCEPADM" -f "$CONF" challenge list | awk -v i="$1" \
	    '$1 == i { print $3 }'
}

setup() {
	make_conf
	make_tenant otpa --challenge otp || return 1
	make_tenant otpm --challenge otp --approval manual || return 1
	make_tenant otpb --challenge otp || return 1
	make_tenant otps --challenge otp || return 1
	make_tenant stat --challenge static || return 1
	set_keys otps "reissue_window = 0s" || return 1
	: >"$PWS"
	make_keys 12 || return 1
}

check "set up the tenants and keys" setup
check "tenant create --challenge otp: challenge_key is set" grep -q \
    "^challenge_key = $T/otpa/challenge.key" "$CONF"
check "the challenge key is mode 0640, 32 bytes" test \
    "$(stat -c '%a %s' "$T/otpa/challenge.key")" = "640 32"
check "start nginx and spawn-fcgi" start_nginx_fcgi
A=$URL/otpa/scep
M=$URL/otpm/scep

# A fresh password enrols; the identical re-sent request is answered.
p1=$(new_otp otpa)
id1=$(cat "$T/last.id")
check "challenge create prints a 20-character password" test \
    "${#p1}" -eq 20
expect "a fresh one-time password enrols" 0 "$SCEPTEST" -u "$A" enroll \
    -k "$T/k1.pem" -s CN=otp-1 -c "$p1" --save "$T/m1.der" \
    -w "$T/c1.pem"
s1=$(last_serial)
check "the certificate verifies" openssl verify -CAfile \
    "$T/otpa/ca.crt" "$T/c1.pem"
expect "identical re-sent request with the used password answered" 0 \
    "$SCEPTEST" -u "$A" raw -f "$T/m1.der" -k "$T/k1.pem"
grep_out "re-send: the same certificate" "^SUCCESS serial=$s1 "
is "challenge list: used" used "$(state_of "$id1")"

# Reuse by another request.
expect "the same password again (new key) refused" 3 "$SCEPTEST" -u "$A" \
    enroll -k "$T/k2.pem" -s CN=otp-2 -c "$p1"
grep_out "reuse: badRequest, already used" \
    'failInfo=badRequest text=challenge password already used'

# Expiry.
pe=$(new_otp otpa --ttl 1s)
ide=$(cat "$T/last.id")
sleep 2
expect "an expired password refused" 3 "$SCEPTEST" -u "$A" enroll \
    -k "$T/k3.pem" -s CN=otp-3 -c "$pe"
grep_out "expired: badRequest, expired" \
    'failInfo=badRequest text=challenge password expired'
is "challenge list: expired" expired "$(state_of "$ide")"

# Another tenant's password.
pb=$(new_otp otpb)
expect "another tenant's password refused" 3 "$SCEPTEST" -u "$A" enroll \
    -k "$T/k3.pem" -s CN=otp-3 -c "$pb"
grep_out "foreign: badRequest, unknown or foreign" \
    'failInfo=badRequest text=unknown or foreign challenge password'
expect "a password never made refused" 3 "$SCEPTEST" -u "$A" enroll \
    -k "$T/k3.pem" -s CN=otp-3 -c ABCDEFGHJKLMNPQRSTUV
grep_out "unknown: badRequest" \
    'failInfo=badRequest text=unknown or foreign challenge password'
expect "the other tenant's password works there" 0 "$SCEPTEST" \
    -u "$URL/otpb/scep" enroll -k "$T/k3.pem" -s CN=otp-3 -c "$pb"

# Bound to a subject (CERT VU#971035).
ps=$(new_otp otpa --subject /CN=bound-a)
expect "a password bound to CN=bound-a refused for CN=bound-b" 3 \
    "$SCEPTEST" -u "$A" enroll -k "$T/k4.pem" -s CN=bound-b -c "$ps"
grep_out "bound: badRequest, another subject" \
    'failInfo=badRequest text=challenge password is bound to another subject'
expect "the bound password accepted for CN=bound-a" 0 "$SCEPTEST" \
    -u "$A" enroll -k "$T/k5.pem" -s CN=bound-a -c "$ps" -w "$T/c5.pem"
check "the bound enrolment's subject" sh -c "openssl x509 -in \
    '$T/c5.pem' -noout -subject | grep -q 'CN *= *bound-a'"

# Manual approval: polls and re-sends of the transaction that used it.
pm=$(new_otp otpm)
idm=$(cat "$T/last.id")
expect "manual tenant: the request is PENDING" 2 "$SCEPTEST" -u "$M" \
    enroll -n -k "$T/k6.pem" -s CN=otp-m -c "$pm" --save "$T/m6.der"
txm=$(sed -n 's/^PENDING txid=//p' "$T/last.out")
expect "poll of that transaction: PENDING" 2 "$SCEPTEST" -u "$M" poll \
    -k "$T/k6.pem" -s CN=otp-m -t "$txm"
expect "identical re-sent request with the used password answered" 0 \
    "$SCEPTEST" -u "$M" raw -f "$T/m6.der" -k "$T/k6.pem"
grep_out "re-send while PENDING: PENDING" "^PENDING txid=$txm\$"
check "challenge list: bound to the request" sh -c "'$SCEPADM' -f \
    '$CONF' challenge list --tenant otpm | grep '^$idm ' | grep -q \
    ' used .*otpm:'"
rid=$("$SCEPADM" -f "$CONF" request list --tenant otpm |
    awk '$3 == "CN=otp-m" { print $1 }')
check "approve the request" "$SCEPADM" -f "$CONF" request approve "$rid"
expect "poll after approval: SUCCESS" 0 "$SCEPTEST" -u "$M" poll \
    -k "$T/k6.pem" -s CN=otp-m -t "$txm" -w "$T/c6.pem"
sm=$(last_serial)
expect "identical re-sent request after approval: SUCCESS" 0 \
    "$SCEPTEST" -u "$M" raw -f "$T/m6.der" -k "$T/k6.pem"
grep_out "re-send after approval: the approved certificate" \
    "^SUCCESS serial=$sm "
expect "a new transaction (another key) with the used password refused" \
    3 "$SCEPTEST" -u "$M" enroll -n -k "$T/k7.pem" -s CN=otp-m2 -c "$pm"
grep_out "new transaction: already used" \
    'failInfo=badRequest text=challenge password already used'

# The same key and transactionID, another CSR, after the first was
# issued and its reissue_window (0s) passed: a new transaction.
S=$URL/otps/scep
pr=$(new_otp otps)
expect "otps: enrol with transactionID fixed-1" 0 "$SCEPTEST" -u "$S" \
    enroll -k "$T/k8.pem" -s CN=otp-s -t fixed-1 -c "$pr"
sleep 1
expect "same key and transactionID, new CSR, used password: refused" 3 \
    "$SCEPTEST" -u "$S" enroll -k "$T/k8.pem" -s CN=otp-s-new \
    -t fixed-1 -c "$pr"
grep_out "new transaction with the same key: already used" \
    'failInfo=badRequest text=challenge password already used'
pr2=$(new_otp otps)
expect "... with a fresh password: SUCCESS" 0 "$SCEPTEST" -u "$S" \
    enroll -k "$T/k8.pem" -s CN=otp-s-new -t fixed-1 -c "$pr2"

# Revocation.
pv=$(new_otp otpa)
idv=$(cat "$T/last.id")
check "challenge revoke" "$SCEPADM" -f "$CONF" challenge revoke "$idv"
expect "a revoked password refused" 3 "$SCEPTEST" -u "$A" enroll \
    -k "$T/k9.pem" -s CN=otp-9 -c "$pv"
grep_out "revoked: badRequest, revoked" \
    'failInfo=badRequest text=challenge password revoked'
expect "revoking it again fails" 1 "$SCEPADM" -f "$CONF" challenge \
    revoke "$idv"
expect "revoking a used challenge fails" 1 "$SCEPADM" -f "$CONF" \
    challenge revoke "$id1" --tenant otpa
expect "revoking an unknown id fails" 1 "$SCEPADM" -f "$CONF" challenge \
    revoke 0123456789abcdef
is "challenge list: revoked" revoked "$(state_of "$idv")"

# Several at once, JSON, and the states in the list.
check "challenge create --count 3 --json" sh -c "'$SCEPADM' -f '$CONF' \
    challenge create otpa --count 3 --json >'$T/many.json'"
check "three passwords in the JSON" test "$(jq length "$T/many.json")" \
    -eq 3
jq -r '.[].password' "$T/many.json" >>"$PWS"
pu=$(jq -r '.[0].id' "$T/many.json")
is "challenge list: unused" unused "$(state_of "$pu")"
check "challenge list --json: valid, with states" sh -c "'$SCEPADM' -f \
    '$CONF' challenge list --json | jq -e 'map(.state) | index(\"used\")
    and index(\"revoked\") and index(\"expired\") and index(\"unused\")'"
expect "challenge create on a static tenant refused" 1 "$SCEPADM" \
    -f "$CONF" challenge create stat
expect "challenge create for an unknown tenant refused" 1 "$SCEPADM" \
    -f "$CONF" challenge create nosuch

# Usage errors (exit 2) and bad values (exit 1).
expect "--ttl 0 is a usage error" 2 "$SCEPADM" -f "$CONF" challenge \
    create otpa --ttl 0
expect "--ttl 400d is a usage error" 2 "$SCEPADM" -f "$CONF" challenge \
    create otpa --ttl 400d
expect "--count 1001 is a usage error" 2 "$SCEPADM" -f "$CONF" challenge \
    create otpa --count 1001
expect "a bad --subject is refused" 1 "$SCEPADM" -f "$CONF" challenge \
    create otpa --subject /nosuchfield=x
check "challenge create --help" "$SCEPADM" -f "$CONF" challenge create \
    --help

# Passwords never leave scepadm's standard output.
"$SCEPADM" -f "$CONF" challenge list >"$T/list.out" 2>&1
"$SCEPADM" -f "$CONF" challenge list --json >>"$T/list.out" 2>&1
check "challenge list never shows a password" sh -c \
    "! grep -qF -f '$PWS' '$T/list.out'"
check "$(wc -l <"$PWS") passwords checked" test "$(wc -l <"$PWS")" -ge 10
check "no password in the worker log" sh -c \
    "test -s '$T/scepd.log' && ! grep -qaF -f '$PWS' '$T/scepd.log'"
check "no password in the database" sh -c \
    "test -s '$T/db/data.mdb' && ! grep -qaF -f '$PWS' '$T/db/data.mdb'"
check "the workers logged the refusals" grep -q \
    'challenge password already used' "$T/scepd.log"
check "no sanitizer report from the workers" sh -c \
    "! grep -qE 'Sanitizer|runtime error' '$T/scepd.log'"

finish
