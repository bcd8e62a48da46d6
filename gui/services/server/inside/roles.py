"""Who may publish: pypiserver's password check, plus PyPI Desk's roles, read at each request.

pypiserver asks its auther only "is this user name and password right?", for every
action that needs a login, so ``-a download,update`` can say that a download needs
*some* login but never *whose*. This auther answers for the action at hand: a
reader's correct password is accepted to list and download and refused (403) to
upload or remove (pypiserver's ``POST /``). The roles file lies beside the password
file (``roles.json``: ``{"readers": [...]}``); a user it does not name publishes, so a
folder from an older version, without the file, works as before. It is re-read when
it changes, so a role change needs no restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading

ROLES_FORMAT = 1


class Readers:
    """The user names ``roles.json`` makes readers, re-read when the file changes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._names: frozenset[str] = frozenset()

    def names(self) -> frozenset[str]:
        try:
            info = os.stat(self.path)
            seen = (info.st_mtime_ns, info.st_ino)
        except FileNotFoundError:
            return frozenset()
        with self._lock:
            if seen != self._seen:
                with open(self.path, encoding="utf-8") as handle:
                    self._names = frozenset(json.load(handle).get("readers", []))
                self._seen = seen
            return self._names


class VerifiedLogins:
    """pypiserver's password check, remembering logins it accepted until the password file changes.

    With "everything needs a password", every page pip or uv reads is a login, and a bcrypt
    check costs about a quarter of a second: 20 pages, 5 s. An accepted (user, password) is
    kept as an HMAC under a key made for this process (never the password), and forgotten as
    soon as the file changes, so a changed or removed password is refused at the next request.
    Refusals are never remembered: guessing still pays the full check.
    """

    LIMIT = 1024

    def __init__(self, check_password, password_file: str | None) -> None:
        self._check = check_password
        self._file = password_file
        self._key = os.urandom(32)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._accepted: set[bytes] = set()

    def __call__(self, username: str, password: str) -> bool:
        digest = hmac.new(
            self._key, f"{username}\0{password}".encode("utf-8", "surrogatepass"), hashlib.sha256
        ).digest()
        stamp = self._file_stamp()
        with self._lock:
            if stamp != self._stamp:
                self._accepted.clear()
                self._stamp = stamp
            if digest in self._accepted:
                return True
        if not self._check(username, password):
            return False
        with self._lock:
            if len(self._accepted) >= self.LIMIT:
                self._accepted.clear()
            if stamp == self._stamp:
                self._accepted.add(digest)
        return True

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            info = os.stat(self._file) if self._file else None
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_ino, info.st_size) if info else None


def publishing(environ_method: str, path: str) -> bool:
    """pypiserver's update action (upload, remove, docs): ``POST /``."""
    return environ_method == "POST" and path in ("", "/")


def role_auther(check_password, readers: Readers, current_request):
    """``check_password`` that also refuses a reader's publishing; ``current_request()`` is bottle's request."""

    def auther(username: str, password: str) -> bool:
        if not check_password(username, password):
            return False
        request = current_request()
        if publishing(request.method, request.path) and username in readers.names():
            print(f"pypi-desk: {username!r} is a reader and may not publish (upload or delete)", flush=True)
            return False
        return True

    return auther
