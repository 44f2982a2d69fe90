//! Provider-block settings and the construction of the SDK clients.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aws_config::meta::region::ProvideRegion;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::BehaviorVersion;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::origin::Origin;
use aws_types::region::Region;
use aws_types::sdk_config::SharedCredentialsProvider;
use tokio::sync::OnceCell;

use super::error::ConfigError;
use super::kms::KeyInfo;

/// Total attempts per AWS call (first try plus retries) when `max_retries` is
/// not set: 5, i.e. 4 retries with the SDK's standard jittered exponential
/// backoff (at most 20 s between attempts).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Role session name used for `assume_role` when none is configured.
pub const DEFAULT_SESSION_NAME: &str = "terraform-provider-eks";

/// The AWS part of the provider block, as plain data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderSettings {
    /// The region; falls back to AWS_REGION / AWS_DEFAULT_REGION, then to the
    /// profile's `region`.
    pub region: Option<String>,
    /// The shared config/credentials profile; falls back to AWS_PROFILE, then
    /// `default`.
    pub profile: Option<String>,
    /// A role to assume with the base credentials.
    pub assume_role: Option<AssumeRole>,
    /// Per-service endpoint overrides.
    pub endpoints: Endpoints,
    /// Retries per AWS call after the first attempt; `None` means
    /// [`DEFAULT_MAX_ATTEMPTS`] attempts in total.
    pub max_retries: Option<u32>,
}

/// The `assume_role` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRole {
    /// ARN of the role to assume.
    pub role_arn: String,
    /// Role session name; defaults to [`DEFAULT_SESSION_NAME`].
    pub session_name: Option<String>,
    /// External id required by the role's trust policy, if any.
    pub external_id: Option<String>,
}

/// The `endpoints` block: explicit endpoint URLs, which take precedence over
/// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL` and the profile's
/// `endpoint_url`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// EKS endpoint URL.
    pub eks: Option<String>,
    /// KMS endpoint URL.
    pub kms: Option<String>,
    /// STS endpoint URL (used by `assume_role`).
    pub sts: Option<String>,
}

/// One set of SDK clients per configured provider; Clone is cheap (Arc
/// inside); shared by all resources.
///
/// Also holds the [`describe_key_cached`](AwsClients::describe_key_cached)
/// cache, so every resource of one provider configuration shares it.
#[derive(Clone)]
pub struct AwsClients {
    inner: Arc<Inner>,
}

struct Inner {
    eks: aws_sdk_eks::Client,
    kms: aws_sdk_kms::Client,
    region: String,
    key_cache: Mutex<HashMap<String, Arc<OnceCell<KeyInfo>>>>,
}

impl fmt::Debug for AwsClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsClients")
            .field("region", &self.inner.region)
            .finish_non_exhaustive()
    }
}

/// Where [`AwsClients::from_settings`] reads its ambient configuration; tests
/// replace these so they neither depend on nor touch the machine.
#[derive(Default)]
pub(crate) struct Sources {
    /// Replaces the process environment for the region lookup.
    pub(crate) env: Option<HashMap<String, String>>,
    /// Replaces the default shared config and credentials files.
    pub(crate) profile_files: Option<EnvConfigFiles>,
    /// Replaces the HTTP client of the SDK clients and credential providers.
    pub(crate) http_client: Option<SharedHttpClient>,
}

