"""Keeps the listing of a volume's packages/ current by asking the engine every few seconds.

A volume has no file-system events this machine could watch (it may be on another one), so
:class:`VolumePackageWatcher` lists it through a helper container (one round trip: paths,
sizes and times; an exec in the server's container while it runs) and hands out a new
:class:`Listing` only when something changed. It asks every 5 s, or less often when a listing
takes long (a large index), so the engine spends at most a fifth of its time on it. It offers
what :class:`~gui.services.packages.watcher.PackageWatcher` offers: ``start()`` and ``stop()``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from gui.services.errors import DeskError
from gui.services.packages.index_facts import IndexFacts
from gui.services.packages.listing import Listing, PackageFile, describe_file, group
from gui.services.volume.files import VolumeFiles

POLL_SECONDS = 5.0
LOAD_SHARE = 0.2  # a large index is asked less often: listing takes at most this share of the time
log = logging.getLogger(__name__)


class _Stat(NamedTuple):
    st_size: int
    st_mtime: float


def volume_listing(files: VolumeFiles) -> tuple[Listing, frozenset[tuple[str, int, float]]]:
    """The listing of the volume's packages, and the raw entries it was made from (to compare)."""
    entries = frozenset(files.package_entries())
    described: list[PackageFile] = []
    unrecognized: list[str] = []
    for relative, size, mtime in entries:
        found = describe_file(relative.rsplit("/", 1)[-1], relative, _Stat(size, mtime))  # type: ignore[arg-type]
        if found is None:
            unrecognized.append(relative)
        else:
            described.append(found)
    return group(described, unrecognized), entries


class VolumePackageWatcher:
    """Calls ``on_listing`` (from its own thread) when the volume's packages change."""

    def __init__(
        self,
        files: VolumeFiles,
        on_listing: Callable[[Listing], None],
        read_facts: Callable[[], IndexFacts] = IndexFacts,
    ) -> None:
        self._files = files
        self._on_listing = on_listing
        self._read_facts = read_facts
        self._facts = IndexFacts()
        self._stopped = threading.Event()
        self._seen: frozenset[tuple[str, int, float]] = frozenset()
        self._thread: threading.Thread | None = None

    def start(self) -> Listing:
        listing, self._seen = volume_listing(self._files)
        self._facts = self._read_facts()
        listing = dataclasses.replace(listing, facts=self._facts)
        self._thread = threading.Thread(target=self._poll, name="volume-packages", daemon=True)
        self._thread.start()
        return listing

    def _poll(self) -> None:
        pause = POLL_SECONDS
        while not self._stopped.wait(pause):
            began = time.monotonic()
            try:
                listing, entries = volume_listing(self._files)
                facts = self._read_facts()
                pause = max(POLL_SECONDS, (time.monotonic() - began) / LOAD_SHARE)
            except DeskError as exc:  # the engine went away for a while: keep the last listing
                log.info("listing the volume's packages: %s", exc)
                continue
            if (entries != self._seen or facts != self._facts) and not self._stopped.is_set():
                self._seen, self._facts = entries, facts
                self._on_listing(dataclasses.replace(listing, facts=facts))

    def stop(self) -> None:
        self._stopped.set()
