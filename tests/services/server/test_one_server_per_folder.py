"""One folder, one server: two commands at once, a renamed container, the other runtime (real engine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import requests

from tests.conftest import free_port


def desk(data: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gui", "--data-dir", str(data), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(run: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = run.communicate(timeout=180)
    return run.returncode, out, err


def servers_of(data: Path) -> list[psutil.Process]:
    """Processes serving this data folder (pypiserver and its gunicorn workers), however detached."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if ("pypiserver" in cmdline or "launcher.py" in cmdline) and str(data) in cmdline:
            found.append(process)
    return found


def test_two_process_starts_at_once_leave_one_server_that_stop_stops(tmp_path: Path) -> None:
    """Once: both said Running, three servers ran, and 'server stop' left two orphans listening."""
    data, port = tmp_path / "data", str(free_port())
    runs = [desk(data, "server", "start", "--runtime", "process", "--port", port) for _ in range(2)]
    (code_a, out_a, err_a), (code_b, out_b, err_b) = map(finish, runs)
    assert (code_a, code_b) == (0, 0), err_a + err_b
    assert out_a == out_b and out_a.startswith(f"Running at http://127.0.0.1:{port} (process ")  # one, adopted
    serving = servers_of(data)
    top_level = [p for p in serving if p.ppid() not in {q.pid for q in serving}]  # not a gunicorn worker
    assert [p.pid for p in top_level] == [int(out_a.split("(process ")[1].rstrip(")\n"))]
    stop = desk(data, "server", "stop")
    assert finish(stop)[0] == 0
    psutil.wait_procs(servers_of(data), timeout=10)
    assert servers_of(data) == []
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/health", timeout=2)


@pytest.mark.docker
@pytest.mark.usefixtures("docker_cleanup")
def test_two_docker_starts_at_once_both_succeed_with_one_container(data_dir, docker_client) -> None:
    """Once the loser said 'Conflict…' or removed the winner's container."""
    port = str(free_port())
    runs = [desk(data_dir.root, "server", "start", "--runtime", "docker", "--port", port) for _ in range(2)]
    (code_a, out_a, err_a), (code_b, out_b, err_b) = map(finish, runs)
    assert (code_a, code_b) == (0, 0), err_a + err_b
    assert out_a == out_b  # the same container, adopted
    assert len(docker_client.containers.list(filters={"label": f"{_label()}={data_dir.root}"})) == 1
    assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200


def _label() -> str:
    from gui.services.names import LABEL_DATA_DIR

    return LABEL_DATA_DIR


@pytest.mark.docker
@pytest.mark.usefixtures("docker_cleanup")
def test_a_renamed_container_is_still_this_folders_server(data_dir, docker_client) -> None:
    """After 'docker rename', status said Stopped, start said 'another program', and stop left it serving."""
    port = str(free_port())
    assert finish(desk(data_dir.root, "server", "start", "--runtime", "docker", "--port", port))[0] == 0
    docker_client.containers.get(data_dir.container_name).rename("renamed-by-hand")
    try:
        code, out, _ = finish(desk(data_dir.root, "server", "status"))
        assert code == 0 and "renamed-by-hand" in out
        code, out, _ = finish(desk(data_dir.root, "server", "start", "--port", port))
        assert code == 0 and "renamed-by-hand" in out  # adopted, not refused as "another program"
        assert finish(desk(data_dir.root, "server", "stop"))[0] == 0
        assert docker_client.containers.list(all=True, filters={"name": "renamed-by-hand"}) == []
    finally:
        for container in docker_client.containers.list(all=True, filters={"name": "renamed-by-hand"}):
            container.remove(force=True)


@pytest.mark.docker
@pytest.mark.usefixtures("docker_cleanup")
def test_the_other_runtime_does_not_start_a_second_server_on_the_folder(data_dir, docker_client) -> None:
    """Once: 'port in use by another program', or with another port a second server, and stop stopped one."""
    port = str(free_port())
    assert finish(desk(data_dir.root, "server", "start", "--runtime", "docker", "--port", port))[0] == 0
    for extra in ([], ["--port", str(free_port())]):
        code, _out, err = finish(desk(data_dir.root, "server", "start", "--runtime", "process", *extra))
        assert code == 1 and "already runs in a Docker container" in err and f":{port}" in err, err
    assert servers_of(data_dir.root) == []  # no local process started
    assert finish(desk(data_dir.root, "server", "stop"))[0] == 0
    assert finish(desk(data_dir.root, "server", "status"))[0] == 3
