"""The Usage view's charts, drawn by pyqtgraph (a plotting library made for Qt): downloads over time, and ranked
bars (top projects, versions, users, clients, storage). They only present: a click on a bar that names a
project says so with ``project_clicked``."""

from __future__ import annotations

import datetime

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPalette

from gui.services.packages.listing import human_size

DAY_SECONDS = 86400
LABEL_WIDTHS = (60, 170)  # the names' column of a ranked chart, in pixels: at least, at most


class _Chart(pg.PlotWidget):
    """A still chart in the window's colours: no panning, zooming or context menu."""

    def __init__(self, title: str, parent=None, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        palette = self.palette()
        self.setBackground(palette.color(QPalette.ColorRole.Base))
        self._text = palette.color(QPalette.ColorRole.Text)
        self.bar_colour = QColor(palette.color(QPalette.ColorRole.Highlight))
        self.setTitle(title, color=self._text.name(), size="10pt")
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.hideButtons()
        for side in ("left", "bottom"):
            axis = self.getAxis(side)
            axis.setPen(self._text)
            axis.setTextPen(self._text)
        self.setMinimumHeight(170)

    def _view_point(self, event) -> QPointF | None:
        """Where a scene click fell, in the chart's own coordinates (None: outside its plot)."""
        position = event.scenePos()
        box = self.getPlotItem().vb
        if not box.sceneBoundingRect().contains(position):
            return None
        return box.mapSceneToView(position)


class RankedBars(_Chart):
    """Horizontal bars, the largest on top; each row may carry the project a click selects."""

    project_clicked = Signal(str)

    def __init__(self, title: str, sizes: bool = False, parent=None) -> None:
        super().__init__(title, parent)
        self._sizes = sizes  # values are bytes
        self._keys: list[str | None] = []
        self.rows: list[tuple[str, int]] = []  # (label, value), as drawn
        self.getPlotItem().invertY(True)
        self.getAxis("bottom").setStyle(showValues=not sizes)
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_rows(self, rows: list[tuple[str, int, str | None]], empty: str = "nothing recorded yet") -> None:
        """(label, value, project a click selects or None) each, largest first."""
        self.clear()
        self.rows = [(label, value) for label, value, _ in rows]
        self._keys = [key for _, _, key in rows]
        self.getAxis("bottom").setStyle(showValues=bool(rows) and not self._sizes)
        if not rows:
            self.getAxis("left").setTicks([[]])
            self.addItem(pg.TextItem(empty, color=self._text, anchor=(0.5, 0.5)))
            self.setXRange(-1, 1)
            self.setYRange(-1, 1)
            return
        values = [value for _, value, _ in rows]
        self.addItem(pg.BarGraphItem(x0=0, y=list(range(len(rows))), height=0.7, width=values,
                                     brush=self.bar_colour, pen=None))  # fmt: skip
        self._label_rows([label for label, _, _ in rows])
        top = max(values) or 1
        for row, value in enumerate(values):
            text = human_size(value) if self._sizes else f"{value:,}"
            tag = pg.TextItem(text, color=self._text, anchor=(0, 0.5))
            tag.setPos(value + top * 0.01, row)
            self.addItem(tag)
        self.setXRange(0, top * (1.4 if self._sizes else 1.25), padding=0)
        self.setYRange(-0.6, len(rows) - 0.4, padding=0)

    def _label_rows(self, labels: list[str]) -> None:
        """Each row's name beside it, shortened in the middle when it is long: pyqtgraph leaves out a label that
        does not fit its axis, so the axis is made as wide as the longest (within LABEL_WIDTHS)."""
        axis = self.getAxis("left")
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        least, most = LABEL_WIDTHS
        shown = [metrics.elidedText(label, Qt.TextElideMode.ElideMiddle, most - 16) for label in labels]
        axis.setWidth(max(least, min(most, max(metrics.horizontalAdvance(text) for text in shown) + 16)))
        axis.setTicks([list(enumerate(shown)), []])

    def _clicked(self, event) -> None:
        point = self._view_point(event)
        if point is None or not self._keys:
            return
        row = round(point.y())
        if 0 <= row < len(self._keys) and self._keys[row]:
            self.project_clicked.emit(self._keys[row])

    def point_of_row(self, row: int) -> QPointF:
        """The scene point in the middle of a row's bar (tests click there)."""
        box = self.getPlotItem().vb
        return box.mapViewToScene(QPointF(max(self.rows[row][1] / 2, 0.01), row))


class DownloadsOverTime(_Chart):
    """Downloads per day: a bar a day over the period; a click selects the project shown, when it is one."""

    project_clicked = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__("Downloads per day", parent, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.project: str | None = None
        self.days: list[tuple[datetime.date, int]] = []
        self.getAxis("bottom").setPen(self._text)
        self.getAxis("bottom").setTextPen(self._text)
        self.setMinimumHeight(200)
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_days(self, days: list[tuple[datetime.date, int]], project: str | None) -> None:
        self.clear()
        self.project = project
        self.days = days
        total = sum(count for _, count in days)
        scope = project or "all projects"
        self.setTitle(f"Downloads per day, {scope}: {total:,} in {len(days)} days", color=self._text.name())
        self.getAxis("left").setStyle(showValues=total > 0)
        if not days:
            return
        stamps = [datetime.datetime(d.year, d.month, d.day, tzinfo=datetime.timezone.utc).timestamp() for d, _ in days]
        if total == 0:
            note = pg.TextItem("no downloads recorded in this period", color=self._text, anchor=(0.5, 0.5))
            note.setPos((stamps[0] + stamps[-1] + DAY_SECONDS) / 2, 0.55)
            self.addItem(note)
        counts = [count for _, count in days]
        self.addItem(pg.BarGraphItem(x=[s + DAY_SECONDS / 2 for s in stamps], height=counts,
                                     width=DAY_SECONDS * 0.8, brush=self.bar_colour, pen=None))  # fmt: skip
        self.setXRange(stamps[0], stamps[-1] + DAY_SECONDS, padding=0.01)
        self.setYRange(0, max(max(counts), 1) * 1.1, padding=0)

    def _clicked(self, event) -> None:
        if self.project and self._view_point(event) is not None:
            self.project_clicked.emit(self.project)
