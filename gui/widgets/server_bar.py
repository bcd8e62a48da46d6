"""The top bar: draws the server's view (state, Start/Stop, pull progress, URL) and forwards clicks."""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.services.server.phase import BUSY, Phase, ServerView

#: Start and Stop both need the engine: while it is away the button waits, and says why.
_WAITING_FOR_ENGINE = "Waiting for the Docker engine: Start and Stop need it."


class ServerBar(QWidget):
    """Draws a :class:`ServerView`; forwards clicks as ``start_requested`` / ``stop_requested``."""

    start_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.phase = Phase.CHECKING
        self.state_label = QLabel()
        self.state_label.setObjectName("stateLabel")
        self.toggle_button = QPushButton()
        self.toggle_button.setObjectName("toggleButton")
        self.toggle_button.setMinimumWidth(130)
        self.toggle_button.clicked.connect(self._toggle)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.url_edit = QLineEdit(readOnly=True, placeholderText="The server's address shows here once it runs")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the index URL (…/simple/) for pip and uv")
        self.copy_button.clicked.connect(self._copy_url)
        self.open_button = QPushButton("Open in browser")
        self.open_button.clicked.connect(self._open_url)
        self.message_label = QLabel(wordWrap=True)
        self.message_label.setObjectName("messageLabel")
        self.message_label.hide()

        top = QHBoxLayout()
        top.addWidget(self.toggle_button)
        top.addWidget(self.state_label)
        top.addWidget(self.progress)
        top.addStretch(1)
        url_row = QHBoxLayout()
        url_row.addWidget(QLabel("Index URL:"))
        url_row.addWidget(self.url_edit, 1)
        url_row.addWidget(self.copy_button)
        url_row.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(url_row)
        layout.addWidget(self.message_label)
        self.show_view(ServerView(Phase.CHECKING))

    def show_view(self, view: ServerView) -> None:
        phase, url, message, fraction = view.phase, view.url, view.message, view.fraction
        self.phase = phase
        text = phase.value
        if phase is Phase.RUNNING and url:
            text = f"Running at {url}"
        if phase is Phase.PULLING and fraction is not None:
            text = f"Pulling image {fraction:.0%}"
        self.state_label.setText(text)
        self.state_label.setProperty("phase", phase.name.lower())
        self.state_label.style().unpolish(self.state_label)
        self.state_label.style().polish(self.state_label)
        stoppable = (Phase.RUNNING, Phase.STOPPING, Phase.DISCONNECTED)
        self.toggle_button.setText("Stop server" if phase in stoppable else "Start server")
        self.toggle_button.setEnabled(phase not in BUSY and phase is not Phase.DISCONNECTED)
        self.toggle_button.setToolTip(_WAITING_FOR_ENGINE if phase is Phase.DISCONNECTED else "")
        self.progress.setVisible(phase is Phase.PULLING)
        if phase is Phase.PULLING:
            self.progress.setRange(0, 0 if fraction is None else 100)
            self.progress.setValue(0 if fraction is None else round(fraction * 100))
        running = phase is Phase.RUNNING and bool(url)
        self.url_edit.setText(f"{url}/simple/" if running else "")
        self.copy_button.setEnabled(running)
        self.open_button.setEnabled(running)
        self.message_label.setText(message)
        self.message_label.setVisible(bool(message))

    def _toggle(self) -> None:
        if self.phase is Phase.RUNNING:
            self.stop_requested.emit()
        else:
            self.start_requested.emit()

    def _copy_url(self) -> None:
        QGuiApplication.clipboard().setText(self.url_edit.text())

    def _open_url(self) -> None:
        QDesktopServices.openUrl(QUrl(self.url_edit.text().removesuffix("simple/")))
