"""The data folder: layout, the how-to's layout, stable container names."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gui.services.errors import DataDirError
from gui.services.index.datadir import DataDir, default_data_dir, open_data_dir


def test_new_data_dir_is_private_with_an_empty_password_file_the_container_can_read(tmp_path: Path) -> None:
    data_dir = open_data_dir(tmp_path / "new")
    data_dir.ensure()
    assert stat.S_IMODE(data_dir.root.stat().st_mode) == 0o700
    assert data_dir.password_file == data_dir.root / "auth" / ".htpasswd"
    assert data_dir.password_file.read_bytes() == b""
    assert stat.S_IMODE(data_dir.password_file.stat().st_mode) == 0o644
    assert data_dir.packages_dir.is_dir()


def test_the_how_to_layout_opens_in_place(tmp_path: Path) -> None:
    (tmp_path / "packages").mkdir()
    (tmp_path / ".htpasswd").write_text("urunimi:$apr1$x$y\n")
    data_dir = open_data_dir(tmp_path)
    assert data_dir.legacy_layout
    assert data_dir.password_file == tmp_path / ".htpasswd"
    data_dir.ensure()
    assert not (tmp_path / "auth").exists()
    assert (tmp_path / ".htpasswd").read_text() == "urunimi:$apr1$x$y\n"


def test_container_name_is_stable_per_folder_and_differs_between_folders(tmp_path: Path) -> None:
    one = open_data_dir(tmp_path / "a")
    assert one.container_name == open_data_dir(tmp_path / "a" / ".." / "a").container_name
    assert one.container_name != open_data_dir(tmp_path / "b").container_name
    labels = one.labels()
    assert labels[next(k for k in labels if k.endswith("data-dir"))] == str(one.root)


def test_a_file_is_not_a_data_dir(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataDirError, match="is a file, not a folder"):
        open_data_dir(tmp_path / "file")


def test_unwritable_location_says_what_to_do(tmp_path: Path) -> None:
    data_dir = DataDir(root=Path("/proc/pypi-desk-cannot-exist"), legacy_layout=False)
    with pytest.raises(DataDirError, match="Choose a folder you can write to"):
        data_dir.ensure()


def test_default_data_dir_follows_the_platform(isolated_home: Path) -> None:
    assert str(default_data_dir()).startswith(str(isolated_home))
