"""Helpers for the emulator tests: starting the process, talking to it, small assertions."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest
from botocore.config import Config

EMULATOR_DIR = Path(__file__).resolve().parents[1]
READY = re.compile(r"^EMULATOR_READY (http://127\.0\.0\.1:(\d+))$")
ACCOUNT = "123456789012"
#: --update-duration of the shared emulator.
UPDATE_DURATION = 0.6


class Emulator:
    """A running emulator process and helpers to talk to it."""

    def __init__(self, proc: subprocess.Popen[str], url: str, ready_line: str,
                 https_url: str | None = None) -> None:
        self.proc, self.url, self.ready_line = proc, url, ready_line
        #: The ``EMULATOR_HTTPS`` URL, with ``--https-dir``.
        self.https_url = https_url

    # -- control API -------------------------------------------------------

    def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Call ``/_emulator{path}``; returns (status, parsed JSON)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_emulator{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        """Call the control API and insist on HTTP 200."""
        status, payload = self.control(method, path, body)
        assert status == 200, (status, payload)
        return payload

    def requests(self) -> list[dict[str, Any]]:
        """The request log."""
        return self.ok("GET", "/requests")["requests"]

    # -- AWS -----------------------------------------------------------------

    def client(self, service: str, region: str = "us-east-1", retries: int = 1) -> Any:
        """A boto3 client pointed at the emulator; ``retries`` is the total attempt count (1 = none)."""
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": retries, "mode": "standard"},
                          connect_timeout=5, read_timeout=10),
        )

    def raw(self, method: str, path: str, *, service: str, region: str = "us-east-1",
            body: bytes | None = None, headers: dict[str, str] | None = None
            ) -> tuple[int, dict[str, str], bytes]:
        """An unsigned-but-scoped raw request, to look at exact wire shapes."""
        all_headers = {
            "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20250101/{region}/{service}/"
                             "aws4_request, SignedHeaders=host, Signature=00",
            **(headers or {}),
        }
        request = urllib.request.Request(self.url + path, data=body, method=method,
                                         headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()

    def stop(self) -> int:
        """SIGTERM the process and wait for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode


def spawn(*args: str) -> subprocess.Popen[str]:
    """Start ``python -m eks_emulator`` with ``args`` (stdout piped)."""
    env = {**os.environ, "PYTHONPATH": str(EMULATOR_DIR)}
    return subprocess.Popen([sys.executable, "-m", "eks_emulator", *args], stdout=subprocess.PIPE,
                            text=True, env=env, cwd=str(EMULATOR_DIR))


def start_emulator(*args: str, timeout: float = 60.0) -> Emulator:
    """Start an emulator on a free port and wait for its READY line."""
    proc = spawn("--port", "0", *args)
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    https_url = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("emulator did not print its READY line")
        readable, _, _ = select.select([proc.stdout], [], [], remaining)
        if readable:
            line = proc.stdout.readline().rstrip("\n")
            if line.startswith("EMULATOR_HTTPS "):
                https_url = line.split(" ", 1)[1]
                # READY follows at once, maybe already in the reader's buffer,
                # where select() would not see it.
                line = proc.stdout.readline().rstrip("\n")
            match = READY.match(line)
            if match:
                return Emulator(proc, match.group(1), line, https_url)
            if line == "" and proc.poll() is not None:
                raise RuntimeError("emulator exited before READY")


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError."""
    response = excinfo.value.response
    return (response["Error"]["Code"], response["Error"]["Message"],
            response["ResponseMetadata"]["HTTPStatusCode"])


def encryption_config(key: str) -> list[dict[str, Any]]:
    """The encryptionConfig argument for ``key``."""
    return [{"resources": ["secrets"], "provider": {"keyArn": key}}]
