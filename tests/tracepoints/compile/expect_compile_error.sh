#!/bin/sh
# usage: [EXPECT_CFLAGS=...] expect_compile_error.sh CC INCLUDE_DIR SOURCE REGEX
# Passes when SOURCE does not compile and the diagnostics match REGEX, so a
# test cannot pass because of an unrelated error (good.c is the control).
# EXPECT_CFLAGS: more options, first on the command line (tests/ust: the
# LTTng-UST compatibility headers' directory, -x c++).
cc=$1 inc=$2 src=$3 re=$4
# shellcheck disable=SC2086 # EXPECT_CFLAGS is a list of options
out=$("$cc" ${EXPECT_CFLAGS:-} -std=gnu11 -fsyntax-only -Wall -Wextra -Werror -I"$inc" -I"$(dirname "$src")" "$src" 2>&1)
rc=$?
if [ "$re" = "COMPILES" ]; then
	[ $rc -eq 0 ] && exit 0
	echo "FAIL: $src does not compile:"; echo "$out"; exit 1
fi
if [ $rc -eq 0 ]; then
	echo "FAIL: $src compiled; it must be refused"; exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq "$re"; then
	echo "FAIL: $src was refused, but not with /$re/:"; echo "$out" | head -20; exit 1
fi
echo "PASS: $src refused: $(printf '%s\n' "$out" | grep -E "$re" | head -1)"
