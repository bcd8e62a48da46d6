"""Move an index to another folder: backup, restore, verify, switch; the server is stopped only while copying.

The old folder stays as it was until you remove it. If the copy or the new start fails, the old
server is started again, so a failed move leaves things as they were.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from gui.services.backup.archive import BackupSummary, restore_backup, write_backup
from gui.services.core import DeskServices
from gui.services.errors import BackupError
from gui.services.server.datadir import open_data_dir


def move_to_folder(services: DeskServices, target: Path) -> tuple[DeskServices, BackupSummary]:
    """The index of ``services`` in the new folder ``target`` (running if it ran); the old folder stays."""
    source = services.data_dir.root
    destination = open_data_dir(target)
    if destination.root == source:
        raise BackupError(f"{source} is where the index is already: choose another folder.")
    server = services.server
    settings = server.load_settings()
    was_running = server.status().running
    moved = DeskServices.open(destination)
    with tempfile.TemporaryDirectory(prefix="pypi-desk-move-") as scratch:
        if was_running:
            server.stop()
        try:
            archive = write_backup(services.data_dir, Path(scratch) / "move.tar.gz")
            summary = restore_backup(archive.path, destination)  # verified against the manifest
            if was_running:
                moved.server.start(settings)
        except BaseException:
            if was_running:
                server.start(settings)  # as it was
            raise
    return moved, summary
