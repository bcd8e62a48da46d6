"""No password in any file: a server that needs one for everything, and twine, pip and uv reading the keyring.

A real Secret Service (GNOME Keyring on a private bus), the real engine, and the
real clients: each succeeds with no password anywhere under HOME, and each is
refused once the keyring entries are gone.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
import requests

from gui.services.clients.keyring_entries import services_for
from gui.services.core import DeskServices
from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings
from tests.helpers import hosted, make_sdist

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_client", "docker_cleanup")]

PASSWORD = "kEyr1ng-only-Pa55"


def run(*command: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=180, cwd=cwd)


def clients_install_and_upload(tmp_path: Path, sdist: Path, round_: str) -> dict[str, subprocess.CompletedProcess]:
    """twine upload -r local, pip install and uv pip install, with nothing but the files client setup wrote."""
    python = sys.executable
    target = tmp_path / f"installed-{round_}"
    return {
        "twine": run(python, "-m", "twine", "upload", "--non-interactive", "-r", "local", str(sdist)),
        "pip": run(
            python,
            "-m",
            "pip",
            "install",
            "-vvv",  # says "401 Client Error" when refused
            "--no-input",
            "--no-cache-dir",
            "--no-deps",
            "--target",
            str(target / "pip"),
            "toy==1.0.0",
        ),
        "uv": run(
            str(Path(python).parent / "uv"),
            "pip",
            "install",
            "--no-cache",
            "--target",
            str(target / "uv"),
            "toy==1.0.0",
            cwd=tmp_path,
        ),
    }


def test_twine_pip_and_uv_authenticate_from_the_keyring_alone(
    secret_service, data_dir: DataDir, port: int, tmp_path: Path, isolated_home: Path
) -> None:
    services = DeskServices.open(data_dir)
    settings = dataclasses.replace(ServerSettings(port=port), auth="list,download,update", runtime="docker")
    services.server.save_and_start(settings)
    assert requests.get(f"{settings.url}/simple/", timeout=10).status_code == 401  # reading needs a password too
    services.users.add("alice", PASSWORD)

    setup = run(
        sys.executable,
        "-m",
        "gui",
        "--data-dir",
        str(data_dir.root),
        "client",
        "setup",
        "--username",
        "alice",
        "--password-stdin",
        "--pip",
        "--uv",
        stdin=PASSWORD + "\n",
    )
    assert setup.returncode == 0, setup.stderr
    assert "System keyring" in setup.stdout and PASSWORD not in setup.stdout + setup.stderr

    sdist = make_sdist(tmp_path / "dist", "toy", "1.0.0")
    worked = clients_install_and_upload(tmp_path, sdist, "with-keyring")
    for name, outcome in worked.items():
        assert outcome.returncode == 0, f"{name}: {outcome.stdout}{outcome.stderr}"
    assert (tmp_path / "installed-with-keyring" / "pip" / "toy-1.0.0.dist-info").is_dir()
    assert (tmp_path / "installed-with-keyring" / "uv" / "toy-1.0.0.dist-info").is_dir()
    holding = [p for p in isolated_home.rglob("*") if p.is_file() and PASSWORD.encode() in p.read_bytes()]
    assert holding == []  # no file under HOME holds it: .pypirc, pip.conf, uv.toml, caches, logs
    assert {p.name for p in hosted(data_dir.packages_dir)} == {sdist.name}

    doctor = run(sys.executable, "-m", "gui", "--data-dir", str(data_dir.root), "doctor")
    assert "SecretService" in doctor.stdout and "keyring command" in doctor.stdout, doctor.stdout

    for service in services_for(settings.url):
        keyring.delete_password(service, "alice")
    (data_dir.packages_dir / sdist.name).unlink()  # so twine's refusal is about the login, not an existing file
    refused = clients_install_and_upload(tmp_path, sdist, "without")
    assert all(outcome.returncode != 0 for outcome in refused.values())
    assert "Credential not found for password" in refused["twine"].stdout + refused["twine"].stderr
    assert "401 Client Error" in refused["pip"].stdout + refused["pip"].stderr  # no credentials sent
    assert "403 Forbidden" in refused["uv"].stdout + refused["uv"].stderr  # the user name alone, refused
    assert not (data_dir.packages_dir / sdist.name).exists()

    doctor = run(sys.executable, "-m", "gui", "--data-dir", str(data_dir.root), "doctor")
    assert "has no password for alice" in doctor.stdout and doctor.returncode == 1
    services.server.stop()


def test_pip_and_uv_are_told_when_the_keyring_command_is_missing(secret_service, data_dir, port, monkeypatch) -> None:
    services = DeskServices.open(data_dir)
    services.data_dir.ensure()
    services.users.add("alice", PASSWORD)
    from gui.services.clients.setup import Storage

    services.clients.apply(
        services.clients.plan(ServerSettings(port=port), "alice", PASSWORD, storage=Storage.KEYRING, pip=True)
    )
    from gui.services.doctor import client_checks

    monkeypatch.setenv("PATH", os.pathsep.join(["/nonexistent"]))
    finding = client_checks.keyring_command(services, ServerSettings(port=port, auth="download,update"))
    assert finding.outcome.value == "problem" and "pipx install keyring" in finding.fix
    finding = client_checks.keyring_command(services, ServerSettings(port=port))  # downloads need no password
    assert finding.outcome.value == "warning" and "pipx install keyring" in finding.fix
