"""Shared fixtures: an isolated HOME, free ports, data folders and the real Docker engine.

Docker-backed tests skip with a reason when no engine answers, except in CI
(``CI=true``), where a missing engine fails them.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and the XDG folders at a temp folder: no test touches the real ~/.pypirc."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    return home


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def data_dir(tmp_path: Path):
    from gui.services.index.datadir import open_data_dir

    return open_data_dir(tmp_path / "server")


@pytest.fixture(scope="session")
def docker_client():
    """The real engine, with the pypiserver image present (see .ci/run)."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        message = f"no Docker engine answers ({exc}); run ../shared/docker/start-engine.sh"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        client.images.get("pypiserver/pypiserver:latest")
    except docker.errors.ImageNotFound:
        message = "image pypiserver/pypiserver:latest is missing; run ../shared/docker/build-pypiserver-image.sh"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return client


@pytest.fixture
def docker_cleanup(docker_client, data_dir) -> Iterator[None]:
    """Remove any container a test left for its data folder."""
    yield
    with contextlib.suppress(Exception):
        docker_client.containers.get(data_dir.container_name).remove(force=True, v=True)


@pytest.fixture(scope="session")
def registry(docker_client, tmp_path_factory: pytest.TempPathFactory):
    """A registry on loopback serving an image the engine does not have (see tests/registry.py)."""
    from tests.registry import local_registry

    try:
        context = local_registry(docker_client, tmp_path_factory.mktemp("registry"), free_port())
        served = context.__enter__()
    except FileNotFoundError as exc:
        if IN_CI:
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    yield served
    context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def secret_service_daemon(tmp_path_factory: pytest.TempPathFactory):
    """One GNOME Keyring on a private bus for the whole run (see tests/secret_service.py)."""
    from tests.secret_service import missing_programs, start_secret_service

    missing = missing_programs()
    if missing:
        message = f"{', '.join(missing)} missing: install Debian's dbus and gnome-keyring (.ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    service = start_secret_service(tmp_path_factory.mktemp("secret-service"))
    yield service
    service.stop()


@pytest.fixture
def secret_service(secret_service_daemon, monkeypatch: pytest.MonkeyPatch):
    """This test talks to the real Secret Service, and finds the `keyring` command on PATH."""
    for name, value in secret_service_daemon.env().items():
        monkeypatch.setenv(name, value)
    _redetect_keyring()  # the keyring library chooses its backend once: a test calling it directly gets this one
    yield secret_service_daemon
    monkeypatch.undo()
    _redetect_keyring()


def _redetect_keyring() -> None:
    import keyring.backend
    import keyring.core

    with contextlib.suppress(KeyError):  # nothing detected yet
        keyring.backend.get_all_keyring.reset()
    keyring.core.init_backend()


@pytest.fixture(autouse=True)
def no_secret_service_by_default(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the fixture above a test sees no keyring at all, whatever session runs the tests."""
    if "secret_service" not in request.fixturenames:
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


SHARED = Path(__file__).resolve().parents[2] / "shared"


def _shared_script(script: str, *args: str) -> dict[str, str]:
    """Run one of ../shared's stand-in scripts; its KEY=VALUE lines, or a skip (a failure in CI) with why."""
    import subprocess

    path = SHARED / script
    if not path.exists() or os.geteuid() != 0:
        message = f"{path} needs to exist and run as root (it starts a daemon)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(["bash", str(path), *args], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"{script} failed: {done.stdout}{done.stderr}")
    pairs = (line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return {key: value for key, value in pairs if key.isidentifier()}


@pytest.fixture(scope="session")
def second_engine(docker_client) -> str:
    """Another machine's engine: a second dockerd with its own data root and socket; its URL."""
    return _shared_script("docker/start-second-engine.sh", "pdtest")["DOCKER_HOST"]


@pytest.fixture(scope="session")
def loopback_sshd(docker_client) -> dict[str, str]:
    """An sshd on 127.0.0.1 with a key made for the tests (SSH_URL, SSH_KEY, SSH_KNOWN_HOSTS, SSH_BIN_DIR)."""
    return _shared_script("ssh/start-loopback-sshd.sh", "2223")
