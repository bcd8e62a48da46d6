"""The how-to's whole flow through the app, with the real engine, twine, pip and uv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings
from gui.services.server.container import DockerRuntime
from gui.services.users.store import UserStore
from tests.helpers import hosted, make_sdist, make_wheel

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_client", "docker_cleanup")]


def desk(data_dir: DataDir, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gui", "--data-dir", str(data_dir.root), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def authenticated_request(url: str, user: str, password: str) -> int:
    """An authenticated legacy-API request (remove_pkg of nothing): 403 means refused."""
    reply = requests.post(
        f"{url}/", auth=(user, password), data={":action": "remove_pkg", "name": "nothing", "version": "0"}, timeout=10
    )
    return reply.status_code


def test_users_changed_while_the_server_runs_take_effect_at_once(data_dir: DataDir, port: int, docker_client) -> None:
    status = DockerRuntime(data_dir).start(ServerSettings(port=port))
    store = UserStore(data_dir.password_file)
    assert authenticated_request(status.url, "alice", "secret") == 403
    store.add("alice", "secret")
    assert authenticated_request(status.url, "alice", "secret") != 403
    # The server's own user (uid 9898) reads what the app wrote, through the folder mount.
    inside = docker_client.containers.get(data_dir.container_name).exec_run(
        ["cat", "/data/auth/.htpasswd"], user="9898"
    )
    assert inside.exit_code == 0 and inside.output.startswith(b"alice:$2y$")
    store.change_password("alice", "changed")
    assert authenticated_request(status.url, "alice", "secret") == 403
    assert authenticated_request(status.url, "alice", "changed") != 403
    store.remove("alice")
    assert authenticated_request(status.url, "alice", "changed") == 403


def test_the_how_to_flow_with_twine_pip_and_uv(data_dir: DataDir, port: int, tmp_path: Path, isolated_home) -> None:
    """Start, add a user, set up ~/.pypirc, `twine upload -r local`, then pip and uv install from it."""
    assert desk(data_dir, "server", "start", "--port", str(port), "--runtime", "docker").returncode == 0
    password = "how-to-Pa55"
    added = desk(data_dir, "user", "add", "urunimi", "--password-stdin", "--scheme", "apr1", stdin=password + "\n")
    assert added.returncode == 0, added.stderr
    wrote = desk(
        data_dir, "client", "setup", "--username", "urunimi", "--password-stdin", "--plaintext", stdin=password + "\n"
    )
    assert wrote.returncode == 0, wrote.stderr
    assert password not in wrote.stdout + wrote.stderr  # the preview masks it
    assert (isolated_home / ".pypirc").stat().st_mode & 0o777 == 0o600

    dist = tmp_path / "dist"
    files = [make_sdist(dist), make_wheel(dist)]
    twine = subprocess.run(
        [sys.executable, "-m", "twine", "upload", "--non-interactive", "-r", "local", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert twine.returncode == 0, twine.stdout + twine.stderr
    assert {p.name for p in hosted(data_dir.packages_dir)} == {f.name for f in files}

    index = f"http://127.0.0.1:{port}/simple/"
    pip = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "toy==1.0.0",
            "--no-deps",
            "--only-binary=:all:",
            "--index-url",
            index,
            "-d",
            str(tmp_path / "pip"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    assert (tmp_path / "pip" / files[1].name).read_bytes() == files[1].read_bytes()

    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    installed = subprocess.run(
        [uv, "pip", "install", "--no-cache", "--target", str(tmp_path / "uv"), "--index-url", index, "toy==1.0.0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / "uv" / "toy" / "__init__.py").read_text() == '__version__ = "1.0.0"\n'

    twice = subprocess.run(
        [sys.executable, "-m", "twine", "upload", "--non-interactive", "-r", "local", str(files[0])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert twice.returncode != 0  # the index keeps a version once (overwrite is off)
    desk(data_dir, "server", "stop")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_package_commands_and_deleting_files_only_the_container_user_may_delete(
    data_dir: DataDir, port: int, tmp_path: Path
) -> None:
    """Upload and list from the command line; then, stopped, delete files owned by uid 9898 as a user
    who may not (root without CAP_DAC_OVERRIDE): a one-shot container deletes them."""
    assert desk(data_dir, "server", "start", "--port", str(port), "--runtime", "docker").returncode == 0
    assert desk(data_dir, "user", "add", "urunimi", "--password-stdin", stdin="pw\n").returncode == 0
    files = [make_sdist(tmp_path, "toy", "1.0"), make_wheel(tmp_path, "toy", "1.0")]
    junk = tmp_path / "junk-1.0.tar.gz"
    junk.write_bytes(b"junk")
    uploaded = desk(data_dir, "package", "upload", *map(str, [*files, junk]), "--username", "urunimi",
                    "--password-stdin", stdin="pw\n")  # fmt: skip
    assert uploaded.returncode == 1  # one file was refused, the others went
    assert "uploaded toy-1.0.tar.gz" in uploaded.stdout and "junk-1.0.tar.gz: it is not a readable" in uploaded.stderr
    listed = json.loads(desk(data_dir, "package", "list", "--json").stdout)
    assert listed[0]["project"] == "toy" and len(listed[0]["versions"][0]["files"]) == 2
    assert desk(data_dir, "server", "stop").returncode == 0
    assert all(p.stat().st_uid == 9898 for p in hosted(data_dir.packages_dir))
    removed = subprocess.run(
        ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m", "gui",
         "--data-dir", str(data_dir.root), "package", "remove", "toy", "1.0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert removed.returncode == 0, removed.stderr
    assert list(hosted(data_dir.packages_dir)) == []
