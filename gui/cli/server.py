"""`pypi-desk server start|stop|status|logs|ca|renew`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gui.services.index.settings import RUNTIMES

if TYPE_CHECKING:
    from gui.services.core import DeskServices
    from gui.services.server.runtime import PullProgress

EXIT_STOPPED = 3


def add_parser(commands: argparse._SubParsersAction) -> None:
    server = commands.add_parser("server", help="start, stop and watch the index server")
    actions = server.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="start the server (or adopt the running one); saves the options given")
    start.add_argument("--port", type=int, help="host port to publish (saved in the settings)")
    start.add_argument("--host", metavar="ADDR", help="bind address: 127.0.0.1 (default) or 0.0.0.0 for a team")
    start.add_argument("--runtime", choices=list(RUNTIMES), help="where to run it (default: the saved choice, auto)")
    start.set_defaults(handler=_start)
    actions.add_parser("stop", help="stop and remove the server; the data stays").set_defaults(handler=_stop)
    status = actions.add_parser("status", help="print the URL and exit 0 when running; exit 3 when stopped")
    status.set_defaults(handler=_status)
    logs = actions.add_parser("logs", help="print the server's log")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until the server stops")
    logs.add_argument("--tail", type=int, metavar="N", help="only the last N lines")
    logs.set_defaults(handler=_logs)
    ca = actions.add_parser("ca", help="write the CA certificate clients must trust for HTTPS (PEM), for teammates")
    ca.add_argument("file", type=Path)
    ca.set_defaults(handler=_ca)
    actions.add_parser("renew", help="make a new server certificate now (HTTPS)").set_defaults(handler=_renew)


def _start(services: DeskServices, args: argparse.Namespace) -> int:
    service = services.server
    overrides = {key: value for key, value in (("port", args.port), ("host", args.host)) if value is not None}
    settings = service.load_settings().replace(**overrides)
    for warning in settings.warnings():
        print(f"pypi-desk: warning: {warning}", file=sys.stderr)
    status = service.save_and_start(settings, progress=_print_progress, runtime=args.runtime)
    if status.note:
        print(status.note, file=sys.stderr)
    print(f"Running at {status.url} ({status.detail})")
    return 0


def _print_progress(progress: PullProgress) -> None:
    percent = "" if progress.fraction is None else f" {progress.fraction:.0%}"
    print(f"\r{progress.message}{percent}", end="", file=sys.stderr, flush=True)


def _stop(services: DeskServices, args: argparse.Namespace) -> int:
    services.server.stop()
    print("Stopped.")
    return 0


def _status(services: DeskServices, args: argparse.Namespace) -> int:
    status = services.server.status()
    if status.running:
        print(f"Running at {status.url} ({status.detail})")
        return 0
    print("Stopped.")
    return EXIT_STOPPED


def _logs(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.server.log_lines import TlsNoise

    stream = services.server.logs(tail=args.tail, follow=args.follow)
    noise = TlsNoise()  # a client's failed TLS handshake: one line, as in the window, not gevent's traceback
    try:
        for line in stream:
            for shown in noise.feed([line]):
                print(shown, flush=args.follow)
    finally:
        stream.close()
        for shown in noise.flush():
            print(shown)
    return 0


def _ca(services: DeskServices, args: argparse.Namespace) -> int:
    settings = services.server.load_settings()
    written = services.server.tls.export_ca(settings, args.file)
    print(f"Wrote {written}. On a teammate's machine, with the file there:")
    for line in trust_lines(settings.url, written):
        print(f"  {line}")
    return 0


def trust_lines(url: str, ca_file: Path) -> list[str]:
    """What a teammate runs to trust the server with the exported CA file."""
    name = ca_file.name
    return [
        f"curl --cacert {name} {url}/simple/",
        f"pip install --cert {name} --index-url {url}/simple/ PACKAGE",
        f"SSL_CERT_FILE={name} uv pip install --index-url {url}/simple/ PACKAGE",
        f"twine upload --cert {name} --repository-url {url} dist/*",
    ]


def _renew(services: DeskServices, args: argparse.Namespace) -> int:
    server = services.server
    certificate = server.tls.renew(server.load_settings())
    print(f"Made a new certificate for {', '.join(certificate.facts.names)}, valid until "
          f"{certificate.facts.not_after:%Y-%m-%d}.")  # fmt: skip
    if server.status().running:
        print("The running server still presents the old one: stop it and start it again.")
    return 0
