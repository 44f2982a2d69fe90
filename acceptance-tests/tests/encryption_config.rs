//! Acceptance scenarios for `eks_encryption_config` (and its data source):
//! the real provider binary on every discovered Terraform core, against a
//! fresh emulator per core.
//!
//! Needs the provider binary (`cargo build`), a Terraform core and the
//! emulator (`scripts/install-deps`). Diagnostics are matched by summary
//! (`notes/resource-spec.md`) and, where the spec names one, by the attribute
//! Terraform highlights; refused cases also assert, through the emulator's
//! request log, that nothing mutating was sent.

use acceptance_tests::context::TestContext;
use acceptance_tests::cores::Feature;
use acceptance_tests::emulator::{Cluster, Key};
use acceptance_tests::interrupt;
use acceptance_tests::steps::{Cleanup, Runner};
use acceptance_tests::{
    each_core, ensure, Action, ClusterSpec, Destroy, KeySpec, Phase, Result, Step, TestCase,
};
use serde_json::json;

const THIS: &str = "eks_encryption_config.this";
const ASSOCIATE: &str = "AssociateEncryptionConfig";

const REMOVE: &str = "Cannot remove the customer managed key";
const CHANGE: &str = "Cannot change the customer managed key";
const PROTECTED: &str = "Error: Customer managed key is protected from deletion";
const NOT_USABLE: &str = "KMS key not usable";
const INVALID: &str = "Invalid key_arn";
const NOT_FOUND: &str = "EKS cluster not found";
const UPDATE_FAILED: &str = "Encryption update failed";
const DISABLED: &str = "Warning: Customer managed key is disabled";
const PENDING: &str = "Warning: Customer managed key is pending deletion";
const STAYS: &str = "Warning: Customer managed key stays on the cluster";
/// The spec names no summary for "another update is in progress"; any
/// warning that says so.
const IN_PROGRESS: &str = r"(?i)Warning: [a-z ]{0,80}(in progress|updating)";

const UNPROTECTED: &str = "  deletion_protection = false\n";

/// `Error: <summary>` attributed to `address` (a resource or data source of
/// type `eks_encryption_config`) and, with `attr`, highlighting that
/// attribute's line in main.tf.
fn error_at(summary: &str, address: &str, attr: Option<&str>) -> String {
    let (kind, name) = match address.strip_prefix("data.") {
        Some(rest) => ("data", rest.rsplit('.').next().unwrap_or(rest)),
        None => ("resource", address.rsplit('.').next().unwrap_or(address)),
    };
    let mut re = format!(
        r#"Error: {} with {},( on main\.tf line \d+, in {kind} "eks_encryption_config" "{}":)?"#,
        regex::escape(summary),
        regex::escape(address),
        regex::escape(name)
    );
    if let Some(attr) = attr {
        // The source snippet starts with the highlighted attribute's line.
        re = format!(
            r#"Error: {} with {}, on main\.tf line \d+, in {kind} "eks_encryption_config" "{}": \d+: {attr}\b"#,
            regex::escape(summary),
            regex::escape(address),
            regex::escape(name)
        );
    }
    re
}

/// A `resource "eks_encryption_config" "<name>"` block.
fn resource(name: &str, cluster: &str, key: Option<&str>, extra: &str) -> String {
    let key = key
        .map(|k| format!("  key_arn      = \"{k}\"\n"))
        .unwrap_or_default();
    format!("resource \"eks_encryption_config\" \"{name}\" {{\n  cluster_name = \"{cluster}\"\n{key}{extra}}}\n")
}

/// The `this` resource.
fn this(cluster: &str, key: Option<&str>, extra: &str) -> String {
    resource("this", cluster, key, extra)
}

/// Cluster `demo` (1.31, no CMK) and key `alias/demo`.
fn cluster_and_key(ctx: &TestContext) -> Result<(Cluster, Key)> {
    let key = ctx
        .emulator()
        .create_key(&KeySpec::symmetric().alias("alias/demo"))?;
    let cluster = ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
    Ok((cluster, key))
}

fn clear_log(ctx: &TestContext) -> Result<()> {
    ctx.emulator().clear_requests()?;
    Ok(())
}

fn no_mutation(ctx: &TestContext) -> Result<()> {
    ctx.assert_no_mutating_calls()
}

/// Fails unless the emulator's cluster has `expected` as its key.
fn cluster_key_is(
    ctx: &TestContext,
    cluster: &str,
    region: &str,
    expected: Option<&str>,
) -> Result<()> {
    let got = ctx.emulator().cluster_key_arn(cluster, region)?;
    ensure!(
        got.as_deref() == expected,
        "cluster {cluster} ({region}) has key {got:?} in the emulator, expected {expected:?}"
    );
    Ok(())
}

