"""The command line: the same services as the window, without a window (and without Qt)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gui import __version__
from gui.services.datadir import open_data_dir
from gui.services.errors import DeskError
from gui.services.runtime import PullProgress
from gui.services.server_service import ServerService
from gui.services.settings import RUNTIMES

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_STOPPED = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pypi-desk",
        description="A private Python package index (pypiserver) in one click. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="the server's data folder (default: the platform's data dir)")
    parser.add_argument("--screenshot", metavar="PATH", help="render the main window offscreen to a PNG and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    server = commands.add_parser("server", help="start, stop and watch the index server")
    actions = server.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="start the server (or adopt the running one); saves the options given")
    start.add_argument("--port", type=int, help="host port to publish (saved in the settings)")
    start.add_argument("--host", metavar="ADDR", help="bind address: 127.0.0.1 (default) or 0.0.0.0 for a team")
    start.add_argument("--runtime", choices=list(RUNTIMES), help="where to run it (default: the saved choice, auto)")
    actions.add_parser("stop", help="stop and remove the server; the data stays")
    actions.add_parser("status", help="print the URL and exit 0 when running; exit 3 when stopped")
    logs = actions.add_parser("logs", help="print the server's log")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until the server stops")
    logs.add_argument("--tail", type=int, metavar="N", help="only the last N lines")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run a parsed command; print errors in plain words and return the exit code."""
    try:
        service = ServerService.for_data_dir(open_data_dir(args.data_dir))
        handler = {"start": _start, "stop": _stop, "status": _status, "logs": _logs}[args.action]
        return handler(service, args)
    except DeskError as exc:
        print(f"pypi-desk: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_OK


def _start(service: ServerService, args: argparse.Namespace) -> int:
    settings = service.load_settings()
    overrides = {key: value for key, value in (("port", args.port), ("host", args.host)) if value is not None}
    if overrides:
        settings = service.save_settings(settings.replace(**overrides))
    for warning in settings.warnings():
        print(f"pypi-desk: warning: {warning}", file=sys.stderr)
    status = service.start(settings, progress=_print_progress, runtime=args.runtime)
    if status.note:
        print(status.note, file=sys.stderr)
    print(f"Running at {status.url} ({status.detail})")
    return EXIT_OK


def _print_progress(progress: PullProgress) -> None:
    percent = "" if progress.fraction is None else f" {progress.fraction:.0%}"
    print(f"\r{progress.message}{percent}", end="", file=sys.stderr, flush=True)


def _stop(service: ServerService, args: argparse.Namespace) -> int:
    service.stop()
    print("Stopped.")
    return EXIT_OK


def _status(service: ServerService, args: argparse.Namespace) -> int:
    status = service.status()
    if status.running:
        print(f"Running at {status.url} ({status.detail})")
        return EXIT_OK
    print("Stopped.")
    return EXIT_STOPPED


def _logs(service: ServerService, args: argparse.Namespace) -> int:
    stream = service.logs(tail=args.tail, follow=args.follow)
    try:
        for line in stream:
            print(line, flush=args.follow)
    finally:
        stream.close()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: a command runs here; no command opens the window."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is not None:
        return run(args)
    from gui.gui_app import run_gui  # Qt is imported only when a window is wanted

    return run_gui(args.data_dir, screenshot=args.screenshot)
