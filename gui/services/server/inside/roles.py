"""Who may publish: pypiserver's password check, plus PyPI Desk's roles, read at each request.

pypiserver asks its auther only "is this user name and password right?", for every
action that needs a login, so ``-a download,update`` can say that a download needs
*some* login but never *whose*. This auther answers for the action at hand: a
reader's correct password is accepted to list and download and refused (403) to
upload or remove (pypiserver's ``POST /``). The roles file lies beside the password
file (``roles.json``: ``{"format": 1, "readers": [...]}``); a user it does not name
publishes, so a folder from an older version, without the file, works as before. It is
re-read when it changes, so a role change needs no restart.

Any doubt about the roles is decided against publishing: a file that does not parse, or
whose readers are not a list of names, refuses every upload and removal (with a log line
naming the file) until it is fixed. :func:`parse_roles` is the one reader of the format,
for the server and for the app alike.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import threading

ROLES_FORMAT = 1


class RolesError(ValueError):
    """A roles file PyPI Desk cannot trust: its message says which file and what is wrong."""


def parse_roles(data: bytes | str, where: str) -> frozenset[str]:
    """The readers ``roles.json`` names; raises :class:`RolesError` for anything but the format it writes."""
    try:
        raw = json.loads(data, object_pairs_hook=_no_repeated_keys)
    except (ValueError, RecursionError) as exc:
        raise RolesError(f"{where} is not JSON as PyPI Desk writes it ({exc})") from None
    if not isinstance(raw, dict):
        raise RolesError(f"{where} does not hold a JSON object")
    unknown = sorted(set(raw) - {"format", "readers"})
    if unknown:  # "reader" for "readers" would make every reader a publisher
        raise RolesError(f"{where} has keys PyPI Desk does not know ({', '.join(map(repr, unknown))}): "
                         'it holds only "format" and "readers"')  # fmt: skip
    if raw.get("format", ROLES_FORMAT) != ROLES_FORMAT:
        raise RolesError(f"{where} has format {raw.get('format')!r}, which this version does not read")
    readers = raw.get("readers", [])
    if not isinstance(readers, list) or not all(isinstance(name, str) and name for name in readers):
        raise RolesError(f'{where}: "readers" must be a list of user names in quotes, such as ["bob"]')
    return frozenset(readers)


def _no_repeated_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"the key {repeated[0]!r} is there twice")
    return dict(pairs)


def roles_json(readers: frozenset[str] | set[str]) -> bytes:
    """``roles.json`` as PyPI Desk writes it."""
    return (json.dumps({"format": ROLES_FORMAT, "readers": sorted(readers)}, indent=2) + "\n").encode("utf-8")


class Readers:
    """The user names ``roles.json`` makes readers, re-read when the file changes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._names: frozenset[str] = frozenset()

    def names(self) -> frozenset[str]:
        """The readers; raises :class:`RolesError` when the file cannot be read or trusted."""
        try:
            info = os.stat(self.path)
            seen = (info.st_mtime_ns, info.st_ino, info.st_size)
        except FileNotFoundError:
            return frozenset()
        except OSError as exc:
            raise RolesError(f"{self.path} cannot be read ({exc.strerror})") from None
        if not stat.S_ISREG(info.st_mode):  # a pipe would hang every request that waits on it
            raise RolesError(f"{self.path} is not a regular file")
        with self._lock:
            if seen != self._seen:
                try:
                    with open(self.path, "rb") as handle:
                        data = handle.read(1024 * 1024)
                except OSError as exc:
                    raise RolesError(f"{self.path} cannot be read ({exc.strerror})") from None
                self._names = parse_roles(data, self.path)
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


def role_auther(check_password, readers: Readers, current_request, tokens=None):
    """``check_password`` that also refuses a reader's publishing; ``current_request()`` is bottle's request.
    With ``tokens`` (``tokens.Tokens``), ``__token__`` logs in with a token, which publishes only within its
    scope, and never more than its user's role allows."""
    if __package__:
        from gui.services.server.inside.tokens import TOKEN_USER, may_publish, refuse
    else:
        from tokens import TOKEN_USER, may_publish, refuse

    def auther(username: str, password: str) -> bool:
        token = None
        if username == TOKEN_USER and tokens is not None:
            token, why = tokens.check(password)
            if token is None:
                refuse(why)  # the client is told why, not just "Forbidden"
            username = token.user
        elif not check_password(username, password):
            return False
        request = current_request()
        if not publishing(request.method, request.path):
            return True
        try:
            is_reader = username in readers.names()
        except RolesError as exc:
            print(f"pypi-desk: {exc}; nobody may publish until it is fixed ({username!r} refused)", flush=True)
            return False
        if is_reader:
            if token is not None:
                refuse(f"{username!r} is a reader and may not publish (upload or delete) ({token.describe()})")
            print(f"pypi-desk: {username!r} is a reader and may not publish (upload or delete)", flush=True)
            return False
        return token is None or may_publish(token, request)

    return auther


class NoPublishingWithoutPasswords:
    """WSGI middleware for a server that asks no passwords (``-a .``): while readers exist (or the roles
    cannot be read) nobody can be told apart, so every upload and removal is refused (403) in words."""

    def __init__(self, app, readers: Readers) -> None:
        self._app, self._readers = app, readers

    def __call__(self, environ: dict, start_response):
        if publishing(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")):
            try:
                blocked = bool(self._readers.names())
            except RolesError:
                blocked = True
            if blocked:
                text = (b"This index has readers but asks no passwords, so nobody can be told apart: publishing is "
                        b"off until passwords are on.\n")  # fmt: skip
                print("pypi-desk: an upload was refused: readers exist, but the server asks no passwords", flush=True)
                start_response("403 Forbidden", [("Content-Type", "text/plain; charset=UTF-8"),
                                                 ("Content-Length", str(len(text)))])  # fmt: skip
                return [text]
        return self._app(environ, start_response)
