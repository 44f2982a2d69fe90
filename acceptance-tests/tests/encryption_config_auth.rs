//! The provider block's authentication and safety settings (issue 11), on
//! every core, against the emulator's STS (moto's): assumed roles with
//! session tags, web identity, account guards, aliases in two accounts,
//! shared files, a custom CA bundle over HTTPS, and an HTTPS proxy.
//!
//! The emulator serves each request as the account of its credentials, as
//! moto and AWS do (see `acceptance-tests/emulator/eks_emulator/accounts.py`),
//! and its request log names the access key id that signed each request, so
//! these scenarios check which credentials reached EKS and KMS.

use acceptance_tests::context::{each_core_with, ContextOptions, TestContext};
use acceptance_tests::emulator::{EmulatorOptions, RequestRecord, ACCOUNT_ID};
use acceptance_tests::proxy::ConnectProxy;
use acceptance_tests::{each_core, ensure, Action, ClusterSpec, KeySpec, Result, Step, TestCase};

const THIS: &str = "eks_encryption_config.this";
/// A second and a third account, reached through roles.
const OTHER: &str = "111122223333";
const THIRD: &str = "444455556666";

const TERRAFORM: &str =
    "terraform {\n  required_providers {\n    eks = {\n      source = \"cmkguard/eks\"\n    }\n  }\n}\n\n";

/// A provider block: `region`, `extra` lines, and every endpoint at `url`.
fn provider(url: &str, extra: &str) -> String {
    format!(
        "provider \"eks\" {{\n  region = \"us-east-1\"\n{extra}  endpoints {{\n    eks = \"{url}\"\n    kms = \"{url}\"\n    sts = \"{url}\"\n  }}\n}}\n\n"
    )
}

/// A resource associating `key` with cluster `demo`, optionally through a
/// provider alias.
fn resource(name: &str, key: &str, alias: Option<&str>) -> String {
    let provider = alias
        .map(|a| format!("  provider            = eks.{a}\n"))
        .unwrap_or_default();
    format!(
        "resource \"eks_encryption_config\" \"{name}\" {{\n{provider}  cluster_name        = \"demo\"\n  key_arn             = \"{key}\"\n  deletion_protection = false\n}}\n"
    )
}

/// Cluster `demo` and an enabled key, in `account` (None: the default).
fn cluster_and_key(ctx: &TestContext, account: Option<&str>) -> Result<String> {
    let mut key = KeySpec::symmetric();
    let mut cluster = ClusterSpec::new("demo");
    if let Some(a) = account {
        key = key.account(a);
        cluster = cluster.account(a);
    }
    let key = ctx.emulator().create_key(&key)?;
    ctx.emulator().create_cluster(&cluster)?;
    Ok(key.key_arn)
}

/// The EKS and KMS requests of the log.
fn eks_and_kms(ctx: &TestContext) -> Result<Vec<RequestRecord>> {
    Ok(ctx
        .emulator()
        .requests()?
        .into_iter()
        .filter(|r| r.service == "eks" || r.service == "kms")
        .collect())
}

/// Fails unless every EKS and KMS request was signed with temporary
/// credentials of `account` (moto issues `ASIA...` keys for assumed roles)
/// and at least one association was made.
fn signed_as_assumed(ctx: &TestContext, account: &str) -> Result<()> {
    let calls = eks_and_kms(ctx)?;
    ensure!(
        calls
            .iter()
            .any(|r| r.operation == "AssociateEncryptionConfig")
            && calls.iter().any(|r| r.operation == "DescribeKey"),
        "expected EKS and KMS calls, saw {}",
        ctx.emulator().request_log_summary()
    );
    for r in &calls {
        let akid = r.access_key_id.as_deref().unwrap_or("");
        ensure!(
            akid.starts_with("ASIA") && r.account.as_deref() == Some(account),
            "{} was signed by {akid:?} as account {:?}, expected assumed credentials of {account}",
            r.summary(),
            r.account
        );
    }
    Ok(())
}

