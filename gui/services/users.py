"""Who may upload: the data folder's htpasswd file (list, add, change password, remove, check).

Built on passlib's ``HtpasswdFile``. Every change is a locked read-modify-write
(two app instances never lose each other's users) that replaces the file
atomically, mode 0644 so the container's own user (uid 9898) can read it. The
server reloads the file when it changes: no restart is needed.
"""

from __future__ import annotations

import contextlib
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock
from passlib.apache import HtpasswdFile
from passlib.context import CryptContext
from passlib.hash import apr_md5_crypt, bcrypt, sha256_crypt, sha512_crypt

from gui.services.atomic import write_atomic
from gui.services.errors import DeskError

#: What the app writes, by the name users choose. bcrypt as ``$2y$``, as Apache's ``htpasswd -B`` does.
SCHEMES = {
    "bcrypt": bcrypt.using(ident="2y"),
    "apr1": apr_md5_crypt,
    "sha256": sha256_crypt,
    "sha512": sha512_crypt,
}
DEFAULT_SCHEME = "bcrypt"
BCRYPT_MAX_BYTES = 72
PASSWORD_FILE_MODE = 0o644

# Every scheme Apache (and so pypiserver's passlib) accepts in an htpasswd file, to name what a line holds.
_KNOWN = CryptContext(["bcrypt", "apr_md5_crypt", "sha256_crypt", "sha512_crypt", "md5_crypt", "ldap_sha1"])
_LABELS = {
    "bcrypt": "bcrypt",
    "apr_md5_crypt": "Apache MD5 (apr1)",
    "sha256_crypt": "SHA-256 crypt",
    "sha512_crypt": "SHA-512 crypt",
    "md5_crypt": "MD5 crypt (weak)",
    "ldap_sha1": "SHA-1 (weak)",
}


class UserError(DeskError):
    """A user name or password is refused, or the user does not exist / exists already."""


class PasswordFileError(DeskError):
    """The password file has lines the server cannot use; the message says how to fix them."""


@dataclass(frozen=True)
class User:
    name: str
    scheme: str  # a label, e.g. "bcrypt", "Apache MD5 (apr1)", "plain text"


@dataclass(frozen=True)
class LineProblem:
    """One line of the password file the server cannot use as it is, and the fix."""

    line_number: int
    problem: str
    fix: str
    blocks_edits: bool  # passlib cannot load the file while such a line is there

    def __str__(self) -> str:
        return f"Line {self.line_number}: {self.problem} Fix: {self.fix}"


def describe_hash(value: str) -> str:
    scheme = _KNOWN.identify(value, required=False)
    return _LABELS.get(scheme, "plain text") if scheme else "plain text"


def check_name(name: str) -> None:
    if not name:
        raise UserError("The user name is empty: type a name, such as your login.")
    if ":" in name:
        raise UserError("A user name cannot contain ':' (it separates the name from the password hash).")
    if name.startswith("#"):
        raise UserError("A user name cannot start with '#': the server reads such a line as a comment.")
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in name):
        raise UserError("A user name cannot contain spaces, tabs, line breaks or control characters.")
    if len(name.encode("utf-8")) > 255:
        raise UserError("The user name is too long: use at most 255 bytes.")


def check_password(password: str, scheme: str = DEFAULT_SCHEME) -> None:
    if scheme not in SCHEMES:
        raise UserError(f"Unknown password scheme {scheme!r}: use one of {', '.join(SCHEMES)}.")
    if not password:
        raise UserError("The password is empty: type one, or click Generate.")
    if "\0" in password:
        raise UserError("A password cannot contain a NUL character.")
    if scheme == "bcrypt" and len(password.encode("utf-8")) > BCRYPT_MAX_BYTES:
        raise UserError(
            f"bcrypt uses only the first {BCRYPT_MAX_BYTES} bytes of a password, and this one has "
            f"{len(password.encode('utf-8'))}. Use a shorter password, or the sha512 scheme."
        )


def generate_password() -> str:
    """A strong password that survives copy and paste, shells and config files (24 characters)."""
    return secrets.token_urlsafe(18)


def check_lines(text: str) -> list[LineProblem]:
    """Every line the server cannot use as it is, with a fix for each."""
    problems: list[LineProblem] = []
    first_seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, colon, hashed = line.partition(":")
        if not colon or not name:
            problems.append(
                LineProblem(
                    number,
                    "it is not 'name:hash'. pypiserver answers 500 to every login while such a line is there.",
                    "remove the line, then add the user again.",
                    blocks_edits=True,
                )
            )
            continue
        if name != name.strip() or any(char.isspace() for char in name):
            problems.append(
                LineProblem(
                    number,
                    f"the user name {name!r} has spaces in it, so nobody can log in with it.",
                    "remove the user and add it again without spaces.",
                    blocks_edits=False,
                )
            )
        if name in first_seen:
            problems.append(
                LineProblem(
                    number,
                    f"user {name} is listed again (first on line {first_seen[name]}).",
                    "remove the user and add it once.",
                    blocks_edits=False,
                )
            )
        first_seen.setdefault(name, number)
        if describe_hash(hashed) == "plain text":
            problems.append(
                LineProblem(
                    number,
                    f"user {name} has no password hash: the server takes the text as a plain-text password.",
                    f"set a new password for {name}.",
                    blocks_edits=False,
                )
            )
    return problems


