//! Building the clients from settings, against a fake HTTP client that
//! records every request: precedence, validation, retries, timeouts and
//! transport. The credential sources are tested in [`credentials`].

use aws_runtime::env_config::file::EnvConfigFileKind;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::aws::client::Service;
use crate::aws::settings::{AssumeRole, AuthSettings, TransportSettings, DEFAULT_MAX_ATTEMPTS};
use crate::aws::test_support::FakeHttp;

mod credentials;

const ROLE: &str = "arn:aws:iam::123456789012:role/eks-admin";

/// Shared config with static test credentials and per-service endpoints,
/// so neither the machine's files nor its environment matter.
fn files() -> EnvConfigFiles {
    EnvConfigFiles::builder()
        .with_contents(
            EnvConfigFileKind::Config,
            "[profile test]\n\
             region = eu-central-1\n\
             endpoint_url = http://global.profile.test\n\
             services = local\n\
             [services local]\n\
             sts =\n  endpoint_url = http://sts.profile.test\n\
             eks =\n  endpoint_url = http://eks.profile.test\n\
             kms =\n  endpoint_url = http://kms.profile.test\n",
        )
        .with_contents(
            EnvConfigFileKind::Credentials,
            "[test]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
        )
        .build()
}

fn empty_files() -> EnvConfigFiles {
    EnvConfigFiles::builder()
        .with_contents(EnvConfigFileKind::Config, "")
        .with_contents(EnvConfigFileKind::Credentials, "")
        .build()
}

fn sources(http: &FakeHttp, files: EnvConfigFiles, env: &[(&str, &str)]) -> Sources {
    Sources {
        env: Some(
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        profile_files: Some(files),
        http_client: Some(http.shared()),
    }
}

fn respond(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(status).expect("status"),
        SdkBody::from(body.to_owned()),
    )
}

const ASSUME_ROLE: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
<AssumedRoleUser>
  <Arn>arn:aws:sts::123456789012:assumed-role/eks-admin/terraform-provider-eks</Arn>
  <AssumedRoleId>AROATEST:terraform-provider-eks</AssumedRoleId>
</AssumedRoleUser>
<Credentials>
  <AccessKeyId>ASIAASSUMED</AccessKeyId>
  <SecretAccessKey>assumed-secret</SecretAccessKey>
  <SessionToken>assumed-token</SessionToken>
  <Expiration>2099-01-01T00:00:00Z</Expiration>
</Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>sts-req</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;

const GET_CALLER_IDENTITY: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
<Arn>arn:aws:sts::123456789012:assumed-role/eks-admin/terraform-provider-eks</Arn>
<UserId>AROATEST:terraform-provider-eks</UserId>
<Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>gci-req</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"#;

const ASSUME_ROLE_WITH_WEB_IDENTITY: &str = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
<SubjectFromWebIdentityToken>repo:org/app:ref:refs/heads/main</SubjectFromWebIdentityToken>
<AssumedRoleUser>
  <Arn>arn:aws:sts::123456789012:assumed-role/ci/terraform-provider-eks</Arn>
  <AssumedRoleId>AROAWEB:terraform-provider-eks</AssumedRoleId>
</AssumedRoleUser>
<Credentials>
  <AccessKeyId>ASIAWEBIDENTITY</AccessKeyId>
  <SecretAccessKey>web-secret</SecretAccessKey>
  <SessionToken>web-token</SessionToken>
  <Expiration>2099-01-01T00:00:00Z</Expiration>
</Credentials>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>web-req</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#;

