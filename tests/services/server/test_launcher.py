"""The launcher's pages: what pip and uv read is pypiserver's, only fast and always fresh (real engine)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import requests
from docker.types import Mount

from gui.services.core import DeskServices
from gui.services.index.settings import ServerSettings
from gui.services.server.command import LAUNCHER_IN_CONTAINER, launcher_note, pypiserver_args
from gui.services.server.inside import LAUNCHER_DIR
from gui.services.server.inside.api_check import missing_api
from gui.services.server.inside.markers import MARKER
from gui.services.volume.files import EMPTY_IMAGE_VOLUME
from tests.conftest import free_port
from tests.helpers import make_sdist, make_wheel

IMAGE = "pypiserver/pypiserver:latest"
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')
JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


def links(url: str) -> list[tuple[str, str]]:
    """(file name, link target) of a page, in order."""
    page = requests.get(url, timeout=10, allow_redirects=False)
    assert page.status_code == 200, (url, page.status_code)
    return [(name, href) for href, name in LINK.findall(page.text)]


@pytest.fixture
def served(data_dir, port: int, docker_client, docker_cleanup):
    """The app's server (the launcher) on a folder with a few projects."""
    data_dir.ensure()
    for name, version in (("toy", "1.0.0"), ("toy", "1.1.0"), ("acme_utils", "0.4.2")):
        make_sdist(data_dir.packages_dir, name, version)
        make_wheel(data_dir.packages_dir, name, version)
    (data_dir.packages_dir / "sub").mkdir()
    make_wheel(data_dir.packages_dir / "sub", "nested", "2.0")
    services = DeskServices.open(data_dir)
    settings = ServerSettings(port=port, runtime="docker", fallback="redirect")  # as plain pypiserver answers
    status = services.server.save_and_start(settings)
    assert status.note == ""  # the launcher serves: no word of the plain way
    return services, status.url


def test_the_launchers_check_passes_on_the_image_at_hand(docker_client) -> None:
    """What the launcher uses of pypiserver and gunicorn is there, checked with the image's own Python."""
    output = docker_client.containers.run(
        IMAGE,
        entrypoint=["python3", f"{LAUNCHER_IN_CONTAINER}/launcher.py", "--check"],
        mounts=[Mount(LAUNCHER_IN_CONTAINER, str(LAUNCHER_DIR), type="bind", read_only=True), EMPTY_IMAGE_VOLUME],
        remove=True,  # the SDK removes the container, not its anonymous volumes: hence the tmpfs
    ).decode()
    assert output.startswith("ok: pypiserver 2."), output


def test_a_missing_piece_is_named_with_the_version_and_becomes_a_note() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pypiserver's bottle imports cgi
        problem = missing_api((("pypiserver", "app"), ("pypiserver", "a_future_only_api")))
    assert problem is not None and problem.startswith("pypiserver ") and "a_future_only_api is missing" in problem
    log = f"[INFO] Booting\n{MARKER} {problem}; serving the plain way (pypi-server) instead\n"
    note = launcher_note(log)
    assert "runs pypiserver the plain way" in note and "a_future_only_api is missing" in note
    assert launcher_note("[INFO] Booting worker\n") == ""


@pytest.mark.docker
def test_pages_match_plain_pypiserver_on_the_same_folder(served, docker_client) -> None:
    """Same projects, same files in the same order, same hashes: the image run the plain way, side by side."""
    services, url = served
    plain_port = free_port()
    data_dir = services.data_dir
    command = pypiserver_args(
        ServerSettings(port=plain_port, fallback="redirect"), port=8080, password_file="/data/auth/.htpasswd",
        packages_dir="/data/packages", server="gunicorn",
    )  # fmt: skip
    plain = docker_client.containers.run(
        IMAGE, command=command, detach=True, ports={"8080/tcp": ("127.0.0.1", plain_port)},
        mounts=[Mount("/data/auth", str(data_dir.auth_dir), type="bind", read_only=True),
                Mount("/data/packages", str(data_dir.packages_dir), type="bind")],
    )  # fmt: skip
    try:
        plain_url = f"http://127.0.0.1:{plain_port}"
        _wait(plain_url)
        assert links(f"{plain_url}/simple/") == links(f"{url}/simple/")  # ours adds PEP 629's version, no link
        projects = [name for name, _ in links(f"{url}/simple/")]
        assert projects == ["acme-utils", "nested", "toy"]
        for project in projects:
            ours, theirs = links(f"{url}/simple/{project}/"), links(f"{plain_url}/simple/{project}/")
            assert ours == theirs and all("#sha256=" in href for _, href in ours)
        for status_of in (
            lambda base: requests.get(f"{base}/simple/Toy/", timeout=10, allow_redirects=False).status_code,  # 301
            lambda base: requests.get(f"{base}/simple/not-here/", timeout=10, allow_redirects=False).status_code,
        ):
            assert status_of(url) == status_of(plain_url)
        odd_paths = (
            "/simple/%2574oy/", "/simple/%74oy/", "//simple/toy/", "//simple/",
            "/packages/%2574oy-1.0.0.tar.gz", "/packages/%74oy-1.0.0.tar.gz", "//packages/toy-1.0.0.tar.gz",
        )  # fmt: skip
        for path in odd_paths:
            assert _raw_status(url, path) == _raw_status(plain_url, path), path  # decoded once, as pypiserver does
        missing = requests.get(f"{url}/simple/not-here/", timeout=10, allow_redirects=False)
        assert missing.status_code == 303 and missing.headers["Location"] == "https://pypi.org/simple/not-here/"
        assert requests.get(f"{url}/health", timeout=10).status_code == 200
    finally:
        plain.remove(force=True)


