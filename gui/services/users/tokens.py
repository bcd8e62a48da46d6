"""API tokens for CI: create (shown once), list, revoke; what the server checks (``server/inside/tokens.py``).

Tokens live in ``tokens.json`` beside the password file and roles, written through the same
:class:`~gui.services.users.auth_files.AuthFiles` (a folder, or a volume through the engine),
under the same lock, atomically: the server reads the new file at its next request. Only a
token's HMAC is stored; the token itself exists once, in what :meth:`TokenStore.create`
returns. A reader's token can only read; removing a user removes their tokens.
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from gui.services.errors import PasswordFileError, UserError
from gui.services.server.inside.tokens import (
    MAX_FILE,
    MAX_PROJECT_NAME,
    MAX_PROJECTS,
    MAX_TOKENS,
    PUBLISH,
    READ,
    Token,
    TokensError,
    digest_of,
    new_token,
    parse_tokens,
)
from gui.services.server.inside.tokens import tokens_json as render
from gui.services.users.auth_files import AuthFiles

EXPIRY_DAYS = {"30d": 30, "90d": 90, "365d": 365, "never": None}
DEFAULT_EXPIRY = "90d"
MAX_NAME = 100
STALE_DAYS = 90  # the Doctor asks about a token unused this long
DAY = 86400
_PROJECT = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


@dataclass(frozen=True)
class NewToken:
    """A token just made: ``secret`` is the token itself, shown once and kept nowhere."""

    token: Token
    secret: str


def parse_expiry(text: str) -> int | None:
    """``30d``, ``90d``, ``365d`` or ``never`` (also ``N`` or ``Nd`` for any number of days up to 3650)."""
    text = text.strip().lower()
    if text in EXPIRY_DAYS:
        return EXPIRY_DAYS[text]
    days = text.removesuffix("d")
    if re.fullmatch(r"[0-9]{1,4}", days) and 1 <= int(days) <= 3650:
        return int(days)
    raise UserError(f"{text!r} is not an expiry: use 30d, 90d, 365d, a number of days such as 14d, or never.")


def check_token_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise UserError("Give the token a name that says what it is for, such as 'release job' or 'CI of app'.")
    if len(name) > MAX_NAME or any(unicodedata.category(char)[0] in "CZ" and char != " " for char in name):
        raise UserError(f"A token's name is one line of at most {MAX_NAME} characters, without control characters.")
    return name


class TokenStore:
    """The tokens of one server (its :class:`AuthFiles`); ``user_role(name)`` says a user's role, or None when
    there is no such user."""

    def __init__(self, files: AuthFiles, user_role) -> None:
        self.files = files
        self._user_role = user_role

    def _load(self) -> tuple[bytes, list[Token]]:
        raw = self.files.read_tokens()
        if raw is None:
            return os.urandom(32), []
        try:
            key, tokens = parse_tokens(raw, self.files.password_where.rsplit(".htpasswd", 1)[0] + "tokens.json")
        except TokensError as exc:
            raise PasswordFileError(f"{exc}. Fix it, or delete it (every token is then revoked).") from exc
        return key, list(tokens.values())

    def tokens(self, user: str | None = None) -> list[Token]:
        """Every token (or ``user``'s), newest first."""
        with self.files.reading():
            _, tokens = self._load()
        return sorted((t for t in tokens if user is None or t.user == user), key=lambda t: -t.created)

    def create(
        self, user: str, name: str, projects: list[str] | tuple[str, ...] = (), read_only: bool = False,
        expires_days: int | None = 90,
    ) -> NewToken:  # fmt: skip
        """A new token for ``user``: to publish ``projects`` (none: all the user may), or only to read."""
        name = check_token_name(name)
        wanted = tuple(sorted({_project(p) for p in projects}))
        if len(wanted) > MAX_PROJECTS:
            raise UserError(f"A token names at most {MAX_PROJECTS} projects: make it for all the user may publish.")
        if read_only and wanted:
            raise UserError("A read-only token reads every project: leave the projects out, or untick read-only.")
        with self.files.locked():
            role = self._user_role(user)
            if role is None:
                raise UserError(f"There is no user {user}: add the user first, then make a token for them.")
            if role == READ and not read_only:
                raise UserError(f"{user} is a reader, so their tokens can only read: make a read-only token, or make "
                                f"{user} a publisher first.")  # fmt: skip
            key, tokens = self._load()
            if len(tokens) >= MAX_TOKENS:
                raise UserError(f"This index has {len(tokens):,} tokens, the most it keeps: revoke old ones first "
                                "(pypi-desk token list shows them, with when each was last used).")  # fmt: skip
            token_id, secret = new_token()
            now = time.time()
            token = Token(
                id=token_id, user=user, name=name, scope=READ if read_only else PUBLISH, projects=wanted,
                created=now, expires=None if expires_days is None else now + expires_days * DAY,
                digest=digest_of(key, secret),
            )  # fmt: skip
            self._save(key, [*tokens, token])
        return NewToken(token, secret)

    def revoke(self, token_id: str) -> Token:
        """Revoke a token at once (the server reads the file at its next request)."""
        with self.files.locked():
            key, tokens = self._load()
            found = next((t for t in tokens if t.id == token_id.strip()), None)
            if found is None:
                raise UserError(f"There is no token {token_id}: 'pypi-desk token list' shows their ids.")
            self._save(key, [t for t in tokens if t.id != found.id])
        return found

    def revoke_secret(self, secret: str) -> Token | None:
        """Revoke the token ``secret`` is (a token the app put into the keyring and now replaces); None when it
        is no token of this index's."""
        with self.files.locked():
            key, tokens = self._load()
            found = next((t for t in tokens if t.digest == digest_of(key, secret)), None)
            if found is not None:
                self._save(key, [t for t in tokens if t.id != found.id])
        return found

    def is_live(self, secret: str) -> bool:
        """Whether ``secret`` is a token of this index's that has not been revoked."""
        with self.files.reading():
            key, tokens = self._load()
        return any(t.digest == digest_of(key, secret) for t in tokens)

    def drop_user_unlocked(self, user: str) -> int:
        """Remove ``user``'s tokens; the caller holds the lock (a user's removal). Returns how many went."""
        if self.files.read_tokens() is None:
            return 0
        key, tokens = self._load()
        kept = [t for t in tokens if t.user != user]
        if len(kept) != len(tokens):
            self._save(key, kept)
        return len(tokens) - len(kept)

    def _save(self, key: bytes, tokens: list[Token]) -> None:
        data = render(key, tokens)
        if len(data) > MAX_FILE // 2:
            raise UserError("The tokens file would grow past what the server reads: revoke old tokens first.")
        try:
            self.files.save_tokens(data)
        except OSError as exc:
            raise PasswordFileError(
                f"Cannot write the tokens file: {exc.strerror or exc}. Nothing was changed."
            ) from exc


def _project(name: str) -> str:
    """A project name as PEP 508 allows it, normalized (PEP 503)."""
    if len(name.strip()) > MAX_PROJECT_NAME or not _PROJECT.match(name.strip()):
        raise UserError(f"{name!r} is not a project name: letters, digits, '.', '_' and '-', such as my-lib.")
    return canonicalize_name(name.strip())
