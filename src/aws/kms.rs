//! KMS calls: DescribeKey (plain and cached) and GetKeyRotationStatus.

use super::call::Call;
use super::client::AwsClients;
use super::error::AwsError;
use super::types::{name_of, rfc3339, KeyCustody, KeyInfo};

impl AwsClients {
    /// DescribeKey. `key_id` may be a key ARN, an alias ARN, `alias/<name>` or
    /// a key id.
    pub async fn describe_key(&self, key_id: &str) -> Result<KeyInfo, AwsError> {
        const OP: &str = "DescribeKey";
        let request = || self.kms().describe_key().key_id(key_id).send();
        let out = self.send(Call::kms(OP, key_id), request).await?;
        let meta = out
            .key_metadata()
            .ok_or_else(|| AwsError::other(OP, "the response has no KeyMetadata"))?;
        Ok(KeyInfo {
            key_id: meta.key_id().to_owned(),
            arn: meta.arn().unwrap_or_default().to_owned(),
            state: name_of(meta.key_state()),
            spec: name_of(meta.key_spec()),
            usage: name_of(meta.key_usage()),
            manager: name_of(meta.key_manager()),
            deletion_date: meta.deletion_date().and_then(rfc3339),
            enabled: meta.enabled(),
            custody: custody_of(meta),
        })
    }

    /// DescribeKey through a cache shared by every user of this
    /// [`AwsClients`] (one provider configuration) for the life of the
    /// process.
    ///
    /// Concurrent callers for the same `key_id` wait for one DescribeKey call
    /// and share its result. Errors are not cached: the next caller tries
    /// again. A success is also recorded under the key's ARN. The cached data
    /// can be stale (e.g. a key scheduled for deletion since); use
    /// [`describe_key`](Self::describe_key) where the current state matters.
    pub async fn describe_key_cached(&self, key_id: &str) -> Result<KeyInfo, AwsError> {
        let cell = self.key_cell(key_id);
        let info = cell
            .get_or_try_init(|| self.describe_key(key_id))
            .await?
            .clone();
        if info.arn != key_id && !info.arn.is_empty() {
            self.key_cache_alias(&info.arn, &info);
        }
        Ok(info)
    }

    /// GetKeyRotationStatus: whether automatic rotation is enabled.
    ///
    /// Cached like [`describe_key_cached`](Self::describe_key_cached), per
    /// provider configuration and key (errors are not cached): the status
    /// only decides a plan-time warning, and the apply-time re-plan would
    /// otherwise ask again for every resource.
    pub async fn key_rotation_enabled(&self, key_arn: &str) -> Result<bool, AwsError> {
        if let Some(enabled) = self.cached_rotation(key_arn) {
            return Ok(enabled);
        }
        let enabled = self.key_rotation_enabled_uncached(key_arn).await?;
        self.cache_rotation(key_arn, enabled);
        Ok(enabled)
    }

    async fn key_rotation_enabled_uncached(&self, key_arn: &str) -> Result<bool, AwsError> {
        let request = || self.kms().get_key_rotation_status().key_id(key_arn).send();
        let out = self
            .send(Call::kms("GetKeyRotationStatus", key_arn), request)
            .await?;
        Ok(out.key_rotation_enabled())
    }
}

