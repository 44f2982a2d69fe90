"""Clusters that stay CREATING for a configurable time (eks_emulator/cluster_timing.py)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from helpers import encryption_config, error_of, wait_for

ROLE = "arn:aws:iam::123456789012:role/eks-cluster-role"


def status(eks, name: str) -> str:
    return eks.describe_cluster(name=name)["cluster"]["status"]


def test_control_cluster_creating_then_active(emulator, eks):
    emulator.ok("POST", "/clusters", {"name": "slow", "creating_seconds": 0.8})
    assert status(eks, "slow") == "CREATING"
    key = emulator.ok("POST", "/keys", {})
    # EKS only changes encryption of an ACTIVE cluster.
    with pytest.raises(ClientError) as excinfo:
        eks.associate_encryption_config(clusterName="slow",
                                        encryptionConfig=encryption_config(key["key_arn"]))
    assert error_of(excinfo)[0] == "InvalidRequestException"
    wait_for(lambda: status(eks, "slow") == "ACTIVE", timeout=5)
    eks.associate_encryption_config(clusterName="slow",
                                    encryptionConfig=encryption_config(key["key_arn"]))


def test_api_create_cluster_duration_knob(emulator, eks):
    assert emulator.ok("POST", "/cluster-creation", {"duration_seconds": 0.6}) == \
        {"duration_seconds": 0.6}
    eks.create_cluster(name="api-slow", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["s-1"]})
    assert status(eks, "api-slow") == "CREATING"
    started = time.monotonic()
    wait_for(lambda: status(eks, "api-slow") == "ACTIVE", timeout=5)
    assert time.monotonic() - started >= 0.3
    # Reset restores the default: ACTIVE at once.
    emulator.ok("POST", "/reset")
    eks.create_cluster(name="fast", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["s-1"]})
    assert status(eks, "fast") == "ACTIVE"


def test_cluster_creation_knob_validation(emulator):
    status_code, _ = emulator.control("POST", "/cluster-creation", {"duration_seconds": -1})
    assert status_code == 400


def test_list_clusters_pages(emulator, eks):
    for i in range(5):
        emulator.ok("POST", "/clusters", {"name": f"fleet-{i}"})
    names, token = [], None
    while True:
        page = eks.list_clusters(maxResults=2, **({"nextToken": token} if token else {}))
        names += page["clusters"]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(names) == [f"fleet-{i}" for i in range(5)]
