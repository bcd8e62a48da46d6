"""Back up a running index, restore it into a new folder, serve it, and install from it: the same files."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from gui.services.backup.archive import restore_backup, write_backup
from gui.services.core import DeskServices
from gui.services.index.datadir import DataDir, open_data_dir
from gui.services.index.settings import ServerSettings
from tests.conftest import free_port
from tests.helpers import make_wheel

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_client", "docker_cleanup")]


def test_a_restored_index_serves_the_same_files(data_dir: DataDir, port: int, tmp_path: Path, docker_client) -> None:
    services = DeskServices.open(data_dir)
    services.data_dir.ensure()
    services.users.add("pub", "pub-Pa55")
    status = services.server.save_and_start(ServerSettings(port=port, runtime="docker"))
    wheel = make_wheel(tmp_path / "dist", "restored-toy", "1.0")
    twine = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--repository-url", status.url]
    assert subprocess.run([*twine, "-u", "pub", "-p", "pub-Pa55", str(wheel)], capture_output=True).returncode == 0

    archive = write_backup(data_dir, tmp_path / "index.tar.gz").path  # while the server runs
    restored = DeskServices.open(open_data_dir(tmp_path / "restored"))
    restore_backup(archive, restored.data_dir)
    other = restored.server.save_and_start(restored.server.load_settings().replace(port=free_port()))
    try:
        page = requests.get(f"{other.url}/simple/restored-toy/", timeout=10)
        expected = hashlib.sha256(wheel.read_bytes()).hexdigest()
        assert page.status_code == 200 and f"#sha256={expected}" in page.text
        installed = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "-d", str(tmp_path / "got"),
             "--index-url", f"{other.url}/simple/", "restored-toy==1.0"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert installed.returncode == 0, installed.stdout + installed.stderr
        assert (tmp_path / "got" / wheel.name).read_bytes() == wheel.read_bytes()
        assert restored.users.verify("pub", "pub-Pa55")
    finally:
        restored.server.stop()
        services.server.stop()
