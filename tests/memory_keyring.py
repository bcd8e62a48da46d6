"""A keyring backend that keeps passwords in this process's memory, for tests that need no real Secret Service.

Chosen with ``PYTHON_KEYRING_BACKEND=tests.memory_keyring.MemoryKeyring`` (keyring's own switch).
"""

from __future__ import annotations

import os

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

STORE: dict[tuple[str, str], str] = {}
NAME = "tests.memory_keyring.MemoryKeyring"


class MemoryKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        """Usable only when chosen: keyring's own detection must never pick it for another test."""
        if os.environ.get("PYTHON_KEYRING_BACKEND") != NAME:
            raise RuntimeError("only when PYTHON_KEYRING_BACKEND names it")
        return 1

    def get_password(self, service: str, username: str) -> str | None:
        return STORE.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        STORE[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if STORE.pop((service, username), None) is None:
            raise PasswordDeleteError(f"no {service} for {username}")
