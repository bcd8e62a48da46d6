"""The main window: server bar on top, the server's tabs, and the live log pane.

It is handed its services (and a way to make them for another data folder), so a
test can give it real services or fakes. Every service call goes through
``self.worker``; the log arrives through a :class:`LogFeed`, which resumes a broken stream.
A status poll notices what happens outside: a lost engine (the button then waits), a server
stopped or removed by someone else, another window's server to adopt.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from gui import APP_NAME
from gui.services.atomic import write_atomic
from gui.services.desk import DeskServices
from gui.services.doctor import diagnose
from gui.services.errors import EngineUnavailableError
from gui.services.pypirc import sections_for
from gui.services.runtime import PullProgress, ServerStatus
from gui.services.server_service import ServerService
from gui.services.settings import ServerSettings
from gui.widgets.client_tab import ClientTab
from gui.widgets.doctor_tab import DoctorTab
from gui.widgets.engine_banner import EngineBanner
from gui.widgets.getting_started import GettingStarted
from gui.widgets.log_pane import LogPane
from gui.widgets.packages_tab import PackagesTab
from gui.widgets.server_bar import Phase, ServerBar
from gui.widgets.settings_form import SettingsForm
from gui.widgets.users_tab import UsersTab
from gui.workers.log_feed import LogFeed
from gui.workers.service_worker import ServiceWorker

STATUS_POLL_MS = 1_000  # a lost engine or a killed container shows within about a second
ADOPTED_LOG_TAIL = 500

ServicesFactory = Callable[[str], DeskServices]

ENGINE_LOST = (
    "The Docker engine stopped answering; the server may still be running in it. "
    "PyPI Desk finds it again by itself once the engine is back."
)


class MainWindow(QMainWindow):
    """Presents one server and forwards the user's actions to its service."""

    phase_changed = Signal(object)  # Phase

    def __init__(self, services: DeskServices, make_services: ServicesFactory | None = None) -> None:
        super().__init__()
        self.services = services
        self._make_services = make_services
        self.worker = ServiceWorker(self, name="service-worker")  # Docker and the data folder, one at a time
        self.file_worker = ServiceWorker(self, name="file-worker")  # saving the log
        self.upload_worker = ServiceWorker(self, name="upload-worker")  # uploads and builds, queued
        self.log_feed = LogFeed(self)  # the follower thread; resumes where a broken stream stopped
        self._url: str | None = None
        self._runtime = "auto"  # where the server last ran: a lost engine is then an error, not a stop
        self._shown: tuple | None = None
        self._closed = False  # results still queued when the window closed start nothing new

        self.server_bar = ServerBar()
        self.engine_banner = EngineBanner()
        self.guide = GettingStarted()
        self.settings_form = SettingsForm()
        self.log_pane = LogPane()
        self.users_tab = UsersTab(self.worker, services.users)
        self.client_tab = ClientTab(self.worker, services.server.data_dir, services.pypirc)
        self.packages_tab = PackagesTab(self.worker, self.upload_worker, services)
        self.doctor_tab = DoctorTab(self.worker, functools.partial(diagnose, services))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.settings_form, "Server")
        self.tabs.addTab(self.packages_tab, "Packages")
        self.tabs.addTab(self.users_tab, "Users")
        self.tabs.addTab(self.client_tab, "Client setup")
        self.tabs.addTab(self.doctor_tab, "Doctor")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.log_pane)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([420, 280])  # the log gets room of its own from the start
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.server_bar)
        layout.addWidget(self.engine_banner)
        layout.addWidget(self.guide)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.resize(1100, 800)
        self.statusBar().showMessage("Closing this window leaves the server running; PyPI Desk finds it again.")

        self.server_bar.start_requested.connect(self.start_server)
        self.server_bar.stop_requested.connect(self.stop_server)
        self.settings_form.data_dir_change_requested.connect(self.switch_data_dir)
        self.settings_form.changed.connect(self._settings_edited)
        self.log_pane.save_requested.connect(self._save_log)
        self.log_feed.lines_arrived.connect(self.log_pane.append_lines)
        self.log_feed.ended.connect(self._log_ended)
        self.users_tab.message.connect(self.log_pane.append_message)
        self.users_tab.model.modelReset.connect(self._users_changed)
        self.users_tab.client_setup_requested.connect(self._set_up_client)
        self.client_tab.message.connect(self.log_pane.append_message)
        self.packages_tab.message.connect(self.log_pane.append_message)
        self.packages_tab.start_server_requested.connect(self.start_server)
        self.engine_banner.retry_requested.connect(self._refresh_status)
        self.engine_banner.run_without_docker_requested.connect(self.run_without_docker)
        self.guide.step_requested.connect(self._guide_step)
        self.client_tab.written.connect(self._check_client_setup)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.setAcceptDrops(True)
        self.poll_timer = QTimer(self, interval=STATUS_POLL_MS)
        self.poll_timer.timeout.connect(self._poll_status)
        self.poll_timer.start()
        self._load()

    # -- state ------------------------------------------------------------------

    def show_tab(self, name: str) -> None:
        """Bring a tab to the front: ``server``, ``packages``, ``users``, ``client`` or ``doctor``."""
        tab = {
            "server": self.settings_form,
            "packages": self.packages_tab,
            "users": self.users_tab,
            "client": self.client_tab,
            "doctor": self.doctor_tab,
        }[name]
        self.tabs.setCurrentWidget(tab)

    @property
    def service(self) -> ServerService:
        return self.services.server

    @property
    def phase(self) -> Phase:
        return self.server_bar.phase

    def _set_phase(self, phase: Phase, *, message: str = "", fraction: float | None = None) -> None:
        shown = (phase, self._url, message, fraction)
        if shown == self._shown:  # a poll that found nothing new changes nothing on screen
            return
        self._shown = shown
        self.server_bar.show_phase(phase, url=self._url, message=message, fraction=fraction)
        self.packages_tab.set_server_url(self._url if phase is Phase.RUNNING else None)
        self.settings_form.set_editable(phase in (Phase.STOPPED, Phase.ERROR))
        self.guide.set_done("start", phase is Phase.RUNNING)
        self.phase_changed.emit(phase)

    def _load(self) -> None:
        self.setWindowTitle(f"{APP_NAME} — {self.service.data_dir.root}")
        self.settings_form.set_data_dir(str(self.service.data_dir.root))
        self._set_phase(Phase.CHECKING)
        self.worker.submit(self.service.load_settings, self.settings_form.set_values, self._settings_unreadable)
        self.users_tab.set_store(self.services.users)
        self.packages_tab.set_services(self.services)
        self.doctor_tab.set_diagnose(functools.partial(diagnose, self.services))
        self._refresh_status()

    def _refresh_status(self) -> None:
        runtime = self._runtime
        self.worker.submit(lambda: self.service.status(runtime), self._status_arrived, self._status_failed)

    def _settings_edited(self) -> None:
        if self.settings_form.validate() is None:
            settings = self.settings_form.values()
            self.client_tab.set_server(self.service.data_dir, settings)
            self.packages_tab.set_configured_url(settings.url)
            self._users_changed()
            self._check_client_setup()

    def _check_client_setup(self) -> None:
        """Whether ~/.pypirc already points at this server: the guide's third step."""
        pypirc, url = self.services.pypirc, self.settings_form.values().url
        self.worker.submit(
            lambda: bool(sections_for(pypirc, url)),
            lambda done: self.guide.set_done("client", done),
            lambda _error: self.guide.set_done("client", False),
        )

    def _users_changed(self) -> None:
        names = sorted(self.users_tab.model.names())
        self.client_tab.set_users(names)
        self.packages_tab.set_users(names)
        self.guide.set_done("users", bool(names) or self.settings_form.values().auth == "none")

    def _guide_step(self, step: str) -> None:
        if step == "start":
            self.start_server()
        elif step == "users":
            self.show_tab("users")
            self.users_tab.open_add_dialog()
        else:
            self.show_tab("client")

    def _tab_shown(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.doctor_tab and not self.doctor_tab.model.findings:
            self.doctor_tab.run_checks()

    def _set_up_client(self, username: str, password: str) -> None:
        self.tabs.setCurrentWidget(self.client_tab)
        self.client_tab.prefill(username, password)

    def _settings_unreadable(self, error: Exception) -> None:
        self.log_pane.append_message(f"{error}\nThe form shows the default settings.")

    def _show_engine_problem(self, problem: str) -> None:
        """The banner, unless the user chose to run without Docker."""
        if problem and self.settings_form.values().runtime != "process":
            self.engine_banner.show_problem(problem)
        else:
            self.engine_banner.hide()

    def run_without_docker(self) -> None:
        """Remember the process runtime for this data folder, and stop asking for Docker."""
        self.settings_form.set_runtime("process")
        self.engine_banner.hide()
        self._runtime = "auto"
        settings = self.settings_form.values()
        self.worker.submit(
            lambda: self.service.save_settings(settings),
            lambda _: self.log_pane.append_message(
                "The server runs as a local process from now on (Server tab, Run in, to change it)."
            ),
            lambda error: self.log_pane.append_message(f"Could not remember the choice: {error}"),
        )
        self._refresh_status()

    def _status_arrived(self, status: ServerStatus) -> None:
        self._show_engine_problem(status.engine_problem)
        if status.running:
            self._url = status.url
            self._runtime = status.runtime
            self._set_phase(Phase.RUNNING)
            self._follow_log(tail=ADOPTED_LOG_TAIL)
        elif self.phase in (Phase.RUNNING, Phase.DISCONNECTED):
            self._url = None
            self._runtime = "auto"
            gone = f"The server stopped outside PyPI Desk ({status.detail or 'removed'})."
            self._set_phase(Phase.STOPPED, message=gone)
            self.log_pane.append_message(f"{gone} Its last log lines are above.")
        elif self.phase in (Phase.CHECKING, Phase.ERROR, Phase.DISCONNECTED):
            self._url = None
            self._set_phase(Phase.STOPPED)

    def _status_failed(self, error: Exception) -> None:
        if isinstance(error, EngineUnavailableError) and self._runtime == "docker":
            self._show_engine_problem(str(error))
            self._set_phase(Phase.DISCONNECTED, message=ENGINE_LOST)
            return
        self._show_engine_problem(str(error) if isinstance(error, EngineUnavailableError) else "")
        self._set_phase(Phase.ERROR, message=str(error))

    def _poll_status(self) -> None:
        if self.worker.idle and self.phase in (Phase.RUNNING, Phase.STOPPED, Phase.ERROR, Phase.DISCONNECTED):
            self._refresh_status()

    # -- actions ----------------------------------------------------------------

    def start_server(self) -> None:
        if self.phase is Phase.DISCONNECTED:  # the server may still run in the engine that went away
            return
        problem = self.settings_form.validate()
        if problem:
            self._set_phase(Phase.ERROR, message=problem)
            return
        settings = self.settings_form.values()
        self._set_phase(Phase.STARTING)
        for warning in settings.warnings():
            self.log_pane.append_message(f"Warning: {warning}")
        self.worker.submit(
            lambda progress: self._save_and_start(settings, progress),
            self._started,
            self._start_failed,
            self._pull_progress,
        )

    def _save_and_start(self, settings: ServerSettings, progress: Callable[[PullProgress], None]) -> ServerStatus:
        return self.service.start(self.service.save_settings(settings), progress=progress)

    def _pull_progress(self, progress: PullProgress) -> None:
        self._set_phase(Phase.PULLING, fraction=progress.fraction, message=progress.message)

    def _started(self, status: ServerStatus) -> None:
        self.log_feed.forget_position()  # a started server's log is read from its start
        self._url = status.url
        self._runtime = status.runtime
        if status.note:
            self.log_pane.append_message(status.note)
        self._set_phase(Phase.RUNNING)
        self._follow_log(tail=None)

    def _start_failed(self, error: Exception) -> None:
        if isinstance(error, EngineUnavailableError):
            self._show_engine_problem(str(error))
        self._url = None
        self.log_pane.append_message(str(error))
        self._set_phase(Phase.ERROR, message=str(error).split("\n\n", 1)[0])

    def stop_server(self) -> None:
        self._set_phase(Phase.STOPPING)
        self.worker.submit(self.service.stop, self._stopped, self._stop_failed)

    def _stopped(self, _result: object) -> None:
        self._url = None
        self._runtime = "auto"
        self._set_phase(Phase.STOPPED)

    def _stop_failed(self, error: Exception) -> None:
        self.log_pane.append_message(str(error))
        self._set_phase(Phase.ERROR, message=str(error))

    def switch_data_dir(self, path: str) -> None:
        """Show the server of another data folder (the current one keeps running if it does).

        The folder is opened on the worker, after the jobs already queued for the current one.
        """
        if self._make_services is None:
            return
        make = self._make_services
        self.worker.submit(
            lambda: make(path), self._switch_to, lambda error: self._set_phase(Phase.ERROR, message=str(error))
        )

    def _switch_to(self, services: DeskServices) -> None:
        if self._closed:
            return
        self.log_feed.stop()
        self.log_feed.forget_position()
        self.services = services
        self._url = None
        self._runtime = "auto"
        self.log_pane.model.clear()
        self._load()

    # -- log --------------------------------------------------------------------

    def _follow_log(self, tail: int | None) -> None:
        if not self._closed:
            if self.log_feed.resumes and not self.log_feed.following:
                self.log_pane.append_message("Following the log again, from where it broke off.")
            self.log_feed.follow(self.service, tail)

    def _log_ended(self, error: str) -> None:
        if self.phase is Phase.RUNNING:
            reason = f": {error}" if error else ""
            self.log_pane.append_message(f"The log stream broke off{reason}. Checking the server…")
            self._refresh_status()

    def _save_log(self, path: str, lines: list[str]) -> None:
        def write() -> int:
            write_atomic(Path(path), ("\n".join(lines) + "\n").encode("utf-8"), mode=0o644)
            return len(lines)

        self.file_worker.submit(
            write,
            lambda count: self.log_pane.append_message(f"Saved {count:,} lines to {path}."),
            lambda error: self.log_pane.append_message(f"Could not save the log to {path}: {error}"),
        )

    # -- dropped files -------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and all(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Sdists, wheels and project folders dropped anywhere on the window are uploaded."""
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.show_tab("packages")
            self.packages_tab.upload_paths(paths)

    # -- closing ------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop and join the threads; the server itself keeps running."""
        self._closed = True
        self.poll_timer.stop()
        self.log_feed.close()
        self.packages_tab.shutdown()
        self.worker.shutdown()
        self.file_worker.shutdown()
        self.upload_worker.shutdown()
        super().closeEvent(event)
