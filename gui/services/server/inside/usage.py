"""Downloads as the server records them, and the figures the app draws from them (standard library only).

The server notes each whole download of a known file (a ``GET`` answered ``200``: never a ``HEAD``,
a ``Range`` request, a ``304``, a refusal or a ``.metadata`` file) in memory, with who asked and with
what client; :class:`DownloadRecorder` writes what was noted once a second, in one transaction, into
the index database (``facts.py``'s tables: ``downloads``, the raw events; totals by day and by
month of each project, release, user and client; ``file_usage``), and once more when the worker
leaves. A request never waits
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
    from gui.services.server.inside.facts import (
        ALL_PROJECTS,
        ROLLUPS,
        FactsStore,
        project_key,
        transaction,
        version_key,
    )
elif "FactsStore" not in globals():  # run from this folder (with python3 -c, facts.py's source comes first)
    from facts import ALL_PROJECTS, ROLLUPS, FactsStore, project_key, transaction, version_key

CLIENTS = ("pip", "uv", "poetry", "other")
ANONYMOUS = ""  # no password was asked for (or none was checked) to download: no user name can be empty
SINCE = "downloads_since"  # meta: when recording began (no download before it is known)
DEFAULT_KEEP_DAYS = 90
FLUSH_SECONDS = 1.0
TRIM_SECONDS = 3600.0
MAX_PENDING = 200_000  # a database that cannot be written for long: the oldest notes go, the server serves on
TRIM_BATCH = 20_000  # old raw events deleted per write: a lowered usage_days never stalls the server long
_UPSERTS = {
    (period, name): f"INSERT INTO {period}_{name} VALUES ({', '.join('?' * (len(extra) + 3))}) "
    f"ON CONFLICT ({', '.join((period, 'project', *extra))}) DO UPDATE SET count = count + excluded.count"
    for name, (extra, _first) in ROLLUPS.items()
    for period in ("day", "month")
}
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
    totals: dict[tuple[str, str], collections.Counter] = {key: collections.Counter() for key in _UPSERTS}
    files: dict[str, list] = {}
    for at, path, project, version, user, client in rows:
        day = day_of(at)
        extras = {"projects": (), "releases": (version,), "users": (user,), "clients": (client,)}
        for (period, name), counter in totals.items():
            when = day if period == "day" else day[:7]
            counter[(when, project, *extras[name])] += 1
            if ROLLUPS[name][1]:  # and the row of all projects together
                counter[(when, ALL_PROJECTS, *extras[name])] += 1
        entry = files.setdefault(path, [path, project, version, 0, at, user])
        entry[3] += 1
        if at >= entry[4]:
            entry[4], entry[5] = at, user

    def work(c: sqlite3.Connection) -> bool:
        with transaction(c):
            c.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (SINCE, str(min(row[0] for row in rows))))
            c.executemany("INSERT INTO downloads VALUES (?, ?, ?, ?, ?, ?)", rows)
            for key, statement in _UPSERTS.items():
                c.executemany(statement, [(*row, count) for row, count in totals[key].items()])
            c.executemany(_FILE_UPSERT, [tuple(entry) for entry in files.values()])
        return True

    return bool(store.guarded(work, False))


def mark_recording(store: FactsStore, now: float | None = None) -> None:
    """Say when recording began (kept once set): "not downloaded for M days" is known only after M days of it."""
    when = str(now if now is not None else time.time())
    store.guarded(lambda c: c.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (SINCE, when)))


def stop_recording(store: FactsStore) -> None:
    """The server runs without recording: once it records again, "not downloaded for M days" starts anew."""
    store.guarded(lambda c: c.execute("DELETE FROM meta WHERE key=?", (SINCE,)))


def records_stop(packages_root: str) -> None:
    """A server that records nothing serves this folder (the plain way): the records stop being continuous, and a
    cleanup rule on downloads is refused until PyPI Desk's server records again."""
    store = FactsStore(packages_root)
    try:
        stop_recording(store)
    except Exception as exc:  # that server serves on without it
        print(f"pypi-desk-usage: the index database could not be told that nothing is recorded ({exc})", flush=True)
    finally:
        store.close()


def recording_since(store: FactsStore) -> float | None:
    """When the server began to record downloads here (without a pause since); None when it does not now."""
    return store.guarded(_since, None)


def _since(c: sqlite3.Connection) -> float | None:
    row = c.execute("SELECT value FROM meta WHERE key=?", (SINCE,)).fetchone()
    try:
        return float(row[0]) if row else None
    except ValueError:
        return None