/// A form field of a logged STS request.
fn field<'a>(r: &'a RequestRecord, name: &str) -> Option<&'a str> {
    r.body.as_ref()?.get(name)?.as_str()
}

#[test]
fn encryption_config_assume_role_tags() {
    each_core("encryption_config_assume_role_tags", |ctx| {
        let key = cluster_and_key(ctx, Some(OTHER))?;
        let config = format!(
            "{TERRAFORM}{}{}",
            provider(
                ctx.url(),
                &format!(
                    "  assume_role {{\n    role_arn            = \"arn:aws:iam::{OTHER}:role/terraform-eks\"\n    session_name        = \"tf-acc\"\n    duration            = \"1h\"\n    source_identity     = \"alice\"\n    tags                = {{ team = \"platform\", env = \"prod\" }}\n    transitive_tag_keys = [\"team\"]\n    policy_arns         = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n  }}\n"
                )
            ),
            resource("this", &key, None)
        );
        TestCase::new(vec![Step::raw(config)
            .expect_action(THIS, Action::Create)
            .attr_eq(
                THIS,
                "cluster_arn",
                format!("arn:aws:eks:us-east-1:{OTHER}:cluster/demo"),
            )
            .import_verify(THIS, "demo", &["timeouts", "deletion_protection"])
            .after(move |ctx| {
                let assumed = ctx.emulator().requests_for("AssumeRole")?;
                ensure!(!assumed.is_empty(), "no AssumeRole in the request log");
                for r in &assumed {
                    let want = [
                        (
                            "RoleArn",
                            format!("arn:aws:iam::{OTHER}:role/terraform-eks"),
                        ),
                        ("RoleSessionName", "tf-acc".into()),
                        ("DurationSeconds", "3600".into()),
                        ("SourceIdentity", "alice".into()),
                        ("Tags.member.1.Key", "env".into()),
                        ("Tags.member.1.Value", "prod".into()),
                        ("Tags.member.2.Key", "team".into()),
                        ("Tags.member.2.Value", "platform".into()),
                        ("TransitiveTagKeys.member.1", "team".into()),
                        (
                            "PolicyArns.member.1.arn",
                            "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
                        ),
                    ];
                    for (name, value) in &want {
                        ensure!(
                            field(r, name) == Some(value.as_str()),
                            "AssumeRole {name} is {:?}, expected {value:?}: {:?}",
                            field(r, name),
                            r.body
                        );
                    }
                    ensure!(
                        r.access_key_id.as_deref() == Some("test"),
                        "AssumeRole must be signed with the base credentials, was {:?}",
                        r.access_key_id
                    );
                }
                signed_as_assumed(ctx, OTHER)
            })])
        .run(ctx)
    });
}

#[test]
fn encryption_config_web_identity_token_file() {
    each_core("encryption_config_web_identity_token_file", |ctx| {
        let key = cluster_and_key(ctx, Some(OTHER))?;
        let token = ctx.workdir.root().join("oidc-token");
        let secret = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9yZy9hcHAifQ.c2ln";
        std::fs::write(&token, format!("{secret}\n"))
            .map_err(|e| acceptance_tests::Error::io("writing the token file", e))?;
        let config = format!(
            "{TERRAFORM}{}{}",
            provider(
                ctx.url(),
                &format!(
                    "  assume_role_with_web_identity {{\n    role_arn                = \"arn:aws:iam::{OTHER}:role/ci\"\n    session_name            = \"pipeline\"\n    web_identity_token_file = \"{}\"\n  }}\n",
                    token.display()
                )
            ),
            resource("this", &key, None)
        );
        TestCase::new(vec![Step::raw(config)
            .expect_action(THIS, Action::Create)
            .import_verify(THIS, "demo", &["timeouts", "deletion_protection"])
            .after(move |ctx| {
                let calls = ctx.emulator().requests_for("AssumeRoleWithWebIdentity")?;
                ensure!(!calls.is_empty(), "no AssumeRoleWithWebIdentity in the log");
                for r in &calls {
                    ensure!(
                        field(r, "RoleArn") == Some(&format!("arn:aws:iam::{OTHER}:role/ci")[..])
                            && field(r, "RoleSessionName") == Some("pipeline")
                            && field(r, "WebIdentityToken") == Some("<redacted>")
                            && r.access_key_id.is_none(),
                        "unexpected AssumeRoleWithWebIdentity: {:?} signed by {:?}",
                        r.body,
                        r.access_key_id
                    );
                }
                ensure!(
                    ctx.emulator()
                        .requests()?
                        .iter()
                        .all(|r| !format!("{:?}", r.body).contains(secret)),
                    "the token must never reach the request log"
                );
                ensure!(
                    ctx.emulator().count("AssumeRole")? == 0,
                    "web identity needs no AssumeRole"
                );
                signed_as_assumed(ctx, OTHER)
            })])
        .run(ctx)
    });
}

