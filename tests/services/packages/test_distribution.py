"""Checks before upload: each bad file is refused with its reason."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from gui.services.errors import DistributionError
from gui.services.packages.distribution import inspect_distribution
from tests.helpers import make_sdist, make_wheel


def test_real_sdists_and_wheels_pass(tmp_path: Path) -> None:
    sdist = inspect_distribution(make_sdist(tmp_path))
    wheel = inspect_distribution(make_wheel(tmp_path))
    assert (sdist.name, sdist.version, sdist.filetype, sdist.pyversion) == ("toy", "1.0.0", "sdist", "source")
    assert (wheel.filetype, wheel.pyversion) == ("bdist_wheel", "py3")
    assert sdist.metadata["summary"] == "A toy package"


def tar_with(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return path


PKG_INFO = b"Metadata-Version: 2.1\nName: junk\nVersion: 1.0\n"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda d: (d / "junk-1.0.tar.gz").write_bytes(os.urandom(4096)) and d / "junk-1.0.tar.gz",
            "not a readable tar.gz",
        ),
        (lambda d: (d / "notes.txt").write_text("hello") and d / "notes.txt", "only sdists"),
        (lambda d: (d / "junk-1.0.tar.gz").write_bytes(b"") or d / "junk-1.0.tar.gz", "is empty"),
        (lambda d: tar_with(d / "junk-1.0.tar.gz", {}), "archive is empty"),
        (lambda d: tar_with(d / "junk-1.0.tar.gz", {"junk-1.0/README": b"no metadata"}), "metadata"),
        (
            lambda d: tar_with(d / "junk-1.0.tar.gz", {"junk-1.0/PKG-INFO": PKG_INFO, "../../evil.py": b"x"}),
            "path traversal",
        ),
        (
            lambda d: tar_with(
                d / "junk-1.0.tar.gz", {"junk-1.0/PKG-INFO": PKG_INFO}, {"junk-1.0/passwd": "../../../etc/passwd"}
            ),
            "points outside",
        ),
        (
            lambda d: (
                make_wheel(d, "other", "2.0").rename(d / "toy-1.0.0-py3-none-any.whl")
                or d / "toy-1.0.0-py3-none-any.whl"
            ),
            "metadata says other 2.0",
        ),
        (
            lambda d: make_sdist(d, "toy", "2.0").rename(d / "toy-1.0.tar.gz") or d / "toy-1.0.tar.gz",
            "filename says toy 1.0",
        ),
        (lambda d: (d / "toy.tar.gz").write_bytes(b"x") and d / "toy.tar.gz", "not a valid distribution filename"),
    ],
    ids=[
        "random-bytes",
        "text-file",
        "zero-bytes",
        "empty-archive",
        "no-metadata",
        "traversal",
        "symlink-out",
        "wheel-metadata-differs",
        "sdist-renamed",
        "bad-filename",
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, make, words: str) -> None:
    with pytest.raises(DistributionError, match=words) as refused:
        inspect_distribution(make(tmp_path))
    assert "Nothing was sent" in str(refused.value)


def test_a_folder_and_a_symlink_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DistributionError, match="folder"):
        inspect_distribution(tmp_path)
    link = tmp_path / "toy-1.0.0.tar.gz"
    link.symlink_to(make_sdist(tmp_path / "real"))
    with pytest.raises(DistributionError, match="symbolic link"):
        inspect_distribution(link)


def test_a_zip_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n")
        with archive.open("bomb/zeros.bin", "w", force_zip64=True) as member:
            block = bytes(1024 * 1024)
            for _ in range(120):
                member.write(block)
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(DistributionError, match="likely archive bomb"):
        inspect_distribution(path)
