"""API tokens as PyPI's: user name ``__token__``, the token as password; checked by the server at every
request (standard library only: the server, and the app, which writes the file).

``tokens.json`` lies beside the password file (``auth/``): a key for the hash, and each
token's id, user, name, scope (``publish`` to some projects or to all the user may publish to,
or ``read``), creation and expiry times, and the HMAC-SHA256 of the token under that key (never
the token). A token is ``pypi-desk-ID-SECRET`` (32 random bytes): too much entropy to guess, so a
fast keyed hash is as safe as bcrypt and costs microseconds, not a quarter of a second. The file
is re-read when it changes: a revoke takes effect at the next request. A token never does more
than its user: a user removed from the password file takes their tokens along, a reader's
tokens only read, whatever their scope says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass

TOKEN_USER = "__token__"
FILE_NAME = "tokens.json"
FORMAT = 1
PUBLISH, READ = "publish", "read"
_TOKEN = re.compile(r"^pypi-desk-([0-9a-f]{12})-([A-Za-z0-9_-]{43})$")
_ID = re.compile(r"^[0-9a-f]{12}$")
MAX_TOKENS = 10_000
MAX_FILE = 8 * 1024 * 1024  # the largest tokens file read (the app never writes one half as large)
MAX_PROJECTS = 100  # a token's projects, at most
MAX_PROJECT_NAME = 200


class TokensError(ValueError):
    """A tokens file PyPI Desk cannot trust: its message says which file and what is wrong."""


@dataclass(frozen=True)
class Token:
    """One token as the file keeps it (no secret: only its digest)."""

    id: str
    user: str
    name: str
    scope: str  # PUBLISH or READ
    projects: tuple[str, ...]  # normalized names; () is every project the user may publish to
    created: float
    expires: float | None  # None: never
    digest: str

    def expired(self, now: float | None = None) -> bool:
        return self.expires is not None and (now if now is not None else time.time()) >= self.expires

    def covers(self, project: str) -> bool:
        return not self.projects or normalize(project) in self.projects

    def describe(self) -> str:
        """How the log names it: its name and user, never the token."""
        return f"token {self.name!r} ({self.id}) of {self.user!r}"

    def as_json(self) -> dict:
        return {"id": self.id, "user": self.user, "name": self.name, "scope": self.scope,
                "projects": list(self.projects), "created": self.created, "expires": self.expires,
                "digest": self.digest}  # fmt: skip


def normalize(name: str) -> str:
    """PEP 503's normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def masked(user: str | None) -> str | None:
    """A user name as a log may show it: a token (or anything shaped like one) as ``pypi-desk-ID-…``."""
    if user and user.startswith("pypi-desk-") and len(user) > len("pypi-desk-") + 12:
        return user[: len("pypi-desk-") + 12] + "-…"
    return user


def new_token() -> tuple[str, str]:
    """(id, token): what is shown once to the user."""
    token_id = secrets.token_hex(6)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return token_id, f"pypi-desk-{token_id}-{secret}"


