"""Faults survived, files never partial, bad input tried: the figures behind README's reliability notes.

1. Kill during write: SIGKILL a process saving .htpasswd, ~/.pypirc or the settings, 500 times
   each (tests/faults/kill_trials.py); baseline: the same trials on a plain `open("w")` writer.
2. Faults under a running window (real engine; the engine's socket cut as in tests/faults):
   the engine goes away and comes back, `docker kill`, `docker rm -f`, and (as root) the real
   dockerd stopped and started again; each tried --rounds times. Survived = noticed within 2 s,
   the right state shown, and: (engine) adopted again with the log resumed without a repeated
   line; (dockerd restarted, which stops its containers) Stopped shown, and Start works again.
   Time to notice is from the fault to the new state on screen; baseline: when Docker's own
   event stream reports the container's end.
3. Hypothesis examples run per property (pytest --hypothesis-show-statistics).

    .venv/bin/python bench/faults.py [--trials 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test helpers: the kill trials and the engine proxy

import docker  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402

import tests.faults.kill_trials as kill_trials  # noqa: E402
from gui.services.core import DeskServices  # noqa: E402
from gui.services.index.settings import ServerSettings  # noqa: E402
from tests.engine_proxy import EngineProxy  # noqa: E402

NOTICE_LIMIT = 2.0
DOCKERD_PID = Path("/var/run/docker.pid")
START_ENGINE = ROOT.parent / "shared" / "docker" / "start-engine.sh"
NAIVE_SETTINGS_WRITER = """def settings(path, n):
    import dataclasses
    data = json.dumps(dataclasses.asdict(ServerSettings(port=10000 + n)), indent=2, sort_keys=True) + "\\n"
    with open(path, "w") as handle:  # no temp file, no rename: what the app must not do
        handle.write(data)
