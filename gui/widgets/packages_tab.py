"""The Packages tab: what the index hosts (kept current by itself), uploads with a queue, delete; below, the public
projects the cache keeps from upstream (``cache_panel``).

It presents and forwards: an upload batch (build, check, send) and a delete are each one
core call on a worker; the queue shows the batch's events as they come.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from gui.services.clients.pypirc_reader import Credentials
from gui.services.clients.snippets import install_command
from gui.services.core import DeskServices
from gui.services.errors import ServerNotRunningError, WrongCredentialsError
from gui.services.index.settings import ServerSettings
from gui.services.packages.listing import Listing, PackageFile, ProjectGroup, VersionGroup
from gui.services.packages.service import UploadEvent
from gui.widgets.cache_panel import CachePanel
from gui.widgets.confirm import confirm
from gui.widgets.credentials_dialog import CredentialsDialog
from gui.widgets.package_model import ProjectFilterProxy, ProjectTableModel, VersionTreeModel
from gui.widgets.upload_queue import ProgressDelegate, UploadQueueModel
from gui.widgets.yank_dialog import YankDialog
from gui.workers.listing_watcher import ListingWatcher
from gui.workers.service_worker import ServiceWorker


class PackagesTab(QWidget):
    message = Signal(str)
    start_server_requested = Signal()
    #: The listing on screen changed (tests and totals follow it).
    listing_shown = Signal(object)

    def __init__(self, worker: ServiceWorker, transfers: ServiceWorker, services: DeskServices, parent=None):
        super().__init__(parent)
        self._worker = worker
        self._transfers = transfers
        self._services = services
        self._url: str | None = None  # the running server's address, None while it is stopped
        self._configured_url: str | None = None  # where it will answer once started
        self._credentials: Credentials | None = None
        self._watcher: ListingWatcher | None = None
        self.dialog: CredentialsDialog | None = None
        self.confirm_box = None
        self.users: list[str] = []

        self.model = ProjectTableModel(self)
        self.proxy = ProjectFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filter_edit = QLineEdit(placeholderText="Filter projects")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.totals_label = QLabel()
        self.view = QTableView()  # the projects
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 65), (2, 80), (3, 70), (4, 120), (5, 95), (6, 120)):  # fixed: measuring is slow
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, width)
        self.versions = VersionTreeModel(self)
        self.detail = QTreeView()  # the selected project's versions and files
        self.detail.setModel(self.versions)
        self.detail.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.detail.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        detail_header = self.detail.header()
        detail_header.setStretchLastSection(False)
        detail_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 140), (2, 70), (3, 120), (4, 95), (5, 120)):
            detail_header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            detail_header.resizeSection(column, width)
        self.upload_button = QPushButton("Upload…")
        self.upload_button.clicked.connect(self._choose_files)
        self.pip_button = QPushButton("Copy pip command")
        self.pip_button.clicked.connect(lambda: self._copy_install("pip"))
        self.uv_button = QPushButton("Copy uv command")
        self.uv_button.clicked.connect(lambda: self._copy_install("uv"))
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self.confirm_delete)
        self.yank_button = QPushButton("Yank…")
        self.yank_button.clicked.connect(self.yank_or_unyank)
        self.queue = UploadQueueModel(self)
        self.queue_view = QTableView()
        self.queue_view.setModel(self.queue)
        self.queue_view.setItemDelegateForColumn(1, ProgressDelegate(self.queue_view))
        self.queue_view.verticalHeader().hide()
        self.queue_view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.queue_view.setMaximumHeight(130)
        self.queue_view.hide()
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.clicked.connect(self.queue.clear_finished)
        self.clear_button.hide()
        self.down_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.start_button = QPushButton("Start server")
        self.start_button.clicked.connect(self.start_server_requested.emit)
        self.down_label.hide()
        self.start_button.hide()
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        for button in (self.upload_button, self.pip_button, self.uv_button, self.yank_button, self.delete_button):
            top.addWidget(button)
        down = QHBoxLayout()
        down.addWidget(self.down_label, 1)
        down.addWidget(self.start_button)
        lists = QSplitter()
        lists.addWidget(self.view)
        lists.addWidget(self.detail)
        lists.setStretchFactor(0, 1)
        lists.setStretchFactor(1, 1)
        self.cache_panel = CachePanel(worker, transfers, services, self)
        self.cache_panel.message.connect(self.message.emit)
        team = QWidget()
        team_layout = QVBoxLayout(team)
        team_layout.setContentsMargins(0, 0, 0, 0)
        team_layout.addWidget(lists, 1)
        team_layout.addWidget(self.totals_label)
        sections = QSplitter(Qt.Orientation.Vertical)
        sections.addWidget(team)
        sections.addWidget(self.cache_panel)
        sections.setStretchFactor(0, 3)
        sections.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(sections, 1)
        layout.addWidget(
            QLabel(
                "Drop sdists, wheels or a project folder anywhere on the window to upload them.", objectName="noteLabel"
            )
        )
        layout.addWidget(self.queue_view)
        layout.addWidget(self.clear_button)
        layout.addLayout(down)
        layout.addWidget(self.error_label)
        self.view.selectionModel().selectionChanged.connect(self._project_chosen)
        self.detail.selectionModel().selectionChanged.connect(self._selection_changed)
        self._selection_changed()

    # -- listing --------------------------------------------------------------

    def set_services(self, services: DeskServices) -> None:
        self.stop_watching()
        self._services = services
        self._credentials = None
        self.cache_panel.set_services(services)
        self.show_listing(Listing((), ()))
        watcher = ListingWatcher(services.packages, self)
        watcher.listing_changed.connect(self.show_listing)
        self._watcher = watcher
        self._worker.submit(watcher.start, self.show_listing, lambda error: self.error_label.setText(str(error)))

    def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher.deleteLater()
            self._watcher = None

    def show_listing(self, listing: Listing) -> None:
        """Show a new listing, keeping the chosen project (and its open version) in view."""
        project = self.selected_project()
        version = self.selected_item()
        self.model.set_listing(listing)
        row = self.model.row_of(project.name) if project is not None else None
        if row is not None:
            self.view.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())
            self._project_chosen()
            self._reselect_version(version)
        else:
            self.versions.set_project(None)
        self.totals_label.setText(listing.summary())
        self.cache_panel.show_cache(listing.facts, {p.name for p in listing.projects})
        self._selection_changed()
        self.listing_shown.emit(listing)

    def select_project(self, name: str) -> bool:
        """Select a project by its name (the filter is cleared when it hides it); False when it is not hosted."""
        row = self.model.row_of(name)
        if row is None:
            return False
        if not self.proxy.mapFromSource(self.model.index(row, 0)).isValid():
            self.filter_edit.clear()
        shown = self.proxy.mapFromSource(self.model.index(row, 0))
        self.view.selectRow(shown.row())
        self.view.scrollTo(shown)
        return True

    def selected_project(self) -> ProjectGroup | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].data(Qt.ItemDataRole.UserRole) if rows else None

    def _project_chosen(self, *_args: object) -> None:
        self.versions.set_project(self.selected_project(), self.model.listing)
        self.detail.expandAll()
        self._selection_changed()

    def _reselect_version(self, item: VersionGroup | PackageFile | None) -> None:
        wanted = item.version if item is not None else None
        for row in range(self.versions.rowCount()):
            index = self.versions.index(row, 0)
            if index.data(Qt.ItemDataRole.UserRole).version == wanted:
                self.detail.setCurrentIndex(index)
                return

    def selected_item(self) -> VersionGroup | PackageFile | None:
        """The version or file chosen in the detail tree."""
        rows = self.detail.selectionModel().selectedRows()
        return rows[0].data(Qt.ItemDataRole.UserRole) if rows else None

    def _selected_version(self) -> tuple[str, VersionGroup] | None:
        project = self.selected_project()
        if project is None:
            return None
        item = self.selected_item()
        if item is None:
            return project.name, project.versions[0]  # the latest
        if isinstance(item, PackageFile):
            return project.name, next(v for v in project.versions if v.version == item.version)
        return project.name, item

    def _selection_changed(self, *_args: object) -> None:
        chosen = self.selected_project() is not None
        self.pip_button.setEnabled(chosen)
        self.uv_button.setEnabled(chosen)
        self.delete_button.setEnabled(self.selected_item() is not None)
        chosen_version = self._selected_version() if self.selected_item() is not None else None
        self.yank_button.setEnabled(chosen_version is not None)
        yanked = chosen_version is not None and self.versions.yank_reason(chosen_version[1]) is not None
        self.yank_button.setText("Unyank" if yanked else "Yank…")

    def set_server_url(self, url: str | None) -> None:
        self._url = url
        if url is not None:
            self.down_label.hide()
            self.start_button.hide()

    def set_configured_url(self, url: str) -> None:
        """The address in the settings form: what copied commands use while the server is stopped."""
        self._configured_url = url

    def set_users(self, names: list[str]) -> None:
        self.users = names

    def _copy_install(self, tool: str) -> None:
        chosen = self._selected_version()
        if chosen is None:
            return
        name, version = chosen
        base = self._url or self._configured_url or ServerSettings().url
        command = install_command(tool, base, name, str(version.version))
        QGuiApplication.clipboard().setText(command)
        self.message.emit(f"Copied: {command}")

    # -- credentials ------------------------------------------------------------

    def _with_credentials(self, purpose: str, then) -> None:
        """Call ``then(credentials)``: remembered, from ~/.pypirc, or asked for."""
        if self._credentials is not None:
            then(self._credentials)
            return
        packages = self._services.packages

        def found(credentials: Credentials | None) -> None:
            if credentials is not None:
                self._credentials = credentials
                then(credentials)
                return
            self.dialog = CredentialsDialog(self.users, purpose, self)
            self.dialog.accepted.connect(lambda: self._asked(then))
            self.dialog.open()

        self._transfers.submit(packages.saved_credentials, found, self._failed)

    def _asked(self, then) -> None:
        self._credentials = self.dialog.values()
        then(self._credentials)

    def _failed(self, error: Exception) -> None:
        self.error_label.setText(str(error))

    # -- upload -----------------------------------------------------------------

    def _choose_files(self) -> None:
        dialog = QFileDialog(self, "Upload distributions")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter("Distributions (*.whl *.tar.gz *.zip)")
        dialog.filesSelected.connect(lambda paths: self.upload_paths([Path(p) for p in paths]))
        dialog.open()

    def upload_paths(self, paths: list[Path]) -> None:
        """Queue dropped or chosen files (and project folders, built first)."""
        if not paths:
            return
        self.error_label.clear()
        self._with_credentials("Uploading", lambda credentials: self._enqueue(paths, credentials))

    def _enqueue(self, paths: list[Path], credentials: Credentials) -> None:
        self.queue_view.show()
        self.clear_button.show()
        packages = self._services.packages
        self._transfers.submit(
            lambda progress: packages.upload_paths(paths, credentials, progress), None, self._failed, self._upload_step
        )

    def _upload_step(self, event: UploadEvent) -> None:
        self.queue.apply(event)
        if event.state == "done" and event.message == "Uploaded":
            self.message.emit(f"Uploaded {event.name}.")
        if isinstance(event.error, ServerNotRunningError):
            self.down_label.setText(str(event.error))
            self.down_label.show()
            self.start_button.show()
        if isinstance(event.error, WrongCredentialsError):
            self._credentials = None  # ask again next time

    # -- delete -----------------------------------------------------------------

    def confirm_delete(self) -> None:
        chosen = self._selected_version()
        if chosen is None:
            return
        name, version = chosen
        self.confirm_box = confirm(
            self,
            "Delete a version",
            f"Delete {name} {version.version}? These files will be removed from the index:\n\n"
            + "\n".join(f.filename for f in version.files),
            "Delete",
            lambda: self._delete(name, str(version.version)),
        )

    def _delete(self, name: str, version: str) -> None:
        packages = self._services.packages

        def run(credentials: Credentials | None) -> None:
            self._worker.submit(
                lambda: packages.delete_version(name, version, credentials),
                lambda removed: self.message.emit(f"Deleted {', '.join(removed)}."),
                self._failed,
            )

        if self._url is None:
            run(None)  # stopped: straight from the folder
        else:
            self._with_credentials("Deleting", run)

    # -- yank -------------------------------------------------------------------

    def yank_or_unyank(self) -> None:
        """Yank the chosen version (asking why), or unyank it when it is yanked."""
        chosen = self._selected_version()
        if chosen is None:
            return
        name, version = chosen
        if self.versions.yank_reason(version) is not None:
            self._set_yanked(name, str(version.version), None)
            return
        self.yank_dialog = YankDialog(name, str(version.version), self)
        self.yank_dialog.accepted.connect(
            lambda: self._set_yanked(name, str(version.version), self.yank_dialog.values())
        )
        self.yank_dialog.open()

    def _set_yanked(self, name: str, version: str, reason: str | None) -> None:
        packages = self._services.packages
        said = f"Yanked {name} {version}." if reason is not None else f"{name} {version} is installable again."
        self._worker.submit(
            lambda: (packages.set_yanked(name, version, reason), packages.listing())[1],
            lambda listing: (self.show_listing(listing), self.message.emit(said)),
            self._failed,
        )

    def shutdown(self) -> None:
        self.cache_panel.cancel_fetch()  # a set under way ends within a moment, so the window closes
        self.stop_watching()
