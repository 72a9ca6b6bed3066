#!/bin/sh
# usage: expect_compile_error.sh CC INCLUDE_DIR SOURCE REGEX
# Passes when SOURCE does not compile and the diagnostics match REGEX, so a
# test cannot pass because of an unrelated error (good.c is the control).
cc=$1 inc=$2 src=$3 re=$4
out=$("$cc" -std=gnu11 -fsyntax-only -Wall -Wextra -Werror -I"$inc" -I"$(dirname "$src")" "$src" 2>&1)
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
