#!/bin/bash
# rollover.t: scepadm ca rollover against a live scepd (nginx +
# spawn-fcgi, 2 workers).  Before the switch: GetCACaps lists
# GetNextCACert and GetNextCACert serves the next CA and RA, signed by
# the current CA.  At the switch time the workers load the next CA and
# RA by themselves (no SIGHUP, no configuration change): GetCACert
# serves them and new certificates chain to the new CA.  The old CA
# stays a renewal trust anchor, GetCert issuer and CRL signer
# (INTEROP.md 6.4): an old certificate renews (to the new CA), GetCert
# finds it, its revocation goes into the old CA's CRL (GetCRL and
# scepadm crl --previous) and not into the new CA's (/<tenant>/crl).
# Each certificate's CRL distribution point (/<tenant>/crl?ca=<id>)
# names its own CA, so an old certificate's still serves the old CA's
# CRL after the switch.  A client that kept the old CA and RA
# certificates (sscep's saved files) still enrols: its envelope to the
# old RA is opened with the old RA's key, the reply is signed by the old
# RA and the certificate comes from the new CA; an envelope to an
# unrelated certificate stays FAILURE badMessageCheck.  Then --finish
# rewrites the configuration (previous_ca_* and previous_ra_*) and the
# same holds.  On a second, manual tenant switching at the same time, a
# request PENDING before the switch is approved after it and polled by
# a client that still encrypts to the old RA; on a third, single-CA
# tenant (--no-ra), the previous CA itself opens an old client's
# message.
. "${top_srcdir:-.}/tests/integ/lib.sh"

# Seconds from the rollover to the switch: time for the checks before.
SWITCH_IN=8

# fetch URL FILE: an HTTP GET into FILE.
fetch() {
	python3 -c 'import sys, urllib.request
r = urllib.request.urlopen(sys.argv[1], timeout=10)
open(sys.argv[2], "wb").write(r.read())' "$1" "$2"
}

# The SHA-256 fingerprint of PEM certificate $1.
fpr() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'
}

# has_cert FP FILE...: one of the PEM certificates in FILEs (several a
# file, as openssl pkcs7 -print_certs writes) has SHA-256 fingerprint FP.
has_cert() {
	want=$1
	shift
	cat "$@" | awk -v d="$T/split" 'BEGIN { n = 0 }
	    /BEGIN CERT/ { n++ } n > 0 { print > (d "." n ".pem") }'
	for f in "$T"/split.*.pem; do
		[ "$(fpr "$f")" = "$want" ] && { rm -f "$T"/split.*.pem; return 0; }
	done
	rm -f "$T"/split.*.pem
	return 1
}

# The serial of PEM certificate $1 in hex, as scepadm takes it.
serial_of() {
	openssl x509 -in "$1" -noout -serial | sed 's/.*=//'
}

# enrol N CN: a first enrolment of key N into $T/cN.pem.
enrol() {
	"$SCEPTEST" -u "$S" enroll -k "$T/k$1.pem" -s "CN=$2" \
	    -c roll-secret-1 -w "$T/c$1.pem"
}

# crl_has CRL CA SERIAL: the PEM CRL verifies under CA and lists SERIAL.
crl_has() {
	openssl crl -in "$1" -CAfile "$2" -noout -text >"$T/crl.txt" 2>&1 &&
	    grep -q "verify OK" "$T/crl.txt" &&
	    grep -q "Serial Number: $3" "$T/crl.txt"
}

# The CRL distribution point URI of PEM certificate $1.
dp_of() {
	openssl x509 -in "$1" -noout -ext crlDistributionPoints 2>/dev/null |
	    sed -n 's/^ *URI://p'
}

# dp_crl CERT FILE: curl the distribution point of CERT; the DER CRL it
# serves is written to FILE as PEM.
dp_crl() {
	curl -sf -o "$2.der" "$(dp_of "$1")" &&
	    openssl crl -inform DER -in "$2.der" -out "$2"
}

# The id of CA certificate $1 in distribution points (src/ca.h).
ca_id() {
	openssl x509 -in "$1" -noout -pubkey |
	    openssl pkey -pubin -outform DER | sha256sum | cut -c1-32
}

