"""Downloads as the server records them, and the figures the app draws from them (standard library only).

The server notes each whole download of a known file (a ``GET`` answered ``200``: never a ``HEAD``,
a ``Range`` request, a ``304``, a refusal or a ``.metadata`` file) in memory, with who asked and with
what client; :class:`DownloadRecorder` writes what was noted once a second, in one transaction, into
the index database (``facts.py``'s tables ``downloads``, ``day_releases``, ``day_users``,
``day_clients`` and ``file_usage``), and once more when the worker leaves. A request never waits
for the disk: a kill loses at most the last second. Raw events are kept ``keep_days`` days; the
daily totals and each file's count and last download are kept for good (a few rows a day).
Days are UTC days.
"""

import collections
import sqlite3
import sys
import threading
import time

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside.facts import FactsStore, project_key, transaction, version_key
elif "FactsStore" not in globals():  # run from this folder (with python3 -c, facts.py's source comes first)
    from facts import FactsStore, project_key, transaction, version_key

CLIENTS = ("pip", "uv", "poetry", "other")
ANONYMOUS = "anonymous"  # no password was asked for (or none was checked) to download
DEFAULT_KEEP_DAYS = 90
FLUSH_SECONDS = 1.0
TRIM_SECONDS = 3600.0
MAX_PENDING = 200_000  # a database that cannot be written for long: the oldest notes go, the server serves on
_UPSERTS = (
    "INSERT INTO day_releases VALUES (?, ?, ?, ?) "
    "ON CONFLICT (day, project, version) DO UPDATE SET count = count + excluded.count",
    "INSERT INTO day_users VALUES (?, ?, ?, ?) "
    "ON CONFLICT (day, project, user) DO UPDATE SET count = count + excluded.count",
    "INSERT INTO day_clients VALUES (?, ?, ?, ?) "
    "ON CONFLICT (day, project, client) DO UPDATE SET count = count + excluded.count",
)
_FILE_UPSERT = (
    "INSERT INTO file_usage VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET "
    "downloads = downloads + excluded.downloads, "
    "last_user = CASE WHEN excluded.last_download >= last_download THEN excluded.last_user ELSE last_user END, "
    "last_download = max(last_download, excluded.last_download)"
)


def client_of(user_agent: str) -> str:
    """pip, uv, poetry or other, from a User-Agent header (``pip/24.2 {...}``, ``uv/0.4.0``, ``poetry/1.8.3``)."""
    agent = (user_agent or "").strip().lower()
    for client in ("pip", "uv", "poetry"):
        if agent.startswith(client + "/") or agent.startswith(client + " "):
            return client
    return "poetry" if "poetry" in agent else "other"


