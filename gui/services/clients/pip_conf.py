"""pip's user configuration file: this index as pip's default, its password from the keyring.

pip reads ``PIP_CONFIG_FILE`` when it is set, else the user file in its
configuration folder (``~/.config/pip/pip.conf``, ``~/Library/Application
Support/pip/pip.conf``, ``%APPDATA%\\pip\\pip.ini``), with ``RawConfigParser``.
The edit sets ``index-url`` (no user name: with one, pip sends an empty password
at once, pypiserver answers 403 rather than 401, and pip never asks the keyring)
and ``keyring-provider = subprocess`` in ``[global]``, and ``index-url`` in any
command section that already sets its own (it would win over ``[global]``).
Everything else in the file stays byte for byte.
"""

from __future__ import annotations

import configparser
import os
import sys
from pathlib import Path

import platformdirs

from gui.services.clients.file_change import FileChange, read_text, writable_target
from gui.services.clients.ini_lines import eol_of, find_key, sections, set_section
from gui.services.errors import ConfigFileError

KEYRING_PROVIDER = "subprocess"


def pip_config_path() -> Path:
    """The file pip reads for this user."""
    chosen = os.environ.get("PIP_CONFIG_FILE")
    if chosen and chosen != os.devnull:
        return Path(chosen)
    name = "pip.ini" if sys.platform == "win32" else "pip.conf"
    return platformdirs.user_config_path("pip", appauthor=False, roaming=True) / name


def plan_pip_conf(path: Path, index_url: str, cert: str | None = None) -> FileChange:
    """``path`` with ``index_url`` as pip's index and the keyring subprocess provider; with HTTPS, ``cert``
    (a bundle of the public CAs and the server's: pip's ``cert`` replaces its trust, PyPI included)."""
    target = writable_target(path)
    old_text = read_text(target)
    text = old_text or ""
    try:
        configparser.RawConfigParser().read_string(text, source=str(path))
    except configparser.Error as exc:
        reason = " ".join(str(exc).split())
        raise ConfigFileError(
            f"{path} cannot be read as pip reads it ({reason}). Fix that line, then try again."
        ) from exc
    lines = text.splitlines(keepends=True)
    eol = eol_of(text)
    overriding = [
        name
        for name, start, end in sections(lines)
        if name != "global" and find_key(lines, start, end, "index-url") is not None
    ]
    values = {"index-url": index_url, "keyring-provider": KEYRING_PROVIDER}
    if cert is not None:
        values["cert"] = cert
    set_section(lines, "global", values, eol)
    for name in dict.fromkeys(overriding):
        set_section(lines, name, {"index-url": index_url}, eol)
    return FileChange(path=target, old_text=old_text, new_text="".join(lines))


def uses_keyring(path: Path) -> bool:
    """Whether pip's file asks the keyring command (the Doctor then needs it on PATH)."""
    try:
        parser = configparser.RawConfigParser()
        parser.read_string(read_text(path) or "")
    except (configparser.Error, ConfigFileError):
        return False
    return parser.get("global", "keyring-provider", fallback="") == KEYRING_PROVIDER
