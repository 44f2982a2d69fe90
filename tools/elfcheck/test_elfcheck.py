"""Tests of elfcheck on ELF files built here byte by byte (run by scripts/test with pytest).

The real provider binary is checked by the acceptance test release_glibc_floor
(acceptance-tests/tests/release_glibc_floor.rs); these cases pin the reader and the rules
on inputs whose contents are known exactly, for both ELF classes and byte orders.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import elfcheck  # noqa: E402


def build_elf(
    needed: list[str],
    versions: dict[str, list[tuple[str, list[str]]]],
    interpreter: str | None = "/lib64/ld-linux-x86-64.so.2",
    is64: bool = True,
    little: bool = True,
) -> bytes:
    """A minimal ELF executable: program interpreter, .dynamic with DT_NEEDED entries,
    .gnu.version_r with `versions` ({library: [(version, [symbols])]}), .dynsym and
    .gnu.version binding each symbol to its version."""
    e = "<" if little else ">"
    strtab = bytearray(b"\0")

    def s(text: str) -> int:
        off = len(strtab)
        strtab.extend(text.encode() + b"\0")
        return off

    needed_offs = [s(n) for n in needed]
    # verneed
    verneed = bytearray()
    symbols: list[tuple[int, int]] = []  # (name offset, version index)
    index = 2
    libs = list(versions.items())
    for li, (lib, vers) in enumerate(libs):
        lib_off = s(lib)
        aux = bytearray()
        for vi, (ver, syms) in enumerate(vers):
            vname = s(ver)
            nxt = 16 if vi < len(vers) - 1 else 0
            aux += struct.pack(e + "IHHII", 0, 0, index, vname, nxt)
            symbols += [(s(sym), index) for sym in syms]
            index += 1
        nxt = 16 + len(aux) if li < len(libs) - 1 else 0
        verneed += struct.pack(e + "HHIII", 1, len(vers), lib_off, 16, nxt) + aux
    dyn_fmt = "qQ" if is64 else "iI"
    dynamic = b"".join(struct.pack(e + dyn_fmt, 1, off) for off in needed_offs) + struct.pack(e + dyn_fmt, 0, 0)
    if is64:
        dynsym = bytes(24) + b"".join(struct.pack(e + "IBBHQQ", name, 0x12, 0, 0, 0, 0) for name, _ in symbols)
    else:
        dynsym = bytes(16) + b"".join(struct.pack(e + "IIIBBH", name, 0, 0, 0x12, 0, 0) for name, _ in symbols)
    versym = struct.pack(e + "H", 0) + b"".join(struct.pack(e + "H", idx) for _, idx in symbols)
    interp = (interpreter.encode() + b"\0") if interpreter else b""

    ehsize, phentsize, shentsize = (64, 56, 64) if is64 else (52, 32, 40)
    phnum = 1 if interpreter else 0
    blobs = [interp, bytes(strtab), dynamic, bytes(verneed), dynsym, versym]
    offset = ehsize + phnum * phentsize
    offsets = []
    body = b""
    for b in blobs:
        offsets.append(offset + len(body))
        body += b + bytes((-len(b)) % 8)
    shoff = offset + len(body)
    # sections: null, .dynstr(1), .dynamic(2), .gnu.version_r(3), .dynsym(4), .gnu.version(5)
    secs = [
        (0, 0, 0, 0, 0, 0),
        (3, offsets[1], len(strtab), 0, 0, 0),
        (6, offsets[2], len(dynamic), 1, 0, 16 if is64 else 8),
        (0x6FFFFFFE, offsets[3], len(verneed), 1, len(libs), 0),
        (11, offsets[4], len(dynsym), 1, 1, 24 if is64 else 16),
        (0x6FFFFFFF, offsets[5], len(versym), 4, 0, 2),
    ]
    shdrs = b""
    for typ, off, size, link, info, entsize in secs:
        fmt = "IIQQQQIIQQ" if is64 else "IIIIIIIIII"
        shdrs += struct.pack(e + fmt, 0, typ, 0, 0, off, size, link, info, 1, entsize)
    phdrs = b""
    if interpreter:
        if is64:
            phdrs = struct.pack(e + "IIQQQQQQ", 3, 4, offsets[0], 0, 0, len(interp), len(interp), 1)
        else:
            phdrs = struct.pack(e + "IIIIIIII", 3, offsets[0], 0, 0, len(interp), len(interp), 4, 1)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1 if little else 2, 1, 0]) + bytes(8)
    hdr_fmt = "HHIQQQIHHHHHH" if is64 else "HHIIIIIHHHHHH"
    header = ident + struct.pack(
        e + hdr_fmt, 3, 62 if is64 else 3, 1, 0, ehsize if phnum else 0, shoff, 0, ehsize, phentsize, phnum, shentsize, len(secs), 0
    )
    return header + phdrs + body + shdrs


GOOD = {"libc.so.6": [("GLIBC_2.2.5", ["malloc", "free"]), ("GLIBC_2.17", ["clock_gettime"])]}


def write(tmp_path: Path, data: bytes, name: str = "bin") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(("is64", "little"), [(True, True), (False, True), (True, False), (False, False)])
def test_reads_needed_versions_and_symbols(tmp_path: Path, is64: bool, little: bool) -> None:
    p = write(tmp_path, build_elf(["libc.so.6", "libm.so.6"], GOOD, is64=is64, little=little))
    rep = elfcheck.read_elf(p)
    assert rep.interpreter == "/lib64/ld-linux-x86-64.so.2"
    assert rep.needed == ["libc.so.6", "libm.so.6"]
    assert rep.versions == {"GLIBC_2.2.5": ["libc.so.6"], "GLIBC_2.17": ["libc.so.6"]}
    assert sorted(rep.symbols["GLIBC_2.2.5"]) == ["free", "malloc"]
    assert rep.max_glibc() == (2, 17)
    assert elfcheck.problems(rep, (2, 17), static=False) == []


def test_issue12_a_floor_below_what_the_binary_needs_fails(tmp_path: Path, capsys) -> None:
    p = write(tmp_path, build_elf(["libc.so.6"], GOOD))
    assert elfcheck.main(["--glibc-floor", "2.17", str(p)]) == 0
    assert elfcheck.main(["--glibc-floor", "2.16", str(p)]) == 1
    err = capsys.readouterr().err
    assert "needs GLIBC_2.17 from libc.so.6 (for clock_gettime), newer than the floor glibc 2.16" in err


def test_newer_glibc_and_foreign_libraries_fail(tmp_path: Path) -> None:
    versions = {
        "libc.so.6": [("GLIBC_2.34", ["__libc_start_main"]), ("GLIBC_PRIVATE", ["_dl_x"])],
        "libgcc_s.so.1": [("GCC_3.0", ["_Unwind_Resume"])],
    }
    rep = elfcheck.read_elf(write(tmp_path, build_elf(["libc.so.6", "libgcc_s.so.1"], versions)))
    found = elfcheck.problems(rep, (2, 17), static=False)
    assert any("libgcc_s.so.1, which is not part of glibc" in f for f in found), found
    assert any("GLIBC_2.34 from libc.so.6 (for __libc_start_main)" in f for f in found), found
    assert any("GLIBC_PRIVATE" in f for f in found), found
    # A higher floor accepts 2.34 but never the foreign library or the private ABI.
    found = elfcheck.problems(rep, (2, 39), static=False)
    assert not any("GLIBC_2.34" in f for f in found) and len(found) == 2, found


def test_loader_and_glibc_stub_libraries_are_allowed(tmp_path: Path) -> None:
    libs = ["libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "ld-linux-aarch64.so.1"]
    rep = elfcheck.read_elf(write(tmp_path, build_elf(libs, GOOD)))
    assert elfcheck.problems(rep, (2, 17), static=False) == []


def test_static_requires_no_interpreter_and_no_libraries(tmp_path: Path) -> None:
    static = elfcheck.read_elf(write(tmp_path, build_elf([], {}, interpreter=None), "static"))
    assert static.interpreter is None and static.needed == [] and static.max_glibc() is None
    assert elfcheck.problems(static, (2, 17), static=True) == []
    dynamic = elfcheck.read_elf(write(tmp_path, build_elf(["libc.so.6"], GOOD), "dyn"))
    found = elfcheck.problems(dynamic, (2, 17), static=True)
    assert any("static binary needs none" in f for f in found) and any("interpreter" in f for f in found), found


def test_not_elf_is_an_error(tmp_path: Path, capsys) -> None:
    p = write(tmp_path, b"#!/bin/sh\necho hi\n", "script")
    assert elfcheck.main([str(p)]) == 2
    assert "not an ELF file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        elfcheck.main(["--glibc-floor", "two", str(p)])


def test_arch_must_match(tmp_path: Path) -> None:
    rep = elfcheck.read_elf(write(tmp_path, build_elf(["libc.so.6"], GOOD)))  # x86_64
    assert elfcheck.problems(rep, (2, 17), static=False, arch="amd64") == []
    assert elfcheck.problems(rep, (2, 17), static=False, arch="arm64") == ["is built for amd64, not arm64"]