def day_of(seconds: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


def record_downloads(store: FactsStore, events: list[tuple[float, str, str, str, str, str]]) -> bool:
    """(when, path, project, version, user, client) each, in one transaction: the raw events, the day totals
    and each file's count and last download. False when it could not be written (the caller keeps them)."""
    if not events:
        return True
    rows = [(at, path, project_key(project), version_key(version), user, client)
            for at, path, project, version, user, client in events]  # fmt: skip
    totals: list[collections.Counter] = [collections.Counter() for _ in _UPSERTS]
    files: dict[str, list] = {}
    for at, path, project, version, user, client in rows:
        day = day_of(at)
        for counter, key in zip(totals, (version, user, client), strict=True):
            counter[(day, project, key)] += 1
        entry = files.setdefault(path, [path, project, version, 0, at, user])
        entry[3] += 1
        if at >= entry[4]:
            entry[4], entry[5] = at, user

    def work(c: sqlite3.Connection) -> bool:
        with transaction(c):
            c.executemany("INSERT INTO downloads VALUES (?, ?, ?, ?, ?, ?)", rows)
            for statement, counter in zip(_UPSERTS, totals, strict=True):
                c.executemany(statement, [(*key, count) for key, count in counter.items()])
            c.executemany(_FILE_UPSERT, [tuple(entry) for entry in files.values()])
        return True

    return bool(store.guarded(work, False))


def trim(store: FactsStore, keep_days: int, now: float | None = None) -> None:
    """Raw events older than ``keep_days`` go (the daily totals stay)."""
    cutoff = (now if now is not None else time.time()) - keep_days * 86400
    store.guarded(lambda c: c.execute("DELETE FROM downloads WHERE at < ?", (cutoff,)))


class DownloadRecorder:
    """Notes downloads in memory (an append: no request waits) and writes them once a second from a thread of
    its own (a greenlet under gevent), and at :meth:`close`."""

    def __init__(self, store: FactsStore, keep_days: int = DEFAULT_KEEP_DAYS, interval: float = FLUSH_SECONDS):
        self.store = store
        self.keep_days = keep_days
        self.interval = interval
        self._pending: collections.deque = collections.deque(maxlen=MAX_PENDING)
        self._started = False
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._trimmed = 0.0
        self._complained = 0.0

    def note(self, path: str, project: str, version: str, user: str, client: str) -> None:
        self._pending.append((time.time(), path, project, version, user, client))
        if not self._started:
            self._start()

    def _start(self) -> None:
        with self._start_lock:
            if not self._started:
                self._started = True
                threading.Thread(target=self._run, name="pypi-desk-downloads", daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def flush(self) -> None:
        """Write what was noted so far (kept for the next try when the database cannot be written now)."""
        taken = []
        while self._pending:
            try:
                taken.append(self._pending.popleft())
            except IndexError:
                break
        try:
            written = record_downloads(self.store, taken)
        except Exception as exc:  # a strict store, or something unforeseen: the server serves on
            written = False
            self._say(f"downloads could not be recorded ({exc})")
        if not written:
            self._pending.extendleft(reversed(taken))
            self._say("the index database cannot be written now; downloads are kept in memory until it can")
        if time.time() - self._trimmed > TRIM_SECONDS:
            self._trimmed = time.time()
            trim(self.store, self.keep_days)

    def _say(self, line: str) -> None:
        if time.monotonic() - self._complained > 60:
            self._complained = time.monotonic()
            print(f"pypi-desk-usage: {line}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """The worker is leaving: write what is left."""
        self._stop.set()
        self.flush()


# -- what the app reads ------------------------------------------------------------------------


def _has_usage(c: sqlite3.Connection) -> bool:
    """A database from before downloads were recorded, read-only, has no such tables: nothing recorded."""
    return c.execute("SELECT 1 FROM sqlite_master WHERE name='day_releases'").fetchone() is not None


def figures(store: FactsStore, days: int, project: str | None = None, now: float | None = None, top: int = 20) -> dict:
    """The Usage view's and ``stats``'s figures for the last ``days`` days (today included), all projects or one:
    downloads per day, top projects, top versions, by user, by client."""
    since = day_of((now if now is not None else time.time()) - (days - 1) * 86400)
    where, args = "day >= ?", [since]
    if project:
        where, args = where + " AND project = ?", [since, project_key(project)]

    empty = {"days": days, "since": since, "project": project_key(project) if project else None, "total": 0,
             "per_day": [], "projects": [], "versions": [], "users": [], "clients": []}  # fmt: skip

    def query(c: sqlite3.Connection, table: str, columns: str, limit: int | None = None) -> list[list]:
        order = "day" if columns == "day" else f"n DESC, {columns}"
        tail = f" LIMIT {int(limit)}" if limit else ""
        sql = f"SELECT {columns}, SUM(count) AS n FROM {table} WHERE {where} GROUP BY {columns} ORDER BY {order}{tail}"
        return [list(row) for row in c.execute(sql, args)]

    def work(c: sqlite3.Connection) -> dict:
        if not _has_usage(c):
            return empty
        per_day = query(c, "day_releases", "day")
        return {**empty, "total": sum(n for _, n in per_day), "per_day": per_day,
                "projects": query(c, "day_releases", "project", top),
                "versions": query(c, "day_releases", "project, version", top),
                "users": query(c, "day_users", "user", top), "clients": query(c, "day_clients", "client")}  # fmt: skip

    return store.guarded(work, empty)


def release_downloads(store: FactsStore, days: int = 30, now: float | None = None) -> list[list]:
    """[project, version, downloads in the last ``days`` days] for each release downloaded then."""
    since = day_of((now if now is not None else time.time()) - (days - 1) * 86400)
    sql = "SELECT project, version, SUM(count) FROM day_releases WHERE day >= ? GROUP BY project, version"
    return store.guarded(lambda c: [list(r) for r in c.execute(sql, (since,))] if _has_usage(c) else [], [])


def file_usage(store: FactsStore) -> dict[str, list]:
    """{path: [downloads ever, last download, last user]} for each file ever downloaded."""
    sql = "SELECT path, downloads, last_download, last_user FROM file_usage"
    return store.guarded(lambda c: {r[0]: list(r[1:]) for r in c.execute(sql)} if _has_usage(c) else {}, {})
