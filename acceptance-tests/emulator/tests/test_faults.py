"""Fault injection (throttle, server_error, drop, latency) and the request log."""

from __future__ import annotations

import json
import socket
import time

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from helpers import encryption_config, error_of


@pytest.fixture
def cluster(emulator):
    return emulator.ok("POST", "/clusters", {"name": "demo"})


def test_throttle_eks_is_429_and_consumes_counts(emulator, eks, cluster):
    emulator.ok("POST", "/faults", {"operation": "DescribeCluster", "kind": "throttle", "count": 2})
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            eks.describe_cluster(name="demo")
        assert error_of(excinfo) == ("ThrottlingException", "Rate exceeded", 429)
    assert eks.describe_cluster(name="demo")["cluster"]["name"] == "demo"
    log = [(r["operation"], r["status"], r["fault"]) for r in emulator.requests()]
    assert log == [("DescribeCluster", 429, "throttle"), ("DescribeCluster", 429, "throttle"),
                   ("DescribeCluster", 200, None)]
    assert emulator.ok("GET", "/faults")["faults"] == []


def test_throttle_wire_shape_eks(emulator, cluster):
    emulator.ok("POST", "/faults", {"operation": "DescribeCluster", "kind": "throttle"})
    status, headers, body = emulator.raw("GET", "/clusters/demo", service="eks")
    assert status == 429
    assert headers["x-amzn-errortype"] == "ThrottlingException"
    assert headers["x-amzn-requestid"]
    assert json.loads(body) == {"message": "Rate exceeded"}


def test_throttle_kms_is_400_json(emulator, kms):
    emulator.ok("POST", "/faults", {"operation": "DescribeKey", "kind": "throttle"})
    key = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=key["KeyId"])
    assert error_of(excinfo) == ("ThrottlingException", "Rate exceeded", 400)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_server_error(emulator, eks, kms, cluster):
    emulator.ok("POST", "/faults", {"operation": "*", "kind": "server_error", "count": 2})
    with pytest.raises(ClientError) as excinfo:
        eks.describe_cluster(name="demo")
    assert error_of(excinfo)[0::2] == ("ServerException", 500)
    with pytest.raises(ClientError) as excinfo:
        kms.list_keys()
    assert error_of(excinfo)[0::2] == ("KMSInternalException", 500)
    assert eks.describe_cluster(name="demo")["cluster"]["status"] == "ACTIVE"


def test_sts_faults_use_query_errors(emulator):
    sts = emulator.client("sts")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    emulator.ok("POST", "/faults", {"operation": "GetCallerIdentity", "kind": "throttle"})
    with pytest.raises(ClientError) as excinfo:
        sts.get_caller_identity()
    assert error_of(excinfo) == ("Throttling", "Rate exceeded", 400)


def test_retrying_client_recovers_from_throttling(emulator, cluster):
    emulator.ok("POST", "/faults", {"operation": "DescribeCluster", "kind": "throttle", "count": 2})
    eks = emulator.client("eks", retries=5)
    assert eks.describe_cluster(name="demo")["cluster"]["name"] == "demo"
    assert [r["status"] for r in emulator.requests()] == [429, 429, 200]


def _raw_http(emulator, request: bytes) -> bytes:
    host, port = emulator.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk


def test_drop_closes_connection_without_response(emulator, eks, cluster):
    request = (b"GET /clusters/demo HTTP/1.1\r\nHost: x\r\n"
               b"Authorization: AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/eks/"
               b"aws4_request, SignedHeaders=host, Signature=00\r\n\r\n")
    emulator.ok("POST", "/faults", {"operation": "DescribeCluster", "kind": "drop"})
    assert _raw_http(emulator, request) == b""
    # The next identical request is answered.
    assert _raw_http(emulator, request).startswith(b"HTTP/1.1 200")
    emulator.ok("POST", "/faults", {"operation": "DescribeCluster", "kind": "drop"})
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        eks.describe_cluster(name="demo")
    statuses = [(r["status"], r["fault"]) for r in emulator.requests()]
    assert statuses == [(None, "drop"), (200, None), (None, "drop")]


