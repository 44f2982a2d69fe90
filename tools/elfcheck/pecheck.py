#!/usr/bin/env python3
"""Check that a Windows provider binary links the C runtime statically.

Reads the PE file's import tables (regular and delay-load; Python 3 standard library only)
and fails when the executable imports a DLL of the dynamic C runtime: vcruntime*.dll,
msvcp*.dll, msvcr1*.dll (Visual C++ redistributable), ucrtbase.dll or api-ms-win-crt-*.dll
(the Universal CRT). Windows' own DLLs (kernel32, ntdll, ws2_32, advapi32, bcrypt, ...) are
on every machine and are fine.

Usage: pecheck.py [--json] FILE...
Exit status: 0 all files pass, 1 a file imports the dynamic CRT, 2 not a PE file.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
from pathlib import Path

DYNAMIC_CRT = re.compile(r"^(vcruntime[0-9_]*|msvcp[0-9_]*|msvcr1[0-9]*|ucrtbased?|api-ms-win-crt-.*)\.dll$", re.I)
IMPORT_DIR, DELAY_IMPORT_DIR = 1, 13


class NotPe(Exception):
    """The file is not a PE executable this tool can read."""


def imports(path: Path) -> list[str]:
    """The DLL names the executable imports, regular then delay-loaded, in file order."""
    data = path.read_bytes()

    def u(fmt: str, off: int) -> tuple:
        try:
            return struct.unpack_from("<" + fmt, data, off)
        except struct.error:
            raise NotPe(f"{path}: truncated PE file") from None

    if data[:2] != b"MZ":
        raise NotPe(f"{path}: not a PE file (no MZ header)")
    (pe,) = u("I", 0x3C)
    if data[pe : pe + 4] != b"PE\0\0":
        raise NotPe(f"{path}: not a PE file (no PE signature)")
    _machine, nsections, _t, _p, _n, opt_size, _c = u("HHIIIHH", pe + 4)
    opt = pe + 24
    (magic,) = u("H", opt)
    if magic == 0x20B:
        dirs, ndirs_off = opt + 112, opt + 108
    elif magic == 0x10B:
        dirs, ndirs_off = opt + 96, opt + 92
    else:
        raise NotPe(f"{path}: unknown optional header magic {magic:#x}")
    (ndirs,) = u("I", ndirs_off)
    sections = []
    for i in range(nsections):
        off = opt + opt_size + 40 * i
        vsize, vaddr, rawsize, rawptr = u("IIII", off + 8)
        sections.append((vaddr, max(vsize, rawsize), rawptr))

    def file_offset(rva: int) -> int:
        for vaddr, size, rawptr in sections:
            if vaddr <= rva < vaddr + size:
                return rva - vaddr + rawptr
        raise NotPe(f"{path}: RVA {rva:#x} is in no section")

    def cstr(rva: int) -> str:
        off = file_offset(rva)
        end = data.find(b"\0", off)
        return data[off:end].decode("ascii", "replace")

    names: list[str] = []
    for index, entry_size, name_at in ((IMPORT_DIR, 20, 12), (DELAY_IMPORT_DIR, 32, 4)):
        if index >= ndirs:
            continue
        rva, size = u("II", dirs + 8 * index)
        if not rva or not size:
            continue
        pos = file_offset(rva)
        while True:
            entry = data[pos : pos + entry_size]
            if len(entry) < entry_size or not any(entry):
                break
            (name_rva,) = u("I", pos + name_at)
            names.append(cstr(name_rva))
            pos += entry_size
    return names


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args(argv)
    status = 0
    for f in args.files:
        try:
            dlls = imports(f)
        except (NotPe, OSError) as e:
            print(f"pecheck: ERROR: {e}", file=sys.stderr)
            return 2
        crt = [d for d in dlls if DYNAMIC_CRT.match(d)]
        if args.json:
            print(json.dumps({"path": str(f), "imports": dlls, "dynamic_crt": crt, "ok": not crt}))
        if crt:
            status = 1
            print(
                f"pecheck: FAIL {f}: imports the dynamic C runtime ({', '.join(crt)}); build with "
                "-C target-feature=+crt-static (.cargo/config.toml)",
                file=sys.stderr,
            )
        elif not args.json:
            print(f"pecheck: ok {f}: static C runtime; imports {', '.join(dlls) or 'nothing'}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
