"""The Doctor's check that every package file is whole: a wheel or zip whose index opens, an sdist whose
compressed stream ends where it should. A file cut off by a full disk or a killed copy is named, with
what to do (delete it and upload it again); the server itself never stores one (it renames an upload
only when whole), but a file copied in by hand can be.
"""

from __future__ import annotations

import gzip
import lzma
import tarfile
import time
import zipfile
from pathlib import Path

from gui.services.core import DeskServices
from gui.services.doctor.findings import Finding, Outcome
from gui.services.server.inside.package_files import walk

#: How long the sdists' full read may take (zips are checked by their central directory, which is quick).
TIME_BUDGET = 20.0
_TARS = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")


def why_not_whole(path: Path) -> str | None:
    """None when ``path`` opens as the archive its name says; else what is wrong, in a few words."""
    name = path.name.lower()
    try:
        if name.endswith((".whl", ".zip", ".egg")):
            with zipfile.ZipFile(path) as archive:
                archive.infolist()
        elif name.endswith(_TARS):
            with tarfile.open(path) as archive:
                for _ in archive:
                    pass
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, gzip.BadGzipFile, lzma.LZMAError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except ValueError as exc:  # bz2 and zlib say "invalid data stream" this way
        return str(exc) or "damaged"
    return None


def whole_files(services: DeskServices) -> Finding:
    name = "Package files whole"
    if services.data_dir.is_volume:
        return Finding(name, Outcome.SKIPPED, "The files are in a Docker volume: checked by the server as they arrive.")
    packages = services.data_dir.packages_dir
    if not packages.is_dir():
        return Finding(name, Outcome.OK, "No packages yet.")
    deadline = time.monotonic() + TIME_BUDGET
    broken: list[str] = []
    checked = unchecked = 0
    for relative, entry in sorted(walk(str(packages)), key=lambda pair: pair[0].endswith(_TARS)):
        if relative.lower().endswith(_TARS) and time.monotonic() > deadline:
            unchecked += 1
            continue
        problem = why_not_whole(Path(entry.path))
        checked += 1
        if problem is not None:
            broken.append(f"{relative} ({problem})")
    later = f" {unchecked} sdist(s) were not read in the time the Doctor takes." if unchecked else ""
    if broken:
        shown = "; ".join(broken[:5]) + (f"; and {len(broken) - 5} more" if len(broken) > 5 else "")
        return Finding(
            name,
            Outcome.PROBLEM,
            f"{len(broken)} file(s) are not whole (cut off, or not the archive their name says): {shown}.{later}",
            "Delete them (Packages tab, or pypi-desk package remove NAME VERSION) and upload them again.",
        )
    return Finding(name, Outcome.OK, f"{checked} file(s) open as whole archives.{later}")


def index_database(services: DeskServices) -> Finding:
    """Whether the index database (upload times, yanks) ever had to be set aside as damaged and made anew."""
    name = "Index database"
    facts = services.packages.facts()
    if facts.problem:
        return Finding(
            name, Outcome.PROBLEM,
            f"The index database (packages/.pypi-desk/index.sqlite3) cannot be read: {facts.problem}. Upload times "
            "and yanks are not shown, and the server may serve without them.",
            "Start the server: a damaged database is set aside and made anew from the files. If it is not a file "
            "(a folder, a link), move it away first.",
        )  # fmt: skip
    if facts.set_aside:
        where = f"{services.data_dir.describe()}: packages/.pypi-desk/"
        return Finding(
            name,
            Outcome.WARNING,
            f"The index database was found damaged and made anew from the files ({len(facts.set_aside)} time(s); "
            f"the last copy set aside is {where}{facts.set_aside[-1]}). Upload times recorded before then are now "
            "the files' own times, and yanks made before then are gone.",
            "Yank again what should stay yanked (pypi-desk package yank NAME VERSION). Keep the damaged copy for a "
            "recovery by hand, or delete it.",
        )
    return Finding(name, Outcome.OK, f"{len(facts.files)} file(s) with upload times; {len(facts.yanks)} yanked.")
