"""The Client setup tab: this machine's ~/.pypirc (previewed as a diff, then written) and pip/uv lines."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from gui.services.clients.pypirc import PypircChange
from gui.services.clients.service import ClientService
from gui.services.server.settings import ServerSettings
from gui.workers.service_worker import ServiceWorker


def _code_view(text: str) -> QPlainTextEdit:
    """Monospace and selectable, lines never wrapped (a URL copied by eye must not break): a long
    line scrolls sideways inside its own box, while the notes around it wrap to the column."""
    view = QPlainTextEdit(text.rstrip("\n"), readOnly=True, objectName="codeView")
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    lines = text.rstrip("\n").count("\n") + 1
    margins = 2 * (view.frameWidth() + round(view.document().documentMargin()))
    scrollbar = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    view.setFixedHeight(lines * view.fontMetrics().lineSpacing() + margins + scrollbar)
    return view


class ClientTab(QWidget):
    """Forwards the preview and the write to ``worker``; shows their outcome."""

    message = Signal(str)
    written = Signal()  # ~/.pypirc was written

    def __init__(self, worker: ServiceWorker, clients: ClientService, parent: QWidget | None = None):
        super().__init__(parent)
        self._worker = worker
        self._clients = clients
        self._settings = ServerSettings()
        self.change: PypircChange | None = None

        self.section_edit = QLineEdit("local")
        self.user_combo = QComboBox(editable=True)
        self.password_edit = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.show_box = QCheckBox("Show")
        self.show_box.toggled.connect(
            lambda shown: self.password_edit.setEchoMode(
                QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
            )
        )
        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.request_preview)
        self.write_button = QPushButton("Write ~/.pypirc")
        self.write_button.setEnabled(False)
        self.write_button.clicked.connect(self.request_write)
        self.preview_view = QPlainTextEdit(readOnly=True, placeholderText="The change to ~/.pypirc shows here.")
        self.preview_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.status_label = QLabel(wordWrap=True)
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")

        password_row = QHBoxLayout()
        password_row.addWidget(self.password_edit, 1)
        password_row.addWidget(self.show_box)
        form = QFormLayout()
        form.addRow("Index name:", self.section_edit)
        form.addRow("User:", self.user_combo)
        form.addRow("Password:", password_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.write_button)
        buttons.addStretch(1)
        pypirc_box = QGroupBox("twine: ~/.pypirc")
        pypirc_layout = QVBoxLayout(pypirc_box)
        pypirc_layout.addWidget(
            QLabel(
                "Adds one section for this server and keeps everything else in the file as it is. "
                "A backup is kept next to it; the file stays private (0600).",
                wordWrap=True,
                objectName="noteLabel",
            )
        )
        pypirc_layout.addLayout(form)
        pypirc_layout.addLayout(buttons)
        pypirc_layout.addWidget(self.preview_view, 1)
        pypirc_layout.addWidget(self.status_label)
        pypirc_layout.addWidget(self.error_label)

        self.snippets = QWidget()
        self.snippets_layout = QVBoxLayout(self.snippets)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # notes wrap; code boxes scroll
        scroll.setWidget(self.snippets)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(pypirc_box, 1)
        layout.addWidget(scroll, 1)

        for edit in (self.section_edit, self.password_edit):
            edit.textChanged.connect(self._inputs_changed)
        self.user_combo.currentTextChanged.connect(self._inputs_changed)
        self._show_snippets()

    # -- context ----------------------------------------------------------------

    def set_clients(self, clients: ClientService) -> None:
        """Another data folder's server."""
        self._clients = clients
        self._inputs_changed()

    def set_settings(self, settings: ServerSettings) -> None:
        self._settings = settings
        self._inputs_changed()
        self._show_snippets()

    def set_users(self, names: list[str]) -> None:
        current = self.user_combo.currentText()
        self.user_combo.blockSignals(True)
        self.user_combo.clear()
        self.user_combo.addItems(sorted(names))
        self.user_combo.setEditText(current or (sorted(names)[0] if names else ""))
        self.user_combo.blockSignals(False)
        self._show_snippets()

    def prefill(self, username: str, password: str) -> None:
        """After Add user: the new user's credentials, previewed at once; one click writes them."""
        self.user_combo.setEditText(username)
        self.password_edit.setText(password)
        self.request_preview()

    # -- preview and write --------------------------------------------------------

    def request_preview(self) -> None:
        clients, settings = self._clients, self._settings
        name, username, password = (
            self.section_edit.text().strip(),
            self.user_combo.currentText(),
            (self.password_edit.text()),
        )
        self.error_label.clear()
        self._worker.submit(
            lambda: clients.plan(settings, username, password, name),
            self._show_preview,
            self._failed,
        )

    def _show_preview(self, change: PypircChange) -> None:
        self.change = change
        if change.changed:
            self.preview_view.setPlainText(change.preview())
            self.status_label.setText("Check the change, then click Write.")
        else:
            self.preview_view.setPlainText("")
            self.status_label.setText(f"{change.path} is already set up for this server.")
        self.write_button.setEnabled(change.changed)

    def request_write(self) -> None:
        change = self.change
        if change is None:
            return
        self.write_button.setEnabled(False)
        clients = self._clients
        self._worker.submit(lambda: clients.apply(change), lambda backup: self._written(change, backup), self._failed)

    def _written(self, change: PypircChange, backup: Path | None) -> None:
        self.change = None
        kept = f" The previous file is {backup}." if backup else ""
        name = self.section_edit.text().strip()
        self.status_label.setText(f"Wrote {change.path}.{kept} Upload with: twine upload -r {name} dist/*")
        self.message.emit(f"Wrote {change.path} for [{name}].")
        self.written.emit()

    def _failed(self, error: Exception) -> None:
        self.error_label.setText(str(error))
        self.write_button.setEnabled(False)

    def _inputs_changed(self, *_args: object) -> None:
        """A preview shows one exact change: after any edit, it must be made again."""
        self.change = None
        self.write_button.setEnabled(False)
        self.preview_view.setPlainText("")
        self.status_label.clear()

    # -- pip and uv -----------------------------------------------------------------

    def _show_snippets(self) -> None:
        while self.snippets_layout.count():
            item = self.snippets_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        username = self.user_combo.currentText() or "USER"
        name = self.section_edit.text().strip() or "local"
        for snippet in ClientService.snippets(self._settings.url, name, username):
            box = QGroupBox(snippet.title)
            box_layout = QVBoxLayout(box)
            code = _code_view(snippet.text)
            copy = QPushButton("Copy")
            copy.clicked.connect(lambda _=False, text=snippet.text: QGuiApplication.clipboard().setText(text))
            row = QHBoxLayout()
            row.addWidget(code, 1)
            row.addWidget(copy, 0, Qt.AlignmentFlag.AlignTop)
            box_layout.addLayout(row)
            if snippet.note:
                style = "warningLabel" if snippet.warning else "noteLabel"
                box_layout.addWidget(QLabel(snippet.note, wordWrap=True, objectName=style))
            self.snippets_layout.addWidget(box)
        self.snippets_layout.addStretch(1)
