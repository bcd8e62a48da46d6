"""What makes a user name and a password acceptable, and the hash schemes offered: no passlib here.

The dialog checks as the user types and the command line builds its options from these,
without loading the hashing libraries.
"""

from __future__ import annotations

import secrets
import unicodedata

from gui.services.errors import UserError

#: The hash schemes the app writes, by the names users choose; bcrypt is written as ``$2y$``.
SCHEME_NAMES = ("bcrypt", "apr1", "sha256", "sha512")
PUBLISH, READ = "publish", "read"
ROLES = (PUBLISH, READ)  # who may upload and delete; who may only list and download
DEFAULT_SCHEME = "bcrypt"
BCRYPT_MAX_BYTES = 72


def check_name(name: str) -> None:
    if not name:
        raise UserError("The user name is empty: type a name, such as your login.")
    if ":" in name:
        raise UserError("A user name cannot contain ':' (it separates the name from the password hash).")
    if name.startswith("#"):
        raise UserError("A user name cannot start with '#': the server reads such a line as a comment.")
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in name):
        raise UserError("A user name cannot contain spaces, tabs, line breaks or control characters.")
    if name == "__token__":
        raise UserError("__token__ is the name API tokens log in with (as on PyPI): choose another user name.")
    if len(name.encode("utf-8")) > 255:
        raise UserError("The user name is too long: use at most 255 bytes.")


def check_password(password: str, scheme: str = DEFAULT_SCHEME) -> None:
    if scheme not in SCHEME_NAMES:
        raise UserError(f"Unknown password scheme {scheme!r}: use one of {', '.join(SCHEME_NAMES)}.")
    if not password:
        raise UserError("The password is empty: type one, or have one generated.")
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
