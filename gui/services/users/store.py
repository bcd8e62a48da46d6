"""Who may read and who may publish: the htpasswd file and its roles (list, add, role, password, remove, repair).

Built on passlib's ``HtpasswdFile``. Every change is a locked read-modify-write
(two app instances never lose each other's users or roles) that replaces the file
atomically, mode 0644 so the container's own user (uid 9898) can read it, in a local
folder or in a Docker volume (:mod:`gui.services.users.auth_files`). The server reads
both files when they change: no restart is needed.

Roles live beside the password file in ``roles.json`` (``{"readers": [...]}``), in the
form the server's launcher reads, parsed by the launcher's own :func:`parse_roles`: a user it does not name is a
publisher, so a folder written by an older version, without the file, works as before.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from passlib.apache import HtpasswdFile
from passlib.hash import apr_md5_crypt, bcrypt, sha256_crypt, sha512_crypt

from gui.services.errors import PasswordFileError, UserError
from gui.services.server.inside.roles import RolesError, parse_roles, roles_json
from gui.services.users.auth_files import AuthFiles, FolderAuthFiles
from gui.services.users.password_file import LineProblem, check_lines, describe_hash, entries, without_bom
from gui.services.users.rules import DEFAULT_SCHEME, PUBLISH, READ, ROLES, check_name, check_password

#: The passlib handler of each scheme name in ``rules.SCHEME_NAMES``.
SCHEMES = {
    "bcrypt": bcrypt.using(ident="2y"),
    "apr1": apr_md5_crypt,
    "sha256": sha256_crypt,
    "sha512": sha512_crypt,
}


@dataclass(frozen=True)
class User:
    name: str
    scheme: str  # a label, e.g. "bcrypt", "Apache MD5 (apr1)", "plain text"
    role: str = PUBLISH  # "publish" (upload and delete) or "read" (list and download)


class UserStore:
    """The users of one password file (a path, or :class:`AuthFiles` in a folder or a volume)."""

    def __init__(self, source: Path | AuthFiles) -> None:
        self.files: AuthFiles = FolderAuthFiles(source) if isinstance(source, Path) else source
        self.password_file = source if isinstance(source, Path) else None  # None: not on this machine

    @property
    def roles_file(self) -> Path | None:
        """The roles file on this machine (None when the users live in a volume)."""
        return self.files.roles_file if isinstance(self.files, FolderAuthFiles) else None

    def _read_text(self) -> str:
        try:
            return (self.files.read_password() or b"").decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PasswordFileError(
                f"Cannot read the password file {self.files.password_where}: {exc}. Check its permissions."
            ) from exc

    def _load(self) -> HtpasswdFile:
        return HtpasswdFile.from_string(self._editable_text().encode("utf-8"))

    def _editable_text(self) -> str:
        """The file's text (without a byte-order mark), refused while it has lines the server cannot read."""
        text = self._read_text()
        blocking = [problem for problem in check_lines(text) if problem.blocks_edits]
        if blocking:
            raise PasswordFileError(
                f"The password file {self.files.password_where} has lines the server cannot read:\n"
                + "\n".join(map(str, blocking))
                + "\nRemove broken lines first (a repair of the password file), or edit the file."
            )
        return without_bom(text)

    def _save(self, data: bytes) -> None:
        """Replace the file (the caller holds the lock, so no other save is half done)."""
        try:
            self.files.save_password(data)
        except OSError as exc:
            raise PasswordFileError(
                f"Cannot write the password file {self.files.password_where}: {exc.strerror or exc}. "
                "Check that the folder is yours and writable; nothing was changed."
            ) from exc

    def users(self) -> list[User]:
        """Each user once, described by the line the server uses (the first)."""
        described: dict[str, str] = {}
        with self.files.reading():  # one round trip for both files when they are in a volume
            text, readers = self._read_text(), self._readers()
        for _number, name, hashed in entries(text):
            described.setdefault(name, describe_hash(hashed))
        return [User(name, scheme, READ if name in readers else PUBLISH) for name, scheme in described.items()]

    def problems(self) -> list[LineProblem]:
        return check_lines(self._read_text())

    def add(self, name: str, password: str, scheme: str = DEFAULT_SCHEME, role: str = PUBLISH) -> User:
        check_name(name)
        check_password(password, scheme)
        _check_role(role)
        with self._locked():
            htpasswd = self._load()
            if name in htpasswd.users():
                raise UserError(f"User {name} exists already: choose another name, or change {name}'s password.")
            readers = self._readers()
            self.token_store().drop_user_unlocked(name)  # tokens left under this name: never a newcomer's
            if role == READ:  # the role first: a reader is never, even for a moment, a publisher
                self._save_readers(readers | {name})
            htpasswd.set_hash(name, SCHEMES[scheme].hash(password))
            self._save(htpasswd.to_string())
            if role == PUBLISH and name in readers:  # a reader's name left over by hand
                self._save_readers(readers - {name})
        return User(name, describe_hash(htpasswd.get_hash(name).decode()), role)

    def set_role(self, name: str, role: str) -> User:
        """Make ``name`` a publisher or a reader; the server applies it at the next request."""
        _check_role(role)
        with self._locked():
            found = [user for user in self.users() if user.name == name]
            if not found:
                raise UserError(f"There is no user {name}: add it first.")
            readers = self._readers()
            self._save_readers(readers | {name} if role == READ else readers - {name})
        return User(name, found[0].scheme, role)

    def change_password(self, name: str, password: str, scheme: str = DEFAULT_SCHEME) -> User:
        """A new hash on the user's first line; any later lines for the name go (they never worked)."""
        check_password(password, scheme)
        hashed = SCHEMES[scheme].hash(password)
        with self._locked():
            text = self._editable_text()
            self._save(_rewritten(text, name, f"{name}:{hashed}", missing=f"There is no user {name}: add it instead."))
        return User(name, describe_hash(hashed))

    def remove(self, name: str) -> None:
        """Remove every line of the user (a name listed twice is gone after one remove)."""
        with self._locked():
            text = self._editable_text()
            removed = _rewritten(text, name, None, missing=f"There is no user {name}; nothing was removed.")
            self.token_store().drop_user_unlocked(name)  # first: a token never outlives its user
            self._save(removed)
            readers = self._readers()
            if name in readers:
                self._save_readers(readers - {name})

    def token_store(self):  # -> TokenStore
        """The API tokens of these users (same files, same lock)."""
        from gui.services.users.tokens import TokenStore

        return TokenStore(self.files, self.role_of)

    def role_of(self, name: str) -> str | None:
        """``publish`` or ``read``; None when there is no such user."""
        user = next((user for user in self.users() if user.name == name), None)
        return user.role if user else None

    def verify(self, name: str, password: str) -> bool:
        htpasswd = self._load()
        return bool(htpasswd.check_password(name, password))

    def repair(self) -> int:
        """Remove lines that are not 'name:hash' and a byte-order mark; returns how many were fixed."""
        with self._locked():
            text = self._read_text()
            fixes = [p for p in check_lines(text) if p.repairable]
            if not fixes:
                return 0
            broken = {p.line_number for p in fixes if p.blocks_edits}
            kept = [line for n, line in enumerate(without_bom(text).splitlines(), 1) if n not in broken]
            self._save(HtpasswdFile.from_string("\n".join(kept).encode("utf-8")).to_string())
            return len(fixes)

    def _readers(self) -> frozenset[str]:
        try:
            raw = self.files.read_roles()
            return frozenset() if raw is None else parse_roles(raw, self.files.roles_where)
        except (OSError, RolesError) as exc:
            raise PasswordFileError(
                f"Cannot use the roles file: {exc}. Fix it, or delete it (every user then publishes), then try again."
            ) from exc

    def _save_readers(self, readers: frozenset[str] | set[str]) -> None:
        try:
            self.files.save_roles(roles_json(readers))
        except OSError as exc:
            raise PasswordFileError(
                f"Cannot write the roles file {self.files.roles_where}: {exc.strerror or exc}."
            ) from exc

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return self.files.locked()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(
            f"Unknown role {role!r}: use {PUBLISH} (may upload and delete) or {READ} (may list and download)."
        )


def _rewritten(text: str, name: str, replacement: str | None, missing: str) -> bytes:
    """``text`` with ``name``'s first line replaced (or dropped) and its later lines dropped."""
    kept: list[str] = []
    found = False
    for line in text.splitlines():
        line_name, colon, _ = line.partition(":")
        if line_name != name or not colon:
            kept.append(line)
            continue
        if not found and replacement is not None:
            kept.append(replacement)
        found = True
    if not found:
        raise UserError(missing)
    return ("\n".join(kept) + "\n").encode("utf-8") if kept else b""
