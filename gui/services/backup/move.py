"""Move an index to another folder, or to a volume on any engine: backup, restore, verify, switch.

The server is stopped only while copying. The old folder or volume stays as it was until you
remove it. If the copy or the new start fails, the old server is started again, so a failed
move leaves things as they were.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from gui.services.backup.archive import BackupSummary
from gui.services.backup.volume_copy import backup_any, restore_any
from gui.services.core import DeskServices
from gui.services.errors import BackupError
from gui.services.index.datadir import open_data_dir
from gui.services.paths import within
from gui.services.volume.location import open_volume

#: Told how far a move is: what it does now, and the share done (0 to 1).
MoveProgress = Callable[[str, float], None]


def move_to_folder(
    services: DeskServices, target: Path, progress: MoveProgress | None = None
) -> tuple[DeskServices, BackupSummary]:
    """The index of ``services`` in the new folder ``target`` (running if it ran); the old data stays."""
    return move_index(services, DeskServices.open(open_data_dir(target)), progress)


def move_to_volume(
    services: DeskServices, volume: str, engine: str = "", progress: MoveProgress | None = None
) -> tuple[DeskServices, BackupSummary]:
    """The index of ``services`` in the new volume ``volume`` on ``engine`` (running if it ran)."""
    return move_index(services, DeskServices.open(open_volume(volume, engine)), progress)


def _phase(progress: MoveProgress | None, text: str, start: float, share: float):
    """A backup or restore's (done, total) as the move's own progress, between ``start`` and ``start + share``."""
    if progress is None:
        return None
    return lambda done, total: progress(text, start + share * (done / total if total else 1.0))


def move_index(
    services: DeskServices, moved: DeskServices, progress: MoveProgress | None = None
) -> tuple[DeskServices, BackupSummary]:
    source, destination = services.data_dir, moved.data_dir
    if (source.root, source.volume, source.engine) == (destination.root, destination.volume, destination.engine):
        raise BackupError(f"The index is in {source.describe()} already: choose another place.")
    if (
        not source.is_volume
        and not destination.is_volume
        and (within(destination.root, source.root) or within(source.root, destination.root))
    ):
        raise BackupError(
            f"{destination.root} is inside the index's own folder {source.root} (or holds it): the old server would "
            "serve the new one's password file and keys. Choose a folder outside it."
        )
    server = services.server
    settings = server.load_settings()
    was_running = server.status().running
    with tempfile.TemporaryDirectory(prefix="pypi-desk-move-") as scratch:
        if was_running:
            server.stop()
        try:
            copying = _phase(progress, f"Copying {source.describe()}…", 0.0, 0.45)
            archive = backup_any(services, Path(scratch) / "move.tar.gz", progress=copying)
            placing = _phase(progress, f"Placing and verifying it in {destination.describe()}…", 0.45, 0.45)
            summary = restore_any(archive.path, moved, placing)  # verified against the manifest, and again there
            if was_running:
                if progress is not None:
                    progress("Starting the server there…", 0.92)
                moved.server.start(moved.server.load_settings())
        except BaseException:
            if was_running:
                server.start(settings)  # as it was
            raise
    return moved, summary
