"""Who may use a KMS key: callers, key policies, grants, keys of other accounts.

moto answers every KMS call for every caller and knows nothing about key policies
or other accounts. This module adds, for the calls the provider makes before and
during an association:

* **Callers.** A request's caller is the access key id in its SigV4 credential
  scope (:attr:`.awsreq.AwsRequest.access_key`). The control API (``POST /_emulator/principals``) names the principal
  behind an access key and can deny it KMS actions -- standing in for an IAM
  identity policy that lacks them. Unregistered keys are moto's default user.
* **Key policies.** :func:`policy_allows` evaluates a key's policy (moto keeps it
  as ``Key.policy``) for one caller and action: an explicit ``Deny`` wins, then an
  ``Allow`` whose principal is ``*``, the caller's ARN, or the caller's account
  (``arn:aws:iam::ACCOUNT:root`` or ``ACCOUNT``, which in AWS delegates to the
  account's IAM policies). Conditions are not evaluated.
  Source: "Key policies in AWS KMS" and "Allowing users in other accounts to use a
  KMS key" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html):
  cross-account use needs both the key policy of the key's account and the IAM
  policy of the caller's account.
* **CreateGrant with DryRun.** "DryRunOperationException - The request would have
  succeeded if DryRun were not specified"; "AccessDeniedException - You do not
  have permission to perform the specified API action"
  (AWS KMS Developer Guide, "Testing your permissions",
  https://docs.aws.amazon.com/kms/latest/developerguide/testing-permissions.html).
  Both are JSON 1.1 errors with HTTP 400 (botocore's KMS model gives no other
  status). The AccessDenied message follows what KMS returns, e.g. "User: ARN is
  not authorized to perform: kms:CreateGrant on resource: KEY because no
  identity-based policy allows the kms:CreateGrant action" (quoted in
  https://dev.classmethod.jp/articles/tsnote-kms-check-access-dry-run/).
  The key is named by key id or key ARN ("To specify a KMS key in a different
  AWS account, you must use the key ARN", CreateGrant API reference).
* **Keys owned by another account.** ``POST /_emulator/keys`` with ``account``
  creates the key in that account's moto backend; DescribeKey, GetKeyRotationStatus
  and CreateGrant with its key ARN are served here, subject to its key policy
  ("To perform this operation on a KMS key in a different AWS account, specify the
  key ARN", DescribeKey / GetKeyRotationStatus API reference).
* **Key custody.** ``origin`` (``AWS_KMS``, ``EXTERNAL``, ``AWS_CLOUDHSM``,
  ``EXTERNAL_KEY_STORE``), ``valid_to`` (epoch seconds; with ``EXTERNAL`` it sets
  ``ExpirationModel=KEY_MATERIAL_EXPIRES``) and ``custom_key_store_id`` appear in
  DescribeKey's KeyMetadata. "ValidTo: The earliest time at which any imported key
  material permanently associated with this KMS key expires ... present only for
  KMS keys whose Origin is EXTERNAL and the ExpirationModel is
  KEY_MATERIAL_EXPIRES" (KeyMetadata, KMS API reference).
* **The grant EKS makes for the caller.** :func:`eks_grant_refusal` is what
  AssociateEncryptionConfig and CreateCluster check: EKS creates a grant on the key
  as the caller, so a caller who may not describe the key or create grants gets a
  synchronous ``InvalidRequestException`` "User not authorized to perform
  kms:CreateGrant operation" (kubernetes-sigs/cluster-api-provider-aws #2432) or
  "... kms:DescribeKey operation" (aws-quickstart/quickstart-amazon-eks-cluster-resource-provider #25),
  HTTP 400. The EKS user guide asks for both permissions: "make sure that the
  kms:DescribeKey and kms:CreateGrant actions are permitted on the policy for the
  principal that calls the create-cluster API" ("Encrypt Kubernetes secrets with
  KMS on existing clusters").
"""

from __future__ import annotations

import fnmatch
import functools
import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.kms.models import Key, kms_backends

from . import accounts
from .http import Reply, json11_error, json_reply

if TYPE_CHECKING:
    from .awsreq import AwsRequest

