"""Runs Python's cyclic garbage collector on the UI thread only.

Left automatic, the collector runs in whichever thread happens to allocate when a threshold is
crossed. A worker thread may then destroy a Qt object that lives on the UI thread (say, the
timers of a window closed earlier), and Qt fails ("QBasicTimer::stop: Failed. Possibly trying
to stop from a different thread") or crashes. This turns automatic collection off and collects
from a timer on the UI thread instead, generation by generation, with Python's own thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class MainThreadGarbageCollector(QObject):
    """While it lives, cyclic garbage is collected on the thread that created it (the UI thread)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()
        self.destroyed.connect(gc.enable)

    def collect_due(self) -> None:
        """Collect the generations whose counts passed their thresholds, as Python itself would."""
        counts = gc.get_count()
        generation = -1
        for level, (count, threshold) in enumerate(zip(counts, self._thresholds, strict=True)):
            if count <= threshold:
                break
            generation = level
        if generation >= 0:
            gc.collect(generation)

    def stop(self) -> None:
        """Back to Python's automatic collection."""
        self._timer.stop()
        gc.enable()