/// Answers like STS, EKS and KMS by host; anything else gets a 599.
fn fake_aws() -> FakeHttp {
    FakeHttp::new(|req| {
        let uri = req.uri();
        let body = req
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        if uri.contains("sts.") && body.contains("Action=GetCallerIdentity") {
            respond(200, GET_CALLER_IDENTITY)
        } else if uri.contains("sts.") && body.contains("Action=AssumeRoleWithWebIdentity") {
            respond(200, ASSUME_ROLE_WITH_WEB_IDENTITY)
        } else if uri.contains("sts.") {
            respond(200, ASSUME_ROLE)
        } else if uri.contains("eks.") {
            respond(
                200,
                r#"{"cluster":{"name":"prod","arn":"arn:aws:eks:eu-central-1:123456789012:cluster/prod","version":"1.31","status":"ACTIVE"}}"#,
            )
        } else if uri.contains("kms.") {
            respond(
                200,
                r#"{"KeyMetadata":{"KeyId":"k-1","Arn":"arn:aws:kms:eu-central-1:123456789012:key/k-1","Enabled":true,"KeyState":"Enabled","KeySpec":"SYMMETRIC_DEFAULT","KeyUsage":"ENCRYPT_DECRYPT","KeyManager":"CUSTOMER"}}"#,
            )
        } else {
            respond(599, "unexpected host")
        }
    })
}

fn settings() -> ProviderSettings {
    ProviderSettings {
        region: Some("us-west-2".into()),
        profile: Some("test".into()),
        assume_role: Some(AssumeRole {
            role_arn: ROLE.into(),
            session_name: None,
            external_id: Some("ext-123".into()),
            ..Default::default()
        }),
        endpoints: Endpoints {
            eks: Some("http://eks.explicit.test".into()),
            kms: Some("https://kms.explicit.test:8443".into()),
            sts: Some("http://sts.explicit.test".into()),
        },
        max_retries: None,
        ..Default::default()
    }
}

fn auth_header(seen: &crate::aws::test_support::Seen) -> String {
    seen.authorization.clone().unwrap_or_default()
}

#[tokio::test]
async fn from_settings_makes_no_call() {
    let http = fake_aws();
    let aws = AwsClients::from_settings_with(&settings(), sources(&http, files(), &[]))
        .await
        .unwrap();
    assert_eq!(aws.region(), "us-west-2");
    assert!(http.seen().is_empty(), "{:?}", http.seen());
}

#[tokio::test]
async fn explicit_endpoints_win_and_assume_role_uses_the_sts_endpoint() {
    let http = fake_aws();
    let mut s = settings();
    s.endpoints.kms = None;
    let aws = AwsClients::from_settings_with(&s, sources(&http, files(), &[]))
        .await
        .unwrap();

    let cluster = aws.describe_cluster("prod").await.unwrap().unwrap();
    assert_eq!(cluster.status, "ACTIVE");
    let seen = http.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    // AssumeRole goes to the explicit STS endpoint (not the profile's),
    // signed with the base credentials of the profile.
    assert!(
        seen[0].uri.starts_with("http://sts.explicit.test"),
        "{seen:?}"
    );
    // The block's `profile` is the only source: AWS_ACCESS_KEY_ID, if
    // the machine has it, is ignored.
    let auth = seen[0].authorization.as_deref().unwrap_or_default();
    assert!(auth.contains("Credential=AKIDBASE/"), "{auth}");
    // DescribeCluster goes to the explicit EKS endpoint with the assumed
    // role's credentials.
    assert_eq!(seen[1].uri, "http://eks.explicit.test/clusters/prod");
    assert!(seen[1]
        .authorization
        .as_deref()
        .unwrap_or_default()
        .contains("Credential=ASIAASSUMED/"));
    assert!(seen[1]
        .authorization
        .as_deref()
        .unwrap_or_default()
        .contains("/us-west-2/eks/"));

    // Without an explicit KMS endpoint, the profile's service endpoint is
    // honored (as AWS_ENDPOINT_URL_KMS would be), and the cached assumed
    // credentials are reused.
    aws.describe_key("alias/eks").await.unwrap();
    let seen = http.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    if std::env::var_os("AWS_ENDPOINT_URL_KMS").is_none() {
        assert!(
            seen[2].uri.starts_with("http://kms.profile.test"),
            "{seen:?}"
        );
    }
    assert!(seen[2]
        .authorization
        .as_deref()
        .unwrap_or_default()
        .contains("Credential=ASIAASSUMED/"));
}

#[tokio::test]
async fn no_region_anywhere_is_an_error() {
    let http = fake_aws();
    let s = ProviderSettings::default();
    let err = AwsClients::from_settings_with(&s, sources(&http, empty_files(), &[]))
        .await
        .unwrap_err();
    assert_eq!(err, ConfigError::NoRegion);
    assert!(http.seen().is_empty());
}

