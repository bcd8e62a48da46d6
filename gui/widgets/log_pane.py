"""The live log pane: follows the server's requests, filters, pauses, clears and saves."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.log_model import LogModel


class LogPane(QWidget):
    """Shows a :class:`LogModel` through a filter; asks its owner to save with ``save_requested``."""

    #: (path, lines): the owner writes the file off the UI thread.
    save_requested = Signal(str, list)

    def __init__(self, model: LogModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model or LogModel(parent=self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(LogModel.COLUMN_TEXT)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setDynamicSortFilter(False)

        self.filter_edit = QLineEdit(placeholderText="Filter lines (e.g. POST, 403, a package name)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.follow_box = QCheckBox("Auto-scroll")
        self.follow_box.setChecked(True)
        self.follow_box.setToolTip("Keep the newest line in view; untick to read back while lines arrive")
        self.follow_box.toggled.connect(self._follow_toggled)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.model.clear)
        self.save_button = QPushButton("Save…")
        self.save_button.clicked.connect(self._ask_save_path)
        self.count_label = QLabel()

        self.view = QTableView()
        self.view.setObjectName("logView")
        self.view.setModel(self.proxy)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.setShowGrid(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 4)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(LogModel.COLUMN_STATUS, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(LogModel.COLUMN_STATUS, 56)
        header.setStretchLastSection(True)

        tools = QHBoxLayout()
        tools.addWidget(QLabel("<b>Server log</b>"))
        tools.addWidget(self.filter_edit, 1)
        tools.addWidget(self.follow_box)
        tools.addWidget(self.clear_button)
        tools.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count_label)
        self.model.rowsInserted.connect(self._rows_changed)
        self.model.modelReset.connect(self._rows_changed)
        self._rows_changed()

    def append_lines(self, lines: list[str]) -> None:
        """Add a batch of server lines (the follower's signal connects here)."""
        self.model.append_lines(lines)
        if self.follow_box.isChecked():
            self.view.scrollToBottom()

    def append_message(self, text: str) -> None:
        self.model.append_message(text)
        if self.follow_box.isChecked():
            self.view.scrollToBottom()

    def _follow_toggled(self, on: bool) -> None:
        if on:
            self.view.scrollToBottom()

    def _rows_changed(self) -> None:
        total = self.model.rowCount()
        self.count_label.setText(f"{total:,} lines (the newest {self.model.max_lines:,} are kept)")

    def _ask_save_path(self) -> None:
        dialog = QFileDialog(self, "Save the server log")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("Log files (*.log *.txt)")
        dialog.setDefaultSuffix("log")
        dialog.selectFile("pypi-desk-server.log")
        dialog.fileSelected.connect(lambda path: self.save_requested.emit(path, self.model.text_lines()))
        dialog.open()