def digest_of(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def parse_tokens(data: bytes | str, where: str) -> tuple[bytes, dict[str, Token]]:
    """(key, tokens by id) of a ``tokens.json``; raises :class:`TokensError` for anything but its format."""
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise TokensError(f"{where} is not JSON as PyPI Desk writes it ({exc})") from None
    if not isinstance(raw, dict) or set(raw) != {"format", "key", "tokens"} or raw["format"] != FORMAT:
        raise TokensError(f'{where} is not a PyPI Desk tokens file (format {FORMAT}: "format", "key", "tokens")')
    try:
        key = bytes.fromhex(raw["key"])
        if len(key) < 32 or not isinstance(raw["tokens"], list) or len(raw["tokens"]) > MAX_TOKENS:
            raise ValueError("a key of 32 bytes and a list of tokens")
        tokens = [_token(entry) for entry in raw["tokens"]]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TokensError(f"{where} has a malformed entry ({exc})") from None
    return key, {token.id: token for token in tokens}


def _token(entry: dict) -> Token:
    projects = entry["projects"]
    expires = entry["expires"]
    token = Token(
        id=str(entry["id"]), user=str(entry["user"]), name=str(entry["name"]), scope=str(entry["scope"]),
        projects=tuple(normalize(str(p)) for p in projects), created=float(entry["created"]),
        expires=None if expires is None else float(expires), digest=str(entry["digest"]),
    )  # fmt: skip
    if not _ID.match(token.id) or token.scope not in (PUBLISH, READ) or not isinstance(projects, list):
        raise ValueError(f"token {token.id!r}: an id of 12 hex digits, a scope of publish or read, projects a list")
    if len(token.digest) != 64 or set(entry) != set(token.as_json()):
        raise ValueError(f"token {token.id!r}: a sha256 digest and the known keys only")
    return token


def tokens_json(key: bytes, tokens: list[Token]) -> bytes:
    """``tokens.json`` as PyPI Desk writes it."""
    data = {"format": FORMAT, "key": key.hex(), "tokens": [token.as_json() for token in tokens]}
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


class _Reread:
    """A file's parsed content, read again when its size, inode or mtime change."""

    def __init__(self, path: str, parse, empty) -> None:
        self.path, self._parse, self._empty = path, parse, empty
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._value = empty

    def value(self):
        """The parsed file; raises TokensError for a file that is not a regular one (a pipe is never waited on)
        or is larger than any PyPI Desk writes."""
        import stat

        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return self._empty
        if not stat.S_ISREG(info.st_mode):
            raise TokensError(f"{self.path} is not a regular file")
        if info.st_size > MAX_FILE:
            raise TokensError(f"{self.path} is larger than the {MAX_FILE // 2**20} MB a PyPI Desk file may be")
        seen = (info.st_mtime_ns, info.st_ino, info.st_size)
        with self._lock:
            if seen != self._seen:
                handle = os.fdopen(os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb")
                with handle:
                    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped for a pipe since the stat
                        raise TokensError(f"{self.path} is not a regular file")
                    self._value = self._parse(handle.read(MAX_FILE), self.path)
                self._seen = seen
            return self._value


def _user_names(data: bytes, where: str) -> frozenset[str]:
    """The user names of an htpasswd file (what a token's user must still be)."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    return frozenset(line.split(":", 1)[0] for line in text.splitlines() if ":" in line and not line.startswith("#"))


class Tokens:
    """The tokens of one server: found by the token itself, valid only while unexpired and their user exists."""

    def __init__(self, tokens_file: str, password_file: str | None, on_use=None) -> None:
        self._file = _Reread(tokens_file, parse_tokens, (b"", {}))
        self._users = _Reread(password_file, _user_names, frozenset()) if password_file else None
        self._on_use = on_use  # called with a token id when one is used (at most once a minute each)
        self._used: dict[str, float] = {}

    def find(self, token: str, quiet: bool = False) -> Token | None:
        """The token's entry when it is valid now; None otherwise, with a line in the log saying why (unless
        ``quiet``: the pages ask first, then pypiserver's own check asks again and says it once)."""
        entry, why = self.check(token)
        if why and not quiet:
            print(f"pypi-desk: {why}", flush=True)
        return entry

    def check(self, token: str) -> tuple[Token | None, str]:
        """(the valid token's entry, "") or (None, why it is refused: words for the log and the client)."""
        match = _TOKEN.match(token or "")
        if not match:
            return None, "a login as __token__ with something that is not a PyPI Desk token was refused"
        try:
            key, tokens = self._file.value()
        except (TokensError, OSError) as exc:
            return None, f"{exc}; no token is accepted until it is fixed"
        entry = tokens.get(match[1])
        if entry is None or not hmac.compare_digest(digest_of(key, token), entry.digest):
            return None, f"an unknown or revoked token ({match[1]}) was refused"
        if entry.expired():
            return None, f"{entry.describe()} has expired and was refused"
        try:
            users = self._users.value() if self._users is not None else frozenset()
        except (OSError, TokensError):
            users = frozenset()
        if entry.user not in users:
            return None, f"{entry.describe()} was refused: that user no longer exists"
        self._note_use(entry.id)
        return entry, ""

    def _note_use(self, token_id: str) -> None:
        now = time.time()
        if self._on_use is not None and now - self._used.get(token_id, 0.0) > 60:
            self._used[token_id] = now
            try:
                self._on_use(token_id, now)
            except Exception as exc:  # last-used is a convenience: a login never fails for it
                print(f"pypi-desk: could not note a token's use ({exc})", flush=True)


def token_logins(check_password, tokens: Tokens | None):
    """``check_password`` that also takes ``__token__`` with a valid token (to list and download; publishing is
    decided by :func:`may_publish`)."""

    def login(username: str, password: str) -> bool:
        if username == TOKEN_USER and tokens is not None:
            return tokens.find(password, quiet=True) is not None
        return check_password(username, password)

    return login


def may_publish(token: Token, request) -> bool:
    """Whether ``token`` may make this upload or removal (bottle's ``request``); says why not in the log.
    The user's own role is checked by the caller."""
    if token.scope == READ:
        refuse(f"{token.describe()} only reads; it may not upload or delete")
    project = _project_of(request)
    project = normalize(project) if project else None
    if project is None or not token.covers(project):
        refuse(f"{token.describe()} may not publish {project or 'this'!r}: it is for {', '.join(token.projects)} only")
    print(f"pypi-desk: {token.describe()} publishes {project!r}", flush=True)
    return True


def refuse(why: str):
    """Log why a token was refused, and tell the client the same (a 403 with the reason, not bare "Forbidden");
    called inside pypiserver's own check, where bottle turns the error into the answer."""
    from pypiserver.bottle_wrapper import HTTPError

    print(f"pypi-desk: {why}", flush=True)
    raise HTTPError(403, f"Refused: {why}.")


def _project_of(request) -> str | None:
    """The project an upload or a removal is for: the uploaded file's name says it (pypiserver stores by it)."""
    from pypiserver.pkg_helpers import guess_pkgname_and_version

    forms = request.forms
    if forms.get(":action") == "file_upload":
        content = request.files.get("content")
        guessed = guess_pkgname_and_version(content.raw_filename) if content is not None else None
        return guessed[0] if guessed else None
    return forms.get("name") or None
