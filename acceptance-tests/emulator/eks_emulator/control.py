"""The control API under ``/_emulator`` (JSON over HTTP; never logged, never faulted).

See ``notes/emulator-api.md`` for the contract. ``region`` defaults to
``us-east-1`` in every body. Errors are ``{"error": message}`` with 400, 404 or 409.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import TYPE_CHECKING, Any, Callable

from . import accounts, eks_ext, eks_health, kms_access, kms_ext, seed
from .faults import Fault, FaultSpecError
from .http import Reply

if TYPE_CHECKING:
    from .state import EmulatorState

PREFIX = "/_emulator"


class ControlError(Exception):
    """A control-API request that cannot be served."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def ok(payload: Any, status: int = 200) -> Reply:
    """A JSON control reply."""
    return Reply(status, [("Content-Type", "application/json")], json.dumps(payload).encode())


class ControlApi:
    """Routes ``/_emulator/*`` requests to handlers."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Reply]]] = [
            (method, re.compile(f"^{PREFIX}{pattern}$"), handler)
            for method, pattern, handler in [
                ("GET", "/health", self.health),
                ("POST", "/reset", self.reset),
                ("GET", "/config", self.get_config),
                ("POST", "/config", self.set_config),
                ("POST", "/keys", self.create_key),
                ("POST", "/keys/(?P<key_id>.+)/state", self.set_key_state),
                ("DELETE", "/keys/(?P<key_id>.+)", self.delete_key),
                ("POST", "/aliases", self.retarget_alias),
                ("POST", "/clock", self.advance_clock),
                ("POST", "/clusters/(?P<name>[^/]+)/recreate", self.recreate_cluster),
                ("POST", "/clusters/bulk", self.create_clusters),
                ("POST", "/clusters/(?P<name>[^/]+)/revoke-grant", self.revoke_cluster_grant),
                ("POST", "/clusters", self.create_cluster),
                ("DELETE", "/clusters/(?P<name>[^/]+)", self.delete_cluster),
                ("POST", "/clusters/(?P<name>[^/]+)/encryption", self.set_encryption),
                ("POST", "/updates", self.create_update),
                ("GET", "/faults", self.list_faults),
                ("POST", "/faults", self.add_fault),
                ("DELETE", "/faults", self.clear_faults),
                ("GET", "/requests", self.list_requests),
                ("DELETE", "/requests", self.clear_requests),
                *self.access_routes(),
            ]
        ]

    def access_routes(self) -> list[tuple[str, str, Callable[..., Reply]]]:
        """Routes for principals (:mod:`.kms_access`) and cluster creation time (:mod:`.cluster_timing`)."""
        return [
            ("POST", "/principals", lambda body: ok(self.state.access.register(body))),
            ("POST", "/cluster-creation", lambda body: ok(self.state.timing.configure(body))),
        ]

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Reply:
        """Serve one control request."""
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError:
            return ok({"error": "body must be JSON"}, 400)
        if not isinstance(payload, dict):
            return ok({"error": "body must be a JSON object"}, 400)
        if "region" not in payload and query.get("region"):
            payload["region"] = query["region"][0]
        path = path.rstrip("/") or path
        known_path = False
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if not match:
                continue
            known_path = True
            if route_method != method:
                continue
            try:
                with self.state.lock:
                    self.state.settle()
                    return handler(payload, **match.groupdict())
            except ControlError as err:
                return ok({"error": str(err)}, err.status)
            except (ValueError, TypeError, KeyError) as err:
                return ok({"error": str(err)}, 400)
        if known_path:
            return ok({"error": f"method {method} not allowed on {path}"}, 405)
        return ok({"error": f"no control route {method} {path}"}, 404)

    # -- general ---------------------------------------------------------

    def health(self, body: dict[str, Any]) -> Reply:
        """``GET /health``."""
        return ok({"ok": True})

    def reset(self, body: dict[str, Any]) -> Reply:
        """``POST /reset``: forget everything; ``{"seed": "quickstart"}`` re-seeds."""
        self.state.reset()
        if body.get("seed"):
            seed.apply(body["seed"], self.state)
        return ok({"ok": True})

    def get_config(self, body: dict[str, Any]) -> Reply:
        """``GET /config``."""
        return ok(self.state.config.to_json())

    def set_config(self, body: dict[str, Any]) -> Reply:
        """``POST /config`` with any subset of the knobs."""
        config = self.state.config
        unknown = set(body) - {"update_duration_seconds", "fail_next_update",
                               "disable_key_mid_update", "missing_cluster_error",
                               "list_updates_order", "list_updates_page_size",
                               "list_clusters_page_size", "delete_after_list", "region"}
        if unknown:
            raise ControlError(400, f"unknown config keys: {', '.join(sorted(unknown))}")
        if "update_duration_seconds" in body:
            duration = float(body["update_duration_seconds"])
            if duration < 0:
                raise ControlError(400, "update_duration_seconds must be >= 0")
            config.update_duration_seconds = duration
        if "fail_next_update" in body:
            fail = body["fail_next_update"]
            if fail is not None and not isinstance(fail, dict):
                raise ControlError(400, "fail_next_update must be an object or null")
            config.fail_next_update = fail
        if "disable_key_mid_update" in body:
            config.disable_key_mid_update = bool(body["disable_key_mid_update"])
        if "missing_cluster_error" in body:
            value = body["missing_cluster_error"]
            if value not in ("ResourceNotFoundException", "ClientException"):
                raise ControlError(400, "missing_cluster_error must be ResourceNotFoundException "
                                        "or ClientException")
            config.missing_cluster_error = value
        if "list_updates_order" in body:
            if body["list_updates_order"] not in ("newest_first", "oldest_first"):
                raise ControlError(400, "list_updates_order must be newest_first or oldest_first")
            config.list_updates_order = body["list_updates_order"]
        if "list_updates_page_size" in body:
            size = body["list_updates_page_size"]
            if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 100:
                raise ControlError(400, "list_updates_page_size must be an integer from 1 to 100")
            config.list_updates_page_size = size
        if "list_clusters_page_size" in body:
            size = body["list_clusters_page_size"]
            if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 100:
                raise ControlError(400, "list_clusters_page_size must be an integer from 1 to 100")
            config.list_clusters_page_size = size
        if "delete_after_list" in body:
            names = body["delete_after_list"]
            if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
                raise ControlError(400, "delete_after_list must be a list of cluster names")
            config.delete_after_list = list(names)
        return ok(config.to_json())

    # -- KMS -------------------------------------------------------------

    def create_key(self, body: dict[str, Any]) -> Reply:
        """``POST /keys``."""
        key = kms_ext.create_key(
            region=body.get("region", "us-east-1"),
            alias=body.get("alias"),
            description=body.get("description") or "",
            key_spec=body.get("key_spec", "SYMMETRIC_DEFAULT"),
            key_usage=body.get("key_usage", "ENCRYPT_DECRYPT"),
            state=body.get("state", "Enabled"),
            aws_managed=bool(body.get("aws_managed", False)),
            rotation=bool(body.get("rotation", False)),
            pending_window_days=int(body.get("pending_window_days", 30)),
            account=str(body.get("account") or kms_ext.DEFAULT_ACCOUNT_ID),
        )
        kms_access.apply_key_extras(key, body)
        return ok(kms_ext.key_json(key))

    def set_key_state(self, body: dict[str, Any], key_id: str) -> Reply:
        """``POST /keys/{key_id}/state`` (key id, key ARN or alias)."""
        region = body.get("region", "us-east-1")
        ref = kms_ext.parse_key_ref(key_id, region)
        key = kms_ext.find_key(ref) if ref else None
        if key is None:
            raise ControlError(404, f"no key {key_id} in {region}")
        kms_ext.set_key_state(key, body.get("state", ""), region=ref.region,  # type: ignore[union-attr]
                              pending_window_days=int(body.get("pending_window_days", 7)))
        return ok(kms_ext.key_json(key))

    def delete_key(self, body: dict[str, Any], key_id: str) -> Reply:
        """``DELETE /keys/{key_id}``: the key is gone, as at the end of its deletion waiting period.

        "When the waiting period expires, AWS KMS deletes the KMS key" (ScheduleKeyDeletion,
        KMS API reference, https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html);
        afterwards every call naming it is NotFoundException. Takes a key id or key ARN.
        """
        region = body.get("region", "us-east-1")
        ref = kms_ext.parse_key_ref(key_id, region)
        key = kms_ext.find_key(ref) if ref and not ref.is_alias else None
        if key is None:
            raise ControlError(404, f"no key {key_id} in {region}")
        be = kms_ext.backend(ref.region, ref.account)  # type: ignore[union-attr]
        for alias in list(key.aliases):
            be.delete_alias(alias)
        del be.keys[key.id]
        return ok({"ok": True, "key_arn": key.arn})

    def retarget_alias(self, body: dict[str, Any]) -> Reply:
        """``POST /aliases`` ``{"alias": "alias/x", "target_key": ID-or-ARN}``.

        Moves an alias to another key, as KMS UpdateAlias does ("Associates an
        existing KMS alias with a different KMS key",
        https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateAlias.html):
        for example while a saved plan waits to be applied.
        """
        region = body.get("region", "us-east-1")
        alias, target = body.get("alias"), body.get("target_key")
        if not isinstance(alias, str) or not alias.startswith("alias/"):
            raise ControlError(400, "alias must look like 'alias/NAME'")
        ref = kms_ext.parse_key_ref(str(target or ""), region)
        key = kms_ext.find_key(ref) if ref else None
        if key is None:
            raise ControlError(404, f"no key {target} in {region}")
        be = kms_ext.backend(ref.region)  # type: ignore[union-attr]
        if kms_ext.resolve_key_arn(alias, region) is None:
            raise ControlError(404, f"no alias {alias} in {region}")
        be.update_alias(key.id, alias)
        return ok(kms_ext.key_json(key))

    def advance_clock(self, body: dict[str, Any]) -> Reply:
        """``POST /clock`` ``{"advance_seconds": N}``: move the virtual clock forward.

        Updates keep EKS's lifecycle (InProgress, then Successful or Failed) and
        their real-world durations (associations take 45 to 60 minutes and more),
        but a test can make the time pass at once.
        """
        seconds = body.get("advance_seconds")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ControlError(400, "advance_seconds must be a non-negative number")
        self.state.clock_offset += float(seconds)
        self.state.settle()
        return ok({"offset_seconds": self.state.clock_offset})

    # -- EKS -------------------------------------------------------------

    def create_cluster(self, body: dict[str, Any]) -> Reply:
        """``POST /clusters``."""
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ControlError(400, "name is required")
        region = body.get("region", "us-east-1")
        account = body.get("account")
        if account is not None and not (isinstance(account, str) and re.fullmatch(r"\d{12}", account)):
            raise ControlError(400, "account must be a 12-digit account id")
        # A cluster of another account is served to that account's callers only
        # (see accounts); its key references resolve in that account too.
        with accounts.serving(account):
            if name in eks_ext.backend(region).clusters:
                raise ControlError(409, f"cluster {name} already exists in {region}")
            cluster = eks_ext.create_cluster(
                name=name, region=region, version=str(body.get("version", "1.31")),
                key_arn=body.get("key_arn"), status=body.get("status", "ACTIVE"))
            self.state.timing.start(region, cluster, float(body.get("creating_seconds") or 0))
            return ok(eks_ext.cluster_json(cluster))

    def create_clusters(self, body: dict[str, Any]) -> Reply:
        """``POST /clusters/bulk``: many clusters in one request.

        Body: ``{"clusters": [{"name", "key_arn"?, "version"?, "status"?}, ...]}`` or
        ``{"count": N, "name_prefix": "c-", "key_arn"?: ..., "version"?, "status"?}``
        (names ``c-0000`` ... zero padded to four digits), plus ``region`` and ``account``.
        All or nothing: an existing or repeated name is a 409 before any is created.
        """
        region = body.get("region", "us-east-1")
        account = body.get("account")
        if account is not None and not (isinstance(account, str) and re.fullmatch(r"\d{12}", account)):
            raise ControlError(400, "account must be a 12-digit account id")
        shared = {k: body[k] for k in ("key_arn", "version", "status") if k in body}
        if "clusters" in body:
            specs = body["clusters"]
            if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
                raise ControlError(400, "clusters must be a list of objects")
            specs = [{**shared, **s} for s in specs]
        elif "count" in body:
            count = body["count"]
            if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 5000:
                raise ControlError(400, "count must be an integer from 1 to 5000")
            prefix = str(body.get("name_prefix") or "cluster-")
            specs = [{**shared, "name": f"{prefix}{i:04d}"} for i in range(count)]
        else:
            raise ControlError(400, "give clusters or count")
        names = [s.get("name") for s in specs]
        if not all(isinstance(n, str) and n for n in names):
            raise ControlError(400, "every cluster needs a name")
        if len(set(names)) != len(names):
            raise ControlError(409, "the same cluster name is given twice")
        with accounts.serving(account):
            be = eks_ext.backend(region)
            existing = [n for n in names if n in be.clusters]
            if existing:
                raise ControlError(409, f"clusters already exist in {region}: {', '.join(existing[:5])}")
            created = [eks_ext.create_cluster(
                name=s["name"], region=region, version=str(s.get("version", "1.31")),
                key_arn=s.get("key_arn"), status=s.get("status", "ACTIVE")) for s in specs]
            return ok({"clusters": [eks_ext.cluster_json(c) for c in created]})

    def revoke_cluster_grant(self, body: dict[str, Any], name: str) -> Reply:
        """``POST /clusters/{name}/revoke-grant``: revoke EKS's grant on the cluster's key.

        The same as KMS RevokeGrant of that grant (see :mod:`.eks_health`); afterwards
        DescribeCluster reports ``KmsGrantRevoked``. 404 when the cluster holds no grant.
        """
        region = body.get("region", "us-east-1")
        cluster = self._cluster(name, region)
        try:
            return ok(eks_health.revoke_grant(cluster, region))
        except LookupError as err:
            raise ControlError(404, str(err)) from None

    def _cluster(self, name: str, region: str) -> Any:
        cluster = eks_ext.backend(region).clusters.get(name)
        if cluster is None:
            raise ControlError(404, f"no cluster {name} in {region}")
        return cluster

    def delete_cluster(self, body: dict[str, Any], name: str) -> Reply:
        """``DELETE /clusters/{name}``: out-of-band deletion."""
        region = body.get("region", "us-east-1")
        self._cluster(name, region)
        eks_ext.backend(region).clusters.pop(name)
        self.state.eks.forget_cluster(region, name)
        return ok({"ok": True})

    def recreate_cluster(self, body: dict[str, Any], name: str) -> Reply:
        """``POST /clusters/{name}/recreate``: delete and create again under the same name.

        A cluster's ARN is built from its name (``arn:aws:eks:REGION:ACCOUNT:
        cluster/NAME``, Service Authorization Reference, Amazon EKS resource
        types), so the new cluster has the old ARN; its ``createdAt`` is new, and
        it has no encryption config unless ``key_arn`` is given.
        """
        region = body.get("region", "us-east-1")
        old = self._cluster(name, region)
        old_created = old.created_at
        version = str(body.get("version", old.version))
        eks_ext.backend(region).clusters.pop(name)
        self.state.eks.forget_cluster(region, name)
        cluster = eks_ext.create_cluster(name=name, region=region, version=version,
                                         key_arn=body.get("key_arn"))
        if not cluster.created_at > old_created:
            cluster.created_at = old_created + datetime.timedelta(seconds=1)
        return ok(eks_ext.cluster_json(cluster))

    def set_encryption(self, body: dict[str, Any], name: str) -> Reply:
        """``POST /clusters/{name}/encryption``: out-of-band association (drift)."""
        region = body.get("region", "us-east-1")
        cluster = self._cluster(name, region)
        key_arn = body.get("key_arn")
        if key_arn:
            eks_ext.set_cluster_key(cluster, key_arn, region)
        else:
            cluster.encryption_config = []
            cluster.emulator_grant = None
        return ok({**eks_ext.cluster_json(cluster),
                   "encryption_config": cluster.encryption_config})

    def create_update(self, body: dict[str, Any]) -> Reply:
        """``POST /updates``: start an unrelated InProgress update on a cluster."""
        region = body.get("region", "us-east-1")
        cluster = self._cluster(body.get("cluster", ""), region)
        update_type = body.get("type", "VersionUpdate")
        params = [{"type": "Version", "value": cluster.version},
                  {"type": "PlatformVersion", "value": cluster.platformVersion}] \
            if update_type == "VersionUpdate" else []
        duration = body.get("duration_seconds")
        # ``disable_key_arn``: the key is disabled half way through this
        # update (a key disabled while the apply waits for another update).
        update = self.state.eks.start_update(
            region, cluster, update_type, params,
            duration=None if duration is None else float(duration),
            disable_key_arn=body.get("disable_key_arn"))
        return ok({"id": update.id})

    # -- faults and log --------------------------------------------------

    def list_faults(self, body: dict[str, Any]) -> Reply:
        """``GET /faults``."""
        return ok({"faults": self.state.faults.list()})

    def add_fault(self, body: dict[str, Any]) -> Reply:
        """``POST /faults``."""
        body.pop("region", None)
        try:
            fault = Fault.from_json(body)
        except FaultSpecError as err:
            raise ControlError(400, str(err)) from None
        self.state.faults.add(fault)
        return ok({"ok": True, "fault": fault.to_json()})

    def clear_faults(self, body: dict[str, Any]) -> Reply:
        """``DELETE /faults``."""
        self.state.faults.clear()
        return ok({"ok": True})

    def list_requests(self, body: dict[str, Any]) -> Reply:
        """``GET /requests``."""
        return ok({"requests": self.state.log.entries()})

    def clear_requests(self, body: dict[str, Any]) -> Reply:
        """``DELETE /requests``."""
        self.state.log.clear()
        return ok({"ok": True})
