#!/bin/sh
# scepadm.sh: scepadm(8) driven as an operator drives it, in a temporary
# directory: tenant create (RSA, EC with RA, --no-ra, P-384 with a
# subject, ownership as root), file modes, certificate checks with
# openssl, the configuration checked by scepd -n, refusals (duplicate
# tenant, existing files, bad options), request list, crl, cert revoke
# (an unknown serial, the RA certificate the store records) and CRL
# verification.  Pending-request approval is tested end to end by the
# integration tests (tests/integ/), which enrol over SCEP.
#
# Environment: top_srcdir; the build directory is the working directory
# (BUILDDIR overrides it).  Prints PASS/FAIL lines; exits 1 on failure.
set -u

B=${BUILDDIR:-$(pwd)}
ADM=$B/src/scepadm
SCEPD=$B/cgi-bin/scepd
T=$(mktemp -d /tmp/scepadm-test.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
CONF=$T/scepd.conf
OUT=$T/out
fail=0
npass=0

pass() {
	npass=$((npass + 1))
	echo "PASS: $*"
}

failed() {
	fail=1
	echo "FAIL: $*"
	[ -s "$OUT" ] && sed 's/^/#   /' "$OUT" | tail -n 15
}

# expect STATUS TEXT COMMAND...: the command exits with STATUS.
expect() {
	want=$1
	text=$2
	shift 2
	"$@" >"$OUT" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then
		pass "$text"
	else
		failed "$text (exit $got, wanted $want)"
	fi
}

# out_has TEXT REGEX: the last output matches the extended REGEX.
out_has() {
	if grep -qE -- "$2" "$OUT"; then
		pass "$1"
	else
		failed "$1 (no /$2/ in the output)"
	fi
}

# mode_is FILE MODE: the octal permission bits of FILE.
mode_is() {
	m=$(stat -c %a "$1")
	if [ "$m" = "$2" ]; then
		pass "$(basename "$(dirname "$1")")/$(basename "$1") mode $2"
	else
		failed "$1 has mode $m, wanted $2"
	fi
}

# keyusage_is CERT TEXT: the keyUsage line openssl prints, exactly.
keyusage_is() {
	ku=$(openssl x509 -in "$1" -noout -ext keyUsage 2>/dev/null |
	    sed -n '2s/^ *//p')
	if [ "$ku" = "$2" ]; then
		pass "$(basename "$(dirname "$1")")/$(basename "$1") keyUsage: $2"
	else
		failed "$1 keyUsage '$ku', wanted '$2'"
	fi
}

if [ ! -x "$ADM" ]; then
	echo "FAIL: $ADM not built"
	exit 1
fi

# --- usage and help -------------------------------------------------
expect 0 "scepadm --help" "$ADM" --help
out_has "--help lists tenant create" "tenant create NAME"
expect 2 "no command is a usage error" "$ADM"
expect 2 "unknown command is a usage error" "$ADM" frobnicate
expect 2 "unknown subcommand is a usage error" "$ADM" tenant frobnicate
for c in "tenant create" "request list" "request approve" \
    "request reject" "cert revoke" "crl"; do
	# shellcheck disable=SC2086
	expect 0 "$c --help" "$ADM" $c --help
	out_has "$c --help shows its usage" "^usage: scepadm .*$c"
done
expect 2 "tenant create without NAME" "$ADM" -f "$CONF" tenant create
expect 2 "tenant create --bits 1024 refused" \
    "$ADM" -f "$CONF" tenant create x --bits 1024
expect 2 "tenant create --key ec --no-ra refused" \
    "$ADM" -f "$CONF" tenant create x --key ec --no-ra
expect 2 "tenant create --curve without --key ec refused" \
    "$ADM" -f "$CONF" tenant create x --curve P-256
expect 2 "an open CA needs --open-enrolment" \
    "$ADM" -f "$CONF" tenant create x --challenge none
expect 2 "a short --password refused" \
    "$ADM" -f "$CONF" tenant create x --password short
expect 2 "an unknown option is a usage error" \
    "$ADM" -f "$CONF" tenant create x --frob
expect 1 "a bad tenant name is refused" \
    "$ADM" -f "$CONF" tenant create Bad.Name
out_has "the message names the rule" "^scepadm: bad tenant name"
[ -e "$CONF" ] && failed "a refused create wrote $CONF" ||
    pass "refused creates wrote no configuration"

# --- tenant create: RSA, the defaults -------------------------------
expect 0 "tenant create rsa (defaults, new config)" \
    "$ADM" -f "$CONF" tenant create rsa --dir "$T/rsa"
cp "$OUT" "$T/rsa.create"
out_has "prints the CA fingerprint" \
    "^CA SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}$"
out_has "prints the RA fingerprint" \
    "^RA SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}$"
out_has "prints a generated challenge once" "^Challenge: [A-Za-z0-9]{20}$"
fp=$(openssl x509 -in "$T/rsa/ca.crt" -noout -fingerprint -sha256 |
    sed 's/^[^=]*=//')
grep -q "^CA SHA-256 fingerprint: $fp\$" "$T/rsa.create" &&
    pass "the printed CA fingerprint is the certificate's" ||
    failed "printed CA fingerprint differs from openssl's $fp"
pw=$(sed -n 's/^Challenge: //p' "$T/rsa.create")
grep -q "^challenge_password = $pw\$" "$CONF" &&
    pass "the challenge is in the configuration" ||
    failed "challenge_password missing from $CONF"
for f in ca.key ra.key; do mode_is "$T/rsa/$f" 640; done
for f in ca.crt ra.crt; do mode_is "$T/rsa/$f" 644; done
mode_is "$CONF" 640
grep -q "^database = $T/db\$" "$CONF" &&
    pass "a new configuration names the database next to it" ||
    failed "no database = $T/db in $CONF"
[ -f "$T/db/data.mdb" ] && pass "the database was created" ||
    failed "no $T/db/data.mdb"
expect 0 "RSA: openssl verify -CAfile ca.crt ra.crt" \
    openssl verify -CAfile "$T/rsa/ca.crt" "$T/rsa/ra.crt"
keyusage_is "$T/rsa/ca.crt" "Certificate Sign, CRL Sign"
keyusage_is "$T/rsa/ra.crt" "Digital Signature, Key Encipherment"
expect 0 "RSA CA basicConstraints" \
    openssl x509 -in "$T/rsa/ca.crt" -noout -ext basicConstraints
out_has "CA:TRUE with pathlen 0" "CA:TRUE, pathlen:0"
expect 0 "RSA CA key" openssl x509 -in "$T/rsa/ca.crt" -noout -text
out_has "the CA key is RSA 2048" "Public-Key: \(2048 bit\)"
out_has "the CA is valid for 20 years" \
    "Not After : .* $(( $(date -u +%Y) + 20 )) GMT"
expect 0 "RA key" openssl x509 -in "$T/rsa/ra.crt" -noout -text
out_has "the RA key is RSA 2048" "Public-Key: \(2048 bit\)"
out_has "the RA subject ends in RA" "Subject: CN ?= ?rsa SCEP RA"
expect 0 "the RA key matches its certificate" sh -c \
    "[ \"\$(openssl pkey -in '$T/rsa/ra.key' -pubout)\" = \
    \"\$(openssl x509 -in '$T/rsa/ra.crt' -noout -pubkey)\" ]"

# --- tenant create: EC P-256 with an RSA RA -------------------------
expect 0 "tenant create ec (P-256, RA, manual, allow-des)" \
    "$ADM" -f "$CONF" tenant create ec --key ec --curve P-256 \
    --dir "$T/ec" --approval manual --allow-des --password 'pa$$ "word\'
cp "$OUT" "$T/ec.create"
rafp=$(openssl x509 -in "$T/ec/ra.crt" -noout -fingerprint -sha256 |
    sed 's/^[^=]*=//; s/://g' | tr 'A-F' 'a-f')
out_has "EC: the scepclient note gives the RA fingerprint" \
    "^ +-ca-fingerprint $rafp\$"
out_has "EC: a given password is printed" "^Challenge: pa\\\$\\\$ \"word\\\\\$"
expect 0 "EC: openssl verify -CAfile ca.crt ra.crt" \
    openssl verify -CAfile "$T/ec/ca.crt" "$T/ec/ra.crt"
keyusage_is "$T/ec/ca.crt" "Certificate Sign, CRL Sign"
keyusage_is "$T/ec/ra.crt" "Digital Signature, Key Encipherment"
expect 0 "EC CA key" openssl x509 -in "$T/ec/ca.crt" -noout -text
out_has "EC: the CA key is on P-256" "NIST CURVE: P-256|prime256v1"
expect 0 "EC RA key" openssl x509 -in "$T/ec/ra.crt" -noout -text
out_has "EC: the RA key is RSA 2048" "Public-Key: \(2048 bit\)"
for f in ca.key ra.key; do mode_is "$T/ec/$f" 640; done

# --- tenant create: --no-ra, default directory ----------------------
expect 0 "tenant create single --no-ra (challenge none, manual)" \
    "$ADM" -f "$CONF" tenant create single --no-ra --challenge none \
    --approval manual --days 365 --pathlen 1
cp "$OUT" "$T/single.create"
out_has "--no-ra: the certmonger note" "cannot serve certmonger"
[ -f "$T/single/ca.crt" ] && [ ! -e "$T/single/ra.crt" ] &&
    [ ! -e "$T/single/ra.key" ] &&
    pass "--no-ra: CA files next to the configuration, no RA files" ||
    failed "--no-ra: unexpected files in $T/single"
grep -q "^Challenge:" "$T/single.create" &&
    failed "challenge none printed a Challenge: line" ||
    pass "challenge none prints no password"
keyusage_is "$T/single/ca.crt" \
    "Digital Signature, Key Encipherment, Certificate Sign, CRL Sign"
expect 0 "--no-ra CA basicConstraints" \
    openssl x509 -in "$T/single/ca.crt" -noout -ext basicConstraints
out_has "--pathlen 1" "CA:TRUE, pathlen:1"
mode_is "$T/single/ca.key" 640

# --- tenant create: P-384, subject ----------------------------------
expect 0 "tenant create p384 --subject" \
    "$ADM" -f "$CONF" tenant create p384 --key ec --curve P-384 \
    --dir "$T/p384" --subject '/CN=Example CA/O=Example\/Org'
expect 0 "P-384 CA" openssl x509 -in "$T/p384/ca.crt" -noout -text
out_has "P-384: the CA key is on P-384" "NIST CURVE: P-384|secp384r1"
out_has "P-384: the subject as given" "Subject: CN ?= ?Example CA, O ?= ?Example/Org"
expect 0 "P-384 RA" openssl x509 -in "$T/p384/ra.crt" -noout -subject
out_has "P-384: the RA's CN ends in RA" "CN ?= ?Example RA, O ?= ?Example/Org"
expect 0 "P-384: openssl verify -CAfile ca.crt ra.crt" \
    openssl verify -CAfile "$T/p384/ca.crt" "$T/p384/ra.crt"

# --- the configuration parses and loads ------------------------------
if [ -x "$SCEPD" ]; then
	expect 0 "scepd -n accepts the configuration and keys" \
	    "$SCEPD" -n -f "$CONF"
	out_has "scepd -n counts 4 tenants" "4 tenants"
else
	failed "$SCEPD not built: cannot check the configuration"
fi

# --- refusals --------------------------------------------------------
sum=$(cksum <"$CONF")
expect 1 "a duplicate tenant is refused" \
    "$ADM" -f "$CONF" tenant create rsa --dir "$T/rsa2"
out_has "the duplicate message" "tenant 'rsa' already exists"
[ ! -e "$T/rsa2" ] && pass "a refused duplicate made no directory" ||
    failed "a refused duplicate made $T/rsa2"
expect 1 "existing files are refused" \
    "$ADM" -f "$CONF" tenant create other --dir "$T/rsa"
out_has "the existing-file message" "ca.key exists"
[ "$(cksum <"$CONF")" = "$sum" ] &&
    pass "refusals left the configuration unchanged" ||
    failed "a refused create changed $CONF"
expect 2 "--database with an existing configuration is refused" \
    "$ADM" -f "$CONF" tenant create other --database "$T/db2"

# --- requests --------------------------------------------------------
expect 0 "request list (empty)" "$ADM" -f "$CONF" request list
[ ! -s "$OUT" ] && pass "an empty list prints nothing" ||
    failed "an empty list printed something"
expect 0 "request list --json (empty)" \
    "$ADM" -f "$CONF" request list --json
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != [])' \
    "$OUT" && pass "an empty JSON list is []" ||
    failed "request list --json is not []"
