"""Where a server's password file and roles file live: a local folder, or a Docker volume.

Both give the same four operations under a lock that two PyPI Desks share, and both replace a
file atomically (the server reads a whole old file or a whole new one). The store
(:mod:`gui.services.users.store`) edits through these and never knows which it has.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from filelock import FileLock

from gui.services.atomic import write_atomic
from gui.services.errors import DeskError, PasswordFileError
from gui.services.names import PASSWORD_FILE_NAME, ROLES_FILE_NAME, TOKENS_FILE_NAME
from gui.services.volume.files import VolumeFiles
from gui.services.volume.layout import AUTH, PASSWORD_FILE, ROLES_FILE, TOKENS_FILE

PASSWORD_FILE_MODE = 0o644


class AuthFiles(Protocol):
    password_where: str  # the password file, in words for messages
    roles_where: str

    def read_password(self) -> bytes | None: ...

    def read_roles(self) -> bytes | None: ...

    def save_password(self, data: bytes) -> None: ...

    def save_roles(self, data: bytes) -> None: ...

    def read_tokens(self) -> bytes | None: ...

    def save_tokens(self, data: bytes) -> None: ...

    def locked(self) -> contextlib.AbstractContextManager[None]: ...

    def reading(self) -> contextlib.AbstractContextManager[None]: ...


class FolderAuthFiles:
    """``.htpasswd`` and ``roles.json`` in a folder of this machine, locked with a lock file beside them."""

    def __init__(self, password_file: Path) -> None:
        self.password_file = password_file
        self.roles_file = password_file.with_name(ROLES_FILE_NAME)
        self.tokens_file = password_file.with_name(TOKENS_FILE_NAME)
        self.password_where, self.roles_where = str(password_file), str(self.roles_file)
        self._lock = FileLock(str(password_file.with_name(password_file.name + ".lock")), timeout=10)

    def read_password(self) -> bytes | None:
        return _read(self.password_file)

    def read_roles(self) -> bytes | None:
        return _read(self.roles_file)

    def save_password(self, data: bytes) -> None:
        for stale in self.password_file.parent.glob(f".{self.password_file.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()  # left by a save that was killed
        self.password_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.password_file, data, mode=PASSWORD_FILE_MODE)

    def save_roles(self, data: bytes) -> None:
        write_atomic(self.roles_file, data, mode=PASSWORD_FILE_MODE)

    def read_tokens(self) -> bytes | None:
        return _read(self.tokens_file)

    def save_tokens(self, data: bytes) -> None:
        write_atomic(self.tokens_file, data, mode=PASSWORD_FILE_MODE)  # the server's user reads the digests

    def reading(self) -> contextlib.AbstractContextManager[None]:
        """Several reads that belong together (a local read is cheap: nothing to hold)."""
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        try:
            self.password_file.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except TimeoutError as exc:
            raise PasswordFileError(
                "Another PyPI Desk is changing the users of this server right now; try again in a moment."
            ) from exc
        except OSError as exc:  # not allowed, a read-only disk, a folder gone
            raise PasswordFileError(
                f"Cannot change the users in {self.password_file.parent}: {exc.strerror or exc}. "
                "Check that the folder is yours and writable (not on a read-only disk)."
            ) from exc
        try:
            yield
        finally:
            self._lock.release()


def _read(path: Path) -> bytes | None:
    """The file's bytes (None: there is none); a pipe or a device is refused, never waited on."""
    try:
        handle = os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb")
    except FileNotFoundError:
        return None
    with handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise PasswordFileError(f"{path} is not a regular file (a pipe, a device or a folder): replace it.")
        return handle.read()


class VolumeAuthFiles:
    """The same two files in a server volume, through the Docker API; the lock is on the engine.

    While locked (or in :meth:`reading`), both files are read once and kept for this thread (a change
    reads, edits, writes: one round trip to read instead of one per question).
    """

    def __init__(self, files: VolumeFiles) -> None:
        self._files = files
        self.password_where = f"{PASSWORD_FILE} in the volume {files.volume}"
        self.roles_where = f"{ROLES_FILE} in the volume {files.volume}"
        self._local = threading.local()  # what one thread read in a reading() or locked() block

    @property
    def _held(self) -> dict[str, bytes] | None:
        return getattr(self._local, "held", None)

    @_held.setter
    def _held(self, value: dict[str, bytes] | None) -> None:
        self._local.held = value

    def _auth(self) -> dict[str, bytes]:
        if self._held is not None:
            return self._held
        return self._files.read_folder(AUTH)

    def read_password(self) -> bytes | None:
        return self._auth().get(PASSWORD_FILE_NAME)

    def read_roles(self) -> bytes | None:
        return self._auth().get(ROLES_FILE_NAME)

    def save_password(self, data: bytes) -> None:
        self._save(PASSWORD_FILE, PASSWORD_FILE_NAME, data)

    def save_roles(self, data: bytes) -> None:
        self._save(ROLES_FILE, ROLES_FILE_NAME, data)

    def read_tokens(self) -> bytes | None:
        return self._auth().get(TOKENS_FILE_NAME)

    def save_tokens(self, data: bytes) -> None:
        self._save(TOKENS_FILE, TOKENS_FILE_NAME, data)

    def _save(self, path: str, name: str, data: bytes) -> None:
        try:
            self._files.write({path: data})
        except DeskError as exc:
            raise PasswordFileError(f"{exc} Nothing was changed.") from exc
        if self._held is not None:
            self._held[name] = data

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with self._files.locked("users"), self.reading():
            yield

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Both files read in one round trip and kept while several reads belong together."""
        if self._held is not None:
            yield
            return
        self._held = self._files.read_folder(AUTH)
        try:
            yield
        finally:
            self._held = None
