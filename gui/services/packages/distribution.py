"""Checking a file before it is uploaded: is it really the sdist or wheel its name says?

pypiserver checks only the filename, so a random file named ``junk-1.0.tar.gz`` would
be stored. Here the name must parse (``packaging``), the archive must open and be
safe to unpack (no absolute or ``..`` member paths, no links out, no zip bomb), its
metadata must be readable (``pkginfo``), and the name and version inside must be the
ones in the filename. Each refusal says why.
"""

from __future__ import annotations

import tarfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pkginfo
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from gui.services.errors import DistributionError
from gui.services.packages.filenames import (
    SDIST_SUFFIXES,
    BadFilename,
    parse_filename,
    server_parse,
    wheel_pyversion,
)

MAX_UNPACKED_BYTES = 4 * 1024**3  # a distribution that unpacks to more is refused as a likely bomb
MAX_RATIO = 200  # nor one that unpacks to this many times its size (past 100 MB)
MAX_MEMBERS = 100_000


@dataclass(frozen=True)
class Distribution:
    path: Path
    filename: str
    name: str  # as in the metadata
    version: str
    filetype: str  # "sdist" or "bdist_wheel", as the upload API names them
    pyversion: str  # "source" for an sdist, the wheel's python tag otherwise
    size: int
    metadata: dict[str, str] = field(default_factory=dict)


def _refuse(path: Path, reason: str) -> DistributionError:
    return DistributionError(f"{path.name}: {reason} Nothing was sent.")


def _check_members(path: Path, names_and_sizes: list[tuple[str, int, bool]]) -> None:
    if len(names_and_sizes) > MAX_MEMBERS:
        raise _refuse(path, f"the archive holds more than {MAX_MEMBERS:,} files.")
    total = 0
    for name, size, is_link_out in names_and_sizes:
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and parts[0].endswith(":")):
            raise _refuse(path, f"the member {name!r} would be unpacked outside its folder (path traversal).")
        if is_link_out:
            raise _refuse(path, f"the member {name!r} is a link that points outside the archive.")
        total += size
    stored = path.stat().st_size
    if total > MAX_UNPACKED_BYTES or (total > 100 * 1024**2 and total > MAX_RATIO * stored):
        raise _refuse(
            path,
            f"it would unpack to {total / 1024**2:,.0f} MB from {stored / 1024**2:,.1f} MB: "
            "refused as a likely archive bomb.",
        )


def _link_out(member: tarfile.TarInfo) -> bool:
    if not (member.issym() or member.islnk()):
        return False
    target = PurePosixPath(member.name).parent / member.linkname
    return member.linkname.startswith("/") or ".." in target.parts


def _open_archive(path: Path, kind: str) -> None:
    try:
        if kind == "wheel" or path.name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                members = [(i.filename, i.file_size, False) for i in archive.infolist()]
        else:
            with tarfile.open(path, "r:gz") as archive:
                members = [(m.name, m.size, _link_out(m)) for m in archive.getmembers()]
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as exc:
        kind_text = "zip" if kind == "wheel" else "tar.gz or zip"
        raise _refuse(path, f"it is not a readable {kind_text} archive ({exc}).") from exc
    if not members:
        raise _refuse(path, "the archive is empty.")
    _check_members(path, members)


def _check_served_name(path: Path, name: str, version: str) -> None:
    """Refuse a file the index would list under another project (pip would then fetch that name from PyPI)."""
    served = server_parse(path.name)
    if served is None:
        raise _refuse(path, "the server would not list a file of that name. Rebuild it (python -m build).")
    served_name, served_version = served
    if canonicalize_name(served_name) != canonicalize_name(name):
        wanted = f"{canonicalize_name(name).replace('-', '_')}-{version}"
        raise _refuse(
            path,
            f"the index would serve it as project {served_name!r} (version {served_version!r}), not {name!r}: "
            f"'pip install {name}' would not find it here and would take a package of that name from PyPI "
            f"instead. Rebuild it with a current build backend (python -m build), which names it {wanted}.tar.gz.",
        )


def inspect_distribution(path: Path) -> Distribution:
    """Check ``path`` and return what the upload needs, or raise :class:`DistributionError`."""
    if path.is_symlink():
        raise _refuse(path, "it is a symbolic link; drop the file it points to instead.")
    if path.is_dir():
        raise _refuse(path, "it is a folder without pyproject.toml or setup.py, not a distribution.")
    if not path.is_file():
        raise _refuse(path, "the file does not exist.")
    size = path.stat().st_size
    if size == 0:
        raise _refuse(path, "the file is empty (0 bytes).")
    filename = path.name
    if not filename.endswith((".whl", *SDIST_SUFFIXES)):
        raise _refuse(path, "only sdists (NAME-VERSION.tar.gz or .zip) and wheels (.whl) can be uploaded.")
    try:
        parsed = parse_filename(filename)
    except BadFilename as exc:
        raise _refuse(path, f"the name is not a valid distribution filename ({exc}).") from exc
    kind, file_name, file_version = parsed.kind, parsed.name_as_written, parsed.version
    pyversion = wheel_pyversion(parsed.tags) if kind == "wheel" else "source"
    _open_archive(path, kind)
    reader = pkginfo.Wheel if kind == "wheel" else pkginfo.SDist
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pkginfo warns on newer metadata versions; missing fields are checked below
        try:
            meta = reader(str(path))
        except Exception as exc:  # pkginfo raises ValueError, UnknownArchiveFormat, KeyError...
            raise _refuse(path, f"its metadata cannot be read ({exc}).") from exc
    if not meta.name or not meta.version:
        raise _refuse(path, "it has no metadata (PKG-INFO or METADATA with Name and Version).")
    try:
        same_version = Version(meta.version) == file_version
    except InvalidVersion:
        same_version = False
    if canonicalize_name(meta.name) != canonicalize_name(file_name) or not same_version:
        raise _refuse(
            path,
            f"the filename says {file_name} {file_version} but its metadata says {meta.name} {meta.version}. "
            "Rebuild it (python -m build) instead of renaming it.",
        )
    _check_served_name(path, meta.name, meta.version)
    fields = {
        "metadata_version": meta.metadata_version or "2.1",
        "summary": meta.summary or "",
        "author": meta.author or "",
        "requires_python": meta.requires_python or "",
    }
    return Distribution(
        path, filename, meta.name, meta.version, "bdist_wheel" if kind == "wheel" else "sdist", pyversion, size, fields
    )
