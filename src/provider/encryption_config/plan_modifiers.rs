//! Plan modifiers: where the planned state differs from Terraform's
//! proposal, attribute by attribute, each with its reason. They play the
//! part of terraform-plugin-framework's `Default`, `RequiresReplace` and
//! `UseStateForUnknown` modifiers, as plain functions over the model.

use super::model::{Model, SECRETS};
use super::plan::KeyType;
use crate::aws::ClusterInfo;
use crate::tfprotov6::value::Maybe;
use crate::tfprotov6::AttributePath;

/// The defaults of the optional and computed attributes, and `id`.
///
/// - `deletion_protection` is `true` when the configuration leaves it
///   unset. The default comes from the configuration, not from the prior
///   state: removing `deletion_protection = false` from the configuration
///   turns protection back on rather than keeping the old value.
/// - `resources` is `["secrets"]` when unset: the only value EKS accepts.
/// - `id` is the cluster name, which is also the import id, so it is known
///   as soon as the name is.
pub fn with_defaults(mut planned: Model, config: &Model) -> Model {
    if config.deletion_protection.is_null() {
        planned.deletion_protection = Maybe::Known(true);
    }
    if config.resources.is_null() {
        planned.resources = Maybe::Known(vec![SECRETS.to_owned()]);
    }
    planned.id = planned.cluster_name.clone();
    planned
}

/// RequiresReplace on `cluster_name`: another name is another cluster,
/// and EKS cannot move a CMK from one cluster to another, so the old
/// association is destroyed (which `deletion_protection` guards) and a new
/// one created. `None` when nothing forces a replacement.
pub fn requires_replace(prior: Option<&Model>, planned: &Model) -> Option<AttributePath> {
    let prior = prior?;
    (prior.cluster_name != planned.cluster_name).then(|| AttributePath::attr("cluster_name"))
}

/// The computed attributes the apply sets are unknown in the plan when the
/// plan cannot tell them: the key is unknown, or the key (`cluster_too` =
/// `false`) or the cluster (`true`) does not exist yet. Unknown values let
/// the apply record what EKS and KMS then report.
pub fn unknown_until_apply(mut planned: Model, cluster_too: bool) -> Model {
    planned.resolved_key_arn = Maybe::Unknown;
    planned.key_type = Maybe::Unknown;
    planned.key_state = Maybe::Unknown;
    planned.update_id = Maybe::Unknown;
    if cluster_too {
        planned.cluster_arn = Maybe::Unknown;
        planned.cluster_version = Maybe::Unknown;
        planned.cluster_created_at = Maybe::Unknown;
    }
    planned
}

/// The cluster's own attributes, known at plan from DescribeCluster: its
/// ARN, version and creation time.
pub fn with_cluster(mut planned: Model, info: &ClusterInfo) -> Model {
    planned.cluster_arn = Maybe::Known(info.arn.clone());
    planned.cluster_version = Maybe::Known(info.version.clone());
    planned.cluster_created_at = Maybe::from(info.created_at.clone());
    planned
}

/// Like `UseStateForUnknown`: when the plan changes nothing on the cluster,
/// the computed attributes keep what the last refresh recorded, so the
/// plan shows no difference.
pub fn use_prior_computed(mut planned: Model, prior: &Model) -> Model {
    planned.resolved_key_arn = prior.resolved_key_arn.clone();
    planned.key_type = prior.key_type.clone();
    planned.key_state = prior.key_state.clone();
    planned.update_id = prior.update_id.clone();
    planned.cluster_arn = prior.cluster_arn.clone();
    planned.cluster_version = prior.cluster_version.clone();
    planned
}

/// A new resource for a cluster that keeps no CMK: the key type follows
/// the Kubernetes version, and there is no key or update to record.
pub fn without_cmk(mut planned: Model, version: &str) -> Model {
    planned.resolved_key_arn = Maybe::Null;
    planned.key_type = Maybe::Known(KeyType::without_cmk(version).as_str().into());
    planned.key_state = Maybe::Null;
    planned.update_id = Maybe::Null;
    planned
}

/// The CMK the apply associates or adopts: its ARN and state are known at
/// plan; the update id only once EKS reports it.
pub fn with_cmk(mut planned: Model, key_arn: &str, key_state: Maybe<String>) -> Model {
    planned.resolved_key_arn = Maybe::Known(key_arn.to_owned());
    planned.key_type = Maybe::Known(KeyType::CustomerManaged.as_str().into());
    planned.key_state = key_state;
    planned.update_id = Maybe::Unknown;
    planned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(cluster: &str) -> Model {
        Model {
            cluster_name: Maybe::Known(cluster.into()),
            ..Model::default()
        }
    }

    #[test]
    fn defaults_come_from_the_configuration() {
        let config = model("prod");
        let planned = with_defaults(
            Model {
                deletion_protection: Maybe::Known(false),
                ..model("prod")
            },
            &config,
        );
        assert_eq!(planned.deletion_protection, Maybe::Known(true));
        assert_eq!(planned.resources, Maybe::Known(vec![SECRETS.to_owned()]));
        assert_eq!(planned.id, Maybe::Known("prod".into()));
        let config = Model {
            deletion_protection: Maybe::Known(false),
            ..model("prod")
        };
        let planned = with_defaults(config.clone(), &config);
        assert_eq!(planned.deletion_protection, Maybe::Known(false));
    }

    #[test]
    fn a_new_cluster_name_replaces() {
        let prior = model("old");
        assert_eq!(
            requires_replace(Some(&prior), &model("new")),
            Some(AttributePath::attr("cluster_name"))
        );
        assert_eq!(requires_replace(Some(&prior), &model("old")), None);
        assert_eq!(requires_replace(None, &model("new")), None);
    }
}
