"""Whether a path lies within a folder, however it is reached: by its name, through a link, or through a
bind mount of that folder or of any folder inside it (``mount --bind DATA/packages /mnt/x``)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def within(path: Path, folder: Path) -> bool:
    """Whether ``path`` (which may not exist yet) is ``folder`` or below it."""
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    if path.is_relative_to(folder):
        return True
    inside: set[tuple[int, int]] = set()
    for current, _dirs, _files in os.walk(folder):  # folders only matter; links are not followed
        with contextlib.suppress(OSError):
            found = os.stat(current)
            inside.add((found.st_dev, found.st_ino))
    for candidate in (path, *path.parents):
        with contextlib.suppress(OSError):
            found = os.stat(candidate)
            if (found.st_dev, found.st_ino) in inside:
                return True
    return False
