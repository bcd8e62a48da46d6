"""The Server tab's form: data folder and the server's settings, with inline validation."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.services.errors import SettingsError
from gui.services.server.settings import AUTH_MODES, DEFAULT_FALLBACK_URL, RUNTIMES, ServerSettings

BIND_CHOICES = {
    "127.0.0.1": "This computer only (127.0.0.1)",
    "0.0.0.0": "All interfaces, for a team (0.0.0.0)",
}


class SettingsForm(QWidget):
    """Edits :class:`ServerSettings`; ``values()`` reads them, ``validate()`` says what is wrong."""

    changed = Signal()
    data_dir_change_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.data_dir_label = QLabel()
        self.data_dir_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_dir_button = QPushButton("Change…")
        self.data_dir_button.clicked.connect(self._choose_data_dir)
        self.port_spin = QSpinBox(minimum=1, maximum=65535, value=8080)
        self.host_combo = QComboBox(editable=True)
        for address, label in BIND_CHOICES.items():
            self.host_combo.addItem(label, address)
        self.auth_combo = QComboBox()
        for mode, label in AUTH_MODES.items():
            self.auth_combo.addItem(label, mode)
        self.overwrite_box = QCheckBox("Allow uploading a version that already exists (overwrite)")
        self.fallback_box = QCheckBox("Send pip to PyPI for packages this index does not have")
        self.fallback_edit = QLineEdit(DEFAULT_FALLBACK_URL)
        self.image_edit = QLineEdit()
        self.runtime_combo = QComboBox()
        for runtime, label in RUNTIMES.items():
            self.runtime_combo.addItem(label, runtime)
        self.warning_label = QLabel(wordWrap=True, objectName="warningLabel")
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.note_label = QLabel("Changes apply the next time the server starts.", objectName="noteLabel")

        data_row = QHBoxLayout()
        data_row.addWidget(self.data_dir_label, 1)
        data_row.addWidget(self.data_dir_button)
        form = QFormLayout()
        form.addRow("Data folder:", data_row)
        form.addRow("Port:", self.port_spin)
        form.addRow("Listen on:", self.host_combo)
        form.addRow("Passwords:", self.auth_combo)
        form.addRow("", self.overwrite_box)
        form.addRow("", self.fallback_box)
        form.addRow("Fallback index:", self.fallback_edit)
        form.addRow("Run in:", self.runtime_combo)
        form.addRow("Image:", self.image_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.note_label)
        layout.addStretch(1)

        for signal in (
            self.port_spin.valueChanged,
            self.host_combo.currentTextChanged,
            self.auth_combo.currentIndexChanged,
            self.overwrite_box.toggled,
            self.fallback_box.toggled,
            self.fallback_edit.textChanged,
            self.image_edit.textChanged,
            self.runtime_combo.currentIndexChanged,
        ):
            signal.connect(self._on_edit)
        self.set_values(ServerSettings())

    def set_runtime(self, runtime: str) -> None:
        self.runtime_combo.setCurrentIndex(self.runtime_combo.findData(runtime))

    def set_data_dir(self, path: str) -> None:
        self.data_dir_label.setText(path)

    def set_values(self, settings: ServerSettings) -> None:
        self._loading = True  # one validation and one `changed` for the whole load
        self.port_spin.setValue(settings.port)
        index = self.host_combo.findData(settings.host)
        if index >= 0:
            self.host_combo.setCurrentIndex(index)
        else:
            self.host_combo.setEditText(settings.host)
        self.auth_combo.setCurrentIndex(self.auth_combo.findData(settings.auth))
        self.overwrite_box.setChecked(settings.overwrite)
        self.fallback_box.setChecked(bool(settings.fallback_url))
        self.fallback_edit.setText(settings.fallback_url or DEFAULT_FALLBACK_URL)
        self.image_edit.setText(settings.image)
        self.runtime_combo.setCurrentIndex(self.runtime_combo.findData(settings.runtime))
        self._loading = False
        self._on_edit()

    def values(self) -> ServerSettings:
        host_index = self.host_combo.findText(self.host_combo.currentText())
        host = self.host_combo.itemData(host_index) if host_index >= 0 else self.host_combo.currentText().strip()
        return ServerSettings(
            port=self.port_spin.value(),
            host=host,
            image=self.image_edit.text().strip(),
            auth=self.auth_combo.currentData(),
            overwrite=self.overwrite_box.isChecked(),
            fallback_url=self.fallback_edit.text().strip() if self.fallback_box.isChecked() else "",
            runtime=self.runtime_combo.currentData(),
        )

    def validate(self) -> str | None:
        """The first problem in plain words, or None when the values are usable."""
        try:
            self.values().validate()
        except SettingsError as exc:
            return str(exc)
        return None

    def set_editable(self, editable: bool) -> None:
        """Settings are fixed while the server runs; they apply at the next start."""
        for widget in (
            self.data_dir_button,
            self.port_spin,
            self.host_combo,
            self.auth_combo,
            self.overwrite_box,
            self.fallback_box,
            self.fallback_edit,
            self.image_edit,
            self.runtime_combo,
        ):
            widget.setEnabled(editable)
        self.fallback_edit.setEnabled(editable and self.fallback_box.isChecked())
        self.note_label.setText(
            "Changes apply the next time the server starts." if editable else "Stop the server to change its settings."
        )

    def _on_edit(self) -> None:
        if self._loading:
            return
        self.fallback_edit.setEnabled(self.fallback_box.isChecked() and self.port_spin.isEnabled())
        problem = self.validate()
        self.error_label.setText(problem or "")
        self.error_label.setVisible(problem is not None)
        warnings = [] if problem else self.values().warnings()
        self.warning_label.setText("\n".join(warnings))
        self.warning_label.setVisible(bool(warnings))
        self.changed.emit()

    def _choose_data_dir(self) -> None:
        dialog = QFileDialog(self, "Choose the server's data folder", self.data_dir_label.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.data_dir_change_requested.emit)
        dialog.open()
