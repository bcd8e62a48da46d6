"""The index database as the app sees it: each file's upload time (and how it is known), each yank and its
reason; and the one way to yank or unyank a release, whatever the runtime.

The server writes ``packages/.pypi-desk/index.sqlite3`` (``server/inside/facts.py``). In a
folder the app reads it directly, read-only (SQLite lets a reader in beside the server's
writes); in a volume, or to write where only the server's user may (a folder the container
owns), the same module runs in the engine: in the running server, or in a one-shot helper
(``ServerService.facts_command``). Yanks are written the same way in every runtime.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from packaging.version import Version

from gui.services.errors import DeskError
from gui.services.server.inside import facts as facts_store
from gui.services.server.inside import facts_main

if TYPE_CHECKING:
    from gui.services.server.service import ServerService

log = logging.getLogger(__name__)
TIME_SOURCES = {
    "upload": "uploaded",
    "seen": "first seen (copied in by hand)",
    "file": "the file's own time (the index database was made anew)",
}


@dataclass(frozen=True)
class FileFact:
    upload_time: float
    source: str  # "upload", "seen" or "file": see TIME_SOURCES
    requires_python: str | None = None


@dataclass(frozen=True)
class FileUsage:
    downloads: int = 0  # whole downloads ever recorded
    last_download: float | None = None
    last_user: str = ""


NO_USAGE = FileUsage()


@dataclass(frozen=True)
class CachedFile:
    filename: str
    version: str
    size: int
    fetched_at: float


@dataclass(frozen=True)
class CachedProject:
    """A project kept from upstream: its verified files."""

    name: str
    files: tuple[CachedFile, ...]

    @property
    def size(self) -> int:
        return sum(file.size for file in self.files)


@dataclass(frozen=True)
class IndexFacts:
    files: dict[str, FileFact] = field(default_factory=dict)  # by path below packages/
    yanks: dict[tuple[str, str], str] = field(default_factory=dict)  # (project, version): reason
    set_aside: tuple[str, ...] = ()  # damaged databases set aside (file names in packages/.pypi-desk/)
    token_use: dict[str, float] = field(default_factory=dict)  # token id: when the server last saw it used
    problem: str = ""  # why the database could not be read (then the rest is empty)
    usage: dict[str, FileUsage] = field(default_factory=dict)  # by path below packages/ (files ever downloaded)
    recent: dict[tuple[str, str], int] = field(default_factory=dict)  # (project, version key): downloads in 30 days
    recording_since: float | None = None  # when the server began to record downloads (None: it never did)
    cached: dict[str, CachedProject] = field(default_factory=dict)  # upstream's projects kept, by PEP 503 name
    upstream_problem: str = ""  # why the server last could not reach upstream ("": it could, or never tried)
    upstream_checked: float | None = None  # when the server last noted upstream's state

    def yank_reason(self, project: str, version: Version | str) -> str | None:
        """None when the release is not yanked; else its reason (maybe empty)."""
        return self.yanks.get((canonicalize_name(project), facts_store.version_key(str(version))))

    def recent_downloads(self, project: str, version: Version | str) -> int:
        """Whole downloads of a release in the last 30 days."""
        return self.recent.get((canonicalize_name(project), facts_store.version_key(str(version))), 0)


def last_json(output: str) -> dict:
    """What ``facts_main.py`` printed: its last JSON line (a helper's output may carry log lines before it);
    {} when there is none. Raises ValueError for a line that is not JSON."""
    lines = [line for line in output.strip().splitlines() if line.startswith("{")]
    data = json.loads(lines[-1]) if lines else {}
    return data if isinstance(data, dict) else {}


def parse_dump(text: str) -> IndexFacts:
    """``facts_main.py dump``'s JSON."""
    return facts_of(last_json(text))


def facts_of(data: dict) -> IndexFacts:
    """``facts_main.dump``'s answer as :class:`IndexFacts`."""
    if not data:
        return IndexFacts()
    files = {
        path: FileFact(float(when), str(source), requires)
        for path, (when, source, requires) in data.get("files", {}).items()
    }
    yanks = {(project, version): reason for project, version, reason in data.get("yanks", [])}
    token_use = {str(key): float(value) for key, value in data.get("token_use", {}).items()}
    usage = {
        str(path): FileUsage(int(n), float(last), str(user)) for path, (n, last, user) in data.get("usage", {}).items()
    }
    recent = {(str(project), str(version)): int(n) for project, version, n in data.get("releases", [])}
    set_aside = tuple(str(name) for name in data.get("set_aside", []))
    since = data.get("recording_since")
    cached = {}
    for name, entry in data.get("cached", {}).items():
        kept = tuple(CachedFile(str(f), str(v), int(s), float(t)) for f, v, s, t in entry.get("files", []))
        cached[str(name)] = CachedProject(str(name), kept)
    upstream = data.get("upstream") or {}
    checked = upstream.get("at")
    return IndexFacts(files, yanks, set_aside, token_use, usage=usage, recent=recent,
                      recording_since=float(since) if isinstance(since, (int, float)) else None, cached=cached,
                      upstream_problem=str(upstream.get("why") or ""),
                      upstream_checked=float(checked) if isinstance(checked, (int, float)) else None)  # fmt: skip


def read_database(server: ServerService, args: list[str], here: Callable[[facts_store.FactsStore], object]) -> dict:
    """``here(store)`` on the database of a folder, opened read-only in this process; ``facts_main.py ARGS`` in the
    engine for a volume, or for a folder whose database this user may not read beside the container's writes. The
    same JSON either way; {} when a volume does not exist yet. Raises what reading raised."""
    if server.data_dir.is_volume:
        if server.volume is None or not server.volume.exists():
            return {}  # no helper mounts it: that would make the volume
        return last_json(server.facts_command(args))
    store = facts_store.FactsStore(str(server.data_dir.packages_dir), read_only=True)
    try:
        return json.loads(json.dumps(here(store)))  # the types the script's JSON has
    except sqlite3.OperationalError as exc:
        if facts_store.is_damaged(exc) or server.status().runtime != "docker":
            raise
        return last_json(server.facts_command(args))
    finally:
        store.close()


def write_database(server: ServerService, args: list[str], here: Callable[[facts_store.FactsStore], object],
                   failed: str) -> dict:  # fmt: skip
    """``here(store)`` on the app's own folder (the local process's files); ``facts_main.py ARGS`` in the engine
    otherwise, as the server's user (in the running server, or a one-shot container). ``failed`` ends the message
    of an error: what became of the request. Raises DeskError."""
    from gui.services.server.inside.cache_store import CacheError
    from gui.services.server.inside.trash import TrashError

    try:
        if not server.data_dir.is_volume and server.status().runtime == "process":
            store = facts_store.FactsStore(str(server.data_dir.packages_dir), strict=True)
            try:
                return json.loads(json.dumps(here(store)))
            finally:
                store.close()
        return last_json(server.facts_command(args))
    except (TrashError, CacheError) as exc:
        raise DeskError(str(exc)) from exc
    except (sqlite3.Error, OSError, ValueError) as exc:
        raise DeskError(f"The index could not be changed ({exc}). {failed}") from exc


def read_facts(server: ServerService) -> IndexFacts:
    """What the index database says now: empty when there is none yet; with ``problem`` when it cannot be read.
    In a folder it is read here; what this user may not open (only the server's user may) through the engine."""
    try:
        return facts_of(read_database(server, ["dump"], facts_main.dump))
    except (sqlite3.Error, OSError, ValueError, DeskError) as exc:
        log.info("the index database cannot be read now: %s", exc)
        return IndexFacts(problem=str(exc))


def set_yank(server: ServerService, name: str, version: str, reason: str | None) -> int:
    """Yank (``reason``: a text, maybe empty) or unyank (None) a release; returns how many files it has."""
    args = ["yank", name, version, reason or ""] if reason is not None else ["unyank", name, version]
    if not server.data_dir.is_volume and server.status().runtime == "process":
        store = facts_store.FactsStore(str(server.data_dir.packages_dir), strict=True)  # the app's own files
        try:
            return store.set_yank(name, version, reason)
        except (sqlite3.Error, OSError) as exc:
            raise DeskError(
                f"The index database {store.path} cannot be written ({exc}). If the Docker server made it, start "
                "that server and try again; or give the file back to your user."
            ) from exc
        finally:
            store.close()
    return _count(server.facts_command(args))


def _count(output: str) -> int:
    try:
        return int(last_json(output)["files"])
    except (KeyError, ValueError, TypeError) as exc:
        raise DeskError(f"The index database did not say what it did: {output.strip()[-300:]}") from exc
