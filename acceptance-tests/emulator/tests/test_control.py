"""The control API: health, reset, clusters, drift, updates, config."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from helpers import encryption_config, error_of


def test_health(emulator):
    assert emulator.ok("GET", "/health") == {"ok": True}


def test_unknown_route_and_bad_body(emulator):
    status, body = emulator.control("GET", "/nope")
    assert status == 404 and body["error"]
    status, body = emulator.control("PUT", "/health")
    assert status == 405
    status, body = emulator.control("POST", "/config", {"bogus": 1})
    assert status == 400 and "bogus" in body["error"]


def test_create_cluster_resolves_key_alias(emulator, eks):
    key = emulator.ok("POST", "/keys", {"alias": "alias/c"})
    created = emulator.ok("POST", "/clusters", {"name": "c1", "version": "1.30",
                                                "key_arn": "alias/c"})
    assert created == {"name": "c1", "arn": "arn:aws:eks:us-east-1:123456789012:cluster/c1",
                       "version": "1.30", "status": "ACTIVE"}
    cluster = eks.describe_cluster(name="c1")["cluster"]
    assert cluster["version"] == "1.30"
    assert cluster["encryptionConfig"] == encryption_config(key["key_arn"])
    status, body = emulator.control("POST", "/clusters", {"name": "c1"})
    assert status == 409


def test_out_of_band_encryption_is_not_logged(emulator, eks):
    key = emulator.ok("POST", "/keys", {})
    emulator.ok("POST", "/clusters", {"name": "drift"})
    emulator.ok("POST", "/clusters/drift/encryption", {"key_arn": key["key_arn"]})
    assert emulator.requests() == []
    assert eks.describe_cluster(name="drift")["cluster"]["encryptionConfig"] == \
        encryption_config(key["key_arn"])


def test_out_of_band_delete(emulator, eks):
    emulator.ok("POST", "/clusters", {"name": "gone", "region": "eu-west-1"})
    eu = emulator.client("eks", region="eu-west-1")
    assert eu.describe_cluster(name="gone")["cluster"]["status"] == "ACTIVE"
    emulator.ok("DELETE", "/clusters/gone?region=eu-west-1")
    with pytest.raises(ClientError) as excinfo:
        eu.describe_cluster(name="gone")
    assert error_of(excinfo) == ("ResourceNotFoundException", "No cluster found for name: gone.", 404)
    status, _ = emulator.control("DELETE", "/clusters/gone?region=eu-west-1")
    assert status == 404


def test_control_update_runs_for_its_duration(emulator, eks):
    emulator.ok("POST", "/clusters", {"name": "u"})
    update_id = emulator.ok("POST", "/updates", {"cluster": "u", "type": "VersionUpdate",
                                                 "duration_seconds": 0.3})["id"]
    update = eks.describe_update(name="u", updateId=update_id)["update"]
    assert (update["status"], update["type"]) == ("InProgress", "VersionUpdate")
    assert eks.describe_cluster(name="u")["cluster"]["status"] == "UPDATING"
    time.sleep(0.4)
    assert eks.describe_update(name="u", updateId=update_id)["update"]["status"] == "Successful"
    assert eks.describe_cluster(name="u")["cluster"]["status"] == "ACTIVE"


def test_config_roundtrip(emulator):
    config = emulator.ok("POST", "/config", {"update_duration_seconds": 2.5,
                                             "disable_key_mid_update": True})
    assert config["update_duration_seconds"] == 2.5
    assert config["disable_key_mid_update"] is True
    assert emulator.ok("GET", "/config") == config


def test_reset_forgets_everything(emulator, eks, kms):
    emulator.ok("POST", "/clusters", {"name": "r"})
    kms.create_key()
    emulator.ok("POST", "/faults", {"operation": "Nothing", "kind": "throttle"})
    emulator.ok("POST", "/config", {"update_duration_seconds": 9})
    eks.list_clusters()
    emulator.ok("POST", "/reset")
    assert emulator.requests() == []
    assert emulator.ok("GET", "/faults")["faults"] == []
    assert emulator.ok("GET", "/config")["update_duration_seconds"] != 9
    assert eks.list_clusters()["clusters"] == []
    assert kms.list_keys()["Keys"] == []


def test_reset_with_seed(emulator, eks):
    emulator.ok("POST", "/reset", {"seed": "quickstart"})
    assert eks.list_clusters()["clusters"] == ["quickstart"]
