"""Move an index to another folder, or to a volume on any engine: backup, restore, verify, switch.

The server is stopped only while copying. The old folder or volume stays as it was until you
remove it. If the copy or the new start fails, the old server is started again, so a failed
move leaves things as they were.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from gui.services.backup.archive import BackupSummary
from gui.services.backup.volume_copy import backup_any, restore_any
from gui.services.core import DeskServices
from gui.services.errors import BackupError
from gui.services.server.datadir import open_data_dir, open_volume


def move_to_folder(services: DeskServices, target: Path) -> tuple[DeskServices, BackupSummary]:
    """The index of ``services`` in the new folder ``target`` (running if it ran); the old data stays."""
    return move_index(services, DeskServices.open(open_data_dir(target)))


def move_to_volume(services: DeskServices, volume: str, engine: str = "") -> tuple[DeskServices, BackupSummary]:
    """The index of ``services`` in the new volume ``volume`` on ``engine`` (running if it ran)."""
    return move_index(services, DeskServices.open(open_volume(volume, engine)))


def move_index(services: DeskServices, moved: DeskServices) -> tuple[DeskServices, BackupSummary]:
    source, destination = services.data_dir, moved.data_dir
    if (source.root, source.volume, source.engine) == (destination.root, destination.volume, destination.engine):
        raise BackupError(f"The index is in {source.describe()} already: choose another place.")
    if (
        not source.is_volume
        and not destination.is_volume
        and (destination.root.is_relative_to(source.root) or source.root.is_relative_to(destination.root))
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
            archive = backup_any(services, Path(scratch) / "move.tar.gz")
            summary = restore_any(archive.path, moved)  # verified against the manifest, and in the volume again
            if was_running:
                moved.server.start(moved.server.load_settings())
        except BaseException:
            if was_running:
                server.start(settings)  # as it was
            raise
    return moved, summary
