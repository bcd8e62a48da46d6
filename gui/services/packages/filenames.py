"""The one parser of distribution filenames (wheels and sdists), for the listing and the upload checks.

Names and versions come from ``packaging.utils`` (PEP 503 names, PEP 440 versions); the
name and version *as written* are kept too, because pypiserver compares those when it
removes a version.
"""

from __future__ import annotations

from typing import NamedTuple

from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

SDIST_SUFFIXES = (".tar.gz", ".zip")


class DistributionName(NamedTuple):
    project: str  # PEP 503 normalized
    name_as_written: str
    version: Version
    version_as_written: str
    kind: str  # "sdist" or "wheel"
    tags: str  # a wheel's tags as written, e.g. "py3-none-any"; "" for an sdist


class BadFilename(ValueError):
    """Not the filename of a wheel or an sdist; the message says why."""


def parse_filename(filename: str) -> DistributionName:
    """Parse a wheel's or an sdist's filename, or raise :class:`BadFilename`.

    Called for every file of the index (50,000 at a time): ``packaging`` already
    returns the PEP 503 name, so nothing is normalized twice.
    """
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            parts = filename[:-4].split("-")
            return DistributionName(name, parts[0], version, parts[1], "wheel", "-".join(parts[-3:]))
        name, version = parse_sdist_filename(filename)
    except (InvalidSdistFilename, InvalidWheelFilename) as exc:
        raise BadFilename(str(exc)) from exc
    stem = filename[:-7] if filename.endswith(".tar.gz") else filename[:-4]
    written_name, _, written_version = stem.rpartition("-")
    return DistributionName(name, written_name, version, written_version, "sdist", "")


def wheel_pyversion(tags: str) -> str:
    """The upload API's ``pyversion`` of a wheel: its first python tag (``py3`` of ``py2.py3-none-any``)."""
    return sorted(tags.split("-")[0].split("."))[0]
