"""The cache of upstream's projects, end to end through the local process: a stand-in upstream (a real HTTP
index on loopback), pip and uv, and what a team would notice: what is fetched once, verified, kept, shadowed,
and what still installs when upstream is gone."""

from __future__ import annotations

import concurrent.futures
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from gui.services.cache.targets import Target
from gui.services.clients.pypirc_reader import Credentials
from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.server.upstream_network import CA_IN_CONTAINER, host_ca_bundle
from tests.conftest import free_port
from tests.helpers import make_wheel, wait_for_log_line
from tests.test_usage_end_to_end import UV, upload
from tests.upstream_standin import JSON_TYPE, StandInIndex

PUBLISHER = ("carol", "carol-Pa55word")


def install(url: str, target: Path, *requirements: str, tool: str = "pip") -> subprocess.CompletedProcess:
    if tool == "pip":
        command = [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--quiet", "--isolated"]
    else:
        command = [UV, "pip", "install", "--no-cache"]
    command += ["--target", str(target), "--index-url", f"{url}/simple/", *requirements]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


@pytest.fixture
def upstream(tmp_path):
    folder = tmp_path / "upstream"
    make_wheel(folder, "leftpad", "1.0", b"A" * 1000, metadata="Requires-Dist: rightpad\nRequires-Python: >=3.8")
    make_wheel(folder, "rightpad", "2.0", b"B" * 300_000)
    make_wheel(folder, "bigpad", "1.0", bytes(range(256)) * 40_000)  # 10 MB
    standin = StandInIndex(folder, delay=0.03).start()
    yield standin
    standin.stop()


@pytest.fixture
def cached_index(tmp_path, upstream):
    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    services.data_dir.ensure()
    services.users.add(*PUBLISHER)
    settings = ServerSettings(port=free_port(), runtime="process", fallback="cache", upstream=upstream.url)
    url = services.server.save_and_start(settings).url
    yield services, url, upstream
    services.server.stop()
    services.close()


def test_public_packages_install_through_the_cache_and_still_do_when_upstream_is_gone(cached_index, tmp_path):
    services, url, upstream = cached_index
    done = install(url, tmp_path / "cold", "leftpad")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cold" / "rightpad").is_dir()  # the dependency came through the cache too
    fetched = {path: count for path, count in upstream.requests.items() if path.startswith("/files/")}
    assert all(count == 1 for count in fetched.values()) and len(fetched) == 4  # two wheels, two metadata files

    done = install(url, tmp_path / "warm", "leftpad", tool="uv")
    assert done.returncode == 0, done.stderr
    assert {p: c for p, c in upstream.requests.items() if p.startswith("/files/")} == fetched  # nothing again

    upstream.stop()
    done = install(url, tmp_path / "offline", "leftpad")
    assert done.returncode == 0, done.stderr  # served from the kept pages and files
    answer = requests.get(f"{url}/simple/bigpad/", timeout=30)
    assert answer.status_code == 502
    assert "not hosted here nor kept in the cache" in answer.text and "refused" in answer.text
    kept = services.packages.facts().cached
    assert sorted(kept) == ["leftpad", "rightpad"]
    assert kept["rightpad"].size > 300_000


def test_a_file_altered_upstream_after_its_page_was_read_is_refused_and_not_kept(cached_index, tmp_path):
    services, url, upstream = cached_index
    page = requests.get(f"{url}/simple/rightpad/", headers={"Accept": JSON_TYPE}, timeout=30).json()
    wanted = page["files"][0]["hashes"]["sha256"]
    assert page["files"][0]["url"].startswith("../../cached/rightpad/")
    altered = b"X" * page["files"][0]["size"]  # another file of the very same size
    upstream.altered["rightpad-2.0-py3-none-any.whl"] = altered

    done = install(url, tmp_path / "altered", "rightpad")
    assert done.returncode != 0
    line = wait_for_log_line(services.server.process, lambda text: "refused" in text and wanted in text)
    assert hashlib.sha256(altered).hexdigest() in line
    cached = services.data_dir.packages_dir / ".pypi-desk" / "cache" / "rightpad"
    assert not (cached / "rightpad-2.0-py3-none-any.whl").exists()
    assert not [p for p in cached.iterdir() if ".part-" in p.name]  # no half-kept file either

    del upstream.altered["rightpad-2.0-py3-none-any.whl"]
    done = install(url, tmp_path / "mended", "rightpad")
    assert done.returncode == 0, done.stderr


def test_a_name_the_team_hosts_never_gets_upstreams_files(cached_index, tmp_path):
    _, url, _ = cached_index
    assert requests.get(f"{url}/simple/leftpad/", timeout=30).status_code == 200  # cached from upstream first
    ours = make_wheel(tmp_path / "ours", "leftpad", "0.1", b"TEAM = True\n")
    upload(url, *PUBLISHER, ours)
    page = requests.get(f"{url}/simple/leftpad/", headers={"Accept": JSON_TYPE}, timeout=30).json()
    assert [file["filename"] for file in page["files"]] == [ours.name]
    kept = requests.get(f"{url}/cached/leftpad/leftpad-1.0-py3-none-any.whl", timeout=30)
    assert kept.status_code == 404 and "is hosted here" in kept.text
    done = install(url, tmp_path / "install", "leftpad")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "install" / "leftpad" / "__init__.py").read_text().strip() == '__version__ = "0.1"'


