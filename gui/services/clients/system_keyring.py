"""The system keyring that twine, pip and uv ask for passwords: whether it works, and its entries.

This is the ``keyring`` library's own choice of backend (the Secret Service on
Linux, the Keychain on macOS, the Credential Locker on Windows), the very one
twine imports and the ``keyring`` command that pip's and uv's ``subprocess``
provider run. It is looked up afresh at each check, so a keyring started or
unlocked while the app runs is found without a restart.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass

from gui.services.errors import KeyringError

_PROBE = ("pypi-desk", "keyring-check")  # looked up, never written

NO_BACKEND_LINUX = (
    "No system keyring was found: twine, pip and uv look for passwords in the Secret Service, and none "
    "answers on this session's D-Bus. Install one (Debian and Ubuntu: sudo apt install gnome-keyring; "
    "Fedora: sudo dnf install gnome-keyring; or KWallet) and log in to a desktop session; on a machine "
    "without a desktop run: dbus-run-session -- sh, then echo 'a keyring password' | "
    "gnome-keyring-daemon --unlock --components=secrets. Then check again."
)
NO_BACKEND_OTHER = (
    "No system keyring was found by the keyring library. Check PYTHON_KEYRING_BACKEND and keyring's "
    "configuration file (keyring --list-backends shows what it can use), then check again."
)
LOCKED = (
    "The system keyring is locked, so nothing can be read from it or stored in it. Unlock it (log in to "
    "your desktop session, or open 'Passwords and Keys'; without a desktop: echo 'its password' | "
    "gnome-keyring-daemon --unlock --replace), then check again."
)
PLAIN_FILE = (
    "The keyring library is set to keep passwords in a plain file ({name}), which is no better than "
    "~/.pypirc. Remove keyrings.alt's plain backend (or choose another in PYTHON_KEYRING_BACKEND), then "
    "check again."
)


@dataclass(frozen=True)
class KeyringState:
    """Whether passwords can be kept in the keyring; ``problem`` says why not and what to do."""

    usable: bool
    backend: str
    problem: str = ""


class SystemKeyring:
    """Entries of the system keyring: (service, user name) to password."""

    def state(self) -> KeyringState:
        return self._checked()[1]

    def _checked(self):  # -> tuple[KeyringBackend | None, KeyringState]
        """The backend keyring chose (None when it cannot start) and whether it can be used."""
        try:
            backend = _backend()
        except Exception as exc:  # a broken keyring configuration
            return None, KeyringState(False, "none", f"The keyring library cannot start: {exc}. {NO_BACKEND_OTHER}")
        name = _name(backend)
        module = type(backend).__module__
        if module.startswith(("keyring.backends.fail", "keyring.backends.null")) or backend.priority <= 0:
            missing = NO_BACKEND_LINUX if sys.platform.startswith("linux") else NO_BACKEND_OTHER
            return backend, KeyringState(False, name, missing)
        if module.startswith("keyrings.alt.file") and "Plaintext" in type(backend).__name__:
            return backend, KeyringState(False, name, PLAIN_FILE.format(name=name))
        try:
            backend.get_password(*_PROBE)
        except Exception as exc:
            return backend, KeyringState(False, name, _problem(exc))
        return backend, KeyringState(True, name)

    def get(self, service: str, username: str) -> str | None:
        try:
            return _backend().get_password(service, username)
        except Exception as exc:
            raise KeyringError(_problem(exc)) from exc

    def set(self, service: str, username: str, password: str) -> None:
        backend, state = self._checked()
        if not state.usable:
            raise KeyringError(state.problem)
        try:
            backend.set_password(service, username, password)
        except Exception as exc:
            raise KeyringError(_problem(exc)) from exc

    def delete(self, service: str, username: str) -> bool:
        """Remove one entry; False when there was none."""
        from keyring.errors import PasswordDeleteError

        try:
            _backend().delete_password(service, username)
        except PasswordDeleteError:
            return False
        except Exception as exc:
            raise KeyringError(_problem(exc)) from exc
        return True


def _backend():  # -> keyring.backend.KeyringBackend
    """keyring's own choice, detected afresh (its list of usable backends is otherwise fixed at first use)."""
    import keyring
    import keyring.backend
    import keyring.core

    with contextlib.suppress(KeyError):  # nothing detected yet
        keyring.backend.get_all_keyring.reset()
    keyring.core.init_backend()
    return keyring.get_keyring()


def _name(backend: object) -> str:
    return getattr(backend, "name", None) or type(backend).__qualname__


def _problem(exc: Exception) -> str:
    from keyring.errors import KeyringLocked

    if isinstance(exc, KeyringLocked):
        return LOCKED
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return f"The system keyring did not answer ({reason}). Check that it runs and is unlocked, then check again."
