"""Everything the window needs for one data folder, built in one place and handed to it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gui.services.datadir import open_data_dir
from gui.services.package_service import PackageService
from gui.services.pypirc import default_pypirc
from gui.services.server_service import ServerService
from gui.services.users import UserStore


@dataclass
class DeskServices:
    server: ServerService
    users: UserStore
    pypirc: Path

    @property
    def packages(self) -> PackageService:
        return PackageService(self.server, self.pypirc)

    @classmethod
    def for_data_dir(cls, path: str | Path | None) -> DeskServices:
        data_dir = open_data_dir(path)
        return cls(ServerService.for_data_dir(data_dir), UserStore(data_dir.password_file), default_pypirc())
