"""The upload queue: one row per item of a batch, with a progress bar and its outcome in plain words.

Rows are found by the item's id, never by position: clearing finished rows while an
upload is still sending does not move its later progress onto another file's row.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar

from gui.services.packages.service import UploadEvent
from gui.widgets.palette import colour
from gui.widgets.table_model import AnyIndex, RowTableModel

_STATE_COLOURS = {"done": "success", "failed": "failure"}


class UploadQueueModel(RowTableModel):
    """Rows are the latest :class:`UploadEvent` of each item."""

    HEADERS = ("File", "Progress", "Outcome")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._row_of: dict[int, int] = {}

    def apply(self, event: UploadEvent) -> None:
        """Show an item's new step: a new row for a new item, else its own row updated."""
        row = self._row_of.get(event.item)
        if row is None:
            row = len(self.rows)
            self.beginInsertRows(QModelIndex(), row, row)
            self.rows.append(event)
            self._row_of[event.item] = row
            self.endInsertRows()
            return
        self.rows[row] = event
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def clear_finished(self) -> None:
        self.set_rows(event for event in self.rows if not event.finished)
        self._row_of = {event.item: row for row, event in enumerate(self.rows)}

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        event: UploadEvent = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (event.name, f"{event.percent}%", event.message)[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return event.percent
        if role == Qt.ItemDataRole.ToolTipRole:
            return event.message
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2 and event.state in _STATE_COLOURS:
            return colour(_STATE_COLOURS[event.state])
        return None


class ProgressDelegate(QStyledItemDelegate):
    """Paints the Progress column as a progress bar."""

    def paint(self, painter, option, index) -> None:
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(index.data(Qt.ItemDataRole.UserRole) or 0)
        bar.text = f"{bar.progress}%"
        bar.textVisible = True
        bar.state = option.state
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
