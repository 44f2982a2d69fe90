//! Building [`AwsClients`] from [`ProviderSettings`]: the one place that
//! reads the environment and the shared files (through `resolve`), checks
//! the block (`validate`), makes the HTTPS client (`http`) and assembles the
//! credential providers and the account guard (`credentials`) in the AWS
//! provider's order. Sits above every other module of `aws` but the
//! service calls.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

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

use super::client::{AwsClients, CallLimits};
use super::credentials::{
    AccountGuard, AssumeRoleCredentials, GuardedCredentials, NoCredentials, WebIdentityCredentials,
};
use super::error::{ConfigError, CredentialContext, CredentialSource};
use super::http::{self, HttpOptions};
use super::resolve::{self, Ambient, TokenSource};
use super::settings::{
    Endpoints, ProviderSettings, RetryModeSetting, WebIdentity, DEFAULT_SESSION_NAME,
};
use super::timeouts::CallTimeouts;
use super::validate::{
    check_files, validate_block, validate_duration, validate_region, validate_role_arn,
    validate_session_name,
};

#[cfg(test)]
mod tests;

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
    /// [`AwsError`](crate::aws::AwsError) of kind
    /// [`Credentials`](crate::aws::AwsErrorKind::Credentials), and a refused
    /// account (`allowed_account_ids`, `forbidden_account_ids`) as one of
    /// kind [`AccountNotAllowed`](crate::aws::AwsErrorKind::AccountNotAllowed),
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
        // The caller's account (import by identity) is asked with the final
        // credentials, from STS in `sts_region`.
        let mut sts_config = sts.builder();
        sts_config.set_credentials_provider(sdk_config.credentials_provider());
        let sts_client = aws_sdk_sts::Client::from_conf(sts_config.build());
        Ok(Self::from_sdk_config(
            &sdk_config,
            sts_client,
            endpoints,
            settings.timeouts,
            region,
        ))
    }

    /// The EKS and KMS clients of `sdk_config`, with the endpoint overrides,
    /// and `sts` for the caller's account.
    fn from_sdk_config(
        sdk_config: &aws_types::SdkConfig,
        sts: aws_sdk_sts::Client,
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
        Self::with_limits(
            aws_sdk_eks::Client::from_conf(eks.build()),
            aws_sdk_kms::Client::from_conf(kms.build()),
            Some(sts),
            region,
            limits,
        )
    }
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
