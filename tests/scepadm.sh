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

# --- tenant list, show, check ----------------------------------------
for c in "tenant import" "tenant list" "tenant show" "tenant check" \
    "issue" "request show" "cert show" "cert export" "mobileconfig" \
    "ca rollover"; do
	# shellcheck disable=SC2086
	expect 0 "$c --help" "$ADM" $c --help
	out_has "$c --help shows its usage" "^usage: scepadm .*$c"
done
expect 0 "tenant list" "$ADM" -f "$CONF" tenant list
out_has "tenant list has a header" "^TENANT +CHALLENGE +APPROVAL"
out_has "tenant list shows the EC tenant as manual" "^ec +static +manual "
expect 0 "tenant list --json" "$ADM" -f "$CONF" tenant list --json
python3 -c '
import json, sys
l = json.load(open(sys.argv[1]))
names = [t["tenant"] for t in l]
assert names == ["rsa", "ec", "single", "p384"], names
assert all("challenge_password" not in t for t in l)
' "$OUT" && pass "tenant list --json: every tenant, no secrets" ||
    failed "tenant list --json"
expect 0 "tenant show rsa --json" "$ADM" -f "$CONF" tenant show rsa --json
sha1=$(openssl x509 -in "$T/rsa/ca.crt" -noout -fingerprint -sha1 |
    sed 's/^[^=]*=//')
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["tenant"] == "rsa" and o["approval"] == "auto"
assert o["ca_sha1_fingerprint"] == sys.argv[2], o["ca_sha1_fingerprint"]
assert o["ca_key"] == "RSA 2048" and o["ra_key"] == "RSA 2048"
assert o["ra_subject"] == "CN=rsa SCEP RA"
assert not any("password" in k or "secret" in k for k in o)
' "$OUT" "$sha1" && pass "tenant show: fingerprints, keys, no secrets" ||
    failed "tenant show rsa --json"
expect 0 "tenant show ec (text)" "$ADM" -f "$CONF" tenant show ec
out_has "tenant show: the CA key type" "^ca_key: EC P-256$"
grep -q 'pa\$\$' "$OUT" && failed "tenant show printed the password" ||
    pass "tenant show prints no challenge password"
expect 1 "tenant show of an unknown tenant" \
    "$ADM" -f "$CONF" tenant show nosuch
expect 0 "tenant check rsa is clean" "$ADM" -f "$CONF" tenant check rsa
[ ! -s "$OUT" ] && pass "a clean check prints nothing" ||
    failed "tenant check rsa printed something"
expect 1 "tenant check single (no RA, open for certmonger)" \
    "$ADM" -f "$CONF" tenant check single
out_has "check: a --no-ra tenant cannot serve certmonger" "certmonger"
expect 0 "tenant create soon --days 10 (an open CA)" "$ADM" -f "$CONF" \
    tenant create soon --days 10 --challenge none --open-enrolment \
    --dir "$T/soon"
expect 1 "tenant check soon" "$ADM" -f "$CONF" tenant check soon
out_has "check: the CA expires within 30 days" \
    "^CA certificate: expires within 30 days"
out_has "check: the RA expires within 30 days" \
    "^RA certificate: expires within 30 days"
out_has "check: an open CA" "^open CA: challenge none with approval auto"
[ "$(wc -l <"$OUT")" -eq 3 ] && pass "check: one line a problem" ||
    failed "tenant check soon: not 3 lines"
chmod 0644 "$T/rsa/ca.key"
expect 1 "tenant check: a world-readable key" \
    "$ADM" -f "$CONF" tenant check rsa
out_has "check names the key file and its mode" "ca.key: mode 0644"
chmod 0640 "$T/rsa/ca.key"

