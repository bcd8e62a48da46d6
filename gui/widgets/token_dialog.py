"""The new-token dialog (name, scope, expiry) and the box that shows a new token once, with Copy and the lines to
paste into CI for this server."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from gui.services.clients.snippets import Snippet
from gui.services.errors import UserError
from gui.services.users.tokens import DEFAULT_EXPIRY, EXPIRY_DAYS, check_token_name

EXPIRY_LABELS = {"30d": "30 days", "90d": "90 days", "365d": "1 year", "never": "Never (not recommended)"}


@dataclass(frozen=True)
class TokenValues:
    name: str
    projects: tuple[str, ...]
    read_only: bool
    expires_days: int | None


class TokenDialog(QDialog):
    """New token for ``user``: OK only while the values are valid; a reader's token can only read."""

    def __init__(self, user: str, reader: bool, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"New token for {user}")
        self.name_edit = QLineEdit(placeholderText="What it is for, e.g. release job of app")
        self.all_button = QRadioButton(f"Publish every project {user} may publish")
        self.some_button = QRadioButton("Publish only these projects:")
        self.read_button = QRadioButton("Read only (list and download)")
        self.scope = QButtonGroup(self)
        for button in (self.all_button, self.some_button, self.read_button):
            self.scope.addButton(button)
        self.projects_edit = QLineEdit(placeholderText="my-lib, my-app")
        (self.read_button if reader else self.all_button).setChecked(True)
        self.all_button.setEnabled(not reader)
        self.some_button.setEnabled(not reader)
        self.expiry_combo = QComboBox()
        for key, label in EXPIRY_LABELS.items():
            self.expiry_combo.addItem(label, key)
        self.expiry_combo.setCurrentIndex(list(EXPIRY_LABELS).index(DEFAULT_EXPIRY))
        self.warning_label = QLabel("A token that never expires works until it is revoked, wherever it leaked to.",
                                    wordWrap=True, objectName="warningLabel")  # fmt: skip
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create token")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        scope = QVBoxLayout()
        some = QHBoxLayout()
        some.addWidget(self.some_button)
        some.addWidget(self.projects_edit, 1)
        scope.addWidget(self.all_button)
        scope.addLayout(some)
        scope.addWidget(self.read_button)
        form.addRow("May", scope)
        form.addRow("Expires after", self.expiry_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for widget in (self.warning_label, self.error_label, self.buttons):
            layout.addWidget(widget)
        for signal in (self.name_edit.textChanged, self.projects_edit.textChanged, self.scope.buttonToggled,
                       self.expiry_combo.currentIndexChanged):  # fmt: skip
            signal.connect(self.validate)
        self.validate()

    def values(self) -> TokenValues:
        projects = tuple(p.strip() for p in self.projects_edit.text().replace(",", " ").split() if p.strip())
        return TokenValues(
            name=self.name_edit.text().strip(),
            projects=projects if self.some_button.isChecked() else (),
            read_only=self.read_button.isChecked(),
            expires_days=EXPIRY_DAYS[self.expiry_combo.currentData()],
        )

    def validate(self, *_args: object) -> bool:
        values = self.values()
        self.projects_edit.setEnabled(self.some_button.isChecked())
        self.warning_label.setVisible(values.expires_days is None)
        problem = ""
        if self.name_edit.text():
            try:
                check_token_name(values.name)
            except UserError as exc:
                problem = str(exc)
        if not problem and self.some_button.isChecked() and not values.projects:
            problem = "Name the projects it may publish, separated by commas."
        self.error_label.setText(problem)
        self.error_label.setVisible(bool(problem))
        ok = not problem and bool(values.name)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        return ok


class TokenShownDialog(QDialog):
    """The new token, shown this once: Copy, and the lines for twine, uv, poetry, pip and CI."""

    def __init__(self, token: str, snippets: list[Snippet], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your new token")
        self.token_edit = QLineEdit(token, readOnly=True)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(token))
        notice = QLabel("This is the only time the token is shown: copy it into your CI's secrets now. "
                        "PyPI Desk keeps only a digest of it.", wordWrap=True, objectName="warningLabel")  # fmt: skip
        self.snippets_edit = QPlainTextEdit(readOnly=True)
        self.snippets_edit.setPlainText(
            "\n\n".join(f"# {s.title}\n" + (f"# {s.note}\n" if s.note else "") + s.text for s in snippets)
        )
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        close.accepted.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.token_edit, 1)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addWidget(notice)
        layout.addLayout(row)
        layout.addWidget(self.snippets_edit, 1)
        layout.addWidget(close)
        self.resize(720, 520)