impl AwsClients {
    /// Builds the clients from the standard credential chain (environment,
    /// shared config/credentials files, SSO, web identity, ECS/EC2 instance
    /// roles) via aws-config.
    ///
    /// Makes no AWS call: credentials are resolved lazily, so missing
    /// credentials surface on the first call as an
    /// [`AwsError`](super::AwsError) of kind
    /// [`Credentials`](super::AwsErrorKind::Credentials). The region is never
    /// looked up from instance metadata: it is `region`, else AWS_REGION /
    /// AWS_DEFAULT_REGION, else the profile's `region`, else
    /// [`ConfigError::NoRegion`].
    ///
    /// Endpoints: `endpoints.*` > AWS_ENDPOINT_URL_EKS / _KMS / _STS (and the
    /// profile's service `endpoint_url`) > AWS_ENDPOINT_URL > the default.
    /// Retries: standard mode, `max_retries + 1` attempts in total, or
    /// [`DEFAULT_MAX_ATTEMPTS`].
    pub async fn from_settings(settings: &ProviderSettings) -> Result<AwsClients, ConfigError> {
        Self::from_settings_with(settings, Sources::default()).await
    }

    pub(crate) async fn from_settings_with(
        settings: &ProviderSettings,
        sources: Sources,
    ) -> Result<AwsClients, ConfigError> {
        let eks_endpoint = validate_endpoint("endpoints.eks", settings.endpoints.eks.as_deref())?;
        let kms_endpoint = validate_endpoint("endpoints.kms", settings.endpoints.kms.as_deref())?;
        let sts_endpoint = validate_endpoint("endpoints.sts", settings.endpoints.sts.as_deref())?;
        if let Some(profile) = &settings.profile {
            validate_profile(profile)?;
        }
        if let Some(role) = &settings.assume_role {
            validate_assume_role(role)?;
        }

        let region = resolve_region(settings, &sources).await?;
        let max_attempts = settings
            .max_retries
            .map_or(DEFAULT_MAX_ATTEMPTS, |r| r.saturating_add(1));

        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(max_attempts));
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(files) = sources.profile_files {
            loader = loader.profile_files(files);
        }
        if let Some(http) = sources.http_client {
            loader = loader.http_client(http);
        }
        // Resolves settings from the environment and files only: the
        // credential chain and the identity cache are lazy.
        let mut sdk_config = loader.load().await;

        if let Some(role) = &settings.assume_role {
            let sts_config = match &sts_endpoint {
                Some(url) => {
                    let mut b = sdk_config.clone().into_builder().endpoint_url(url.clone());
                    // Marks the URL as set in code so that it wins over
                    // AWS_ENDPOINT_URL_STS when the STS client is built.
                    b.insert_origin("endpoint_url", Origin::shared_config());
                    b.build()
                }
                None => sdk_config.clone(),
            };
            let provider = AssumeRoleProvider::builder(role.role_arn.clone())
                .configure(&sts_config)
                .session_name(
                    role.session_name
                        .clone()
                        .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
                );
            let provider = match &role.external_id {
                Some(id) => provider.external_id(id.clone()),
                None => provider,
            };
            // `build` only prepares the STS request; nothing is sent yet.
            let provider = provider.build().await;
            sdk_config = sdk_config
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }

