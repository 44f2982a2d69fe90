//! Provider-block settings and the construction of the SDK clients.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::identity::IdentityCache;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::origin::Origin;
use aws_types::os_shim_internal::{Env, Fs};
use aws_types::region::Region;
use aws_types::sdk_config::SharedCredentialsProvider;
use tokio::sync::OnceCell;

use super::call::Service;
use super::credentials::{
    AccountGuard, AssumeRoleCredentials, CredentialContext, CredentialSource, GuardedCredentials,
    NoCredentials, WebIdentityCredentials,
};
use super::error::ConfigError;
use super::http::{self, HttpOptions};
use super::kms::KeyInfo;
use super::resolve::{self, Ambient, TokenSource};
use super::settings::{AuthSettings, RetryModeSetting, TransportSettings, WebIdentity};
use super::timeouts::CallTimeouts;

/// Total attempts per AWS call (first try plus retries) when `max_retries` is
/// not set: 5, i.e. 4 retries with the SDK's standard jittered exponential
/// backoff (at most 20 s between attempts).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Role session name used for `assume_role` and
/// `assume_role_with_web_identity` when none is configured.
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
    /// Web identity, account guards, shared files, STS region.
    pub auth: AuthSettings,
    /// Retry mode, CA bundle, proxies, FIPS and dual-stack endpoints.
    pub transport: TransportSettings,
    /// `attempt_timeout` and `operation_timeout` of every AWS call.
    pub timeouts: CallTimeouts,
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
    /// Session duration; STS's default is one hour.
    pub duration: Option<Duration>,
    /// Inline session policy (JSON).
    pub policy: Option<String>,
    /// Managed session policy ARNs.
    pub policy_arns: Vec<String>,
    /// Session tags.
    pub tags: BTreeMap<String, String>,
    /// Keys of the session tags that pass on to chained role sessions.
    pub transitive_tag_keys: Vec<String>,
    /// Source identity recorded in CloudTrail for the session.
    pub source_identity: Option<String>,
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
    /// The bounds of every call, and the endpoints, for timeout messages.
    limits: CallLimits,
    /// GetKeyRotationStatus answers by key, like the DescribeKey cache.
    rotation_cache: Mutex<HashMap<String, bool>>,
}

/// What a timed-out call's message names.
#[derive(Debug, Clone, Default)]
struct CallLimits {
    timeouts: CallTimeouts,
    eks_endpoint: Option<String>,
    kms_endpoint: Option<String>,
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
    /// Replaces the process environment for the settings this crate resolves
    /// (region, profile, retries, proxies, CA bundle, web identity, ...).
    pub(crate) env: Option<HashMap<String, String>>,
    /// Replaces the default shared config and credentials files.
    pub(crate) profile_files: Option<EnvConfigFiles>,
    /// Replaces the HTTP client of the SDK clients and credential providers.
    pub(crate) http_client: Option<SharedHttpClient>,
}

impl AwsClients {
    /// Builds the clients from the provider block, the environment and the
    /// shared files (see the private `resolve` module for the precedence).
    ///
    /// Makes no AWS call: credentials are resolved lazily, so missing
    /// credentials surface on the first call as an
    /// [`AwsError`](super::AwsError) of kind
    /// [`Credentials`](super::AwsErrorKind::Credentials), and a refused
    /// account (`allowed_account_ids`, `forbidden_account_ids`) as one of
    /// kind [`AccountNotAllowed`](super::AwsErrorKind::AccountNotAllowed),
    /// before any EKS or KMS request is sent. The region is never looked up
    /// from instance metadata.
    ///
    /// Credentials: `assume_role_with_web_identity` if set; else only the
    /// block's `profile` if set (like terraform-provider-aws v4+, which then
    /// ignores AWS_ACCESS_KEY_ID); else aws-config's default chain. Then
    /// `assume_role`, if set, on top.
    ///
    /// Endpoints: `endpoints.*` > AWS_ENDPOINT_URL_EKS / _KMS / _STS (and the
    /// profile's service `endpoint_url`) > AWS_ENDPOINT_URL > the default.
    pub async fn from_settings(settings: &ProviderSettings) -> Result<AwsClients, ConfigError> {
        Self::from_settings_with(settings, Sources::default()).await
    }