#[test]
fn encryption_config_associate() {
    each_core("encryption_config_associate", |ctx| {
        let (cluster, key) = cluster_and_key(ctx)?;
        let key_arn = key.key_arn.clone();
        TestCase::new(vec![Step::new(this("demo", Some(&key.key_arn), ""))
            .expect_action(THIS, Action::Create)
            .attr_eq(THIS, "id", "demo")
            .attr_eq(THIS, "cluster_name", "demo")
            .attr_eq(THIS, "cluster_arn", cluster.arn.as_str())
            .attr_eq(THIS, "cluster_version", "1.31")
            .attr_eq(THIS, "key_arn", key.key_arn.as_str())
            .attr_eq(THIS, "resolved_key_arn", key.key_arn.as_str())
            .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
            .attr_eq(THIS, "key_state", "Enabled")
            .attr_eq(THIS, "resources", json!(["secrets"]))
            .attr_eq(THIS, "deletion_protection", true)
            .attr_set(THIS, "update_id")
            .import_verify(THIS, "demo", &["timeouts"])
            .after(move |ctx| {
                let calls = ctx.emulator().requests_for(ASSOCIATE)?;
                ensure!(
                    calls.len() == 1,
                    "expected exactly one {ASSOCIATE}, saw {calls:?}"
                );
                let body = calls[0].body.clone().unwrap_or_default();
                ensure!(
                    body.pointer("/encryptionConfig/0/provider/keyArn") == Some(&json!(key_arn))
                        && body.pointer("/encryptionConfig/0/resources")
                            == Some(&json!(["secrets"])),
                    "unexpected {ASSOCIATE} body: {body}"
                );
                ensure!(calls[0].status == Some(200), "{:?}", calls[0]);
                let others: Vec<_> = ctx
                    .emulator()
                    .mutating_calls()?
                    .into_iter()
                    .filter(|r| r.operation != ASSOCIATE)
                    .collect();
                ensure!(others.is_empty(), "unexpected mutating calls: {others:?}");
                cluster_key_is(ctx, "demo", "us-east-1", Some(&key_arn))
            })])
        .destroy(
            Destroy::new()
                .expect_error(
                    PROTECTED,
                    Cleanup::Config(this("demo", Some(&key.key_arn), UNPROTECTED)),
                )
                .expect_warning(STAYS),
        )
        .run(ctx)
    });
}

#[test]
fn encryption_config_adopt() {
    each_core("encryption_config_adopt", |ctx| {
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric().alias("alias/demo"))?;
        em.create_cluster(&ClusterSpec::new("demo").key_arn(&key.key_arn))?;
        em.create_cluster(&ClusterSpec::new("demo-alias").key_arn(&key.key_arn))?;
        let config = format!(
            "{}{}",
            this("demo", Some(&key.key_arn), UNPROTECTED),
            resource("by_alias", "demo-alias", Some("alias/demo"), UNPROTECTED)
        );
        let by_alias = "eks_encryption_config.by_alias";
        let arn = key.key_arn.clone();
        TestCase::new(vec![Step::new(config)
            .expect_action(THIS, Action::Create)
            .expect_action(by_alias, Action::Create)
            .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
            .attr_eq(THIS, "resolved_key_arn", key.key_arn.as_str())
            .attr_eq(by_alias, "key_type", "CUSTOMER_MANAGED")
            .attr_eq(by_alias, "key_arn", "alias/demo")
            .attr_eq(by_alias, "resolved_key_arn", key.key_arn.as_str())
            .after(|ctx| {
                ctx.assert_count(ASSOCIATE, 0)?;
                no_mutation(ctx)
            })])
        .destroy(Destroy::new().expect_warning(STAYS).after(move |ctx| {
            no_mutation(ctx)?;
            cluster_key_is(ctx, "demo", "us-east-1", Some(&arn))?;
            cluster_key_is(ctx, "demo-alias", "us-east-1", Some(&arn))
        }))
        .run(ctx)
    });
}