"""


def kill_figures(trials: int) -> None:
    print(f"1. SIGKILL during a save, {trials} trials each")
    print(f"   {'file':<10} {'whole':>7} {'partial':>8} {'kills inside a save':>20}")
    for kind in kill_trials.KINDS:
        with tempfile.TemporaryDirectory() as folder:
            report = kill_trials.run_trials(kind, Path(folder), trials, random.Random(kind))
        print(f"   {kind:<10} {report.whole:>7} {report.broken:>8} {report.mid_write:>20}")
    original = kill_trials.ZYGOTE
    start = original.index("def settings(path, n):")
    kill_trials.ZYGOTE = original[:start] + NAIVE_SETTINGS_WRITER + original[original.index("\nimport os", start) :]
    try:
        with tempfile.TemporaryDirectory() as folder:
            naive = kill_trials.run_trials("settings", Path(folder), trials, random.Random("naive"))
    finally:
        kill_trials.ZYGOTE = original
    print(f"   baseline: a plain open('w') writer of the settings: {naive.broken} of {naive.trials} partial or empty")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Window:
    """The real main window on a scratch data folder, driven through its event loop."""

    def __init__(self, folder: Path) -> None:
        from gui.gui_app import application
        from gui.widgets.main_window import MainWindow
        from gui.workers.main_thread_gc import MainThreadGarbageCollector

        self.app = application()
        if not hasattr(self.app, "collector"):  # as run_gui does
            self.app.collector = MainThreadGarbageCollector(self.app)
        services = DeskServices.open(folder / "data", pypirc=folder / ".pypirc")
        self.services = services
        self.window = MainWindow(services)
        self.window.show()

    def wait_for(self, phase, timeout: float, since: float | None = None) -> float | None:
        """Seconds from ``since`` (default: now) until the window shows ``phase``; None after ``timeout``."""
        from PySide6.QtCore import QEventLoop, QTimer

        start = time.perf_counter() if since is None else since
        if self.window.phase is phase:
            return time.perf_counter() - start
        loop = QEventLoop()
        seen: list[float] = []

        def changed(now) -> None:
            if now is phase:
                seen.append(time.perf_counter() - start)
                loop.quit()

        self.window.phase_changed.connect(changed)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        loop.exec()
        self.window.phase_changed.disconnect(changed)
        return seen[0] if seen else None

    def pump_until(self, condition, timeout: float) -> bool:
        from PySide6.QtCore import QEventLoop, QTimer

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            loop.exec()
        return condition()

    def shown(self, path: str) -> int:
        return sum(f"GET {path} " in line for line in self.window.log_pane.model.text_lines())


def container_end_seen(client: docker.DockerClient, name: str, started: list[float]) -> threading.Thread:
    """Record when Docker's event stream reports the container's end (die or destroy)."""
    since = time.time()

    def watch() -> None:
        events = client.events(decode=True, since=since, filters={"container": name})
        for event in events:
            if event.get("status") in ("die", "destroy") or event.get("Action") in ("die", "destroy"):
                started.append(time.perf_counter())
                events.close()
                return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def fault_round(fault: str, client: docker.DockerClient) -> tuple[bool, float | None, float | None]:
    """One fault under a running window: (survived, seconds to notice, seconds for Docker's event)."""
    from gui.services.server.phase import Phase

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        proxy = EngineProxy(folder / "engine.sock")
        proxy.start()
        os.environ["DOCKER_HOST"] = proxy.url
        desk = Window(folder)
        port = free_port()
        name = desk.services.server.data_dir.container_name
        try:
            desk.wait_for(Phase.STOPPED, 30)
            desk.services.server.save_settings(ServerSettings(port=port))
            desk.window.settings_form.port_spin.setValue(port)
            desk.window.start_server()
            if desk.wait_for(Phase.RUNNING, 60) is None:
                return False, None, None
            url = f"http://127.0.0.1:{port}"
            requests.get(f"{url}/simple/before/", timeout=5, allow_redirects=False)
            desk.pump_until(lambda: desk.shown("/simple/before/") == 1, 10)
            event_at: list[float] = []
            watcher = None if fault == "engine" else container_end_seen(client, name, event_at)
            if watcher is not None:
                time.sleep(0.2)  # the event stream is open before the fault
            fault_at = time.perf_counter()
            if fault == "engine":
                proxy.stop()
                noticed = desk.wait_for(Phase.DISCONNECTED, 5, since=fault_at)
                requests.get(f"{url}/simple/during/", timeout=5, allow_redirects=False)
                proxy.start()
                back = desk.wait_for(Phase.RUNNING, 10) is not None
                resumed = desk.pump_until(lambda: desk.shown("/simple/during/") == 1, 10)
                survived = back and resumed and desk.shown("/simple/before/") == 1
                baseline = None
            elif fault == "restart":
                noticed, survived = restart_engine(desk, fault_at)
                baseline = None
            else:
                container = client.containers.get(name)
                container.kill() if fault == "kill" else container.remove(force=True)
                noticed = desk.wait_for(Phase.STOPPED, 5, since=fault_at)
                watcher.join(5)
                baseline = event_at[0] - fault_at if event_at else None
                survived = "stopped outside" in desk.window.server_bar.message_label.text()
            survived = survived and noticed is not None and noticed <= NOTICE_LIMIT
            return survived, noticed, baseline
        finally:
            desk.window.close()
            desk.window.deleteLater()
            proxy.stop()
            del os.environ["DOCKER_HOST"]
            with contextlib.suppress(docker.errors.NotFound):
                client.containers.get(name).remove(force=True)


def restart_engine(desk: Window, fault_at: float) -> tuple[float | None, bool]:
    """Stop the real dockerd (SIGTERM: it stops its containers) and start it again.

    Survived: the window leaves Running within 2 s, shows Stopped once the engine is back
    (the daemon stopped the container on its way down), and Start works again.
    """
    from gui.services.server.phase import Phase

    pid = int(DOCKERD_PID.read_text())
    os.kill(pid, signal.SIGTERM)
    noticed = None
    while noticed is None and time.perf_counter() - fault_at < 10:
        desk.pump_until(lambda: desk.window.phase is not Phase.RUNNING, 0.05)
        if desk.window.phase is not Phase.RUNNING:
            noticed = time.perf_counter() - fault_at
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        desk.pump_until(lambda: False, 0.1)
    subprocess.run(["bash", str(START_ENGINE)], check=True, capture_output=True)
    stopped = desk.wait_for(Phase.STOPPED, 15) is not None
    desk.window.start_server()
    running_again = desk.wait_for(Phase.RUNNING, 60) is not None
    return noticed, stopped and running_again


def fault_figures(rounds: int) -> None:
    client = docker.from_env()
    print(f"2. Faults under a running window, {rounds} rounds each (notice limit {NOTICE_LIMIT:.0f} s)")
    print(f"   {'fault':<34} {'survived':>9} {'notice median':>14} {'worst':>7} {'Docker event':>13} {'ratio':>6}")
    labels = {
        "engine": "engine gone, then back",
        "kill": "docker kill",
        "rm": "docker rm -f",
        "restart": "dockerd really restarted",
    }
    faults = ["engine", "kill", "rm"]
    if os.geteuid() == 0 and DOCKERD_PID.exists() and START_ENGINE.exists():
        faults.append("restart")
    else:
        print("   (dockerd really restarted: skipped, needs root and ../shared/docker/start-engine.sh)")
    for fault in faults:
        results = [fault_round(fault, client) for _ in range(rounds)]
        survived = sum(ok for ok, _, _ in results)
        notices = [n for _, n, _ in results if n is not None]
        events = [b for _, _, b in results if b is not None]
        median = statistics.median(notices) if notices else float("nan")
        worst = max(notices) if notices else float("nan")
        if events:
            event = statistics.median(events)
            event_text, ratio = f"{event * 1000:.0f} ms", f"{median / event:.1f}x" if event > 0 else "-"
        else:
            event_text, ratio = "-", "-"
        print(f"   {labels[fault]:<34} {survived:>4} of {rounds:<2} {median * 1000:>11.0f} ms "
              f"{worst * 1000:>4.0f} ms {event_text:>13} {ratio:>6}")  # fmt: skip


def hypothesis_figures() -> None:
    print("3. Hypothesis examples per property")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
         "tests/services/test_bad_input_properties.py", "tests/services/clients/test_pypirc.py", "-k",
         "round_trip or line_break or bcrypt_the_default or settings_are or archive_member or generated_files"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    test, generating = None, False
    for line in run.stdout.splitlines():
        if line.startswith("tests/") and line.rstrip().endswith(":"):
            test = line.rstrip().rstrip(":").split("::")[-1]
        generating = "during generate phase" in line or (generating and "during" not in line)
        found = re.search(r"(\d+) passing, (\d+) failing", line)
        if test and found and generating:
            print(f"   {test:<82} {found[1]:>4} examples, {found[2]} failing")
    print(f"   ({run.stdout.strip().splitlines()[-1]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    kill_figures(args.trials)
    fault_figures(args.rounds)
    hypothesis_figures()


if __name__ == "__main__":
    main()
