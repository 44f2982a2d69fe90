"""Tests of the policy gates in policies/ (issue 20), with the real, pinned tools.

- checkov 3.3.30 with --external-checks-dir policies/checkov on the .tf fixtures in
  fixtures/tf (offline: --skip-download, in a network namespace when `unshare` allows it).
- conftest (tools/conftest) with policies/rego on plan JSON in the shape of
  `terraform show -json`. The plans here hold aws_eks_cluster resources, which need the
  hashicorp/aws provider (not installable offline), so they are written by hand, following the
  JSON output format; acceptance-tests/tests/policy_gates.rs runs the same policies on real
  plans of eks_encryption_config made against the emulator.

Every rule has a passing and a failing case; a failing case asserts the ID and the address.
Run through scripts/test-policies (which sets CHECKOV and CONFTEST); a missing tool fails.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TF = HERE / "fixtures" / "tf"
CHECKOV_DIR = REPO / "policies" / "checkov"
REGO_DIR = REPO / "policies" / "rego"
CHECKOV = Path(os.environ.get("CHECKOV") or REPO / ".cache/checkov/3.3.30/bin/checkov")
CONFTEST = Path(os.environ.get("CONFTEST") or REPO / ".cache/conftest/conftest")

KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def _tool(path: Path, name: str) -> Path:
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{name} was not found at {path}; run scripts/install-deps (or set {name.upper()})")
    return path


# --- checkov ---------------------------------------------------------------------------------


def _isolate() -> list[str]:
    if shutil.which("unshare"):
        ok = subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0
        if ok:
            return ["unshare", "-rn"]
    return []


def checkov(fixture: str, *extra: str) -> tuple[int, dict]:
    """checkov -d FIXTURE --external-checks-dir policies/checkov EXTRA..., JSON report."""
    cmd = [
        *_isolate(),
        str(_tool(CHECKOV, "checkov")),
        "-d",
        str(TF / fixture),
        "--framework",
        "terraform",
        "--external-checks-dir",
        str(CHECKOV_DIR),
        "--skip-download",
        "--output",
        "json",
        *extra,
    ]
    env = dict(os.environ, CKV_SKIP_PACKAGE_UPDATE_CHECK="true", BC_SKIP_MAPPING="TRUE")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=TF)
    assert proc.returncode in (0, 1), f"checkov did not run ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(proc.stdout)
    if isinstance(report, list):  # one report per framework
        report = next(r for r in report if r.get("check_type") == "terraform")
    return proc.returncode, report


def results(report: dict, kind: str, prefix: str = "CKV_EKSG_") -> set[tuple[str, str]]:
    return {
        (r["check_id"], r["resource"])
        for r in report.get("results", {}).get(f"{kind}_checks", [])
        if r["check_id"].startswith(prefix)
    }


def test_checkov_guarded_fixture_passes_every_check():
    """The issue's done-when: the guarded fixture passes all of checkov, CKV_AWS_58 skipped."""
    rc, report = checkov("guarded", "--skip-check", "CKV_AWS_58")
    assert rc == 0, json.dumps(report.get("results", {}).get("failed_checks"), indent=1)
    passed = results(report, "passed")
    for cluster in (
        "aws_eks_cluster.root",
        "aws_eks_cluster.wrapped",
        'aws_eks_cluster.fleet["blue"]',
        'aws_eks_cluster.fleet["green"]',
        "aws_eks_cluster.inline",
    ):
        assert ("CKV_EKSG_1", cluster) in passed, sorted(passed)
    for guard in (
        "eks_encryption_config.root",
        "module.guard.eks_encryption_config.this",
        'eks_encryption_config.fleet["blue"]',
        'eks_encryption_config.fleet["green"]',
    ):
        assert ("CKV_EKSG_2", guard) in passed, sorted(passed)
    # CKV_EKSG_1 reports on clusters only, never on the guards.
    assert not any(r.startswith(("eks_", "module.")) for i, r in passed if i == "CKV_EKSG_1")


def test_checkov_skip_line_for_ckv_aws_58():
    """Without --skip-check, the documented in-resource skip line suppresses CKV_AWS_58."""
    rc, report = checkov("guarded", "--check", "CKV_AWS_58,CKV_EKSG_1")
    assert rc == 0, json.dumps(report.get("results", {}).get("failed_checks"), indent=1)
    skipped = results(report, "skipped", prefix="CKV_AWS_58")
    assert ("CKV_AWS_58", "aws_eks_cluster.root") in skipped, skipped
    assert ("CKV_AWS_58", "aws_eks_cluster.wrapped") in skipped, skipped
    assert ("CKV_AWS_58", 'aws_eks_cluster.fleet["green"]') in skipped, skipped
    # The inline cluster satisfies CKV_AWS_58 on its own.
    assert ("CKV_AWS_58", "aws_eks_cluster.inline") in results(report, "passed", prefix="CKV_AWS_58")


