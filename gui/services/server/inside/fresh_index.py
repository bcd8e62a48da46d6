"""An index of the packages folder that is always fresh and never walks it whole: for the pages and for
pypiserver itself (runs inside the server, with the image's packages only).

:class:`FreshIndex` holds every distribution as pypiserver's own ``valid_packages`` reads it.
Before each use it compares the modification times of the folders it knows and reads again
only a folder that changed (a copy, a removal, an upload): a change shows on the next
request, with no watcher thread to lose in gunicorn's fork. Projects are kept up to date
file by file, so a change costs one folder listing, not a rebuild. Which files count is
``package_files``' rule (no dot names, no links). One lock guards it: the local process
runtime serves from threads.

:class:`IndexedBackend` is pypiserver's own plain backend (it still writes and removes the
files) answering its lookups from that index: pypiserver's simple-dir backend walks the whole
folder for each upload's "does it exist?", each removal and each download. Its uploads go
through ``uploads.store_upload``: whole, or not at all.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from pypiserver.backend import SimpleFileBackend, valid_packages
from pypiserver.bottle_wrapper import HTTPError, request
from pypiserver.core import PkgFile
from pypiserver.pkg_helpers import normalize_pkgname

if __package__:  # imported as part of PyPI Desk (the app, the bundle)
    from gui.services.server.inside.facts import FileFacts
    from gui.services.server.inside.file_facts import FileFactsCache
    from gui.services.server.inside.package_files import listed_entries
    from gui.services.server.inside.uploads import UploadRefused, store_upload
else:  # run as a script from this folder, inside the image or as the local process
    from facts import FileFacts
    from file_facts import FileFactsCache
    from package_files import listed_entries
    from uploads import UploadRefused, store_upload


def _mtime(folder: str) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return -1


class FreshIndex:
    """Every distribution under ``root``; :meth:`refresh` re-reads only folders whose mtime changed."""

    def __init__(self, root: Path, hash_algo: str | None, facts: FileFactsCache | None = None) -> None:
        self.root = str(Path(root).resolve())
        self.hash_algo = hash_algo
        self.facts = facts or FileFactsCache(None, hash_algo)
        self._found: list[PkgFile] = []  # new and gone during one refresh: told to the facts after it
        self._lost: list[PkgFile] = []
        self._folders: dict[str, int] = {}  # folder -> its mtime when it was read
        self._names: dict[str, set[str]] = {}  # folder -> every listed file name (packages or not)
        self._files: dict[str, dict[str, PkgFile]] = {}  # folder -> file name -> package
        self._projects: dict[str, dict[str, PkgFile]] = {}  # normalized name -> path -> package
        self._sorted: dict[str, list[PkgFile]] = {}  # a project's packages in pypiserver's order
        self._by_path: dict[str, PkgFile] = {}  # relfn_unix -> package
        self.generation = 0  # grows with every change: what depends on all of it knows when to redo
        self._lock = threading.RLock()

    # -- keeping it fresh -------------------------------------------------------------

    def refresh(self) -> None:
        with self._lock:
            first_read = not self._folders
            self._refresh()
            found, lost, self._found, self._lost = self._found, self._lost, [], []
        if found:
            self.facts.seen(found, first_read)
        if lost:
            self.facts.gone(lost)
        if self.facts.yanks_changed() or lost:
            with self._lock:
                self.generation += 1

    def _refresh(self) -> None:
        if not self._folders:
            self._read(self.root)
            self.generation += 1
            return
        changed = [folder for folder, seen in list(self._folders.items()) if _mtime(folder) != seen]
        for folder in changed:
            if folder in self._folders:  # not forgotten with a parent read just before
                self._read(folder)
        if changed:
            self.generation += 1

    def _read(self, folder: str) -> None:
        mtime = _mtime(folder)  # before listing: a change during the listing is seen next time
        try:
            listed_files, listed_folders = listed_entries(folder)
        except OSError:
            self._forget(folder, gone=False)  # unreadable for now: its facts stay for when it is back
            return
        old = self._files.get(folder, {})
        names = {entry.name for entry in listed_files}
        subfolders = {entry.path for entry in listed_folders}
        files = {name: old[name] for name in names & old.keys()}
        for name in old.keys() - names:
            self._drop(old[name])
            self._lost.append(old[name])
        for name in names - old.keys():
            found = next(iter(valid_packages(Path(self.root), [Path(folder, name)])), None)
            if found is not None:
                files[name] = found
                self._add(found)
                self._found.append(found)
        self._names[folder], self._files[folder], self._folders[folder] = names, files, mtime
        for known in [f for f in self._folders if os.path.dirname(f) == folder and f not in subfolders]:
            self._forget(known)  # removed, with what was below it
        for subfolder in subfolders - self._folders.keys():
            self._read(subfolder)

    def _forget(self, folder: str, gone: bool = True) -> None:
        prefix = folder.rstrip(os.sep) + os.sep
        for known in [f for f in self._folders if f == folder or f.startswith(prefix)]:
            for package in self._files.pop(known, {}).values():
                self._drop(package)
                if gone:
                    self._lost.append(package)
            self._folders.pop(known, None)
            self._names.pop(known, None)

    def _add(self, package: PkgFile) -> None:
        self._projects.setdefault(package.pkgname_norm, {})[package.fn] = package
        self._sorted.pop(package.pkgname_norm, None)
        self._by_path[package.relfn_unix] = package

    def _drop(self, package: PkgFile) -> None:
        packages = self._projects.get(package.pkgname_norm, {})
        packages.pop(package.fn, None)
        if not packages:
            self._projects.pop(package.pkgname_norm, None)
        self._sorted.pop(package.pkgname_norm, None)
        self._by_path.pop(package.relfn_unix, None)

    # -- asking it (call refresh() first) ---------------------------------------------

    def project_names(self) -> list[str]:
        with self._lock:
            return sorted(self._projects)

    def packages_of(self, project: str) -> list[PkgFile]:
        """A normalized project's packages, sorted as pypiserver sorts them (by version, then path)."""
        with self._lock:
            if project not in self._sorted:
                found = self._projects.get(project, {}).values()
                self._sorted[project] = sorted(found, key=lambda p: (p.parsed_version, p.relfn))
            return self._sorted[project]

    def all_packages(self) -> list[PkgFile]:
        with self._lock:
            return [package for packages in self._projects.values() for package in packages.values()]

    def package_at(self, relfn_unix: str) -> PkgFile | None:
        """The package whose path below the root is ``relfn_unix`` (as in a page's link)."""
        with self._lock:
            return self._by_path.get(relfn_unix)

    def has_file(self, filename: str) -> bool:
        """Whether any listed file, package or not, has this name (pypiserver's "exists")."""
        with self._lock:
            return any(filename in names for names in self._names.values())

    def facts_of(self, package: PkgFile) -> FileFacts | None:
        """The file's digest, size, upload time and metadata facts as it is now (None: it is gone); a new or
        changed file is hashed and read outside the index's lock, so a large one holds up no other request."""
        return self.facts.facts_of(package)

    def digest(self, package: PkgFile) -> str | None:
        """``sha256=…`` of a package's file as it is now (None: no hashing, or the file is gone)."""
        facts = self.facts_of(package)
        return facts.digest if facts else None


