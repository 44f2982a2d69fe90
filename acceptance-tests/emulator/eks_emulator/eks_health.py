"""A cluster's health issues about its KMS key, and the grant EKS holds on that key.

**Health issues.** DescribeCluster's ``cluster.health`` is a ClusterHealth object,
``{"issues": [ClusterIssue, ...]}`` (ClusterHealth, EKS API reference,
https://docs.aws.amazon.com/eks/latest/APIReference/API_ClusterHealth.html). A
ClusterIssue has ``code``, ``message`` ("A description of the issue") and
``resourceIds`` ("The resource IDs that the issue relates to"); ``code`` is one of
``AccessDenied | ClusterUnreachable | ConfigurationConflict | InternalFailure |
ResourceLimitExceeded | ResourceNotFound | IamRoleNotFound | VpcNotFound |
InsufficientFreeAddresses | Ec2ServiceNotSubscribed | Ec2SubnetNotFound |
Ec2SecurityGroupNotFound | KmsGrantRevoked | KmsKeyNotFound | KmsKeyMarkedForDeletion |
KmsKeyDisabled | StsRegionalEndpointDisabled | UnsupportedVersion | Other``
(ClusterIssue, EKS API reference,
https://docs.aws.amazon.com/eks/latest/APIReference/API_ClusterIssue.html). The
emulator reports the four KMS codes for a cluster with a customer managed key,
from the key's state in the emulator's KMS at request time:

* key ``Disabled`` -> ``KmsKeyDisabled``;
* key ``PendingDeletion`` -> ``KmsKeyMarkedForDeletion``;
* no such key -> ``KmsKeyNotFound``;
* the grant EKS holds on the key revoked or retired -> ``KmsGrantRevoked``.

Each issue's ``resourceIds`` is ``[key ARN]``. AWS documents no wording for these
messages (the API reference only says "A description of the issue"), so the
messages below are the emulator's own plain statements of fact. A cluster without
issues has ``"health": {"issues": []}``: ``issues`` is an array of ClusterIssue
(ClusterHealth above), and an empty array is the shape with nothing to report.

EKS evaluates the grant as the cluster role: CloudTrail shows the cluster role's
``health-check-session``, invoked by ``eks.amazonaws.com``, calling
``kms:ListGrants`` on the cluster's key (terraform-aws-modules/terraform-aws-eks
#1913 and #2309).

**The grant.** EKS creates a grant on the key as the caller when it associates the
key ("make sure that the kms:DescribeKey and kms:CreateGrant actions are permitted
on the policy for the principal that calls the create-cluster API", EKS user guide,
"Encrypt Kubernetes secrets with KMS on existing clusters",
https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html; see also
:func:`.kms_access.eks_grant_refusal`). The emulator makes that grant a real one in
moto's KMS, visible to ``ListGrants`` and removable with ``RevokeGrant`` or
``RetireGrant``: grantee the cluster's IAM role (the principal whose
health-check session uses the key, issues above), operations ``Encrypt``,
``Decrypt``, ``DescribeKey`` (the emulator's choice; AWS does not document the
operation list EKS asks for). The grant is recorded on the cluster object
(``emulator_grant``) when the encryption config is written onto it: at the end of a
Successful AssociateEncryptionConfig, after CreateCluster with an encryption
config, and by the control API's cluster creation and out-of-band association.
"""

from __future__ import annotations

from typing import Any

from moto.eks.models import Cluster

from . import accounts, kms_access

#: Operations of the grant the emulator makes for EKS (see the module docs).
EKS_GRANT_OPERATIONS = ["Encrypt", "Decrypt", "DescribeKey"]


def cluster_key_arn(cluster: Cluster) -> str | None:
    """The key ARN of the cluster's encryption config, if any."""
    for config in cluster.encryption_config or []:
        provider = config.get("provider") if isinstance(config, dict) else None
        key_arn = provider.get("keyArn") if isinstance(provider, dict) else None
        if isinstance(key_arn, str) and key_arn:
            return key_arn
    return None


def _key(key_arn: str, region: str) -> Any:
    return kms_access.find_key_by_id_or_arn(key_arn, region, accounts.current())


def grant_for_cluster(cluster: Cluster, region: str) -> dict[str, str] | None:
    """Create EKS's grant on the cluster's key and record it on the cluster.

    Returns ``{"key_arn", "grant_id"}``, or None when the cluster has no key or the
    key does not exist. Made directly in moto's model: the association itself has
    already been authorised (:func:`.kms_access.eks_grant_refusal`).
    """
    key_arn = cluster_key_arn(cluster)
    key = _key(key_arn, region) if key_arn else None
    if key is None:
        cluster.emulator_grant = None  # type: ignore[attr-defined]
        return None
    grant = key.add_grant("", cluster.role_arn, list(EKS_GRANT_OPERATIONS), {}, "")
    record = {"key_arn": key.arn, "grant_id": grant.id}
    cluster.emulator_grant = record  # type: ignore[attr-defined]
    return record


def revoke_grant(cluster: Cluster, region: str) -> dict[str, str]:
    """Revoke EKS's grant on the cluster's key (``POST /_emulator/clusters/{name}/revoke-grant``).

    Raises LookupError when the cluster has no grant to revoke.
    """
    record = getattr(cluster, "emulator_grant", None)
    key = _key(record["key_arn"], region) if record else None
    if record is None or key is None or record["grant_id"] not in key.grants:
        raise LookupError(f"cluster {cluster.name} holds no grant to revoke")
    del key.grants[record["grant_id"]]
    return dict(record)


def issues(cluster: Cluster, region: str) -> list[dict[str, Any]]:
    """The cluster's KMS health issues now (see the module docs)."""
    key_arn = cluster_key_arn(cluster)
    if key_arn is None:
        return []
    key = _key(key_arn, region)
    # The messages are the emulator's wording: AWS documents none.
    if key is None:
        return [_issue("KmsKeyNotFound", f"The KMS key {key_arn} of the cluster's encryption "
                                         "configuration was not found.", key_arn)]
    found = []
    if key.key_state == "Disabled":
        found.append(_issue("KmsKeyDisabled", f"The KMS key {key.arn} of the cluster's "
                                              "encryption configuration is disabled.", key.arn))
    elif key.key_state == "PendingDeletion":
        found.append(_issue("KmsKeyMarkedForDeletion",
                            f"The KMS key {key.arn} of the cluster's encryption configuration "
                            "is scheduled for deletion.", key.arn))
    record = getattr(cluster, "emulator_grant", None)
    if record is not None and record["grant_id"] not in key.grants:
        found.append(_issue("KmsGrantRevoked", f"The grant Amazon EKS holds on the KMS key "
                                               f"{key.arn} has been revoked or retired.", key.arn))
    return found


def _issue(code: str, message: str, key_arn: str) -> dict[str, Any]:
    return {"code": code, "message": message, "resourceIds": [key_arn]}


def health(cluster: Cluster, region: str) -> dict[str, Any]:
    """The ``health`` member of DescribeCluster's cluster."""
    return {"issues": issues(cluster, region)}
