"""The words the launcher and PyPI Desk share: the line that says the server runs the plain way.

The launcher prints :func:`plain_way_line` on stderr when it cannot serve with PyPI Desk's
pages; the app finds it in the log with :func:`plain_way_reason` and shows why in the
status note. One module, imported by both (the launcher runs it from this folder).
"""

from __future__ import annotations

MARKER = "pypi-desk-launcher:"
_PLAIN_WAY = "; serving the plain way (pypi-server) instead"


def plain_way_line(why: str) -> str:
    return f"{MARKER} {why}{_PLAIN_WAY}"


def plain_way_reason(log_text: str) -> str | None:
    """Why the launcher served the plain way, from a log; None when it did not say so."""
    for line in log_text.splitlines():
        if line.startswith(MARKER) and _PLAIN_WAY in line:
            return line[len(MARKER) : line.index(_PLAIN_WAY)].strip()
    return None