# --- tenant import: an intermediate under an outside root ------------
I=$T/imp
mkdir "$I"
cat >"$I/ext.cnf" <<'EOC'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ra]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
[badra]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
EOC
(
	cd "$I" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key \
	    -subj "/CN=Outside Root" -days 3650 -out root.crt \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
	openssl req -new -newkey rsa:2048 -nodes -keyout int.key \
	    -subj "/CN=Outside Intermediate" -out int.csr &&
	openssl x509 -req -in int.csr -CA root.crt -CAkey root.key \
	    -CAcreateserial -days 1000 -extfile ext.cnf -extensions ca \
	    -out int.crt &&
	openssl req -new -newkey rsa:2048 -nodes -keyout ra.key \
	    -subj "/CN=Outside RA" -out ra.csr &&
	openssl x509 -req -in ra.csr -CA int.crt -CAkey int.key \
	    -CAcreateserial -days 900 -extfile ext.cnf -extensions ra \
	    -out ra.crt &&
	openssl x509 -req -in ra.csr -CA int.crt -CAkey int.key \
	    -CAcreateserial -days 900 -extfile ext.cnf -extensions badra \
	    -out badra.crt &&
	openssl x509 -req -in ra.csr -CA root.crt -CAkey root.key \
	    -CAcreateserial -days 900 -extfile ext.cnf -extensions ra \
	    -out foreignra.crt
) >"$OUT" 2>&1 && pass "an outside root, intermediate and RA" ||
    failed "openssl could not make the outside PKI"
sum=$(cksum <"$CONF")
expect 2 "tenant import without an RA" "$ADM" -f "$CONF" tenant import \
    imp --ca-cert "$I/int.crt" --ca-key "$I/int.key" --chain "$I/root.crt"
expect 1 "tenant import: an RA without keyEncipherment" \
    "$ADM" -f "$CONF" tenant import imp --dir "$T/impdir" \
    --ca-cert "$I/int.crt" --ca-key "$I/int.key" \
    --ra-cert "$I/badra.crt" --ra-key "$I/ra.key" --chain "$I/root.crt"
out_has "names the missing usage" "keyEncipherment"
expect 1 "tenant import: an RA the CA did not issue" \
    "$ADM" -f "$CONF" tenant import imp --dir "$T/impdir" \
    --ca-cert "$I/int.crt" --ca-key "$I/int.key" \
    --ra-cert "$I/foreignra.crt" --ra-key "$I/ra.key"
out_has "says so" "not issued by the CA"
expect 1 "tenant import: a CA key of another certificate" \
    "$ADM" -f "$CONF" tenant import imp --dir "$T/impdir" \
    --ca-cert "$I/int.crt" --ca-key "$I/ra.key" \
    --ra-cert "$I/ra.crt" --ra-key "$I/ra.key"
out_has "says the key does not match" "CA key does not match"
[ "$(cksum <"$CONF")" = "$sum" ] && [ ! -e "$T/impdir" ] &&
    pass "refused imports changed nothing" ||
    failed "a refused import left files or changed $CONF"
expect 0 "tenant import imp (intermediate, RA, chain)" \
    "$ADM" -f "$CONF" tenant import imp --dir "$T/impdir" \
    --ca-cert "$I/int.crt" --ca-key "$I/int.key" \
    --ra-cert "$I/ra.crt" --ra-key "$I/ra.key" --chain "$I/root.crt" \
    --approval manual
for f in ca.key ra.key; do mode_is "$T/impdir/$f" 640; done
for f in ca.crt ra.crt chain.crt; do mode_is "$T/impdir/$f" 644; done
grep -q "^chain = $T/impdir/chain.crt\$" "$CONF" &&
    pass "the section names the copied chain" ||
    failed "no chain = in $CONF"
expect 0 "the imported tenant checks clean" \
    "$ADM" -f "$CONF" tenant check imp
expect 0 "scepd -n loads the imported tenant" "$SCEPD" -n -f "$CONF"
expect 0 "the imported RA is recorded" \
    "$ADM" -f "$CONF" cert list --tenant imp
out_has "as origin ra" "^imp +[0-9A-F]+ +valid +.* ra +CN=Outside RA"

# --- issue, cert show/export/list ------------------------------------
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/gw.key" \
    -subj "/CN=gw.example/O=Example" -addext "subjectAltName=DNS:gw.example" \
    -out "$T/gw.csr" >/dev/null 2>&1
openssl req -new -newkey rsa:1024 -nodes -keyout "$T/small.key" \
    -subj "/CN=small" -out "$T/small.csr" >/dev/null 2>&1
