"""uv's user configuration file: this index as uv's default, its password from the keyring.

uv reads ``UV_CONFIG_FILE`` when it is set, else ``uv.toml`` in its configuration
folder (``$XDG_CONFIG_HOME/uv`` or ``~/.config/uv``; ``%APPDATA%\\uv`` on Windows).
The edit sets ``keyring-provider = "subprocess"`` and one ``[[index]]`` named after
the ``.pypirc`` section, with the user name in its URL (uv asks the keyring only
for a URL that carries one) and ``default = true``. The file goes through
``tomlkit``, which keeps comments, order and layout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import tomlkit
import tomlkit.exceptions

from gui.services.clients.file_change import FileChange, read_text, writable_target
from gui.services.errors import ConfigFileError

KEYRING_PROVIDER = "subprocess"


def uv_config_path() -> Path:
    """The file uv reads for this user."""
    chosen = os.environ.get("UV_CONFIG_FILE")
    if chosen:
        return Path(chosen)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "uv" / "uv.toml"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "uv" / "uv.toml"


def url_with_user(index_url: str, username: str) -> str:
    """``http://USER@host:port/simple/``: the form uv asks the keyring for."""
    parts = urlsplit(index_url)
    netloc = f"{quote(username, safe='')}@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc))


def plan_uv_toml(path: Path, name: str, index_url: str, username: str) -> FileChange:
    """``path`` with index ``name`` (``index_url`` with ``username`` in it) as uv's default index."""
    target = writable_target(path)
    old_text = read_text(target)
    try:
        document = tomlkit.parse(old_text or "")
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigFileError(f"{path} cannot be read as uv reads it ({exc}). Fix that line, then try again.") from exc
    if document.get("keyring-provider") != KEYRING_PROVIDER:
        document["keyring-provider"] = KEYRING_PROVIDER  # tomlkit puts a new key before the first table
    indexes = document.get("index")
    if indexes is None:
        indexes = tomlkit.aot()
        document["index"] = indexes
    if not isinstance(indexes, list):
        raise ConfigFileError(f"{path} has 'index' that is not a list of [[index]] tables; fix it, then try again.")
    others = [table for table in indexes if table.get("name") != name and table.get("default") is True]
    if others:
        raise ConfigFileError(
            f"{path} already makes [[index]] {others[0].get('name', '(unnamed)')!r} uv's default index. "
            "Remove its 'default = true' (or that index), then set up uv again."
        )
    pip_table = document.get("pip")
    if pip_table is not None and pip_table.get("keyring-provider", KEYRING_PROVIDER) != KEYRING_PROVIDER:
        pip_table["keyring-provider"] = KEYRING_PROVIDER  # it would win for `uv pip`
    url = url_with_user(index_url, username)
    ours = next((table for table in indexes if table.get("name") == name), None)
    if ours is None:
        table = tomlkit.table()
        table.update({"name": name, "url": url, "default": True})
        indexes.append(table)
    else:
        if ours.get("url") != url:
            ours["url"] = url
        if ours.get("default") is not True:
            ours["default"] = True
    return FileChange(path=target, old_text=old_text, new_text=tomlkit.dumps(document))


def uses_keyring(path: Path) -> bool:
    """Whether uv's file asks the keyring command (the Doctor then needs it on PATH)."""
    try:
        document = tomlkit.parse(read_text(path) or "")
    except (tomlkit.exceptions.ParseError, ConfigFileError):
        return False
    return document.get("keyring-provider") == KEYRING_PROVIDER
