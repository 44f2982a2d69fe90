"""KMS tweaks on top of moto, and key helpers shared by EKS and the control API.

:func:`install` patches moto's KMS model once per process:

* ``DescribeKey`` (and every other KeyMetadata rendering) reports
  ``KeyManager=AWS`` for keys created as AWS managed and for any key behind an
  ``alias/aws/*`` alias; moto reports ``CUSTOMER`` for every key;
* a key created without ``KeyUsage`` gets ``ENCRYPT_DECRYPT`` (AWS's default;
  moto stores and renders ``null``), and ``MultiRegion`` renders ``false``
  instead of ``null``;
* ``EnableKey``, ``DisableKey``, ``ScheduleKeyDeletion`` and
  ``CancelKeyDeletion`` accept a key ARN as AWS does (moto only takes a raw key id).

State lives in moto's own backends (``kms_backends[account][region]``), so keys
made through the normal KMS API and through the control API are the same.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.kms.models import Key, KmsBackend, kms_backends

from . import accounts

KEY_STATES = ("Enabled", "Disabled", "PendingDeletion", "PendingImport", "Unavailable")

_installed = False


def install() -> None:
    """Patch moto's KMS model (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True

    original_to_dict = Key.to_dict
    original_create_key = KmsBackend.create_key

    def to_dict(self: Key) -> dict[str, Any]:
        result = original_to_dict(self)
        meta = result["KeyMetadata"]
        if is_aws_managed(self):
            meta["KeyManager"] = "AWS"
        if meta.get("KeyUsage") is None:
            meta["KeyUsage"] = "ENCRYPT_DECRYPT"
        if meta.get("MultiRegion") is None:
            meta["MultiRegion"] = False
        for name in ("EncryptionAlgorithms", "SigningAlgorithms"):
            if meta.get(name) is None:
                meta.pop(name, None)
        return result

    def create_key(self: KmsBackend, policy: Any, key_usage: Any, *args: Any, **kwargs: Any) -> Key:
        return original_create_key(self, policy, key_usage or "ENCRYPT_DECRYPT", *args, **kwargs)

    Key.to_dict = to_dict  # type: ignore[method-assign]
    KmsBackend.create_key = create_key  # type: ignore[method-assign]
    for name in ("enable_key", "disable_key", "schedule_key_deletion", "cancel_key_deletion"):
        setattr(KmsBackend, name, _accepting_key_arn(getattr(KmsBackend, name)))


def _accepting_key_arn(method: Any) -> Any:
    """Wrap a ``KmsBackend`` method taking a raw key id so it also takes a key ARN."""

    @functools.wraps(method)
    def wrapper(self: KmsBackend, key_id: str, *args: Any, **kwargs: Any) -> Any:
        return method(self, self.get_key_id(key_id), *args, **kwargs)

    return wrapper


def is_aws_managed(key: Key) -> bool:
    """True for keys created as AWS managed or reachable through ``alias/aws/*``."""
    return key.key_manager == "AWS" or any(a.startswith("alias/aws/") for a in key.aliases)


def backend(region: str, account: str | None = None) -> KmsBackend:
    """moto's KMS backend for ``account`` (default: the request's, see :mod:`.accounts`)/``region``."""
    return kms_backends[account or accounts.current()][region]


@dataclass
class KeyRef:
    """Where a key reference (id, key ARN, alias name or alias ARN) points."""

    reference: str
    region: str
    account: str
    #: Raw key id or alias name the reference names inside ``region``.
    local: str

    @property
    def is_alias(self) -> bool:
        """Whether the reference names an alias."""
        return self.local.startswith("alias/")


def parse_key_ref(reference: str, default_region: str,
                  default_account: str | None = None) -> KeyRef | None:
    """Split a key reference into region, account and local name (None if malformed).

    A key id or alias name is in ``default_account``, else the request's account.
    """
    default_account = default_account or accounts.current()
    if reference.startswith("arn:"):
        parts = reference.split(":", 5)
        if len(parts) != 6 or parts[2] != "kms" or not parts[3] or not parts[4]:
            return None
        resource = parts[5]
        if resource.startswith("key/"):
            local = resource[len("key/"):]
        elif resource.startswith("alias/"):
            local = resource
        else:
            return None
        return KeyRef(reference, parts[3], parts[4], local) if local.strip("/") else None
    if not reference:
        return None
    return KeyRef(reference, default_region, default_account, reference)


def find_key(ref: KeyRef) -> Key | None:
    """Look a parsed reference up without side effects (None when absent).

    Unlike moto's own alias lookup this never creates moto's lazily generated
    default ``alias/aws/*`` keys.
    """
    be = backend(ref.region, ref.account)
    if ref.is_alias:
        for key in be.keys.values():
            if ref.local in key.aliases:
                return key
        return None
    return be.keys.get(ref.local)


def resolve_key_arn(reference: str, region: str) -> str | None:
    """The key ARN behind any key reference, or None if no such key exists."""
    ref = parse_key_ref(reference, region)
    key = find_key(ref) if ref else None
    return key.arn if key else None


def create_key(*, region: str, alias: str | None = None, description: str = "",
               key_spec: str = "SYMMETRIC_DEFAULT", key_usage: str = "ENCRYPT_DECRYPT",
               state: str = "Enabled", aws_managed: bool = False, rotation: bool = False,
               pending_window_days: int = 30, account: str = DEFAULT_ACCOUNT_ID) -> Key:
    """Create a key directly in moto's backend (of ``account``), then put it in ``state``."""
    be = backend(region, account)
    if alias is not None:
        if not alias.startswith("alias/") or len(alias) <= len("alias/"):
            raise ValueError("alias must look like 'alias/NAME'")
        if be.alias_exists(alias):
            raise ValueError(f"alias {alias} already exists in {region}")
    if state not in KEY_STATES:
        raise ValueError(f"state must be one of {', '.join(KEY_STATES)}")
    key = be.create_key(None, key_usage, key_spec, description, None)
    if aws_managed:
        key.key_manager = "AWS"
    if rotation and key_spec == "SYMMETRIC_DEFAULT":
        key.key_rotation_status = True
    if alias is not None:
        be.create_alias(key.id, alias)
    set_key_state(key, state, region=region, pending_window_days=pending_window_days)
    return key


def set_key_state(key: Key, state: str, *, region: str, pending_window_days: int = 30) -> None:
    """Move ``key`` to ``state`` the way the matching KMS operation would."""
    be = backend(region, key.account_id)
    if state == "Enabled":
        be.enable_key(key.id)
        key.deletion_date = None
    elif state == "Disabled":
        be.disable_key(key.id)
        key.deletion_date = None
    elif state == "PendingDeletion":
        if not 7 <= int(pending_window_days) <= 30:
            raise ValueError("pending_window_days must be between 7 and 30")
        be.schedule_key_deletion(key.id, int(pending_window_days))
    elif state in ("PendingImport", "Unavailable"):
        key.enabled = False
        key.key_state = state
        key.deletion_date = None
    else:
        raise ValueError(f"state must be one of {', '.join(KEY_STATES)}")


def key_json(key: Key) -> dict[str, Any]:
    """The control API's view of a key."""
    alias_arns = [a.alias_arn for a in key.aliases.values()]
    return {
        "key_id": key.id,
        "key_arn": key.arn,
        "alias_arn": alias_arns[0] if alias_arns else None,
        "state": key.key_state,
        "key_manager": "AWS" if is_aws_managed(key) else "CUSTOMER",
    }
