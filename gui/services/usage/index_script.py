"""The index database's script (``server/inside/facts_main.py``) run for the usage area, in whatever runtime:
in this process on a folder the app may read or write, else through the engine (a volume, or a folder
only the container's user may write); either way the same JSON comes back."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from gui.services.errors import DeskError
from gui.services.packages.index_facts import read_database, write_database
from gui.services.server.inside import facts

if TYPE_CHECKING:
    from gui.services.server.service import ServerService


def read(server: ServerService, args: list[str], here: Callable[[facts.FactsStore], object]) -> dict:
    """``here(store)`` on a read-only store of a folder; the script with ``args`` in the engine otherwise (or
    when this user may not read the database beside the container's writes). {} when there is no database."""
    try:
        return read_database(server, args, here)
    except (sqlite3.Error, OSError, ValueError) as exc:
        raise DeskError(f"The index database cannot be read now ({exc}). The Doctor says more.") from exc


def write(server: ServerService, args: list[str], here: Callable[[facts.FactsStore], object]) -> dict:
    """``here(store)`` on the app's own folder (the local process's files); the script in the engine otherwise,
    as the server's user (in the running server, or a one-shot container)."""
    if not server.data_dir.is_volume and not server.data_dir.packages_dir.is_dir():
        raise DeskError(f"{server.data_dir.packages_dir} does not exist: this index holds nothing to clean up yet.")
    return write_database(server, args, here, "Nothing was removed that is not in the trash.")
