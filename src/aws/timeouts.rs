//! Attempt and operation timeouts of every AWS call, so that no endpoint can
//! hang Terraform: one attempt (one HTTP exchange) is bounded by the attempt
//! timeout, and one call with all its retries by the operation timeout.
//!
//! The defaults follow the AWS SDKs' own bounds for a single exchange:
//! botocore (the AWS CLI) gives up reading a response after 60 s (its
//! `read_timeout` default), and the AWS SDK for Java v2 after 30 s of socket
//! inactivity. The EKS and KMS calls made here answer in well under a second,
//! so 60 s per attempt only ever cuts a hung exchange. Five minutes per call
//! leaves room for the default five attempts with the SDK's backoff, which
//! waits at most 20 s between attempts.

use std::time::Duration;

use aws_smithy_types::timeout::TimeoutConfig;

/// Default bound of one attempt (one HTTP exchange): 60 s.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default bound of one call, all attempts and backoff included: 5 minutes.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The longest wait the SDK's standard and adaptive retry strategies make
/// between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// The provider block's `attempt_timeout` and `operation_timeout`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallTimeouts {
    /// `attempt_timeout`; `None` means [`DEFAULT_ATTEMPT_TIMEOUT`].
    pub attempt: Option<Duration>,
    /// `operation_timeout`; `None` means [`DEFAULT_OPERATION_TIMEOUT`].
    pub operation: Option<Duration>,
}

impl CallTimeouts {
    /// The bound of one attempt.
    pub fn attempt(&self) -> Duration {
        self.attempt.unwrap_or(DEFAULT_ATTEMPT_TIMEOUT)
    }

    /// The bound of one call.
    pub fn operation(&self) -> Duration {
        self.operation.unwrap_or(DEFAULT_OPERATION_TIMEOUT)
    }

    /// The SDK timeout configuration. The connect timeout is the SDK's
    /// default, never more than the attempt timeout.
    pub fn sdk_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.attempt().min(Duration::from_millis(3100)))
            .operation_attempt_timeout(self.attempt())
            .operation_timeout(self.operation())
            .build()
    }

    /// Caps the total attempts of a call so that its retries fit in the
    /// operation timeout: `1 + operation timeout / 20 s` attempts at most
    /// (16 with the defaults), since each retry may first wait up to 20 s.
    /// More would never run: the operation timeout would end the call first.
    pub fn cap_attempts(&self, attempts: u32) -> u32 {
        let fit = 1 + (self.operation().as_millis() / MAX_BACKOFF.as_millis()) as u32;
        attempts.clamp(1, fit)
    }

    /// How a timed-out call is described to the user.
    pub fn describe(&self) -> String {
        format!(
            "attempt_timeout {}, operation_timeout {}",
            human_duration(self.attempt()),
            human_duration(self.operation())
        )
    }
}

/// `90s`, `5m`, `1m30s`, `2h`, `250ms`: a duration written the way the
/// provider block and the resource's `timeouts` accept it.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 != 0 {
        return format!("{ms}ms");
    }
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, s) => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_caps() {
        let t = CallTimeouts::default();
        assert_eq!(t.attempt(), DEFAULT_ATTEMPT_TIMEOUT);
        assert_eq!(t.operation(), DEFAULT_OPERATION_TIMEOUT);
        assert_eq!(t.cap_attempts(5), 5);
        assert_eq!(
            t.cap_attempts(101),
            16,
            "100 retries cannot fit in 5 minutes"
        );
        assert_eq!(t.cap_attempts(0), 1);
        let short = CallTimeouts {
            attempt: Some(Duration::from_secs(2)),
            operation: Some(Duration::from_secs(4)),
        };
        assert_eq!(short.cap_attempts(5), 1);
        let c = short.sdk_config();
        assert_eq!(c.operation_timeout(), Some(Duration::from_secs(4)));
        assert_eq!(c.operation_attempt_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(c.connect_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(short.describe(), "attempt_timeout 2s, operation_timeout 4s");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(Duration::from_secs(300)), "5m");
        assert_eq!(human_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(human_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1500ms");
    }
}
