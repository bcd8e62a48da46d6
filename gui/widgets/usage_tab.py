"""The Usage tab: what the index is used for, as charts (downloads per day, top projects and versions, users,
clients, storage), and the way to clean up by rules (a preview, then the trash) or restore from the trash.

It presents and forwards: the figures are one core call on the worker, made when the tab is shown,
when the period or project changes, and after a cleanup; a click on a bar that names a project
asks the window to select it in the Packages tab (``project_chosen``).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gui.services.core import DeskServices
from gui.services.packages.listing import Listing
from gui.services.usage.figures import PERIODS, UsageFigures
from gui.widgets.prune_dialog import PruneDialog
from gui.widgets.trash_dialog import TrashDialog
from gui.widgets.usage_charts import DownloadsOverTime, RankedBars
from gui.workers.service_worker import ServiceWorker

ALL_PROJECTS = "All projects"
SHOWN_ROWS = 10  # bars a chart shows (``pypi-desk stats`` prints 20)
ANONYMOUS_LABEL = "no password asked"  # downloads by nobody in particular (a user name has no spaces)


class UsageTab(QWidget):
    message = Signal(str)
    project_chosen = Signal(str)  # a chart's bar was clicked: select this project in the Packages tab
    figures_shown = Signal(object)  # UsageFigures, once drawn
    changed_index = Signal()  # a cleanup or a restore changed what the index hosts

    def __init__(self, worker: ServiceWorker, services: DeskServices, parent=None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._services = services
        self._listing: Listing | None = None
        self._stale = True  # the figures on screen predate the last change (loaded when next shown)
        self._asked = 0  # the latest refresh: an answer to an earlier one (another index, an older listing) is dropped
        self.figures: UsageFigures | None = None
        self.prune_dialog: PruneDialog | None = None
        self.trash_dialog: TrashDialog | None = None

        self.period_box = QComboBox()
        for days in PERIODS:
            self.period_box.addItem(f"Last {days} days", days)
        self.project_box = QComboBox()
        self.project_box.addItem(ALL_PROJECTS, None)
        self.project_box.setMinimumContentsLength(24)
        self.refresh_button = QPushButton("Refresh")
        self.prune_button = QPushButton("Clean up…")
        self.prune_button.setToolTip("Remove old, unused versions by rules: a preview first, then the trash")
        self.trash_button = QPushButton("Trash…")
        self.summary_label = QLabel()
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.error_label.hide()
        self.over_time = DownloadsOverTime()
        self.top_projects = RankedBars("Top projects")
        self.top_versions = RankedBars("Top versions")
        self.storage = RankedBars("Storage by project", sizes=True)
        self.users = RankedBars("By user")
        self.clients = RankedBars("By client")

        top = QHBoxLayout()
        top.addWidget(self.period_box)
        top.addWidget(self.project_box)
        top.addWidget(self.refresh_button)
        top.addWidget(self.summary_label, 1)
        top.addWidget(self.prune_button)
        top.addWidget(self.trash_button)
        grid = QGridLayout()
        grid.addWidget(self.over_time, 0, 0, 1, 3)
        grid.addWidget(self.top_projects, 1, 0)
        grid.addWidget(self.top_versions, 1, 1)
        grid.addWidget(self.storage, 1, 2)
        grid.addWidget(self.users, 2, 0)
        grid.addWidget(self.clients, 2, 1)
        note = QLabel(
            "Whole downloads as the server recorded them (no HEAD, range or cached answers), by UTC day. "
            "Click a project's bar to find it in the Packages tab.",
            wordWrap=True,
            objectName="noteLabel",
        )
        grid.addWidget(note, 2, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addLayout(grid, 1)

        self.period_box.currentIndexChanged.connect(self.refresh)
        self.project_box.currentIndexChanged.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.prune_button.clicked.connect(self.open_prune)
        self.trash_button.clicked.connect(self.open_trash)
        for chart in (self.over_time, self.top_projects, self.top_versions, self.storage):
            chart.project_clicked.connect(self.project_chosen.emit)

    def set_services(self, services: DeskServices) -> None:
        self._services = services
        self._listing = None
        self._asked += 1  # what is on its way is another index's
        self._stale = True
        if self.isVisible():
            self.refresh()

    def set_listing(self, listing: Listing) -> None:
        """The Packages tab's listing (its names fill the project box); the figures reload now when shown, else
        when next shown."""
        self._listing = listing
        names = [project.name for project in listing.projects]
        chosen = self.project_box.currentData()
        self.project_box.blockSignals(True)
        self.project_box.clear()
        self.project_box.addItem(ALL_PROJECTS, None)
        for name in names:
            self.project_box.addItem(name, name)
        index = self.project_box.findData(chosen) if chosen else 0
        self.project_box.setCurrentIndex(max(index, 0))
        self.project_box.blockSignals(False)
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self, *_args: object) -> None:
        days = int(self.period_box.currentData())
        project = self.project_box.currentData()
        usage, listing = self._services.usage, self._listing
        self._stale = False
        self._asked += 1
        asked = self._asked
        self.refresh_button.setEnabled(False)
        self._worker.submit(
            lambda: usage.figures(days, project, listing),
            lambda figures: self.show_figures(figures) if asked == self._asked else None,
            lambda error: self._failed(error) if asked == self._asked else None,
        )

    def show_figures(self, figures: UsageFigures) -> None:
        self.figures = figures
        self.refresh_button.setEnabled(True)
        self.error_label.hide()
        self.over_time.set_days(list(figures.per_day), figures.project)
        shown = SHOWN_ROWS
        self.top_projects.set_rows([(name, count, name) for name, count in figures.projects[:shown]])
        self.top_versions.set_rows([(f"{name} {v}", count, name) for name, v, count in figures.versions[:shown]])
        self.storage.set_rows([(name, size, name) for name, size in figures.storage[:shown]], "no packages")
        self.users.set_rows([(name or ANONYMOUS_LABEL, count, None) for name, count in figures.users[:shown]])
        self.clients.set_rows([(name, count, None) for name, count in figures.clients])
        said = f"{figures.total:,} downloads in {figures.days} days"
        if not figures.recording:
            said += (": downloads are not being recorded (Download records is off in the Server tab, or the server "
                     "runs the plain way or has not started since)")  # fmt: skip
        self.summary_label.setText(said)
        self.figures_shown.emit(figures)

    def _failed(self, error: Exception) -> None:
        self.refresh_button.setEnabled(True)
        self.prune_button.setEnabled(True)
        self.error_label.setText(str(error))
        self.error_label.show()

    # -- cleanup ----------------------------------------------------------------

    def open_prune(self) -> None:
        if self.prune_dialog is not None and self.prune_dialog.isVisible():
            self.prune_dialog.raise_()
            return
        self.prune_button.setEnabled(False)  # until the dialog is open: one dialog, however often it is clicked
        server = self._services.server
        self._worker.submit(lambda: server.load_settings().trash_days, self._show_prune, self._failed)

    def _show_prune(self, trash_days: int) -> None:
        self.prune_button.setEnabled(True)
        self.prune_dialog = PruneDialog(self._worker, self._services.usage, trash_days, self)
        self.prune_dialog.applied.connect(self._changed)
        self.prune_dialog.open()

    def open_trash(self) -> None:
        if self.trash_dialog is not None and self.trash_dialog.isVisible():
            self.trash_dialog.raise_()
            return
        self.trash_dialog = TrashDialog(self._worker, self._services.usage, self)
        self.trash_dialog.restored.connect(self._changed)
        self.trash_dialog.open()

    def _changed(self, said: str) -> None:
        self.message.emit(said)
        self.changed_index.emit()
        self.refresh()
