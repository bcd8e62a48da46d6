"""Telling the user what just happened, beyond a log line: a message box, and a busy dialog for long jobs.

Both open without blocking (``open()``, window-modal), so the UI thread never waits on them
and a test can read and close them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget


def tell(parent: QWidget, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Information) -> QMessageBox:
    """A box with ``text`` and OK; its text can be selected and copied (paths, commands)."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.finished.connect(box.deleteLater)
    box.open()
    return box


def busy(parent: QWidget, title: str, text: str) -> QProgressDialog:
    """A dialog with a moving bar while a job runs on a worker; the caller closes it when the job ends."""
    dialog = QProgressDialog(text, "", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setCancelButton(None)  # a copy half done is not stopped from here: the move undoes itself on failure
    dialog.setMinimumDuration(0)
    dialog.setMinimumWidth(420)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.open()
    return dialog
