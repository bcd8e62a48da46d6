"""The add-user dialog (also used to change a password): name, password twice, scheme, Generate and Copy.

Tab goes name, password, again, then the buttons; a mismatch is named only once "Again" was
typed into; "set up this computer" is ticked for a publisher, not for a reader, unless the user
ticks it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.services.errors import DeskError
from gui.services.users.rules import (
    DEFAULT_SCHEME,
    PUBLISH,
    READ,
    SCHEME_NAMES,
    check_name,
    check_password,
    generate_password,
)

DIFFER = "The two passwords differ."

SCHEME_LABELS = {
    "bcrypt": "bcrypt (recommended)",
    "apr1": "Apache MD5 (apr1, as the how-to)",
    "sha256": "SHA-256 crypt",
    "sha512": "SHA-512 crypt",
}


@dataclass(frozen=True)
class UserValues:
    name: str
    password: str
    scheme: str
    set_up_client: bool
    role: str = PUBLISH


class UserDialog(QDialog):
    """Add a user, or with ``fixed_name`` change that user's password. OK is enabled only when valid."""

    def __init__(self, existing: set[str], fixed_name: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._existing = existing
        self._changing = fixed_name is not None
        self.setWindowTitle(f"Change the password of {fixed_name}" if self._changing else "Add a user")
        self.name_edit = QLineEdit(fixed_name or "", placeholderText="e.g. urunimi")
        self.name_edit.setReadOnly(self._changing)
        self.password_edit = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.confirm_edit = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.show_box = QCheckBox("Show")
        self.show_box.toggled.connect(self._show_password)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Fill in a strong random password (and show it, to copy it)")
        self.generate_button.clicked.connect(self._generate)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the password, to hand it to its user")
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.password_edit.text()))
        sample = self.password_edit.fontMetrics().horizontalAdvance(generate_password() + "MMMM")
        self.password_edit.setMinimumWidth(sample)  # a generated password shows whole
        self.confirm_edit.setMinimumWidth(sample)
        self.scheme_combo = QComboBox()
        for scheme in SCHEME_NAMES:
            self.scheme_combo.addItem(SCHEME_LABELS[scheme], scheme)
        self.scheme_combo.setCurrentIndex(self.scheme_combo.findData(DEFAULT_SCHEME))
        self.role_combo = QComboBox()
        self.role_combo.addItem("Publisher: may upload and delete", PUBLISH)
        self.role_combo.addItem("Reader: may list and download (CI, colleagues)", READ)
        self.role_combo.setVisible(not self._changing)
        self.client_box = QCheckBox("Then set up this computer's twine, pip and uv for this user")
        self.client_box.setChecked(not self._changing)
        self.client_box.setVisible(not self._changing)
        self._client_box_touched = False
        self.client_box.clicked.connect(self._client_box_clicked)
        self.role_combo.currentIndexChanged.connect(self._role_changed)
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        password_row = QHBoxLayout()
        password_row.addWidget(self.password_edit, 1)
        password_row.addWidget(self.show_box)
        password_row.addWidget(self.generate_button)
        password_row.addWidget(self.copy_button)
        form = QFormLayout()
        form.addRow("User name:", self.name_edit)
        form.addRow("Password:", password_row)
        form.addRow("Again:", self.confirm_edit)
        form.addRow("Hash:", self.scheme_combo)
        if not self._changing:
            form.addRow("Role:", self.role_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.client_box)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        for edit in (self.name_edit, self.password_edit, self.confirm_edit):
            edit.textChanged.connect(self._revalidate)
        self.scheme_combo.currentIndexChanged.connect(self._revalidate)
        order = [self.name_edit, self.password_edit, self.confirm_edit, self.show_box, self.generate_button]
        order += [self.copy_button, self.scheme_combo, self.role_combo, self.client_box]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self._revalidate()

    def values(self) -> UserValues:
        return UserValues(
            self.name_edit.text(),
            self.password_edit.text(),
            self.scheme_combo.currentData(),
            self.client_box.isChecked() and not self._changing,
            self.role_combo.currentData(),
        )

    def validate(self) -> str | None:
        """The first problem in plain words, or None when OK may be clicked."""
        values = self.values()
        try:
            check_name(values.name)
            if not self._changing and values.name in self._existing:
                return f"User {values.name} exists already: choose another name."
            if not values.password:
                return "The password is empty: type one, or click Generate."
            check_password(values.password, values.scheme)
        except DeskError as exc:
            return str(exc)
        if values.password != self.confirm_edit.text():
            return DIFFER
        return None

    def _revalidate(self) -> None:
        problem = self.validate()
        # Say nothing about a field the user has not reached yet.
        untouched = not self.password_edit.text() and not self.confirm_edit.text()
        # "Again" not reached yet, or still being typed: nothing differs yet.
        again_untouched = problem == DIFFER and self.password_edit.text().startswith(self.confirm_edit.text())
        quiet = (untouched and not self.name_edit.isModified()) or again_untouched
        self.error_label.setText("" if quiet else problem or "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)
        self.copy_button.setEnabled(bool(self.password_edit.text()))

    def _client_box_clicked(self) -> None:
        self._client_box_touched = True

    def _role_changed(self) -> None:
        """A reader downloads, often on another machine (CI): this computer is set up only when asked."""
        if not self._client_box_touched:
            self.client_box.setChecked(self.role_combo.currentData() == PUBLISH)

    def _show_password(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.password_edit.setEchoMode(mode)
        self.confirm_edit.setEchoMode(mode)

    def _generate(self) -> None:
        password = generate_password()
        self.password_edit.setText(password)
        self.confirm_edit.setText(password)
        self.show_box.setChecked(True)