ORIGINS = ("AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE")
#: Operations a grant on a symmetric encryption key may allow (CreateGrant API reference).
GRANT_OPERATIONS = {
    "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
    "ReEncryptTo", "CreateGrant", "RetireGrant", "DescribeKey", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify", "GetPublicKey", "GenerateMac",
    "VerifyMac", "DeriveSharedSecret",
}
#: KMS operations served here whenever the caller or the key's account calls for it.
OPERATIONS = ("CreateGrant", "DescribeKey", "GetKeyRotationStatus")


@dataclass
class Principal:
    """The identity behind one access key id."""

    arn: str
    #: KMS actions (``kms:CreateGrant`` ...) its identity policy does not allow.
    deny: set[str] = field(default_factory=set)

    @property
    def account(self) -> str:
        """The principal's account id (the fifth ARN field)."""
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 and parts[4] else DEFAULT_ACCOUNT_ID

    def to_json(self, access_key_id: str) -> dict[str, Any]:
        """The control API's view."""
        return {"access_key_id": access_key_id, "arn": self.arn, "deny": sorted(self.deny)}


def default_principal() -> Principal:
    """An unregistered caller: a principal of the account the request is served as
    (:mod:`.accounts`; moto's default account for credentials it did not issue, as its
    GetCallerIdentity reports, the role's account for assumed-role credentials)."""
    return Principal(arn=f"arn:aws:iam::{accounts.current()}:user/moto")