#[test]
fn encryption_config_downgrade_refused() {
    each_core("encryption_config_downgrade_refused", |ctx| {
        let (_, key) = cluster_and_key(ctx)?;
        let arn = key.key_arn.clone();
        TestCase::new(vec![
            Step::new(this("demo", Some(&key.key_arn), UNPROTECTED)).attr_eq(
                THIS,
                "key_type",
                "CUSTOMER_MANAGED",
            ),
            Step::new(this("demo", None, UNPROTECTED))
                .named("key_arn removed")
                .before(clear_log)
                .expect_error_at(Phase::Plan, &error_at(REMOVE, THIS, None))
                .after(no_mutation)
                .after(move |ctx| {
                    let state = ctx.state()?;
                    ensure!(
                        state.attr_str(THIS, "resolved_key_arn") == Some(arn.as_str()),
                        "the refused plan changed the state: {:?}",
                        state.values(THIS)
                    );
                    cluster_key_is(ctx, "demo", "us-east-1", Some(&arn))
                }),
        ])
        .run(ctx)
    });
}

#[test]
fn encryption_config_key_change_refused() {
    each_core("encryption_config_key_change_refused", |ctx| {
        let (_, key_a) = cluster_and_key(ctx)?;
        let key_b = ctx
            .emulator()
            .create_key(&KeySpec::symmetric().alias("alias/other"))?;
        let arn_a = key_a.key_arn.clone();
        TestCase::new(vec![
            Step::new(this("demo", Some(&key_a.key_arn), UNPROTECTED)).attr_eq(
                THIS,
                "resolved_key_arn",
                key_a.key_arn.as_str(),
            ),
            Step::new(this("demo", Some(&key_b.key_arn), UNPROTECTED))
                .named("other key ARN")
                .before(clear_log)
                .expect_error_at(Phase::Plan, &error_at(CHANGE, THIS, Some("key_arn")))
                .after(no_mutation),
            Step::new(this("demo", Some("alias/other"), UNPROTECTED))
                .named("other key by alias")
                .before(clear_log)
                .expect_error_at(Phase::Plan, &error_at(CHANGE, THIS, Some("key_arn")))
                .after(no_mutation)
                .after(move |ctx| {
                    ensure!(
                        ctx.state()?.attr_str(THIS, "resolved_key_arn") == Some(arn_a.as_str()),
                        "state changed"
                    );
                    cluster_key_is(ctx, "demo", "us-east-1", Some(&arn_a))
                }),
        ])
        .run(ctx)
    });
}

#[test]
fn encryption_config_protected_destroy_refused() {
    each_core("encryption_config_protected_destroy_refused", |ctx| {
        let (_, key) = cluster_and_key(ctx)?;
        let mut run = Runner::new(ctx);
        run.step(
            &Step::new(this("demo", Some(&key.key_arn), ""))
                .attr_eq(THIS, "deletion_protection", true)
                .after(clear_log),
        )?;

        // The refusal: at plan where providers plan destroys (>= 1.3), at
        // apply before that. Either way the resource stays in the state.
        let planned = ctx.tf(&["plan", "-destroy", "-out=tfdestroy"])?;
        if ctx.supports(Feature::PlanDestroy) {
            planned.expect_error(PROTECTED)?;
        } else {
            ctx.note("plan_destroy unsupported: the refusal must come at apply");
            let planned = planned.expect_success()?;
            ensure!(
                !planned.normalized().contains(PROTECTED),
                "unexpected refusal at plan on a core without plan_destroy"
            );
            ctx.tf(&["apply", "tfdestroy"])?.expect_error(PROTECTED)?;
        }
        let state = ctx.state()?;
        ensure!(
            state.resource(THIS).is_some(),
            "the refused destroy removed {THIS} from the state: {:?}",
            state.managed_addresses()
        );
        ensure!(
            state.attr_str(THIS, "key_type") == Some("CUSTOMER_MANAGED"),
            "{:?}",
            state.values(THIS)
        );
        // `terraform destroy` is refused the same way.
        ctx.tf(&["destroy", "-auto-approve"])?
            .expect_error(PROTECTED)?;
        ensure!(
            ctx.state()?.resource(THIS).is_some(),
            "destroy removed {THIS}"
        );
        no_mutation(ctx)?;
        cluster_key_is(ctx, "demo", "us-east-1", Some(&key.key_arn))?;

        // Lifting the protection is an in-place update with no AWS change.
        run.step(
            &Step::new(this("demo", Some(&key.key_arn), UNPROTECTED))
                .named("deletion_protection = false")
                .before(clear_log)
                .expect_action(THIS, Action::Update)
                .attr_eq(THIS, "deletion_protection", false)
                .after(no_mutation),
        )?;
        let arn = key.key_arn.clone();
        run.destroy(&Destroy::new().expect_warning(STAYS).after(move |ctx| {
            no_mutation(ctx)?;
            cluster_key_is(ctx, "demo", "us-east-1", Some(&arn))
        }))
    });
}

