"""Start latency and command-line latency, each against a baseline measured in the same run.

Each round runs, in turn and on a fresh data folder and port:
  baseline  `docker run -d` with the same image, mounts and arguments, then poll /health;
  cli       `pypi-desk server start` as a new process (it returns once the server answers);
  gui       a new MainWindow with the real service, Start clicked as soon as the state is known,
            timed until it shows Running (the QApplication exists already, as in a running app).
and, for the command line's own cost:
  floor     `python -c "import argparse, docker; docker.from_env().ping()"`: the least a Python
            command that answers "is the server running?" must do (parse, ask the engine once);
  help      `pypi-desk --help`;
  status    `pypi-desk server status` with the server stopped.
Prints the median of each and the ratios (targets: cli and gui <= 1.2x the docker run;
help and status <= 1.5x the floor).

    .venv/bin/python bench/start_latency.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import docker
import requests

from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.server.command import GUNICORN_ACCESS_LOG, pypiserver_args

IMAGE = "pypiserver/pypiserver:latest"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_health(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"nothing answered on port {port}")


def bare_docker_run(client: docker.DockerClient, folder: Path) -> float:
    data_dir = open_data_dir(folder)
    data_dir.ensure()
    port = free_port()
    command = pypiserver_args(
        ServerSettings(port=port),
        port=8080,
        password_file="/data/auth/.htpasswd",
        packages_dir="/data/packages",
        server="gunicorn",
    )
    argv = [
        "docker",
        "run",
        "-d",
        "--name",
        f"bench-bare-{port}",
        "-p",
        f"127.0.0.1:{port}:8080",
        "-e",
        f"GUNICORN_CMD_ARGS={GUNICORN_ACCESS_LOG}",
        "-v",
        f"{data_dir.auth_dir}:/data/auth:ro",
        "-v",
        f"{data_dir.packages_dir}:/data/packages",
        IMAGE,
        *command,
    ]
    began = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    wait_for_health(port)
    elapsed = time.perf_counter() - began
    client.containers.get(f"bench-bare-{port}").remove(force=True)
    return elapsed


def cli_start(folder: Path) -> float:
    port = free_port()
    began = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "gui",
            "--data-dir",
            str(folder),
            "server",
            "start",
            "--port",
            str(port),
            "--runtime",
            "docker",
        ],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - began
    wait_for_health(port, timeout=1)
    DeskServices.open(folder).server.stop()
    return elapsed


def gui_start(folder: Path) -> float:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from gui.services.server.phase import Phase
    from gui.widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    service = DeskServices.open(folder).server
    service.save_settings(ServerSettings(port=free_port(), runtime="docker"))
    loop = QEventLoop()
    began = time.perf_counter()
    window = MainWindow(DeskServices.open(server=service, pypirc=folder / ".pypirc"))
    window.show()

    def on_phase(phase: Phase) -> None:
        if phase is Phase.STOPPED:
            window.start_server()
        elif phase is Phase.RUNNING:
            loop.quit()

    window.phase_changed.connect(on_phase)
    loop.exec()
    elapsed = time.perf_counter() - began
    window.close()
    app.processEvents()
    service.stop()
    return elapsed


def command_time(argv: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    client = docker.from_env()
    client.images.get(IMAGE)
    results: dict[str, list[float]] = {"baseline": [], "cli": [], "gui": [], "floor": [], "help": [], "status": []}
    floor = [sys.executable, "-c", "import argparse, docker; docker.from_env().ping()"]
    desk = [sys.executable, "-m", "gui"]
    with tempfile.TemporaryDirectory() as scratch:
        stopped = str(Path(scratch) / "stopped")
        for round_number in range(args.rounds):
            for name, run in (
                ("baseline", lambda f: bare_docker_run(client, f)),
                ("cli", cli_start),
                ("gui", gui_start),
                ("floor", lambda f: command_time(floor)),
                ("help", lambda f: command_time([*desk, "--help"])),
                ("status", lambda f: command_time([*desk, "--data-dir", stopped, "server", "status"])),
            ):
                results[name].append(run(Path(scratch) / f"{name}-{round_number}"))
    print(f"median of {args.rounds} rounds (image {IMAGE}):")
    for title, base_name, rows in (
        ("start to /health answering", "baseline", (("cli", 1.2), ("gui", 1.2))),
        ("command line", "floor", (("help", 1.5), ("status", 1.5))),
    ):
        base = statistics.median(results[base_name])
        print(f"  {title}:")
        print(f"    {base_name:<9} {base * 1000:7.0f} ms")
        for name, target in rows:
            median = statistics.median(results[name])
            print(f"    {name:<9} {median * 1000:7.0f} ms  ratio {median / base:.2f}x (target <= {target}x)")


if __name__ == "__main__":
    main()
