"""Issue 19: DescribeCluster's health issues about the KMS key, EKS's grant, ListClusters
paging, clusters deleted while listing, bulk cluster creation.

Sources are cited in ``eks_emulator/eks_health.py`` and ``eks_emulator/eks_ext.py``.
"""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from helpers import ACCOUNT, UPDATE_DURATION, encryption_config, error_of, wait_for

ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-cluster-role"


def health(eks, name: str) -> dict:
    return eks.describe_cluster(name=name)["cluster"]["health"]


def codes(eks, name: str) -> list[str]:
    return [issue["code"] for issue in health(eks, name)["issues"]]


def cluster_with_key(emulator, name: str = "c1"):
    key = emulator.ok("POST", "/keys", {})
    emulator.ok("POST", "/clusters", {"name": name, "key_arn": key["key_arn"]})
    return key


# -- health issues -------------------------------------------------------------


def test_healthy_cluster_has_empty_issue_list(emulator, eks):
    emulator.ok("POST", "/clusters", {"name": "plain"})
    cluster_with_key(emulator, "keyed")
    assert health(eks, "plain") == {"issues": []}
    assert health(eks, "keyed") == {"issues": []}


def test_disabled_key_is_kms_key_disabled_until_enabled(emulator, eks, kms):
    key = cluster_with_key(emulator)
    kms.disable_key(KeyId=key["key_id"])
    assert health(eks, "c1") == {"issues": [{
        "code": "KmsKeyDisabled",
        "message": f"The KMS key {key['key_arn']} of the cluster's encryption configuration "
                   "is disabled.",
        "resourceIds": [key["key_arn"]]}]}
    kms.enable_key(KeyId=key["key_id"])
    assert health(eks, "c1") == {"issues": []}


def test_key_pending_deletion_is_marked_for_deletion(emulator, eks, kms):
    key = cluster_with_key(emulator)
    kms.schedule_key_deletion(KeyId=key["key_id"], PendingWindowInDays=7)
    issues = health(eks, "c1")["issues"]
    assert [i["code"] for i in issues] == ["KmsKeyMarkedForDeletion"]
    assert issues[0]["resourceIds"] == [key["key_arn"]]
    assert "scheduled for deletion" in issues[0]["message"]
    kms.cancel_key_deletion(KeyId=key["key_id"])
    # CancelKeyDeletion leaves the key Disabled (KMS API reference).
    assert codes(eks, "c1") == ["KmsKeyDisabled"]


def test_key_deleted_by_arn_is_kms_key_not_found(emulator, eks):
    key = cluster_with_key(emulator)
    emulator.ok("DELETE", f"/keys/{key['key_arn']}")
    assert codes(eks, "c1") == ["KmsKeyNotFound"]


def test_deleted_key_is_kms_key_not_found(emulator, eks, kms):
    key = cluster_with_key(emulator)
    deleted = emulator.ok("DELETE", f"/keys/{key['key_id']}")
    assert deleted["key_arn"] == key["key_arn"]
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=key["key_arn"])
    assert error_of(excinfo)[0] == "NotFoundException"
    issues = health(eks, "c1")["issues"]
    assert [(i["code"], i["resourceIds"]) for i in issues] == [
        ("KmsKeyNotFound", [key["key_arn"]])]
    assert emulator.control("DELETE", f"/keys/{key['key_arn']}")[0] == 404


def test_association_creates_a_grant_for_the_cluster_role_and_revoke_grant_is_reported(
        emulator, eks, kms):
    emulator.ok("POST", "/config", {"update_duration_seconds": 0})
    emulator.ok("POST", "/clusters", {"name": "c1"})
    key = emulator.ok("POST", "/keys", {})
    assert kms.list_grants(KeyId=key["key_id"])["Grants"] == []
    eks.associate_encryption_config(clusterName="c1",
                                    encryptionConfig=encryption_config(key["key_arn"]))
    grants = kms.list_grants(KeyId=key["key_id"])["Grants"]
    assert len(grants) == 1
    assert grants[0]["GranteePrincipal"] == ROLE
    assert sorted(grants[0]["Operations"]) == ["Decrypt", "DescribeKey", "Encrypt"]
    assert health(eks, "c1") == {"issues": []}

    kms.revoke_grant(KeyId=key["key_id"], GrantId=grants[0]["GrantId"])
    assert health(eks, "c1") == {"issues": [{
        "code": "KmsGrantRevoked",
        "message": f"The grant Amazon EKS holds on the KMS key {key['key_arn']} has been "
                   "revoked or retired.",
        "resourceIds": [key["key_arn"]]}]}


def test_grant_is_made_when_the_association_succeeds(emulator, eks, kms):
    emulator.ok("POST", "/clusters", {"name": "c1"})
    key = emulator.ok("POST", "/keys", {})
    eks.associate_encryption_config(clusterName="c1",
                                    encryptionConfig=encryption_config(key["key_arn"]))
    assert kms.list_grants(KeyId=key["key_id"])["Grants"] == []
    wait_for(lambda: eks.describe_cluster(name="c1")["cluster"].get("encryptionConfig"),
             timeout=UPDATE_DURATION * 20)
    assert len(kms.list_grants(KeyId=key["key_id"])["Grants"]) == 1


