"""The main window: server bar on top, the server's tabs, and the live log pane.

It is handed its services (and a way to open them for another data folder), so a test
can give it real services or fakes. It presents and forwards: the server's phase, its
polling and its log come from a :class:`ServerMonitor`; every other core call goes
through ``self.worker`` (one at a time) or ``self.transfers`` (uploads, builds, saving
the log), each on its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from gui.services.atomic import write_lines
from gui.services.core import DeskServices
from gui.services.doctor import diagnose
from gui.services.last_index import remember
from gui.services.server.phase import BUSY, Phase, ServerView
from gui.widgets.client_tab import ClientTab
from gui.widgets.confirm import confirm
from gui.widgets.data_actions import DataActions
from gui.widgets.doctor_tab import DoctorTab
from gui.widgets.engine_banner import EngineBanner
from gui.widgets.getting_started import GettingStarted
from gui.widgets.location_dialog import MOVE, RESTORE, Location, LocationDialog
from gui.widgets.log_pane import LogPane
from gui.widgets.notices import tell
from gui.widgets.packages_tab import PackagesTab
from gui.widgets.server_bar import ServerBar
from gui.widgets.settings_form import SettingsForm
from gui.widgets.usage_tab import UsageTab
from gui.widgets.users_tab import UsersTab
from gui.workers.server_monitor import ServerMonitor
from gui.workers.service_worker import ServiceWorker

ServicesFactory = Callable[..., DeskServices]  # DeskServices.open: (folder, engine=..., volume=...)


class MainWindow(QMainWindow):
    """Presents one server and forwards the user's actions to its core."""

    phase_changed = Signal(object)  # Phase

    def __init__(self, services: DeskServices, make_services: ServicesFactory | None = None) -> None:
        super().__init__()
        self.services = services
        self._make_services = make_services
        self.worker = ServiceWorker(self, name="service-worker")  # Docker and the data folder, one at a time
        self.transfers = ServiceWorker(self, name="transfer-worker")  # uploads, builds, log saves: queued apart
        self.monitor = ServerMonitor(self.worker, services.server, self)
        self._closed = False  # results still queued when the window closed start nothing new
        self.notice_box: QMessageBox | None = None  # the last failure shown in a box
        self.confirm_box: QMessageBox | None = None

        self.server_bar = ServerBar()
        self.engine_banner = EngineBanner()
        self.guide = GettingStarted()
        self.settings_form = SettingsForm()
        self.log_pane = LogPane()
        self.users_tab = UsersTab(self.worker, services)
        self.client_tab = ClientTab(self.worker, services.clients)
        self.packages_tab = PackagesTab(self.worker, self.transfers, services)
        self.doctor_tab = DoctorTab(self.worker, lambda: diagnose(self.services))
        self.usage_tab = UsageTab(self.worker, services)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.settings_form, "Server")
        self.tabs.addTab(self.packages_tab, "Packages")
        self.tabs.addTab(self.usage_tab, "Usage")
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

        self.monitor.view_changed.connect(self._show_view)
        self.monitor.lines_arrived.connect(self.log_pane.append_lines)
        self.monitor.message.connect(self.log_pane.append_message)
        self.monitor.engine_problem.connect(self._show_engine_problem)
        self.monitor.failed.connect(self._show_failure)
        self.settings_form.apply_requested.connect(self.confirm_restart)
        self.server_bar.start_requested.connect(self.start_server)
        self.server_bar.stop_requested.connect(self.stop_server)
        self.settings_form.data_dir_change_requested.connect(self.switch_data_dir)
        self.settings_form.location_requested.connect(self.choose_location)
        self.settings_form.restore_archive_chosen.connect(self.choose_location)
        self.data_actions = DataActions(
            self.settings_form,
            self.worker,
            lambda: self.services,
            self.log_pane.append_message,
            self.switch_data_dir,
            self.go_to,
        )
        self.settings_form.changed.connect(self._settings_edited)
        self.log_pane.save_requested.connect(self._save_log)
        for tab in (self.users_tab, self.client_tab, self.packages_tab, self.usage_tab):
            tab.message.connect(self.log_pane.append_message)
        self.packages_tab.listing_shown.connect(self.usage_tab.set_listing)
        self.usage_tab.project_chosen.connect(self.select_project)
        self.users_tab.model.modelReset.connect(self._users_changed)
        self.users_tab.client_setup_requested.connect(self._set_up_client)
        self.packages_tab.start_server_requested.connect(self.start_server)
        self.engine_banner.retry_requested.connect(self.monitor.refresh)
        self.engine_banner.run_without_docker_requested.connect(self.run_without_docker)
        self.guide.step_requested.connect(self._guide_step)
        self.client_tab.written.connect(self._check_client_setup)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.setAcceptDrops(True)
        self._load()

    # -- state ------------------------------------------------------------------

    def show_tab(self, name: str) -> None:
        """Bring a tab to the front: ``server``, ``packages``, ``usage``, ``users``, ``client`` or ``doctor``."""
        tab = {
            "server": self.settings_form,
            "packages": self.packages_tab,
            "usage": self.usage_tab,
            "users": self.users_tab,
            "client": self.client_tab,
            "doctor": self.doctor_tab,
        }[name]
        self.tabs.setCurrentWidget(tab)

    def select_project(self, name: str) -> None:
        """Show a project in the Packages tab (a chart's bar was clicked)."""
        self.show_tab("packages")
        self.packages_tab.select_project(name)

    @property
    def phase(self) -> Phase:
        return self.monitor.phase

    def _show_view(self, view: ServerView) -> None:
        self.server_bar.show_view(view)
        self.packages_tab.set_server_url(view.url if view.phase is Phase.RUNNING else None)
        busy = view.phase in BUSY or view.phase is Phase.DISCONNECTED
        self.settings_form.set_server_state(view.phase is Phase.RUNNING, busy)
        self.guide.set_done("start", view.phase is Phase.RUNNING)
        self.phase_changed.emit(view.phase)

    def _load(self) -> None:
        server = self.services.server
        self.setWindowTitle(server.data_dir.describe())  # Qt adds " — PyPI Desk" (the display name) itself
        data = server.data_dir
        self.worker.submit(lambda: remember(data))  # a reopened window shows this index again
        self.settings_form.set_data_dir(server.data_dir.describe())
        self.worker.submit(server.load_settings, self.settings_form.set_values, self._settings_unreadable)
        self.users_tab.set_services(self.services)
        self.client_tab.set_clients(self.services.clients)
        self.packages_tab.set_services(self.services)
        self.usage_tab.set_services(self.services)
        self.doctor_tab.clear()
        self.monitor.set_service(server)

    def _settings_edited(self) -> None:
        if self.settings_form.validate() is None:
            settings = self.settings_form.values()
            self.client_tab.set_settings(settings)
            self.packages_tab.set_configured_url(settings.url)
            self._users_changed()
            self._check_client_setup()

    def _check_client_setup(self) -> None:
        """Whether ~/.pypirc already points at this server: the guide's third step."""
        clients, url = self.services.clients, self.settings_form.values().url
        self.worker.submit(
            lambda: clients.is_set_up(url),
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
        if self.tabs.currentWidget() is self.doctor_tab and not self.doctor_tab.model.rows:
            self.doctor_tab.run_checks()

    def _set_up_client(self, username: str, password: str) -> None:
        self.tabs.setCurrentWidget(self.client_tab)
        self.client_tab.prefill(username, password)

    def _settings_unreadable(self, error: Exception) -> None:
        self.log_pane.append_message(f"{error}\nThe form shows the default settings.")

    def _show_engine_problem(self, problem: str) -> None:
        """The banner, unless the user chose to run without Docker."""
        volume = self.services.data_dir.is_volume
        if problem and (volume or self.settings_form.values().runtime != "process"):
            self.engine_banner.show_problem(problem, can_run_without_docker=not volume)
        else:
            self.engine_banner.hide()

    def run_without_docker(self) -> None:
        """Remember the process runtime for this data folder, and stop asking for Docker."""
        self.settings_form.set_runtime("process")
        self.engine_banner.hide()
        self.monitor.forget_runtime()
        server, form = self.services.server, self.settings_form
        loaded, values = form.loaded, form.values()
        form.loaded = values
        self.worker.submit(
            lambda: server.save_changes(loaded, values),  # the form's edits with the runtime; others' kept
            lambda _: self.log_pane.append_message(
                "The server runs as a local process from now on (Server tab, Run in, to change it)."
            ),
            lambda error: self.log_pane.append_message(f"Could not remember the choice: {error}"),
        )
        self.monitor.refresh()

    # -- actions ----------------------------------------------------------------

    def start_server(self) -> None:
        problem = self.settings_form.validate()
        if problem:
            self.monitor.show_problem(problem)
            return
        form = self.settings_form
        values = form.values()
        self.monitor.start(values, form.loaded)
        form.loaded = values

    def confirm_restart(self) -> None:
        """Apply and restart: asks first, since clients get no answer while the server restarts."""
        problem = self.settings_form.validate()
        if problem or not self.settings_form.pending_changes():
            return
        self.confirm_box = confirm(
            self,
            "Restart the server",
            "Restart the server with the new settings? It stops for a few seconds: uploads and installs under "
            "way are cut off, and clients may need setting up again if its address changes.",
            "Apply and restart",
            self._restart,
            QMessageBox.Icon.Question,
        )

    def _restart(self) -> None:
        form = self.settings_form
        values = form.values()
        self.monitor.restart(values, form.loaded)
        form.loaded = values

    def _show_failure(self, title: str, reason: str) -> None:
        """A start or stop the user asked for failed: the bar says so, and a box gives the whole reason."""
        self.notice_box = tell(self, title, reason, QMessageBox.Icon.Warning)

    def stop_server(self) -> None:
        self.monitor.stop()

    def switch_data_dir(self, path: str) -> None:
        """Show the server of another data folder (the current one keeps running if it does).

        The folder is opened on the worker, after the jobs already queued for the current one.
        """
        if self._make_services is None:
            return
        make = self._make_services
        self.worker.submit(lambda: make(path), self._switch_to, lambda error: self.monitor.show_problem(str(error)))

    def choose_location(self, restoring: str = "") -> None:
        """The engines this computer knows (listed on the worker), then the dialog to choose one;
        with ``restoring``, where to restore that backup."""
        from gui.services.engines.choice import engine_options

        self.worker.submit(
            engine_options,
            lambda engines: self._ask_location(engines, restoring),
            lambda error: self.log_pane.append_message(str(error)),
        )

    def _ask_location(self, engines: list, restoring: str) -> None:
        data = self.services.data_dir
        folder = "" if data.is_volume or restoring else str(data.root)
        volume = "" if restoring else data.volume
        dialog = LocationDialog(engines, data.engine, volume, folder, self, restoring=Path(restoring).name)
        dialog.accepted.connect(lambda: self.go_to(dialog.values(), restoring))
        self.location_dialog = dialog
        dialog.open()

    def go_to(self, place: Location, archive: str = "") -> None:
        """Show the server of ``place``, move this index there, or restore ``archive`` into it (``place.action``)."""
        if place.action == MOVE:
            self.data_actions.move_to(place)
            return
        if place.action == RESTORE:
            self.data_actions.restore_into(archive, place)
            return
        if self._make_services is None:
            return
        make = self._make_services
        self.worker.submit(
            lambda: make(place.folder or None, engine=place.engine or None, volume=place.volume or None),
            self._switch_to,
            lambda error: self.monitor.show_problem(str(error)),
        )

    def _switch_to(self, services: DeskServices) -> None:
        if self._closed:
            return
        previous, self.services = self.services, services
        if previous is not services:
            self.worker.submit(previous.close, lambda _none: None, lambda _error: None)  # its SSH tunnels
        self.log_pane.model.clear()
        self._load()

    def _save_log(self, path: str, lines: list[str]) -> None:
        self.transfers.submit(
            lambda: write_lines(Path(path), lines),
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
        self.monitor.close()
        self.packages_tab.shutdown()
        self.worker.shutdown()
        self.transfers.shutdown()
        self.services.close()  # SSH tunnels this window opened; the server keeps running
        super().closeEvent(event)
