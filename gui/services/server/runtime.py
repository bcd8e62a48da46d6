"""What every server runtime (Docker container, local process) offers, and its results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from gui.services.index.settings import ServerSettings


@dataclass(frozen=True)
class ServerStatus:
    """The server as it is now. ``state`` is ``running``, ``exited`` or ``absent``.

    ``engine_problem`` says why no Docker engine answered, when one was looked for.
    """

    runtime: str
    state: str
    url: str | None = None
    detail: str = ""
    note: str = ""
    engine_problem: str = ""

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True)
class PullProgress:
    """Progress of an image pull; ``fraction`` is None until sizes are known."""

    fraction: float | None
    message: str


ProgressCallback = Callable[[PullProgress], None]


@dataclass(frozen=True)
class LogPosition:
    """Where the log lines read so far end: given as ``after``, a new follow goes on from there.

    ``source`` names one server's log (a container id, a process); in another source's log the
    position means nothing, and that log is read from its start. ``mark`` is the runtime's own
    place: for Docker the last line's timestamp in ns and how many lines had that very timestamp,
    for the log file the byte offset after the last whole line.
    """

    source: str
    mark: tuple[int, ...]


class LogStream(Protocol):
    """Server log lines, oldest first; ``close()`` ends a follow from another thread.

    ``position`` is where the lines yielded so far end (None when the log has no source yet).
    """

    def __iter__(self) -> Iterator[str]: ...

    def close(self) -> None: ...

    @property
    def position(self) -> LogPosition | None: ...


class Runtime(Protocol):
    name: str

    def start(self, settings: ServerSettings, progress: ProgressCallback | None = None) -> ServerStatus: ...

    def stop(self) -> None: ...

    def status(self) -> ServerStatus: ...

    def logs(self, tail: int | None = None, follow: bool = False, after: LogPosition | None = None) -> LogStream: ...
