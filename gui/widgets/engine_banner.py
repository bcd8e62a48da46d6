"""The banner shown when no Docker engine answers: why, in words, with Retry and Run without Docker."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class EngineBanner(QFrame):
    """Presents the engine problem; forwards the two ways out as signals."""

    retry_requested = Signal()
    run_without_docker_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("engineBanner")
        self.title_label = QLabel("Docker is not available", objectName="bannerTitle")
        self.reason_label = QLabel(wordWrap=True)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Look for the Docker engine again")
        self.local_button = QPushButton("Run without Docker")
        self.local_button.setToolTip(
            "Run pypiserver as a local process from now on (remembered for this data folder; "
            "change it on the Server tab, Run in)"
        )
        self.retry_button.clicked.connect(self._retry)
        self.local_button.clicked.connect(self.run_without_docker_requested)
        text = QVBoxLayout()
        text.addWidget(self.title_label)
        text.addWidget(self.reason_label)
        layout = QHBoxLayout(self)
        layout.addLayout(text, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.local_button)
        self.hide()

    def show_problem(self, problem: str, can_run_without_docker: bool = True) -> None:
        """``can_run_without_docker``: False for a server whose data is a Docker volume (only Docker reaches it)."""
        self.reason_label.setText(problem)
        self.local_button.setVisible(can_run_without_docker)
        title = "Docker is not available" if can_run_without_docker else "The server's Docker engine does not answer"
        self.title_label.setText(title)
        self.retry_button.setEnabled(True)
        self.retry_button.setText("Retry")
        self.show()

    def _retry(self) -> None:
        self.retry_button.setEnabled(False)
        self.retry_button.setText("Checking…")
        self.retry_requested.emit()
