#!/bin/bash
# crl.t: CRL publishing and the operator's view of a live scepd (nginx +
# spawn-fcgi, 2 workers): an issued certificate names
# <crl_base_url>/<tenant>/crl?ca=<id of its CA> as its CRL distribution
# point, that URL serves a DER CRL that openssl crl -verify accepts, an
# unknown id is 404 and any other query 400, a revocation
# (scepadm cert revoke) shows in it at once with a higher CRL number;
# scepadm request show on a PENDING and then ISSUED request, scepadm
# issue (the same distribution point), and scepadm mobileconfig's
# CAFingerprint against the GetCACert bundle the server really serves.
. "${top_srcdir:-.}/tests/integ/lib.sh"

# The CRL distribution point URI of certificate $1.
crl_dp() {
	openssl x509 -in "$1" -noout -ext crlDistributionPoints 2>/dev/null |
	    sed -n 's/^ *URI://p'
}

# The id of CA certificate $1 as CRL distribution points name it
# (src/ca.h): the first 16 bytes of the SHA-256 of its
# SubjectPublicKeyInfo DER, lowercase hex.
ca_id() {
	openssl x509 -in "$1" -noout -pubkey |
	    openssl pkey -pubin -outform DER | sha256sum | cut -c1-32
}

# status ARGS...: the HTTP status curl gets for ARGS (body discarded).
status() {
	curl -s -o /dev/null -w '%{http_code}' "$@"
}

# fetch URL FILE: an HTTP GET into FILE (python3: no curl needed).
fetch() {
	python3 -c 'import sys, urllib.request
r = urllib.request.urlopen(sys.argv[1], timeout=10)
assert r.headers["Content-Type"] == "application/pkix-crl"
open(sys.argv[2], "wb").write(r.read())' "$1" "$2"
}

# The CRL number of DER CRL $1.
crl_num() {
	openssl crl -inform DER -in "$1" -noout -crlnumber | sed 's/.*=//'
}

setup() {
	make_conf
	make_tenant pub --challenge static --password crl-secret-1 \
	    --approval manual || return 1
	# The port start_nginx_fcgi will take (free_port is deterministic).
	base=http://127.0.0.1:$(free_port 1)
	sed -i "/^\[tenant pub\]\$/a crl_base_url = $base" "$CONF" ||
	    return 1
	sed -i "/^\[tenant pub\]\$/a crl_margin = 1h" "$CONF" || return 1
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$T/k1.pem" 2>/dev/null || return 1
	openssl req -new -key "$T/k1.pem" -subj /CN=gw.crl.example \
	    -out "$T/gw.csr" 2>/dev/null
}

check "set up the tenant and a key" setup
check "start nginx and spawn-fcgi" start_nginx_fcgi
check "crl_base_url is the server's URL" test "$base" = "$URL"
S=$URL/pub/scep

# A PENDING request, shown by scepadm request show.
expect "manual PKCSReq PENDING" 2 "$SCEPTEST" -u "$S" enroll -n \
    -k "$T/k1.pem" -s CN=dev-crl -c crl-secret-1
tx=$(sed -n 's/^PENDING txid=//p' "$T/last.out")
rid=$("$SCEPADM" -f "$CONF" request list --tenant pub |
    awk '$3 == "CN=dev-crl" { print $1 }')
check "request show ID (PENDING)" "$SCEPADM" -f "$CONF" request show "$rid"
grep_out "request show: the subject" "^subject: CN=dev-crl$"
grep_out "request show: PENDING" "^state: PENDING$"
grep_out "request show: the challenge passed" "^challenge: passed$"
grep_out "request show: the client address" "^client: 127\.0\.0\.1$"
grep_out "request show: the key" "^key: RSA 2048$"
check "request show --json" "$SCEPADM" -f "$CONF" request show "$rid" \
    --json
