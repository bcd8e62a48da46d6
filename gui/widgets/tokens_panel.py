"""The chosen user's API tokens, in the Users tab: name, what each may do, expiry, last use; New token…, Revoke…

It presents and forwards: creating, revoking and reading go through the service worker.
"""

from __future__ import annotations

import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.services.core import DeskServices
from gui.services.server.inside.tokens import READ, Token
from gui.services.users.tokens import NewToken
from gui.widgets.confirm import confirm
from gui.widgets.table_model import AnyIndex, RowTableModel
from gui.widgets.token_dialog import TokenDialog, TokenShownDialog, TokenValues
from gui.workers.service_worker import ServiceWorker


def _day(seconds: float | None, never: str = "never") -> str:
    return datetime.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d") if seconds is not None else never


class TokenTableModel(RowTableModel):
    """Rows are (token, last used or None)."""

    HEADERS = ("Token", "May", "Expires", "Last used")

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        token, used = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return token
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        may = "read" if token.scope == READ else "publish " + (", ".join(token.projects) or "all")
        expires = _day(token.expires) + (" (expired)" if token.expired() else "")
        return (f"{token.name} ({token.id})", may, expires, _day(used, "never used"))[index.column()]


class TokensPanel(QWidget):
    """Tokens of one user; ``message`` says what happened, for the log pane."""

    message = Signal(str)

    def __init__(self, worker: ServiceWorker, services: DeskServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._worker, self._services = worker, services
        self.user: str | None = None
        self.reader = False
        self.dialog: TokenDialog | None = None
        self.shown: TokenShownDialog | None = None
        self.confirm_box = None
        self.model = TokenTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.title = QLabel("API tokens")
        self.new_button = QPushButton("New token…")
        self.new_button.clicked.connect(self.open_new_dialog)
        self.revoke_button = QPushButton("Revoke…")
        self.revoke_button.clicked.connect(self.confirm_revoke)
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.new_button)
        top.addWidget(self.revoke_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.error_label)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.set_user(None, False)

    def set_services(self, services: DeskServices) -> None:
        self._services = services
        self.set_user(None, False)

    def set_user(self, user: str | None, reader: bool) -> None:
        """Show ``user``'s tokens (None: nobody chosen)."""
        self.user, self.reader = user, reader
        self.title.setText(f"API tokens of {user} (for CI: user name __token__)" if user else "API tokens")
        self.new_button.setEnabled(user is not None)
        self.refresh()

    def refresh(self) -> None:
        if self.user is None:
            self.model.set_rows([])
            self._selection_changed()
            return
        services, user = self._services, self.user

        def read() -> list[tuple[Token, float | None]]:
            used = services.packages.facts().token_use
            return [(token, used.get(token.id)) for token in services.users.token_store().tokens(user)]

        self._worker.submit(read, self._show, self._failed)

    def _show(self, rows: list[tuple[Token, float | None]]) -> None:
        self.model.set_rows(rows)
        self._selection_changed()

    def _failed(self, error: Exception) -> None:
        self.error_label.setText(str(error))

    def selected(self) -> Token | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].data(Qt.ItemDataRole.UserRole) if rows else None

    def _selection_changed(self, *_args: object) -> None:
        self.revoke_button.setEnabled(self.selected() is not None)

    def open_new_dialog(self) -> None:
        if self.user is None:
            return
        self.dialog = TokenDialog(self.user, self.reader, self)
        self.dialog.accepted.connect(lambda: self._create(self.dialog.values()))
        self.dialog.open()

    def _create(self, values: TokenValues) -> None:
        services, user = self._services, self.user

        def create() -> tuple[NewToken, list]:
            made = services.users.token_store().create(user, values.name, values.projects, values.read_only,
                                                       values.expires_days)  # fmt: skip
            return made, services.clients.token_snippets(services.server.load_settings(), made.secret)

        self._worker.submit(create, self._created, self._failed)

    def _created(self, result: tuple[NewToken, list]) -> None:
        made, snippets = result
        self.error_label.clear()
        self.message.emit(f"Created token {made.token.name!r} ({made.token.id}) for {made.token.user}.")
        self.shown = TokenShownDialog(made.secret, snippets, self)
        self.shown.open()
        self.refresh()

    def confirm_revoke(self) -> None:
        token = self.selected()
        if token is None:
            return
        self.confirm_box = confirm(
            self, "Revoke token",
            f"Revoke {token.name!r} of {token.user}? Whatever uses it is refused from its next request on.",
            "Revoke", lambda: self._revoke(token.id),
        )  # fmt: skip

    def _revoke(self, token_id: str) -> None:
        services = self._services

        def revoke() -> Token:
            store = services.users.token_store()
            token = store.revoke(token_id)
            services.clients.forget_dead_tokens(store.is_live)  # and out of this computer's keyring, if it was there
            return token

        def done(token: Token) -> None:
            self.message.emit(f"Revoked token {token.name!r} ({token.id}) of {token.user}.")
            self.refresh()

        self._worker.submit(revoke, done, self._failed)