@pytest.mark.parametrize(
    ("fixture", "check", "resources"),
    [
        ("unguarded-cluster", "CKV_EKSG_1", {"aws_eks_cluster.bare"}),
        ("unguarded-fleet", "CKV_EKSG_1", {'aws_eks_cluster.fleet["blue"]', 'aws_eks_cluster.fleet["green"]'}),
        ("module-guard-other-cluster", "CKV_EKSG_1", {"aws_eks_cluster.root"}),
        ("unprotected", "CKV_EKSG_2", {"eks_encryption_config.unprotected"}),
        ("aws-managed-key", "CKV_EKSG_3", {"eks_encryption_config.by_alias", "eks_encryption_config.by_alias_arn"}),
    ],
)
def test_checkov_failing_fixture(fixture, check, resources):
    rc, report = checkov(fixture, "--skip-check", "CKV_AWS_58")
    assert rc == 1
    failed = {r for i, r in results(report, "failed") if i == check}
    assert failed == resources, f"{check} failed on {failed}, expected {resources}"
    # ...and on nothing else of ours.
    others = {(i, r) for i, r in results(report, "failed") if i != check}
    assert not others, others


def test_checkov_unguarded_cluster_passes_the_guarded_one():
    _, report = checkov("unguarded-cluster", "--check", "CKV_EKSG_1")
    assert ("CKV_EKSG_1", "aws_eks_cluster.guarded") in results(report, "passed")


def test_checkov_skip_with_reason_is_honoured():
    rc, report = checkov("unprotected-skipped", "--check", "CKV_EKSG_2")
    assert rc == 0
    skipped = [r for r in report["results"]["skipped_checks"] if r["check_id"] == "CKV_EKSG_2"]
    assert [r["resource"] for r in skipped] == ["eks_encryption_config.handover"]
    assert "platform team" in skipped[0]["check_result"]["suppress_comment"]


@pytest.mark.parametrize("fixture", ["fleet-over-resource", "module-name-literal"])
def test_checkov_limits_fail_safe(fixture):
    """What checkov 3.3.30 cannot follow fails CKV_EKSG_1 (never a false pass); the guide says
    how to write it so that it can."""
    rc, report = checkov(fixture, "--check", "CKV_EKSG_1")
    assert rc == 1
    assert {i for i, _ in results(report, "failed")} == {"CKV_EKSG_1"}


# --- conftest on plan JSON --------------------------------------------------------------------


def conftest(plan: dict, tmp_path: Path, data: dict | None = None) -> tuple[bool, str]:
    path = tmp_path / "tfplan.json"
    path.write_text(json.dumps(plan, indent=1))
    cmd = [str(_tool(CONFTEST, "conftest")), "test", "--no-color", "--policy", str(REGO_DIR)]
    if data is not None:
        (tmp_path / "exceptions.json").write_text(json.dumps(data))
        cmd += ["--data", str(tmp_path / "exceptions.json")]
    proc = subprocess.run([*cmd, str(path)], capture_output=True, text=True)
    assert proc.returncode in (0, 1), f"conftest did not run ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
    return proc.returncode == 0, proc.stdout + proc.stderr


def fails_with(out: str, check: str, address: str) -> bool:
    return any(
        line.startswith("FAIL") and f"{check}: " in line and address in line for line in out.splitlines()
    )


def change(address, rtype, actions, before=None, after=None, after_unknown=None, module=None, index=None):
    name = address.split(".")[-1].split("[")[0]
    rc = {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws"
        if rtype.startswith("aws_")
        else "registry.terraform.io/cmkguard/eks",
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": after_unknown or {},
        },
    }
    if module:
        rc["module_address"] = module
    if index is not None:
        rc["index"] = index
    return rc


def cluster(address, name, key=None, actions=("create",), before=None, **kw):
    ec = [{"resources": ["secrets"], "provider": [{"key_arn": key}]}] if key else []
    return change(address, "aws_eks_cluster", list(actions), before=before, after={"name": name, "encryption_config": ec}, **kw)


def guard(address, cluster_name, key=KEY, protection=True, actions=("create",), before=None, **kw):
    after = {"cluster_name": cluster_name, "key_arn": key, "deletion_protection": protection, "resources": ["secrets"]}
    return change(address, "eks_encryption_config", list(actions), before=before, after=after, **kw)


def plan(*changes, configuration=None):
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "resource_changes": list(changes),
        "configuration": configuration or {"root_module": {}},
    }


def config_resource(address, rtype, refs, for_each_refs=None):
    r = {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": address.split(".")[-1],
        "expressions": {"cluster_name": {"references": refs}} if refs else {"cluster_name": {"constant_value": "x"}},
    }
    if for_each_refs:
        r["for_each_expression"] = {"references": for_each_refs}
    return r