def test_retired_grant_is_kms_grant_revoked_and_combines_with_disabled_key(emulator, eks, kms):
    key = cluster_with_key(emulator)
    grant = kms.list_grants(KeyId=key["key_id"])["Grants"][0]
    kms.retire_grant(KeyId=key["key_arn"], GrantId=grant["GrantId"])
    kms.disable_key(KeyId=key["key_id"])
    assert codes(eks, "c1") == ["KmsKeyDisabled", "KmsGrantRevoked"]


def test_create_cluster_api_with_key_makes_a_grant(emulator, eks, kms):
    key = emulator.ok("POST", "/keys", {"alias": "alias/eks"})
    eks.create_cluster(name="api", roleArn=ROLE,
                       resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
                       encryptionConfig=encryption_config("alias/eks"))
    grants = kms.list_grants(KeyId=key["key_id"])["Grants"]
    assert [g["GranteePrincipal"] for g in grants] == [ROLE]
    kms.revoke_grant(KeyId=key["key_id"], GrantId=grants[0]["GrantId"])
    assert codes(eks, "api") == ["KmsGrantRevoked"]


def test_control_revoke_grant_shortcut(emulator, eks, kms):
    key = cluster_with_key(emulator)
    grant_id = kms.list_grants(KeyId=key["key_id"])["Grants"][0]["GrantId"]
    revoked = emulator.ok("POST", "/clusters/c1/revoke-grant", {})
    assert revoked == {"key_arn": key["key_arn"], "grant_id": grant_id}
    assert kms.list_grants(KeyId=key["key_id"])["Grants"] == []
    assert codes(eks, "c1") == ["KmsGrantRevoked"]
    status, body = emulator.control("POST", "/clusters/c1/revoke-grant", {})
    assert status == 404 and "no grant" in body["error"]
    emulator.ok("POST", "/clusters", {"name": "plain"})
    assert emulator.control("POST", "/clusters/plain/revoke-grant", {})[0] == 404
    assert emulator.control("POST", "/clusters/nope/revoke-grant", {})[0] == 404


def test_out_of_band_association_makes_a_fresh_grant(emulator, eks, kms):
    key = cluster_with_key(emulator)
    emulator.ok("POST", "/clusters/c1/revoke-grant", {})
    emulator.ok("POST", "/clusters/c1/encryption", {"key_arn": key["key_arn"]})
    assert len(kms.list_grants(KeyId=key["key_id"])["Grants"]) == 1
    assert health(eks, "c1") == {"issues": []}


def test_list_clusters_carries_no_health(emulator, eks, kms):
    key = cluster_with_key(emulator)
    kms.disable_key(KeyId=key["key_id"])
    page = eks.list_clusters()
    assert page["clusters"] == ["c1"]
    assert "health" not in str(page)


# -- ListClusters paging -------------------------------------------------------


def all_pages(eks, **kwargs) -> list[list[str]]:
    pages, token = [], None
    while True:
        args = dict(kwargs, **({"nextToken": token} if token else {}))
        page = eks.list_clusters(**args)
        pages.append(page["clusters"])
        token = page.get("nextToken")
        if not token:
            return pages


def test_list_clusters_pages_in_stable_order_with_opaque_tokens(emulator, eks):
    emulator.ok("POST", "/clusters/bulk", {"count": 7, "name_prefix": "p-"})
    pages = all_pages(eks, maxResults=3)
    assert pages == [["p-0000", "p-0001", "p-0002"], ["p-0003", "p-0004", "p-0005"],
                     ["p-0006"]]
    token = eks.list_clusters(maxResults=3)["nextToken"]
    assert "p-0003" not in token and "p-0002" not in token
    # Exactly a full last page: no token after it.
    assert all_pages(eks, maxResults=7) == [[f"p-{i:04d}" for i in range(7)]]


def test_list_clusters_default_page_size_is_100_and_a_knob(emulator, eks):
    emulator.ok("POST", "/clusters/bulk", {"count": 150, "name_prefix": "d-"})
    assert [len(p) for p in all_pages(eks)] == [100, 50]
    assert emulator.ok("POST", "/config", {"list_clusters_page_size": 40})[
        "list_clusters_page_size"] == 40
    assert [len(p) for p in all_pages(eks)] == [40, 40, 40, 30]
    assert sum(all_pages(eks), []) == [f"d-{i:04d}" for i in range(150)]
    assert emulator.control("POST", "/config", {"list_clusters_page_size": 0})[0] == 400
    assert emulator.control("POST", "/config", {"list_clusters_page_size": 101})[0] == 400