    pub(crate) async fn from_settings_with(
        settings: &ProviderSettings,
        sources: Sources,
    ) -> Result<AwsClients, ConfigError> {
        let endpoints = validate_block(settings)?;
        // The shared files and the selected profile come first: the other
        // settings fall back to the profile.
        let (profile, amb) = SelectedProfile::load(settings, &sources).await?;
        let (region, sts_region) = regions(settings, &amb)?;
        let (retry_mode, max_attempts) = resolve::retry(settings, &amb)?;
        // Retries that cannot fit in the operation timeout are dropped.
        let max_attempts = settings.timeouts.cap_attempts(max_attempts);
        let variants = EndpointVariants::resolve(settings, &amb)?;
        let http_options = http_options(settings, &amb)?;
        let http_client = match sources.http_client {
            Some(client) => client,
            None => http::build_client(&http_options),
        };

        let retry = match retry_mode {
            RetryModeSetting::Standard => RetryConfig::standard(),
            RetryModeSetting::Adaptive => RetryConfig::adaptive(),
        }
        .with_max_attempts(max_attempts);
        let sdk_config = load_sdk_config(
            settings,
            &profile,
            &region,
            retry,
            variants,
            http_client.clone(),
        )
        .await;

        let sts = StsConfig::new(&sdk_config, &sts_region, endpoints.sts.as_deref());
        let (base, source) = match &settings.auth.web_identity {
            Some(web) => web_identity_credentials(web, &amb, &sts)?,
            None if settings.profile.is_some() => {
                profile_credentials(&profile, &region, variants, &http_client)
            }
            None => (
                sdk_config
                    .credentials_provider()
                    .unwrap_or_else(|| SharedCredentialsProvider::new(NoCredentials)),
                CredentialSource::Chain {
                    profile: profile.name.clone(),
                },
            ),
        };
        let context = CredentialContext {
            region: region.clone(),
            source,
            sso_profile: amb.profile_uses_sso().then(|| profile.name.clone()),
            assume_role: settings.assume_role.as_ref().map(|r| r.role_arn.clone()),
        };
        let sdk_config = sdk_config
            .into_builder()
            .credentials_provider(guarded_credentials(settings, base, context, &sts))
            .build();

        tracing::debug!(
            region = %region,
            sts_region = %sts_region,
            profile = %profile.name,
            assume_role = settings.assume_role.is_some(),
            web_identity = settings.auth.web_identity.is_some(),
            account_guard = settings.auth.guards_account(),
            retry_mode = ?retry_mode,
            max_attempts,
            use_fips = variants.fips,
            use_dual_stack = variants.dual_stack,
            "configured AWS clients"
        );
        Ok(Self::from_sdk_config(
            &sdk_config,
            endpoints,
            settings.timeouts,
            region,
        ))
    }