class UserStore:
    """The users of one password file."""

    def __init__(self, password_file: Path) -> None:
        self.password_file = password_file
        self._lock = FileLock(str(password_file.with_name(password_file.name + ".lock")), timeout=10)

    def _read_text(self) -> str:
        try:
            return self.password_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""
        except (OSError, UnicodeDecodeError) as exc:
            raise PasswordFileError(
                f"Cannot read the password file {self.password_file}: {exc}. Check its permissions."
            ) from exc

    def _load(self) -> HtpasswdFile:
        text = self._read_text()
        blocking = [problem for problem in check_lines(text) if problem.blocks_edits]
        if blocking:
            raise PasswordFileError(
                f"The password file {self.password_file} has lines the server cannot read:\n"
                + "\n".join(map(str, blocking))
                + "\nUse 'Remove broken lines' (pypi-desk user repair), or edit the file."
            )
        return HtpasswdFile.from_string(text.encode("utf-8"))

    def _save(self, htpasswd: HtpasswdFile) -> None:
        """Replace the file (the caller holds the lock, so no other save is half done)."""
        for stale in self.password_file.parent.glob(f".{self.password_file.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()  # left by a save that was killed
        try:
            self.password_file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.password_file, htpasswd.to_string(), mode=PASSWORD_FILE_MODE)
        except OSError as exc:
            raise PasswordFileError(
                f"Cannot write the password file {self.password_file}: {exc.strerror or exc}. "
                "Check that the folder is yours and writable; nothing was changed."
            ) from exc

    def users(self) -> list[User]:
        text = self._read_text()
        names: dict[str, str] = {}
        for line in text.splitlines():
            name, colon, hashed = line.partition(":")
            if colon and name:
                names[name] = describe_hash(hashed)
        return [User(name, scheme) for name, scheme in names.items()]

    def problems(self) -> list[LineProblem]:
        return check_lines(self._read_text())

    def add(self, name: str, password: str, scheme: str = DEFAULT_SCHEME) -> User:
        check_name(name)
        check_password(password, scheme)
        with self._locked():
            htpasswd = self._load()
            if name in htpasswd.users():
                raise UserError(f"User {name} exists already: choose another name, or change {name}'s password.")
            htpasswd.set_hash(name, SCHEMES[scheme].hash(password))
            self._save(htpasswd)
        return User(name, describe_hash(htpasswd.get_hash(name).decode()))

    def change_password(self, name: str, password: str, scheme: str = DEFAULT_SCHEME) -> User:
        check_password(password, scheme)
        with self._locked():
            htpasswd = self._load()
            if name not in htpasswd.users():
                raise UserError(f"There is no user {name}: add it instead.")
            htpasswd.set_hash(name, SCHEMES[scheme].hash(password))
            self._save(htpasswd)
        return User(name, describe_hash(htpasswd.get_hash(name).decode()))

    def remove(self, name: str) -> None:
        with self._locked():
            htpasswd = self._load()
            if not htpasswd.delete(name):
                raise UserError(f"There is no user {name}; nothing was removed.")
            self._save(htpasswd)

    def verify(self, name: str, password: str) -> bool:
        htpasswd = self._load()
        return bool(htpasswd.check_password(name, password))

    def repair(self) -> int:
        """Remove the lines that are not 'name:hash'; returns how many were removed."""
        with self._locked():
            text = self._read_text()
            broken = {p.line_number for p in check_lines(text) if p.blocks_edits}
            if not broken:
                return 0
            kept = [line for number, line in enumerate(text.splitlines(), 1) if number not in broken]
            self._save(HtpasswdFile.from_string("\n".join(kept).encode("utf-8")))
            return len(broken)

    @contextlib.contextmanager
    def _locked(self):
        try:
            self.password_file.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                yield
        except TimeoutError as exc:
            raise PasswordFileError(
                "Another PyPI Desk is changing the users of this server right now; try again in a moment."
            ) from exc
        except PermissionError as exc:
            raise PasswordFileError(
                f"Cannot lock the password file in {self.password_file.parent}: {exc.strerror}. "
                "Check that the folder is yours and writable."
            ) from exc
