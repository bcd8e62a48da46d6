"""The service worker: one job at a time, off the UI thread, outcomes back on it."""

from __future__ import annotations

import threading

from gui.services.errors import PortInUseError
from gui.workers.service_worker import ServiceWorker


def test_jobs_run_in_order_off_the_ui_thread_and_report_on_it(qtbot) -> None:
    worker = ServiceWorker()
    ui_thread = threading.current_thread()
    ran_on: list[threading.Thread] = []
    results: list[tuple[str, object, threading.Thread]] = []

    def job(value: int):
        def call() -> int:
            ran_on.append(threading.current_thread())
            return value

        return call

    with qtbot.waitSignal(worker.busy_changed, check_params_cb=lambda busy: not busy, timeout=5000):
        for value in range(5):
            worker.submit(job(value), lambda result: results.append(("ok", result, threading.current_thread())))
        worker.submit(
            lambda: (_ for _ in ()).throw(PortInUseError("127.0.0.1", 1)),
            on_error=lambda error: results.append(("error", error, threading.current_thread())),
        )
    assert [value for kind, value, _ in results if kind == "ok"] == [0, 1, 2, 3, 4]
    assert isinstance(results[-1][1], PortInUseError)
    assert all(thread is ui_thread for *_, thread in results)
    assert all(thread is not ui_thread for thread in ran_on)
    assert worker.idle
    worker.shutdown()
    assert not worker.isRunning()


def test_progress_reaches_the_ui_before_the_result(qtbot) -> None:
    worker = ServiceWorker()
    seen: list[object] = []

    def pull(progress) -> str:
        for step in (0.25, 0.5, 1.0):
            progress(step)
        return "done"

    with qtbot.waitSignal(worker.busy_changed, check_params_cb=lambda busy: not busy, timeout=5000):
        worker.submit(pull, seen.append, on_progress=seen.append)
    assert seen == [0.25, 0.5, 1.0, "done"]
    worker.shutdown()


def test_shutdown_joins_while_a_job_runs(qtbot) -> None:
    worker = ServiceWorker()
    release = threading.Event()
    started = threading.Event()

    def slow() -> None:
        started.set()
        release.wait(5)

    worker.submit(slow)
    worker.submit(lambda: None)
    assert started.wait(5)
    release.set()
    worker.shutdown()
    assert not worker.isRunning()


def test_an_idle_worker_holds_no_thread_and_a_closed_one_takes_no_jobs(qtbot) -> None:
    worker = ServiceWorker()
    with qtbot.waitSignal(worker.busy_changed, check_params_cb=lambda busy: not busy, timeout=5000):
        worker.submit(lambda: 1)
    assert worker.wait(5000)  # the thread ends by itself once the queue is empty
    assert not worker.isRunning()
    seen: list[object] = []
    with qtbot.waitSignal(worker.busy_changed, check_params_cb=lambda busy: not busy, timeout=5000):
        worker.submit(lambda: 2, seen.append)  # and starts again for the next job
    assert seen == [2]
    worker.shutdown()
    worker.submit(lambda: 3, seen.append)
    assert not worker.isRunning()
    assert worker.idle
    assert seen == [2]


def test_many_bursts_lose_no_job(qtbot) -> None:
    worker = ServiceWorker()
    seen: list[int] = []
    for burst in range(50):
        with qtbot.waitSignal(worker.busy_changed, check_params_cb=lambda busy: not busy, timeout=5000):
            for value in range(3):
                worker.submit(lambda value=burst * 3 + value: value, seen.append)
    assert seen == list(range(150))
    worker.shutdown()
