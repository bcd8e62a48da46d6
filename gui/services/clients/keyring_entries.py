"""Which keyring entries the clients look up for an index, and the record of those PyPI Desk wrote.

What each client asks the keyring (checked against their sources and a logging
``keyring`` command on PATH):

- twine: ``get_password(repository, username)``, ``repository`` being the ``.pypirc``
  section's value exactly as written (the server's base URL);
- pip (``keyring-provider = subprocess``, no user name in the URL): ``keyring get`` for
  the index URL ending in ``/``, then for ``host:port``;
- uv (``keyring-provider = "subprocess"``, the user name in the URL): ``keyring get URL
  USER`` for the index URL, then for ``host:port``.

So one password is stored under three services. The record (a JSON file in the
app's configuration folder, written atomically under a lock) lists each entry
with the server it belongs to, so removing a user, or setting up another, removes
exactly the entries the app wrote and nothing the user made. Data folders served at
one address share entries (the services name the address, not the folder): an entry
leaves the keyring only when no other folder's record still lists it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs
from filelock import FileLock

from gui.services.atomic import write_atomic
from gui.services.clients.snippets import simple_url
from gui.services.errors import ConfigFileError

RECORD_NAME = "keyring-entries.json"


@dataclass(frozen=True, order=True)
class KeyringEntry:
    server: str  # the data folder the entry is for
    service: str
    username: str


def services_for(repository_url: str) -> tuple[str, ...]:
    """The services twine, pip and uv ask for, for an index whose base URL is ``repository_url``."""
    netloc = urlsplit(repository_url).netloc.rpartition("@")[2]
    return tuple(dict.fromkeys((repository_url, simple_url(repository_url), netloc)))


def default_record() -> Path:
    return platformdirs.user_config_path("pypi-desk", appauthor=False) / RECORD_NAME


class EntryRecord:
    """The keyring entries PyPI Desk wrote, per server; shared by every window and command."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_record()

    def entries(self, server: str) -> list[KeyringEntry]:
        return [entry for entry in self._read() if entry.server == server]

    def held_elsewhere(self, server: str) -> set[tuple[str, str]]:
        """(service, username) of the entries other servers rely on: several data folders at one address
        (a moved or restored copy, say) share the very same keyring entries."""
        return {(entry.service, entry.username) for entry in self._read() if entry.server != server}

    def update(self, server: str, keep: list[KeyringEntry]) -> None:
        """Make ``keep`` the server's entries (others' stay as they are)."""
        with self._lock():
            others = [entry for entry in self._read() if entry.server != server]
            self._write(sorted(set(others + keep)))

    def _lock(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.path) + ".lock", timeout=10)

    def _read(self) -> list[KeyringEntry]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return [KeyringEntry(**item) for item in data["entries"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigFileError(
                f"{self.path} (the keyring entries PyPI Desk wrote) cannot be read: {exc}. "
                "Delete it; the entries stay in the keyring and can be removed with your keyring's own tool."
            ) from exc

    def _write(self, entries: list[KeyringEntry]) -> None:
        text = json.dumps({"entries": [asdict(entry) for entry in entries]}, indent=2) + "\n"
        try:
            write_atomic(self.path, text.encode("utf-8"), mode=0o600)
        except OSError as exc:
            raise ConfigFileError(f"Cannot write {self.path}: {exc.strerror or exc}.") from exc