/// The custody fields of a DescribeKey answer.
fn custody_of(meta: &aws_sdk_kms::types::KeyMetadata) -> KeyCustody {
    let expires = meta
        .expiration_model()
        .is_some_and(|m| m.as_str() == "KEY_MATERIAL_EXPIRES");
    KeyCustody {
        arn: meta.arn().unwrap_or_default().to_owned(),
        origin: meta
            .origin()
            .map(|o| o.as_str().to_owned())
            .unwrap_or_else(|| "AWS_KMS".to_owned()),
        valid_to: meta.valid_to().filter(|_| expires).and_then(rfc3339),
        custom_key_store_id: meta.custom_key_store_id().map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
    use aws_sdk_kms::types::{
        ExpirationModelType, KeyManagerType, KeyMetadata, KeySpec, KeyState, KeyUsageType,
        OriginType,
    };
    use aws_sdk_kms::Client;
    use aws_smithy_mocks::mock;
    use aws_smithy_types::DateTime;

    use super::*;
    use crate::aws::test_support::{clients, json_error, slow_kms_client};
    use crate::aws::AwsErrorKind;

    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const KEY_ARN: &str =
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn metadata(state: KeyState) -> KeyMetadata {
        let mut b = KeyMetadata::builder()
            .key_id(KEY_ID)
            .arn(KEY_ARN)
            .enabled(state == KeyState::Enabled)
            .key_state(state.clone())
            .key_spec(KeySpec::SymmetricDefault)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .key_manager(KeyManagerType::Customer);
        if state == KeyState::PendingDeletion {
            b = b.deletion_date(DateTime::from_secs(1_700_000_000));
        }
        b.build().expect("key id is set")
    }

    fn output(state: KeyState) -> DescribeKeyOutput {
        DescribeKeyOutput::builder()
            .key_metadata(metadata(state))
            .build()
    }

    #[tokio::test]
    async fn describe_key_maps_metadata() {
        let rule = mock!(Client::describe_key)
            .match_requests(|r| r.key_id() == Some("alias/eks"))
            .then_output(|| output(KeyState::PendingDeletion));
        let aws = clients(&[], &[&rule]);
        let info = aws.describe_key("alias/eks").await.unwrap();
        assert_eq!(
            info,
            KeyInfo {
                key_id: KEY_ID.into(),
                arn: KEY_ARN.into(),
                state: "PendingDeletion".into(),
                spec: "SYMMETRIC_DEFAULT".into(),
                usage: "ENCRYPT_DECRYPT".into(),
                manager: "CUSTOMER".into(),
                deletion_date: Some("2023-11-14T22:13:20Z".into()),
                enabled: false,
                custody: crate::aws::KeyCustody {
                    arn: KEY_ARN.into(),
                    origin: "AWS_KMS".into(),
                    valid_to: None,
                    custom_key_store_id: None,
                },
            }
        );
    }

    #[tokio::test]
    async fn error_mapping_keeps_code_message_and_request_id() {
        let rule = mock!(Client::describe_key).then_http_response(|| {
            json_error(
                400,
                "NotFoundException",
                "Alias arn:aws:kms:us-east-1:123456789012:alias/nope is not found.",
                "0a1b2c3d-req",
            )
        });
        let aws = clients(&[], &[&rule]);
        let err = aws.describe_key("alias/nope").await.unwrap_err();
        assert_eq!(err.operation, "DescribeKey");
        assert_eq!(err.kind, AwsErrorKind::Service);
        assert!(err.is_code("NotFoundException"));
        assert!(!err.is_access_denied());
        assert_eq!(err.request_id.as_deref(), Some("0a1b2c3d-req"));
        assert_eq!(err.http_status, Some(400));
        assert_eq!(
            err.to_string(),
            "DescribeKey: NotFoundException: Alias arn:aws:kms:us-east-1:123456789012:alias/nope \
             is not found. (request id: 0a1b2c3d-req)"
        );
        assert_eq!(rule.num_calls(), 1, "NotFound must not be retried");
    }

    #[tokio::test]
    async fn key_rotation_enabled_reads_the_flag() {
        let rule = mock!(Client::get_key_rotation_status)
            .match_requests(|r| r.key_id() == Some(KEY_ARN))
            .then_output(|| {
                GetKeyRotationStatusOutput::builder()
                    .key_rotation_enabled(true)
                    .build()
            });
        let aws = clients(&[], &[&rule]);
        assert!(aws.key_rotation_enabled(KEY_ARN).await.unwrap());
        // Issue 9: cached like DescribeKey.
        assert!(aws.key_rotation_enabled(KEY_ARN).await.unwrap());
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn describe_key_cached_coalesces_concurrent_calls() {
        let rule = mock!(Client::describe_key)
            .match_requests(|r| r.key_id() == Some("alias/eks"))
            .then_output(|| output(KeyState::Enabled));
        // Each exchange takes 50 ms, so all callers are in flight together.
        let aws = AwsClients::from_clients(
            crate::aws::test_support::eks_client(aws_smithy_mocks::RuleMode::Sequential, &[]),
            slow_kms_client(&[&rule], Duration::from_millis(50)),
            "us-east-1".into(),
        );
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let aws = aws.clone();
            tasks.push(tokio::spawn(async move {
                aws.describe_key_cached("alias/eks").await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().arn, KEY_ARN);
        }
        assert_eq!(rule.num_calls(), 1);
        // Later callers, by alias or by the ARN it resolved to, hit the cache.
        aws.describe_key_cached("alias/eks").await.unwrap();
        assert_eq!(
            aws.describe_key_cached(KEY_ARN).await.unwrap().key_id,
            KEY_ID
        );
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn describe_key_cached_does_not_cache_errors() {
        let fail = mock!(Client::describe_key).then_http_response(|| {
            json_error(400, "AccessDeniedException", "not allowed", "rid-1")
        });
        let ok = mock!(Client::describe_key).then_output(|| output(KeyState::Enabled));
        let aws = clients(&[], &[&fail, &ok]);
        let err = aws.describe_key_cached(KEY_ARN).await.unwrap_err();
        assert!(err.is_access_denied());
        assert_eq!(
            aws.describe_key_cached(KEY_ARN).await.unwrap().state,
            "Enabled"
        );
        assert_eq!(
            aws.describe_key_cached(KEY_ARN).await.unwrap().state,
            "Enabled"
        );
        assert_eq!((fail.num_calls(), ok.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn describe_key_cache_is_shared_by_clones_not_between_providers() {
        let first = mock!(Client::describe_key).then_output(|| output(KeyState::Enabled));
        let aws = clients(&[], &[&first]);
        let clone = aws.clone();
        aws.describe_key_cached(KEY_ARN).await.unwrap();
        clone.describe_key_cached(KEY_ARN).await.unwrap();
        assert_eq!(first.num_calls(), 1);

        let other_rule = mock!(Client::describe_key).then_output(|| output(KeyState::Disabled));
        let other = clients(&[], &[&other_rule]);
        assert_eq!(
            other.describe_key_cached(KEY_ARN).await.unwrap().state,
            "Disabled"
        );
    }

    const CUSTODY_KEY: &str =
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn meta(origin: OriginType) -> aws_sdk_kms::types::builders::KeyMetadataBuilder {
        KeyMetadata::builder()
            .key_id("k")
            .arn(CUSTODY_KEY)
            .origin(origin)
    }

    #[test]
    fn custody_reads_origin_valid_to_and_custom_key_store() {
        let imported = meta(OriginType::External)
            .expiration_model(ExpirationModelType::KeyMaterialExpires)
            .valid_to(DateTime::from_secs(1_893_456_000))
            .build()
            .unwrap();
        assert_eq!(
            custody_of(&imported),
            KeyCustody {
                arn: CUSTODY_KEY.into(),
                origin: "EXTERNAL".into(),
                valid_to: Some("2030-01-01T00:00:00Z".into()),
                custom_key_store_id: None,
            }
        );
        let hsm = meta(OriginType::AwsCloudhsm)
            .custom_key_store_id("cks-1")
            .build()
            .unwrap();
        let c = custody_of(&hsm);
        assert_eq!(
            (c.origin.as_str(), c.custom_key_store_id.as_deref()),
            ("AWS_CLOUDHSM", Some("cks-1"))
        );
        assert_eq!(c.valid_to, None);
    }
}
