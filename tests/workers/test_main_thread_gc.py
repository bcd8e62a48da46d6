"""Cyclic garbage made on a worker thread is collected on the UI thread, never on the worker."""

from __future__ import annotations

import gc
import threading
from typing import ClassVar

from gui.workers.main_thread_gc import MainThreadGarbageCollector


class Cycle:
    """Two objects that refer to each other; records the thread that finalized it."""

    finalized_on: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.partner = self
        self.payload = [object() for _ in range(10)]

    def __del__(self) -> None:
        Cycle.finalized_on.append(threading.current_thread().name)


def test_garbage_from_a_worker_is_collected_on_the_ui_thread(qtbot) -> None:
    collector = MainThreadGarbageCollector(interval_ms=20)
    try:
        assert not gc.isenabled()
        Cycle.finalized_on.clear()

        def make_garbage() -> None:
            for _ in range(5_000):  # far past generation 0's threshold: Python would collect here
                Cycle()

        worker = threading.Thread(target=make_garbage, name="worker")
        worker.start()
        worker.join()
        assert Cycle.finalized_on == []  # nothing was collected on the worker
        qtbot.waitUntil(lambda: len(Cycle.finalized_on) == 5_000, timeout=5_000)
        assert set(Cycle.finalized_on) == {threading.main_thread().name}
    finally:
        collector.stop()
    assert gc.isenabled()
