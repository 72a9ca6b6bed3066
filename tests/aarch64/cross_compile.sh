#!/bin/bash
# Cross-compiles the ring buffer for aarch64 with warnings as errors and
# checks the restartable-sequence tables of the objects and of a linked
# executable. A missing cross toolchain is a failure: scripts/deps installs
# gcc-aarch64-linux-gnu.
#   cross_compile.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$1 out=$2
cc=aarch64-linux-gnu-gcc
objdump=aarch64-linux-gnu-objdump
for tool in "$cc" "$objdump" python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool not found (scripts/deps installs gcc-aarch64-linux-gnu)"
		exit 1
	fi
done
# Same warnings as the native build (CMakeLists.txt), -Werror always.
flags=(-std=gnu11 -O2 -fPIC -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter
       -Werror -I"$src")
mkdir -p "$out"
for f in common/time.c ringbuf/ringbuf.c ringbuf/write.c ringbuf/read.c tests/aarch64/instantiate.c; do
	obj="$out/$(basename "$f" .c).o"
	echo "+ $cc -c $f"
	"$cc" "${flags[@]}" -c "$src/$f" -o "$obj"
done
echo "+ $cc -o rt_abi_aarch64"
"$cc" "${flags[@]}" -o "$out/rt_abi_aarch64" \
	"$out/instantiate.o" "$out/ringbuf.o" "$out/write.o" "$out/read.o" "$out/time.o" -lpthread
# write.o: the switch sequences (the flush runs them too); instantiate.o: rt_write's.
exec python3 "$src/tests/aarch64/check_rseq_abi.py" --machine aarch64 --sig 0xd428bc00 \
	--objdump "$objdump" "$out/write.o" "$out/instantiate.o" "$out/rt_abi_aarch64"
