"""Volumes, second round (real engine): no anonymous volume is left by any helper, a move into a volume keeps
upload times, and a file name with a line break in it is one file, never a second path."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import docker
import pytest

from gui.services.backup.move import move_to_volume
from gui.services.core import DeskServices
from gui.services.index.settings import ServerSettings
from tests.conftest import free_port
from tests.helpers import make_wheel, remove_volume, unique_volume

pytestmark = [pytest.mark.docker]
ANONYMOUS = re.compile(r"^[0-9a-f]{64}$")


def anonymous_volumes(client: docker.DockerClient) -> set[str]:
    return {volume.name for volume in client.volumes.list() if ANONYMOUS.match(volume.name)}


def test_no_helper_leaves_an_anonymous_volume_and_a_move_keeps_upload_times(
    docker_client, data_dir, tmp_path: Path
) -> None:
    before = anonymous_volumes(docker_client)
    services = DeskServices.open(data_dir)
    data_dir.ensure()
    services.users.add("alice", "alice-Pa55")
    wheel = make_wheel(data_dir.packages_dir, "toy", "1.0")
    os.utime(wheel, (1_600_000_000, 1_600_000_000))
    moved = None
    try:
        moved, _ = move_to_volume(services, unique_volume("second-round"))
        entries = {path: mtime for path, _size, mtime in moved.server.volume.package_entries()}
        assert entries == {wheel.name: 1_600_000_000.0}  # the upload time, not the move's
        moved.server.save_and_start(ServerSettings(port=free_port()))
        for name in ("bob", "carol"):
            moved.users.add(name, f"{name}-Pa55")
        moved.users.set_role("bob", "read")
        assert {user.name for user in moved.users.users()} == {"alice", "bob", "carol"}
        moved.server.stop()
        moved.packages.listing()  # a listing while stopped: a helper
        assert anonymous_volumes(docker_client) - before == set()
    finally:
        if moved is not None:
            with contextlib.suppress(Exception):
                moved.server.stop()
            moved.close()
            remove_volume(docker_client, moved.data_dir.volume)


def test_a_line_break_in_a_file_name_is_part_of_that_name(docker_client) -> None:
    services = DeskServices.open(volume=unique_volume("newline"))
    files = services.server.volume
    try:
        tricky = "toy-1.0.tar.gz\nother-9.9.tar.gz\t0\t0.0"
        files.write({f"packages/{tricky}": b"x", "packages/toy-2.0.tar.gz": b"y"})
        listed = sorted(path for path, _size, _mtime in files.package_entries())
        assert listed == [tricky, "toy-2.0.tar.gz"]
        files.remove_files([f"packages/{tricky}"])
        assert [path for path, _s, _m in files.package_entries()] == ["toy-2.0.tar.gz"]
    finally:
        services.close()
        remove_volume(docker_client, services.data_dir.volume)
