"""EKS operations moto lacks, with EKS's semantics.

* ``AssociateEncryptionConfig`` -- ``POST /clusters/{name}/encryption-config/associate``
* ``DescribeUpdate`` -- ``GET /clusters/{name}/updates/{updateId}``
* ``ListUpdates`` -- ``GET /clusters/{name}/updates``
* ``ListClusters`` -- ``GET /clusters`` (paging per the API reference, see
  :meth:`EksExtension.list_clusters`)

DescribeCluster (served by moto) gains ``health`` (:mod:`.eks_health`).

Updates live here, next to moto's cluster objects (``eks_backends[account][region]``).
Their lifecycle is time based and evaluated lazily: :meth:`EksExtension.settle`
runs before every request and applies what is due -- an update is
``InProgress`` for its duration, then ``Successful`` (the encryption config is
written onto the cluster) or ``Failed`` (with ``errors``). While any update of a
cluster is in progress the cluster's status is ``UPDATING``, then ``ACTIVE``.
No background threads are involved.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from moto.core import DEFAULT_ACCOUNT_ID
from moto.eks.models import Cluster, EKSBackend, eks_backends

from . import accounts, eks_health, kms_access, kms_ext
from .awsreq import AwsRequest
from .http import Reply, json_reply, rest_json_error

if TYPE_CHECKING:
    from .state import EmulatorState

ALREADY_ENCRYPTED_MSG = "Encryption is already enabled on the cluster"
DEFAULT_ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/eks-cluster-role"
DEFAULT_VPC_CONFIG = {
    "subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
    "securityGroupIds": [],
    "clusterSecurityGroupId": "sg-0a1b2c3d4e5f60001",
    "vpcId": "vpc-0a1b2c3d4e5f60001",
    "endpointPublicAccess": True,
    "endpointPrivateAccess": False,
    "publicAccessCidrs": ["0.0.0.0/0"],
}


_installed = False


def install() -> None:
    """Remember role ARNs moto's EKS has validated (idempotent).

    moto's ``validate_role_arn`` (``moto/eks/utils.py``) loads botocore's partition
    data from disk on every CreateCluster, about 50 ms each: creating 500 clusters
    took half a minute. The check is a pure function of the ARN, so an ARN that
    passed once passes again; invalid ARNs are still checked (and refused) each time.
    """
    global _installed
    if _installed:
        return
    _installed = True
    import moto.eks.models as eks_models

    original = eks_models.validate_role_arn
    valid: set[str] = set()

    def validate_role_arn(arn: str) -> None:
        if arn in valid:
            return
        original(arn)
        valid.add(arn)

    eks_models.validate_role_arn = validate_role_arn  # type: ignore[assignment]


class EksError(Exception):
    """An EKS API error, rendered in the REST-JSON shape."""

    def __init__(self, code: str, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.status, self.message, self.extra = code, status, message, extra

    def reply(self) -> Reply:
        """The error as an HTTP reply."""
        return rest_json_error(self.code, self.message, self.status, extra=self.extra)


def not_found(message: str, **extra: Any) -> EksError:
    """ResourceNotFoundException (404)."""
    return EksError("ResourceNotFoundException", 404, message, **extra)


def invalid_parameter(message: str, **extra: Any) -> EksError:
    """InvalidParameterException (400)."""
    return EksError("InvalidParameterException", 400, message, **extra)


def backend(region: str, account: str | None = None) -> EKSBackend:
    """moto's EKS backend for ``account`` (default: the request's, see :mod:`.accounts`)/``region``."""
    return eks_backends[account or accounts.current()][region]


@dataclass
class Update:
    """One cluster update and its time-based lifecycle."""

    id: str
    region: str
    cluster: str
    type: str
    params: list[dict[str, str]]
    created_at: float
    duration: float
    client_request_token: str | None = None
    #: Errors the update ends with (``Failed``), or None to succeed.
    fail_errors: list[dict[str, Any]] | None = None
    #: Key ARN to disable half way through (``disable_key_mid_update``).
    disable_key_arn: str | None = None
    #: Called with the cluster when the update ends ``Successful``.
    on_success: Callable[[Cluster], None] | None = None
    status: str = "InProgress"
    errors: list[dict[str, Any]] = field(default_factory=list)
    key_disabled: bool = False
    #: The cluster's account (:mod:`.accounts`).
    account: str = field(default_factory=accounts.current)

    @property
    def ends_at(self) -> float:
        """When the update stops being ``InProgress``."""
        return self.created_at + self.duration

    def to_json(self) -> dict[str, Any]:
        """The ``update`` object of DescribeUpdate / AssociateEncryptionConfig."""
        return {
            "id": self.id,
            "status": self.status,
            "type": self.type,
            "params": [dict(p) for p in self.params],
            "createdAt": round(self.created_at, 3),
            "errors": [dict(e) for e in self.errors],
        }


def normalize_errors(errors: Any) -> list[dict[str, Any]]:
    """Turn a ``fail_next_update.errors`` list into EKS ``ErrorDetail`` objects."""
    if not isinstance(errors, list) or not errors:
        errors = [{}]
    result = []
    for err in errors:
        err = err if isinstance(err, dict) else {}
        result.append({
            "errorCode": str(err.get("errorCode", "Unknown")),
            "errorMessage": str(err.get("errorMessage", "The update failed.")),
            "resourceIds": list(err.get("resourceIds", [])),
        })
    return result


class EksExtension:
    """Update store and handlers for the EKS operations moto does not implement."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        #: Keyed by (account, region, cluster name).
        self.updates: dict[tuple[str, str, str], list[Update]] = {}
        self.tokens: dict[tuple[str, str, str, str], Update] = {}

    @staticmethod
    def _where(region: str, name: str) -> tuple[str, str, str]:
        """The key of a cluster of the request's account."""
        return (accounts.current(), region, name)

    # -- lifecycle -------------------------------------------------------

    def reset(self) -> None:
        """Forget every update."""
        self.updates.clear()
        self.tokens.clear()

    def forget_cluster(self, region: str, name: str) -> None:
        """Drop the updates and tokens of a deleted cluster."""
        self.updates.pop(self._where(region, name), None)
        for key in [k for k in self.tokens if k[:3] == self._where(region, name)]:
            del self.tokens[key]

    def in_progress(self, region: str, name: str) -> Update | None:
        """The oldest update of the cluster still in progress, if any."""
        for update in self.updates.get(self._where(region, name), []):
            if update.status == "InProgress":
                return update
        return None

    def settle(self, now: float) -> None:
        """Apply every due transition (mid-update key disabling, update end)."""
        for (account, region, name), updates in self.updates.items():
            finished = False
            for update in updates:
                if update.status != "InProgress":
                    continue
                if (update.disable_key_arn and not update.key_disabled
                        and now >= update.created_at + update.duration / 2):
                    self._disable_key(update)
                if now >= update.ends_at:
                    self._finish(update)
                    finished = True
            if not finished:
                # Runs on every request: skip moto's backend lookup, which
                # made each request cost O(clusters with updates).
                continue
            with accounts.serving(account):
                cluster = backend(region).clusters.get(name)
                if cluster is not None and cluster.status == "UPDATING" \
                        and self.in_progress(region, name) is None:
                    cluster.status = "ACTIVE"

    def _disable_key(self, update: Update) -> None:
        update.key_disabled = True
        ref = kms_ext.parse_key_ref(update.disable_key_arn or "", update.region, update.account)
        key = kms_ext.find_key(ref) if ref else None
        if key is not None and key.key_state == "Enabled":
            kms_ext.set_key_state(key, "Disabled", region=ref.region)  # type: ignore[union-attr]

    def _finish(self, update: Update) -> None:
        if update.key_disabled and update.type != "AssociateEncryptionConfig":
            # Another update (a version update, say) is not affected by the
            # key; the key is simply disabled by the time it ends.
            update.status = "Successful"
        elif update.key_disabled:
            update.status = "Failed"
            update.errors = [{
                "errorCode": "AccessDenied",
                "errorMessage": f"KMS key {update.disable_key_arn} was disabled during the update; "
                                "envelope encryption could not be enabled.",
                "resourceIds": [update.disable_key_arn],
            }]
        elif update.fail_errors is not None:
            update.status = "Failed"
            update.errors = update.fail_errors
        else:
            update.status = "Successful"
            cluster = backend(update.region, update.account).clusters.get(update.cluster)
            if cluster is not None and update.on_success is not None:
                update.on_success(cluster)

    def start_update(self, region: str, cluster: Cluster, update_type: str,
                     params: list[dict[str, str]], *, duration: float | None = None,
                     token: str | None = None, disable_key_arn: str | None = None,
                     on_success: Callable[[Cluster], None] | None = None) -> Update:
        """Create an InProgress update and put the cluster in ``UPDATING``."""
        config = self.state.config
        fail = config.fail_next_update
        config.fail_next_update = None
        update = Update(
            id=str(uuid.uuid4()),
            region=region,
            cluster=cluster.name,
            type=update_type,
            params=params,
            created_at=self.state.now(),
            duration=config.update_duration_seconds if duration is None else float(duration),
            client_request_token=token,
            fail_errors=normalize_errors(fail.get("errors")) if isinstance(fail, dict) else None,
            disable_key_arn=disable_key_arn,
            on_success=on_success,
        )
        self.updates.setdefault(self._where(region, cluster.name), []).append(update)
        if token:
            self.tokens[(*self._where(region, cluster.name), token)] = update
        cluster.status = "UPDATING"
        # A zero duration finishes at once.
        self.settle(self.state.now())
        return update

    # -- request handlers ------------------------------------------------

    def handle(self, req: AwsRequest) -> Reply | None:
        """Serve ``req`` if it is one of the added operations, else None."""
        handler = {
            "AssociateEncryptionConfig": self.associate_encryption_config,
            "DescribeUpdate": self.describe_update,
            "ListUpdates": self.list_updates,
            "ListClusters": self.list_clusters,
            "DeleteCluster": self.guard_delete_cluster,
            "DescribeCluster": self.missing_cluster_as_client_exception,
        }.get(req.operation)
        if handler is None:
            return None
        try:
            return handler(req)
        except EksError as err:
            return err.reply()

    def after_moto(self, req: AwsRequest, reply: Reply) -> Reply:
        """Follow up on an EKS operation moto answered."""
        if reply.status != 200:
            return reply
        if req.operation == "CreateCluster":
            self.normalize_cluster_keys(req.region)
            payload = reply.json()
            cluster = backend(req.region).clusters.get(
                (payload or {}).get("cluster", {}).get("name", ""))
            if cluster is not None and cluster.encryption_config:
                payload["cluster"]["encryptionConfig"] = cluster.encryption_config
                reply.body = json.dumps(payload).encode()
                eks_health.grant_for_cluster(cluster, req.region)
        elif req.operation == "DescribeCluster":
            payload = reply.json() or {}
            cluster = backend(req.region).clusters.get(req.path_params["name"])
            if cluster is not None and isinstance(payload.get("cluster"), dict):
                payload["cluster"]["health"] = eks_health.health(cluster, req.region)
                reply.body = json.dumps(payload).encode()
        elif req.operation == "DeleteCluster":
            self.forget_cluster(req.region, req.path_params["name"])
        return reply

    def missing_cluster_as_client_exception(self, req: AwsRequest) -> Reply | None:
        """DescribeCluster of a missing cluster as ClientException, when configured.

        terraform-provider-aws (internal/service/eks/cluster.go, FindClusterByName):
        "Sometimes the EKS API returns the ResourceNotFound error in this form:
        ClientException: No cluster found for name: tf-acc-test-0o1f8". Otherwise
        moto answers (ResourceNotFoundException, 404).
        """
        if self.state.config.missing_cluster_error != "ClientException":
            return None
        name = req.path_params["name"]
        if name in backend(req.region).clusters:
            return None
        raise EksError("ClientException", 400, f"No cluster found for name: {name}.")

    def guard_delete_cluster(self, req: AwsRequest) -> Reply | None:
        """DeleteCluster is refused (409) while an update is in progress; else moto serves it."""
        name = req.path_params["name"]
        running = self.in_progress(req.region, name)
        if running is not None and name in backend(req.region).clusters:
            raise EksError("ResourceInUseException", 409,
                           f"Cannot delete because cluster {name} currently has update "
                           f"{running.id} in progress", clusterName=name)
        return None

    def _cluster(self, region: str, name: str) -> Cluster:
        cluster = backend(region).clusters.get(name)
        if cluster is None:
            raise not_found(f"No cluster found for name: {name}.")
        return cluster

    def associate_encryption_config(self, req: AwsRequest) -> Reply:
        """AssociateEncryptionConfig, validated in EKS's order."""
        region, name = req.region, req.path_params["name"]
        body = req.json_body()
        cluster = self._cluster(region, name)

        token = body.get("clientRequestToken")
        if token and (*self._where(region, name), token) in self.tokens:
            return json_reply({"update": self.tokens[(*self._where(region, name), token)].to_json()})

        if cluster.encryption_config:
            raise invalid_parameter(ALREADY_ENCRYPTED_MSG, clusterName=name)
        running = self.in_progress(region, name)
        if running is not None:
            raise EksError(
                "ResourceInUseException", 409,
                f"Cannot AssociateEncryptionConfig because cluster {name} currently has update "
                f"{running.id} in progress",
                clusterName=name)
        if cluster.status != "ACTIVE":
            raise EksError("InvalidRequestException", 400,
                           f"Cluster '{name}' is not in ACTIVE status", clusterName=name)

        key_arn = self._validate_encryption_config(body.get("encryptionConfig"), region)
        refusal = kms_access.eks_grant_refusal(self.state.access, req, key_arn)
        if refusal:
            # EKS creates its grant as the caller, synchronously (see kms_access).
            raise EksError("InvalidRequestException", 400, refusal, clusterName=name)
        config = [{"resources": ["secrets"], "provider": {"keyArn": key_arn}}]

        def apply(target: Cluster) -> None:
            target.encryption_config = json.loads(json.dumps(config))
            eks_health.grant_for_cluster(target, region)

        update = self.start_update(
            region, cluster, "AssociateEncryptionConfig",
            [{"type": "EncryptionConfig", "value": json.dumps(config)}],
            token=token,
            disable_key_arn=key_arn if self.state.config.disable_key_mid_update else None,
            on_success=apply,
        )
        return json_reply({"update": update.to_json()})

    def _validate_encryption_config(self, configs: Any, region: str) -> str:
        """Check the request's encryptionConfig and return the resolved key ARN."""
        if not isinstance(configs, list) or not configs:
            raise invalid_parameter("encryptionConfig is required")
        if len(configs) != 1:
            raise invalid_parameter("Only one encryption config is allowed")
        config = configs[0] if isinstance(configs[0], dict) else {}
        resources = config.get("resources")
        if resources != ["secrets"]:
            raise invalid_parameter(
                f"Unsupported resources {json.dumps(resources)}: only [\"secrets\"] can be encrypted")
        provider = config.get("provider") if isinstance(config.get("provider"), dict) else {}
        reference = provider.get("keyArn")
        if not reference or not isinstance(reference, str):
            raise invalid_parameter("KeyArn is required")
        return validate_key(reference, region)

    def describe_update(self, req: AwsRequest) -> Reply:
        """DescribeUpdate."""
        region, name = req.region, req.path_params["name"]
        self._cluster(region, name)
        update_id = req.path_params["updateId"]
        if not req.query_param("nodegroupName") and not req.query_param("addonName"):
            for update in self.updates.get(self._where(region, name), []):
                if update.id == update_id:
                    return json_reply({"update": update.to_json()})
        raise not_found(f"No update found for ID: {update_id}.")

    def list_updates(self, req: AwsRequest) -> Reply:
        """ListUpdates: update ids, paginated by ``maxResults`` and ``nextToken``.

        The ListUpdates API reference
        (https://docs.aws.amazon.com/eks/latest/APIReference/API_ListUpdates.html)
        documents ``maxResults`` (1-100) and ``nextToken`` paging but no order, so
        the order is a knob (``list_updates_order``: newest or oldest first), as
        is the page size used when the request sets no ``maxResults``.
        """
        region, name = req.region, req.path_params["name"]
        self._cluster(region, name)
        config = self.state.config
        if req.query_param("nodegroupName") or req.query_param("addonName"):
            ids: list[str] = []
        else:
            ids = [u.id for u in self.updates.get(self._where(region, name), [])]
            if config.list_updates_order != "oldest_first":
                ids.reverse()
        try:
            start = int(req.query_param("nextToken") or 0)
            limit = int(req.query_param("maxResults") or config.list_updates_page_size)
        except ValueError:
            raise invalid_parameter("nextToken and maxResults must be integers") from None
        if not 1 <= limit <= 100:
            raise invalid_parameter("maxResults must be between 1 and 100")
        page = ids[start:start + limit]
        next_token = str(start + limit) if start + limit < len(ids) else None
        return json_reply({"updateIds": page, "nextToken": next_token})

    def list_clusters(self, req: AwsRequest) -> Reply:
        """ListClusters: cluster names in a stable (sorted) order, paged.

        ListClusters API reference
        (https://docs.aws.amazon.com/eks/latest/APIReference/API_ListClusters.html):
        ``maxResults`` "can be between 1 and 100. If you don't use this parameter,
        100 results and a nextToken value, if applicable, are returned"; ``nextToken``
        "should be treated as an opaque identifier"; it "is null when there are no
        more results to return". Its errors include InvalidParameterException
        ("The specified parameter is invalid"), which the emulator gives for a
        ``maxResults`` outside 1-100 or a token it did not issue (the messages are
        the emulator's). moto pages too, but accepts any ``maxResults`` and uses the
        next cluster's name as the token, which breaks when that cluster is deleted
        between pages; here the token encodes the last name served, so a page always
        continues after it.

        The page size without ``maxResults`` is the ``list_clusters_page_size`` knob
        (default 100, as documented). Clusters named in the ``delete_after_list``
        knob are deleted right after a page naming them is served (a cluster deleted
        between ListClusters and DescribeCluster).
        """
        config = self.state.config
        raw_max = req.query_param("maxResults")
        try:
            limit = int(raw_max) if raw_max else config.list_clusters_page_size
        except ValueError:
            raise invalid_parameter("maxResults must be an integer between 1 and 100") from None
        if not 1 <= limit <= 100:
            raise invalid_parameter("maxResults must be an integer between 1 and 100")
        names = sorted(backend(req.region).clusters)
        token = req.query_param("nextToken")
        if token:
            after = decode_list_token(token)
            names = [n for n in names if n > after]
        page = names[:limit]
        next_token = encode_list_token(page[-1]) if len(names) > limit else None
        doomed = [n for n in page if n in config.delete_after_list]
        for name in doomed:
            backend(req.region).clusters.pop(name, None)
            self.forget_cluster(req.region, name)
            config.delete_after_list.remove(name)
        return json_reply({"clusters": page, "nextToken": next_token})

    # -- moto response fix-ups -------------------------------------------

    def normalize_cluster_keys(self, region: str) -> None:
        """Store key ARNs, not aliases, in clusters' encryption configs (after CreateCluster)."""
        for cluster in backend(region).clusters.values():
            for config in cluster.encryption_config or []:
                provider = config.get("provider") or {}
                reference = provider.get("keyArn")
                if isinstance(reference, str):
                    provider["keyArn"] = kms_ext.resolve_key_arn(reference, region) or reference


