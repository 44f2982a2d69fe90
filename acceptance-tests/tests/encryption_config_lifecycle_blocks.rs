//! Terraform's own lifecycle blocks around a guarded CMK: `import` blocks
//! (Terraform 1.5+) and `removed { lifecycle { destroy = false } }` blocks
//! (1.7+). Older cores are exercised with their equivalents (`terraform
//! import`, `terraform state rm`), so every core asserts its own correct
//! behaviour instead of being skipped.

use acceptance_tests::context::TestContext;
use acceptance_tests::{each_core, ensure, ClusterSpec, Feature, KeySpec, Result};

const THIS: &str = "eks_encryption_config.this";

fn resource(key_arn: &str) -> String {
    format!(
        "resource \"eks_encryption_config\" \"this\" {{\n  cluster_name = \"demo\"\n  key_arn      = \"{key_arn}\"\n}}\n"
    )
}

/// A cluster that already has a CMK; returns the key ARN.
fn encrypted_cluster(ctx: &TestContext) -> Result<String> {
    let key = ctx
        .emulator()
        .create_key(&KeySpec::symmetric().alias("alias/demo"))?;
    let mut spec = ClusterSpec::new("demo");
    spec.key_arn = Some(key.key_arn.clone());
    ctx.emulator().create_cluster(&spec)?;
    Ok(key.key_arn)
}

fn empty_plans(ctx: &TestContext) -> Result<()> {
    ctx.tf_ok(&["plan", "-refresh=false", "-detailed-exitcode"])?;
    ctx.tf_ok(&["plan", "-detailed-exitcode"])?;
    Ok(())
}

#[test]
fn encryption_config_import_block() {
    each_core("encryption_config_import_block", |ctx| {
        let key_arn = encrypted_cluster(ctx)?;
        if ctx.supports(Feature::ImportBlocks) {
            ctx.write_config(&format!(
                "import {{\n  to = {THIS}\n  id = \"demo\"\n}}\n{}",
                resource(&key_arn)
            ))?;
            let plan = ctx.tf_ok(&["plan"])?;
            ensure!(
                plan.normalized().contains("1 to import"),
                "expected an import in the plan:\n{}",
                plan.report()
            );
            ctx.tf_ok(&["apply", "-auto-approve"])?;
        } else {
            ctx.skip(
                "the import block (using terraform import)",
                Feature::ImportBlocks,
            );
            ctx.write_config(&resource(&key_arn))?;
            ctx.tf_ok(&["import", THIS, "demo"])?;
        }
        let state = ctx.state()?;
        ensure!(
            state.attr_str(THIS, "key_type") == Some("CUSTOMER_MANAGED")
                && state.attr_str(THIS, "resolved_key_arn") == Some(key_arn.as_str())
                && state.attr_str(THIS, "key_arn") == Some(key_arn.as_str()),
            "imported state: {:?}",
            state.values(THIS)
        );
        empty_plans(ctx)?;
        ctx.assert_count("AssociateEncryptionConfig", 0)?;
        ctx.assert_no_mutating_calls()
    });
}

#[test]
fn encryption_config_removed_block_forgets() {
    each_core("encryption_config_removed_block_forgets", |ctx| {
        let key = ctx
            .emulator()
            .create_key(&KeySpec::symmetric().alias("alias/demo"))?;
        ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
        ctx.write_config(&resource(&key.key_arn))?;
        ctx.tf_ok(&["apply", "-auto-approve"])?;
        ctx.emulator().clear_requests()?;

        if ctx.supports(Feature::RemovedBlockLifecycle) {
            // deletion_protection stays true: a removed block with
            // destroy = false never destroys, so the guard does not object.
            ctx.write_config(&format!(
                "removed {{\n  from = {THIS}\n  lifecycle {{\n    destroy = false\n  }}\n}}\n"
            ))?;
            ctx.tf_ok(&["apply", "-auto-approve"])?;
        } else if ctx.supports(Feature::RemovedBlocks) {
            // OpenTofu 1.7 to 1.9: a removed block has no lifecycle block and
            // always forgets.
            ctx.skip(
                "`lifecycle { destroy = false }` (a plain removed block forgets)",
                Feature::RemovedBlockLifecycle,
            );
            ctx.write_config(&format!("removed {{\n  from = {THIS}\n}}\n"))?;
            ctx.tf_ok(&["apply", "-auto-approve"])?;
        } else {
            ctx.skip(
                "the removed block (using terraform state rm)",
                Feature::RemovedBlocks,
            );
            ctx.tf_ok(&["state", "rm", THIS])?;
            ctx.write_config("")?;
        }
        let state = ctx.state()?;
        ensure!(
            state.resource(THIS).is_none(),
            "{THIS} should be gone from state: {:?}",
            state.managed_addresses()
        );
        ctx.assert_no_mutating_calls()?;
        let live = ctx.emulator().cluster_key_arn("demo", "us-east-1")?;
        ensure!(
            live.as_deref() == Some(key.key_arn.as_str()),
            "the CMK must stay on the cluster, emulator says {live:?}"
        );
        Ok(())
    });
}
