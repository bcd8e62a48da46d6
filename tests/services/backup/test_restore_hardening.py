"""A backup file is untrusted input: only what a backup holds, with the modes PyPI Desk gives, within a
size budget, with settings PyPI Desk accepts; a backup never replaces a file it was not asked to."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from gui.services.backup.archive import ROOT, restore_backup, write_backup
from gui.services.backup.move import move_to_folder
from gui.services.core import DeskServices
from gui.services.errors import BackupError
from gui.services.index.datadir import open_data_dir
from tests.helpers import make_wheel


@pytest.fixture
def index(tmp_path: Path) -> DeskServices:
    services = DeskServices.open(open_data_dir(tmp_path / "server"))
    services.data_dir.ensure()
    services.users.add("alice", "alice-Pa55", "apr1")
    make_wheel(services.data_dir.packages_dir, "toy", "1.0")
    return services


def forge(path: Path, members: dict[str, tuple[bytes, int]], manifest: dict | None = None) -> Path:
    """An archive with these members (name: (data, mode)) and a manifest that matches them, or the one given."""
    files = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "mode": mode}
        for name, (data, mode) in members.items()
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, (data, mode) in members.items():
            info = tarfile.TarInfo(f"{ROOT}/{name}")
            info.size, info.mode = len(data), mode
            archive.addfile(info, io.BytesIO(data))
        data = json.dumps(manifest or {"format": 1, "files": files}).encode()
        info = tarfile.TarInfo(f"{ROOT}/manifest.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def test_modes_come_from_the_kind_of_file_never_the_archive(tmp_path: Path) -> None:
    from gui.services.tls.authority import issue_server, make_authority

    issued = issue_server(make_authority("test", ["localhost"]), ["localhost"])
    archive = forge(tmp_path / "b.tar.gz", {
        "auth/.htpasswd": (b"alice:$apr1$x$y\n", 0o777),
        "tls/server.pem": (issued.cert_pem, 0o777),
        "tls/server-key.pem": (issued.key_pem, 0o666),
        "packages/toy-1.0.tar.gz": (b"sdist", 0o4777),
    })  # fmt: skip
    restored = open_data_dir(tmp_path / "restored")
    restore_backup(archive, restored)
    modes = {name: (restored.root / name).stat().st_mode & 0o7777 for name in
             ("auth/.htpasswd", "tls/server-key.pem", "packages/toy-1.0.tar.gz")}  # fmt: skip
    assert modes == {"auth/.htpasswd": 0o644, "tls/server-key.pem": 0o600, "packages/toy-1.0.tar.gz": 0o644}


@pytest.mark.parametrize(
    "name",
    ["process/pid", "auth/.htpasswd.lock", "gunicorn.conf.py", "packages/..\\..\\x.whl", "packages/c:evil.whl",
     "packages/.hidden.whl", "tls/other.pem", "ca/../../x"],
)  # fmt: skip
def test_a_member_no_backup_holds_is_refused_and_nothing_is_left(tmp_path: Path, name: str) -> None:
    archive = forge(tmp_path / "b.tar.gz", {"auth/.htpasswd": (b"", 0o644), name: (b"x", 0o644)})
    with pytest.raises(BackupError, match="Nothing was restored"):
        restore_backup(archive, open_data_dir(tmp_path / "restored"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.tar.gz"]


def test_a_manifest_entry_of_the_wrong_type_is_refused_in_words(tmp_path: Path) -> None:
    manifest = {"format": 1, "files": {"auth/.htpasswd": {"sha256": 5, "size": "0"}}}
    archive = forge(tmp_path / "b.tar.gz", {"auth/.htpasswd": (b"", 0o644)}, manifest)
    with pytest.raises(BackupError, match="not a whole PyPI Desk backup"):
        restore_backup(archive, open_data_dir(tmp_path / "restored"))


def test_a_gzip_bomb_is_refused_before_it_is_written(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.tar.gz"
    size = 300 * 1024 * 1024  # 300 MB of zeros: about 300 KB compressed
    with gzip.open(bomb, "wb", compresslevel=1) as raw, tarfile.open(fileobj=raw, mode="w") as archive:
        info = tarfile.TarInfo(f"{ROOT}/packages/toy-1.0.tar.gz")
        info.size = size

        class Zeros(io.RawIOBase):
            def readable(self) -> bool:
                return True

            def readinto(self, buffer) -> int:
                buffer[:] = bytes(len(buffer))
                return len(buffer)

        archive.addfile(info, io.BufferedReader(Zeros()))
    assert bomb.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(BackupError, match="far more than its own size"):
        restore_backup(bomb, open_data_dir(tmp_path / "restored"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.tar.gz"]


@pytest.mark.parametrize("settings", [{"tls_ca": "/etc/passwd"}, {"upstream": "https://x/\r\nX: y"}, {"port": 0}])
def test_settings_the_app_refuses_are_not_restored(tmp_path: Path, settings: dict) -> None:
    archive = forge(tmp_path / "b.tar.gz", {"pypi-desk.json": (json.dumps(settings).encode(), 0o644)})
    with pytest.raises(BackupError, match="not usable here"):
        restore_backup(archive, open_data_dir(tmp_path / "restored"))
    assert not (tmp_path / "restored").exists()


def test_upload_times_come_back(index: DeskServices, tmp_path: Path) -> None:
    wheel = index.data_dir.packages_dir / "toy-1.0-py3-none-any.whl"
    os.utime(wheel, (1_600_000_000, 1_600_000_000))
    write_backup(index.data_dir, tmp_path / "b.tar.gz")
    restored = open_data_dir(tmp_path / "restored")
    restore_backup(tmp_path / "b.tar.gz", restored)
    assert (restored.packages_dir / wheel.name).stat().st_mtime == 1_600_000_000


def test_a_backup_never_replaces_a_file_unless_asked(index: DeskServices, tmp_path: Path) -> None:
    existing = tmp_path / "b.tar.gz"
    existing.write_text("my notes")
    with pytest.raises(BackupError, match="exists already"):
        write_backup(index.data_dir, existing)
    assert existing.read_text() == "my notes"
    link = tmp_path / "link.tar.gz"
    link.symlink_to(existing)
    with pytest.raises(BackupError, match="not a regular file"):
        write_backup(index.data_dir, link, replace=True)
    assert existing.read_text() == "my notes" and link.is_symlink()
    write_backup(index.data_dir, existing, replace=True)
    assert tarfile.is_tarfile(existing)


def test_the_backup_command_refuses_an_existing_file_and_stdout(index: DeskServices, tmp_path: Path) -> None:
    def backup(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gui", "--data-dir", str(index.data_dir.root), "backup", *args],
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    (tmp_path / "b.tar.gz").write_text("keep")
    refused = backup(str(tmp_path / "b.tar.gz"))
    assert refused.returncode != 0 and "--force" in refused.stderr and "unexpected" not in refused.stderr.lower()
    assert backup(str(tmp_path / "b.tar.gz"), "--force").returncode == 0
    stdout = backup("/dev/stdout", "--force")
    assert stdout.returncode != 0 and "not a regular file" in stdout.stderr


def test_a_move_into_the_index_own_folder_is_refused(index: DeskServices) -> None:
    with pytest.raises(BackupError, match="inside the index's own folder"):
        move_to_folder(index, index.data_dir.packages_dir / "moved")
    assert not (index.data_dir.packages_dir / "moved").exists()


@pytest.mark.parametrize("target", ["/proc/pypi-desk-restore", "READ_ONLY"])
def test_a_restore_where_nothing_can_be_written_says_so(index: DeskServices, tmp_path: Path, target: str) -> None:
    write_backup(index.data_dir, tmp_path / "b.tar.gz")
    if target == "READ_ONLY":
        mount = tmp_path / "ro"
        mount.mkdir()
        if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(mount)]).returncode:
            pytest.skip("needs root to mount a read-only file system")
        target = str(mount / "restored")
    try:
        with pytest.raises(BackupError, match="Cannot restore into"):
            restore_backup(tmp_path / "b.tar.gz", open_data_dir(target))
    finally:
        if target.endswith("/ro/restored"):
            subprocess.run(["umount", str(Path(target).parent)], check=False)


def test_a_huge_header_or_many_empty_files_are_refused_early(tmp_path: Path) -> None:
    """A 100 MB PAX header tarfile would read whole into memory; 30,000 empty files cost nothing in bytes."""
    header_bomb = tmp_path / "header.tar.gz"
    with gzip.open(header_bomb, "wb", compresslevel=1) as raw:
        info = tarfile.TarInfo("././@PaxHeader")
        info.type, info.size = tarfile.XHDTYPE, 100 * 1024 * 1024
        raw.write(info.tobuf(format=tarfile.USTAR_FORMAT))
        for _ in range(100):
            raw.write(bytes(1024 * 1024))
    with pytest.raises(BackupError, match="larger than any real one"):
        restore_backup(header_bomb, open_data_dir(tmp_path / "restored"))
    many = tmp_path / "many.tar.gz"
    with tarfile.open(many, "w:gz") as archive:
        for number in range(30_000):
            archive.addfile(tarfile.TarInfo(f"{ROOT}/packages/f{number}-1.0.tar.gz"), io.BytesIO(b""))
    with pytest.raises(BackupError, match="far more than its own size"):
        restore_backup(many, open_data_dir(tmp_path / "restored"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["header.tar.gz", "many.tar.gz"]


def test_a_deeply_nested_manifest_is_refused_in_words(tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    with tarfile.open(archive, "w:gz") as out:
        data = b"[" * 100_000 + b"]" * 100_000
        info = tarfile.TarInfo(f"{ROOT}/manifest.json")
        info.size = len(data)
        out.addfile(info, io.BytesIO(data))
    with pytest.raises(BackupError, match="not a whole PyPI Desk backup"):
        restore_backup(archive, open_data_dir(tmp_path / "restored"))


def test_certificates_and_keys_that_would_not_load_are_not_restored(tmp_path: Path) -> None:
    archive = forge(tmp_path / "b.tar.gz", {"ca/ca.pem": (b"not a cert", 0o644), "ca/ca-key.pem": (b"no", 0o600)})
    with pytest.raises(BackupError, match="not usable here"):
        restore_backup(archive, open_data_dir(tmp_path / "restored"))
    assert not (tmp_path / "restored").exists()


def test_a_move_or_a_backup_through_a_bind_mount_of_the_index_is_refused(index: DeskServices, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to bind-mount a folder")
    alias = tmp_path / "alias"
    alias.mkdir()
    packages_alias = tmp_path / "packages-alias"
    packages_alias.mkdir()
    subprocess.run(["mount", "--bind", str(index.data_dir.root), str(alias)], check=True)
    subprocess.run(["mount", "--bind", str(index.data_dir.packages_dir), str(packages_alias)], check=True)
    try:
        with pytest.raises(BackupError, match="inside the index's own folder"):
            move_to_folder(index, alias / "sub")
        with pytest.raises(BackupError, match="inside the index's own folder"):
            move_to_folder(index, packages_alias / "sub")
        with pytest.raises(BackupError, match="outside the data folder"):  # it would be served to anyone
            write_backup(index.data_dir, packages_alias / "team-1.0.tar.gz")
    finally:
        subprocess.run(["umount", str(alias)], check=False)
        subprocess.run(["umount", str(packages_alias)], check=False)
    assert not (index.data_dir.root / "sub").exists() and not (index.data_dir.packages_dir / "sub").exists()
    assert not (index.data_dir.packages_dir / "team-1.0.tar.gz").exists()


def test_many_headers_each_under_the_record_limit_are_stopped_too(tmp_path: Path) -> None:
    """30 PAX headers of 30 MB of digits each (1 MB compressed): tarfile would keep every one in memory, and
    its header parsing takes quadratic time on a run of digits."""
    bomb = tmp_path / "headers.tar.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as raw:
        for number in range(30):
            info = tarfile.TarInfo("././@PaxHeader")
            info.type, info.size = tarfile.XHDTYPE, 30 * 1024 * 1024
            raw.write(info.tobuf(format=tarfile.USTAR_FORMAT))
            raw.write(b"0" * info.size)
            member = tarfile.TarInfo(f"{ROOT}/packages/f{number}-1.0.tar.gz")
            raw.write(member.tobuf(format=tarfile.USTAR_FORMAT))
    with pytest.raises(BackupError, match="larger than any real one"):
        restore_backup(bomb, open_data_dir(tmp_path / "restored"))


def test_a_member_name_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    archive = forge(tmp_path / "b.tar.gz", {"packages/" + os.fsdecode(b"bad\xff-1.0.tar.gz"): (b"x", 0o644)})
    with pytest.raises(BackupError, match="Nothing was restored"):
        restore_backup(archive, open_data_dir(tmp_path / "restored"))
