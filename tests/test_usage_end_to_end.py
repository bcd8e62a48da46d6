"""Downloads counted by the real server in the real engine: pip, uv and a token's user, exactly once each;
never a HEAD, a range, a 304, a metadata file or a refusal; 50 at once exactly; a kill loses at most the
last second; a volume on another machine's engine counts as a folder does."""

from __future__ import annotations

import concurrent.futures
import shutil
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest
import requests

from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.usage.prune import PruneRules
from tests.conftest import free_port
from tests.helpers import make_wheel, remove_volume, unique_volume

pytestmark = [pytest.mark.docker]
UV = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
WHEEL = "usage_demo-1.0-py3-none-any.whl"
JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


def upload(url: str, user: str, password: str, *files: Path) -> None:
    twine = [sys.executable, "-m", "twine", "upload", "--disable-progress-bar", "--repository-url", f"{url}/"]
    done = subprocess.run([*twine, "-u", user, "-p", password, *map(str, files)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def with_login(url: str, user: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest}"


def pip_install(url: str, target: Path, requirement: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--no-deps", "--quiet", "--target", str(target),
         "--index-url", f"{url}/simple/", requirement], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def uv_install(url: str, target: Path, requirement: str) -> None:
    done = subprocess.run(
        [UV, "pip", "install", "--no-cache", "--no-deps", "--target", str(target), "--index-url", f"{url}/simple/",
         requirement], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def settled_total(services: DeskServices, expected: int, timeout: float = 20.0) -> int:
    """The recorded total once it reaches ``expected`` (the server writes once a second), or what it is then."""
    deadline = time.monotonic() + timeout
    total = -1
    while time.monotonic() < deadline:
        total = services.usage.figures(30).total
        if total >= expected:
            return total
        time.sleep(0.2)
    return total


@pytest.fixture(scope="module")
def index(docker_client, tmp_path_factory):
    """Downloads need a password; alice and bob publish, a read token of carol's installs."""
    folder = tmp_path_factory.mktemp("usage")
    data_dir = open_data_dir(folder / "server")
    services = DeskServices.open(data_dir)
    data_dir.ensure()
    for name in ("alice", "bob", "carol"):
        services.users.add(name, f"{name}-Pa55word")
    url = services.server.save_and_start(ServerSettings(port=free_port(), runtime="docker", auth="download,update")).url
    wheel = make_wheel(folder / "dist", "usage_demo", "1.0", b"VALUE = 1\n")
    upload(url, "alice", "alice-Pa55word", wheel)
    yield services, url, folder
    services.server.stop()
    services.close()


def test_each_real_download_counts_once_by_user_and_client_and_nothing_else_counts(index, tmp_path):
    services, url, _ = index
    file_url = f"{url}/packages/{WHEEL}"
    alice = ("alice", "alice-Pa55word")
    # None of these is a download:
    assert requests.head(file_url, auth=alice, timeout=10).status_code == 200
    ranged = requests.get(file_url, auth=alice, headers={"Range": "bytes=0-9"}, timeout=10)
    assert ranged.status_code == 206
    etag = requests.head(file_url, auth=alice, timeout=10).headers["ETag"]
    assert requests.get(file_url, auth=alice, headers={"If-None-Match": etag}, timeout=10).status_code == 304
    assert requests.get(file_url, timeout=10).status_code == 401
    assert requests.get(file_url, auth=("alice", "wrong"), timeout=10).status_code in (401, 403)
    assert requests.get(file_url + ".metadata", auth=alice, timeout=10).status_code == 200

    pip_install(with_login(url, *alice), tmp_path / "pip", "usage-demo")
    uv_install(with_login(url, "bob", "bob-Pa55word"), tmp_path / "uv", "usage-demo")
    reader = services.users.token_store().create("carol", "ci install", read_only=True, expires_days=30)
    with concurrent.futures.ThreadPoolExecutor(50) as pool:  # 50 clients at once, as carol's token
        answers = list(
            pool.map(lambda _: requests.get(file_url, auth=("__token__", reader.secret), timeout=60), range(50))
        )
    assert [a.status_code for a in answers] == [200] * 50

    assert settled_total(services, 52) == 52
    figures = services.usage.figures(30)
    assert dict(figures.users) == {"carol": 50, "alice": 1, "bob": 1}
    assert dict(figures.clients) == {"other": 50, "pip": 1, "uv": 1}
    assert figures.projects == (("usage-demo", 52),)
    assert figures.versions == (("usage-demo", "1.0", 52),)
    assert figures.per_day[-1][1] == 52
    listing = services.packages.listing()
    file = listing.projects[0].versions[0].files[0]
    assert listing.usage_of(file).downloads == 52
    assert listing.facts.recent_downloads("usage-demo", "1.0") == 52
    assert listing.usage_of(file).last_user == "carol"
    assert reader.secret not in "\n".join(services.server.logs())


def test_a_kill_under_load_loses_at_most_the_last_second(index, docker_client):
    services, url, _ = index
    before = services.usage.figures(30).total
    file_url = f"{url}/packages/{WHEEL}"
    finished: list[float] = []
    stop = time.monotonic() + 3.0

    def load() -> None:
        with requests.Session() as session:
            while time.monotonic() < stop + 5:
                try:
                    answer = session.get(file_url, auth=("bob", "bob-Pa55word"), timeout=5)
                except requests.RequestException:
                    return
                if answer.status_code == 200:
                    finished.append(time.monotonic())

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        running = [pool.submit(load) for _ in range(8)]
        while time.monotonic() < stop:
            time.sleep(0.05)
        container = docker_client.containers.get(services.data_dir.container_name)
        killed_at = time.monotonic()
        container.kill()  # SIGKILL: no worker exit, no last write
        for future in running:
            future.result()
    completed = [t for t in finished if t <= killed_at]
    assert len(completed) > 20  # there was load
    recorded = services.usage.figures(30).total - before  # read from the killed server's folder
    services.server.start(services.server.load_settings())
    in_last_second = len([t for t in completed if t > killed_at - 1.5])  # a write takes a moment too
    assert len(completed) - in_last_second <= recorded <= len(finished) + 8


def test_a_stop_writes_what_is_left(index, tmp_path):
    services, url, _ = index
    before = settled_total(services, 0)
    pip_install(with_login(url, "alice", "alice-Pa55word"), tmp_path / "pip", "usage-demo")
    services.server.stop()  # before the next write: the worker writes on its way out
    assert services.usage.figures(30).total == before + 1
    services.server.start(services.server.load_settings())


def upload_times(url: str) -> dict[str, str]:
    page = requests.get(f"{url}/simple/usage-demo/", headers=JSON, auth=("alice", "alice-Pa55word"), timeout=10)
    return {file["filename"]: file["upload-time"] for file in page.json()["files"]}


def test_a_cleanup_through_the_running_server_moves_the_preview_and_restores_it(index):
    services, url, folder = index
    older = [make_wheel(folder / "old", "usage_demo", version, b"old\n") for version in ("0.1", "0.2")]
    upload(url, "bob", "bob-Pa55word", *older)
    before = upload_times(url)
    plan = services.usage.plan(PruneRules(older_than=0, keep=1))  # not the newest
    assert sorted(item.filename for item in plan.items) == sorted(wheel.name for wheel in older)
    result = services.usage.apply(plan)
    assert sorted(result.moved) == sorted(item.path for item in plan.items) and result.entry
    assert set(upload_times(url)) == {WHEEL}  # the server serves them no more
    [entry] = services.usage.trash()
    assert entry.entry == result.entry and sorted(entry.files) == sorted(result.moved)
    restored, taken = services.usage.restore(entry.entry)
    assert sorted(restored) == sorted(result.moved) and taken == []
    assert upload_times(url) == before  # the same upload times as before the cleanup
    assert services.usage.trash() == []

    services.server.stop()  # a cleanup by a one-shot container (as root), a restore by the server's own user
    again = services.usage.apply(services.usage.plan(PruneRules(older_than=0, keep=1)))
    services.server.start(services.server.load_settings())
    restored, taken = services.usage.restore(again.entry)
    assert sorted(restored) == sorted(again.moved) and taken == []
    assert upload_times(url) == before


@pytest.mark.usefixtures("docker_client")
def test_a_volume_on_another_machines_engine_counts_downloads(second_engine, tmp_path):
    volume = unique_volume("usage")
    services = DeskServices.open(engine=second_engine, volume=volume)
    try:
        services.users.add("dana", "dana-Pa55word")
        settings = ServerSettings(port=free_port(), runtime="docker", auth="download,update", usage_days=7)
        url = services.server.save_and_start(settings).url
        upload(url, "dana", "dana-Pa55word", make_wheel(tmp_path / "dist", "usage_demo", "1.0", b"VALUE = 1\n"))
        pip_install(with_login(url, "dana", "dana-Pa55word"), tmp_path / "pip", "usage-demo")
        uv_install(with_login(url, "dana", "dana-Pa55word"), tmp_path / "uv", "usage-demo")
        assert settled_total(services, 2) == 2
        figures = services.usage.figures(90, project="Usage_Demo")
        assert dict(figures.users) == {"dana": 2} and dict(figures.clients) == {"pip": 1, "uv": 1}
        upload(url, "dana", "dana-Pa55word", make_wheel(tmp_path / "old", "usage_demo", "0.9", b"old\n"))
        services.server.stop()
        assert services.usage.figures(30).total == 2  # read from the stopped volume by a helper
        result = services.usage.apply(services.usage.plan(PruneRules(older_than=0, keep=1)))  # by a helper too
        assert result.moved == ("usage_demo-0.9-py3-none-any.whl",)
        assert "usage_demo-0.9-py3-none-any.whl" not in {path for path, *_ in services.server.volume.package_entries()}
        assert services.usage.restore(result.entry) == (["usage_demo-0.9-py3-none-any.whl"], [])
    finally:
        services.server.stop()
        services.close()
        remove_volume(docker.DockerClient(base_url=second_engine), volume)


def test_the_local_process_counts_downloads_too(tmp_path):
    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    services.data_dir.ensure()
    services.users.add("erin", "erin-Pa55word")
    settings = ServerSettings(port=free_port(), runtime="process", auth="download,update")
    url = services.server.save_and_start(settings).url
    try:
        upload(url, "erin", "erin-Pa55word", make_wheel(tmp_path / "dist", "usage_demo", "1.0", b"VALUE = 1\n"))
        uv_install(with_login(url, "erin", "erin-Pa55word"), tmp_path / "uv", "usage-demo")
        assert settled_total(services, 1) == 1
        assert dict(services.usage.figures(30).users) == {"erin": 1}
    finally:
        services.server.stop()
        services.close()


def test_a_cleanup_of_thousands_of_files_runs_through_the_engine(index, tmp_path):
    """Far more paths than one shell argument holds (128 KB): the script runs once per chunk, one trash entry."""
    services = index[0]
    packages = services.data_dir.packages_dir
    wheel = make_wheel(tmp_path, "bulk_project_with_a_rather_long_name", "0.0.1", b"x")
    names = [f"bulk_project_with_a_rather_long_name-0.0.{n}-py3-none-any.whl" for n in range(1, 2501)]
    for name in names:
        shutil.copyfile(wheel, packages / name)
    plan = services.usage.plan(PruneRules(older_than=0, keep=1, patterns=("bulk-*",)))
    assert len(plan.items) == 2499
    result = services.usage.apply(plan)
    assert len(result.moved) == 2499 and result.entry
    assert [path.name for path in packages.glob("bulk_*")] == [names[-1]]
    restored, taken = services.usage.restore(result.entry)
    assert len(restored) == 2499 and taken == []
    assert len(list(packages.glob("bulk_*"))) == 2500
    services.usage.apply(services.usage.plan(PruneRules(older_than=0, keep=0, patterns=("bulk-*",))))
    services.usage.empty_trash()


def test_a_held_database_lock_never_holds_up_requests(index):
    """Someone holds the index database's write lock (an admin's sqlite3 session): the server serves on, keeps
    the downloads in memory and writes them once it can."""
    import sqlite3

    services, url, _ = index
    before = settled_total(services, 0)
    holder = sqlite3.connect(services.data_dir.packages_dir / ".pypi-desk" / "index.sqlite3", timeout=10)
    holder.execute("BEGIN IMMEDIATE")
    try:
        slowest = 0.0
        for _ in range(6):
            began = time.monotonic()
            answer = requests.get(f"{url}/packages/{WHEEL}", auth=("alice", "alice-Pa55word"), timeout=30)
            requests.get(f"{url}/simple/usage-demo/", auth=("alice", "alice-Pa55word"), timeout=30)
            slowest = max(slowest, time.monotonic() - began)
            assert answer.status_code == 200
            time.sleep(0.5)  # across the server's once-a-second writes
        assert slowest < 1.0, f"a request waited {slowest:.1f} s for the lock"
    finally:
        holder.rollback()
        holder.close()
    assert settled_total(services, before + 6) == before + 6