#[test]
fn encryption_config_unprotected_destroy_forgets() {
    each_core("encryption_config_unprotected_destroy_forgets", |ctx| {
        let (_, key) = cluster_and_key(ctx)?;
        let arn = key.key_arn.clone();
        TestCase::new(vec![Step::new(this(
            "demo",
            Some(&key.key_arn),
            UNPROTECTED,
        ))
        .attr_eq(THIS, "deletion_protection", false)
        .after(clear_log)])
        .destroy(Destroy::new().expect_warning(STAYS).after(move |ctx| {
            no_mutation(ctx)?;
            cluster_key_is(ctx, "demo", "us-east-1", Some(&arn))
        }))
        .run(ctx)
    });
}

#[test]
fn encryption_config_alias_no_diff() {
    each_core("encryption_config_alias_no_diff", |ctx| {
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric().alias("alias/app"))?;
        let alias_arn = key
            .alias_arn
            .clone()
            .unwrap_or_else(|| "arn:aws:kms:us-east-1:123456789012:alias/app".into());
        em.create_cluster(&ClusterSpec::new("by-name"))?;
        em.create_cluster(&ClusterSpec::new("by-alias-arn"))?;
        let by_name = "eks_encryption_config.by_name";
        let by_arn = "eks_encryption_config.by_alias_arn";
        let step1 = format!(
            "{}{}",
            resource("by_name", "by-name", Some("alias/app"), UNPROTECTED),
            resource(
                "by_alias_arn",
                "by-alias-arn",
                Some(&alias_arn),
                UNPROTECTED
            )
        );
        let step2 = format!(
            "{}{}",
            resource("by_name", "by-name", Some(&alias_arn), UNPROTECTED),
            resource(
                "by_alias_arn",
                "by-alias-arn",
                Some(&key.key_arn),
                UNPROTECTED
            )
        );
        TestCase::new(vec![
            Step::new(step1)
                .expect_action(by_name, Action::Create)
                .expect_action(by_arn, Action::Create)
                .attr_eq(by_name, "key_arn", "alias/app")
                .attr_eq(by_name, "resolved_key_arn", key.key_arn.as_str())
                .attr_eq(by_arn, "key_arn", alias_arn.as_str())
                .attr_eq(by_arn, "resolved_key_arn", key.key_arn.as_str())
                // key_arn: configured as an alias, imported as the key ARN;
                // deletion_protection: configuration-only, imported as its default.
                .import_verify(
                    by_name,
                    "by-name",
                    &["timeouts", "key_arn", "deletion_protection"],
                )
                .after(|ctx| ctx.assert_count(ASSOCIATE, 2)),
            // Another spelling of the same key is not a key change.
            Step::new(step2)
                .named("same key, other spellings")
                .before(clear_log)
                .expect_no_destroy(by_name)
                .expect_no_destroy(by_arn)
                .attr_eq(by_name, "resolved_key_arn", key.key_arn.as_str())
                .attr_eq(by_arn, "resolved_key_arn", key.key_arn.as_str())
                .after(no_mutation),
        ])
        .run(ctx)
    });
}

#[test]
fn encryption_config_bad_key_kinds() {
    each_core("encryption_config_bad_key_kinds", |ctx| {
        let em = ctx.emulator();
        em.create_cluster(&ClusterSpec::new("demo"))?;
        let key = |spec: KeySpec| em.create_key(&spec).map(|k| k.key_arn);
        let not_usable = error_at(NOT_USABLE, THIS, Some("key_arn"));
        let remove = error_at(REMOVE, THIS, Some("key_arn"));
        let invalid = error_at(INVALID, THIS, Some("key_arn"));
        em.create_key(&KeySpec::symmetric().alias("alias/aws/eks"))?;
        let cases: Vec<(&str, String, &String)> = vec![
            (
                "disabled",
                key(KeySpec::symmetric().state("Disabled"))?,
                &not_usable,
            ),
            (
                "pending deletion",
                key(KeySpec::symmetric().state("PendingDeletion"))?,
                &not_usable,
            ),
            (
                "asymmetric",
                key(KeySpec::symmetric().key_spec("RSA_2048"))?,
                &not_usable,
            ),
            (
                "SIGN_VERIFY",
                key(KeySpec::symmetric()
                    .key_spec("ECC_NIST_P256")
                    .key_usage("SIGN_VERIFY"))?,
                &not_usable,
            ),
            ("AWS managed alias", "alias/aws/eks".into(), &remove),
            (
                "AWS managed key ARN",
                key(KeySpec::symmetric().aws_managed())?,
                &remove,
            ),
            ("malformed", "not-a-key".into(), &invalid),
            (
                "malformed ARN",
                "arn:aws:kms:us-east-1:123456789012:bucket/x".into(),
                &invalid,
            ),
            ("other service ARN", "arn:aws:s3:::bucket".into(), &invalid),
        ];
        let mut steps: Vec<Step> = cases
            .into_iter()
            .map(|(name, arn, pattern)| {
                Step::new(this("demo", Some(&arn), UNPROTECTED))
                    .named(name)
                    .before(clear_log)
                    .expect_error_at(Phase::Plan, pattern)
                    .after(no_mutation)
            })
            .collect();
        // A key or alias KMS does not find may be created in the same run:
        // a warning at plan, refused at apply with nothing sent (issue 10).
        for (name, arn) in [
            (
                "nonexistent key",
                "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000",
            ),
            ("nonexistent alias", "alias/does-not-exist"),
        ] {
            steps.push(
                Step::new(this("demo", Some(arn), UNPROTECTED))
                    .named(name)
                    .before(clear_log)
                    .expect_plan_warning("Warning: KMS key not found yet")
                    .expect_error_at(Phase::Apply, &not_usable)
                    .after(no_mutation),
            );
        }
        TestCase::new(steps).run(ctx)?;
        ensure!(
            ctx.state()?.managed_addresses().is_empty(),
            "refused plans created state"
        );
        cluster_key_is(ctx, "demo", "us-east-1", None)
    });
}

