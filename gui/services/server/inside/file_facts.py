"""What the server's pages say of each file beyond its name: digest, size, upload time, requires-python, core
metadata, yank (runs inside the server, with the image's packages only).

:class:`FileFactsCache` keeps the :class:`~facts.FactsStore` rows in memory (a page reads
no database) and fills them in as files are seen: an upload records its time when it is stored;
a file that appears otherwise (copied in by hand) gets the time it was first seen, or its own
modification time when the database was just made (rebuilt: nothing better is known). A
file's digest and metadata are worked out once per size and mtime, outside the index's lock,
and written to the store, so a restart hashes nothing again. Yanks made by another process
(the app) are seen through SQLite's ``data_version`` at the next request.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict

from pypiserver.backend import digest_file
from pypiserver.core import PkgFile

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside.core_metadata import read_core_metadata
    from gui.services.server.inside.facts import FactsStore, FileFacts, version_key
else:  # run as a script from this folder, inside the image or as the local process
    from core_metadata import read_core_metadata
    from facts import FactsStore, FileFacts, version_key


DESCRIBED_KEPT = 4096  # descriptions kept in memory (the hot pages'); the rest are one query away in the store


class FileFactsCache:
    """The descriptions of the files asked for lately, in memory; the rest stay in the store, one query away
    (50,000 files' facts in memory cost 40 MB). A lock of its own (hashing happens outside it)."""

    def __init__(self, store: FactsStore | None, hash_algo: str | None) -> None:
        self.store = store
        self.hash_algo = hash_algo
        self._lock = threading.RLock()
        self._times: dict[str, tuple[float, str]] = {}  # (upload time, source): only without a store
        self._described: OrderedDict[str, FileFacts] = OrderedDict()  # the latest asked for, oldest first
        self._yanks: dict[tuple[str, str], str] = store.yanks() if store else {}
        # made anew (or by someone else, holding no file yet): the files found first predate it, and their own
        # modification times are the best upload times there are
        self._rebuilt = bool(store and (store.made_anew or store.is_empty()))
        self._metadata_seen: dict[str, bytes] = {}  # what the store could not keep (no store, a full disk)
        if store is not None:
            store.changed_elsewhere()  # the baseline: our own reads above are not a change

    def seen(self, packages: list[PkgFile], first_read: bool) -> None:
        """Files the index found; those the store does not know get a time (first seen, or their own)."""
        now = time.time()
        paths = [package.relfn_unix for package in packages]
        known = self.store.known(paths) if self.store is not None else set(self._times)
        new = []
        for package in packages:
            if package.relfn_unix in known:
                continue
            when, source = now, "seen"
            if first_read and self._rebuilt:
                when, source = _mtime(package.fn, now), "file"
            new.append((package.relfn_unix, package.pkgname, package.version, when, source))
        if self.store is not None:
            self.store.record(new)
        else:
            with self._lock:
                self._times.update((path, (when, source)) for path, _n, _v, when, source in new)

    def uploaded(self, relfn_unix: str, name: str, version: str) -> None:
        """A file an upload just stored: its time is now, and known as an upload's."""
        now = time.time()
        with self._lock:
            if self.store is None:
                self._times[relfn_unix] = (now, "upload")
            self._described.pop(relfn_unix, None)
        if self.store is not None:
            self.store.record([(relfn_unix, name, version, now, "upload")], uploaded=True)

    def gone(self, packages: list[PkgFile]) -> None:
        with self._lock:
            for package in packages:
                self._times.pop(package.relfn_unix, None)
                self._described.pop(package.relfn_unix, None)
                self._metadata_seen.pop(package.relfn_unix, None)
        if self.store is not None:
            self.store.forget([package.relfn_unix for package in packages])
            self._yanks = self.store.yanks()

    def yanks_changed(self) -> bool:
        """Whether another process yanked or unyanked since the last ask (then the new yanks are read). A
        database deleted or replaced meanwhile is filled again with what is known here."""
        if self.store is None or not self.store.changed_elsewhere():
            return False
        if self.store.reopened:
            self.store.reopened = False
            with self._lock:  # the store copied what it had; each file is looked up there again
                self._described.clear()
        yanks = self.store.yanks()
        with self._lock:
            changed, self._yanks = yanks != self._yanks, yanks
        return changed

    def yank_reason(self, package: PkgFile) -> str | None:
        """None when not yanked; else the reason (maybe empty)."""
        return self._yanks.get((package.pkgname_norm, version_key(package.version)))

    def facts_of(self, package: PkgFile) -> FileFacts | None:
        """The file's facts as it is now, described first when new or changed; None when it is gone."""
        return self.facts_of_all([package])[0]

    def facts_of_all(self, packages: list[PkgFile]) -> list[FileFacts | None]:
        """Each file's facts (None: gone); those new or changed are described (hashed, metadata read) outside the
        lock and written to the store in one transaction: a project page costs one commit, not one per file."""
        results: list[FileFacts | None] = []
        pending = []
        for package in packages:
            try:
                info = os.stat(package.fn)
            except OSError:
                results.append(None)
                continue
            with self._lock:
                known = self._described.get(package.relfn_unix)
                if known is not None:
                    self._described.move_to_end(package.relfn_unix)
            if known is not None and (known.size, known.mtime_ns) == (info.st_size, info.st_mtime_ns):
                results.append(known)
                continue
            results.append(None)
            pending.append((len(results) - 1, package, info))
        if not pending:
            return results
        stored = self.store.rows([p.relfn_unix for _, p, _ in pending]) if self.store is not None else {}
        still = []
        for position, package, info in pending:
            found = stored.get(package.relfn_unix)
            if found is not None and (found.size, found.mtime_ns) == (info.st_size, info.st_mtime_ns):
                results[position] = self._remember(package.relfn_unix, found)
                continue
            if found is None and self.store is None:
                with self._lock:
                    times = self._times.get(package.relfn_unix)
                found = FileFacts(*times) if times else None
            still.append((position, package, info, found))
        pending = still
        if not pending:
            return results
        described = []
        for position, package, info, known in pending:
            try:
                digest = digest_file(package.fn, self.hash_algo) if self.hash_algo else None
            except FileNotFoundError:  # removed between the stat and the read
                continue
            metadata, requires_python = read_core_metadata(package.fn, os.path.basename(package.fn))
            data = metadata.data if metadata else None
            base = known or FileFacts(time.time(), "seen")
            metadata_sha256 = hashlib.sha256(data).hexdigest() if data is not None else None
            facts = base._replace(size=info.st_size, mtime_ns=info.st_mtime_ns, digest=digest,
                                  requires_python=requires_python, metadata_sha256=metadata_sha256)  # fmt: skip
            described.append((position, package, known, facts, data))
        kept = self._keep(described)
        with self._lock:
            for position, package, _known, facts, data in described:
                self._remember(package.relfn_unix, facts)
                if data is not None and not kept:  # served from memory until the store can keep it
                    self._metadata_seen[package.relfn_unix] = data
                else:
                    self._metadata_seen.pop(package.relfn_unix, None)
                results[position] = facts
        return results

    def _remember(self, relfn_unix: str, facts: FileFacts) -> FileFacts:
        with self._lock:
            self._described[relfn_unix] = facts
            self._described.move_to_end(relfn_unix)
            while len(self._described) > DESCRIBED_KEPT:
                self._described.popitem(last=False)
        return facts

    def _keep(self, described: list) -> bool:
        """Write new descriptions to the store; False when it could not (a full disk)."""
        if self.store is None:
            return False
        new = [
            (p.relfn_unix, p.pkgname, p.version, f.upload_time, "seen") for _, p, known, f, _ in described if not known
        ]
        self.store.record(new)
        return self.store.describe_many([
            (p.relfn_unix, f.size, f.mtime_ns, f.digest, f.requires_python, data, f.metadata_sha256)
            for _, p, _known, f, data in described
        ])  # fmt: skip

    def metadata_of(self, package: PkgFile) -> bytes | None:
        """The core metadata file served at ``FILE.metadata`` (None: the file has none to serve)."""
        facts = self.facts_of(package)
        if facts is None or facts.metadata_sha256 is None:
            return None
        with self._lock:
            data = self._metadata_seen.get(package.relfn_unix)
        if data is None and self.store is not None:
            data = self.store.metadata(package.relfn_unix)
        if data is None or hashlib.sha256(data).hexdigest() != facts.metadata_sha256:  # not kept: read it again
            fresh, _ = read_core_metadata(package.fn, os.path.basename(package.fn))
            data = fresh.data if fresh is not None else None
        if data is not None and hashlib.sha256(data).hexdigest() == facts.metadata_sha256:
            return data
        return None


def _mtime(path: str, default: float) -> float:
    try:
        return min(os.stat(path).st_mtime, default)
    except OSError:
        return default