# old_ra_enrol N CN: a first enrolment of key N into $T/cN.pem by a
# client that still holds the RA and CA certificates of before the
# switch (and trusts the new CA, which issues its certificate: sceptest
# checks the issuer among the certificates it holds); sceptest checks
# that the reply is signed by the old RA.  The request is kept in
# $T/cN.der.
old_ra_enrol() {
	cat "$D/ra.crt" "$D/ca.crt" "$D/ca-next.crt" >"$T/old-cacerts.pem" &&
	    "$SCEPTEST" -u "$S" enroll -k "$T/k$1.pem" -s "CN=$2" \
	    -c roll-secret-1 --cacerts "$T/old-cacerts.pem" -w "$T/c$1.pem" \
	    --save "$T/c$1.der"
}

# old_ra_reply N CA: the request of old_ra_enrol N sent again (a repeat:
# the same answer); openssl checks the reply's signature under CA.
old_ra_reply() {
	curl -sf -H "Content-Type: application/x-pki-message" \
	    --data-binary "@$T/c$1.der" -o "$T/rep$1.der" \
	    "$S?operation=PKIOperation" &&
	    openssl cms -verify -binary -inform DER -in "$T/rep$1.der" \
	    -CAfile "$2" -purpose any -out /dev/null
}

# A pkiMessage to an unrelated certificate, sent: HTTP 200 with
# FAILURE badMessageCheck, as before the rollover.
to_unrelated() {
	rm -f "$T/other.der"
	"$SCEPTEST" -u "$S" enroll -k "$T/k9.pem" -s CN=roll-other \
	    -c roll-secret-1 --cacerts "$T/other.crt" --save "$T/other.der" \
	    --build-only >/dev/null &&
	    "$SCEPTEST" -u "$S" raw -f "$T/other.der"
}

setup() {
	make_conf
	make_tenant roll --challenge static --password roll-secret-1 ||
	    return 1
	# A manual tenant: a request PENDING across the switch.
	make_tenant rollm --challenge static --password rollm-secret-1 \
	    --approval manual || return 1
	# A single-CA tenant (--no-ra): its previous CA opens messages.
	make_tenant rolls --challenge static --password rolls-secret-1 \
	    --no-ra || return 1
	# The port start_nginx_fcgi will take (free_port is deterministic).
	base=http://127.0.0.1:$(free_port 1)
	set_keys roll "crl_base_url = $base" || return 1
	make_keys 10 || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=unrelated \
	    -days 2 -keyout "$T/other.key" -out "$T/other.crt" 2>/dev/null
}

check "set up the tenant and keys" setup
check "start nginx and spawn-fcgi" start_nginx_fcgi
S=$URL/roll/scep
D=$T/roll

# Certificates of the first CA.
check "enrol c1 under the first CA" enrol 1 roll-1
check "enrol c2 under the first CA" enrol 2 roll-2
check "enrol c5 under the first CA" enrol 5 roll-5
check "c1 chains to the first CA" openssl verify -CAfile "$D/ca.crt" \
    "$T/c1.pem"
check "c1 names the first CA's CRL" test "$(dp_of "$T/c1.pem")" = \
    "$URL/roll/crl?ca=$(ca_id "$D/ca.crt")"
expect "GetCACaps: no GetNextCACert before a rollover" 1 sh -c \
    "'$SCEPTEST' -u '$S' getcaps | grep -qw GetNextCACert"

# A request PENDING on the manual tenant, its client holding rollm's
# first RA and CA.
M=$URL/rollm/scep
DM=$T/rollm
cat "$DM/ra.crt" "$DM/ca.crt" >"$T/m-cacerts.pem"
expect "rollm: a request PENDING before the rollover" 2 "$SCEPTEST" \
    -u "$M" enroll -n -k "$T/k9.pem" -s CN=rollm-1 -c rollm-secret-1 \
    --cacerts "$T/m-cacerts.pem"
txm=$(sed -n 's/^PENDING txid=//p' "$T/last.out")

# The rollover.
check "scepadm ca rollover --in ${SWITCH_IN}s" "$SCEPADM" -f "$CONF" ca \
    rollover roll --in "${SWITCH_IN}s"
