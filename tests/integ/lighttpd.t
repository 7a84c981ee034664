#!/bin/bash
# lighttpd.t: lighttpd with mod_fastcgi (two workers it starts itself),
# then with mod_cgi (one scepd process a request), each with every client
# test of suite.sh.
. "${top_srcdir:-.}/tests/integ/lib.sh"
. "$top_srcdir/tests/integ/suite.sh"

check "set up the tenants with scepadm" setup_tenants
check "start lighttpd (mod_fastcgi)" start_lighttpd fastcgi
run_suite lighttpd-fcgi
run_scepclient lighttpd-fcgi
kill "$(cat "$T/lighttpd.pid")" 2>/dev/null
sleep 0.5
check "start lighttpd (mod_cgi)" start_lighttpd cgi
run_suite lighttpd-cgi
finish
