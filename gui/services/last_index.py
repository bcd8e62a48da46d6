"""The index the window showed last (a data folder, or a volume on an engine), so a reopened window shows it again.

Kept in ``last-index.json`` in the app's configuration folder, written atomically. Only the
window reads it: a command without ``--data-dir`` or ``--volume`` keeps meaning the default
folder. A remembered folder that is gone, or a file that cannot be read, is no error: the
window then opens the default folder, as it did before anything was remembered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from gui.services.atomic import write_atomic
from gui.services.index.datadir import DataDir

FILE_NAME = "last-index.json"


@dataclass(frozen=True)
class Place:
    """Where an index is: ``folder``, or ``volume`` on ``engine`` ("" is this computer's)."""

    folder: str = ""
    volume: str = ""
    engine: str = ""


def default_file() -> Path:
    return platformdirs.user_config_path("pypi-desk", appauthor=False) / FILE_NAME


def remember(data_dir: DataDir, path: Path | None = None) -> None:
    """Note ``data_dir`` as the index shown last; a failure to write is only logged away (nothing depends on it)."""
    place = Place(volume=data_dir.volume, engine=data_dir.engine) if data_dir.is_volume else Place(str(data_dir.root))
    text = json.dumps({"folder": place.folder, "volume": place.volume, "engine": place.engine}, indent=2) + "\n"
    target = path or default_file()
    try:
        if target.is_file() and target.read_text("utf-8") == text:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text.encode("utf-8"), mode=0o600)
    except OSError:
        pass  # the next window opens the default folder: no worse than before


def recall(path: Path | None = None) -> Place | None:
    """The index shown last, or None (nothing remembered, unreadable, or a folder that is gone)."""
    try:
        data = json.loads((path or default_file()).read_text("utf-8"))
        place = Place(str(data.get("folder") or ""), str(data.get("volume") or ""), str(data.get("engine") or ""))
    except (OSError, ValueError, AttributeError):
        return None
    if place.volume:
        return place
    if place.folder and Path(place.folder).is_dir():
        return place
    return None
