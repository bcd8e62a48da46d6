"""The trash as the app uses it (``server/inside/trash.py`` does the moves, in whatever runtime): files a
cleanup removed, restorable in one action for ``trash_days`` days, or written into an archive and gone."""

from __future__ import annotations

import gzip
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gui.services.errors import DeskError
from gui.services.server.inside import facts, trash
from gui.services.usage import index_script

if TYPE_CHECKING:
    from gui.services.server.service import ServerService


@dataclass(frozen=True)
class TrashEntry:
    entry: str  # its name, e.g. 20261203T071500-a1b2c3
    made: float
    files: tuple[str, ...]  # paths below packages/, as they were
    size: int
    expires: float  # when it is emptied for good


#: The files named in one run of the script: one command-line argument of the engine's shell holds at most 128 KB.
CHUNK_BYTES = 48_000


@dataclass(frozen=True)
class Moved:
    entry: str | None
    moved: tuple[str, ...]
    missing: tuple[str, ...]  # gone before the move (removed meanwhile by someone else)
    changed: tuple[str, ...]  # replaced or rewritten since the preview: left where they are
    size: int


def move_to_trash(server: ServerService, files: list[tuple[str, int, float]]) -> Moved:
    """Files (path below packages/, size and modification time as previewed) into one new trash entry; a run of
    the script per few hundred, each adding to the entry the first one made."""
    entry, moved, missing, changed, size = None, [], [], [], 0
    for chunk in _chunks([[path, size, mtime] for path, size, mtime in files]):
        given = json.dumps(chunk)
        raw = index_script.write(server, ["trash", entry or "new", given],
                                 lambda store, e=entry, c=chunk: trash.move_to_trash(store, c, e))  # fmt: skip
        entry = raw.get("entry") or entry
        moved += raw.get("moved", [])
        missing += raw.get("missing", [])
        changed += raw.get("changed", [])
        size += int(raw.get("bytes", 0))
    return Moved(entry if moved else None, tuple(moved), tuple(missing), tuple(changed), size)


def _chunks(items: list[list]) -> list[list[list]]:
    chunks: list[list[list]] = [[]]
    used = 0
    for item in items:
        cost = len(json.dumps(item)) + 2
        if chunks[-1] and used + cost > CHUNK_BYTES:
            chunks.append([])
            used = 0
        chunks[-1].append(item)
        used += cost
    return [chunk for chunk in chunks if chunk]


def entries(server: ServerService) -> list[TrashEntry]:
    """The trash, newest first."""
    days = server.load_settings().trash_days
    raw = index_script.read(server, ["trash-list"], lambda store: {"entries": trash.entries(_root(store))})
    return [
        TrashEntry(
            e["entry"],
            float(e["made"]),
            tuple(f["path"] for f in e["files"]),
            int(e["bytes"]),
            float(e["made"]) + days * 86400,
        )
        for e in raw.get("entries", [])
    ]


def restore(server: ServerService, entry: str) -> tuple[list[str], list[str]]:
    """Put an entry's files back; (restored, taken: left in the trash because another file is in its place)."""
    _check(entry)
    raw = index_script.write(server, ["restore", entry], lambda store: trash.restore(store, entry))
    return list(raw.get("restored", [])), list(raw.get("taken", []))


def empty(server: ServerService, entry: str | None = None) -> list[str]:
    """Empty one entry for good, or every entry older than the trash's days; returns the entries emptied."""
    if entry is not None:
        _check(entry)
    what = entry if entry is not None else str(server.load_settings().trash_days)
    days = None if entry is not None else server.load_settings().trash_days
    raw = index_script.write(
        server, ["purge", what], lambda store: {"purged": trash.purge(_root(store), days, entry=entry)}
    )
    return list(raw.get("purged", []))


def archive(server: ServerService, entry: str, target: Path) -> None:
    """Write a trash entry into ``target`` (a .tar.gz: its manifest and files, as they were below packages/),
    whole or not at all; an existing file is never replaced."""
    target = Path(target)
    if target.exists():
        raise DeskError(f"{target} exists already: choose a new file name for the archive.")
    if not target.parent.is_dir():
        raise DeskError(f"The folder {target.parent} does not exist: choose an archive in an existing folder.")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
            _write_entry(server, entry, out)
            out.flush()
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        if target.exists():
            raise DeskError(f"{target} appeared meanwhile: choose a new file name for the archive.")
        os.replace(temporary, target)
    except OSError as exc:
        raise DeskError(
            f"The archive {target} could not be written ({exc.strerror or exc}); the files stay in the trash."
        ) from exc
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _write_entry(server: ServerService, entry: str, out) -> None:
    relative = f"packages/{facts.FOLDER}/{trash.TRASH}/{entry}"
    if server.data_dir.is_volume:
        if server.volume is None or not server.volume.export_folder(relative, out):
            raise DeskError(f"The trash entry {entry} is not in the volume any more.")
        return
    folder = Path(server.data_dir.root) / relative
    if not folder.is_dir():
        raise DeskError(f"The trash entry {entry} is not there any more.")
    try:
        with tarfile.open(fileobj=out, mode="w|") as tar:
            tar.add(folder, arcname=entry)
    except PermissionError as exc:
        raise DeskError(
            f"{exc.filename} belongs to the container's user and cannot be read here; choose the trash instead, "
            "or make the files readable."
        ) from exc


def _check(entry: str) -> None:
    try:
        trash.check_entry(entry)
    except trash.TrashError as exc:
        raise DeskError(f"{exc}; 'pypi-desk trash list' names them.") from exc


def _root(store: facts.FactsStore) -> str:
    return os.path.dirname(os.path.dirname(store.path))
