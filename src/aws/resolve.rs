//! Precedence of every provider setting: the provider block, then the
//! environment, then the shared config file's selected profile, then the
//! default. This is terraform-provider-aws's order ("Parameters in the
//! provider configuration, Environment variables, Shared credentials files,
//! Shared configuration files", its `website/docs/index.html.markdown`), and
//! the names of the variables and profile keys are the ones its
//! "AWS Configuration Reference" table lists.
//!
//! Pure functions over [`Ambient`] (an environment and a parsed profile), so
//! each rule is unit-tested without touching the machine.

use std::collections::HashMap;
use std::path::PathBuf;

use aws_config::profile::ProfileSet;

use super::error::ConfigError;
use super::settings::{ProviderSettings, DEFAULT_MAX_ATTEMPTS, DEFAULT_SESSION_NAME};
use super::settings::{RetryModeSetting, WebIdentity};

/// The environment and the selected profile of the shared files.
#[derive(Debug, Default)]
pub(crate) struct Ambient {
    /// `None` reads the process environment.
    env: Option<HashMap<String, String>>,
    /// The parsed shared config and credentials files, if any were readable.
    profile: Option<ProfileSet>,
}

impl Ambient {
    /// An ambient over `env` (or the process environment) and `profile`.
    pub(crate) fn new(env: Option<HashMap<String, String>>, profile: Option<ProfileSet>) -> Self {
        Ambient { env, profile }
    }

