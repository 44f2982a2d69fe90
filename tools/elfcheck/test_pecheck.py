"""Tests of pecheck on PE files built here byte by byte (run by scripts/test with pytest)."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pecheck  # noqa: E402


def build_pe(dlls: list[str], delay: list[str] | None = None, pe32plus: bool = True) -> bytes:
    """A minimal PE image with one section (.idata) holding the import descriptors of `dlls`
    and the delay-load descriptors of `delay`."""
    delay = delay or []
    sect_rva, sect_raw = 0x1000, 0x400
    # Layout inside the section: descriptors, delay descriptors, then the names.
    imp_size = 20 * (len(dlls) + 1)
    dly_size = 32 * (len(delay) + 1)
    names = bytearray()
    name_rvas = []
    for d in dlls + delay:
        name_rvas.append(sect_rva + imp_size + dly_size + len(names))
        names += d.encode() + b"\0"
    body = bytearray()
    for r in name_rvas[: len(dlls)]:
        body += struct.pack("<IIIII", 0, 0, 0, r, 0)
    body += bytes(20)
    for r in name_rvas[len(dlls) :]:
        body += struct.pack("<IIIIIIII", 1, r, 0, 0, 0, 0, 0, 0)
    body += bytes(32)
    body += names
    section = bytes(body) + bytes((-len(body)) % 0x200)

    ndirs = 16
    opt_fixed = 112 if pe32plus else 96
    opt_size = opt_fixed + 8 * ndirs
    opt = bytearray(opt_size)
    struct.pack_into("<H", opt, 0, 0x20B if pe32plus else 0x10B)
    struct.pack_into("<I", opt, opt_fixed - 4, ndirs)
    struct.pack_into("<II", opt, opt_fixed + 8 * 1, sect_rva, imp_size)
    if delay:
        struct.pack_into("<II", opt, opt_fixed + 8 * 13, sect_rva + imp_size, dly_size)
    pe_off = 0x80
    coff = struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, opt_size, 0x22)
    sect_hdr = b".idata\0\0" + struct.pack("<IIIIIIHHI", len(body), sect_rva, len(section), sect_raw, 0, 0, 0, 0, 0)
    head = bytearray(sect_raw)
    head[0:2] = b"MZ"
    struct.pack_into("<I", head, 0x3C, pe_off)
    hdr = b"PE\0\0" + coff + bytes(opt) + sect_hdr
    head[pe_off : pe_off + len(hdr)] = hdr
    return bytes(head) + section


def write(tmp_path: Path, data: bytes) -> Path:
    p = tmp_path / "provider.exe"
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("pe32plus", [True, False])
def test_static_crt_passes(tmp_path: Path, pe32plus: bool, capsys) -> None:
    p = write(tmp_path, build_pe(["KERNEL32.dll", "ntdll.dll", "WS2_32.dll", "bcrypt.dll"], pe32plus=pe32plus))
    assert pecheck.imports(p) == ["KERNEL32.dll", "ntdll.dll", "WS2_32.dll", "bcrypt.dll"]
    assert pecheck.main([str(p)]) == 0
    assert "static C runtime" in capsys.readouterr().out


@pytest.mark.parametrize(
    "crt", ["VCRUNTIME140.dll", "api-ms-win-crt-runtime-l1-1-0.dll", "ucrtbase.dll", "MSVCP140.dll", "msvcr120.dll"]
)
def test_dynamic_crt_fails(tmp_path: Path, crt: str, capsys) -> None:
    p = write(tmp_path, build_pe(["KERNEL32.dll", crt]))
    assert pecheck.main([str(p)]) == 1
    assert crt in capsys.readouterr().err


def test_delay_loaded_crt_fails(tmp_path: Path) -> None:
    p = write(tmp_path, build_pe(["KERNEL32.dll"], delay=["VCRUNTIME140_1.dll"]))
    assert pecheck.imports(p) == ["KERNEL32.dll", "VCRUNTIME140_1.dll"]
    assert pecheck.main([str(p)]) == 1


def test_not_pe(tmp_path: Path) -> None:
    p = write(tmp_path, b"\x7fELF" + bytes(100))
    assert pecheck.main([str(p)]) == 2
