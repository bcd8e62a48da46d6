"""The log pane's lines as a table model: bounded, appended in batches, coloured by status."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from gui.services.server.access_log import status_code
from gui.widgets.palette import colour
from gui.widgets.table_model import AnyIndex, RowTableModel

DEFAULT_MAX_LINES = 50_000
APP_MESSAGE = -1  # status of lines the app itself adds (notes, errors)

_COLOURS = {2: colour("success"), 3: colour("info"), 4: colour("caution"), 5: colour("failure")}
_APP_COLOUR = colour("app")


class LogModel(RowTableModel):
    """Columns: status code (blank for non-request lines) and the line itself; rows are (status, text)."""

    HEADERS = ("Status", "Line")
    COLUMN_STATUS = 0
    COLUMN_TEXT = 1

    def __init__(self, max_lines: int = DEFAULT_MAX_LINES, parent=None) -> None:
        super().__init__(parent)
        self._max_lines = max_lines

    @property
    def max_lines(self) -> int:
        return self._max_lines

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        status, text = self.rows[index.row()]
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
        overflow = len(self.rows) + len(rows) - self._max_lines
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self.rows[:overflow]
            self.endRemoveRows()
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()

    def clear(self) -> None:
        self.set_rows([])

    def text_lines(self) -> list[str]:
        return [text for _, text in self.rows]
