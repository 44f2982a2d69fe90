//! `terraform test` for the reusable module `examples/modules/cmk-guard`
//! (issue 12): its `.tftest.hcl` files run on every core that has them.
//!
//! - `tests/validation.tftest.hcl`: the input validations and defaults, with
//!   `mock_provider` (no AWS).
//! - `tests/apply.tftest.hcl`: one real apply (and a second, empty plan)
//!   against the emulator, which this test seeds with the cluster `demo` and
//!   a key aliased `alias/cmk-guard-test`; the provider finds the emulator
//!   through `AWS_ENDPOINT_URL`, which it honours like the AWS SDKs.
//!
//! `terraform test` with `.tftest.hcl` files arrived in Terraform 1.6 and
//! `mock_provider` in 1.7, so older cores (1.0.3) print that they skip it and
//! why. The module is copied into the test's directory and the provider comes
//! from the harness' `dev_overrides`, so nothing is written into the
//! repository and nothing is downloaded.

use std::path::Path;

use acceptance_tests::{bail, each_core, ensure, ClusterSpec, Error, Feature, KeySpec, Result};

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(format!("creating {}", to.display()), e))?;
    for entry in std::fs::read_dir(from).map_err(|e| Error::io("reading the module", e))? {
        let entry = entry.map_err(|e| Error::io("reading the module", e))?;
        let name = entry.file_name();
        let path = entry.path();
        if path.is_dir() {
            // The module's own example is a separate root configuration.
            if name == "tests" {
                copy_dir(&path, &to.join(&name))?;
            }
        } else if name.to_string_lossy().ends_with(".tf")
            || name.to_string_lossy().ends_with(".tftest.hcl")
        {
            std::fs::copy(&path, to.join(&name))
                .map_err(|e| Error::io(format!("copying {}", path.display()), e))?;
        }
    }
    Ok(())
}

#[test]
fn issue12_module_cmk_guard_terraform_test() {
    each_core("issue12_module_cmk_guard_terraform_test", |ctx| {
        if !ctx.supports(Feature::TestMocks) {
            ctx.skip(
                "`test` of the module's .tftest.hcl files",
                Feature::TestMocks,
            );
            return Ok(());
        }
        let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/modules/cmk-guard");
        let dir = ctx.workdir.new_config_dir("cmk-guard")?;
        copy_dir(&module, &dir)?;
        for f in ["tests/validation.tftest.hcl", "tests/apply.tftest.hcl"] {
            ensure!(dir.join(f).is_file(), "the module has no {f}");
        }

        let em = ctx.emulator();
        em.create_cluster(&ClusterSpec::new("demo"))?;
        let key = em.create_key(&KeySpec::symmetric().alias("alias/cmk-guard-test"))?;

        let out = ctx
            .terraform
            .command(&dir, &["test", "-no-color"])
            .env("AWS_ENDPOINT_URL", ctx.url())
            .output()
            .map_err(|e| Error::io("running terraform test", e))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!("{stdout}");
        if !out.status.success() {
            bail!(
                "terraform test failed ({:?}):\n{stdout}\n{stderr}",
                out.status.code()
            );
        }
        // Every run block ran and passed: 9 validation runs, 2 against the emulator.
        for run in [
            "defaults_protect_the_key",
            "accepts_alias_name_and_alias_arn",
            "accepts_multi_region_key_and_live_read",
            "rejects_a_malformed_cluster_name",
            "rejects_a_cluster_name_over_100_characters",
            "rejects_something_that_is_not_a_key",
            "rejects_an_aws_managed_key_alias",
            "rejects_an_aws_managed_key_alias_arn",
            "rejects_malformed_timeouts",
            "associates_the_key_and_keeps_it",
            "a_second_plan_is_empty",
        ] {
            ensure!(
                stdout.contains(&format!("run \"{run}\"... pass")),
                "run \"{run}\" did not pass:\n{stdout}"
            );
        }
        ensure!(
            stdout.contains("11 passed, 0 failed"),
            "terraform test must report 11 passed, 0 failed:\n{stdout}"
        );
        // The apply really associated the key in the emulator, and the test's
        // clean-up only forgot it (EKS cannot remove a key).
        let got = em.cluster_key_arn("demo", "us-east-1")?;
        ensure!(
            got.as_deref() == Some(key.key_arn.as_str()),
            "the emulator's cluster demo has key {got:?}, expected {}",
            key.key_arn
        );
        ctx.assert_count("AssociateEncryptionConfig", 1)?;
        Ok(())
    });
}