def test_ten_clients_asking_for_one_uncached_file_cause_one_upstream_fetch(cached_index):
    _, url, upstream = cached_index
    link = requests.get(f"{url}/simple/bigpad/", headers={"Accept": JSON_TYPE}, timeout=30).json()["files"][0]
    file_url = f"{url}/simple/bigpad/{link['url']}"

    def fetch(_: int) -> str:
        answer = requests.get(file_url, timeout=60)
        answer.raise_for_status()
        return hashlib.sha256(answer.content).hexdigest()

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        digests = list(pool.map(fetch, range(10)))
    assert digests == [link["hashes"]["sha256"]] * 10
    assert upstream.requests["/files/bigpad-1.0-py3-none-any.whl"] == 1


def test_cached_projects_need_the_same_password_as_the_teams_own(tmp_path, upstream):
    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    services.data_dir.ensure()
    services.users.add(*PUBLISHER)
    settings = ServerSettings(port=free_port(), runtime="process", fallback="cache", upstream=upstream.url,
                              auth="list,download,update")  # fmt: skip
    url = services.server.save_and_start(settings).url
    try:
        assert requests.get(f"{url}/simple/rightpad/", timeout=30).status_code == 401
        page = requests.get(f"{url}/simple/rightpad/", auth=PUBLISHER, timeout=30)
        assert page.status_code == 200
        file_url = f"{url}/cached/rightpad/rightpad-2.0-py3-none-any.whl"
        assert requests.get(file_url, timeout=30).status_code == 401
        assert requests.get(file_url, auth=("carol", "wrong"), timeout=30).status_code == 401
        assert requests.get(file_url, auth=PUBLISHER, timeout=30).status_code == 200
        assert upstream.requests["/files/rightpad-2.0-py3-none-any.whl"] == 1  # nobody without a login caused one
    finally:
        services.server.stop()
        services.close()


def test_a_stale_page_is_served_from_the_cache_with_a_log_line_saying_why(tmp_path, upstream):
    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    settings = ServerSettings(port=free_port(), runtime="process", fallback="cache", upstream=upstream.url,
                              cache_minutes=0)  # fmt: skip
    url = services.server.save_and_start(settings).url
    try:
        assert requests.get(f"{url}/simple/rightpad/", timeout=30).status_code == 200
        assert requests.get(f"{url}/simple/rightpad/", timeout=30).status_code == 200
        assert upstream.requests["/simple/rightpad/"] == 2  # no time to live: fetched again
        upstream.stop()
        assert requests.get(f"{url}/simple/rightpad/", timeout=30).status_code == 200
        line = wait_for_log_line(services.server.process, lambda text: "served from the cache" in text)
        assert "refused" in line
        assert "refused" in services.packages.facts().upstream_problem
    finally:
        services.server.stop()
        services.close()