    /// An environment variable, trimmed; unset and blank are the same.
    pub(crate) fn env(&self, name: &str) -> Option<String> {
        let value = match &self.env {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// A key of the selected profile, trimmed.
    pub(crate) fn profile_value(&self, key: &str) -> Option<String> {
        self.profile
            .as_ref()
            .and_then(|p| p.get(key))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// Whether the selected profile signs in with IAM Identity Center (SSO).
    pub(crate) fn profile_uses_sso(&self) -> bool {
        ["sso_session", "sso_start_url", "sso_account_id"]
            .iter()
            .any(|k| self.profile_value(k).is_some())
    }
}

/// Where a resolved value came from, for messages and debug logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The provider block's attribute.
    Block(&'static str),
    /// An environment variable.
    Env(String),
    /// A key of the selected profile.
    Profile(&'static str),
    /// The provider's default.
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Block(a) => write!(f, "`{a}`"),
            Origin::Env(v) => write!(f, "{v}"),
            Origin::Profile(k) => write!(f, "the profile's `{k}`"),
            Origin::Default => f.write_str("the default"),
        }
    }
}

/// The first environment variable of `names` that is set, with its name.
fn env_first(amb: &Ambient, names: &[&str]) -> Option<(String, String)> {
    names
        .iter()
        .find_map(|n| amb.env(n).map(|v| (v, (*n).to_owned())))
}

/// The profile name: `profile` > AWS_PROFILE > AWS_DEFAULT_PROFILE >
/// `default` (terraform-provider-aws documents both variables).
pub(crate) fn profile_name(settings: &ProviderSettings, amb: &Ambient) -> (String, Origin) {
    if let Some(p) = &settings.profile {
        return (p.clone(), Origin::Block("profile"));
    }
    match env_first(amb, &["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]) {
        Some((v, name)) => (v, Origin::Env(name)),
        None => ("default".to_owned(), Origin::Default),
    }
}

/// The shared files to read: `shared_config_files` (or
/// `shared_credentials_files`), else AWS_CONFIG_FILE (AWS_SHARED_CREDENTIALS_FILE),
/// else `~/.aws/config` (`~/.aws/credentials`). `None` means the SDK's
/// defaults, which read those variables themselves. A leading `~` is
/// expanded with HOME, as the AWS provider does.
pub(crate) fn shared_files(configured: Option<&[String]>, amb: &Ambient) -> Option<Vec<PathBuf>> {
    configured.map(|files| {
        files
            .iter()
            .map(|f| expand_home(f, amb.env("HOME").as_deref()))
            .collect()
    })
}

/// `~` or `~/rest` with HOME; anything else unchanged.
pub(crate) fn expand_home(path: &str, home: Option<&str>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(""), Some(h)) => PathBuf::from(h),
        (Some(rest), Some(h)) if rest.starts_with('/') => {
            PathBuf::from(format!("{}{rest}", h.trim_end_matches('/')))
        }
        _ => PathBuf::from(path),
    }
}

/// The region: `region` > AWS_REGION > AWS_DEFAULT_REGION > the profile's
/// `region`.
pub(crate) fn region(settings: &ProviderSettings, amb: &Ambient) -> Option<(String, Origin)> {
    if let Some(r) = &settings.region {
        return Some((r.clone(), Origin::Block("region")));
    }
    if let Some((v, name)) = env_first(amb, &["AWS_REGION", "AWS_DEFAULT_REGION"]) {
        return Some((v, Origin::Env(name)));
    }
    amb.profile_value("region")
        .map(|v| (v, Origin::Profile("region")))
}

/// Retry mode and total attempts.
///
/// Mode: `retry_mode` > AWS_RETRY_MODE > the profile's `retry_mode` >
/// standard. Attempts: `max_retries` + 1 > AWS_MAX_ATTEMPTS > the profile's
/// `max_attempts` > [`DEFAULT_MAX_ATTEMPTS`]. The environment and profile
/// values are validated with a message naming their source.
pub(crate) fn retry(
    settings: &ProviderSettings,
    amb: &Ambient,
) -> Result<(RetryModeSetting, u32), ConfigError> {
    let mode = match settings.transport.retry_mode {
        Some(m) => m,
        None => {
            let found = env_first(amb, &["AWS_RETRY_MODE"]).or_else(|| {
                amb.profile_value("retry_mode")
                    .map(|v| (v, "the profile's `retry_mode`".to_owned()))
            });
            match found {
                None => RetryModeSetting::Standard,
                Some((v, source)) => {
                    RetryModeSetting::parse(&v).ok_or_else(|| ConfigError::InvalidAmbient {
                        origin: source,
                        value: v,
                        expected: "`standard` or `adaptive`".into(),
                    })?
                }
            }
        }
    };
    let attempts = match settings.max_retries {
        Some(r) => r.saturating_add(1),
        None => {
            let found = env_first(amb, &["AWS_MAX_ATTEMPTS"]).or_else(|| {
                amb.profile_value("max_attempts")
                    .map(|v| (v, "the profile's `max_attempts`".to_owned()))
            });
            match found {
                None => DEFAULT_MAX_ATTEMPTS,
                Some((v, source)) => match v.parse::<u32>() {
                    Ok(n) if (1..=101).contains(&n) => n,
                    _ => {
                        return Err(ConfigError::InvalidAmbient {
                            origin: source,
                            value: v,
                            expected: "a whole number of attempts from 1 to 101".into(),
                        })
                    }
                },
            }
        }
    };
    Ok((mode, attempts))
}

/// A boolean setting: the block > `env_var` > the profile's `profile_key` >
/// false.
pub(crate) fn flag(
    block: Option<bool>,
    env_var: &str,
    profile_key: &'static str,
    amb: &Ambient,
) -> Result<bool, ConfigError> {
    if let Some(b) = block {
        return Ok(b);
    }
    let found = amb
        .env(env_var)
        .map(|v| (v, env_var.to_owned()))
        .or_else(|| {
            amb.profile_value(profile_key)
                .map(|v| (v, format!("the profile's `{profile_key}`")))
        });
    match found {
        None => Ok(false),
        Some((v, source)) => match v.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(ConfigError::InvalidAmbient {
                origin: source,
                value: v,
                expected: "`true` or `false`".into(),
            }),
        },
    }
}

