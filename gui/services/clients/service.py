"""Client setup for this machine: this server's ``~/.pypirc`` section, checked first, and the pip/uv lines.

The credentials are checked against the server's password file before anything is
planned, so the app never writes a ``.pypirc`` that twine would then fail with.
Reading goes through :mod:`gui.services.clients.pypirc_reader`, the one reader the
uploads, the Doctor and the first-run guide share.
"""

from __future__ import annotations

from pathlib import Path

from gui.services.clients import pypirc_reader
from gui.services.clients.pypirc import PypircChange, apply_change, plan_change
from gui.services.clients.pypirc_reader import Credentials
from gui.services.clients.snippets import Snippet, client_snippets
from gui.services.errors import UserError
from gui.services.server.settings import ServerSettings
from gui.services.users.store import UserStore


class ClientService:
    """This machine's clients (twine through ``.pypirc``; pip and uv lines) for one server."""

    def __init__(self, users: UserStore, pypirc: Path) -> None:
        self.users = users
        self.pypirc = pypirc

    def plan(
        self,
        settings: ServerSettings,
        username: str,
        password: str,
        name: str = "local",
        pypirc: Path | None = None,
    ) -> PypircChange:
        """What the file would become; raises when the user or password does not work on this server."""
        if settings.auth != "none":
            if username not in {user.name for user in self.users.users()}:
                raise UserError(
                    f"There is no user {username} on this server: add the user first, then set up the client."
                )
            if not self.users.verify(username, password):
                raise UserError(f"That is not {username}'s password on this server; type it again.")
        return plan_change(pypirc or self.pypirc, name, settings.url, username, password)

    def apply(self, change: PypircChange) -> Path | None:
        """Write a planned change; returns the backup's path, if one was made."""
        return apply_change(change)

    def sections_for(self, url: str) -> list[str]:
        """The sections twine would use to reach ``url``."""
        return pypirc_reader.sections_for(self.pypirc, url)

    def is_set_up(self, url: str) -> bool:
        """Whether ``twine upload -r NAME`` reaches ``url`` with this machine's ``.pypirc``."""
        return bool(self.sections_for(url))

    def credentials_for(self, url: str) -> Credentials | None:
        return pypirc_reader.credentials_for(self.pypirc, url)

    @staticmethod
    def snippets(url: str, name: str = "local", username: str = "USER") -> list[Snippet]:
        return client_snippets(url, name, username)
