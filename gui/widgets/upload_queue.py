"""The upload queue: one row per file, with a progress bar and its outcome in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar

AnyIndex = QModelIndex | QPersistentModelIndex
HEADERS = ("File", "Progress", "Outcome")


@dataclass
class UploadRow:
    name: str
    percent: int = 0
    state: str = "waiting"  # waiting, checking, sending, done, failed
    message: str = "Waiting"


_STATE_COLOURS = {"done": QColor("#1b7f3b"), "failed": QColor("#c0262d")}


class UploadQueueModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[UploadRow] = []

    def add(self, name: str, message: str = "Waiting") -> int:
        row = len(self.rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self.rows.append(UploadRow(name, message=message))
        self.endInsertRows()
        return row

    def update(self, row: int, *, percent: int | None = None, state: str | None = None, message: str | None = None):
        entry = self.rows[row]
        if percent is not None:
            entry.percent = percent
        if state is not None:
            entry.state = state
        if message is not None:
            entry.message = message
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    def clear_finished(self) -> None:
        self.beginResetModel()
        self.rows = [row for row in self.rows if row.state not in ("done", "failed")]
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's own signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.name, f"{row.percent}%", row.message)[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return row.percent
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.message
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            return _STATE_COLOURS.get(row.state)
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
