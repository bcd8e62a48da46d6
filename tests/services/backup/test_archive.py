"""Backup and restore: everything comes back byte for byte; a truncated or altered archive changes nothing."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from gui.services.backup.archive import restore_backup, write_backup
from gui.services.core import DeskServices
from gui.services.errors import BackupError
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from tests.helpers import make_sdist, make_wheel


@pytest.fixture
def filled(tmp_path: Path) -> DeskServices:
    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    services.data_dir.ensure()
    services.users.add("alice", "alice-Pa55", "apr1")
    services.users.add("ci", "ci-Pa55", "apr1", role="read")
    settings = services.server.save_settings(ServerSettings(port=8443, https=True, auth="list,download,update"))
    services.server.tls.ensure(settings)
    make_wheel(services.data_dir.packages_dir, "toy", "1.0")
    make_sdist(services.data_dir.packages_dir / "sub", "acme", "2.0")  # a subfolder, as pypiserver allows
    (services.data_dir.packages_dir / ".htpasswd.lock").write_text("")  # not data: left out
    return services


def digests(root: Path) -> dict[str, tuple[str, int]]:
    return {
        path.relative_to(root).as_posix(): (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            stat.S_IMODE(path.stat().st_mode),
        )
        for path in root.rglob("*")
        if path.is_file() and not path.name.endswith((".lock", ".bak"))
    }


def test_everything_comes_back_byte_for_byte_with_its_mode(filled: DeskServices, tmp_path: Path) -> None:
    summary = write_backup(filled.data_dir, tmp_path / "backups" / "team.tar.gz")
    assert stat.S_IMODE(summary.path.stat().st_mode) == 0o600
    restored = restore_backup(summary.path, open_data_dir(tmp_path / "restored"))
    assert digests(restored.path) == digests(filled.data_dir.root)
    assert {"auth/.htpasswd", "auth/roles.json", "pypi-desk.json", "tls/server-key.pem", "ca/ca-key.pem"} <= set(
        digests(restored.path)
    )
    again = DeskServices.open(open_data_dir(restored.path))
    assert {(u.name, u.role) for u in again.users.users()} == {("alice", "publish"), ("ci", "read")}
    assert again.users.verify("alice", "alice-Pa55") and again.server.load_settings().https
    assert stat.S_IMODE((restored.path / "ca").stat().st_mode) == 0o700


def _rewrite(source: Path, target: Path, change) -> Path:
    """The archive with its members passed through ``change(name, data) -> [(name, data), ...]``."""
    out = io.BytesIO()
    with tarfile.open(source, "r:gz") as old, tarfile.open(fileobj=out, mode="w:gz") as new:
        for member in old:
            data = old.extractfile(member).read()
            for name, content in change(member.name, data):
                info = tarfile.TarInfo(name)
                info.size = len(content)
                new.addfile(info, io.BytesIO(content))
    target.write_bytes(out.getvalue())
    return target


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("truncated", "may be truncated"),
        ("altered", "differs from the manifest"),
        ("extra", "is not in the manifest"),
        ("missing", "is missing"),
        ("escape", "outside the restored folder"),
        ("no manifest", "has no manifest"),
        ("not gzip", "not a whole PyPI Desk backup"),
    ],
)
def test_a_damaged_archive_is_refused_and_nothing_is_left(filled, tmp_path: Path, damage: str, words: str) -> None:
    good = write_backup(filled.data_dir, tmp_path / "good.tar.gz").path
    bad = tmp_path / "bad.tar.gz"
    if damage == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif damage == "not gzip":
        bad.write_bytes(gzip.decompress(good.read_bytes())[:2048])
    else:

        def change(name: str, data: bytes):
            if damage == "altered" and name.endswith("auth/.htpasswd"):
                return [(name, data.replace(b"ci:", b"cj:"))]
            if damage == "extra" and name.endswith("manifest.json"):
                return [("pypi-desk-backup/packages/evil-1.0.tar.gz", b"x"), (name, data)]
            if damage == "missing" and name.endswith(".whl"):
                return []
            if damage == "escape" and name.endswith(".whl"):
                return [("pypi-desk-backup/../../escaped.whl", data)]
            if damage == "no manifest" and name.endswith("manifest.json"):
                return []
            return [(name, data)]

        _rewrite(good, bad, change)
    target = tmp_path / "restored"
    with pytest.raises(BackupError, match=words):
        restore_backup(bad, open_data_dir(target))
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["bad.tar.gz", "good.tar.gz", "server"])
    assert not (tmp_path.parent / "escaped.whl").exists()


def test_restore_never_overwrites_and_backup_never_writes_into_the_folder(filled, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="outside the data folder"):
        write_backup(filled.data_dir, filled.data_dir.root / "inside.tar.gz")
    archive = write_backup(filled.data_dir, tmp_path / "b.tar.gz").path
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(archive, filled.data_dir)
    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile("pypi-desk-backup/manifest.json").read())
    assert (
        "packages/.htpasswd.lock" not in manifest["files"] and "packages/toy-1.0-py3-none-any.whl" in manifest["files"]
    )

    cli = [sys.executable, "-m", "gui", "--data-dir"]
    written = subprocess.run([*cli, str(filled.data_dir.root), "backup", str(tmp_path / "cli.tar.gz")],
                             capture_output=True, text=True)  # fmt: skip
    assert written.returncode == 0 and "files" in written.stdout
    restored = subprocess.run([*cli, str(tmp_path / "from-cli"), "restore", str(tmp_path / "cli.tar.gz")],
                              capture_output=True, text=True)  # fmt: skip
    assert restored.returncode == 0 and "every file matched the manifest" in restored.stdout
    assert digests(tmp_path / "from-cli") == digests(filled.data_dir.root)