#[tokio::test]
async fn region_precedence() {
    let http = fake_aws();
    let env = [
        ("AWS_REGION", "ap-south-1"),
        ("AWS_DEFAULT_REGION", "sa-east-1"),
    ];
    let from = |s: ProviderSettings, files: EnvConfigFiles, env: &[(&str, &str)]| {
        let sources = sources(&http, files, env);
        async move {
            AwsClients::from_settings_with(&s, sources)
                .await
                .unwrap()
                .region()
                .to_owned()
        }
    };
    let profile = ProviderSettings {
        profile: Some("test".into()),
        ..Default::default()
    };
    let explicit = ProviderSettings {
        region: Some("us-west-2".into()),
        ..profile.clone()
    };
    assert_eq!(from(explicit, files(), &env).await, "us-west-2");
    assert_eq!(from(profile.clone(), files(), &env).await, "ap-south-1");
    assert_eq!(from(profile.clone(), files(), &env[1..]).await, "sa-east-1");
    assert_eq!(from(profile, files(), &[]).await, "eu-central-1");
    assert!(http.seen().is_empty());
}

#[tokio::test]
async fn bogus_endpoint_is_rejected_before_anything_else() {
    let http = fake_aws();
    let mut s = settings();
    s.endpoints.kms = Some("kms.us-east-1.amazonaws.com".into());
    let err = AwsClients::from_settings_with(&s, sources(&http, files(), &[]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ConfigError::InvalidEndpoint {
            attribute: "endpoints.kms",
            value: "kms.us-east-1.amazonaws.com".into(),
            reason: "the scheme must be http or https".into(),
        }
    );
    // The public entry point validates the same way.
    let err = AwsClients::from_settings(&s).await.unwrap_err();
    assert!(matches!(
        err,
        ConfigError::InvalidEndpoint {
            attribute: "endpoints.kms",
            ..
        }
    ));
    assert!(http.seen().is_empty());
}

#[tokio::test]
async fn max_retries_sets_total_attempts() {
    let http = fake_aws();
    let attempts = |max_retries: Option<u32>| {
        let s = ProviderSettings {
            max_retries,
            ..settings()
        };
        let sources = sources(&http, files(), &[]);
        async move {
            let aws = AwsClients::from_settings_with(&s, sources).await.unwrap();
            let eks = aws.eks().config().retry_config().unwrap().max_attempts();
            let kms = aws.kms().config().retry_config().unwrap().max_attempts();
            assert_eq!(eks, kms);
            eks
        }
    };
    assert_eq!(attempts(None).await, DEFAULT_MAX_ATTEMPTS);
    assert_eq!(attempts(Some(0)).await, 1);
    assert_eq!(attempts(Some(10)).await, 11);
    // Issue 9: retries that cannot fit in the operation timeout (5m,
    // at up to 20 s of backoff each) are capped.
    assert_eq!(attempts(Some(u32::MAX)).await, 16);
    assert_eq!(attempts(Some(100)).await, 16);
}

/// Issue 9: every call has an attempt and an operation timeout, and a
/// timed-out call names its endpoint and the bounds.
#[tokio::test]
async fn calls_have_timeouts_and_a_timeout_names_the_endpoint() {
    let http = fake_aws();
    let s = ProviderSettings {
        timeouts: CallTimeouts {
            attempt: Some(Duration::from_secs(2)),
            operation: Some(Duration::from_secs(4)),
        },
        ..settings()
    };
    let aws = AwsClients::from_settings_with(&s, sources(&http, files(), &[]))
        .await
        .unwrap();
    for tc in [
        aws.eks().config().timeout_config().unwrap(),
        aws.kms().config().timeout_config().unwrap(),
    ] {
        assert_eq!(tc.operation_timeout(), Some(Duration::from_secs(4)));
        assert_eq!(tc.operation_attempt_timeout(), Some(Duration::from_secs(2)));
    }
    let e = aws.annotate(
        crate::aws::AwsError {
            operation: "DescribeCluster",
            kind: crate::aws::AwsErrorKind::Timeout,
            code: None,
            message: "request timed out".into(),
            request_id: None,
            http_status: None,
        },
        Service::Eks,
    );
    assert_eq!(
        e.message,
        "request timed out (endpoint http://eks.explicit.test; no answer within the \
         provider's attempt_timeout 2s, operation_timeout 4s)"
    );
}

#[tokio::test]
async fn assume_role_and_region_are_validated() {
    let http = fake_aws();
    let check = |s: ProviderSettings| {
        let sources = sources(&http, files(), &[]);
        async move {
            AwsClients::from_settings_with(&s, sources)
                .await
                .unwrap_err()
        }
    };
    let mut s = settings();
    s.assume_role.as_mut().unwrap().role_arn = "eks-admin".into();
    assert!(matches!(
        check(s).await,
        ConfigError::InvalidAssumeRole {
            attribute: "assume_role.role_arn",
            ..
        }
    ));
    let mut s = settings();
    s.assume_role.as_mut().unwrap().session_name = Some("has space".into());
    assert!(matches!(
        check(s).await,
        ConfigError::InvalidAssumeRole {
            attribute: "assume_role.session_name",
            ..
        }
    ));
    let mut s = settings();
    s.region = Some(String::new());
    assert!(matches!(check(s).await, ConfigError::InvalidRegion { .. }));
    let mut s = settings();
    s.profile = Some(" ".into());
    assert!(matches!(check(s).await, ConfigError::InvalidProfile { .. }));
}

#[tokio::test]
async fn retry_mode_and_attempts_from_the_environment() {
    let http = fake_aws();
    let s = settings();
    let env = [("AWS_RETRY_MODE", "adaptive"), ("AWS_MAX_ATTEMPTS", "7")];
    let aws = AwsClients::from_settings_with(&s, sources(&http, files(), &env))
        .await
        .unwrap();
    let rc = aws.eks().config().retry_config().unwrap().clone();
    assert_eq!(rc.mode(), aws_smithy_types::retry::RetryMode::Adaptive);
    assert_eq!(rc.max_attempts(), 7);
    // The block wins.
    let s = ProviderSettings {
        max_retries: Some(1),
        transport: TransportSettings {
            retry_mode: Some(RetryModeSetting::Standard),
            ..Default::default()
        },
        ..settings()
    };
    let aws = AwsClients::from_settings_with(&s, sources(&http, files(), &env))
        .await
        .unwrap();
    let rc = aws.kms().config().retry_config().unwrap().clone();
    assert_eq!(rc.mode(), aws_smithy_types::retry::RetryMode::Standard);
    assert_eq!(rc.max_attempts(), 2);
    // A bad value names the variable.
    let err = AwsClients::from_settings_with(
        &settings(),
        sources(&http, files(), &[("AWS_MAX_ATTEMPTS", "many")]),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("AWS_MAX_ATTEMPTS"), "{err}");
}

#[tokio::test]
async fn fips_and_dual_stack_select_the_endpoint_variant() {
    let http = FakeHttp::new(|_| {
        respond(
            200,
            r#"{"cluster":{"name":"prod","arn":"arn:aws:eks:us-west-2:123456789012:cluster/prod","version":"1.31","status":"ACTIVE"}}"#,
        )
    });
    let s = ProviderSettings {
        region: Some("us-west-2".into()),
        profile: Some("plain".into()),
        transport: TransportSettings {
            use_fips_endpoint: Some(true),
            ..Default::default()
        },
        ..Default::default()
    };
    let plain = EnvConfigFiles::builder()
        .with_contents(EnvConfigFileKind::Config, "[profile plain]\n")
        .with_contents(
            EnvConfigFileKind::Credentials,
            "[plain]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n",
        )
        .build();
    let aws = AwsClients::from_settings_with(&s, sources(&http, plain.clone(), &[]))
        .await
        .unwrap();
    aws.describe_cluster("prod").await.unwrap();
    assert!(
        http.seen()[0]
            .uri
            .starts_with("https://fips.eks.us-west-2.amazonaws.com/"),
        "{:?}",
        http.seen()
    );
    // From the environment, and dual-stack from the profile.
    let s = ProviderSettings {
        transport: TransportSettings::default(),
        ..s
    };
    let dual = EnvConfigFiles::builder()
        .with_contents(
            EnvConfigFileKind::Config,
            "[profile plain]\nuse_dualstack_endpoint = true\n",
        )
        .with_contents(
            EnvConfigFileKind::Credentials,
            "[plain]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n",
        )
        .build();
    let aws = AwsClients::from_settings_with(
        &s,
        sources(&http, dual, &[("AWS_USE_FIPS_ENDPOINT", "true")]),
    )
    .await
    .unwrap();
    aws.describe_cluster("prod").await.unwrap();
    let aws = AwsClients::from_settings_with(&s, sources(&http, plain, &[]))
        .await
        .unwrap();
    aws.describe_cluster("prod").await.unwrap();
    let uris: Vec<String> = http.seen().iter().map(|r| r.uri.clone()).collect();
    // Both variants: a FIPS host in the dual-stack `api.aws` domain.
    assert!(
        uris[1].contains("fips") && uris[1].contains(".api.aws/"),
        "{uris:?}"
    );
    assert!(
        uris[2].starts_with("https://eks.us-west-2.amazonaws.com/"),
        "{uris:?}"
    );
}

#[tokio::test]
async fn shared_files_of_the_block_are_checked() {
    let http = fake_aws();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let creds = dir.path().join("credentials");
    std::fs::write(&config, "[profile only-here]\nregion = ap-south-1\n").unwrap();
    std::fs::write(
        &creds,
        "[only-here]\naws_access_key_id = AKIDSHARED\naws_secret_access_key = s\n",
    )
    .unwrap();
    let s = ProviderSettings {
        profile: Some("only-here".into()),
        endpoints: settings().endpoints,
        auth: AuthSettings {
            shared_config_files: Some(vec![config.display().to_string()]),
            shared_credentials_files: Some(vec![creds.display().to_string()]),
            ..Default::default()
        },
        ..Default::default()
    };
    let no_files = Sources {
        env: Some(HashMap::new()),
        profile_files: None,
        http_client: Some(http.shared()),
    };
    let aws = AwsClients::from_settings_with(&s, no_files).await.unwrap();
    assert_eq!(
        aws.region(),
        "ap-south-1",
        "the region comes from that profile"
    );
    aws.describe_cluster("prod").await.unwrap();
    assert!(auth_header(&http.seen()[0]).contains("Credential=AKIDSHARED/"));

    let mut missing = s.clone();
    missing.auth.shared_config_files = Some(vec![dir.path().join("nope").display().to_string()]);
    let err = AwsClients::from_settings_with(
        &missing,
        Sources {
            env: Some(HashMap::new()),
            profile_files: None,
            http_client: Some(http.shared()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.attribute().as_deref(), Some("shared_config_files"));
    assert!(err.to_string().contains("cannot read"), "{err}");
}

#[tokio::test]
async fn ca_bundle_and_proxy_errors_name_their_source() {
    let http = fake_aws();
    let err = AwsClients::from_settings_with(
        &settings(),
        sources(&http, files(), &[("AWS_CA_BUNDLE", "/nonexistent/ca.pem")]),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "invalid AWS_CA_BUNDLE: the CA bundle file /nonexistent/ca.pem cannot be read"
        ),
        "{err}"
    );
    assert_eq!(err.attribute(), None);
    let s = ProviderSettings {
        transport: TransportSettings {
            https_proxy: Some("ftp://proxy".into()),
            ..Default::default()
        },
        ..settings()
    };
    let err = AwsClients::from_settings_with(&s, sources(&http, files(), &[]))
        .await
        .unwrap_err();
    assert_eq!(err.attribute().as_deref(), Some("https_proxy"), "{err}");
    let err = AwsClients::from_settings_with(
        &settings(),
        sources(&http, files(), &[("HTTPS_PROXY", "socks5://p:1")]),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("invalid HTTPS_PROXY"), "{err}");
    assert!(http.seen().is_empty());
}