def trim(store: FactsStore, keep_days: int, now: float | None = None, batch: int = TRIM_BATCH) -> bool:
    """Raw events older than ``keep_days`` go, ``batch`` at a time (the totals stay); True when some are left."""
    cutoff = (now if now is not None else time.time()) - keep_days * 86400
    sql = "DELETE FROM downloads WHERE rowid IN (SELECT rowid FROM downloads WHERE at < ? LIMIT ?)"
    return store.guarded(lambda c: c.execute(sql, (cutoff, batch)).rowcount, 0) >= batch


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
        mark_recording(store)

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
        if time.time() - self._trimmed > TRIM_SECONDS and not trim(self.store, self.keep_days):
            self._trimmed = time.time()  # all old events gone: again in an hour (else a batch more next second)

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
    return c.execute("SELECT 1 FROM sqlite_master WHERE name='month_clients'").fetchone() is not None


class Span:
    """The days ``since`` to ``today``, read as whole months from the month tables and the days at either end
    from the day tables (a year is eleven months' rows and some days', not 365 days')."""

    def __init__(self, days: int, now: float | None = None) -> None:
        now = now if now is not None else time.time()
        self.since = day_of(now - (days - 1) * 86400)
        today = day_of(now)
        first = self.since[:7] if self.since.endswith("-01") else _next_month(self.since[:7])
        last = _previous_month(today[:7])
        self.months = (first, last) if first <= last else None
        self.until = day_of(now + 86400)  # not after today (a clock that ran ahead once wrote such days)
        ends = [(self.since, f"{first}-01"), (f"{today[:7]}-01", self.until)]
        self.day_ranges = ends if self.months else [(self.since, self.until)]

    def rows(self, name: str, columns: str, where: str, args: list) -> tuple[str, list]:
        """A query of (``columns``, count) rows over the span (``where``: more conditions), and its arguments."""
        parts, values = [], []
        for start, end in self.day_ranges:
            parts.append(f"SELECT {columns}, count FROM day_{name} WHERE day >= ? AND day < ?{where}")
            values += [start, end, *args]
        if self.months:
            parts.append(f"SELECT {columns}, count FROM month_{name} WHERE month >= ? AND month <= ?{where}")
            values += [*self.months, *args]
        return " UNION ALL ".join(parts), values


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def _previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}"


def figures(store: FactsStore, days: int, project: str | None = None, now: float | None = None, top: int = 20) -> dict:
    """The Usage view's and ``stats``'s figures for the last ``days`` days (today included), all projects or one:
    downloads per day, top projects, top versions, by user, by client."""
    span = Span(days, now)
    key = project_key(project) if project else None
    empty = {"days": days, "since": span.since, "project": key, "total": 0, "per_day": [], "projects": [],
             "versions": [], "users": [], "clients": []}  # fmt: skip

    def ranked(c: sqlite3.Connection, name: str, columns: str, limit: int) -> list[list]:
        if key:
            where, args = " AND project = ?", [key]
        elif ROLLUPS[name][1]:  # keyed by project: all projects' own row, or every project's but that one
            where, args = (" AND project != ?" if columns == "project" else " AND project = ?"), [ALL_PROJECTS]
        else:
            where, args = "", []
        rows, values = span.rows(name, columns, where, args)
        sql = f"SELECT {columns}, SUM(count) AS n FROM ({rows}) GROUP BY {columns} ORDER BY n DESC, {columns} LIMIT ?"
        return [list(row) for row in c.execute(sql, [*values, limit])]

    def work(c: sqlite3.Connection) -> dict:
        if not _has_usage(c):
            return empty
        per_day = [list(row) for row in c.execute(
            "SELECT day, count FROM day_projects WHERE project = ? AND day >= ? AND day < ? ORDER BY day",
            (key or ALL_PROJECTS, span.since, span.until))]  # fmt: skip
        return {**empty, "total": sum(n for _, n in per_day), "per_day": per_day, "recording_since": _since(c),
                "projects": ranked(c, "projects", "project", top),
                "versions": ranked(c, "releases", "project, version", top),
                "users": ranked(c, "users", "user", top), "clients": ranked(c, "clients", "client", 100)}  # fmt: skip

    return store.guarded(work, empty)


def release_downloads(store: FactsStore, days: int = 30, now: float | None = None) -> list[list]:
    """[project, version, downloads in the last ``days`` days] for each release downloaded then."""
    span = Span(days, now)
    sql = "SELECT project, version, SUM(count) FROM day_releases WHERE day >= ? AND day < ? GROUP BY project, version"
    args = (span.since, span.until)
    return store.guarded(lambda c: [list(r) for r in c.execute(sql, args)] if _has_usage(c) else [], [])


def file_usage(store: FactsStore) -> dict[str, list]:
    """{path: [downloads ever, last download, last user]} for each file ever downloaded."""
    sql = "SELECT path, downloads, last_download, last_user FROM file_usage"
    return store.guarded(lambda c: {r[0]: list(r[1:]) for r in c.execute(sql)} if _has_usage(c) else {}, {})