expect 0 "request list --tenant ec (via SCEPD_CONF)" \
    env SCEPD_CONF="$CONF" "$ADM" request list --tenant ec
expect 1 "request list of an unknown tenant" \
    "$ADM" -f "$CONF" request list --tenant nosuch
out_has "names the tenant" "no tenant 'nosuch'"
expect 1 "request approve of a malformed ID" \
    "$ADM" -f "$CONF" request approve garbage
out_has "says what an ID looks like" "expected TENANT:TXID:KEYHASH"
expect 1 "request approve of an unknown request" \
    "$ADM" -f "$CONF" request approve ec:616263:0011223344556677
out_has "says it is not pending" "no PENDING request"
expect 1 "request reject of an unknown request" \
    "$ADM" -f "$CONF" request reject ec:616263:0011223344556677 \
    --reason "unknown device"
expect 2 "request approve without an ID" "$ADM" -f "$CONF" request approve

# --- CRLs ------------------------------------------------------------
expect 0 "crl rsa -o FILE" "$ADM" -f "$CONF" crl rsa -o "$T/rsa.crl"
mode_is "$T/rsa.crl" 644
expect 0 "the RSA CRL verifies against the CA" \
    openssl crl -inform DER -in "$T/rsa.crl" -CAfile "$T/rsa/ca.crt" -noout
