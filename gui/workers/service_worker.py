"""One thread that runs service calls one at a time, in order, and reports back with signals.

Callbacks given to :meth:`ServiceWorker.submit` run on the UI thread: results
travel there through queued signals, never by sharing state. A failure arrives typed:
a :class:`DeskError` as raised, anything else (a bug) as an :class:`UnexpectedError`
after its traceback was written to the app's log. The thread runs
only while there is work: it ends when the queue is empty and starts again on
the next submit, so an idle worker holds no thread that could outlive it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from gui.services.app_log import report_unexpected
from gui.services.errors import DeskError


@dataclass(eq=False)
class Job:
    """A service call and what to do with its outcome (on the UI thread)."""

    call: Callable[..., Any]
    on_success: Callable[[Any], None] | None = None
    on_error: Callable[[Exception], None] | None = None
    on_progress: Callable[[Any], None] | None = None


class ServiceWorker(QThread):
    """Runs submitted jobs serially on its own thread. ``idle`` says whether none is queued or running."""

    _succeeded = Signal(object, object)  # job, result
    _failed = Signal(object, object)  # job, exception
    _progressed = Signal(object, object)  # job, payload
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, name: str = "service-worker") -> None:
        super().__init__(parent)
        self.setObjectName(name)  # names the thread in Qt's messages
        self._jobs: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()  # guards the decision to end the thread against a new submit
        self._draining = False  # the thread is (about to be) running and will take queued jobs
        self._closed = False
        self._pending = 0
        self._succeeded.connect(self._deliver_success)
        self._failed.connect(self._deliver_error)
        self._progressed.connect(self._deliver_progress)

    @property
    def idle(self) -> bool:
        return self._pending == 0

    def submit(
        self,
        call: Callable[..., Any],
        on_success: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
    ) -> None:
        """Queue ``call``; with ``on_progress`` it is called as ``call(progress=report)``.

        After :meth:`shutdown` nothing is queued any more: the window is closing.
        """
        if self._closed:
            return
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        with self._lock:
            self._jobs.put(Job(call, on_success, on_error, on_progress))
            if not self._draining:
                self._draining = True
                self.wait()  # a thread that has just decided to end is let finish first
                self.start()

    def run(self) -> None:
        while True:
            with self._lock:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    self._draining = False
                    return
            try:
                if job.on_progress is not None:
                    result = job.call(progress=lambda payload, job=job: self._progressed.emit(job, payload))
                else:
                    result = job.call()
            except DeskError as exc:  # a failure the user can act on: its message says how
                self._failed.emit(job, exc)
            except Exception as exc:  # a bug: the traceback goes to the log file, the UI gets a plain message
                self._failed.emit(job, report_unexpected(exc, f"a job of the {self.objectName()}"))
            else:
                self._succeeded.emit(job, result)

    def shutdown(self, timeout_ms: int = 20_000) -> None:
        """Let the running job finish, drop the queued ones, refuse new ones, and join the thread."""
        self._closed = True
        with self._lock:
            while True:
                try:
                    self._jobs.get_nowait()
                except queue.Empty:
                    break
                self._pending -= 1
        self.wait(timeout_ms)

    def _finish(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.busy_changed.emit(False)

    # The callback runs before the job counts as finished: jobs it submits keep the worker busy
    # without a gap, so "idle" means nothing more is coming from that chain.
    def _deliver_success(self, job: Job, result: object) -> None:
        try:
            if job.on_success is not None:
                job.on_success(result)
        finally:
            self._finish()

    def _deliver_error(self, job: Job, error: Exception) -> None:
        try:
            if job.on_error is not None:
                job.on_error(error)
        finally:
            self._finish()

    def _deliver_progress(self, job: Job, payload: object) -> None:
        if job.on_progress is not None:
            job.on_progress(payload)
