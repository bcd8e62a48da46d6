"""The local-process server's log file as lines, followed while the server runs, resumable by byte offset."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

from gui.services.server.log_lines import decode_line, raw_lines
from gui.services.server.runtime import LogPosition

FOLLOW_POLL = 0.1


class FileLogStream:
    """Lines of a log file, optionally followed while ``still_running()`` holds.

    From ``offset`` when given (a resumed follow), else its last ``tail`` lines, else all of it.
    """

    def __init__(
        self,
        path: Path,
        tail: int | None,
        follow: bool,
        still_running: Callable[[], bool],
        source: str = "",
        offset: int | None = None,
    ) -> None:
        self._path = path
        self._tail = tail
        self._follow = follow
        self._still_running = still_running
        self._source = source
        self._start = offset
        self._offset = 0  # after the last whole line yielded
        self._closed = threading.Event()

    @property
    def position(self) -> LogPosition | None:
        return LogPosition(self._source, (self._offset,)) if self._source else None

    def __iter__(self) -> Iterator[str]:
        for raw in raw_lines(self._chunks()):
            self._offset += len(raw)
            yield decode_line(raw)

    def _chunks(self) -> Iterator[bytes]:
        try:
            handle = open(self._path, "rb")  # noqa: SIM115 - a missing file is an empty log, not an error
        except FileNotFoundError:
            return
        with handle:
            size = os.fstat(handle.fileno()).st_size
            if self._start is not None and self._start <= size:
                handle.seek(self._start)
                self._offset = self._start
            elif self._tail is not None:
                lines = deque(handle, maxlen=self._tail) if self._tail > 0 else ()
                last = b"".join(lines)
                self._offset = handle.tell() - len(last)
                yield last
            while not self._closed.is_set():
                chunk = handle.read(65536)
                if chunk:
                    yield chunk
                    continue
                if not self._follow:
                    return
                if not self._still_running():
                    yield handle.read()
                    return
                self._closed.wait(FOLLOW_POLL)

    def close(self) -> None:
        self._closed.set()
