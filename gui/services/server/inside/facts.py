"""The index's facts in one embedded database: when each file arrived, its digest and core metadata, which
releases are yanked and why, what was downloaded (``usage.py``). Standard library only: the server, the app
and helper containers use it.

``packages/.pypi-desk/index.sqlite3`` (a dot folder: no walk of the index lists it, and the
server may write there in every runtime). SQLite in WAL mode: the server writes, the app
reads at the same time (read-only, in a folder) or through this module run as a script (in a
volume, on another machine's engine). A database that is missing is made anew and filled from
the files (a file's upload time is then its modification time, and says so); one that is
damaged is set aside beside it (``index.sqlite3.damaged-TIME``) and made anew, with a line in
the log. The files themselves are never touched here. ``facts_main.py`` is its command line.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sqlite3
import sys
import threading
import time
from typing import NamedTuple

FOLDER = ".pypi-desk"
NAME = "index.sqlite3"
SNAPSHOT = "snapshot.sqlite3"  # a backup's consistent copy, made beside it in a volume before the export
DAMAGED = ".damaged-"
SCHEMA_VERSION = 1
SOURCES = ("upload", "seen", "file")  # how an upload time is known: recorded, first seen, the file's own time
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, project TEXT NOT NULL, version TEXT NOT NULL,
    upload_time REAL NOT NULL, time_source TEXT NOT NULL,
    size INTEGER, mtime_ns INTEGER, digest TEXT,
    requires_python TEXT, metadata_sha256 TEXT, metadata BLOB
);
CREATE INDEX IF NOT EXISTS files_by_release ON files (project, version);
CREATE TABLE IF NOT EXISTS yanks (
    project TEXT NOT NULL, version TEXT NOT NULL, reason TEXT NOT NULL, yanked_at REAL NOT NULL,
    PRIMARY KEY (project, version)
);
CREATE TABLE IF NOT EXISTS token_use (id TEXT PRIMARY KEY, last_used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS downloads (
    at REAL NOT NULL, path TEXT NOT NULL, project TEXT NOT NULL, version TEXT NOT NULL,
    user TEXT NOT NULL, client TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS downloads_by_time ON downloads (at);
CREATE TABLE IF NOT EXISTS team_names (project TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cached_files (project TEXT NOT NULL, filename TEXT NOT NULL, version TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL, fetched_at REAL NOT NULL, PRIMARY KEY (project, filename));
CREATE TABLE IF NOT EXISTS file_usage (path TEXT PRIMARY KEY, project TEXT NOT NULL, version TEXT NOT NULL,
    downloads INTEGER NOT NULL, last_download REAL NOT NULL, last_user TEXT NOT NULL);
"""
#: Download totals by day and by month (``usage.py``): a year's figures read a few months' rows, not a year of days.
#: Each: its own columns after the project, and whether it is keyed by project first, with a row of project "" for
#: all projects together (then one project's figures, and all projects', are each one range of the key).
ROLLUPS = {"projects": ((), True), "releases": (("version",), False), "users": (("user",), True),
           "clients": (("client",), True)}  # fmt: skip
ALL_PROJECTS = ""
_SCHEMA += "".join(
    f"CREATE TABLE IF NOT EXISTS {period}_{name} ({period} TEXT NOT NULL, project TEXT NOT NULL, "
    + "".join(f"{column} TEXT NOT NULL, " for column in extra)
    + f"count INTEGER NOT NULL, PRIMARY KEY ({', '.join(('project', period) if first else (period, 'project'))}"
    + "".join(f", {column}" for column in extra)
    + ")) WITHOUT ROWID;\n"
    for name, (extra, first) in ROLLUPS.items()
    for period in ("day", "month")
)
MAX_REASON = 1000


class FileFacts(NamedTuple):
    """What the store knows of one file (``digest`` and the metadata fields only once it was described)."""

    upload_time: float
    time_source: str
    size: int | None = None
    mtime_ns: int | None = None
    digest: str | None = None
    requires_python: str | None = None
    metadata_sha256: str | None = None


def database_path(packages_root: str) -> str:
    return os.path.join(packages_root, FOLDER, NAME)


