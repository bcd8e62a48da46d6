"""A distribution's core metadata, as PEP 658 serves it: the wheel's ``METADATA``, or an sdist's ``PKG-INFO``
when PEP 643 says it can be trusted (runs inside the server, with the standard library only).

A wheel's ``*.dist-info/METADATA`` is what installers read after downloading it; serving it
alone lets pip and uv resolve without the download. An sdist's ``PKG-INFO`` is served only when
it is ``Metadata-Version`` 2.2 or later and names no ``Dynamic`` field: otherwise a build could
produce other dependencies, and PEP 643 says not to rely on it. Everything read is bounded, so
a crafted archive (a gzip bomb, an extended header built to parse slowly, a huge member, a
tar of a million entries) costs little.
"""

from __future__ import annotations

import email.parser
import gzip
import os
import re
import tarfile
import zipfile
from dataclasses import dataclass

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside.bounded_tar import BoundedTarInfo, CappedReads
else:  # run as a script from this folder, inside the image or as the local process
    from bounded_tar import BoundedTarInfo, CappedReads

MAX_METADATA = 2 * 1024 * 1024  # far above any real METADATA (PyPI's largest are a few hundred KB)
#: Text compresses about 3 to 5 times: metadata far larger than its file is a bomb, kept out of the database.
METADATA_PER_FILE_BYTE = 10
METADATA_SLACK = 64 * 1024
MAX_UNPACKED = 64 * 1024 * 1024  # what is unpacked of an sdist looking for it, at most
UNPACKED_PER_FILE_BYTE = 20  # and at most this many times the sdist's size (real ones: 3 to 10; a bomb: 1000)
MAX_TAR_MEMBERS = 2000  # PKG-INFO comes first in every sdist backend's archive; this far is plenty
_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$", re.IGNORECASE)
_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".zip")


@dataclass(frozen=True)
class CoreMetadata:
    """The metadata file's bytes, and what a page says of it."""

    data: bytes
    requires_python: str | None


def _limit(path: str) -> int:
    """The largest metadata file kept for ``path``: bounded, and in proportion to the file's size."""
    return min(MAX_METADATA, METADATA_SLACK + METADATA_PER_FILE_BYTE * os.path.getsize(path))


def read_core_metadata(path: str, filename: str) -> tuple[CoreMetadata | None, str | None]:
    """(metadata to serve or None, requires-python). Requires-Python is read from an sdist's PKG-INFO even
    when its metadata is not served (a page may still say it: the field is never dynamic in practice, but we
    say it only when it is not marked so). Never raises for a bad archive: it just has none."""
    try:
        if filename.lower().endswith(".whl"):
            data = _wheel_metadata(path, filename)
            if data is None:
                return None, None
            requires = _headers(data).get("Requires-Python")
            return CoreMetadata(data, _clean(requires)), _clean(requires)
        if filename.lower().endswith(_SDIST_SUFFIXES):
            data = _sdist_pkg_info(path, filename)
            if data is None:
                return None, None
            headers = _headers(data)
            dynamic = {value.strip().lower() for value in headers.get_all("Dynamic") or []}
            requires = None if "requires-python" in dynamic else _clean(headers.get("Requires-Python"))
            if _reliable(headers.get("Metadata-Version"), dynamic):
                return CoreMetadata(data, requires), requires
            return None, requires
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError, RuntimeError, LookupError):
        return None, None
    return None, None


def _headers(data: bytes):
    return email.parser.BytesHeaderParser().parsebytes(data)


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _reliable(metadata_version: str | None, dynamic: set[str]) -> bool:
    """PEP 643: 2.2 or later, and nothing marked dynamic."""
    try:
        version = tuple(int(part) for part in (metadata_version or "").strip().split("."))
    except ValueError:
        return False
    return version >= (2, 2) and not dynamic


def _wheel_metadata(path: str, filename: str) -> bytes | None:
    """``{name}-{version}.dist-info/METADATA`` at the top of the wheel (its name and version as in the file
    name, compared case- and separator-insensitively, as installers find it)."""
    match = _WHEEL.match(filename)
    if not match:
        return None
    with zipfile.ZipFile(path) as wheel:
        candidates = [
            info
            for info in wheel.infolist()
            if info.filename.count("/") == 1 and info.filename.lower().endswith(".dist-info/metadata")
        ]
        wanted = _key(f"{match['name']}-{match['version']}")
        chosen = [info for info in candidates if _key(info.filename.split("/")[0][: -len(".dist-info")]) == wanted]
        if len(chosen) != 1 and len(candidates) == 1:
            chosen = candidates  # a name spelled otherwise in the folder: still the only one
        return _only_member(wheel, chosen, _limit(path))


def _only_member(archive: zipfile.ZipFile, found: list[zipfile.ZipInfo], limit: int) -> bytes | None:
    """The one member found, read up to ``limit`` bytes; None for none, several, or one too large."""
    if len(found) != 1 or found[0].file_size > limit:
        return None
    with archive.open(found[0]) as handle:
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None


def _key(text: str) -> str:
    return re.sub(r"[-_.]+", "_", text).lower()


def _sdist_pkg_info(path: str, filename: str) -> bytes | None:
    """The top folder's ``PKG-INFO`` (``NAME-VERSION/PKG-INFO``) of a ``.tar.gz`` or ``.zip`` sdist."""
    if filename.lower().endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            found = [i for i in archive.infolist() if i.filename.count("/") == 1 and i.filename.endswith("/PKG-INFO")]
            return _only_member(archive, found, _limit(path))
    budget = min(MAX_UNPACKED, UNPACKED_PER_FILE_BYTE * os.path.getsize(path) + METADATA_SLACK)
    with (
        gzip.open(path, "rb") as unpacked,
        tarfile.open(fileobj=CappedReads(unpacked, budget), mode="r|", tarinfo=BoundedTarInfo) as archive,
    ):
        for count, member in enumerate(archive):
            if count >= MAX_TAR_MEMBERS:
                return None
            if member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                limit = _limit(path)
                if not member.isfile() or member.size > limit:
                    return None
                handle = archive.extractfile(member)
                data = handle.read(limit + 1) if handle else b""
                return data if 0 < len(data) <= limit else None
    return None