class KmsAccess:
    """Registered principals (reset with the emulator)."""

    def __init__(self) -> None:
        self.principals: dict[str, Principal] = {}
        self.lock = threading.RLock()

    def reset(self) -> None:
        """Forget every registered principal."""
        with self.lock:
            self.principals.clear()

    def principal(self, access_key_id: str) -> Principal:
        """The principal behind an access key id."""
        with self.lock:
            return self.principals.get(access_key_id) or default_principal()

    def register(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /_emulator/principals`` body ``{"access_key_id", "arn"?, "deny"?: [...]}``."""
        akid = body.get("access_key_id")
        if not isinstance(akid, str) or not akid:
            raise ValueError("access_key_id is required")
        arn = body.get("arn") or default_principal().arn
        if not isinstance(arn, str) or not arn.startswith("arn:aws:"):
            raise ValueError("arn must be an AWS principal ARN")
        deny = body.get("deny") or []
        if not isinstance(deny, list) or not all(isinstance(a, str) and a.startswith("kms:")
                                                 for a in deny):
            raise ValueError('deny must be a list of KMS actions such as "kms:CreateGrant"')
        with self.lock:
            self.principals[akid] = Principal(arn=arn, deny=set(deny))
            return self.principals[akid].to_json(akid)


# -- key policies ------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(spec: Any, caller: Principal) -> bool:
    if spec == "*":
        return True
    if not isinstance(spec, dict):
        return False
    for value in _as_list(spec.get("AWS", [])):
        if not isinstance(value, str):
            continue
        if value in ("*", caller.arn, caller.account,
                     f"arn:aws:iam::{caller.account}:root"):
            return True
    return False


def _action_matches(spec: Any, action: str) -> bool:
    return any(isinstance(a, str) and fnmatch.fnmatchcase(action.lower(), a.lower())
               for a in _as_list(spec))


def policy_decision(key: Key, caller: Principal, action: str) -> str:
    """``"allow"``, ``"explicit-deny"`` or ``"no-allow"`` for ``caller`` doing ``action`` on ``key``."""
    try:
        policy = json.loads(key.policy) if isinstance(key.policy, str) else key.policy
    except ValueError:
        return "no-allow"
    allowed = False
    for statement in _as_list((policy or {}).get("Statement", [])):
        if not isinstance(statement, dict):
            continue
        if not (_principal_matches(statement.get("Principal"), caller)
                and _action_matches(statement.get("Action", []), action)):
            continue
        if statement.get("Effect") == "Deny":
            return "explicit-deny"
        if statement.get("Effect") == "Allow":
            allowed = True
    return "allow" if allowed else "no-allow"


def policy_allows(key: Key, caller: Principal, action: str) -> bool:
    """Whether the key policy lets ``caller`` do ``action``."""
    return policy_decision(key, caller, action) == "allow"


def access_denied_message(caller: Principal, action: str, key: Key) -> str | None:
    """KMS's AccessDenied message when ``caller`` may not do ``action`` on ``key``, else None.

    Both sides must allow: the caller's identity policy (here: not denied through the
    control API) and the key policy.
    """
    if action in caller.deny:
        return (f"User: {caller.arn} is not authorized to perform: {action} on resource: "
                f"{key.arn} because no identity-based policy allows the {action} action")
    decision = policy_decision(key, caller, action)
    if decision == "explicit-deny":
        return (f"User: {caller.arn} is not authorized to perform: {action} on resource: "
                f"{key.arn} with an explicit deny in a resource-based policy")
    if decision == "no-allow":
        return (f"User: {caller.arn} is not authorized to perform: {action} on resource: "
                f"{key.arn} because no resource-based policy allows the {action} action")
    return None


# -- keys of any account -------------------------------------------------------


def find_key_by_id_or_arn(reference: str, region: str, caller_account: str) -> Key | None:
    """A key named by key id (caller's account) or key ARN (any account); aliases are None."""
    if reference.startswith("arn:"):
        parts = reference.split(":", 5)
        if len(parts) != 6 or parts[2] != "kms" or not parts[5].startswith("key/"):
            return None
        return kms_backends[parts[4]][parts[3]].keys.get(parts[5][len("key/"):])
    if reference.startswith("alias/"):
        return None
    return kms_backends[caller_account][region].keys.get(reference)


def foreign_key_arn(reference: str, caller_account: str) -> bool:
    """Whether ``reference`` is a key ARN in another account than the caller's."""
    parts = reference.split(":", 5)
    return reference.startswith("arn:") and len(parts) == 6 and parts[4] != caller_account


def apply_key_extras(key: Key, body: dict[str, Any]) -> None:
    """Set control-API-only key attributes: ``origin``, ``valid_to``, ``custom_key_store_id``, ``policy``."""
    origin = body.get("origin", "AWS_KMS")
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(ORIGINS)}")
    valid_to = body.get("valid_to")
    if valid_to is not None and origin != "EXTERNAL":
        raise ValueError("valid_to needs origin EXTERNAL (imported key material)")
    store = body.get("custom_key_store_id")
    if origin in ("AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"):
        store = store or "cks-1234567890abcdef0"
    elif store is not None:
        raise ValueError("custom_key_store_id needs origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE")
    key.origin = origin
    key.emulator_valid_to = None if valid_to is None else float(valid_to)  # type: ignore[attr-defined]
    key.emulator_custom_key_store_id = store  # type: ignore[attr-defined]
    policy = body.get("policy")
    if policy is not None:
        key.policy = policy if isinstance(policy, str) else json.dumps(policy)


_installed = False


