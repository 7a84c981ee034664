#!/bin/bash
# reload.t: workers running unprivileged (INTEROP.md 6.4), reload on a
# changed configuration file and on SIGHUP without dropping requests, a
# broken configuration keeps the old one serving, and a worker refuses a
# configuration it could write.
. "${top_srcdir:-.}/tests/integ/lib.sh"

caps_ok() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' \
	    "$URL/$1/scep?operation=GetCACaps")" = 200 ]
}

# Retry a check for a few seconds: a worker notices a changed file after
# the next request it serves, at most once a second.
eventually() {
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		"$@" && return 0
		sleep 0.3
	done
	return 1
}

make_conf
check "tenant for an unprivileged worker" make_tenant demo \
    --password demo-secret-1 --user nobody --group nogroup
chown root:nogroup "$CONF"
chmod 0640 "$CONF"
check "key files are 0640 root:nogroup" sh -c \
    "[ \"\$(stat -c '%a %U:%G' '$T/demo/ca.key')\" = '640 root:nogroup' ]"
check "the database belongs to the worker user" sh -c \
    "[ \"\$(stat -c '%U' '$T/db')\" = nobody ]"
SPAWN_USER=nobody SPAWN_GROUP=nogroup check "start workers as nobody" \
    start_nginx_fcgi
check "workers run as nobody" sh -c \
    "for p in \$(cat '$T/fcgi.pids'); do
	[ \"\$(ps -o user= -p \$p)\" = nobody ] || exit 1; done"
expect "an unprivileged worker enrols" 0 "$SCEPTEST" -u "$URL/demo/scep" \
    enroll -k "$T/k1.pem" -s "CN=reload-1" -c demo-secret-1 -w "$T/c1.pem"
check "the certificate verifies" openssl verify -CAfile "$T/demo/ca.crt" \
    "$T/c1.pem"

# A new tenant while the workers run: scepadm rewrites the file.
check "scepadm adds a tenant while workers run" make_tenant second \
    --password second-secret --user nobody --group nogroup
check "the workers serve the new tenant (file change)" eventually \
    caps_ok second
expect "and enrol in it" 0 "$SCEPTEST" -u "$URL/second/scep" enroll \
    -k "$T/k2.pem" -s "CN=reload-2" -c second-secret

# SIGHUP in the middle of a stream of requests: nothing is dropped.
( n=0; for i in $(seq 1 40); do caps_ok demo || n=$((n + 1)); done
  echo "$n" >"$T/dropped" ) &
loop=$!
sleep 0.2
check "SIGHUP to the workers" sh -c "kill -HUP \$(cat '$T/fcgi.pids')"
wait "$loop"
check "no request dropped across SIGHUP" sh -c "[ \"\$(cat '$T/dropped')\" = 0 ]"
check "the log says the configuration was reloaded" \
    grep -q "configuration reloaded" "$T/scepd.log"

# A broken file: the workers keep the old configuration.
cp -p "$CONF" "$T/conf.good"
echo "no_such_key = 1" >>"$CONF"
check "SIGHUP with a broken configuration" sh -c \
    "kill -HUP \$(cat '$T/fcgi.pids')"
check "still serving the old configuration" eventually caps_ok second
check "the reload failure is logged with file and line" \
    grep -q "reload: .*scepd.conf:[0-9]*: unknown key" "$T/scepd.log"
cp -p "$T/conf.good" "$CONF"

# A configuration the worker could write is refused (CGI request as
# nobody with the file owned by nobody).
cp -p "$CONF" "$T/writable.conf"
chown nobody "$T/writable.conf"
expect "a worker refuses a configuration it can write" 0 sh -c \
    "setpriv --reuid nobody --regid nogroup --clear-groups env \
    SCEPD_CONF='$T/writable.conf' REQUEST_METHOD=GET \
    REQUEST_URI=/demo/scep QUERY_STRING=operation=GetCACaps \
    '$SCEPD' 2>&1 | grep -q 'Status: 503'"
expect "the same request as CGI with the right file works" 0 sh -c \
    "setpriv --reuid nobody --regid nogroup --clear-groups env \
    SCEPD_CONF='$CONF' REQUEST_METHOD=GET \
    REQUEST_URI=/demo/scep QUERY_STRING=operation=GetCACaps \
    '$SCEPD' 2>/dev/null | grep -qx 'AES.*'"
finish