out_has "openssl says verify OK" "verify OK"
expect 0 "crl ec --pem to a pipe" sh -c \
    "'$ADM' -f '$CONF' crl ec --pem >'$T/ec.pem'"
expect 0 "the EC (ECDSA) CRL verifies against the CA" \
    openssl crl -in "$T/ec.pem" -CAfile "$T/ec/ca.crt" -noout
expect 0 "crl single (a --no-ra CA) to stdout" sh -c \
    "'$ADM' -f '$CONF' crl single >'$T/single.crl'"
expect 0 "the --no-ra CRL verifies" openssl crl -inform DER \
    -in "$T/single.crl" -CAfile "$T/single/ca.crt" -noout
n1=$(openssl crl -inform DER -in "$T/rsa.crl" -noout -crlnumber |
    sed 's/.*=//')
expect 0 "a second crl rsa" "$ADM" -f "$CONF" crl rsa -o "$T/rsa.crl"
n2=$(openssl crl -inform DER -in "$T/rsa.crl" -noout -crlnumber |
    sed 's/.*=//')
[ $((n2)) -gt $((n1)) ] && pass "CRL numbers grow ($n1 < $n2)" ||
    failed "CRL number did not grow: $n1 then $n2"
expect 1 "crl of an unknown tenant" "$ADM" -f "$CONF" crl nosuch
out_has "names the tenant" "no tenant 'nosuch'"

