"""The request log: every AWS request the emulator answered (or dropped).

Control-API calls (``/_emulator``) and moto's own ``/moto-api`` are never recorded.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from .awsreq import AwsRequest


class RequestLog:
    """An append-only, thread-safe list of request records."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._seq = 0

    def record(self, req: AwsRequest, status: int | None, request_id: str | None,
               fault: str | None = None) -> dict[str, Any]:
        """Append one record; ``status`` is None when the connection was dropped."""
        with self._lock:
            self._seq += 1
            entry = {
                "seq": self._seq,
                "time": round(time.time(), 3),
                "service": req.service,
                "operation": req.operation,
                "method": req.method,
                "path": req.path,
                "status": status,
                "region": req.region,
                "request_id": request_id,
                "body": req.log_body(),
                # Which credentials signed it: the access key id of the SigV4
                # scope (never the secret or the signature), and the account
                # it was served as.
                "access_key_id": req.access_key or None,
                "account": req.account,
                "fault": fault,
            }
            self._entries.append(entry)
            return entry

    def entries(self) -> list[dict[str, Any]]:
        """A copy of all records, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget all records; numbering starts again at 1."""
        with self._lock:
            self._entries.clear()
            self._seq = 0
