"""The hosted packages of one server: list, upload (checked first) and delete a version.

A version is deleted through the server while it runs (``remove_pkg``, once for every
spelling of the name among its files, since pypiserver compares names as written), or
from the folder when it is stopped. The official image's entrypoint hands packages/
to uid 9898; when this user may not delete those files, a one-shot container does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gui.services.distribution import Distribution, inspect_distribution
from gui.services.errors import DeskError, EngineUnavailableError, ServerNotRunningError
from gui.services.packages import Listing, PackageFile, group, scan
from gui.services.server_service import ServerService
from gui.services.uploader import Credentials, credentials_from_pypirc, remove, upload


class PackageService:
    def __init__(self, server: ServerService, pypirc: Path) -> None:
        self.server = server
        self.pypirc = pypirc

    @property
    def packages_dir(self) -> Path:
        return self.server.data_dir.packages_dir

    def listing(self) -> Listing:
        files, unrecognized = scan(self.packages_dir)
        return group(files.values(), unrecognized)

    def running_url(self) -> str | None:
        status = self.server.status()
        return status.url if status.running else None

    def saved_credentials(self, url: str | None = None) -> Credentials | None:
        """This server's user and password from ~/.pypirc (Client setup writes them)."""
        return credentials_from_pypirc(self.pypirc, url or self.running_url() or self.server.load_settings().url)

    def upload(
        self,
        path: Path,
        credentials: Credentials,
        progress: Callable[[int, int], None] | None = None,
        url: str | None = None,
    ) -> Distribution:
        """Check, then upload; ``url`` is the running server's (looked up when not given)."""
        distribution = inspect_distribution(path)  # refuse before anything is sent
        url = url or self.running_url()
        if url is None:
            raise ServerNotRunningError(f"{path.name}: the server is not running. Start it, then upload again.")
        upload(url, distribution, credentials, progress)
        return distribution

    def delete_version(self, files: list[PackageFile], credentials: Credentials | None) -> list[str]:
        """Delete every file of a version, whatever the spelling; returns the filenames removed."""
        url = self.running_url()
        if url is not None:
            if credentials is None:
                raise DeskError("Deleting through the running server needs a user name and password.")
            for name, version in sorted({(f.name_as_written, f.version_as_written) for f in files}):
                remove(url, name, version, credentials)
        else:
            self._delete_from_folder(files)
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
            self.server.docker.remove_package_files(self.server.load_settings().image, blocked)
        except EngineUnavailableError as exc:
            raise DeskError(
                f"The files belong to the container's user (uid 9898) and no Docker engine answers to delete them: "
                f"{', '.join(blocked)}. Start Docker, or delete them with sudo."
            ) from exc
