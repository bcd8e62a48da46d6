"""Doctor: each check finds the real fault and says how to fix it (real engine, real files)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from pathlib import Path

import pytest
import requests

from gui.cli import main
from gui.services.clients.setup import Storage
from gui.services.core import DeskServices
from gui.services.doctor import Finding, Outcome, diagnose
from gui.services.index.settings import ServerSettings
from tests.helpers import add_user


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {finding.check: finding for finding in findings}


def services_for(data_dir) -> DeskServices:
    return DeskServices.open(str(data_dir.root))


def test_without_an_engine_auto_warns_and_docker_is_a_problem(
    data_dir, monkeypatch, tmp_path: Path, capsys, port: int
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    services_for(data_dir).server.save_settings(ServerSettings(port=port))  # never the default 8080: it may be taken
    found = by_check(diagnose(services_for(data_dir)))
    assert found["Docker engine"].outcome is Outcome.WARNING
    assert "runs as a local process instead" in found["Docker engine"].detail
    assert "Start Docker" in found["Docker engine"].fix
    assert found["Server image"].outcome is Outcome.SKIPPED
    assert found["Users"].outcome is Outcome.WARNING and found["Users"].action == "add_user"
    assert found["~/.pypirc"].outcome is Outcome.WARNING
    assert found["/simple/"].outcome is Outcome.SKIPPED
    assert main(["--data-dir", str(data_dir.root), "doctor"]) == 0  # warnings only

    services = services_for(data_dir)
    services.server.save_settings(ServerSettings(runtime="docker", port=port))
    assert by_check(diagnose(services))["Docker engine"].outcome is Outcome.PROBLEM
    assert main(["--data-dir", str(data_dir.root), "doctor"]) == 1
    printed = capsys.readouterr().out
    assert "PROBLEM  Docker engine" in printed and "fix: Start Docker" in printed
    assert "fix: Add a user. (pypi-desk user add NAME)" in printed  # the command line says where, in its words


def test_a_port_taken_by_another_program_is_a_problem(data_dir, port: int) -> None:
    services = services_for(data_dir)
    services.server.save_settings(ServerSettings(port=port, runtime="process"))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        found = by_check(diagnose(services))["Port"]
    assert found.outcome is Outcome.PROBLEM and "another program" in found.detail
    assert "another port" in found.fix and found.action == "choose_port"
    assert "Port" not in found.fix and "tab" not in found.fix  # where to go is the caller's to say


@pytest.mark.docker
@pytest.mark.usefixtures("docker_client", "docker_cleanup")
def test_a_set_up_index_is_all_ok_and_an_unreadable_password_file_is_caught(data_dir, port: int) -> None:
    services = services_for(data_dir)
    settings = services.server.save_settings(ServerSettings(port=port, runtime="docker"))
    services.server.start(settings)
    add_user(data_dir.password_file)
    services.clients.apply(services.clients.plan(settings, "urunimi", "pypi", storage=Storage.FILE))
    found = by_check(diagnose(services))
    assert {check: finding.outcome for check, finding in found.items()} == {
        "Docker engine": Outcome.OK,
        "Server image": Outcome.OK,
        "Port": Outcome.OK,
        "Data folder": Outcome.OK,
        "Package files": Outcome.OK,
        "Package files whole": Outcome.OK,
        "Index database": Outcome.OK,
        "Password file": Outcome.OK,
        "Users": Outcome.OK,
        "API tokens": Outcome.OK,
        "Download records and trash": Outcome.OK,
        "Public packages (upstream)": Outcome.OK,
        "~/.pypirc": Outcome.OK,
        "System keyring": Outcome.SKIPPED,  # the password is in the file, and no keyring answers here
        "keyring command": Outcome.SKIPPED,
        "HTTPS": Outcome.SKIPPED,  # off, and the server listens on this computer only
        "TLS trust": Outcome.SKIPPED,
        "/simple/": Outcome.OK,
    }
    assert "this index's" in found["Port"].detail
    assert "running container's user can read it" in found["Password file"].detail
    assert "twine upload -r local" in found["~/.pypirc"].detail

    data_dir.password_file.chmod(0o600)  # what a hand-made file often is: the container's uid 9898 cannot read it
    found = by_check(diagnose(services))["Password file"]
    assert found.outcome is Outcome.PROBLEM and "cannot read" in found.detail
    assert found.fix.startswith("chmod 644")

    data_dir.password_file.chmod(0o644)
    data_dir.password_file.write_text("urunimi:$apr1$x$y\nbroken line\n")
    found = by_check(diagnose(services))["Password file"]
    assert found.outcome is Outcome.PROBLEM and "500" in found.detail and found.action == "repair_users"


@pytest.fixture
def running(data_dir, port: int, docker_client, docker_cleanup):
    """A set-up index: a user, ~/.pypirc written for it, the server running in Docker."""
    services = services_for(data_dir)
    settings = services.server.save_settings(ServerSettings(port=port, runtime="docker"))
    services.data_dir.ensure()
    services.users.add("urunimi", "pypi", "apr1")
    services.clients.apply(services.clients.plan(settings, "urunimi", "pypi", storage=Storage.FILE))
    services.server.start(settings)
    return services


def problems(services) -> dict[str, Finding]:
    return {f.check: f for f in diagnose(services) if f.outcome is Outcome.PROBLEM}


@pytest.mark.docker
def test_a_package_file_the_server_cannot_read_is_a_problem(running, port: int) -> None:
    """Once all ok while /simple/toy/ answered 500."""
    from tests.helpers import make_sdist

    sdist = make_sdist(running.data_dir.packages_dir)
    sdist.chmod(0o600)  # root's, as a careless 'sudo cp' leaves it
    os.chown(sdist, 0, 0)
    assert requests.get(f"http://127.0.0.1:{port}/simple/toy/", timeout=5).status_code == 500
    found = problems(running)["Package files"]
    assert "uid 9898" in found.detail and "toy-1.0.0.tar.gz" in found.detail and "chmod" in found.fix
    assert main(["--data-dir", str(running.data_dir.root), "doctor"]) == 1


@pytest.mark.docker
def test_packages_removed_under_the_running_server_is_a_problem(running) -> None:
    shutil.rmtree(running.data_dir.packages_dir)
    found = problems(running)["Data folder"]
    assert "was removed while the server runs" in found.detail and found.action == "restart_server"


@pytest.mark.docker
def test_a_stale_pypirc_password_is_a_problem(running) -> None:
    """After 'user passwd' the .pypirc password is refused: the Doctor said ok."""
    running.users.change_password("urunimi", "new-password")
    found = problems(running)["~/.pypirc"]
    assert "not urunimi's password any more" in found.detail and found.action == "set_up_client"


@pytest.mark.docker
@pytest.mark.usefixtures("docker_cleanup")
def test_a_foreign_container_with_the_servers_name_is_a_problem(data_dir, docker_client) -> None:
    services = services_for(data_dir)
    services.server.save_settings(ServerSettings(runtime="docker"))
    docker_client.containers.create("pypiserver/pypiserver:latest", name=data_dir.container_name)
    found = problems(services)["Server"]
    assert "PyPI Desk did not start" in found.detail and f"docker rm -f {data_dir.container_name}" in found.detail
    assert main(["--data-dir", str(data_dir.root), "doctor"]) == 1


def test_duplicates_and_unknown_hashes_are_named_for_what_they_are(data_dir) -> None:
    """Reported as '500 to every upload; fix: user repair' while logins worked and repair did nothing."""
    services = services_for(data_dir)
    data_dir.ensure()
    services.users.add("bob", "one", "apr1")
    with data_dir.password_file.open("a") as extra:
        extra.write("bob:$apr1$x$y\ncarol:$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA\n")
    found = problems(services)["Password file"]
    assert "500" not in found.detail
    assert "listed again" in found.detail and "plain-text password" in found.detail
    assert found.action != "repair_users"  # repair would not fix these, so it is not offered


def test_the_keyring_checks_follow_where_the_password_is(secret_service, data_dir, port: int) -> None:
    """In ~/.pypirc: move it (a warning); in the keyring: ok; changed since, or gone: a problem each."""
    from gui.services.doctor import client_checks

    services = services_for(data_dir)
    settings = services.server.save_settings(ServerSettings(port=port))
    add_user(data_dir.password_file)
    services.clients.apply(services.clients.plan(settings, "urunimi", "pypi", storage=Storage.FILE))
    found = client_checks.keyring(services, settings)
    assert found.outcome is Outcome.WARNING and found.action == "move_to_keyring"

    services.clients.apply(services.clients.plan_move_to_keyring(settings))
    found = client_checks.keyring(services, settings)
    assert found.outcome is Outcome.OK and "urunimi's password" in found.detail

    services.users.change_password("urunimi", "changed-elsewhere")
    found = client_checks.keyring(services, settings)
    assert found.outcome is Outcome.PROBLEM and "another password now" in found.detail

    services.remove_user("urunimi")
    found = client_checks.keyring(services, settings)
    assert found.outcome is Outcome.PROBLEM and "has no password for urunimi" in found.detail
    assert found.action == "set_up_client"


def test_readers_are_not_counted_as_users_who_may_upload(data_dir, port: int) -> None:
    services = services_for(data_dir)
    settings = services.server.save_settings(ServerSettings(port=port))
    services.users.add("reader", "reader-Pa55", "apr1", role="read")
    found = by_check(diagnose(services))["Users"]
    assert found.outcome is Outcome.WARNING and "Nobody may upload" in found.detail and "reader" in found.detail
    services.users.add("alice", "alice-Pa55", "apr1")
    found = by_check(diagnose(services))["Users"]
    assert found.outcome is Outcome.OK and found.detail == "1 publisher may upload; 1 reader may list and download."
    assert settings.port == port


def _script(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_a_keyring_command_only_in_pips_own_environment_does_not_count_for_pip(
    data_dir, port: int, tmp_path: Path, monkeypatch
) -> None:
    from gui.services.clients.pip_conf import pip_config_path
    from gui.services.doctor import client_checks

    pip_conf = pip_config_path()
    pip_conf.parent.mkdir(parents=True, exist_ok=True)
    pip_conf.write_text("[global]\nkeyring-provider = subprocess\n")
    venv_bin = tmp_path / "venv" / "bin"
    _script(venv_bin, "pip")
    beside_pip = _script(venv_bin, "keyring")
    monkeypatch.setenv("PATH", str(venv_bin))
    services = services_for(data_dir)

    everything = ServerSettings(port=port, auth="list,download,update")
    found = client_checks.keyring_command(services, everything)
    assert found.outcome is Outcome.PROBLEM and "pip's own environment, which pip skips" in found.detail
    assert str(beside_pip) in found.detail and "pipx install keyring" in found.fix

    uploads_only = ServerSettings(port=port, auth="update")  # downloads need no password: not "refused"
    found = client_checks.keyring_command(services, uploads_only)
    assert found.outcome is Outcome.WARNING and "installing works now" in found.detail
    assert "refused." not in found.detail.split("Downloads")[0]

    for_the_user = _script(tmp_path / "user-bin", "keyring")  # pipx's, outside any environment
    monkeypatch.setenv("PATH", os.pathsep.join([str(venv_bin), str(for_the_user.parent)]))
    found = client_checks.keyring_command(services, everything)
    assert found.outcome is Outcome.OK and str(for_the_user) in found.detail


@pytest.mark.docker
def test_a_port_held_by_another_pypi_desk_server_is_named_as_such(tmp_path: Path, port: int, docker_client) -> None:
    from gui.services.errors import PortHeldByDeskError
    from gui.services.index.datadir import open_data_dir

    first, second = open_data_dir(tmp_path / "first"), open_data_dir(tmp_path / "second")
    try:
        DeskServices.open(first).server.save_and_start(ServerSettings(port=port, runtime="docker"))
        services = DeskServices.open(second)
        services.server.save_settings(ServerSettings(port=port, runtime="docker"))
        found = by_check(diagnose(services))["Port"]
        assert found.outcome is Outcome.PROBLEM and "another PyPI Desk server" in found.detail
        assert str(first.root) in found.detail and "another program" not in found.detail
        with pytest.raises(PortHeldByDeskError, match="another PyPI Desk server"):
            services.server.save_and_start(ServerSettings(port=port, runtime="docker"))
    finally:
        for folder in (first, second):
            with contextlib.suppress(Exception):
                docker_client.containers.get(folder.container_name).remove(force=True, v=True)


def test_a_port_held_by_another_desk_server_running_as_a_local_process_is_named(tmp_path: Path, port: int) -> None:
    from gui.services.index.datadir import open_data_dir

    first, second = open_data_dir(tmp_path / "first"), open_data_dir(tmp_path / "second")
    holder = DeskServices.open(first)
    try:
        holder.server.save_and_start(ServerSettings(port=port, runtime="process"))
        services = DeskServices.open(second)
        services.server.save_settings(ServerSettings(port=port, runtime="process"))
        found = by_check(diagnose(services))["Port"]
        assert found.outcome is Outcome.PROBLEM and f"the one of {first.root}" in found.detail
    finally:
        holder.server.stop()
