//! The policy gates of `policies/rego` (issue 20) on real plan JSON: the
//! provider on every discovered core plans against the emulator, the test
//! saves the plan, writes `terraform show -json` of it and runs the pinned
//! conftest on it, exactly as a CI gate would.
//!
//! - A clean plan of a guarded cluster passes. A destroy plan of it is
//!   refused by the provider from Terraform 1.3; older cores plan the delete
//!   (the provider refuses at apply), and the gate fails it, `CKV_EKSG_4`.
//! - A plan that turns `deletion_protection` off fails `CKV_EKSG_2`.
//! - A `plan -destroy` of the guard once protection is off (the provider
//!   plans it: the key stays on the cluster, Terraform forgets the resource)
//!   fails `CKV_EKSG_4`, naming the resource's address; so does a plan that
//!   replaces it (another `cluster_name`).
//!
//! checkov (the pinned 3.3.30, `--framework terraform_plan`) reads the same
//! plan JSON with `policies/checkov`: `CKV_EKSG_2` passes on the clean plan
//! and fails on the one that turns protection off.
//!
//! conftest comes from `CONFTEST`, else `.cache/conftest/conftest`, which
//! `scripts/install-deps` builds from `tools/conftest` (pinned by its go.mod
//! and go.sum). Without it the test fails and says so: it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use acceptance_tests::context::TestContext;
use acceptance_tests::cores::Feature;
use acceptance_tests::paths::{is_executable, repo_root};
use acceptance_tests::{
    bail, each_core, ensure, Action, ClusterSpec, Destroy, Error, KeySpec, Result, Step, TestCase,
};

const THIS: &str = "eks_encryption_config.this";
const PROTECTED: &str = "Customer managed key is protected from deletion";
const STAYS: &str = "Warning: Customer managed key stays on the cluster";

/// The pinned conftest, or a failure that says how to get it.
fn conftest() -> Result<PathBuf> {
    let path = match std::env::var_os("CONFTEST") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo_root().join(".cache/conftest/conftest"),
    };
    ensure!(
        is_executable(&path),
        "conftest was not found at {} (set CONFTEST, or run scripts/install-deps, which builds the \
         version pinned in tools/conftest/go.mod); the policy gate tests cannot run without it",
        path.display()
    );
    Ok(path)
}

/// The pinned checkov (`scripts/install-deps`), or a failure that says how
/// to get it.
fn checkov() -> Result<PathBuf> {
    let path = match std::env::var_os("CHECKOV") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo_root().join(".cache/checkov/3.3.30/bin/checkov"),
    };
    ensure!(
        is_executable(&path),
        "checkov was not found at {} (set CHECKOV, or run scripts/install-deps); the policy gate \
         tests cannot run without it",
        path.display()
    );
    Ok(path)
}

/// checkov's CKV_EKSG_* results on a plan JSON file (`--framework
/// terraform_plan`, offline): (check id, resource, passed).
fn checkov_plan(plan_json: &Path) -> Result<Vec<(String, String, bool)>> {
    let out = Command::new(checkov()?)
        .arg("-f")
        .arg(plan_json)
        .args(["--framework", "terraform_plan", "--external-checks-dir"])
        .arg(repo_root().join("policies/checkov"))
        .args([
            "--check",
            "CKV_EKSG_1,CKV_EKSG_2,CKV_EKSG_3",
            "--skip-download",
            "--output",
            "json",
        ])
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .map_err(|e| Error::io("running checkov", e))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).map_err(|e| {
        Error::Check(format!(
            "checkov printed no JSON report ({e}, exit {:?}):\n{stdout}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ))
    })?;
    let mut found = Vec::new();
    for (kind, passed) in [("passed_checks", true), ("failed_checks", false)] {
        for r in report["results"][kind].as_array().into_iter().flatten() {
            found.push((
                r["check_id"].as_str().unwrap_or_default().to_string(),
                r["resource"].as_str().unwrap_or_default().to_string(),
                passed,
            ));
        }
    }
    Ok(found)
}

/// What conftest said about one plan.
struct Verdict {
    passed: bool,
    output: String,
}

/// `terraform plan <extra> -out=<name>.tfplan`, `terraform show -json` of it
/// into `<name>.json` (kept next to the configuration), then conftest on it.
fn gate(ctx: &TestContext, name: &str, extra: &[&str]) -> Result<Verdict> {
    let plan_file = format!("{name}.tfplan");
    let out_arg = format!("-out={plan_file}");
    let mut args = vec!["plan"];
    args.extend_from_slice(extra);
    args.push(&out_arg);
    ctx.tf_ok(&args)?;
    let show = ctx.tf_ok(&["show", "-json", &plan_file])?;
    let plan: serde_json::Value = show.json()?;
    let json_path = ctx.dir().join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(&plan)
        .map_err(|e| Error::Check(format!("serializing the plan JSON: {e}")))?;
    std::fs::write(&json_path, text)
        .map_err(|e| Error::io(format!("writing {}", json_path.display()), e))?;
    run_conftest(&json_path)
}

fn run_conftest(plan_json: &Path) -> Result<Verdict> {
    let policies = repo_root().join("policies/rego");
    let out = Command::new(conftest()?)
        .args(["test", "--no-color", "--policy"])
        .arg(&policies)
        .arg(plan_json)
        .output()
        .map_err(|e| Error::io("running conftest", e))?;
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => Ok(Verdict {
            passed: true,
            output,
        }),
        // conftest exits 1 when a deny rule fires.
        Some(1) => Ok(Verdict {
            passed: false,
            output,
        }),
        other => bail!("conftest did not run ({other:?}):\n{output}"),
    }
}

