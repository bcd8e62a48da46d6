"""Crash-safe file replacement: write a temp file beside the target, fsync, rename.

A reader (or the server in the container, which sees the folder through a bind
mount) only ever finds the old file or the new one, never a partial one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically; the new file gets ``mode``. Only a regular file (or none) is
    replaced: a device, a folder or a pipe at ``path`` (``/dev/null``, as root) raises OSError instead."""
    try:
        existing = os.stat(path).st_mode
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing):
        raise OSError(errno.EINVAL, "it is not a regular file (a device, a folder or a pipe); choose a file", str(path))
    directory = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_lines(path: Path, lines: list[str]) -> int:
    """Replace ``path`` with ``lines`` (a saved log, readable by others); returns how many were written."""
    write_atomic(path, ("\n".join(lines) + "\n").encode("utf-8"), mode=0o644)
    return len(lines)
