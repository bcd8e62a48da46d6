"""What pip and uv read today, from the real server in the real engine: metadata files, requires-python, yank,
upload times, ranges and validators; the index database through backup, restore, a move and damage."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from gui.services.backup.archive import restore_backup, write_backup
from gui.services.backup.move import move_to_volume
from gui.services.core import DeskServices
from gui.services.doctor.findings import Outcome
from gui.services.doctor.package_checks import index_database
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from tests.conftest import free_port
from tests.helpers import make_sdist, make_wheel, remove_volume, unique_volume

pytestmark = [pytest.mark.docker]
JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}
UV = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
PIP = [sys.executable, "-m", "pip"]


@pytest.fixture(scope="module")
def index(docker_client, tmp_path_factory):
    """One running server (no passwords: the clients' own flags stay simple) for the protocol tests."""
    data_dir = open_data_dir(tmp_path_factory.mktemp("modern") / "server")
    services = DeskServices.open(data_dir)
    status = services.server.save_and_start(ServerSettings(port=free_port(), runtime="docker", auth="none"))
    yield services, status.url
    services.server.stop()
    services.close()


def upload(url: str, *files: Path) -> None:
    twine = [sys.executable, "-m", "twine", "upload", "--disable-progress-bar", "--repository-url", f"{url}/"]
    done = subprocess.run([*twine, "-u", "ci", "-p", "ci", *map(str, files)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def server_log(services: DeskServices) -> str:
    return "\n".join(services.server.logs())


def pip_report(url: str, *requirements: str) -> tuple[dict, str]:
    """What pip would install (its JSON report), and what it said on stderr."""
    done = subprocess.run(
        [*PIP, "install", "--dry-run", "--quiet", "--no-cache-dir", "--report", "-", "--index-url", f"{url}/simple/",
         *requirements], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def chosen(report: dict) -> dict[str, str]:
    return {item["metadata"]["name"]: item["metadata"]["version"] for item in report["install"]}


def uv_compile(
    url: str, tmp_path: Path, *requirements: str, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    wanted = tmp_path / "requirements.in"
    wanted.write_text("\n".join(requirements) + "\n")
    return subprocess.run(
        [UV, "pip", "compile", "--no-cache", "--quiet", "--index-url", f"{url}/simple/", *extra, str(wanted)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_uv_resolves_from_metadata_files_alone(index, tmp_path: Path) -> None:
    services, url = index
    payload = bytes(range(256)) * 4096  # 1 MB per wheel that a resolver has no need of
    files = [
        make_wheel(tmp_path, "chain-top", "1.0", payload, "Requires-Dist: chain-mid>=1"),
        make_wheel(tmp_path, "chain-mid", "1.0", payload, "Requires-Dist: chain-leaf"),
        make_wheel(tmp_path, "chain-leaf", "1.0", payload),
    ]
    upload(url, *files)
    before = len(server_log(services).splitlines())
    done = uv_compile(url, tmp_path, "chain-top")
    assert done.returncode == 0, done.stderr
    assert "chain-leaf==1.0" in done.stdout and "chain-mid==1.0" in done.stdout
    requests_made = [line for line in server_log(services).splitlines()[before:] if "GET /packages/" in line]
    assert len(requests_made) == 3 and all(".whl.metadata HTTP" in line for line in requests_made), requests_made
    report, _ = pip_report(url, "chain-top")  # pip too, from the same metadata files
    assert chosen(report) == {"chain-top": "1.0", "chain-mid": "1.0", "chain-leaf": "1.0"}


def test_the_metadata_digest_is_the_sha256_of_the_metadata_file(index, tmp_path: Path) -> None:
    _, url = index
    wheel = make_wheel(tmp_path, "meta-check", "1.0", metadata="Requires-Python: >=3.8")
    upload(url, wheel, make_sdist(tmp_path, "meta-check", "1.0"))
    page = requests.get(f"{url}/simple/meta-check/", headers=JSON, timeout=10).json()
    assert page["meta"]["api-version"] == "1.1" and page["versions"] == ["1.0"]
    files = {entry["filename"]: entry for entry in page["files"]}
    wheel_entry = files[wheel.name]
    served = requests.get(f"{url}{wheel_entry['url']}.metadata", timeout=10)
    assert served.status_code == 200 and b"Requires-Python: >=3.8" in served.content
    assert wheel_entry["core-metadata"] == {"sha256": hashlib.sha256(served.content).hexdigest()}
    assert wheel_entry["requires-python"] == ">=3.8" and wheel_entry["size"] == wheel.stat().st_size
    assert files["meta-check-1.0.tar.gz"]["core-metadata"] is False  # Metadata-Version 2.1: not reliable (PEP 643)
    html = requests.get(f"{url}/simple/meta-check/", timeout=10).text
    assert f'data-core-metadata="sha256={hashlib.sha256(served.content).hexdigest()}"' in html
    assert 'data-requires-python="&gt;=3.8"' in html
    assert requests.get(f"{url}/packages/meta-check-1.0.tar.gz.metadata", timeout=10).status_code == 404


def test_pip_skips_a_release_whose_requires_python_excludes_it(index, tmp_path: Path) -> None:
    _, url = index
    upload(
        url,
        make_wheel(tmp_path, "py-gate", "1.0"),
        make_wheel(tmp_path, "py-gate", "2.0", metadata="Requires-Python: >=3.99"),
    )
    report, _ = pip_report(url, "py-gate")
    assert chosen(report) == {"py-gate": "1.0"}


def test_a_yanked_release_is_skipped_unless_pinned_and_its_reason_is_shown(index, tmp_path: Path) -> None:
    services, url = index
    upload(url, make_wheel(tmp_path, "yankee", "1.0"), make_wheel(tmp_path, "yankee", "1.1"))
    services.packages.set_yanked("Yankee", "1.1", "broken on import")
    assert chosen(pip_report(url, "yankee")[0]) == {"yankee": "1.0"}
    report, said = pip_report(url, "yankee==1.1")
    assert chosen(report) == {"yankee": "1.1"} and "broken on import" in said
    done = uv_compile(url, tmp_path, "yankee")
    assert done.returncode == 0 and "yankee==1.0" in done.stdout
    listing = services.packages.listing()
    assert listing.yank_reason("yankee", "1.1") == "broken on import"
    services.packages.set_yanked("yankee", "1.1", None)
    assert chosen(pip_report(url, "yankee")[0]) == {"yankee": "1.1"}


def test_uv_exclude_newer_picks_what_was_there_at_that_time(index, tmp_path: Path) -> None:
    services, url = index
    upload(url, make_wheel(tmp_path, "dated", "1.0"))
    between = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    upload(url, make_wheel(tmp_path, "dated", "2.0"))
    older = uv_compile(url, tmp_path, "dated", extra=("--exclude-newer", between))
    assert older.returncode == 0 and "dated==1.0" in older.stdout, older.stderr
    newer = uv_compile(url, tmp_path, "dated", extra=("--exclude-newer", "2100-01-01T00:00:00Z"))
    assert newer.returncode == 0 and "dated==2.0" in newer.stdout, newer.stderr
    sources = {f.filename: services.packages.listing().upload_of(f)[1] for p in services.packages.listing().projects
               if p.name == "dated" for v in p.versions for f in v.files}  # fmt: skip
    assert set(sources.values()) == {"upload"}


def test_files_and_pages_answer_ranges_and_validators(index, tmp_path: Path) -> None:
    _, url = index
    wheel = make_wheel(tmp_path, "ranged", "1.0", bytes(range(256)) * 64)
    upload(url, wheel)
    data, file_url = wheel.read_bytes(), f"{url}/packages/{wheel.name}"
    part = requests.get(file_url, headers={"Range": "bytes=100-199"}, timeout=10)
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    tail = requests.get(file_url, headers={"Range": "bytes=-22"}, timeout=10)  # a zip's end record: what uv reads
    assert tail.status_code == 206 and tail.content == data[-22:]
    assert requests.get(file_url, headers={"Range": f"bytes={len(data)}-"}, timeout=10).status_code == 416
    whole = requests.get(file_url, timeout=10)
    assert whole.content == data and whole.headers["Accept-Ranges"] == "bytes" and "Last-Modified" in whole.headers
    etag = whole.headers["ETag"]
    again = requests.get(file_url, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    since = requests.get(file_url, headers={"If-Modified-Since": whole.headers["Last-Modified"]}, timeout=10)
    assert since.status_code == 304
    stale = requests.get(file_url, headers={"Range": "bytes=0-9", "If-Range": '"other"'}, timeout=10)
    assert stale.status_code == 200 and stale.content == data  # If-Range no longer matches: the whole file
    head = requests.head(file_url, timeout=10)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data)) and head.content == b""
    for headers in ({}, JSON):
        page = requests.get(f"{url}/simple/ranged/", headers=headers, timeout=10)
        repeat = requests.get(f"{url}/simple/ranged/", headers={**headers, "If-None-Match": page.headers["ETag"]})
        assert repeat.status_code == 304
    html_tag = requests.get(f"{url}/simple/ranged/", timeout=10).headers["ETag"]
    assert requests.get(f"{url}/simple/ranged/", headers={**JSON, "If-None-Match": html_tag}).status_code == 200


def _upload_times(url: str, project: str) -> dict[str, str]:
    page = requests.get(f"{url}/simple/{project}/", headers=JSON, timeout=10).json()
    return {entry["filename"]: entry["upload-time"] for entry in page["files"]}


def test_upload_times_and_yanks_survive_backup_restore_and_a_move_into_a_volume(
    docker_client, data_dir, tmp_path: Path
) -> None:
    services = DeskServices.open(data_dir)
    restored = moved = None
    try:
        url = services.server.save_and_start(ServerSettings(port=free_port(), runtime="docker", auth="none")).url
        upload(url, make_wheel(tmp_path, "kept", "1.0"), make_wheel(tmp_path, "kept", "1.1"))
        services.packages.set_yanked("kept", "1.1", "superseded")
        times = _upload_times(url, "kept")
        archive = write_backup(data_dir, tmp_path / "backup.tar.gz")  # while the server runs: a consistent copy
        restored = DeskServices.open(open_data_dir(tmp_path / "restored"))
        restore_backup(archive.path, restored.data_dir)
        restored_url = restored.server.save_and_start(ServerSettings(port=free_port(), auth="none")).url
        assert _upload_times(restored_url, "kept") == times
        assert restored.packages.listing().yank_reason("kept", "1.1") == "superseded"
        restored.server.stop()
        services.server.stop()
        moved, _ = move_to_volume(services, unique_volume("facts-move"))
        moved_url = moved.server.save_and_start(ServerSettings(port=free_port(), auth="none")).url
        assert _upload_times(moved_url, "kept") == times
        assert moved.packages.listing().yank_reason("kept", "1.1") == "superseded"
        assert (
            moved.packages.listing().upload_of(next(iter(moved.packages.listing().projects[0].versions[0].files)))[1]
            == "upload"
        )
    finally:
        for each in (restored, moved):
            if each is not None:
                with contextlib.suppress(Exception):
                    each.server.stop()
                each.close()
        if moved is not None:
            remove_volume(docker_client, moved.data_dir.volume)
        services.close()


def test_a_lost_or_damaged_database_is_rebuilt_from_the_files(docker_client, data_dir, tmp_path: Path) -> None:
    services = DeskServices.open(data_dir)
    settings = ServerSettings(port=free_port(), runtime="docker", auth="none")
    try:
        url = services.server.save_and_start(settings).url
        upload(url, make_wheel(tmp_path, "sturdy", "1.0"))
        services.server.stop()
        database = data_dir.packages_dir / ".pypi-desk" / "index.sqlite3"
        database.unlink()
        url = services.server.start(settings).url
        page = requests.get(f"{url}/simple/sturdy/", headers=JSON, timeout=10).json()
        assert [entry["filename"] for entry in page["files"]] == ["sturdy-1.0-py3-none-any.whl"]
        assert "upload-time" in page["files"][0] and page["files"][0]["core-metadata"]
        listing = services.packages.listing()
        assert listing.upload_of(listing.projects[0].versions[0].files[0])[1] == "file"  # the file's own time
        services.server.stop()
        database.write_bytes(b"not a database at all" * 100)
        url = services.server.start(settings).url
        assert requests.get(f"{url}/simple/sturdy/", timeout=10).status_code == 200
        assert "damaged" in server_log(services) and "set aside" in server_log(services)
        set_aside = [p.name for p in database.parent.iterdir() if ".damaged-" in p.name]
        assert set_aside and (database.parent / set_aside[0]).read_bytes().startswith(b"not a database")
        finding = index_database(services)
        assert finding.outcome is Outcome.WARNING and set_aside[0] in finding.detail
        with contextlib.closing(sqlite3.connect(database)) as remade:
            assert remade.execute("SELECT count(*) FROM files").fetchone()[0] == 1
    finally:
        with contextlib.suppress(Exception):
            services.server.stop()
        services.close()


def test_a_database_deleted_under_the_running_server_is_filled_again(index, tmp_path: Path) -> None:
    services, url = index
    upload(url, make_wheel(tmp_path, "survivor", "1.0"))
    times = _upload_times(url, "survivor")
    database = services.data_dir.packages_dir / ".pypi-desk" / "index.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    assert _upload_times(url, "survivor") == times  # the next request makes it anew from what the server knew
    services.packages.set_yanked("survivor", "1.0", "still yankable")
    page = requests.get(f"{url}/simple/survivor/", headers=JSON, timeout=10).json()
    assert page["files"][0]["yanked"] == "still yankable"
    listing = services.packages.listing()
    assert (
        listing.upload_of(listing.projects[[p.name for p in listing.projects].index("survivor")].versions[0].files[0])[
            1
        ]
        == "upload"
    )


def test_a_backup_takes_the_database_through_the_engine_when_this_user_cannot_read_it(
    docker_client, data_dir, tmp_path: Path, monkeypatch
) -> None:
    from gui.services.backup import archive
    from gui.services.backup.index_database import DatabaseUnreadable
    from gui.services.backup.volume_copy import backup_any

    services = DeskServices.open(data_dir)
    try:
        url = services.server.save_and_start(ServerSettings(port=free_port(), runtime="docker", auth="none")).url
        upload(url, make_wheel(tmp_path, "guarded", "1.0"))
        services.packages.set_yanked("guarded", "1.0", "kept through the engine")
        services.server.stop()  # as after a move's stop: only the server's user could read a hot WAL

        def unreadable(packages, scratch):
            raise DatabaseUnreadable("The index database cannot be read by this user (a test).")

        monkeypatch.setattr(archive, "database_copy", unreadable)
        summary = backup_any(services, tmp_path / "through-engine.tar.gz")
        restored = DeskServices.open(open_data_dir(tmp_path / "restored"))
        restore_backup(summary.path, restored.data_dir)
        assert restored.packages.facts().yank_reason("guarded", "1.0") == "kept through the engine"
    finally:
        with contextlib.suppress(Exception):
            services.server.stop()
        services.close()
