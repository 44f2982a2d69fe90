"""Issue 9: the emulator reproduces real AWS timing and change.

Each behaviour has its own test: an alias moved while a saved plan waits, a
key disabled during another update, a cluster recreated under the same name,
an endpoint that never answers one operation, ClientException for a missing
cluster, ListUpdates in either order and paginated with more than 10 updates,
and long updates ended by the virtual clock.
"""

from __future__ import annotations

import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from helpers import encryption_config, error_of


@pytest.fixture
def cluster(emulator):
    return emulator.ok("POST", "/clusters", {"name": "demo"})


def test_alias_retargeted_while_a_saved_plan_waits(emulator, kms):
    a = emulator.ok("POST", "/keys", {"alias": "alias/eks"})
    b = emulator.ok("POST", "/keys", {})
    assert kms.describe_key(KeyId="alias/eks")["KeyMetadata"]["Arn"] == a["key_arn"]
    moved = emulator.ok("POST", "/aliases", {"alias": "alias/eks", "target_key": b["key_arn"]})
    assert moved["key_arn"] == b["key_arn"]
    assert kms.describe_key(KeyId="alias/eks")["KeyMetadata"]["Arn"] == b["key_arn"]
    status, body = emulator.control("POST", "/aliases", {"alias": "alias/none",
                                                         "target_key": b["key_arn"]})
    assert status == 404, body


def test_key_disabled_during_another_update(emulator, eks, kms, cluster):
    key = emulator.ok("POST", "/keys", {})
    update = emulator.ok("POST", "/updates", {"cluster": "demo", "duration_seconds": 1.0,
                                              "disable_key_arn": key["key_arn"]})
    assert kms.describe_key(KeyId=key["key_arn"])["KeyMetadata"]["KeyState"] == "Enabled"
    time.sleep(1.1)
    done = eks.describe_update(name="demo", updateId=update["id"])["update"]
    assert done["status"] == "Successful", "the version update itself succeeds"
    assert kms.describe_key(KeyId=key["key_arn"])["KeyMetadata"]["KeyState"] == "Disabled"
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(clusterName="demo",
                                        encryptionConfig=encryption_config(key["key_arn"]))
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_cluster_recreated_under_the_same_name(emulator, eks, cluster):
    key = emulator.ok("POST", "/keys", {})
    eks.associate_encryption_config(clusterName="demo",
                                    encryptionConfig=encryption_config(key["key_arn"]))
    emulator.ok("POST", "/clock", {"advance_seconds": 60})
    before = eks.describe_cluster(name="demo")["cluster"]
    assert before["encryptionConfig"]
    after = emulator.ok("POST", "/clusters/demo/recreate", {})
    assert after["arn"] == before["arn"]
    now = eks.describe_cluster(name="demo")["cluster"]
    assert now["arn"] == before["arn"]
    assert now["createdAt"] > before["createdAt"]
    assert not now.get("encryptionConfig")
    assert eks.list_updates(name="demo")["updateIds"] == []


def test_hang_never_answers_the_chosen_operation(emulator, cluster):
    emulator.ok("POST", "/faults", {"operation": "DescribeCluster", "kind": "hang",
                                    "latency_ms": 30_000})
    eks = emulator.client("eks")
    patient = eks.meta.config.merge(Config(read_timeout=1, connect_timeout=1))
    import boto3
    client = boto3.client("eks", region_name="us-east-1", endpoint_url=emulator.url,
                          aws_access_key_id="test", aws_secret_access_key="test",
                          config=patient)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        client.describe_cluster(name="demo")
    assert time.monotonic() - started < 5
    # Other operations still answer, and the fault is used up.
    assert eks.list_clusters()["clusters"] == ["demo"]
    assert eks.describe_cluster(name="demo")["cluster"]["name"] == "demo"
    log = [(r["operation"], r["status"], r["fault"]) for r in emulator.requests()]
    assert ("DescribeCluster", None, "hang") in log


def test_missing_cluster_as_client_exception(emulator, eks):
    with pytest.raises(ClientError) as excinfo:
        eks.describe_cluster(name="gone")
    assert error_of(excinfo) == ("ResourceNotFoundException", "No cluster found for name: gone.",
                                 404)
    emulator.ok("POST", "/config", {"missing_cluster_error": "ClientException"})
    with pytest.raises(ClientError) as excinfo:
        eks.describe_cluster(name="gone")
    assert error_of(excinfo) == ("ClientException", "No cluster found for name: gone.", 400)
    emulator.ok("POST", "/clusters", {"name": "here"})
    assert eks.describe_cluster(name="here")["cluster"]["name"] == "here"
    status, _ = emulator.control("POST", "/config", {"missing_cluster_error": "Nope"})
    assert status == 400


@pytest.mark.parametrize("order", ["newest_first", "oldest_first"])
def test_list_updates_order_and_pages(emulator, eks, cluster, order):
    ids = [emulator.ok("POST", "/updates", {"cluster": "demo", "duration_seconds": 0})["id"]
           for _ in range(12)]
    emulator.ok("POST", "/config", {"list_updates_order": order, "list_updates_page_size": 5})
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = eks.list_updates(name="demo", **kwargs)
        pages += 1
        assert len(page["updateIds"]) <= 5
        seen.extend(page["updateIds"])
        token = page.get("nextToken")
        if not token:
            break
    assert pages == 3
    assert seen == (ids if order == "oldest_first" else list(reversed(ids)))
    # An explicit maxResults still wins.
    assert len(eks.list_updates(name="demo", maxResults=2)["updateIds"]) == 2


def test_long_update_ends_on_the_virtual_clock(emulator, eks, cluster):
    key = emulator.ok("POST", "/keys", {})
    emulator.ok("POST", "/config", {"update_duration_seconds": 55 * 60})
    update = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]))["update"]
    assert eks.describe_cluster(name="demo")["cluster"]["status"] == "UPDATING"
    emulator.ok("POST", "/clock", {"advance_seconds": 54 * 60})
    assert eks.describe_update(name="demo", updateId=update["id"])["update"]["status"] == \
        "InProgress"
    emulator.ok("POST", "/clock", {"advance_seconds": 61})
    assert eks.describe_update(name="demo", updateId=update["id"])["update"]["status"] == \
        "Successful"
    c = eks.describe_cluster(name="demo")["cluster"]
    assert c["status"] == "ACTIVE"
    assert c["encryptionConfig"][0]["provider"]["keyArn"] == key["key_arn"]
    status, _ = emulator.control("POST", "/clock", {"advance_seconds": -1})
    assert status == 400
