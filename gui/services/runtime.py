"""What every server runtime (Docker container, local process) offers, and its results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from gui.services.settings import ServerSettings


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


class LogStream(Protocol):
    """Server log lines, oldest first; ``close()`` ends a follow from another thread."""

    def __iter__(self) -> Iterator[str]: ...

    def close(self) -> None: ...


class Runtime(Protocol):
    name: str

    def start(self, settings: ServerSettings, progress: ProgressCallback | None = None) -> ServerStatus: ...

    def stop(self) -> None: ...

    def status(self) -> ServerStatus: ...

    def logs(self, tail: int | None = None, follow: bool = False) -> LogStream: ...
