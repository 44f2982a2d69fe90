"""Callers, key policies, CreateGrant DryRun, keys of other accounts, key custody, EKS's grant.

Sources are cited in ``eks_emulator/kms_access.py``.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import ACCOUNT, encryption_config, error_of

OTHER = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-cluster-role"
EKS_GRANT_OPS = ["Encrypt", "Decrypt", "DescribeKey"]


def client(emulator, service: str, access_key: str = "test"):
    return boto3.client(service, region_name="us-east-1", endpoint_url=emulator.url,
                        aws_access_key_id=access_key, aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def dry_run(kms, key: str):
    with pytest.raises(ClientError) as excinfo:
        kms.create_grant(KeyId=key, GranteePrincipal=ROLE, Operations=EKS_GRANT_OPS, DryRun=True)
    return error_of(excinfo)


def test_dry_run_that_would_succeed_is_dry_run_operation_exception(emulator, kms):
    key = emulator.ok("POST", "/keys", {})
    code, message, status = dry_run(kms, key["key_arn"])
    assert (code, status) == ("DryRunOperationException", 400)
    assert "DryRun" in message
    # Nothing was granted.
    assert kms.list_grants(KeyId=key["key_id"])["Grants"] == []
    # Without DryRun the grant is made.
    grant = kms.create_grant(KeyId=key["key_id"], GranteePrincipal=ROLE,
                             Operations=EKS_GRANT_OPS)
    assert grant["GrantId"]
    assert len(kms.list_grants(KeyId=key["key_id"])["Grants"]) == 1


def test_per_principal_deny_is_access_denied_naming_principal_and_key(emulator):
    key = emulator.ok("POST", "/keys", {})
    emulator.ok("POST", "/principals", {"access_key_id": "ci", "arn": f"arn:aws:iam::{ACCOUNT}:user/ci",
                                        "deny": ["kms:CreateGrant"]})
    code, message, status = dry_run(client(emulator, "kms", "ci"), key["key_arn"])
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: "
                       f"kms:CreateGrant on resource: {key['key_arn']} because no identity-based "
                       "policy allows the kms:CreateGrant action")
    # Other callers and other actions are unaffected.
    assert dry_run(client(emulator, "kms", "test"), key["key_arn"])[0] == "DryRunOperationException"
    client(emulator, "kms", "ci").describe_key(KeyId=key["key_arn"])


def test_key_policy_without_the_caller_is_access_denied(emulator, kms):
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
        "Action": "kms:*", "Resource": "*"}]}
    key = emulator.ok("POST", "/keys", {"policy": policy})
    code, message, _ = dry_run(kms, key["key_arn"])
    assert code == "AccessDeniedException"
    assert "because no resource-based policy allows the kms:CreateGrant action" in message


def test_explicit_deny_in_key_policy_wins(emulator, kms):
    policy = {"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:CreateGrant", "Resource": "*"}]}
    key = emulator.ok("POST", "/keys", {"policy": json.dumps(policy)})
    code, message, _ = dry_run(kms, key["key_arn"])
    assert code == "AccessDeniedException"
    assert "explicit deny in a resource-based policy" in message


@pytest.mark.parametrize("state,code", [("Disabled", "DisabledException"),
                                        ("PendingDeletion", "KMSInvalidStateException")])
def test_dry_run_on_unusable_key(emulator, kms, state, code):
    key = emulator.ok("POST", "/keys", {"state": state})
    assert dry_run(kms, key["key_arn"])[0] == code


def test_create_grant_validation_and_unknown_keys(emulator, kms):
    key = emulator.ok("POST", "/keys", {"alias": "alias/g"})
    with pytest.raises(ClientError) as excinfo:
        kms.create_grant(KeyId=key["key_id"], GranteePrincipal=ROLE, Operations=["Bogus"])
    assert error_of(excinfo)[0] == "ValidationException"
    missing = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    assert dry_run(kms, missing)[0] == "NotFoundException"


def test_key_in_another_account(emulator, kms):
    key = emulator.ok("POST", "/keys", {"account": OTHER})
    assert key["key_arn"].startswith(f"arn:aws:kms:us-east-1:{OTHER}:key/")
    # Its default policy trusts only its own account: our caller is refused.
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=key["key_arn"])
    code, message, _ = error_of(excinfo)
    assert code == "AccessDeniedException" and "kms:DescribeKey" in message
    assert dry_run(kms, key["key_arn"])[0] == "AccessDeniedException"
    # Unknown keys of the other account are not found.
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=f"arn:aws:kms:us-east-1:{OTHER}:key/nope")
    assert error_of(excinfo)[0] == "NotFoundException"


def test_key_in_another_account_shared_by_its_key_policy(emulator, kms):
    policy = {"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": ["kms:DescribeKey", "kms:CreateGrant", "kms:GetKeyRotationStatus"],
         "Resource": "*"}]}
    key = emulator.ok("POST", "/keys", {"account": OTHER, "policy": policy, "rotation": True})
    meta = kms.describe_key(KeyId=key["key_arn"])["KeyMetadata"]
    assert meta["AWSAccountId"] == OTHER and meta["Arn"] == key["key_arn"]
    assert kms.get_key_rotation_status(KeyId=key["key_arn"])["KeyRotationEnabled"] is True
    assert dry_run(kms, key["key_arn"])[0] == "DryRunOperationException"


def test_valid_to_and_origin_in_describe_key(emulator, kms):
    imported = emulator.ok("POST", "/keys", {"origin": "EXTERNAL", "valid_to": 1893456000})
    meta = kms.describe_key(KeyId=imported["key_id"])["KeyMetadata"]
    assert meta["Origin"] == "EXTERNAL"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert meta["ValidTo"].timestamp() == 1893456000
    forever = emulator.ok("POST", "/keys", {"origin": "EXTERNAL"})
    meta = kms.describe_key(KeyId=forever["key_id"])["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE" and "ValidTo" not in meta
    for origin, extra in [("AWS_CLOUDHSM", "CloudHsmClusterId"),
                          ("EXTERNAL_KEY_STORE", "XksKeyConfiguration")]:
        key = emulator.ok("POST", "/keys", {"origin": origin})
        meta = kms.describe_key(KeyId=key["key_id"])["KeyMetadata"]
        assert meta["Origin"] == origin and meta["CustomKeyStoreId"] and extra in meta
    plain = kms.describe_key(KeyId=emulator.ok("POST", "/keys", {})["key_id"])["KeyMetadata"]
    assert plain["Origin"] == "AWS_KMS" and "ValidTo" not in plain
    status, body = emulator.control("POST", "/keys", {"valid_to": 1})
    assert status == 400 and "EXTERNAL" in body["error"]


def test_associate_refused_synchronously_for_a_caller_who_cannot_grant(emulator):
    key = emulator.ok("POST", "/keys", {})
    emulator.ok("POST", "/clusters", {"name": "c1"})
    emulator.ok("POST", "/principals", {"access_key_id": "ci", "deny": ["kms:CreateGrant"]})
    eks = client(emulator, "eks", "ci")
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(clusterName="c1",
                                        encryptionConfig=encryption_config(key["key_arn"]))
    assert error_of(excinfo) == ("InvalidRequestException",
                                 "User not authorized to perform kms:CreateGrant operation", 400)
    assert not client(emulator, "eks").describe_cluster(name="c1")["cluster"].get("encryptionConfig")
    with pytest.raises(ClientError) as excinfo:
        eks.create_cluster(name="c2", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["s-1"]},
                           encryptionConfig=encryption_config(key["key_arn"]))
    assert error_of(excinfo)[0] == "InvalidRequestException"
    # The default caller still can.
    update = client(emulator, "eks").associate_encryption_config(
        clusterName="c1", encryptionConfig=encryption_config(key["key_arn"]))["update"]
    assert update["status"] == "InProgress"


def test_associate_with_a_key_of_another_account_needs_its_key_policy(emulator, eks):
    emulator.ok("POST", "/clusters", {"name": "c1"})
    key = emulator.ok("POST", "/keys", {"account": OTHER})
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(clusterName="c1",
                                        encryptionConfig=encryption_config(key["key_arn"]))
    assert error_of(excinfo)[:2] == ("InvalidRequestException",
                                     "User not authorized to perform kms:DescribeKey operation")


def test_principals_control_validation(emulator):
    status, _ = emulator.control("POST", "/principals", {"deny": ["kms:CreateGrant"]})
    assert status == 400
    status, _ = emulator.control("POST", "/principals", {"access_key_id": "x", "deny": ["CreateGrant"]})
    assert status == 400
    body = emulator.ok("POST", "/principals", {"access_key_id": "x"})
    assert body["arn"] == f"arn:aws:iam::{ACCOUNT}:user/moto" and body["deny"] == []
