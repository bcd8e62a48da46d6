"""What the index hosts: the files under packages/, grouped by project and version.

Names and versions come from :mod:`gui.services.packages.filenames` (PEP 503 names,
PEP 440 order). :mod:`gui.services.packages.watcher` keeps a listing current.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from packaging.version import Version

from gui.services.packages.filenames import BadFilename, parse_filename
from gui.services.packages.index_facts import NO_USAGE, FileUsage, IndexFacts
from gui.services.server.inside.package_files import walk


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
    facts: IndexFacts = field(default_factory=IndexFacts)  # upload times and yanks, from the index database

    def upload_of(self, file: PackageFile) -> tuple[float, str]:
        """(upload time, how it is known: ``index_facts.TIME_SOURCES``); the file's own time when the index
        database has no word of it yet."""
        fact = self.facts.files.get(file.relative_path)
        return (fact.upload_time, fact.source) if fact else (file.uploaded, "file")

    def yank_reason(self, project: str, version: Version) -> str | None:
        return self.facts.yank_reason(project, version)

    def usage_of(self, file: PackageFile) -> FileUsage:
        """Its downloads ever and the last one (as the server recorded them)."""
        return self.facts.usage.get(file.relative_path.replace(os.sep, "/"), NO_USAGE)

    @property
    def file_count(self) -> int:
        return sum(p.file_count for p in self.projects)

    @property
    def version_count(self) -> int:
        return sum(len(p.versions) for p in self.projects)

    @property
    def size(self) -> int:
        return sum(p.size for p in self.projects)

    def summary(self) -> str:
        """``1 project, 3 versions, 4 files, 12.0 KB``, and files the index cannot serve, if any."""
        text = (
            f"{counted(len(self.projects), 'project')}, {counted(self.version_count, 'version')}, "
            f"{counted(self.file_count, 'file')}, {human_size(self.size)}"
        )
        if self.unrecognized:
            text += f"; {counted(len(self.unrecognized), 'other file')}"
        return text


def counted(count: int, noun: str) -> str:
    """``1 file``, ``2 files``: a count with its noun, singular or plural."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""


def describe_file(filename: str, relative_path: str, stat: os.stat_result) -> PackageFile | None:
    """The file as the index shows it, or None when its name is not a wheel's or an sdist's."""
    try:
        parsed = parse_filename(filename)
    except BadFilename:
        return None
    return PackageFile(relative_path, filename, *parsed, stat.st_size, stat.st_mtime)


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
    for posix_relative, entry in walk(str(folder)):  # the index's own rule: what the server serves
        relative = posix_relative.replace("/", os.sep)
        try:
            described = describe_file(entry.name, relative, entry.stat(follow_symlinks=False))
        except OSError:
            continue
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
