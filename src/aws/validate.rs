//! Checks of the provider block's own values that need no lookup: region,
//! profile, the role blocks, endpoint URLs and the shared files. Each
//! failure is a [`ConfigError`] naming the attribute. Depends only on
//! `settings` and `error`.

use std::path::PathBuf;
use std::time::Duration;

use super::error::ConfigError;
use super::settings::{AssumeRole, Endpoints, ProviderSettings};

/// Checks the block's own values that need no lookup; returns the
/// validated endpoint overrides.
pub(super) fn validate_block(settings: &ProviderSettings) -> Result<Endpoints, ConfigError> {
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

/// Configured shared files must exist and be readable.
pub(super) fn check_files(
    attribute: &'static str,
    files: Option<&[PathBuf]>,
) -> Result<(), ConfigError> {
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

pub(super) fn validate_region(region: &str) -> Result<(), ConfigError> {
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

pub(super) fn validate_role_arn(attribute: &'static str, arn: &str) -> Result<(), ConfigError> {
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
pub(super) fn validate_session_name(
    attribute: &'static str,
    name: &str,
) -> Result<(), ConfigError> {
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
pub(super) fn validate_duration(
    attribute: &'static str,
    d: Option<Duration>,
) -> Result<(), ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
