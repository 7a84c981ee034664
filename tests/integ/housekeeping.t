#!/bin/bash
# housekeeping.t: what the workers clear by themselves.  Every message's
# senderNonce is kept for replay_window (INTEROP.md 6.3 step 3); a worker
# deletes those past the longest window after its first request and
# then once a minute.  A nonce is made old here by rewriting its time
# with the LMDB tools (mdb_dump, mdb_load: lmdb-utils), since the
# shortest window is an hour.
. "${top_srcdir:-.}/tests/integ/lib.sh"

# The entries of sub-database $1 of the store.
entries() {
	mdb_stat -s "$1" "$T/db" | sed -n 's/^ *Entries: *//p'
}

# Make the first nonce of the store seen two hours ago: its record's
# time, and a time index entry that says so (the old index entry stays:
# deleting a nonce that is gone already is no error).
age_first_nonce() {
	mdb_dump -s nonce "$T/db" >"$T/nonce.dump" || return 1
	python3 - "$T/nonce.dump" "$T/nonce.load" "$T/time.load" <<'PY' || return 1
import struct, sys, time
lines = open(sys.argv[1]).read().split("\n")
head = lines[:lines.index("HEADER=END") + 1]
data = [l.strip() for l in lines[len(head):] if l.startswith(" ")]
key, val = bytes.fromhex(data[0]), bytearray.fromhex(data[1])
old = int(time.time()) - 7200
# Value: version byte, the request's key hash (32), the time (i64 BE).
assert len(val) == 41 and val[0] == 1, val.hex()
val[33:41] = struct.pack(">q", old)
tkey = struct.pack(">Q", (old & (2**64 - 1)) ^ (1 << 63)) + key
def dump(path, db, k, v):
    h = [l if not l.startswith("database=") else "database=" + db
        for l in head]
    open(path, "w").write("\n".join(h + [" " + k.hex(), " " + v.hex(),
        "DATA=END"]) + "\n")
dump(sys.argv[2], "nonce", key, bytes(val))
dump(sys.argv[3], "nonce_time", tkey, b"")
PY
	mdb_load -s nonce "$T/db" <"$T/nonce.load" &&
	    mdb_load -s nonce_time "$T/db" <"$T/time.load"
}

# Two new workers; the first request a worker serves clears old nonces.
respawn() {
	while read -r p; do kill "$p"; done <"$T/fcgi.pids"
	sleep 0.5
	rm -f "$T/scepd.sock"
	"$SPAWNFCGI" -s "$T/scepd.sock" -M 0666 -F 2 \
	    -- /bin/sh -c 'exec "$0" 2>>"$1"' "$SCEPD" "$T/scepd.log" \
	    >"$T/respawn.out" 2>&1 || return 1
	sed -n 's/.*PID: *\([0-9][0-9]*\).*/\1/p' "$T/respawn.out" \
	    >"$T/fcgi.pids"
}

# Wait (5 s at most) until sub-database $1 has $2 entries.
entries_become() {
	for i in $(seq 1 25); do
		[ "$(entries "$1")" = "$2" ] && return 0
		curl -s -o /dev/null "$URL/hk/scep?operation=GetCACaps"
		sleep 0.2
	done
	return 1
}

make_conf
check "tenant with replay_window = 1h" make_tenant hk --password hk-secret-1
set_keys hk "replay_window = 1h"
check "start nginx and spawn-fcgi" start_nginx_fcgi
expect "first enrolment" 0 "$SCEPTEST" -u "$URL/hk/scep" enroll \
    -k "$T/k1.pem" -s CN=hk-1 -c hk-secret-1
expect "second enrolment" 0 "$SCEPTEST" -u "$URL/hk/scep" enroll \
    -k "$T/k2.pem" -s CN=hk-2 -c hk-secret-1
is "two nonces stored, one per enrolment" 2 "$(entries nonce)"
check "one nonce made two hours old" age_first_nonce
is "still two nonces" 2 "$(entries nonce)"
check "two new workers" respawn
check "the old nonce is deleted after a request, the young one stays" \
    entries_become nonce 1
# Left in the time index: the young nonce's entry and the aged nonce's
# original one, which goes when its own time comes.
is "the old time index entry is deleted with its nonce" 2 \
    "$(entries nonce_time)"
check "no store warning in the log" sh -c \
    "! grep -q 'forgetting old nonces' '$T/scepd.log'"
expect "the workers still enrol" 0 "$SCEPTEST" -u "$URL/hk/scep" enroll \
    -k "$T/k3.pem" -s CN=hk-3 -c hk-secret-1
is "two nonces: the young one and the new one" 2 "$(entries nonce)"
finish