def install() -> None:
    """Add ValidTo, ExpirationModel and the custom key store fields to KeyMetadata (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    original = Key.to_dict

    @functools.wraps(original)
    def to_dict(self: Key) -> dict[str, Any]:
        result = original(self)
        meta = result["KeyMetadata"]
        valid_to = getattr(self, "emulator_valid_to", None)
        if meta.get("Origin") == "EXTERNAL":
            meta["ExpirationModel"] = ("KEY_MATERIAL_EXPIRES" if valid_to is not None
                                       else "KEY_MATERIAL_DOES_NOT_EXPIRE")
            if valid_to is not None:
                meta["ValidTo"] = valid_to
        store = getattr(self, "emulator_custom_key_store_id", None)
        if store:
            meta["CustomKeyStoreId"] = store
            if meta.get("Origin") == "AWS_CLOUDHSM":
                meta["CloudHsmClusterId"] = "cluster-1234567890a"
            elif meta.get("Origin") == "EXTERNAL_KEY_STORE":
                meta["XksKeyConfiguration"] = {"Id": f"xks-{self.id}"}
        return result

    Key.to_dict = to_dict  # type: ignore[method-assign]


# -- KMS requests --------------------------------------------------------------


def _error(code: str, message: str) -> Reply:
    return json11_error(code, message, 400)


def handle(access: KmsAccess, req: AwsRequest) -> Reply | None:
    """Serve a KMS request that needs caller or cross-account semantics; None lets moto answer."""
    if req.operation not in OPERATIONS:
        return None
    caller = access.principal(req.access_key)
    body = req.json_body()
    reference = body.get("KeyId")
    if not isinstance(reference, str) or not reference:
        return None  # moto's own validation error
    foreign = foreign_key_arn(reference, caller.account)
    action = f"kms:{req.operation}"
    if req.operation == "CreateGrant":
        return create_grant(caller, req, body, reference)
    if not foreign and action not in caller.deny:
        return None
    key = find_key_by_id_or_arn(reference, req.region, caller.account) if foreign else \
        _find_local(reference, req.region, caller.account)
    if key is None:
        if foreign:
            return _error("NotFoundException", f"Key '{reference}' does not exist")
        return None
    denied = access_denied_message(caller, action, key)
    if denied:
        return _error("AccessDeniedException", denied)
    if req.operation == "DescribeKey":
        return json_reply(key.to_dict(), content_type="application/x-amz-json-1.1")
    return json_reply({"KeyRotationEnabled": bool(key.key_rotation_status), "KeyId": key.arn},
                      content_type="application/x-amz-json-1.1")


def _find_local(reference: str, region: str, account: str) -> Key | None:
    backend = kms_backends[account][region]
    if reference.startswith("alias/") or ":alias/" in reference:
        name = reference[reference.index("alias/"):]
        return next((k for k in backend.keys.values() if name in k.aliases), None)
    return find_key_by_id_or_arn(reference, region, account)


def create_grant(caller: Principal, req: AwsRequest, body: dict[str, Any],
                 reference: str) -> Reply:
    """CreateGrant, with authorization, key state checks and DryRun."""
    key = find_key_by_id_or_arn(reference, req.region, caller.account)
    if key is None:
        return _error("NotFoundException", f"Key '{reference}' does not exist")
    grantee = body.get("GranteePrincipal")
    operations = body.get("Operations")
    if not isinstance(grantee, str) or not grantee:
        return _error("ValidationException", "1 validation error detected: Value null at "
                      "'granteePrincipal' failed to satisfy constraint: Member must not be null")
    if not isinstance(operations, list) or not operations:
        return _error("ValidationException", "1 validation error detected: Value null at "
                      "'operations' failed to satisfy constraint: Member must not be null")
    bad = [op for op in operations if op not in GRANT_OPERATIONS]
    if bad:
        return _error("ValidationException", f"1 validation error detected: Value {bad} at "
                      "'operations' failed to satisfy constraint: Member must satisfy enum value set")
    denied = access_denied_message(caller, "kms:CreateGrant", key)
    if denied:
        return _error("AccessDeniedException", denied)
    # A dry run reports what the real call would: a key that cannot be used fails the
    # same way (DisabledException / KMSInvalidStateException, CreateGrant API reference).
    if key.key_state == "Disabled":
        return _error("DisabledException", f"{key.arn} is disabled.")
    if key.key_state != "Enabled":
        return _error("KMSInvalidStateException", f"{key.arn} is {key.key_state}")
    if body.get("DryRun") is True:
        return _error("DryRunOperationException",
                      "The request would have succeeded, but the DryRun option is set.")
    grant = key.add_grant(body.get("Name") or "", grantee, operations,
                          body.get("Constraints") or {}, body.get("RetiringPrincipal") or "")
    return json_reply({"GrantId": grant.id, "GrantToken": grant.token},
                      content_type="application/x-amz-json-1.1")


def eks_grant_refusal(access: KmsAccess, req: AwsRequest, key_arn: str) -> str | None:
    """The synchronous refusal EKS gives when the caller cannot describe the key or create a grant."""
    caller = access.principal(req.access_key)
    key = find_key_by_id_or_arn(key_arn, req.region, caller.account)
    if key is None:
        return None
    for action in ("kms:DescribeKey", "kms:CreateGrant"):
        if access_denied_message(caller, action, key):
            return f"User not authorized to perform {action} operation"
    return None
