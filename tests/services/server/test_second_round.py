"""Second-round mends of the server core: the plain local process keeps readers out, settings changes at once
all land, and a full disk during an upload is said in words with nothing half-written served."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from gui.services.core import DeskServices
from gui.services.errors import ServerDiskFullError, ServerStartError
from gui.services.index.settings import ServerSettings, load_settings
from gui.services.server import process
from tests.helpers import hosted, make_wheel


def test_the_plain_local_process_refuses_to_start_while_a_reader_exists(data_dir, port, monkeypatch) -> None:
    """Windows' local process is plain pypiserver: a reader's password would publish there."""
    monkeypatch.setattr(process, "serves_plainly", lambda: True)
    services = DeskServices.open(data_dir)
    data_dir.ensure()
    services.users.add("alice", "alice-Pa55")
    services.users.add("ci", "ci-Pa55", role="read")
    with pytest.raises(ServerStartError, match="cannot tell them apart from publishers"):
        services.server.save_and_start(ServerSettings(port=port, runtime="process"))
    assert not services.server.status().running
    data_dir.roles_file.write_text('{"readers": "ci"}')  # a roles file that does not parse: no plain server either
    with pytest.raises(ServerStartError, match="readers"):
        services.server.start(ServerSettings(port=port, runtime="process"))


def test_five_settings_changes_at_once_all_land(tmp_path: Path) -> None:
    folder = tmp_path / "server"
    changes = ["host=0.0.0.0", "auth=list,download,update", "port=8181", "overwrite=on", "public_name=pypi.lan"]

    def change(one: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gui", "--data-dir", str(folder), "settings", "set", one],
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    with ThreadPoolExecutor(len(changes)) as pool:
        done = list(pool.map(change, changes))
    assert all(result.returncode == 0 for result in done), [result.stderr for result in done]
    stored = load_settings(folder / "pypi-desk.json")
    assert (stored.host, stored.auth, stored.port, stored.overwrite, stored.public_name) == (
        "0.0.0.0", "list,download,update", 8181, True, "pypi.lan"
    )  # fmt: skip


def test_a_form_saves_only_what_it_changed(data_dir) -> None:
    services = DeskServices.open(data_dir)
    loaded = services.server.save_settings(ServerSettings())
    services.server.change_settings(lambda current: current.replace(https=True))  # another window, a command
    services.server.save_changes(loaded, loaded.replace(port=9191))
    stored = services.server.load_settings()
    assert stored.port == 9191 and stored.https  # neither change lost


@pytest.mark.docker
def test_a_full_disk_during_an_upload_is_said_and_nothing_partial_is_kept(
    tmp_path: Path, port: int, docker_client
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small file system")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], check=True)
    services = DeskServices.open(mount / "server")
    try:
        services.server.save_and_start(ServerSettings(port=port, runtime="docker", auth="update"))
        services.users.add("alice", "alice-Pa55")
        big = make_wheel(tmp_path / "dist", "big", "1.0", payload=os.urandom(4 * 1024 * 1024))
        from gui.services.clients.pypirc_reader import Credentials

        with pytest.raises(ServerDiskFullError, match="disk is full"):
            services.packages.upload(big, Credentials("alice", "alice-Pa55"))
        assert [p.name for p in hosted(services.data_dir.packages_dir)] == []  # nothing, not even hidden
        assert services.packages.listing().projects == ()
    finally:
        services.server.stop()
        subprocess.run(["umount", str(mount)], check=False)


def test_no_passwords_while_readers_exist_is_refused(data_dir, port) -> None:
    """With auth=none nobody can be told apart: a reader would publish."""
    services = DeskServices.open(data_dir)
    data_dir.ensure()
    services.users.add("ci", "ci-Pa55", role="read")
    command = [sys.executable, "-m", "gui", "--data-dir", str(data_dir.root), "settings", "set", "auth=none"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "readers (ci) could publish" in done.stderr
    data_dir.settings_file.write_text(f'{{"auth": "none", "port": {port}, "runtime": "process"}}')  # by hand
    with pytest.raises(ServerStartError) as refused:
        services.server.start(services.server.load_settings())
    assert "anyone could publish" in str(refused.value)
    assert not services.server.status().running


def test_a_password_that_is_not_utf8_is_said_in_words(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "gui", "--data-dir", str(tmp_path / "server"), "user", "add", "u",
                           "--password-stdin"], input=b"\xff\xfepw\n", capture_output=True, timeout=60)  # fmt: skip
    assert done.returncode != 0 and b"not UTF-8" in done.stderr and b"unexpected" not in done.stderr.lower()


@pytest.mark.docker
def test_uploads_that_overlap_all_land_in_the_container(data_dir, port: int, docker_client, docker_cleanup) -> None:
    """gevent's worker shared one bottle request among overlapping requests (patched after bottle was
    imported): an upload whose body was still coming in while another request came and went got 400.
    Here two uploads and a health check take turns on three connections, one piece at a time."""
    import http.client
    import uuid

    services = DeskServices.open(data_dir)
    services.server.save_and_start(ServerSettings(port=port, runtime="docker", auth="update"))
    services.users.add("alice", "alice-Pa55")

    def opened(version: str) -> tuple[http.client.HTTPConnection, bytes]:
        wheel = make_wheel(data_dir.root.parent / "dist" / version, "overlap", version, payload=os.urandom(600_000))
        boundary = uuid.uuid4().hex
        fields = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            for key, value in ((":action", "file_upload"), ("name", "overlap"), ("version", version))
        )
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{wheel.name}"\r\n\r\n'
        body = fields + head.encode() + wheel.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.putrequest("POST", "/")
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(len(body)))
        connection.putheader("Authorization", "Basic " + base64.b64encode(b"alice:alice-Pa55").decode())
        connection.endheaders()
        return connection, body

    uploads = [opened("1.0"), opened("2.0")]
    pieces = 8
    for piece in range(pieces):
        for connection, body in uploads:
            size = -(-len(body) // pieces)
            connection.send(body[piece * size : (piece + 1) * size])
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=30).status_code == 200
    statuses = [connection.getresponse().status for connection, _ in uploads]
    for connection, _ in uploads:
        connection.close()
    assert statuses == [200, 200]
    stored = sorted(path.name for path in hosted(data_dir.packages_dir))
    assert stored == ["overlap-1.0-py3-none-any.whl", "overlap-2.0-py3-none-any.whl"]


def test_a_reader_made_while_no_passwords_are_asked_publishes_nothing(data_dir, port, tmp_path: Path) -> None:
    services = DeskServices.open(data_dir)
    data_dir.ensure()
    services.users.add("bob", "bob-Pa55")
    services.server.save_and_start(ServerSettings(port=port, runtime="process", auth="none"))
    try:
        command = [sys.executable, "-m", "gui", "--data-dir", str(data_dir.root), "user", "role", "bob", "read"]
        refused = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "asks no passwords" in refused.stderr
        services.users.set_role("bob", "read")  # as the window or a hand edit could
        wheel = make_wheel(tmp_path / "dist", "toy", "1.0")
        reply = requests.post(
            f"http://127.0.0.1:{port}/",
            data={":action": "file_upload", "name": "toy", "version": "1.0"},
            files={"content": (wheel.name, wheel.read_bytes())},
            auth=("bob", "bob-Pa55"),
            timeout=30,
        )
        assert reply.status_code == 403 and "publishing is off" in reply.text
        assert list(hosted(data_dir.packages_dir)) == []
    finally:
        services.server.stop()
