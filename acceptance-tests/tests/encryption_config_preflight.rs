//! The association preflight at plan: a CreateGrant dry run as the caller,
//! keys of another account, imported key material with an expiry, custom
//! key stores, `require_key_rotation`, and `preflight = false`.

use acceptance_tests::context::TestContext;
use acceptance_tests::emulator::{CALLER_ACCESS_KEY, CALLER_ACCOUNT};
use acceptance_tests::{
    each_core, ensure, Action, ClusterSpec, Destroy, KeySpec, Phase, Result, Step, TestCase,
};
use serde_json::json;

const THIS: &str = "eks_encryption_config.this";
const ASSOCIATE: &str = "AssociateEncryptionConfig";
const OTHER: &str = "111122223333";
const STAYS: &str = "Warning: Customer managed key stays on the cluster";

fn this(key: &str, extra: &str) -> String {
    format!(
        "resource \"eks_encryption_config\" \"this\" {{\n  cluster_name        = \"demo\"\n  key_arn             = \"{key}\"\n  deletion_protection = false\n{extra}}}\n"
    )
}

/// `Error: SUMMARY` on `eks_encryption_config.this`, highlighting `key_arn`.
fn error_on_key_arn(summary: &str) -> String {
    format!(
        r#"Error: {} with eks_encryption_config\.this, on main\.tf line \d+, in resource "eks_encryption_config" "this": \d+: key_arn\b"#,
        regex::escape(summary)
    )
}

fn dry_runs(ctx: &TestContext) -> Result<usize> {
    Ok(ctx
        .emulator()
        .requests_for("CreateGrant")?
        .iter()
        .filter(|r| r.body.as_ref().and_then(|b| b.get("DryRun")) == Some(&json!(true)))
        .count())
}

#[test]
fn encryption_config_preflight_grant_denied() {
    each_core("encryption_config_preflight_grant_denied", |ctx| {
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric())?;
        em.create_cluster(&ClusterSpec::new("demo"))?;
        let principal = format!("arn:aws:iam::{CALLER_ACCOUNT}:role/terraform");
        em.set_principal(CALLER_ACCESS_KEY, &principal, &["kms:CreateGrant"])?;
        let key_arn = key.key_arn.clone();
        TestCase::new(vec![
            Step::new(this(&key.key_arn, ""))
                .named("refused at plan")
                .before(|ctx| Ok(ctx.emulator().clear_requests()?))
                .expect_error_at(
                    Phase::Plan,
                    &error_on_key_arn("EKS could not create its grant on the key"),
                )
                .after(move |ctx| {
                    ensure!(dry_runs(ctx)? >= 1, "no CreateGrant dry run was made");
                    ctx.assert_no_mutating_calls()
                }),
            // The message names the principal and the permission.
            Step::new(this(&key_arn, ""))
                .named("message")
                .expect_error_at(
                    Phase::Plan,
                    r"arn:aws:iam::123456789012:role/terraform.{0,400}kms:CreateGrant",
                ),
            // Turned off, the plan goes through with no dry run; EKS then
            // refuses synchronously at apply, with nothing associated.
            Step::new(this(&key.key_arn, "  preflight           = false\n"))
                .named("preflight = false")
                .before(|ctx| Ok(ctx.emulator().clear_requests()?))
                .expect_error_at(Phase::Apply, r"kms:CreateGrant")
                .after(|ctx| {
                    ensure!(
                        dry_runs(ctx)? == 0,
                        "preflight = false still made a dry run"
                    );
                    let key = ctx.emulator().cluster_key_arn("demo", "us-east-1")?;
                    ensure!(key.is_none(), "a key was associated: {key:?}");
                    Ok(())
                }),
        ])
        .run(ctx)
    });
}

fn foreign_key(ctx: &TestContext, actions: &[&str]) -> Result<String> {
    let mut statements = vec![json!({
        "Sid": "Owner", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{OTHER}:root")},
        "Action": "kms:*", "Resource": "*"})];
    if !actions.is_empty() {
        statements.push(json!({
            "Sid": "ClusterAccount", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{CALLER_ACCOUNT}:root")},
            "Action": actions, "Resource": "*"}));
    }
    let key = ctx.emulator().create_key_with(
        &KeySpec::symmetric(),
        &json!({"account": OTHER, "policy": {"Version": "2012-10-17", "Statement": statements}}),
    )?;
    Ok(key.key_arn)
}

#[test]
fn encryption_config_preflight_cross_account() {
    each_core("encryption_config_preflight_cross_account", |ctx| {
        ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
        let describe_only = foreign_key(ctx, &["kms:DescribeKey", "kms:GetKeyRotationStatus"])?;
        let nothing = foreign_key(ctx, &[])?;
        let shared = foreign_key(
            ctx,
            &[
                "kms:DescribeKey",
                "kms:GetKeyRotationStatus",
                "kms:CreateGrant",
            ],
        )?;
        let shared2 = shared.clone();
        TestCase::new(vec![
            Step::new(this(&describe_only, ""))
                .named("key policy without CreateGrant")
                .before(|ctx| Ok(ctx.emulator().clear_requests()?))
                .expect_error_at(
                    Phase::Plan,
                    r"(?s)EKS could not create its grant on the key.{0,1500}account 111122223333.{0,300}arn:aws:iam::123456789012:root",
                )
                .after(|ctx| ctx.assert_no_mutating_calls()),
            Step::new(this(&nothing, ""))
                .named("key policy without the cluster's account")
                .expect_error_at(
                    Phase::Plan,
                    r"(?s)KMS key not usable.{0,800}account 111122223333",
                )
                .after(|ctx| ctx.assert_no_mutating_calls()),
            Step::new(this(&shared, ""))
                .named("shared")
                .expect_action(THIS, Action::Create)
                .attr_eq(THIS, "resolved_key_arn", shared.as_str())
                .import_verify(THIS, "demo", &["timeouts", "deletion_protection"])
                .after(move |ctx| {
                    ctx.assert_count(ASSOCIATE, 1)?;
                    let got = ctx.emulator().cluster_key_arn("demo", "us-east-1")?;
                    ensure!(got.as_deref() == Some(shared2.as_str()), "cluster key {got:?}");
                    Ok(())
                }),
        ])
        .destroy(Destroy::new().expect_warning(STAYS))
        .run(ctx)
    });
}

