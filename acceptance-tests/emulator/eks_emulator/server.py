"""The HTTP server: a threaded werkzeug server on a loopback address.

It uses moto's request handler (which keeps header spellings moto relies on);
per-request access logging is off unless ``verbose`` is set, so nothing but the
READY line ever reaches stdout and stderr stays quiet.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import BaseWSGIServer, make_server

from .app import EmulatorApp
from .state import EmulatorState


class QuietRequestHandler(MotoRequestHandler):
    """moto's handler without the per-request access log line."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        pass


def is_loopback(host: str) -> bool:
    """True when ``host`` resolves only to loopback addresses."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def build_server(state: EmulatorState, host: str = "127.0.0.1", port: int = 0,
                 verbose: bool = False, ssl_context: ssl.SSLContext | None = None,
                 app: EmulatorApp | None = None) -> BaseWSGIServer:
    """Bind a threaded server for the emulator app (loopback addresses only).

    With ``ssl_context`` it serves HTTPS (see :mod:`.tls`); ``app`` shares one
    application between listeners.
    """
    if not is_loopback(host):
        raise ValueError(f"refusing to bind non-loopback address {host!r}")
    handler = MotoRequestHandler if verbose else QuietRequestHandler
    server = make_server(host, port, app or EmulatorApp(state), threaded=True,
                         request_handler=handler, ssl_context=ssl_context)
    server.daemon_threads = True
    return server


def server_url(server: BaseWSGIServer, scheme: str = "http") -> str:
    """``http://HOST:PORT`` (or ``https://``) of a bound server."""
    host, port = server.server_address[:2]
    if ":" in str(host):
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"
