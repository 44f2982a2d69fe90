"""Accounts from credentials, the request log's signer, secret redaction, the HTTPS listener.

Sources are cited in ``eks_emulator/accounts.py``, ``eks_emulator/awsreq.py`` and
``eks_emulator/tls.py``.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import ACCOUNT, encryption_config, error_of, start_emulator

OTHER = "111122223333"


def client(emulator, service: str, creds: dict | None = None):
    creds = creds or {"AccessKeyId": "test", "SecretAccessKey": "test"}
    return boto3.client(service, region_name="us-east-1", endpoint_url=emulator.url,
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds.get("SessionToken"),
                        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def assume(emulator, account: str) -> dict:
    sts = client(emulator, "sts")
    return sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/deploy",
                           RoleSessionName="tests", Tags=[{"Key": "team", "Value": "platform"}],
                           TransitiveTagKeys=["team"], SourceIdentity="alice")["Credentials"]


def test_assumed_credentials_act_in_the_role_account(emulator):
    emulator.ok("POST", "/clusters", {"name": "other", "account": OTHER})
    key = emulator.ok("POST", "/keys", {"account": OTHER})
    creds = assume(emulator, OTHER)
    eks = client(emulator, "eks", creds)
    cluster = eks.describe_cluster(name="other")["cluster"]
    assert cluster["arn"] == f"arn:aws:eks:us-east-1:{OTHER}:cluster/other"
    assert client(emulator, "sts", creds).get_caller_identity()["Account"] == OTHER
    # The default account does not see it.
    with pytest.raises(ClientError) as excinfo:
        client(emulator, "eks").describe_cluster(name="other")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    # KMS and the association work in that account, the key named by id.
    kms = client(emulator, "kms", creds)
    assert kms.describe_key(KeyId=key["key_id"])["KeyMetadata"]["Arn"] == key["key_arn"]
    update = eks.associate_encryption_config(clusterName="other",
                                             encryptionConfig=encryption_config(key["key_id"]))
    assert eks.describe_update(name="other", updateId=update["update"]["id"])["update"]["id"]
    assert eks.list_updates(name="other")["updateIds"] == [update["update"]["id"]]


def test_the_log_names_the_signer_and_shows_assume_role_parameters(emulator):
    creds = assume(emulator, OTHER)
    client(emulator, "eks", creds).list_clusters()
    log = emulator.requests()
    assume_role = next(r for r in log if r["operation"] == "AssumeRole")
    assert assume_role["access_key_id"] == "test"
    assert assume_role["account"] == ACCOUNT
    body = assume_role["body"]
    assert body["RoleArn"] == f"arn:aws:iam::{OTHER}:role/deploy"
    assert (body["Tags.member.1.Key"], body["Tags.member.1.Value"]) == ("team", "platform")
    assert body["TransitiveTagKeys.member.1"] == "team"
    assert body["SourceIdentity"] == "alice"
    listed = next(r for r in log if r["operation"] == "ListClusters")
    assert listed["access_key_id"] == creds["AccessKeyId"]
    assert listed["account"] == OTHER
    # Secrets are never logged.
    assert creds["SecretAccessKey"] not in json.dumps(log)


def test_web_identity_tokens_are_redacted(emulator):
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=emulator.url,
                       config=Config(signature_version=__import__("botocore").UNSIGNED))
    out = sts.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{OTHER}:role/ci",
                                            RoleSessionName="ci", WebIdentityToken="secret.jwt.x")
    assert out["Credentials"]["AccessKeyId"]
    entry = next(r for r in emulator.requests() if r["operation"] == "AssumeRoleWithWebIdentity")
    assert entry["body"]["WebIdentityToken"] == "<redacted>"
    assert entry["body"]["RoleArn"] == f"arn:aws:iam::{OTHER}:role/ci"
    assert entry["access_key_id"] is None
    assert "secret.jwt.x" not in json.dumps(emulator.requests())


def test_https_listener_with_a_test_ca(tmp_path):
    emu = start_emulator("--https-dir", str(tmp_path))
    try:
        assert (tmp_path / "ca.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
        line = emu.https_url
        assert line.startswith("https://127.0.0.1:")
        trusted = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        with urllib.request.urlopen(f"{line}/_emulator/health", context=trusted,
                                    timeout=10) as resp:
            assert json.loads(resp.read())["ok"] is True
        with pytest.raises(urllib.error.URLError) as excinfo:
            urllib.request.urlopen(f"{line}/_emulator/health",
                                   context=ssl.create_default_context(), timeout=10)
        assert "CERTIFICATE_VERIFY_FAILED" in str(excinfo.value)
    finally:
        emu.stop()
