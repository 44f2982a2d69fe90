#!/usr/bin/env python3
"""Check that a Linux provider binary runs on every system with glibc >= a declared floor.

Reads the ELF file itself (Python 3 standard library only; any architecture, 32/64-bit,
either byte order) and fails when the binary

  * needs a GLIBC_x.y symbol version newer than the floor (from .gnu.version_r, the
    versions the dynamic loader checks at start-up), or GLIBC_PRIVATE;
  * needs a shared library (DT_NEEDED) other than glibc's own: libc, libm, libdl,
    libpthread, librt, libutil and the loader (ld-linux-*.so.*): libgcc_s, libstdc++,
    libssl and friends are not on every system (Alpine has none of them by default);
  * with --static: needs any shared library or a program interpreter at all.

Usage: elfcheck.py [--glibc-floor X.Y] [--static] [--arch amd64|arm64] [--json] FILE...
  --glibc-floor X.Y   the oldest glibc the binary must run on (default 2.17)
  --static            require a statically linked binary (musl builds)
  --arch ARCH         require this machine type (Terraform's names: amd64, arm64, 386, arm)
  --json              print one JSON report per file instead of text
Exit status: 0 all files pass, 1 a file breaks the floor, 2 not an ELF file or usage error.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Shared libraries every glibc system has (glibc itself). libdl, libpthread, librt and
# libutil were folded into libc.so.6 in 2.34 but remain as stubs, so old binaries still load.
GLIBC_LIBRARIES = re.compile(
    r"^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libutil\.so\.1"
    r"|ld-linux[-a-z0-9_.]*\.so\.[0-9]+|ld64\.so\.[0-9]+|ld\.so\.[0-9]+)$"
)
GLIBC_VERSION = re.compile(r"^GLIBC_([0-9]+)\.([0-9]+)(?:\.([0-9]+))?$")

SHT_DYNSYM = 11
SHT_DYNAMIC = 6
SHT_GNU_VERNEED = 0x6FFFFFFE
SHT_GNU_VERSYM = 0x6FFFFFFF
PT_INTERP = 3
DT_NEEDED = 1
ET_EXEC, ET_DYN = 2, 3
# Terraform's architecture names -> ELF e_machine.
MACHINES = {"386": 3, "arm": 40, "amd64": 62, "arm64": 183}


class NotElf(Exception):
    """The file is not an ELF executable this tool can read."""


@dataclass
class Report:
    """What a binary needs from the system it runs on."""

    path: str
    machine: int = 0
    interpreter: str | None = None
    needed: list[str] = field(default_factory=list)
    # version name (e.g. GLIBC_2.17) -> libraries it is needed from (e.g. libc.so.6)
    versions: dict[str, list[str]] = field(default_factory=dict)
    # version name -> symbols bound to it (from .gnu.version and .dynsym)
    symbols: dict[str, list[str]] = field(default_factory=dict)

    def max_glibc(self) -> tuple[int, ...] | None:
        found = [parse_version(v) for v in self.versions if GLIBC_VERSION.match(v)]
        return max(found) if found else None

    def to_json(self) -> dict:
        mg = self.max_glibc()
        return {
            "path": self.path,
            "interpreter": self.interpreter,
            "needed": self.needed,
            "versions": {k: ", ".join(v) for k, v in sorted(self.versions.items())},
            "max_glibc": ".".join(map(str, mg)) if mg else None,
        }


def parse_version(v: str) -> tuple[int, ...]:
    m = GLIBC_VERSION.match(v)
    if not m:
        raise ValueError(f"not a GLIBC_x.y version: {v}")
    return tuple(int(x) for x in m.groups() if x is not None)


def parse_floor(s: str) -> tuple[int, ...]:
    if not re.fullmatch(r"[0-9]+\.[0-9]+(\.[0-9]+)?", s):
        raise argparse.ArgumentTypeError(f"glibc version must look like 2.17, got {s!r}")
    return tuple(int(x) for x in s.split("."))


def read_elf(path: Path) -> Report:
    data = path.read_bytes()
    if len(data) < 64 or data[:4] != b"\x7fELF":
        raise NotElf(f"{path}: not an ELF file")
    cls, enc = data[4], data[5]
    if cls not in (1, 2) or enc not in (1, 2):
        raise NotElf(f"{path}: unknown ELF class {cls} or byte order {enc}")
    e = "<" if enc == 1 else ">"
    is64 = cls == 2

    def unpack(fmt: str, off: int) -> tuple:
        try:
            return struct.unpack_from(e + fmt, data, off)
        except struct.error as err:
            raise NotElf(f"{path}: truncated ELF file ({err})") from None

    if is64:
        (e_type, e_machine, _v, _entry, e_phoff, e_shoff, _fl, _eh, e_phentsize, e_phnum, e_shentsize, e_shnum, _) = (
            unpack("HHIQQQIHHHHHH", 16)
        )
    else:
        (e_type, e_machine, _v, _entry, e_phoff, e_shoff, _fl, _eh, e_phentsize, e_phnum, e_shentsize, e_shnum, _) = (
            unpack("HHIIIIIHHHHHH", 16)
        )
    if e_type not in (ET_EXEC, ET_DYN):
        raise NotElf(f"{path}: not an executable (ELF type {e_type})")
    rep = Report(path=str(path), machine=e_machine)

    for i in range(e_phnum):
        off = e_phoff + i * e_phentsize
        if is64:
            p_type, _f, p_offset, _va, _pa, p_filesz, _m, _a = unpack("IIQQQQQQ", off)
        else:
            p_type, p_offset, _va, _pa, p_filesz, _m, _f, _a = unpack("IIIIIIII", off)
        if p_type == PT_INTERP:
            rep.interpreter = data[p_offset : p_offset + p_filesz].split(b"\0", 1)[0].decode("ascii", "replace")

    sections = []
    for i in range(e_shnum):
        off = e_shoff + i * e_shentsize
        if is64:
            _n, sh_type, _f, _a, sh_offset, sh_size, sh_link, sh_info, _al, sh_entsize = unpack("IIQQQQIIQQ", off)
        else:
            _n, sh_type, _f, _a, sh_offset, sh_size, sh_link, sh_info, _al, sh_entsize = unpack("IIIIIIIIII", off)
        sections.append((sh_type, sh_offset, sh_size, sh_link, sh_info, sh_entsize))

    def cstr(sec_index: int, offset: int) -> str:
        _t, s_off, s_size, *_ = sections[sec_index]
        start = s_off + offset
        end = data.find(b"\0", start, s_off + s_size)
        return data[start : end if end != -1 else s_off + s_size].decode("ascii", "replace")

    index_to_version: dict[int, str] = {}
    for sh_type, off, size, link, info, entsize in sections:
        if sh_type == SHT_DYNAMIC:
            step = 16 if is64 else 8
            for pos in range(off, off + size, step):
                tag, val = unpack("qQ" if is64 else "iI", pos)
                if tag == 0:
                    break
                if tag == DT_NEEDED:
                    rep.needed.append(cstr(link, val))
        elif sh_type == SHT_GNU_VERNEED:
            pos = off
            for _ in range(info):
                _ver, vn_cnt, vn_file, vn_aux, vn_next = unpack("HHIII", pos)
                lib = cstr(link, vn_file)
                apos = pos + vn_aux
                for _ in range(vn_cnt):
                    _hash, _flags, vna_other, vna_name, vna_next = unpack("IHHII", apos)
                    name = cstr(link, vna_name)
                    libs = rep.versions.setdefault(name, [])
                    if lib not in libs:
                        libs.append(lib)
                    index_to_version[vna_other] = name
                    if vna_next == 0:
                        break
                    apos += vna_next
                if vn_next == 0:
                    break
                pos += vn_next

    # Which symbols need which version: .gnu.version is parallel to .dynsym.
    for sh_type, off, size, link, _info, _entsize in sections:
        if sh_type != SHT_GNU_VERSYM:
            continue
        dynsym = sections[link]
        sym_size = 24 if is64 else 16
        count = min(size // 2, dynsym[2] // sym_size)
        for i in range(count):
            (idx,) = unpack("H", off + 2 * i)
            name = index_to_version.get(idx & 0x7FFF)
            if not name:
                continue
            (st_name,) = unpack("I", dynsym[1] + i * sym_size)
            rep.symbols.setdefault(name, []).append(cstr(dynsym[3], st_name))
    return rep


def problems(rep: Report, floor: tuple[int, ...], static: bool, arch: str | None = None) -> list[str]:
    """Why the binary would not start on a system with glibc `floor` (empty: it would)."""
    out: list[str] = []
    floor_s = ".".join(map(str, floor))
    if arch is not None and MACHINES[arch] != rep.machine:
        names = {v: k for k, v in MACHINES.items()}
        out.append(f"is built for {names.get(rep.machine, f'ELF machine {rep.machine}')}, not {arch}")
    for lib in rep.needed:
        if static:
            out.append(f"needs the shared library {lib}, but a static binary needs none")
        elif not GLIBC_LIBRARIES.match(lib):
            out.append(f"needs the shared library {lib}, which is not part of glibc (only libc, libm, libdl, libpthread, librt, libutil and the loader are everywhere)")
    if static and rep.interpreter:
        out.append(f"has a program interpreter ({rep.interpreter}), so it is dynamically linked")
    for name in sorted(rep.versions):
        syms = sorted(set(rep.symbols.get(name, [])))
        shown = ", ".join(syms[:8]) + (f" and {len(syms) - 8} more" if len(syms) > 8 else "")
        via = f" (for {shown})" if shown else ""
        if name == "GLIBC_PRIVATE":
            out.append(f"needs GLIBC_PRIVATE from {', '.join(rep.versions[name])}{via}: glibc's internal ABI, which changes between releases")
        elif GLIBC_VERSION.match(name) and parse_version(name) > floor:
            out.append(f"needs {name} from {', '.join(rep.versions[name])}{via}, newer than the floor glibc {floor_s}")
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--glibc-floor", type=parse_floor, default=parse_floor("2.17"))
    ap.add_argument("--static", action="store_true")
    ap.add_argument("--arch", choices=sorted(MACHINES))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args(argv)
    floor_s = ".".join(map(str, args.glibc_floor))
    status = 0
    for f in args.files:
        try:
            rep = read_elf(f)
        except (NotElf, OSError) as e:
            print(f"elfcheck: ERROR: {e}", file=sys.stderr)
            return 2
        found = problems(rep, args.glibc_floor, args.static, args.arch)
        if args.json:
            doc = rep.to_json()
            doc.update(glibc_floor=floor_s, static=args.static, ok=not found, problems=found)
            print(json.dumps(doc, sort_keys=True))
        mg = rep.max_glibc()
        needs = f"GLIBC_{'.'.join(map(str, mg))}" if mg else "no GLIBC_ version"
        libs = ", ".join(rep.needed) or "no shared libraries"
        if found:
            status = 1
            print(f"elfcheck: FAIL {f}: does not run on glibc {floor_s}{' as a static binary' if args.static else ''}:", file=sys.stderr)
            for p in found:
                print(f"  - {p}", file=sys.stderr)
        elif not args.json:
            kind = "static" if not rep.needed and not rep.interpreter else f"needs {needs} at most; {libs}"
            print(f"elfcheck: ok {f}: {kind} (floor glibc {floor_s}{', static required' if args.static else ''})")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
