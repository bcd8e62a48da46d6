"""The Docker runtime against the real engine and the pypiserver image (no mocks)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from gui.services.errors import EngineUnavailableError, ImagePullError, PortInUseError
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.names import LABEL_DATA_DIR
from gui.services.server.container import DockerRuntime
from gui.services.volume.files import EMPTY_IMAGE_VOLUME
from tests.helpers import add_user, make_sdist, wait_for_log_line

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_client", "docker_cleanup")]


@pytest.fixture
def runtime(data_dir) -> DockerRuntime:
    return DockerRuntime(data_dir)


def test_start_answers_and_stop_removes_the_container(runtime, data_dir, port, docker_client) -> None:
    status = runtime.start(ServerSettings(port=port))
    assert status.running and status.url == f"http://127.0.0.1:{port}"
    assert requests.get(f"{status.url}/simple/", timeout=5).status_code == 200
    container = docker_client.containers.get(data_dir.container_name)
    assert container.attrs["HostConfig"]["PortBindings"]["8080/tcp"][0]["HostIp"] == "127.0.0.1"
    runtime.stop()
    assert runtime.status().state == "absent"
    assert not docker_client.containers.list(all=True, filters={"name": data_dir.container_name})
    assert data_dir.password_file.exists() and data_dir.packages_dir.is_dir()  # the data stays


def test_container_runs_the_full_command_with_folder_mounts(runtime, data_dir, port, docker_client) -> None:
    runtime.start(ServerSettings(port=port))
    attrs = docker_client.containers.get(data_dir.container_name).attrs
    command = attrs["Config"]["Cmd"]
    assert command[:4] == ["--roles", "/data/auth/roles.json", "--usage-days", "90"]  # the launcher's own first
    assert command[4:8] == ["--upstream", "https://pypi.org/simple/", "--cache-minutes", "10"]  # the cache, by default
    run = command.index("run")
    assert command[run : run + 5] == ["run", "-p", "8080", "--server", "gunicorn"]  # the image's default replaced whole
    assert "/data/tls" not in {m["Destination"] for m in attrs["Mounts"]}  # HTTPS off: no certificate mounted
    mounts = {m["Destination"]: m for m in attrs["Mounts"]}
    assert mounts["/data/auth"]["Source"] == str(data_dir.auth_dir) and not mounts["/data/auth"]["RW"]
    assert mounts["/data/packages"]["Source"] == str(data_dir.packages_dir)
    # PyPI Desk's launcher, read-only, in place of the image's entrypoint: it keeps the entrypoint's
    # duties (packages/ handed to the image's unprivileged user) and runs the server as that user.
    assert attrs["Config"]["Entrypoint"] == ["python3", "/opt/pypi-desk/launcher.py", "--container"]
    assert not mounts["/opt/pypi-desk"]["RW"]
    assert data_dir.packages_dir.stat().st_uid == 9898
    top = docker_client.containers.get(data_dir.container_name).top(ps_args="-o pid,uid,args")
    server_rows = [row for row in top["Processes"] if "launcher.py" in row[-1] or "gunicorn" in row[-1]]
    assert server_rows and all(row[1] == "9898" for row in server_rows)


def test_a_recreated_app_adopts_the_running_container(runtime, data_dir, port, docker_client) -> None:
    first = runtime.start(ServerSettings(port=port))
    container_id = docker_client.containers.get(data_dir.container_name).id
    reopened = DockerRuntime(open_data_dir(data_dir.root))
    assert reopened.status().running
    again = reopened.start(ServerSettings(port=port))
    assert again.url == first.url
    assert docker_client.containers.get(data_dir.container_name).id == container_id
    same_folder = {"label": f"{LABEL_DATA_DIR}={data_dir.root}"}
    assert len(docker_client.containers.list(filters=same_folder)) == 1


def test_busy_port_is_a_clear_error_and_leaves_no_container(runtime, data_dir, port, docker_client) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(PortInUseError, match=f"Port {port} .* already in use.*choose another port"):
            runtime.start(ServerSettings(port=port))
    assert not docker_client.containers.list(all=True, filters={"name": data_dir.container_name})


def test_dead_docker_host_is_a_clear_error(data_dir, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    runtime = DockerRuntime(data_dir)
    with pytest.raises(EngineUnavailableError, match=r"No Docker engine answers.*Start Docker"):
        runtime.start(ServerSettings(port=8080))
    assert not runtime.engine_available()


def test_missing_image_whose_pull_fails_is_a_clear_error(runtime, port) -> None:
    settings = ServerSettings(port=port, image="pypiserver/pypiserver:pypi-desk-no-such-tag")
    with pytest.raises(ImagePullError, match=r"not on this machine and could not be pulled.*then retry"):
        runtime.start(settings)


def test_container_that_exits_at_start_reports_its_log(runtime, data_dir, port, docker_client) -> None:
    from gui.services.errors import ServerStartError

    data_dir.ensure()
    data_dir.password_file.unlink()
    data_dir.password_file.mkdir()  # pypiserver cannot read a folder as its password file
    with pytest.raises(ServerStartError, match="exited at start") as failure:
        runtime.start(ServerSettings(port=port))
    assert failure.value.log_tail
    assert not docker_client.containers.list(all=True, filters={"name": data_dir.container_name})


def test_wrong_password_upload_shows_403_and_right_one_200_in_the_log(runtime, data_dir, port, tmp_path) -> None:
    data_dir.ensure()
    add_user(data_dir.password_file, "urunimi", "pypi")
    status = runtime.start(ServerSettings(port=port))
    sdist = make_sdist(tmp_path / "dist")

    def twine(password: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "twine",
                "upload",
                "--non-interactive",
                "--repository-url",
                status.url,
                "-u",
                "urunimi",
                "-p",
                password,
                str(sdist),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert twine("wrong").returncode != 0
    assert twine("pypi").returncode == 0
    wait_for_log_line(runtime, lambda line: '"POST / HTTP/1.1" 200' in line)
    log = list(runtime.logs())
    assert any('"POST / HTTP/1.1" 403' in line for line in log)
    assert not any("wrong" in line for line in log)  # passwords never reach the log
    assert (data_dir.packages_dir / sdist.name).exists()


def test_a_replaced_password_file_is_seen_by_the_running_server(runtime, data_dir, port, docker_client) -> None:
    from gui.services.atomic import write_atomic

    data_dir.ensure()
    runtime.start(ServerSettings(port=port))
    add_user(data_dir.password_file, "urunimi", "pypi")  # passlib saves in place
    write_atomic(data_dir.password_file, data_dir.password_file.read_bytes() + b"", mode=0o644)  # new inode
    inside = docker_client.containers.get(data_dir.container_name).exec_run(
        ["cat", "/data/auth/.htpasswd"], user="9898"
    )
    assert inside.exit_code == 0 and inside.output.startswith(b"urunimi:$apr1$")


def test_a_file_copied_into_packages_is_listed_at_once(runtime, data_dir, port, tmp_path) -> None:
    status = runtime.start(ServerSettings(port=port, fallback="off"))
    assert requests.get(f"{status.url}/simple/toy/", timeout=5, allow_redirects=False).status_code == 404
    sdist = make_sdist(tmp_path / "dist")
    (data_dir.packages_dir / sdist.name).write_bytes(sdist.read_bytes())
    page = requests.get(f"{status.url}/simple/toy/", timeout=5, allow_redirects=False)
    assert page.status_code == 200 and sdist.name in page.text


def test_the_how_to_folder_keeps_its_users_and_packages(tmp_path, port, docker_client) -> None:
    root = tmp_path / "pypi"
    (root / "packages").mkdir(parents=True)
    add_user(root / ".htpasswd", "urunimi", "pypi")
    sdist = make_sdist(root / "packages")
    data_dir = open_data_dir(root)
    runtime = DockerRuntime(data_dir)
    try:
        status = runtime.start(ServerSettings(port=port))
        assert sdist.name in requests.get(f"{status.url}/simple/toy/", timeout=5).text
        good = requests.post(
            f"{status.url}/",
            auth=("urunimi", "pypi"),
            data={":action": "remove_pkg", "name": "nothing", "version": "0"},
            timeout=5,
        )
        bad = requests.post(
            f"{status.url}/",
            auth=("urunimi", "nope"),
            data={":action": "remove_pkg", "name": "nothing", "version": "0"},
            timeout=5,
        )
        assert bad.status_code == 403 and good.status_code != 403
    finally:
        runtime.stop()


def test_published_on_all_interfaces_when_asked(runtime, data_dir, port, docker_client) -> None:
    runtime.start(ServerSettings(port=port, host="0.0.0.0"))
    binding = docker_client.containers.get(data_dir.container_name).attrs["HostConfig"]["PortBindings"]["8080/tcp"]
    assert binding[0]["HostIp"] == "0.0.0.0"


def test_a_missing_image_is_pulled_with_growing_progress(runtime, port, registry, docker_client) -> None:
    registry.forget_image(docker_client)
    seen: list[float] = []
    status = runtime.start(
        ServerSettings(port=port, image=registry.image),
        progress=lambda p: seen.append(p.fraction) if p.fraction is not None else None,
    )
    assert status.running
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert any(0 < fraction < 1 for fraction in seen)  # a real layer download was reported


@pytest.mark.usefixtures("docker_client")
def test_a_data_folder_with_a_colon_in_its_path_starts(tmp_path, port, docker_client) -> None:
    """'--data-dir /tmp/with:colon/data server start' failed with Docker's 'invalid volume specification'."""
    from gui.services.core import DeskServices

    services = DeskServices.open(tmp_path / "with:colon" / "data")
    try:
        status = services.server.save_and_start(ServerSettings(port=port, runtime="docker"))
        assert requests.get(f"{status.url}/simple/", timeout=5).status_code == 200
    finally:
        services.server.stop()
    assert not docker_client.containers.list(all=True, filters={"name": services.data_dir.container_name})


