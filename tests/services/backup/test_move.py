"""Move an index to a new folder: stopped only while copying, the old folder kept, a failed move undone."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from gui.services.backup.move import move_to_folder
from gui.services.core import DeskServices
from gui.services.errors import BackupError
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from tests.helpers import hosted, make_wheel


@pytest.fixture
def running(tmp_path: Path, port: int):
    services = DeskServices.open(open_data_dir(tmp_path / "old"))
    services.data_dir.ensure()
    services.users.add("alice", "alice-Pa55", "apr1")
    make_wheel(services.data_dir.packages_dir, "moved-toy", "1.0")
    status = services.server.save_and_start(ServerSettings(port=port, runtime="process"))
    yield services, status.url
    services.server.stop()


def test_the_index_moves_and_serves_from_the_new_folder(running, tmp_path: Path) -> None:
    services, url = running
    before = {p.name: p.read_bytes() for p in hosted(services.data_dir.packages_dir)}
    moved, summary = move_to_folder(services, tmp_path / "new")
    try:
        assert not services.server.status().running  # the old one stopped
        status = moved.server.status()
        assert status.running and status.url == url  # the same address, now from the new folder
        assert requests.get(f"{url}/simple/moved-toy/", timeout=10).status_code == 200
        assert {p.name: p.read_bytes() for p in hosted(moved.data_dir.packages_dir)} == before
        assert moved.users.verify("alice", "alice-Pa55")
        assert {p.name for p in hosted(services.data_dir.packages_dir)} == set(before)  # the old folder stays
        assert summary.files >= 3
    finally:
        moved.server.stop()


def test_a_failed_move_starts_the_old_server_again(running, tmp_path: Path) -> None:
    services, url = running
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "something.txt").write_text("mine")
    with pytest.raises(BackupError, match="not empty"):
        move_to_folder(services, occupied)
    assert services.server.status().running and requests.get(f"{url}/health", timeout=10).status_code == 200
    assert [p.name for p in occupied.iterdir()] == ["something.txt"]
