"""The yank dialog: why a release is yanked (one line, shown by pip and uv to whoever still installs it)."""

from __future__ import annotations

import unicodedata

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout

from gui.services.server.inside.facts import MAX_REASON


class YankDialog(QDialog):
    """Yank NAME VERSION: a reason (may be empty); OK only while the reason is valid."""

    def __init__(self, name: str, version: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Yank {name} {version}")
        explain = QLabel(
            f"Yank {name} {version}? pip and uv will skip it, unless a requirement pins it with ==. "
            "Its files stay, so nothing pinned to it breaks; you can unyank it later.",
            wordWrap=True,
        )
        self.reason_edit = QLineEdit(placeholderText="Reason (optional), e.g. broken on Windows: use 1.2.1")
        self.reason_edit.setMaxLength(MAX_REASON)
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Yank")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reason_edit.textChanged.connect(self.validate)
        layout = QVBoxLayout(self)
        for widget in (explain, self.reason_edit, self.error_label, self.buttons):
            layout.addWidget(widget)

    def values(self) -> str:
        """The reason, trimmed ("" for none)."""
        return self.reason_edit.text().strip()

    def validate(self) -> bool:
        reason = self.values()
        plain = not any(unicodedata.category(c).startswith("C") for c in reason)
        problem = "" if plain else "A reason is one line of plain text: no control characters or direction marks."
        self.error_label.setText(problem)
        self.error_label.setVisible(bool(problem))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)
        return not problem
