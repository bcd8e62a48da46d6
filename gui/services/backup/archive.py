"""One archive for a server's data, and its restore: verified whole before anything is written.

The archive (``.tar.gz``) holds the packages, the users and their roles, the settings and,
with HTTPS, the certificates and the app's CA, under ``pypi-desk-backup/``, and a
``manifest.json`` with each file's size, mode and sha256 (written last, once every file is
hashed). A restore goes into a new folder: it reads the whole archive into a temporary folder
beside the target, checks every member against the manifest (no file missing, none extra,
none altered, no link or path that leaves the folder), and only then renames it into place.
A truncated or altered archive is refused and nothing is left behind. Only the members
``members.py`` lists are accepted, with the modes it gives them, within a size budget; the
restored settings are checked as ``settings set`` checks them; each file keeps its time (the
time it was uploaded).
"""

from __future__ import annotations

import contextlib
import datetime
import glob
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gui import __version__
from gui.services.backup.index_database import database_copy
from gui.services.backup.members import (
    CACHE_MEMBERS,
    FACTS_MEMBER,
    FIXED,
    MEMBER_COST,
    PACKAGES,
    is_cache_member,
    restore_budget,
    restored_mode,
    unusable_tokens,
)
from gui.services.backup.untrusted import (
    MAX_RECORD,
    BoundedReads,
    Overgrown,
    check_restored,
    remove_stale,
)
from gui.services.errors import BackupError
from gui.services.index.datadir import DataDir
from gui.services.names import PASSWORD_FILE_NAME, ROLES_FILE_NAME, SETTINGS_FILE_NAME, TOKENS_FILE_NAME
from gui.services.paths import within
from gui.services.server.inside import cache_store, trash
from gui.services.server.inside.bounded_tar import BoundedTarInfo
from gui.services.server.inside.package_files import walk

ROOT = "pypi-desk-backup"
MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    files: int
    bytes: int
    #: A restore's files as verified against the manifest: (sha256, size) by name in the archive.
    verified: dict[str, tuple[str, int]] = field(default_factory=dict, compare=False, repr=False)
    notes: tuple[str, ...] = ()  # what the user should know (the index database left out, and why)

    def __str__(self) -> str:
        return f"{self.path}: {self.files} files, {self.bytes / 1e6:.1f} MB" + "".join(f". {n}" for n in self.notes)


def _members(data_dir: DataDir, database: Path | None, with_cache: bool = True) -> list[tuple[str, Path]]:
    """(name in the archive, file) for everything a backup holds: the fixed members that exist, the
    index's files by the index's own rule (no dot names, no links), and (``with_cache``) upstream's files kept;
    ``database``, the index database's copy."""
    places = {
        f"auth/{PASSWORD_FILE_NAME}": data_dir.password_file,
        f"auth/{ROLES_FILE_NAME}": data_dir.roles_file,
        f"auth/{TOKENS_FILE_NAME}": data_dir.auth_dir / TOKENS_FILE_NAME,
        SETTINGS_FILE_NAME: data_dir.settings_file,
    }
    if database is not None:
        places[FACTS_MEMBER] = database
    found: list[tuple[str, Path]] = []
    for name in FIXED:
        if name == FACTS_MEMBER and database is None:
            continue  # never the live file: a copy, or nothing
        path = places.get(name, data_dir.root / name)
        if path.is_file() and not path.is_symlink():
            found.append((name, path))
    packages = data_dir.packages_dir
    for relative, _entry in sorted(walk(str(packages))) if packages.is_dir() else []:
        name = f"{PACKAGES}/{relative}"
        if restored_mode(name) is not None:
            found.append((name, packages / relative))
    if with_cache:
        found += _cache_members(packages)
    return found


def _cache_members(packages: Path) -> list[tuple[str, Path]]:
    """The cache's verified files and pages (never a part file, never through a link)."""
    try:
        base = Path(cache_store.cache_dir(str(packages)))
    except cache_store.CacheError:
        return []
    found = []
    for project in sorted(base.iterdir()) if base.is_dir() else []:
        if project.is_symlink() or not project.is_dir():
            continue
        for path in sorted(project.iterdir()):
            name = f"{CACHE_MEMBERS}/{project.name}/{path.name}"
            if not path.is_symlink() and path.is_file() and is_cache_member(name):
                found.append((name, path))
    return found


#: Told how far a backup or a restore is: (bytes done, bytes in all).
Progress = Callable[[int, int], None]


