"""The cleanup dialog: rules, a preview of every file they remove and the bytes freed, then the trash or an
archive. Nothing is removed but what the preview on screen lists; a changed rule asks for a new preview."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
)

from gui.services.errors import DeskError
from gui.services.packages.listing import counted, human_size
from gui.services.usage.prune import PrunePlan, PruneRules
from gui.services.usage.service import PruneResult, UsageService
from gui.widgets.file_choosers import save_as
from gui.widgets.table_model import AnyIndex, RowTableModel
from gui.workers.service_worker import ServiceWorker

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def _day(seconds: float | None) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(seconds)) if seconds else "never"


class PlanModel(RowTableModel):
    """The preview: one row per file that goes (``rows`` are PruneItems)."""

    HEADERS = ("File", "Size", "Uploaded", "Last downloaded")

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        item = self.rows[index.row()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and item.yanked:
            return "Yanked"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return (item.path + (" (yanked)" if item.yanked else ""), human_size(item.size), _day(item.uploaded),
                _day(item.last_download))[index.column()]  # fmt: skip


def _days_box(value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(1, 36500)
    box.setValue(value)
    box.setSuffix(" days")
    return box


class PruneDialog(QDialog):
    applied = Signal(str)  # what was done, in words
    previewed = Signal(object)  # the PrunePlan now on screen

    def __init__(self, worker: ServiceWorker, usage: UsageService, trash_days: int, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clean up the index")
        self._worker = worker
        self._usage = usage
        self.plan: PrunePlan | None = None  # the preview on screen, while it matches the rules
        self.older_check = QCheckBox("Uploaded more than")
        self.older_check.setChecked(True)
        self.older_days = _days_box(180)
        self.unused_check = QCheckBox("And not downloaded for")
        self.unused_check.setChecked(True)
        self.unused_days = _days_box(90)
        self.keep_box = QSpinBox()
        self.keep_box.setRange(0, 10000)
        self.keep_box.setValue(3)
        self.keep_box.setSuffix(" newest versions of each project")
        self.patterns_edit = QLineEdit(placeholderText="All projects, or name patterns such as corp-* legacy-*")
        self.yanked_check = QCheckBox("Yanked versions first (they do not count among those kept)")
        self.to_trash = QRadioButton(f"Move them to the trash (restorable for {trash_days} days)")
        self.to_trash.setChecked(True)
        self.to_archive = QRadioButton("Move them into an archive:")
        self.archive_edit = QLineEdit(placeholderText="cleanup.tar.gz")
        self.browse_button = QPushButton("Choose…")
        self.preview_button = QPushButton("Preview")
        self.model = PlanModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.summary_label = QLabel("Preview what these rules remove; nothing is removed until you confirm.")
        self.error_label = QLabel(wordWrap=True, objectName="errorLabel")
        self.error_label.hide()
        self.apply_button = QPushButton("Remove")
        self.apply_button.setEnabled(False)
        self.close_button = QPushButton("Close")

        form = QFormLayout()
        form.addRow(self.older_check, self.older_days)
        form.addRow(self.unused_check, self.unused_days)
        form.addRow("Always keep the", self.keep_box)
        form.addRow("Projects:", self.patterns_edit)
        form.addRow(self.yanked_check)
        archive_row = QHBoxLayout()
        archive_row.addWidget(self.to_archive)
        archive_row.addWidget(self.archive_edit, 1)
        archive_row.addWidget(self.browse_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("The only version of a project is never removed.", objectName="noteLabel"))
        layout.addWidget(self.to_trash)
        layout.addLayout(archive_row)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self.resize(760, 560)

        for box in (self.older_days, self.unused_days, self.keep_box):
            box.valueChanged.connect(self._rules_changed)
        for check in (self.older_check, self.unused_check, self.yanked_check):
            check.toggled.connect(self._rules_changed)
        self.patterns_edit.textChanged.connect(self._rules_changed)
        for control in (self.to_trash, self.to_archive):
            control.toggled.connect(self._update_apply)
        self.archive_edit.textChanged.connect(self._update_apply)
        self.browse_button.clicked.connect(self._choose_archive)
        self.preview_button.clicked.connect(self.preview)
        self.apply_button.clicked.connect(self.apply)
        self.close_button.clicked.connect(self.reject)

    def values(self) -> tuple[PruneRules, Path | None]:
        """The rules, and the archive (None: the trash)."""
        rules = PruneRules(
            older_than=self.older_days.value() if self.older_check.isChecked() else None,
            unused_for=self.unused_days.value() if self.unused_check.isChecked() else None,
            keep=self.keep_box.value(),
            patterns=tuple(self.patterns_edit.text().replace(",", " ").split()),
            yanked_first=self.yanked_check.isChecked(),
        )
        archive = Path(self.archive_edit.text().strip()).expanduser() if self.to_archive.isChecked() else None
        return rules, archive

    def validate(self) -> str | None:
        """What is wrong with the form, in words (shown); None when a preview can be made."""
        rules, archive = self.values()
        try:
            rules.validate()
            if self.to_archive.isChecked() and not self.archive_edit.text().strip():
                raise DeskError("Choose the archive file the removed files go into, or choose the trash.")
            if archive is not None and not archive.name.endswith((".tar.gz", ".tgz")):
                raise DeskError("The archive is a .tar.gz file: end its name with .tar.gz.")
        except DeskError as exc:
            self._show_error(str(exc))
            return str(exc)
        self.error_label.hide()
        return None

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _rules_changed(self, *_args: object) -> None:
        if self.plan is not None:
            self.plan = None
            self.model.set_rows([])
            self.summary_label.setText("The rules changed: preview again.")
        self._update_apply()

    def _update_apply(self, *_args: object) -> None:
        ready = self.plan is not None and bool(self.plan.items)
        if ready:
            where = "the trash" if self.to_trash.isChecked() else "the archive"
            self.apply_button.setText(f"Move {counted(len(self.plan.items), 'file')} to {where}")
        self.apply_button.setEnabled(ready)

    def preview(self) -> None:
        try:
            self.values()[0].validate()
        except DeskError as exc:
            self._show_error(str(exc))
            return
        self.error_label.hide()
        rules = self.values()[0]
        self.preview_button.setEnabled(False)
        self._worker.submit(lambda: self._usage.plan(rules), self._show_plan, self._failed)

    def _show_plan(self, plan: PrunePlan) -> None:
        self.preview_button.setEnabled(True)
        if plan.rules != self.values()[0]:
            return  # the rules changed while it was made
        self.plan = plan
        self.model.set_rows(plan.items)
        self.summary_label.setText(
            f"{counted(len(plan.items), 'file')} of {counted(plan.releases, 'version')}: "
            f"{human_size(plan.size)} freed." if plan.items else "Nothing matches these rules."
        )  # fmt: skip
        self._update_apply()
        self.previewed.emit(plan)

    def apply(self) -> None:
        if self.plan is None or self.validate() is not None:
            return
        plan, archive = self.plan, self.values()[1]
        self.apply_button.setEnabled(False)
        self.preview_button.setEnabled(False)
        self._worker.submit(lambda: self._usage.apply(plan, archive), self._applied, self._failed)

    def _applied(self, result: PruneResult) -> None:
        self.applied.emit(result.summary())
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.preview_button.setEnabled(True)
        if self.plan is not None and not self.apply_button.isEnabled():  # a cleanup failed midway: see it anew
            self.plan = None
            self.model.set_rows([])
            self.summary_label.setText("Preview again to see what is left.")
        self._update_apply()
        self._show_error(str(error))

    def _choose_archive(self) -> None:
        self.chooser = save_as(self, "Archive of the removed files", "cleanup.tar.gz", self._archive_chosen)

    def _archive_chosen(self, path: str) -> None:
        self.archive_edit.setText(path)
        self.to_archive.setChecked(True)
