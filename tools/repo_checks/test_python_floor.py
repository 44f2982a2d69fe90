"""One Python floor (issue 22): scripts/lib.sh's PYTHON_FLOOR, checked by its need_python,
which every script that runs Python calls instead of a check of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "scripts" / "lib.sh"
USERS = ["quickstart", "install-deps", "test", "bench", "docs", "release"]


def need_python(python: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f'source "{LIB}" && need_python "$1" && echo "ok $PYTHON_FLOOR"', "-", python],
        capture_output=True,
        text=True,
        env={**os.environ, "SCRIPT_NAME": "t"},
    )


def fake_python(tmp_path: Path, version: str) -> str:
    """An interpreter that says it is `version`: runs the real one with a patched
    sys.version_info, so the floor is checked the way scripts/lib.sh checks it."""
    major, minor, micro = (int(p) for p in version.split("."))
    fake = tmp_path / f"python{version}"
    fake.write_text(
        "#!/bin/sh\n"
        f'exec {sys.executable} -c "import sys, platform; '
        f"sys.version_info = ({major}, {minor}, {micro}, 'final', 0); "
        f"platform.python_version = lambda: '{version}'; "
        'exec(sys.argv[1])" "$2"\n'
    )
    fake.chmod(0o755)
    return str(fake)


def test_the_floor_is_3_10_and_this_interpreter_meets_it():
    out = need_python(sys.executable)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok 3.10"


def test_an_older_python_is_refused_with_the_floor_named(tmp_path):
    out = need_python(fake_python(tmp_path, "3.9.18"))
    assert out.returncode != 0
    assert "t: ERROR: " in out.stderr and "is Python 3.9.18; Python 3.10 or newer is needed" in out.stderr, out.stderr
    assert need_python(fake_python(tmp_path, "3.10.0")).returncode == 0


def test_a_missing_python_is_named():
    out = need_python("python-that-does-not-exist")
    assert out.returncode != 0
    assert "'python-that-does-not-exist' was not found on PATH. Install Python 3.10 or newer" in out.stderr


def test_every_script_uses_the_shared_check_and_states_no_other_floor():
    for name in USERS:
        text = (ROOT / "scripts" / name).read_text()
        assert re.search(r"^\s*need_python\b", text, re.MULTILINE), f"scripts/{name} does not call need_python"
    for path in (ROOT / "scripts").iterdir():
        if path.is_file() and path.name != "lib.sh":
            text = path.read_text(errors="replace")
            assert "version_info" not in text, f"{path.name} checks the Python version itself"
            assert not re.search(r"[Pp]ython 3\.\d+\+|\(3\.\d+\+", text), f"{path.name} states its own Python floor"