t0=$(date +%s)
cp "$T/last.out" "$T/rollover.out"
at=$(date -u -d "@$((t0 + SWITCH_IN))" +%Y-%m-%dT%H:%M:%SZ)
check "rollm: ca rollover --at the same time" "$SCEPADM" -f "$CONF" ca \
    rollover rollm --at "$at"
check "rolls (--no-ra): ca rollover --at the same time" "$SCEPADM" \
    -f "$CONF" ca rollover rolls --at "$at"
# Workers look at the file once a second at most.
sleep 1.1
grep_out "it prints the switch time" "^Switch: [0-9]{4}-[0-9]{2}-[0-9]{2}T"
check "it prints the next CA's fingerprint" grep -q \
    "^Next CA SHA-256 fingerprint: $(fpr "$D/ca-next.crt")\$" \
    "$T/rollover.out"
check "the next CA key is 0640" test "$(stat -c %a "$D/ca-next.key")" = 640
check "the next RA key is 0640" test "$(stat -c %a "$D/ra-next.key")" = 640
check "the next CA keeps the subject" test \
    "$(openssl x509 -in "$D/ca-next.crt" -noout -subject)" = \
    "$(openssl x509 -in "$D/ca.crt" -noout -subject)"
check "the next CA has a new key" test \
    "$(openssl x509 -in "$D/ca-next.crt" -noout -pubkey)" != \
    "$(openssl x509 -in "$D/ca.crt" -noout -pubkey)"
check "the next RA chains to the next CA" openssl verify -CAfile \
    "$D/ca-next.crt" "$D/ra-next.crt"
check "the configuration names the next CA and the switch" grep -q \
    "^rollover_at = " "$CONF"

# Before the switch: GetNextCACert.
check "GetCACaps lists GetNextCACert" sh -c \
    "'$SCEPTEST' -u '$S' getcaps | grep -qw GetNextCACert"
mkdir -p "$T/next"
check "GetNextCACert (sceptest verifies it under the CA)" "$SCEPTEST" \
    -u "$S" getnextca -o "$T/next"
grep_out "  two certificates: next RA and CA" "^NEXTCACERT count=2"
check "GET GetNextCACert raw" fetch \
    "$S?operation=GetNextCACert&message=x" "$T/next.der"
check "openssl cms -verify: signed by the current CA" openssl cms \
    -verify -binary -inform DER -in "$T/next.der" -CAfile "$D/ca.crt" \
    -purpose any -out "$T/next-inner.der"
openssl pkcs7 -inform DER -in "$T/next-inner.der" -print_certs \
    >"$T/next-certs.pem" 2>/dev/null
check "  which holds the next CA" has_cert "$(fpr "$D/ca-next.crt")" \
    "$T/next-certs.pem"
check "  and the next RA" has_cert "$(fpr "$D/ra-next.crt")" \
    "$T/next-certs.pem"
check "openssl cms -verify fails under the next CA" sh -c "! openssl cms \
    -verify -binary -inform DER -in '$T/next.der' -CAfile \
    '$D/ca-next.crt' -purpose any -out /dev/null 2>/dev/null"
mkdir -p "$T/getca1"
check "GetCACert before the switch" "$SCEPTEST" -u "$S" getca \
    -o "$T/getca1"
