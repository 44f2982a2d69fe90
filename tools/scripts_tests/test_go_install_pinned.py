"""scripts/lib.sh's go_install_pinned, which builds every Go tool and core scripts/install-deps
provides (OpenTofu, Terraform 1.5.7, tfplugindocs): a module whose go.sum does not verify, or a
build that prints another version, stops with the command and the reason and installs nothing.

Uses the pinned tfplugindocs module (small, and already built by scripts/install-deps, so Go's
build cache makes these runs quick)."""

import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
PKG = "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"


def run_pinned(module, dest, want, version=None):
    # The link flag scripts/install-deps passes; by default it stamps the wanted version.
    version = version or want.rsplit(" ", 1)[-1]
    ldflags = f"-X {PKG}/build.version={version}"
    script = (
        f'source "{REPO}/scripts/lib.sh"; '
        f'go_install_pinned "tfplugindocs (test)" "{module}" "{dest}" tfplugindocs {PKG} "{ldflags}" "{want}" --version'
    )
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=900)


@pytest.fixture
def module(tmp_path):
    if shutil.which("go") is None:
        pytest.fail("go is not on PATH: scripts/install-deps needs Go to build the pinned tools")
    m = tmp_path / "module"
    m.mkdir()
    for f in ("go.mod", "go.sum"):
        shutil.copy(REPO / "tools/tfplugindocs" / f, m / f)
    return m


def assert_nothing_installed(dest):
    assert not dest.exists(), f"{dest} exists after a failed build"
    assert not list(dest.parent.glob(".building-*")), "a temporary build directory was left behind"


def test_tampered_go_sum_stops_with_the_command_and_installs_nothing(module, tmp_path):
    gosum = module / "go.sum"
    lines = gosum.read_text().splitlines()
    # Change one hash of the tool's own module (h1:<base64>=): Go must refuse it.
    for i, line in enumerate(lines):
        if line.startswith("github.com/hashicorp/terraform-plugin-docs ") and " h1:" in line and "/go.mod" not in line:
            name, ver, h = line.split(" ")
            lines[i] = f"{name} {ver} h1:{'A' * 43}="
            break
    else:
        pytest.fail("no h1: line for terraform-plugin-docs in go.sum")
    gosum.write_text("\n".join(lines) + "\n")
    dest = tmp_path / "cache" / "tfplugindocs-test"
    r = run_pinned(module, dest, "tfplugindocs Version 0.25.0")
    assert r.returncode != 0, r.stdout + r.stderr
    assert "building tfplugindocs (test) failed; nothing was installed. Command:" in r.stderr, r.stderr
    assert "go build -trimpath" in r.stderr, r.stderr
    assert "SECURITY ERROR" in r.stderr or "checksum mismatch" in r.stderr or "verifying" in r.stderr, r.stderr
    assert_nothing_installed(dest)


def test_a_build_that_prints_another_version_is_not_installed(module, tmp_path):
    dest = tmp_path / "cache" / "tfplugindocs-test"
    r = run_pinned(module, dest, "tfplugindocs Version 9.9.9", version="0.25.0")
    assert r.returncode != 0, r.stdout + r.stderr
    assert "expected 'tfplugindocs Version 9.9.9'; nothing was installed" in r.stderr, r.stderr
    assert_nothing_installed(dest)


def test_a_good_build_is_installed_then_reused(module, tmp_path):
    dest = tmp_path / "cache" / "tfplugindocs-test"
    # What scripts/install-deps built (tfplugindocs prints its version on stderr).
    got = subprocess.run(
        [str(next((REPO / ".cache/tools").glob("tfplugindocs-*/tfplugindocs"))), "--version"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    want = got.stdout.splitlines()[0]
    assert want.startswith("tfplugindocs Version ") and not want.endswith("dev"), want
    r = run_pinned(module, dest, want)
    assert r.returncode == 0, r.stderr
    assert "built and checked" in r.stdout
    assert (dest / "tfplugindocs").is_file() and (dest / ".stamp").is_file()
    again = run_pinned(module, dest, want)
    assert again.returncode == 0, again.stderr
    assert "already built" in again.stdout and "stamp OK" in again.stdout, again.stdout