def project_key(name: str) -> str:
    """PEP 503's normalized name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=65536)  # asked for every file of every page; the same few versions
def version_key(version: str) -> str:
    """PEP 440's canonical form, as PyPI keys a release: ``1.0``, ``1.0.0`` and ``1.0.0.0`` are all ``1``, so
    any spelling of a version names one release (text that is no version is kept as it is)."""
    try:
        from packaging.utils import canonicalize_version
    except ImportError:  # pragma: no cover - pypiserver depends on packaging
        return version.strip().lower()
    return canonicalize_version(version.strip())


def _say(line: str) -> None:
    print(f"pypi-desk-facts: {line}", file=sys.stderr, flush=True)


class FactsStore:
    """The database of one packages folder. Writers: the server, and this module as a script."""

    def __init__(self, packages_root: str, *, read_only: bool = False, strict: bool = False, log=_say) -> None:
        """``strict``: a write that fails raises (the app, the script: someone waits for the answer); otherwise
        it is logged and the server serves on."""
        self.path = database_path(packages_root)
        self.read_only = read_only
        self.strict = strict
        self._log = log
        self.made_anew = False  # this open made the database: files found now get their own times
        self.set_aside: str | None = None  # where a damaged database went, when this open moved one
        self._connection: sqlite3.Connection | None = None
        self._data_version = -1
        self._inode = -1
        self.reopened = False  # the file was deleted or replaced under an open connection, and opened anew
        self._complained = -3600.0
        self._lock = threading.RLock()  # one connection, shared by the server's threads: one use at a time

    # -- opening -----------------------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection | None:
        """The open database; made (or remade) when missing or damaged. None read-only with none there."""
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def open(self) -> None:
        """Open (or make, or set aside and remake) the database now; raises when it cannot be made at all."""
        if self._connection is None:
            self._connection = self._open()

    def _open(self) -> sqlite3.Connection | None:
        if self.read_only:
            return self._open_read_only()
        os.makedirs(os.path.dirname(self.path), mode=0o755, exist_ok=True)
        existed = os.path.lexists(self.path)
        try:
            if existed and not _regular(self.path):  # a folder, a pipe, a link: never opened, set aside
                raise sqlite3.DatabaseError("not a database file (not a regular file)")
            return self._connect(made=not existed)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and not is_damaged(exc):
                raise
            self._set_aside(exc)
            return self._connect(made=True)

    def _open_read_only(self) -> sqlite3.Connection | None:
        """Beside a running server (its WAL files there) a plain read-only open; a stopped server's database in
        a folder this user may not write is opened as immutable (nothing in a WAL file to miss). A database
        with a WAL file this user cannot read through raises (the caller asks the engine)."""
        if not os.path.lexists(self.path):
            return None
        if not _regular(self.path):
            raise sqlite3.DatabaseError(f"{self.path} is not a database file (not a regular file)")
        for query in ("mode=ro", "mode=ro&immutable=1"):
            connection = sqlite3.connect(f"file:{self.path}?{query}", uri=True, timeout=10, check_same_thread=False)
            try:
                connection.execute("SELECT count(*) FROM meta").fetchone()
                return connection
            except sqlite3.OperationalError as exc:
                connection.close()
                wal = self.path + "-wal"
                if is_damaged(exc) or (os.path.exists(wal) and os.path.getsize(wal) > 0):
                    raise
        raise sqlite3.OperationalError(f"{self.path} cannot be read")

    def _connect(self, made: bool) -> sqlite3.Connection:
        # Someone waits for the app's and the script's writes; the server's would hold up every request (gevent: one
        # thread), so it waits a moment only, and a write it could not make is made later or logged.
        wait = 10 if self.strict else 0.05
        connection = sqlite3.connect(self.path, timeout=wait, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA cache_size=-512")  # 512 KB: pages are read once per file, then kept above
            connection.executescript(_SCHEMA)
            # every name the team has hosted: upstream's project is never served in its place (``cache_store``)
            connection.execute("INSERT OR IGNORE INTO team_names SELECT DISTINCT project FROM files")
            found = connection.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if found is None:
                connection.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                connection.execute("INSERT OR REPLACE INTO meta VALUES ('made', ?)", (str(time.time()),))
                made = True
            elif not str(found[0]).isdigit():
                raise sqlite3.DatabaseError(f"malformed schema version {found[0]!r}")
            elif int(found[0]) > SCHEMA_VERSION:
                raise sqlite3.OperationalError(f"{self.path} is from a newer PyPI Desk (schema {found[0]})")
        except BaseException:
            connection.close()
            raise
        self.made_anew = made
        self._inode = os.stat(self.path).st_ino
        return connection

    def _set_aside(self, exc: Exception) -> None:
        """Move a damaged database (and its WAL files) aside; the files of the index are untouched."""
        target = f"{self.path}{DAMAGED}{time.strftime('%Y%m%dT%H%M%S')}-{os.urandom(3).hex()}"
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.path + suffix, target + suffix)
        self.set_aside = target
        self._log(f"the index database was damaged ({exc}); set aside as {os.path.basename(target)}, "
                  "made anew from the files (upload times are now the files' own times)")  # fmt: skip

    def guarded(self, work, default=None):
        """``work(connection)``; a database found damaged midway is set aside and made anew (the answer is then
        ``default``: the caller's next look fills it again)."""
        with self._lock:
            return self._guarded_locked(work, default)

    def _guarded_locked(self, work, default):
        try:
            connection = self.connection
            if connection is None:
                return default
            return work(connection)
        except sqlite3.DatabaseError as exc:
            if self.read_only or self.strict:
                raise
            if isinstance(exc, sqlite3.OperationalError) and not is_damaged(exc):  # full disk, read-only, locked
                self._complain(exc)
                return default
            self.close()
            self._set_aside(exc)
            self._connection = self._connect(made=True)
            return default

    def _carry_over(self) -> None:
        """The file was deleted under the open connection (which still reads it): a new one is made from its
        content; a file put in its place is opened as it is (a restore)."""
        old, self._connection = self._connection, None
        if not os.path.lexists(self.path) and old is not None:
            try:
                self.open()
                old.backup(self._connection)
                self._log("the index database was deleted while in use; made anew from the server's open copy")
            except (sqlite3.Error, OSError) as exc:
                self._log(f"the index database was deleted while in use and could not be made anew ({exc})")
        else:
            self._log("the index database was replaced while in use; the new one is used")
        with contextlib.suppress(sqlite3.Error):
            if old is not None:
                old.close()

    def _complain(self, exc: Exception) -> None:
        """Say (once a minute at most) that a fact could not be written: the index serves on without it."""
        if time.monotonic() - self._complained > 60:
            self._complained = time.monotonic()
            self._log(f"the index database cannot be written ({exc}); upload times and yanks may be missing")

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    def changed_elsewhere(self) -> bool:
        """Whether another connection wrote since the last ask (a yank from the app), or the file was deleted or
        replaced under this one (then it is opened anew, and ``reopened`` says so)."""
        if not self.read_only and self._connection is not None:
            try:
                same = os.stat(self.path).st_ino == self._inode
            except OSError:
                same = False
            if not same:
                with self._lock:
                    self._carry_over()
                    self.reopened = True
        version = self.guarded(lambda c: c.execute("PRAGMA data_version").fetchone()[0], -1)
        changed, self._data_version = version != self._data_version, version
        return changed

    # -- files -------------------------------------------------------------------------------

    def all_files(self) -> dict[str, FileFacts]:
        query = ("SELECT path, upload_time, time_source, size, mtime_ns, digest, requires_python, metadata_sha256 "
                 "FROM files")  # fmt: skip
        return self.guarded(lambda c: {row[0]: FileFacts(*row[1:]) for row in c.execute(query)}, {})

    def is_empty(self) -> bool:
        return self.guarded(lambda c: c.execute("SELECT 1 FROM files LIMIT 1").fetchone() is None, True)

    def known(self, paths: list[str]) -> set[str]:
        """Which of these files the store has a row for (all of them read at once when asked about many)."""
        if len(paths) > 5000:
            return self.guarded(lambda c: {row[0] for row in c.execute("SELECT path FROM files")}, set()) & set(paths)
        return set(self.rows(paths))

    def rows(self, paths: list[str]) -> dict[str, FileFacts]:
        """The stored facts of these files (a page's files: a query per 500); described or not."""
        found: dict[str, FileFacts] = {}
        for start in range(0, len(paths), 500):
            chunk = paths[start : start + 500]
            query = ("SELECT path, upload_time, time_source, size, mtime_ns, digest, requires_python, metadata_sha256 "
                     f"FROM files WHERE path IN ({','.join('?' * len(chunk))})")  # fmt: skip
            found.update(
                self.guarded(lambda c, q=query, p=chunk: {r[0]: FileFacts(*r[1:]) for r in c.execute(q, p)}, {})
            )
        return found

    def record(self, entries: list[tuple[str, str, str, float, str]], uploaded: bool = False) -> None:
        """New files: (path, project, version, upload time, source); an existing row is replaced (a re-upload).
        ``uploaded``: just uploaded, so new files whatever their names: an earlier file's downloads are not theirs
        (a file back from the trash keeps its own)."""
        if not entries:
            return

        def work(c: sqlite3.Connection) -> None:
            with transaction(c):
                c.executemany(
                    "INSERT OR REPLACE INTO files (path, project, version, upload_time, time_source) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(p, project_key(n), version_key(v), t, s) for p, n, v, t, s in entries],
                )
                c.executemany("INSERT OR IGNORE INTO team_names VALUES (?)", {(project_key(e[1]),) for e in entries})
                if uploaded:
                    c.executemany("DELETE FROM file_usage WHERE path=?", [(entry[0],) for entry in entries])

        self.guarded(work)

    def describe_many(self, rows: list[tuple]) -> bool:
        """Files' digests and core metadata, as of their size and mtime: (path, size, mtime_ns, digest,
        requires_python, metadata, metadata_sha256) each, in one transaction; False when not written."""

        def work(c: sqlite3.Connection) -> bool:
            with transaction(c):
                c.executemany(
                    "UPDATE files SET size=?, mtime_ns=?, digest=?, requires_python=?, metadata=?, metadata_sha256=? "
                    "WHERE path=?", [(*row[1:], row[0]) for row in rows],
                )  # fmt: skip
            return True

        return bool(rows) and self.guarded(work, False)

    def metadata(self, path: str) -> bytes | None:
        row = self.guarded(lambda c: c.execute("SELECT metadata FROM files WHERE path=?", (path,)).fetchone())
        return row[0] if row else None

    def forget(self, paths: list[str]) -> None:
        """Files gone from the folder; a release's yank goes with its last file."""
        if not paths:
            return

        def work(c: sqlite3.Connection) -> None:
            with transaction(c):
                c.executemany("DELETE FROM files WHERE path=?", [(p,) for p in paths])
                c.execute("DELETE FROM yanks WHERE NOT EXISTS (SELECT 1 FROM files f "
                          "WHERE f.project = yanks.project AND f.version = yanks.version)")  # fmt: skip

        self.guarded(work)

    # -- yanks -------------------------------------------------------------------------------

    def yanks(self) -> dict[tuple[str, str], str]:
        """(project, version): reason, the reason cleaned of control characters (it reaches terminals)."""
        query = "SELECT project, version, reason FROM yanks"
        return self.guarded(lambda c: {(p, v): clean_reason(r) for p, v, r in c.execute(query)}, {})

    def set_yank(self, project: str, version: str, reason: str | None) -> int:
        """Yank (``reason`` a text, maybe empty) or unyank (None) a release; returns how many files it has."""
        key = (project_key(project), version_key(version))

        def work(c: sqlite3.Connection) -> int:
            with transaction(c):
                count = c.execute("SELECT count(*) FROM files WHERE project=? AND version=?", key).fetchone()[0]
                if reason is None:
                    c.execute("DELETE FROM yanks WHERE project=? AND version=?", key)
                else:  # the caller found the release's files (the server may not have recorded them yet)
                    c.execute("INSERT OR REPLACE INTO yanks VALUES (?, ?, ?, ?)",
                              (*key, clean_reason(reason), time.time()))  # fmt: skip
                return count

        return self.guarded(work, 0)

    # -- tokens ------------------------------------------------------------------------------

    def token_used(self, token_id: str, when: float) -> None:
        """A token was used now (the server notes it at most once a minute per token)."""
        self.guarded(lambda c: c.execute("INSERT OR REPLACE INTO token_use VALUES (?, ?)", (token_id, when)))

    def token_uses(self) -> dict[str, float]:
        try:
            return self.guarded(lambda c: dict(c.execute("SELECT id, last_used FROM token_use")), {})
        except sqlite3.OperationalError:  # read-only, a database from before tokens: none used yet
            return {}

    def backup_to(self, target: str) -> bool:
        """A consistent copy of the database at ``target`` (SQLite's online backup: never a half-written page);
        False when there is none to copy."""
        connection = self.connection
        if connection is None:
            return False
        out = sqlite3.connect(target)
        try:
            connection.backup(out)
        finally:
            out.close()
        return True


def clean_reason(reason: object) -> str:
    """A yank reason as pages may carry it: one line, no control or formatting characters (an escape sequence
    in pip's warning, a right-to-left override), at most MAX_REASON characters."""
    import unicodedata

    text = str(reason)[:MAX_REASON]
    return "".join(c if not unicodedata.category(c).startswith("C") else " " for c in text).strip()


def _regular(path: str) -> bool:
    import stat

    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection):
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def is_damaged(exc: sqlite3.Error) -> bool:
    """Whether an error says the file is not a sound database (not: busy, locked, read-only, no room)."""
    text = str(exc).lower()
    return any(word in text for word in ("malformed", "not a database", "corrupt", "no such table", "no such column"))