def guarded_plan():
    """Root guard by value, a module guard whose cluster name is only known after apply (matched
    through the configuration's references), a for_each fleet, an inline key known after apply,
    a cluster being deleted, and a guard being forgotten (removed block, destroy = false)."""
    return plan(
        cluster("aws_eks_cluster.root", "root"),
        guard("eks_encryption_config.root", "root"),
        cluster("aws_eks_cluster.wrapped", None, after_unknown={"name": True}),
        change(
            "module.guard.eks_encryption_config.this",
            "eks_encryption_config",
            ["create"],
            after={"key_arn": KEY, "deletion_protection": True},
            after_unknown={"cluster_name": True},
            module="module.guard",
        ),
        cluster('aws_eks_cluster.fleet["blue"]', "blue", index="blue"),
        cluster('aws_eks_cluster.fleet["green"]', "green", index="green"),
        guard('eks_encryption_config.fleet["blue"]', "blue", index="blue"),
        guard('eks_encryption_config.fleet["green"]', "green", index="green"),
        change(
            "aws_eks_cluster.inline",
            "aws_eks_cluster",
            ["create"],
            after={"name": "inline", "encryption_config": [{"resources": ["secrets"], "provider": [{}]}]},
            after_unknown={"encryption_config": [{"provider": [{"key_arn": True}]}]},
        ),
        change(
            "aws_eks_cluster.inline_unknown",
            "aws_eks_cluster",
            ["create"],
            after={"name": "inline-unknown"},
            after_unknown={"encryption_config": True},
        ),
        cluster("aws_eks_cluster.old", "old", actions=("delete",), before={"name": "old", "encryption_config": []}),
        change(
            "eks_encryption_config.handed_over",
            "eks_encryption_config",
            ["forget"],
            before={"cluster_name": "legacy", "key_arn": KEY, "key_type": "CUSTOMER_MANAGED"},
        ),
        configuration={
            "root_module": {
                "resources": [
                    config_resource("aws_eks_cluster.wrapped", "aws_eks_cluster", None),
                    config_resource("eks_encryption_config.root", "eks_encryption_config", ["aws_eks_cluster.root.name", "aws_eks_cluster.root"]),
                ],
                "module_calls": {
                    "guard": {
                        "source": "./modules/guard",
                        "expressions": {
                            "cluster_name": {"references": ["aws_eks_cluster.wrapped.id", "aws_eks_cluster.wrapped"]}
                        },
                        "module": {
                            "resources": [
                                config_resource("eks_encryption_config.this", "eks_encryption_config", ["var.cluster_name"])
                            ]
                        },
                    }
                },
            }
        },
    )


def test_conftest_guarded_plan_passes(tmp_path):
    ok, out = conftest(guarded_plan(), tmp_path)
    assert ok, out


def test_conftest_ckv_eksg_1_unguarded_cluster(tmp_path):
    p = plan(cluster("aws_eks_cluster.bare", "bare"), guard("eks_encryption_config.other", "other"))
    ok, out = conftest(p, tmp_path)
    assert not ok and fails_with(out, "CKV_EKSG_1", "aws_eks_cluster.bare"), out
    assert "cluster_name = aws_eks_cluster.bare.name" in out, out


def test_conftest_ckv_eksg_1_count_index_and_null_index(tmp_path):
    p = plan(cluster("aws_eks_cluster.c[0]", "c0", index=0), cluster("aws_eks_cluster.n", "n"))
    p["resource_changes"][1]["index"] = None
    ok, out = conftest(p, tmp_path)
    assert not ok and fails_with(out, "CKV_EKSG_1", "aws_eks_cluster.c[0]"), out
    assert "cluster_name = aws_eks_cluster.c.name" in out, out
    assert fails_with(out, "CKV_EKSG_1", "aws_eks_cluster.n "), out


def test_conftest_ckv_eksg_1_fleet_member_without_guard(tmp_path):
    p = plan(
        cluster('aws_eks_cluster.fleet["blue"]', "blue", index="blue"),
        cluster('aws_eks_cluster.fleet["green"]', "green", index="green"),
        guard('eks_encryption_config.fleet["blue"]', "blue", index="blue"),
    )
    ok, out = conftest(p, tmp_path)
    assert not ok and fails_with(out, "CKV_EKSG_1", 'aws_eks_cluster.fleet["green"]'), out
    assert not fails_with(out, "CKV_EKSG_1", 'aws_eks_cluster.fleet["blue"]'), out


