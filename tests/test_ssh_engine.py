"""A server on an ssh:// engine (an sshd on 127.0.0.1 with a key made for the test), reached through a tunnel."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from gui.services.clients.pypirc_reader import Credentials
from gui.services.core import DeskServices
from gui.services.index.settings import ServerSettings
from tests.conftest import free_port
from tests.helpers import make_wheel, remove_volume, unique_volume

pytestmark = [pytest.mark.docker]


@pytest.fixture
def ssh_on_path(loopback_sshd: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The system ssh, with the test's key and known_hosts (as ~/.ssh would give them); the engine's URL."""
    monkeypatch.setenv("PATH", f"{loopback_sshd['SSH_BIN_DIR']}{os.pathsep}{os.environ['PATH']}")
    return loopback_sshd["SSH_URL"]


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        return True
    return False


def test_a_server_on_the_remote_loopback_is_reached_through_a_tunnel(ssh_on_path: str, tmp_path: Path) -> None:
    services = DeskServices.open(engine=ssh_on_path, volume=unique_volume("team-ssh"))
    try:
        remote_port = free_port()
        status = services.server.save_and_start(ServerSettings(port=remote_port))  # bound to the remote's 127.0.0.1
        assert status.running and "SSH tunnel" in status.note
        local_port = int(status.url.rsplit(":", 1)[1])
        assert status.url.startswith("http://127.0.0.1:") and local_port != remote_port
        services.users.add("alice", "alice-Pa55")
        wheel = make_wheel(tmp_path / "dist", "sshtoy", "1.0")
        services.packages.upload(wheel, Credentials("alice", "alice-Pa55"))
        assert [p.name for p in services.packages.listing().projects] == ["sshtoy"]
        log = services.server.logs(tail=5, follow=True)  # the live log over ssh, and closing it as a window does
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(log), daemon=True)
        reader.start()
        log.close()
        reader.join(15)
        assert not reader.is_alive()
        services.close()
        assert not _answers(local_port)  # the tunnel ends with the app
    finally:
        with contextlib.suppress(Exception):
            services.server.stop()
        services.close()
        remove_volume(docker.from_env(), services.data_dir.volume)  # that engine is this machine's first one


def test_an_unknown_host_key_is_explained(loopback_sshd: dict[str, str], tmp_path: Path, monkeypatch) -> None:
    strict = tmp_path / "bin" / "ssh"
    strict.parent.mkdir()
    strict.write_text(
        "#!/bin/sh\n"
        f"exec /usr/bin/ssh -i {loopback_sshd['SSH_KEY']} -o IdentitiesOnly=yes -o UserKnownHostsFile=/dev/null "
        '-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes "$@"\n'
    )
    strict.chmod(strict.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{strict.parent}{os.pathsep}{os.environ['PATH']}")
    services = DeskServices.open(engine=loopback_sshd["SSH_URL"], volume="never-made")
    problem = services.server.engine_problem()
    assert problem is not None
    assert "does not know 127.0.0.1's host key" in problem.reason
    assert "ssh -p 2223 root@127.0.0.1" in problem.fix and "fingerprint" in problem.fix


@pytest.fixture
def sshd_for_a_user_without_docker(loopback_sshd: dict[str, str], monkeypatch) -> Iterator[str]:
    """A system user who may log in over ssh but is not in the docker group, and an sshd of this test's
    own that takes the test key for it (the shared one keeps its keys where only root reads them)."""
    user = "pde-nodocker"
    created = subprocess.run(["id", user], capture_output=True).returncode != 0
    if created:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", user], check=True)
        subprocess.run(["usermod", "--password", "*", user], check=True)  # no password, but not locked
    shared = Path(loopback_sshd["SSH_KEY"]).parent
    folder = Path(tempfile.mkdtemp(prefix="pde-sshd-"))  # not under pytest's 0700 folders: sshd reads it as the user
    folder.chmod(0o755)
    (folder / "authorized_keys").write_text(Path(f"{loopback_sshd['SSH_KEY']}.pub").read_text())
    (folder / "authorized_keys").chmod(0o644)
    port = free_port()
    (folder / "sshd.conf").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {shared / 'host_ed25519'}\nPidFile {folder / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "UsePAM no\nStrictModes no\nAllowStreamLocalForwarding yes\nAllowTcpForwarding yes\n"
    )
    subprocess.run(["/usr/sbin/sshd", "-f", str(folder / "sshd.conf"), "-E", str(folder / "sshd.log")], check=True)
    host_key = (shared / "host_ed25519.pub").read_text().split()[:2]
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(host_key)}\n")
    wrapper = folder / "bin" / "ssh"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f"#!/bin/sh\nexec /usr/bin/ssh -i {loopback_sshd['SSH_KEY']} -o IdentitiesOnly=yes "
        f'-o UserKnownHostsFile={folder / "known_hosts"} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    yield f"ssh://{user}@127.0.0.1:{port}"
    with contextlib.suppress(OSError, ValueError):
        os.kill(int((folder / "sshd.pid").read_text()), 15)
    shutil.rmtree(folder, ignore_errors=True)
    if created:
        subprocess.run(["userdel", "--remove", user], capture_output=True)


def test_a_user_who_may_not_use_docker_there_is_told_what_to_do(sshd_for_a_user_without_docker: str) -> None:
    services = DeskServices.open(engine=sshd_for_a_user_without_docker, volume="never-made")
    problem = services.server.engine_problem()
    assert problem is not None
    assert "pde-nodocker may log in to 127.0.0.1 but may not use its Docker engine" in problem.reason
    assert "sudo usermod -aG docker pde-nodocker" in problem.fix


def test_a_login_the_machine_refuses_is_told_what_to_do(sshd_for_a_user_without_docker: str) -> None:
    stranger = sshd_for_a_user_without_docker.replace("pde-nodocker@", "nobody-here@")
    problem = DeskServices.open(engine=stranger, volume="never-made").server.engine_problem()
    assert problem is not None and "127.0.0.1 refused the login of nobody-here" in problem.reason
    assert "ssh-copy-id" in problem.fix