def _raw_status(url: str, path: str) -> int:
    """The status for ``path`` sent exactly as written (no client normalizes it)."""
    import http.client
    from urllib.parse import urlsplit

    connection = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def _wait(url: str) -> None:
    from gui.services.server.health import wait_until_answers

    assert wait_until_answers(f"{url}/health", lambda: True, 60)


@pytest.mark.docker
def test_every_hash_is_the_files_sha256_and_the_json_form_agrees(served) -> None:
    services, url = served
    for name, href in links(f"{url}/simple/toy/"):
        digest = href.split("#sha256=")[1]
        assert digest == hashlib.sha256((services.data_dir.packages_dir / name).read_bytes()).hexdigest()
    page = requests.get(f"{url}/simple/toy/", headers=JSON, timeout=10)
    assert page.headers["Content-Type"] == "application/vnd.pypi.simple.v1+json"
    files = page.json()["files"]
    assert [(f["filename"], f["hashes"]["sha256"]) for f in files] == [
        (name, href.split("#sha256=")[1]) for name, href in links(f"{url}/simple/toy/")
    ]
    index = requests.get(f"{url}/simple/", headers=JSON, timeout=10).json()
    assert [p["name"] for p in index["projects"]] == ["acme-utils", "nested", "toy"]


@pytest.mark.docker
def test_a_file_copied_in_or_removed_by_hand_shows_at_once_and_a_replaced_one_is_hashed_again(served) -> None:
    """The image's own cached backend never noticed a copied file (the watcher died in the fork)."""
    services, url = served
    packages = services.data_dir.packages_dir
    copied = make_sdist(packages, "copied_by_hand", "3.0")
    assert [name for name, _ in links(f"{url}/simple/copied-by-hand/")] == [copied.name]
    assert "copied-by-hand" in [name for name, _ in links(f"{url}/simple/")]

    (packages / "toy-1.0.0.tar.gz").unlink()
    assert "toy-1.0.0.tar.gz" not in [name for name, _ in links(f"{url}/simple/toy/")]
    shutil.rmtree(packages / "sub")
    assert requests.get(f"{url}/simple/nested/", timeout=10, allow_redirects=False).status_code == 303

    replacement = make_sdist(packages / "elsewhere", "copied_by_hand", "3.0")
    shutil.copyfile(replacement, copied)  # same name, other bytes: in place
    (_, href) = links(f"{url}/simple/copied-by-hand/")[0]
    assert href.endswith(hashlib.sha256(copied.read_bytes()).hexdigest())


@pytest.mark.docker
def test_an_upload_is_installable_at_once(served, tmp_path: Path) -> None:
    """twine upload, then straight away pip and uv find it (no settling time, no restart)."""
    services, url = served
    services.users.add("urunimi", "pypi", "apr1")
    wheel = make_wheel(tmp_path / "dist", "fresh_pkg", "1.0")
    twine = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--repository-url", url,
             "-u", "urunimi", "-p", "pypi", str(wheel)]  # fmt: skip
    assert subprocess.run(twine, capture_output=True, text=True).returncode == 0
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp_path / "pip"),
           "--index-url", f"{url}/simple/", "fresh-pkg==1.0"]  # fmt: skip
    assert subprocess.run(pip, capture_output=True, text=True).returncode == 0
    assert (tmp_path / "pip" / wheel.name).exists()
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "-q", str(venv)], check=True)
    install = [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), "--index-url",
               f"{url}/simple/", "fresh-pkg==1.0", "--no-cache"]  # fmt: skip
    assert subprocess.run(install, capture_output=True, text=True).returncode == 0