class IndexedBackend(SimpleFileBackend):
    """pypiserver's plain backend (it writes and removes the files) answering lookups from a FreshIndex."""

    def __init__(self, config, index: FreshIndex) -> None:
        super().__init__(config)
        self.index = index

    def get_all_packages(self) -> Iterable[PkgFile]:
        self.index.refresh()
        return self.index.all_packages()

    def find_project_packages(self, project: str) -> Iterable[PkgFile]:
        self.index.refresh()
        return list(self.index.packages_of(normalize_pkgname(project)))

    def get_projects(self) -> Iterable[str]:
        self.index.refresh()
        return self.index.project_names()

    def exists(self, filename: str) -> bool:
        self.index.refresh()
        return self.index.has_file(filename)

    def add_package(self, filename: str, stream) -> None:
        """pypiserver's write, made whole or nothing (``uploads.store_upload``), its refusal in words."""
        offset = stream.tell()
        try:
            store_upload(self.roots[0], filename, stream, request.forms.get("sha256_digest"))
        except UploadRefused as refused:
            raise HTTPError(refused.status, refused.reason) from None
        finally:
            stream.seek(offset)
        stored = next(iter(valid_packages(Path(self.index.root), [Path(self.index.root, filename)])), None)
        if stored is not None:  # its upload time, known as an upload's
            self.index.facts.uploaded(stored.relfn_unix, stored.pkgname, stored.version)

    def digest(self, pkg: PkgFile) -> str | None:
        """From the index's cache; None for a file removed meanwhile (pypiserver's own pages hash each file)."""
        return self.index.digest(pkg)