#[test]
fn encryption_config_cluster_missing() {
    each_core("encryption_config_cluster_missing", |ctx| {
        let key = ctx
            .emulator()
            .create_key(&KeySpec::symmetric().alias("alias/demo"))?;
        TestCase::new(vec![
            // A cluster that does not exist at plan may be created in the
            // same run: a warning at plan, the error at apply, nothing sent.
            Step::new(this("ghost", Some(&key.key_arn), UNPROTECTED))
                .named("resource")
                .before(clear_log)
                .expect_plan_warning("Warning: EKS cluster not found yet")
                .expect_error_at(
                    Phase::Apply,
                    &error_at(NOT_FOUND, THIS, Some("cluster_name")),
                )
                .after(no_mutation),
            Step::new(
                "data \"eks_encryption_config\" \"ghost\" {\n  cluster_name = \"ghost\"\n}\n",
            )
            .named("data source")
            .before(clear_log)
            .expect_error_at(
                Phase::Plan,
                &error_at(
                    NOT_FOUND,
                    "data.eks_encryption_config.ghost",
                    Some("cluster_name"),
                ),
            )
            .after(no_mutation),
        ])
        .run(ctx)?;
        ensure!(
            ctx.state()?.managed_addresses().is_empty(),
            "state was created"
        );
        Ok(())
    });
}

#[test]
fn encryption_config_unknown_key_at_plan() {
    each_core("encryption_config_unknown_key_at_plan", |ctx| {
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric().alias("alias/demo"))?;
        let key2 = em.create_key(&KeySpec::symmetric().alias("alias/second"))?;
        for c in ["first", "second", "third"] {
            em.create_cluster(&ClusterSpec::new(c))?;
        }
        // On every core: a data source that depends on a resource with
        // pending changes is read at apply, so its outputs are unknown at
        // plan. (1.0.3 has no terraform_data; this needs no other provider.)
        let deferred = format!(
            "{}data \"eks_encryption_config\" \"first\" {{\n  cluster_name = \"first\"\n  depends_on   = [eks_encryption_config.first]\n}}\n\n\
             resource \"eks_encryption_config\" \"this\" {{\n  cluster_name        = \"second\"\n  key_arn             = data.eks_encryption_config.first.resolved_key_arn\n  deletion_protection = false\n}}\n",
            resource("first", "first", Some(&key.key_arn), UNPROTECTED)
        );
        let third = "eks_encryption_config.third";
        let with_td = |k: &str| {
            format!(
                "{deferred}\nresource \"terraform_data\" \"key\" {{\n  input = \"{k}\"\n}}\n\n\
                 resource \"eks_encryption_config\" \"third\" {{\n  cluster_name        = \"third\"\n  key_arn             = terraform_data.key.output\n  deletion_protection = false\n}}\n"
            )
        };
        let td = ctx.supports(Feature::TerraformData);
        let mut first = Step::new(if td {
            with_td(&key.key_arn)
        } else {
            deferred.clone()
        })
        .expect_action("eks_encryption_config.first", Action::Create)
        .expect_action(THIS, Action::Create)
        .expect_unknown(THIS, "key_arn")
        .attr_eq(THIS, "key_arn", key.key_arn.as_str())
        .attr_eq(THIS, "resolved_key_arn", key.key_arn.as_str())
        .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
        .after(move |ctx| ctx.assert_count(ASSOCIATE, if td { 3 } else { 2 }));
        let mut steps = Vec::new();
        if td {
            first = first
                .expect_action(third, Action::Create)
                .expect_unknown(third, "key_arn")
                .attr_eq(third, "resolved_key_arn", key.key_arn.as_str());
            steps.push(first);
            // A different key that is only known at apply is still refused.
            steps.push(
                Step::new(with_td(&key2.key_arn))
                    .named("unknown key change")
                    .before(clear_log)
                    .expect_error(&error_at(CHANGE, third, None))
                    .after(|ctx| ctx.assert_count(ASSOCIATE, 0)),
            );
        } else {
            ctx.skip("the terraform_data variant", Feature::TerraformData);
            steps.push(first);
        }
        TestCase::new(steps).run(ctx)?;
        if td {
            cluster_key_is(ctx, "third", "us-east-1", Some(&key.key_arn))?;
        }
        Ok(())
    });
}

