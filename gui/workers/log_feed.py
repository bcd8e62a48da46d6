"""The server's log as one continuing feed: follows it, and picks up where a broken stream stopped.

A :class:`LogFollower` reads one stream. When that stream ends by itself (the engine restarted,
the container went away), the feed keeps the stream's position; the next :meth:`follow` goes on
from there, so the lines already shown are not shown again and none in between are lost. A new
server (another container or process) has a log of its own, which is then read from its start.

On the way, the traceback a client's failed TLS handshake prints becomes one line that says so
(:class:`TlsNoise`); a traceback cut between two batches is held for at most ``HOLD_MS``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from gui.services.server.log_lines import TlsNoise
from gui.services.server.runtime import LogPosition
from gui.services.server.service import ServerService
from gui.workers.log_follower import LogFollower

HOLD_MS = 300


class LogFeed(QObject):
    """Emits ``lines_arrived(list[str])`` batches; ``ended(str)`` when a stream ended by itself."""

    lines_arrived = Signal(list)
    ended = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._follower: LogFollower | None = None
        self._position: LogPosition | None = None
        self._closed = False
        self._noise = TlsNoise()
        self._hold = QTimer(self, singleShot=True, interval=HOLD_MS)
        self._hold.timeout.connect(self._release)

    @property
    def following(self) -> bool:
        return self._follower is not None

    @property
    def resumes(self) -> bool:
        """True when the next follow goes on from a broken stream's position."""
        return self._position is not None

    def follow(self, service: ServerService, tail: int | None) -> None:
        """Follow ``service``'s log: from the kept position, else its last ``tail`` lines (None: all)."""
        if self._follower is not None or self._closed:
            return
        after = self._position
        if after is not None:
            open_stream = lambda: service.logs(follow=True, after=after)  # noqa: E731
        else:
            open_stream = lambda: service.logs(tail=tail, follow=True)  # noqa: E731
        self._follower = LogFollower(open_stream, parent=self)
        self._follower.setObjectName("log-follower")
        self._follower.lines_arrived.connect(self._arrived)
        self._follower.ended.connect(self._ended)
        self._follower.start()

    def _arrived(self, lines: list[str]) -> None:
        shown = self._noise.feed(lines)
        if shown:
            self.lines_arrived.emit(shown)
        if self._noise.pending:
            self._hold.start()

    def _release(self) -> None:
        held = self._noise.flush()
        if held:
            self.lines_arrived.emit(held)

    def forget_position(self) -> None:
        """The next follow starts afresh (another data folder: its log is another story)."""
        self._position = None

    def stop(self) -> None:
        """Stop following and join the threads; the position is kept."""
        if self._follower is not None:
            self._follower.stop()
            self._follower.deleteLater()
            self._follower = None
        self._hold.stop()
        self._noise = TlsNoise()  # a cut traceback of a log no longer followed

    def close(self) -> None:
        """Stop for good: a follow asked for later starts nothing."""
        self._closed = True
        self.stop()

    def _ended(self, error: str) -> None:
        self._hold.stop()
        self._release()
        if self._follower is not None:
            self._position = self._follower.position or self._position
        self.stop()
        self.ended.emit(error)
