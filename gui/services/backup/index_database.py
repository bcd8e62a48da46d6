"""The index database in a backup: a consistent copy made with SQLite's backup API, never a copy of a live file.

In a folder the app reads it directly (read-only); where it cannot (a database only the server's
user may open after the server was killed), the caller has the engine make the copy
(``facts_main.py backup``). A damaged database is left out, and the backup says so: the server
makes it anew from the files.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gui.services.errors import BackupError
from gui.services.server.inside import facts


class DatabaseUnreadable(BackupError):
    """The index database is there and sound, but this user cannot read it: the engine must copy it."""


def database_copy(packages: Path, scratch: Path) -> tuple[Path | None, str]:
    """(a consistent copy in ``scratch``, or None when there is none to take; a note for the user, or "")."""
    copy = scratch / facts.NAME
    store = facts.FactsStore(str(packages), read_only=True)
    try:
        return (copy if store.backup_to(str(copy)) else None), ""
    except sqlite3.DatabaseError as exc:
        copy.unlink(missing_ok=True)
        if facts.is_damaged(exc):
            return None, damaged_note(str(exc))
        raise DatabaseUnreadable(f"The index database {store.path} cannot be read by this user ({exc}).") from exc
    finally:
        store.close()


def damaged_note(problem: str) -> str:
    return (f"The index database is damaged ({problem}) and is not in the backup: the server makes it anew from the "
            "files (upload times then are the files' own; yanks are lost).")  # fmt: skip
