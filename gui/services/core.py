"""The one entry point to the core: everything for one server (a data folder, or a volume on an engine).

The window, every command of the command line and the tests call :meth:`DeskServices.open`
and hand the result on; nothing else builds a service. A test may pass its own
``server`` (say, one whose Docker client goes through a proxy) or a ``pypirc`` path.

Each area is built, and its libraries imported, the first time it is asked for: a
command such as ``server status`` loads neither passlib nor the upload code.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from gui.services.index.datadir import DataDir, open_data_dir

if TYPE_CHECKING:
    from gui.services.cache.service import CacheService
    from gui.services.clients.service import ClientService
    from gui.services.packages.service import PackageService
    from gui.services.server.service import ServerService
    from gui.services.usage.service import UsageService
    from gui.services.users.store import UserStore


class DeskServices:
    """The facade of each area (server, users, clients, packages) for one data folder."""

    def __init__(self, data_dir: DataDir, pypirc: Path | None = None, server: ServerService | None = None) -> None:
        self.data_dir = data_dir
        self._pypirc = pypirc
        if server is not None:
            self.__dict__["server"] = server  # what the cached property would hold

    @classmethod
    def open(
        cls,
        data_dir: DataDir | str | Path | None = None,
        *,
        pypirc: Path | None = None,
        server: ServerService | None = None,
        engine: str | None = None,
        volume: str | None = None,
    ) -> DeskServices:
        """The core for ``data_dir`` (default: the platform's data folder), or for the server in ``volume``
        on ``engine`` (a Docker context name or URL; None is this machine's); nothing is created."""
        if server is not None:
            folder = server.data_dir
        elif volume:
            from gui.services.volume.location import open_volume  # the engines' code only for a volume

            folder = open_volume(volume, engine or "")
        else:
            folder = data_dir if isinstance(data_dir, DataDir) else open_data_dir(data_dir)
        return cls(folder, pypirc, server)

    @functools.cached_property
    def server(self) -> ServerService:
        from gui.services.server.service import ServerService

        return ServerService.for_data_dir(self.data_dir)

    @functools.cached_property
    def users(self) -> UserStore:
        from gui.services.users.store import UserStore

        if self.data_dir.is_volume:
            from gui.services.users.auth_files import VolumeAuthFiles

            return UserStore(VolumeAuthFiles(self.server.volume))
        return UserStore(self.data_dir.password_file)

    @functools.cached_property
    def clients(self) -> ClientService:
        from gui.services.clients.pypirc_reader import default_pypirc
        from gui.services.clients.service import ClientService
        from gui.services.tls.service import TlsService

        return ClientService(
            self.users, self._pypirc or default_pypirc(), str(self.data_dir.root), tls=TlsService(self.data_dir)
        )

    @functools.cached_property
    def packages(self) -> PackageService:
        from gui.services.packages.service import PackageService

        return PackageService(self.server, self.clients)

    @functools.cached_property
    def usage(self) -> UsageService:
        from gui.services.usage.service import UsageService

        return UsageService(self.server, self.packages)

    @functools.cached_property
    def cache(self) -> CacheService:
        from gui.services.cache.service import CacheService

        return CacheService(self.server, self.packages)

    def remove_user(self, name: str) -> int:
        """Remove a user from the password file, then the keyring entries the app wrote for it on this
        machine; returns how many entries went."""
        self.users.remove(name)
        return self.clients.forget_user(name, self.users.token_store().is_live)

    def close(self) -> None:
        """Close what the core opened for this server (SSH tunnels); servers keep running."""
        if "server" in self.__dict__:
            self.server.close()

    @property
    def pypirc(self) -> Path:
        return self.clients.pypirc
