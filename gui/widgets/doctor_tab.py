"""The Doctor tab: runs the checks of :mod:`gui.services.doctor` off the UI thread and lists the findings."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from gui.services.doctor import Finding, Outcome
from gui.widgets.palette import colour
from gui.widgets.table_model import AnyIndex, RowTableModel
from gui.workers.service_worker import ServiceWorker

OUTCOME_TEXT = {Outcome.OK: "OK", Outcome.WARNING: "Warning", Outcome.PROBLEM: "Problem", Outcome.SKIPPED: "Skipped"}
OUTCOME_COLOUR = {
    Outcome.OK: "success",
    Outcome.WARNING: "warning",
    Outcome.PROBLEM: "failure",
    Outcome.SKIPPED: "muted",
}
#: Where each kind of fix is done in the window.
WHERE = {
    "choose_port": "Server tab → Port",
    "choose_data_dir": "Server tab → Data folder → Change…",
    "repair_users": "Users tab → Remove broken lines",
    "add_user": "Users tab → Add user…",
    "set_up_client": "Client setup tab → Preview, then Write",
    "move_to_keyring": "Client setup tab → Move the password into the keyring",
    "turn_on_https": "Server tab → Secure connection (HTTPS)",
    "renew_certificate": "Server tab → Renew certificate",
    "start_server": "Start server, at the top",
    "restart_server": "Stop server, then Start server, at the top",
}


class FindingsModel(RowTableModel):
    """The findings of the last run, one row each."""

    HEADERS = ("Check", "Result", "What was found", "Fix")

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        finding: Finding = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            fix = ""
            if finding.outcome is not Outcome.OK and finding.fix:
                fix = f"{finding.fix} ({WHERE[finding.action]})" if finding.action else finding.fix
            return (finding.check, OUTCOME_TEXT[finding.outcome], finding.detail, fix)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            return QBrush(colour(OUTCOME_COLOUR[finding.outcome]))
        return None


class DoctorTab(QWidget):
    """Presents the findings; ``run_checks()`` asks the worker for a fresh set."""

    message = Signal(str)
    finished = Signal()

    def __init__(self, worker: ServiceWorker, diagnose: Callable[[], list[Finding]], parent=None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._diagnose = diagnose
        self.model = FindingsModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.summary_label = QLabel("Checks the engine, the image, the port, the files and this machine's clients.")
        self.run_button = QPushButton("Run checks")
        self.run_button.clicked.connect(self.run_checks)
        top = QHBoxLayout()
        top.addWidget(self.summary_label, 1)
        top.addWidget(self.run_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

    def clear(self) -> None:
        """Forget the findings (another data folder is shown); the next visit checks again."""
        self.model.set_rows([])

    def run_checks(self) -> None:
        if not self.run_button.isEnabled():
            return
        self.run_button.setEnabled(False)
        self.summary_label.setText("Checking…")
        self._worker.submit(self._diagnose, self._show, self._failed)

    def _show(self, findings: list[Finding]) -> None:
        self.model.set_rows(findings)
        self.view.resizeRowsToContents()
        counts = {outcome: sum(finding.outcome is outcome for finding in findings) for outcome in Outcome}
        problems, warnings = counts[Outcome.PROBLEM], counts[Outcome.WARNING]
        if problems:
            text = f"{problems} problem(s) and {warnings} warning(s): each row says how to fix it."
        elif warnings:
            text = f"No problem; {warnings} warning(s) worth a look."
        else:
            text = "Everything checked is fine."
        self.summary_label.setText(text)
        self.run_button.setEnabled(True)
        self.finished.emit()

    def _failed(self, error: Exception) -> None:
        self.summary_label.setText(f"The checks could not run: {error}")
        self.run_button.setEnabled(True)
        self.finished.emit()
