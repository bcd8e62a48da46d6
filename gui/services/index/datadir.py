"""The data folder: one folder is one server (password file, packages, settings).

Two layouts open as a data folder:

* the app's own: ``auth/.htpasswd``, ``packages/``, ``pypi-desk.json``;
* the how-to's hand-made one: ``.htpasswd`` beside ``packages/``. It keeps its
  files where they are; the server sees the folder holding ``.htpasswd``.

The password file's *folder* is what the container mounts, never the file
itself: the app replaces the file atomically (new inode), which a single-file
bind mount would not show to the server.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from gui.services.errors import DataDirError
from gui.services.names import (
    LABEL_DATA_DIR,
    LABEL_MANAGED,
    LABEL_ROLE,
    LABEL_VOLUME,
    PASSWORD_FILE_NAME,
    ROLES_FILE_NAME,
    SETTINGS_FILE_NAME,
    UPSTREAM_CREDENTIALS_NAME,
)


def default_data_dir() -> Path:
    """The platform's per-user data folder for PyPI Desk."""
    return platformdirs.user_data_path("pypi-desk", appauthor=False)


@dataclass(frozen=True)
class DataDir:
    """Where one server keeps its files. Build it with :func:`open_data_dir`."""

    root: Path
    legacy_layout: bool
    volume: str = ""  # a named Docker volume holds the server's data; root then keeps only local state
    engine: str = ""  # the engine (see gui.services.engines.choice): "" is this machine's

    @property
    def is_volume(self) -> bool:
        return bool(self.volume)

    def describe(self) -> str:
        """Where the data is, in words: a folder's path, or a volume and its engine."""
        if not self.is_volume:
            return str(self.root)
        return f"volume {self.volume}" + (f" on {self.engine}" if self.engine else "")

    @property
    def auth_dir(self) -> Path:
        """The folder mounted (read-only) at ``/data/auth`` in the container."""
        return self.root if self.legacy_layout else self.root / "auth"

    @property
    def password_file(self) -> Path:
        return self.auth_dir / PASSWORD_FILE_NAME

    @property
    def packages_dir(self) -> Path:
        return self.root / "packages"

    @property
    def upstream_credentials_file(self) -> Path:
        """The upstream index's user name and password (0600, beside the server's other secrets)."""
        return self.auth_dir / UPSTREAM_CREDENTIALS_NAME

    @property
    def roles_file(self) -> Path:
        """Who is a reader (beside the password file, so the server reads it through the same mount)."""
        return self.auth_dir / ROLES_FILE_NAME

    @property
    def tls_dir(self) -> Path:
        """The server's certificate and key: mounted read-only at ``/data/tls`` with HTTPS on."""
        return self.root / "tls"

    @property
    def ca_dir(self) -> Path:
        """The app's certificate authority (its key 0600): never mounted into a container."""
        return self.root / "ca"

    @property
    def settings_file(self) -> Path:
        return self.root / SETTINGS_FILE_NAME

    @property
    def process_dir(self) -> Path:
        """State of the process runtime: its pid record and log file."""
        return self.root / "process"

    @property
    def container_name(self) -> str:
        """Stable per folder, so a reopened app finds the container it started."""
        if self.is_volume:  # a volume's name is unique on its engine, and another PyPI Desk finds it too
            return f"pypi-desk-vol-{self.volume}"
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
        return f"pypi-desk-{digest}"

    @property
    def identity(self) -> tuple[str, str]:
        """The label (key, value) that marks this server's containers."""
        return (LABEL_VOLUME, self.volume) if self.is_volume else (LABEL_DATA_DIR, str(self.root))

    def labels(self, role: str = "server") -> dict[str, str]:
        """What marks a container as this folder's (found by these even when renamed)."""
        key, value = self.identity
        return {LABEL_MANAGED: "1", key: value, LABEL_ROLE: role}

    def ensure(self) -> None:
        """Create what the server needs to start: folders and an empty password file.

        pypiserver exits at start when its password file is missing. A new data
        folder is private to this user (0700); the password folder and file stay
        readable for the container's own user (uid 9898), which reaches them
        through the bind mount and not through the private parent.
        """
        try:  # two starts at once may both get here: every step tolerates the other's
            self.root.mkdir(parents=True, mode=0o700, exist_ok=True)
            if self.is_volume:
                return  # the server's files are in the volume: here only settings, certificates and locks
            self.packages_dir.mkdir(exist_ok=True)
            self.auth_dir.mkdir(mode=0o755, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except OSError as exc:
            raise DataDirError(
                f"Cannot prepare the data folder {self.root}: {exc.strerror or exc}. "
                "Choose a folder you can write to, or fix its permissions."
            ) from exc


def open_data_dir(path: Path | str | None = None) -> DataDir:
    """Open ``path`` (default: the platform data folder) and detect its layout."""
    root = Path(path).expanduser() if path is not None else default_data_dir()
    root = root.resolve()
    if root.exists() and not root.is_dir():
        raise DataDirError(f"{root} is a file, not a folder. Choose a folder for the server's data.")
    blocker = next((parent for parent in root.parents if parent.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise DataDirError(
            f"{root} cannot be a folder: {blocker} is a file. Choose a folder for the server's data elsewhere."
        )
    legacy = (root / PASSWORD_FILE_NAME).is_file() and not (root / "auth" / PASSWORD_FILE_NAME).exists()
    return DataDir(root=root, legacy_layout=legacy)