def test_the_container_reaches_upstream_through_the_hosts_proxy(docker_client, data_dir, tmp_path, monkeypatch,
                                                                 docker_cleanup):  # fmt: skip
    """The server in Docker is handed this machine's proxy variables (and CA bundle); upstream's name resolves
    nowhere, so only the proxy can have answered."""
    gateway = docker_client.networks.get("bridge").attrs["IPAM"]["Config"][0]["Gateway"]
    folder = tmp_path / "upstream"
    make_wheel(folder, "leftpad", "1.0", b"A" * 1000, metadata="Requires-Dist: rightpad")
    make_wheel(folder, "rightpad", "2.0", b"B" * 3_000_000)
    proxy = StandInIndex(folder, host=gateway).start()
    monkeypatch.setenv("HTTP_PROXY", f"http://{gateway}:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    services = DeskServices.open(data_dir)
    settings = ServerSettings(
        port=free_port(), runtime="docker", fallback="cache", upstream="http://pypi.invalid/simple/"
    )
    try:
        url = services.server.save_and_start(settings).url
        container = docker_client.containers.get(data_dir.container_name)
        assert f"HTTP_PROXY=http://{gateway}:{proxy.port}" in container.attrs["Config"]["Env"]
        if host_ca_bundle() is not None:  # this machine's CA bundle, for a network that inspects HTTPS
            assert CA_IN_CONTAINER in [mount["Destination"] for mount in container.attrs["Mounts"]]
        done = install(url, tmp_path / "through-proxy", "leftpad", tool="uv")
        assert done.returncode == 0, done.stderr
        assert proxy.requests["http://pypi.invalid/simple/leftpad/"] == 1
        assert proxy.requests["http://pypi.invalid/files/rightpad-2.0-py3-none-any.whl"] == 1
        assert sorted(services.packages.facts().cached) == ["leftpad", "rightpad"]
        gone = services.cache.clear("rightpad")
        assert gone["files"] == 1 and gone["bytes"] > 3_000_000
        assert sorted(services.packages.facts().cached) == ["leftpad"]
    finally:
        services.server.stop()
        proxy.stop()
        services.close()


def test_the_doctor_names_a_team_name_also_cached_and_why_upstream_is_not_reached(cached_index, tmp_path):
    from gui.services.doctor.run import diagnose

    services, url, upstream = cached_index
    assert requests.get(f"{url}/cached/rightpad/rightpad-2.0-py3-none-any.whl", timeout=30).status_code == 200
    upload(url, *PUBLISHER, make_wheel(tmp_path / "ours", "rightpad", "0.1"))
    upstream.stop()
    assert requests.get(f"{url}/simple/bigpad/", timeout=30).status_code == 502
    found = {finding.check: finding for finding in diagnose(services)}["Public packages (upstream)"]
    assert "rightpad" in found.detail and "cache clear rightpad" in found.fix
    services.cache.clear("rightpad")
    found = {finding.check: finding for finding in diagnose(services)}["Public packages (upstream)"]
    assert "could not be reached" in found.detail and "refused" in found.detail


def test_a_set_for_two_machines_fetches_each_ones_own_wheels_and_nothing_for_the_host_alone(tmp_path, upstream):
    """win-amd64 with Python 3.10 and linux-x86_64 with 3.12: each target's own wheel and markers, resolved by uv
    for that target (a dependency for Windows only comes for Windows only)."""
    from gui.cli import main as cli

    folder = upstream.folder
    base = make_wheel(tmp_path / "build", "nativepkg", "1.0", b"N" * 5000,
                      metadata="Requires-Dist: winonly; sys_platform == 'win32'\nRequires-Dist: rightpad")  # fmt: skip
    tags = ("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64", "cp310-cp310-win_amd64",
            "cp312-cp312-win_amd64", "cp310-cp310-manylinux_2_17_x86_64", "cp312-cp312-macosx_11_0_arm64")  # fmt: skip
    for tag in tags:
        (folder / f"nativepkg-1.0-{tag}.whl").write_bytes(base.read_bytes())
    make_wheel(folder, "winonly", "1.0")
    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    settings = ServerSettings(port=free_port(), runtime="process", fallback="cache", upstream=upstream.url)
    services.server.save_and_start(settings)
    try:
        requirements = tmp_path / "requirements.txt"
        requirements.write_text("nativepkg\n")
        assert cli(["--data-dir", str(services.data_dir.root), "mirror", "add", "-r", str(requirements),
                    "--platform", "linux-x86_64,win-amd64", "--python", "3.12", "--python", "3.10"]) == 0  # fmt: skip
        cached = {file.filename for file in services.packages.facts().cached["nativepkg"].files}
        assert cached == {f"nativepkg-1.0-{tag}.whl" for tag in tags[:4]}  # never the macOS wheel
        every = {f.filename for project in services.packages.facts().cached.values() for f in project.files}
        assert "winonly-1.0-py3-none-any.whl" in every and "rightpad-2.0-py3-none-any.whl" in every

        reports = services.cache.add_set(["nativepkg"], [Target("linux-x86_64", "3.12")])
        assert [name for name, _, _ in reports[0].files] == [
            "nativepkg-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "rightpad-2.0-py3-none-any.whl",
        ]  # the host's platform alone: no Windows-only dependency
        assert reports[0].fetched == 0  # all kept already
    finally:
        services.server.stop()
        services.close()


def test_six_installs_from_the_real_pypi_through_the_cache(tmp_path):
    """The one test against PyPI itself (through this machine's network, proxy and CA bundle)."""
    try:
        requests.get("https://pypi.org/simple/six/", timeout=15).raise_for_status()
    except requests.RequestException as exc:
        pytest.skip(f"PyPI cannot be reached from here ({type(exc).__name__}): the stand-in tests cover the cache")
    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    settings = ServerSettings(port=free_port(), runtime="process")  # the defaults: fallback=cache, PyPI upstream
    assert (settings.fallback, settings.upstream) == ("cache", "https://pypi.org/simple/")
    url = services.server.save_and_start(settings).url
    try:
        done = install(url, tmp_path / "six", "six")
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "six" / "six.py").is_file()
        kept = services.packages.facts().cached["six"]
        assert [file.filename for file in kept.files] and kept.size > 0
    finally:
        services.server.stop()
        services.close()


