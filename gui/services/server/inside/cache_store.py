"""Where the cache of upstream's projects lives, and the app's questions about it (standard library only: the
server, the app and helper containers use it; ``facts_main.py`` is its command line).

``packages/.pypi-desk/cache/PROJECT/`` (PEP 503's name: only ``a-z``, ``0-9`` and ``-``) holds
``page.json`` (upstream's page as last fetched, with the time) and the files fetched so far,
each renamed into place only once whole and verified (``pull_through.py``), with its ``.metadata``
beside it. A dot folder: no walk of the index lists it, so a cached file is never one of the
team's. The index database lists the verified files (``cached_files``), so the app sees the
cache in every runtime, and keeps upstream's last state (reached, or why not). Clearing removes a
project's folder (or all of them) and its rows; no link is followed.
"""

import json
import os
import re
import shutil
import time

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside.facts import FOLDER, FactsStore, transaction
elif "FactsStore" not in globals():  # run from this folder (with python3 -c, facts.py's source comes first)
    from facts import FOLDER, FactsStore, transaction

CACHE = "cache"
PAGE_FILE = "page.json"
UPSTREAM_STATE = "upstream_state"
_PROJECT = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,200}[a-z0-9])?$")


class CacheError(ValueError):
    """A cache request refused (a name that is no project, a link in place of the cache): says which."""


def is_project_name(name: str) -> bool:
    return bool(_PROJECT.match(name or ""))


def remove_partial(root: str) -> int:
    """Remove what fetches broken off by a stop left (``.NAME.part-…``, a page's temporary copy); how many."""
    removed = 0
    try:
        base = cache_dir(root)
        projects = [e.path for e in os.scandir(base) if e.is_dir(follow_symlinks=False)]
    except (OSError, CacheError):
        return 0
    for folder in projects:
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith(".") and entry.is_file(follow_symlinks=False):
                        os.unlink(entry.path)
                        removed += 1
        except OSError:
            continue
    return removed


def cache_dir(root: str) -> str:
    """The cache folder; refused when it, or the folder it is in, is a link (it could lead anywhere)."""
    for part in (os.path.join(root, FOLDER), os.path.join(root, FOLDER, CACHE)):
        if os.path.islink(part):
            raise CacheError(f"{part} is a link, not the index's own folder: move it away.")
    return os.path.join(root, FOLDER, CACHE)


def cached_project_dir(root: str, project: str) -> str:
    if not _PROJECT.match(project or ""):
        raise CacheError(f"{project!r} is not a project's normalized name (such as requests or typing-extensions)")
    path = os.path.join(cache_dir(root), project)
    if os.path.islink(path):
        raise CacheError(f"{path} is a link, not a cached project's folder: move it away.")
    return path


def record_cached(store: FactsStore, project: str, filename: str, version: str, size: int, sha256: str) -> None:
    """A verified file is in the cache now."""
    store.guarded(lambda c: c.execute("INSERT OR REPLACE INTO cached_files VALUES (?, ?, ?, ?, ?, ?)",
                                      (project, filename, version, size, sha256, time.time())))  # fmt: skip


def cached_projects(store: FactsStore) -> dict:
    """Each cached project: {"files": [[filename, version, size, fetched_at], ...], "bytes": total}."""
    query = "SELECT project, filename, version, size, fetched_at FROM cached_files ORDER BY project, filename"
    found: dict = {}
    try:
        rows = store.guarded(lambda c: c.execute(query).fetchall(), [])
    except Exception as exc:  # a database from before the cache (read-only: no table yet)
        if "no such table" in str(exc):
            return {}
        raise
    for project, filename, version, size, fetched in rows:
        entry = found.setdefault(project, {"files": [], "bytes": 0})
        entry["files"].append([filename, version, size, fetched])
        entry["bytes"] += size
    return found


def was_teams(store: FactsStore, project: str) -> bool:
    """Whether the team has ever hosted ``project`` here (then upstream's is never served in its place)."""
    query = "SELECT 1 FROM team_names WHERE project=?"
    return store.guarded(lambda c: c.execute(query, (project,)).fetchone() is not None, False)


def allow_upstream(store: FactsStore, project: str) -> bool:
    """Let upstream's ``project`` be served again once the team no longer hosts it; whether it was held back."""
    if not _PROJECT.match(project or ""):
        raise CacheError(f"{project!r} is not a project's normalized name (such as requests or typing-extensions)")

    def work(c) -> bool:
        with transaction(c):
            if c.execute("SELECT 1 FROM files WHERE project=? LIMIT 1", (project,)).fetchone():
                raise CacheError(f"{project} is hosted here now: remove the team's files first.")
            return c.execute("DELETE FROM team_names WHERE project=?", (project,)).rowcount > 0

    return bool(store.guarded(work, False))


def note_upstream(store: FactsStore, why: str) -> None:
    """Upstream's state as the server last found it: "" reached, else why not (one sentence)."""
    state = json.dumps({"at": time.time(), "why": why})
    store.guarded(lambda c: c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (UPSTREAM_STATE, state)))


def upstream_state(store: FactsStore) -> dict:
    """{"at": time, "why": text} as last noted ({} when upstream was never asked)."""
    row = store.guarded(lambda c: c.execute("SELECT value FROM meta WHERE key=?", (UPSTREAM_STATE,)).fetchone())
    try:
        state = json.loads(row[0]) if row else {}
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def clear_cache(store: FactsStore, root: str, project: str | None = None) -> dict:
    """Remove one cached project (or all): its files, its page and its rows. Returns what went."""
    base = cache_dir(root)
    names = [project] if project else _cached_names(base)
    gone = {"projects": 0, "files": 0, "bytes": 0}
    for name in names:
        folder = cached_project_dir(root, name)
        if not os.path.isdir(folder):
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and not entry.name.startswith(".") and entry.name != PAGE_FILE:
                    gone["files"] += 0 if entry.name.endswith(".metadata") else 1
                    gone["bytes"] += entry.stat(follow_symlinks=False).st_size
        shutil.rmtree(folder)  # never follows a link inside
        gone["projects"] += 1

    def forget(c) -> None:
        with transaction(c):
            if project:
                c.execute("DELETE FROM cached_files WHERE project=?", (project,))
            else:
                c.execute("DELETE FROM cached_files")

    store.guarded(forget)
    return gone


def _cached_names(base: str) -> list[str]:
    try:
        with os.scandir(base) as entries:
            return sorted(e.name for e in entries if e.is_dir(follow_symlinks=False) and _PROJECT.match(e.name))
    except FileNotFoundError:
        return []
