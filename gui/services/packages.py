"""What the index hosts: the files under packages/, grouped by project and version.

Names and versions come from ``packaging.utils`` (PEP 503 names, PEP 440 order).
:class:`PackageWatcher` scans once, then keeps the listing current from file-system
events one file at a time (an upload by twine, a file copied in, a delete), and
hands out a new :class:`Listing` shortly after each burst of changes.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

SETTLE_SECONDS = 0.2  # a burst of events (an upload writes, renames) becomes one new listing


class PackageFile(NamedTuple):  # a named tuple: 50,000 of them are made per scan, and tuples are cheap
    relative_path: str
    filename: str
    project: str  # PEP 503 normalized
    name_as_written: str  # the name part of the filename, as pypiserver compares it
    version: Version
    version_as_written: str
    kind: str  # "sdist" or "wheel"
    tags: str  # a wheel's tags, e.g. "py3-none-any"; "" for an sdist
    size: int
    uploaded: float  # modification time, seconds since the epoch


class VersionGroup(NamedTuple):
    version: Version
    files: tuple[PackageFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def uploaded(self) -> float:
        return max(f.uploaded for f in self.files)


class ProjectGroup(NamedTuple):
    name: str
    versions: tuple[VersionGroup, ...]  # newest first

    @property
    def size(self) -> int:
        return sum(v.size for v in self.versions)

    @property
    def uploaded(self) -> float:
        return max(v.uploaded for v in self.versions)

    @property
    def file_count(self) -> int:
        return sum(len(v.files) for v in self.versions)


@dataclass(frozen=True)
class Listing:
    projects: tuple[ProjectGroup, ...]  # by name
    unrecognized: tuple[str, ...]  # files whose names are not a wheel's or an sdist's

    @property
    def file_count(self) -> int:
        return sum(p.file_count for p in self.projects)

    @property
    def version_count(self) -> int:
        return sum(len(p.versions) for p in self.projects)

    @property
    def size(self) -> int:
        return sum(p.size for p in self.projects)


def _split_written(filename: str, version_as_written: str, suffix: str) -> str:
    return filename[: -len(f"-{version_as_written}{suffix}")]


def describe_file(filename: str, relative_path: str, stat: os.stat_result) -> PackageFile | None:
    """The file as the index shows it, or None when its name is not a wheel's or an sdist's."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            kind = "wheel"
            written_name, written_version = filename.split("-")[0], filename.split("-")[1]
            tag_text = "-".join(filename[: -len(".whl")].split("-")[-3:])  # as written: py3-none-any
        else:
            name, version = parse_sdist_filename(filename)
            kind = "sdist"
            suffix = ".tar.gz" if filename.endswith(".tar.gz") else ".zip"
            written_version = filename[: -len(suffix)].rsplit("-", 1)[1]
            written_name = _split_written(filename, written_version, suffix)
            tag_text = ""
    except (InvalidSdistFilename, InvalidWheelFilename, IndexError):
        return None
    return PackageFile(
        relative_path,
        filename,
        canonicalize_name(name),
        written_name,
        version,
        written_version,
        kind,
        tag_text,
        stat.st_size,
        stat.st_mtime,
    )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Building 50,000 acyclic records, the cyclic GC would rescan the growing heap again and
    again (about half the time); nothing here can form a cycle, so it waits until the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def scan(folder: Path) -> tuple[dict[str, PackageFile], set[str]]:
    """Every file under ``folder`` (recursively, as pypiserver serves them)."""
    with _collector_paused():
        return _scan(folder)


def _scan(folder: Path) -> tuple[dict[str, PackageFile], set[str]]:
    files: dict[str, PackageFile] = {}
    unrecognized: set[str] = set()
    skip = len(os.path.join(str(folder), ""))  # relative paths by slicing: relpath is slow at 50,000 files
    pending = [str(folder)]
    while pending:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            elif entry.is_file() and not entry.name.startswith("."):
                relative = entry.path[skip:]
                described = describe_file(entry.name, relative, entry.stat())
                if described is None:
                    unrecognized.add(relative)
                else:
                    files[relative] = described
    return files, unrecognized


