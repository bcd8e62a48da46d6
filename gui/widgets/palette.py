"""The app's colours, in one place: the models' text colours and the stylesheet's ``@name@`` tokens."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor

COLOURS = {
    "success": "#1b7f3b",  # running, 2xx, uploaded, a check that passed
    "info": "#1f5fae",  # 3xx
    "caution": "#b35c00",  # 4xx, the engine away
    "warning": "#8a4b00",  # a warning's text
    "warning-bg": "#fff4d6",
    "failure": "#c0262d",  # 5xx, errors, a failed upload
    "muted": "#5c6b7d",  # notes, skipped checks
    "app": "#6b4fbb",  # the app's own lines in the log
}
_TOKEN = re.compile(r"@([a-z-]+)@")


def colour(name: str) -> QColor:
    return QColor(COLOURS[name])


def themed_stylesheet(template: str) -> str:
    """The stylesheet with each ``@name@`` replaced by its colour (an unknown name is an error)."""
    return _TOKEN.sub(lambda match: COLOURS[match.group(1)], template)
