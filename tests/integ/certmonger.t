#!/bin/bash
# certmonger.t: certmonger 0.79.17 (Debian certmonger) against nginx +
# spawn-fcgi + scepd (INTEROP.md 2.3).
#
# 1. /usr/lib/certmonger/scep-submit, the helper the daemon runs: caps
#    (-c), CA certificates (-C: RA first, then CA) and a PKCSReq built by
#    sceptest (--build-only) and sent by scep-submit (-p, always a GET):
#    issued, re-sent, refused (wrong challenge) and PENDING (manual
#    tenant), with scep-submit's exit codes (0 issued, 1 waiting, 2
#    rejected, 3 unreachable).
# 2. The certmonger daemon on a private listening socket (-L -P, no bus),
#    its state in $T/certmonger: request, resubmit (same key, same
#    transactionID, signed with the issued certificate), rekey (new key,
#    signed with the issued certificate), an EC CA behind its RSA RA, a
#    challenge with characters PrintableString does not allow, a wrong
#    challenge (CA_REJECTED, not retried), and a manual tenant: PENDING,
#    "getcert refresh" polls (a fresh PKCSReq with the same CSR),
#    "scepadm request approve", MONITORING; a renewal there needs no
#    approval; "getcert resubmit" while PENDING sends a new CSR (certmonger
#    puts a fresh subjectKeyIdentifier in every CSR it generates) and is
#    refused without replacing the stored request (INTEROP.md 6.3).
#
# certmonger polls a waiting request only after CM_DELAY_CA_POLL (a week
# in 0.79.17), hence "getcert refresh".  Every wait is bounded.
. "${top_srcdir:-.}/tests/integ/lib.sh"

SCEP_SUBMIT=${SCEP_SUBMIT:-/usr/lib/certmonger/scep-submit}
CERTMONGER=${CERTMONGER:-/usr/sbin/certmonger}
GETCERT=${GETCERT:-/usr/bin/getcert}

if [ ! -x "$SCEP_SUBMIT" ] || [ ! -x "$CERTMONGER" ] ||
    [ ! -x "$GETCERT" ]; then
	echo "1..0 # SKIP certmonger is not installed"
	exit 0
fi

CM=$T/certmonger
CMPID=""
PW_ODD='p@ss$w#rd"\x'

setup() {
	make_conf
	make_tenant cm --challenge static --password cm-secret-1 || return 1
	make_tenant cmman --challenge static --password cm-manual-1 \
	    --approval manual || return 1
	make_tenant cmec --key ec --curve P-256 --challenge static \
	    --password cm-ec-secret || return 1
	make_tenant cmpw --challenge static --password "$PW_ODD" || return 1
	for t in cm cmman; do
		openssl x509 -in "$T/$t/ra.crt" -out "$T/$t-ra.pem" &&
		    openssl x509 -in "$T/$t/ca.crt" -out "$T/$t-ca.pem" ||
		    return 1
	done
}

# The issuer check every issued certificate gets.
verify_cert() {
	openssl verify -CAfile "$T/$1/ca.crt" "$2"
}

serial_of() {
	openssl x509 -in "$1" -noout -serial 2>/dev/null | cut -d= -f2
}

pubkey_of() {
	openssl x509 -in "$1" -noout -pubkey 2>/dev/null | sha256sum |
	    cut -d' ' -f1
}

# in_db TENANT SERIAL: scepadm lists the certificate as issued by SCEP.
in_db() {
	"$SCEPADM" -f "$CONF" cert list --tenant "$1" |
	    awk -v s="$2" '$2 == s && $5 == "scep" { f = 1 } END { exit !f }'
}

# PKIOperation GETs in the nginx access log so far.
n_pkiop() {
	grep -c 'GET /[a-z]*/scep?operation=PKIOperation&message=' \
	    "$T/nginx-access.log"
}

# ---- scep-submit ---------------------------------------------------------