def test_conftest_ckv_eksg_1_module_guard_of_another_cluster(tmp_path):
    p = guarded_plan()
    # The module is handed another name: no reference to aws_eks_cluster.wrapped is left.
    p["configuration"]["root_module"]["module_calls"]["guard"]["expressions"]["cluster_name"] = {"constant_value": "other"}
    ok, out = conftest(p, tmp_path)
    assert not ok and fails_with(out, "CKV_EKSG_1", "aws_eks_cluster.wrapped"), out
    assert sum(line.startswith("FAIL") for line in out.splitlines()) == 1, out


def test_conftest_ckv_eksg_2_protection_off(tmp_path):
    p = plan(guard("eks_encryption_config.this", "demo", protection=False))
    ok, out = conftest(p, tmp_path)
    assert not ok and fails_with(out, "CKV_EKSG_2", "eks_encryption_config.this"), out


def test_conftest_ckv_eksg_2_exception_needs_a_reason(tmp_path):
    p = plan(guard("eks_encryption_config.this", "demo", protection=False))
    ok, out = conftest(p, tmp_path, {"eksg_exceptions": {"CKV_EKSG_2": {"eks_encryption_config.this": "handed over to the platform state"}}})
    assert ok, out
    ok, out = conftest(p, tmp_path, {"eksg_exceptions": {"CKV_EKSG_2": {"eks_encryption_config.this": " "}}})
    assert not ok and fails_with(out, "CKV_EKSG_2", "eks_encryption_config.this"), out


@pytest.mark.parametrize("key", ["alias/aws/eks", "arn:aws:kms:us-east-1:123456789012:alias/aws/eks"])
def test_conftest_ckv_eksg_3_aws_managed_key(tmp_path, key):
    p = plan(guard("eks_encryption_config.this", "demo", key=key))
    ok, out = conftest(p, tmp_path)
    assert not ok and fails_with(out, "CKV_EKSG_3", "eks_encryption_config.this"), out


def test_conftest_ckv_eksg_3_customer_alias_passes(tmp_path):
    ok, out = conftest(plan(guard("eks_encryption_config.this", "demo", key="alias/aws-eks-team")), tmp_path)
    assert ok, out


PRIOR_CMK = {"cluster_name": "demo", "key_arn": KEY, "resolved_key_arn": KEY, "key_type": "CUSTOMER_MANAGED", "deletion_protection": True}


def test_conftest_ckv_eksg_4_replace_of_a_cmk_guard(tmp_path):
    p = plan(guard("eks_encryption_config.this", "demo2", actions=("delete", "create"), before=PRIOR_CMK))
    ok, out = conftest(p, tmp_path)
    assert not ok and fails_with(out, "CKV_EKSG_4", "eks_encryption_config.this"), out
    assert "replaces" in out, out


def test_conftest_ckv_eksg_4_destroy_of_a_guard_in_a_module(tmp_path):
    addr = "module.guard.eks_encryption_config.this"
    p = plan(change(addr, "eks_encryption_config", ["delete"], before=PRIOR_CMK, module="module.guard"))
    ok, out = conftest(p, tmp_path)
    assert not ok and fails_with(out, "CKV_EKSG_4", addr), out
    assert "destroys" in out, out


def test_conftest_ckv_eksg_4_allows_a_guard_without_cmk_and_an_update(tmp_path):
    no_cmk = dict(PRIOR_CMK, key_arn=None, resolved_key_arn=None, key_type="AWS_OWNED")
    p = plan(
        guard("eks_encryption_config.a", "a", actions=("delete",), before=no_cmk),
        guard("eks_encryption_config.b", "demo", actions=("update",), before=PRIOR_CMK),
    )
    ok, out = conftest(p, tmp_path)
    assert ok, out


def test_conftest_ckv_eksg_5_encryption_config_removed(tmp_path):
    before = {"name": "main", "encryption_config": [{"resources": ["secrets"], "provider": [{"key_arn": KEY}]}]}
    p = plan(
        cluster("aws_eks_cluster.main", "main", actions=("delete", "create"), before=before),
        guard("eks_encryption_config.main", "main"),
    )
    ok, out = conftest(p, tmp_path)
    assert not ok and fails_with(out, "CKV_EKSG_5", "aws_eks_cluster.main"), out
    # The cluster is still guarded (CKV_EKSG_1 passes): only the removal is refused.
    assert not fails_with(out, "CKV_EKSG_1", "aws_eks_cluster.main"), out


def test_conftest_ckv_eksg_5_ignore_changes_keeps_the_key(tmp_path):
    before = {"name": "main", "encryption_config": [{"resources": ["secrets"], "provider": [{"key_arn": KEY}]}]}
    after = copy.deepcopy(before)
    p = plan(change("aws_eks_cluster.main", "aws_eks_cluster", ["update"], before=before, after=after))
    ok, out = conftest(p, tmp_path)
    assert ok, out