_TOKEN_PREFIX = "emu-clusters:"


def encode_list_token(last_name: str) -> str:
    """The opaque ListClusters ``nextToken`` continuing after ``last_name``."""
    return base64.urlsafe_b64encode((_TOKEN_PREFIX + last_name).encode()).decode()


def decode_list_token(token: str) -> str:
    """The last name served before a ListClusters ``nextToken`` (InvalidParameterException if foreign)."""
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(_TOKEN_PREFIX):
        raise invalid_parameter("The nextToken is not valid")
    return text[len(_TOKEN_PREFIX):]


def validate_key(reference: str, region: str) -> str:
    """Check that a key is usable for EKS secrets encryption; return its ARN.

    The key must exist in the cluster's region, be ``Enabled``,
    ``SYMMETRIC_DEFAULT`` and ``ENCRYPT_DECRYPT``; otherwise
    InvalidParameterException.
    """
    ref = kms_ext.parse_key_ref(reference, region)
    if ref is None:
        raise invalid_parameter(f"Invalid KMS key ARN or alias: {reference}")
    if ref.region != region:
        raise invalid_parameter(
            f"KMS key {reference} is in region {ref.region}; it must be in the cluster's region {region}")
    key = kms_ext.find_key(ref)
    if key is None:
        raise invalid_parameter(f"KMS key {reference} does not exist in region {region}")
    if key.key_state != "Enabled":
        raise invalid_parameter(f"KMS key {key.arn} is not enabled (key state: {key.key_state})")
    if key.key_spec != "SYMMETRIC_DEFAULT":
        raise invalid_parameter(
            f"KMS key {key.arn} must be a symmetric key (key spec: {key.key_spec})")
    if (key.key_usage or "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        raise invalid_parameter(
            f"KMS key {key.arn} must have key usage ENCRYPT_DECRYPT (key usage: {key.key_usage})")
    return key.arn