/// `custom_ca_bundle` > AWS_CA_BUNDLE. (terraform-provider-aws does not read
/// the shared config's `ca_bundle`, and neither do we.)
pub(crate) fn ca_bundle(settings: &ProviderSettings, amb: &Ambient) -> Option<(PathBuf, Origin)> {
    let home = amb.env("HOME");
    if let Some(p) = &settings.transport.custom_ca_bundle {
        return Some((
            expand_home(p, home.as_deref()),
            Origin::Block("custom_ca_bundle"),
        ));
    }
    amb.env("AWS_CA_BUNDLE").map(|p| {
        (
            expand_home(&p, home.as_deref()),
            Origin::Env("AWS_CA_BUNDLE".into()),
        )
    })
}

/// The proxies in effect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Proxies {
    /// Proxy for `http://` endpoints.
    pub(crate) http: Option<String>,
    /// Proxy for `https://` endpoints.
    pub(crate) https: Option<String>,
    /// Hosts that bypass both.
    pub(crate) no_proxy: Option<String>,
}

/// Proxies as terraform-provider-aws (aws-sdk-go-base) resolves them: start
/// from HTTP_PROXY/http_proxy, HTTPS_PROXY/https_proxy and NO_PROXY/no_proxy
/// (upper case first, as Go's `httpproxy.FromEnvironment`); `http_proxy`
/// replaces the HTTP proxy and, while `https_proxy` is not set and no HTTPS
/// proxy comes from the environment, serves HTTPS too (its "legacy" mode);
/// a non-empty `https_proxy` replaces the HTTPS proxy, and an empty one only
/// stops `http_proxy` from being used for HTTPS; a non-empty `no_proxy`
/// replaces the environment's.
pub(crate) fn proxies(settings: &ProviderSettings, amb: &Ambient) -> Proxies {
    let t = &settings.transport;
    let mut p = Proxies {
        http: env_first(amb, &["HTTP_PROXY", "http_proxy"]).map(|(v, _)| v),
        https: env_first(amb, &["HTTPS_PROXY", "https_proxy"]).map(|(v, _)| v),
        no_proxy: env_first(amb, &["NO_PROXY", "no_proxy"]).map(|(v, _)| v),
    };
    if let Some(h) = t.http_proxy.as_ref().filter(|h| !h.is_empty()) {
        p.http = Some(h.clone());
        if t.https_proxy.is_none() && p.https.is_none() {
            p.https = Some(h.clone());
        }
    }
    if let Some(h) = t.https_proxy.as_ref().filter(|h| !h.is_empty()) {
        p.https = Some(h.clone());
    }
    if let Some(n) = t.no_proxy.as_ref().filter(|n| !n.is_empty()) {
        p.no_proxy = Some(n.clone());
    }
    p
}

/// Where the web identity token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// `web_identity_token`.
    Value(String),
    /// A file, read on each refresh.
    File(PathBuf),
}

/// The `assume_role_with_web_identity` block with its environment fallbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedWebIdentity {
    pub(crate) role_arn: String,
    pub(crate) session_name: String,
    pub(crate) token: TokenSource,
}

/// `role_arn` > AWS_ROLE_ARN; `session_name` > AWS_ROLE_SESSION_NAME >
/// [`DEFAULT_SESSION_NAME`]; `web_identity_token` or
/// `web_identity_token_file` > AWS_WEB_IDENTITY_TOKEN_FILE.
pub(crate) fn web_identity(
    block: &WebIdentity,
    amb: &Ambient,
) -> Result<ResolvedWebIdentity, ConfigError> {
    let invalid = |attribute: &'static str, reason: String| ConfigError::InvalidAssumeRole {
        attribute,
        reason,
    };
    let role_arn = block
        .role_arn
        .clone()
        .or_else(|| amb.env("AWS_ROLE_ARN"))
        .ok_or_else(|| {
            invalid(
                "assume_role_with_web_identity.role_arn",
                "no role to assume: set `role_arn` or the AWS_ROLE_ARN environment variable".into(),
            )
        })?;
    let session_name = block
        .session_name
        .clone()
        .or_else(|| amb.env("AWS_ROLE_SESSION_NAME"))
        .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned());
    let token = match (&block.web_identity_token, &block.web_identity_token_file) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "assume_role_with_web_identity.web_identity_token",
                "set only one of `web_identity_token` and `web_identity_token_file`".into(),
            ))
        }
        (Some(t), None) => TokenSource::Value(t.clone()),
        (None, Some(f)) => TokenSource::File(expand_home(f, amb.env("HOME").as_deref())),
        (None, None) => match amb.env("AWS_WEB_IDENTITY_TOKEN_FILE") {
            Some(f) => TokenSource::File(expand_home(&f, amb.env("HOME").as_deref())),
            None => {
                return Err(invalid(
                    "assume_role_with_web_identity.web_identity_token_file",
                    "no web identity token: set `web_identity_token`, \
                     `web_identity_token_file` or the AWS_WEB_IDENTITY_TOKEN_FILE \
                     environment variable"
                        .into(),
                ))
            }
        },
    };
    Ok(ResolvedWebIdentity {
        role_arn,
        session_name,
        token,
    })
}