def write_backup(
    data_dir: DataDir, target: Path, *, replace: bool = False, progress: Progress | None = None,
    database: Path | None = None, notes: tuple[str, ...] = (), with_cache: bool = True,
) -> BackupSummary:  # fmt: skip
    """Write the archive of ``data_dir`` to ``target`` (mode 0600: it holds password hashes and keys).
    An existing ``target`` is refused unless ``replace``; a link, a device or a folder always is. The index
    database goes in as ``database`` (a consistent copy) or, without one, as a copy made now; raises
    ``DatabaseUnreadable`` when this user cannot make one."""
    if not data_dir.root.is_dir():
        raise BackupError(f"There is no data folder at {data_dir.root}: nothing to back up.")
    target = _backup_target(target, replace)
    if within(target, data_dir.root):  # by name, or through a bind mount of it or of packages/
        raise BackupError(f"Write the backup outside the data folder ({data_dir.root}), not into it.")
    files: dict[str, dict[str, object]] = {}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot write the backup in {target.parent}: {exc.strerror or exc}. "
                          "Choose a folder you can write to.") from exc  # fmt: skip
    remove_stale(target.parent, f".{glob.escape(target.name)}.*.tmp")
    try:
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise BackupError(f"Cannot write the backup in {target.parent}: {exc.strerror or exc}. "
                          "Choose a folder you can write to.") from exc  # fmt: skip
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            tempfile.TemporaryDirectory(prefix="pypi-desk-backup-") as scratch,
            tarfile.open(fileobj=raw, mode="w:gz") as archive,
        ):
            if database is None:
                database, note = database_copy(data_dir.packages_dir, Path(scratch))
                notes = (*notes, note) if note else notes
            members = _members(data_dir, database, with_cache)
            unusable = unusable_tokens(data_dir)
            if unusable:  # a restore would refuse the whole archive for it: left out, and said
                members = [(name, path) for name, path in members if name != f"auth/{TOKENS_FILE_NAME}"]
                notes = (*notes, unusable)
            total, done = sum(_size(path) for _, path in members), 0
            for name, path in members:
                digest, size, mode = _add_file(archive, f"{ROOT}/{name}", path)
                files[name] = {"sha256": digest, "size": size, "mode": mode}
                done += size
                if progress is not None:
                    progress(done, max(total, done))
            manifest = {"format": FORMAT, "app": __version__, "created": _now(), "files": files}
            _add_bytes(archive, f"{ROOT}/{MANIFEST}", json.dumps(manifest, indent=2, sort_keys=True).encode())
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise BackupError(f"Cannot write the backup {target}: {exc.strerror or exc}. Nothing was written.") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    trashed = sum(len(entry["files"]) for entry in trash.entries(str(data_dir.packages_dir)))
    if trashed:
        notes = (*notes, f"The trash ({trashed} files a cleanup removed) is not in the backup: restore from it first "
                         "what should be kept")  # fmt: skip
    return BackupSummary(target, len(files), sum(int(entry["size"]) for entry in files.values()), notes=notes)


def _backup_target(target: Path, replace: bool) -> Path:
    """``target`` made absolute without following a link at its end; refused when it exists (unless
    ``replace``) or is anything but a regular file."""
    target = target.expanduser()
    target = Path(os.path.abspath(target.parent)).resolve() / target.name
    if not os.path.lexists(target):
        return target
    if target.is_symlink() or not target.is_file():
        raise BackupError(f"{target} is not a regular file (a link, a device or a folder): choose a new file name.")
    if not replace:
        raise BackupError(f"{target} exists already: choose a new file name, or replace it (--force).")
    return target


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def restore_backup(source: Path, data_dir: DataDir, progress: Progress | None = None) -> BackupSummary:
    """Restore ``source`` into ``data_dir``, a folder that does not exist yet (or is empty)."""
    root = data_dir.root
    try:
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise BackupError(f"{root} is not empty: restore into a new folder, so nothing of it is overwritten.")
        root.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(root.parent, f".{glob.escape(root.name)}.restore-*")
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.restore-", dir=root.parent))
    except OSError as exc:
        raise BackupError(
            f"Cannot restore into {root}: {exc.strerror or exc}. Choose a new folder on a disk you can write to."
        ) from exc
    try:
        verified = _unpack_verified(source, staging, progress)
        check_restored(staging, source)
        if root.exists():
            root.rmdir()
        staging.rename(root)
        os.chmod(root, 0o700)
        if (root / "ca").is_dir():
            os.chmod(root / "ca", 0o700)  # the CA's key lives there
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(f"Cannot restore into {root}: {exc.strerror or exc}. Nothing was restored.") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BackupSummary(root, len(verified), sum(size for _, size in verified.values()), verified)


