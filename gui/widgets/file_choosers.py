"""The file dialogs of the Server tab, each opened without blocking and starting in a sensible folder.

A dialog that suggests where to write starts in the user's home folder (not in whatever folder
the app was started from), with a file name that says what it is.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

Chosen = Callable[[str], None]


def _open(dialog: QFileDialog, chosen: Chosen) -> QFileDialog:
    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


def save_as(parent: QWidget, title: str, name: str, chosen: Chosen) -> QFileDialog:
    """Where to write a new file, suggested as ``~/name``."""
    dialog = QFileDialog(parent, title, str(Path.home() / name))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    return _open(dialog, chosen)


def backup_name() -> str:
    return f"pypi-desk-backup-{datetime.date.today():%Y-%m-%d}.tar.gz"


def existing_file(parent: QWidget, title: str, start: str, chosen: Chosen, name_filter: str = "") -> QFileDialog:
    """A file that exists; ``start`` is the current choice, or empty for the home folder."""
    dialog = QFileDialog(parent, title, start or str(Path.home()))
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    if name_filter:
        dialog.setNameFilter(name_filter)
    return _open(dialog, chosen)


def folder(parent: QWidget, title: str, start: str, chosen: Chosen) -> QFileDialog:
    """A folder; ``start`` is the current one, or empty for the home folder."""
    dialog = QFileDialog(parent, title, start or str(Path.home()))
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    return _open(dialog, chosen)
