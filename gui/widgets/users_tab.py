"""The Users tab: who may read and who may publish, with Add user…, the role, Change password…, Remove.

The tab presents the users and forwards each change to the service worker; it never
touches the password file itself. It follows the password folder (a ``pypi-desk user add`` in a
terminal shows at once) and, for a volume, reads the users again whenever it is shown.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QFileSystemWatcher, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.services.core import DeskServices
from gui.services.index.datadir import DataDir
from gui.services.users.password_file import LineProblem
from gui.services.users.rules import PUBLISH, READ
from gui.services.users.store import User
from gui.widgets.confirm import confirm
from gui.widgets.table_model import AnyIndex, RowTableModel
from gui.widgets.tokens_panel import TokensPanel
from gui.widgets.user_dialog import UserDialog, UserValues
from gui.workers.service_worker import ServiceWorker

ROLE_LABELS = {PUBLISH: "Publisher (upload, delete)", READ: "Reader (list, download)"}


class UserTableModel(RowTableModel):
    HEADERS = ("User", "Role", "Password hash")

    def names(self) -> set[str]:
        return {user.name for user in self.rows}

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.UserRole):
            return None
        user = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return user.name
        return (user.name, ROLE_LABELS.get(user.role, user.role), user.scheme)[index.column()]

    def role_of(self, name: str) -> str | None:
        return next((user.role for user in self.rows if user.name == name), None)


class UsersTab(QWidget):
    """Lists the users of the current data folder; changes go through ``worker``."""

    #: A user was added with "set up this computer" ticked: (name, password).
    client_setup_requested = Signal(str, str)
    #: Something the log pane should say.
    message = Signal(str)

    def __init__(self, worker: ServiceWorker, services: DeskServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._services = services
        self._store = services.users
        self.dialog: UserDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.watcher = QFileSystemWatcher(self)  # the password folder: changes made outside this window
        self._reread = QTimer(self, singleShot=True, interval=200)  # one read for a burst of file events
        self._reread.timeout.connect(self.refresh)
        self.watcher.directoryChanged.connect(lambda _path: self._reread.start())
        self.watcher.fileChanged.connect(lambda _path: self._reread.start())
        self.model = UserTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton("Add user…")
        self.add_button.clicked.connect(self.open_add_dialog)
        self.change_button = QPushButton("Change password…")
        self.change_button.clicked.connect(self.open_change_dialog)
        self.role_button = QPushButton("Make reader")
        self.role_button.clicked.connect(self._toggle_role)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.confirm_remove)
        self.repair_button = QPushButton("Remove broken lines")
        self.repair_button.clicked.connect(self._repair)
        self.repair_button.hide()
        self.problems_label = QLabel(wordWrap=True, objectName="warningLabel")
        self.problems_label.hide()
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.hint_label = QLabel(
            "Publishers may upload and delete packages; readers may list and download them (give those to CI "
            "and colleagues). Changes take effect at once; the server needs no restart.",
            wordWrap=True,
            objectName="noteLabel",
        )
        self.tokens_panel = TokensPanel(worker, services, self)
        self.tokens_panel.message.connect(self.message)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.change_button, self.role_button, self.remove_button, self.repair_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.tokens_panel, 1)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.hint_label)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self._selection_changed()

    # -- loading --------------------------------------------------------------

    def set_services(self, services: DeskServices) -> None:
        """Another data folder's server."""
        self._services = services
        self._store = services.users
        self.tokens_panel.set_services(services)
        self.refresh()

    def _watch(self, wanted: list[str]) -> None:
        watched = self.watcher.directories()
        if watched != wanted:
            if watched:
                self.watcher.removePaths(watched)
            if wanted:
                self.watcher.addPaths(wanted)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._services.data_dir.is_volume or not self.watcher.directories():
            self.refresh()  # nothing tells this tab about changes: look again when it is shown

    def refresh(self) -> None:
        store, data = self._store, self._services.data_dir
        read = lambda: (store.users(), store.problems(), _folders_to_watch(data))  # noqa: E731
        self._worker.submit(read, self._show, self._failed)

    def _show(self, result: tuple[list[User], list[LineProblem], list[str]]) -> None:
        users, problems, folders = result
        self._watch(folders)  # the password folder may have been made since
        self.model.set_rows(users)
        self.problems_label.setText("\n".join(map(str, problems)))
        self.problems_label.setVisible(bool(problems))
        self.repair_button.setVisible(any(problem.blocks_edits for problem in problems))
        self._selection_changed()

    def _failed(self, error: Exception) -> None:
        self.error_label.setText(str(error))

    def selected_name(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].data(Qt.ItemDataRole.UserRole) if rows else None

    def _selection_changed(self, *_args: object) -> None:
        name = self.selected_name()
        chosen = name is not None
        self.change_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)
        self.role_button.setEnabled(chosen)
        is_reader = chosen and self.model.role_of(name) == READ
        self.role_button.setText("Make publisher" if is_reader else "Make reader")
        if name != self.tokens_panel.user or is_reader != self.tokens_panel.reader:
            self.tokens_panel.set_user(name, is_reader)

    # -- actions ----------------------------------------------------------------

    def open_add_dialog(self) -> None:
        self.dialog = UserDialog(self.model.names(), parent=self)
        self.dialog.accepted.connect(lambda: self._add(self.dialog.values()))
        self.dialog.open()

    def _add(self, values: UserValues) -> None:
        store = self._store
        self._run_change(lambda name, password, scheme: store.add(name, password, scheme, values.role), values, "Added")

    def _toggle_role(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        role = PUBLISH if self.model.role_of(name) == READ else READ
        store = self._store

        def done(user: User) -> None:
            self.error_label.clear()
            self.message.emit(f"{user.name} is now a {'reader' if user.role == READ else 'publisher'}.")
            self.refresh()

        self._worker.submit(lambda: store.set_role(name, role), done, self._failed)

    def open_change_dialog(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        self.dialog = UserDialog(self.model.names(), fixed_name=name, parent=self)
        self.dialog.accepted.connect(
            lambda: self._run_change(self._store.change_password, self.dialog.values(), "Changed the password of")
        )
        self.dialog.open()

    def _run_change(self, call: Callable[[str, str, str], User], values: UserValues, verb: str) -> None:
        def done(user: User) -> None:
            self.error_label.clear()
            self.message.emit(f"{verb} {user.name} ({user.scheme}).")
            if values.set_up_client:
                self.client_setup_requested.emit(values.name, values.password)
            self.refresh()

        self._worker.submit(lambda: call(values.name, values.password, values.scheme), done, self._failed)

    def confirm_remove(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        self.confirm_box = confirm(
            self,
            "Remove user",
            f"Remove {name}? {name} will no longer be able to upload or delete packages.",
            "Remove",
            lambda: self._remove(name),
            QMessageBox.Icon.Question,
        )

    def _remove(self, name: str) -> None:
        services = self._services

        def done(forgotten: int) -> None:
            also = f" Removed {forgotten} entries of its password from the keyring." if forgotten else ""
            self.message.emit(f"Removed {name}.{also}")
            self.refresh()

        self._worker.submit(lambda: services.remove_user(name), done, self._failed)

    def _repair(self) -> None:
        store = self._store

        def done(removed: int) -> None:
            self.message.emit(f"Removed {removed} broken line(s) from the password file.")
            self.refresh()

        self._worker.submit(store.repair, done, self._failed)


def _folders_to_watch(data: DataDir) -> list[str]:
    """The folder that holds the password file (replaced, not written in place, so its folder is what changes),
    or the data folder until that exists; none for a volume (it is on the engine, not on this disk)."""
    if data.is_volume:
        return []
    folder = data.auth_dir if data.auth_dir.is_dir() else data.root
    return [str(folder)] if folder.is_dir() else []
