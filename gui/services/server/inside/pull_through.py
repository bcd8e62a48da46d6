"""Names the index does not host, answered from upstream and kept: the pull-through cache (runs inside the
server; the image's Python and pypiserver only).

A project page is fetched from upstream (JSON first) and kept (``cache_store``) for a time to
live; after it, the next request fetches it again, and when upstream cannot be reached the kept
page is served with a log line saying why. Files upstream has since removed stay on the page for
as long as their verified copies are kept. The page's links lead to this server
(``/cached/PROJECT/FILE``) with upstream's sha256, requires-python, yank, upload time and core
metadata. A file is fetched on its first request (``file_fetch``: one fetch however many ask,
verified against the page's hash, renamed into place only when whole) and served from the disk
afterwards. A name the team hosts never reaches here: the caller asks only for names the index
lacks, and a cached file of a name that is hosted now is refused. Every hit, miss and fetch is a
log line with its time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import json
import mimetypes
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside import cache_store, simple_pages, static_files
    from gui.services.server.inside.file_fetch import FetchFailed, FileFetch
    from gui.services.server.inside.upstream import Upstream, UpstreamError, UpstreamFile, safe_filename
else:  # run as a script from this folder, inside the image or as the local process
    import cache_store
    import simple_pages
    import static_files
    from file_fetch import FetchFailed, FileFetch
    from upstream import Upstream, UpstreamError, UpstreamFile, safe_filename

PREFIX = "/cached/"
RETRY_AFTER = 30.0  # after upstream could not be reached, kept pages are served without asking it again this long
MAX_METADATA = 10 * 1024 * 1024
PREFERRED = ("sha256", "sha384", "sha512", "blake2b")
PAGE_READS = 4  # upstream pages read at once, at most
PAGES_IN_MEMORY = 64


def say(line: str) -> None:
    """One write per line: the access log's lines, written by other threads, never land inside it."""
    sys.stderr.write(f"pypi-desk-cache: {line}\n")
    sys.stderr.flush()