# build NAME TENANT SUBJECT CHALLENGE: a PKCSReq made by sceptest for the
# tenant's RA, kept as DER ($T/NAME.der) and as the PEM scep-submit reads.
build() {
	"$SCEPTEST" -u "$URL/$2/scep" enroll -k "$T/$1.key" -s "$3" \
	    -c "$4" --save "$T/$1.der" --build-only || return 1
	{
		echo "-----BEGIN PKCS7-----"
		base64 -w 64 "$T/$1.der"
		echo "-----END PKCS7-----"
	} >"$T/$1.p7"
}

# submit NAME TENANT: scep-submit -p with the RA (-r) and the CA (-N) the
# daemon would pass; stdout kept in $T/NAME.out; exits as scep-submit.
submit() {
	"$SCEP_SUBMIT" -u "$URL/$2/scep" -r "$T/$2-ra.pem" -N "$T/$2-ca.pem" \
	    -p "$T/$1.p7" >"$T/$1.out" 2>"$T/$1.err"
	rc=$?
	cat "$T/$1.out" "$T/$1.err"
	return $rc
}

# open_reply NAME TENANT: scep-submit prints the pkcsPKIEnvelope; open it
# with the request's key, take the certificate, verify it.
open_reply() {
	openssl cms -decrypt -inform PEM -in "$T/$1.out" -inkey "$T/$1.key" \
	    -binary -out "$T/$1.p7b" &&
	    openssl pkcs7 -inform DER -in "$T/$1.p7b" -print_certs \
	    -out "$T/$1.crt" &&
	    [ "$(grep -c 'BEGIN CERTIFICATE' "$T/$1.crt")" -eq 1 ] &&
	    openssl verify -CAfile "$T/$2/ca.crt" "$T/$1.crt"
}

