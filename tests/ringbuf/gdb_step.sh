#!/bin/sh
# Single-step test: run rb_step_target under gdb and stepi through one
# rt_write (step.py), then continue. Fails, never skips, if gdb is missing.
#
# Usage: gdb_step.sh STEP_TARGET STEP_PY tsc     step until the write returns
#        gdb_step.sh STEP_TARGET STEP_PY mono N  N steps (the vDSO clock alone
#                                               can take >300000), then continue
set -u
target=$1 script=$2 clock=$3 limit=${4:-}
if ! command -v gdb >/dev/null 2>&1; then
	echo "FAIL: gdb is not installed (apt-get install gdb)"
	exit 1
fi
if [ -n "$limit" ]; then
	STEP_LIMIT=$limit
	export STEP_LIMIT
fi
out=$(timeout -k 5 120 gdb -nx -batch -x "$script" --args "$target" "$clock" 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E '^(STEPS|RESULT|stepped|offsets|FATAL|Breakpoint 1,|\[Inferior)'
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "FAIL: gdb did not finish within 120 s"
	exit 1
fi
steps=$(printf '%s\n' "$out" | sed -n 's/^STEPS \([0-9]*\) .*/\1/p')
if [ -z "$steps" ] || [ "$steps" -lt 100 ]; then
	echo "FAIL: the write was not single-stepped (steps: ${steps:-none})"
	exit 1
fi
if [ -z "$limit" ] && ! printf '%s\n' "$out" | grep -q '^STEPS [0-9]* returned$'; then
	echo "FAIL: stepping did not get back to main"
	exit 1
fi
printf '%s\n' "$out" | grep -q '^RESULT: ' || { echo "FAIL: no result from the program"; exit 1; }
printf '%s\n' "$out" | grep -q 'exited normally' || { echo "FAIL: the program did not exit normally"; exit 1; }
echo "PASS: $steps single steps, $(printf '%s\n' "$out" | sed -n 's/^RESULT: //p')"
