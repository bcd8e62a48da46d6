"""The first-run guide: start the server, add a user, set up this machine's clients; each ticks when done.

It shows until a user exists and ``~/.pypirc`` points at this server (or until
dismissed), which is what "nothing configured yet" means for a data folder.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

STEPS = {
    "start": ("Start the server", "Your private index runs on this computer.", "Start"),
    "users": ("Add a user", "Uploads need a user name and password.", "Add user…"),
    "client": ("Set up this machine", "twine, pip and uv learn where the index is.", "Set up clients"),
}


class GettingStarted(QFrame):
    """Presents the three steps; ``step_requested`` carries the key of the step clicked."""

    step_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gettingStarted")
        self.done: dict[str, bool] = dict.fromkeys(STEPS, False)
        self.dismissed = False
        self.titles: dict[str, QLabel] = {}
        self.buttons: dict[str, QPushButton] = {}
        layout = QHBoxLayout(self)
        for key, (_title, hint, action) in STEPS.items():
            column = QVBoxLayout()
            self.titles[key] = QLabel(objectName="stepTitle")
            column.addWidget(self.titles[key])
            column.addWidget(QLabel(hint, wordWrap=True, objectName="noteLabel"))
            button = QPushButton(action)
            button.clicked.connect(lambda _=False, key=key: self.step_requested.emit(key))
            self.buttons[key] = button
            column.addWidget(button)
            column.addStretch(1)
            layout.addLayout(column, 1)
        self.hide_button = QPushButton("Hide")
        self.hide_button.setToolTip("Hide this guide; the Doctor tab checks the same things")
        self.hide_button.clicked.connect(self.dismiss)
        layout.addWidget(self.hide_button)
        self._refresh()

    def set_done(self, step: str, done: bool) -> None:
        if self.done[step] != done:
            self.done[step] = done
            self._refresh()

    def dismiss(self) -> None:
        self.dismissed = True
        self._refresh()

    @property
    def configured(self) -> bool:
        return self.done["users"] and self.done["client"]

    def _refresh(self) -> None:
        for number, (key, (title, _hint, _action)) in enumerate(STEPS.items(), start=1):
            done = self.done[key]
            self.titles[key].setText(f"✓  {title}" if done else f"{number}.  {title}")
            self.titles[key].setProperty("done", done)
            self.titles[key].style().polish(self.titles[key])
            self.buttons[key].setVisible(not done)
        self.setVisible(not self.dismissed and not self.configured)
