# suite.sh: the client tests run against every server set-up (sourced
# after lib.sh by nginx.t and lighttpd.t).  $URL is the server, $L a
# label; the tenants are made by setup_tenants.

# setup_tenants: "demo" (RSA CA + RA, static challenge, DES allowed for
# micromdm scepclient 2.1.0), "manual" (operator approval), "strict"
# (default algorithms: no DES, no MD5), "single" (--no-ra RSA CA) and
# "ec" (EC P-256 CA with an RSA RA).
setup_tenants() {
	make_conf
	make_tenant demo --challenge static --password demo-secret-1 \
	    --allow-des || return 1
	make_tenant manual --challenge static --password manual-secret \
	    --approval manual || return 1
	make_tenant strict --challenge static --password strict-secret ||
	    return 1
	make_tenant single --no-ra --challenge static \
	    --password single-secret || return 1
	make_tenant ec --key ec --curve P-256 --challenge static \
	    --password ec-secret-123 --allow-des || return 1
	echo "default_tenant = demo" >"$T/global"
	# default_tenant is a global setting: put it before the sections.
	{ cat "$T/global"; cat "$CONF"; } >"$CONF.new" && mv "$CONF.new" "$CONF"
}

# The issuer check every issued certificate gets.
verify_cert() {
	openssl verify -CAfile "$T/$1/ca.crt" "$2"
}

# curl a SCEP GET operation; prints "STATUS CONTENT-TYPE" and the body
# into $T/body.
scep_get() {
	curl -s -o "$T/body" -w '%{http_code} %{content_type}\n' "$1"
}

# The ID scepadm request list shows for the pending request of subject $1.
request_id() {
	"$SCEPADM" -f "$CONF" request list --tenant manual |
	    awk -v s="$1" '$3 == s { print $1 }' | head -n 1
}

