//! The credential sources the builder assembles: `assume_role`, web
//! identity, the account guard, SSO profiles and the STS region.

use super::*;

#[tokio::test]
async fn denied_assume_role_is_a_credentials_error() {
    let http = FakeHttp::new(|req| {
        assert!(
            req.uri().starts_with("http://sts.explicit.test"),
            "{}",
            req.uri()
        );
        // STS's query protocol keeps the body's RequestId out of the
        // parsed error; the id comes from the x-amzn-RequestId header.
        let mut resp = respond(
            403,
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/eks-admin</Message></Error>
  <RequestId>sts-denied</RequestId>
</ErrorResponse>"#,
        );
        resp.headers_mut().insert("x-amzn-RequestId", "sts-denied");
        resp
    });
    let aws = AwsClients::from_settings_with(&settings(), sources(&http, files(), &[]))
        .await
        .unwrap();
    let err = aws.describe_cluster("prod").await.unwrap_err();
    assert_eq!(err.kind, crate::aws::AwsErrorKind::Credentials, "{err}");
    assert_eq!(
        err.message,
        "could not assume the role of `assume_role.role_arn`: AccessDenied: User: \
         arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole \
         on resource: arn:aws:iam::123456789012:role/eks-admin (STS request id: sts-denied). \
         Credentials from profile \"test\" of the shared config and credentials files, then \
         assume_role arn:aws:iam::123456789012:role/eks-admin; region us-west-2"
    );
    assert_eq!(http.seen().len(), 1, "AccessDenied is not retried");
}

#[tokio::test]
async fn assume_role_sends_every_field() {
    let http = fake_aws();
    let mut s = settings();
    let role = s.assume_role.as_mut().unwrap();
    role.session_name = Some("ci-run".into());
    role.duration = Some(Duration::from_secs(7200));
    role.policy = Some(r#"{"Version":"2012-10-17"}"#.into());
    role.policy_arns = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()];
    role.tags = BTreeMap::from([
        ("team".to_owned(), "platform".to_owned()),
        ("env".to_owned(), "prod".to_owned()),
    ]);
    role.transitive_tag_keys = vec!["team".into()];
    role.source_identity = Some("alice".into());
    let aws = AwsClients::from_settings_with(&s, sources(&http, files(), &[]))
        .await
        .unwrap();
    aws.describe_cluster("prod").await.unwrap();
    let seen = http.seen();
    let body = &seen[0].body;
    for part in [
        "Action=AssumeRole",
        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Feks-admin",
        "RoleSessionName=ci-run",
        "DurationSeconds=7200",
        "ExternalId=ext-123",
        "SourceIdentity=alice",
        "PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess",
        "Tags.member.1.Key=env",
        "Tags.member.1.Value=prod",
        "Tags.member.2.Key=team",
        "TransitiveTagKeys.member.1=team",
        "Policy=",
    ] {
        assert!(body.contains(part), "{part} not in {body}");
    }
    assert!(auth_header(&seen[1]).contains("Credential=ASIAASSUMED/"));
}

