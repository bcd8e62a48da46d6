"""`pypi-desk backup FILE`, `restore FILE` and `move FOLDER`: one verified archive of a server's data."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.services.core import DeskServices


def add_parser(commands: argparse._SubParsersAction) -> None:
    backup = commands.add_parser(
        "backup", help="write one archive of the packages, users and roles, settings and certificates"
    )
    backup.add_argument("file", type=Path, help="the archive to write (.tar.gz), outside the data folder")
    backup.set_defaults(handler=_backup)
    restore = commands.add_parser(
        "restore", help="restore an archive into a new data folder (--data-dir), verified against its manifest first"
    )
    restore.add_argument("file", type=Path, help="an archive `pypi-desk backup` wrote")
    restore.set_defaults(handler=_restore)


def _backup(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.backup.archive import write_backup

    summary = write_backup(services.data_dir, args.file)
    print(f"Wrote {summary} (mode 0600: it holds password hashes and keys).")
    return 0


def _restore(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.backup.archive import restore_backup

    summary = restore_backup(args.file, services.data_dir)
    print(f"Restored {summary}; every file matched the manifest.")
    print(f"Start it with: pypi-desk --data-dir {summary.path} server start")
    return 0


def add_move_parser(commands: argparse._SubParsersAction) -> None:
    move = commands.add_parser(
        "move", help="move this index to a new folder: copied, verified, started there; the old folder stays"
    )
    move.add_argument("folder", type=Path, help="a new, empty folder")
    move.set_defaults(handler=_move)


def _move(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.backup.move import move_to_folder

    moved, summary = move_to_folder(services, args.folder)
    status = moved.server.status()
    where = f"; it runs at {status.url}" if status.running else ""
    print(f"Moved {summary.files} files to {moved.data_dir.root}{where}. {services.data_dir.root} is left as it was: "
          "remove it when you no longer need it.")  # fmt: skip
    return 0
