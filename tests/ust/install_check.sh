#!/bin/sh
# Installs the librseqtrace component into a fresh prefix, then builds LTTng-UST's
# hello world (tests/ust/doc, unchanged) against it twice: with
# `pkg-config --cflags --libs rseqtrace-ust` and with CMake's rseqtrace::ust; and
# runs the installed rseqtrace-gen-tp. Each program is traced in-process.
# usage: install_check.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -eu
build=$1 src=$2 work=$3
command -v pkg-config >/dev/null || { echo "FAIL: pkg-config missing"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --component librseqtrace --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
[ -f "$work/prefix/include/rseqtrace/compat/lttng-ust/lttng/tracepoint.h" ] ||
	{ echo "FAIL: compatibility headers not installed"; exit 1; }
[ ! -e "$work/prefix/include/lttng" ] || { echo "FAIL: something installed in include/lttng"; exit 1; }
doc=$src/tests/ust/doc
cc -Wall -Wextra -Werror $(pkg-config --cflags rseqtrace-ust) -I"$doc" -o "$work/hello-pc" \
	"$doc/hello.c" "$doc/hello-tp.c" $(pkg-config --libs rseqtrace-ust) -Wl,-rpath,"$work/prefix/lib"
mkdir -p "$work/cm"
cat > "$work/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(hello_ust C)
find_package(rseqtrace REQUIRED)
add_executable(hello $doc/hello.c $doc/hello-tp.c)
target_include_directories(hello PRIVATE $doc)
target_link_libraries(hello PRIVATE rseqtrace::ust)
CM
cmake -S "$work/cm" -B "$work/cm/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
	-DCMAKE_BUILD_RPATH="$work/prefix/lib" >/dev/null
cmake --build "$work/cm/build" >/dev/null
for exe in "$work/hello-pc" "$work/cm/build/hello"; do
	/usr/bin/python3 "$src/tests/ust/check_run.py" hello "$exe" arg1
done
# The installed generator finds the installed headers.
mkdir -p "$work/gen" && cp "$src/tests/ust/sample.tp" "$work/gen/"
(cd "$work/gen" && "$work/prefix/bin/rseqtrace-gen-tp" sample.tp)
cc -Wall -Wextra -Werror $(pkg-config --cflags rseqtrace-ust) -I"$work/gen" -o "$work/gen/app" \
	"$src/tests/ust/sample_app.c" "$work/gen/sample.o" $(pkg-config --libs rseqtrace-ust) \
	-Wl,-rpath,"$work/prefix/lib"
/usr/bin/python3 "$src/tests/ust/check_run.py" gentp "$work/gen/app"
echo "PASS: installed: rseqtrace-ust.pc, rseqtrace::ust and rseqtrace-gen-tp"