#[test]
fn encryption_config_expiring_key_material_warns() {
    each_core("encryption_config_expiring_key_material_warns", |ctx| {
        ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
        // 2030-01-01T00:00:00Z
        let key = ctx.emulator().create_key_with(
            &KeySpec::symmetric(),
            &json!({"origin": "EXTERNAL", "valid_to": 1_893_456_000}),
        )?;
        TestCase::new(vec![Step::new(this(&key.key_arn, ""))
            .expect_plan_warning(
                r"(?s)Warning: Imported key material expires.{0,800}2030-01-01T00:00:00Z",
            )
            .expect_action(THIS, Action::Create)
            .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
            .import_verify(THIS, "demo", &["timeouts", "deletion_protection"])
            .after(|ctx| ctx.assert_count(ASSOCIATE, 1))])
        .destroy(Destroy::new().expect_warning(STAYS))
        .run(ctx)
    });
}

#[test]
fn encryption_config_custom_key_store_warns() {
    each_core("encryption_config_custom_key_store_warns", |ctx| {
        ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
        let key = ctx.emulator().create_key_with(
            &KeySpec::symmetric(),
            &json!({"origin": "AWS_CLOUDHSM", "custom_key_store_id": "cks-0123456789abcdef0"}),
        )?;
        let key_id = key.key_id.clone();
        TestCase::new(vec![
            Step::new(this(&key.key_arn, ""))
                .expect_plan_warning(
                    r"(?s)Warning: Key in a custom key store.{0,800}cks-0123456789abcdef0",
                )
                .expect_action(THIS, Action::Create)
                .import_verify(THIS, "demo", &["timeouts", "deletion_protection"])
                .after(|ctx| ctx.assert_count(ASSOCIATE, 1)),
            // The store disconnects: refresh reports the key Unavailable.
            Step::new(this(&key.key_arn, ""))
                .named("store disconnected")
                .before(move |ctx| Ok(ctx.emulator().set_key_state(&key_id, "Unavailable")?))
                .refresh_only()
                .expect_plan_warning("Warning: Customer managed key is unavailable")
                .attr_eq(THIS, "key_state", "Unavailable"),
        ])
        .destroy(Destroy::new().expect_warning(STAYS))
        .run(ctx)
    });
}

#[test]
fn encryption_config_require_key_rotation() {
    each_core("encryption_config_require_key_rotation", |ctx| {
        ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
        let mut spec = KeySpec::symmetric();
        spec.rotation = false;
        let key = ctx.emulator().create_key(&spec)?;
        TestCase::new(vec![
            Step::new(this(&key.key_arn, "  require_key_rotation = true\n"))
                .named("required")
                .before(|ctx| Ok(ctx.emulator().clear_requests()?))
                .expect_error_at(
                    Phase::Plan,
                    &error_on_key_arn("Automatic key rotation is required"),
                )
                .after(|ctx| ctx.assert_no_mutating_calls()),
            Step::new(this(&key.key_arn, ""))
                .named("default: a warning")
                .expect_plan_warning("Warning: Automatic key rotation is off")
                .expect_action(THIS, Action::Create)
                .after(|ctx| ctx.assert_count(ASSOCIATE, 1)),
        ])
        .destroy(Destroy::new().expect_warning(STAYS))
        .run(ctx)
    });
}

/// Issue 13: `key_arn` an alias of the associated key, unchanged since the
/// apply, and DescribeKey denied to the caller: refresh keeps the alias and
/// the plan is empty, with a warning that the key could not be checked (it
/// failed the no-op plan before).
#[test]
fn issue13_encryption_config_alias_with_describe_key_denied() {
    each_core(
        "issue13_encryption_config_alias_with_describe_key_denied",
        |ctx| {
            let em = ctx.emulator();
            let key = em.create_key(&KeySpec::symmetric().alias("alias/app"))?;
            em.create_cluster(&ClusterSpec::new("demo"))?;
            let principal = format!("arn:aws:iam::{CALLER_ACCOUNT}:role/terraform");
            TestCase::new(vec![
                Step::new(this("alias/app", ""))
                    .expect_action(THIS, Action::Create)
                    .attr_eq(THIS, "resolved_key_arn", key.key_arn.as_str()),
                Step::new(this("alias/app", ""))
                    .named("DescribeKey denied")
                    .before(move |ctx| {
                        let em = ctx.emulator();
                        em.set_principal(CALLER_ACCESS_KEY, &principal, &["kms:DescribeKey"])?;
                        Ok(em.clear_requests()?)
                    })
                    .expect_action(THIS, Action::NoOp)
                    .expect_plan_warning("KMS key could not be checked")
                    .attr_eq(THIS, "key_arn", "alias/app")
                    .attr_eq(THIS, "resolved_key_arn", key.key_arn.as_str())
                    .after(|ctx| ctx.assert_no_mutating_calls()),
            ])
            .destroy(Destroy::new().expect_warning(STAYS))
            .run(ctx)
        },
    );
}