    /// The EKS and KMS clients of `sdk_config`, with the endpoint overrides.
    fn from_sdk_config(
        sdk_config: &aws_types::SdkConfig,
        endpoints: Endpoints,
        timeouts: CallTimeouts,
        region: String,
    ) -> AwsClients {
        let limits = CallLimits {
            timeouts,
            eks_endpoint: shown_endpoint(endpoints.eks.as_deref(), "EKS", sdk_config),
            kms_endpoint: shown_endpoint(endpoints.kms.as_deref(), "KMS", sdk_config),
        };
        let mut eks = aws_sdk_eks::config::Builder::from(sdk_config);
        if let Some(url) = endpoints.eks {
            eks = eks.endpoint_url(url);
        }
        let mut kms = aws_sdk_kms::config::Builder::from(sdk_config);
        if let Some(url) = endpoints.kms {
            kms = kms.endpoint_url(url);
        }
        let mut clients = Self::from_clients(
            aws_sdk_eks::Client::from_conf(eks.build()),
            aws_sdk_kms::Client::from_conf(kms.build()),
            region,
        );
        if let Some(inner) = Arc::get_mut(&mut clients.inner) {
            inner.limits = limits;
        }
        clients
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
                limits: CallLimits::default(),
                rotation_cache: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// A cached rotation status, if any.
    pub(crate) fn cached_rotation(&self, key_arn: &str) -> Option<bool> {
        let cache = self
            .inner
            .rotation_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.get(key_arn).copied()
    }

    /// Records a rotation status.
    pub(crate) fn cache_rotation(&self, key_arn: &str, enabled: bool) {
        let mut cache = self
            .inner
            .rotation_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.insert(key_arn.to_owned(), enabled);
    }

    /// Names the endpoint and the configured bounds in the message of a
    /// call that timed out, so a hung endpoint is easy to find.
    pub(crate) fn annotate(&self, mut e: super::AwsError, service: Service) -> super::AwsError {
        if e.kind == super::AwsErrorKind::Timeout {
            let limits = &self.inner.limits;
            let endpoint = match service {
                Service::Kms => limits.kms_endpoint.clone(),
                Service::Eks => limits.eks_endpoint.clone(),
                // STS calls fail inside the credential chain, not here.
                Service::Sts => None,
            };
            let service = service.name();
            let endpoint = endpoint
                .unwrap_or_else(|| format!("https://{service}.{}.amazonaws.com", self.region()));
            e.message = format!(
                "{} (endpoint {endpoint}; no answer within the provider's {})",
                e.message,
                limits.timeouts.describe()
            );
        }
        e
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

/// The origin of a proxy URL, for messages.
/// Checks the block's own values that need no lookup; returns the
/// validated endpoint overrides.
fn validate_block(settings: &ProviderSettings) -> Result<Endpoints, ConfigError> {
    let endpoints = Endpoints {
        eks: validate_endpoint("endpoints.eks", settings.endpoints.eks.as_deref())?,
        kms: validate_endpoint("endpoints.kms", settings.endpoints.kms.as_deref())?,
        sts: validate_endpoint("endpoints.sts", settings.endpoints.sts.as_deref())?,
    };
    if let Some(profile) = &settings.profile {
        validate_profile(profile)?;
    }
    if let Some(role) = &settings.assume_role {
        validate_assume_role(role)?;
    }
    Ok(endpoints)
}

/// The SDK configuration of the resolved settings, without credentials yet.
/// It resolves settings from the environment and files only: the credential
/// chain and the identity cache are lazy.
async fn load_sdk_config(
    settings: &ProviderSettings,
    profile: &SelectedProfile,
    region: &str,
    retry: RetryConfig,
    variants: EndpointVariants,
    http_client: SharedHttpClient,
) -> aws_types::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .retry_config(retry)
        .timeout_config(settings.timeouts.sdk_config())
        .use_fips(variants.fips)
        .use_dual_stack(variants.dual_stack)
        .profile_name(&profile.name)
        .http_client(http_client);
    if let Some(files) = profile.files.clone() {
        loader = loader.profile_files(files);
    }
    loader.load().await
}

/// The selected profile and the shared files it is read from.
struct SelectedProfile {
    /// The profile name in effect.
    name: String,
    /// `shared_config_files`, resolved.
    config_files: Option<Vec<PathBuf>>,
    /// `shared_credentials_files`, resolved.
    credentials_files: Option<Vec<PathBuf>>,
    /// The files to read profiles from (None: the default files).
    files: Option<EnvConfigFiles>,
}

impl SelectedProfile {
    /// Selects the profile, checks the block's shared files and reads the
    /// profile; returns it with the ambient settings (environment, then the
    /// profile) every other setting falls back to.
    async fn load(
        settings: &ProviderSettings,
        sources: &Sources,
    ) -> Result<(SelectedProfile, Ambient), ConfigError> {
        let env_only = Ambient::new(sources.env.clone(), None);
        let (name, _) = resolve::profile_name(settings, &env_only);
        let config_files =
            resolve::shared_files(settings.auth.shared_config_files.as_deref(), &env_only);
        let credentials_files =
            resolve::shared_files(settings.auth.shared_credentials_files.as_deref(), &env_only);
        check_files("shared_config_files", config_files.as_deref())?;
        check_files("shared_credentials_files", credentials_files.as_deref())?;
        let files = sources
            .profile_files
            .clone()
            .or_else(|| profile_files(config_files.as_deref(), credentials_files.as_deref()));
        let env = match &sources.env {
            Some(map) => Env::from(map.clone()),
            None => Env::real(),
        };
        let loaded = aws_config::profile::load(
            &Fs::real(),
            &env,
            &files.clone().unwrap_or_default(),
            Some(name.clone().into()),
        )
        .await;
        let profile_set = match loaded {
            Ok(set) => Some(set),
            Err(e) if config_files.is_some() || credentials_files.is_some() => {
                return Err(ConfigError::InvalidSharedFile {
                    attribute: if config_files.is_some() {
                        "shared_config_files"
                    } else {
                        "shared_credentials_files"
                    },
                    reason: aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
                })
            }
            Err(e) => {
                tracing::warn!(error = %aws_smithy_types::error::display::DisplayErrorContext(&e), "could not read the shared AWS config files");
                None
            }
        };
        let selected = SelectedProfile {
            name,
            config_files,
            credentials_files,
            files,
        };
        Ok((selected, Ambient::new(sources.env.clone(), profile_set)))
    }
}

/// The region and the STS region, validated.
fn regions(settings: &ProviderSettings, amb: &Ambient) -> Result<(String, String), ConfigError> {
    let region = match resolve::region(settings, amb) {
        Some((region, _)) => region,
        None => return Err(ConfigError::NoRegion),
    };
    validate_region(&region)?;
    let sts_region = settings
        .auth
        .sts_region
        .clone()
        .unwrap_or_else(|| region.clone());
    validate_region(&sts_region).map_err(|e| match e {
        ConfigError::InvalidRegion { value, reason } => {
            ConfigError::InvalidStsRegion { value, reason }
        }
        other => other,
    })?;
    Ok((region, sts_region))
}

/// `use_fips_endpoint` and `use_dualstack_endpoint`, resolved.
#[derive(Debug, Clone, Copy)]
struct EndpointVariants {
    fips: bool,
    dual_stack: bool,
}

impl EndpointVariants {
    fn resolve(settings: &ProviderSettings, amb: &Ambient) -> Result<Self, ConfigError> {
        Ok(EndpointVariants {
            fips: resolve::flag(
                settings.transport.use_fips_endpoint,
                "AWS_USE_FIPS_ENDPOINT",
                "use_fips_endpoint",
                amb,
            )?,
            dual_stack: resolve::flag(
                settings.transport.use_dualstack_endpoint,
                "AWS_USE_DUALSTACK_ENDPOINT",
                "use_dualstack_endpoint",
                amb,
            )?,
        })
    }
}

/// The options of the one HTTPS client: the CA bundle and the proxies,
/// checked.
fn http_options(settings: &ProviderSettings, amb: &Ambient) -> Result<HttpOptions, ConfigError> {
    let ca_bundle = match resolve::ca_bundle(settings, amb) {
        Some((path, origin)) => Some(http::load_ca_bundle(&path, &origin)?),
        None => None,
    };
    let mut proxies = resolve::proxies(settings, amb);
    for (slot, name) in [
        (&mut proxies.http, "http_proxy"),
        (&mut proxies.https, "https_proxy"),
    ] {
        if let Some(url) = slot.as_deref() {
            let origin = proxy_origin(settings, name, amb);
            *slot = Some(http::normalize_proxy(url, &origin)?);
        }
    }
    let redacted = |url: &Option<String>| {
        url.as_deref()
            .map(http::redact_userinfo)
            .unwrap_or_default()
    };
    tracing::debug!(
        custom_ca_bundle = ca_bundle.is_some(),
        http_proxy = redacted(&proxies.http),
        https_proxy = redacted(&proxies.https),
        no_proxy = proxies.no_proxy.as_deref().unwrap_or(""),
        "HTTP client settings"
    );
    Ok(HttpOptions { ca_bundle, proxies })
}

/// The configuration of the STS clients (AssumeRole,
/// AssumeRoleWithWebIdentity and GetCallerIdentity): the SDK configuration
/// with the STS region and endpoint.
struct StsConfig(aws_types::SdkConfig);

impl StsConfig {
    fn new(sdk_config: &aws_types::SdkConfig, sts_region: &str, endpoint: Option<&str>) -> Self {
        let mut b = sdk_config
            .clone()
            .into_builder()
            .region(Region::new(sts_region.to_owned()));
        if let Some(url) = endpoint {
            b = b.endpoint_url(url);
            // Marks the URL as set in code so that it wins over
            // AWS_ENDPOINT_URL_STS when the STS client is built.
            b.insert_origin("endpoint_url", Origin::shared_config());
        }
        StsConfig(b.build())
    }

    /// An STS client configuration without credentials or identity cache.
    fn builder(&self) -> aws_sdk_sts::config::Builder {
        let mut b = aws_sdk_sts::config::Builder::from(&self.0);
        b.set_credentials_provider(None);
        b.identity_cache(IdentityCache::no_cache())
    }
}

/// `assume_role_with_web_identity`: its credentials and their source.
fn web_identity_credentials(
    web: &WebIdentity,
    amb: &Ambient,
    sts: &StsConfig,
) -> Result<(SharedCredentialsProvider, CredentialSource), ConfigError> {
    let resolved = resolve::web_identity(web, amb)?;
    validate_role_arn("assume_role_with_web_identity.role_arn", &resolved.role_arn)?;
    validate_session_name(
        "assume_role_with_web_identity.session_name",
        &resolved.session_name,
    )?;
    validate_duration("assume_role_with_web_identity.duration", web.duration)?;
    let source = CredentialSource::WebIdentity {
        role_arn: resolved.role_arn.clone(),
        token: match &resolved.token {
            TokenSource::File(p) => format!("the file {}", p.display()),
            TokenSource::Value(_) => "`web_identity_token`".to_owned(),
        },
    };
    let provider = WebIdentityCredentials {
        sts: aws_sdk_sts::Client::from_conf(sts.builder().build()),
        resolved,
        duration: web.duration,
        policy: web.policy.clone(),
        policy_arns: web.policy_arns.clone(),
    };
    Ok((SharedCredentialsProvider::new(provider), source))
}

/// The block's `profile`: only that profile's credentials, and their source.
fn profile_credentials(
    profile: &SelectedProfile,
    region: &str,
    variants: EndpointVariants,
    http_client: &SharedHttpClient,
) -> (SharedCredentialsProvider, CredentialSource) {
    let provider_config = ProviderConfig::without_region()
        .with_region(Some(Region::new(region.to_owned())))
        .with_use_fips(Some(variants.fips))
        .with_use_dual_stack(Some(variants.dual_stack))
        .with_http_client(http_client.clone());
    let mut b = ProfileFileCredentialsProvider::builder()
        .configure(&provider_config)
        .profile_name(&profile.name);
    if let Some(files) = profile.files.clone() {
        b = b.profile_files(files);
    }
    let files: Vec<PathBuf> = profile
        .config_files
        .iter()
        .chain(profile.credentials_files.iter())
        .flatten()
        .cloned()
        .collect();
    (
        SharedCredentialsProvider::new(b.build()),
        CredentialSource::Profile {
            name: profile.name.clone(),
            files,
        },
    )
}

/// The final credentials: `base`, behind `assume_role` if set, guarded by
/// the account check if configured, explaining failures with `context`.
fn guarded_credentials(
    settings: &ProviderSettings,
    base: SharedCredentialsProvider,
    context: CredentialContext,
    sts: &StsConfig,
) -> SharedCredentialsProvider {
    let credentials = match &settings.assume_role {
        Some(role) => SharedCredentialsProvider::new(AssumeRoleCredentials {
            sts: aws_sdk_sts::Client::from_conf(sts.builder().credentials_provider(base).build()),
            role: role.clone(),
            session_name: role
                .session_name
                .clone()
                .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
        }),
        None => base,
    };
    let guard = settings.auth.guards_account().then(|| {
        Arc::new(AccountGuard::new(
            sts.builder(),
            settings.auth.allowed_account_ids.clone(),
            settings.auth.forbidden_account_ids.clone(),
        ))
    });
    SharedCredentialsProvider::new(GuardedCredentials {
        inner: credentials,
        context: Arc::new(context),
        guard,
    })
}

fn proxy_origin(
    settings: &ProviderSettings,
    attribute: &'static str,
    amb: &Ambient,
) -> resolve::Origin {
    let t = &settings.transport;
    let block = match attribute {
        "http_proxy" => t.http_proxy.as_deref(),
        _ => t.https_proxy.as_deref().or(t.http_proxy.as_deref()),
    };
    if block.is_some_and(|v| !v.is_empty()) {
        return resolve::Origin::Block(attribute);
    }
    let vars: &[&str] = if attribute == "http_proxy" {
        &["HTTP_PROXY", "http_proxy"]
    } else {
        &["HTTPS_PROXY", "https_proxy"]
    };
    vars.iter()
        .find(|v| amb.env(v).is_some())
        .map(|v| resolve::Origin::Env((*v).to_owned()))
        .unwrap_or(resolve::Origin::Block(attribute))
}

/// Configured shared files must exist and be readable.
fn check_files(attribute: &'static str, files: Option<&[PathBuf]>) -> Result<(), ConfigError> {
    for file in files.unwrap_or_default() {
        if let Err(e) = std::fs::File::open(file) {
            return Err(ConfigError::InvalidSharedFile {
                attribute,
                reason: format!("cannot read {}: {e}", file.display()),
            });
        }
    }
    if files.is_some_and(|f| f.is_empty()) {
        return Err(ConfigError::InvalidSharedFile {
            attribute,
            reason: "the list is empty; remove the attribute to use the default file".into(),
        });
    }
    Ok(())
}

/// The files aws-config reads: the configured ones, and the default (or
/// AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE) for a kind not configured.
/// `None` when neither kind is configured.
fn profile_files(
    config: Option<&[PathBuf]>,
    credentials: Option<&[PathBuf]>,
) -> Option<EnvConfigFiles> {
    if config.is_none() && credentials.is_none() {
        return None;
    }
    let mut b = EnvConfigFiles::builder()
        .include_default_config_file(config.is_none())
        .include_default_credentials_file(credentials.is_none());
    for f in config.unwrap_or_default() {
        b = b.with_file(EnvConfigFileKind::Config, f);
    }
    for f in credentials.unwrap_or_default() {
        b = b.with_file(EnvConfigFileKind::Credentials, f);
    }
    Some(b.build())
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

fn validate_role_arn(attribute: &'static str, arn: &str) -> Result<(), ConfigError> {
    if !arn.starts_with("arn:") || arn.split(':').count() < 6 {
        return Err(ConfigError::InvalidAssumeRole {
            attribute,
            reason: format!(
                "{arn:?} is not a role ARN such as \"arn:aws:iam::123456789012:role/name\""
            ),
        });
    }
    Ok(())
}

/// STS: 2 to 64 characters of `[\w+=,.@-]`.
fn validate_session_name(attribute: &'static str, name: &str) -> Result<(), ConfigError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if !(2..=64).contains(&name.len()) || !ok_chars {
        return Err(ConfigError::InvalidAssumeRole {
            attribute,
            reason: format!("{name:?} must be 2 to 64 characters of letters, digits and +=,.@_-"),
        });
    }
    Ok(())
}

/// STS's DurationSeconds: from 15 minutes to 12 hours (the role's maximum
/// session duration may be lower; STS then refuses).
fn validate_duration(attribute: &'static str, d: Option<Duration>) -> Result<(), ConfigError> {
    match d {
        Some(d) if !(900..=43_200).contains(&d.as_secs()) => Err(ConfigError::InvalidAssumeRole {
            attribute,
            reason: format!("{}s is outside STS's range of 15m to 12h", d.as_secs()),
        }),
        _ => Ok(()),
    }
}

fn validate_assume_role(role: &AssumeRole) -> Result<(), ConfigError> {
    validate_role_arn("assume_role.role_arn", &role.role_arn)?;
    if let Some(name) = &role.session_name {
        validate_session_name("assume_role.session_name", name)?;
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
    validate_duration("assume_role.duration", role.duration)?;
    if let Some(id) = &role.source_identity {
        // STS: 2 to 64 characters of [\w+=,.@-], not starting with "aws:".
        let ok_chars = id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !(2..=64).contains(&id.len()) || !ok_chars || id.to_ascii_lowercase().starts_with("aws:")
        {
            return Err(ConfigError::InvalidAssumeRole {
                attribute: "assume_role.source_identity",
                reason: format!("{id:?} must be 2 to 64 characters of letters, digits and +=,.@_-"),
            });
        }
    }
    // STS session tags: at most 50; keys 1 to 128 characters, values at most
    // 256 (AssumeRole API reference, "Tags").
    if role.tags.len() > 50 {
        return Err(ConfigError::InvalidAssumeRole {
            attribute: "assume_role.tags",
            reason: format!("{} tags; STS accepts at most 50", role.tags.len()),
        });
    }
    for (k, v) in &role.tags {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(ConfigError::InvalidAssumeRole {
                attribute: "assume_role.tags",
                reason: format!(
                    "tag {k:?}: keys must be 1 to 128 characters and values at most 256"
                ),
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

/// The endpoint a service's calls go to, for messages: the block's
/// `endpoints` URL, else `AWS_ENDPOINT_URL_<SERVICE>`, else the shared
/// `endpoint_url`; `None` for the regional default.
fn shown_endpoint(
    explicit: Option<&str>,
    service: &str,
    sdk_config: &aws_types::SdkConfig,
) -> Option<String> {
    explicit
        .map(str::to_owned)
        .or_else(|| std::env::var(format!("AWS_ENDPOINT_URL_{service}")).ok())
        .or_else(|| sdk_config.endpoint_url().map(str::to_owned))
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

    fn auth_header(seen: &crate::aws::test_support::Seen) -> String {
        seen.authorization.clone().unwrap_or_default()
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
        missing.auth.shared_config_files =
            Some(vec![dir.path().join("nope").display().to_string()]);
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
}