expect 2 "issue without --csr" "$ADM" -f "$CONF" issue rsa
expect 1 "issue refuses a key outside key_sizes" \
    "$ADM" -f "$CONF" issue rsa --csr "$T/small.csr"
out_has "naming the key size" "key_sizes"
# A CSR whose signature does not verify: flip a byte of the signature.
python3 -c '
import sys, subprocess
der = bytearray(subprocess.run(["openssl", "req", "-in", sys.argv[1],
    "-outform", "DER"], capture_output=True, check=True).stdout)
der[-5] ^= 1
open(sys.argv[2], "wb").write(der)' "$T/gw.csr" "$T/bad.csr"
expect 1 "issue refuses a CSR with a bad signature" \
    "$ADM" -f "$CONF" issue rsa --csr "$T/bad.csr"
out_has "says the signature does not verify" "signature does not verify"
expect 0 "issue rsa --csr --days 30 -o" \
    "$ADM" -f "$CONF" issue rsa --csr "$T/gw.csr" --days 30 -o "$T/gw.crt"
expect 0 "the issued certificate verifies" \
    openssl verify -CAfile "$T/rsa/ca.crt" "$T/gw.crt"
gws=$(openssl x509 -in "$T/gw.crt" -noout -serial | sed 's/.*=//')
expect 0 "cert show SERIAL --json" "$ADM" -f "$CONF" cert show "$gws" --json
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["tenant"] == "rsa" and o["origin"] == "admin", o
assert o["state"] == "valid" and o["serial"] == sys.argv[2]
assert o["subject"] == "O=Example,CN=gw.example", o["subject"]
assert o["sans"] == ["DNS:gw.example"], o["sans"]
' "$OUT" "$gws" && pass "cert show: tenant, origin admin, subject, SANs" ||
    failed "cert show --json"
expect 0 "cert export SERIAL" "$ADM" -f "$CONF" cert export "$gws"
cmp -s "$OUT" "$T/gw.crt" && pass "cert export gives the issued PEM" ||
    failed "cert export differs from the issued certificate"
expect 1 "cert show of an unknown serial" \
    "$ADM" -f "$CONF" cert show 0123456789ABCDEF
expect 0 "cert list --expiring 60d" \
    "$ADM" -f "$CONF" cert list --expiring 60d
out_has "lists the 30-day certificate" "$gws"
out_has "lists the 10-day RA of tenant soon" "^soon .* ra +CN=soon SCEP RA"
grep -q "rsa SCEP RA" "$OUT" && failed "--expiring 60d listed a 20-year RA" ||
    pass "--expiring 60d leaves out the 20-year RAs"
expect 0 "cert list --subject GW.EX" \
    "$ADM" -f "$CONF" cert list --subject GW.EX --json
python3 -c '
import json, sys
l = json.load(open(sys.argv[1]))
assert [c["serial"] for c in l] == [sys.argv[2]], l
' "$OUT" "$gws" && pass "--subject filters by subject text" ||
    failed "cert list --subject"
expect 2 "cert list --expiring with a bad duration" \
    "$ADM" -f "$CONF" cert list --expiring soon

# --- request show ----------------------------------------------------
expect 1 "request show of a malformed ID" \
    "$ADM" -f "$CONF" request show garbage
expect 1 "request show of an unknown full ID" "$ADM" -f "$CONF" \
    request show "rsa:616263:$(printf '%064d' 0)"
out_has "says there is no such request" "no request"

# --- mobileconfig ----------------------------------------------------
expect 2 "mobileconfig without --url" "$ADM" -f "$CONF" mobileconfig rsa
expect 2 "mobileconfig with a non-HTTP URL" \
    "$ADM" -f "$CONF" mobileconfig rsa --url ftp://x/
expect 1 "mobileconfig refuses a key size outside key_sizes" \
    "$ADM" -f "$CONF" mobileconfig rsa --url http://x/ --keysize 1024
