"""Asks for the user name and password to upload or delete with, when ~/.pypirc has none for this server."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gui.services.packages.transport import Credentials


class CredentialsDialog(QDialog):
    def __init__(self, users: list[str], purpose: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to the index")
        self.user_combo = QComboBox(editable=True)
        self.user_combo.addItems(sorted(users))
        self.password_edit = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("User:", self.user_combo)
        form.addRow("Password:", self.password_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"{purpose} needs a user of this server. (Client setup can save it in ~/.pypirc, "
                "so you are not asked again.)",
                wordWrap=True,
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.user_combo.currentTextChanged.connect(self._revalidate)
        self.password_edit.textChanged.connect(self._revalidate)
        self._revalidate()

    def values(self) -> Credentials:
        return Credentials(self.user_combo.currentText().strip(), self.password_edit.text())

    def validate(self) -> str | None:
        values = self.values()
        if not values.username:
            return "Type a user name."
        if not values.password:
            return "Type the password."
        return None

    def _revalidate(self) -> None:
        problem = self.validate()
        self.error_label.setText(problem if self.password_edit.isModified() and problem else "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)
