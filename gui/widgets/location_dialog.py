"""Where the server lives: which Docker engine (this computer's, a ``docker context``, or a URL) and
whether its data is a folder of this computer or a Docker volume on that engine.

Built in code with ``values()``, ``validate()`` and an error label; opened with ``.open()``. The
engines to offer are listed by the caller off the UI thread (reading ``~/.docker`` is disk work).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from gui.services.engines.choice import EngineOption, parse_engine
from gui.services.errors import DeskError
from gui.services.volume.layout import check_volume_name

OPEN, MOVE, RESTORE = "open", "move", "restore"


@dataclass(frozen=True)
class Location:
    engine: str  # "" is this computer's engine
    volume: str  # "" with a folder
    folder: str  # "" with a volume
    action: str  # OPEN (show that server), MOVE (move this index there) or RESTORE (a backup into it)


class LocationDialog(QDialog):
    """Choose an engine and a folder or volume; "Open" shows that server, "Move this index here" moves it;
    with ``restoring`` (an archive's name), "Restore here" restores that backup into a new folder or volume."""

    def __init__(
        self,
        engines: list[EngineOption],
        current_engine: str = "",
        current_volume: str = "",
        current_folder: str = "",
        parent: QWidget | None = None,
        restoring: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Restore {restoring} into" if restoring else "Where the server lives")
        self.action = OPEN
        self.engine_combo = QComboBox(editable=True)
        self.engine_combo.lineEdit().setPlaceholderText("a docker context, or ssh://user@host, tcp://host:2376")
        for option in engines:
            self.engine_combo.addItem(option.label, option.ref)
        self._select_engine(current_engine)
        self.folder_radio = QRadioButton("A folder on this computer")
        self.volume_radio = QRadioButton("A Docker volume on that engine (data never touches this computer's disk)")
        group = QButtonGroup(self)
        group.addButton(self.folder_radio)
        group.addButton(self.volume_radio)
        self.folder_edit = QLineEdit(current_folder)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.volume_edit = QLineEdit(current_volume or "pypi-desk", placeholderText="e.g. team-index")
        (self.volume_radio if current_volume else self.folder_radio).setChecked(True)
        self.hint_label = QLabel(
            "Docker reaches other machines with ssh://user@host (your ssh keys and known hosts), tcp:// with TLS, "
            "or a context from 'docker context create'. A server bound to that machine's 127.0.0.1 is reached "
            "through an SSH tunnel PyPI Desk opens.",
            wordWrap=True,
            objectName="noteLabel",
        )
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.addButton(
            "Restore here" if restoring else "Open", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.move_button = self.buttons.addButton("Move this index here", QDialogButtonBox.ButtonRole.ActionRole)
        self.move_button.setVisible(not restoring)
        self.open_button.clicked.connect(lambda: self._finish(RESTORE if restoring else OPEN))
        self.move_button.clicked.connect(lambda: self._finish(MOVE))
        self.buttons.rejected.connect(self.reject)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Docker engine:", self.engine_combo)
        form.addRow("Data:", self.folder_radio)
        form.addRow("", folder_row)
        form.addRow("", self.volume_radio)
        form.addRow("Volume name:", self.volume_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.engine_combo.currentTextChanged.connect(self._engine_changed)
        self.folder_edit.textChanged.connect(self._update)
        self.volume_edit.textChanged.connect(self._update)
        self.folder_radio.toggled.connect(self._update)
        self._update()

    def _select_engine(self, ref: str) -> None:
        index = self.engine_combo.findData(ref)
        if index >= 0:
            self.engine_combo.setCurrentIndex(index)
        else:
            self.engine_combo.setEditText(ref)

    def engine_ref(self) -> str:
        """What the user chose: an offered engine's reference, or the text typed (a URL or context name)."""
        index = self.engine_combo.currentIndex()
        text = self.engine_combo.currentText().strip()
        if index >= 0 and text == self.engine_combo.itemText(index):
            return str(self.engine_combo.itemData(index) or "")
        return text

    def values(self) -> Location:
        volume = self.volume_radio.isChecked()
        return Location(
            engine=self.engine_ref(),
            volume=self.volume_edit.text().strip() if volume else "",
            folder="" if volume else self.folder_edit.text().strip(),
            action=self.action,
        )

    def validate(self) -> str | None:
        """Why these choices cannot be used, or None."""
        values = self.values()
        try:
            engine = parse_engine(values.engine)
            if values.volume or self.volume_radio.isChecked():
                check_volume_name(values.volume)
            elif not values.folder:
                return "Choose a folder, or keep the data in a Docker volume."
            elif not engine.is_default:
                return (
                    "A server on another engine keeps its data in a volume there: a folder of this computer is not "
                    "on that machine. Choose \u201cA Docker volume\u201d."
                )
        except DeskError as exc:
            return str(exc)
        return None

    def _engine_changed(self) -> None:
        """Another machine's engine keeps the data in a volume there: choose that for the user."""
        try:
            remote = not parse_engine(self.engine_ref()).is_default
        except DeskError:
            remote = False
        if remote and self.folder_radio.isChecked():
            self.volume_radio.setChecked(True)
        self._update()

    def _update(self) -> None:
        folder = self.folder_radio.isChecked()
        self.folder_edit.setEnabled(folder)
        self.browse_button.setEnabled(folder)
        self.volume_edit.setEnabled(not folder)
        problem = self.validate()
        self.error_label.setText(problem or "")
        self.open_button.setEnabled(problem is None)
        self.move_button.setEnabled(problem is None)

    def _browse(self) -> None:
        self.file_dialog = QFileDialog(self, "Choose the server's data folder", self.folder_edit.text())
        self.file_dialog.setFileMode(QFileDialog.FileMode.Directory)
        self.file_dialog.fileSelected.connect(self.folder_edit.setText)
        self.file_dialog.open()

    def _finish(self, action: str) -> None:
        if self.validate() is None:
            self.action = action
            self.accept()