def create_cluster(*, name: str, region: str, version: str = "1.31", key_arn: str | None = None,
                   status: str = "ACTIVE") -> Cluster:
    """Create a cluster directly in moto's backend (control API and seeds)."""
    be = backend(region)
    if name in be.clusters:
        raise ValueError(f"cluster {name} already exists in {region}")
    cluster = be.create_cluster(
        name=name,
        role_arn=DEFAULT_ROLE_ARN,
        resources_vpc_config=json.loads(json.dumps(DEFAULT_VPC_CONFIG)),
        version=version,
    )
    cluster.status = status
    if key_arn:
        set_cluster_key(cluster, key_arn, region)
    return cluster


def set_cluster_key(cluster: Cluster, key_arn: str, region: str) -> None:
    """Out-of-band association: write the encryption config directly (aliases resolved)."""
    resolved = kms_ext.resolve_key_arn(key_arn, region) or key_arn
    cluster.encryption_config = [{"resources": ["secrets"], "provider": {"keyArn": resolved}}]
    # EKS's grant on the key, as an association through the API makes it (eks_health).
    eks_health.grant_for_cluster(cluster, region)


def cluster_json(cluster: Cluster) -> dict[str, Any]:
    """The control API's view of a cluster."""
    return {"name": cluster.name, "arn": cluster.arn, "version": cluster.version,
            "status": cluster.status}