full=$(python3 -c 'import json, sys; o = json.load(open(sys.argv[1]))
print(o["tenant"] + ":" + o["id"].split(":")[1] + ":" + o["key_hash"])' \
    "$T/last.out")
check "approve the request" "$SCEPADM" -f "$CONF" request approve "$rid"
serial=$(head -n 1 "$T/last.out")
check "request show FULL-ID (ISSUED)" "$SCEPADM" -f "$CONF" request show \
    "$full"
grep_out "request show: ISSUED" "^state: ISSUED$"
grep_out "request show: the serial issued" "^serial: $serial$"
expect "poll after approval: SUCCESS" 0 "$SCEPTEST" -u "$S" poll \
    -k "$T/k1.pem" -s CN=dev-crl -t "$tx" -w "$T/c1.pem"

# The distribution point, and what it serves.
id=$(ca_id "$T/pub/ca.crt")
DP=$URL/pub/crl?ca=$id
check "the certificate names <crl_base_url>/pub/crl?ca=<CA id>" \
    test "$(crl_dp "$T/c1.pem")" = "$DP"
check "GET the CRL distribution point" fetch "$(crl_dp "$T/c1.pem")" \
    "$T/1.crl"
check "openssl crl -CAfile verifies the served CRL" sh -c "openssl crl \
    -inform DER -in '$T/1.crl' -CAfile '$T/pub/ca.crt' -noout 2>&1 |
    grep -q 'verify OK'"
check "curl the distribution point: 200 application/pkix-crl" test \
    "$(curl -s -o "$T/1c.crl" -w '%{http_code} %{content_type}' "$DP")" \
    = "200 application/pkix-crl"
check "  openssl crl -verify accepts it with the CA certificate" sh -c \
    "openssl crl -inform DER -in '$T/1c.crl' -CAfile '$T/pub/ca.crt' \
    -verify -noout 2>&1 | grep -q 'verify OK'"
check "  the same CRL as /pub/crl without a query" sh -c \
    "curl -sf -o '$T/1q.crl' '$URL/pub/crl' && cmp '$T/1c.crl' '$T/1q.crl'"
check "HEAD on the distribution point: 200" test \
    "$(status -I "$DP")" = 200
check "POST to the distribution point: 405" test \
    "$(status --data x "$DP")" = 405
check "an unknown CA id: 404" test \
    "$(status "$URL/pub/crl?ca=$(printf '%032d' 0)")" = 404
check "the id of the RA's key (not a CA): 404" test \
    "$(status "$URL/pub/crl?ca=$(ca_id "$T/pub/ra.crt")")" = 404
upper=$(printf %s "$id" | tr a-f A-F)
# The id with its first digit percent-encoded: ids are never decoded.
enc=$(printf '%%%02x' "'${id:0:1}")${id:1}
for q in "ca=$upper" "ca=${id%?}" "ca=${id}0" "ca=" "ca" "CA=$id" \
    "ca=$id&x=1" "x=1&ca=$id" "ca=$enc" "ca=$id%00" "foo" "&"; do
	check "garbage query ?$q: 400" test \
	    "$(status "$URL/pub/crl?$q")" = 400
done
n1=$(crl_num "$T/1.crl")
fetch "$URL/pub/crl" "$T/1b.crl"
check "the same CRL is served again inside crl_margin" \
    cmp "$T/1.crl" "$T/1b.crl"
check "scepadm cert revoke" "$SCEPADM" -f "$CONF" cert revoke "$serial" \
    --reason keyCompromise
check "GET the CRL after the revocation" fetch "$URL/pub/crl" "$T/2.crl"
n2=$(crl_num "$T/2.crl")
check "the CRL number grew ($n1 -> $n2)" test $((n2)) -gt $((n1))
check "the new CRL verifies and lists the serial" sh -c "openssl crl \
    -inform DER -in '$T/2.crl' -CAfile '$T/pub/ca.crt' -noout -text \
    2>&1 | grep -q 'Serial Number: $serial'"
check "the distribution point serves that CRL too" sh -c \
    "curl -sf -o '$T/2c.crl' '$DP' && cmp '$T/2.crl' '$T/2c.crl'"

# scepadm issue: the same distribution point.
check "scepadm issue" "$SCEPADM" -f "$CONF" issue pub --csr "$T/gw.csr" \
    -o "$T/gw.crt"
check "scepadm issue: the distribution point too" \
    test "$(crl_dp "$T/gw.crt")" = "$DP"

# mobileconfig: CAFingerprint is the top of what GetCACert serves.
mkdir -p "$T/getca"
check "GetCACert" "$SCEPTEST" -u "$S" getca -o "$T/getca"
check "mobileconfig" "$SCEPADM" -f "$CONF" mobileconfig pub --url "$S" \
    -o "$T/crl.mobileconfig"
check "CAFingerprint is the SHA-1 of the served CA" python3 -c '
import glob, hashlib, plistlib, subprocess, sys
p = plistlib.load(open(sys.argv[1], "rb"))
fp = p["PayloadContent"][0]["PayloadContent"]["CAFingerprint"]
served = []
for f in sorted(glob.glob(sys.argv[2] + "/*")):
    d = subprocess.run(["openssl", "x509", "-in", f, "-outform", "DER"],
        capture_output=True).stdout
    if d:
        served.append(hashlib.sha1(d).digest())
assert fp in served, (fp, served)
ca = subprocess.run(["openssl", "x509", "-in", sys.argv[3], "-outform",
    "DER"], capture_output=True, check=True).stdout
assert fp == hashlib.sha1(ca).digest()
' "$T/crl.mobileconfig" "$T/getca" "$T/pub/ca.crt"
finish
