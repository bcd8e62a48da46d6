"""The launcher's own safety (issue "second round"): roles fail closed, no link is followed, the start check
builds the real app, the index is thread-safe, and a cut-off upload is never served."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from gui.services.index.settings import ServerSettings
from gui.services.server.command import pypiserver_args
from gui.services.server.health import wait_until_answers
from gui.services.server.inside import LAUNCHER_DIR, privileges
from gui.services.server.inside.markers import MARKER
from gui.services.server.inside.options import needs_launcher
from gui.services.server.inside.roles import Readers, RolesError, parse_roles, role_auther
from tests.helpers import hosted, make_wheel

with warnings.catch_warnings():  # pypiserver's bottle imports cgi (deprecated): once, here
    warnings.simplefilter("ignore", DeprecationWarning)

    from gui.services.server.inside.fresh_index import FreshIndex
    from gui.services.server.inside.uploads import UploadRefused, remove_partial_uploads, store_upload

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="changes owners: needs root (CI runs as root)")


@contextlib.contextmanager
def launched(packages: Path, port: int, log: Path, launcher: Path = LAUNCHER_DIR):
    """The launcher (of ``launcher``, a folder) serving ``packages`` on loopback as a local process, no passwords;
    its output in ``log``. Stopped afterwards."""
    args = pypiserver_args(
        ServerSettings(auth="none"), port=port, host="127.0.0.1", password_file=".", packages_dir=str(packages),
        server="gunicorn",
    )  # fmt: skip
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, str(launcher / "launcher.py"), *args], stdout=out, stderr=out)
    try:
        assert wait_until_answers(f"http://127.0.0.1:{port}/health", lambda: server.poll() is None, 60), log.read_text()
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize(
    "text",
    [
        '{"readers": "bob"}',
        "{not json",
        '["bob"]',
        '{"readers": [1]}',
        '{"format": 9, "readers": []}',
        '{"reader": ["bob"]}',
        '{"readers": ["bob"], "readers": []}',
        "[" * 5000 + "]" * 5000,
    ],
)
def test_a_roles_file_that_cannot_be_trusted_is_never_served_plainly(tmp_path: Path, text: str) -> None:
    roles = tmp_path / "roles.json"
    roles.write_text(text)
    with pytest.raises(RolesError, match=str(roles).replace("\\", "\\\\")):
        parse_roles(roles.read_bytes(), str(roles))
    assert needs_launcher({"--roles": str(roles)})  # any doubt: not the plain way, where readers publish


def test_roles_that_allow_the_plain_way(tmp_path: Path) -> None:
    roles = tmp_path / "roles.json"
    assert not needs_launcher({"--roles": str(roles)})  # no file: an older folder, everyone publishes
    roles.write_text('{"format": 1, "readers": []}')
    assert not needs_launcher({"--roles": str(roles)})
    roles.write_text('{"format": 1, "readers": ["bob"]}')
    assert needs_launcher({"--roles": str(roles)})


def test_a_broken_roles_file_refuses_every_upload_but_not_downloads(tmp_path: Path, capsys) -> None:
    roles = tmp_path / "roles.json"
    roles.write_text('{"readers": "bob"}')
    request = SimpleNamespace(method="POST", path="/")
    auther = role_auther(lambda user, password: True, Readers(str(roles)), lambda: request)
    assert not auther("alice", "right")  # not a reader, but the roles cannot be read: nobody publishes
    assert "nobody may publish" in capsys.readouterr().out
    request.method, request.path = "GET", "/simple/"
    assert auther("alice", "right")
    roles.write_text('{"format": 1, "readers": ["bob"]}')
    request.method, request.path = "POST", "/"
    assert auther("alice", "right") and not auther("bob", "right")


@as_root
def test_the_ownership_walk_never_follows_a_link(tmp_path: Path) -> None:
    packages, outside = tmp_path / "packages", tmp_path / "secret.txt"
    (packages / "sub").mkdir(parents=True)
    (packages / "sub" / "toy-1.0.tar.gz").write_bytes(b"x")
    outside.write_text("root's")
    (packages / "link.tar.gz").symlink_to(outside)
    (packages / "linked-folder").symlink_to(tmp_path)
    privileges.hand_over(str(packages), 9898, 9898)
    assert (packages / "sub" / "toy-1.0.tar.gz").stat().st_uid == 9898
    assert (packages / "sub").stat().st_uid == 9898
    assert outside.stat().st_uid == 0 and tmp_path.stat().st_uid == 0  # the links' targets stay root's
    assert (packages / "link.tar.gz").lstat().st_uid == 0  # and so do the links


@as_root
def test_the_tls_copy_goes_to_a_fresh_private_folder(tmp_path: Path) -> None:
    cert, key = tmp_path / "server.pem", tmp_path / "server-key.pem"
    cert.write_text("CERT")
    key.write_text("KEY")
    key.chmod(0o600)
    planted = Path("/tmp/pypi-desk-tls")  # where an older launcher copied to: a link planted there is ignored
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    shutil.rmtree(planted, ignore_errors=True)
    planted.mkdir(mode=0o777)
    (planted / "server-key.pem").symlink_to(victim)
    try:
        options = {"--certfile": str(cert), "--keyfile": str(key)}
        first = privileges.copy_tls_for(9898, 9898, options)
        second = privileges.copy_tls_for(9898, 9898, options)
    finally:
        shutil.rmtree(planted, ignore_errors=True)
    assert victim.read_text() == "untouched"
    folder = Path(first["--keyfile"]).parent
    assert folder != Path(second["--keyfile"]).parent and folder != planted and planted not in folder.parents
    assert folder.stat().st_mode & 0o777 == 0o700 and folder.stat().st_uid == 9898
    assert Path(first["--keyfile"]).read_text() == "KEY" and Path(first["--keyfile"]).stat().st_mode & 0o777 == 0o600
    (tmp_path / "link-key.pem").symlink_to(key)
    with pytest.raises(OSError):  # a link given as the key is not followed
        privileges.copy_tls_for(9898, 9898, {"--certfile": str(cert), "--keyfile": str(tmp_path / "link-key.pem")})
    for copy in (first, second):
        shutil.rmtree(Path(copy["--keyfile"]).parent)


def test_an_app_that_does_not_build_falls_back_to_the_plain_way_with_the_reason(tmp_path: Path, port: int) -> None:
    """A renamed config attribute used to pass the check and kill the worker (exit 3): now the check builds
    the real app, and the server is served the plain way, saying why."""
    launcher = tmp_path / "inside"
    shutil.copytree(LAUNCHER_DIR, launcher, ignore=shutil.ignore_patterns("__pycache__"))
    source = (launcher / "gunicorn_app.py").read_text()
    (launcher / "gunicorn_app.py").write_text(source.replace("config.password_file", "config.password_file_renamed"))
    packages = tmp_path / "packages"
    make_wheel(packages, "toy", "1.0")
    log = tmp_path / "server.log"
    with launched(packages, port, log, launcher):
        assert "toy" in requests.get(f"http://127.0.0.1:{port}/simple/", timeout=10).text
    said = [line for line in log.read_text().splitlines() if line.startswith(MARKER)]
    assert said and "password_file_renamed" in said[0] and "does not build" in said[0]


def test_the_fresh_index_survives_threads_changing_and_reading_it(tmp_path: Path) -> None:
    """The local process runtime serves from threads: readers and a writer at once, no error."""
    packages = tmp_path / "packages"
    for number in range(40):
        make_wheel(packages / f"p{number % 4}", f"proj{number}", "1.0")
    index = FreshIndex(packages, "sha256")
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                index.refresh()
                for name in index.project_names():
                    for package in index.packages_of(name):
                        index.package_at(package.relfn_unix)
                index.all_packages()
                index.has_file("nothing.whl")
            except BaseException as exc:
                errors.append(exc)
                return

    readers = [threading.Thread(target=read) for _ in range(6)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can: a race shows in every run
    for reader in readers:
        reader.start()
    try:
        for round_ in range(150):
            folder = packages / f"new{round_ % 7}"
            made = make_wheel(folder, f"fresh{round_}", "1.0")
            if round_ % 3 == 0:
                made.unlink()
            if round_ % 10 == 9:
                shutil.rmtree(folder)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
        sys.setswitchinterval(interval)
    assert errors == []


def test_a_cut_off_upload_leaves_nothing_that_is_listed(tmp_path: Path) -> None:
    """The stream breaks halfway (a lost connection), or what came is not what the client hashed: nothing
    is stored; a server killed mid-write leaves a dot name that the next start removes."""
    packages = tmp_path / "packages"
    packages.mkdir()

    class Breaks(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            if self.tell() >= 3 * 1024 * 1024:
                raise OSError(104, "Connection reset by peer")
            return super().read(size)

    with pytest.raises(UploadRefused) as refused:
        store_upload(packages, "toy-1.0-py3-none-any.whl", Breaks(b"x" * (8 * 1024 * 1024)), None)
    assert refused.value.status == 500 and "not stored" in refused.value.reason
    with pytest.raises(UploadRefused) as damaged:
        store_upload(packages, "toy-1.0-py3-none-any.whl", io.BytesIO(b"half"), hashlib.sha256(b"whole").hexdigest())
    assert damaged.value.status == 400 and "damaged or cut off" in damaged.value.reason
    assert list(hosted(packages)) == []
    store_upload(packages, "toy-1.0-py3-none-any.whl", io.BytesIO(b"whole"), hashlib.sha256(b"whole").hexdigest())
    assert (packages / "toy-1.0-py3-none-any.whl").read_bytes() == b"whole"
    (packages / ".toy-2.0-py3-none-any.whl.abc.partial").write_bytes(b"half")  # a server killed mid-write
    assert remove_partial_uploads(str(packages)) == 1
    assert sorted(p.name for p in hosted(packages)) == ["toy-1.0-py3-none-any.whl"]


def test_a_client_that_goes_away_mid_upload_stores_nothing(tmp_path: Path, port: int) -> None:
    """curl killed halfway through a 300 MB upload used to leave an 84 MB "wheel" that was listed and served."""
    packages = tmp_path / "packages"
    packages.mkdir()
    log = tmp_path / "server.log"
    with launched(packages, port, log):
        boundary = "pypidesk"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name=":action"\r\n\r\nfile_upload\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
            'filename="toy-1.0-py3-none-any.whl"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        declared = len(head) + 20 * 1024 * 1024
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(
                f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {declared}\r\n\r\n".encode()
                + head
                + b"z" * (2 * 1024 * 1024)
            )  # then the client is gone: 2 of 20 MB sent
        whole = f"--{boundary}--\r\n".encode()
        body = head.replace(b"toy-1.0", b"ok-1.0") + b"w" * 1000 + b"\r\n" + whole
        reply = requests.post(
            f"http://127.0.0.1:{port}/", data=body, timeout=30,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )  # fmt: skip
        assert reply.status_code == 200, reply.text  # the server goes on, and a whole upload lands
        page = requests.get(f"http://127.0.0.1:{port}/simple/", timeout=10).text
        assert "ok" in page and "toy" not in page
    assert sorted(p.name for p in hosted(packages)) == ["ok-1.0-py3-none-any.whl"]
    assert "cut off" in log.read_text() or "broke off" in log.read_text()


def test_pages_answer_while_files_come_and_go(tmp_path: Path, port: int) -> None:
    """A file removed between the listing and its hashing used to answer 500 (the launcher's page and
    pypiserver's /packages/ alike); bounded: 8 readers x 100 requests while a writer churns."""
    from concurrent.futures import ThreadPoolExecutor

    packages = tmp_path / "packages"
    make_wheel(packages, "churn", "0.1")
    stop = threading.Event()

    def churn() -> None:
        number = 0
        while not stop.is_set():
            made = make_wheel(packages, "churn", f"1.{number % 5}", payload=os.urandom(1_000_000))
            made.unlink()
            number += 1

    def read(_: int) -> list[int]:
        with requests.Session() as session:
            return [
                session.get(f"http://127.0.0.1:{port}{path}", timeout=30).status_code
                for _ in range(50)
                for path in ("/simple/churn/", "/packages/")
            ]

    with launched(packages, port, tmp_path / "server.log"):
        writer = threading.Thread(target=churn)
        writer.start()
        try:
            with ThreadPoolExecutor(8) as pool:
                statuses = [status for batch in pool.map(read, range(8)) for status in batch]
        finally:
            stop.set()
            writer.join(timeout=60)
    assert len(statuses) == 800 and set(statuses) == {200}


def test_a_file_name_that_is_not_utf8_is_not_the_indexs(tmp_path: Path) -> None:
    """One such file (copied in by hand, or restored) made every page answer 500."""
    from gui.services.server.inside.package_files import walk

    packages = tmp_path / "packages"
    make_wheel(packages, "good", "1.0")
    (packages / os.fsdecode(b"bad\xff-1.0-py3-none-any.whl")).write_bytes(b"x")
    assert [relative for relative, _ in walk(str(packages))] == ["good-1.0-py3-none-any.whl"]
    index = FreshIndex(packages, "sha256")
    index.refresh()
    assert index.project_names() == ["good"]


def test_the_servers_master_never_imports_bottle(tmp_path: Path) -> None:
    """bottle's per-request state must be made in the worker, after gevent patches it: made in the master
    (before the fork) it was one state for every request, and overlapping uploads broke each other."""
    script = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(LAUNCHER_DIR)!r})\n"
        "import launcher, options\n"
        f"where = options.listen_address(['run', '-p', '8123', '-i', '::1', '-a', '.', {str(tmp_path)!r}])\n"
        "print(json.dumps([where, sorted(m for m in sys.modules if 'bottle' in m or 'pypiserver' in m)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    where, imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert where == ["::1", 8123, str(tmp_path)]
    assert imported == []  # what the master runs imports nothing of pypiserver's
