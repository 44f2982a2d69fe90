//! [`AwsClients`]: one EKS and one KMS SDK client per configured provider,
//! the DescribeKey and rotation caches every resource of that provider
//! shares, and what a timed-out call's message names. The call template
//! (`call`) and the service modules (`eks`, `kms`, `fleet`, `preflight`) add
//! their methods on top; `builder` makes it from the provider's settings.
//! Depends only on `error`, `timeouts` and `types`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::error::{AwsError, AwsErrorKind};
use super::timeouts::CallTimeouts;
use super::types::KeyInfo;

/// The AWS service a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// Amazon EKS.
    Eks,
    /// AWS KMS.
    Kms,
    /// AWS STS (the credential providers' calls).
    Sts,
}

impl Service {
    /// The service's endpoint prefix, e.g. `eks`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Service::Eks => "eks",
            Service::Kms => "kms",
            Service::Sts => "sts",
        }
    }
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
    /// STS with the provider's final credentials, for the caller's account
    /// (`None` in tests built from mock EKS and KMS clients only).
    sts: Option<aws_sdk_sts::Client>,
    /// The caller's account, once asked.
    account: OnceCell<String>,
    region: String,
    key_cache: Mutex<HashMap<String, Arc<OnceCell<KeyInfo>>>>,
    /// The bounds of every call, and the endpoints, for timeout messages.
    limits: CallLimits,
    /// GetKeyRotationStatus answers by key, like the DescribeKey cache.
    rotation_cache: Mutex<HashMap<String, bool>>,
}

/// What a timed-out call's message names.
#[derive(Debug, Clone, Default)]
pub(super) struct CallLimits {
    /// The configured bounds of every call.
    pub(super) timeouts: CallTimeouts,
    /// The EKS endpoint, when not the regional default.
    pub(super) eks_endpoint: Option<String>,
    /// The KMS endpoint, when not the regional default.
    pub(super) kms_endpoint: Option<String>,
}

impl fmt::Debug for AwsClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsClients")
            .field("region", &self.inner.region)
            .finish_non_exhaustive()
    }
}

impl AwsClients {
    /// For tests: builds from explicit SDK clients (e.g. aws-smithy-mocks
    /// clients). `region` is only reported by [`region`](Self::region).
    pub fn from_clients(
        eks: aws_sdk_eks::Client,
        kms: aws_sdk_kms::Client,
        region: String,
    ) -> AwsClients {
        Self::with_limits(eks, kms, None, region, CallLimits::default())
    }

    /// For tests: as [`from_clients`](Self::from_clients), with an STS
    /// client for [`caller_account`](Self::caller_account).
    pub fn from_clients_with_sts(
        eks: aws_sdk_eks::Client,
        kms: aws_sdk_kms::Client,
        sts: aws_sdk_sts::Client,
        region: String,
    ) -> AwsClients {
        Self::with_limits(eks, kms, Some(sts), region, CallLimits::default())
    }

    /// The clients, with what a timed-out call's message names.
    pub(super) fn with_limits(
        eks: aws_sdk_eks::Client,
        kms: aws_sdk_kms::Client,
        sts: Option<aws_sdk_sts::Client>,
        region: String,
        limits: CallLimits,
    ) -> AwsClients {
        AwsClients {
            inner: Arc::new(Inner {
                eks,
                kms,
                sts,
                account: OnceCell::new(),
                region,
                key_cache: Mutex::new(HashMap::new()),
                limits,
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
    pub(crate) fn annotate(&self, mut e: AwsError, service: Service) -> AwsError {
        if e.kind == AwsErrorKind::Timeout {
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

    pub(crate) fn sts(&self) -> Option<&aws_sdk_sts::Client> {
        self.inner.sts.as_ref()
    }

    pub(crate) fn account_cell(&self) -> &OnceCell<String> {
        &self.inner.account
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
