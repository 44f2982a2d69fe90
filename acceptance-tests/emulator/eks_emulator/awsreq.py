"""Recognising an incoming AWS request: service, region, operation, protocol.

The service and region come from the SigV4 credential scope
(``Credential=AKID/DATE/REGION/SERVICE/aws4_request``); the operation from
``X-Amz-Target`` (JSON protocols such as KMS), the ``Action`` parameter (query
protocols such as STS) or, for EKS's REST-JSON API, the method and path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

DEFAULT_REGION = "us-east-1"

_NAME = r"(?P<name>[^/]+)"
#: (method, path pattern, operation) for EKS's REST API.
EKS_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), op)
    for m, p, op in [
        ("POST", r"^/clusters$", "CreateCluster"),
        ("GET", r"^/clusters$", "ListClusters"),
        ("GET", rf"^/clusters/{_NAME}$", "DescribeCluster"),
        ("DELETE", rf"^/clusters/{_NAME}$", "DeleteCluster"),
        ("POST", rf"^/clusters/{_NAME}/update-config$", "UpdateClusterConfig"),
        ("POST", rf"^/clusters/{_NAME}/updates$", "UpdateClusterVersion"),
        ("GET", rf"^/clusters/{_NAME}/updates$", "ListUpdates"),
        ("GET", rf"^/clusters/{_NAME}/updates/(?P<updateId>[^/]+)$", "DescribeUpdate"),
        ("POST", rf"^/clusters/{_NAME}/encryption-config/associate$", "AssociateEncryptionConfig"),
        ("POST", rf"^/clusters/{_NAME}/node-groups$", "CreateNodegroup"),
        ("GET", rf"^/clusters/{_NAME}/node-groups$", "ListNodegroups"),
        ("GET", rf"^/clusters/{_NAME}/node-groups/(?P<nodegroupName>[^/]+)$", "DescribeNodegroup"),
        ("DELETE", rf"^/clusters/{_NAME}/node-groups/(?P<nodegroupName>[^/]+)$", "DeleteNodegroup"),
        ("POST", rf"^/clusters/{_NAME}/node-groups/(?P<nodegroupName>[^/]+)/update-config$",
         "UpdateNodegroupConfig"),
        ("POST", rf"^/clusters/{_NAME}/node-groups/(?P<nodegroupName>[^/]+)/update-version$",
         "UpdateNodegroupVersion"),
        ("POST", rf"^/clusters/{_NAME}/fargate-profiles$", "CreateFargateProfile"),
        ("GET", rf"^/clusters/{_NAME}/fargate-profiles$", "ListFargateProfiles"),
        ("GET", rf"^/clusters/{_NAME}/fargate-profiles/(?P<fargateProfileName>[^/]+)$",
         "DescribeFargateProfile"),
        ("DELETE", rf"^/clusters/{_NAME}/fargate-profiles/(?P<fargateProfileName>[^/]+)$",
         "DeleteFargateProfile"),
        ("POST", rf"^/clusters/{_NAME}/addons$", "CreateAddon"),
        ("GET", rf"^/clusters/{_NAME}/addons$", "ListAddons"),
        ("GET", rf"^/clusters/{_NAME}/addons/(?P<addonName>[^/]+)$", "DescribeAddon"),
        ("DELETE", rf"^/clusters/{_NAME}/addons/(?P<addonName>[^/]+)$", "DeleteAddon"),
        ("POST", r"^/tags/(?P<resourceArn>.+)$", "TagResource"),
        ("DELETE", r"^/tags/(?P<resourceArn>.+)$", "UntagResource"),
        ("GET", r"^/tags/(?P<resourceArn>.+)$", "ListTagsForResource"),
    ]
]

#: X-Amz-Target prefixes of JSON-protocol services.
TARGET_PREFIXES = {"TrentService": "kms"}

#: Query-protocol parameters that carry bearer secrets (STS
#: AssumeRoleWithWebIdentity, AssumeRoleWithSAML).
SECRET_FIELDS = ("WebIdentityToken", "SAMLAssertion")

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")


@dataclass
class AwsRequest:
    """What the emulator knows about one AWS API request."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    service: str
    region: str
    operation: str
    #: ``rest-json`` (EKS), ``json`` (KMS, X-Amz-Target) or ``query`` (STS).
    protocol: str
    #: Path parameters of an EKS route (e.g. ``name``, ``updateId``).
    path_params: dict[str, str] = field(default_factory=dict)
    #: The caller's access key id, from the SigV4 credential scope ('' when unsigned).
    access_key: str = ""
    #: The account the request is served as (set by the app, see :mod:`.accounts`).
    account: str | None = None

    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object ({} when empty or not an object)."""
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def query_param(self, name: str) -> str | None:
        """First value of query-string parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else None

    def log_body(self) -> Any:
        """The body as recorded in the request log: JSON, form fields, or None."""
        if not self.body:
            return None
        if self.protocol == "query":
            fields = {k: v[0] if len(v) == 1 else v
                      for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}
            # Bearer secrets never reach the log: a web identity token (or SAML
            # assertion) is as good as credentials while it is valid.
            for secret in SECRET_FIELDS:
                if secret in fields:
                    fields[secret] = "<redacted>"
            return fields
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body.decode("utf-8", "replace")


def classify(environ: dict[str, Any], body: bytes) -> AwsRequest:
    """Build an :class:`AwsRequest` from a WSGI environ and the request body."""
    req = _classify(environ, body)
    scope = _AKID.search(environ.get("HTTP_AUTHORIZATION", ""))
    req.access_key = scope.group("akid") if scope else ""
    return req


_AKID = re.compile(r"Credential=(?P<akid>[^/,\s]+)/")


def _classify(environ: dict[str, Any], body: bytes) -> AwsRequest:
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "") or "/"
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)

    service, region = None, DEFAULT_REGION
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope:
        service, region = scope.group("service").lower(), scope.group("region")

    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        prefix, _, operation = target.partition(".")
        return AwsRequest(method, path, query, body, service or TARGET_PREFIXES.get(prefix, prefix),
                          region, operation or target, "json")

    content_type = environ.get("CONTENT_TYPE", "")
    form = parse_qs(body.decode("utf-8", "replace")) if content_type.startswith(
        "application/x-www-form-urlencoded") else {}
    action = (form.get("Action") or query.get("Action") or [None])[0]
    if action:
        return AwsRequest(method, path, query, body, service or "sts", region, action, "query")

    for route_method, pattern, operation in EKS_ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            return AwsRequest(method, path, query, body, service or "eks", region, operation,
                              "rest-json", match.groupdict())
    return AwsRequest(method, path, query, body, service or "unknown", region, "Unknown", "rest-json")
