"""Fault injection: throttling, server errors, dropped connections, latency.

Faults are registered with ``POST /_emulator/faults`` and consumed by matching
AWS requests, one count per request, in registration order. Kinds:

``throttle``
    ``ThrottlingException`` -- HTTP 429 for EKS, HTTP 400 for KMS (as AWS does),
    ``Throttling`` HTTP 400 for query-protocol services (STS).
``server_error``
    HTTP 500 -- EKS ``ServerException``, KMS ``KMSInternalException``,
    ``InternalFailure`` elsewhere.
``drop``
    The TCP connection is shut down without any HTTP response. By default the
    request is not processed; with ``"after_processing": true`` it is processed
    (state changes happen) and only the response is lost.
``latency``
    Sleep ``latency_ms`` milliseconds, then answer normally.
``hang``
    Accept the request and never answer: the connection stays open and
    silent for ``latency_ms`` (default 10 minutes), then is closed without a
    response. This is the endpoint that "accepts connections and never
    answers" (a stalled proxy, VPC endpoint or load balancer); the request is
    not processed.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from .http import Reply, json11_error, query_error, rest_json_error

KINDS = ("throttle", "server_error", "drop", "latency", "hang")

#: How long a ``hang`` fault keeps the connection silent by default.
HANG_DEFAULT_MS = 600_000


class FaultSpecError(ValueError):
    """A fault registration body is invalid."""


class DropConnection(ConnectionAbortedError):
    """Raised after the client socket was shut down; werkzeug then writes nothing."""


@dataclass
class Fault:
    """One registered fault rule."""

    operation: str
    kind: str
    count: int
    latency_ms: int = 0
    service: str | None = None
    after_processing: bool = False

    def matches(self, service: str, operation: str) -> bool:
        """Whether a request for ``service``/``operation`` triggers this fault."""
        if self.service and self.service != service:
            return False
        return self.operation in ("*", operation)

    def to_json(self) -> dict[str, Any]:
        """JSON form for the control API."""
        return {
            "operation": self.operation,
            "kind": self.kind,
            "count": self.count,
            "latency_ms": self.latency_ms,
            "service": self.service,
            "after_processing": self.after_processing,
        }

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> Fault:
        """Validate and build a fault from a control-API body."""
        if not isinstance(spec, dict):
            raise FaultSpecError("fault body must be a JSON object")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultSpecError(f"kind must be one of {', '.join(KINDS)}")
        operation = spec.get("operation", "*")
        if not isinstance(operation, str) or not operation:
            raise FaultSpecError("operation must be an operation name or '*'")
        count = spec.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise FaultSpecError("count must be a positive integer")
        latency_ms = spec.get("latency_ms", {"latency": 500, "hang": HANG_DEFAULT_MS}.get(kind, 0))
        if not isinstance(latency_ms, (int, float)) or latency_ms < 0:
            raise FaultSpecError("latency_ms must be a non-negative number")
        service = spec.get("service")
        if service is not None and not isinstance(service, str):
            raise FaultSpecError("service must be a string")
        return cls(operation, kind, count, int(latency_ms), service,
                   bool(spec.get("after_processing", False)))


class FaultInjector:
    """The registered faults; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Register ``fault`` after the existing ones."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        """The faults still armed, as JSON."""
        with self._lock:
            return [f.to_json() for f in self._faults]

    def take(self, service: str, operation: str) -> Fault | None:
        """Consume one count of the first fault matching the request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(service, operation):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


def error_reply(kind: str, service: str, protocol: str) -> Reply:
    """The AWS-shaped error a ``throttle`` or ``server_error`` fault answers with."""
    if kind == "throttle":
        if protocol == "json":
            return json11_error("ThrottlingException", "Rate exceeded", 400)
        if protocol == "query":
            return query_error("Throttling", "Rate exceeded", 400)
        return rest_json_error("ThrottlingException", "Rate exceeded", 429)
    message = "Injected internal server error"
    if protocol == "json":
        code = "KMSInternalException" if service == "kms" else "InternalFailure"
        return json11_error(code, message, 500)
    if protocol == "query":
        return query_error("InternalFailure", message, 500)
    return rest_json_error("ServerException" if service == "eks" else "InternalFailure", message, 500)


def drop_connection(environ: dict[str, Any]) -> None:
    """Shut the client connection down without a response, then abort the request.

    werkzeug's development server exposes the client socket as
    ``environ["werkzeug.socket"]``; after ``shutdown`` the client sees the
    connection closed (EOF) with no HTTP status line. Raising
    :class:`DropConnection` (a ``ConnectionError``) makes werkzeug treat the
    request as dropped instead of answering ``500``.
    """
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise DropConnection("connection dropped by fault injection")


def hang(environ: dict[str, Any], seconds: float) -> None:
    """Keep the client connection open and silent for ``seconds``, then drop it.

    Returns early once the client gives up (its socket reads EOF), so a client
    with a timeout does not leave a thread behind for the whole period.
    """
    sock = environ.get("werkzeug.socket")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sock is not None:
            try:
                ready, _, _ = select.select([sock], [], [], 0.2)
                if ready and not sock.recv(1, socket.MSG_PEEK):
                    break
            except (OSError, ValueError):
                break
        else:
            time.sleep(0.2)
    drop_connection(environ)