def test_stopping_a_volume_server_while_a_helper_runs_shows_it_stopped(port, docker_client) -> None:
    """A volume's helpers (listing packages, editing users) carry the volume's label but publish no port:
    none of them is taken for the server, before or after it stops."""
    from gui.services.names import LABEL_VOLUME
    from gui.services.volume.location import open_volume

    volume = f"pdtest-helper-{port}"
    data = open_volume(volume)
    runtime = DockerRuntime(data)
    helper = None
    try:
        runtime.start(ServerSettings(port=port))
        helper = docker_client.containers.run(  # as VolumeFiles runs its helpers: the label, no network
            "pypiserver/pypiserver:latest",
            entrypoint=["sh", "-c", "sleep 60"],
            user="root",
            network_disabled=True,
            labels={LABEL_VOLUME: volume},
            mounts=[EMPTY_IMAGE_VOLUME],  # no anonymous volume left behind
            detach=True,
        )
        assert runtime.status().running
        runtime.stop()
        status = runtime.status()  # was: AttributeError, the helper's PortBindings being None
        assert status.state == "absent" and not status.running
        helper.reload()
        assert helper.status == "running"  # not stopped in the server's place
    finally:
        if helper is not None:
            helper.remove(force=True, v=True)
        runtime.stop()
        runtime.close()
        for leftover in docker_client.containers.list(all=True, filters={"label": f"{LABEL_VOLUME}={volume}"}):
            leftover.remove(force=True)
        docker_client.volumes.get(volume).remove(force=True)
