"""The hosted packages of one server: list, upload a batch (built and checked first), delete a version.

An upload batch takes files and project folders as the user drops them. A folder is
built (``python -m build``) into a temporary folder that is removed once its files
are sent; every file is checked before anything is sent. Each step of each item is
reported as an :class:`UploadEvent`, which the window's queue and the command line
both show; one item's failure never stops the others.

A version is deleted through the server while it runs (``remove_pkg``, once for every
spelling of the name among its files, since pypiserver compares names as written), or
from the folder when it is stopped. The official image's entrypoint hands packages/
to uid 9898; when this user may not delete those files, a one-shot container does.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import random
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from gui.services.app_log import report_unexpected
from gui.services.clients.pypirc_reader import Credentials
from gui.services.clients.service import ClientService
from gui.services.errors import (
    AlreadyExistsError,
    DeskError,
    EngineUnavailableError,
    PackageNotFoundError,
    ServerDiskFullError,
    ServerNotRunningError,
    WrongCredentialsError,
)
from gui.services.packages.build import build_project, is_project
from gui.services.packages.distribution import Distribution, inspect_distribution
from gui.services.packages.filenames import server_parse
from gui.services.packages.index_facts import IndexFacts, read_facts, set_yank
from gui.services.packages.listing import Listing, PackageFile, VersionGroup, group, scan
from gui.services.packages.transport import listed_with_digest, remove, sha256_of, upload
from gui.services.packages.volume_watcher import VolumePackageWatcher, volume_listing
from gui.services.packages.watcher import PackageWatcher
from gui.services.server.inside.facts import MAX_REASON
from gui.services.server.service import ServerService
from gui.services.volume.files import VolumeFiles

log = logging.getLogger(__name__)
UNCLEAR_ATTEMPTS = 2  # an upload whose outcome was unclear and that did not land is sent once more
_item_ids = itertools.count(1)  # unique across batches: a queue may show several at once


def served_as(file: PackageFile) -> tuple[str, str]:
    """The (name, version) pypiserver files ``file`` under: what ``remove_pkg`` must be sent."""
    return server_parse(file.filename) or (file.name_as_written, file.version_as_written)


@dataclass(frozen=True)
class UploadEvent:
    """One step of one item of a batch; ``item`` identifies the row that shows it."""

    item: int
    name: str  # a filename, or "folder/" for a project folder
    state: str  # "waiting", "building", "sending", "done" or "failed"
    percent: int = 0
    message: str = ""
    error: DeskError | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


UploadReport = Callable[[UploadEvent], None]


class PackageService:
    def __init__(self, server: ServerService, clients: ClientService) -> None:
        self.server = server
        self.clients = clients

    @property
    def packages_dir(self) -> Path:
        return self.server.data_dir.packages_dir

    @property
    def volume(self) -> VolumeFiles | None:
        """The volume that holds the packages, when the server keeps its data in one."""
        return self.server.volume if self.server.data_dir.is_volume else None

    def listing(self) -> Listing:
        """The hosted files with what the index database says of them (upload times, yanks)."""
        if self.volume is not None:
            listing = volume_listing(self.volume)[0]
        else:
            files, unrecognized = scan(self.packages_dir)
            listing = group(files.values(), unrecognized)
        return dataclasses.replace(listing, facts=self.facts())

    def facts(self) -> IndexFacts:
        return read_facts(self.server)

    def set_yanked(self, name: str, version: str, reason: str | None) -> VersionGroup:
        """Yank a release (``reason``: why, maybe ""), or unyank it (None): pip and uv then skip it unless it
        is pinned with ``==``. Returns the release; raises when the index has no such release."""
        found = self.find_version(name, version)
        if reason is not None and len(reason) > MAX_REASON:
            raise DeskError(f"A yank reason is at most {MAX_REASON} characters; shorten it.")
        if reason is not None and any(unicodedata.category(c).startswith("C") for c in reason):
            raise DeskError(
                "A yank reason is one line of plain text: remove line breaks, tabs, control characters and "
                "direction marks."
            )
        project = found.files[0].project
        set_yank(self.server, project, str(found.version), reason)
        return found

    def watcher(self, on_listing: Callable[[Listing], None]) -> PackageWatcher | VolumePackageWatcher:
        """What keeps a listing current: file-system events for a folder, asking the engine for a volume."""
        if self.volume is not None:
            return VolumePackageWatcher(self.volume, on_listing, self.facts)
        return PackageWatcher(self.packages_dir, on_listing, self.facts)

    def saved_credentials(self) -> Credentials | None:
        """This server's user and password from ``~/.pypirc``, as twine would find them."""
        url = self.server.running_url() or self.server.load_settings().url
        return self.clients.credentials_for(url)

    # -- upload ---------------------------------------------------------------------

    def upload_paths(
        self, paths: list[Path], credentials: Credentials, report: UploadReport | None = None
    ) -> list[UploadEvent]:
        """Build, check and upload every path; returns each item's last event (done or failed)."""
        say = report or (lambda _event: None)
        items = [(next(_item_ids), path) for path in paths]
        for item, path in items:
            label = f"{path.name}/" if is_project(path) else path.name
            say(UploadEvent(item, label, "waiting", message="Waiting"))
        url = self.server.running_url()
        outcomes: list[UploadEvent] = []
        for item, path in items:
            if is_project(path):
                outcomes += self._build_and_upload(item, path, credentials, url, say)
            else:
                outcomes.append(self._upload_item(item, path, credentials, url, say))
        return outcomes

    def _build_and_upload(
        self, item: int, folder: Path, credentials: Credentials, url: str | None, say: UploadReport
    ) -> list[UploadEvent]:
        label = f"{folder.name}/"
        say(UploadEvent(item, label, "building", message="Building sdist and wheel (python -m build)…"))
        with tempfile.TemporaryDirectory(prefix="pypi-desk-build-") as out:
            try:
                built = build_project(folder, Path(out))
            except Exception as error:
                return [self._failed(item, label, error, say)]
            names = ", ".join(path.name for path in built)
            done = UploadEvent(item, label, "done", 100, f"Built {names}")
            say(done)
            built_items = [(next(_item_ids), path) for path in built]
            for built_item, path in built_items:
                say(UploadEvent(built_item, path.name, "waiting", message="Waiting"))
            return [done] + [self._upload_item(i, path, credentials, url, say) for i, path in built_items]

    def _upload_item(
        self, item: int, path: Path, credentials: Credentials, url: str | None, say: UploadReport
    ) -> UploadEvent:
        shown = -1

        def sent(done: int, total: int) -> None:
            nonlocal shown
            percent = int(100 * done / total) if total else 0
            if percent != shown:  # one event per percent, not per chunk
                shown = percent
                say(UploadEvent(item, path.name, "sending", percent, "Sending…"))

        try:
            self.upload(path, credentials, sent, url=url)
        except Exception as error:
            return self._failed(item, path.name, error, say)
        done = UploadEvent(item, path.name, "done", 100, "Uploaded")
        say(done)
        return done

    @staticmethod
    def _failed(item: int, name: str, error: Exception, say: UploadReport) -> UploadEvent:
        known = error if isinstance(error, DeskError) else report_unexpected(error, f"uploading {name}")
        event = UploadEvent(item, name, "failed", message=str(known), error=known)
        say(event)
        return event

    def upload(
        self,
        path: Path,
        credentials: Credentials,
        progress: Callable[[int, int], None] | None = None,
        url: str | None = None,
    ) -> Distribution:
        """Check one file, then upload it; ``url`` is the running server's (looked up when not given)."""
        distribution = inspect_distribution(path)  # refuse before anything is sent
        url = url or self.server.running_url()
        if url is None:
            raise ServerNotRunningError(path.name)
        verify = self.server.verify()
        first_unclear: DeskError | None = None
        for attempt in range(1, UNCLEAR_ATTEMPTS + 1):
            try:
                upload(url, distribution, credentials, progress, verify=verify)
                break
            except AlreadyExistsError:
                if attempt == 1:
                    raise
                if not self._landed(url, distribution, credentials, verify):
                    raise first_unclear or DeskError(f"{path.name} was not stored.") from None  # the real cause
                break  # our own earlier attempt stored it after all
            except (WrongCredentialsError, ServerNotRunningError, ServerDiskFullError):
                raise  # the server said clearly what happened
            except DeskError as unclear:  # a reply that broke off, a 5xx, a garbled 400: did the file land?
                first_unclear = first_unclear or unclear
                if self._landed(url, distribution, credentials, verify):
                    log.warning("%s: %s; the index lists it with the same sha256: stored", path.name, unclear)
                    break
                if attempt == UNCLEAR_ATTEMPTS:
                    raise
                log.warning("%s: %s; not stored, sending it once more", path.name, unclear)
                time.sleep(random.uniform(0.5, 2.0))  # a passing fault (a proxy, a restart): once more, spread out
        return distribution

    # -- delete ---------------------------------------------------------------------

    def _landed(self, url: str, distribution: Distribution, credentials: Credentials, verify: str | bool) -> bool:
        project = canonicalize_name((server_parse(distribution.filename) or (distribution.name, ""))[0])
        digest = sha256_of(distribution.path)
        return listed_with_digest(url, project, distribution.filename, digest, credentials, verify)

    def find_version(self, name: str, version: str) -> VersionGroup:
        """The files of one version, by any spelling of the name; raises when the index has none."""
        try:
            wanted = Version(version)
        except InvalidVersion as exc:
            raise PackageNotFoundError(f"{version!r} is not a version (PEP 440), such as 1.0.0.") from exc
        project = next((p for p in self.listing().projects if p.name == canonicalize_name(name)), None)
        found = next((v for v in project.versions if v.version == wanted), None) if project else None
        if found is None:
            raise PackageNotFoundError(f"The index has no {name} {version}.")
        return found

    def delete_version(self, name: str, version: str, credentials: Credentials | None) -> list[str]:
        """Delete every file of a version, whatever the spelling; returns the filenames removed."""
        return self.delete_files(self.find_version(name, version), credentials)

    def delete_files(self, version: VersionGroup, credentials: Credentials | None) -> list[str]:
        """Delete the files of a version :meth:`find_version` found (no second scan of the folder)."""
        files = list(version.files)
        url = self.server.running_url()
        if url is not None:
            if credentials is None:
                raise DeskError("Deleting through the running server needs a user name and password.")
            # pypiserver matches its own parse of each filename exactly: ask once per (name, version) it sees.
            verify = self.server.verify()
            for served_name, served_version in sorted({served_as(f) for f in files}):
                remove(url, served_name, served_version, credentials, verify=verify)
        elif self.volume is not None:  # only the engine reaches the files: the runtime's one-shot delete
            self.server.remove_package_files([f.relative_path for f in files])
        else:
            self._delete_from_folder(files)
        if self.volume is not None:
            present = {entry[0] for entry in self.volume.package_entries()}
            left = [f.filename for f in files if f.relative_path in present]
        else:
            left = [f.filename for f in files if (self.packages_dir / f.relative_path).exists()]
        if left:
            raise DeskError(f"These files are still there: {', '.join(left)}. Delete them by hand.")
        return [f.filename for f in files]

    def _delete_from_folder(self, files: list[PackageFile]) -> None:
        blocked = []
        for file in files:
            try:
                (self.packages_dir / file.relative_path).unlink(missing_ok=True)
            except PermissionError:
                blocked.append(file.relative_path)
        if not blocked:
            return
        try:
            self.server.remove_package_files(blocked)
        except EngineUnavailableError as exc:
            raise DeskError(
                f"The files belong to the container's user (uid 9898) and no Docker engine answers to delete them: "
                f"{', '.join(blocked)}. Start Docker, or delete them with sudo."
            ) from exc