def group(files: Iterable[PackageFile], unrecognized: Iterable[str] = ()) -> Listing:
    with _collector_paused():
        return _group(files, unrecognized)


def _group(files: Iterable[PackageFile], unrecognized: Iterable[str]) -> Listing:
    by_project: dict[str, dict[Version, list[PackageFile]]] = defaultdict(lambda: defaultdict(list))
    for file in files:
        by_project[file.project][file.version].append(file)
    projects = []
    for name in sorted(by_project):
        versions = by_project[name]
        projects.append(ProjectGroup(name, tuple(
            VersionGroup(version, tuple(found) if len(found) == 1 else tuple(sorted(found, key=_filename)))
            for version, found in sorted(versions.items(), key=_first, reverse=True)
        )))  # fmt: skip
    return Listing(tuple(projects), tuple(sorted(unrecognized)))


def _filename(file: PackageFile) -> str:
    return file.filename


def _first(pair: tuple[Version, list[PackageFile]]) -> Version:
    return pair[0]


class PackageWatcher(FileSystemEventHandler):
    """Keeps a listing of ``folder`` current and calls ``on_listing`` (from its own thread) when it changes."""

    def __init__(self, folder: Path, on_listing: Callable[[Listing], None]) -> None:
        super().__init__()
        self.folder = folder
        self._on_listing = on_listing
        self._lock = threading.Lock()
        self._files: dict[str, PackageFile] = {}
        self._unrecognized: set[str] = set()
        self._dirty: set[str] = set()
        self._timer: threading.Timer | None = None
        self._observer: Observer | None = None

    def start(self) -> Listing:
        """Scan once, start following changes, and return the first listing."""
        self.folder.mkdir(parents=True, exist_ok=True)
        observer = Observer()
        observer.schedule(self, str(self.folder), recursive=True)
        observer.daemon = True
        observer.start()  # before the scan: nothing that changes during it is missed
        self._observer = observer
        files, unrecognized = scan(self.folder)
        with self._lock:
            self._files, self._unrecognized = files, unrecognized
        return self.listing()

    def listing(self) -> Listing:
        with self._lock:
            return group(self._files.values(), self._unrecognized)

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5)
            self._observer = None

    # -- events (watchdog's thread) ------------------------------------------------------

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory and event.event_type not in ("deleted", "moved"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        with self._lock:
            self._dirty.update(os.fsdecode(p) for p in paths if p)
            if self._timer is None:
                self._timer = threading.Timer(SETTLE_SECONDS, self._settle)
                self._timer.daemon = True
                self._timer.start()

    def _settle(self) -> None:
        with self._lock:
            dirty, self._dirty, self._timer = self._dirty, set(), None
        changed = False
        for path in dirty:
            changed |= self._refresh(Path(path))
        if changed:
            self._on_listing(self.listing())

    def _refresh(self, path: Path) -> bool:
        """Bring one path up to date (a deleted folder drops what was under it)."""
        try:
            relative = os.path.relpath(path, self.folder)
        except ValueError:
            return False
        try:
            stat = path.stat()
        except OSError:
            stat = None
        with self._lock:
            if stat is None or not path.is_file() or path.name.startswith("."):
                prefix = relative + os.sep
                gone = [key for key in self._files if key == relative or key.startswith(prefix)]
                for key in gone:
                    del self._files[key]
                lost = {key for key in self._unrecognized if key == relative or key.startswith(prefix)}
                self._unrecognized -= lost
                return bool(gone or lost)
            described = describe_file(path.name, relative, stat)
            if described is None:
                self._unrecognized.add(relative)
                return True
            self._unrecognized.discard(relative)
            self._files[relative] = described
            return True