def _unpack_verified(source: Path, staging: Path, progress: Progress | None = None) -> dict[str, tuple[str, int]]:
    """Every member written under ``staging`` and checked; the manifest decides what must be there.
    Returns each file's (sha256, size), as hashed while it was written."""
    written: dict[str, tuple[str, int]] = {}
    manifest: dict | None = None
    try:
        budget = restore_budget(source, staging)
        size = source.stat().st_size
        with (
            open(source, "rb") as raw,
            gzip.GzipFile(fileobj=raw, mode="rb") as unpacked,
            tarfile.open(fileobj=BoundedReads(unpacked, budget), mode="r:", tarinfo=BoundedTarInfo) as archive,
        ):
            for member in archive:
                if progress is not None:
                    progress(min(raw.tell(), size), size)
                name = _member_name(member)
                if name == MANIFEST:
                    manifest = _read_manifest(archive, member)
                    continue
                if member.size > budget:
                    raise BackupError(
                        f"{source} unpacks to more than this disk can hold, or far more than its own size "
                        f"({name} alone is {member.size:,} bytes): it is damaged or not a PyPI Desk backup. "
                        "Nothing was restored."
                    )
                budget -= member.size + MEMBER_COST
                written[name] = _extract(archive, member, staging / name)
    except FileNotFoundError as exc:
        raise BackupError(f"There is no backup at {source}.") from exc
    except Overgrown as exc:
        raise BackupError(
            f"{source} unpacks to far more than its own size (or than this disk can hold): it is damaged or not a "
            "PyPI Desk backup. Nothing was restored."
        ) from exc
    except (tarfile.TarError, EOFError, OSError, ValueError, RecursionError) as exc:
        raise BackupError(
            f"{source} is not a whole PyPI Desk backup ({type(exc).__name__}: {exc}); it may be truncated. "
            "Nothing was restored."
        ) from exc
    if manifest is None:
        raise BackupError(f"{source} has no manifest: it is not a PyPI Desk backup, or it was cut short. "
                          "Nothing was restored.")  # fmt: skip
    listed = manifest["files"]
    problems = [f"{name} is missing" for name in sorted(set(listed) - set(written))]
    problems += [f"{name} is not in the manifest" for name in sorted(set(written) - set(listed))]
    for name, (digest, size) in written.items():
        entry = listed.get(name)
        if entry and (entry["sha256"] != digest or entry["size"] != size):
            problems.append(f"{name} differs from the manifest (altered or damaged)")
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise BackupError(f"{source} does not match its manifest: {shown}. Nothing was restored.")
    for name in listed:
        os.chmod(staging / name, restored_mode(name) or 0o600)  # the kind's mode, never the archive's
    return written


def _member_name(member: tarfile.TarInfo) -> str:
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or path.parts[:1] != (ROOT,) or len(path.parts) < 2:
        raise ValueError(f"the member {member.name!r} would land outside the restored folder")
    if not member.isfile():
        raise ValueError(f"the member {member.name!r} is not a regular file (a link or a device)")
    name = PurePosixPath(*path.parts[1:]).as_posix()
    if name != MANIFEST and restored_mode(name) is None:
        raise ValueError(f"the member {member.name!r} is nothing a PyPI Desk backup holds")
    return name


def _read_manifest(archive: tarfile.TarFile, member: tarfile.TarInfo) -> dict:
    handle = archive.extractfile(member)
    assert handle is not None
    manifest = json.loads(handle.read(MAX_RECORD))
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or not isinstance(manifest.get("files"), dict)
        or not all(_well_formed(name, entry) for name, entry in manifest["files"].items())
    ):
        raise ValueError("the manifest is not one this version of PyPI Desk reads")
    return manifest


def _well_formed(name: object, entry: object) -> bool:
    """A manifest entry as :func:`write_backup` writes it: a known name, a sha256 and a size."""
    return (
        isinstance(name, str)
        and restored_mode(name) is not None
        and isinstance(entry, dict)
        and isinstance(entry.get("sha256"), str)
        and isinstance(entry.get("size"), int)
        and not isinstance(entry.get("size"), bool)
    )


def _extract(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> tuple[str, int]:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = archive.extractfile(member)
    assert handle is not None
    digest, size = hashlib.sha256(), 0
    with open(target, "xb") as out:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    os.utime(target, (member.mtime, member.mtime))  # a package's time is when it was uploaded
    return digest.hexdigest(), size


def _add_file(archive: tarfile.TarFile, name: str, path: Path) -> tuple[str, int, int]:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        info = archive.gettarinfo(fileobj=handle, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
        hashing = _Hashing(handle, digest)
        archive.addfile(info, hashing)
    return digest.hexdigest(), info.size, mode


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


class _Hashing(io.RawIOBase):
    """A file that hashes what is read from it (so each file is read once)."""

    def __init__(self, handle, digest) -> None:
        self._handle, self._digest = handle, digest

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._digest.update(data)
        return data


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