#[test]
fn encryption_config_allowed_account_ids_refuse_wrong_account() {
    each_core(
        "encryption_config_allowed_account_ids_refuse_wrong_account",
        |ctx| {
            let key = cluster_and_key(ctx, None)?;
            for (guard, attribute) in [
                (
                    "  allowed_account_ids = [\"999999999999\"]\n",
                    "allowed_account_ids",
                ),
                (
                    &format!("  forbidden_account_ids = [\"{ACCOUNT_ID}\"]\n")[..],
                    "forbidden_account_ids",
                ),
            ] {
                ctx.emulator().clear_requests()?;
                ctx.write_raw_config(&format!(
                    "{TERRAFORM}{}{}",
                    provider(ctx.url(), guard),
                    resource("this", &key, None)
                ))?;
                ctx.tf_ok(&["validate"])?;
                let out = ctx.tf(&["plan"])?;
                out.expect_error(&format!(
                    "Error: AWS account not allowed .*the credentials belong to AWS account \
                     {ACCOUNT_ID}, which `{attribute}` .*Nothing was sent to EKS or KMS"
                ))?;
                let seen = ctx.emulator().requests()?;
                ensure!(
                    !seen.is_empty() && seen.iter().all(|r| r.operation == "GetCallerIdentity"),
                    "only GetCallerIdentity may be sent, saw:\n{}",
                    ctx.emulator().request_log_summary()
                );
            }
            // The right account passes.
            ctx.write_raw_config(&format!(
                "{TERRAFORM}{}{}",
                provider(
                    ctx.url(),
                    &format!("  allowed_account_ids = [\"{ACCOUNT_ID}\"]\n")
                ),
                resource("this", &key, None)
            ))?;
            ctx.tf_ok(&["plan"])?;
            Ok(())
        },
    );
}