#[cfg(test)]
mod tests {
    use aws_config::profile::ProfileSet;
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
    use aws_types::os_shim_internal::{Env, Fs};

    use super::*;
    use crate::aws::settings::TransportSettings;

    /// An ambient with `env` and a profile `test` built from `profile` lines.
    pub(crate) fn ambient(env: &[(&str, &str)], profile: &str) -> Ambient {
        let files = EnvConfigFiles::builder()
            .with_contents(
                EnvConfigFileKind::Config,
                format!("[profile test]\n{profile}\n"),
            )
            .build();
        let set: ProfileSet = futures::executor::block_on(aws_config::profile::load(
            &Fs::from_slice(&[]),
            &Env::from_slice(&[]),
            &files,
            Some("test".into()),
        ))
        .expect("profile parses");
        Ambient::new(
            Some(
                env.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            Some(set),
        )
    }

    fn with_transport(t: TransportSettings) -> ProviderSettings {
        ProviderSettings {
            transport: t,
            ..Default::default()
        }
    }

    #[test]
    fn profile_name_precedence() {
        let block = ProviderSettings {
            profile: Some("blk".into()),
            ..Default::default()
        };
        let env = [("AWS_PROFILE", "env"), ("AWS_DEFAULT_PROFILE", "legacy")];
        let amb = ambient(&env, "");
        assert_eq!(profile_name(&block, &amb).0, "blk");
        let none = ProviderSettings::default();
        assert_eq!(
            profile_name(&none, &amb),
            ("env".into(), Origin::Env("AWS_PROFILE".into()))
        );
        assert_eq!(profile_name(&none, &ambient(&env[1..], "")).0, "legacy");
        assert_eq!(
            profile_name(&none, &ambient(&[], "")),
            ("default".into(), Origin::Default)
        );
    }

    #[test]
    fn region_precedence() {
        let amb = ambient(
            &[
                ("AWS_REGION", "eu-west-1"),
                ("AWS_DEFAULT_REGION", "eu-west-2"),
            ],
            "region = eu-west-3",
        );
        let block = ProviderSettings {
            region: Some("us-west-2".into()),
            ..Default::default()
        };
        assert_eq!(region(&block, &amb).unwrap().0, "us-west-2");
        let none = ProviderSettings::default();
        assert_eq!(region(&none, &amb).unwrap().0, "eu-west-1");
        let amb = ambient(&[("AWS_DEFAULT_REGION", "eu-west-2")], "region = eu-west-3");
        assert_eq!(region(&none, &amb).unwrap().0, "eu-west-2");
        let amb = ambient(&[("AWS_REGION", "  ")], "region = eu-west-3");
        assert_eq!(
            region(&none, &amb),
            Some(("eu-west-3".into(), Origin::Profile("region")))
        );
        assert_eq!(region(&none, &ambient(&[], "")), None);
    }

    #[test]
    fn retry_precedence_and_validation() {
        let block = ProviderSettings {
            max_retries: Some(2),
            transport: TransportSettings {
                retry_mode: Some(RetryModeSetting::Adaptive),
                ..Default::default()
            },
            ..Default::default()
        };
        let amb = ambient(
            &[("AWS_RETRY_MODE", "standard"), ("AWS_MAX_ATTEMPTS", "9")],
            "retry_mode = adaptive\nmax_attempts = 7",
        );
        assert_eq!(
            retry(&block, &amb).unwrap(),
            (RetryModeSetting::Adaptive, 3)
        );
        let none = ProviderSettings::default();
        // The environment beats the profile...
        assert_eq!(retry(&none, &amb).unwrap(), (RetryModeSetting::Standard, 9));
        // ...which beats the default.
        let amb = ambient(&[], "retry_mode = adaptive\nmax_attempts = 7");
        assert_eq!(retry(&none, &amb).unwrap(), (RetryModeSetting::Adaptive, 7));
        assert_eq!(
            retry(&none, &ambient(&[], "")).unwrap(),
            (RetryModeSetting::Standard, DEFAULT_MAX_ATTEMPTS)
        );
        // Bad ambient values name their source.
        let err = retry(&none, &ambient(&[("AWS_RETRY_MODE", "legacy")], "")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid AWS_RETRY_MODE \"legacy\": expected `standard` or `adaptive`"
        );
        let err = retry(&none, &ambient(&[], "max_attempts = 0")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid the profile's `max_attempts` \"0\""),
            "{err}"
        );
    }

    #[test]
    fn flags_precedence() {
        let amb = ambient(
            &[("AWS_USE_FIPS_ENDPOINT", "true")],
            "use_fips_endpoint = false\nuse_dualstack_endpoint = true",
        );
        assert!(!flag(
            Some(false),
            "AWS_USE_FIPS_ENDPOINT",
            "use_fips_endpoint",
            &amb
        )
        .unwrap());
        assert!(flag(None, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint", &amb).unwrap());
        assert!(flag(
            None,
            "AWS_USE_DUALSTACK_ENDPOINT",
            "use_dualstack_endpoint",
            &amb
        )
        .unwrap());
        assert!(!flag(
            None,
            "AWS_USE_FIPS_ENDPOINT",
            "use_fips_endpoint",
            &ambient(&[], "")
        )
        .unwrap());
        let err = flag(
            None,
            "AWS_USE_FIPS_ENDPOINT",
            "use_fips_endpoint",
            &ambient(&[("AWS_USE_FIPS_ENDPOINT", "yes")], ""),
        )
        .unwrap_err();
        assert!(err.to_string().contains("AWS_USE_FIPS_ENDPOINT"), "{err}");
    }

    #[test]
    fn ca_bundle_precedence() {
        let amb = ambient(&[("AWS_CA_BUNDLE", "~/env.pem"), ("HOME", "/home/u")], "");
        let block = with_transport(TransportSettings {
            custom_ca_bundle: Some("/etc/corp.pem".into()),
            ..Default::default()
        });
        assert_eq!(
            ca_bundle(&block, &amb),
            Some((
                PathBuf::from("/etc/corp.pem"),
                Origin::Block("custom_ca_bundle")
            ))
        );
        assert_eq!(
            ca_bundle(&ProviderSettings::default(), &amb).unwrap().0,
            PathBuf::from("/home/u/env.pem")
        );
        assert_eq!(
            ca_bundle(&ProviderSettings::default(), &ambient(&[], "")),
            None
        );
    }

    #[test]
    fn proxies_follow_the_aws_provider() {
        let env = [
            ("HTTP_PROXY", "http://env-http:1"),
            ("https_proxy", "http://env-https:2"),
            ("no_proxy", "env.internal"),
        ];
        // Nothing in the block: the environment.
        assert_eq!(
            proxies(&ProviderSettings::default(), &ambient(&env, "")),
            Proxies {
                http: Some("http://env-http:1".into()),
                https: Some("http://env-https:2".into()),
                no_proxy: Some("env.internal".into()),
            }
        );
        // Upper case wins over lower case.
        let both = [
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:1"),
        ];
        assert_eq!(
            proxies(&ProviderSettings::default(), &ambient(&both, "")).https,
            Some("http://upper:1".into())
        );
        // http_proxy alone also serves HTTPS when nothing else does...
        let http_only = with_transport(TransportSettings {
            http_proxy: Some("http://blk:3".into()),
            ..Default::default()
        });
        assert_eq!(
            proxies(&http_only, &ambient(&[], "")),
            Proxies {
                http: Some("http://blk:3".into()),
                https: Some("http://blk:3".into()),
                no_proxy: None,
            }
        );
        // ...but not over an HTTPS proxy from the environment...
        assert_eq!(
            proxies(&http_only, &ambient(&env, "")).https,
            Some("http://env-https:2".into())
        );
        // ...and not when https_proxy is "".
        let separate = with_transport(TransportSettings {
            http_proxy: Some("http://blk:3".into()),
            https_proxy: Some(String::new()),
            ..Default::default()
        });
        assert_eq!(proxies(&separate, &ambient(&[], "")).https, None);
        // Explicit values replace the environment's.
        let all = with_transport(TransportSettings {
            http_proxy: Some("http://blk:3".into()),
            https_proxy: Some("http://blk-s:4".into()),
            no_proxy: Some("blk.internal".into()),
            ..Default::default()
        });
        assert_eq!(
            proxies(&all, &ambient(&env, "")),
            Proxies {
                http: Some("http://blk:3".into()),
                https: Some("http://blk-s:4".into()),
                no_proxy: Some("blk.internal".into()),
            }
        );
    }

    #[test]
    fn web_identity_falls_back_to_the_environment() {
        let env = [
            ("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/env"),
            ("AWS_ROLE_SESSION_NAME", "env-session"),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
        ];
        let amb = ambient(&env, "");
        let got = web_identity(&WebIdentity::default(), &amb).unwrap();
        assert_eq!(
            got,
            ResolvedWebIdentity {
                role_arn: "arn:aws:iam::111122223333:role/env".into(),
                session_name: "env-session".into(),
                token: TokenSource::File("/var/run/token".into()),
            }
        );
        let block = WebIdentity {
            role_arn: Some("arn:aws:iam::111122223333:role/blk".into()),
            session_name: Some("blk".into()),
            web_identity_token: Some("tok".into()),
            ..Default::default()
        };
        let got = web_identity(&block, &amb).unwrap();
        assert_eq!(got.role_arn, "arn:aws:iam::111122223333:role/blk");
        assert_eq!(got.session_name, "blk");
        assert_eq!(got.token, TokenSource::Value("tok".into()));
        let none = ambient(&[], "");
        let err = web_identity(&WebIdentity::default(), &none).unwrap_err();
        assert!(err.to_string().contains("AWS_ROLE_ARN"), "{err}");
        let err = web_identity(
            &WebIdentity {
                role_arn: Some("arn:aws:iam::1:role/x".into()),
                ..Default::default()
            },
            &none,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("AWS_WEB_IDENTITY_TOKEN_FILE"),
            "{err}"
        );
        assert_eq!(
            web_identity(
                &WebIdentity {
                    role_arn: Some("arn:aws:iam::1:role/x".into()),
                    ..Default::default()
                },
                &ambient(&[("AWS_WEB_IDENTITY_TOKEN_FILE", "/t")], ""),
            )
            .unwrap()
            .session_name,
            DEFAULT_SESSION_NAME
        );
    }

    #[test]
    fn shared_files_expand_home() {
        let amb = ambient(&[("HOME", "/home/u/")], "");
        assert_eq!(shared_files(None, &amb), None);
        assert_eq!(
            shared_files(
                Some(&["~/.aws/conf".into(), "/abs".into(), "~x".into()]),
                &amb
            ),
            Some(vec![
                PathBuf::from("/home/u/.aws/conf"),
                PathBuf::from("/abs"),
                PathBuf::from("~x")
            ])
        );
    }

    #[test]
    fn sso_profiles_are_recognised() {
        assert!(ambient(&[], "sso_session = corp").profile_uses_sso());
        assert!(!ambient(&[], "region = x").profile_uses_sso());
    }
}