@pytest.mark.docker
def test_downloads_are_the_files_and_ask_for_a_password_when_downloads_need_one(
    data_dir, port: int, docker_client, docker_cleanup
) -> None:
    services = DeskServices.open(data_dir)
    data_dir.ensure()
    services.users.add("reader", "pw", "apr1")
    wheel = make_wheel(data_dir.packages_dir, "toy", "1.0.0")
    url = services.server.save_and_start(ServerSettings(port=port, runtime="docker", auth="download,update")).url
    target = f"{url}/packages/{wheel.name}"
    assert requests.get(target, timeout=10).status_code == 401  # as pypiserver refuses: no credentials
    assert requests.get(target, auth=("reader", "wrong"), timeout=10).status_code == 403
    got = requests.get(target, auth=("reader", "pw"), timeout=10)
    assert got.status_code == 200 and got.content == wheel.read_bytes()
    assert got.headers["Content-Length"] == str(wheel.stat().st_size)
    assert requests.get(f"{url}/packages/not-there.whl", auth=("reader", "pw"), timeout=10).status_code == 404


def call(app, path: str, protocol: str = "HTTP/1.1", method: str = "GET", accept: str = "") -> tuple[str, dict, bytes]:
    """One request straight to a WSGI app: (status, headers, body)."""
    answer: dict = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = status, dict(headers)

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_PROTOCOL": protocol, "HTTP_ACCEPT": accept}
    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body


def test_missing_names_redirect_or_404_and_head_and_json_as_pip_expects(tmp_path: Path) -> None:
    """Without Docker: the pages' WSGI code on a folder, with pypiserver's app stubbed out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pypiserver's bottle imports cgi
        from gui.services.server.inside.fast_pages import JSON_TYPE, FastPages
        from gui.services.server.inside.fresh_index import FreshIndex

    make_wheel(tmp_path, "toy", "1.0")
    delegated: list[str] = []

    def pypiserver_app(environ, start_response):
        delegated.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"pypiserver"]

    without_fallback = FastPages(pypiserver_app, FreshIndex(tmp_path, "sha256"), None, None)
    status, _, body = call(without_fallback, "/simple/nope/")
    assert status == "404 Not Found" and b"nope does not exist" in body
    with_fallback = FastPages(pypiserver_app, FreshIndex(tmp_path, "sha256"), "https://pypi.org/simple/", None)
    assert call(with_fallback, "/simple/nope/")[:2] == ("303 See Other", {
        "Location": "https://pypi.org/simple/nope/", "Content-Length": "0", "Content-Type": "text/html"})  # fmt: skip
    assert call(with_fallback, "/simple/nope/", protocol="HTTP/1.0")[0] == "302 Found"
    status, headers, body = call(with_fallback, "/simple/toy/", method="HEAD")
    assert status == "200 OK" and body == b"" and int(headers["Content-Length"]) > 0
    status, headers, body = call(with_fallback, "/simple/toy/", accept=JSON_TYPE)
    assert headers["Content-Type"] == JSON_TYPE and headers["Vary"] == "Accept" and b'"name": "toy"' in body
    assert delegated == []  # none of that needed pypiserver
    call(with_fallback, "/simple/Toy/")  # not normalized: pypiserver's own 301
    call(with_fallback, "/health")
    assert delegated == ["/simple/Toy/", "/health"]


def test_the_plain_way_is_refused_only_for_what_it_cannot_honour(tmp_path: Path) -> None:
    """Without the launcher's API the server may start plain, unless HTTPS is on or someone is a reader."""
    from gui.services.server.inside.options import needs_launcher, split_options

    options, rest = split_options(["--roles", str(tmp_path / "roles.json"), "run", "-p", "8080", "/data/packages"])
    assert rest == ["run", "-p", "8080", "/data/packages"]
    assert not needs_launcher(options)  # no roles file: an older folder, everyone publishes
    (tmp_path / "roles.json").write_text('{"format": 1, "readers": []}')
    assert not needs_launcher(options)
    (tmp_path / "roles.json").write_text('{"format": 1, "readers": ["ci"]}')
    assert needs_launcher(options)
    assert needs_launcher({"--certfile": "/data/tls/server.pem", "--keyfile": "/data/tls/server-key.pem"})


def test_an_accepted_login_is_checked_once_until_the_password_file_changes(tmp_path: Path) -> None:
    """Everything needing a password made every page a bcrypt check (about 280 ms a page)."""
    from gui.services.server.inside.roles import VerifiedLogins

    password_file = tmp_path / ".htpasswd"
    password_file.write_text("alice:hash\n")
    asked: list[tuple[str, str]] = []

    def check(username: str, password: str) -> bool:
        asked.append((username, password))
        return password == "right"

    logins = VerifiedLogins(check, str(password_file))
    assert logins("alice", "right") and logins("alice", "right") and len(asked) == 1
    assert not logins("alice", "wrong") and not logins("alice", "wrong") and len(asked) == 3  # refusals: full price
    replaced = tmp_path / "new"
    replaced.write_text("alice:another-hash\n")
    replaced.replace(password_file)  # as the app saves it: a new file
    assert logins("alice", "right") and len(asked) == 4  # asked again: a changed password is refused at once
    assert "right" not in repr(vars(logins))  # only HMACs are kept
