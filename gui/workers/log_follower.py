"""Follows the server's log on one reader thread and hands the lines to the UI in batches.

The reader thread opens the stream, blocks on it and queues each line. When lines start
to wait it pings the UI once; the UI waits ``interval`` (so a trickle of lines becomes a
few batches, not one turn per line), then takes at most ``max_batch`` lines per turn,
emits them as one ``lines_arrived`` batch and yields to the event loop before the next
turn. A burst of 200,000 lines thus costs the UI many short turns with painting in
between, never one long stall, and a quiet line still shows within ``interval``.

When ``max_pending`` lines wait, the reader waits too (backpressure): the stream keeps
the rest, nothing is lost, memory stays bounded, and the reader does not compete with
the UI thread for the GIL while the UI paints (each painted cell calls Python).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from gui.services.server.runtime import LogPosition, LogStream


class LogFollower(QObject):
    """Emits ``lines_arrived(list[str])`` on the UI thread until the stream ends or :meth:`stop`."""

    lines_arrived = Signal(list)
    #: After the last batch, when the stream ended by itself: an error message, or "".
    ended = Signal(str)
    _ready = Signal()  # from the reader thread: lines wait, or the stream ended

    def __init__(
        self,
        open_stream: Callable[[], LogStream],
        interval: float = 0.05,
        max_batch: int = 1_000,
        max_pending: int = 8_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._open_stream = open_stream
        self._interval_ms = round(interval * 1000)
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self._space = threading.Condition(self._lock)  # the UI took lines
        self._pending: deque[str] = deque()
        self._notified = False  # a ping is on its way to the UI, or the UI is taking batches
        self._finished: str | None = None  # set once the reader is done: nothing more will come
        self._stream: LogStream | None = None
        self._stopping = False
        self._reader: threading.Thread | None = None
        self._ready.connect(self._schedule)

    # -- reader thread ------------------------------------------------------------

    def start(self) -> None:
        self._reader = threading.Thread(target=self._read, name="log-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        reason = ""
        try:
            stream = self._open_stream()
        except Exception as exc:  # no engine, no container: the pane says why
            self._finish(str(exc))
            return
        with self._lock:
            self._stream = stream
            if self._stopping:
                stream.close()
        try:
            for line in stream:
                with self._space:
                    while len(self._pending) >= self._max_pending and not self._stopping:
                        self._space.wait(self._interval_ms / 1000)
                    if self._stopping:
                        return
                    self._pending.append(line)
                    ping = not self._notified
                    self._notified = True
                if ping:
                    self._ready.emit()
        except Exception as exc:  # a broken stream ends the follow; the pane says why
            reason = f"the log stream broke: {exc}"
        self._finish(reason)

    def _finish(self, reason: str) -> None:
        with self._lock:
            if self._stopping:  # nobody listens any more: emit nothing into a closing window
                return
            self._finished = reason
            ping = not self._notified
            self._notified = True
        if ping:
            self._ready.emit()

    # -- UI thread --------------------------------------------------------------

    def _schedule(self) -> None:
        """Lines wait: take them after ``interval`` (a trickle becomes a batch); an end at once."""
        QTimer.singleShot(0 if self._finished is not None else self._interval_ms, self, self._take_batch)

    def _take_batch(self) -> None:
        if self._stopping:
            return
        with self._space:
            count = min(self._max_batch, len(self._pending))
            batch = [self._pending.popleft() for _ in range(count)]
            more = bool(self._pending)
            self._notified = more
            finished = None if more else self._finished
            self._space.notify()
        if batch:
            self.lines_arrived.emit(batch)
        if more:
            QTimer.singleShot(0, self, self._take_batch)  # paint and handle input, then go on
        elif finished is not None:
            self._finished = None
            self.ended.emit(finished)

    @property
    def position(self) -> LogPosition | None:
        """Where the lines read end; after ``ended``, the end of the lines shown (see LogPosition)."""
        stream = self._stream
        return getattr(stream, "position", None) if stream is not None else None

    def isRunning(self) -> bool:  # QThread's name, as the service worker has it
        return self._reader is not None and self._reader.is_alive()

    def wait(self, timeout_ms: int = 5_000) -> bool:
        """Join the reader thread; True when it ended within ``timeout_ms``."""
        if self._reader is not None:
            self._reader.join(timeout_ms / 1000)
        return not self.isRunning()

    def stop(self, timeout_ms: int = 5_000) -> None:
        """End the follow and join the reader; lines not yet shown are dropped."""
        with self._space:
            self._stopping = True
            self._space.notify_all()
            stream = self._stream
        if stream is not None:
            stream.close()
        self.wait(timeout_ms)
