//! Turning AWS and internal failures into diagnostics. Every AWS error that
//! reaches a user keeps its error code and request id.

use crate::aws::{AwsError, AwsErrorKind};
use crate::tfprotov6::{AttributePath, Diagnostic, Diagnostics};

/// Summary of the diagnostic for an interrupted operation.
pub const INTERRUPTED: &str = "Interrupted";

/// Summary of the diagnostic for a deadline that ran out.
pub const TIMED_OUT: &str = "Timed out waiting for EKS";

/// Why an operation of the resource stopped early.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// An AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Terraform sent StopProvider.
    #[error("interrupted by Terraform")]
    Interrupted,
    /// The create/update timeout ran out, while waiting for this EKS update
    /// when there was one.
    #[error("timed out")]
    Timeout {
        /// The EKS update being waited for.
        update_id: Option<String>,
    },
    /// A finished diagnostic (e.g. a failed EKS update).
    #[error("{}", .0.summary)]
    Diagnostic(Box<Diagnostic>),
    /// The guard refused, with these (error) diagnostics.
    #[error("refused by the guard")]
    Refused(Diagnostics),
}

impl From<Diagnostic> for OpError {
    fn from(d: Diagnostic) -> Self {
        OpError::Diagnostic(Box::new(d))
    }
}

/// A diagnostic for a failed AWS call made while doing `what`.
pub fn aws_diagnostic(what: &str, e: &AwsError) -> Diagnostic {
    let mut detail = String::new();
    // The message may end with the SDK's own period: one is enough.
    let sentence = e.message.trim_end().trim_end_matches('.');
    if e.kind == AwsErrorKind::Credentials {
        return Diagnostic::error(
            "No valid AWS credentials",
            format!("While {what}: {sentence}."),
        );
    }
    if e.kind == AwsErrorKind::AccountNotAllowed {
        return Diagnostic::error(
            "AWS account not allowed",
            format!("While {what}: {sentence}."),
        );
    }
    detail.push_str(&format!("While {what}, {} failed", e.operation));
    if let Some(code) = &e.code {
        detail.push_str(&format!(" with {code}"));
    }
    if let Some(status) = e.http_status {
        detail.push_str(&format!(" (HTTP {status})"));
    }
    detail.push_str(&format!(": {}", e.message));
    if let Some(id) = &e.request_id {
        detail.push_str(&format!("\nAWS request id: {id}"));
    }
    let tls = ["certificate", "UnknownIssuer", "invalid peer certificate"];
    let hint = match e.kind {
        AwsErrorKind::Connection | AwsErrorKind::Other
            if tls.iter().any(|t| e.message.contains(t)) =>
        {
            "\nThe endpoint's TLS certificate is not trusted. Behind a TLS-inspecting proxy, set \
             custom_ca_bundle (or AWS_CA_BUNDLE) to a PEM file with its CA certificate."
        }
        AwsErrorKind::Timeout | AwsErrorKind::Connection => {
            "\nCheck network access to the AWS endpoints (or the endpoints block, and the \
             https_proxy and no_proxy settings), then retry."
        }
        _ if e.is_access_denied() => {
            "\nGrant the missing permission to the identity Terraform runs as, then retry."
        }
        _ => "",
    };
    detail.push_str(hint);
    Diagnostic::error(format!("AWS {} failed", e.operation), detail)
}

/// Converts an operation error into a diagnostic.
pub fn op_diagnostic(what: &str, e: OpError) -> Diagnostic {
    match e {
        OpError::Aws(e) => aws_diagnostic(what, &e),
        OpError::Interrupted => Diagnostic::error(
            INTERRUPTED,
            format!("Terraform interrupted the provider while {what}."),
        ),
        OpError::Timeout { update_id } => Diagnostic::error(
            TIMED_OUT,
            match update_id {
                Some(id) => format!(
                    "The deadline ran out while {what}, waiting for EKS update {id}. EKS keeps \
                     working on it; the next apply waits for that same update."
                ),
                None => format!(
                    "The deadline ran out while {what}. Raise the timeouts block's \
                     create/update value if EKS needs longer."
                ),
            },
        ),
        OpError::Diagnostic(d) => *d,
        OpError::Refused(d) => d.0.into_iter().next().unwrap_or_else(|| {
            Diagnostic::error(
                "Refused",
                format!("The guard refused while {what}. Please report this as a bug."),
            )
        }),
    }
}

/// Converts an operation error into diagnostics, keeping every diagnostic
/// of a refusal.
pub fn op_diagnostics(what: &str, e: OpError) -> Diagnostics {
    match e {
        OpError::Refused(d) if !d.is_empty() => d,
        e => op_diagnostic(what, e).into(),
    }
}

/// A diagnostic for a value that could not be decoded.
pub fn decode_diagnostic(what: &str, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        "Invalid value from Terraform",
        format!("Could not decode the {what}: {e}. Please report this as a bug."),
    )
}

/// An error diagnostic about one attribute.
pub fn attribute_error(attr: &str, summary: &str, detail: String) -> Diagnostic {
    Diagnostic::error(summary, detail).with_attribute(AttributePath::attr(attr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_errors_keep_code_and_request_id() {
        let e = AwsError {
            operation: "DescribeCluster",
            kind: AwsErrorKind::Service,
            code: Some("AccessDeniedException".into()),
            message: "no".into(),
            request_id: Some("req-123".into()),
            http_status: Some(403),
        };
        let d = aws_diagnostic("reading cluster c", &e);
        assert!(d.detail.contains("AccessDeniedException"));
        assert!(d.detail.contains("req-123"));
        assert_eq!(d.summary, "AWS DescribeCluster failed");
    }

    fn client_side(kind: AwsErrorKind, message: &str) -> AwsError {
        AwsError {
            operation: "DescribeCluster",
            kind,
            code: None,
            message: message.into(),
            request_id: None,
            http_status: None,
        }
    }

    #[test]
    fn account_and_credentials_diagnostics() {
        let d = aws_diagnostic(
            "reading cluster c",
            &client_side(
                AwsErrorKind::AccountNotAllowed,
                "the credentials belong to AWS account 1",
            ),
        );
        assert_eq!(d.summary, "AWS account not allowed");
        assert_eq!(
            d.detail,
            "While reading cluster c: the credentials belong to AWS account 1."
        );
        let d = aws_diagnostic(
            "reading cluster c",
            &client_side(AwsErrorKind::Credentials, "no AWS credentials found"),
        );
        assert_eq!(d.summary, "No valid AWS credentials");
        // The SDK's message ends with a period of its own (issue 22).
        let d = aws_diagnostic(
            "reading cluster c",
            &client_side(
                AwsErrorKind::Credentials,
                "failed to load AWS credentials: request forbidden: IMDS is disabled or the \
                 caller has insufficient permissions.",
            ),
        );
        assert!(
            d.detail
                .ends_with("the caller has insufficient permissions."),
            "{}",
            d.detail
        );
        assert!(!d.detail.contains(".."), "{}", d.detail);
    }

    #[test]
    fn untrusted_certificates_point_to_custom_ca_bundle() {
        let d = aws_diagnostic(
            "reading cluster c",
            &client_side(
                AwsErrorKind::Connection,
                "dispatch failure: io error: invalid peer certificate: UnknownIssuer",
            ),
        );
        assert!(
            d.detail.contains("custom_ca_bundle (or AWS_CA_BUNDLE)"),
            "{}",
            d.detail
        );
        let d = aws_diagnostic(
            "reading cluster c",
            &client_side(AwsErrorKind::Connection, "connection refused"),
        );
        assert!(d.detail.contains("https_proxy"), "{}", d.detail);
    }
}
