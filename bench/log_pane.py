"""Log pane throughput: 200,000 access-log lines through the real follower and the real pane.

A stream yields the lines as fast as it can; the LogFollower batches them onto the UI
thread, where the shown LogPane (model, filter proxy, table view, auto-scroll) takes them.
Measured in the same run:
  baseline  the same follower delivering into a plain list on the UI thread (no pane);
  pane      into the pane, with a filter typed in (the harder case) and without.
Prints lines shown per second and the ratio to the baseline, the longest UI-thread stall (a 5 ms
timer's largest gap), and memory (RSS) when the line cap is reached and at the end.
Targets: >= 50,000 lines/s, no stall over 50 ms, memory flat once the cap is reached.

    .venv/bin/python bench/log_pane.py [--lines 200000]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from gui.widgets.log_pane import LogPane
from gui.workers.log_follower import LogFollower

STATUSES = (200, 200, 200, 303, 403, 404, 500)


class FastStream:
    def __init__(self, count: int) -> None:
        self._count = count

    def __iter__(self) -> Iterator[str]:
        for n in range(self._count):
            status = STATUSES[n % len(STATUSES)]
            yield (
                f'172.17.0.1 - user [24/Nov/2026:02:24:{n % 60:02d} +0000] "GET /simple/project-{n % 5000}/ '
                f'HTTP/1.1" {status} {n % 9000} "-" "pip/25.3 CPython/3.12"'
            )

    def close(self) -> None:
        pass


def run(count: int, deliver: Callable[[list[str]], None], on_cap: Callable[[], bool]) -> dict[str, float]:
    """Push ``count`` lines through a follower into ``deliver``; watch UI stalls and memory."""
    process = psutil.Process()
    loop = QEventLoop()
    received = 0
    stall = 0.0
    rss_at_cap: float | None = None
    ticks = QElapsedTimer()
    ticks.start()

    def tick() -> None:
        nonlocal stall
        stall = max(stall, ticks.restart() / 1000)

    def batch(lines: list[str]) -> None:
        nonlocal received, rss_at_cap
        deliver(lines)
        received += len(lines)
        if rss_at_cap is None and on_cap():
            rss_at_cap = process.memory_info().rss

    heartbeat = QTimer(interval=5)
    heartbeat.timeout.connect(tick)
    follower = LogFollower(lambda: FastStream(count))
    follower.lines_arrived.connect(batch)
    follower.ended.connect(loop.quit)
    heartbeat.start()
    began = time.perf_counter()
    follower.start()
    loop.exec()
    elapsed = time.perf_counter() - began
    heartbeat.stop()
    follower.stop()
    assert received == count, (received, count)
    return {
        "lines_per_s": received / elapsed,
        "stall_ms": stall * 1000,
        "rss_cap_mb": (rss_at_cap or process.memory_info().rss) / 2**20,
        "rss_end_mb": process.memory_info().rss / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])

    sink: list[str] = []
    baseline = run(args.lines, sink.extend, lambda: False)
    sink.clear()

    results = {}
    for name, filter_text in (("pane", ""), ("pane+filter", "403")):
        pane = LogPane()
        pane.resize(1000, 500)
        pane.show()
        pane.filter_edit.setText(filter_text)
        app.processEvents()
        cap = pane.model.max_lines
        results[name] = run(args.lines, pane.append_lines, lambda pane=pane, cap=cap: pane.model.rowCount() >= cap)
        pane.close()
        pane.deleteLater()
        app.processEvents()

    print(f"log pane: {args.lines:,} lines, cap {LogPane().model.max_lines:,} lines")
    print(f"  baseline (follower -> list) {baseline['lines_per_s']:>10,.0f} lines/s")
    for name, figures in results.items():
        print(
            f"  {name:<27} {figures['lines_per_s']:>10,.0f} lines/s"
            f"  ratio {figures['lines_per_s'] / baseline['lines_per_s']:.2f}x"
            f"  longest stall {figures['stall_ms']:.0f} ms"
            f"  RSS at cap {figures['rss_cap_mb']:.0f} MB, at end {figures['rss_end_mb']:.0f} MB"
            f" (growth after cap {figures['rss_end_mb'] - figures['rss_cap_mb']:+.0f} MB)"
        )
    print("  targets: >= 50,000 lines/s, stall <= 50 ms, growth after cap ~0 MB")


if __name__ == "__main__":
    main()
