"""Backup and restore for a server in a Docker volume, in the same archive as a folder's.

A volume's files come out through the API into a private staging folder shaped like a data
folder (with the settings and certificates PyPI Desk keeps for it on this machine), and the
folder's archive code writes them. A restore into a volume is verified whole in a staging
folder first (:func:`restore_backup`), then streamed into a *new* volume as one tar, given to
the right owners there, and checked again in the volume: every file's sha256 against the
manifest. A refused archive leaves no volume behind.
"""

from __future__ import annotations

import contextlib
import secrets
import shlex
import shutil
import tarfile
import tempfile
from pathlib import Path

from gui.services.backup.archive import BackupSummary, Progress, restore_backup, write_backup
from gui.services.backup.index_database import DatabaseUnreadable, damaged_note
from gui.services.core import DeskServices
from gui.services.errors import BackupError, DeskError
from gui.services.index.datadir import DataDir
from gui.services.names import PASSWORD_FILE_NAME, SERVER_UID
from gui.services.packages.index_facts import last_json
from gui.services.server.inside import facts
from gui.services.server.inside.cache_store import CACHE
from gui.services.volume.files import VolumeFiles
from gui.services.volume.layout import AUTH, PACKAGES, TLS, in_container

IN_VOLUME = (AUTH, PACKAGES, TLS)  # what the volume holds of a backup; settings and the CA stay local too
LOCAL = ("pypi-desk.json", "ca", "tls")

#: sha256 and size of every file under the folders given, with the image's Python.
_DIGESTS = (
    "import hashlib,os,sys\n"
    "base=sys.argv[1]\n"
    "for top in sys.argv[2:]:\n"
    "    for folder,_d,files in os.walk(os.path.join(base,top)):\n"
    "        for name in files:\n"
    "            path=os.path.join(folder,name); h=hashlib.sha256(); n=0\n"
    "            with open(path,'rb') as f:\n"
    "                for chunk in iter(lambda: f.read(1<<20), b''): h.update(chunk); n+=len(chunk)\n"
    "            print(h.hexdigest(), n, os.path.relpath(path,base))\n"
)


def backup_any(
    services: DeskServices, target: Path, *, replace: bool = False, progress: Progress | None = None,
    with_cache: bool = True,
) -> BackupSummary:  # fmt: skip
    """The archive of ``services``' server, whether its data is a folder or a volume (with upstream's files kept,
    unless not ``with_cache``); an existing ``target`` is refused unless ``replace``."""
    if not services.data_dir.is_volume:
        try:
            return write_backup(services.data_dir, target, replace=replace, progress=progress, with_cache=with_cache)
        except DatabaseUnreadable as exc:  # only the server's user may open it here: the engine copies it
            snapshot, notes = _engine_snapshot(services, exc)
            return write_backup(services.data_dir, target, replace=replace, progress=progress, database=snapshot,
                                notes=notes, with_cache=with_cache)  # fmt: skip
    files = _volume(services)
    if not files.exists():
        raise BackupError(f"There is no {services.data_dir.describe()}: nothing to back up.")
    with tempfile.TemporaryDirectory(prefix="pypi-desk-backup-") as scratch:
        staged = Path(scratch) / "data"
        staged.mkdir(mode=0o700)
        said = _snapshot_said(services.server.facts_command(["backup", facts.SNAPSHOT]))  # consistent, to export
        files.export_to(staged, (AUTH, PACKAGES))
        database = Path(scratch) / facts.NAME
        exported = staged / PACKAGES / facts.FOLDER
        if said.get("copied") and (exported / facts.SNAPSHOT).is_file():
            (exported / facts.SNAPSHOT).rename(database)
        kept = Path(scratch) / "cache"
        if with_cache and (exported / CACHE).is_dir() and not (exported / CACHE).is_symlink():
            (exported / CACHE).rename(kept)  # upstream's files, each renamed into place whole: safe to copy
        shutil.rmtree(exported, ignore_errors=True)  # never the live files, copied while the server wrote them
        if kept.is_dir():
            exported.mkdir()
            kept.rename(exported / CACHE)
        notes = (damaged_note(said["problem"]),) if said.get("problem") else ()
        _copy_local(services.data_dir.root, staged)
        if not (staged / TLS).exists():
            files.export_to(staged, (TLS,))
        return write_backup(DataDir(staged, legacy_layout=False), target, replace=replace, progress=progress,
                            database=database if database.is_file() else None, notes=notes,
                            with_cache=with_cache)  # fmt: skip


def _snapshot_said(output: str) -> dict:
    """What ``facts_main.py backup`` printed: {"copied": bool, "problem": text when damaged}."""
    try:
        return last_json(output)
    except ValueError:
        return {}


