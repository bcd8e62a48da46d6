"""The app's own log: a rotated file in the platform's log folder, and stderr on request.

Both the window and the command line call :func:`configure_logging` once at start. An
unexpected error (anything that is not a :class:`~gui.services.errors.DeskError`) is
written there with its traceback by :func:`report_unexpected`, which returns the
plain message to show instead.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

import platformdirs

from gui.services.errors import UnexpectedError

LOG_FILE_NAME = "pypi-desk.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"

log = logging.getLogger("gui")


def default_log_file() -> Path:
    """``~/.local/state/pypi-desk/log/pypi-desk.log`` on Linux; the platform's log folder elsewhere."""
    return platformdirs.user_log_path("pypi-desk", appauthor=False) / LOG_FILE_NAME


def configure_logging(verbose: bool = False, log_file: Path | None = None) -> Path | None:
    """Send the app's log records to the rotated file (and to stderr when ``verbose``).

    Returns the file in use, or None when it cannot be written (the log then goes to stderr).
    """
    root = logging.getLogger("gui")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    path: Path | None = log_file or default_log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
        if os.name != "nt":
            os.chmod(path, 0o600)  # paths and user names, nobody else's business
    except OSError:
        path, to_file = None, logging.StreamHandler(sys.stderr)
    to_file.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(to_file)
    if verbose and path is not None:
        to_stderr = logging.StreamHandler(sys.stderr)
        to_stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(to_stderr)
    root.propagate = False
    return path


def current_log_file() -> str | None:
    """The file the app logs to now, if any."""
    for handler in logging.getLogger("gui").handlers:
        if isinstance(handler, logging.FileHandler):
            return handler.baseFilename
    return None


def report_unexpected(error: BaseException, doing: str) -> UnexpectedError:
    """Log ``error`` with its traceback and return what to show the user instead."""
    log.error("Unexpected error while %s", doing, exc_info=(type(error), error, error.__traceback__))
    return UnexpectedError(error, current_log_file())
