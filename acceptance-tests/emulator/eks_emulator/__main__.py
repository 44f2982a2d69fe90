"""Command line entry point: ``python -m eks_emulator``.

    python -m eks_emulator --host 127.0.0.1 --port 0 [--update-duration 1.0] [--seed quickstart]

Prints exactly one line to stdout once listening -- ``EMULATOR_READY http://127.0.0.1:PORT``
-- and exits promptly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from . import eks_ext, kms_access, kms_ext, seed
from . import tls
from .app import EmulatorApp
from .server import build_server, server_url
from .state import EmulatorState


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m eks_emulator",
                                     description="Local EKS + KMS + STS emulator (moto based).")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="port (0 = pick a free one)")
    parser.add_argument("--update-duration", type=float, default=1.0,
                        help="seconds an EKS update stays InProgress (default 1.0)")
    parser.add_argument("--seed", choices=seed.SEEDS, help="create a named start state")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    parser.add_argument("--https-dir", type=Path,
                        help="also serve HTTPS, with a test CA made in this directory (see tls.py)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGTERM/SIGINT."""
    args = parse_args(argv)
    if args.update_duration < 0:
        print("--update-duration must be >= 0", file=sys.stderr)
        return 2
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    kms_ext.install()
    eks_ext.install()
    kms_access.install()
    state = EmulatorState(default_update_duration=args.update_duration)
    if args.seed:
        seed.apply(args.seed, state)
    app = EmulatorApp(state)
    https = None
    try:
        server = build_server(state, args.host, args.port, args.verbose, app=app)
        if args.https_dir is not None:
            _, cert, key = tls.make_certificates(args.https_dir)
            https = build_server(state, args.host, 0, args.verbose,
                                 ssl_context=tls.server_context(cert, key), app=app)
    except (ValueError, OSError) as err:
        print(f"eks_emulator: cannot listen on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    if https is not None:
        threading.Thread(target=https.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True).start()
        # Printed before READY, so a reader that has seen READY knows it.
        print(f"EMULATOR_HTTPS {server_url(https, 'https')}", flush=True)

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"EMULATOR_READY {server_url(server)}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except SystemExit:
        pass
    finally:
        server.server_close()
        if https is not None:
            https.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
