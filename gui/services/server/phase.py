"""The server as the window shows it (its phase), and how each status or outcome moves it on.

Pure rules, no threads and no Qt: :class:`gui.workers.server_monitor.ServerMonitor` feeds
them what the core reports and the window draws the :class:`ServerView` they return.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gui.services.errors import EngineUnavailableError
from gui.services.server.runtime import ServerStatus


class Phase(enum.Enum):
    CHECKING = "Checking…"
    STOPPED = "Stopped"
    PULLING = "Pulling image"
    STARTING = "Starting…"
    RUNNING = "Running"
    STOPPING = "Stopping…"
    ERROR = "Error"
    DISCONNECTED = "Docker engine not answering"  # the server ran in Docker; waiting for the engine


#: Phases in which a request is under way: the button waits.
BUSY = frozenset({Phase.CHECKING, Phase.PULLING, Phase.STARTING, Phase.STOPPING})
#: Phases in which the status is polled, to notice what happens outside the app.
POLLED = frozenset({Phase.RUNNING, Phase.STOPPED, Phase.ERROR, Phase.DISCONNECTED})

ENGINE_LOST = (
    "The Docker engine stopped answering; the server may still be running in it. "
    "PyPI Desk finds it again by itself once the engine is back."
)


@dataclass(frozen=True)
class ServerView:
    """What the window shows of the server: the phase, its address while running, a message."""

    phase: Phase
    url: str | None = None
    message: str = ""
    fraction: float | None = None  # of an image pull


def after_status(current: Phase, status: ServerStatus) -> ServerView | None:
    """The view a status leads to from ``current``; None when it changes nothing."""
    if status.running:
        return ServerView(Phase.RUNNING, status.url)
    if current in (Phase.RUNNING, Phase.DISCONNECTED):
        return ServerView(
            Phase.STOPPED, message=f"The server stopped outside PyPI Desk ({status.detail or 'removed'})."
        )
    if current in (Phase.CHECKING, Phase.ERROR):
        return ServerView(Phase.STOPPED)
    return None


def after_status_error(error: Exception, last_runtime: str) -> ServerView:
    """A status that could not be had: a lost engine under a Docker server waits for it, the rest is an error."""
    if isinstance(error, EngineUnavailableError) and last_runtime == "docker":
        return ServerView(Phase.DISCONNECTED, message=ENGINE_LOST)
    return ServerView(Phase.ERROR, message=str(error))


def after_start_error(error: Exception) -> ServerView:
    """The first paragraph of the reason goes on the bar; the log pane gets all of it."""
    return ServerView(Phase.ERROR, message=str(error).split("\n\n", 1)[0])
