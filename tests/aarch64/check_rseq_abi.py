#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the restartable-sequence tables of ELF files (objects or linked).

For each file:
  - the sections __rseq_cs, __rseq_cs_ptr_array, __rseq_exit_point_array
    and __rseq_failure exist (read from `OBJDUMP -h` when --objdump is given,
    and from the section headers);
  - every descriptor in __rseq_cs (struct rseq_cs, 32 bytes, 32-aligned) has
    version 0 and flags 0, a start_ip and post-commit range inside one
    executable section, and an abort_ip in an executable section, outside
    [start_ip, start_ip + post_commit_offset), whose preceding 4 bytes are
    the signature (--sig); with --ud1 the 3 bytes before those are 0f b9 3d;
  - every entry of __rseq_cs_ptr_array points to a descriptor, and every
    descriptor is pointed to; every (start, exit) pair of
    __rseq_exit_point_array starts at a descriptor's start_ip and exits into
    executable code.
Addresses come from relocations where there are some (RELA in objects,
RELATIVE in position-independent executables), else from the section bytes.
Exits 0 when every check holds, 1 otherwise, printing each failure.
"""
import argparse
import struct
import subprocess
import sys

SECTIONS = ("__rseq_cs", "__rseq_cs_ptr_array", "__rseq_exit_point_array", "__rseq_failure")
SHT_SYMTAB, SHT_RELA = 2, 4
SHF_EXECINSTR = 0x4
ET_REL = 1
RELATIVE = {62: 8, 183: 1027}  # e_machine -> R_*_RELATIVE (x86-64, aarch64)
MACHINES = {"x86_64": 62, "aarch64": 183}


class Elf:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2 or d[5] != 1:
            raise ValueError(f"{path}: not a little-endian 64-bit ELF file")
        (self.type, self.machine) = struct.unpack_from("<HH", d, 16)
        shoff, = struct.unpack_from("<Q", d, 40)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 58)
        self.sections = []
        for i in range(shnum):
            (name, typ, flags, addr, off, size, link, info, align, entsize) = \
                struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
            self.sections.append(dict(index=i, name_off=name, type=typ, flags=flags,
                                      addr=addr, off=off, size=size, link=link,
                                      info=info, align=align, entsize=entsize))
        strtab = self.sections[shstrndx]
        for s in self.sections:
            s["name"] = self.cstr(strtab["off"] + s["name_off"])
        self.by_name = {s["name"]: s for s in self.sections}
        self.relocs = self.read_relocs()

    def cstr(self, off):
        return self.data[off:self.data.index(b"\0", off)].decode()

    def symbols(self, symtab):
        syms = []
        for i in range(symtab["size"] // 24):
            (name, info, other, shndx, value, size) = \
                struct.unpack_from("<IBBHQQ", self.data, symtab["off"] + i * 24)
            syms.append((shndx, value))
        return syms

    def read_relocs(self):
        """{(section index, offset)} or {vaddr} -> (target section index or None, value)."""
        out = {}
        for rs in self.sections:
            if rs["type"] != SHT_RELA:
                continue
            syms = self.symbols(self.sections[rs["link"]]) if rs["link"] else []
            for i in range(rs["size"] // 24):
                off, info, addend = struct.unpack_from("<QQq", self.data, rs["off"] + i * 24)
                sym, typ = info >> 32, info & 0xffffffff
                if self.type == ET_REL:
                    shndx, value = syms[sym] if sym < len(syms) else (0, 0)
                    out[(rs["info"], off)] = (shndx, value + addend)
                elif typ == RELATIVE.get(self.machine):
                    out[off] = (None, addend)
        return out

    def word(self, sec, off):
        """The 8-byte address stored at sec+off: (section index, offset in it)."""
        if self.type == ET_REL:
            r = self.relocs.get((sec["index"], off))
            if r is None:
                return None
            return r
        vaddr = sec["addr"] + off
        if vaddr in self.relocs:
            value = self.relocs[vaddr][1]
        else:
            value, = struct.unpack_from("<Q", self.data, sec["off"] + off)
        for s in self.sections:
            if s["addr"] and s["addr"] <= value < s["addr"] + s["size"]:
                return (s["index"], value - s["addr"])
        return (None, value)

    def bytes_at(self, shndx, off, n):
        s = self.sections[shndx]
        if off < 0 or off + n > s["size"]:
            return None
        return self.data[s["off"] + off:s["off"] + off + n]

    def is_exec(self, shndx):
        return shndx is not None and 0 < shndx < len(self.sections) and \
            bool(self.sections[shndx]["flags"] & SHF_EXECINSTR)


def objdump_sections(objdump, path):
    out = subprocess.run([objdump, "-h", path], check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 2 and cols[0].isdigit():
            names.add(cols[1])
    return names


def check(path, args):
    errors = []
    elf = Elf(path)
    want_machine = MACHINES[args.machine]
    if elf.machine != want_machine:
        return [f"e_machine is {elf.machine}, expected {want_machine} ({args.machine})"]
    if args.objdump:
        seen = objdump_sections(args.objdump, path)
        for name in SECTIONS:
            if name not in seen:
                errors.append(f"{args.objdump} -h does not list section {name}")
    for name in SECTIONS:
        if name not in elf.by_name:
            errors.append(f"no section {name}")
    if errors:
        return errors

    cs = elf.by_name["__rseq_cs"]
    if cs["size"] == 0 or cs["size"] % 32:
        return [f"__rseq_cs is {cs['size']} bytes, not a non-zero multiple of 32"]
    if elf.type == ET_REL and cs["align"] < 32:
        errors.append(f"__rseq_cs is aligned to {cs['align']}, not 32")
    if elf.type != ET_REL and cs["addr"] % 32:
        errors.append(f"__rseq_cs at 0x{cs['addr']:x} is not 32-byte aligned")

    starts = set()
    for off in range(0, cs["size"], 32):
        where = f"descriptor at __rseq_cs+0x{off:x}"
        version, flags = struct.unpack_from("<II", elf.data, cs["off"] + off)
        pco, = struct.unpack_from("<Q", elf.data, cs["off"] + off + 16)
        start = elf.word(cs, off + 8)
        abort = elf.word(cs, off + 24)
        if version != 0 or flags != 0:
            errors.append(f"{where}: version {version} flags {flags}, expected 0 0")
        if start is None or not elf.is_exec(start[0]):
            errors.append(f"{where}: start_ip is not in executable code")
            continue
        starts.add(start)
        if pco == 0 or start[1] + pco > elf.sections[start[0]]["size"]:
            errors.append(f"{where}: post_commit_offset {pco} leaves its section")
        if abort is None or not elf.is_exec(abort[0]):
            errors.append(f"{where}: abort_ip is not in executable code")
            continue
        if abort[0] == start[0] and start[1] <= abort[1] < start[1] + pco:
            errors.append(f"{where}: abort_ip lies inside the critical section")
        sig = elf.bytes_at(abort[0], abort[1] - 4, 4)
        if sig is None or struct.unpack("<I", sig)[0] != args.sig:
            got = "nothing" if sig is None else f"0x{struct.unpack('<I', sig)[0]:08x}"
            errors.append(f"{where}: the 4 bytes before abort_ip are {got}, "
                          f"expected the signature 0x{args.sig:08x}")
        if args.ud1 and elf.bytes_at(abort[0], abort[1] - 7, 3) != b"\x0f\xb9\x3d":
            errors.append(f"{where}: the signature is not the operand of a ud1 (0f b9 3d)")
    ndesc = cs["size"] // 32
    if ndesc < args.min_descriptors:
        errors.append(f"{ndesc} descriptors, expected at least {args.min_descriptors}")

    ptrs = elf.by_name["__rseq_cs_ptr_array"]
    pointed = set()
    for off in range(0, ptrs["size"], 8):
        target = elf.word(ptrs, off)
        if target is None or target[0] != cs["index"] or target[1] % 32 or \
                target[1] >= cs["size"]:
            errors.append(f"__rseq_cs_ptr_array+0x{off:x} does not point to a descriptor")
        else:
            pointed.add(target[1])
    missing = sorted(set(range(0, cs["size"], 32)) - pointed)
    if missing:
        errors.append("descriptors not in __rseq_cs_ptr_array: " +
                      ", ".join(f"__rseq_cs+0x{m:x}" for m in missing))

    exits = elf.by_name["__rseq_exit_point_array"]
    if exits["size"] == 0 or exits["size"] % 16:
        errors.append(f"__rseq_exit_point_array is {exits['size']} bytes, "
                      "not a non-zero multiple of 16")
    for off in range(0, exits["size"] - exits["size"] % 16, 16):
        start, exit_ip = elf.word(exits, off), elf.word(exits, off + 8)
        if start not in starts:
            errors.append(f"__rseq_exit_point_array+0x{off:x}: start is no descriptor's start_ip")
        if exit_ip is None or not elf.is_exec(exit_ip[0]):
            errors.append(f"__rseq_exit_point_array+0x{off:x}: exit is not in executable code")
    if not errors:
        print(f"{path}: {ndesc} rseq descriptors, signature 0x{args.sig:08x} before every "
              f"abort_ip, {ptrs['size'] // 8} pointers, {exits['size'] // 16} exit points: ok")
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", choices=sorted(MACHINES), required=True)
    ap.add_argument("--sig", type=lambda s: int(s, 0), required=True)
    ap.add_argument("--ud1", action="store_true", help="x86: signature is ud1's operand")
    ap.add_argument("--objdump", help="also list the sections with OBJDUMP -h")
    ap.add_argument("--min-descriptors", type=int, default=1)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    bad = 0
    for path in args.files:
        try:
            errors = check(path, args)
        except (OSError, ValueError, struct.error, subprocess.CalledProcessError) as e:
            errors = [str(e)]
        for e in errors:
            print(f"{path}: FAIL: {e}")
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