#[test]
fn encryption_config_update_in_progress() {
    each_core("encryption_config_update_in_progress", |ctx| {
        let (_, key) = cluster_and_key(ctx)?;
        TestCase::new(vec![Step::new(this("demo", Some(&key.key_arn), UNPROTECTED))
            .before(|ctx| {
                ctx.emulator().start_update("demo", "us-east-1", 8.0)?;
                Ok(())
            })
            .expect_plan_warning(IN_PROGRESS)
            .expect_action(THIS, Action::Create)
            .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
            .after(|ctx| {
                let calls = ctx.emulator().requests_for(ASSOCIATE)?;
                ensure!(
                    calls.len() == 1 && calls[0].status == Some(200),
                    "expected one successful {ASSOCIATE} after waiting for the other update, saw {calls:?}"
                );
                Ok(())
            })])
        .run(ctx)
    });
}

#[test]
fn encryption_config_update_failed() {
    each_core("encryption_config_update_failed", |ctx| {
        let (_, key) = cluster_and_key(ctx)?;
        let config = this("demo", Some(&key.key_arn), UNPROTECTED);
        TestCase::new(vec![
            Step::new(config.clone())
                .named("update fails")
                .before(|ctx| {
                    ctx.emulator().fail_next_update(
                        "AccessDenied",
                        "key policy denies eks simulated-failure-4711",
                    )?;
                    Ok(())
                })
                .expect_error_at(
                    Phase::Apply,
                    &format!("{} .*simulated-failure-4711", regex::escape(UPDATE_FAILED)),
                )
                .resource_absent(THIS)
                .after(|ctx| {
                    ctx.assert_count(ASSOCIATE, 1)?;
                    let state = ctx.state()?;
                    ensure!(
                        state.resource(THIS).is_none(),
                        "a failed association left {THIS} in the state: {:?}",
                        state.values(THIS)
                    );
                    cluster_key_is(ctx, "demo", "us-east-1", None)
                }),
            Step::new(config)
                .named("retry succeeds")
                .expect_action(THIS, Action::Create)
                .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
                .after(|ctx| ctx.assert_count(ASSOCIATE, 2)),
        ])
        .run(ctx)
    });
}

#[test]
fn encryption_config_interrupted_apply_resume() {
    each_core("encryption_config_interrupted_apply_resume", |ctx| {
        let (_, key) = cluster_and_key(ctx)?;
        let config = this("demo", Some(&key.key_arn), UNPROTECTED);
        ctx.emulator().set_update_duration(8.0)?;
        ctx.write_config(&config)?;
        let r = interrupt::interrupt_after_operation(ctx, ASSOCIATE)?;
        // StopProvider ends the wait with "Interrupted"; the association
        // itself was sent exactly once.
        ensure!(
            !r.output.success() && r.output.normalized().contains("Error: Interrupted"),
            "expected the interrupted apply to fail with \"Interrupted\":\n{}",
            r.output.report()
        );
        // The failure is the point: labelled, and only its summaries (issue 22).
        let summaries: Vec<String> = r
            .output
            .diagnostics()
            .into_iter()
            .map(|d| d.summary)
            .collect();
        ctx.note(&format!(
            "(expected) SIGINT after {:?}: terraform exited {:?} with {summaries:?}",
            r.signalled_after, r.output.code
        ));
        ctx.assert_count(ASSOCIATE, 1)?;
        let arn = key.key_arn.clone();
        let mut run = Runner::new(ctx);
        run.step(
            &Step::new(config)
                .named("resume")
                .expect_no_destroy(THIS)
                .check_plan("no replace", |plan| {
                    if let Some(a) = plan.action(THIS) {
                        ensure!(a != Action::Replace && a != Action::Delete, "planned {a}");
                    }
                    Ok(())
                })
                .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
                .attr_eq(THIS, "resolved_key_arn", key.key_arn.as_str())
                .after(move |ctx| {
                    ctx.assert_count(ASSOCIATE, 1)?;
                    cluster_key_is(ctx, "demo", "us-east-1", Some(&arn))
                }),
        )?;
        run.destroy(&Destroy::new())
    });
}

