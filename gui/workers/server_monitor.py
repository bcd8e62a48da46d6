"""Drives the server's phase: start, stop, a status poll, adopting a running server, and its log feed.

The rules are :mod:`gui.services.server.phase`; this object runs the core calls on the
service worker, polls the status every second (a lost engine, a server stopped or
removed by someone else, another window's server to adopt), follows the log through a
:class:`LogFeed`, and reports everything as signals the window only draws.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from gui.services.errors import EngineUnavailableError
from gui.services.index.settings import ServerSettings
from gui.services.server.phase import (
    POLLED,
    Phase,
    ServerView,
    after_start_error,
    after_status,
    after_status_error,
)
from gui.services.server.runtime import PullProgress, ServerStatus
from gui.services.server.service import ServerService
from gui.workers.log_feed import LogFeed
from gui.workers.service_worker import ServiceWorker

STATUS_POLL_MS = 1_000  # a lost engine or a killed container shows within about a second
ADOPTED_LOG_TAIL = 500


class ServerMonitor(QObject):
    """The server of one data folder as a stream of :class:`ServerView` changes."""

    view_changed = Signal(object)  # ServerView, only when it differs from the last one
    lines_arrived = Signal(list)  # server log lines
    message = Signal(str)  # the app's own notes for the log pane
    engine_problem = Signal(str)  # why no engine answers; "" once one does
    failed = Signal(str, str)  # (what failed, why): a start, restart or stop the user asked for

    def __init__(self, worker: ServiceWorker, service: ServerService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._service = service
        self._view = ServerView(Phase.CHECKING)
        self._runtime = "auto"  # where the server last ran: a lost engine is then a wait, not a stop
        self._closed = False
        # A failure the user caused by a click stays on the bar until the next click (or the server runs):
        # the status poll, which finds the server stopped, must not turn it back into a quiet "Stopped".
        self._holding_error = False
        self.log_feed = LogFeed(self)
        self.log_feed.lines_arrived.connect(self.lines_arrived)
        self.log_feed.ended.connect(self._log_ended)
        self.poll_timer = QTimer(self, interval=STATUS_POLL_MS)
        self.poll_timer.timeout.connect(self._poll)
        self.poll_timer.start()

    @property
    def view(self) -> ServerView:
        return self._view

    @property
    def phase(self) -> Phase:
        return self._view.phase

    def _show(self, view: ServerView) -> None:
        if view != self._view:  # a poll that found nothing new changes nothing on screen
            self._view = view
            self.view_changed.emit(view)

    def show_problem(self, message: str) -> None:
        """A problem found before anything was asked of the server (a bad setting)."""
        self._holding_error = True
        self._show(ServerView(Phase.ERROR, message=message))

    # -- which server -------------------------------------------------------------

    def set_service(self, service: ServerService) -> None:
        """Watch another data folder's server (the current one keeps running if it does)."""
        self.log_feed.stop()
        self.log_feed.forget_position()
        self._service = service
        self._runtime = "auto"
        self._holding_error = False
        self._view = ServerView(Phase.CHECKING)
        self.view_changed.emit(self._view)
        self.refresh()

    def forget_runtime(self) -> None:
        """The runtime choice changed: where the server last ran no longer says where to look."""
        self._runtime = "auto"

    # -- status -----------------------------------------------------------------------

    def refresh(self) -> None:
        service, runtime = self._service, self._runtime
        self._worker.submit(lambda: service.status(runtime), self._status_arrived, self._status_failed)

    def _poll(self) -> None:
        if self._worker.idle and self.phase in POLLED:
            self.refresh()

    def _status_arrived(self, status: ServerStatus) -> None:
        self.engine_problem.emit(status.engine_problem)
        if self._holding_error and self.phase is Phase.ERROR and not status.running:
            return  # still stopped, as the error on the bar says
        self._holding_error = False
        view = after_status(self.phase, status)
        if view is None:
            return
        if view.phase is Phase.RUNNING:
            self._runtime = status.runtime
        elif self.phase in (Phase.RUNNING, Phase.DISCONNECTED):
            self._runtime = "auto"
            self.message.emit(f"{view.message} Its last log lines are above.")
        self._show(view)
        if view.phase is Phase.RUNNING:
            if status.note:  # how it is reached (an SSH tunnel), for a server found running
                self.message.emit(status.note)
            self._follow_log(tail=ADOPTED_LOG_TAIL)

    def _status_failed(self, error: Exception) -> None:
        self.engine_problem.emit(str(error) if isinstance(error, EngineUnavailableError) else "")
        view = after_status_error(error, self._runtime)
        if view.phase is Phase.ERROR and view != self._view:  # said once in the log too, not at every poll
            self.message.emit(str(error))
        self._show(view)

    # -- start and stop -----------------------------------------------------------------

    def start(self, settings: ServerSettings, loaded: ServerSettings | None = None) -> None:
        """Save ``settings`` and start with them (the core's one call), showing the pull's progress."""
        if self.phase is Phase.DISCONNECTED:  # the server may still run in the engine that went away
            return
        self._holding_error = False
        self._show(ServerView(Phase.STARTING))
        for warning in settings.warnings():
            self.message.emit(f"Warning: {warning}")
        service = self._service
        start: Callable = lambda progress: service.save_and_start(settings, progress=progress, loaded=loaded)  # noqa: E731
        self._worker.submit(start, self._started, self._start_failed, self._pull_progress)

    def _pull_progress(self, progress: PullProgress) -> None:
        self._show(ServerView(Phase.PULLING, message=progress.message, fraction=progress.fraction))

    def _started(self, status: ServerStatus) -> None:
        self.log_feed.forget_position()  # a started server's log is read from its start
        self._runtime = status.runtime
        if status.note:
            self.message.emit(status.note)
        self._show(ServerView(Phase.RUNNING, status.url))
        self._follow_log(tail=None)

    def restart(self, settings: ServerSettings, loaded: ServerSettings | None = None) -> None:
        """Stop the running server and start it again with ``settings`` (saved first: a refused value stops nothing)."""
        if self.phase is not Phase.RUNNING:
            self.start(settings, loaded)
            return
        self._holding_error = False
        self._show(ServerView(Phase.STOPPING, message="Restarting with the new settings…"))
        for warning in settings.warnings():
            self.message.emit(f"Warning: {warning}")
        self.log_feed.stop()  # the old server's log ends here; the new one's is read from its start
        service = self._service

        def restart(progress: Callable) -> ServerStatus:
            saved = service.save_settings(settings) if loaded is None else service.save_changes(loaded, settings)
            service.stop()
            return service.start(saved, progress=progress)

        self._worker.submit(restart, self._started, self._start_failed, self._pull_progress)

    def _start_failed(self, error: Exception) -> None:
        if isinstance(error, EngineUnavailableError):
            self.engine_problem.emit(str(error))
        self.message.emit(str(error))
        self._holding_error = True
        self._show(after_start_error(error))
        self.failed.emit("The server did not start", str(error))

    def stop(self) -> None:
        self._holding_error = False
        self._show(ServerView(Phase.STOPPING))
        self._worker.submit(self._service.stop, self._stopped, self._stop_failed)

    def _stopped(self, _result: object) -> None:
        self._runtime = "auto"
        self._show(ServerView(Phase.STOPPED))

    def _stop_failed(self, error: Exception) -> None:
        self.message.emit(str(error))
        self._holding_error = True
        self._show(ServerView(Phase.ERROR, message=str(error)))
        self.failed.emit("The server did not stop", str(error))

    # -- log ------------------------------------------------------------------------

    def _follow_log(self, tail: int | None) -> None:
        if not self._closed:
            if self.log_feed.resumes and not self.log_feed.following:
                self.message.emit("Following the log again, from where it broke off.")
            self.log_feed.follow(self._service, tail)

    def _log_ended(self, error: str) -> None:
        """The stream broke: say so, whether or not the status poll noticed the engine's loss first."""
        if self.phase in (Phase.RUNNING, Phase.DISCONNECTED):
            reason = f": {error}" if error else ""
            self.message.emit(f"The log stream broke off{reason}. Checking the server…")
        if self.phase is Phase.RUNNING:
            self.refresh()

    def close(self) -> None:
        """Stop polling and following for good; the server itself keeps running."""
        self._closed = True
        self.poll_timer.stop()
        self.log_feed.close()
