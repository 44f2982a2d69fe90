"""A minimal HTTP reply type and AWS-shaped error replies.

Each AWS protocol has its own error shape, and aws-sdk-rust only finds the error
code and request id where the protocol puts them:

* REST-JSON (EKS): status code, ``x-amzn-ErrorType`` header, ``x-amzn-RequestId``
  header, body ``{"message": ...}``;
* JSON 1.1 (KMS): ``{"__type": ..., "message": ...}`` body plus ``x-amzn-RequestId``;
* query (STS): an XML ``<ErrorResponse>`` with ``<Code>`` and ``<RequestId>``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

JSON_11 = "application/x-amz-json-1.1"


def new_request_id() -> str:
    """A fresh request id in AWS's usual UUID form."""
    return str(uuid.uuid4())


@dataclass
class Reply:
    """A complete, buffered HTTP response."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """Value of the first header called ``name`` (case-insensitive)."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def set_header(self, name: str, value: str) -> None:
        """Replace every header called ``name`` by one with ``value``."""
        self.remove_header(name)
        self.headers.append((name, value))

    def remove_header(self, name: str) -> None:
        """Drop every header called ``name`` (case-insensitive)."""
        lname = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lname]

    @property
    def request_id(self) -> str | None:
        """The ``x-amzn-RequestId`` header, if any."""
        return self.header("x-amzn-RequestId")

    def json(self) -> Any:
        """The body parsed as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def wsgi(self, start_response: Any) -> list[bytes]:
        """Send this reply through a WSGI ``start_response``."""
        self.set_header("Content-Length", str(len(self.body)))
        reason = _REASONS.get(self.status, "Unknown")
        start_response(f"{self.status} {reason}", self.headers)
        return [self.body]


_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def json_reply(payload: Any, status: int = 200, *, content_type: str = "application/json",
               request_id: str | None = None) -> Reply:
    """A JSON reply carrying an ``x-amzn-RequestId`` header."""
    return Reply(
        status,
        [("Content-Type", content_type), ("x-amzn-RequestId", request_id or new_request_id())],
        json.dumps(payload).encode(),
    )


def rest_json_error(code: str, message: str, status: int, *, request_id: str | None = None,
                    extra: dict[str, Any] | None = None) -> Reply:
    """An EKS (REST-JSON) error reply."""
    body: dict[str, Any] = {"message": message}
    if extra:
        body.update({k: v for k, v in extra.items() if v is not None})
    rid = request_id or new_request_id()
    return Reply(
        status,
        [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", rid),
        ],
        json.dumps(body).encode(),
    )


def json11_error(code: str, message: str, status: int, *, request_id: str | None = None) -> Reply:
    """A KMS (JSON 1.1) error reply."""
    rid = request_id or new_request_id()
    return Reply(
        status,
        [("Content-Type", JSON_11), ("x-amzn-RequestId", rid)],
        json.dumps({"__type": code, "message": message}).encode(),
    )


def query_error(code: str, message: str, status: int, *, request_id: str | None = None) -> Reply:
    """An STS-style (query protocol, XML) error reply."""
    rid = request_id or new_request_id()
    kind = "Sender" if status < 500 else "Receiver"
    body = (
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        f"<Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{rid}</RequestId></ErrorResponse>"
    ).encode()
    return Reply(status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)], body)


def aws_error(protocol: str, code: str, message: str, status: int) -> Reply:
    """An error reply in the shape of ``protocol`` (``rest-json``, ``json`` or ``query``)."""
    if protocol == "json":
        return json11_error(code, message, status)
    if protocol == "query":
        return query_error(code, message, status)
    return rest_json_error(code, message, status)