#[test]
fn encryption_config_drift_out_of_band() {
    each_core("encryption_config_drift_out_of_band", |ctx| {
        let (_, key) = cluster_and_key(ctx)?;
        let arn = key.key_arn.clone();
        TestCase::new(vec![
            Step::new(this("demo", None, UNPROTECTED))
                .named("no key")
                .expect_action(THIS, Action::Create)
                .attr_absent(THIS, "resolved_key_arn")
                .attr_eq(THIS, "key_type", "AWS_OWNED")
                .after(no_mutation)
                .after(move |ctx| {
                    ctx.emulator()
                        .associate_out_of_band("demo", &arn, "us-east-1")?;
                    Ok(())
                }),
            Step::new(this("demo", None, UNPROTECTED))
                .named("refresh sees the drift")
                .refresh_only()
                .before(clear_log)
                .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
                .attr_eq(THIS, "resolved_key_arn", key.key_arn.as_str())
                .after(no_mutation),
            Step::new(this("demo", None, UNPROTECTED))
                .named("plan refuses to drop the drifted key")
                .before(clear_log)
                .expect_error_at(Phase::Plan, &error_at(REMOVE, THIS, None))
                .after(no_mutation),
            Step::new(this("demo", Some(&key.key_arn), UNPROTECTED))
                .named("config adopts the key")
                .before(clear_log)
                .expect_no_destroy(THIS)
                .attr_eq(THIS, "key_arn", key.key_arn.as_str())
                .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
                .after(no_mutation),
        ])
        .run(ctx)
    });
}

#[test]
fn encryption_config_disabled_key_warning() {
    each_core("encryption_config_disabled_key_warning", |ctx| {
        let (_, key) = cluster_and_key(ctx)?;
        let config = this("demo", Some(&key.key_arn), UNPROTECTED);
        let (id1, id2) = (key.key_id.clone(), key.key_id.clone());
        TestCase::new(vec![
            Step::new(config.clone()).attr_eq(THIS, "key_state", "Enabled"),
            Step::new(config.clone())
                .named("key disabled")
                .before(move |ctx| {
                    ctx.emulator().set_key_state(&id1, "Disabled")?;
                    ctx.emulator().clear_requests()?;
                    Ok(())
                })
                .expect_plan_warning(DISABLED)
                .expect_no_destroy(THIS)
                .attr_eq(THIS, "key_state", "Disabled")
                .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
                .after(no_mutation),
            Step::new(config)
                .named("key pending deletion")
                .before(move |ctx| {
                    ctx.emulator().set_key_state(&id2, "PendingDeletion")?;
                    ctx.emulator().clear_requests()?;
                    Ok(())
                })
                .expect_plan_warning(PENDING)
                .expect_no_destroy(THIS)
                .attr_eq(THIS, "key_state", "PendingDeletion")
                .after(no_mutation),
        ])
        .run(ctx)
    });
}

#[test]
fn encryption_config_data_source() {
    each_core("encryption_config_data_source", |ctx| {
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric().alias("alias/demo"))?;
        let with_cmk = em.create_cluster(&ClusterSpec::new("with-cmk").key_arn("alias/demo"))?;
        em.create_cluster(&ClusterSpec::new("plain"))?;
        em.create_cluster(&ClusterSpec::new("legacy").version("1.27"))?;
        let config = ["with-cmk", "plain", "legacy"]
            .iter()
            .map(|c| {
                format!(
                    "data \"eks_encryption_config\" \"{}\" {{\n  cluster_name = \"{c}\"\n}}\n",
                    c.replace('-', "_")
                )
            })
            .collect::<String>();
        let cmk = "data.eks_encryption_config.with_cmk";
        let plain = "data.eks_encryption_config.plain";
        let legacy = "data.eks_encryption_config.legacy";
        TestCase::new(vec![Step::new(config)
            .before(clear_log)
            .attr_eq(cmk, "id", "with-cmk")
            .attr_eq(cmk, "cluster_arn", with_cmk.arn.as_str())
            .attr_eq(cmk, "key_type", "CUSTOMER_MANAGED")
            .attr_eq(cmk, "resolved_key_arn", key.key_arn.as_str())
            .attr_eq(cmk, "key_state", "Enabled")
            .attr_eq(cmk, "cluster_version", "1.31")
            .attr_eq(cmk, "resources", json!(["secrets"]))
            .attr_eq(plain, "key_type", "AWS_OWNED")
            .attr_absent(plain, "resolved_key_arn")
            .attr_eq(plain, "cluster_version", "1.31")
            .attr_eq(legacy, "key_type", "NONE")
            .attr_absent(legacy, "resolved_key_arn")
            .attr_eq(legacy, "cluster_version", "1.27")
            .after(no_mutation)])
        .run(ctx)
    });
}

