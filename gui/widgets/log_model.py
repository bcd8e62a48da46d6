"""The log pane's lines as a table model: bounded, appended in batches, coloured by status."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from gui.services.access_log import status_code

DEFAULT_MAX_LINES = 50_000
APP_MESSAGE = -1  # status of lines the app itself adds (notes, errors)

_COLOURS = {
    2: QColor("#1b7f3b"),
    3: QColor("#1f5fae"),
    4: QColor("#b35c00"),
    5: QColor("#c0262d"),
}
_APP_COLOUR = QColor("#6b4fbb")

AnyIndex = QModelIndex | QPersistentModelIndex


class LogModel(QAbstractTableModel):
    """Columns: status code (blank for non-request lines) and the line itself."""

    COLUMN_STATUS = 0
    COLUMN_TEXT = 1

    def __init__(self, max_lines: int = DEFAULT_MAX_LINES, parent=None) -> None:
        super().__init__(parent)
        self._max_lines = max_lines
        self._rows: list[tuple[int | None, str]] = []

    @property
    def max_lines(self) -> int:
        return self._max_lines

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's own signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return ("Status", "Line")[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        status, text = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == self.COLUMN_TEXT:
                return text
            return "" if status is None or status == APP_MESSAGE else str(status)
        if role == Qt.ItemDataRole.ForegroundRole and status is not None:
            return _APP_COLOUR if status == APP_MESSAGE else _COLOURS.get(status // 100)
        if role == Qt.ItemDataRole.UserRole:
            return status
        return None

    def append_lines(self, lines: list[str]) -> None:
        """Append server lines, dropping the oldest past the cap."""
        self._append([(status_code(line), line) for line in lines[-self._max_lines :]])

    def append_message(self, text: str) -> None:
        """Append a line from the app itself (a note or an error), one row per text line."""
        self._append([(APP_MESSAGE, f"[PyPI Desk] {line}") for line in text.splitlines() or [""]])

    def _append(self, rows: list[tuple[int | None, str]]) -> None:
        if not rows:
            return
        overflow = len(self._rows) + len(rows) - self._max_lines
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self._rows[:overflow]
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()

    def text_lines(self) -> list[str]:
        return [text for _, text in self._rows]
