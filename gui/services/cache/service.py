"""The cache of upstream's projects for one server, as the app tends it: what is kept and how large, which
names are both the team's and upstream's (dependency confusion), clearing, upstream's credentials, and
upstream's last state as the server found it. The window and the command line make the same calls."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gui.services.atomic import write_atomic
from gui.services.cache.mirror import Progress, SetFetcher, TargetReport, fetch_set
from gui.services.cache.targets import Target
from gui.services.errors import DeskError
from gui.services.index.settings import ServerSettings
from gui.services.packages.index_facts import CachedProject, IndexFacts, write_database
from gui.services.server.inside import cache_store
from gui.services.volume.layout import UPSTREAM_CREDENTIALS

if TYPE_CHECKING:
    from gui.services.packages.service import PackageService
    from gui.services.server.service import ServerService


@dataclass(frozen=True)
class CacheOverview:
    """What the cache holds now, and what to warn about."""

    projects: tuple[CachedProject, ...]  # by name
    both: tuple[str, ...]  # names the team hosts that the cache also holds files of (from before they were hosted)
    fallback: str  # "cache", "redirect" or "off"
    upstream: str
    upstream_problem: str  # why the server last could not reach upstream ("" : it could)
    problem: str = ""  # why the index database could not be read

    @property
    def size(self) -> int:
        return sum(project.size for project in self.projects)

    @property
    def file_count(self) -> int:
        return sum(len(project.files) for project in self.projects)


class CacheService:
    def __init__(self, server: ServerService, packages: PackageService) -> None:
        self.server = server
        self.packages = packages

    def overview(self, facts: IndexFacts | None = None, settings: ServerSettings | None = None) -> CacheOverview:
        """The cache's projects and the names in both places (``facts`` and ``settings`` when the caller has them)."""
        facts = facts if facts is not None else self.packages.facts()
        hosted = {project.name for project in self.packages.listing().projects}
        settings = settings if settings is not None else self.server.load_settings()
        projects = tuple(facts.cached[name] for name in sorted(facts.cached))
        return CacheOverview(projects, tuple(sorted(hosted & set(facts.cached))), settings.fallback,
                             settings.upstream, facts.upstream_problem, facts.problem)  # fmt: skip

    def clear(self, project: str | None = None) -> dict:
        """Remove one cached project (its PEP 503 name) or all; returns {"projects", "files", "bytes"} removed."""
        from packaging.utils import canonicalize_name

        if project is not None and not project.strip():
            raise DeskError("Name the project to clear (or clear --all for the whole cache); an empty name is none.")
        name = canonicalize_name(project) if project else None
        args = ["cache-clear", *([name] if name else [])]
        root = str(self.server.data_dir.packages_dir)
        return write_database(self.server, args, lambda store: cache_store.clear_cache(store, root, name),
                              "The cache may be partly cleared: clear it again.")  # fmt: skip

    def add_set(self, requirements: list[str], targets: list[Target], sdists: bool = False,
                progress: Progress | None = None, cancelled: threading.Event | None = None,
                ) -> list[TargetReport]:  # fmt: skip
        """Resolve ``requirements`` for each target machine and have the cache keep every file each needs
        (through the running server, which fetches and verifies them); what came, per target. ``cancelled`` set
        stops it within a moment (SetCancelled); what came before stays, verified."""
        settings = self.server.load_settings()
        if settings.fallback != "cache":
            raise DeskError(f"Names this index does not host are set to {settings.fallback!r}, so nothing is kept: "
                            "turn the cache on (settings set fallback=cache), then start the server.")  # fmt: skip
        url = self.server.running_url()
        if url is None:
            raise DeskError("The server is not running: start it, then fetch the set (it comes through the server).")
        credentials = self.packages.saved_credentials()
        needs_login = "list" in settings.auth or "download" in settings.auth
        if needs_login and credentials is None:
            raise DeskError("This index asks a password to list and download, and no login for it is saved here: "
                            "set up this machine as a client first (pypi-desk client setup).")  # fmt: skip
        auth = (credentials.username, credentials.password) if credentials and needs_login else None
        fetcher = SetFetcher(url, auth, self.server.verify(), _uv(), cancelled)
        already = {file.filename for project in self.packages.facts().cached.values() for file in project.files}
        return fetch_set(fetcher, requirements, targets, sdists, already, progress)

    def allow(self, project: str) -> bool:
        """Let upstream's project be served for a name the team hosted once and hosts no more."""
        from packaging.utils import canonicalize_name

        name = canonicalize_name(project.strip())
        said = write_database(self.server, ["cache-allow", name], lambda store: {
            "allowed": cache_store.allow_upstream(store, name)}, "Nothing was changed.")  # fmt: skip
        return bool(said.get("allowed"))

    def login(self, username: str, password: str) -> None:
        """Keep upstream's user name and password with the server's secrets (0600); used from the next start."""
        if not username or ":" in username or not password:
            raise DeskError("Give upstream's user name (without ':') and its password (or token).")
        data = (json.dumps({"username": username, "password": password}) + "\n").encode()
        if self.server.data_dir.is_volume:
            volume = self.server.volume
            if volume is None:
                raise DeskError("The volume cannot be reached: start its engine first.")
            volume.write({UPSTREAM_CREDENTIALS: data}, private=True)
            return
        self.server.data_dir.ensure()
        write_atomic(self.server.data_dir.upstream_credentials_file, data, mode=0o600)

    def logout(self) -> bool:
        """Forget upstream's credentials; whether there were any."""
        if self.server.data_dir.is_volume:
            volume = self.server.volume
            if volume is None or volume.read(UPSTREAM_CREDENTIALS) is None:
                return False
            volume.run(f"rm -f {_in_volume(UPSTREAM_CREDENTIALS)}", what="forget upstream's login")
            return True
        path = self.server.data_dir.upstream_credentials_file
        if not path.exists():
            return False
        path.unlink()
        return True


def _in_volume(relative: str) -> str:
    from gui.services.volume.layout import in_container

    return in_container(relative)


def _uv() -> str:
    """The uv that resolves sets (a dependency of PyPI Desk's)."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError) as exc:
        raise DeskError(f"uv cannot be found ({exc}): reinstall PyPI Desk, which brings it.") from exc