#[test]
fn encryption_config_provider_aliases() {
    each_core("encryption_config_provider_aliases", |ctx| {
        let em = ctx.emulator();
        let east_key = em.create_key(&KeySpec::symmetric().alias("alias/app"))?;
        let west_key =
            em.create_key(&KeySpec::symmetric().alias("alias/app").region("us-west-2"))?;
        em.create_cluster(&ClusterSpec::new("app"))?;
        em.create_cluster(&ClusterSpec::new("app").region("us-west-2"))?;
        em.create_cluster(&ClusterSpec::new("other").region("us-west-2"))?;
        ensure!(east_key.key_arn != west_key.key_arn, "distinct keys");
        let providers = format!(
            "{}\n{}\n",
            ctx.provider_block(Some("east"), "us-east-1"),
            ctx.provider_block(Some("west"), "us-west-2")
        );
        let body = |extra: &str| {
            format!(
                "{providers}\
                 resource \"eks_encryption_config\" \"east\" {{\n  provider            = eks.east\n  cluster_name        = \"app\"\n  key_arn             = \"alias/app\"\n  deletion_protection = false\n}}\n\n\
                 resource \"eks_encryption_config\" \"west\" {{\n  provider            = eks.west\n  cluster_name        = \"app\"\n  key_arn             = \"alias/app\"\n  deletion_protection = false\n}}\n\n\
                 data \"eks_encryption_config\" \"west\" {{\n  provider     = eks.west\n  cluster_name = \"app\"\n  depends_on   = [eks_encryption_config.west]\n}}\n{extra}"
            )
        };
        let east = "eks_encryption_config.east";
        let west = "eks_encryption_config.west";
        let (east_arn, west_arn) = (east_key.key_arn.clone(), west_key.key_arn.clone());
        let cross_region = format!(
            "\nresource \"eks_encryption_config\" \"cross\" {{\n  provider            = eks.west\n  cluster_name        = \"other\"\n  key_arn             = \"{}\"\n  deletion_protection = false\n}}\n",
            east_key.key_arn
        );
        TestCase::new(vec![
            Step::new(body(""))
                .expect_action(east, Action::Create)
                .expect_action(west, Action::Create)
                .attr_eq(east, "resolved_key_arn", east_key.key_arn.as_str())
                .attr_eq(west, "resolved_key_arn", west_key.key_arn.as_str())
                .check_state("cluster ARNs by region", |s| {
                    let e = s
                        .attr_str("eks_encryption_config.east", "cluster_arn")
                        .unwrap_or("");
                    let w = s
                        .attr_str("eks_encryption_config.west", "cluster_arn")
                        .unwrap_or("");
                    ensure!(
                        e.contains(":us-east-1:") && w.contains(":us-west-2:"),
                        "east {e}, west {w}"
                    );
                    Ok(())
                })
                .attr_eq(
                    "data.eks_encryption_config.west",
                    "resolved_key_arn",
                    west_key.key_arn.as_str(),
                )
                .import_verify(west, "app", &["timeouts", "key_arn", "deletion_protection"])
                .after(move |ctx| {
                    let calls = ctx.emulator().requests_for(ASSOCIATE)?;
                    let mut regions: Vec<&str> = calls.iter().map(|c| c.region.as_str()).collect();
                    regions.sort();
                    ensure!(
                        regions == ["us-east-1", "us-west-2"],
                        "{ASSOCIATE} calls by region: {calls:?}"
                    );
                    cluster_key_is(ctx, "app", "us-east-1", Some(&east_arn))?;
                    cluster_key_is(ctx, "app", "us-west-2", Some(&west_arn))
                }),
            // A key from the other region is not usable.
            Step::new(body(&cross_region))
                .named("key from another region")
                .before(clear_log)
                .expect_error_at(
                    Phase::Plan,
                    &error_at(NOT_USABLE, "eks_encryption_config.cross", Some("key_arn")),
                )
                .after(no_mutation),
        ])
        .run(ctx)
    });
}
