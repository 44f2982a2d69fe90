"""KMS behaviour: KeyManager=AWS, defaults moto lacks, key states, error shape."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from helpers import ACCOUNT, error_of


def test_alias_aws_keys_are_aws_managed(emulator, kms):
    key = emulator.ok("POST", "/keys", {"alias": "alias/aws/eks"})
    assert key["alias_arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/eks"
    meta = kms.describe_key(KeyId="alias/aws/eks")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    assert meta["Arn"] == key["key_arn"]
    # Also when described by id or ARN, not only through the alias.
    assert kms.describe_key(KeyId=key["key_id"])["KeyMetadata"]["KeyManager"] == "AWS"


def test_aws_managed_flag(emulator, kms):
    key = emulator.ok("POST", "/keys", {"aws_managed": True})
    assert kms.describe_key(KeyId=key["key_arn"])["KeyMetadata"]["KeyManager"] == "AWS"


def test_moto_default_aws_keys_are_aws_managed(kms):
    assert kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyManager"] == "AWS"


def test_customer_keys_are_customer_managed(emulator, kms):
    key = emulator.ok("POST", "/keys", {"alias": "alias/mine"})
    assert kms.describe_key(KeyId="alias/mine")["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    api_key = kms.create_key()["KeyMetadata"]
    assert api_key["KeyManager"] == "CUSTOMER"
    assert key["key_arn"] != api_key["Arn"]


def test_create_key_defaults_like_aws(kms):
    meta = kms.create_key()["KeyMetadata"]
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["MultiRegion"] is False
    assert meta["KeyState"] == "Enabled"


def test_control_key_options(emulator, kms):
    key = emulator.ok("POST", "/keys", {"alias": "alias/rot", "description": "d",
                                        "rotation": True})
    assert kms.get_key_rotation_status(KeyId=key["key_id"])["KeyRotationEnabled"] is True
    assert kms.describe_key(KeyId=key["key_id"])["KeyMetadata"]["Description"] == "d"
    asym = emulator.ok("POST", "/keys", {"key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY"})
    meta = kms.describe_key(KeyId=asym["key_id"])["KeyMetadata"]
    assert (meta["KeySpec"], meta["KeyUsage"]) == ("RSA_2048", "SIGN_VERIFY")
    assert asym["alias_arn"] is None


@pytest.mark.parametrize("state", ["Disabled", "PendingDeletion", "PendingImport", "Unavailable"])
def test_control_key_states(emulator, kms, state):
    key = emulator.ok("POST", "/keys", {"state": state})
    meta = kms.describe_key(KeyId=key["key_id"])["KeyMetadata"]
    assert meta["KeyState"] == state
    assert meta["Enabled"] is False
    if state == "PendingDeletion":
        assert "DeletionDate" in meta


def test_control_key_state_changes(emulator, kms):
    key = emulator.ok("POST", "/keys", {"alias": "alias/flip"})
    emulator.ok("POST", f"/keys/{key['key_id']}/state", {"state": "Disabled"})
    assert kms.describe_key(KeyId=key["key_id"])["KeyMetadata"]["KeyState"] == "Disabled"
    emulator.ok("POST", f"/keys/{key['key_arn']}/state", {"state": "Enabled"})
    assert kms.describe_key(KeyId=key["key_id"])["KeyMetadata"]["KeyState"] == "Enabled"
    emulator.ok("POST", "/keys/alias/flip/state", {"state": "PendingDeletion",
                                                   "pending_window_days": 7})
    assert kms.describe_key(KeyId=key["key_id"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    status, body = emulator.control("POST", "/keys/nope/state", {"state": "Enabled"})
    assert status == 404 and "nope" in body["error"]
    status, body = emulator.control("POST", f"/keys/{key['key_id']}/state", {"state": "Bogus"})
    assert status == 400


def test_kms_api_accepts_key_arns_for_state_changes(kms):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=arn)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=arn)
    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=arn)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Disabled"


def test_kms_errors_use_json_1_1_shape(emulator, kms):
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId="alias/nope")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("NotFoundException", 400)
    assert "alias/nope" in message
    status, headers, body = emulator.raw(
        "POST", "/", service="kms", body=json.dumps({"KeyId": "alias/nope"}).encode(),
        headers={"X-Amz-Target": "TrentService.DescribeKey",
                 "Content-Type": "application/x-amz-json-1.1"})
    assert status == 400
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert headers["x-amzn-requestid"]
    assert json.loads(body)["__type"] == "NotFoundException"


def test_control_key_alias_must_be_unique(emulator):
    emulator.ok("POST", "/keys", {"alias": "alias/dup"})
    status, body = emulator.control("POST", "/keys", {"alias": "alias/dup"})
    assert status == 400 and "already exists" in body["error"]
