"""`scripts/quickstart --keep` (issue 22): the quickstart passes, leaves the emulator
running, prints the lines to paste into another shell (endpoint, dummy credentials, a CLI
config with dev_overrides pointing at the debug build), and `--stop` stops it.

The lines are then used as a user would: a refreshed `terraform plan` in the kept example
with only the printed environment must find nothing to change. Cheap once the debug build
exists (scripts/test builds it first): one apply and two plans against the emulator."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scripts" / "quickstart"


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env["QUICKSTART_DIR"] = str(tmp_path / "playground")
    env["CHECKPOINT_DISABLE"] = "1"
    return env


def alive(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/_emulator/health", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def test_keep_prints_a_usable_playground_and_stop_ends_it(tmp_path):
    env = environment(tmp_path)
    if shutil.which("cargo") is None:
        pytest.fail("needs cargo on PATH to build the provider")
    endpoint = None
    try:
        run = subprocess.run(
            [str(QUICKSTART), "--keep"], env=env, capture_output=True, text=True,
            stdin=subprocess.DEVNULL, timeout=1800,
        )
        out = run.stdout
        assert run.returncode == 0, f"{out}\n{run.stderr}"

        # The three lines to paste, exactly as printed.
        found = re.search(r"^export AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)$", out, re.M)
        creds = re.search(r"^export AWS_ACCESS_KEY_ID=quickstart AWS_SECRET_ACCESS_KEY=quickstart "
                          r"AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true CHECKPOINT_DISABLE=1$", out, re.M)
        cli = re.search(r"^export TF_CLI_CONFIG_FILE=(\S+)$", out, re.M)
        assert found and creds and cli, out
        endpoint = found[1]
        assert f"endpoint:    {endpoint}" in out
        # The CLI config it names: dev_overrides pointing at the debug build, and says so.
        config = Path(cli[1]).read_text()
        debug_dir = re.search(r'"registry\.terraform\.io/cmkguard/eks"\s*=\s*"([^"]+)"', config)
        assert debug_dir and debug_dir[1].endswith("/debug"), config
        # OpenTofu's registry host too, so the config serves either core.
        assert re.search(r'"registry\.opentofu\.org/cmkguard/eks"\s*=\s*"' + re.escape(debug_dir[1]) + '"', config), config
        # It says which core it used: the newest one found.
        used = re.search(r"^==> Using (terraform|tofu) (\S+) \((\S+)\): the newest core found$", out, re.M)
        assert used, out
        assert (Path(debug_dir[1]) / "terraform-provider-eks").is_file()
        assert "dev_overrides" in out and "the debug build" in out, out
        assert "Stop it: scripts/quickstart --stop" in out, out
        # Terraform's override warning: explained in one line, shown once.
        assert out.count("Provider development overrides are in effect") == 2, out  # the explanation + the warning
        assert out.count("Warning: Provider development overrides are in effect") == 1, out
        assert "Cannot remove the customer managed key" in out
        assert alive(endpoint), "the emulator should still run after --keep"

        # Another shell: only the printed lines, in the kept example.
        work = re.search(r"then, for example: cd (\S+) && (\S+) plan", out)
        assert work and work[2] == used[3], out
        shell = {k: v for k, v in env.items() if k != "QUICKSTART_DIR"}
        shell.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="quickstart",
                     AWS_SECRET_ACCESS_KEY="quickstart", AWS_REGION="us-east-1",
                     AWS_EC2_METADATA_DISABLED="true", TF_CLI_CONFIG_FILE=cli[1], TF_IN_AUTOMATION="1")
        plan = subprocess.run(
            [work[2], "plan", "-no-color", "-input=false", "-detailed-exitcode"],
            cwd=work[1], env=shell, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300,
        )
        assert plan.returncode == 0, f"the playground's plan should be empty:\n{plan.stdout}\n{plan.stderr}"
    finally:
        stop = subprocess.run([str(QUICKSTART), "--stop"], env=env, capture_output=True, text=True, timeout=120)
    assert stop.returncode == 0, stop.stderr
    assert "Stopped the quickstart's emulator" in stop.stdout, stop.stdout
    assert endpoint and not alive(endpoint), "--stop should have stopped the emulator"
    assert not (tmp_path / "playground").exists()
    again = subprocess.run([str(QUICKSTART), "--stop"], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "nothing to stop" in again.stdout