        let mut eks = aws_sdk_eks::config::Builder::from(&sdk_config);
        if let Some(url) = eks_endpoint {
            eks = eks.endpoint_url(url);
        }
        let mut kms = aws_sdk_kms::config::Builder::from(&sdk_config);
        if let Some(url) = kms_endpoint {
            kms = kms.endpoint_url(url);
        }
        tracing::debug!(
            region = %region,
            profile = settings.profile.as_deref().unwrap_or(""),
            assume_role = settings.assume_role.is_some(),
            max_attempts,
            "configured AWS clients"
        );
        Ok(Self::from_clients(
            aws_sdk_eks::Client::from_conf(eks.build()),
            aws_sdk_kms::Client::from_conf(kms.build()),
            region,
        ))
    }

    /// For tests: builds from explicit SDK clients (e.g. aws-smithy-mocks
    /// clients). `region` is only reported by [`region`](Self::region).
    pub fn from_clients(
        eks: aws_sdk_eks::Client,
        kms: aws_sdk_kms::Client,
        region: String,
    ) -> AwsClients {
        AwsClients {
            inner: Arc::new(Inner {
                eks,
                kms,
                region,
                key_cache: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The region the clients talk to.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    pub(crate) fn eks(&self) -> &aws_sdk_eks::Client {
        &self.inner.eks
    }

    pub(crate) fn kms(&self) -> &aws_sdk_kms::Client {
        &self.inner.kms
    }

    /// The cache cell for one key id, created empty on first use.
    pub(crate) fn key_cell(&self, key_id: &str) -> Arc<OnceCell<KeyInfo>> {
        // A poisoned lock only means another thread panicked while holding
        // it; the map itself is always consistent.
        let mut cache = self
            .inner
            .key_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.entry(key_id.to_owned()).or_default().clone()
    }

    /// Records an already-described key under another id (its ARN), if that
    /// id has no entry yet.
    pub(crate) fn key_cache_alias(&self, key_id: &str, info: &KeyInfo) {
        let mut cache = self
            .inner
            .key_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .entry(key_id.to_owned())
            .or_insert_with(|| Arc::new(OnceCell::new_with(Some(info.clone()))));
    }
}

/// `region` > AWS_REGION > AWS_DEFAULT_REGION > the profile's `region`.
async fn resolve_region(
    settings: &ProviderSettings,
    sources: &Sources,
) -> Result<String, ConfigError> {
    if let Some(region) = &settings.region {
        validate_region(region)?;
        return Ok(region.clone());
    }
    let env = |name: &str| -> Option<String> {
        match &sources.env {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    };
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(region) = env(var).filter(|r| !r.trim().is_empty()) {
            return Ok(region.trim().to_owned());
        }
    }
    let mut provider = ProfileFileRegionProvider::builder();
    if let Some(profile) = &settings.profile {
        provider = provider.profile_name(profile);
    }
    if let Some(files) = &sources.profile_files {
        provider = provider.profile_files(files.clone());
    }
    match provider.build().region().await {
        Some(region) if !region.as_ref().trim().is_empty() => Ok(region.as_ref().to_owned()),
        _ => Err(ConfigError::NoRegion),
    }
}

fn validate_region(region: &str) -> Result<(), ConfigError> {
    let reason = if region.is_empty() {
        Some("must not be empty")
    } else if !region
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        Some("must contain only letters, digits and '-', e.g. \"us-east-1\"")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ConfigError::InvalidRegion {
            value: region.to_owned(),
            reason: reason.to_owned(),
        }),
        None => Ok(()),
    }
}

fn validate_profile(profile: &str) -> Result<(), ConfigError> {
    if profile.trim().is_empty() {
        return Err(ConfigError::InvalidProfile {
            value: profile.to_owned(),
            reason: "must not be empty".to_owned(),
        });
    }
    Ok(())
}

fn validate_assume_role(role: &AssumeRole) -> Result<(), ConfigError> {
    if !role.role_arn.starts_with("arn:") || role.role_arn.split(':').count() < 6 {
        return Err(ConfigError::InvalidAssumeRole {
            attribute: "assume_role.role_arn",
            reason: format!(
                "{:?} is not a role ARN such as \"arn:aws:iam::123456789012:role/name\"",
                role.role_arn
            ),
        });
    }
    if let Some(name) = &role.session_name {
        let ok_chars = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !(2..=64).contains(&name.len()) || !ok_chars {
            return Err(ConfigError::InvalidAssumeRole {
                attribute: "assume_role.session_name",
                reason: format!(
                    "{name:?} must be 2 to 64 characters of letters, digits and +=,.@_-"
                ),
            });
        }
    }
    if let Some(id) = &role.external_id {
        if !(2..=1224).contains(&id.len())
            || id.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ConfigError::InvalidAssumeRole {
                attribute: "assume_role.external_id",
                reason: "must be 2 to 1224 characters without whitespace".to_owned(),
            });
        }
    }
    Ok(())
}

