"""The trash dialog: what cleanups removed, each cleanup one entry; restore one in one action, or empty it."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from gui.services.packages.listing import counted, human_size
from gui.services.usage.service import UsageService
from gui.services.usage.trash_bin import TrashEntry
from gui.widgets.confirm import confirm
from gui.widgets.table_model import AnyIndex, RowTableModel
from gui.workers.service_worker import ServiceWorker


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


class TrashModel(RowTableModel):
    """One row per trash entry (``rows`` are TrashEntry), newest first."""

    HEADERS = ("Removed", "Files", "Size", "Emptied after")

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        entry: TrashEntry = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return entry
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(entry.files[:40]) + ("\n…" if len(entry.files) > 40 else "")
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return (_when(entry.made), counted(len(entry.files), "file"), human_size(entry.size),
                _when(entry.expires))[index.column()]  # fmt: skip


class TrashDialog(QDialog):
    restored = Signal(str)  # what was done, in words
    loaded = Signal(list)  # the TrashEntry list now shown

    def __init__(self, worker: ServiceWorker, usage: UsageService, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Trash")
        self._worker = worker
        self._usage = usage
        self.confirm_box = None
        self.model = TrashModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.files_label = QLabel(wordWrap=True)
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.error_label.hide()
        self.restore_button = QPushButton("Restore")
        self.empty_button = QPushButton("Empty for good…")
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.empty_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Files removed by a cleanup, kept until the date shown.", objectName="noteLabel"))
        layout.addWidget(self.view, 1)
        layout.addWidget(self.files_label)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self.resize(620, 400)
        self.view.selectionModel().selectionChanged.connect(self._chosen)
        self.restore_button.clicked.connect(self.restore)
        self.empty_button.clicked.connect(self.confirm_empty)
        self.close_button.clicked.connect(self.reject)
        self._chosen()
        self.reload()

    def reload(self) -> None:
        self._worker.submit(self._usage.trash, self._show, self._failed)

    def _show(self, entries: list[TrashEntry]) -> None:
        self.model.set_rows(entries)
        if entries:
            self.view.selectRow(0)
        self._chosen()
        self.loaded.emit(entries)

    def selected(self) -> TrashEntry | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].data(Qt.ItemDataRole.UserRole) if rows else None

    def _chosen(self, *_args: object) -> None:
        entry = self.selected()
        self.restore_button.setEnabled(entry is not None)
        self.empty_button.setEnabled(entry is not None)
        self.files_label.setText(", ".join(entry.files[:10]) + (" …" if len(entry.files) > 10 else "") if entry else "")

    def restore(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        self.restore_button.setEnabled(False)
        self._worker.submit(lambda: self._usage.restore(entry.entry), self._restored, self._failed)

    def _restored(self, outcome: tuple[list[str], list[str]]) -> None:
        restored, taken = outcome
        said = f"Restored {counted(len(restored), 'file')} from the trash."
        if taken:
            said += f" Left in the trash (another file is in its place): {', '.join(taken)}."
            self.error_label.setText(said)
            self.error_label.show()
        self.restored.emit(said)
        self.reload()

    def confirm_empty(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        self.confirm_box = confirm(
            self,
            "Empty for good",
            f"Delete these {counted(len(entry.files), 'file')} for good? They cannot be restored afterwards.",
            "Delete for good",
            lambda: self._empty(entry.entry),
        )

    def _empty(self, entry: str) -> None:
        self._worker.submit(lambda: self._usage.empty_trash(entry), lambda _gone: self.reload(), self._failed)

    def _failed(self, error: Exception) -> None:
        self._chosen()
        self.error_label.setText(str(error))
        self.error_label.show()
