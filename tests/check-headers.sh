#!/bin/sh
# check-headers.sh: every project header compiles alone and twice
# (self-contained, guarded; STYLE.md B10).  JANSSON_CFLAGS: for src/adm.h,
# scepadm's header, which declares its JSON output helpers.
set -u
top=${top_srcdir:-$(dirname "$0")/..}
cc=${CC:-cc}
fail=0
for h in "$top"/scep/*.h "$top"/src/*.h "$top"/cgi-bin/*.h; do
	[ -f "$h" ] || continue
	rel=${h#"$top"/}
	if ! printf '#include "%s"\n#include "%s"\n' "$rel" "$rel" |
	    $cc ${CPPFLAGS:-} ${JANSSON_CFLAGS:-} -I"$top" -Wall -Wextra \
	    -Werror -fsyntax-only -x c - ; then
		echo "FAIL: $rel is not self-contained"
		fail=1
	fi
done
[ "$fail" -eq 0 ] && echo "PASS: headers are self-contained"
exit "$fail"