class NotAvailable(Exception):
    """An answer other than the page or file: ``status`` and a sentence for the client."""

    def __init__(self, status: str, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class CachedPage:
    def __init__(self, project: str, fetched: float, files: list[UpstreamFile]) -> None:
        self.project = project
        self.fetched = fetched
        self.files = {entry.filename: entry for entry in files if safe_filename(entry.filename)}


class PullThrough:
    """The cache of one packages folder, in front of one upstream."""

    def __init__(self, root: str, upstream: Upstream, store, ttl: float, log: Callable[[str], None] = say) -> None:
        self.root = root
        self.upstream = upstream
        self._store = store
        self.ttl = ttl
        self._log = log
        self._lock = threading.Lock()
        self._page_locks: dict[str, threading.Lock] = {}
        self._pages: OrderedDict[str, tuple[int, CachedPage]] = OrderedDict()  # recent pages: (mtime_ns, page)
        self._fetches: dict[str, FileFetch] = {}
        self._unreachable: tuple[float, str] = (0.0, "")  # since when upstream could not be reached, and why
        self._noted = None
        self._page_reads = threading.BoundedSemaphore(PAGE_READS)  # each may hold a page of up to 64 MB
        cache_store.remove_partial(root)  # a fetch a stop broke off: never whole, never served

    # -- pages ---------------------------------------------------------------------------

    def page(self, project: str, refresh: bool = True) -> CachedPage:
        """The project's page: kept, fetched anew after its time to live, or kept when upstream fails."""
        if not cache_store.is_project_name(project):
            raise NotAvailable("404 Not Found", f"{project} is not a project name this index looks up upstream.")
        if self._store is not None and cache_store.was_teams(self._store, project):
            raise NotAvailable("404 Not Found", f"{project} was the team's project here, so upstream's is never "
                                                f"served for it (`pypi-desk cache allow {project}`).")  # fmt: skip
        with self._lock:
            lock = self._page_locks.setdefault(project, threading.Lock())
        with lock:  # one fetch of a page, however many ask at once
            kept = self._kept_page(project)
            if kept is not None and (not refresh or time.time() - kept.fetched < self.ttl):
                return kept
            since, why = self._unreachable
            if kept is not None and why and time.monotonic() - since < RETRY_AFTER:
                return kept  # upstream just failed: a kept page now, not a wait on it (a new name still asks)
            began = time.monotonic()
            try:
                with self._page_reads:
                    files = self.upstream.project_files(project)
            except UpstreamError as exc:
                if not exc.reached and (exc.status is None or exc.status >= 500):
                    self._unreachable = (time.monotonic(), exc.why)
                    self._note(exc.why)
                return self._without_upstream(project, kept, exc)
            self._unreachable = (0.0, "")
            self._note("")
            page = self._merged(project, files, kept)
            self._save(page)
            self._log(f"page {project} fetched from upstream in {time.monotonic() - began:.2f} s "
                      f"({len(page.files)} files)")  # fmt: skip
            return page

    def _without_upstream(self, project: str, kept: CachedPage | None, exc: UpstreamError) -> CachedPage:
        why, status = exc.why, exc.status
        if kept is not None:
            self._log(f"page {project} served from the cache (fetched {_age(kept.fetched)} ago): upstream {why}")
            return kept
        if exc.reached:  # upstream answered, with something that is no page
            self._log(f"page {project} cannot be served: {why}")
            raise NotAvailable("502 Bad Gateway", f"{project} is not hosted here, and {why}.")
        if status == 404:
            raise NotAvailable("404 Not Found", f"{project} is not hosted here, and upstream "
                                                f"({self.upstream.url}) has no such project.")  # fmt: skip
        self._log(f"page {project} cannot be served: it is not in the cache, and upstream {why}")
        raise NotAvailable("502 Bad Gateway", f"{project} is not hosted here nor kept in the cache, and upstream "
                                              f"({self.upstream.url}) cannot be reached: {why}.")  # fmt: skip

    def _merged(self, project: str, files: list[UpstreamFile], kept: CachedPage | None) -> CachedPage:
        """Upstream's files, with each kept verified file as it was verified (removed or altered upstream since)."""
        fresh = CachedPage(project, time.time(), files)
        if kept is None:
            return fresh
        for filename, entry in kept.files.items():
            if not os.path.isfile(self._path(project, filename)):
                continue
            now = fresh.files.get(filename)
            if now is not None and _digest(now) == _digest(entry):
                continue  # the same file: upstream's word on it now (a yank, requires-python) holds
            if now is not None:
                self._log(f"upstream now names another hash for {filename} ({_digest(now)[1]}); the verified copy "
                          f"kept ({_digest(entry)[1]}) is served")  # fmt: skip
                entry = dataclasses.replace(entry, yanked=now.yanked, requires_python=now.requires_python)
            fresh.files[filename] = entry
        return fresh

    def _kept_page(self, project: str) -> CachedPage | None:
        path = os.path.join(cache_store.cached_project_dir(self.root, project), cache_store.PAGE_FILE)
        try:
            stamp = os.stat(path).st_mtime_ns
        except OSError:
            self._pages.pop(project, None)
            return None
        memo = self._pages.get(project)
        if memo is not None and memo[0] == stamp:
            self._pages.move_to_end(project)
            return memo[1]
        try:
            with open(path, "rb") as handle:
                raw = json.loads(handle.read())
            page = CachedPage(project, float(raw["fetched"]), [UpstreamFile.from_json(e) for e in raw["files"]])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self._log(f"the kept page of {project} cannot be read ({exc}); it is fetched anew")
            return None
        self._remember(project, stamp, page)
        return page

    def _save(self, page: CachedPage) -> None:
        folder = cache_store.cached_project_dir(self.root, page.project)
        os.makedirs(folder, mode=0o755, exist_ok=True)
        data = json.dumps({"format": 1, "project": page.project, "fetched": page.fetched,
                           "files": [entry.as_json() for entry in page.files.values()]}).encode()  # fmt: skip
        temporary = os.path.join(folder, f".{cache_store.PAGE_FILE}.{os.urandom(4).hex()}")
        try:
            with open(temporary, "wb") as out:
                out.write(data)
            os.replace(temporary, os.path.join(folder, cache_store.PAGE_FILE))
        except OSError as exc:  # a full disk: served now, fetched again next time
            self._log(f"the page of {page.project} cannot be kept ({exc.strerror})")
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            return
        self._remember(page.project, os.stat(os.path.join(folder, cache_store.PAGE_FILE)).st_mtime_ns, page)

    def _remember(self, project: str, stamp: int, page: CachedPage) -> None:
        """The most recently used pages stay in memory; the others are read from the disk again when asked."""
        self._pages[project] = (stamp, page)
        self._pages.move_to_end(project)
        while len(self._pages) > PAGES_IN_MEMORY:
            self._pages.popitem(last=False)

    def _note(self, why: str) -> None:
        if self._store is not None and why != self._noted:
            self._noted = why
            cache_store.note_upstream(self._store, why)

    def links(self, page: CachedPage) -> tuple[list[simple_pages.FileLink], list[str]]:
        """The page's links (relative to ``/simple/PROJECT/``) and its versions."""
        links, versions = [], []
        for entry in page.files.values():
            algorithm, value = _digest(entry)
            if not value:
                continue  # never verifiable (no hash, or md5 only): not offered, so no client picks it
            version = version_of(entry.filename)
            if version:
                versions.append(version)
            links.append(simple_pages.FileLink(
                filename=entry.filename, url=f"../..{PREFIX}{page.project}/{entry.filename}",
                digest=f"{algorithm}={value}" if value else None, size=entry.size,
                upload_time=_seconds(entry.upload_time), requires_python=entry.requires_python,
                metadata_sha256=entry.metadata_sha256, yanked=entry.yanked,
            ))  # fmt: skip
        return links, simple_pages.distinct_versions(versions)

    # -- files ---------------------------------------------------------------------------

    def answer_file(self, environ: dict, start_response: Callable, project: str, filename: str) -> Iterable[bytes]:
        """A cached file (or its ``.metadata``): from the disk, or fetched now; raises :class:`NotAvailable`."""
        metadata = filename.endswith(".metadata")
        name = filename[: -len(".metadata")] if metadata else filename
        if not safe_filename(name):
            raise NotAvailable("404 Not Found", f"{filename} is not a file name this index serves.")
        page = self.page(project, refresh=False)
        entry = page.files.get(name)
        if entry is None:
            raise NotAvailable("404 Not Found", f"upstream's page for {project} lists no file {name}.")
        if metadata:
            return self._metadata(environ, start_response, project, entry)
        path = self._path(project, name)
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed once sent (static_files.send_file)
        except FileNotFoundError:
            return self._fetched(environ, start_response, project, entry, kind)
        self._log(f"hit {project}/{name}")
        return static_files.send_file(environ, start_response, handle, kind)

    def _fetched(self, environ: dict, start_response: Callable, project: str, entry: UpstreamFile,
                 kind: str) -> Iterable[bytes]:  # fmt: skip
        algorithm, expected = _digest(entry)
        if not expected:
            raise NotAvailable("502 Bad Gateway", f"upstream's page gives no hash for {entry.filename}; PyPI Desk "
                                                  "keeps only files it can verify.")  # fmt: skip
        if environ.get("REQUEST_METHOD") == "HEAD" and entry.size is not None:
            start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(entry.size))])
            return [b""]
        path = self._path(project, entry.filename)
        with self._lock:
            fetch = self._fetches.get(path)
            joined = fetch is not None
            if fetch is None and os.path.isfile(path):  # verified since the first look
                return static_files.send_file(environ, start_response, open(path, "rb"), kind)
            if fetch is None:
                os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                fetch = FileFetch(self.upstream.open, entry.url, path, algorithm, expected, entry.size,
                                  lambda done: self._done(project, entry, done))  # fmt: skip
                self._fetches[path] = fetch
                fetch.start()
        self._log(f"miss {project}/{entry.filename}: " + ("joins the fetch under way" if joined else "fetching"))
        try:
            fetch.wait_for_headers()
            body = fetch.reader()
        except FetchFailed as exc:
            raise NotAvailable("502 Bad Gateway", f"{entry.filename} could not be fetched: {exc}") from None
        headers = [("Content-Type", kind)]
        if fetch.size is not None:
            headers.append(("Content-Length", str(fetch.size)))
        start_response("200 OK", headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            body.close()
            return [b""]
        return body

    def _done(self, project: str, entry: UpstreamFile, fetch: FileFetch) -> None:
        with self._lock:
            self._fetches.pop(fetch.final, None)
        if fetch.state != "verified":
            self._log(f"fetch of {project}/{entry.filename} failed after {fetch.seconds:.2f} s: {fetch.why}")
            return
        self._log(f"fetched {project}/{entry.filename} from upstream in {fetch.seconds:.2f} s "
                  f"({fetch.written} bytes, {_digest(entry)[0]} verified)")  # fmt: skip
        if self._store is not None:
            cache_store.record_cached(self._store, project, entry.filename, version_of(entry.filename), fetch.written,
                                      _digest(entry)[1])  # fmt: skip

    def _metadata(self, environ: dict, start_response: Callable, project: str, entry: UpstreamFile) -> Iterable[bytes]:
        if not entry.metadata_sha256:
            raise NotAvailable("404 Not Found", f"upstream serves no metadata file for {entry.filename}.")
        path = self._path(project, entry.filename) + ".metadata"
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_METADATA)
        except FileNotFoundError:
            data = self._fetch_metadata(project, entry, path)
        etag = f'"{entry.metadata_sha256[:32]}"'
        return static_files.send_bytes(environ, start_response, data, "application/octet-stream", etag)

    def _fetch_metadata(self, project: str, entry: UpstreamFile, path: str) -> bytes:
        try:
            with self.upstream.open(entry.url + ".metadata") as response:
                data = response.read(MAX_METADATA + 1)
        except (UpstreamError, OSError) as exc:
            raise NotAvailable("502 Bad Gateway", f"the metadata of {entry.filename} could not be fetched: "
                                                  f"{getattr(exc, 'why', exc)}") from None  # fmt: skip
        got = hashlib.sha256(data).hexdigest()
        if len(data) > MAX_METADATA or got != entry.metadata_sha256.lower():
            self._log(f"metadata of {project}/{entry.filename} refused: upstream's page names sha256 "
                      f"{entry.metadata_sha256}, the file that came has {got}")  # fmt: skip
            raise NotAvailable("502 Bad Gateway", f"the metadata of {entry.filename} from upstream does not match "
                                                  "its page's hash; it was not kept.")  # fmt: skip
        temporary = f"{os.path.dirname(path)}/.{os.path.basename(path)}.{os.urandom(4).hex()}"
        try:
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            with open(temporary, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except OSError as exc:
            self._log(f"the metadata of {project}/{entry.filename} cannot be kept ({exc.strerror})")
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return data

    def _path(self, project: str, filename: str) -> str:
        return os.path.join(cache_store.cached_project_dir(self.root, project), filename)


def version_of(filename: str) -> str:
    """A wheel's or an sdist's version, by the filename rules (``packaging``, which pypiserver brings); ""."""
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
        return ""


def _digest(entry: UpstreamFile) -> tuple[str, str]:
    """The strongest hash upstream names for a file: (algorithm, hex); ("", "") when none is usable."""
    for algorithm in PREFERRED:
        if entry.hashes.get(algorithm):
            return algorithm, entry.hashes[algorithm].lower()
    for algorithm, value in entry.hashes.items():
        if algorithm in hashlib.algorithms_available and algorithm not in ("md5", "sha1") and value:
            return algorithm, value.lower()
    return "", ""


def _seconds(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _age(fetched: float) -> str:
    minutes = max(0, int((time.time() - fetched) / 60))
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
