"""The Client setup tab: twine, pip and uv on this machine (previewed, then written), the password in the
system keyring or, when the user chooses so, in ~/.pypirc; and the pip/uv lines to copy."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from gui.services.clients.service import ClientService
from gui.services.clients.setup import ClientSetup, SetupResult, Storage
from gui.services.clients.system_keyring import KeyringState
from gui.services.index.settings import ServerSettings
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


PREVIEW_LINES = 14


class ClientTab(QWidget):
    """Forwards the preview and the write to ``worker``; shows their outcome."""

    message = Signal(str)
    written = Signal()  # the setup was written
    keyring_checked = Signal(object)  # KeyringState, after each check
    preview_shown = Signal()

    def __init__(self, worker: ServiceWorker, clients: ClientService, parent: QWidget | None = None):
        super().__init__(parent)
        self._worker = worker
        self._clients = clients
        self._settings = ServerSettings()
        self.change: ClientSetup | None = None
        self.keyring_state: KeyringState | None = None
        self._repreview = QTimer(self, singleShot=True, interval=0)
        self._repreview.timeout.connect(self.request_preview)
        self._awaiting_choice = False

        self.section_edit = QLineEdit("local")
        self.user_combo = QComboBox(editable=True)
        self.password_edit = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.show_box = QCheckBox("Show")
        self.show_box.toggled.connect(
            lambda shown: self.password_edit.setEchoMode(
                QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
            )
        )
        self.keyring_radio = QRadioButton("System keyring")
        self.file_radio = QRadioButton("~/.pypirc (0600)")
        self.storage_group = QButtonGroup(self)
        for radio in (self.keyring_radio, self.file_radio):
            self.storage_group.addButton(radio)
        self.keyring_label = QLabel(wordWrap=True, objectName="warningLabel")
        self.keyring_label.hide()
        self.check_keyring_button = QPushButton("Check again")
        self.check_keyring_button.clicked.connect(self.check_keyring)
        self.check_keyring_button.hide()
        self.pip_box = QCheckBox("pip: make this index pip's default (pip.conf)")
        self.uv_box = QCheckBox("uv: make this index uv's default (uv.toml)")
        self.move_button = QPushButton("Move the password into the keyring")
        self.move_button.clicked.connect(self.request_move)
        self.move_button.hide()
        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.request_preview)
        self.write_button = QPushButton("Write")
        self.write_button.setEnabled(False)
        self.write_button.clicked.connect(self.request_write)
        self.preview_view = QPlainTextEdit(readOnly=True, placeholderText="The changes show here.")
        self.preview_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        # A diff of .pypirc alone is about a dozen lines: room for them, whatever else the column holds.
        self.preview_view.setMinimumHeight(PREVIEW_LINES * self.preview_view.fontMetrics().lineSpacing())
        self.status_label = QLabel(wordWrap=True)
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")

        password_row = QHBoxLayout()
        password_row.addWidget(self.password_edit, 1)
        password_row.addWidget(self.show_box)
        form = QFormLayout()
        form.addRow("Index name:", self.section_edit)
        form.addRow("User:", self.user_combo)
        form.addRow("Password:", password_row)
        storage_row = QHBoxLayout()
        storage_row.addWidget(self.keyring_radio)
        storage_row.addWidget(self.file_radio)
        storage_row.addStretch(1)
        form.addRow("Keep it in:", storage_row)
        keyring_row = QHBoxLayout()
        keyring_row.addWidget(self.keyring_label, 1)
        keyring_row.addWidget(self.check_keyring_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.write_button)
        buttons.addStretch(1)
        buttons.addWidget(self.move_button)
        pypirc_box = QGroupBox("twine, pip and uv on this computer")
        pypirc_layout = QVBoxLayout(pypirc_box)
        pypirc_layout.addWidget(
            QLabel(
                "Adds one section for this server to ~/.pypirc (and, if ticked, to pip's and uv's files) and "
                "keeps everything else in them as it is; a backup is kept next to each. With the keyring, "
                "no file holds the password: twine, pip and uv ask the keyring for it.",
                wordWrap=True,
                objectName="noteLabel",
            )
        )
        pypirc_layout.addLayout(form)
        pypirc_layout.addLayout(keyring_row)
        pypirc_layout.addWidget(self.pip_box)
        pypirc_layout.addWidget(self.uv_box)
        pypirc_layout.addLayout(buttons)
        pypirc_layout.addWidget(self.preview_view, 1)
        pypirc_layout.addWidget(self.status_label)
        pypirc_layout.addWidget(self.error_label)
        for label in pypirc_box.findChildren(QLabel):  # never squeezed: a note that grows moves nothing else
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        self.snippets = QWidget()
        self.snippets_layout = QVBoxLayout(self.snippets)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # notes wrap; code boxes scroll
        scroll.setWidget(self.snippets)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # The form scrolls rather than squeezes: each field keeps its height, so a note that appears or a box
        # ticked moves nothing above it.
        self.form_scroll = QScrollArea(widgetResizable=True)
        self.form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)  # a bar that comes and
        # goes would narrow the column and re-wrap every note in it
        self.form_scroll.setWidget(pypirc_box)
        layout.addWidget(self.form_scroll, 1)
        layout.addWidget(scroll, 1)

        for edit in (self.section_edit, self.password_edit):
            edit.textChanged.connect(self._inputs_changed)
        self.user_combo.currentTextChanged.connect(self._inputs_changed)
        for box in (self.keyring_radio, self.file_radio, self.pip_box, self.uv_box):
            box.toggled.connect(self._options_changed)
        self._show_snippets()

    # -- context ----------------------------------------------------------------

    def set_clients(self, clients: ClientService) -> None:
        """Another data folder's server."""
        self._clients = clients
        self._inputs_changed()
        self.check_keyring()

    def set_settings(self, settings: ServerSettings) -> None:
        address_changed = settings.url != self._settings.url
        self._settings = settings
        self._inputs_changed()
        self._show_snippets()
        if address_changed:  # whether ~/.pypirc holds this address's password in clear (not at every keystroke)
            self.check_keyring()

    def check_keyring(self) -> None:
        """Whether the keyring works, and whether ~/.pypirc holds this server's password in clear."""
        clients, url = self._clients, self._settings.url
        self._worker.submit(
            lambda: (clients.keyring_state(), bool(clients.plaintext_sections(url))), self._show_keyring, self._failed
        )

    def _show_keyring(self, result: tuple[KeyringState, bool]) -> None:
        state, plaintext = result
        self.keyring_state = state
        self.keyring_radio.setText(f"System keyring ({state.backend})" if state.usable else "System keyring")
        self.keyring_radio.setEnabled(state.usable)
        if state.usable and self.storage_group.checkedButton() is None:
            self.keyring_radio.setChecked(True)
        if not state.usable and self.keyring_radio.isChecked():
            self.storage_group.setExclusive(False)  # neither: the file only when the user picks it
            self.keyring_radio.setChecked(False)
            self.storage_group.setExclusive(True)
        self.keyring_label.setText(
            "" if state.usable else f"{state.problem} Or keep the password in ~/.pypirc (0600): choose it above."
        )
        self.keyring_label.setVisible(not state.usable)
        self.check_keyring_button.setVisible(not state.usable)
        self.move_button.setVisible(state.usable and plaintext)
        self.keyring_checked.emit(state)

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
        self.preview_shown.connect(self._reveal_preview, Qt.ConnectionType.SingleShotConnection)
        self.request_preview()

    def _reveal_preview(self) -> None:
        self.form_scroll.ensureWidgetVisible(self.preview_view, 0, 0)

    # -- preview and write --------------------------------------------------------

    def storage(self) -> Storage | None:
        if self.keyring_radio.isChecked():
            return Storage.KEYRING
        return Storage.FILE if self.file_radio.isChecked() else None

    def request_preview(self) -> None:
        clients, settings, storage = self._clients, self._settings, self.storage()
        name, username, password = (
            self.section_edit.text().strip(),
            self.user_combo.currentText(),
            (self.password_edit.text()),
        )
        pip, uv = self.pip_box.isChecked(), self.uv_box.isChecked()
        self.error_label.clear()
        if storage is None:
            self.error_label.setText("Choose where to keep the password: the system keyring or ~/.pypirc.")
            self._awaiting_choice = True  # the preview follows the choice
            return
        self._worker.submit(
            lambda: clients.plan(settings, username, password, name, storage=storage, pip=pip, uv=uv),
            self._show_preview,
            self._failed,
        )

    def request_move(self) -> None:
        """The password ~/.pypirc holds for this server, into the keyring: previewed, then Write."""
        clients, settings = self._clients, self._settings
        self.error_label.clear()
        self._worker.submit(lambda: clients.plan_move_to_keyring(settings), self._show_preview, self._failed)

    def _show_preview(self, change: ClientSetup) -> None:
        self.change = change
        if change.changed:
            self.preview_view.setPlainText(change.preview())
            self.status_label.setText("Check the changes, then click Write.")
        else:
            self.preview_view.setPlainText("")
            self.status_label.setText("This computer is already set up for this server.")
        self.write_button.setEnabled(change.changed)
        self.preview_shown.emit()

    def request_write(self) -> None:
        change = self.change
        if change is None:
            return
        self.write_button.setEnabled(False)
        clients = self._clients
        self._worker.submit(lambda: clients.apply(change), lambda result: self._written(change, result), self._failed)

    def _written(self, change: ClientSetup, result: SetupResult) -> None:
        self.change = None
        self.status_label.setText(f"{result.summary()} Upload with: twine upload -r {change.name} dist/*")
        self.message.emit(f"Client setup for [{change.name}]: {result.summary()}")
        self.written.emit()
        self.check_keyring()

    def _failed(self, error: Exception) -> None:
        self.error_label.setText(str(error))
        self.write_button.setEnabled(False)

    def _options_changed(self, *_args: object) -> None:
        """Another storage or file choice: a preview already shown is made again for it (once, after a
        radio pair has settled)."""
        again = self.change is not None or self._repreview.isActive() or self._awaiting_choice
        self._inputs_changed()
        if again:
            self._repreview.start()

    def _inputs_changed(self, *_args: object) -> None:
        """A preview shows one exact change: after any edit, it must be made again."""
        self.change = None
        self._awaiting_choice = False
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