# check_plist FILE TENANT TOPCERT RETRIES DELAY CHALLENGE: every key.
check_plist() {
	python3 - "$@" <<'EOP'
import plistlib, subprocess, sys, hashlib, re
f, tenant, top, retries, delay, chal = sys.argv[1:7]
p = plistlib.load(open(f, "rb"))
der = subprocess.run(["openssl", "x509", "-in", top, "-outform", "DER"],
    capture_output=True, check=True).stdout
uuid = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
assert p["PayloadType"] == "Configuration" and p["PayloadVersion"] == 1
assert uuid.match(p["PayloadUUID"]) and isinstance(p["PayloadIdentifier"], str)
assert isinstance(p["PayloadDisplayName"], str)
scep, root = p["PayloadContent"]
assert scep["PayloadType"] == "com.apple.security.scep"
assert root["PayloadType"] == "com.apple.security.root"
for d in (scep, root):
    assert d["PayloadVersion"] == 1 and uuid.match(d["PayloadUUID"])
    assert isinstance(d["PayloadIdentifier"], str)
c = scep["PayloadContent"]
assert c["URL"] == "http://scep.example/" + tenant + "/scep?x=1&y=<2>", c["URL"]
assert c["Name"] == tenant
assert type(c["Keysize"]) is int and c["Keysize"] == 2048
assert c["Key Type"] == "RSA" and type(c["Key Usage"]) is int and c["Key Usage"] == 5
assert type(c["Retries"]) is int and c["Retries"] == int(retries), c["Retries"]
assert type(c["RetryDelay"]) is int and c["RetryDelay"] == int(delay)
assert type(c["CAFingerprint"]) is bytes
assert c["CAFingerprint"] == hashlib.sha1(der).digest(), "CAFingerprint"
assert c["Subject"] == [[["CN", "dev & <co>"]], [["O", "Ex,ample"]]], c["Subject"]
assert c["SubjectAltName"] == {"dNSName": ["a.example", "b.example"],
    "rfc822Name": ["x@example.com"]}, c["SubjectAltName"]
if chal == "-":
    assert "Challenge" not in c
elif chal == "*":
    assert isinstance(c["Challenge"], str) and len(c["Challenge"]) >= 8
else:
    assert c["Challenge"] == chal, c["Challenge"]
assert type(root["PayloadContent"]) is bytes and root["PayloadContent"] == der
print(p["PayloadUUID"], scep["PayloadUUID"], root["PayloadUUID"])
EOP
}
url_of() { echo "http://scep.example/$1/scep?x=1&y=<2>"; }
mc() {
	t=$1
	shift
	"$ADM" -f "$CONF" mobileconfig "$t" --url "$(url_of "$t")" \
	    --subject 'CN=dev & <co>,O=Ex\,ample' --san dns:a.example \
	    --san email:x@example.com --san DNS:b.example "$@"
}
pw=$(sed -n 's/^Challenge: //p' "$T/rsa.create")
expect 0 "mobileconfig rsa (auto approval) -o" mc rsa -o "$T/rsa.mc"
mode_is "$T/rsa.mc" 600
# The RSA tenant serves [RA, CA]: the top is the CA.
check_plist "$T/rsa.mc" rsa "$T/rsa/ca.crt" 3 10 "$pw" >"$OUT" 2>&1 &&
    pass "rsa profile: every key and type, static challenge, 3/10 polls" ||
    failed "rsa profile"
u1=$(cat "$OUT")
expect 0 "mobileconfig rsa again, to stdout" mc rsa
cp "$OUT" "$T/rsa2.mc"
u2=$(check_plist "$T/rsa2.mc" rsa "$T/rsa/ca.crt" 3 10 "$pw" 2>&1)
[ -n "$u1" ] && [ "$u1" = "$u2" ] && pass "UUIDs are stable across runs" ||
    failed "UUIDs differ: '$u1' then '$u2'"
expect 0 "mobileconfig ec (manual approval), --challenge" \
    mc ec --challenge 'a&b<c>"d' -o "$T/ec.mc"
check_plist "$T/ec.mc" ec "$T/ec/ca.crt" 1440 60 'a&b<c>"d' >"$OUT" 2>&1 &&
    pass "ec profile: manual approval polls 1440 times a minute apart" ||
    failed "ec profile"
u3=$(sed -n 1p "$OUT")
[ "$u3" != "$u1" ] && pass "another tenant has other UUIDs" ||
    failed "two tenants share UUIDs"
expect 0 "mobileconfig single (no RA, challenge none)" \
    mc single -o "$T/single.mc"
