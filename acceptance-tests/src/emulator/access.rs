//! Control-API helpers for callers and key policies, keys of other accounts,
//! key custody and slow cluster creation (`eks_emulator/kms_access.py`,
//! `eks_emulator/cluster_timing.py`).

use serde_json::{json, Value};

use super::{Cluster, ClusterSpec, Emulator, EmulatorError, Key, KeySpec};

/// The account of every request the harness signs (moto's default).
pub const CALLER_ACCOUNT: &str = "123456789012";
/// The access key id the harness gives Terraform.
pub const CALLER_ACCESS_KEY: &str = "test";

fn merged(base: Value, extra: &Value) -> Value {
    let mut base = base;
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

impl Emulator {
    /// `POST /_emulator/keys` with extra fields: `account`, `policy`,
    /// `origin`, `valid_to`, `custom_key_store_id`.
    pub fn create_key_with(&self, spec: &KeySpec, extra: &Value) -> Result<Key, EmulatorError> {
        let body = merged(
            serde_json::to_value(spec).expect("KeySpec serializes"),
            extra,
        );
        let v = self.request("POST", "/_emulator/keys", Some(&body))?;
        self.decode("/_emulator/keys", v)
    }

    /// `POST /_emulator/clusters` with extra fields, e.g. `creating_seconds`.
    pub fn create_cluster_with(
        &self,
        spec: &ClusterSpec,
        extra: &Value,
    ) -> Result<Cluster, EmulatorError> {
        let body = merged(
            serde_json::to_value(spec).expect("ClusterSpec serializes"),
            extra,
        );
        let v = self.request("POST", "/_emulator/clusters", Some(&body))?;
        self.decode("/_emulator/clusters", v)
    }

    /// `POST /_emulator/principals`: names the principal behind
    /// `access_key_id` and denies it `deny` (KMS actions such as
    /// `kms:CreateGrant`), as an IAM policy without them would.
    pub fn set_principal(
        &self,
        access_key_id: &str,
        arn: &str,
        deny: &[&str],
    ) -> Result<(), EmulatorError> {
        let body = json!({"access_key_id": access_key_id, "arn": arn, "deny": deny});
        self.request("POST", "/_emulator/principals", Some(&body))?;
        Ok(())
    }

    /// `POST /_emulator/cluster-creation`: how long clusters made with the
    /// EKS CreateCluster API stay CREATING.
    pub fn set_cluster_creation_seconds(&self, seconds: f64) -> Result<(), EmulatorError> {
        let body = json!({"duration_seconds": seconds});
        self.request("POST", "/_emulator/cluster-creation", Some(&body))?;
        Ok(())
    }
}
