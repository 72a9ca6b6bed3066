#!/bin/sh
# Installs the librseqtrace component into a fresh prefix, then builds
# examples/hello against it twice (pkg-config with cc, find_package with
# CMake), runs both with RSEQTRACE_INPROC and reads the traces with
# babeltrace2.
# usage: install_check.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -eu
build=$1 src=$2 work=$3
command -v babeltrace2 >/dev/null || { echo "FAIL: babeltrace2 missing"; exit 1; }
command -v pkg-config >/dev/null || { echo "FAIL: pkg-config missing"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --component librseqtrace --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
hello=$src/examples/hello
cc -Wall -Wextra -Werror $(pkg-config --cflags rseqtrace) -I"$hello" -o "$work/hello-pc" \
	"$hello/hello.c" "$hello/hello_tp.c" $(pkg-config --libs rseqtrace) -Wl,-rpath,"$work/prefix/lib"
mkdir -p "$work/cm"
cat > "$work/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(hello_installed C)
find_package(rseqtrace 0.1 REQUIRED)
add_executable(hello $hello/hello.c $hello/hello_tp.c)
target_include_directories(hello PRIVATE $hello)
target_link_libraries(hello PRIVATE rseqtrace::rseqtrace)
CM
cmake -S "$work/cm" -B "$work/cm/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
	-DCMAKE_BUILD_RPATH="$work/prefix/lib" >/dev/null
cmake --build "$work/cm/build" >/dev/null
for exe in "$work/hello-pc" "$work/cm/build/hello"; do
	out=$work/trace-$(basename "$(dirname "$exe")")
	RSEQTRACE_INPROC=$out "$exe" 3 >/dev/null
	n=$(babeltrace2 "$out" 2>"$work/err" | grep -c "hello:")
	[ "$n" -eq 12 ] || { echo "FAIL: $exe traced $n events, expected 12"; cat "$work/err"; exit 1; }
	[ ! -s "$work/err" ] || { echo "FAIL: babeltrace2 stderr:"; cat "$work/err"; exit 1; }
done
echo "PASS: installed librseqtrace works through pkg-config and find_package"