/// Checks that an endpoint override is an absolute http(s) URL with a host
/// and no query, fragment or user info.
pub(crate) fn validate_endpoint(
    attribute: &'static str,
    value: Option<&str>,
) -> Result<Option<String>, ConfigError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let fail = |reason: &str| ConfigError::InvalidEndpoint {
        attribute,
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(fail("must not contain whitespace"));
    }
    let lower = value.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &value["https://".len()..]
    } else if lower.starts_with("http://") {
        &value["http://".len()..]
    } else {
        return Err(fail("the scheme must be http or https"));
    };
    if value.contains('?') || value.contains('#') {
        return Err(fail("must not have a query or fragment"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(fail("must not contain user info"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((host, after)) if !host.is_empty() => match after {
                "" => (host, None),
                p => match p.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(fail("malformed IPv6 host")),
                },
            },
            _ => return Err(fail("malformed IPv6 host")),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(fail("the host is missing"));
    }
    if !authority.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
    {
        return Err(fail("the host has invalid characters"));
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.chars().all(|c| c.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
        if !valid {
            return Err(fail("the port must be a number from 1 to 65535"));
        }
    }
    Ok(Some(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use aws_runtime::env_config::file::EnvConfigFileKind;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::*;
    use crate::aws::test_support::FakeHttp;

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

    /// Answers like STS, EKS and KMS by host; anything else gets a 599.
    fn fake_aws() -> FakeHttp {
        FakeHttp::new(|req| {
            let uri = req.uri();
            if uri.contains("sts.") {
                respond(
                    200,
                    r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
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
</AssumeRoleResponse>"#,
                )
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
            }),
            endpoints: Endpoints {
                eks: Some("http://eks.explicit.test".into()),
                kms: Some("https://kms.explicit.test:8443".into()),
                sts: Some("http://sts.explicit.test".into()),
            },
            max_retries: None,
        }
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
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            let auth = seen[0].authorization.as_deref().unwrap_or_default();
            assert!(auth.contains("Credential=AKIDBASE/"), "{auth}");
        }
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
             on resource: arn:aws:iam::123456789012:role/eks-admin (STS request id: sts-denied)"
        );
        assert_eq!(http.seen().len(), 1, "AccessDenied is not retried");
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

    #[test]
    fn endpoint_validation() {
        for ok in [
            "https://eks.us-east-1.amazonaws.com",
            "http://localhost:4566",
            "HTTPS://example.com/",
            "http://127.0.0.1:8080/prefix",
            "http://[::1]:4566",
            "https://vpce-0a1b-eks.us-east-1.vpce.amazonaws.com",
        ] {
            assert_eq!(
                validate_endpoint("endpoints.eks", Some(ok)),
                Ok(Some(ok.to_owned())),
                "{ok}"
            );
        }
        for (bad, why) in [
            ("", "scheme"),
            ("eks.amazonaws.com", "scheme"),
            ("ftp://example.com", "scheme"),
            ("https://", "host is missing"),
            ("https:///path", "host is missing"),
            ("https://exa mple.com", "whitespace"),
            (" https://example.com", "whitespace"),
            ("https://example.com:0", "port"),
            ("https://example.com:99999", "port"),
            ("https://example.com:", "port"),
            ("https://example.com:abc", "port"),
            ("https://user:pw@example.com", "user info"),
            ("https://example.com/?a=b", "query"),
            ("https://ex!ample.com", "invalid characters"),
            ("http://[::1", "IPv6"),
        ] {
            match validate_endpoint("endpoints.sts", Some(bad)) {
                Err(ConfigError::InvalidEndpoint {
                    attribute: "endpoints.sts",
                    value,
                    reason,
                }) => {
                    assert_eq!(value, bad);
                    assert!(reason.contains(why), "{bad:?}: {reason}");
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        assert_eq!(validate_endpoint("endpoints.sts", None), Ok(None));
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
        assert_eq!(attempts(Some(u32::MAX)).await, u32::MAX);
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
}
