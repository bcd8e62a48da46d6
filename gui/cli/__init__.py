"""The command line: the same services as the window, without a window (and without Qt)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gui import __version__
from gui.cli import client, doctor, packages, server, users
from gui.services.datadir import open_data_dir
from gui.services.errors import DeskError
from gui.services.process_runtime import FROZEN_SERVER_ARGUMENT

EXIT_OK = 0
EXIT_ERROR = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pypi-desk",
        description="A private Python package index (pypiserver) in one click. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="the server's data folder (default: the platform's data dir)")
    parser.add_argument("--screenshot", metavar="PATH", help="render the main window offscreen to a PNG and exit")
    parser.add_argument(
        "--tab",
        choices=["server", "packages", "users", "client", "doctor"],
        default="server",
        help="the tab to show first",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    server.add_parser(commands)
    users.add_parser(commands)
    client.add_parser(commands)
    packages.add_parser(commands)
    doctor.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: a command runs here; no command opens the window."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == [FROZEN_SERVER_ARGUMENT]:  # the bundle, started by the process runtime as the server
        from pypiserver.__main__ import main as run_pypiserver

        run_pypiserver(argv[1:])
        return EXIT_OK
    args = build_parser().parse_args(argv)
    if args.command is None:
        from gui.gui_app import run_gui  # Qt is imported only when a window is wanted

        return run_gui(args.data_dir, screenshot=args.screenshot, tab=args.tab)
    try:
        return args.handler(open_data_dir(args.data_dir), args)
    except DeskError as exc:
        print(f"pypi-desk: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