def test_a_backup_carries_the_cache_to_an_offline_machine_and_installs_there(cached_index, tmp_path):
    from gui.services.backup.volume_copy import backup_any, restore_any

    services, url, upstream = cached_index
    done = install(url, tmp_path / "online", "leftpad")
    assert done.returncode == 0, done.stderr
    with_cache = backup_any(services, tmp_path / "with.tar.gz")
    without = backup_any(services, tmp_path / "without.tar.gz", with_cache=False)
    assert with_cache.bytes - without.bytes > 300_000  # rightpad's wheel and the rest of the cache
    upstream.stop()  # the offline machine reaches no upstream

    offline = DeskServices.open(open_data_dir(tmp_path / "offline"))
    restore_any(tmp_path / "with.tar.gz", offline)
    settings = offline.server.load_settings().replace(port=free_port(), runtime="process")
    offline_url = offline.server.save_and_start(settings).url
    try:
        done = install(offline_url, tmp_path / "installed-offline", "leftpad", tool="uv")
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "installed-offline" / "rightpad").is_dir()
        assert sorted(offline.packages.facts().cached) == ["leftpad", "rightpad"]
    finally:
        offline.server.stop()
        offline.close()


def test_a_volume_server_caches_through_its_engine_with_a_login_upstream_asks_for(docker_client, tmp_path):
    """Data in a volume: the CA bundle and upstream's login put into it, the cache listed and cleared through the
    engine; upstream's login reaches upstream and nothing else."""
    from tests.test_volume_end_to_end import volume_server

    gateway = docker_client.networks.get("bridge").attrs["IPAM"]["Config"][0]["Gateway"]
    folder = tmp_path / "upstream"
    make_wheel(folder, "rightpad", "2.0", b"B" * 300_000)
    standin = StandInIndex(folder, host=gateway).start()
    logins: list[str] = []
    answer = standin._answer
    standin._answer = lambda handler: (logins.append(handler.headers.get("Authorization", "")), answer(handler))[1]
    try:
        with volume_server("", "cache-volume") as services:
            services.cache.login("mirror-bot", "s3cret-token")
            settings = ServerSettings(port=free_port(), fallback="cache", upstream=standin.url)
            url = services.server.save_and_start(settings).url
            assert requests.get(f"{url}/cached/rightpad/rightpad-2.0-py3-none-any.whl", timeout=30).status_code == 200
            assert set(logins) == {"Basic bWlycm9yLWJvdDpzM2NyZXQtdG9rZW4="}  # mirror-bot:s3cret-token, every time
            assert sorted(services.packages.facts().cached) == ["rightpad"]
            assert services.cache.clear(None)["files"] == 1
            assert services.packages.facts().cached == {}
            assert services.cache.logout() is True
    finally:
        standin.stop()


def test_a_name_the_team_removed_is_not_handed_to_upstream_until_allowed(cached_index, tmp_path):
    services, url, _ = cached_index
    upload(url, *PUBLISHER, make_wheel(tmp_path / "ours", "leftpad", "0.1"))
    services.packages.delete_version("leftpad", "0.1", Credentials(*PUBLISHER))
    answer = requests.get(f"{url}/simple/leftpad/", timeout=30)
    assert answer.status_code == 404 and "was the team's project here" in answer.text
    assert services.cache.allow("leftpad") is True
    assert requests.get(f"{url}/simple/leftpad/", timeout=30).status_code == 200  # upstream's, as asked


def test_a_set_is_refused_while_the_running_server_still_redirects(tmp_path, upstream):
    from gui.services.errors import DeskError

    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    settings = ServerSettings(port=free_port(), runtime="process", fallback="redirect", upstream=upstream.url)
    services.server.save_and_start(settings)
    try:
        services.server.save_settings(settings.replace(fallback="cache"))  # saved, not applied: no restart
        with pytest.raises(DeskError, match="restart it"):
            services.cache.add_set(["leftpad"], [Target("linux-x86_64", "3.12")])
        assert services.packages.facts().cached == {}
    finally:
        services.server.stop()
        services.close()
