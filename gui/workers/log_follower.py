"""Follows the server's log on its own thread and hands the lines to the UI in batches.

A reader thread blocks on the stream and queues each line. This thread pings the UI at
most once per ``interval`` while lines wait. On the UI thread the follower takes at
most ``max_batch`` lines per turn, emits them as one ``lines_arrived`` batch, and
yields to the event loop before the next turn. A burst of 200,000 lines thus costs
the UI many short turns with painting in between, never one long stall, and a
quiet line still shows within ``interval``.

When ``max_pending`` lines wait, the reader waits too (backpressure): the stream keeps
the rest, nothing is lost, memory stays bounded, and the reader does not compete with
the UI thread for the GIL while the UI paints (each painted cell calls Python).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from gui.services.runtime import LogPosition, LogStream


class LogFollower(QThread):
    """Emits ``lines_arrived(list[str])`` on the UI thread until the stream ends or :meth:`stop`."""

    lines_arrived = Signal(list)
    #: After the last batch, when the stream ended by itself: an error message, or "".
    ended = Signal(str)
    _ready = Signal()

    def __init__(
        self,
        open_stream: Callable[[], LogStream],
        interval: float = 0.05,
        max_batch: int = 1_000,
        max_pending: int = 8_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("log-follower")
        self._open_stream = open_stream
        self._interval = interval
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self._space = threading.Condition(self._lock)  # the UI took lines
        self._pending: deque[str] = deque()
        self._notified = False
        self._finished: str | None = None
        self._stream: LogStream | None = None
        self._stopping = False
        self._ready.connect(self._take_batch)

    # -- follower thread ------------------------------------------------------

    def run(self) -> None:
        try:
            stream = self._open_stream()
        except Exception as exc:
            self._finish(str(exc))
            return
        with self._lock:
            self._stream = stream
            if self._stopping:
                stream.close()
        reader = threading.Thread(target=self._read, args=(stream,), name="log-reader", daemon=True)
        reader.start()
        while reader.is_alive():
            reader.join(self._interval)
            self._notify()
        self._finish(self._finished or "")

    def _read(self, stream: LogStream) -> None:
        try:
            for line in stream:
                with self._space:
                    while len(self._pending) >= self._max_pending and not self._stopping:
                        self._space.wait(self._interval)
                    if self._stopping:
                        return
                    self._pending.append(line)
        except Exception as exc:  # a broken stream ends the follow; the pane says why
            self._finished = f"the log stream broke: {exc}"

    def _notify(self) -> None:
        with self._lock:
            if not self._pending or self._notified:
                return
            self._notified = True
        self._ready.emit()

    def _finish(self, reason: str) -> None:
        self._finished = reason
        self._ready.emit()

    # -- UI thread --------------------------------------------------------------

    def _take_batch(self) -> None:
        if self._stopping:
            return
        with self._space:
            count = min(self._max_batch, len(self._pending))
            batch = [self._pending.popleft() for _ in range(count)]
            more = bool(self._pending)
            self._notified = more
            self._space.notify()
        if batch:
            self.lines_arrived.emit(batch)
        if more:
            QTimer.singleShot(0, self, self._take_batch)  # paint and handle input, then go on
        elif self._finished is not None:  # set only once the reader is done: nothing more will come
            reason, self._finished = self._finished, None
            self.ended.emit(reason)

    @property
    def position(self) -> LogPosition | None:
        """Where the lines read end; after ``ended``, the end of the lines shown (see LogPosition)."""
        stream = self._stream
        return getattr(stream, "position", None) if stream is not None else None

    def stop(self, timeout_ms: int = 5_000) -> None:
        """End the follow and join both threads; lines not yet shown are dropped."""
        with self._space:
            self._stopping = True
            self._space.notify_all()
            if self._stream is not None:
                self._stream.close()
        if self.isRunning():
            self.wait(timeout_ms)
