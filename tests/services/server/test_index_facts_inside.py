"""The server's pieces of the index protocol, without a container: metadata read from archives (bounded),
byte ranges and validators, the index database's damage handling and yank keys."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from gui.services.packages.index_facts import parse_dump
from gui.services.server.inside import facts, facts_main, static_files
from gui.services.server.inside.core_metadata import read_core_metadata
from tests.helpers import make_sdist, make_wheel


def _sdist(folder: Path, pkg_info: str, name: str = "pkg", version: str = "1.0") -> Path:
    path = folder / f"{name}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        data = pkg_info.encode()
        info = tarfile.TarInfo(f"{name}-{version}/PKG-INFO")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def test_a_wheels_metadata_is_served_and_an_sdists_only_when_reliable(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "pkg", "1.0", metadata="Requires-Python: >=3.9")
    metadata, requires = read_core_metadata(str(wheel), wheel.name)
    assert metadata is not None and b"Name: pkg" in metadata.data and requires == ">=3.9"
    reliable = _sdist(tmp_path, "Metadata-Version: 2.2\nName: pkg\nVersion: 1.0\nRequires-Python: >=3.8\n")
    assert read_core_metadata(str(reliable), reliable.name)[0] is not None
    dynamic = _sdist(
        tmp_path, "Metadata-Version: 2.2\nName: pkg\nVersion: 2.0\nDynamic: Requires-Dist\n", version="2.0"
    )
    served, requires = read_core_metadata(str(dynamic), dynamic.name)
    assert served is None and requires is None  # PEP 643: a build may differ
    old = make_sdist(tmp_path, "old", "1.0")  # Metadata-Version 2.1
    assert read_core_metadata(str(old), old.name) == (None, None)
    garbage = tmp_path / "broken-1.0-py3-none-any.whl"
    garbage.write_bytes(b"not a zip")
    assert read_core_metadata(str(garbage), garbage.name) == (None, None)


def test_two_metadata_files_or_a_huge_one_give_none(tmp_path: Path) -> None:
    two = tmp_path / "two-1.0-py3-none-any.whl"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("two-1.0.dist-info/METADATA", "Name: two\n")
        archive.writestr("Two-1.0.dist-info/METADATA", "Name: other\n")
    assert read_core_metadata(str(two), two.name) == (None, None)
    huge = tmp_path / "huge-1.0-py3-none-any.whl"
    with zipfile.ZipFile(huge, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("huge-1.0.dist-info/METADATA", b"X" * (5 * 1024 * 1024))
    assert read_core_metadata(str(huge), huge.name) == (None, None)


def test_an_sdist_built_to_be_slow_to_read_is_given_up_quickly(tmp_path: Path) -> None:
    """A 30 MB PAX header of digits (quadratic to parse in tarfile) and a gzip bomb before PKG-INFO."""
    slow = tmp_path / "slow-1.0.tar.gz"
    header = tarfile.TarInfo("slow-1.0/PKG-INFO")
    header.pax_headers = {"comment": "1" * (30 * 1024 * 1024)}
    header.size = 5
    with tarfile.open(slow, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(header, io.BytesIO(b"x" * 5))
    began = time.monotonic()
    assert read_core_metadata(str(slow), slow.name) == (None, None)
    bomb = tmp_path / "bomb-1.0.tar.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out, tarfile.open(fileobj=out, mode="w|") as archive:
        filler = tarfile.TarInfo("bomb-1.0/zeros")
        filler.size = 300 * 1024 * 1024
        archive.addfile(filler, _Zeros(filler.size))
    assert read_core_metadata(str(bomb), bomb.name) == (None, None)
    assert time.monotonic() - began < 20


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self._left = size

    def read(self, size: int = -1) -> bytes:
        size = self._left if size is None or size < 0 else min(size, self._left)
        self._left -= size
        return b"\0" * size


def _answer(environ: dict, path: Path) -> tuple[str, dict[str, str], bytes]:
    said: list = []

    def start_response(status: str, headers: list) -> None:
        said.append((status, headers))

    request = {"REQUEST_METHOD": "GET", **environ}
    body = b"".join(static_files.send_file(request, start_response, open(path, "rb"), "application/octet-stream"))  # noqa: SIM115
    return said[0][0], dict(said[0][1]), body


@pytest.mark.parametrize(
    ("header", "status", "part"),
    [
        ("bytes=0-0", "206", slice(0, 1)),
        ("bytes=10-", "206", slice(10, None)),
        ("bytes=-5", "206", slice(-5, None)),
        ("bytes=-5000", "206", slice(0, None)),  # a suffix longer than the file: all of it
        ("bytes=90-5000", "206", slice(90, None)),
        ("bytes=100-", "416", slice(0, 0)),
        ("bytes=5-1", "200", slice(None)),  # invalid: ignored
        ("bytes=0-1,5-6", "200", slice(None)),  # several: the whole file
        ("items=0-1", "200", slice(None)),
        ("bytes=-0", "416", slice(0, 0)),
    ],
)
def test_byte_ranges(tmp_path: Path, header: str, status: str, part: slice) -> None:
    path = tmp_path / "file.bin"
    data = bytes(range(100))
    path.write_bytes(data)
    answered, headers, body = _answer({"HTTP_RANGE": header}, path)
    assert answered.startswith(status)
    assert body == (data[part] if status != "416" else b"")
    if status == "416":
        assert headers["Content-Range"] == "bytes */100"


def test_validators_and_if_range(tmp_path: Path) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(b"0123456789")
    _, headers, _ = _answer({}, path)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert _answer({"HTTP_IF_NONE_MATCH": f'"x", W/{etag}'}, path)[0].startswith("304")
    assert _answer({"HTTP_IF_NONE_MATCH": "*"}, path)[0].startswith("304")
    assert _answer({"HTTP_IF_NONE_MATCH": '"other"', "HTTP_IF_MODIFIED_SINCE": modified}, path)[0].startswith("200")
    assert _answer({"HTTP_IF_MODIFIED_SINCE": modified}, path)[0].startswith("304")
    assert _answer({"HTTP_IF_MODIFIED_SINCE": "yesterday"}, path)[0].startswith("200")
    assert _answer({"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": etag}, path)[2] == b"01"
    assert _answer({"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": modified}, path)[2] == b"01"
    assert _answer({"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": f"W/{etag}"}, path)[2] == b"0123456789"
    assert (
        _answer({"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": "Mon, 01 Jan 2001 00:00:00 GMT"}, path)[2] == b"0123456789"
    )


def test_a_damaged_database_is_set_aside_and_made_anew(tmp_path: Path) -> None:
    said: list[str] = []
    folder = tmp_path / facts.FOLDER
    folder.mkdir()
    (folder / facts.NAME).write_bytes(b"garbage" * 1000)
    store = facts.FactsStore(str(tmp_path), log=said.append)
    store.open()
    assert store.made_anew and store.set_aside and "damaged" in said[0]
    assert facts_main.set_aside(str(tmp_path)) == [Path(store.set_aside).name]
    store.record([("pkg-1.0.tar.gz", "Pkg", "1.0", 1.0, "upload")])
    assert store.set_yank("PKG", "1.0.0", "bad") == 1  # any spelling of the name and the version
    dumped = parse_dump(json.dumps(facts_main.dump(store)))
    assert dumped.yank_reason("pkg", "1.0") == "bad" and dumped.files["pkg-1.0.tar.gz"].source == "upload"
    store.forget(["pkg-1.0.tar.gz"])
    assert store.yanks() == {}  # the yank goes with the release's last file
    store.close()


def test_a_reader_sees_the_writers_commits_and_a_missing_database_reads_as_empty(tmp_path: Path) -> None:
    assert facts.FactsStore(str(tmp_path), read_only=True).all_files() == {}
    writer = facts.FactsStore(str(tmp_path))
    writer.record([("a-1.0.tar.gz", "a", "1.0", 5.0, "seen")])
    reader = facts.FactsStore(str(tmp_path), read_only=True)
    assert reader.all_files()["a-1.0.tar.gz"].time_source == "seen"
    writer.record([("b-1.0.tar.gz", "b", "1.0", 6.0, "upload")])
    assert set(reader.all_files()) == {"a-1.0.tar.gz", "b-1.0.tar.gz"}
    with pytest.raises(sqlite3.OperationalError):
        reader.set_yank("a", "1.0", "no")  # read-only means read-only
    writer.close()
    reader.close()


def test_what_a_careless_user_or_an_attacker_tried_holds(tmp_path: Path) -> None:
    """Found by a hostile review: odd database files, control characters, huge ranges, doubled versions."""
    folder = tmp_path / facts.FOLDER
    folder.mkdir()
    (folder / facts.NAME).mkdir()  # a folder where the database should be
    store = facts.FactsStore(str(tmp_path), log=lambda line: None)
    store.open()
    assert store.made_anew and Path(store.set_aside).is_dir()
    store.close()
    with sqlite3.connect(folder / facts.NAME) as edited:
        edited.execute("UPDATE meta SET value='abc' WHERE key='schema'")
    store = facts.FactsStore(str(tmp_path), log=lambda line: None)
    store.open()  # a schema that is no number: damaged, set aside
    assert store.made_anew and len(facts_main.set_aside(str(tmp_path))) == 2
    store.set_yank("pkg", "1.0", "\x1b]0;pwned\x07 red\u202e text")
    assert store.yanks() == {("pkg", "1"): "]0;pwned  red  text"}
    store.close()
    assert facts.clean_reason("ok\x9bcsi") == "ok csi"
    path = tmp_path / "file.bin"
    path.write_bytes(b"0123456789")
    assert _answer({"HTTP_RANGE": "bytes=" + "9" * 5000 + "-"}, path)[0].startswith("200")
    from gui.services.server.inside.simple_pages import distinct_versions

    spelled = ["1.0", "1.0.0", "1.0-post0", "1.0.post0", "2.0+local", "2.0", "not-a-version"]
    assert distinct_versions(spelled) == ["1.0", "1.0-post0", "2.0", "2.0+local", "not-a-version"]


def test_a_stopped_servers_database_is_read_by_a_user_who_may_not_write_there(tmp_path: Path) -> None:
    """The server's user (uid 9898) owns the folder; the desktop user reads it with the server stopped."""
    import os
    import shutil
    import subprocess

    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as two users")
    import tempfile

    reachable = Path(tempfile.mkdtemp(prefix="facts-two-users-", dir="/tmp"))  # pytest's own folders are 0700
    root = reachable / "packages"
    writer = facts.FactsStore(str(root))
    writer.record([("a-1.0.tar.gz", "a", "1.0", 5.0, "upload")])
    writer.close()  # the server stopped: no WAL files left
    reachable.chmod(0o755)
    for path in (root, root / facts.FOLDER, root / facts.FOLDER / facts.NAME):
        os.chown(path, 9898, 9898)
    read = ("import sys; sys.path.insert(0, sys.argv[1]); from gui.services.server.inside.facts import FactsStore; "
            "print(sorted(FactsStore(sys.argv[2], read_only=True).all_files()))")  # fmt: skip
    done = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", read,
         str(Path(__file__).resolve().parents[3]), str(root)], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    shutil.rmtree(reachable)
    assert done.returncode == 0 and "a-1.0.tar.gz" in done.stdout, done.stderr


def test_metadata_is_served_even_when_the_database_could_not_keep_it(tmp_path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from gui.services.server.inside.file_facts import FileFactsCache
        from gui.services.server.inside.fresh_index import FreshIndex

    make_wheel(tmp_path, "late", "1.0", metadata="Requires-Python: >=3.8")
    store = facts.FactsStore(str(tmp_path))
    store.open()
    store.describe_many = lambda rows: False  # a full disk: nothing written
    index = FreshIndex(tmp_path, "sha256", FileFactsCache(store, "sha256"))
    index.refresh()
    (package,) = index.packages_of("late")
    described = index.facts_of(package)
    assert described.metadata_sha256 and described.time_source == "file"  # made anew: the file's own time
    served = index.facts.metadata_of(package)
    assert served is not None and b"Requires-Python: >=3.8" in served
    store.close()


def test_a_tiny_wheel_with_huge_metadata_is_given_none(tmp_path: Path) -> None:
    wheel = tmp_path / "puffed-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("puffed-1.0.dist-info/METADATA", b"Name: puffed\n" + b"X" * 1_000_000)
    assert wheel.stat().st_size < 10_000 and read_core_metadata(str(wheel), wheel.name) == (None, None)