#[test]
fn encryption_config_aliases_in_two_accounts() {
    each_core("encryption_config_aliases_in_two_accounts", |ctx| {
        // The same cluster name in two accounts: each alias sees its own.
        let key_a = cluster_and_key(ctx, Some(OTHER))?;
        let key_b = cluster_and_key(ctx, Some(THIRD))?;
        let alias = |name: &str, account: &str| {
            provider(
                ctx.url(),
                &format!(
                    "  alias               = \"{name}\"\n  allowed_account_ids = [\"{account}\"]\n  assume_role {{\n    role_arn = \"arn:aws:iam::{account}:role/terraform-eks\"\n  }}\n"
                ),
            )
        };
        let config = format!(
            "{TERRAFORM}{}{}{}\n{}",
            alias("prod", OTHER),
            alias("staging", THIRD),
            resource("prod", &key_a, Some("prod")),
            resource("staging", &key_b, Some("staging"))
        );
        let (prod, staging) = (
            "eks_encryption_config.prod",
            "eks_encryption_config.staging",
        );
        TestCase::new(vec![Step::raw(config)
            .expect_action(prod, Action::Create)
            .expect_action(staging, Action::Create)
            .attr_eq(
                prod,
                "cluster_arn",
                format!("arn:aws:eks:us-east-1:{OTHER}:cluster/demo"),
            )
            .attr_eq(
                staging,
                "cluster_arn",
                format!("arn:aws:eks:us-east-1:{THIRD}:cluster/demo"),
            )
            .attr_eq(prod, "resolved_key_arn", key_a.as_str())
            .attr_eq(staging, "resolved_key_arn", key_b.as_str())
            .import_verify(staging, "demo", &["timeouts", "deletion_protection"])
            .after(|ctx| {
                let associations = ctx.emulator().requests_for("AssociateEncryptionConfig")?;
                let mut accounts: Vec<_> = associations
                    .iter()
                    .filter_map(|r| r.account.clone())
                    .collect();
                accounts.sort();
                ensure!(
                    accounts == [OTHER, THIRD],
                    "expected one association per account, saw {accounts:?}"
                );
                let checked: Vec<_> = ctx
                    .emulator()
                    .requests_for("GetCallerIdentity")?
                    .into_iter()
                    .filter_map(|r| r.account)
                    .collect();
                ensure!(
                    checked.iter().any(|a| a == OTHER) && checked.iter().any(|a| a == THIRD),
                    "each alias checks its own account, saw {checked:?}"
                );
                for r in eks_and_kms(ctx)? {
                    ensure!(
                        r.access_key_id
                            .as_deref()
                            .is_some_and(|k| k.starts_with("ASIA")),
                        "{} not signed by an assumed role: {:?}",
                        r.summary(),
                        r.access_key_id
                    );
                }
                Ok(())
            })])
        .run(ctx)
    });
}

#[test]
fn encryption_config_shared_config_files() {
    each_core("encryption_config_shared_config_files", |ctx| {
        let key = cluster_and_key(ctx, None)?;
        let root = ctx.workdir.root();
        let (config_file, credentials_file) = (root.join("aws-config"), root.join("aws-creds"));
        let write = |path: &std::path::Path, text: &str| {
            std::fs::write(path, text).map_err(|e| acceptance_tests::Error::io("writing", e))
        };
        write(
            &config_file,
            "[profile only-here]\nregion = us-east-1\nretry_mode = standard\n",
        )?;
        write(
            &credentials_file,
            "[only-here]\naws_access_key_id = AKIAONLYHERE0000000\naws_secret_access_key = only-here-secret\n",
        )?;
        let config = format!(
            "{TERRAFORM}{}{}",
            provider(
                ctx.url(),
                &format!(
                    "  profile                  = \"only-here\"\n  shared_config_files      = [\"{}\"]\n  shared_credentials_files = [\"{}\"]\n",
                    config_file.display(),
                    credentials_file.display()
                )
            ),
            resource("this", &key, None)
        );
        TestCase::new(vec![Step::raw(config)
            .expect_action(THIS, Action::Create)
            .import_verify(THIS, "demo", &["timeouts", "deletion_protection"])
            .after(|ctx| {
                // The harness also sets AWS_ACCESS_KEY_ID=test: a profile set
                // in the block wins over it, as in the AWS provider.
                let calls = eks_and_kms(ctx)?;
                ensure!(!calls.is_empty(), "no EKS or KMS call");
                for r in &calls {
                    ensure!(
                        r.access_key_id.as_deref() == Some("AKIAONLYHERE0000000"),
                        "{} signed by {:?}, expected the profile's key",
                        r.summary(),
                        r.access_key_id
                    );
                }
                Ok(())
            })])
        .run(ctx)?;
        // A profile no file defines is a credentials error naming it.
        ctx.write_raw_config(&format!(
            "{TERRAFORM}{}{}",
            provider(
                ctx.url(),
                &format!(
                    "  profile             = \"missing\"\n  shared_config_files = [\"{}\"]\n",
                    config_file.display()
                )
            ),
            resource("this", &key, None)
        ))?;
        ctx.tf(&["plan"])?.expect_error(
            r#"Error: No valid AWS credentials .*no AWS credentials found for region us-east-1\. Tried profile "missing" of \S+aws-config\. Fix: give profile "missing" credentials"#,
        )?;
        Ok(())
    });
}

