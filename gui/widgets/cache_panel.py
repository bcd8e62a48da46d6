"""The Packages tab's list of public projects kept from upstream: each with its files and size, a name the team
also hosts flagged; clear one or all, and **Add from PyPI…** (a set for machines without internet)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.services.core import DeskServices
from gui.services.packages.index_facts import CachedProject, IndexFacts
from gui.services.packages.listing import counted, human_size
from gui.widgets.confirm import confirm
from gui.widgets.mirror_dialog import MirrorDialog
from gui.widgets.table_model import AnyIndex, RowTableModel
from gui.workers.service_worker import ServiceWorker

BOTH = "also the team's: only the team's files are served"
WARNING_COLOUR = QColor("#b35c00")


class CachedProjectModel(RowTableModel):
    """One row per cached project (``rows`` are CachedProject); ``both`` the names the team also hosts."""

    HEADERS = ("Cached from upstream", "Files", "Size", "Last fetched", "Note")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.both: set[str] = set()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        project: CachedProject = self.rows[index.row()]
        flagged = project.name in self.both
        if role == Qt.ItemDataRole.UserRole:
            return project
        if role == Qt.ItemDataRole.ForegroundRole and flagged:
            return QBrush(WARNING_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(f.filename for f in project.files[:40]) + ("\n…" if len(project.files) > 40 else "")
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        last = max((f.fetched_at for f in project.files), default=0.0)
        return (project.name, str(len(project.files)), human_size(project.size),
                time.strftime("%Y-%m-%d %H:%M", time.localtime(last)) if last else "",
                BOTH if flagged else "")[index.column()]  # fmt: skip


class CachePanel(QWidget):
    message = Signal(str)
    #: The cache was changed (cleared, or a set added): the listing shows it within seconds anyway.
    changed = Signal()

    def __init__(self, worker: ServiceWorker, transfers: ServiceWorker, services: DeskServices, parent=None) -> None:
        """``transfers``: the worker sets are fetched on (they take long; the window's other work goes on)."""
        super().__init__(parent)
        self._worker = worker
        self._transfers = transfers
        self._services = services
        self.confirm_box = None
        self.dialog: MirrorDialog | None = None
        self._upstream_problem = ""  # said once in the log pane when it changes
        self.model = CachedProjectModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 55), (2, 80), (3, 125)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, width)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.summary_label = QLabel(wordWrap=True)
        self.add_button = QPushButton("Add from PyPI…")
        self.add_button.setToolTip("Fetch a set of public packages into the cache, for machines without internet")
        self.add_button.clicked.connect(self.open_add_dialog)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove the selected project from the cache (fetched again when next asked)")
        self.clear_button.clicked.connect(lambda: self._confirm_clear(self._selected()))
        self.clear_all_button = QPushButton("Clear all…")
        self.clear_all_button.clicked.connect(lambda: self._confirm_clear(None))
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary_label, 1)
        for button in (self.add_button, self.clear_button, self.clear_all_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self._selection_changed()

    def set_services(self, services: DeskServices) -> None:
        self.cancel_fetch()
        self._services = services
        self._upstream_problem = ""  # another index: its upstream is another question

    def show_cache(self, facts: IndexFacts, hosted: set[str]) -> None:
        """The cached projects of ``facts``; names in ``hosted`` (the team's) flagged."""
        chosen = self._selected()
        projects = [facts.cached[name] for name in sorted(facts.cached)]
        self.model.both = hosted & set(facts.cached)
        self.model.set_rows(projects)
        for row, project in enumerate(projects):
            if project.name == chosen:
                self.view.selectRow(row)
        size = sum(project.size for project in projects)
        text = (f"Public packages kept from upstream: {counted(len(projects), 'project')}, "
                f"{counted(sum(len(p.files) for p in projects), 'file')}, {human_size(size)}.")  # fmt: skip
        if self.model.both:
            text += f" {counted(len(self.model.both), 'name')} also the team's: see the Note column."
        if facts.upstream_problem:
            text += f" Upstream could not be reached when last asked: {facts.upstream_problem}."
        if facts.upstream_problem != self._upstream_problem:
            self._upstream_problem = facts.upstream_problem
            problem = facts.upstream_problem
            self.message.emit(f"Upstream cannot be reached: {problem}. Kept projects are served; others wait until "
                              "it can be." if problem else "Upstream is reached again.")  # fmt: skip
        self.summary_label.setText(text)
        self.clear_all_button.setEnabled(bool(projects))
        self._selection_changed()

    def _selected(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].data(Qt.ItemDataRole.UserRole).name if rows else None

    def _selection_changed(self, *_args: object) -> None:
        self.clear_button.setEnabled(self._selected() is not None)

    def _confirm_clear(self, name: str | None) -> None:
        what = f"{name} from the cache" if name else "every project from the cache"
        self.confirm_box = confirm(self, "Clear the cache", f"Remove {what}? Its files are fetched from upstream "
                                   "again when next asked (not while upstream cannot be reached).",
                                   "Clear", lambda: self._clear(name))  # fmt: skip

    def _clear(self, name: str | None) -> None:
        def done(gone: dict) -> None:
            self.message.emit(f"Removed {counted(int(gone.get('files', 0)), 'file')} "
                              f"({human_size(int(gone.get('bytes', 0)))}) from the cache.")  # fmt: skip
            self.changed.emit()

        self._worker.submit(lambda: self._services.cache.clear(name), done, lambda error: self.message.emit(str(error)))

    def open_add_dialog(self) -> MirrorDialog:
        """The dialog; the one fetching now, when a set is under way (closing it left the fetch running)."""
        if self.dialog is None or not self.dialog.fetching:
            self.dialog = MirrorDialog(self._transfers, self._services.cache, self)
            self.dialog.finished_set.connect(self._set_fetched)
            self.dialog.failed_set.connect(lambda why: self.message.emit(f"Add from PyPI: {why}"))
        self.dialog.open()
        return self.dialog

    def _set_fetched(self, report: str) -> None:
        targets = [line for line in report.splitlines() if not line.startswith(" ")]  # one line a target
        self.message.emit("Add from PyPI: " + " ".join(targets))
        self.changed.emit()

    def cancel_fetch(self) -> None:
        """Stop a set under way (the window closes, or shows another index)."""
        if self.dialog is not None and self.dialog.fetching:
            self.dialog.cancel()
