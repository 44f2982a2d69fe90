//! Issue 19: resource identity for `eks_encryption_config` on real cores.
//!
//! Identity {account_id, region, cluster_name} is stored by cores with
//! resource identity (Terraform 1.12+, OpenTofu 1.12+); `import` blocks may
//! name it instead of an id, and an identity naming another region or
//! account than the provider's is refused before any EKS call. On older
//! cores, create and import by id work exactly as before and nothing
//! records an identity.

use acceptance_tests::context::TestContext;
use acceptance_tests::emulator::ACCOUNT_ID;
use acceptance_tests::steps::Cleanup;
use acceptance_tests::tfjson::State;
use acceptance_tests::{
    each_core, ensure, Action, ClusterSpec, Destroy, Feature, KeySpec, Phase, Result, Step,
    TestCase,
};
use serde_json::{json, Value};

const X: &str = "eks_encryption_config.x";
const ASSOCIATE: &str = "AssociateEncryptionConfig";
const DESCRIBE: &str = "DescribeCluster";
const PROTECTED: &str = "Error: Customer managed key is protected from deletion";
const UNPROTECTED: &str = "  deletion_protection = false\n";
const STAYS: &str = "Warning: Customer managed key stays on the cluster";
const OTHER_ACCOUNT: &str = "210987654321";

/// A `resource "eks_encryption_config" "<name>"` block (deletion protection
/// on, the default an import reads too).
fn resource(name: &str, cluster: &str, key: &str) -> String {
    resource_with(name, cluster, key, "")
}

/// [`resource`] with extra lines.
fn resource_with(name: &str, cluster: &str, key: &str, extra: &str) -> String {
    format!(
        "resource \"eks_encryption_config\" \"{name}\" {{\n  cluster_name = \"{cluster}\"\n  key_arn      = \"{key}\"\n{extra}}}\n"
    )
}

/// Destroy: refused by deletion protection, then allowed after it is
/// turned off on every resource of `cleanup`.
fn protected_destroy(cleanup: String) -> Destroy {
    Destroy::new()
        .expect_error(PROTECTED, Cleanup::Config(cleanup))
        .expect_warning(STAYS)
}

/// An `import` block by identity; `extra` adds identity attributes.
fn import_by_identity(to: &str, cluster: &str, extra: &str) -> String {
    format!(
        "import {{\n  to = {to}\n  identity = {{\n    cluster_name = \"{cluster}\"\n{extra}  }}\n}}\n"
    )
}

/// The identity the provider must store for `cluster` in us-east-1.
fn identity(cluster: &str) -> Value {
    json!({"account_id": ACCOUNT_ID, "region": "us-east-1", "cluster_name": cluster})
}

/// The `identity` of `address` in `show -json` output.
fn state_identity<'s>(state: &'s State, address: &str) -> Option<&'s Value> {
    state
        .resource(address)
        .and_then(|r| r.get("identity"))
        .filter(|v| !v.is_null())
}

fn identity_is(state: &State, address: &str, cluster: &str) -> Result<()> {
    let got = state_identity(state, address);
    ensure!(
        got == Some(&identity(cluster)),
        "{address}: expected identity {}, `show -json` has {got:?}",
        identity(cluster)
    );
    Ok(())
}

/// DescribeCluster requests naming `cluster` in the emulator's log.
fn describes_of(ctx: &TestContext, cluster: &str) -> Result<usize> {
    let suffix = format!("/clusters/{cluster}");
    Ok(ctx
        .emulator()
        .requests_for(DESCRIBE)?
        .iter()
        .filter(|r| r.path.trim_end_matches('/').ends_with(&suffix))
        .count())
}

