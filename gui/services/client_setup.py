"""Client setup for this machine: the ~/.pypirc section for this server, with checked credentials.

The credentials are checked against this server's password file first, so the
app never writes a .pypirc that twine would then fail with.
"""

from __future__ import annotations

from pathlib import Path

from gui.services.datadir import DataDir
from gui.services.pypirc import PypircChange, default_pypirc, plan_change
from gui.services.settings import ServerSettings
from gui.services.users import UserError, UserStore


def plan_client_setup(
    data_dir: DataDir,
    settings: ServerSettings,
    username: str,
    password: str,
    name: str = "local",
    pypirc: Path | None = None,
) -> PypircChange:
    """What ~/.pypirc would become; raises when the user or password does not work on this server."""
    if settings.auth != "none":
        store = UserStore(data_dir.password_file)
        if username not in {user.name for user in store.users()}:
            raise UserError(
                f"There is no user {username} on this server: add it first (Users tab, or "
                f"pypi-desk user add {username}), then set up the client."
            )
        if not store.verify(username, password):
            raise UserError(f"That is not {username}'s password on this server; type it again.")
    return plan_change(pypirc or default_pypirc(), name, settings.url, username, password)
