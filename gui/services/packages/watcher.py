"""Keeps the listing of packages/ current from file-system events, one file at a time.

:class:`PackageWatcher` scans once, then follows changes (an upload by twine, a file
copied in, a delete) and hands out a new :class:`Listing` shortly after each burst.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from gui.services.packages.index_facts import IndexFacts
from gui.services.packages.listing import Listing, PackageFile, describe_file, group, scan
from gui.services.server.inside.facts import FOLDER as FACTS_FOLDER

SETTLE_SECONDS = 0.2  # a burst of events (an upload writes, renames) becomes one new listing
#: The server writes the index database once a second while files are downloaded: the facts (upload times,
#: yanks, download counts) are read again at most this often when nothing else changed.
FACTS_SETTLE_SECONDS = 5.0


class PackageWatcher(FileSystemEventHandler):
    """Keeps a listing of ``folder`` current and calls ``on_listing`` (from its own thread) when it changes."""

    def __init__(
        self, folder: Path, on_listing: Callable[[Listing], None], read_facts: Callable[[], IndexFacts] = IndexFacts
    ) -> None:
        """``read_facts`` reads the index database (upload times, yanks): again whenever the server writes it."""
        super().__init__()
        self.folder = folder
        self._on_listing = on_listing
        self._read_facts = read_facts
        self._facts = IndexFacts()
        self._facts_dirty = False
        self._lock = threading.Lock()
        self._files: dict[str, PackageFile] = {}
        self._unrecognized: set[str] = set()
        self._dirty: set[str] = set()
        self._timer: threading.Timer | None = None
        self._due = 0.0  # when the pending timer fires (monotonic)
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
        facts = self._read_facts()
        with self._lock:
            self._files, self._unrecognized, self._facts = files, unrecognized, facts
        return self.listing()

    def listing(self) -> Listing:
        with self._lock:
            return dataclasses.replace(group(self._files.values(), self._unrecognized), facts=self._facts)

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
        paths = [os.fsdecode(p) for p in (event.src_path, getattr(event, "dest_path", "")) if p]
        facts_folder = os.path.join(os.fsdecode(self.folder), FACTS_FOLDER)
        with self._lock:
            for path in paths:
                if path == facts_folder or path.startswith(facts_folder + os.sep):
                    self._facts_dirty = True  # the server wrote the index database: upload times, yanks
                else:
                    self._dirty.add(path)
            delay = SETTLE_SECONDS if self._dirty else FACTS_SETTLE_SECONDS
            due = time.monotonic() + delay
            if self._timer is not None and self._due <= due:
                return
            if self._timer is not None:  # a file changed: sooner than the facts alone would wait
                self._timer.cancel()
            self._due = due
            self._timer = threading.Timer(delay, self._settle)
            self._timer.daemon = True
            self._timer.start()

    def _settle(self) -> None:
        with self._lock:
            dirty, self._dirty, self._timer = self._dirty, set(), None
            facts_dirty, self._facts_dirty = self._facts_dirty, False
        changed = False
        if facts_dirty:
            facts = self._read_facts()
            with self._lock:
                changed, self._facts = facts != self._facts, facts
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
