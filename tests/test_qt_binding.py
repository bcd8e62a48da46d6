"""Guards against a Qt binding that miscounts references in signal delivery.

PySide6 6.12.0 drops a reference to ``True`` on each ``Signal(bool)`` emission
and to ``None`` on each Python slot's return value; a window that runs for a
while then aborts the interpreter. pyproject.toml excludes that release.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    flag = Signal(bool)
    value = Signal(object)


def test_signal_delivery_keeps_reference_counts(qapp) -> None:
    emitter = Emitter()
    received: list[object] = []
    emitter.flag.connect(received.append)
    emitter.value.connect(lambda value: None)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(1000):
        emitter.flag.emit(True)
        emitter.value.emit(1)
    assert abs(sys.getrefcount(True) - true_before - 1000) < 50  # the references `received` holds
    assert abs(sys.getrefcount(None) - none_before) < 50
    received.clear()