# --- revocation ------------------------------------------------------
expect 1 "revoking an unknown serial fails" \
    "$ADM" -f "$CONF" cert revoke 0123456789ABCDEF
out_has "with a clear message" \
    "^scepadm: no certificate with serial 0123456789ABCDEF in any tenant"
expect 1 "revoking an unknown serial in a tenant fails" \
    "$ADM" -f "$CONF" cert revoke 0123456789ABCDEF --tenant rsa
out_has "naming the tenant" "no certificate with serial .* in tenant rsa"
expect 2 "a malformed serial is a usage error" \
    "$ADM" -f "$CONF" cert revoke 12xz
expect 2 "an unknown reason is a usage error" \
    "$ADM" -f "$CONF" cert revoke 01 --reason certificateHold
# The RA certificate is recorded in the database: revoke it.
serial=$(openssl x509 -in "$T/p384/ra.crt" -noout -serial | sed 's/.*=//')
expect 0 "revoke the P-384 tenant's RA (0x, colons, lower case)" \
    "$ADM" -f "$CONF" cert revoke "0x$(echo "$serial" |
    sed 's/\(..\)/\1:/g; s/:$//' | tr 'A-F' 'a-f')" --reason superseded
out_has "revoke prints the serial" "^revoked $serial of tenant p384$"
out_has "revoke regenerates the CRL" "^CRL number [0-9]+$"
expect 1 "revoking twice fails" "$ADM" -f "$CONF" cert revoke "$serial"
out_has "says it is revoked" "already revoked"
expect 0 "crl p384" "$ADM" -f "$CONF" crl p384 -o "$T/p384.crl"
expect 0 "the P-384 CRL verifies and lists the RA" \
    openssl crl -inform DER -in "$T/p384.crl" -CAfile "$T/p384/ca.crt" \
    -noout -text
out_has "the revoked serial is listed" "Serial Number: $serial"
out_has "with its reason" "Superseded"

# --- ownership, when run as root ------------------------------------
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 &&
    getent group nogroup >/dev/null 2>&1; then
	O=$T/own
	mkdir "$O" && chmod 0755 "$T" "$O"
	expect 0 "tenant create --user nobody --group nogroup" \
	    "$ADM" -f "$O/scepd.conf" tenant create own --user nobody \
	    --group nogroup
	[ "$(stat -c %U:%G:%a "$O/own/ca.key")" = root:nogroup:640 ] &&
	    pass "keys are root:nogroup 0640" ||
	    failed "ca.key is $(stat -c %U:%G:%a "$O/own/ca.key")"
	[ "$(stat -c %U:%G:%a "$O/scepd.conf")" = root:nogroup:640 ] &&
	    pass "a new configuration is root:nogroup 0640" ||
	    failed "scepd.conf is $(stat -c %U:%G:%a "$O/scepd.conf")"
	expect 0 "crl as root on a database owned by nobody" \
	    "$ADM" -f "$O/scepd.conf" crl own -o "$O/own.crl"
	owners=$(stat -c %U "$O/db" "$O/db/data.mdb" "$O/db/lock.mdb" |
	    sort -u)
	[ "$owners" = nobody ] &&
	    pass "the database stays owned by the workers' user" ||
	    failed "database owners: $owners"
	expect 0 "the worker user can read the key, not write it" \
	    su nobody -s /bin/sh -c "test -r '$O/own/ca.key' &&
	    ! test -w '$O/own/ca.key'"
else
	echo "SKIP: ownership tests need root, user nobody, group nogroup"
fi

if [ "$fail" -eq 0 ]; then
	echo "PASS: scepadm ($npass checks)"
else
	echo "FAIL: scepadm"
fi
exit "$fail"
