"""The one confirmation box: says what will happen, Cancel is the default, the action button names it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(
    parent: QWidget,
    title: str,
    text: str,
    action: str,
    on_confirm: Callable[[], None],
    icon: QMessageBox.Icon = QMessageBox.Icon.Warning,
) -> QMessageBox:
    """Open (window-modal, not blocking) a box whose ``action`` button calls ``on_confirm``."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    button = box.button(QMessageBox.StandardButton.Yes)
    button.setText(action)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.finished.connect(lambda _code: on_confirm() if box.clickedButton() is button else None)
    box.open()
    return box