check_plist "$T/single.mc" single "$T/single/ca.crt" 1440 60 - \
    >"$OUT" 2>&1 && pass "single-CA profile: no Challenge, the CA" ||
    failed "single-CA profile"
# The imported tenant serves [RA, intermediate, root]: the top is the root.
expect 0 "mobileconfig imp (RA, intermediate, root chain)" \
    mc imp -o "$T/imp.mc"
check_plist "$T/imp.mc" imp "$I/root.crt" 1440 60 '*' >"$OUT" 2>&1 &&
    pass "chain profile: CAFingerprint and root payload are the root's" ||
    failed "chain profile"
expect 0 "mobileconfig rsa signed (--sign-cert, --sign-key)" \
    mc rsa --sign-cert "$I/ra.crt" --sign-key "$I/ra.key" -o "$T/signed.mc"
expect 0 "openssl cms -verify accepts the signed profile" \
    openssl cms -verify -inform DER -in "$T/signed.mc" -noverify \
    -out "$T/signed.plist"
cmp -s "$T/signed.plist" "$T/rsa.mc" &&
    pass "the signed content is the plain profile" ||
    failed "the signed profile's content differs"
expect 2 "--sign-cert without --sign-key" \
    mc rsa --sign-cert "$I/ra.crt"
expect 1 "--sign-key of another certificate" \
    mc rsa --sign-cert "$I/ra.crt" --sign-key "$I/int.key"
expect 2 "--san of an unknown type" \
    "$ADM" -f "$CONF" mobileconfig rsa --url http://x/ --san ip:1.2.3.4
expect 1 "--otp for a tenant without one-time challenges" \
    mc rsa --otp
if "$ADM" -f "$CONF" tenant create otpt --challenge otp --dir "$T/otpt" \
    >"$OUT" 2>&1; then
	expect 1 "an otp tenant's profile needs --otp" \
	    "$ADM" -f "$CONF" mobileconfig otpt --url http://x/
	expect 0 "mobileconfig otpt --otp" mc otpt --otp --ttl 2d \
	    -o "$T/otp1.mc"
	check_plist "$T/otp1.mc" otpt "$T/otpt/ca.crt" 3 10 '*' >"$OUT" 2>&1 &&
	    pass "otp profile: every key and type" || failed "otp profile"
	expect 0 "mobileconfig otpt --otp again" mc otpt --otp -o "$T/otp2.mc"
	python3 -c '
import plistlib, sys
a, b = (plistlib.load(open(f, "rb"))["PayloadContent"][0]
    ["PayloadContent"]["Challenge"] for f in sys.argv[1:3])
assert a != b and len(a) == 20, (a, b)' "$T/otp1.mc" "$T/otp2.mc" &&
	    pass "each --otp profile has a fresh challenge" ||
	    failed "two --otp profiles share a challenge"
	expect 0 "challenge list --tenant otpt" \
	    "$ADM" -f "$CONF" challenge list --tenant otpt --json
	python3 -c '
import json, sys
l = json.load(open(sys.argv[1]))
assert len(l) == 2, l' "$OUT" && pass "both profile challenges are stored" ||
	    failed "challenge list does not show the profile challenges"
	# Purge: only what expired more than --older-than ago goes.
	expect 0 "challenge create --ttl 1s" \
	    "$ADM" -f "$CONF" challenge create otpt --ttl 1s --count 2
	sleep 3
	expect 0 "challenge purge (default 30d): nothing that young" \
	    "$ADM" -f "$CONF" challenge purge
	out_has "purge says 0" "^0 challenges purged$"
	expect 0 "challenge purge --older-than 1s --tenant otpt" \
	    "$ADM" -f "$CONF" challenge purge --older-than 1s --tenant otpt
	out_has "purge says 2" "^2 challenges purged$"
	expect 0 "challenge list after the purge" \
	    "$ADM" -f "$CONF" challenge list --tenant otpt --json
	python3 -c '