check "  serves the first CA" has_cert "$(fpr "$D/ca.crt")" "$T"/getca1/*
expect "a second rollover while pending is refused" 1 "$SCEPADM" \
    -f "$CONF" ca rollover roll --in 1d
grep_out "  saying it is pending" "already pending"
expect "--finish before the switch is refused" 1 "$SCEPADM" -f "$CONF" \
    ca rollover roll --finish
# tenant show: which CA serves, and the rollover.
show_has() {
	"$SCEPADM" -f "$CONF" tenant show roll --json | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["ca_sha256_fingerprint"] == sys.argv[1], o
assert o["rollover"].startswith(sys.argv[2]), o
assert o["next_ca_cert_file"].endswith("ca-next.crt"), o' "$1" "$2"
}
check "tenant show before the switch: the first CA, rollover pending" \
    show_has "$(fpr "$D/ca.crt")" pending

# The switch: no signal, no configuration change.
conf_sum=$(sha256sum <"$CONF")
left=$((t0 + SWITCH_IN + 1 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
for i in 1 2 3 4; do
	mkdir -p "$T/getca2.$i"
	"$SCEPTEST" -u "$S" getca -o "$T/getca2.$i" >/dev/null 2>&1
done
switched() {
	for i in 1 2 3 4; do
		has_cert "$(fpr "$D/ca-next.crt")" "$T"/getca2.$i/* || return 1
		has_cert "$(fpr "$D/ca.crt")" "$T"/getca2.$i/* && return 1
	done
	return 0
}
check "GetCACert after the switch serves the next CA (every worker)" \
    switched
check "  without a configuration change" test \
    "$(sha256sum <"$CONF")" = "$conf_sum"
check "  the workers reloaded at the switch time" grep -q \
    "CA rollover due" "$T/scepd.log"
check "tenant show after the switch: the next CA, switched" \
    show_has "$(fpr "$D/ca-next.crt")" switched

# The PENDING request across the switch: approved now, polled by a
# client that still encrypts to the old RA; the certificate comes from
# the new CA (which the client is given to check the issuer).
cat "$DM/ca-next.crt" >>"$T/m-cacerts.pem"
check "rollm: approve the request after the switch" sh -c \
    "'$SCEPADM' -f '$CONF' request approve \"\$('$SCEPADM' -f '$CONF' \
    request list --tenant rollm | awk '\$3 == \"CN=rollm-1\" { print \$1 }')\""
expect "rollm: the poll to the old RA gets SUCCESS" 0 "$SCEPTEST" \
    -u "$M" poll -k "$T/k9.pem" -s CN=rollm-1 -t "$txm" \
    --cacerts "$T/m-cacerts.pem" -w "$T/c9.pem"
check "  the certificate chains to rollm's new CA" openssl verify \
    -CAfile "$DM/ca-next.crt" "$T/c9.pem"
check "  the poll was opened by the previous RA" sh -c \
    "grep 'tenant=rollm op=PKIOperation' '$T/scepd.log' | tail -n 1 |
    grep -q 'ra=previous'"

# A single-CA tenant: a client holding only the old CA certificate
# enrols; the old CA opens the message and signs the reply, the new CA
# issues.
cat "$T/rolls/ca.crt" "$T/rolls/ca-next.crt" >"$T/s-cacerts.pem"
expect "rolls: enrolment to the old CA after the switch" 0 "$SCEPTEST" \
    -u "$URL/rolls/scep" enroll -k "$T/k10.pem" -s CN=rolls-1 \
    -c rolls-secret-1 --cacerts "$T/s-cacerts.pem" -w "$T/cs1.pem"
check "  chains to the new CA" openssl verify -CAfile \
    "$T/rolls/ca-next.crt" "$T/cs1.pem"
check "  opened by the previous CA" sh -c \
    "grep 'tenant=rolls op=PKIOperation' '$T/scepd.log' | tail -n 1 |
    grep -q 'ra=previous'"
expect "GetCACaps: no GetNextCACert after the switch" 1 sh -c \
    "'$SCEPTEST' -u '$S' getcaps | grep -qw GetNextCACert"
check "a new enrolment after the switch" enrol 3 roll-3
check "  chains to the new CA" openssl verify -CAfile "$D/ca-next.crt" \
    "$T/c3.pem"
check "  and not to the old one" sh -c "! openssl verify -CAfile \
    '$D/ca.crt' '$T/c3.pem' >/dev/null 2>&1"
check "  and names the new CA's CRL" test "$(dp_of "$T/c3.pem")" = \
    "$URL/roll/crl?ca=$(ca_id "$D/ca-next.crt")"

# A client that kept the old RA certificate (INTEROP.md 6.4).
check "enrolment to the old RA after the switch" old_ra_enrol 7 roll-7
check "  the reply verifies with the old RA (openssl cms)" old_ra_reply \
    7 "$D/ca.crt"
check "  and not under the new CA" sh -c "! openssl cms -verify -binary \
    -inform DER -in '$T/rep7.der' -CAfile '$D/ca-next.crt' -purpose any \
    -out /dev/null 2>/dev/null"
check "  chains to the new CA" openssl verify -CAfile "$D/ca-next.crt" \
    "$T/c7.pem"
check "  and not to the old one" sh -c "! openssl verify -CAfile \
    '$D/ca.crt' '$T/c7.pem' >/dev/null 2>&1"
check "  logged with ra=previous" grep -q \
    "status=SUCCESS .* ra=previous\$" "$T/scepd.log"
check "a message to an unrelated certificate" to_unrelated
grep_out "  FAILURE badMessageCheck" \
    "^HTTP 200 pkiStatus=FAILURE failInfo=badMessageCheck\$"

# The old CA: renewal anchor, GetCert issuer, CRL signer.
check "renew c1 (old CA), no challenge" "$SCEPTEST" -u "$S" enroll \
    -k "$T/k4.pem" -s CN=roll-1 -O "$T/c1.pem" -K "$T/k1.pem" \
    -w "$T/c4.pem"
check "  the renewed certificate chains to the new CA" openssl verify \
    -CAfile "$D/ca-next.crt" "$T/c4.pem"
s2=$(serial_of "$T/c2.pem")
check "GetCert for c2 (old CA)" "$SCEPTEST" -u "$S" getcert \
    -O "$T/c2.pem" -K "$T/k2.pem" -s "$s2" -w "$T/c2-got.pem"
check "  returns c2" test "$(fpr "$T/c2-got.pem")" = "$(fpr "$T/c2.pem")"
check "revoke c2" "$SCEPADM" -f "$CONF" cert revoke "$s2"
check "GetCRL for c2 (signed by the old CA, --crl-ca)" "$SCEPTEST" \
    -u "$S" getcrl -O "$T/c2.pem" -K "$T/k2.pem" --crl-ca "$D/ca.crt" \
    -w "$T/old.crl"
check "  the CRL verifies under the old CA and lists c2" crl_has \
    "$T/old.crl" "$D/ca.crt" "$s2"
check "  and does not verify under the new CA" sh -c "! openssl crl \
    -in '$T/old.crl' -CAfile '$D/ca-next.crt' -noout 2>&1 |
    grep -q 'verify OK'"
check "scepadm crl --previous" "$SCEPADM" -f "$CONF" crl roll \
    --previous --pem -o "$T/prev.crl"
check "  verifies under the old CA and lists c2" crl_has "$T/prev.crl" \
    "$D/ca.crt" "$s2"
check "GET /roll/crl" fetch "$URL/roll/crl" "$T/new.der"
check "  the new CA's CRL verifies under the new CA" sh -c "openssl crl \
    -inform DER -in '$T/new.der' -CAfile '$D/ca-next.crt' -noout 2>&1 |
    grep -q 'verify OK'"
check "  and does not list c2" sh -c "! openssl crl -inform DER -in \
    '$T/new.der' -noout -text | grep -q 'Serial Number: $s2'"
check "c2's distribution point: the old CA's CRL" dp_crl "$T/c2.pem" \
    "$T/dp2.crl"
check "  verified under the old CA, lists c2" crl_has "$T/dp2.crl" \
    "$D/ca.crt" "$s2"
check "  the one scepadm crl --previous made" sh -c "openssl crl -in \
    '$T/prev.crl' -outform DER | cmp - '$T/dp2.crl.der'"
s3=$(serial_of "$T/c3.pem")
check "revoke c3 (new CA)" "$SCEPADM" -f "$CONF" cert revoke "$s3"
check "GET /roll/crl lists c3" fetch "$URL/roll/crl" "$T/new2.der"
openssl crl -inform DER -in "$T/new2.der" -out "$T/new2.pem"
check "  verified under the new CA" crl_has "$T/new2.pem" \
    "$D/ca-next.crt" "$s3"
check "c3's distribution point: the new CA's CRL" dp_crl "$T/c3.pem" \
    "$T/dp3.crl"
check "  verified under the new CA, lists c3" crl_has "$T/dp3.crl" \
    "$D/ca-next.crt" "$s3"
check "  and not c2" sh -c "! openssl crl -in '$T/dp3.crl' -noout -text |
    grep -q 'Serial Number: $s2'"
check "c2's distribution point again" dp_crl "$T/c2.pem" "$T/dp2b.crl"
check "  lists c2 still" crl_has "$T/dp2b.crl" "$D/ca.crt" "$s2"
check "  and not c3" sh -c "! openssl crl -in '$T/dp2b.crl' -noout -text |
    grep -q 'Serial Number: $s3'"
check "GetCRL for c2 again: the old CA's CRL, without c3" sh -c \
    "'$SCEPTEST' -u '$S' getcrl -O '$T/c2.pem' -K '$T/k2.pem' \
    --crl-ca '$D/ca.crt' -w '$T/old2.crl' >/dev/null &&
    ! openssl crl -in '$T/old2.crl' -noout -text |
    grep -q 'Serial Number: $s3'"
expect "renewing revoked c2 without a challenge is refused" 3 \
    "$SCEPTEST" -u "$S" enroll -k "$T/k6.pem" -s CN=roll-2 \
    -O "$T/c2.pem" -K "$T/k2.pem"

# --finish: the new files become the current ones.
check "scepadm ca rollover --finish" "$SCEPADM" -f "$CONF" ca rollover \
    roll --finish
check "rollm: ca rollover --finish" "$SCEPADM" -f "$CONF" ca rollover \
    rollm --finish
check "rolls: ca rollover --finish" "$SCEPADM" -f "$CONF" ca rollover \
    rolls --finish
check "  ca_cert names the new CA" grep -q "^ca_cert = $D/ca-next.crt\$" \
    "$CONF"
check "  previous_ca_cert names the old CA" grep -q \
    "^previous_ca_cert = $D/ca.crt\$" "$CONF"
check "  previous_ra_cert names the old RA" grep -q \
    "^previous_ra_cert = $D/ra.crt\$" "$CONF"
check "  previous_ra_key names its key" grep -q \
    "^previous_ra_key = $D/ra.key\$" "$CONF"
check "  no rollover_at left" sh -c "! grep -q '^rollover_at' '$CONF'"
check "  the configuration loads" "$SCEPD" -n -f "$CONF"
sleep 1.2
mkdir -p "$T/getca3"
check "GetCACert after --finish" "$SCEPTEST" -u "$S" getca -o "$T/getca3"
check "  still the new CA" has_cert "$(fpr "$D/ca-next.crt")" \
    "$T"/getca3/*
check "renew c5 (old CA) after --finish" "$SCEPTEST" -u "$S" enroll \
    -k "$T/k6.pem" -s CN=roll-5 -O "$T/c5.pem" -K "$T/k5.pem" \
    -w "$T/c6.pem"
check "  chains to the new CA" openssl verify -CAfile "$D/ca-next.crt" \
    "$T/c6.pem"
check "GetCRL for c2 after --finish: the old CA's, with c2" sh -c \
    "'$SCEPTEST' -u '$S' getcrl -O '$T/c2.pem' -K '$T/k2.pem' \
    --crl-ca '$D/ca.crt' -w '$T/old3.crl' >/dev/null"
check "  verifies under the old CA and lists c2" crl_has "$T/old3.crl" \
    "$D/ca.crt" "$s2"
check "c2's distribution point after --finish" dp_crl "$T/c2.pem" \
    "$T/dp2f.crl"
check "  the old CA's CRL, with c2" crl_has "$T/dp2f.crl" "$D/ca.crt" "$s2"
check "enrolment to the old RA after --finish" old_ra_enrol 8 roll-8
check "  the reply verifies with the old RA" old_ra_reply 8 "$D/ca.crt"
check "  chains to the new CA" openssl verify -CAfile "$D/ca-next.crt" \
    "$T/c8.pem"
check "a message to an unrelated certificate after --finish" to_unrelated
grep_out "  FAILURE badMessageCheck" \
    "^HTTP 200 pkiStatus=FAILURE failInfo=badMessageCheck\$"
expect "another rollover while the previous CA is kept is refused" 1 \
    "$SCEPADM" -f "$CONF" ca rollover roll
grep_out "  saying why" "previous CA"
finish
