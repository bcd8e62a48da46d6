"""The log follower: batches, order, a clean stop, and an end when the server stops."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from gui.workers.log_follower import LogFollower


class BlockingStream:
    """A log stream that yields ``lines`` and then blocks like a followed log, until closed."""

    def __init__(self, lines: list[str], end_by_itself: bool = False) -> None:
        self._lines = lines
        self._end_by_itself = end_by_itself
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[str]:
        yield from self._lines
        if not self._end_by_itself:
            self.closed.wait(30)

    def close(self) -> None:
        self.closed.set()


def test_a_burst_arrives_in_few_batches_in_order_and_stop_joins(qtbot) -> None:
    lines = [f"line {n}" for n in range(20_000)]
    stream = BlockingStream(lines)
    follower = LogFollower(lambda: stream)
    received: list[str] = []
    batches: list[int] = []

    def on_batch(batch: list[str]) -> None:
        received.extend(batch)
        batches.append(len(batch))

    follower.lines_arrived.connect(on_batch)
    follower.start()
    qtbot.waitUntil(lambda: len(received) == len(lines), timeout=10_000)
    assert received == lines
    assert max(batches) <= 1_000 and len(batches) <= 60  # batches, not one signal per line
    follower.stop()
    assert stream.closed.is_set() and not follower.isRunning()


def test_a_quiet_line_still_shows(qtbot) -> None:
    follower = LogFollower(lambda: BlockingStream(["only one"]))
    with qtbot.waitSignal(follower.lines_arrived, timeout=2000) as blocker:
        follower.start()
    assert blocker.args == [["only one"]]
    follower.stop()


def test_ended_is_emitted_when_the_server_stops(qtbot) -> None:
    follower = LogFollower(lambda: BlockingStream(["a", "b"], end_by_itself=True))
    with qtbot.waitSignal(follower.ended, timeout=5000) as blocker:
        follower.start()
    assert blocker.args == [""]
    follower.wait(5000)


def test_a_stream_that_cannot_open_ends_with_the_reason(qtbot) -> None:
    def broken():
        raise RuntimeError("engine gone")

    follower = LogFollower(broken)
    with qtbot.waitSignal(follower.ended, timeout=5000) as blocker:
        follower.start()
    assert blocker.args == ["engine gone"]
    follower.wait(5000)


def test_ended_comes_after_the_last_line(qtbot) -> None:
    lines = [f"line {n}" for n in range(7_000)]
    follower = LogFollower(lambda: BlockingStream(lines, end_by_itself=True))
    received: list[str] = []
    follower.lines_arrived.connect(received.extend)
    with qtbot.waitSignal(follower.ended, timeout=5000):
        follower.start()
    assert received == lines
    follower.wait(5000)


def test_a_flood_is_delivered_whole_while_the_reader_waits_for_the_ui(qtbot) -> None:
    lines = [f"line {n}" for n in range(30_000)]
    follower = LogFollower(lambda: BlockingStream(lines, end_by_itself=True), max_batch=500, max_pending=1_000)
    received: list[str] = []
    waiting: list[int] = []
    follower.lines_arrived.connect(received.extend)
    follower.lines_arrived.connect(lambda batch: waiting.append(len(follower._pending)))
    with qtbot.waitSignal(follower.ended, timeout=10_000):
        follower.start()
    assert received == lines  # nothing lost, in order
    assert max(waiting) <= 1_000  # memory bounded by backpressure
    follower.wait(5000)