import json, sys
l = json.load(open(sys.argv[1]))
assert len(l) == 2 and all(c["state"] == "unused" for c in l), l' "$OUT" &&
	    pass "the live challenges stay" ||
	    failed "challenge purge removed live challenges"
	expect 2 "challenge purge --older-than 0" \
	    "$ADM" -f "$CONF" challenge purge --older-than 0
	expect 2 "challenge purge with an operand" \
	    "$ADM" -f "$CONF" challenge purge otpt
	expect 1 "challenge purge --tenant of no such tenant" \
	    "$ADM" -f "$CONF" challenge purge --tenant nosuch
else
	failed "tenant create --challenge otp"
fi

# --- ca rollover -----------------------------------------------------
expect 0 "ca rollover --help" "$ADM" ca rollover --help
out_has "ca rollover --help shows its usage" "^usage: scepadm .*ca rollover"
out_has "ca rollover --help lists --finish" "--finish"
expect 2 "ca rollover without NAME" "$ADM" -f "$CONF" ca rollover
expect 2 "ca rollover --at and --in together" \
    "$ADM" -f "$CONF" ca rollover rsa --at 2030-01-01T00:00:00Z --in 1d
expect 2 "ca rollover --at with a bad time" \
    "$ADM" -f "$CONF" ca rollover rsa --at 2030-02-30T00:00:00Z
expect 2 "ca rollover --at in the past" \
    "$ADM" -f "$CONF" ca rollover rsa --at 2001-01-01T00:00:00Z
expect 2 "ca rollover --finish with --in" \
    "$ADM" -f "$CONF" ca rollover rsa --finish --in 1d
expect 1 "ca rollover of an unknown tenant" \
    "$ADM" -f "$CONF" ca rollover nosuch
sum=$(cksum <"$CONF")
expect 1 "ca rollover of an imported intermediate is refused" \
    "$ADM" -f "$CONF" ca rollover imp
out_has "  saying it is not self-signed and how to import one" \
    "not self-signed .*Outside Root.*next_ca_cert"
[ "$(cksum <"$CONF")" = "$sum" ] && [ ! -e "$T/impdir/ca-next.crt" ] &&
    pass "the refused rollover changed nothing" ||
    failed "a refused rollover left files or changed $CONF"
expect 1 "ca rollover --finish with no rollover" \
    "$ADM" -f "$CONF" ca rollover rsa --finish
expect 0 "ca rollover ec --at a fixed time" \
    "$ADM" -f "$CONF" ca rollover ec --at 2099-01-02T03:04:05Z --days 400
out_has "  prints the next CA's fingerprint" \
    "^Next CA SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}$"
out_has "  prints the switch time" "^Switch: 2099-01-02T03:04:05Z$"
grep -q "^rollover_at = 2099-01-02T03:04:05Z$" "$CONF" &&
    grep -q "^next_ca_key = $T/ec/ca-next.key$" "$CONF" &&
    grep -q "^next_ra_key = $T/ec/ra-next.key$" "$CONF" &&
    pass "the section names the next files and the switch" ||
    failed "no next_* or rollover_at in $CONF"
for f in ca-next.key ra-next.key; do mode_is "$T/ec/$f" 640; done
for f in ca-next.crt ra-next.crt; do mode_is "$T/ec/$f" 644; done
expect 0 "the next CA key is EC P-256 like the current one" sh -c \
    "openssl x509 -in '$T/ec/ca-next.crt' -noout -text |
    grep -q 'NIST CURVE: P-256'"
expect 0 "the next RA is issued by the next CA" \
    openssl verify -CAfile "$T/ec/ca-next.crt" "$T/ec/ra-next.crt"
keyusage_is "$T/ec/ra-next.crt" \
    "Digital Signature, Key Encipherment"
expect 0 "scepd -n loads the pending rollover" "$SCEPD" -n -f "$CONF"
sum=$(cksum <"$CONF")
expect 1 "a second rollover while one is pending is refused" \
    "$ADM" -f "$CONF" ca rollover ec --in 1d
out_has "  saying it is pending" "already pending .*2099-01-02T03:04:05Z"
expect 1 "--finish before the switch is refused" \
    "$ADM" -f "$CONF" ca rollover ec --finish
[ "$(cksum <"$CONF")" = "$sum" ] &&
    pass "the refused commands changed nothing" ||
    failed "a refused command changed $CONF"

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
