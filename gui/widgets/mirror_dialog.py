"""**Add from PyPI…**: a set of public packages fetched into the cache for machines without internet: the
requirements, the platforms and Python versions to fetch for, a progress bar, and what came for each target."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
)

from gui.services.cache.mirror import TargetReport
from gui.services.cache.service import CacheService
from gui.services.cache.targets import PLATFORMS, Target, parse_targets
from gui.services.errors import DeskError
from gui.services.packages.listing import counted, human_size
from gui.workers.service_worker import ServiceWorker


@dataclass(frozen=True)
class MirrorValues:
    requirements: list[str]
    targets: list[Target]
    sdists: bool


class MirrorDialog(QDialog):
    """Closing it leaves a fetch under way running (its outcome goes to the log pane); **Stop** ends it."""

    #: The set was fetched: the report, in words.
    finished_set = Signal(str)
    #: The set could not be fetched (or was stopped): why.
    failed_set = Signal(str)

    def __init__(self, worker: ServiceWorker, cache: CacheService, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add from PyPI")
        self._worker = worker
        self._cache = cache
        self.fetching = False
        self._cancel = threading.Event()
        self.requirements_edit = QPlainTextEdit(placeholderText="One requirement a line, as in requirements.txt:\n"
                                                "requests>=2.31\nnumpy<2")  # fmt: skip
        self.platform_boxes = {name: QCheckBox(name) for name in PLATFORMS}
        self.platform_boxes["linux-x86_64"].setChecked(True)
        self.python_edit = QLineEdit("3.12", placeholderText="such as 3.10, 3.12")
        self.sdists_box = QCheckBox("Keep each release's sdist too")
        self.progress_bar = QProgressBar()
        self.progress_bar.hide()
        self.status_label = QLabel(wordWrap=True)
        self.report_edit = QPlainTextEdit(readOnly=True)
        self.report_edit.hide()
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close)
        self.fetch_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.fetch_button.setText("Fetch into the cache")
        self.stop_button = self.buttons.addButton("Stop", QDialogButtonBox.ButtonRole.ActionRole)
        self.stop_button.clicked.connect(self.cancel)
        self.stop_button.hide()
        self.buttons.accepted.connect(self.fetch)
        self.buttons.rejected.connect(self.reject)
        platforms = QGridLayout()
        for number, box in enumerate(self.platform_boxes.values()):
            platforms.addWidget(box, number // 3, number % 3)
        form = QFormLayout()
        form.addRow("Requirements", self.requirements_edit)
        form.addRow("Platforms", platforms)
        form.addRow("Python versions", self.python_edit)
        form.addRow("", self.sdists_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for widget in (self.progress_bar, self.status_label, self.report_edit, self.error_label, self.buttons):
            layout.addWidget(widget)
        self.requirements_edit.textChanged.connect(self._on_edit)
        self.python_edit.textChanged.connect(self._on_edit)
        for box in self.platform_boxes.values():
            box.toggled.connect(self._on_edit)
        self._on_edit()

    def values(self) -> MirrorValues:
        """What the form says; raises DeskError naming what to change."""
        from gui.services.cache.mirror import read_requirements, requirement_lines

        lines = self.requirements_edit.toPlainText().splitlines()
        requirements = read_requirements(requirement_lines(lines, "A line"), [])
        platforms = [name for name, box in self.platform_boxes.items() if box.isChecked()]
        return MirrorValues(requirements, parse_targets(platforms, [self.python_edit.text()]),
                            self.sdists_box.isChecked())  # fmt: skip

    def validate(self) -> str | None:
        try:
            self.values()
        except DeskError as exc:
            return str(exc)
        return None

    def _on_edit(self) -> None:
        problem = self.validate()
        self._say(problem if problem and self.requirements_edit.toPlainText().strip() else "")
        self.fetch_button.setEnabled(problem is None and not self.fetching)

    def _say(self, text: str) -> None:
        self.error_label.setText(text)
        self.adjustSize()  # a long message is read whole, not clipped

    def cancel(self) -> None:
        """Stop the fetch under way (what came so far stays, verified)."""
        self._cancel.set()
        self.stop_button.setEnabled(False)
        self.status_label.setText("Stopping…")

    def fetch(self) -> None:
        """Resolve and fetch the set on the worker, the bar following it."""
        if self.fetching:
            return
        values = self.values()
        self.fetching = True
        self._cancel = threading.Event()
        cancel = self._cancel
        self.fetch_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.stop_button.show()
        self.error_label.clear()
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self.status_label.setText(f"Resolving for {counted(len(values.targets), 'target')}…")
        self._worker.submit(
            lambda progress: self._cache.add_set(values.requirements, values.targets, values.sdists,
                                                 lambda done, total, text: progress((done, total, text)), cancel),
            self._done, self._failed, on_progress=self._progressed,
        )  # fmt: skip

    def _progressed(self, step: tuple[int, int, str]) -> None:
        done, total, text = step
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.status_label.setText(text)

    def _done(self, reports: list[TargetReport]) -> None:
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        lines = []
        for report in reports:
            lines.append(f"{report.target}: {counted(len(report.files), 'file')}, {human_size(report.size)} "
                         f"({report.fetched} fetched now)")  # fmt: skip
            lines += [f"    {name}  {human_size(size)}" for name, size, _ in report.files]
            if report.sdist_only:
                lines.append(f"    no wheel for it, the sdist instead: {', '.join(report.sdist_only)}")
        text = "\n".join(lines)
        self.status_label.setText("Done: the cache keeps every file each target needs.")
        self.report_edit.setPlainText(text)
        self.report_edit.show()
        self._ended()
        self.finished_set.emit(text)

    def _failed(self, error: Exception) -> None:
        self.progress_bar.hide()
        self.status_label.clear()
        self._say(str(error))
        self._ended()
        self.failed_set.emit(str(error))

    def _ended(self) -> None:
        self.fetching = False
        self.stop_button.hide()
        self._on_edit()
