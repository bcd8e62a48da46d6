"""Brings the package watcher's updates (from its own thread) to the UI as a signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gui.services.packages.listing import Listing
from gui.services.packages.service import PackageService


class ListingWatcher(QObject):
    """``listing_changed(Listing)`` on the UI thread whenever packages/ changes, whoever changed it."""

    listing_changed = Signal(object)

    def __init__(self, packages: PackageService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = packages.watcher(self.listing_changed.emit)

    def start(self) -> Listing:
        """Scan and start watching; call it off the UI thread (it reads the whole folder, or volume, once)."""
        return self._watcher.start()

    def stop(self) -> None:
        self._watcher.stop()
