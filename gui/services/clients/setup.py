"""One client setup, planned before anything is written: the files' changes and the keyring entries.

The window and ``pypi-desk client setup`` show :meth:`ClientSetup.preview`, then
apply the very same plan. The password travels in the plan (never in its
preview or ``repr``), because the keyring entries are written only at apply.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from enum import Enum
from pathlib import Path

from gui.services.clients.file_change import FileChange


class Storage(Enum):
    """Where the password is kept for twine, pip and uv."""

    KEYRING = "keyring"  # the system keyring; no file holds it
    FILE = "file"  # ~/.pypirc (0600), as before


@dataclass(frozen=True)
class ClientSetup:
    url: str  # the server's base URL (the .pypirc repository)
    name: str  # the .pypirc section and uv index name
    username: str
    storage: Storage
    changes: tuple[FileChange, ...]
    _: KW_ONLY  # the rest by name: a password must never land in another field
    keyring_services: tuple[str, ...] = ()  # entries to (re)write, for ``username``
    keyring_name: str = ""  # the backend, for the preview
    notes: tuple[str, ...] = ()  # what no file can say (uv reads its CA from the environment only)
    password: str = field(default="", repr=False)

    @property
    def changed(self) -> bool:
        return bool(self.keyring_services) or any(change.changed for change in self.changes)

    def preview(self) -> str:
        parts = [change.preview() for change in self.changes if change.changed]
        if self.keyring_services:
            listed = "".join(f"  {service}  (user {self.username})\n" for service in self.keyring_services)
            parts.append(f"System keyring ({self.keyring_name}): {self.username}'s password under\n{listed}")
        parts += [f"Note: {note}\n" for note in self.notes]
        return "\n".join(parts)


@dataclass(frozen=True)
class SetupResult:
    written: tuple[Path, ...]
    backups: tuple[Path, ...]
    stored: int  # keyring entries written
    removed: int  # keyring entries of another user or an old address removed

    def summary(self) -> str:
        said = [f"Wrote {', '.join(map(str, self.written))}."] if self.written else []
        if self.backups:
            said.append(f"The previous files are kept as {', '.join(map(str, self.backups))}.")
        if self.stored:
            said.append(f"Stored the password in the system keyring ({self.stored} entries); no file holds it.")
        if self.removed:
            said.append(f"Removed {self.removed} keyring entries PyPI Desk had written before.")
        return " ".join(said) or "Nothing to change."