/// Fails unless `v` failed with a line that holds both `id` and `address`.
fn denies(v: &Verdict, id: &str, address: &str) -> Result<()> {
    ensure!(
        !v.passed,
        "conftest passed, expected {id} on {address}:\n{}",
        v.output
    );
    ensure!(
        v.output.lines().any(|l| l.starts_with("FAIL")
            && l.contains(&format!("{id}: "))
            && l.contains(address)),
        "conftest failed, but no FAIL line names {id} and {address}:\n{}",
        v.output
    );
    Ok(())
}

const UNPROTECTED: &str = "  deletion_protection = false\n";

fn guard_of(cluster: &str, key_arn: &str, extra: &str) -> String {
    format!(
        "resource \"eks_encryption_config\" \"this\" {{\n  cluster_name = \"{cluster}\"\n  key_arn      = \"{key_arn}\"\n{extra}}}\n"
    )
}

#[test]
fn policy_gates_conftest_on_plan_json() {
    conftest().unwrap_or_else(|e| panic!("{e}"));
    checkov().unwrap_or_else(|e| panic!("{e}"));
    each_core("policy_gates_conftest_on_plan_json", |ctx| {
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric().alias("alias/demo"))?;
        em.create_cluster(&ClusterSpec::new("demo"))?;

        em.create_cluster(&ClusterSpec::new("demo-2"))?;
        let key_arn = key.key_arn.clone();
        let protected = guard_of("demo", &key.key_arn, "");
        let unprotected = guard_of("demo", &key.key_arn, UNPROTECTED);
        TestCase::new(vec![
            Step::new(protected)
                .named("guarded: a clean plan passes the gate")
                .expect_action(THIS, Action::Create)
                .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
                .import_verify(THIS, "demo", &["timeouts"])
                .after(|ctx| {
                    let v = gate(ctx, "clean", &[])?;
                    ensure!(
                        v.passed,
                        "conftest refused the plan of a guarded cluster:\n{}",
                        v.output
                    );
                    if ctx.supports(Feature::PlanDestroy) {
                        // The provider itself refuses the destroy plan while protected.
                        let out = ctx.tf(&["plan", "-destroy"])?;
                        ensure!(
                            !out.success() && out.combined().contains(PROTECTED),
                            "expected the provider to refuse a destroy plan while protected:\n{}",
                            out.report()
                        );
                    } else {
                        // Before Terraform 1.3 a destroy plan never reaches the provider (it
                        // refuses at apply): the saved plan shows the delete, and the gate
                        // stops it before anyone applies it.
                        let v = gate(ctx, "destroy-protected", &["-destroy"])?;
                        denies(&v, "CKV_EKSG_4", THIS)?;
                    }
                    Ok(())
                }),
            Step::new(unprotected)
                .named("protection off: CKV_EKSG_2, and a destroy plan fails CKV_EKSG_4")
                .before(|ctx| {
                    let v = gate(ctx, "unprotect", &[])?;
                    denies(&v, "CKV_EKSG_2", THIS)?;
                    let found = checkov_plan(&ctx.dir().join("unprotect.json"))?;
                    ensure!(
                        found.contains(&("CKV_EKSG_2".into(), THIS.into(), false)),
                        "checkov on the plan JSON: expected CKV_EKSG_2 to fail on {THIS}: {found:?}"
                    );
                    Ok(())
                })
                .expect_action(THIS, Action::Update)
                .attr_eq(THIS, "deletion_protection", false)
                .after(move |ctx| {
                    let v = gate(ctx, "destroy", &["-destroy"])?;
                    denies(&v, "CKV_EKSG_4", THIS)?;
                    let plan: serde_json::Value = serde_json::from_str(
                        &std::fs::read_to_string(ctx.dir().join("destroy.json"))
                            .map_err(|e| Error::io("reading destroy.json", e))?,
                    )
                    .map_err(|e| Error::Check(format!("destroy.json: {e}")))?;
                    // What the gate saw: a real delete of a guard over a CMK.
                    let change = plan["resource_changes"]
                        .as_array()
                        .and_then(|rcs| rcs.iter().find(|rc| rc["address"] == THIS))
                        .ok_or_else(|| {
                            Error::Check(format!("{THIS} is not in the destroy plan"))
                        })?;
                    ensure!(
                        change["change"]["actions"] == serde_json::json!(["delete"])
                            && change["change"]["before"]["key_type"] == "CUSTOMER_MANAGED",
                        "unexpected change in the destroy plan: {change}"
                    );
                    // Another cluster_name replaces the guard (protection is off, so the
                    // provider plans it): the gate fails that plan too.
                    ctx.write_config(&guard_of("demo-2", &key_arn, UNPROTECTED))?;
                    let v = gate(ctx, "replace", &[])?;
                    ctx.write_config(&guard_of("demo", &key_arn, UNPROTECTED))?;
                    denies(&v, "CKV_EKSG_4", THIS)?;
                    ensure!(
                        v.output.contains(&format!("this plan replaces {THIS}")),
                        "the CKV_EKSG_4 message must say the plan replaces {THIS}:\n{}",
                        v.output
                    );
                    Ok(())
                }),
        ])
        .destroy(Destroy::new().expect_warning(STAYS))
        .run(ctx)
    });
}