/// Contexts whose emulator also serves HTTPS with a test CA.
fn https_options() -> ContextOptions {
    ContextOptions {
        emulator: Some(EmulatorOptions {
            https: true,
            ..EmulatorOptions::default()
        }),
        ..ContextOptions::default()
    }
}

#[test]
fn encryption_config_custom_ca_bundle() {
    each_core_with(
        "encryption_config_custom_ca_bundle",
        &https_options(),
        |ctx| {
            let key = cluster_and_key(ctx, None)?;
            let https = ctx
                .emulator()
                .https_url()
                .expect("https listener")
                .to_owned();
            let ca = ctx.emulator().ca_bundle().expect("test CA");
            // Without the CA, the system trust store refuses the certificate.
            ctx.write_raw_config(&format!(
                "{TERRAFORM}{}{}",
                provider(&https, ""),
                resource("this", &key, None)
            ))?;
            ctx.emulator().clear_requests()?;
            ctx.tf(&["plan"])?.expect_error(
                r"Error: AWS DescribeCluster failed .*certificate.*not trusted.*custom_ca_bundle \(or AWS_CA_BUNDLE\)",
            )?;
            ensure!(
                ctx.emulator().requests()?.is_empty(),
                "no request may get through an untrusted TLS connection"
            );
            // AWS_CA_BUNDLE works too.
            let out = ctx
                .terraform
                .command(&ctx.dir(), &["plan"])
                .env("AWS_CA_BUNDLE", &ca)
                .output()
                .map_err(|e| acceptance_tests::Error::io("running terraform plan", e))?;
            ensure!(
                out.status.success(),
                "plan with AWS_CA_BUNDLE failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let config = format!(
                "{TERRAFORM}{}{}",
                provider(
                    &https,
                    &format!("  custom_ca_bundle = \"{}\"\n", ca.display())
                ),
                resource("this", &key, None)
            );
            TestCase::new(vec![Step::raw(config)
                .expect_action(THIS, Action::Create)
                .import_verify(THIS, "demo", &["timeouts", "deletion_protection"])
                .after(|ctx| {
                    ensure!(
                        ctx.emulator().count("AssociateEncryptionConfig")? == 1,
                        "expected one association over HTTPS:\n{}",
                        ctx.emulator().request_log_summary()
                    );
                    Ok(())
                })])
            .run(ctx)
        },
    );
}

#[test]
fn encryption_config_https_proxy() {
    each_core_with("encryption_config_https_proxy", &https_options(), |ctx| {
        let key = cluster_and_key(ctx, None)?;
        let https = ctx
            .emulator()
            .https_url()
            .expect("https listener")
            .to_owned();
        let port = https.rsplit(':').next().unwrap_or_default().to_owned();
        let ca = ctx.emulator().ca_bundle().expect("test CA");
        // `emulator.test` resolves nowhere: only the proxy knows it.
        let proxy = ConnectProxy::start(&["emulator.test"])
            .map_err(|e| acceptance_tests::Error::io("starting the proxy", e))?;
        let endpoint = format!("https://emulator.test:{port}");
        let config = format!(
            "{TERRAFORM}{}{}",
            provider(
                &endpoint,
                &format!(
                    "  https_proxy      = \"{}\"\n  custom_ca_bundle = \"{}\"\n",
                    proxy.url(),
                    ca.display()
                )
            ),
            resource("this", &key, None)
        );
        TestCase::new(vec![Step::raw(config)
            .expect_action(THIS, Action::Create)
            .import_verify(THIS, "demo", &["timeouts", "deletion_protection"])])
        .run(ctx)?;
        let tunnels = proxy.connections();
        ensure!(
            !tunnels.is_empty()
                && tunnels
                    .iter()
                    .all(|t| *t == format!("emulator.test:{port}")),
            "expected CONNECT emulator.test:{port} only, the proxy saw {tunnels:?}"
        );
        ensure!(
            ctx.emulator().count("AssociateEncryptionConfig")? == 1,
            "expected one association through the proxy"
        );
        Ok(())
    });
}