def test_drop_after_processing_then_idempotent_retry(emulator, eks, cluster):
    key = emulator.ok("POST", "/keys", {})
    emulator.ok("POST", "/faults", {"operation": "AssociateEncryptionConfig", "kind": "drop",
                                    "after_processing": True})
    args = dict(clusterName="demo", encryptionConfig=encryption_config(key["key_arn"]),
                clientRequestToken="retry-token")
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        eks.associate_encryption_config(**args)
    # The association happened; a retry with the same token gets the same update.
    [update_id] = eks.list_updates(name="demo")["updateIds"]
    assert eks.associate_encryption_config(**args)["update"]["id"] == update_id


def test_latency(emulator, eks, cluster):
    emulator.ok("POST", "/faults", {"operation": "DescribeCluster", "kind": "latency",
                                    "latency_ms": 400})
    started = time.monotonic()
    assert eks.describe_cluster(name="demo")["cluster"]["name"] == "demo"
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    eks.describe_cluster(name="demo")
    assert time.monotonic() - started < 0.4
    assert [r["fault"] for r in emulator.requests()] == ["latency", None]


def test_faults_match_operation_and_can_be_cleared(emulator, eks, cluster):
    emulator.ok("POST", "/faults", {"operation": "ListClusters", "kind": "throttle", "count": 5})
    assert eks.describe_cluster(name="demo")["cluster"]["name"] == "demo"
    with pytest.raises(ClientError):
        eks.list_clusters()
    assert emulator.ok("GET", "/faults")["faults"][0]["count"] == 4
    emulator.ok("DELETE", "/faults")
    assert eks.list_clusters()["clusters"] == ["demo"]


def test_fault_validation(emulator):
    for body in ({"kind": "explode"}, {"kind": "throttle", "count": 0},
                 {"kind": "latency", "latency_ms": -1}):
        status, payload = emulator.control("POST", "/faults", body)
        assert status == 400, body
        assert payload["error"]


def test_request_log(emulator, eks, kms, cluster):
    sts = emulator.client("sts")
    key = kms.create_key()["KeyMetadata"]
    described = eks.describe_cluster(name="demo")
    sts.get_caller_identity()
    update = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=encryption_config(key["Arn"]),
        clientRequestToken="tok")
    with pytest.raises(ClientError):
        eks.describe_cluster(name="missing")

    log = emulator.requests()
    assert [(r["seq"], r["service"], r["operation"], r["method"], r["status"]) for r in log] == [
        (1, "kms", "CreateKey", "POST", 200),
        (2, "eks", "DescribeCluster", "GET", 200),
        (3, "sts", "GetCallerIdentity", "POST", 200),
        (4, "eks", "AssociateEncryptionConfig", "POST", 200),
        (5, "eks", "DescribeCluster", "GET", 404),
    ]
    assert all(r["region"] == "us-east-1" for r in log)
    assert log[1]["path"] == "/clusters/demo"
    assert log[1]["body"] is None
    assert log[1]["request_id"] == described["ResponseMetadata"]["RequestId"]
    assert log[2]["body"]["Action"] == "GetCallerIdentity"
    assert log[3]["path"] == "/clusters/demo/encryption-config/associate"
    assert log[3]["body"] == {"encryptionConfig": encryption_config(key["Arn"]),
                              "clientRequestToken": "tok"}
    assert log[3]["request_id"] == update["ResponseMetadata"]["RequestId"]

    # Control calls are never logged; clearing restarts numbering.
    emulator.ok("DELETE", "/requests")
    assert emulator.requests() == []
    eks.list_clusters()
    assert [(r["seq"], r["operation"]) for r in emulator.requests()] == [(1, "ListClusters")]