# sent_by_get NAME: the last PKIOperation in the access log is a GET
# whose message decodes to exactly the bytes sceptest saved.
sent_by_get() {
	line=$(grep -o 'GET /[a-z]*/scep?operation=PKIOperation&message=[^ ]*' \
	    "$T/nginx-access.log" | tail -n 1)
	[ -n "$line" ] || return 1
	enc=${line#*message=}
	printf '%b' "${enc//%/\\x}" | base64 -d >"$T/$1.sent" &&
	    cmp "$T/$1.sent" "$T/$1.der"
}

# split_certs FILE: the PEM certificates of FILE as FILE.1, FILE.2...
split_certs() {
	awk -v f="$1" '/BEGIN CERTIFICATE/ { n++ } n { print > (f "." n) }' "$1"
}

same_cert() {
	cmp <(openssl x509 -in "$1" -outform DER) \
	    <(openssl x509 -in "$2" -outform DER)
}

check "set up the tenants with scepadm" setup
check "start nginx and spawn-fcgi" start_nginx_fcgi
u=$URL/cm/scep

expect "scep-submit -c (GetCACaps)" 0 "$SCEP_SUBMIT" -u "$u" -c
cp "$T/last.out" "$T/caps"
check "caps: AES, SHA-256, SHA-512, Renewal, POSTPKIOperation" sh -c \
    "for k in AES SHA-256 SHA-512 Renewal POSTPKIOperation; do
	grep -qx \"\$k\" '$T/caps' || exit 1; done"
check "caps: no single DES or MD5 (certmonger would fall back to them)" \
    sh -c "! grep -qxE 'DES|MD5' '$T/caps'"

expect "scep-submit -C (GetCACert)" 0 "$SCEP_SUBMIT" -u "$u" -C
cp "$T/last.out" "$T/cacerts"
split_certs "$T/cacerts"
check "-C printed two certificates" test "$(grep -c 'BEGIN CERTIFICATE' \
    "$T/cacerts")" -eq 2
check "-C: the RA certificate first" same_cert "$T/cacerts.1" "$T/cm/ra.crt"
check "-C: then the CA certificate" same_cert "$T/cacerts.2" "$T/cm/ca.crt"
check "GetCACert went out once, message=0, no Dogtag walk" sh -c \
    "grep -q 'GET /cm/scep?operation=GetCACert&message=0 ' \
	'$T/nginx-access.log' &&
    ! grep -q 'operation=GetCACert&message=1 ' '$T/nginx-access.log'"

check "sceptest builds a PKCSReq without sending it" build sub cm \
    CN=cm-submit cm-secret-1
n0=$(n_pkiop)
expect "scep-submit -p: issued (exit 0)" 0 submit sub cm
grep_out "scep-submit printed the pkcsPKIEnvelope" '^-----BEGIN PKCS7-----$'
check "the envelope opens to a certificate that verifies" open_reply sub cm
check "it is the certificate asked for" sh -c \
    "openssl x509 -in '$T/sub.crt' -noout -subject | grep -q 'CN *= *cm-submit'"
check "the database holds it" in_db cm "$(serial_of "$T/sub.crt")"
check "it went as one GET carrying exactly the saved message" \
    test "$(n_pkiop)" -eq $((n0 + 1))
check "  (the GET's message decodes to the saved DER)" sent_by_get sub
cp "$T/sub.crt" "$T/sub-first.crt"
expect "the same message again: answered again (exit 0)" 0 submit sub cm
check "  with the same certificate, not a new one" sh -c \
    "openssl cms -decrypt -inform PEM -in '$T/sub.out' -inkey '$T/sub.key' \
	-binary | openssl pkcs7 -inform DER -print_certs -out '$T/sub2.crt' &&
    cmp '$T/sub2.crt' '$T/sub-first.crt'"

check "a PKCSReq with a wrong challenge" build subw cm CN=cm-submit-wrong \
    wrong-secret
expect "scep-submit: rejected (exit 2)" 2 submit subw cm
grep_out "  badRequest in certmonger's words" \
    'Transaction either is not permitted or is not supported by server'

check "a PKCSReq for the manual tenant" build subm cmman CN=cm-submit-man \
    cm-manual-1
expect "scep-submit: waiting (exit 1)" 1 submit subm cmman
grep_out "  prints the reply's senderNonce (16 bytes, base64) as cookie" \
    '^[A-Za-z0-9+/]{22}==$'

# ---- the certmonger daemon ------------------------------------------------

# start_certmonger: the daemon on a private socket (-L -P), no bus, in the
# foreground (-n), every file it keeps under $CM; getcert finds it through
# CERTMONGER_PVT_ADDRESS.
start_certmonger() {
	mkdir -p "$CM/config" "$CM/requests" "$CM/cas" "$CM/local" \
	    "$CM/tmp" || return 1
	env CERTMONGER_CONFIG_DIR="$CM/config" \
	    CERTMONGER_REQUESTS_DIR="$CM/requests" \
	    CERTMONGER_CAS_DIR="$CM/cas" \
	    CERTMONGER_LOCAL_CA_DIR="$CM/local" \
	    CERTMONGER_TMPDIR="$CM/tmp" \
	    CERTMONGER_SYSTEM_LOCK_FILE="$CM/lock" \
	    "$CERTMONGER" -n -L -P "$CM/cm.sock" -p "$T/certmonger.pid" -d 1 \
	    </dev/null >"$T/certmonger.log" 2>&1 &
	CMPID=$!
	PIDS="$PIDS $CMPID"
	export CERTMONGER_PVT_ADDRESS="unix:path=$CM/cm.sock"
	i=0
	until [ -S "$CM/cm.sock" ] && "$GETCERT" list-cas >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$CMPID" 2>/dev/null; then
			tail -n 20 "$T/certmonger.log"
			return 1
		fi
		sleep 0.1
	done
}

gc() {
	timeout 90 "$GETCERT" "$@"
}

# cm_wait ID STATE [SECONDS]: poll "getcert list" until request ID is in
# STATE (60 s at most); prints the last listing.
cm_wait() {
	i=0
	while :; do
		gc list -i "$1" >"$T/cm-list" 2>&1
		grep -q "status: $2\$" "$T/cm-list" && break
		i=$((i + 1))
		if [ "$i" -gt $((${3:-60} * 5)) ]; then
			cat "$T/cm-list"
			tail -n 20 "$T/certmonger.log"
			return 1
		fi
		sleep 0.2
	done
	cat "$T/cm-list"
}

# cm_wait_new ID CERT OLDSERIAL: request ID is MONITORING again with a
# certificate other than OLDSERIAL in CERT (60 s at most).
cm_wait_new() {
	i=0
	while :; do
		s=$(serial_of "$2")
		cm_wait "$1" MONITORING 1 >/dev/null 2>&1 &&
		    [ -n "$s" ] && [ "$s" != "$3" ] && break
		i=$((i + 1))
		if [ "$i" -gt 60 ]; then
			gc list -i "$1"
			tail -n 20 "$T/certmonger.log"
			return 1
		fi
		sleep 0.5
	done
}

# The transactionID certmonger keeps for request $1 (its request file).
tx_of() {
	f=$(grep -l "^id=$1\$" "$CM"/requests/* 2>/dev/null | head -n 1)
	[ -n "$f" ] && sed -n 's/^scep_tx=//p' "$f"
}

# The CSR certmonger keeps for request $1, in PEM.
csr_of() {
	f=$(grep -l "^id=$1\$" "$CM"/requests/* 2>/dev/null | head -n 1)
	[ -n "$f" ] && sed -n '/^csr=/,/END .*CERTIFICATE REQUEST/p' "$f" |
	    sed 's/^csr=//; s/^ //'
}

# ca_thumbprint_matches NICK TENANT: getcert list-cas shows the tenant's
# CA certificate (its SHA-1), not the RA's: certmonger sorted [RA, CA].
ca_thumbprint_matches() {
	want=$(openssl x509 -in "$T/$2/ca.crt" -noout -fingerprint -sha1 |
	    cut -d= -f2 | tr -d ':')
	i=0
	while :; do
		got=$(gc list-cas -c "$1" |
		    sed -n 's/.*CA certificate thumbprint (SHA1): //p' |
		    tr -d ' ')
		[ -n "$got" ] && break
		i=$((i + 1))
		[ "$i" -gt 150 ] && break
		sleep 0.2
	done
	echo "CA SHA-1 $want, certmonger shows '$got'"
	[ "$got" = "$want" ]
}

check "start certmonger (private socket, state in \$T)" start_certmonger
check "getcert add-scep-ca" gc add-scep-ca -c scepd-cm -u "$u"
check "certmonger took the CA certificate from GetCACert" \
    ca_thumbprint_matches scepd-cm cm

# First enrolment.
expect "getcert request -w: issued" 0 gc request -c scepd-cm -I cm1 \
    -k "$T/cm1.key" -f "$T/cm1.crt" -N CN=cm-daemon -L cm-secret-1 -w \
    --wait-timeout 60
check "  MONITORING" cm_wait cm1 MONITORING
check "  the certificate verifies" verify_cert cm "$T/cm1.crt"
check "  with the subject asked for" sh -c \
    "openssl x509 -in '$T/cm1.crt' -noout -subject | grep -q 'CN *= *cm-daemon'"
serial1=$(serial_of "$T/cm1.crt")
key1=$(pubkey_of "$T/cm1.crt")
tx1=$(tx_of cm1)
check "  and the database holds it" in_db cm "$serial1"

# Resubmit: the same key, signed with the issued certificate, the same
# transactionID as the first enrolment (INTEROP.md 2.3): a new certificate.
expect "getcert resubmit -w" 0 gc resubmit -i cm1 -w --wait-timeout 60
check "  MONITORING with a new certificate" cm_wait_new cm1 "$T/cm1.crt" \
    "$serial1"
serial2=$(serial_of "$T/cm1.crt")
check "  the certificate verifies" verify_cert cm "$T/cm1.crt"
check "  same key" test "$(pubkey_of "$T/cm1.crt")" = "$key1"
# same_tx ID TX: certmonger kept transactionID TX for request ID, and
# scepd logged two successes for it (the enrolment and the resubmit).
same_tx() {
	[ -n "$2" ] && [ "$(tx_of "$1")" = "$2" ] &&
	    [ "$(grep -F "\"$2\"" "$T/scepd.log" | grep -c SUCCESS)" -ge 2 ]
}
check "  same transactionID, issued twice" same_tx cm1 "$tx1"
check "  the database holds it" in_db cm "$serial2"

# Rekey: a new key, signed with the issued certificate (caps list Renewal).
expect "getcert rekey -w" 0 gc rekey -i cm1 -w --wait-timeout 60
check "  MONITORING with a new certificate" cm_wait_new cm1 "$T/cm1.crt" \
    "$serial2"
check "  the certificate verifies" verify_cert cm "$T/cm1.crt"
# new_key CERT KEY OLDKEYHASH: CERT certifies KEY, not the old key.
new_key() {
	[ "$(pubkey_of "$1")" != "$3" ] &&
	    cmp <(openssl x509 -in "$1" -noout -pubkey) \
	    <(openssl pkey -in "$2" -pubout)
}
check "  for the new key" new_key "$T/cm1.crt" "$T/cm1.key" "$key1"
check "  same subject" sh -c \
    "openssl x509 -in '$T/cm1.crt' -noout -subject | grep -q 'CN *= *cm-daemon'"
check "  the database holds it" in_db cm "$(serial_of "$T/cm1.crt")"

# An EC CA behind its RSA RA; a challenge certmonger encodes as a
# PrintableString although PrintableString does not allow @ $ # " \.
check "getcert add-scep-ca (EC CA)" gc add-scep-ca -c scepd-ec \
    -u "$URL/cmec/scep"
expect "getcert request -w (EC CA): issued" 0 gc request -c scepd-ec \
    -I ec1 -k "$T/ec1.key" -f "$T/ec1.crt" -N CN=cm-ec -L cm-ec-secret -w \
    --wait-timeout 60
check "  MONITORING" cm_wait ec1 MONITORING
check "  the certificate verifies against the EC CA" verify_cert cmec \
    "$T/ec1.crt"
check "getcert add-scep-ca (odd challenge)" gc add-scep-ca -c scepd-pw \
    -u "$URL/cmpw/scep"
expect "getcert request -w, a challenge with @ \$ \" \\: issued" 0 gc request \
    -c scepd-pw -I pw1 -k "$T/pw1.key" -f "$T/pw1.crt" -N CN=cm-pw \
    -L "$PW_ODD" -w --wait-timeout 60
check "  MONITORING" cm_wait pw1 MONITORING
check "  the certificate verifies" verify_cert cmpw "$T/pw1.crt"
csr_of pw1 | openssl asn1parse >"$T/last.out" 2>&1
grep_out "  (the CSR carried it as a PrintableString)" \
    'PRINTABLESTRING +:p@ss\$w#rd"'

# A wrong challenge: CA_REJECTED, and certmonger stops there.
expect "getcert request -w, wrong challenge: rejected" 2 gc request \
    -c scepd-cm -I bad -k "$T/bad.key" -f "$T/bad.crt" -N CN=cm-bad \
    -L wrong-secret -w --wait-timeout 60
check "  CA_REJECTED" cm_wait bad CA_REJECTED
grep_out "  with badRequest in certmonger's words" \
    'ca-error: Transaction either is not permitted'
grep_out "  stuck (no retry)" 'stuck: yes'
n1=$(n_pkiop)
sleep 1
check "  and no further attempt" test "$(n_pkiop)" -eq "$n1"
check "  no certificate written" test ! -e "$T/bad.crt"

# Manual approval: PENDING, polls, approve, MONITORING.
check "getcert add-scep-ca (manual tenant)" gc add-scep-ca -c scepd-man \
    -u "$URL/cmman/scep"
check "getcert request (manual tenant)" gc request -c scepd-man -I man \
    -k "$T/man.key" -f "$T/man.crt" -N CN=cm-man -L cm-manual-1
check "  CA_WORKING (PENDING)" cm_wait man CA_WORKING
check "  scepadm request list shows it" sh -c \
    "'$SCEPADM' -f '$CONF' request list --tenant cmman | grep -q 'CN=cm-man '"
csr_of man >"$T/man.csr0"
n1=$(n_pkiop)
check "getcert refresh while PENDING" gc refresh -i man
poll_sent() {
	i=0
	until [ "$(n_pkiop)" -gt "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 150 ] && return 1
		sleep 0.2
	done
	# The reply is read a moment later.
	sleep 0.5
}
check "  certmonger polls (a PKCSReq by GET)" poll_sent "$n1"
check "  still CA_WORKING" cm_wait man CA_WORKING 5
same_csr() {
	[ -s "$T/$1.csr0" ] && csr_of "$1" | cmp - "$T/$1.csr0"
}
check "  the poll kept the CSR" same_csr man
check "  the tenant still holds one request for it" test "$("$SCEPADM" \
    -f "$CONF" request list --tenant cmman | grep -c 'CN=cm-man ')" -eq 1
id=$("$SCEPADM" -f "$CONF" request list --tenant cmman |
    awk '$3 == "CN=cm-man" { print $1 }' | head -n 1)
check "scepadm request approve" "$SCEPADM" -f "$CONF" request approve "$id"
check "getcert refresh after approval" gc refresh -i man
check "  MONITORING" cm_wait man MONITORING
check "  the approved certificate verifies" verify_cert cmman "$T/man.crt"
mserial=$(serial_of "$T/man.crt")

# A renewal is approved per renewal_approval (auto): no operator needed,
# which shows scepd took certmonger's resubmit for a renewal (signer).
expect "getcert resubmit on the manual tenant -w" 0 gc resubmit -i man -w \
    --wait-timeout 60
check "  renewed without approval" cm_wait_new man "$T/man.crt" "$mserial"
check "  the certificate verifies" verify_cert cmman "$T/man.crt"

# getcert resubmit while PENDING: certmonger makes a new CSR (a fresh
# subjectKeyIdentifier) for the same transaction: refused (badRequest),
# and the stored request stays (INTEROP.md 6.3; use getcert refresh).
check "getcert request (manual tenant, second)" gc request -c scepd-man \
    -I man2 -k "$T/man2.key" -f "$T/man2.crt" -N CN=cm-man2 -L cm-manual-1
check "  CA_WORKING (PENDING)" cm_wait man2 CA_WORKING
# Depending on whether it holds the PENDING reply's cookie yet,
# certmonger 0.79.17 either polls (GetCertInitial: still PENDING, exit 5,
# CA_WORKING) or sends a PKCSReq with a new CSR (refused: exit 2,
# CA_REJECTED).  Either way nothing new is stored.
gc resubmit -i man2 -w --wait-timeout 60 >"$T/last.out" 2>&1
rc=$?
case $rc in
2)	ok "getcert resubmit while PENDING: a new CSR, refused"
	check "  CA_REJECTED" cm_wait man2 CA_REJECTED ;;
5)	ok "getcert resubmit while PENDING: polled, still pending"
	check "  CA_WORKING" cm_wait man2 CA_WORKING ;;
*)	not_ok "getcert resubmit while PENDING (exit $rc, wanted 2 or 5)"
	not_ok "  state" ;;
esac
check "  the stored request is still there, once" test "$("$SCEPADM" \
    -f "$CONF" request list --tenant cmman | grep -c 'CN=cm-man2 ')" -eq 1

# certmonger only ever sent GETs.
check "no POST from certmonger" sh -c \
    "! grep -q '\"POST ' '$T/nginx-access.log'"

# Stop the daemon; nothing of it may survive.
stop_certmonger() {
	kill "$CMPID" 2>/dev/null
	i=0
	while kill -0 "$CMPID" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt 50 ] && return 1
		sleep 0.1
	done
	i=0
	while pgrep -f "$CM/cm.sock|scep-submit -u $URL" >/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 50 ]; then
			pgrep -af "$CM/cm.sock|scep-submit -u $URL"
			return 1
		fi
		sleep 0.1
	done
}
check "certmonger stops, no helper left" stop_certmonger
finish
