"""The Server tab's form: data folder and the server's settings, with inline validation.

While the server runs the settings stay editable: once they differ from those it started with,
**Apply and restart** asks for the restart (the window confirms it first).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
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
from gui.services.index.settings import AUTH_MODES, DEFAULT_UPSTREAM, FALLBACKS, RUNTIMES, ServerSettings
from gui.widgets import file_choosers as choosers

BIND_CHOICES = {
    "127.0.0.1": "This computer only (127.0.0.1)",
    "0.0.0.0": "All interfaces, for a team (0.0.0.0)",
}


class SettingsForm(QWidget):
    """Edits :class:`ServerSettings`; ``values()`` reads them, ``validate()`` says what is wrong."""

    changed = Signal()
    data_dir_change_requested = Signal(str)
    export_ca_requested = Signal(str)  # the file to write the CA certificate to
    renew_requested = Signal()
    backup_requested = Signal(str)  # the archive to write
    move_requested = Signal(str)  # the new folder to move this index to
    location_requested = Signal()  # the user wants another engine, volume or folder
    restore_archive_chosen = Signal(str)  # a backup to restore: where to comes next (a folder or a volume)
    apply_requested = Signal()  # restart the running server with the form's settings

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self._running = False
        self._started_with: ServerSettings | None = None  # what the running server started with
        self._choose_buttons: list[QPushButton] = []
        self.data_dir_label = QLabel()
        self.data_dir_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_dir_button = QPushButton("Change…")
        self.data_dir_button.clicked.connect(self._choose_data_dir)
        self.backup_button = QPushButton("Backup…")
        self.backup_button.setToolTip("One archive: packages, users and roles, settings, certificates")
        self.backup_button.clicked.connect(self._choose_backup_target)
        self.restore_button = QPushButton("Restore…")
        self.restore_button.setToolTip("An archive into a new folder, checked against its manifest first")
        self.restore_button.clicked.connect(self._choose_archive)
        self.move_button = QPushButton("Move to…")
        self.move_button.setToolTip("Copy this index to a new folder, check it, and run it from there")
        self.move_button.clicked.connect(self._choose_move_folder)
        self.location_button = QPushButton("Engine and storage…")
        self.location_button.setToolTip(
            "Run the server on another Docker engine (a context, ssh://, tcp://), or keep its data in a Docker volume"
        )
        self.location_button.clicked.connect(self.location_requested.emit)
        self.port_spin = QSpinBox(minimum=1, maximum=65535, value=8080)
        self.public_name_edit = QLineEdit(
            placeholderText="this computer's address; on another engine, that machine's name (e.g. pypi.team.lan)"
        )
        self.public_name_edit.setToolTip("The host name in the index URL that twine, pip and uv are given")
        self.host_combo = QComboBox(editable=True)
        for address, label in BIND_CHOICES.items():
            self.host_combo.addItem(label, address)
        self.auth_combo = QComboBox()
        for mode, label in AUTH_MODES.items():
            self.auth_combo.addItem(label, mode)
        self.overwrite_box = QCheckBox("Allow uploading a version that already exists (overwrite)")
        self.fallback_combo = QComboBox()
        for mode, label in FALLBACKS.items():
            self.fallback_combo.addItem(label, mode)
        self.fallback_combo.setToolTip("What a name this index does not host gets (pip, uv and poetry ask for every "
                                       "dependency here)")  # fmt: skip
        self.upstream_edit = QLineEdit(DEFAULT_UPSTREAM)
        self.upstream_edit.setToolTip("PyPI, or another index's simple API; a name the team hosts never comes from it")
        self.cache_minutes_spin = QSpinBox(minimum=0, maximum=10080, value=10, suffix=" min")
        self.cache_minutes_spin.setToolTip("How long a kept upstream page is served before it is fetched again")
        self.image_edit = QLineEdit()
        self.runtime_combo = QComboBox()
        for runtime, label in RUNTIMES.items():
            self.runtime_combo.addItem(label, runtime)
        self.https_box = QCheckBox("Secure connection (HTTPS)")
        self.usage_days_spin = QSpinBox(minimum=0, maximum=3650, value=90, suffix=" days")
        self.usage_days_spin.setSpecialValueText("off: downloads are not recorded")
        self.usage_days_spin.setToolTip("How long each download's own record is kept; the daily counts stay")
        self.trash_days_spin = QSpinBox(minimum=0, maximum=3650, value=30, suffix=" days")
        self.trash_days_spin.setToolTip("How long files a cleanup removed stay in the trash, restorable")
        self.names_edit = QLineEdit(placeholderText="more names or addresses, comma-separated")
        self.names_edit.setToolTip(
            "The certificate names localhost, 127.0.0.1, ::1, this computer's host name and its LAN addresses; "
            "add any other name clients use to reach it."
        )
        self.cert_edit = QLineEdit(placeholderText="PyPI Desk's own (leave empty)")
        self.key_edit = QLineEdit(placeholderText="its private key, unencrypted")
        self.ca_edit = QLineEdit(placeholderText="the CA clients must trust (empty: the system's)")
        self.export_ca_button = QPushButton("Export CA certificate…")
        self.export_ca_button.clicked.connect(self._choose_ca_target)
        self.renew_button = QPushButton("Renew certificate")
        self.renew_button.clicked.connect(self.renew_requested.emit)
        self.warning_label = QLabel(wordWrap=True, objectName="warningLabel")
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.note_label = QLabel("Changes apply the next time the server starts.", objectName="noteLabel")
        self.apply_button = QPushButton("Apply and restart")
        self.apply_button.setToolTip("Restart the server with these settings (it asks first)")
        self.apply_button.clicked.connect(self.apply_requested.emit)
        self.apply_button.hide()

        data_row = QHBoxLayout()
        data_row.addWidget(self.data_dir_label, 1)
        data_row.addWidget(self.data_dir_button)
        data_row.addWidget(self.backup_button)
        data_row.addWidget(self.restore_button)
        data_row.addWidget(self.move_button)
        data_row.addWidget(self.location_button)
        form = QFormLayout()
        form.addRow("Data:", data_row)
        form.addRow("Port:", self.port_spin)
        form.addRow("Listen on:", self.host_combo)
        form.addRow("Clients use:", self.public_name_edit)
        form.addRow("Passwords:", self.auth_combo)
        form.addRow("", self.overwrite_box)
        form.addRow("Names not hosted:", self.fallback_combo)
        form.addRow("Upstream index:", self.upstream_edit)
        form.addRow("Refresh pages after:", self.cache_minutes_spin)
        form.addRow("Run in:", self.runtime_combo)
        form.addRow("Image:", self.image_edit)
        form.addRow("Download records:", self.usage_days_spin)
        form.addRow("Trash keeps files:", self.trash_days_spin)
        form.addRow("", self.https_box)
        self.https_form = QFormLayout()
        self.https_form.addRow("Also named:", self.names_edit)
        self.https_form.addRow("Own certificate:", self._file_row(self.cert_edit, "Choose the server's certificate"))
        self.https_form.addRow("Its key:", self._file_row(self.key_edit, "Choose the certificate's private key"))
        self.https_form.addRow("Its CA:", self._file_row(self.ca_edit, "Choose the CA certificate clients trust"))
        https_buttons = QHBoxLayout()
        https_buttons.addWidget(self.export_ca_button)
        https_buttons.addWidget(self.renew_button)
        https_buttons.addStretch(1)
        self.https_form.addRow("", https_buttons)
        self.https_panel = QWidget()
        self.https_panel.setLayout(self.https_form)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.https_panel)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.error_label)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_label, 1)
        note_row.addWidget(self.apply_button)
        layout.addLayout(note_row)
        layout.addStretch(1)

        for signal in (
            self.port_spin.valueChanged,
            self.host_combo.currentTextChanged,
            self.auth_combo.currentIndexChanged,
            self.overwrite_box.toggled,
            self.fallback_combo.currentIndexChanged,
            self.upstream_edit.textChanged,
            self.cache_minutes_spin.valueChanged,
            self.image_edit.textChanged,
            self.runtime_combo.currentIndexChanged,
            self.https_box.toggled,
            self.names_edit.textChanged,
            self.public_name_edit.textChanged,
            self.cert_edit.textChanged,
            self.key_edit.textChanged,
            self.ca_edit.textChanged,
            self.usage_days_spin.valueChanged,
            self.trash_days_spin.valueChanged,
        ):
            signal.connect(self._on_edit)
        self.set_values(ServerSettings())

    def set_runtime(self, runtime: str) -> None:
        self.runtime_combo.setCurrentIndex(self.runtime_combo.findData(runtime))

    def set_data_dir(self, path: str) -> None:
        self.data_dir_label.setText(path)

    def set_values(self, settings: ServerSettings) -> None:
        self.loaded = settings  # what the form showed: a save applies only what the user changed since
        self._loading = True  # one validation and one `changed` for the whole load
        self.port_spin.setValue(settings.port)
        index = self.host_combo.findData(settings.host)
        if index >= 0:
            self.host_combo.setCurrentIndex(index)
        else:
            self.host_combo.setEditText(settings.host)
        self.auth_combo.setCurrentIndex(self.auth_combo.findData(settings.auth))
        self.overwrite_box.setChecked(settings.overwrite)
        self.fallback_combo.setCurrentIndex(self.fallback_combo.findData(settings.fallback))
        self.upstream_edit.setText(settings.upstream)
        self.cache_minutes_spin.setValue(settings.cache_minutes)
        self.image_edit.setText(settings.image)
        self.runtime_combo.setCurrentIndex(self.runtime_combo.findData(settings.runtime))
        self.https_box.setChecked(settings.https)
        self.names_edit.setText(settings.tls_names)
        self.public_name_edit.setText(settings.public_name)
        self.cert_edit.setText(settings.tls_cert)
        self.key_edit.setText(settings.tls_key)
        self.ca_edit.setText(settings.tls_ca)
        self.usage_days_spin.setValue(settings.usage_days)
        self.trash_days_spin.setValue(settings.trash_days)
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
            fallback=self.fallback_combo.currentData(),
            upstream=self.upstream_edit.text().strip(),
            cache_minutes=self.cache_minutes_spin.value(),
            runtime=self.runtime_combo.currentData(),
            https=self.https_box.isChecked(),
            tls_names=self.names_edit.text().strip(),
            tls_cert=self.cert_edit.text().strip(),
            tls_key=self.key_edit.text().strip(),
            tls_ca=self.ca_edit.text().strip(),
            public_name=self.public_name_edit.text().strip(),
            usage_days=self.usage_days_spin.value(),
            trash_days=self.trash_days_spin.value(),
        )

    def validate(self) -> str | None:
        """The first problem in plain words, or None when the values are usable."""
        try:
            self.values().validate()
        except SettingsError as exc:
            return str(exc)
        return None

    def set_server_state(self, running: bool, busy: bool) -> None:
        """Editable unless a start or stop is under way; while it runs, edits wait for Apply and restart.

        The form is locked while the server starts, so what it holds when the server is found running is
        what it runs with."""
        if not running:
            self._started_with = None
        elif self._started_with is None:
            self._started_with = self.values()
        self._running = running
        self.set_editable(not busy)
        self._show_apply()

    def set_editable(self, editable: bool) -> None:
        """Nothing can be changed while the server is starting or stopping."""
        for widget in (
            self.data_dir_button,
            self.port_spin,
            self.host_combo,
            self.public_name_edit,
            self.auth_combo,
            self.overwrite_box,
            self.fallback_combo,
            self.upstream_edit,
            self.cache_minutes_spin,
            self.image_edit,
            self.runtime_combo,
            self.https_box,
            self.names_edit,
            self.cert_edit,
            self.key_edit,
            self.ca_edit,
            self.usage_days_spin,
            self.trash_days_spin,
            *self._choose_buttons,
        ):
            widget.setEnabled(editable)
        self.data_dir_button.setEnabled(editable and not self._running)
        self._upstream_enabled()

    def _upstream_enabled(self) -> None:
        """The upstream URL matters unless names not hosted get a 404; the page time only for the cache."""
        editable, mode = self.port_spin.isEnabled(), self.fallback_combo.currentData()
        self.upstream_edit.setEnabled(editable and mode != "off")
        self.cache_minutes_spin.setEnabled(editable and mode == "cache")

    def pending_changes(self) -> bool:
        """The server runs, and the form holds settings it did not start with."""
        return self._running and self._started_with is not None and self.values() != self._started_with

    def _show_apply(self) -> None:
        pending = self.pending_changes()
        self.apply_button.setVisible(pending)
        self.apply_button.setEnabled(pending and self.port_spin.isEnabled() and self.validate() is None)
        if pending:
            text = "The server runs with the settings it started with: Apply and restart to use these."
        elif self._running:
            text = "The server is running: change a setting, then Apply and restart."
        else:
            text = "Changes apply the next time the server starts."
        self.note_label.setText(text)

    def _on_edit(self) -> None:
        if self._loading:
            return
        self._upstream_enabled()
        self.https_panel.setVisible(self.https_box.isChecked())
        problem = self.validate()
        self.error_label.setText(problem or "")
        self.error_label.setVisible(problem is not None)
        warnings = [] if problem else self.values().warnings()
        self.warning_label.setText("\n".join(warnings))
        self.warning_label.setVisible(bool(warnings))
        self._show_apply()
        self.changed.emit()

    def _file_row(self, edit: QLineEdit, title: str) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        button = QPushButton("Choose…")
        button.clicked.connect(lambda: self._choose_file(edit, title))
        self._choose_buttons.append(button)
        row.addWidget(button)
        return row

    def _choose_file(self, edit: QLineEdit, title: str) -> None:
        self.file_dialog = choosers.existing_file(self, title, edit.text(), edit.setText)

    def _choose_ca_target(self) -> None:
        title = "Save the CA certificate for teammates"
        self.file_dialog = choosers.save_as(self, title, "pypi-desk-ca.pem", self.export_ca_requested.emit)

    def _choose_backup_target(self) -> None:
        title = "Back up this server's data to"
        self.file_dialog = choosers.save_as(self, title, choosers.backup_name(), self.backup_requested.emit)

    def _choose_archive(self) -> None:
        self.file_dialog = choosers.existing_file(
            self, "Restore which backup?", "", self.restore_archive_chosen.emit, "PyPI Desk backups (*.tar.gz)"
        )

    def _choose_move_folder(self) -> None:
        self.file_dialog = choosers.folder(self, "Move this index to a new, empty folder", "", self.move_requested.emit)

    def _choose_data_dir(self) -> None:
        title = "Choose the server's data folder"
        self.file_dialog = choosers.folder(self, title, self.data_dir_label.text(), self.data_dir_change_requested.emit)
