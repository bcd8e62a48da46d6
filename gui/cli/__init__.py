"""The command line: the same core as the window, without a window (and without Qt).

Building the parser imports nothing heavy; each command imports what it uses when it
runs, so ``pypi-desk --help`` is as quick as Python itself. Every command gets the one
:class:`~gui.services.core.DeskServices` for its data folder.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Sequence

from gui import __version__
from gui.cli import backup, cache, client, doctor, packages, server, settings, tokens, usage, users
from gui.services.server.command import FROZEN_SERVER_ARGUMENT

EXIT_OK = 0
EXIT_ERROR = 1
TABS = ("server", "packages", "usage", "users", "client", "doctor")


def _window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="the server's data folder (default: the platform's data dir)")
    parser.add_argument(
        "--engine",
        metavar="CONTEXT_OR_URL",
        help="the Docker engine: a context ('docker context ls') or a URL such as ssh://user@host (with --volume)",
    )
    parser.add_argument("--volume", metavar="NAME", help="keep the server's data in this Docker volume on the engine")
    parser.add_argument("--verbose", "-v", action="store_true", help="log what happens to stderr as well")
    parser.add_argument("--screenshot", metavar="PATH", help="render the main window offscreen to a PNG and exit")
    parser.add_argument("--tab", choices=TABS, default="server", help="the tab to show first")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pypi-desk",
        description="A private Python package index (pypiserver) in one click. Without a command, opens the window.",
    )
    _window_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    server.add_parser(commands)
    settings.add_parser(commands)
    users.add_parser(commands)
    tokens.add_parser(commands)
    client.add_parser(commands)
    packages.add_parser(commands)
    usage.add_parser(commands)
    cache.add_parser(commands)
    doctor.add_parser(commands)
    backup.add_parser(commands)
    backup.add_move_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``pypi-desk`` console command: a command runs here; no command opens the window."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == [FROZEN_SERVER_ARGUMENT]:  # the bundle, started by the process runtime as the server
        from gui.services.server.inside.launcher import main as launch

        launch(argv[1:])
        return EXIT_OK
    args = build_parser().parse_args(argv)
    if args.command is None:
        return _window(args)
    return run_command(args)


def gui_main(argv: Sequence[str] | None = None) -> int:
    """The ``pypi-desk-gui`` window command (a GUI script: no console window on Windows)."""
    parser = argparse.ArgumentParser(prog="pypi-desk-gui", description="Open the PyPI Desk window.")
    _window_options(parser)
    return _window(parser.parse_args(sys.argv[1:] if argv is None else list(argv)))


def _window(args: argparse.Namespace) -> int:
    from gui.gui_app import run_gui  # Qt is imported only when a window is wanted
    from gui.services.errors import DeskError

    try:
        where(args)
    except DeskError as exc:
        print(f"pypi-desk: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return run_gui(
        args.data_dir, screenshot=args.screenshot, tab=args.tab, verbose=args.verbose, engine=args.engine,
        volume=args.volume,
    )  # fmt: skip


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed command against the core of its data folder; errors become one line on stderr."""
    from gui.services.app_log import configure_logging, report_unexpected
    from gui.services.core import DeskServices
    from gui.services.errors import DeskError

    configure_logging(verbose=args.verbose)
    services = None
    previous = _stop_cleanly_on_sigterm()
    try:
        services = DeskServices.open(args.data_dir, **where(args))
        return args.handler(services, args)
    except DeskError as exc:
        print(f"pypi-desk: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:  # the reader went away (``| head``): nothing more to say, to nobody
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the interpreter's last flush is quiet too
        return EXIT_ERROR
    except Exception as exc:  # a bug: the traceback goes to the log file, the user gets one line
        print(f"pypi-desk: {report_unexpected(exc, f'running {args.command}')}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if services is not None:
            services.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
            if hasattr(signal, "SIGHUP"):
                signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _stop_cleanly_on_sigterm():
    """A command stopped by SIGTERM (``timeout``, a service manager) ends as Ctrl+C does: what it was writing
    is removed (a half-written backup, a restore's staging folder) rather than left behind."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(_signum, _frame) -> None:
        raise KeyboardInterrupt

    if hasattr(signal, "SIGHUP"):  # the terminal closed
        signal.signal(signal.SIGHUP, interrupt)
    return signal.signal(signal.SIGTERM, interrupt)


def where(args: argparse.Namespace) -> dict[str, str | None]:
    """``engine`` and ``volume`` for :meth:`DeskServices.open`, refused when they contradict ``--data-dir``."""
    from gui.services.errors import DataDirError

    if args.volume and args.data_dir:
        raise DataDirError("Give --data-dir (a folder) or --volume (a Docker volume), not both.")
    if args.engine and not args.volume:
        raise DataDirError(
            f"A server on the engine {args.engine} keeps its data in a Docker volume there (a folder of this "
            "computer is not on that machine): add --volume NAME, such as --volume team-index."
        )
    return {"engine": args.engine, "volume": args.volume}
