#!/bin/sh
# Runs the stress test under valgrind (memcheck). rseq returns ENOSYS there,
# so the set must come out in locked mode (the caller passes
# --expect-mode locked). Fails, never skips, if valgrind is missing.
set -u
if ! command -v valgrind >/dev/null 2>&1; then
	echo "FAIL: valgrind is not installed (apt-get install valgrind)"
	exit 1
fi
exec valgrind --quiet --error-exitcode=1 --exit-on-first-error=no "$@"
