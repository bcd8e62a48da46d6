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
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists (never a link or a device)")
    backup.add_argument(
        "--without-cache", action="store_true", help="leave out upstream's files the cache kept (not for offline use)"
    )
    backup.set_defaults(handler=_backup)
    restore = commands.add_parser(
        "restore",
        help="restore an archive into a new data folder (--data-dir) or volume (--engine/--volume), verified first",
    )
    restore.add_argument("file", type=Path, help="an archive `pypi-desk backup` wrote")
    restore.set_defaults(handler=_restore)


def _backup(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.backup.volume_copy import backup_any

    summary = backup_any(services, args.file, replace=args.force, with_cache=not args.without_cache)
    print(f"Wrote {summary} (mode 0600: it holds password hashes and keys).")
    return 0


def _restore(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.backup.volume_copy import restore_any

    summary = restore_any(args.file, services)
    print(f"Restored {summary}; every file matched the manifest.")
    print(f"Start it with: pypi-desk {_where_options(services)} server start")
    return 0


def add_move_parser(commands: argparse._SubParsersAction) -> None:
    move = commands.add_parser(
        "move",
        help="move this index to a new folder, or a volume on any engine: copied, verified, started there; "
        "the old data stays",
    )
    move.add_argument("folder", type=Path, nargs="?", help="a new, empty folder")
    move.add_argument("--to-volume", metavar="NAME", help="a new Docker volume instead of a folder")
    move.add_argument(
        "--to-engine", metavar="CONTEXT_OR_URL", default="", help="the engine of --to-volume (default: this machine's)"
    )
    move.set_defaults(handler=_move)


def _move(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.backup.move import move_to_folder, move_to_volume
    from gui.services.errors import BackupError

    if (args.folder is None) == (args.to_volume is None):
        raise BackupError("Give the new place: a folder, or --to-volume NAME (with --to-engine for another engine).")
    if args.to_volume:
        moved, summary = move_to_volume(services, args.to_volume, args.to_engine)
    else:
        moved, summary = move_to_folder(services, args.folder)
    try:
        status = moved.server.status()
        where = f"; it runs at {status.url}" if status.running else ""
        print(f"Moved {summary.files} files to {moved.data_dir.describe()}{where}. {services.data_dir.describe()} is "
              "left as it was: remove it when you no longer need it.")  # fmt: skip
        print(f"From now on: pypi-desk {_where_options(moved)} …")
    finally:
        moved.close()
    return 0


def _where_options(services: DeskServices) -> str:
    import shlex

    data = services.data_dir
    if not data.is_volume:
        return f"--data-dir {shlex.quote(str(data.root))}"
    engine = f"--engine {shlex.quote(data.engine)} " if data.engine else ""
    return f"{engine}--volume {shlex.quote(data.volume)}"
