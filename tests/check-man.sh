#!/bin/sh
# check-man.sh: the manual pages are clean under mandoc -Tlint.
set -u
top=${top_srcdir:-$(dirname "$0")/..}
if ! command -v mandoc >/dev/null 2>&1; then
	echo "FAIL: mandoc is not installed (Debian package mandoc)"
	exit 1
fi
fail=0
n=0
for m in "$top"/man/*.[1-9]; do
	[ -f "$m" ] || continue
	n=$((n + 1))
	out=$(mandoc -Tlint -W warning "$m" 2>&1)
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		fail=1
	fi
done
if [ "$fail" -eq 0 ]; then
	echo "PASS: $n manual pages lint clean"
fi
exit "$fail"
