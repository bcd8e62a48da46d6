"""The one parser of distribution filenames (wheels and sdists), for the listing and the upload checks.

Names and versions come from ``packaging.utils`` (PEP 503 names, PEP 440 versions), as pip
reads them. The server reads them its own way: :func:`server_parse` is pypiserver's own
function (``pypiserver.pkg_helpers.guess_pkgname_and_version``), which gives ``foo`` and
``2d-1.0`` for ``foo-2d-1.0.tar.gz`` and ``1.0-1`` for a wheel with a build tag. Where the
two disagree, the server's parse is believed: it decides what ``/simple/NAME/`` lists and
which files ``remove_pkg`` matches.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
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


@functools.cache
def _pypiserver_guess() -> Callable[[str], tuple[str, str] | None]:
    """pypiserver's parser, loaded from its module alone (its package's ``__init__`` costs 200 ms)."""
    spec = importlib.util.find_spec("pypiserver")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        module_spec = importlib.util.spec_from_file_location("_pypiserver_pkg_helpers", f"{folder}/pkg_helpers.py")
        if module_spec is not None and module_spec.loader is not None:
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
            return module.guess_pkgname_and_version
    raise RuntimeError("pypiserver is not installed: it is one of PyPI Desk's dependencies; reinstall PyPI Desk.")


def server_parse(filename: str) -> tuple[str, str] | None:
    """(name, version) as pypiserver reads ``filename``, or None when it would not list the file."""
    return _pypiserver_guess()(filename)