#[test]
fn encryption_config_import_by_identity() {
    each_core("encryption_config_import_by_identity", |ctx| {
        if !ctx.supports(Feature::ResourceIdentity) {
            ctx.skip("import blocks with identity", Feature::ResourceIdentity);
            return Ok(());
        }
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric().alias("alias/demo"))?;
        for name in ["demo", "other"] {
            em.create_cluster(&ClusterSpec::new(name).key_arn(&key.key_arn))?;
        }
        let k = key.key_arn.as_str();
        let base = format!(
            "{}{}",
            import_by_identity(X, "demo", ""),
            resource("x", "demo", k)
        );
        let y = "eks_encryption_config.y";
        let refused = |region: &str, account: &str, summary: &str| {
            let extra =
                format!("    region       = \"{region}\"\n    account_id   = \"{account}\"\n");
            Step::new(format!(
                "{base}{}{}",
                import_by_identity(y, "other", &extra),
                resource("y", "other", k)
            ))
            .named(summary)
            .expect_error_at(Phase::Plan, &format!("Error: {summary}.*Nothing was read"))
            .before(|ctx| Ok(ctx.emulator().clear_requests()?))
            .after(|ctx| {
                let n = describes_of(ctx, "other")?;
                ensure!(
                    n == 0,
                    "a refused identity must not be read: {n} DescribeCluster call(s) for `other`:\n{}",
                    ctx.emulator().request_log_summary()
                );
                ctx.assert_no_mutating_calls()
            })
        };
        let right =
            format!("    region       = \"us-east-1\"\n    account_id   = \"{ACCOUNT_ID}\"\n");
        TestCase::new(vec![
            Step::new(base.clone())
                .named("import by identity (cluster_name only)")
                .expect_action(X, Action::NoOp)
                .attr_eq(X, "cluster_name", "demo")
                .attr_eq(X, "key_type", "CUSTOMER_MANAGED")
                .attr_eq(X, "resolved_key_arn", k)
                .check_state("identity", |s| identity_is(s, X, "demo"))
                .after(|ctx| {
                    ctx.assert_count(ASSOCIATE, 0)?;
                    ctx.assert_no_mutating_calls()
                }),
            refused(
                "eu-west-1",
                ACCOUNT_ID,
                "Import identity is in another region",
            ),
            refused(
                "us-east-1",
                OTHER_ACCOUNT,
                "Import identity is in another account",
            ),
            Step::new(format!(
                "{base}{}{}",
                import_by_identity(y, "other", &right),
                resource("y", "other", k)
            ))
            .named("identity with the provider's account and region")
            .expect_action(y, Action::NoOp)
            .attr_eq(y, "resolved_key_arn", k)
            .check_state("identities", |s| {
                identity_is(s, X, "demo")?;
                identity_is(s, "eks_encryption_config.y", "other")
            })
            .after(|ctx| {
                // The same filter the refused steps use does see this
                // cluster's reads.
                ensure!(
                    describes_of(ctx, "other")? > 0,
                    "no DescribeCluster for `other` after importing it:\n{}",
                    ctx.emulator().request_log_summary()
                );
                ctx.assert_count(ASSOCIATE, 0)?;
                ctx.assert_no_mutating_calls()
            }),
        ])
        .destroy(
            protected_destroy(format!(
                "{}{}",
                resource_with("x", "demo", k, UNPROTECTED),
                resource_with("y", "other", k, UNPROTECTED)
            ))
            .after(|ctx| {
                ctx.assert_no_mutating_calls()?;
                for name in ["demo", "other"] {
                    let got = ctx.emulator().cluster_key_arn(name, "us-east-1")?;
                    ensure!(got.is_some(), "{name} lost its key: {got:?}");
                }
                Ok(())
            }),
        )
        .run(ctx)
    });
}

/// Create, then import by id (the `terraform import` command): every core,
/// and on identity cores the state carries the identity both times.
#[test]
fn encryption_config_identity_in_state() {
    each_core("encryption_config_identity_in_state", |ctx| {
        let key = ctx
            .emulator()
            .create_key(&KeySpec::symmetric().alias("alias/demo"))?;
        ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
        let has_identity = ctx.supports(Feature::ResourceIdentity);
        if !has_identity {
            ctx.skip("identity in state", Feature::ResourceIdentity);
        }
        let check = move |s: &State| -> Result<()> {
            if has_identity {
                identity_is(s, X, "demo")
            } else {
                let got = state_identity(s, X);
                ensure!(got.is_none(), "a core without identity shows one: {got:?}");
                Ok(())
            }
        };
        let config = resource("x", "demo", &key.key_arn);
        let cfg = config.clone();
        TestCase::new(vec![Step::new(config)
            .expect_action(X, Action::Create)
            .attr_eq(X, "key_type", "CUSTOMER_MANAGED")
            .check_state("identity after create", check)
            .import_verify(X, "demo", &["timeouts"])
            .after(move |ctx| {
                ctx.assert_count(ASSOCIATE, 1)?;
                // import by id in a fresh directory: the imported state
                // carries the identity too.
                let dir = ctx.workdir.new_config_dir("import-by-id")?;
                ctx.workdir.write_main(&dir, &ctx.full_config(&cfg))?;
                ctx.tf_in(&dir, &["import", X, "demo"])?.expect_success()?;
                check(&ctx.state_in(&dir)?)
            })])
        .destroy(protected_destroy(resource_with(
            "x",
            "demo",
            &key.key_arn,
            UNPROTECTED,
        )))
        .run(ctx)
    });
}