@pytest.mark.parametrize("max_results", ["0", "101", "x"])
def test_list_clusters_max_results_outside_1_to_100_is_invalid_parameter(emulator, max_results):
    status, headers, body = emulator.raw("GET", f"/clusters?maxResults={max_results}",
                                         service="eks")
    assert status == 400
    assert headers["x-amzn-errortype"].startswith("InvalidParameterException")
    assert b"maxResults must be an integer between 1 and 100" in body


def test_list_clusters_foreign_token_is_invalid_parameter(emulator, eks):
    with pytest.raises(ClientError) as excinfo:
        eks.list_clusters(nextToken="c1")
    assert error_of(excinfo)[:2] == ("InvalidParameterException", "The nextToken is not valid")


def test_page_continues_after_the_last_cluster_served_even_if_it_was_deleted(emulator, eks):
    emulator.ok("POST", "/clusters/bulk", {"count": 4, "name_prefix": "x-"})
    first = eks.list_clusters(maxResults=2)
    emulator.ok("DELETE", "/clusters/x-0001")
    emulator.ok("DELETE", "/clusters/x-0002")
    assert eks.list_clusters(maxResults=2, nextToken=first["nextToken"])["clusters"] == ["x-0003"]


# -- a cluster deleted while listing --------------------------------------------


def test_delete_after_list_removes_the_cluster_before_describe(emulator, eks):
    emulator.ok("POST", "/clusters/bulk", {"count": 3, "name_prefix": "g-"})
    config = emulator.ok("POST", "/config", {"delete_after_list": ["g-0001", "g-0002"],
                                             "list_clusters_page_size": 2})
    assert config["delete_after_list"] == ["g-0001", "g-0002"]
    page = eks.list_clusters()
    assert page["clusters"] == ["g-0000", "g-0001"]
    with pytest.raises(ClientError) as excinfo:
        eks.describe_cluster(name="g-0001")
    assert error_of(excinfo) == ("ResourceNotFoundException",
                                 "No cluster found for name: g-0001.", 404)
    # g-0002 is deleted only once a page naming it is served.
    assert eks.describe_cluster(name="g-0002")["cluster"]["name"] == "g-0002"
    assert emulator.ok("GET", "/config")["delete_after_list"] == ["g-0002"]
    assert eks.list_clusters(nextToken=page["nextToken"])["clusters"] == ["g-0002"]
    with pytest.raises(ClientError):
        eks.describe_cluster(name="g-0002")
    assert emulator.ok("GET", "/config")["delete_after_list"] == []
    assert eks.list_clusters()["clusters"] == ["g-0000"]
    assert emulator.control("POST", "/config", {"delete_after_list": "g-0000"})[0] == 400


# -- bulk clusters -------------------------------------------------------------


def test_bulk_create_500_clusters_with_keys_is_quick(emulator, eks, kms):
    key = emulator.ok("POST", "/keys", {})
    started = time.monotonic()
    created = emulator.ok("POST", "/clusters/bulk",
                          {"count": 500, "name_prefix": "b-", "key_arn": key["key_arn"]})
    elapsed = time.monotonic() - started
    print(f"500 clusters with a key in {elapsed:.2f}s")
    assert len(created["clusters"]) == 500
    assert created["clusters"][499]["name"] == "b-0499"
    assert sum(len(p) for p in all_pages(eks)) == 500
    described = eks.describe_cluster(name="b-0321")["cluster"]
    assert described["encryptionConfig"][0]["provider"]["keyArn"] == key["key_arn"]
    assert described["health"] == {"issues": []}
    assert len(kms.list_grants(KeyId=key["key_id"], Limit=1000)["Grants"]) == 500


def test_bulk_create_with_per_cluster_specs_is_all_or_nothing(emulator, eks):
    key = emulator.ok("POST", "/keys", {})
    created = emulator.ok("POST", "/clusters/bulk", {"clusters": [
        {"name": "a", "key_arn": key["key_arn"]}, {"name": "b", "version": "1.30"}]})
    assert [c["name"] for c in created["clusters"]] == ["a", "b"]
    assert eks.describe_cluster(name="a")["cluster"]["encryptionConfig"] == encryption_config(key["key_arn"])
    assert eks.describe_cluster(name="b")["cluster"]["encryptionConfig"] == []
    assert eks.describe_cluster(name="b")["cluster"]["version"] == "1.30"
    status, body = emulator.control("POST", "/clusters/bulk",
                                    {"clusters": [{"name": "c"}, {"name": "a"}]})
    assert status == 409 and "a" in body["error"]
    assert emulator.control("POST", "/clusters/bulk",
                            {"clusters": [{"name": "d"}, {"name": "d"}]})[0] == 409
    assert sorted(eks.list_clusters()["clusters"]) == ["a", "b"]
    assert emulator.control("POST", "/clusters/bulk", {})[0] == 400
    assert emulator.control("POST", "/clusters/bulk", {"count": 0})[0] == 400