#[tokio::test]
async fn web_identity_from_a_token_file() {
    let http = fake_aws();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "header.payload.signature\n").unwrap();
    let s = ProviderSettings {
        region: Some("us-west-2".into()),
        endpoints: settings().endpoints,
        auth: AuthSettings {
            web_identity: Some(crate::aws::WebIdentity {
                role_arn: Some("arn:aws:iam::123456789012:role/ci".into()),
                web_identity_token_file: Some(token.display().to_string()),
                duration: Some(Duration::from_secs(900)),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let aws = AwsClients::from_settings_with(&s, sources(&http, empty_files(), &[]))
        .await
        .unwrap();
    assert!(http.seen().is_empty(), "configuring makes no call");
    aws.describe_cluster("prod").await.unwrap();
    let seen = http.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen[0].uri.starts_with("http://sts.explicit.test"),
        "{seen:?}"
    );
    for part in [
        "Action=AssumeRoleWithWebIdentity",
        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci",
        "RoleSessionName=terraform-provider-eks",
        "WebIdentityToken=header.payload.signature",
        "DurationSeconds=900",
    ] {
        assert!(
            seen[0].body.contains(part),
            "{part} not in {}",
            seen[0].body
        );
    }
    assert!(
        seen[0].authorization.is_none(),
        "AssumeRoleWithWebIdentity is unsigned: {:?}",
        seen[0].authorization
    );
    assert!(auth_header(&seen[1]).contains("Credential=ASIAWEBIDENTITY/"));

    // A token file that went away is a clear credentials error.
    std::fs::remove_file(&token).unwrap();
    let aws = AwsClients::from_settings_with(&s, sources(&http, empty_files(), &[]))
        .await
        .unwrap();
    let err = aws.describe_cluster("prod").await.unwrap_err();
    assert_eq!(err.kind, crate::aws::AwsErrorKind::Credentials);
    assert!(
        err.message
            .contains("could not read the web identity token file")
            && err
                .message
                .contains("web identity: role arn:aws:iam::123456789012:role/ci")
            && err.message.contains("region us-west-2"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_refused_account_stops_every_call() {
    let http = fake_aws();
    let mut s = settings();
    s.auth.allowed_account_ids = vec!["111111111111".into()];
    let aws = AwsClients::from_settings_with(&s, sources(&http, files(), &[]))
        .await
        .unwrap();
    assert!(http.seen().is_empty(), "configuring makes no call");
    let err = aws.describe_cluster("prod").await.unwrap_err();
    assert_eq!(
        err.kind,
        crate::aws::AwsErrorKind::AccountNotAllowed,
        "{err}"
    );
    assert!(
        err.message.starts_with(
            "the credentials belong to AWS account 123456789012, which \
             `allowed_account_ids` does not list (it allows 111111111111)"
        ),
        "{}",
        err.message
    );
    let err = aws.describe_key("alias/eks").await.unwrap_err();
    assert_eq!(err.kind, crate::aws::AwsErrorKind::AccountNotAllowed);
    let ops: Vec<&str> = http
        .seen()
        .iter()
        .map(|r| {
            if r.body.contains("Action=GetCallerIdentity") {
                "GetCallerIdentity"
            } else if r.body.contains("Action=AssumeRole") {
                "AssumeRole"
            } else {
                "other"
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    // The role is assumed to learn the account, checked once, and
    // nothing reaches EKS or KMS.
    assert_eq!(ops, ["AssumeRole", "GetCallerIdentity"]);
    // GetCallerIdentity is signed with the assumed credentials.
    assert!(auth_header(&http.seen()[1]).contains("Credential=ASIAASSUMED/"));
}

#[tokio::test]
async fn an_allowed_account_is_checked_once() {
    let http = fake_aws();
    let mut s = settings();
    s.assume_role = None;
    s.auth.forbidden_account_ids = vec!["999999999999".into()];
    let aws = AwsClients::from_settings_with(&s, sources(&http, files(), &[]))
        .await
        .unwrap();
    aws.describe_cluster("prod").await.unwrap();
    aws.describe_cluster("prod").await.unwrap();
    aws.describe_key("alias/eks").await.unwrap();
    let seen = http.seen();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen[0].body.contains("Action=GetCallerIdentity"));
    assert!(auth_header(&seen[0]).contains("Credential=AKIDBASE/"));
    assert!(seen[1..].iter().all(|r| !r.uri.contains("sts.")));
}

#[tokio::test]
async fn sso_profiles_suggest_sso_login() {
    let http = fake_aws();
    let files = EnvConfigFiles::builder()
        .with_contents(
            EnvConfigFileKind::Config,
            "[profile sso-dev]\n\
             sso_session = corp\n\
             sso_account_id = 123456789012\n\
             sso_role_name = Admin\n\
             region = eu-west-1\n\
             [sso-session corp]\n\
             sso_start_url = https://corp-never-logged-in.awsapps.com/start\n\
             sso_region = eu-west-1\n",
        )
        .build();
    let s = ProviderSettings {
        profile: Some("sso-dev".into()),
        endpoints: settings().endpoints,
        ..Default::default()
    };
    let aws = AwsClients::from_settings_with(&s, sources(&http, files, &[]))
        .await
        .unwrap();
    assert_eq!(aws.region(), "eu-west-1");
    let err = aws.describe_cluster("prod").await.unwrap_err();
    assert_eq!(err.kind, crate::aws::AwsErrorKind::Credentials);
    assert!(
        err.message
            .contains("run `aws sso login --profile sso-dev`, then retry")
            && err.message.contains("profile \"sso-dev\"")
            && err.message.contains("region eu-west-1"),
        "{}",
        err.message
    );
    assert!(http.seen().is_empty(), "{:?}", http.seen());
}

#[tokio::test]
async fn sts_region_routes_the_sts_calls() {
    let http = fake_aws();
    let mut s = settings();
    s.endpoints.sts = None;
    s.auth.sts_region = Some("eu-north-1".into());
    s.auth.allowed_account_ids = vec!["123456789012".into()];
    let plain_files = EnvConfigFiles::builder()
        .with_contents(EnvConfigFileKind::Config, "[profile test]\n")
        .with_contents(
            EnvConfigFileKind::Credentials,
            "[test]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
        )
        .build();
    let aws = AwsClients::from_settings_with(&s, sources(&http, plain_files, &[]))
        .await
        .unwrap();
    aws.describe_cluster("prod").await.unwrap();
    let seen = http.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for sts in &seen[..2] {
        assert!(
            sts.uri.starts_with("https://sts.eu-north-1.amazonaws.com"),
            "{seen:?}"
        );
        assert!(auth_header(sts).contains("/eu-north-1/sts/"), "{seen:?}");
    }
    // EKS stays in the provider's region.
    assert!(
        auth_header(&seen[2]).contains("/us-west-2/eks/"),
        "{seen:?}"
    );
    let bad = ProviderSettings {
        auth: AuthSettings {
            sts_region: Some("EU North".into()),
            ..Default::default()
        },
        ..settings()
    };
    let err = AwsClients::from_settings_with(&bad, sources(&http, files(), &[]))
        .await
        .unwrap_err();
    assert_eq!(err.attribute().as_deref(), Some("sts_region"), "{err}");
}
