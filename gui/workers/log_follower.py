"""Follows the server's log on its own thread and emits the lines in batches.

A reader thread blocks on the stream; this thread gathers what it read and emits
at most one batch every ``interval`` seconds, so a burst of thousands of lines
costs the UI a few signals, and a quiet line still shows within ``interval``.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from gui.services.runtime import LogStream

_END = object()


class LogFollower(QThread):
    """Emits ``lines_arrived(list[str])`` batches until the stream ends or :meth:`stop`."""

    lines_arrived = Signal(list)
    #: The stream ended by itself (the server stopped); carries an error message or "".
    ended = Signal(str)

    def __init__(
        self,
        open_stream: Callable[[], LogStream],
        interval: float = 0.05,
        max_batch: int = 10_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._open_stream = open_stream
        self._interval = interval
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._stream: LogStream | None = None
        self._stopping = False
        self._reader: threading.Thread | None = None

    def run(self) -> None:
        try:
            stream = self._open_stream()
        except Exception as exc:
            self.ended.emit(str(exc))
            return
        with self._lock:
            self._stream = stream
            if self._stopping:
                stream.close()
        lines: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._read, args=(stream, lines), name="log-reader", daemon=True)
        self._reader.start()
        self._batch(lines)
        self._reader.join()
        if not self._stopping:
            self.ended.emit("")

    @staticmethod
    def _read(stream: LogStream, lines: queue.SimpleQueue[object]) -> None:
        try:
            for line in stream:
                lines.put(line)
        except Exception as exc:  # a broken stream ends the follow; say why in the pane
            lines.put(f"[log stream broke: {exc}]")
        finally:
            lines.put(_END)

    def _batch(self, lines: queue.SimpleQueue[object]) -> None:
        batch: list[str] = []
        last_emit = time.monotonic()
        while True:
            try:
                item = lines.get(timeout=self._interval)
            except queue.Empty:
                item = None
            if item is _END:
                break
            if item is not None:
                batch.append(item)  # type: ignore[arg-type]
                with contextlib.suppress(queue.Empty):
                    while len(batch) < self._max_batch:
                        item = lines.get_nowait()
                        if item is _END:
                            break
                        batch.append(item)  # type: ignore[arg-type]
                if item is _END:
                    break
            now = time.monotonic()
            if batch and (item is None or now - last_emit >= self._interval or len(batch) >= self._max_batch):
                self.lines_arrived.emit(batch)
                batch, last_emit = [], now
        if batch:
            self.lines_arrived.emit(batch)

    def stop(self, timeout_ms: int = 5_000) -> None:
        """End the follow and join both threads."""
        with self._lock:
            self._stopping = True
            if self._stream is not None:
                self._stream.close()
        if self.isRunning():
            self.wait(timeout_ms)
