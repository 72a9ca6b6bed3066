#!/bin/sh
# rseqtrace-gen-tp on tests/ust/sample.tp, as lttng-gen-tp is used: once
# with the default outputs (sample.h, sample.c, sample.o), once with -o for
# each; the application is linked with the .o, then with the compiled .c,
# and both must trace the template's event (check_run.py gentp).
# usage: gen_tp_check.sh SOURCE_DIR CC LIBDIR WORK_DIR
set -eu
src=$1 cc=$2 libdir=$3 work=$4
gen=$src/compat/lttng-ust/rseqtrace-gen-tp
flags="-I$src/compat/lttng-ust/include -I$src/include"
rm -rf "$work" && mkdir -p "$work/default" "$work/outputs"

cp "$src/tests/ust/sample.tp" "$work/default/"
(cd "$work/default" && CC=$cc CFLAGS="-Wall -Wextra -Werror" "$gen" sample.tp)
for f in sample.h sample.c sample.o; do
	[ -s "$work/default/$f" ] || { echo "FAIL: rseqtrace-gen-tp did not write $f"; exit 1; }
done
# shellcheck disable=SC2086
"$cc" -Wall -Wextra -Werror $flags -I"$work/default" -o "$work/default/app" \
	"$src/tests/ust/sample_app.c" "$work/default/sample.o" -L"$libdir" -lrseqtrace-ust -lrseqtrace -Wl,-rpath,"$libdir"

CC=$cc "$gen" -o "$work/outputs/sample.h" --output="$work/outputs/sample.c" "$src/tests/ust/sample.tp"
[ ! -e "$work/outputs/sample.o" ] || { echo "FAIL: sample.o written though not asked for"; exit 1; }
# shellcheck disable=SC2086
"$cc" -Wall -Wextra -Werror $flags -I"$work/outputs" -o "$work/outputs/app" \
	"$src/tests/ust/sample_app.c" "$work/outputs/sample.c" -L"$libdir" -lrseqtrace-ust -lrseqtrace -Wl,-rpath,"$libdir"

if "$gen" -o "$work/outputs/sample.x" "$src/tests/ust/sample.tp" 2>/dev/null; then
	echo "FAIL: an output named .x was accepted"; exit 1
fi
for app in "$work/default/app" "$work/outputs/app"; do
	/usr/bin/python3 "$src/tests/ust/check_run.py" gentp "$app"
done
echo "PASS: rseqtrace-gen-tp's .h, .c and .o compile and trace"
