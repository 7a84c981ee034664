#!/bin/bash
# nginx.t: nginx in front of spawn-fcgi with two scepd workers on a UNIX
# socket; every client test of suite.sh, micromdm scepclient, and
# certmonger's scep-submit.
. "${top_srcdir:-.}/tests/integ/lib.sh"
. "$top_srcdir/tests/integ/suite.sh"

check "set up the tenants with scepadm" setup_tenants
check "start nginx and spawn-fcgi" start_nginx_fcgi
run_suite nginx
run_scepclient nginx
finish
