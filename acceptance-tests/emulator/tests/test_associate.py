"""AssociateEncryptionConfig, the update lifecycle, DescribeUpdate and ListUpdates."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from helpers import ACCOUNT, encryption_config, error_of, wait_for

ALREADY = "Encryption is already enabled on the cluster"


def make_cluster(emulator, name="demo", **extra):
    return emulator.ok("POST", "/clusters", {"name": name, "version": "1.31", **extra})


def make_key(emulator, **extra):
    return emulator.ok("POST", "/keys", extra)


def finished(eks, cluster, update_id):
    update = eks.describe_update(name=cluster, updateId=update_id)["update"]
    return update if update["status"] != "InProgress" else None


def test_happy_path_resolves_alias_and_describe_cluster_shows_key_arn(emulator, eks, kms):
    # The key comes from the ordinary KMS API: EKS must see moto's KMS state.
    key = kms.create_key(Description="cmk")["KeyMetadata"]
    kms.create_alias(AliasName="alias/demo", TargetKeyId=key["KeyId"])
    make_cluster(emulator)

    update = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config("alias/demo"))["update"]
    assert update["status"] == "InProgress"
    assert update["type"] == "AssociateEncryptionConfig"
    assert update["errors"] == []
    assert update["params"][0]["type"] == "EncryptionConfig"
    assert json.loads(update["params"][0]["value"]) == encryption_config(key["Arn"])
    assert abs(update["createdAt"].timestamp() - time.time()) < 30

    cluster = eks.describe_cluster(name="demo")["cluster"]
    assert cluster["status"] == "UPDATING"
    assert not cluster.get("encryptionConfig")

    done = wait_for(lambda: finished(eks, "demo", update["id"]))
    assert done["status"] == "Successful"
    cluster = eks.describe_cluster(name="demo")["cluster"]
    assert cluster["status"] == "ACTIVE"
    assert cluster["encryptionConfig"] == encryption_config(key["Arn"])


@pytest.mark.parametrize("form", ["key_id", "key_arn", "alias_arn"])
def test_other_key_reference_forms_resolve_to_the_key_arn(emulator, eks, form):
    key = make_key(emulator, alias="alias/forms")
    make_cluster(emulator)
    reference = {"key_id": key["key_id"], "key_arn": key["key_arn"],
                 "alias_arn": key["alias_arn"]}[form]
    update = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(reference))["update"]
    wait_for(lambda: finished(eks, "demo", update["id"]))
    assert eks.describe_cluster(name="demo")["cluster"]["encryptionConfig"][0]["provider"] == {
        "keyArn": key["key_arn"]}


def test_describe_cluster_wire_format_uses_epoch_seconds(emulator):
    key = make_key(emulator)
    make_cluster(emulator, key_arn=key["key_arn"])
    status, headers, body = emulator.raw("GET", "/clusters/demo", service="eks")
    assert status == 200
    assert headers["x-amzn-requestid"]
    cluster = json.loads(body)["cluster"]
    assert isinstance(cluster["createdAt"], (int, float))
    assert cluster["encryptionConfig"] == encryption_config(key["key_arn"])
    assert cluster["arn"] == f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/demo"


def test_second_association_is_refused(emulator, eks):
    key = make_key(emulator)
    other = make_key(emulator)
    make_cluster(emulator)
    update = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))["update"]
    wait_for(lambda: finished(eks, "demo", update["id"]))
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(
            clusterName="demo", encryptionConfig=encryption_config(other["key_arn"]))
    assert error_of(excinfo) == ("InvalidParameterException", ALREADY, 400)


def test_cluster_created_with_a_key_refuses_association(emulator, eks):
    key = make_key(emulator)
    make_cluster(emulator, key_arn=key["key_arn"])
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(
            clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))
    assert error_of(excinfo) == ("InvalidParameterException", ALREADY, 400)


def test_concurrent_association_is_resource_in_use_409(emulator, eks):
    key = make_key(emulator)
    make_cluster(emulator)
    first = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))["update"]
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(
            clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ResourceInUseException", 409)
    assert message == (f"Cannot AssociateEncryptionConfig because cluster demo currently has "
                       f"update {first['id']} in progress")


def test_unrelated_update_in_progress_blocks_association(emulator, eks):
    key = make_key(emulator)
    make_cluster(emulator)
    other = emulator.ok("POST", "/updates", {"cluster": "demo", "type": "VersionUpdate",
                                             "duration_seconds": 30})
    assert eks.describe_cluster(name="demo")["cluster"]["status"] == "UPDATING"
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(
            clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ResourceInUseException", 409)
    assert other["id"] in message


def test_lifecycle_in_progress_then_successful(emulator, eks):
    emulator.ok("POST", "/config", {"update_duration_seconds": 1.0})
    key = make_key(emulator)
    make_cluster(emulator)
    started = time.time()
    update = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))["update"]
    time.sleep(0.3)
    assert eks.describe_update(name="demo", updateId=update["id"])["update"]["status"] == "InProgress"
    assert eks.describe_cluster(name="demo")["cluster"]["status"] == "UPDATING"
    done = wait_for(lambda: finished(eks, "demo", update["id"]))
    assert time.time() - started >= 0.95
    assert done["status"] == "Successful"
    assert done["errors"] == []
    assert eks.describe_cluster(name="demo")["cluster"]["status"] == "ACTIVE"


def test_fail_next_update_ends_failed_with_errors(emulator, eks):
    errors = [{"errorCode": "AccessDenied", "errorMessage": "kms:CreateGrant denied",
               "resourceIds": ["k1"]}]
    emulator.ok("POST", "/config", {"fail_next_update": {"errors": errors}})
    key = make_key(emulator)
    make_cluster(emulator)
    update = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))["update"]
    assert update["status"] == "InProgress"
    done = wait_for(lambda: finished(eks, "demo", update["id"]))
    assert done["status"] == "Failed"
    assert done["errors"] == errors
    cluster = eks.describe_cluster(name="demo")["cluster"]
    assert cluster["status"] == "ACTIVE"
    assert not cluster.get("encryptionConfig")
    # fail_next_update is consumed: the next association succeeds.
    assert emulator.ok("GET", "/config")["fail_next_update"] is None
    retry = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))["update"]
    assert wait_for(lambda: finished(eks, "demo", retry["id"]))["status"] == "Successful"


def test_disable_key_mid_update(emulator, eks, kms):
    emulator.ok("POST", "/config", {"disable_key_mid_update": True})
    key = make_key(emulator)
    make_cluster(emulator)
    update = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))["update"]
    assert kms.describe_key(KeyId=key["key_id"])["KeyMetadata"]["KeyState"] == "Enabled"
    done = wait_for(lambda: finished(eks, "demo", update["id"]))
    assert done["status"] == "Failed"
    assert done["errors"][0]["errorCode"] == "AccessDenied"
    assert done["errors"][0]["resourceIds"] == [key["key_arn"]]
    assert key["key_arn"] in done["errors"][0]["errorMessage"]
    assert kms.describe_key(KeyId=key["key_id"])["KeyMetadata"]["KeyState"] == "Disabled"
    cluster = eks.describe_cluster(name="demo")["cluster"]
    assert cluster["status"] == "ACTIVE"
    assert not cluster.get("encryptionConfig")


def _key_arn(emulator, kms, case):
    """Create the key for a validation case; return (reference, expected message)."""
    if case == "missing":
        arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{uuid.uuid4()}"
        return arn, f"KMS key {arn} does not exist in region us-east-1"
    if case == "missing_alias":
        return "alias/nope", "KMS key alias/nope does not exist in region us-east-1"
    if case == "disabled":
        arn = emulator.ok("POST", "/keys", {"state": "Disabled"})["key_arn"]
        return arn, f"KMS key {arn} is not enabled (key state: Disabled)"
    if case == "pending_deletion":
        arn = kms.create_key()["KeyMetadata"]["Arn"]
        kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
        return arn, f"KMS key {arn} is not enabled (key state: PendingDeletion)"
    if case == "asymmetric":
        arn = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
        return arn, f"KMS key {arn} must be a symmetric key (key spec: RSA_2048)"
    if case == "sign_verify":
        arn = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
        return arn, f"KMS key {arn} must be a symmetric key (key spec: ECC_NIST_P256)"
    if case == "sign_verify_usage":
        arn = emulator.ok("POST", "/keys", {"key_usage": "SIGN_VERIFY"})["key_arn"]
        return arn, f"KMS key {arn} must have key usage ENCRYPT_DECRYPT (key usage: SIGN_VERIFY)"
    if case == "other_region":
        arn = emulator.ok("POST", "/keys", {"region": "us-west-2"})["key_arn"]
        return arn, (f"KMS key {arn} is in region us-west-2; it must be in the cluster's "
                     "region us-east-1")
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["missing", "missing_alias", "disabled", "pending_deletion",
                                  "asymmetric", "sign_verify", "sign_verify_usage",
                                  "other_region"])
def test_key_validation(emulator, eks, kms, case):
    make_cluster(emulator)
    reference, message = _key_arn(emulator, kms, case)
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(clusterName="demo",
                                        encryptionConfig=encryption_config(reference))
    assert error_of(excinfo) == ("InvalidParameterException", message, 400)
    # Nothing started.
    assert eks.list_updates(name="demo")["updateIds"] == []
    assert eks.describe_cluster(name="demo")["cluster"]["status"] == "ACTIVE"


def test_resources_must_be_secrets(emulator, eks):
    key = make_key(emulator)
    make_cluster(emulator)
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(
            clusterName="demo",
            encryptionConfig=[{"resources": ["configmaps"], "provider": {"keyArn": key["key_arn"]}}])
    code, message, status = error_of(excinfo)
    assert (code, status) == ("InvalidParameterException", 400)
    assert "secrets" in message


def test_missing_cluster_is_not_found_404(emulator, eks):
    key = make_key(emulator)
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(clusterName="nope",
                                        encryptionConfig=encryption_config(key["key_arn"]))
    assert error_of(excinfo) == ("ResourceNotFoundException", "No cluster found for name: nope.", 404)


def test_cluster_not_active_is_invalid_request(emulator, eks):
    key = make_key(emulator)
    make_cluster(emulator, status="CREATING")
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(clusterName="demo",
                                        encryptionConfig=encryption_config(key["key_arn"]))
    assert error_of(excinfo) == ("InvalidRequestException",
                                 "Cluster 'demo' is not in ACTIVE status", 400)


def test_error_wire_shape_is_rest_json(emulator):
    body = json.dumps({"encryptionConfig": encryption_config("alias/x")}).encode()
    status, headers, raw = emulator.raw("POST", "/clusters/nope/encryption-config/associate",
                                        service="eks", body=body,
                                        headers={"Content-Type": "application/json"})
    assert status == 404
    assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert headers["x-amzn-requestid"]
    assert json.loads(raw)["message"] == "No cluster found for name: nope."


def test_client_request_token_is_idempotent(emulator, eks):
    emulator.ok("POST", "/config", {"update_duration_seconds": 0.3})
    key = make_key(emulator)
    make_cluster(emulator)
    make_cluster(emulator, name="other")
    args = dict(encryptionConfig=encryption_config(key["key_arn"]), clientRequestToken="tok-1")
    first = eks.associate_encryption_config(clusterName="demo", **args)["update"]
    again = eks.associate_encryption_config(clusterName="demo", **args)["update"]
    assert again["id"] == first["id"]
    # The same token on another cluster is another update.
    elsewhere = eks.associate_encryption_config(clusterName="other", **args)["update"]
    assert elsewhere["id"] != first["id"]
    # Even after completion the token returns the original update, not "already enabled".
    wait_for(lambda: finished(eks, "demo", first["id"]))
    late = eks.associate_encryption_config(clusterName="demo", **args)["update"]
    assert (late["id"], late["status"]) == (first["id"], "Successful")
    assert eks.list_updates(name="demo")["updateIds"] == [first["id"]]


def test_list_and_describe_updates(emulator, eks):
    key = make_key(emulator)
    make_cluster(emulator)
    assert eks.list_updates(name="demo")["updateIds"] == []
    version = emulator.ok("POST", "/updates", {"cluster": "demo", "duration_seconds": 0})["id"]
    described = eks.describe_update(name="demo", updateId=version)["update"]
    assert (described["type"], described["status"]) == ("VersionUpdate", "Successful")
    assoc = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))["update"]["id"]
    assert eks.list_updates(name="demo")["updateIds"] == [assoc, version]

    page = eks.list_updates(name="demo", maxResults=1)
    assert page["updateIds"] == [assoc]
    rest = eks.list_updates(name="demo", maxResults=1, nextToken=page["nextToken"])
    assert rest["updateIds"] == [version]
    assert "nextToken" not in rest

    with pytest.raises(ClientError) as excinfo:
        eks.describe_update(name="demo", updateId="0000")
    assert error_of(excinfo) == ("ResourceNotFoundException", "No update found for ID: 0000.", 404)
    with pytest.raises(ClientError) as excinfo:
        eks.describe_update(name="nope", updateId=assoc)
    assert error_of(excinfo) == ("ResourceNotFoundException", "No cluster found for name: nope.", 404)
    with pytest.raises(ClientError) as excinfo:
        eks.list_updates(name="nope")
    assert error_of(excinfo) == ("ResourceNotFoundException", "No cluster found for name: nope.", 404)


def test_updates_are_per_region(emulator):
    key = make_key(emulator, region="eu-west-1")
    make_cluster(emulator, region="eu-west-1")
    eu = emulator.client("eks", region="eu-west-1")
    us = emulator.client("eks")
    update = eu.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))["update"]
    assert eu.list_updates(name="demo")["updateIds"] == [update["id"]]
    with pytest.raises(ClientError) as excinfo:
        us.list_updates(name="demo")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_create_cluster_api_resolves_key_alias(emulator, eks):
    key = make_key(emulator, alias="alias/at-create")
    created = eks.create_cluster(name="api", roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
                                 resourcesVpcConfig={"subnetIds": ["subnet-1"]},
                                 encryptionConfig=encryption_config("alias/at-create"))["cluster"]
    assert created["encryptionConfig"] == encryption_config(key["key_arn"])
    assert eks.describe_cluster(name="api")["cluster"]["encryptionConfig"] == \
        encryption_config(key["key_arn"])


def test_delete_cluster_refused_while_updating_and_forgets_updates(emulator, eks):
    key = make_key(emulator)
    make_cluster(emulator)
    update = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))["update"]
    with pytest.raises(ClientError) as excinfo:
        eks.delete_cluster(name="demo")
    assert error_of(excinfo)[0::2] == ("ResourceInUseException", 409)
    wait_for(lambda: finished(eks, "demo", update["id"]))
    eks.delete_cluster(name="demo")
    make_cluster(emulator)
    assert eks.list_updates(name="demo")["updateIds"] == []
