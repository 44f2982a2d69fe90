"""The WSGI application: control API, fault injection, EKS extension, moto.

For each request:

1. ``/_emulator/*`` goes to the control API (:mod:`.control`).
2. ``/moto-api/*`` goes straight to moto.
3. Any other request is an AWS call: it is classified (:mod:`.awsreq`), time
   based state is settled, a matching fault may fire (:mod:`.faults`), then the
   EKS extension (:mod:`.eks_ext`) or moto answers it, the reply is fixed up
   for aws-sdk-rust, and the call is recorded (:mod:`.request_log`).
"""

from __future__ import annotations

import io
import time
from typing import Any, Iterable
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from . import accounts, kms_access, kms_ext
from .awsreq import AwsRequest, classify
from .control import PREFIX, ControlApi
from .faults import drop_connection, error_reply, hang
from .http import JSON_11, Reply, aws_error, rest_json_error
from .state import EmulatorState


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the whole request body and put a re-readable copy back into ``environ``."""
    stream = environ.get("wsgi.input")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if stream is None:
        body = b""
    elif length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


class EmulatorApp:
    """WSGI callable wrapping moto's server application."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.control = ControlApi(state)
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == PREFIX or path.startswith(PREFIX + "/"):
            body = read_body(environ)
            reply = self.control.handle(environ.get("REQUEST_METHOD", "GET").upper(), path,
                                        parse_qs(environ.get("QUERY_STRING", "")), body)
            return reply.wsgi(start_response)
        if path.startswith("/moto-api"):
            return self.moto(environ, start_response)
        return self.serve_aws(environ, start_response)

    def serve_aws(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Answer one AWS API request, with faults and logging."""
        req = classify(environ, read_body(environ))
        fault = self.state.faults.take(req.service, req.operation)
        fault_kind = fault.kind if fault else None

        if fault is not None and fault.kind == "latency":
            time.sleep(fault.latency_ms / 1000.0)
        elif fault is not None and fault.kind == "hang":
            self.state.log.record(req, None, None, fault_kind)
            hang(environ, fault.latency_ms / 1000.0)
        elif fault is not None and fault.kind == "drop" and not fault.after_processing:
            self.state.log.record(req, None, None, fault_kind)
            drop_connection(environ)
        elif fault is not None and fault.kind in ("throttle", "server_error"):
            reply = error_reply(fault.kind, req.service, req.protocol)
            self.state.log.record(req, reply.status, reply.request_id, fault_kind)
            return reply.wsgi(start_response)

        with self.state.lock:
            # Served as the account of the caller's access key, as moto does
            # (see accounts).
            req.account = accounts.of_access_key(req.access_key)
            with accounts.serving(req.account):
                self.state.settle()
                reply = self.dispatch(req, environ)

        if fault is not None and fault.kind == "drop":
            self.state.log.record(req, None, reply.request_id, fault_kind)
            drop_connection(environ)
        self.state.log.record(req, reply.status, reply.request_id, fault_kind)
        return reply.wsgi(start_response)

    def dispatch(self, req: AwsRequest, environ: dict[str, Any]) -> Reply:
        """Let the EKS extension or moto answer ``req`` (call under the lock)."""
        if req.service == "eks":
            reply = self.state.eks.handle(req) or self.before_create_cluster(req)
            if reply is not None:
                return reply
        if req.service == "kms":
            reply = kms_access.handle(self.state.access, req)
            if reply is not None:
                return reply
        reply = self.fix_up(req, self.call_moto(environ))
        if req.service == "eks":
            reply = self.state.eks.after_moto(req, reply)
            if req.operation == "CreateCluster" and reply.status == 200:
                name = (reply.json() or {}).get("cluster", {}).get("name", "")
                self.state.timing.after_api_create(req.region, name)
        return reply

    def before_create_cluster(self, req: AwsRequest) -> Reply | None:
        """CreateCluster with a key the caller cannot grant on is refused at once (see kms_access)."""
        if req.operation != "CreateCluster":
            return None
        for config in req.json_body().get("encryptionConfig") or []:
            provider = config.get("provider") if isinstance(config, dict) else None
            reference = provider.get("keyArn") if isinstance(provider, dict) else None
            if not isinstance(reference, str):
                continue
            key_arn = kms_ext.resolve_key_arn(reference, req.region) or reference
            refusal = kms_access.eks_grant_refusal(self.state.access, req, key_arn)
            if refusal:
                return rest_json_error("InvalidRequestException", refusal, 400)
        return None

    def call_moto(self, environ: dict[str, Any]) -> Reply:
        """Run moto's WSGI app and buffer its response."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, list(headers)
            return lambda data: None

        chunks = self.moto(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status = int(str(captured.get("status", "500")).split()[0])
        return Reply(status, captured.get("headers", []), body)

    def fix_up(self, req: AwsRequest, reply: Reply) -> Reply:
        """Make moto's reply look like AWS's to aws-sdk-rust."""
        # moto's EKS errors carry a stray "status" header; drop it, and let the
        # framework recompute Content-Length.
        reply.remove_header("status")
        reply.remove_header("Content-Length")
        content_type = reply.header("Content-Type") or ""
        if reply.status == 404 and content_type.startswith("text/html"):
            return aws_error(req.protocol, "UnknownOperationException",
                             f"The emulator does not implement {req.service} {req.method} {req.path}",
                             404 if req.protocol == "rest-json" else 400)
        if req.protocol == "json":
            reply.set_header("Content-Type", JSON_11)
        return reply
