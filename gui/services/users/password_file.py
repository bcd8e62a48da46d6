"""Reading an htpasswd file as the server does: which scheme each hash is, and which lines it cannot use."""

from __future__ import annotations

from dataclasses import dataclass

from passlib.context import CryptContext

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


@dataclass(frozen=True)
class LineProblem:
    """One line of the password file the server cannot use as it is, and the fix."""

    line_number: int
    problem: str
    fix: str
    blocks_edits: bool  # passlib cannot load the file while such a line is there (the server answers 500)
    repairable: bool = False  # "Remove broken lines" (pypi-desk user repair) fixes it

    def __str__(self) -> str:
        return f"Line {self.line_number}: {self.problem} Fix: {self.fix}"


def describe_hash(value: str) -> str:
    scheme = _KNOWN.identify(value, required=False)
    return _LABELS.get(scheme, "plain text") if scheme else "plain text"


BOM = "\ufeff"


def without_bom(text: str) -> str:
    """The text as it should have been: an editor's byte-order mark glued to the first name is no name."""
    return text.removeprefix(BOM)


def entries(text: str) -> list[tuple[int, str, str]]:
    """(line number, name, hash) of every 'name:hash' line, in order; the server uses a name's first."""
    found = []
    for number, line in enumerate(without_bom(text).splitlines(), 1):
        name, colon, hashed = line.partition(":")
        if colon and name:
            found.append((number, name, hashed))
    return found


def check_lines(text: str) -> list[LineProblem]:
    """Every line the server cannot use as it is, with a fix for each."""
    problems: list[LineProblem] = []
    if text.startswith(BOM):
        first = entries(text)[:1]
        who = first[0][1] if first else "the first user"
        problems.append(
            LineProblem(
                1,
                f"the file starts with a byte-order mark (an editor added it): the server reads it as part of "
                f"the first name, so {who} cannot log in.",
                "remove the mark (Remove broken lines does it).",
                blocks_edits=False,
                repairable=True,
            )
        )
    first_seen: dict[str, int] = {}
    for number, line in enumerate(without_bom(text).splitlines(), 1):
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
                    repairable=True,
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
                    f"user {name} is listed again (first on line {first_seen[name]}); the server uses only the "
                    "first line, so this password does not work.",
                    f"remove {name} (every line goes) and add the user once.",
                    blocks_edits=False,
                )
            )
        first_seen.setdefault(name, number)
        if describe_hash(hashed) == "plain text":
            shown = hashed if len(hashed) <= 12 else hashed[:12] + "…"
            problems.append(
                LineProblem(
                    number,
                    f"user {name}'s password ({shown!r}) is not a hash the server knows, so the server takes the "
                    "text itself as a plain-text password: anyone who can read the file can log in as "
                    f"{name} with it.",
                    f"set a new password for {name}.",
                    blocks_edits=False,
                )
            )
    return problems