run_suite() {
	L=$1
	u=$URL/demo/scep

	# GetCACaps, GetCACert, routing.
	check "$L: GetCACaps" scep_get "$u?operation=GetCACaps"
	check "$L: caps list AES, POSTPKIOperation, SHA-256, DES3" sh -c \
	    "grep -qx AES '$T/body' && grep -qx POSTPKIOperation '$T/body' &&
	    grep -qx SHA-256 '$T/body' && grep -qx DES3 '$T/body'"
	scep_get "$u?operation=GetCACert&message=CAIdentifier" >"$T/last.out"
	grep_out "$L: GetCACert RA bundle content type" \
	    '^200 application/x-x509-ca-ra-cert$'
	scep_get "$URL/single/scep?operation=GetCACert" >"$T/last.out"
	grep_out "$L: GetCACert single CA content type" \
	    '^200 application/x-x509-ca-cert$'
	check "$L: single-CA body is the CA certificate" sh -c \
	    "openssl x509 -inform DER -in '$T/body' -noout -fingerprint -sha256 |
	    grep -q \"\$(openssl x509 -in '$T/single/ca.crt' -noout -fingerprint -sha256 | cut -d= -f2)\""
	scep_get "$URL/scep?operation=GetCACaps" >"$T/last.out"
	grep_out "$L: /scep is the default tenant" '^200 text/plain$'
	scep_get "$URL/cgi-bin/pkiclient.exe?operation=GetCACaps" \
	    >"$T/last.out"
	grep_out "$L: /cgi-bin/pkiclient.exe is the default tenant" '^200 '
	scep_get "$URL/nosuch/scep?operation=GetCACaps" >"$T/last.out"
	grep_out "$L: unknown tenant is 404" '^404 '
	curl -s --path-as-is -o "$T/body" -w '%{http_code}\n' \
	    "$URL/demo/../demo/scep?operation=GetCACaps" >"$T/last.out"
	grep_out "$L: a path with .. is 404" '^(404|400)'
	scep_get "$URL/demo/%2e%2e/scep?operation=GetCACaps" >"$T/last.out"
	grep_out "$L: an encoded .. is 404" '^404 '
	scep_get "$u?operation=GetNextCACert" >"$T/last.out"
	grep_out "$L: GetNextCACert without rollover is 404" '^404 '

	# Our own client, every cipher and digest the tenant allows.
	for c in aes128 aes192 aes256 3des des; do
		expect "$L: enrol POST $c" 0 "$SCEPTEST" -u "$u" enroll \
		    -k "$T/k-$L-$c.pem" -s "CN=$L-$c" -c demo-secret-1 -E "$c" \
		    -w "$T/c-$L-$c.pem"
		check "$L: openssl verify ($c)" verify_cert demo \
		    "$T/c-$L-$c.pem"
	done
	for d in sha1 sha224 sha256 sha384 sha512; do
		expect "$L: enrol GET $d" 0 "$SCEPTEST" -u "$u" enroll -g \
		    -k "$T/k-$L-$d.pem" -s "CN=$L-get-$d" -c demo-secret-1 \
		    -S "$d" -w "$T/c-$L-$d.pem"
	done
	expect "$L: MD5 refused (badAlg)" 3 "$SCEPTEST" -u "$u" enroll \
	    -k "$T/k-$L-md5.pem" -s "CN=$L-md5" -c demo-secret-1 -S md5
	grep_out "$L: MD5 failInfo" 'failInfo=badAlg'
	expect "$L: DES refused by a strict tenant" 3 "$SCEPTEST" \
	    -u "$URL/strict/scep" enroll -k "$T/k-$L-sdes.pem" \
	    -s "CN=$L-sdes" -c strict-secret -E des
	grep_out "$L: DES failInfo" 'failInfo=badAlg'
	expect "$L: wrong challenge refused" 3 "$SCEPTEST" -u "$u" enroll \
	    -k "$T/k-$L-wrong.pem" -s "CN=$L-wrong" -c not-the-secret
	grep_out "$L: wrong challenge failInfo" \
	    'failInfo=badRequest.*wrong challenge'
	expect "$L: missing challenge refused" 3 "$SCEPTEST" -u "$u" enroll \
	    -k "$T/k-$L-nochal.pem" -s "CN=$L-nochal"
	expect "$L: single-CA tenant enrols" 0 "$SCEPTEST" \
	    -u "$URL/single/scep" enroll -k "$T/k-$L-single.pem" \
	    -s "CN=$L-single" -c single-secret -w "$T/c-$L-single.pem"
	check "$L: single-CA certificate verifies" verify_cert single \
	    "$T/c-$L-single.pem"
	expect "$L: EC CA through its RSA RA" 0 "$SCEPTEST" \
	    -u "$URL/ec/scep" enroll -k "$T/k-$L-ec.pem" -s "CN=$L-ec" \
	    -c ec-secret-123 -w "$T/c-$L-ec.pem"
	check "$L: EC CA certificate verifies" verify_cert ec "$T/c-$L-ec.pem"

	# Renewal: signed by the issued certificate, no challenge.
	expect "$L: renewal (PKCSReq signed by our certificate)" 0 \
	    "$SCEPTEST" -u "$u" enroll -k "$T/k-$L-aes128.pem" \
	    -s "CN=$L-aes128" -O "$T/c-$L-aes128.pem" \
	    -K "$T/k-$L-aes128.pem" -w "$T/c-$L-renew.pem"
	expect "$L: renewal (RenewalReq, new key)" 0 "$SCEPTEST" -u "$u" \
	    enroll -r -k "$T/k-$L-newkey.pem" -s "CN=$L-aes128" \
	    -O "$T/c-$L-renew.pem" -K "$T/k-$L-aes128.pem" \
	    -w "$T/c-$L-renew2.pem"
	expect "$L: renewal may not change the subject" 3 "$SCEPTEST" \
	    -u "$u" enroll -k "$T/k-$L-aes192.pem" -s "CN=someone-else" \
	    -O "$T/c-$L-aes192.pem" -K "$T/k-$L-aes192.pem"
	grep_out "$L: subject change failInfo" 'renewal must keep the subject'

	# GetCert and GetCRL.
	serial=$(openssl x509 -in "$T/c-$L-aes256.pem" -noout -serial |
	    cut -d= -f2)
	expect "$L: GetCert of our own certificate" 0 "$SCEPTEST" -u "$u" \
	    getcert -O "$T/c-$L-aes256.pem" -K "$T/k-$L-aes256.pem" \
	    -s "$serial" -w "$T/got.pem"
	check "$L: GetCert returned that certificate" cmp \
	    "$T/c-$L-aes256.pem" "$T/got.pem"
	expect "$L: GetCert of another key's certificate refused" 3 \
	    "$SCEPTEST" -u "$u" getcert -O "$T/c-$L-3des.pem" \
	    -K "$T/k-$L-3des.pem" -s "$serial"
	grep_out "$L: GetCert failInfo" 'failInfo=badCertId'
	expect "$L: GetCRL" 0 "$SCEPTEST" -u "$u" getcrl \
	    -O "$T/c-$L-aes256.pem" -K "$T/k-$L-aes256.pem" -w "$T/crl.pem"
	check "$L: the CRL verifies" openssl crl -in "$T/crl.pem" \
	    -CAfile "$T/demo/ca.crt" -noout
	scep_get "$URL/demo/crl" >"$T/last.out"
	grep_out "$L: /demo/crl serves the DER CRL" '^200 application/pkix-crl$'
	check "$L: /demo/crl verifies" openssl crl -inform DER -in "$T/body" \
	    -CAfile "$T/demo/ca.crt" -noout

	# Manual approval: PENDING, approve, poll; reject.
	expect "$L: manual tenant answers PENDING" 2 "$SCEPTEST" \
	    -u "$URL/manual/scep" enroll -n -k "$T/k-$L-man.pem" \
	    -s "CN=$L-manual" -c manual-secret -t "$L-manual-tx"
	check "$L: scepadm request list shows it" sh -c \
	    "'$SCEPADM' -f '$CONF' request list --tenant manual | grep -q '$L-manual'"
	id=$(request_id "CN=$L-manual")
	expect "$L: poll while PENDING" 2 "$SCEPTEST" -u "$URL/manual/scep" \
	    poll -k "$T/k-$L-man.pem" -s "CN=$L-manual" -t "$L-manual-tx"
	check "$L: scepadm request approve" "$SCEPADM" -f "$CONF" request \
	    approve "$id"
	expect "$L: poll after approval gets the certificate" 0 "$SCEPTEST" \
	    -u "$URL/manual/scep" poll -k "$T/k-$L-man.pem" \
	    -s "CN=$L-manual" -t "$L-manual-tx" -w "$T/c-$L-man.pem"
	check "$L: approved certificate verifies" verify_cert manual \
	    "$T/c-$L-man.pem"
	expect "$L: second manual request PENDING" 2 "$SCEPTEST" \
	    -u "$URL/manual/scep" enroll -n -k "$T/k-$L-rej.pem" \
	    -s "CN=$L-rejected" -c manual-secret -t "$L-reject-tx"
	id=$(request_id "CN=$L-rejected")
	check "$L: scepadm request reject" "$SCEPADM" -f "$CONF" request \
	    reject "$id" --reason "not ours"
	expect "$L: poll after rejection gets FAILURE" 3 "$SCEPTEST" \
	    -u "$URL/manual/scep" poll -k "$T/k-$L-rej.pem" \
	    -s "CN=$L-rejected" -t "$L-reject-tx"
	expect "$L: poll for an unknown transaction: badCertId" 3 \
	    "$SCEPTEST" -u "$URL/manual/scep" poll -k "$T/k-$L-rej.pem" \
	    -s "CN=$L-rejected" -t "$L-no-such-tx"
	grep_out "$L: unknown poll failInfo" 'failInfo=badCertId'

	# Revocation blocks renewal.
	serial=$(openssl x509 -in "$T/c-$L-sha256.pem" -noout -serial |
	    cut -d= -f2)
	check "$L: scepadm cert revoke" "$SCEPADM" -f "$CONF" cert revoke \
	    "$serial" --tenant demo --reason keyCompromise
	expect "$L: renewal with a revoked certificate refused" 3 \
	    "$SCEPTEST" -u "$u" enroll -k "$T/k-$L-sha256.pem" \
	    -s "CN=$L-get-sha256" -O "$T/c-$L-sha256.pem" \
	    -K "$T/k-$L-sha256.pem"
	check "$L: the CRL lists the revoked serial" sh -c \
	    "curl -sf '$URL/demo/crl' | openssl crl -inform DER -noout -text |
	    grep -qi '$serial'"

	# Hostile input: never a crash, always a clear status.
	head -c 3000 /dev/urandom >"$T/junk"
	expect "$L: random bytes answered" 0 "$SCEPTEST" -u "$u" raw \
	    -f "$T/junk"
	grep_out "$L: random bytes status" 'HTTP 400'
	head -c 200000 /dev/zero >"$T/huge"
	expect "$L: a huge body answered" 0 "$SCEPTEST" -u "$u" raw \
	    -f "$T/huge"
	grep_out "$L: huge body status" 'HTTP 413'
	scep_get "$u?operation=PKIOperation&message=%%%" >"$T/last.out"
	grep_out "$L: bad GET encoding is 400" '^400 '
	scep_get "$u?operation=Bogus" >"$T/last.out"
	grep_out "$L: unknown operation is 400" '^400 '
	check "$L: still serving after the hostile requests" scep_get \
	    "$u?operation=GetCACaps"
}

# micromdm scepclient 2.1.0 (Debian scep): enrol (single DES), renew,
# and a wrong challenge.
run_scepclient() {
	L=$1
	d=$T/scepclient-$L
	mkdir -p "$d"
	check "$L: scepclient enrols" sh -c "cd '$d' && scepclient \
	    -server-url '$URL/demo/scep' -private-key '$d/client.key' \
	    -certificate '$d/client.pem' -cn 'scepclient-$L' \
	    -challenge demo-secret-1"
	check "$L: scepclient certificate verifies" verify_cert demo \
	    "$d/client.pem"
	mkdir -p "$d/wrong"
	expect "$L: scepclient with a wrong challenge fails" 1 sh -c "cd '$d/wrong' && scepclient \
	    -server-url '$URL/demo/scep' -private-key '$d/wrong/client.key' \
	    -certificate '$d/wrong/client.pem' -cn 'scepclient-wrong-$L' \
	    -challenge wrong-password"
}
