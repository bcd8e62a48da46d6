"""A team index on "another machine": a second Docker engine, the data in a named volume, nothing on this disk.

The second dockerd (../shared/docker/start-second-engine.sh) has its own data root and socket;
the app reaches it by URL, as it would reach another machine's. Real twine, pip and uv.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import docker
import pytest
import requests

from gui.cli import main as cli
from gui.services.backup.volume_copy import restore_any
from gui.services.core import DeskServices
from gui.services.doctor import diagnose
from gui.services.doctor.findings import Outcome
from gui.services.errors import BackupError
from gui.services.index.settings import ServerSettings
from tests.conftest import free_port
from tests.helpers import make_sdist, make_wheel, remove_volume, unique_volume

pytestmark = [pytest.mark.docker]


@contextlib.contextmanager
def volume_server(engine: str, prefix: str) -> DeskServices:
    """The core of the server in a new volume (``prefix``-random) on ``engine``; removed afterwards."""
    services = DeskServices.open(engine=engine, volume=unique_volume(prefix))
    try:
        yield services
    finally:
        with contextlib.suppress(Exception):
            services.server.stop()
        services.close()
        remove_volume(docker.DockerClient(base_url=engine) if engine else docker.from_env(), services.data_dir.volume)


def _twine(url: str, user: str, password: str, *files: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--repository-url", url]
    return subprocess.run([*command, "-u", user, "-p", password, *map(str, files)], capture_output=True, text=True)


def _pip_download(index: str, requirement: str, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "-d", str(target),
         "--index-url", index, requirement],
        capture_output=True, text=True,
    )  # fmt: skip


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_a_volume_server_on_another_engine_does_everything_through_the_api(
    second_engine: str, tmp_path: Path, isolated_home: Path
) -> None:
    port = free_port()
    with volume_server(second_engine, "team-e2e") as services:
        status = services.server.save_and_start(ServerSettings(port=port))
        assert status.running and status.url == f"http://127.0.0.1:{port}"

        engine = docker.DockerClient(base_url=second_engine)
        container = engine.containers.get(services.data_dir.container_name)
        mounts = container.attrs["Mounts"]
        assert {m["Type"] for m in mounts} <= {"volume", "tmpfs"}, mounts  # no bind mount of this machine
        assert any(m["Type"] == "volume" and m["Name"] == services.data_dir.volume for m in mounts)
        with pytest.raises(docker.errors.NotFound):  # it is the other engine's, not this machine's
            docker.from_env().containers.get(services.data_dir.container_name)

        services.users.add("alice", "alice-Pa55")  # after the start: no restart
        sdist = make_sdist(tmp_path / "dist", "teamtoy", "1.0.0")
        wheel = make_wheel(tmp_path / "dist", "teamtoy", "1.0.0")
        uploaded = _twine(status.url, "alice", "alice-Pa55", sdist, wheel)
        assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
        assert _twine(status.url, "alice", "wrong", sdist).returncode != 0

        got = _pip_download(f"{status.url}/simple/", "teamtoy==1.0.0", tmp_path / "got")
        assert got.returncode == 0, got.stdout + got.stderr
        assert (tmp_path / "got" / wheel.name).read_bytes() == wheel.read_bytes()
        uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
        installed = subprocess.run(
            [uv, "pip", "install", "--no-cache", "--target", str(tmp_path / "uv"),
             "--index-url", f"{status.url}/simple/", "teamtoy==1.0.0"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert installed.returncode == 0, installed.stderr

        listing = services.packages.listing()
        assert [(p.name, [str(v.version) for v in p.versions]) for p in listing.projects] == [("teamtoy", ["1.0.0"])]
        assert listing.file_count == 2

        log = "".join(services.server.logs(tail=50))
        assert '"POST / HTTP/1.1" 200' in log and '"POST / HTTP/1.1" 403' in log, log

        findings = diagnose(services)
        assert not [f for f in findings if f.outcome is Outcome.PROBLEM], [str(f) for f in findings]
        assert any(f.check == "Data volume" and f.outcome is Outcome.OK for f in findings)

        from gui.services.clients.pypirc_reader import Credentials

        removed = services.packages.delete_version("teamtoy", "1.0.0", Credentials("alice", "alice-Pa55"))
        assert sorted(removed) == sorted([sdist.name, wheel.name])
        assert services.packages.listing().file_count == 0

        # Nothing of the server is on this disk: no password file, no package, under HOME or the platform folders.
        local = [p.name for p in _files_under(isolated_home)]
        assert ".htpasswd" not in local and not any(n.endswith((".whl", ".tar.gz")) for n in local), local
        assert not (services.data_dir.root / "packages").exists() and not (services.data_dir.root / "auth").exists()


def test_backup_of_a_volume_restores_onto_the_first_engine_with_equal_hashes(
    second_engine: str, tmp_path: Path, docker_client
) -> None:
    wheel = make_wheel(tmp_path / "dist", "movedtoy", "2.0")
    archive = tmp_path / "team.tar.gz"
    with volume_server(second_engine, "team-backup") as source:
        source.users.add("pub", "pub-Pa55")
        source.users.add("ci", "ci-Pa55-read", role="read")
        status = source.server.save_and_start(ServerSettings(port=free_port()))
        assert _twine(status.url, "pub", "pub-Pa55", wheel).returncode == 0
        assert cli(["--engine", second_engine, "--volume", source.data_dir.volume, "backup", str(archive)]) == 0

    bad = tmp_path / "bad.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with volume_server("", "team-restored") as restored:
        with pytest.raises(BackupError, match="Nothing was restored"):
            restore_any(bad, restored)
        with pytest.raises(docker.errors.NotFound):
            docker_client.volumes.get(restored.data_dir.volume)  # a refused archive leaves no volume

        assert cli(["--volume", restored.data_dir.volume, "restore", str(archive)]) == 0
        assert {(u.name, u.role) for u in restored.users.users()} == {("pub", "publish"), ("ci", "read")}
        other = restored.server.save_and_start(restored.server.load_settings().replace(port=free_port()))
        page = requests.get(f"{other.url}/simple/movedtoy/", timeout=10)
        assert f"#sha256={hashlib.sha256(wheel.read_bytes()).hexdigest()}" in page.text
        got = _pip_download(f"{other.url}/simple/", "movedtoy==2.0", tmp_path / "got")
        assert got.returncode == 0, got.stderr
        assert (tmp_path / "got" / wheel.name).read_bytes() == wheel.read_bytes()
        with pytest.raises(BackupError, match="already holds an index"):
            restore_any(archive, restored)  # never over an index


def test_two_desks_adding_users_to_one_volume_lose_none(second_engine: str) -> None:
    with volume_server(second_engine, "team-lock") as first:
        second = DeskServices.open(engine=second_engine, volume=first.data_dir.volume)
        first.server.save_and_start(ServerSettings(port=free_port()))
        errors: list[Exception] = []

        def add(services: DeskServices, prefix: str) -> None:
            try:
                for index in range(3):
                    services.users.add(f"{prefix}{index}", "Pa55-word-long", scheme="apr1")
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=add, args=(s, p)) for s, p in ((first, "a"), (second, "b"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert sorted(u.name for u in first.users.users()) == ["a0", "a1", "a2", "b0", "b1", "b2"]


def test_moving_a_folder_index_to_another_engine_keeps_it_serving(
    second_engine: str, data_dir, tmp_path: Path, docker_cleanup
) -> None:
    from gui.services.backup.move import move_to_volume

    services = DeskServices.open(data_dir)
    services.data_dir.ensure()
    services.users.add("pub", "pub-Pa55")
    port = free_port()
    status = services.server.save_and_start(ServerSettings(port=port, runtime="docker"))
    wheel = make_wheel(tmp_path / "dist", "movingtoy", "1.0")
    assert _twine(status.url, "pub", "pub-Pa55", wheel).returncode == 0
    with volume_server(second_engine, "team-moved") as target:
        moved, summary = move_to_volume(services, target.data_dir.volume, second_engine)
        try:
            assert summary.files >= 2
            now = moved.server.status()
            assert now.running and now.url == f"http://127.0.0.1:{port}"
            assert "pde" in now.detail or second_engine in now.detail
            page = requests.get(f"{now.url}/simple/movingtoy/", timeout=10)
            assert f"#sha256={hashlib.sha256(wheel.read_bytes()).hexdigest()}" in page.text
            assert not services.server.status().running  # the old one stopped, its folder kept
            assert (data_dir.packages_dir / wheel.name).exists()
        finally:
            moved.server.stop()
            moved.close()


def test_engine_and_volume_options_refuse_what_cannot_work(capsys, second_engine: str) -> None:
    assert cli(["--engine", second_engine, "user", "list"]) == 1
    assert "add --volume NAME" in capsys.readouterr().err
    assert cli(["--data-dir", "/tmp/x", "--volume", "v", "user", "list"]) == 1
    assert "not both" in capsys.readouterr().err
    assert cli(["--volume", "bad name!", "user", "list"]) == 1
    assert "cannot name a Docker volume" in capsys.readouterr().err
    assert cli(["--engine", "ftp://host", "--volume", "v", "user", "list"]) == 1
    assert "not a Docker engine address" in capsys.readouterr().err
    assert cli(["--engine", "no-such-context", "--volume", "v", "user", "list"]) == 1
    assert "no Docker context named 'no-such-context'" in capsys.readouterr().err.replace("There is", "there is")


def test_the_launcher_and_the_certificate_reach_the_volume_and_follow_the_app(second_engine: str) -> None:
    from gui.services.server.inside import LAUNCHER_DIR

    with volume_server(second_engine, "team-tls") as services:
        services.server.save_settings(ServerSettings(port=free_port(), https=True))
        files = services.server.volume
        files.create()
        files.write({"launcher/launcher.py": b"raise SystemExit('an older PyPI Desk')\n"})  # as an old version left it
        status = services.server.start(services.server.load_settings())
        assert status.url.startswith("https://") and not status.note  # served by today's launcher
        assert files.read("launcher/launcher.py") == (LAUNCHER_DIR / "launcher.py").read_bytes()
        reply = requests.get(f"{status.url}/simple/", timeout=10, verify=str(services.server.tls.ca_cert))
        assert reply.status_code == 200
        owners = files.run("stat -c '%n %a %u' /data/desk/tls/server-key.pem /data/desk/auth/.htpasswd")
        assert "server-key.pem 600 0" in owners and ".htpasswd 644 0" in owners  # the server's user reads, never writes
        assert not list(services.data_dir.root.glob("**/*.htpasswd"))


def test_looking_at_a_volume_that_is_not_there_creates_nothing(second_engine: str, capsys) -> None:
    name = unique_volume("not-there-yet")
    assert cli(["--engine", second_engine, "--volume", name, "user", "list"]) == 0
    assert cli(["--engine", second_engine, "--volume", name, "package", "list"]) == 0
    assert cli(["--engine", second_engine, "--volume", name, "server", "start", "--runtime", "process"]) == 1
    assert "runs in Docker" in capsys.readouterr().err
    with pytest.raises(docker.errors.NotFound):
        docker.DockerClient(base_url=second_engine).volumes.get(name)
