"""The package listing: names and versions as packaging reads them, and changes followed by themselves."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from gui.services.packages.listing import Listing, describe_file, group, scan
from gui.services.packages.watcher import PackageWatcher
from tests.helpers import make_sdist, make_wheel


def touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x")


def test_names_are_normalized_versions_sorted_as_pep_440(tmp_path: Path) -> None:
    touch(tmp_path, "My.Pkg-1.9.tar.gz", "my_pkg-1.10-py3-none-any.whl", "my-pkg-1.10rc1.zip", "my-pkg-1.10.tar.gz",
          "other-2.0.tar.gz", "notes.txt")  # fmt: skip
    touch(tmp_path / "sub", "deep-1.0.tar.gz")
    files, unrecognized = scan(tmp_path)
    listing = group(files.values(), unrecognized)
    assert [p.name for p in listing.projects] == ["deep", "my-pkg", "other"]
    versions = listing.projects[1].versions
    assert [str(v.version) for v in versions] == ["1.10", "1.10rc1", "1.9"]
    assert sorted(f.filename for f in versions[0].files) == ["my-pkg-1.10.tar.gz", "my_pkg-1.10-py3-none-any.whl"]
    assert listing.unrecognized == ("notes.txt",)
    assert (listing.file_count, listing.version_count) == (6, 5)


def test_each_file_keeps_its_name_and_version_as_written(tmp_path: Path) -> None:
    touch(tmp_path, "my_pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "My.Pkg-1.0.tar.gz")
    stat = (tmp_path / "My.Pkg-1.0.tar.gz").stat()
    wheel = describe_file("my_pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "w", stat)
    sdist = describe_file("My.Pkg-1.0.tar.gz", "s", stat)
    assert (wheel.project, wheel.name_as_written, wheel.tags) == (
        "my-pkg",
        "my_pkg",
        "cp311-cp311-manylinux_2_17_x86_64",
    )
    assert (sdist.project, sdist.name_as_written, sdist.version_as_written) == ("my-pkg", "My.Pkg", "1.0")


class Listings:
    """Collects the watcher's listings; waits for one that satisfies a condition (no sleeps)."""

    def __init__(self) -> None:
        self.latest: Listing | None = None
        self._changed = threading.Condition()

    def __call__(self, listing: Listing) -> None:
        with self._changed:
            self.latest = listing
            self._changed.notify_all()

    def wait_for(self, condition, timeout: float = 10) -> Listing:
        with self._changed:
            assert self._changed.wait_for(lambda: self.latest is not None and condition(self.latest), timeout)
            return self.latest


def test_changes_are_followed_whoever_makes_them(tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    make_sdist(packages, "toy", "1.0")
    listings = Listings()
    watcher = PackageWatcher(packages, listings)
    try:
        assert watcher.start().file_count == 1
        make_wheel(packages, "toy", "1.0")  # a file written in place
        make_sdist(tmp_path, "toy", "2.0").rename(packages / "toy-2.0.tar.gz")  # one moved in
        listing = listings.wait_for(lambda listing: listing.file_count == 3)
        assert [str(v.version) for v in listing.projects[0].versions] == ["2.0", "1.0"]
        (packages / "sub").mkdir()
        make_sdist(packages / "sub", "nested", "0.1")
        listings.wait_for(lambda listing: [p.name for p in listing.projects] == ["nested", "toy"])
        shutil.rmtree(packages / "sub")
        (packages / "toy-2.0.tar.gz").unlink()
        listing = listings.wait_for(lambda listing: listing.file_count == 2)
        assert [p.name for p in listing.projects] == ["toy"]
    finally:
        watcher.stop()
