#!/bin/sh
# check-deps.sh: the one-way dependency rule (STYLE.md B2) as a test.
#   cgi-bin -> src -> scep -> OpenSSL; scep/ does no I/O;
#   only src/store*.c includes lmdb.h; src/adm.h is scepadm's own
#   (src/scepadm.c and its modules src/adm_*.c), never the library's.
set -u
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 1
fail=0

report() {
	if [ -n "$2" ]; then
		printf '%s:\n%s\n' "$1" "$2"
		fail=1
	fi
}

report "scep/ includes a forbidden header" "$(grep -rnHE --include='*.[ch]' \
    '#include[[:space:]]*([<"](lmdb\.h|fcgi[a-z_]*\.h|syslog\.h|curl/)|"(\.\./)?(src|cgi-bin)/)' \
    scep 2>/dev/null)"
report "scep/ does I/O or reads the environment or the clock" \
    "$(grep -rnHE --include='*.[ch]' \
    '(^|[^A-Za-z0-9_.>])(getenv|fopen|open|exit|time|printf|fprintf|syslog|socket)[[:space:]]*\(' \
    scep 2>/dev/null | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|\*)')"
report "src/ includes FastCGI or cgi-bin headers" "$(grep -rnHE --include='*.[ch]' \
    '#include[[:space:]]*([<"]fcgi[a-z_]*\.h|"(\.\./)?cgi-bin/)' src 2>/dev/null)"
report "lmdb.h outside the store" "$(grep -rlE --include='*.[ch]' \
    '#include[[:space:]]*<lmdb\.h>' src cgi-bin scep tests 2>/dev/null |
    grep -vE '^src/store[^/]*\.c$')"
report "src/adm.h outside scepadm (src/scepadm.c, src/adm_*.c)" \
    "$(grep -rlE --include='*.[ch]' \
    '#include[[:space:]]*"(\.\./)?(src/)?adm\.h"' src cgi-bin scep tests \
    2>/dev/null |
    grep -vE '^src/(scepadm|adm_[a-z0-9_]+)\.c$')"

if [ "$fail" -ne 0 ]; then
	echo "FAIL: dependency rules (STYLE.md B2)"
	exit 1
fi
echo "PASS: dependency rules"
exit 0