def _engine_snapshot(services: DeskServices, why: Exception) -> tuple[Path | None, tuple[str, ...]]:
    """The folder's index database copied by the server's user, through the engine; raises when it cannot be."""
    try:
        said = _snapshot_said(services.server.facts_command(["backup", facts.SNAPSHOT]))
    except DeskError as exc:
        raise BackupError(f"{why} Docker could not copy it either ({exc}). Start Docker and back up again; "
                          "nothing was written.") from exc  # fmt: skip
    snapshot = services.data_dir.packages_dir / facts.FOLDER / facts.SNAPSHOT
    if said.get("problem"):
        return None, (damaged_note(said["problem"]),)
    return (snapshot if said.get("copied") and snapshot.is_file() else None), ()


def restore_any(source: Path, services: DeskServices, progress: Progress | None = None) -> BackupSummary:
    """Restore ``source`` into ``services``' (new) folder or volume; verified before anything lands."""
    if not services.data_dir.is_volume:
        return restore_backup(source, services.data_dir, progress)
    files = _volume(services)
    if files.exists() and (files.read_folder(AUTH).get(PASSWORD_FILE_NAME) or files.package_entries()):
        raise BackupError(
            f"{services.data_dir.describe()} already holds an index: restore into a new volume, so nothing of it "
            "is overwritten."
        )
    with tempfile.TemporaryDirectory(prefix="pypi-desk-restore-") as scratch:
        staged = DataDir(Path(scratch) / "data", legacy_layout=False)
        summary = restore_backup(source, staged, progress)  # the whole archive checked against its manifest
        manifest = {name: entry for name, entry in summary.verified.items() if name.split("/")[0] in IN_VOLUME}
        created = not files.exists()
        try:
            _push(files, staged.root, Path(scratch) / "push.tar")
            _verify(files, manifest)
        except BaseException:
            if created:
                files.remove()
            else:  # it held no index before: empty again, as it was
                with contextlib.suppress(DeskError):
                    files.run(f"cd {in_container('')} && rm -rf {' '.join(IN_VOLUME)}", what="undo the restore")
            raise
        _copy_local(staged.root, services.data_dir.root)
    return BackupSummary(Path(services.data_dir.describe()), summary.files, summary.bytes)


def _volume(services: DeskServices) -> VolumeFiles:
    files = services.server.volume
    assert files is not None
    return files


def _copy_local(source: Path, target: Path) -> None:
    """The settings and certificates PyPI Desk keeps on this machine for a volume's server, from ``source``
    (its state folder, or a restore's staging folder) to ``target``, replacing what ``target`` had."""
    target.mkdir(parents=True, mode=0o700, exist_ok=True)
    for name in LOCAL:
        here, there = source / name, target / name
        if here.is_dir():
            shutil.rmtree(there, ignore_errors=True)
            shutil.copytree(here, there, ignore=shutil.ignore_patterns("*.lock", "*.tmp"))
        elif here.is_file():
            shutil.copy2(here, there)


def _push(files: VolumeFiles, root: Path, tar_path: Path) -> None:
    """Stream the staged folders into the volume and give them their owners (packages: the server's user)."""
    token = f".incoming-{secrets.token_hex(6)}"
    with tarfile.open(tar_path, "w") as archive:
        for top in IN_VOLUME:
            if (root / top).exists():
                archive.add(root / top, arcname=f"{token}/{top}")
    if not files.exists():
        files.create()
    steps = [f"cd {in_container('')}"]
    for top in IN_VOLUME:
        steps.append(f"if [ -e {token}/{top} ]; then rm -rf {top}; mv {token}/{top} {top}; fi")
    steps += [
        f"rm -rf {token}",
        f"mkdir -p {AUTH} {PACKAGES}",
        f"chown -R 0:0 {AUTH}; chmod 755 {AUTH}; chmod 644 {AUTH}/* 2>/dev/null || true",
        f"chown -R {SERVER_UID}:{SERVER_UID} {PACKAGES}",
        f"if [ -d {TLS} ]; then chown -R 0:0 {TLS}; chmod 600 {TLS}/server-key.pem 2>/dev/null || true; fi",
    ]
    files.run("\n".join(steps), archive=tar_path, what="restore the backup")


def _verify(files: VolumeFiles, wanted: dict[str, tuple[str, int]]) -> None:
    script = f"exec python3 -c {shlex.quote(_DIGESTS)} {in_container('')} {' '.join(IN_VOLUME)}"
    found = {}
    for line in files.run(script, what="verify the restored files").splitlines():
        digest, size, path = line.split(" ", 2)
        found[path] = (digest, int(size))
    problems = [path for path, entry in wanted.items() if found.get(path) != entry]
    problems += [path for path in found if path not in wanted]
    if problems:
        raise DeskError(
            f"The restored volume does not match the backup ({', '.join(sorted(problems)[:5])}); it was removed. "
            "Check the engine's disk, then try again."
        )
